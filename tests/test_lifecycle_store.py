"""The store loses nothing: one transaction per batch, an append-only log, state rebuilt by
replaying it, the same state for the same events however they arrive, and a process killed in
the middle of an ingestion loses nothing it acknowledged. Old schemas are migrated, unknown ones
refused."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest
from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridconnect.lifecycle.events import (
    APPLICATION_KINDS,
    PROJECT_KINDS,
    Event,
    EventKind,
    PauseReason,
    Submitted,
    canonical_json,
    parse_event,
    sort_key,
)
from gridconnect.lifecycle.store import SCHEMA_VERSION, Store, StoreError
from gridconnect.lifecycle.tracker import Tracker
from gridconnect.model.application import Application
from gridconnect.model.codec import load_file
from gridconnect.plugins.registry import default_registry

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = load_file(ROOT / "examples/events/applications/zhongshan-380v.json", Application)
START = date(2025, 3, 3)


def state(tracker: Tracker) -> list[str]:
    """Everything derived, in a stable order."""
    return sorted(tracker.store.subjects("application")) + sorted(tracker.store.subjects("project"))


def app_event(id: str, kind: str, day: date, application: str = "A", **fields: Any) -> Event:
    return parse_event(
        {"id": id, "kind": kind, "on": day.isoformat(), "application": application, **fields}
    )


def submitted(id: str, application: str, day: date) -> Submitted:
    return Submitted(
        id=id,
        kind=EventKind.SUBMITTED,
        on=day,
        application=application,
        submission=attrs.evolve(TEMPLATE, id=application, applied_on=day),
    )


# -- idempotency and the log ----------------------------------------------------------------------


def test_ingesting_an_event_twice_changes_nothing() -> None:
    tracker = Tracker(engine="reference")
    events = [submitted("s", "A", START), app_event("a", "accepted", START + timedelta(days=1))]
    first = tracker.ingest(events)
    before = state(tracker)
    again = tracker.ingest(events + events)
    assert (first.new, again.new, again.duplicates, again.rejected) == (2, 0, 4, 0)
    assert state(tracker) == before
    assert tracker.store.count_events() == 2


def test_a_reused_id_with_other_content_is_a_conflict_and_the_first_event_is_kept() -> None:
    tracker = Tracker(engine="reference")
    tracker.ingest([submitted("s", "A", START), app_event("a", "accepted", START)])
    before = state(tracker)
    result = tracker.ingest([("f.jsonl:7", app_event("a", "accepted", START + timedelta(days=2)))])
    assert (result.new, len(result.conflicts)) == (0, 1)
    (conflict,) = result.conflicts
    assert conflict.source == "f.jsonl:7"
    assert conflict.problems[0].path == "$.id"
    assert "the first one is kept" in conflict.problems[0].en
    assert state(tracker) == before


def test_the_log_is_append_only(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Tracker(path, engine="reference").ingest([app_event("a", "accepted", START)])
    db = sqlite3.connect(path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE events SET body = '{}'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM events")
    db.close()


def test_invalid_items_are_reported_and_the_valid_ones_around_them_ingested() -> None:
    tracker = Tracker(engine="reference")
    lines = [
        '{"id": "a", "kind": "accepted", "on": "2025-03-03", "application": "A"}',
        '{"id": "b", "kind": "accepted", "on": "2025-03-03"}',
        '{"id": "c", "kind": "accepted", "on": "2025-03-03", "application": "B"}',
    ]
    from gridconnect.lifecycle.events import read_events

    result = tracker.ingest(read_events(lines, source="x.jsonl"), batch_size=1)
    assert (result.received, result.new, len(result.invalid)) == (3, 2, 1)
    assert result.invalid[0].source == "x.jsonl:2"
    assert [b.batch for b in result.batches] == [1, 2]


# -- replaying gives the same state -----------------------------------------------------------------

STEP_KINDS = sorted(k.value for k in APPLICATION_KINDS - {EventKind.SUBMITTED})


@st.composite
def streams(draw: st.DrawFn) -> list[Event]:
    """A few applications and a project, with legal and illegal events in any order."""
    events: list[Event] = []
    days = st.integers(min_value=0, max_value=15).map(lambda n: START + timedelta(days=n))
    for app in ("A", "B"):
        for i in range(draw(st.integers(min_value=0, max_value=7))):
            day, eid = draw(days), f"{app}{i}"
            kind = draw(st.sampled_from([*STEP_KINDS, "submitted", "submitted"]))
            if kind == "submitted":
                events.append(submitted(eid, app, day))
            elif kind.startswith("pause"):
                period = draw(st.sampled_from(["p", "q"]))
                extra = {"reason": draw(st.sampled_from(PauseReason)).value}
                events.append(
                    app_event(eid, kind, day, app, period=period, **extra)
                    if kind == "pause_started"
                    else app_event(eid, kind, day, app, period=period)
                )
            else:
                events.append(app_event(eid, kind, day, app))
    for i in range(draw(st.integers(min_value=0, max_value=5))):
        events.append(
            parse_event(
                {
                    "id": f"P{i}",
                    "kind": draw(st.sampled_from(sorted(k.value for k in PROJECT_KINDS))),
                    "on": draw(days).isoformat(),
                    "project": "P",
                    "division": draw(st.sampled_from(["440112", "440604"])),
                    "has_electricity_demand": draw(st.booleans()),
                }
            )
        )
    return events


@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(events=streams(), data=st.data())
def test_any_order_batching_or_duplication_of_the_same_events_gives_the_same_state(
    events: list[Event], data: st.DataObject
) -> None:
    registry = default_registry()
    reference = Tracker(registry=registry, engine="reference")
    reference.ingest(sorted(events, key=sort_key))
    expected = state(reference)

    shuffled = list(data.draw(st.permutations(events)))
    for duplicate in data.draw(st.lists(st.sampled_from(events), max_size=5)) if events else []:
        shuffled.insert(data.draw(st.integers(0, len(shuffled))), duplicate)
    tracker = Tracker(registry=registry, engine="reference")
    tracker.ingest(shuffled, batch_size=data.draw(st.integers(min_value=1, max_value=6)))
    assert state(tracker) == expected
    tracker.rebuild()
    assert state(tracker) == expected
    assert tracker.ingest(events).new == 0
    assert state(tracker) == expected


def test_a_late_event_is_folded_in_its_place() -> None:
    tracker = Tracker(engine="reference")
    tracker.ingest([submitted("s", "A", START), app_event("p", "supply_plan_answered", START)])
    assert tracker.status("A", as_of=START).rejections[0].kind == "supply_plan_answered"
    tracker.ingest([app_event("a", "accepted", START)])  # the same day: accepted comes first
    status = tracker.status("A", as_of=START)
    assert (status.state, status.rejections) == ("plan_answered", ())


# -- killing ingestion ---------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import sys
    from contextlib import contextmanager
    from datetime import date, timedelta
    from gridconnect.lifecycle.events import parse_event
    from gridconnect.lifecycle.store import Store
    from gridconnect.lifecycle.tracker import Tracker

    path, run, mark = sys.argv[1], sys.argv[2], sys.argv[3] == "mark"
    BATCH = 400
    KINDS = ["project_approved", "land_use_permit", "planning_permit",
             "construction_permit", "completion_accepted"]

    class Gated(Store):
        # Batch b holds events b0..b399 (BATCH events a transaction). Inside each transaction,
        # once its events and rows are written and before the commit, say which batch it is
        # and wait for a line on stdin: the parent either answers or kills us right there.
        batches = 0

        @contextmanager
        def batch(self, source=None):
            with super().batch(source) as writer:
                yield writer
                print("inside", f"r{run}-b{self.batches}", flush=True)
                sys.stdin.readline()
            self.batches += 1

    tracker = Tracker(Gated(path) if mark else path, engine="reference")

    def events():
        for b in range(10**6):
            for i in range(BATCH):
                yield parse_event({
                    "id": f"r{run}-b{b}-e{i}", "kind": KINDS[b % 5],
                    "on": (date(2025, 1, 1) + timedelta(days=b)).isoformat(),
                    "project": f"r{run}-P{i}", "division": "440112"})

    def acknowledge(result):
        print("ack", result.batch, result.first, result.last, result.new, flush=True)

    tracker.ingest(events(), batch_size=BATCH, on_batch=acknowledge)
    """
)


