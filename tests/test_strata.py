"""Rules that build on rules: conclusions read as facts (strata), parameters a city overrides,
and unknown facts that leave undetermined only what depends on them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import attrs
import pytest
from test_precedence import CHAIN, EXAMPLES, Plugin, make_rule

from gridconnect.decide.evaluate import evaluate, questions
from gridconnect.errors import ConflictError, RuleDataError
from gridconnect.model import Application
from gridconnect.model.application import Capacity
from gridconnect.model.enums import CapacityUnit, VoltageLevel
from gridconnect.plugins.registry import Registry
from gridconnect.rules.catalogue import Catalogue, Jurisdiction
from gridconnect.rules.conditions import parse_condition
from gridconnect.rules.loader import RuleSource, parse_rules
from gridconnect.rules.model import Limit, Rule, Text

BEFORE_NATIONAL = date(2019, 6, 3)  # no national rule is in force yet
ENGINES = ["reference", "durable"]


def when(data: dict[str, object]) -> object:
    return parse_condition(data)


def registry(*rules: Rule) -> Registry:
    return Registry(entry_points=False, environment=False, plugins=[("test", Plugin(list(rules)))])


NATION = Jurisdiction(code="CN", name=Text(en="China", zh="中国"), alias="cn")


def catalogue(*rules: Rule, sources: tuple[RuleSource, ...] = ()) -> Catalogue:
    """The catalogue of these rules alone: errors raise (a registry sets a broken plugin aside)."""
    by_j: dict[str, list[Rule]] = {}
    for r in rules:
        by_j.setdefault(r.jurisdiction, []).append(r)
    made = [RuleSource(jurisdiction=j, rules=tuple(rs)) for j, rs in by_j.items()]
    return Catalogue([NATION, *CHAIN], [*made, *sources])


@pytest.fixture
def resident() -> Application:
    from gridconnect.model.codec import load_file

    app = load_file(next(p for p in EXAMPLES if p.name == "foshan-resident.json"), Application)
    return attrs.evolve(app, applied_on=BEFORE_NATIONAL)


SUPPLY_LOW = make_rule(
    "gd.supply.low",
    "440000",
    {"supply": "low_voltage"},
    when=when({"fact": "capacity.kw", "le": 160}),
)
SUPPLY_HIGH = make_rule(
    "gd.supply.high",
    "440000",
    {"supply": "high_voltage"},
    when=when({"fact": "capacity.kw", "gt": 160}),
)
TRACK = make_rule(
    "gd.track.three_zero",
    "440000",
    {"track": "three_zero"},
    when=when({"slot": "supply", "eq": "low_voltage"}),
)
LIMIT = make_rule(
    "fs.limit.one_day",
    "440600",
    {"stage.whole_process": Limit(amount=1)},
    when=when({"slot": "track", "eq": "three_zero"}),
)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_rule_reads_what_an_earlier_stratum_decided(resident: Application, engine: str) -> None:
    decision = evaluate(resident, engine=engine, registry=registry(LIMIT, TRACK, SUPPLY_LOW))
    assert decision.supply == "low_voltage"
    assert decision.track == "three_zero"
    assert decision.value("stage.whole_process") == Limit(amount=1)
    by_rule = {t.rule: t for t in decision.trace}
    assert [t.rule for t in decision.trace] == [
        "gd.supply.low",
        "gd.track.three_zero",
        "fs.limit.one_day",
    ]
    assert [t.stratum for t in decision.trace] == [0, 1, 2]
    # the chain: each conclusion read names the rule that decided it
    track_read = by_rule["fs.limit.one_day"].slots["track"]
    assert track_read is not None
    assert track_read.rule == "gd.track.three_zero"
    supply_read = by_rule["gd.track.three_zero"].slots["supply"]
    assert supply_read is not None
    assert supply_read.rule == "gd.supply.low"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_slot_no_rule_decides_is_absent_not_unknown(resident: Application, engine: str) -> None:
    big = attrs.evolve(resident, capacity=Capacity(value=Decimal(500), unit=CapacityUnit.KW))
    decision = evaluate(big, engine=engine, registry=registry(TRACK, SUPPLY_LOW))
    assert decision.supply is None
    assert decision.track is None
    assert decision.complete
    assert not decision.questions


def test_a_cycle_through_slots_is_refused_naming_every_rule_and_slot() -> None:
    a = make_rule(
        "gd.a", "440000", {"supply": "low_voltage"}, when=when({"slot": "track", "eq": "standard"})
    )
    b = make_rule(
        "fs.b", "440600", {"track": "standard"}, when=when({"slot": "supply", "eq": "low_voltage"})
    )
    with pytest.raises(RuleDataError) as caught:
        catalogue(a, b)
    message = str(caught.value)
    assert "cycle" in message
    assert "循环" in message
    for name in ("gd.a", "fs.b", "supply", "track"):
        assert name in message


def test_a_rule_reading_its_own_slot_is_a_cycle() -> None:
    selfish = make_rule(
        "gd.selfish",
        "440000",
        {"track": "standard"},
        when=when({"slot": "track", "present": False}),
    )
    with pytest.raises(RuleDataError, match=r"gd\.selfish reads track"):
        catalogue(selfish)


def test_rules_in_different_chains_never_form_a_cycle() -> None:
    other = Jurisdiction(
        code="441900", name=attrs.evolve(CHAIN[0].name), alias="dg", parent="440000"
    )
    a = make_rule(
        "fs.a", "440600", {"supply": "low_voltage"}, when=when({"slot": "track", "eq": "standard"})
    )
    b = make_rule(
        "dg.b", "441900", {"track": "standard"}, when=when({"slot": "supply", "eq": "low_voltage"})
    )

    class TwoCities(Plugin):
        def gridconnect_jurisdictions(self) -> list[Jurisdiction]:
            return [*CHAIN, other]

    reg = Registry(entry_points=False, environment=False, plugins=[("t", TwoCities([a, b]))])
    assert len(reg.catalogue.rules) >= 2


@pytest.mark.parametrize(
    ("condition", "problem"),
    [
        ({"slot": "suply", "eq": "low_voltage"}, "no slot 'suply'"),
        ({"slot": "stage.whole_process", "present": True}, "no slot 'stage.whole_process'"),
        ({"slot": "supply", "eq": "medium_voltage"}, "'medium_voltage' is not one of"),
        ({"slot": "zero_investment", "eq": "yes"}, "text cannot be compared with a bool"),
    ],
)
def test_slot_reads_are_type_checked_when_loaded(
    condition: dict[str, object], problem: str
) -> None:
    rule = make_rule("gd.reader", "440000", {"track": "standard"}, when=when(condition))
    with pytest.raises(RuleDataError, match=problem):
        catalogue(rule)


def test_fact_paths_cannot_name_slots() -> None:
    with pytest.raises(Exception, match="dotted path"):
        parse_condition({"fact": "slot:supply", "eq": "low_voltage"})


# -- unknown facts -----------------------------------------------------------------------------


def kva(app: Application, amount: int, voltage: VoltageLevel | None = None) -> Application:
    return attrs.evolve(
        app,
        capacity=Capacity(value=Decimal(amount), unit=CapacityUnit.KVA),
        power_factor=None,
        voltage=voltage,
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_an_unknown_fact_leaves_undetermined_only_what_depends_on_it(
    resident: Application, engine: str
) -> None:
    steps = make_rule("gd.steps", "440000", {"procedure_steps": 2})
    reg = registry(SUPPLY_LOW, SUPPLY_HIGH, TRACK, LIMIT, steps)
    decision = evaluate(kva(resident, 180), engine=engine, registry=reg)
    assert decision.value("procedure_steps") == 2  # does not depend on the capacity
    assert set(decision.undetermined) == {"supply", "track", "stage.whole_process"}
    assert decision.undetermined["supply"] == ("gd.supply.high", "gd.supply.low")
    assert decision.undetermined["track"] == ("gd.track.three_zero",)
    assert [q.path for q in decision.questions] == ["power_factor"]
    (question,) = decision.questions
    assert question.facts == ("capacity.kw",)
    assert question.slots == ("stage.whole_process", "supply", "track")
    assert question.rules == ("gd.supply.high", "gd.supply.low")
    assert question.prompt.zh
    assert question.prompt.en
    outcomes = {t.rule: t.outcome for t in decision.trace}
    assert outcomes == {
        "gd.steps": "won",
        "gd.supply.high": "unknown",
        "gd.supply.low": "unknown",
        "gd.track.three_zero": "unknown",
        "fs.limit.one_day": "unknown",
    }
    unknown = {t.rule: t.unknown for t in decision.trace}
    assert unknown["gd.supply.low"] == ("capacity.kw",)
    assert unknown["gd.track.three_zero"] == ("supply",)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_answer_settles_the_question(resident: Application, engine: str) -> None:
    reg = registry(SUPPLY_LOW, SUPPLY_HIGH, TRACK, LIMIT)
    answered = attrs.evolve(kva(resident, 180), power_factor=Decimal("0.85"))  # 153 kW
    decision = evaluate(answered, engine=engine, registry=reg)
    assert decision.complete
    assert not decision.questions
    assert decision.supply == "low_voltage"
    assert decision.track == "three_zero"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_fact_no_rule_reads_is_never_asked(resident: Application, engine: str) -> None:
    by_voltage = make_rule(
        "gd.supply.hv",
        "440000",
        {"supply": "high_voltage"},
        when=when({"fact": "voltage.requested", "eq": "10kV"}),
    )
    decision = evaluate(
        kva(resident, 1250, VoltageLevel.KV10), engine=engine, registry=registry(by_voltage)
    )
    assert decision.supply == "high_voltage"
    assert decision.complete
    assert decision.questions == ()
    assert questions(kva(resident, 1250, VoltageLevel.KV10), registry=registry(by_voltage)) == ()


@pytest.mark.parametrize("engine", ENGINES)
def test_an_unknown_rule_that_agrees_does_not_undetermine(
    resident: Application, engine: str
) -> None:
    always_low = make_rule("gd.supply.always_low", "440000", {"supply": "low_voltage"})
    decision = evaluate(
        kva(resident, 180), engine=engine, registry=registry(always_low, SUPPLY_LOW)
    )
    assert decision.supply == "low_voltage"
    assert decision.complete
    assert decision.conclusions["supply"].rule == "gd.supply.always_low"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_conflict_only_an_answer_could_cause_is_undetermined(
    resident: Application, engine: str
) -> None:
    always_low = make_rule("gd.supply.always_low", "440000", {"supply": "low_voltage"})
    decision = evaluate(
        kva(resident, 180), engine=engine, registry=registry(always_low, SUPPLY_HIGH)
    )
    assert decision.undetermined == {"supply": ("gd.supply.high",)}
    outcomes = {t.rule: t.outcome for t in decision.trace}
    assert outcomes == {"gd.supply.always_low": "pending", "gd.supply.high": "unknown"}
    # with the answer, the conflict is real and says so
    answered = attrs.evolve(kva(resident, 180), power_factor=Decimal(1))
    with pytest.raises(ConflictError):
        evaluate(answered, engine=engine, registry=registry(always_low, SUPPLY_HIGH))


@pytest.mark.parametrize("engine", ENGINES)
def test_an_exception_that_may_apply_makes_its_target_pending(
    resident: Application, engine: str
) -> None:
    base = make_rule("gd.limit", "440000", {"stage.connection": Limit(amount=5)})
    big = make_rule(
        "gd.limit.big",
        "440000",
        {"stage.connection": Limit(amount=10)},
        when=when({"fact": "capacity.kw", "gt": 100}),
        exception_to=("gd.limit",),
    )
    decision = evaluate(kva(resident, 180), engine=engine, registry=registry(base, big))
    assert decision.undetermined == {"stage.connection": ("gd.limit.big",)}
    assert {t.rule: t.outcome for t in decision.trace} == {
        "gd.limit": "pending",
        "gd.limit.big": "unknown",
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_not_of_an_unknown_test_is_unknown(resident: Application, engine: str) -> None:
    rule = make_rule(
        "gd.not_small",
        "440000",
        {"zero_investment": False},
        when=when({"not": {"fact": "capacity.kw", "le": 100}}),
    )
    decision = evaluate(kva(resident, 180), engine=engine, registry=registry(rule))
    assert decision.undetermined == {"zero_investment": ("gd.not_small",)}
    # or with a known true side is true whatever the unknown
    either = make_rule(
        "gd.either",
        "440000",
        {"zero_investment": True},
        when=when(
            {
                "or": [
                    {"fact": "capacity.kw", "le": 100},
                    {"fact": "applicant.kind", "eq": "resident"},
                ]
            }
        ),
    )
    decided = evaluate(kva(resident, 180), engine=engine, registry=registry(either))
    assert decided.value("zero_investment") is True
    assert decided.complete


@pytest.mark.parametrize("engine", ENGINES)
def test_an_organisation_that_does_not_state_its_ownership_is_asked(engine: str) -> None:
    from gridconnect.model.codec import load_file

    app = load_file(
        next(p for p in EXAMPLES if p.name == "guangzhou-180kw-small-enterprise.json"), Application
    )
    app = attrs.evolve(
        app, applicant=attrs.evolve(app.applicant, ownership=None), applied_on=BEFORE_NATIONAL
    )
    private = make_rule(
        "gd.private",
        "440000",
        {"zero_investment": True},
        when=when({"fact": "applicant.ownership", "eq": "private"}),
    )
    decision = evaluate(app, engine=engine, registry=registry(private))
    assert [q.path for q in decision.questions] == ["applicant.ownership"]
    assert decision.questions[0].schema["enum"][0] == "private"


# -- parameters a child jurisdiction overrides ---------------------------------------------


def _rules(text: str) -> RuleSource:
    import tomllib

    return parse_rules(tomllib.loads(text), "<test>")


CAP_RULES = """
jurisdiction = "440000"
[citations.c]
title = "Test"
issuer = "Tester"
confidence = "primary"
[[parameters]]
name = "gd.cap_kw"
title = { en = "cap", zh = "上限" }
unit = "kW"
versions = [ { value = 160, effective_from = 2000-01-01, citation = { ref = "c" } } ]
[[rules]]
id = "gd.supply.low"
title = { en = "low", zh = "低压" }
effective_from = 2000-01-01
when = { fact = "capacity.kw", le = { param = "gd.cap_kw" } }
then = { supply = "low_voltage" }
citation = { ref = "c" }
"""

OVERRIDE = """
jurisdiction = "440600"
[citations.fs]
title = "Foshan plan"
issuer = "Foshan"
number = "佛测〔2018〕1号"
confidence = "press"
[[parameters]]
name = "gd.cap_kw"
title = { en = "cap", zh = "上限" }
unit = "kW"
versions = [ { value = 200, effective_from = 2019-01-01, citation = { ref = "fs" } } ]
"""


class Sources(Plugin):
    def __init__(self, *sources: RuleSource) -> None:
        self.sources = list(sources)

    def gridconnect_rule_sources(self) -> list[RuleSource]:
        return self.sources


def test_a_city_overrides_an_inherited_parameter_on_its_dates(resident: Application) -> None:
    reg = Registry(
        entry_points=False,
        environment=False,
        plugins=[("t", Sources(_rules(CAP_RULES), _rules(OVERRIDE)))],
    )
    app = attrs.evolve(resident, capacity=Capacity(value=Decimal(180), unit=CapacityUnit.KW))
    decision = evaluate(app, engine="reference", registry=reg)
    assert decision.supply == "low_voltage"
    (entry,) = [t for t in decision.trace if t.rule == "gd.supply.low"]
    use = entry.parameters["gd.cap_kw"]
    assert (use.value, use.jurisdiction, use.overrides) == (200, "440600", "440000")
    assert "佛测〔2018〕1号" in use.citation.short()
    # before the override is in force, the province's own value applies
    early = evaluate(
        attrs.evolve(app, applied_on=date(2018, 6, 1)), engine="reference", registry=reg
    )
    assert early.supply is None  # 180 kW > the province's 160
    small = attrs.evolve(
        app,
        applied_on=date(2018, 6, 1),
        capacity=Capacity(value=Decimal(150), unit=CapacityUnit.KW),
    )
    (own,) = [t for t in evaluate(small, registry=reg).trace if t.rule == "gd.supply.low"]
    assert own.parameters["gd.cap_kw"].overrides is None
    assert own.parameters["gd.cap_kw"].value == 160
    # the JSON trace says whose value it is and what it overrides
    (json_entry,) = [t for t in decision.to_dict()["trace"] if t["rule"] == "gd.supply.low"]
    assert json_entry["parameters"]["gd.cap_kw"]["overrides"] == "440000"
    assert json_entry["parameters"]["gd.cap_kw"]["jurisdiction"] == "440600"


def test_an_override_needs_a_parameter_above_and_its_unit() -> None:
    orphan = OVERRIDE.replace("gd.cap_kw", "gd.nope_kw")
    with pytest.raises(RuleDataError, match="unless they override"):
        catalogue(sources=(_rules(CAP_RULES), _rules(orphan)))
    other_unit = OVERRIDE.replace('unit = "kW"', 'unit = "kVA"')
    with pytest.raises(RuleDataError, match="keeps the parameter's unit"):
        catalogue(sources=(_rules(CAP_RULES), _rules(other_unit)))
    upwards = CAP_RULES.replace('jurisdiction = "440000"', 'jurisdiction = "440600"').replace(
        "gd.", "fs."
    )
    province = OVERRIDE.replace('jurisdiction = "440600"', 'jurisdiction = "440000"').replace(
        "gd.cap_kw", "fs.cap_kw"
    )
    with pytest.raises(RuleDataError, match="unless they override"):
        catalogue(sources=(_rules(upwards), _rules(province)))


@pytest.mark.parametrize("engine", ENGINES)
def test_decision_json_with_questions_fits_its_published_schema(
    resident: Application, engine: str
) -> None:
    import json

    jsonschema = pytest.importorskip("jsonschema")
    from gridconnect.output.schemas import decision_schema

    reg = registry(SUPPLY_LOW, SUPPLY_HIGH, TRACK, LIMIT)
    for app in (resident, kva(resident, 180)):
        data = json.loads(evaluate(app, engine=engine, registry=reg).to_json())
        jsonschema.validate(data, decision_schema())
    for path in EXAMPLES:
        from gridconnect.model.codec import load_file

        shipped = json.loads(evaluate(load_file(path, Application), engine=engine).to_json())
        jsonschema.validate(shipped, decision_schema())


@pytest.mark.parametrize("engine", ENGINES)
def test_a_slot_no_rule_of_the_rulebook_sets_is_absent(resident: Application, engine: str) -> None:
    """Found by the agreement property: the reader lands in stratum 0 with nothing before it."""
    reader = make_rule(
        "gd.reader",
        "440000",
        {"track": "standard"},
        when=when({"slot": "supply", "present": False}),
    )
    decision = evaluate(resident, engine=engine, registry=registry(reader))
    assert decision.track == "standard"
    assert decision.complete
