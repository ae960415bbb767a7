"""The published JSON Schemas are generated from the attrs classes and hold for real output.

Every example decision (both engines), every bundle plan, and the decisions of generated
applications validate against the schemas; a decision or plan with a key missing, a key too
many or a value outside its enum does not, so these checks can fail.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import gridconnect
from gridconnect.decide.bundle import BundlePlan, bundle_schema
from gridconnect.decide.decision import Deadline, Decision, TraceEntry
from gridconnect.decide.evaluate import ENGINES, evaluate, plan_for
from gridconnect.errors import ConflictError
from gridconnect.model.application import Application
from gridconnect.model.json_schema import SchemaBuilder, json_field, plain_text
from gridconnect.model.schema import application_schema
from gridconnect.output.schemas import decision_schema
from gridconnect.testing import strategies as gs

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "applications").glob("*.json"))
BUNDLED = ROOT / "examples" / "applications" / "guangzhou-nansha-bundle.json"
DIVISIONS = ("440115", "440112", "440106", "440604", "441900", "440304", "442000", "110101")

DECISION = Draft202012Validator(
    decision_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER
)
BUNDLE = Draft202012Validator(bundle_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)
APPLICATION = Draft202012Validator(application_schema())


def errors(validator: Draft202012Validator, data: Any) -> list[str]:
    """Every error, located: ``$.trace.0.outcome: 'maybe' is not one of [...]``."""
    return [
        "$." + ".".join(map(str, e.absolute_path)) + ": " + e.message
        for e in validator.iter_errors(data)
    ]


@pytest.fixture(scope="module")
def bundled() -> dict[str, Any]:
    """The decision JSON of the example bundled application: conclusions, deadlines, trace,
    acceptance and a bundle plan, so every mutation below has something to act on."""
    data: dict[str, Any] = json.loads(evaluate(gridconnect.load_application(BUNDLED)).to_json())
    assert {"bundle", "acceptance"} <= set(data)
    assert data["trace"]
    assert data["deadlines"]
    return data


# -- real output validates ---------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_decision_and_bundle_plan_validates(path: Path, engine: str) -> None:
    app = gridconnect.load_application(path)
    decision = evaluate(app, engine=engine)
    assert errors(DECISION, json.loads(decision.to_json())) == []
    plan = plan_for(app, engine=engine)  # electricity alone where the application bundles none
    assert errors(BUNDLE, json.loads(json.dumps(plan.to_dict()))) == []
    assert (decision.bundle is not None) == (path == BUNDLED)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_application_validates_as_read_and_as_written(path: Path) -> None:
    assert errors(APPLICATION, json.loads(path.read_text(encoding="utf-8"))) == []
    assert errors(APPLICATION, json.loads(gridconnect.load_application(path).to_json())) == []


def _decide(app: Application) -> Decision | None:
    try:
        return evaluate(app, engine="reference")
    except ConflictError:  # two rules known to apply disagree: an error, not a decision
        event("conflict")
        return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    gs.applications(divisions=DIVISIONS, applied_on=st.dates(date(2019, 1, 1), date(2027, 12, 31)))
    | gs.applications()
)
def test_the_decisions_of_generated_applications_validate(app: Application) -> None:
    assert errors(APPLICATION, json.loads(app.to_json())) == []
    decision = _decide(app)
    if decision is None:
        return
    event(f"bundle: {decision.bundle is not None}, questions: {bool(decision.questions)}")
    event(f"warnings: {bool(decision.warnings)}")
    data = json.loads(decision.to_json())
    assert errors(DECISION, data) == []
    if decision.bundle is not None:
        assert errors(BUNDLE, data["bundle"]) == []


# -- what is not the output is refused ---------------------------------------------------------

Mutation = Callable[[dict[str, Any]], object]

DECISION_MUTATIONS: dict[str, Mutation] = {
    "missing trace": lambda d: d.pop("trace"),
    "missing schema_version": lambda d: d.pop("schema_version"),
    "missing conclusion rule": lambda d: next(iter(d["conclusions"].values())).pop("rule"),
    "missing deadline due": lambda d: d["deadlines"][0].pop("due"),
    "missing trace outcome": lambda d: d["trace"][0].pop("outcome"),
    "missing citation title": lambda d: d["trace"][0]["citation"].pop("title"),
    "missing acceptance status": lambda d: d["acceptance"].pop("status"),
    "missing bundle savings": lambda d: d["bundle"].pop("savings"),
    "unknown key": lambda d: d.update(verdict="yes"),
    "unknown trace key": lambda d: d["trace"][0].update(when="true"),
    "unknown conclusion key": lambda d: next(iter(d["conclusions"].values())).update(slot="x"),
    "unknown deadline key": lambda d: d["deadlines"][0].update(days=3),
    "unknown citation key": lambda d: d["trace"][0]["citation"].update(page=3),
    "unknown bundle key": lambda d: d["bundle"].update(cost=0),
    "wrong outcome": lambda d: d["trace"][0].update(outcome="maybe"),
    "wrong engine": lambda d: d.update(engine="drools"),
    "wrong schema_version": lambda d: d.update(schema_version="1.0"),
    "wrong acceptance status": lambda d: d["acceptance"].update(status="perhaps"),
    "wrong confidence": lambda d: d["trace"][0]["citation"].update(confidence="rumour"),
    "wrong limit unit": lambda d: d["deadlines"][0]["limit"].update(unit="week"),
    "wrong bundle utility": lambda d: d["bundle"]["utilities"].append("coal"),
    "wrong date": lambda d: d["deadlines"][0].update(due="2026-02-30"),
    "null citation field": lambda d: d["trace"][0]["citation"].update(number=None),
    "empty warnings": lambda d: d.update(warnings=[]),
    "negative stratum": lambda d: d["trace"][0].update(stratum=-1),
}


@pytest.mark.parametrize("mutate", DECISION_MUTATIONS.values(), ids=DECISION_MUTATIONS.keys())
def test_a_mutated_decision_is_refused(bundled: dict[str, Any], mutate: Mutation) -> None:
    assert errors(DECISION, bundled) == []
    broken = copy.deepcopy(bundled)
    mutate(broken)
    assert errors(DECISION, broken) != []


BUNDLE_MUTATIONS: dict[str, Mutation] = {
    "missing form": lambda b: b.pop("form"),
    "missing trench permits": lambda b: b["trenches"][0].pop("permits"),
    "missing step due": lambda b: b["schedule"][0].pop("due"),
    "unknown document key": lambda b: b["documents"][0].update(copies=2),
    "unknown saving": lambda b: b["savings"].update(money={}),
    "second confirmation": lambda b: b["confirmation"].update(count=2),
    "wrong segment utility": lambda b: b["trenches"][0]["segments"][0].update(utility="coal"),
    "wrong form value": lambda b: b["form"][0].update(value=[1]),
}


@pytest.mark.parametrize("mutate", BUNDLE_MUTATIONS.values(), ids=BUNDLE_MUTATIONS.keys())
def test_a_mutated_bundle_plan_is_refused(bundled: dict[str, Any], mutate: Mutation) -> None:
    plan = copy.deepcopy(bundled["bundle"])
    assert errors(BUNDLE, plan) == []
    mutate(plan)
    assert errors(BUNDLE, plan) != []


# -- the schemas are generated from the classes -------------------------------------------------


@attrs.frozen
class Inner:
    """Inner part."""

    n: int


@attrs.frozen
class Outer:
    #: Kept under another name.
    a: str = attrs.field(metadata=json_field(name="alpha"))
    b: str = attrs.field(default="", metadata=json_field(omit=True))
    c: tuple[Inner, ...] = attrs.field(default=(), metadata=json_field(when_set=True))
    d: tuple[tuple[str, int], ...] = attrs.field(default=(), metadata=json_field(pairs=("k", "v")))
    e: Inner | None = None


def test_the_decision_schema_follows_the_classes() -> None:
    defs = decision_schema()["$defs"]
    top = defs["Decision"]
    json_keys = {f.name for f in attrs.fields(Decision)} | {"schema_version"}
    assert set(top["properties"]) == json_keys
    assert set(top["required"]) == json_keys - {"bundle", "warnings", "acceptance"}
    assert top["properties"]["engine"]["enum"] == list(ENGINES)
    # the trace leaves out the parsed condition (its text is ``condition``)
    assert set(defs["TraceEntry"]["properties"]) == {f.name for f in attrs.fields(TraceEntry)} - {
        "when"
    }
    assert defs["TraceEntry"]["properties"]["outcome"]["enum"][0] == "won"
    # descriptions come from the ``#:`` comments and the docstrings of the fields
    assert defs["Deadline"]["properties"]["due"]["description"] == (
        "The last day the stage may end on."
    )
    assert "unknown facts" in top["properties"]["undetermined"]["description"]
    assert defs["Deadline"]["description"] == plain_text(Deadline.__doc__ or "")
    # a rule's value is one definition, and a decision holds the bundle plan's
    assert {"Value", "BundlePlan", "Citation", "Limit", "Text"} <= set(defs)
    assert defs["BundlePlan"] == bundle_schema()["$defs"]["BundlePlan"]


def test_every_schema_closes_every_object_it_defines() -> None:
    for schema in (decision_schema(), bundle_schema(), application_schema()):
        for name, definition in schema["$defs"].items():
            if definition.get("type") == "object":
                assert definition["additionalProperties"] is False, name
                assert set(definition["required"]) <= set(definition["properties"]), name


def test_the_bundle_plan_schema_follows_to_dict() -> None:
    defs = bundle_schema()["$defs"]
    assert defs["BundlePlan"]["required"] == ["schema_version"] + [
        f.name for f in attrs.fields(BundlePlan)
    ]
    pairs = defs["Trench"]["properties"]["segments"]["items"]
    assert pairs["required"] == ["utility", "segment"]
    assert defs["LocatedProblem"]["required"] == ["path", "en", "zh"]


def test_the_builder_applies_field_metadata() -> None:
    out, inp = SchemaBuilder(output=True), SchemaBuilder(output=False)
    out.of(Outer), inp.of(Outer)
    written, read = out.defs["Outer"], inp.defs["Outer"]
    assert list(written["properties"]) == ["alpha", "c", "d", "e"]
    assert written["properties"]["alpha"]["description"] == "Kept under another name."
    assert written["required"] == ["alpha", "d", "e"]  # c only when set
    assert written["properties"]["c"]["minItems"] == 1
    assert written["properties"]["d"]["items"]["required"] == ["k", "v"]
    assert written["properties"]["e"] == {"anyOf": [{"$ref": "#/$defs/Inner"}, {"type": "null"}]}
    assert read["required"] == ["alpha"]
    assert out.defs["Inner"]["description"] == "Inner part."
    with pytest.raises(TypeError, match="no JSON Schema"):
        out.of(complex)
    with pytest.raises(TypeError, match="share the definition 'Inner'"):
        out.define(Outer, name="Inner")


def test_plain_text_drops_rst_markup() -> None:
    assert (
        plain_text("A :class:`~gridconnect.rules.model.Limit` of ``days``.") == "A Limit of days."
    )
    assert plain_text(":attr:`the track <Decision.track>`\n  here") == "the track here"
