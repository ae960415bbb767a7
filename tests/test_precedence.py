"""Resolution: exceptions beat what they except, then the more specific jurisdiction wins, and
anything else that disagrees is a conflict naming both rules and their sources."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import attrs
import pytest
from conftest import examples

import gridconnect
from gridconnect.decide.decision import DECISION_SCHEMA_VERSION
from gridconnect.decide.evaluate import evaluate
from gridconnect.errors import ConflictError
from gridconnect.model import Application
from gridconnect.model.codec import load_file
from gridconnect.plugins.registry import Registry
from gridconnect.rules.catalogue import Jurisdiction
from gridconnect.rules.conditions import TRUE, parse_condition
from gridconnect.rules.loader import RuleSource
from gridconnect.rules.model import Citation, Confidence, Limit, Rule, Text

EXAMPLES = sorted((Path(__file__).parent.parent / "examples" / "applications").glob("*.json"))

CITE = Citation(title="Test", issuer="Tester", confidence=Confidence.PRIMARY)
CHAIN = [
    Jurisdiction(code="440000", name=Text(en="Guangdong", zh="广东省"), alias="gd", parent="CN"),
    Jurisdiction(code="440600", name=Text(en="Foshan", zh="佛山市"), alias="fs", parent="440000"),
]


def make_rule(id: str, jurisdiction: str, then: dict[str, object], **kw: object) -> Rule:
    return Rule(
        id=id,
        title=Text(en=id, zh=id),
        jurisdiction=jurisdiction,
        effective_from=date(2000, 1, 1),
        citation=CITE,
        then=then,  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


class Plugin:
    """A plugin built in Python with the same classes a TOML file produces."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules

    def gridconnect_jurisdictions(self) -> list[Jurisdiction]:
        return CHAIN

    def gridconnect_rule_sources(self) -> list[RuleSource]:
        by_j: dict[str, list[Rule]] = {}
        for r in self.rules:
            by_j.setdefault(r.jurisdiction, []).append(r)
        return [RuleSource(jurisdiction=j, rules=tuple(rs)) for j, rs in by_j.items()]


def registry(*rules: Rule) -> Registry:
    return Registry(entry_points=False, environment=False, plugins=[("test", Plugin(list(rules)))])


@pytest.fixture
def foshan_resident() -> Application:
    return load_file(next(p for p in EXAMPLES if p.name == "foshan-resident.json"), Application)


def test_the_more_specific_jurisdiction_wins(foshan_resident: Application) -> None:
    reg = registry(
        make_rule("gd.limit", "440000", {"stage.connection": Limit(amount=5)}),
        make_rule("fs.limit", "440600", {"stage.connection": Limit(amount=1)}),
    )
    decision = evaluate(foshan_resident, engine="reference", registry=reg)
    assert decision.value("stage.connection") == Limit(amount=1)
    outcomes = {t.rule: (t.outcome, t.by) for t in decision.trace}
    assert outcomes["gd.limit"] == ("shadowed", ("fs.limit",))
    assert outcomes["fs.limit"] == ("won", ())


def test_an_exception_beats_the_rule_it_excepts_even_from_higher_up(
    foshan_resident: Application,
) -> None:
    reg = registry(
        make_rule("fs.general", "440600", {"approval.mode": "required"}),
        make_rule(
            "gd.special", "440000", {"approval.mode": "exempt"}, exception_to=("fs.general",)
        ),
    )
    decision = evaluate(foshan_resident, engine="reference", registry=reg)
    assert decision.value("approval.mode") == "exempt"
    outcomes = {t.rule: (t.outcome, t.by) for t in decision.trace}
    assert outcomes["fs.general"] == ("lost_to_exception", ("gd.special",))


def test_an_exception_that_does_not_apply_changes_nothing(foshan_resident: Application) -> None:
    never = parse_condition({"fact": "capacity.kw", "gt": 1e9})
    reg = registry(
        make_rule("fs.general", "440600", {"approval.mode": "required"}),
        make_rule(
            "fs.special",
            "440600",
            {"approval.mode": "exempt"},
            when=never,
            exception_to=("fs.general",),
        ),
    )
    decision = evaluate(foshan_resident, engine="reference", registry=reg)
    assert decision.value("approval.mode") == "required"


def test_equally_specific_rules_that_disagree_are_a_conflict_naming_both(
    foshan_resident: Application,
) -> None:
    reg = registry(
        make_rule("fs.a", "440600", {"stage.connection": Limit(amount=1)}),
        make_rule("fs.b", "440600", {"stage.connection": Limit(amount=2)}),
    )
    for _ in range(2):  # resolutions are cached per rulebook; a conflict never is
        with pytest.raises(ConflictError) as info:
            evaluate(foshan_resident, engine="reference", registry=reg)
    message = str(info.value)
    assert "fs.a" in message
    assert "fs.b" in message
    assert "Test" in message
    assert info.value.slot == "stage.connection"