def _kill_during_ingestion(
    db: Path, run: int, *, mark: bool, acks_wanted: int
) -> tuple[list[list[str]], str | None]:
    """Start an ingestion in a child process and SIGKILL it; return the acknowledgements it gave
    and, when killed from inside a transaction, the batch it was writing (``r1-b7``)."""
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(run), "mark" if mark else "time"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    ) as child:
        acks, inside = _acknowledgements(child, mark=mark, acks_wanted=acks_wanted)
    assert child.returncode == -signal.SIGKILL
    return acks, inside


def _acknowledgements(
    child: subprocess.Popen[str], *, mark: bool, acks_wanted: int
) -> tuple[list[list[str]], str | None]:
    """Read the child's lines. Marked, it waits inside every transaction for a line on stdin:
    the kill lands there, deterministically, once ``acks_wanted`` batches were acknowledged.
    Unmarked, it is killed wherever it is when the last wanted acknowledgement is read (the
    assertions hold for any moment, so where it lands does not matter)."""
    assert child.stdout is not None
    assert child.stdin is not None
    acks: list[list[str]] = []
    inside = None
    while True:
        line = child.stdout.readline()
        assert line, "the child stopped before it was killed"
        words = line.split()
        if words[0] == "ack":
            acks.append(words)
        if mark and words[0] == "inside":
            if len(acks) >= acks_wanted:
                inside = words[1]
                break  # it is waiting in the middle of a transaction
            child.stdin.write("go on\n")
            child.stdin.flush()
        if not mark and len(acks) >= acks_wanted:
            break
    os.kill(child.pid, signal.SIGKILL)
    rest = child.stdout.read()  # acknowledged before the signal landed
    acks += [w.split() for w in rest.splitlines() if w.startswith("ack")]
    child.wait()
    return acks, inside


