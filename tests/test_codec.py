"""Tests for the JSON codec: round trips, located errors, limits and personal data.

The central property: take any valid application as JSON, corrupt exactly one leaf with a value
that is invalid for that field, and structuring fails with one problem located at that leaf.
"""

from __future__ import annotations

import copy
import enum
import json
import sys
import types
import typing
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from gridconnect.errors import InputError, Problem
from gridconnect.model import (
    AccessWorks,
    Applicant,
    Application,
    Capacity,
    CreditCode,
    DivisionCode,
    Document,
    ProjectFacts,
    ResidentId,
    RouteSegment,
    Site,
    Utility,
    UtilityRequest,
)
from gridconnect.model.codec import (
    MAX_DEPTH,
    MAX_INPUT_BYTES,
    dumps,
    load_file,
    loads,
    structure,
    unstructure,
)
from gridconnect.testing import strategies as gs

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "applications").glob("*.json"))
RESIDENT_EXAMPLE = ROOT / "examples" / "applications" / "foshan-resident.json"
ORGANISATION_EXAMPLE = ROOT / "examples" / "applications" / "guangzhou-huangpu-10kv-enterprise.json"

SETTINGS = settings(max_examples=examples(100), deadline=None)
CORRUPTIONS = settings(max_examples=examples(200), deadline=None)
FEW = settings(max_examples=examples(40), deadline=None)

# A valid resident ID number and one that differs only in its check character.
RESIDENT_ID = "11010519491231002X"
RESIDENT_ID_BAD_CHECK = "110105194912310021"
CREDIT_CODE_BAD_CHECK = "91110000600037341M"  # the valid code ends in L

MODEL_TYPES = (
    AccessWorks,
    Applicant,
    Application,
    Capacity,
    Document,
    ProjectFacts,
    RouteSegment,
    Site,
    UtilityRequest,
)
for _cls in MODEL_TYPES:
    attrs.resolve_types(_cls)


