"""An unknown number with a known bound: a capacity in kVA without a power factor has an unknown
kW figure, but one at most the kVA (a power factor is at most 1), and a kW figure without a
power factor bounds the unknown kVA from below. A comparison the bound settles is decided; the
rest stays unknown. Both engines agree, and nothing the bound decides is contradicted by any
power factor in (0, 1].
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import gridconnect
from gridconnect.engine import durable
from gridconnect.engine.base import MatchRule
from gridconnect.engine.durable import DurableEngine
from gridconnect.engine.reference import ReferenceEngine, evaluate_condition
from gridconnect.errors import EngineError, UnitError
from gridconnect.model import Application
from gridconnect.model.application import Capacity
from gridconnect.model.codec import structure
from gridconnect.model.enums import CapacityUnit
from gridconnect.rules.conditions import (
    UNKNOWN_PREFIX,
    And,
    Cmp,
    Condition,
    Not,
    Op,
    Or,
    parse_condition,
    three_valued,
)
from gridconnect.rules.facts import FACTS, fact_bounds
from gridconnect.testing.strategies import power_factors

pytestmark = pytest.mark.skipif(not durable.available(), reason="durable_rules not importable")

PATHS = ("capacity.kw", "capacity.kva")
OPS: tuple[Op, ...] = ("eq", "ne", "lt", "le", "gt", "ge")


def _unknowable(path: str) -> bool:
    return FACTS[path].unknowable if path in FACTS else False


def capacity_facts(capacity: Capacity, factor: Decimal | None) -> tuple[dict[str, Any], set[str]]:
    """The two capacity facts as :func:`gridconnect.rules.facts.facts_of` derives them."""
    values: dict[str, Any] = {}
    unknown: set[str] = set()
    for path, convert in (
        ("capacity.kw", capacity.kilowatts),
        ("capacity.kva", capacity.kilovolt_amperes),
    ):
        try:
            values[path] = float(convert(factor))
        except UnitError:
            values[path] = None
            unknown.add(path)
    return values, unknown


def three(cond: Condition, values: dict[str, Any], unknown: set[str]) -> bool | None:
    """The three-valued answer: True, False or None (unknown), by interpretation."""
    must, may = three_valued(cond, _unknowable, fact_bounds)
    facts = {**values, **{UNKNOWN_PREFIX + p: p in unknown for p in PATHS}}
    if evaluate_condition(must, facts):
        return True
    return None if evaluate_condition(may, facts) else False


def test_the_kva_settles_what_it_can_and_no_more() -> None:
    eight = Capacity(value=Decimal(8), unit=CapacityUnit.KVA)
    values, unknown = capacity_facts(eight, None)
    assert unknown == {"capacity.kw"}

    def answer(test: dict[str, Any]) -> bool | None:
        return three(parse_condition(test), values, unknown)

    assert answer({"fact": "capacity.kw", "le": 100}) is True  # at most 8 kW
    assert answer({"fact": "capacity.kw", "le": 8}) is True
    assert answer({"fact": "capacity.kw", "lt": 8}) is None  # 8 kW at a power factor of 1
    assert answer({"fact": "capacity.kw", "gt": 8}) is False
    assert answer({"fact": "capacity.kw", "ge": 8}) is None
    assert answer({"fact": "capacity.kw", "gt": 100}) is False
    assert answer({"fact": "capacity.kw", "le": 5}) is None  # 0 to 8 kW: either side of 5
    assert answer({"fact": "capacity.kw", "gt": 5}) is None
    assert answer({"fact": "capacity.kw", "eq": 9}) is False
    assert answer({"fact": "capacity.kw", "eq": 7}) is None
    assert answer({"not": {"fact": "capacity.kw", "gt": 100}}) is True
    assert answer({"fact": "capacity.kva", "le": 100}) is True  # the kVA itself is known

    kw = Capacity(value=Decimal(200), unit=CapacityUnit.KW)
    values, unknown = capacity_facts(kw, None)
    assert unknown == {"capacity.kva"}
    assert answer({"fact": "capacity.kva", "gt": 160}) is True  # at least 200 kVA
    assert answer({"fact": "capacity.kva", "le": 160}) is False
    assert answer({"fact": "capacity.kva", "le": 250}) is None


@st.composite
def conditions(draw: st.DrawFn, thresholds: list[float], depth: int = 3) -> Condition:
    """Conditions over the two capacity facts, with thresholds near their values."""
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        path = draw(st.sampled_from(PATHS))
        value = draw(st.sampled_from(thresholds) | st.floats(0.001, 20_000, allow_nan=False))
        return Cmp(path, draw(st.sampled_from(OPS)), value)
    kind = draw(st.sampled_from(("and", "or", "not")))
    if kind == "not":
        return Not(draw(conditions(thresholds, depth - 1)))
    items = tuple(draw(st.lists(conditions(thresholds, depth - 1), min_size=1, max_size=3)))
    return And(items) if kind == "and" else Or(items)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    amount=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10_000), places=3),
    unit=st.sampled_from(list(CapacityUnit)),
    factor=power_factors(),
    data=st.data(),
)
def test_a_bounded_answer_is_the_answer_with_the_power_factor_and_engines_agree(
    amount: Decimal, unit: CapacityUnit, factor: Decimal, data: st.DataObject
) -> None:
    capacity = Capacity(value=amount, unit=unit)
    known, _ = capacity_facts(capacity, factor)
    values, unknown = capacity_facts(capacity, None)
    thresholds = [known["capacity.kw"], known["capacity.kva"], float(amount), 100.0, 160.0]
    cond = data.draw(conditions(thresholds, depth=2))
    answer = three(cond, values, unknown)
    event(f"{unit.value}: {'unknown' if answer is None else 'determined'}")
    if answer is not None:
        assert answer == evaluate_condition(cond, known), (cond, known)
    # Both engines compute the same must and may halves as the interpreter.
    must, may = three_valued(cond, _unknowable, fact_bounds)
    rules = [MatchRule("must", must), MatchRule("may", may)]
    facts = {**values, **{UNKNOWN_PREFIX + p: p in unknown for p in PATHS}}
    reference = ReferenceEngine().compile(rules).match(facts)
    expected = [i for i, r in enumerate(rules) if evaluate_condition(r.condition, facts)]
    assert reference == expected
    refused = ""
    try:
        durable_matcher = DurableEngine().compile(rules)
    except EngineError as error:  # a condition over durable's documented size limits
        refused = str(error)
    if refused:
        assert "exceeds durable's limits" in refused
        event("over durable's limits")
        return
    assert durable_matcher.match(facts) == reference


# -- the shipped rules ---------------------------------------------------------------------------

PLACES = {"110105": "北京示例制造有限公司", "440106": "广州示例制造有限公司"}


def application(division: str, amount: Decimal, factor: Decimal | None, kind: str) -> Application:
    applicant: dict[str, Any] = {"kind": kind}
    if kind == "resident":
        applicant |= {"name": "王示例", "resident_id": "11010519491231002X"}
    else:
        code = "91110105MA01XY2Q6H" if division == "110105" else "91440106MA9W2R7T9G"
        applicant |= {"name": PLACES[division], "credit_code": code, "ownership": "private"}
    data: dict[str, Any] = {
        "id": "BOUND-1",
        "applied_on": "2026-06-01",
        "applicant": applicant,
        "site": {"division": division, "area": "urban"},
        "service": "new_connection",
        "capacity": {"value": str(amount), "unit": "kVA"},
    }
    if factor is not None:
        data["power_factor"] = str(factor)
    return structure(data, Application)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    amount=st.decimals(min_value=Decimal(1), max_value=Decimal(400), places=1),
    factor=power_factors(),
    division=st.sampled_from(sorted(PLACES)),
    kind=st.sampled_from(["resident", "small_micro_enterprise", "other_enterprise"]),
)
def test_a_kva_without_power_factor_decides_the_supply_the_kva_settles(
    amount: Decimal, factor: Decimal, division: str, kind: str
) -> None:
    """Under the cap in kW (160 nationally, 200 in Guangzhou) the supply is low voltage whatever
    the power factor; above it, either side is possible and the supply waits on the answer.
    Everything determined without the power factor is what the power factor gives."""
    partial = application(division, amount, None, kind)
    decisions = {
        engine: gridconnect.evaluate(partial, engine=engine) for engine in ("reference", "durable")
    }
    ref, dur = decisions["reference"], decisions["durable"]
    assert dur.to_json().replace('"durable"', '"reference"') == ref.to_json()
    cap = 200 if division == "440106" else 160
    if amount <= cap:
        assert ref.supply == "low_voltage"
        assert "supply" not in ref.undetermined
    else:
        assert "supply" in ref.undetermined
        assert [q.path for q in ref.questions] == ["power_factor"]
    complete = gridconnect.evaluate(attrs.evolve(partial, power_factor=factor))
    for slot in set(ref.conclusions) | set(complete.conclusions):
        if slot not in ref.undetermined:
            assert complete.value(slot) == ref.value(slot), slot
