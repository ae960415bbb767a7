"""Lifecycle events are typed and validated like the model: every problem located, in English and
Chinese; the stored form is canonical; a stream never stops at a bad line."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from gridconnect.errors import InputError
from gridconnect.lifecycle.events import (
    EventKind,
    PauseReason,
    PauseStarted,
    ProjectEvent,
    Submitted,
    canonical_json,
    event_from_json,
    parse_event,
    read_events,
    sort_key,
    subject_of,
)

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "examples" / "events"
APPLICATION = json.loads((EVENTS / "applications" / "zhongshan-380v.json").read_text("utf-8"))


def problems(data: object) -> dict[str, tuple[str, str]]:
    with pytest.raises(InputError) as caught:
        parse_event(data)
    return {p.path: (p.en, p.zh) for p in caught.value.problems}


def test_every_kind_of_event_round_trips_through_its_canonical_json() -> None:
    lines = (EVENTS / "stream.jsonl").read_text("utf-8").splitlines()
    read = [e for _, e in read_events(lines, base=EVENTS)]
    assert {e.kind for e in read if not isinstance(e, InputError)} >= {
        EventKind.PROJECT_APPROVED,
        EventKind.SUBMITTED,
        EventKind.PAUSE_STARTED,
        EventKind.PAUSE_ENDED,
        EventKind.METERED_CONNECTED,
    }
    for event in read:
        assert not isinstance(event, InputError)
        again = event_from_json(canonical_json(event))
        assert again == event
        assert canonical_json(again) == canonical_json(event)


def test_every_problem_of_an_event_is_reported_at_its_path_in_both_languages() -> None:
    found = problems(
        {
            "id": "bad id",
            "kind": "pause_started",
            "on": "2025-02-30",
            "application": "A-1",
            "reason": "weather",
            "colour": "red",
        }
    )
    assert set(found) == {"$.id", "$.on", "$.reason", "$.period", "$.colour"}
    assert found["$.period"] == ("is required", "为必填项")
    assert "customer, hearing" in found["$.reason"][0]
    assert found["$.reason"][1].startswith("须为以下之一")
    assert "not a real date" in found["$.on"][0]


def test_an_unknown_or_missing_kind_names_the_kinds() -> None:
    assert "project_approved" in problems({"id": "e", "kind": "approved"})["$.kind"][0]
    assert problems({"id": "e"}) == {"$.kind": ("is required", "为必填项")}
    assert problems([1, 2]) == {"$": ("expected an object", "应为对象")}


def test_a_project_event_needs_a_real_division_and_a_project_kind() -> None:
    found = problems({"id": "e", "kind": "land_use_permit", "on": "2025-01-02", "project": "P"})
    assert set(found) == {"$.division"}
    found = problems(
        {"id": "e", "kind": "land_use_permit", "on": "2025-01-02", "project": "P",
         "division": "990000", "demand_kw": -5}
    )  # fmt: skip
    assert set(found) == {"$.division", "$.demand_kw"}


def test_a_submission_must_be_the_events_application_on_the_events_day() -> None:
    base = {"id": "s", "kind": "submitted", "application": APPLICATION["id"]}
    assert set(problems({**base, "on": "2025-03-25"})) == {"$.submission"}
    found = problems({**base, "on": "2025-03-24", "submission": APPLICATION})
    assert found["$.on"][0] == "the application's applied_on differs from the event's date"
    found = problems(
        {**base, "application": "OTHER", "on": "2025-03-25", "submission": APPLICATION}
    )
    assert set(found) == {"$.submission"}
    broken = {**APPLICATION, "capacity": {"value": 60, "unit": "W"}}
    found = problems({**base, "on": "2025-03-25", "submission": broken})
    assert set(found) == {"$.submission.capacity.unit"}


def test_a_submission_ref_is_read_beside_the_stream_and_stored_inline(tmp_path: Path) -> None:
    data = {
        "id": "s",
        "kind": "submitted",
        "on": "2025-03-25",
        "application": APPLICATION["id"],
        "submission_ref": "zhongshan-380v.json",
    }
    event = parse_event(data, base=EVENTS / "applications")
    assert isinstance(event, Submitted)
    assert event.submission is not None
    assert event.submission.id == APPLICATION["id"]
    stored = json.loads(canonical_json(event))
    assert stored["submission"]["id"] == APPLICATION["id"]
    assert stored["submission_ref"] == "zhongshan-380v.json"
    (tmp_path / "bad.json").write_text('{"id": "X"}', "utf-8")
    with pytest.raises(InputError) as caught:
        parse_event({**data, "submission_ref": "bad.json"}, base=tmp_path, source="s.jsonl:3")
    paths = {p.path for p in caught.value.problems}
    assert "$.submission_ref.applied_on" in paths
    assert caught.value.source == "s.jsonl:3"
    with pytest.raises(InputError) as caught:
        parse_event({**data, "submission_ref": "missing.json"}, base=tmp_path)
    assert [p.path for p in caught.value.problems] == ["$.submission_ref"]


def test_cost_is_reported_with_the_connection_only() -> None:
    base = {"id": "c", "on": "2025-04-01", "application": "A-1", "cost_yuan": 1200.5}
    connected = parse_event({**base, "kind": "metered_connected"})
    assert connected.cost_yuan == Decimal("1200.5")  # type: ignore[union-attr]
    assert set(problems({**base, "kind": "accepted"})) == {"$.cost_yuan"}
    assert set(problems({**base, "kind": "metered_connected", "cost_yuan": -1})) == {"$.cost_yuan"}


def test_a_stream_reports_each_bad_line_with_its_place_and_goes_on() -> None:
    lines = [
        '{"id": "e1", "kind": "accepted", "on": "2025-03-04", "application": "A"}',
        "",
        "{not json",
        '{"id": "e2", "kind": "accepted", "on": "2025-03-04"}',
        '{"id": "e3", "kind": "accepted", "on": "2025-03-05", "application": "A"}',
    ]
    read = list(read_events(lines, source="s.jsonl"))
    assert [where for where, _ in read] == ["s.jsonl:1", "s.jsonl:3", "s.jsonl:4", "s.jsonl:5"]
    bad = [e for _, e in read if isinstance(e, InputError)]
    assert [e.source for e in bad] == ["s.jsonl:3", "s.jsonl:4"]
    assert bad[0].problems[0].en.startswith("not valid JSON")
    assert [p.path for p in bad[1].problems] == ["$.application"]


def test_a_days_events_are_folded_in_the_order_of_the_process() -> None:
    day = "2025-03-04"
    accepted = parse_event({"id": "b", "kind": "accepted", "on": day, "application": "A"})
    started = parse_event(
        {"id": "a", "kind": "pause_started", "on": day, "application": "A", "period": "p",
         "reason": "customer"}
    )  # fmt: skip
    ended = parse_event(
        {"id": "0", "kind": "pause_ended", "on": day, "application": "A", "period": "p"}
    )
    submitted_before = parse_event(
        {"id": "z", "kind": "accepted", "on": "2025-03-03", "application": "A"}
    )
    ordered = sorted([ended, started, accepted, submitted_before], key=sort_key)
    assert [e.id for e in ordered] == ["z", "b", "a", "0"]
    assert {subject_of(e) for e in ordered} == {"a:A"}
    project = ProjectEvent(
        id="p", kind=EventKind.LAND_USE_PERMIT, on=date(2025, 1, 2), project="P-1",
        division=parse_event(
            {"id": "q", "kind": "land_use_permit", "on": "2025-01-02", "project": "P",
             "division": "440112"}
        ).division,  # type: ignore[union-attr]
    )  # fmt: skip
    assert subject_of(project) == "p:P-1"
    assert isinstance(started, PauseStarted)
    assert started.reason is PauseReason.CUSTOMER
    assert not PauseReason.CUSTOMER.legal
    assert PauseReason.EXPERT_REVIEW.legal