def _example(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _structure_error(data: Any) -> InputError:
    with pytest.raises(InputError) as caught:
        structure(data, Application)
    return caught.value


def _paths(error: InputError) -> list[str]:
    return [p.path for p in error.problems]


def _error_texts(error: InputError) -> list[str]:
    texts = [str(error), repr(error), error.en, error.zh, *map(str, error.args)]
    for problem in error.problems:
        texts += [problem.path, problem.en, problem.zh, problem.render(), repr(problem)]
    return texts


# --------------------------------------------------------------------------------------------
# Round trips
# --------------------------------------------------------------------------------------------


@SETTINGS
@given(gs.applications())
def test_structure_of_unstructure_is_the_identity(app: Application) -> None:
    """Every field survives the trip through JSON-shaped data unchanged."""
    assert structure(unstructure(app), Application) == app


@SETTINGS
@given(gs.applications())
def test_loads_of_dumps_is_the_identity(app: Application) -> None:
    """Every field survives the trip through JSON text unchanged, and the text is stable."""
    text = dumps(app)
    again = loads(text, Application)
    assert again == app
    assert dumps(again) == text


PART_STRATEGIES: dict[type[Any], st.SearchStrategy[Any]] = {
    Capacity: gs.capacities(),
    Applicant: gs.applicants(),
    Site: gs.sites(),
    Document: gs.documents(),
    ProjectFacts: gs.project_facts(),
    RouteSegment: gs.route_segments(),
    AccessWorks: gs.access_works(),
    UtilityRequest: gs.utility_requests(),
}


@pytest.mark.parametrize("cls", PART_STRATEGIES, ids=lambda c: c.__name__)
def test_every_model_type_round_trips_through_json(cls: type[Any]) -> None:
    """Not only whole applications: each part can be structured on its own."""

    @FEW
    @given(PART_STRATEGIES[cls])
    def check(value: Any) -> None:
        assert loads(dumps(value), cls) == value

    check()


def test_unstructure_gives_plain_json_types() -> None:
    """The JSON-shaped form holds only JSON types: enums as their plain text value, dates as
    text, numbers as int or float, so any JSON (or YAML, TOML...) encoder can write it."""
    app = load_file(
        ROOT / "examples" / "applications" / "guangzhou-nansha-bundle.json", Application
    )

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                assert type(key) is str, path
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")
        else:
            assert value is None or type(value) in (str, int, float, bool), (path, type(value))

    walk(unstructure(app), "$")
    assert unstructure(app)["capacity"] == {"value": 2000, "unit": "kVA"}


def test_chinese_text_survives_a_round_trip_unescaped() -> None:
    """Chinese is written as it is (ensure_ascii=False) and comes back identical."""
    app = load_file(ORGANISATION_EXAMPLE, Application)
    text = dumps(app)
    assert "广州科瑞再生材料有限公司" in text
    assert "开源大道 K2+100–K2+520" in text
    assert "\\u" not in text
    again = loads(text, Application)
    assert again.applicant.name == "广州科瑞再生材料有限公司"
    assert again.site.address == "广州市黄埔区科学城开源大道（示例）"
    assert again == app
    assert loads(text.encode("utf-8"), Application) == app


# --------------------------------------------------------------------------------------------
# Corrupting one field gives one problem, located at that field
# --------------------------------------------------------------------------------------------


def _is_optional(t: Any) -> bool:
    return typing.get_origin(t) in (typing.Union, types.UnionType) and type(
        None
    ) in typing.get_args(t)


def _inner(t: Any) -> Any:
    if _is_optional(t):
        (inner,) = [a for a in typing.get_args(t) if a is not type(None)]
        return inner
    return t


def _leaves(value: Any, t: Any, path: str) -> Iterator[tuple[str, Any, Any, Any]]:
    """Every leaf of JSON data as (path, field type, container, key); ``details`` is one leaf."""
    inner = _inner(t)
    if attrs.has(inner) and isinstance(value, dict):
        for f in attrs.fields(inner):
            yield from _sub_leaves(value, f.name, f.type, f"{path}.{f.name}")
    elif typing.get_origin(inner) is tuple and isinstance(value, list) and value:
        for index in range(len(value)):
            yield from _sub_leaves(value, index, typing.get_args(inner)[0], f"{path}[{index}]")


def _sub_leaves(container: Any, key: Any, t: Any, path: str) -> Iterator[tuple[str, Any, Any, Any]]:
    value = container[key]
    inner = _inner(t)
    nested = (attrs.has(inner) and isinstance(value, dict)) or (
        typing.get_origin(inner) is tuple and isinstance(value, list) and value
    )
    if nested:
        yield from _leaves(value, t, path)
    else:
        yield path, t, container, key


def _swap_last(text: str, alphabet: str) -> str:
    """The same text with a different last (check) character."""
    return text[:-1] + next(c for c in alphabet if c != text[-1])


def _invalid_values(t: Any, original: Any) -> list[Any]:
    """Values that the field of type ``t`` (currently holding ``original``) must reject."""
    inner = _inner(t)
    bad: list[Any] = [] if _is_optional(t) else [None]
    if inner is str:
        # Free text accepts almost anything: use wrong types, blanks and over-long text.
        bad += [5, True, [], {}, "", "   ", "x" * 301]
    elif inner is bool:
        bad += ["yes", "true", 1, 0, []]
    elif inner is Decimal:
        bad += ["abc", True, -1, 0, 10**9, "NaN", "Infinity", "-5", [], {}]
    elif inner is date:
        bad += ["2026-13-01", "2026-02-30", "2026/01/01", "01/02/2026", "", 20260101, True]
    elif isinstance(inner, type) and issubclass(inner, enum.Enum):
        bad += ["not_a_member", "", 5, [], str(next(iter(inner)).value).upper() + "_X"]
        if inner is Utility:
            bad.append("electricity")  # a member, but never a bundled request
    elif inner is CreditCode:
        code = original if isinstance(original, str) else "91110000600037341L"
        bad += [_swap_last(code, "0123456789ABCDEFGHJKLMNPQRTUWXY"), code[:-1], 91110000, ""]
    elif inner is ResidentId:
        rid = original if isinstance(original, str) else RESIDENT_ID
        bad += [_swap_last(rid, "0123456789X"), rid[:-1], 110105194912310021, ""]
    elif inner is DivisionCode:
        bad += ["44010", "4401066", "990000", "440006", "44O106", 440106, ""]
    elif typing.get_origin(inner) is tuple:
        bad += ["x", 5, {}, True]
    elif typing.get_origin(inner) in (Mapping, dict):
        bad += ["x", [], 5, {"Bad Key": 1}, {"size": 1.5}, {"size": None}, {"size": [1]}]
    elif attrs.has(inner):
        bad += [5, "x", [], True]
    else:  # pragma: no cover - a new field type needs its invalid values listed here
        raise AssertionError(f"no invalid values known for {t!r}")
    return bad


def test_leaf_walker_finds_the_documented_paths() -> None:
    """The helper behind the corruption property sees nested objects, lists and nulls."""
    data = json.loads(dumps(load_file(ORGANISATION_EXAMPLE, Application)))
    paths = {path for path, *_ in _leaves(data, Application, "$")}
    assert {
        "$.id",
        "$.applicant.kind",
        "$.applicant.credit_code",
        "$.applicant.resident_id",
        "$.capacity.value",
        "$.power_factor",
        "$.documents[2].source",
        "$.project.land_use_permit",
        "$.project.planning_permit",
        "$.works.segments[1].crossings[0]",
        "$.works.segments[0].crossings",
        "$.works.segments[0].length_m",
        "$.bundle",
    } <= paths
    assert "$.applicant" not in paths
    assert "$.works.segments" not in paths


@CORRUPTIONS
@given(gs.applications(), st.data())
def test_corrupting_any_field_yields_one_problem_at_its_path(
    app: Application, data: st.DataObject
) -> None:
    """Replace one leaf with a wrong type, an unknown enum value, a negative or oversized
    number, a malformed date or an identifier with a bad check character: the error names
    that leaf's JSON path, only that path, and never repeats a resident ID number."""
    tree = json.loads(dumps(app))
    leaves = sorted(_leaves(tree, Application, "$"), key=lambda leaf: leaf[0])
    path, t, container, key = data.draw(st.sampled_from(leaves), label="leaf")
    original = container[key]
    bad = data.draw(st.sampled_from(_invalid_values(t, original)), label="invalid value")
    container[key] = bad

    error = _structure_error(copy.deepcopy(tree))
    assert _paths(error) == [path], str(error)
    # The same data as JSON text fails in the same place.
    with pytest.raises(InputError) as caught:
        loads(json.dumps(tree, ensure_ascii=False), Application)
    assert _paths(caught.value) == [path]

    secrets = [app.applicant.resident_id.value] if app.applicant.resident_id else []
    if isinstance(bad, str) and _inner(t) is ResidentId and len(bad) > 6:
        secrets.append(bad)
    for text in _error_texts(error):
        for secret in secrets:
            assert secret not in text


@pytest.mark.parametrize("text", ["2026-W01-1", "2026-001", "20260101", "2026-1-1", "+2026-01-01"])
def test_dates_must_be_written_yyyy_mm_dd(text: str) -> None:
    """ISO 8601 has other date forms (week dates, ordinal dates, no dashes) that Python's
    ``date.fromisoformat`` accepts; the model documents and requires YYYY-MM-DD only."""
    data = _example(RESIDENT_EXAMPLE)
    data["applied_on"] = text
    assert _paths(_structure_error(data)) == ["$.applied_on"]


def test_enum_error_lists_the_allowed_values() -> None:
    """An unknown enum value is answered with the values that are allowed."""
    data = _example(RESIDENT_EXAMPLE)
    data["capacity"]["unit"] = "W"
    (problem,) = _structure_error(data).problems
    assert problem.path == "$.capacity.unit"
    assert "kW" in problem.en
    assert "kVA" in problem.en


def test_field_validator_error_is_located_at_the_field_once() -> None:
    """A validator's message is located at its own field, not at ``field.field``."""
    data = _example(ORGANISATION_EXAMPLE)
    data["capacity"]["value"] = -1
    data["works"]["segments"][0]["id"] = "-bad"
    data["power_factor"] = 1.5
    error = _structure_error(data)
    assert sorted(_paths(error)) == [
        "$.capacity.value",
        "$.power_factor",
        "$.works.segments[0].id",
    ]
    assert "positive" in error.problems[_paths(error).index("$.capacity.value")].en


# --------------------------------------------------------------------------------------------
# Examples and located problems
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_application_validates_and_round_trips(path: Path) -> None:
    """The shipped examples are valid and survive dumps/loads unchanged."""
    app = load_file(path, Application)
    assert loads(dumps(app), Application) == app
    assert structure(_example(path), Application) == app


def test_examples_exist() -> None:
    """Guard against the example directory moving and the parametrised test going empty."""
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize(
    ("where", "path"),
    [
        (("applicant",), "$.applicant.foo"),
        ((), "$.foo"),
        (("site",), "$.site.foo"),
        (("capacity",), "$.capacity.foo"),
        (("documents", 0), "$.documents[0].foo"),
        (("works", "segments", 1), "$.works.segments[1].foo"),
        (("project",), "$.project.foo"),
    ],
)
def test_unknown_key_is_located_and_named_unknown(where: tuple[str | int, ...], path: str) -> None:
    """A misspelt or extra key is an error at its own path, saying "unknown field"."""
    data = _example(ORGANISATION_EXAMPLE)
    node: Any = data
    for step in where:
        node = node[step]
    node["foo"] = 1
    (problem,) = _structure_error(data).problems
    assert problem.path == path
    assert "unknown field" in problem.en
    assert "未知字段" in problem.zh


def test_missing_required_fields_are_listed_all_at_once() -> None:
    """One InputError lists every missing field, at the top level and below."""
    error = _structure_error({})
    assert set(_paths(error)) == {
        "$.id",
        "$.applied_on",
        "$.applicant",
        "$.site",
        "$.service",
        "$.capacity",
    }
    assert all(p.en == "is required" for p in error.problems)
    assert "6 problems" in str(error)

    data = _example(RESIDENT_EXAMPLE)
    del data["applicant"]["name"]
    del data["applicant"]["kind"]
    del data["capacity"]["unit"]
    del data["service"]
    assert set(_paths(_structure_error(data))) == {
        "$.applicant.name",
        "$.applicant.kind",
        "$.capacity.unit",
        "$.service",
    }


def test_problems_in_several_places_are_reported_together() -> None:
    """Structuring does not stop at the first problem."""
    data = _example(ORGANISATION_EXAMPLE)
    data["applicant"]["kind"] = "martian"
    data["site"]["division"] = "990000"
    data["documents"][1]["source"] = "rumour"
    data["project"]["construction_permit"] = "2026-02-30"
    assert set(_paths(_structure_error(data))) == {
        "$.applicant.kind",
        "$.site.division",
        "$.documents[1].source",
        "$.project.construction_permit",
    }


def test_whole_object_checks_are_located_at_the_field_they_name() -> None:
    """Checks across fields (``__attrs_post_init__``) still give a precise path."""
    data = _example(ORGANISATION_EXAMPLE)
    data["project"]["land_use_permit"] = "2025-01-01"  # before project_approval
    assert _paths(_structure_error(data)) == ["$.project.land_use_permit"]

    data = _example(ORGANISATION_EXAMPLE)
    data["documents"][1]["kind"] = "business_licence"
    assert _paths(_structure_error(data)) == ["$.documents"]

    data = _example(RESIDENT_EXAMPLE)
    data["supply_mode"] = "dual"  # with 220 V
    assert _paths(_structure_error(data)) == ["$.supply_mode"]

    data = _example(ORGANISATION_EXAMPLE)
    data["works"]["segments"][1]["id"] = "S1"
    assert _paths(_structure_error(data)) == ["$.works.segments"]

    data = _example(ORGANISATION_EXAMPLE)
    data["bundle"] = [{"utility": "water"}, {"utility": "water"}]
    assert _paths(_structure_error(data)) == ["$.bundle"]

    data = _example(ORGANISATION_EXAMPLE)
    data["bundle"] = [{"utility": "gas"}, {"utility": "electricity"}]
    assert _paths(_structure_error(data)) == ["$.bundle[1].utility"]


def test_resident_with_credit_code_is_a_located_error() -> None:
    """A resident applies with a resident ID number only: a credit code is refused, in place."""
    data = _example(RESIDENT_EXAMPLE)
    data["applicant"]["credit_code"] = "91110000600037341L"
    (problem,) = _structure_error(data).problems
    assert problem.path in ("$.applicant.credit_code", "$.applicant.resident_id")
    assert "credit_code" in problem.en


def test_resident_with_ownership_is_a_located_error() -> None:
    data = _example(RESIDENT_EXAMPLE)
    data["applicant"]["ownership"] = "private"
    assert _paths(_structure_error(data)) == ["$.applicant.ownership"]


def test_organisation_without_credit_code_is_a_located_error() -> None:
    data = _example(ORGANISATION_EXAMPLE)
    del data["applicant"]["credit_code"]
    assert _paths(_structure_error(data)) == ["$.applicant.credit_code"]


@pytest.mark.parametrize("value", [[], "application", 5, None])
def test_top_level_value_must_be_an_object(value: Any) -> None:
    assert _paths(_structure_error(value)) == ["$"]


def test_load_file_names_the_file(tmp_path: Path) -> None:
    """Errors from a file carry its name; a missing file is an InputError too."""
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": 5}', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_file(bad, Application)
    assert caught.value.source == str(bad)
    assert str(bad) in str(caught.value)
    with pytest.raises(InputError):
        load_file(tmp_path / "missing.json", Application)


# --------------------------------------------------------------------------------------------
# Malformed, oversized and deeply nested input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"id": ', "line 1 column 8"),
        ('{"id": "x",}', "line 1 column 12"),
        ("{\n  'id': 1\n}", "line 2 column 3"),
        ("", "line 1 column 1"),
    ],
)
def test_invalid_json_syntax_is_a_located_input_error(text: str, where: str) -> None:
    with pytest.raises(InputError) as caught:
        loads(text, Application)
    (problem,) = caught.value.problems
    # Python 3.13 points at the trailing comma itself, one column earlier than 3.11/3.12.
    if text.endswith(",}") and sys.version_info >= (3, 13):
        where = "line 1 column 11"
    assert problem.path == f"$ ({where})"
    assert "not valid JSON" in problem.en


