"""The staff page's form generated from the application JSON Schema: its fields follow the
schema, a filled-in form reads back as the application, and deciding it gives the same page as
pasting the application's JSON."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar.testing import TestClient

from gridconnect.model.schema import application_schema
from gridconnect.serve.app import create_app
from gridconnect.serve.config import ServeConfig
from gridconnect.serve.form import ROWS, application_from_form, form_fields

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "applications").glob("*.json"))
FIELDS = form_fields(application_schema())
NAMES = {f.name: f for f in FIELDS}


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, list[str]]:
    """An application as the form would send it (each field's values as text)."""
    out: dict[str, list[str]] = {}
    for key, value in data.items():
        name = prefix + key
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for row, item in enumerate(value):
                out.update(flatten(item, f"{name}.{row}."))
        elif isinstance(value, list):
            out[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            out[name] = ["true" if value else "false"]
        elif value is not None:
            out[name] = [str(value)]
    return out


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def formable() -> list[Path]:
    """The examples the form can hold whole."""
    found = []
    for path in EXAMPLES:
        sent = flatten(json.loads(path.read_text(encoding="utf-8")))
        if set(sent) <= set(NAMES):
            found.append(path)
    return found


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient[Any]]:
    with TestClient(app=create_app(ServeConfig(log_level="warning"))) as c:
        yield c


def test_the_fields_follow_the_schema() -> None:
    defs = application_schema()["$defs"]
    assert NAMES["applicant.kind"].kind == "enum"
    assert NAMES["applicant.kind"].options == tuple(defs["Applicant"]["properties"]["kind"]["enum"])
    assert NAMES["applicant.kind"].required
    assert not NAMES["applicant.credit_code"].required  # nullable
    assert NAMES["applied_on"].kind == "date"
    assert NAMES["capacity.value"].kind == "number"
    assert NAMES["simple_case"].kind == "boolean"
    assert NAMES["works.segments.0.crossings"].kind == "multi"
    assert f"documents.{ROWS - 1}.kind" in NAMES
    assert f"documents.{ROWS}.kind" not in NAMES
    assert not NAMES["documents.0.kind"].required  # rows are never required
    # what the form cannot hold is left to the JSON box
    assert not any(".details" in n or n.startswith("bundle.0.segments") for n in NAMES)
    required = set(defs["Application"]["required"])
    top = {f.group for f in FIELDS if f.required}
    assert top == required


@pytest.mark.parametrize("path", formable(), ids=lambda p: p.name)
def test_a_filled_in_form_reads_back_as_the_application(path: Path) -> None:
    application = json.loads(path.read_text(encoding="utf-8"))
    sent = flatten(application)
    data = application_from_form(lambda name: sent.get(name, []), FIELDS)
    assert data == without_nulls(application)


def test_most_examples_fit_the_form() -> None:
    assert len(formable()) >= len(EXAMPLES) // 2


@given(st.lists(st.sampled_from(["", " ", "x"]), min_size=ROWS, max_size=ROWS))
def test_blank_rows_are_left_out_and_the_rest_kept_in_order(kinds: list[str]) -> None:
    sent = {f"documents.{row}.kind": [kind] for row, kind in enumerate(kinds)}
    data = application_from_form(lambda name: sent.get(name, []), FIELDS)
    kept = [k for k in kinds if k.strip()]
    assert data == ({"documents": [{"kind": k} for k in kept]} if kept else {})


def test_a_wrong_number_is_left_for_the_codec_to_locate(client: TestClient[Any]) -> None:
    sent = flatten(json.loads(formable()[0].read_text(encoding="utf-8")))
    sent["capacity.value"] = ["a lot"]
    response = client.post("/ui/form", data={**sent, "lang": "en"})
    assert response.status_code == 422
    assert "$.capacity.value" in response.text
    assert "expected a number" in response.text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_form_decides_as_the_pasted_json_does(client: TestClient[Any], lang: str) -> None:
    page = client.get("/ui/form", params={"lang": lang})
    assert page.status_code == 200
    for field in FIELDS:
        assert f'name="{field.name}"' in page.text
    for path in formable():
        text = path.read_text(encoding="utf-8")
        pasted = client.post("/ui/decision", data={"application": text, "lang": lang})
        filled = client.post("/ui/form", data={**flatten(json.loads(text)), "lang": lang})
        assert pasted.status_code == 200, path.name
        assert filled.text == pasted.text, path.name
