"""The OpenAPI 3.1 document of gridconnect serve: built from the published JSON Schemas, every
example and every live answer valid against it, and a docs page with no outside asset."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from litestar.testing import TestClient
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from gridconnect.decide.bundle import bundle_schema
from gridconnect.model.schema import application_schema
from gridconnect.output.schemas import decision_schema
from gridconnect.serve.app import create_app
from gridconnect.serve.config import ServeConfig
from gridconnect.serve.openapi import hoist

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "applications").glob("*.json"))
URI = "urn:gridconnect:openapi"


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient[Any]]:
    with TestClient(app=create_app(ServeConfig())) as c:
        yield c


@pytest.fixture(scope="module")
def spec(client: TestClient[Any]) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def validator(spec: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for ``schema``, whose ``#/components/...`` references point into ``spec``."""
    registry: Registry[Any] = Registry().with_resource(
        URI, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    rebased = json.loads(json.dumps(schema).replace('"#/components/', f'"{URI}#/components/'))
    return Draft202012Validator(rebased, registry=registry)


def media(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every (where, media type, media object) of a request body or a response."""
    for path, item in spec["paths"].items():
        for method, op in item.items():
            body = op.get("requestBody", {}).get("content", {})
            for kind, m in body.items():
                yield f"{method} {path} request", kind, m
            for status, response in op["responses"].items():
                for kind, m in response.get("content", {}).items():
                    yield f"{method} {path} {status}", kind, m


def test_it_is_openapi_3_1_with_every_endpoint(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.1.0"
    assert "jsonSchemaDialect" not in spec  # the default: JSON Schema 2020-12 (OAS base)
    assert set(spec["paths"]) == {
        "/v1/evaluate", "/v1/explain", "/v1/questions", "/v1/bundle", "/v1/rules",
        "/v1/jurisdictions", "/v1/calendar/add", "/v1/track/events", "/v1/track/{id}",
        "/healthz", "/readyz", "/metrics",
    }  # fmt: skip
    assert spec["paths"]["/v1/track/events"]["post"]["security"]


def test_the_components_are_the_published_schemas(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for name, published in (
        ("Application", application_schema()),
        ("Decision", decision_schema()),
        ("BundlePlan", bundle_schema()),
    ):
        expected: dict[str, Any] = {}
        hoist(name, published, expected)
        for key, value in expected.items():
            assert schemas[key] == value, key
        body = {k: v for k, v in published.items() if k not in ("$defs", "$schema", "$id")}
        if body.get("$ref") == f"#/$defs/{name}":
            body = {**published["$defs"][name], **body}
            del body["$ref"]
        text = json.dumps(body).replace('"#/$defs/', '"#/components/schemas/')
        assert schemas[name] == json.loads(text)
        for def_name, definition in published.get("$defs", {}).items():
            if def_name != name:
                text = json.dumps(definition).replace('"#/$defs/', '"#/components/schemas/')
                assert schemas[def_name] == json.loads(text)
    every_ref = re.findall(r'"\$ref": "#/components/schemas/([^"/]+)', json.dumps(spec))
    assert every_ref
    assert set(every_ref) <= set(schemas)


def test_hoisting_renames_a_definition_only_when_it_differs() -> None:
    components: dict[str, Any] = {}
    hoist("A", {"$defs": {"X": {"type": "string"}}, "$ref": "#/$defs/X"}, components)
    hoist("B", {"$defs": {"X": {"type": "integer"}}, "$ref": "#/$defs/X"}, components)
    hoist("C", {"$defs": {"X": {"type": "string"}}, "$ref": "#/$defs/X"}, components)
    hoist("D", {"$defs": {"D": {"type": "object"}}, "$ref": "#/$defs/D", "title": "d"}, components)
    assert components == {
        "X": {"type": "string"},
        "A": {"$ref": "#/components/schemas/X"},
        "B.X": {"type": "integer"},
        "B": {"$ref": "#/components/schemas/B.X"},
        "C": {"$ref": "#/components/schemas/X"},
        "D": {"type": "object", "title": "d"},
    }


def test_every_example_is_valid(spec: dict[str, Any]) -> None:
    checked = 0
    for where, _, m in media(spec):
        if "example" in m:
            errors = list(validator(spec, m["schema"]).iter_errors(m["example"]))
            assert not errors, (where, errors[0].message)
            checked += 1
    assert checked >= 9


def _schema_for(spec: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    response = spec["paths"][path][method]["responses"][str(status)]
    content = response["content"]
    schema: dict[str, Any] = next(iter(content.values()))["schema"]
    return schema


def test_live_answers_are_valid(client: TestClient[Any], spec: dict[str, Any]) -> None:
    calls: list[tuple[str, str, str, dict[str, Any], bytes | None]] = []
    for path in EXAMPLES:
        body = path.read_bytes()
        for endpoint in ("/v1/evaluate", "/v1/questions", "/v1/bundle"):
            calls.append(("post", endpoint, endpoint, {}, body))
    calls += [
        ("post", "/v1/evaluate", "/v1/evaluate", {}, b'{"id": 3}'),
        ("post", "/v1/evaluate", "/v1/evaluate", {}, b"{"),
        ("get", "/v1/rules", "/v1/rules", {"jurisdiction": "440100", "as_of": "2026-07-01"}, None),
        ("get", "/v1/rules", "/v1/rules", {"jurisdiction": "nowhere"}, None),
        ("get", "/v1/jurisdictions", "/v1/jurisdictions", {}, None),
        ("get", "/v1/calendar/add", "/v1/calendar/add", {"start": "2026-01-30", "n": "3"}, None),
    ]
    statuses = set()
    for method, url, template, params, body in calls:
        if method == "post":
            response = client.post(url, content=body, params=params)
        else:
            response = client.get(url, params=params)
        statuses.add(response.status_code)
        schema = _schema_for(spec, template, method, response.status_code)
        errors = list(validator(spec, schema).iter_errors(response.json()))
        assert not errors, (url, response.status_code, errors[0].message)
    assert statuses == {200, 422}


def test_the_docs_page_uses_only_shipped_assets(client: TestClient[Any]) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources
    for source in sources:
        assert source.startswith("/"), source  # nothing from another host
        asset = client.get(source)
        assert asset.status_code == 200, source
        assert len(asset.content) > 100
    assert "/openapi.json" in client.get("/docs/init.js").text