def test_invalid_utf8_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        loads(b'{"id": "\xff"}', Application)
    assert _paths(caught.value) == ["$"]


def _refused_as_too_large(text: str | bytes) -> None:
    with pytest.raises(InputError) as caught:
        loads(text, Application)
    (problem,) = caught.value.problems
    assert problem.path == "$"
    assert "larger than" in problem.en


def test_input_larger_than_the_limit_is_refused() -> None:
    """Size is checked before parsing, for text and for bytes."""
    padding = " " * MAX_INPUT_BYTES
    document = json.dumps(_example(RESIDENT_EXAMPLE))
    _refused_as_too_large(document + padding)
    _refused_as_too_large((document + padding).encode("utf-8"))


def test_limit_counts_bytes_not_characters() -> None:
    """MAX_INPUT_BYTES is a number of bytes: Chinese text takes three bytes a character in
    UTF-8, so text of fewer characters than the limit can still be too large."""
    data = _example(RESIDENT_EXAMPLE)
    data["site"]["address"] = "广" * (MAX_INPUT_BYTES // 2)
    text = json.dumps(data, ensure_ascii=False)
    assert len(text) < MAX_INPUT_BYTES < len(text.encode("utf-8"))
    _refused_as_too_large(text)


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 100_000])
def test_nesting_deeper_than_the_limit_is_refused(depth: int) -> None:
    """Deep nesting is an InputError, never a RecursionError, from text or from data."""
    text = "[" * depth + "]" * depth
    with pytest.raises(InputError) as caught:
        loads(text, Application)
    assert _paths(caught.value) == ["$"]

    data = _example(RESIDENT_EXAMPLE)
    data["documents"] = _nested(depth)
    error = _structure_error(data)
    assert _paths(error) == ["$"]
    assert "nested deeper" in error.problems[0].en


