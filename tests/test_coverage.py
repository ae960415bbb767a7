"""Coverage warnings: what a decision does not cover is said in its JSON and its text."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import attrs
import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

import gridconnect
from gridconnect.decide.decision import DECISION_SCHEMA_VERSION
from gridconnect.model.identifiers import DivisionCode
from gridconnect.output.schemas import decision_schema
from gridconnect.output.text import render_decision
from gridconnect.plugins.hookspecs import hookimpl
from gridconnect.plugins.packaged import jurisdiction
from gridconnect.plugins.registry import Registry
from gridconnect.rules.catalogue import Jurisdiction
from gridconnect.rules.loader import RuleSource, parse_rules

ROOT = Path(__file__).resolve().parents[1]
HUANGPU = ROOT / "examples" / "applications" / "guangzhou-huangpu-10kv-enterprise.json"
FOSHAN = ROOT / "examples" / "applications" / "foshan-resident.json"


def _kinds(decision: gridconnect.Decision) -> list[tuple[str, str | None]]:
    return [(w.kind, w.source) for w in decision.warnings]


def test_covered_application_has_no_warning_and_no_key() -> None:
    decision = gridconnect.evaluate(gridconnect.load_application(HUANGPU))
    assert decision.warnings == ()
    assert "warnings" not in decision.to_dict()


def test_early_date_is_warned_per_jurisdiction_and_valid_json() -> None:
    app = attrs.evolve(gridconnect.load_application(HUANGPU), applied_on=date(2019, 6, 3))
    decision = gridconnect.evaluate(app)
    assert _kinds(decision) == [
        ("before_coverage", "cn"),
        ("before_coverage", "guangdong"),
        ("before_coverage", "guangzhou/huangpu"),
    ]
    data = json.loads(decision.to_json())
    assert data["schema_version"] == DECISION_SCHEMA_VERSION == "2.1"
    jsonschema.validate(data, decision_schema())
    assert data["warnings"][2]["source"] == "guangzhou/huangpu"
    assert "2021-05-21" in data["warnings"][2]["en"]
    assert "黄埔区" in data["warnings"][2]["zh"]


def test_place_without_plugin_is_warned_in_text_both_languages() -> None:
    foshan = gridconnect.load_application(FOSHAN)
    qingyuan = DivisionCode("441802")  # 清城区, 清远市: no plugin
    app = attrs.evolve(foshan, site=attrs.evolve(foshan.site, division=qingyuan))
    decision = gridconnect.evaluate(app)
    assert ("no_local_rules", "441802") in _kinds(decision)
    assert "没有本地规则" in render_decision(decision, "zh")
    assert "no rules of its own" in render_decision(decision, "en")


def test_district_of_a_city_with_rules_is_not_warned() -> None:
    app = gridconnect.load_application(FOSHAN)  # 440604 禅城区: Foshan's rules apply
    assert gridconnect.evaluate(app).warnings == ()


@settings(max_examples=25, deadline=None)
@given(st.dates(min_value=date(2027, 1, 1), max_value=date(2030, 12, 31)))
def test_provisional_year_is_warned_exactly_when_a_deadline_is_provisional(day: date) -> None:
    app = attrs.evolve(gridconnect.load_application(FOSHAN), applied_on=day)
    decision = gridconnect.evaluate(app, engine="reference")
    provisional = any(d.provisional for d in decision.deadlines)
    warned = [w for w in decision.warnings if w.kind == "provisional_calendar"]
    assert bool(warned) == provisional
    assert all(w.source is not None and int(w.source) >= 2027 for w in warned)


# -- utility commitments apply only where their utility serves --------------------------------

_CITY = "441800"  # a city with no plugin, given its own utility here


def _rule(rule_id: str, jurisdiction_code: str, issuer_kind: str) -> dict[str, object]:
    return {
        "id": rule_id,
        "title": {"en": rule_id, "zh": rule_id},
        "effective_from": date(2020, 1, 1),
        "then": {f"service.{rule_id.split('.')[-1]}": True},
        "citation": {
            "title": "t",
            "issuer": "i",
            "confidence": "press",
            "issuer_kind": issuer_kind,
        },
    }


class _OwnUtilityCity:
    """A city of Guangdong served by its own utility (as Shenzhen is by 深圳供电局)."""

    @hookimpl
    def gridconnect_jurisdictions(self) -> list[Jurisdiction]:
        return [
            jurisdiction(
                _CITY,
                "清远市",
                "Test city",
                "test_city",
                parent="440000",
                utility=("测试供电局", "Test Power Supply Bureau"),
            )
        ]

    @hookimpl
    def gridconnect_rule_sources(self) -> list[RuleSource]:
        return [
            parse_rules(
                {
                    "jurisdiction": "440000",
                    "rules": [
                        _rule("guangdong.test.commitment", "440000", "utility"),
                        _rule("guangdong.test.regulation", "440000", "government"),
                    ],
                },
                "test.toml",
            )
        ]


def test_a_utility_commitment_does_not_reach_a_place_another_utility_serves() -> None:
    reg = Registry(entry_points=True, environment=False, plugins=[("city", _OwnUtilityCity())])
    assert not reg.errors
    foshan = gridconnect.load_application(FOSHAN)
    in_city = attrs.evolve(foshan, site=attrs.evolve(foshan.site, division=DivisionCode(_CITY)))
    city = gridconnect.evaluate(in_city, registry=reg)
    province = gridconnect.evaluate(foshan, registry=reg)
    # The province's serving utility keeps its commitments in Foshan; not in the city.
    assert province.value("service.commitment") is True
    assert city.value("service.commitment") is None
    assert city.value("service.regulation") is True  # a government rule reaches both
    assert "guangdong.steps.low_voltage" not in {t.rule for t in city.trace}
    warned = [w for w in city.warnings if w.kind == "utility_not_serving"]
    assert [w.source for w in warned] == ["guangdong"]
    assert "测试供电局" in warned[0].zh
    assert "Guangdong Power Grid" in warned[0].en
    assert not [w for w in province.warnings if w.kind == "utility_not_serving"]


def test_shenzhen_gets_no_guangdong_power_grid_commitment_and_is_told_so() -> None:
    zhongshan = gridconnect.load_application(
        ROOT / "examples/applications/zhongshan-380v-shop.json"
    )
    shop = attrs.evolve(
        zhongshan, site=attrs.evolve(zhongshan.site, division=DivisionCode("440304"))
    )
    decision = gridconnect.evaluate(shop)
    assert decision.jurisdictions[-1] == "440300"
    ruled = {t.rule for t in decision.trace}
    assert not any(r.startswith("guangdong.steps.") for r in ruled)
    assert "guangdong.service.online_channels" not in ruled
    assert "guangdong.service.one_certificate" not in ruled  # the article: a utility's account
    warned = [w for w in decision.warnings if w.kind == "utility_not_serving"]
    assert [w.source for w in warned] == ["guangdong"]
    assert "深圳供电局" in warned[0].zh


@settings(max_examples=30, deadline=None)
@given(
    division=st.sampled_from(["440112", "440300", "440606", "110101", "440000"]),
    day=st.dates(date(2015, 1, 1), date(2027, 12, 31)),
)
def test_the_remembered_place_warnings_are_those_worked_out_afresh(
    division: str, day: date
) -> None:
    """coverage_warnings remembers the place-and-date warnings in the rulebook's cache; asked
    twice, and asked without the cache, it gives the same warnings."""
    from gridconnect.decide.coverage import coverage_warnings

    app = gridconnect.load_application(str(ROOT / "examples/applications/foshan-resident.json"))
    app = attrs.evolve(app, site=attrs.evolve(app.site, division=DivisionCode(division)))
    registry = gridconnect.default_registry()
    book = gridconnect.rulebook_for(app, day, registry=registry)
    calendar = registry.calendar(book.jurisdictions[-1].code)
    fresh = coverage_warnings(app, day, (), registry.catalogue, calendar)
    assert coverage_warnings(app, day, (), registry.catalogue, calendar, rulebook=book) == fresh
    assert coverage_warnings(app, day, (), registry.catalogue, calendar, rulebook=book) == fresh
