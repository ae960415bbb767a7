"""Both engines give the same decision JSON, byte for byte, on generated applications and
generated rulebooks (generated rules and parameters, not only the shipped ones).

The rulebooks are stratified: rules read the conclusions of other rules (``slot:<slot>``), in
two or three levels, and read the facts an application may leave unknown (a capacity in the
other unit without a power factor, an organisation's ownership), so that both engines go through
three-valued matching, undetermined slots and questions. A second property checks that
three-valued matching is sound: what a decision with an unknown capacity determines stays so
whatever the power factor turns out to be.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest
from conftest import examples
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_engine_durable import ORDERED, Chooser, condition

from gridconnect.decide.decision import Decision
from gridconnect.decide.evaluate import evaluate, rulebook_for
from gridconnect.engine import durable
from gridconnect.errors import ConflictError
from gridconnect.model import Application
from gridconnect.model.enums import Ownership
from gridconnect.plugins.registry import Registry
from gridconnect.rules.catalogue import Jurisdiction
from gridconnect.rules.conditions import (
    TRUE,
    And,
    Cmp,
    Condition,
    In,
    Not,
    Or,
    ParamRef,
    Present,
    condition_problems,
)
from gridconnect.rules.facts import FACTS, SLOT_PREFIX, facts_of, slot_fact_type
from gridconnect.rules.loader import RuleSource
from gridconnect.rules.model import (
    Citation,
    Confidence,
    Limit,
    LimitUnit,
    Parameter,
    ParameterVersion,
    Rule,
    Text,
)
from gridconnect.testing.strategies import applications, power_factors

pytestmark = pytest.mark.skipif(not durable.available(), reason="durable_rules not importable")

CITE = Citation(title="generated", issuer="test", confidence=Confidence.PRESS)
CHAIN = [
    ("CN", "cn", None),
    ("440000", "gd", "CN"),
    ("440100", "gz", "440000"),
]
DIVISIONS = ["440106", "440100", "440000"]
SLOTS: dict[str, list[Any]] = {
    "track": ["three_zero", "three_save", "standard"],
    "supply": ["low_voltage", "high_voltage"],
    "zero_investment": [True, False],
    "approval.mode": ["exempt", "filing", "required"],
    "approval.parallel": [True, False],
    "stage.whole_process": [Limit(amount=3, unit=LimitUnit.DAY), Limit(amount=5)],
    "document.identity": ["required", "waived"],
    "procedure_steps": [2, 3],
}
READABLE = sorted(s for s in SLOTS if slot_fact_type(s) is not None)
"""The slots a generated condition may read (time limits are not readable)."""
NATIONAL = Registry(entry_points=False, environment=False, plugins=[]).catalogue.rulebook(
    "CN", date(2026, 12, 31)
)
"""The shipped national rules, in every generated rulebook: some read ``supply``."""
FLOOR = {s: max((b.stratum for b in NATIONAL.rules if s in b.then), default=0) for s in READABLE}
CEILING = {
    s: min((b.stratum - 1 for b in NATIONAL.rules if s in b.slots), default=2) for s in READABLE
}
"""The levels a slot may belong to, so that the national rules fit the generated ones: a
national rule of stratum k counts as a rule of level k."""
CAPACITIES = (50, 99, 100, 150, 160, 170, 200, 250, 630, 1000)
"""Capacities near the thresholds the generated rules test."""


class Generated:
    """A plugin whose jurisdictions, rules and parameters are drawn by hypothesis."""

    def __init__(self, sources: list[RuleSource]) -> None:
        self.sources = sources

    def gridconnect_jurisdictions(self) -> list[Jurisdiction]:
        return [
            Jurisdiction(code=c, name=Text(en=a, zh=a), alias=a, parent=p)
            for c, a, p in CHAIN
            if c != "CN"
        ]

    def gridconnect_rule_sources(self) -> list[RuleSource]:
        return self.sources


def slot_test(c: Chooser, slot: str) -> Condition:
    """A well-typed test on a slot's conclusion: its values, ints for counts, ``present``."""
    path = SLOT_PREFIX + slot
    ftype = slot_fact_type(slot)
    assert ftype is not None
    if c.chance(15):
        return Present(path, c.chance(50))
    if ftype.kind == "bool":
        return Cmp(path, c.pick(("eq", "ne")), c.chance(50))
    if ftype.kind == "number":
        if c.chance(20):
            return In(path, (2, 3.0))
        return Cmp(path, c.pick(ORDERED), c.pick((1, 2, 2.5, 3, 3.0, 4)))
    assert ftype.values is not None
    values = sorted(ftype.values)
    if c.chance(25):
        return In(path, tuple(c.pick(values) for _ in range(c.number(1, 2))))
    return Cmp(path, c.pick(("eq", "ne")), c.pick(values))