def test_nesting_at_the_limit_is_parsed() -> None:
    """The limit itself is allowed: the error is about the content, not the depth."""
    data = _example(RESIDENT_EXAMPLE)
    data["documents"] = _nested(MAX_DEPTH - 1)
    error = _structure_error(data)
    assert all("nested deeper" not in p.en for p in error.problems)
    assert all(p.path.startswith("$.documents[0]") for p in error.problems)


# --------------------------------------------------------------------------------------------
# Personal data
# --------------------------------------------------------------------------------------------


@SETTINGS
@given(gs.applications())
def test_resident_id_never_appears_in_repr(app: Application) -> None:
    """repr() and str() of an application, its applicant and the ID show only the mask."""
    if app.applicant.resident_id is None:
        return
    clear = app.applicant.resident_id.value
    for text in (repr(app), str(app), repr(app.applicant), repr(app.applicant.resident_id)):
        assert clear not in text
        assert clear[6:14] not in text  # not even the birth date


def test_resident_id_never_appears_when_other_fields_are_invalid() -> None:
    """An error about other fields of a resident's application does not echo the ID."""
    data = _example(RESIDENT_EXAMPLE)
    clear = data["applicant"]["resident_id"]
    data["capacity"]["value"] = -8
    data["site"]["division"] = "99"
    data["applicant"]["name"] = ""
    data["unexpected"] = True
    error = _structure_error(data)
    assert len(error.problems) == 4
    for text in _error_texts(error):
        assert clear not in text
        assert clear[6:14] not in text


@pytest.mark.parametrize(
    "bad_id",
    [
        RESIDENT_ID_BAD_CHECK,  # check character
        "11010519491331002X",  # month 13
        "1101051949123100",  # too short
        "110105194912310021X",  # too long
        "A10105194912310021",  # not a digit
        "99010519491231002X",  # no such province
        "11010528491231002X",  # born in the future
    ],
)
def test_invalid_resident_id_is_not_repeated_in_the_error(bad_id: str) -> None:
    data = _example(RESIDENT_EXAMPLE)
    data["applicant"]["resident_id"] = bad_id
    error = _structure_error(data)
    assert _paths(error) == ["$.applicant.resident_id"]
    for text in _error_texts(error):
        assert bad_id not in text
        assert bad_id[:17] not in text
        assert bad_id[6:14] not in text


def test_problem_paths_are_plain_json_paths() -> None:
    """Paths start at ``$`` and use ``.name`` and ``[index]`` only."""
    data = _example(ORGANISATION_EXAMPLE)
    data["works"]["segments"][1]["crossings"] = ["moon"]
    (problem,) = _structure_error(data).problems
    assert problem == Problem(path="$.works.segments[1].crossings[0]", en=problem.en, zh=problem.zh)
