"""Both engines give the same decision JSON, byte for byte, on generated applications and
generated rulebooks (generated rules and parameters, not only the shipped ones)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_engine_durable import Chooser, condition

from gridconnect.api import evaluate
from gridconnect.engine import durable
from gridconnect.errors import ConflictError, UnitError
from gridconnect.model import Application
from gridconnect.registry import Registry
from gridconnect.rules.catalogue import Jurisdiction
from gridconnect.rules.conditions import TRUE, And, Cmp, ParamRef, condition_problems
from gridconnect.rules.facts import FACTS
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
from gridconnect.testing.strategies import applications

pytestmark = pytest.mark.skipif(not durable.available(), reason="durable_rules not importable")

CITE = Citation(title="generated", issuer="test", confidence=Confidence.PRESS)
CHAIN = [
    ("CN", "cn", None),
    ("440000", "gd", "CN"),
    ("440100", "gz", "440000"),
]
SLOTS: dict[str, list[Any]] = {
    "track": ["three_zero", "three_save", "standard"],
    "supply": ["low_voltage", "high_voltage"],
    "zero_investment": [True, False],
    "approval.mode": ["exempt", "filing", "required"],
    "stage.whole_process": [Limit(amount=3, unit=LimitUnit.DAY), Limit(amount=5)],
    "document.identity": ["required", "waived"],
    "procedure_steps": [2, 3],
}


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


@st.composite
def rulebooks(draw: st.DrawFn) -> Registry:
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
    rules: dict[str, list[Rule]] = {code: [] for code, _, _ in CHAIN}
    ids: list[str] = []
    for i in range(draw(st.integers(1, 12))):
        code, alias, _ = draw(st.sampled_from(CHAIN[1:]))
        # What the loader accepts. A few tries, not assume(): one ill-typed condition among up
        # to twelve rules would throw the whole rulebook away, and Hypothesis gives up on that.
        for _ in range(5):
            when = condition(c, FACTS, None, 2)
            if not condition_problems(when, lambda name: None):
                break
        else:
            when = TRUE
        if draw(st.booleans()):
            when = And((when, Cmp("capacity.kw", "le", ParamRef("gd.cap_kw"))))
        slots = draw(st.lists(st.sampled_from(sorted(SLOTS)), min_size=1, max_size=3, unique=True))
        rule_id = f"{alias}.r{i}"
        excepts = (
            tuple(draw(st.lists(st.sampled_from(ids), max_size=1, unique=True))) if ids else ()
        )
        rules[code].append(
            Rule(
                id=rule_id,
                title=Text(en=rule_id, zh=rule_id),
                jurisdiction=code,
                effective_from=date(2000, 1, 1),
                citation=CITE,
                when=when,
                then={s: draw(st.sampled_from(SLOTS[s])) for s in slots},
                exception_to=excepts,
            )
        )
        ids.append(rule_id)
    sources = [RuleSource(jurisdiction="440000", parameters=(cap,))] + [
        RuleSource(jurisdiction=code, rules=tuple(rs))
        for code, rs in rules.items()
        if rs and code != "CN"
    ]
    registry = Registry(
        entry_points=False, environment=False, plugins=[("generated", Generated(sources))]
    )
    assert not registry.errors, registry.errors
    return registry


def decide_with(engine: str, app: Application, registry: Registry) -> str:
    try:
        decision = evaluate(app, engine=engine, registry=registry)
    except ConflictError as error:
        return f"conflict: {error}"
    data = decision.to_json().replace(f'"engine": "{engine}"', '"engine": "-"')
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rulebooks(), applications(divisions=["440106", "440100", "440000"]))
def test_both_engines_give_the_same_decision_json_byte_for_byte(
    registry: Registry, app: Application
) -> None:
    try:
        reference = decide_with("reference", app, registry)
    except UnitError:
        return  # a kVA application without a power factor, compared with kW: refused by both
    event("conflict" if reference.startswith("conflict") else "decided")
    event("some rule matched" if '"rule": "g' in reference else "no generated rule matched")
    assert decide_with("durable", app, registry) == reference