@pytest.mark.slow
def test_a_killed_ingestion_loses_nothing_acknowledged_and_leaves_no_partial_batch(
    tmp_path: Path,
) -> None:
    db = tmp_path / "killed.db"
    acknowledged: list[list[str]] = []
    in_flight = []
    for run, mark in ((1, True), (2, False), (3, True)):
        acks, inside = _kill_during_ingestion(db, run, mark=mark, acks_wanted=2 + run)
        acknowledged += acks
        in_flight += [inside] if inside else []
    assert len(acknowledged) >= 9
    assert len(in_flight) == 2

    check = sqlite3.connect(db)
    assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    rows = check.execute("SELECT batch, id FROM events ORDER BY seq").fetchall()
    by_batch: dict[int, list[str]] = {}
    for batch, event_id in rows:
        by_batch.setdefault(batch, []).append(event_id)
    batches = dict(check.execute("SELECT id, stored FROM batches").fetchall())
    check.close()
    # every acknowledged batch is there, whole
    for _, batch, first, last, new in acknowledged:
        assert by_batch[int(batch)][0] == first
        assert by_batch[int(batch)][-1] == last
        assert len(by_batch[int(batch)]) == int(new) == 400
    # and no batch is there in part: each holds the 400 events of one batch of one run
    assert set(batches) == set(by_batch)
    for batch, ids in by_batch.items():
        assert len(ids) == batches[batch] == 400
        assert len({i.rsplit("-e", 1)[0] for i in ids}) == 1
    # a batch killed in the middle of its transaction left nothing behind
    assert not [i for ids in by_batch.values() for i in ids if i.rsplit("-e", 1)[0] in in_flight]
    # at most the batch in flight committed without being acknowledged, once per run
    assert len(acknowledged) <= len(batches) <= len(acknowledged) + 1
    # and the derived state is what replaying the log gives
    tracker = Tracker(db, engine="reference")
    stored = state(tracker)
    tracker.rebuild()
    assert state(tracker) == stored
    tracker.close()


# -- schema versions -------------------------------------------------------------------------------


def _v0(path: Path, bodies: list[tuple[str, str]]) -> None:
    """A store as the prototype wrote it: schema version 0."""
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE schema_version (version INTEGER NOT NULL);"
        "INSERT INTO schema_version VALUES (0);"
        "CREATE TABLE event_log (id TEXT PRIMARY KEY, body TEXT NOT NULL);"
    )
    db.executemany("INSERT INTO event_log VALUES (?, ?)", bodies)
    db.commit()
    db.close()


def test_a_version_0_store_is_migrated_and_its_state_rebuilt(tmp_path: Path) -> None:
    events = [
        submitted("s", "A", START),
        app_event("a", "accepted", START + timedelta(days=1)),
        app_event("x", "design_reviewed", START + timedelta(days=2)),
    ]
    path = tmp_path / "v0.db"
    _v0(path, [(e.id, canonical_json(e)) for e in events])
    tracker = Tracker(path, engine="reference")
    assert tracker.store.version == SCHEMA_VERSION
    assert not tracker.store.rebuild_needed
    assert tracker.store.batches() == [(1, 3, 3)]
    status = tracker.status("A", as_of=START + timedelta(days=5))
    assert status.state == "accepted"
    assert [r.event for r in status.rejections] == ["x"]
    direct = Tracker(engine="reference")
    direct.ingest(events)
    assert state(tracker) == state(direct)
    tracker.close()
    db = sqlite3.connect(path)
    tables = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "event_log" not in tables
    assert db.execute("SELECT version FROM schema_version").fetchall() == [(1,)]
    db.close()


