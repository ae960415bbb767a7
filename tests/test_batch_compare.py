"""What-if comparison: it finds exactly the applications a change of rules changes, and says so
in a statement a city could publish."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from gridconnect.batch import Scenario, compare, iter_corpus, render_comparison
from gridconnect.batch.compare import aspect_of
from gridconnect.batch.work import comparable
from gridconnect.decide.evaluate import evaluate
from gridconnect.model.application import Application
from gridconnect.model.codec import structure
from gridconnect.plugins.registry import Registry

# A what-if rules file for Guangzhou: the 三零 cap for small/micro enterprises raised from
# 200 kW (Guangzhou's value of cn.low_voltage_access_cap_kw) to 250 kW, by a rule with its own
# parameter that is an exception to the installed rule. It sets the track only: the supply (and
# the procedures that follow from it) stay as the installed rules decide them.
WHAT_IF = """
jurisdiction = "440100"

[citations.what_if]
title = "What-if: 三零 for small/micro enterprises up to 250 kW"
issuer = "test"
confidence = "press"

[[parameters]]
name = "guangzhou.what_if_cap_kw"
title = { en = "What-if cap", zh = "假设上限" }
unit = "kW"
versions = [ { value = 250, effective_from = 2021-05-21, citation = { ref = "what_if" } } ]

[[rules]]
id = "guangzhou.what_if.three_zero_250kw"
title = { en = "三零 for small/micro enterprises up to 250 kW", zh = "250千瓦及以下小微企业“三零”" }
effective_from = 2021-05-21
exception_to = ["guangzhou.track.three_zero_small_micro_200kw"]
when = { and = [
  { fact = "applicant.kind", eq = "small_micro_enterprise" },
  { fact = "service", in = ["new_connection", "capacity_increase"] },
  { fact = "capacity.kw", le = { param = "guangzhou.what_if_cap_kw" } },
  { or = [ { fact = "voltage.requested_class", eq = "low" }, { fact = "voltage.requested", present = false } ] },
] }
then = { track = "three_zero" }
citation = { ref = "what_if" }
"""

REFERENCE = Scenario(engine="reference")


@pytest.fixture(scope="module")
def corpus() -> list[dict[str, Any]]:
    rows = [
        r
        for r in iter_corpus(1500, seed=21, divisions="4401", start=date(2025, 3, 1), days=180)
        if isinstance(r, dict)
    ]
    assert len(rows) == 1500
    return rows


def _oracle(corpus: list[dict[str, Any]], a: Registry, b: Registry) -> dict[str, set[str]]:
    """Application id -> slots that differ, evaluated one by one without the batch machinery."""
    out: dict[str, set[str]] = {}
    for data in corpus:
        app = structure(data, Application)
        da = comparable(evaluate(app, engine="reference", registry=a))
        db = comparable(evaluate(app, engine="reference", registry=b))
        slots = {s for s in da.keys() | db.keys() if da.get(s) != db.get(s)}
        if slots:
            out[app.id] = slots
    return out


@pytest.mark.slow
def test_compare_finds_exactly_the_changes_when_a_rule_parameter_is_changed_in_a_local_rules_file(
    corpus: list[dict[str, Any]], tmp_path: Path
) -> None:
    rules = tmp_path / "what-if.toml"
    rules.write_text(WHAT_IF, encoding="utf-8")
    b = Scenario(engine="reference", rules=(str(rules),))
    result = compare(corpus, REFERENCE, b, workers=0, examples=1000)

    expected = _oracle(corpus, Registry(), Registry(local=[rules]))
    assert expected, "the corpus must contain applications the change affects"
    found: dict[str, set[str]] = {}
    for t in result.transitions:
        for app_id in t.examples:
            found.setdefault(app_id, set()).add(t.slot)
    assert found == expected
    assert result.changed == len(expected)
    # and they are exactly the small/micro enterprises between the two caps
    by_id = {r["id"]: r for r in corpus}
    for app_id in expected:
        app = structure(by_id[app_id], Application)
        assert app.applicant.kind.value == "small_micro_enterprise"
        assert app.service.value in ("new_connection", "capacity_increase")
        assert Decimal(200) < app.capacity.kilowatts(app.power_factor) <= Decimal(250)
    assert result.slot_changes("track")
    assert all(after == '"three_zero"' for _, after in result.slot_changes("track"))
    assert result.rows == result.evaluated + result.rejected == 1500


def test_compare_with_a_parameter_value_changes_exactly_the_applications_between_the_caps(
    corpus: list[dict[str, Any]],
) -> None:
    b = Scenario(engine="reference", parameters={"cn.low_voltage_access_cap_kw": 160})
    result = compare(corpus, REFERENCE, b, workers=0, examples=10_000)
    changed = {i for t in result.transitions for i in t.examples}
    expected = set()
    for data in corpus:
        app = structure(data, Application)
        low = app.voltage is None or app.voltage.is_low
        kw = app.capacity.kilowatts(app.power_factor)
        # the caps decide supply only for a new connection or a capacity increase (新装/增容)
        new = app.service.value in ("new_connection", "capacity_increase")
        # Guangzhou's own rules (2021) leave residents out; the national supply rules that read
        # the same cap (from 2025-06-03) do not
        whom = app.applicant.kind.value != "resident" or app.applied_on >= date(2025, 6, 3)
        if whom and new and low and Decimal(160) < kw <= Decimal(200):
            expected.add(app.id)
    assert changed == expected
    assert result.changed == len(expected) > 0


def test_compare_two_dates_and_two_places(corpus: list[dict[str, Any]]) -> None:
    dates = compare(
        corpus[:300],
        Scenario(engine="reference", as_of=date(2025, 6, 2)),
        Scenario(engine="reference", as_of=date(2025, 6, 3)),
        workers=0,
    )
    assert dates.changed > 0  # the 2025 national opinion took effect on 2025-06-03
    places = compare(corpus[:300], REFERENCE, Scenario(engine="reference", jurisdiction="foshan"))
    assert places.by_aspect.get("stage", 0) > 0
    assert {aspect_of(t.slot) for t in places.transitions} >= {"stage", "documents"}


def test_the_statement_reads_like_a_publication(corpus: list[dict[str, Any]]) -> None:
    b = Scenario(
        engine="reference",
        parameters={"cn.low_voltage_access_cap_kw": 160},
        label="Guangzhou lowered its low-voltage cap to 160 kW",
    )
    result = compare(corpus, REFERENCE, b, workers=0)
    en = render_comparison(result, "en")
    assert en.startswith(
        f"If Guangzhou lowered its low-voltage cap to 160 kW, {result.changed:,} of 1,500 "
        "applications"
    )
    assert "三零" in en
    assert "e.g. SYN21-" in en
    zh = render_comparison(result, "zh")
    assert zh.startswith("若Guangzhou lowered")
    assert "宗" in zh
    # every slot and value by its label: no identifier after the headline
    body = zh.split("\n", 1)[1]
    assert not re.search(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[a-z]+\.[a-z_]+\b", body), body
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["changed"] + data["unchanged"] == data["compared"]
