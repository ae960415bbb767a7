"""The Python API explains itself: applications from and to JSON on the class, typed track,
supply and approval, an unknown language refused, and jurisdictions found by any name."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from types import MappingProxyType

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gridconnect
import gridconnect.testing.strategies as gs
from gridconnect import (
    Application,
    ApprovalAuthority,
    ApprovalMode,
    ApprovalView,
    Conclusion,
    Decision,
    InputError,
    Supply,
    Track,
)
from gridconnect.errors import RuleDataError
from gridconnect.output.text import render_decision, render_explanation
from gridconnect.rules.catalogue import Catalogue, Jurisdiction
from gridconnect.rules.model import Limit, LimitUnit, Text
from gridconnect.rules.places import find_jurisdiction, zh_names
from gridconnect.rules.slots import SLOTS

ROOT = Path(__file__).resolve().parent.parent
HUANGPU = ROOT / "examples" / "applications" / "guangzhou-huangpu-10kv-enterprise.json"
FOSHAN = ROOT / "examples" / "applications" / "foshan-resident.json"


# -- Application.from_dict / from_json / to_dict / to_json ---------------------------------------


@given(gs.applications())
def test_an_application_round_trips_through_its_dict_and_its_json(app: Application) -> None:
    assert Application.from_dict(app.to_dict()) == app
    assert Application.from_json(app.to_json()) == app
    assert json.loads(app.to_json()) == app.to_dict()


def test_to_json_is_what_the_codec_writes_and_validate_prints() -> None:
    app = gridconnect.load_application(str(HUANGPU))
    assert app.to_json() == gridconnect.model.codec.dumps(app)
    assert "黄埔" in app.to_json()  # Chinese kept as it is


def test_from_dict_reports_every_problem_located_and_names_the_source() -> None:
    data = gridconnect.load_application(str(HUANGPU)).to_dict()
    data["applied_on"] = "2026-02-30"
    data["capacity"]["unit"] = "W"
    with pytest.raises(InputError) as caught:
        Application.from_dict(data, source="form 7")
    assert {p.path for p in caught.value.problems} == {"$.applied_on", "$.capacity.unit"}
    assert str(caught.value).startswith("form 7: 2 problems in the input")


def test_from_json_refuses_what_is_not_json() -> None:
    with pytest.raises(InputError, match="not valid JSON"):
        Application.from_json("{nope")


def test_the_old_function_name_still_works_and_is_exported() -> None:
    text = HUANGPU.read_text(encoding="utf-8")
    assert "application_from_json" in gridconnect.__all__
    assert gridconnect.application_from_json(text) == Application.from_json(text)


# -- typed track, supply and approval ----------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "slot"),
    [
        (Track, "track"),
        (Supply, "supply"),
        (ApprovalMode, "approval.mode"),
        (ApprovalAuthority, "approval.authority"),
    ],
)
def test_each_enum_is_exactly_the_national_vocabulary_of_its_slot(cls: type, slot: str) -> None:
    assert {m.value for m in cls} == set(SLOTS[slot].values)


def test_a_decision_gives_track_supply_and_approval_typed() -> None:
    decision = gridconnect.evaluate(gridconnect.load_application(str(HUANGPU)), engine="reference")
    assert decision.track is Track.THREE_SAVE  # README: three_save required
    assert decision.supply is Supply.HIGH_VOLTAGE
    approval = decision.approval
    assert isinstance(approval, ApprovalView)
    assert approval.mode is ApprovalMode.REQUIRED
    assert isinstance(approval.limit, Limit)
    assert approval.limit == decision.value("approval.limit")
    for name in ("authority", "parallel", "tolerance"):
        assert getattr(approval, name) == decision.value(f"approval.{name}")
    if approval.authority is not None:
        assert isinstance(approval.authority, ApprovalAuthority)


def test_the_approval_view_is_still_the_mapping_it_was() -> None:
    decision = gridconnect.evaluate(gridconnect.load_application(str(HUANGPU)), engine="reference")
    before = {
        s.removeprefix("approval."): c.value
        for s, c in decision.conclusions.items()
        if s.startswith("approval.")
    }
    assert decision.approval == before
    assert dict(decision.approval) == before
    assert decision.approval["mode"] == "required"
    assert set(decision.approval) == set(before)
    undecided = _decision(**{"approval.mode": "exempt"}).approval
    assert "parallel" not in undecided
    assert undecided.parallel is None
    with pytest.raises(KeyError):
        undecided["parallel"]


def _decision(**values: object) -> Decision:
    return Decision(
        application_id="A-1",
        as_of=date(2026, 1, 1),
        jurisdictions=("CN",),
        engine="reference",
        conclusions={s: Conclusion(slot=s, value=v, rule="r") for s, v in values.items()},
        deadlines=(),
        trace=(),
    )


def test_a_value_a_plugin_adds_comes_back_as_plain_text() -> None:
    decision = _decision(
        **{"track": "pilot_zone", "supply": "low_voltage", "approval.mode": "joint_review"}
    )
    assert decision.track == "pilot_zone"
    assert not isinstance(decision.track, Track)
    assert decision.supply is Supply.LOW_VOLTAGE
    assert decision.approval.mode == "joint_review"
    assert not isinstance(decision.approval.mode, ApprovalMode)


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "approval.mode": st.sampled_from(sorted(SLOTS["approval.mode"].values)),
            "approval.authority": st.sampled_from(sorted(SLOTS["approval.authority"].values)),
            "approval.limit": st.builds(
                Limit, amount=st.integers(1, 90), unit=st.sampled_from(LimitUnit)
            ),
            "approval.parallel": st.booleans(),
            "approval.tolerance": st.booleans(),
            "track": st.sampled_from(sorted(SLOTS["track"].values)),
        },
    )
)
def test_the_view_holds_exactly_the_decided_approval_slots(values: dict[str, object]) -> None:
    view = _decision(**values).approval
    decided = {k.removeprefix("approval."): v for k, v in values.items() if k != "track"}
    assert dict(view) == decided
    assert len(view) == len(decided)
    for field in attrs.fields(ApprovalView):
        assert getattr(view, field.name) == decided.get(field.name)


def test_an_undecided_decision_has_none_everywhere() -> None:
    decision = _decision()
    assert (decision.track, decision.supply) == (None, None)
    assert decision.approval == {}
    assert decision.approval == ApprovalView()


# -- lang -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("render", [render_decision, render_explanation])
def test_an_unknown_language_is_a_value_error_naming_the_allowed_ones(render: object) -> None:
    decision = gridconnect.evaluate(gridconnect.load_application(str(FOSHAN)), engine="reference")
    with pytest.raises(ValueError, match="fr") as caught:
        render(decision, lang="fr")
    assert "zh" in str(caught.value)
    assert "en" in str(caught.value)


# -- places ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return gridconnect.default_registry().catalogue


@pytest.mark.parametrize(
    ("name", "alias"),
    [
        ("guangzhou/huangpu", "guangzhou/huangpu"),
        ("440112", "guangzhou/huangpu"),
        ("广州市黄埔区", "guangzhou/huangpu"),
        ("广东省广州市黄埔区", "guangzhou/huangpu"),
        ("黄埔区", "guangzhou/huangpu"),
        ("广州 黄埔", "guangzhou/huangpu"),
        ("广州市", "guangzhou"),
        ("广州", "guangzhou"),
        ("440106", "guangzhou"),  # 天河区: no rules of its own
        ("广州市天河区", "guangzhou"),
        ("佛山市顺德区", "foshan"),
        ("442000", "zhongshan"),
        ("110105", "cn"),  # Beijing: only the national rules
        ("北京市", "cn"),
        ("中国", "cn"),
    ],
)
def test_a_place_is_found_by_code_alias_division_or_chinese_name(
    catalogue: Catalogue, name: str, alias: str
) -> None:
    assert find_jurisdiction(catalogue, name).jurisdiction.alias == alias


def test_a_division_walks_up_exactly_as_evaluate_does(catalogue: Catalogue) -> None:
    for code in ("440106", "440606", "441284", "110105", "440112", "440000"):
        found = find_jurisdiction(catalogue, code)
        assert found.jurisdiction == catalogue.chain_for_division(code)[-1]
        assert found.walked == (found.jurisdiction.code != code)


@pytest.mark.parametrize("name", ["atlantis", "火星", "999999", "4401"])
def test_an_unknown_place_is_a_bilingual_rule_data_error(catalogue: Catalogue, name: str) -> None:
    with pytest.raises(RuleDataError) as caught:
        find_jurisdiction(catalogue, name)
    assert name in caught.value.en
    assert name in caught.value.zh


def test_a_chinese_name_two_places_share_is_refused_naming_both() -> None:
    def place(code: str, zh: str, alias: str, parent: str | None) -> Jurisdiction:
        return Jurisdiction(code=code, name=Text(zh=zh, en=alias), alias=alias, parent=parent)

    catalogue = Catalogue(
        [
            place("CN", "中国", "cn", None),
            place("320000", "江苏省", "jiangsu", "CN"),
            place("320100", "南京市", "nanjing", "320000"),
            place("320106", "鼓楼区", "nanjing/gulou", "320100"),
            place("350000", "福建省", "fujian", "CN"),
            place("350100", "福州市", "fuzhou", "350000"),
            place("350102", "鼓楼区", "fuzhou/gulou", "350100"),
        ],
        [],
    )
    with pytest.raises(RuleDataError) as caught:
        find_jurisdiction(catalogue, "鼓楼区")
    assert "nanjing/gulou" in caught.value.en
    assert "fuzhou/gulou" in caught.value.en
    assert find_jurisdiction(catalogue, "南京市鼓楼区").jurisdiction.alias == "nanjing/gulou"
    assert find_jurisdiction(catalogue, "福州鼓楼").jurisdiction.alias == "fuzhou/gulou"


@given(
    st.lists(
        st.sampled_from(["广东省", "广州市", "黄埔区", "中国", "天河区"]), min_size=1, max_size=4
    )
)
def test_every_spelling_of_a_place_keeps_its_own_name_last(chain: list[str]) -> None:
    for name in zh_names(chain):
        assert name.endswith(chain[-1]) or name.endswith(chain[-1][:-1])


@pytest.mark.parametrize("data", [[1, 2], "text", None, 7])
def test_from_dict_of_something_that_is_not_an_object_is_an_input_error(data: object) -> None:
    with pytest.raises(InputError, match="1 problem"):
        Application.from_dict(data)  # type: ignore[arg-type]


def test_from_dict_takes_any_mapping() -> None:
    data = gridconnect.load_application(str(HUANGPU)).to_dict()
    assert Application.from_dict(MappingProxyType(data)) == Application.from_dict(data)