def test_a_version_0_store_with_a_bad_event_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "v0.db"
    good = app_event("a", "accepted", START)
    _v0(path, [("a", canonical_json(good)), ("b", '{"id": "b", "kind": "nope"}')])
    with pytest.raises(StoreError, match="cannot migrate schema version 0") as caught:
        Store(path)
    assert "event_log row 2" in caught.value.en
    assert "$.kind" in caught.value.en
    assert "无法迁移" in caught.value.zh
    db = sqlite3.connect(path)
    assert db.execute("SELECT version FROM schema_version").fetchall() == [(0,)]
    assert db.execute("SELECT count(*) FROM event_log").fetchone() == (2,)
    db.close()


def test_a_store_of_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_version SET version = 7")
    db.commit()
    db.close()
    with pytest.raises(StoreError) as caught:
        Store(path)
    assert "schema version 7, written by a newer gridconnect" in caught.value.en
    assert "upgrade gridconnect" in caught.value.en
    assert "请升级 gridconnect" in caught.value.zh


def test_what_is_not_a_store_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE customers (name TEXT)")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="has tables customers and no schema_version"):
        Store(other)
    text = tmp_path / "notes.db"
    text.write_text("these are not the tables you are looking for " * 100, "utf-8")
    with pytest.raises(StoreError, match="not an SQLite database"):
        Store(text)


def test_an_interrupted_rebuild_is_done_again_when_the_store_is_opened(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    tracker = Tracker(path, engine="reference")
    tracker.ingest([submitted("s", "A", START), app_event("a", "accepted", START)])
    expected = state(tracker)
    with tracker.store.transaction() as db:
        tracker.store.set_rebuild_needed(True)
        db.execute("UPDATE subjects SET state = 'garbage'")
    tracker.close()
    reopened = Tracker(path, engine="reference")
    assert not reopened.store.rebuild_needed
    assert state(reopened) == expected
    reopened.close()


def test_the_stored_state_is_json_a_program_can_read(tmp_path: Path) -> None:
    tracker = Tracker(tmp_path / "s.db", engine="reference")
    tracker.ingest([submitted("s", "A", START)])
    (data,) = tracker.store.subjects("application")
    row = json.loads(data)
    assert (row["key"], row["state"], row["decision"]["chain"][-1]) == (
        "a:A",
        "submitted",
        "442000",
    )
    tracker.close()


@settings(max_examples=25, deadline=None)
@given(day=st.dates(min_value=date(2020, 6, 1), max_value=date(2026, 6, 30)))
def test_an_application_is_decided_with_the_rules_of_its_own_date(day: date) -> None:
    """The tracker shares one rulebook among the days with the same rules in force; the limits
    are those of deciding the application as of its own date."""
    from gridconnect.decide.evaluate import evaluate

    application = load_file(ROOT / "examples/events/applications/huangpu-10kv.json", Application)
    application = attrs.evolve(application, applied_on=day)
    tracker = Tracker(engine="reference")
    tracker.ingest(warmup(application))
    tracker.ingest([submitted_event(application)])
    status = tracker.status(application.id, as_of=day)
    decision = evaluate(application, engine="reference")
    expected = {
        slot[6:]: c.value for slot, c in decision.conclusions.items() if slot.startswith("stage.")
    }
    assert {c.stage: c.limit for c in status.clocks if c.limit} == expected
    assert status.procedure_steps == decision.value("procedure_steps")


def submitted_event(application: Application) -> Submitted:
    return Submitted(
        id="s-" + application.id,
        kind=EventKind.SUBMITTED,
        on=application.applied_on,
        application=application.id,
        submission=application,
    )


def warmup(application: Application) -> list[Event]:
    """The same application decided first on days before and after, so epochs are shared."""
    day = application.applied_on
    return [
        submitted_event(attrs.evolve(application, id=f"W{n}", applied_on=day + timedelta(days=n)))
        for n in (-400, -30, -1, 30, 400)
    ]
