"""The statechart and the proactive (主动办) rules are rule data: checked where they are loaded,
evaluated statelessly on durable_rules with the reference engine as the oracle, and shipped by
the Guangzhou plugin through the gridconnect_lifecycle_rules hook."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pytest
from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridconnect.decide.evaluate import get_engine
from gridconnect.engine import durable
from gridconnect.errors import RuleDataError
from gridconnect.lifecycle.events import Event, EventKind, PauseReason, Submitted, parse_event
from gridconnect.lifecycle.rules import (
    APPLICATION_STATES,
    LIFECYCLE_FACTS,
    PROJECT_STATES,
    LifecycleRule,
    load_lifecycle_text,
    parse_lifecycle_rules,
    scope_of,
)
from gridconnect.lifecycle.statechart import Statechart, facts_for
from gridconnect.lifecycle.tracker import Tracker
from gridconnect.model.application import Application
from gridconnect.model.codec import load_file
from gridconnect.plugins.hookspecs import hookimpl
from gridconnect.plugins.registry import Registry, default_registry
from gridconnect.rules.model import Confidence

ROOT = Path(__file__).resolve().parent.parent
HUANGPU = ("CN", "440000", "440100", "440112")
FOSHAN = ("CN", "440000", "440600")
ON = date(2025, 3, 3)


@pytest.fixture(scope="module")
def chart() -> Statechart:
    registry = default_registry()
    return Statechart(registry.lifecycle_rules, registry.catalogue, get_engine("reference"))


def _national() -> tuple[LifecycleRule, ...]:
    """The generic lifecycle, which the national plugin publishes."""
    return Registry(entry_points=False, environment=False).lifecycle_rules


def event(kind: str, **fields: Any) -> Any:
    base: dict[str, Any] = {"id": "e", "kind": kind, "on": ON.isoformat()}
    if scope_of(EventKind(kind)) == "project":
        base |= {"project": "P", "division": "440112"}
    else:
        base |= {"application": "A"}
    if kind == "pause_started":
        base |= {"period": "p", "reason": "customer"}
    if kind == "pause_ended":
        base |= {"period": "p"}
    if kind == "submitted":
        return None  # needs an application; facts_for only reads the kind
    return parse_event(base | fields)


# -- the generic lifecycle ------------------------------------------------------------------------

APPLICATION_PATH = [
    ("new", "submitted", "submitted"),
    ("submitted", "accepted", "accepted"),
    ("accepted", "supply_plan_answered", "plan_answered"),
    ("plan_answered", "design_reviewed", "design_reviewed"),
    ("design_reviewed", "intermediate_inspected", "intermediate_inspected"),
    ("intermediate_inspected", "completion_inspected", "completion_inspected"),
    ("completion_inspected", "metered_connected", "connected"),
    ("accepted", "metered_connected", "connected"),  # low voltage: straight to connection
    ("plan_answered", "completion_inspected", "completion_inspected"),
]
ILLEGAL = [
    ("new", "accepted"),
    ("submitted", "metered_connected"),
    ("plan_answered", "supply_plan_answered"),  # a step never repeats
    ("completion_inspected", "design_reviewed"),  # nor goes backwards
    ("connected", "accepted"),  # and nothing follows the last
    ("connected", "pause_started"),
]


def application_facts(state: str, kind: str, pause: str | None = None, **fields: Any) -> Any:
    if kind == "submitted":
        facts = facts_for(state, event("accepted"))
        facts["event.kind"] = "submitted"
        return facts
    return facts_for(state, event(kind, **fields), pause)


@pytest.mark.parametrize(("state", "kind", "target"), APPLICATION_PATH)
def test_an_application_moves_along_the_process(
    chart: Statechart, state: str, kind: str, target: str
) -> None:
    step = chart.step(HUANGPU, ON, application_facts(state, kind))
    assert step.target == target
    assert step.problem is None


@pytest.mark.parametrize(("state", "kind"), ILLEGAL)
def test_an_illegal_event_is_rejected_with_a_bilingual_reason(
    chart: Statechart, state: str, kind: str
) -> None:
    step = chart.step(HUANGPU, ON, application_facts(state, kind))
    assert step.rejected
    assert step.problem is not None
    assert f"{kind} is not allowed while the application is {state}" in step.problem.en
    assert f"不允许 {kind}" in step.problem.zh


def test_the_reason_names_what_was_expected_and_the_pause_period(chart: Statechart) -> None:
    step = chart.step(HUANGPU, ON, application_facts("submitted", "metered_connected"))
    assert step.problem is not None
    assert step.problem.en.endswith("expected here: accepted, pause_started, pause_ended")
    assert "此时可接受：accepted" in step.problem.zh
    never = chart.step(HUANGPU, ON, application_facts("accepted", "pause_ended", "none"))
    assert never.problem is not None
    assert "(its period was never started)" in never.problem.en
    twice = chart.step(HUANGPU, ON, application_facts("accepted", "pause_started", "open"))
    assert twice.problem is not None
    assert "(its period is already open)" in twice.problem.en
    reused = chart.step(HUANGPU, ON, application_facts("accepted", "pause_started", "closed"))
    assert reused.rejected


def test_pauses_keep_the_state_and_are_cited_to_the_licensing_law(chart: Statechart) -> None:
    for reason in PauseReason:
        facts = application_facts("accepted", "pause_started", "none", reason=reason.value)
        step = chart.step(HUANGPU, ON, facts)
        assert step.target == "accepted"
        (rule,) = step.rules
        cited = next(r for r in chart.rules if r.id == rule).citation
        assert (cited.article == "第四十五条") == reason.legal
    closing = chart.step(HUANGPU, ON, application_facts("connected", "pause_ended", "open"))
    assert closing.target == "connected"


def test_a_project_moves_forward_only(chart: Statechart) -> None:
    def go(state: str, kind: str) -> str | None:
        return chart.step(HUANGPU, ON, facts_for(state, event(kind))).target

    assert go("new", "project_approved") == "approved"
    assert go("new", "construction_permit") == "construction_permitted"  # data may start late
    assert go("approved", "land_transferred") == "approved"
    assert go("completed", "enterprise_registered") == "completed"
    assert go("construction_permitted", "land_use_permit") is None
    assert go("completed", "completion_accepted") is None


def test_every_state_is_reachable_and_only_connected_and_completed_are_final() -> None:
    rules = [r for r in default_registry().lifecycle_rules if r.jurisdiction == "CN"]
    assert rules  # the national plugin publishes the generic lifecycle
    for scope, states, final in (
        ("application", APPLICATION_STATES, {"connected"}),
        ("project", PROJECT_STATES, {"completed"}),
    ):
        moves = [r for r in rules if r.scope == scope and r.to is not None]
        reached = {"new"} | {r.to for r in moves}
        assert reached == set(states)
        leaving = {s for r in moves for s in r.from_states}
        assert set(states) - leaving == final


# -- 主动办 in Guangzhou ---------------------------------------------------------------------------


def test_guangzhou_ships_its_proactive_rules_through_the_hook() -> None:
    registry = default_registry()
    by_id = {r.id: r for r in registry.lifecycle_rules}
    assert {
        "guangzhou.proactive.open_case",
        "guangzhou.proactive.start_grid_works",
        "guangzhou.proactive.joint_acceptance",
    } <= set(by_id)
    info = next(p for p in registry.plugins if p.name == "guangzhou")
    assert {r.id for r in info.lifecycle_rules} == {r for r in by_id if r.startswith("guangzhou.")}
    for rule in info.lifecycle_rules:
        assert rule.jurisdiction == "440100"
        assert rule.citation.confidence is Confidence.SOURCE_ARTICLE
        # the article's own sentence, recorded on the sources page (tests/test_article_quotes.py)
        assert rule.citation.quote
        assert rule.citation.quote.startswith("在用户工程项目")
        assert not rule.transition  # the national rules move the project; these add actions
    assert by_id["guangzhou.proactive.open_case"].on is EventKind.LAND_USE_PERMIT


@pytest.mark.parametrize(
    ("kind", "action"),
    [
        ("land_use_permit", "open_proactive_case"),
        ("construction_permit", "start_grid_works"),
        ("completion_accepted", "joint_acceptance_and_connection"),
    ],
)
def test_a_project_event_with_demand_triggers_its_action_in_guangzhou_only(
    chart: Statechart, kind: str, action: str
) -> None:
    state = "approved" if kind != "completion_accepted" else "construction_permitted"
    demand = facts_for(state, event(kind))
    step = chart.step(HUANGPU, ON, demand)
    assert [a.name for _, a in step.actions] == [action]
    assert step.target is not None
    assert chart.step(FOSHAN, ON, demand).actions == ()
    assert chart.step(HUANGPU, date(2021, 5, 20), demand).actions == ()  # before it was in force
    none = facts_for(state, event(kind, has_electricity_demand=False))
    assert chart.step(HUANGPU, ON, none).actions == ()


def test_an_illegal_project_event_triggers_no_action(chart: Statechart) -> None:
    step = chart.step(HUANGPU, ON, facts_for("completed", event("land_use_permit")))
    assert step.rejected
    assert step.actions == ()


# -- loading and checking rule data -----------------------------------------------------------------

HEADER = """
jurisdiction = "440100"
[citations.a]
title = "t"
issuer = "i"
confidence = "press"
"""


def rule(body: str) -> str:
    return (
        HEADER
        + f"""
