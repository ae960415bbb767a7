"""One vocabulary: every name a renderer shows has a Chinese and an English label.

The walk covers the core slots, values, units, outcomes and facts, and every slot that a rule of
any installed plugin sets (permits, services, notes, stages, documents), so a plugin that adds
a name without its label fails here.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridconnect.output.labels import (
    VOCABULARY,
    Labels,
    check_lang,
    default_lang,
    labels_for,
    language_of,
)
from gridconnect.plugins.packaged import PackagedRules
from gridconnect.plugins.registry import Registry, default_registry
from gridconnect.rules.model import Limit, LimitUnit, Text

_CJK = re.compile(r"[\u3400-\u9fff]")


def _slots_set_by_rules(registry: Registry) -> set[str]:
    return {slot for p in registry.plugins for s in p.sources for r in s.rules for slot in r.then}


def test_every_slot_value_fact_and_plugin_name_has_a_label() -> None:
    registry = default_registry()
    slots = _slots_set_by_rules(registry)
    assert any(s.startswith("permit.") for s in slots)  # the walk does see the plugins' names
    assert any(s.startswith("service.") for s in slots)
    assert labels_for(registry).missing(slots) == []


def test_a_name_without_a_label_is_reported() -> None:
    assert Labels().missing({"permit.no_such_permit"}) == ["permit.no_such_permit"]


def test_no_two_plugins_label_one_name_differently() -> None:
    assert labels_for(default_registry()).conflicts == ()


def test_every_document_kind_of_every_plugin_is_labelled() -> None:
    registry = default_registry()
    labels = labels_for(registry)
    for kind in registry.document_kinds:
        assert labels.get(f"document.{kind}") is not None, kind


def test_chinese_labels_are_chinese_and_english_labels_are_not() -> None:
    labels = labels_for(default_registry())
    for key, text in labels.table.items():
        if key.startswith(("unit:", "param-unit:")):
            continue
        assert _CJK.search(text.zh), f"{key}: zh label {text.zh!r} has no Chinese"
        assert text.en, key
        assert text.en != text.zh, key


@pytest.mark.parametrize(
    ("unit", "one", "two"),
    [
        (LimitUnit.WORKING_DAY, "1 working day", "2 working days"),
        (LimitUnit.CALENDAR_DAY, "1 calendar day", "2 calendar days"),
        (LimitUnit.DAY, "1 day (天)", "2 days (天)"),
    ],
)
def test_a_limit_is_singular_or_plural(unit: LimitUnit, one: str, two: str) -> None:
    labels = Labels()
    assert labels.limit(Limit(amount=1, unit=unit), "en") == one
    assert labels.limit(Limit(amount=2, unit=unit), "en") == two
    assert labels.limit(Limit(amount=1, unit=unit), "zh").startswith("1")
    assert str(Limit(amount=1, unit=unit)) == f"1 {unit.value.replace('_', ' ')}"


@given(st.integers(min_value=0, max_value=10_000), st.sampled_from(list(LimitUnit)))
def test_english_limits_are_singular_exactly_for_one(amount: int, unit: LimitUnit) -> None:
    text = Labels().limit(Limit(amount=amount, unit=unit), "en")
    assert text.startswith(f"{amount} ")
    assert ("days" in text) == (amount != 1)


def test_a_plugins_labels_file_is_read() -> None:
    good = PackagedRules("gridconnect_guangzhou", jurisdictions=[]).gridconnect_labels()
    assert good["permit.municipal_planning"] == Text(
        zh="建设工程规划许可（市政类）", en="planning permit (municipal works)"
    )


def test_an_unknown_language_is_an_error_in_both_languages() -> None:
    with pytest.raises(ValueError, match="未知语言") as caught:
        check_lang("fr")
    assert "'fr'" in str(caught.value)


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({}, "zh"),
        ({"LANG": "C.UTF-8"}, "zh"),
        ({"LANG": "POSIX"}, "zh"),
        ({"LANG": "zh_CN.UTF-8"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "en"),
        ({"LC_MESSAGES": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        ({"GRIDCONNECT_LANG": "en", "LC_ALL": "zh_CN.UTF-8"}, "en"),
    ],
)
def test_the_default_language_follows_the_locale(environ: dict[str, str], lang: str) -> None:
    assert default_lang(environ) == lang


def test_the_language_of_a_note_is_recognised() -> None:
    assert language_of("草案；最终文本未取得") == "zh"
    assert language_of("[P] Draft for comments; the final 1479 text was not retrieved") == "en"
    assert language_of("三省 for high-voltage users, as reported") == "en"


def test_the_core_vocabulary_labels_every_single_slot() -> None:
    from gridconnect.rules.slots import SLOTS

    assert set(SLOTS) <= set(VOCABULARY)


def test_a_plugin_adds_labels_through_the_hook() -> None:
    from gridconnect.plugins.hookspecs import hookimpl

    class Plugin:
        @hookimpl
        def gridconnect_labels(self) -> dict[str, Text]:
            return {"permit.moon_landing": Text(zh="登月许可", en="moon landing permit")}

    registry = Registry(entry_points=False, environment=False, plugins=[("moon", Plugin())])
    labels = labels_for(registry)
    assert labels.slot("permit.moon_landing", "zh") == "登月许可"
    assert labels.missing({"permit.moon_landing"}) == []
    assert labels_for(Registry(entry_points=False, environment=False)).missing(
        {"permit.moon_landing"}
    ) == ["permit.moon_landing"]