def test_equally_specific_rules_that_agree_are_not_a_conflict(foshan_resident: Application) -> None:
    reg = registry(
        make_rule("fs.a", "440600", {"service.face_recognition": True}),
        make_rule("fs.b", "440600", {"service.face_recognition": True}),
    )
    decision = evaluate(foshan_resident, engine="reference", registry=reg)
    assert {t.rule: t.outcome for t in decision.trace if t.rule.startswith("fs.")} == {
        "fs.a": "won",
        "fs.b": "agreed",
    }


def test_only_rules_in_force_on_the_as_of_date_exist(foshan_resident: Application) -> None:
    old = make_rule(
        "fs.old",
        "440600",
        {"stage.connection": Limit(amount=9)},
        effective_until=date(2020, 12, 31),
    )
    new = attrs.evolve(
        old,
        effective_from=date(2021, 1, 1),
        effective_until=None,
        then={"stage.connection": Limit(amount=2)},
    )
    reg = registry(old, new)
    assert evaluate(
        foshan_resident, engine="reference", registry=reg, as_of=date(2020, 6, 1)
    ).value("stage.connection") == Limit(amount=9)
    assert evaluate(foshan_resident, engine="reference", registry=reg).value(
        "stage.connection"
    ) == Limit(amount=2)


def test_a_kva_application_is_not_compared_with_kw_silently_it_is_asked_for(
    foshan_resident: Application,
) -> None:
    from gridconnect.model import Capacity, CapacityUnit

    app = attrs.evolve(
        foshan_resident,
        capacity=Capacity(value=foshan_resident.capacity.value, unit=CapacityUnit.KVA),
    )
    # 8 kVA is 0 to 8 kW: on either side of 5 kW, so the rule waits on the power factor
    reg = registry(
        make_rule(
            "fs.cap",
            "440600",
            {"approval.parallel": True},
            when=parse_condition({"fact": "capacity.kw", "le": 5}),
        )
    )
    decision = evaluate(app, engine="reference", registry=reg)
    assert "approval.parallel" not in decision.conclusions
    assert decision.undetermined["approval.parallel"] == ("fs.cap",)
    # what does not read the capacity is decided
    assert decision.value("investment_boundary") == "building_zone_red_line"
    assert [q.path for q in decision.questions] == ["power_factor"]
    # but at most 8 kW is surely within 100 kW: decided by the bound, nothing asked
    reg = registry(
        make_rule(
            "fs.cap",
            "440600",
            {"approval.parallel": True},
            when=parse_condition({"fact": "capacity.kw", "le": 100}),
        )
    )
    decision = evaluate(app, engine="reference", registry=reg)
    assert decision.value("approval.parallel") is True
    assert decision.questions == ()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_decision_json_is_deterministic_and_has_no_personal_identifier(
    path: object, national_only: Registry
) -> None:
    app = load_file(path, Application)  # type: ignore[arg-type]
    first = evaluate(app, engine="reference", registry=national_only).to_json()
    second = evaluate(app, engine="reference", registry=national_only).to_json()
    assert first == second
    data = json.loads(first)
    assert data["schema_version"] == DECISION_SCHEMA_VERSION
    if app.applicant.resident_id is not None:
        assert app.applicant.resident_id.value not in first
    assert app.applicant.name not in first


def test_a_rule_with_no_condition_always_applies(foshan_resident: Application) -> None:
    reg = registry(make_rule("gd.always", "440000", {"service.e_licence": True}, when=TRUE))
    assert evaluate(foshan_resident, engine="reference", registry=reg).value("service.e_licence")


def test_without_durable_rules_the_reference_engine_is_used_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, foshan_resident: Application, national_only: Registry
) -> None:
    from gridconnect.decide import evaluate as api
    from gridconnect.engine import durable

    monkeypatch.setattr(durable, "available", lambda: False)
    api.get_engine.cache_clear()
    try:
        with pytest.warns(api.EngineFallbackWarning, match="reference engine"):
            engine = api.get_engine()
        assert engine.name == "reference"
        with pytest.raises(gridconnect.EngineError, match="durable_rules"):
            api.get_engine("durable")
        assert (
            evaluate(foshan_resident, engine=engine, registry=national_only).track == "three_zero"
        )
    finally:
        api.get_engine.cache_clear()


def test_decisions_do_not_depend_on_what_was_decided_before() -> None:
    """decide() resolves each combination of matched rules once per rulebook and reuses it: the
    same applications decided in opposite orders, each with a fresh registry, give the same
    decisions, and mutating a decision's mappings does not reach the next one."""
    from gridconnect.batch import iter_corpus
    from gridconnect.model.codec import structure

    apps = [
        structure(r, Application) for r in iter_corpus(examples(300), seed=7) if isinstance(r, dict)
    ]
    forward = {a.id: evaluate(a, engine="reference", registry=Registry()).to_json() for a in apps}
    reg = Registry()
    backward = {a.id: evaluate(a, engine="reference", registry=reg).to_json() for a in apps[::-1]}
    assert forward == backward

    first = evaluate(apps[0], engine="reference", registry=reg)
    first.conclusions.clear()  # type: ignore[attr-defined]
    first.trace[0].parameters.clear()  # type: ignore[attr-defined]
    first.trace[0].sets.clear()  # type: ignore[attr-defined]
    assert evaluate(apps[0], engine="reference", registry=reg).to_json() == forward[apps[0].id]