[[rules]]
id = "guangzhou.x"
title = {{ en = "x", zh = "x" }}
effective_from = 2025-01-01
citation = {{ ref = "a" }}
{body}
"""
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('on = "acepted"\nto = "accepted"', "on: must be one of"),
        ('on = "accepted"\nto = "approved"', "'approved' is not a state of a application"),
        ('on = "accepted"\nfrom = ["completed"]\nto = "accepted"', "from: 'completed'"),
        ('on = "accepted"\nto = "accepted"\nstay = true', "either to or stay"),
        ('on = "accepted"', "the rule does nothing"),
        ('on = "accepted"\nstay = true\nwhen = { fact = "state", eq = "nowhere" }', "when:"),
        ('on = "accepted"\nstay = true\nwhen = { fact = "capacity.kw", gt = 1 }', "unknown fact"),
        ('on = "accepted"\nstay = true\nwhen = { fact = "state" }', "when: a test takes"),
        ('on = "accepted"\nstay = true\ncolour = "red"', "unknown key(s): colour"),
        ('on = "land_use_permit"\ndo = [ { action = "Bad Name", title = { en = "", zh = "" } } ]',
         "lower-case slugs"),
    ],
)  # fmt: skip
def test_bad_rule_data_names_the_file_the_rule_and_the_key(body: str, message: str) -> None:
    with pytest.raises(RuleDataError) as caught:
        load_lifecycle_text(rule(body), "city/lifecycle.toml")
    assert message in caught.value.en
    assert caught.value.file == "city/lifecycle.toml"
    assert caught.value.rule == "guangzhou.x"
    assert caught.value.zh


def test_bad_toml_names_the_file() -> None:
    with pytest.raises(RuleDataError, match="not valid TOML") as caught:
        load_lifecycle_text("jurisdiction = ", "x.toml")
    assert caught.value.file == "x.toml"


def test_the_statechart_refuses_unknown_jurisdictions_namespaces_and_overlapping_versions() -> None:
    registry = default_registry()
    data = tomllib.loads(rule('on = "accepted"\nstay = true'))
    good = parse_lifecycle_rules(data)

    def build(rules: tuple[LifecycleRule, ...]) -> None:
        Statechart(rules, registry.catalogue, get_engine("reference"))

    build(good)
    with pytest.raises(RuleDataError, match="unknown jurisdiction"):
        build(parse_lifecycle_rules({**data, "jurisdiction": "990000"}))
    with pytest.raises(RuleDataError, match=r"start with 'cn\.'"):
        build(parse_lifecycle_rules({**data, "jurisdiction": "CN"}))
    with pytest.raises(RuleDataError, match="two versions"):
        build(good + good)


def test_transitions_that_disagree_in_one_jurisdiction_reject_the_event() -> None:
    registry = default_registry()
    other = load_lifecycle_text(
        rule('on = "accepted"\nfrom = ["submitted"]\nto = "plan_answered"')
        .replace('"440100"', '"CN"')
        .replace("guangzhou.x", "cn.x"),
        "f.toml",
    )
    chart = Statechart(_national() + other, registry.catalogue, get_engine("reference"))
    step = chart.step(HUANGPU, ON, application_facts("submitted", "accepted"))
    assert step.rejected
    assert step.problem is not None
    assert "cn.lifecycle.accept → accepted" in step.problem.en
    assert "cn.x → plan_answered" in step.problem.en
    city = load_lifecycle_text(
        rule('on = "accepted"\nfrom = ["submitted"]\nto = "plan_answered"'), "f.toml"
    )
    chart = Statechart(_national() + city, registry.catalogue, get_engine("reference"))
    assert chart.step(HUANGPU, ON, application_facts("submitted", "accepted")).target == (
        "plan_answered"  # the more specific jurisdiction wins
    )
    assert chart.step(FOSHAN, ON, application_facts("submitted", "accepted")).target == "accepted"


class _BadPlugin:
    @hookimpl
    def gridconnect_lifecycle_rules(self) -> list[str]:
        return ["not a rule"]


def test_a_plugin_whose_lifecycle_rules_are_not_rules_is_set_aside() -> None:
    registry = Registry(entry_points=False, environment=False, plugins=[("bad", _BadPlugin())])
    assert [e.plugin for e in registry.errors] == ["bad"]
    assert "expected LifecycleRule" in registry.errors[0].en
    assert registry.lifecycle_rules == _national()  # the national floor's, nothing of "bad"


# -- durable_rules against the reference engine ----------------------------------------------------

STATES = sorted(set(APPLICATION_STATES) | set(PROJECT_STATES))
facts_strategy = st.fixed_dictionaries(
    {
        "state": st.sampled_from(STATES),
        "event.kind": st.sampled_from([k.value for k in EventKind]),
        "event.reason": st.none() | st.sampled_from([r.value for r in PauseReason]),
        "event.has_electricity_demand": st.none() | st.booleans(),
        "pause.state": st.none() | st.sampled_from(["none", "open", "closed"]),
    }
)


@pytest.fixture(scope="module")
def charts() -> tuple[Statechart, Statechart]:
    if not durable.available():
        pytest.skip("durable_rules cannot be imported on this Python")
    registry = default_registry()
    rules = registry.lifecycle_rules
    return (
        Statechart(rules, registry.catalogue, get_engine("durable"), memo=False),
        Statechart(rules, registry.catalogue, get_engine("reference"), memo=False),
    )


@settings(
    max_examples=examples(300),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    facts=facts_strategy,
    chain=st.sampled_from([HUANGPU, FOSHAN, ("CN",), ("CN", "440000", "440100")]),
    on=st.sampled_from([date(2020, 1, 1), date(2021, 5, 21), date(2025, 3, 3)]),
)
def test_durable_and_the_reference_engine_give_the_same_transitions_and_actions(
    charts: tuple[Statechart, Statechart], facts: dict[str, Any], chain: tuple[str, ...], on: date
) -> None:
    assert set(facts) == set(LIFECYCLE_FACTS)
    on_durable, on_reference = (chart.step(chain, on, facts) for chart in charts)
    assert on_durable == on_reference


def test_more_live_applications_than_a_durable_ruleset_has_sessions() -> None:
    """durable keeps at most 1,024 live sessions per ruleset; state lives in the store, so
    2,000 open applications are nothing to it."""
    if not durable.available():
        pytest.skip("durable_rules cannot be imported on this Python")
    tracker = Tracker(":memory:", engine="durable", memo=False)
    template = load_file(ROOT / "examples/events/applications/zhongshan-380v.json", Application)
    events: list[Event] = []
    for i in range(2000):
        application = attrs.evolve(template, id=f"A{i}")
        events.append(
            Submitted(
                id=f"s{i}",
                kind=EventKind.SUBMITTED,
                on=application.applied_on,
                application=application.id,
                submission=application,
            )
        )
        for kind in ("accepted", "pause_started"):
            events.append(
                parse_event(
                    {"id": f"{kind}-{i}", "kind": kind, "on": "2025-03-26",
                     "application": f"A{i}", "period": "p", "reason": "hearing"}
                    if kind == "pause_started"
                    else {"id": f"{kind}-{i}", "kind": kind, "on": "2025-03-26",
                          "application": f"A{i}"}
                )
            )  # fmt: skip
    result = tracker.ingest(events, batch_size=500)
    assert (result.new, result.rejected) == (6000, 0)
    report = tracker.report(as_of=date(2025, 3, 31))
    assert report.states == {"accepted": 2000}
    assert report.stage("supply_plan").count == 2000


def test_the_generic_lifecycle_comes_through_the_national_plugin_like_any_other() -> None:
    rules = _national()
    assert rules
    assert {r.jurisdiction for r in rules} == {"CN"}
    assert {r.source for r in rules} == {
        "gridconnect.plugins.jurisdictions.national/lifecycle.toml"
    }
    from gridconnect.lifecycle.rules import core_rules

    with pytest.warns(DeprecationWarning, match="Registry.lifecycle_rules"):
        old = core_rules()
    assert old == rules