def unknowable_test(c: Chooser) -> Condition:
    """A test on a fact an application may leave unknown."""
    roll = c.number(1, 100)
    if roll <= 35:
        return Cmp("capacity.kw", c.pick(("le", "gt")), ParamRef("gd.cap_kw"))
    if roll <= 55:
        return Cmp("capacity.kw", c.pick(ORDERED), c.pick((100, 160.0, 200, 630)))
    if roll <= 75:
        return Cmp("capacity.kva", c.pick(ORDERED), c.pick((100, 200, 250.0, 800)))
    owners = sorted(m.value for m in Ownership)
    if roll <= 82:
        return Present("applicant.ownership", c.chance(50))
    if roll <= 90:
        return In("applicant.ownership", tuple(c.pick(owners) for _ in range(c.number(1, 2))))
    return Cmp("applicant.ownership", c.pick(("eq", "ne")), c.pick(owners))


def fact_condition(c: Chooser) -> Condition:
    # What the loader accepts. A few tries, not assume(): one ill-typed condition among up
    # to twelve rules would throw the whole rulebook away, and Hypothesis gives up on that.
    for _ in range(5):
        when = condition(c, FACTS, None, 2)
        if not condition_problems(when, lambda name: None):
            return when
    return TRUE


def rule_condition(c: Chooser, readable: list[str], unset: list[str]) -> Condition:
    """A rule's condition: facts, perhaps a fact that may be unknown, and (from the second
    level on) the conclusions of the levels below: ``readable`` slots some rule sets, ``unset``
    slots it may read that no rule sets."""
    parts: list[Condition] = []
    if c.chance(70):
        parts.append(fact_condition(c))
    if c.chance(55):
        parts.append(unknowable_test(c))
    if readable or unset:
        for _ in range(c.number(1, 2)):
            pool = readable if readable and (not unset or c.chance(90)) else unset
            parts.append(slot_test(c, c.pick(pool)))
    parts = [Not(p) if c.chance(12) else p for p in parts]
    if len(parts) == 1:
        return parts[0]
    return Or(tuple(parts)) if c.chance(30) else And(tuple(parts))


@attrs.frozen
class Book:
    """A generated rulebook: the registry, and how its rules were levelled."""

    registry: Registry
    levels: int


@st.composite
def rulebooks(draw: st.DrawFn) -> Book:
    """Stratified rulebooks, acyclic by construction.

    Each readable slot belongs to a level; a rule of level L sets slots of levels L and above
    (and unreadable ones), reads only slots of levels below L, and is an exception only to rules
    of its level or above. Then every rule it must follow (the setters of what it reads, and
    their exceptions) has a lower level, so there is no cycle: the catalogue would refuse one.
    The national rules are levelled by their stratum (:data:`FLOOR`, :data:`CEILING`).
    """
    c = Chooser(draw)
    cap = Parameter(
        name="gd.cap_kw",
        title=Text(en="cap", zh="上限"),
        jurisdiction="440000",
        unit="kW",
        versions=(
            ParameterVersion(
                value=draw(st.sampled_from([100, 160, 200])),
                effective_from=date(2000, 1, 1),
                citation=CITE,
            ),
        ),
    )
    levels = c.number(2, 3)
    owner = {s: c.number(FLOOR[s], min(CEILING[s], levels - 1)) for s in READABLE}
    drafts: list[tuple[str, str, int, dict[str, Any]]] = []
    for i in range(c.number(1, 12)):
        code, alias, _ = c.pick(CHAIN[1:])
        level = c.number(0, levels - 1)
        settable = sorted(s for s in SLOTS if s not in owner or owner[s] >= level)
        slots = draw(st.lists(st.sampled_from(settable), min_size=1, max_size=2, unique=True))
        then = {s: c.pick(SLOTS[s]) for s in slots}
        drafts.append((f"{alias}.r{i}", code, level, then))
    set_somewhere = {s for *_, then in drafts for s in then}
    rules: dict[str, list[Rule]] = {code: [] for code, _, _ in CHAIN}
    for i, (rule_id, code, level, then) in enumerate(drafts):
        below = [s for s in READABLE if owner[s] < level]
        when = rule_condition(
            c,
            [s for s in below if s in set_somewhere],
            [s for s in below if s not in set_somewhere],
        )
        targets = [r for r, _, lv, _ in drafts[:i] if lv >= level]
        excepts = tuple(draw(st.lists(st.sampled_from(targets), max_size=1))) if targets else ()
        rules[code].append(
            Rule(
                id=rule_id,
                title=Text(en=rule_id, zh=rule_id),
                jurisdiction=code,
                effective_from=date(2000, 1, 1),
                citation=CITE,
                when=when,
                then=then,
                exception_to=excepts,
            )
        )
    sources = [RuleSource(jurisdiction="440000", parameters=(cap,))] + [
        RuleSource(jurisdiction=code, rules=tuple(rs))
        for code, rs in rules.items()
        if rs and code != "CN"
    ]
    registry = Registry(
        entry_points=False, environment=False, plugins=[("generated", Generated(sources))]
    )
    assert not registry.errors, registry.errors  # a cycle would be refused here
    return Book(registry, levels)


@st.composite
def cases(draw: st.DrawFn) -> Application:
    """Applications, half of them with a capacity near the rules' thresholds. Unknowns come from
    the strategy: a capacity without a power factor (kVA for the kW rules, kW for the kVA ones)
    and organisations that do not state their ownership."""
    app = draw(applications(divisions=DIVISIONS))
    if draw(st.booleans()):
        amount = Decimal(draw(st.sampled_from(CAPACITIES)))
        app = attrs.evolve(app, capacity=attrs.evolve(app.capacity, value=amount))
    return app


def decide_with(engine: str, app: Application, registry: Registry) -> str:
    try:
        decision = evaluate(app, engine=engine, registry=registry)
    except ConflictError as error:
        return f"conflict: {error}"
    data = decision.to_json().replace(f'"engine": "{engine}"', '"engine": "-"')
    return data


def describe(app: Application, book: Book, reference: str) -> None:
    """Hypothesis events: strata, unknown facts read, undetermined slots, questions."""
    rulebook = rulebook_for(app, registry=book.registry)
    event(f"levels drawn: {book.levels}; strata: {len(rulebook.strata)}")
    read_unknown = sorted(facts_of(app).unknown & rulebook.reads)
    event("unknown facts read: " + (", ".join(read_unknown) or "none"))
    if reference.startswith("conflict"):
        event("conflict")
        return
    data = json.loads(reference)
    undetermined = len(data["undetermined"])
    event(f"undetermined slots: {min(undetermined, 3)}{'+' if undetermined >= 3 else ''}")
    event("questions: " + (", ".join(q["path"] for q in data["questions"]) or "none"))
    outcomes = {t["outcome"] for t in data["trace"]}
    event("a rule matched" if outcomes - {"unknown"} else "no rule known to match")
    if any(s in data["undetermined"] for t in data["trace"] for s in t["unknown"]):
        event("a rule read an undetermined slot")
    if any(v["rule"] is not None for t in data["trace"] for v in t["slots"].values()):
        event("a rule read a decided slot")


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rulebooks(), cases())
def test_both_engines_give_the_same_decision_json_byte_for_byte(
    book: Book, app: Application
) -> None:
    reference = decide_with("reference", app, book.registry)
    describe(app, book, reference)
    assert decide_with("durable", app, book.registry) == reference


def reference_or_conflict(app: Application, registry: Registry) -> Decision | ConflictError:
    try:
        return evaluate(app, engine="reference", registry=registry)
    except ConflictError as error:
        return error


@settings(max_examples=examples(120), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rulebooks(),
    cases(),
    st.lists(power_factors(), min_size=1, max_size=3, unique=True),
)
def test_what_an_unknown_capacity_leaves_determined_no_power_factor_changes(
    book: Book, app: Application, factors: list[Decimal]
) -> None:
    app = attrs.evolve(app, power_factor=None, bundle=())
    partial = reference_or_conflict(app, book.registry)
    if isinstance(partial, ConflictError):
        event("conflict among rules known to apply")
        return
    event(f"undetermined slots: {len(partial.undetermined)}")
    ownership_known = "applicant.ownership" not in facts_of(app).unknown
    if ownership_known:
        # only the capacity is unknown: that is the one question, asked iff something waits
        expected = ["power_factor"] if partial.undetermined else []
        assert [q.path for q in partial.questions] == expected
    for factor in factors:
        complete = attrs.evolve(app, power_factor=factor)
        decided = reference_or_conflict(complete, book.registry)
        if isinstance(decided, ConflictError):
            # a conflict only the answer could bring about: the slot was undetermined
            assert decided.slot in partial.undetermined, (factor, decided.slot)
            event("the answer brings about a conflict")
            continue
        assert set(decided.undetermined) <= set(partial.undetermined), factor
        if ownership_known:
            assert decided.complete, factor
            assert not decided.questions, factor
        for slot in set(partial.conclusions) | set(decided.conclusions):
            if slot not in partial.undetermined:
                assert decided.value(slot) == partial.value(slot), (factor, slot)
