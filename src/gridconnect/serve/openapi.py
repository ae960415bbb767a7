"""The OpenAPI 3.1 description of ``gridconnect serve``, built from the JSON Schemas the CLI
publishes (``gridconnect schema application|decision|bundle``), and its docs page.

OpenAPI 3.1 takes JSON Schema draft 2020-12 as it is, so the published schemas go in
unchanged but for where their ``$defs`` live: each definition becomes a component and each
``#/$defs/X`` reference ``#/components/schemas/X``. The examples are real: the example
application shipped with this package, and what the server answers for it.
"""

from __future__ import annotations

import copy
import functools
import json
from datetime import date
from importlib import resources, util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from litestar import Request, Response, get

from gridconnect import __version__
from gridconnect.cli import calendar_add_result, jurisdiction_rows, rule_rows
from gridconnect.cli.support import json_text
from gridconnect.decide.bundle import bundle_schema
from gridconnect.decide.evaluate import evaluate, plan_for
from gridconnect.errors import InputError
from gridconnect.interview import pending
from gridconnect.model.application import Application
from gridconnect.model.codec import loads
from gridconnect.model.schema import application_schema
from gridconnect.output.schemas import decision_schema
from gridconnect.plugins.registry import Registry
from gridconnect.serve.problems import PROBLEM_MEDIA_TYPE, problem_of

if TYPE_CHECKING:
    from gridconnect.model.codec import JSONObject

__all__ = ["assets_dir", "document", "example_application", "handlers", "hoist"]

_REF = "#/$defs/"
_COMPONENTS = "#/components/schemas/"


def assets_dir() -> Path:
    """Swagger UI's files, as the ``swagger-ui-py`` package ships them (no CDN)."""
    spec = util.find_spec("swagger_ui")
    if spec is None or spec.origin is None:  # pragma: no cover - a declared dependency
        raise RuntimeError("swagger-ui-py is not installed")
    return Path(spec.origin).parent / "static"


def example_application() -> bytes:
    """The example application shipped with the package (a bundled 一次办 request)."""
    return (resources.files("gridconnect.serve") / "examples" / "application.json").read_bytes()


def _rewrite(node: Any, names: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith(_REF):
                out[key] = _COMPONENTS + names[value.removeprefix(_REF)]
            else:
                out[key] = _rewrite(value, names)
        return out
    if isinstance(node, list):
        return [_rewrite(v, names) for v in node]
    return node


def hoist(name: str, schema: dict[str, Any], components: dict[str, Any]) -> None:
    """Put a published JSON Schema into ``components`` as ``name``: its ``$defs`` become
    components of their own (renamed ``<name>.<def>`` where another schema already uses the
    name differently) and its references follow them. A root that is only a reference to the
    definition called ``name`` (the application's) is folded into it."""
    body = copy.deepcopy(schema)
    defs: dict[str, Any] = body.pop("$defs", {})
    for key in ("$schema", "$id"):
        body.pop(key, None)
    if name in defs and body.get("$ref") == _REF + name:
        # the root only points at the definition of the same name: fold them into one
        del body["$ref"]
        body = {**defs.pop(name), **body}
    names = {name: name, **{def_name: def_name for def_name in defs if def_name != name}}
    for def_name, def_schema in defs.items():  # a definition may refer to one defined later
        if def_name == name or (
            def_name in components and components[def_name] != _rewrite(def_schema, names)
        ):
            names[def_name] = f"{name}.{def_name}"
    for def_name, def_schema in defs.items():
        components[names[def_name]] = _rewrite(def_schema, names)
    components[name] = _rewrite(body, names)


_ERRORS = {
    "413": "The body is larger than the configured limit / 请求正文过大",
    "422": "Invalid input, located problems in English and Chinese / 输入无效（逐项定位，中英文）",
    "503": "Timed out, or the engine failed / 处理超时或引擎出错",
}


def _problems(*codes: str, example: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code in codes:
        content: dict[str, Any] = {"schema": {"$ref": _COMPONENTS + "Problem"}}
        if code == "422" and example is not None:
            content["example"] = example
        out[code] = {
            "description": _ERRORS.get(code, code),
            "content": {PROBLEM_MEDIA_TYPE: content},
        }
    return out


def _json_response(description: str, ref: str, example: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": _COMPONENTS + ref}, "example": example}
        },
    }


def _param(
    name: str,
    description: str,
    *,
    required: bool = False,
    fmt: str | None = None,
    schema: dict[str, Any] | None = None,
) -> dict[str, Any]:
    s = schema or {"type": "string", **({"format": fmt} if fmt else {})}
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": s,
    }


_AS_OF = _param(
    "as_of", "Rules in force on this date (default: the date applied) / 适用规则日期", fmt="date"
)
_LANG = _param("lang", "Language / 语言", schema={"enum": ["zh", "en"], "default": "zh"})

_SMALL_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details with gridconnect's located bilingual problems.",
        "required": ["type", "title", "status", "detail", "detail_zh", "problems"],
        "properties": {
            "type": {"type": "string", "format": "uri"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "detail_zh": {"type": "string"},
            "instance": {"type": "string"},
            "problems": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["path", "en", "zh"],
                    "properties": {
                        "path": {"type": "string"},
                        "en": {"type": "string"},
                        "zh": {"type": "string"},
                    },
                    "additionalProperties": False,
                },
            },
            "slot": {"type": "string"},
            "result": {"type": "object"},
        },
    },
    "Questions": {
        "type": "object",
        "description": "What `gridconnect ask --format json` prints: the questions that could "
        "change the decision, the undetermined slots and the decision.",
        "required": ["questions", "undetermined", "complete", "decision"],
        "additionalProperties": False,
        "properties": {
            "questions": {"$ref": _COMPONENTS + "Decision/properties/questions"},
            "undetermined": {"$ref": _COMPONENTS + "Decision/properties/undetermined"},
            "complete": {"type": "boolean"},
            "decision": {"$ref": _COMPONENTS + "Decision"},
        },
    },
    "RuleRow": {
        "type": "object",
        "description": "One rule in force, as `gridconnect rules --format json` lists it.",
        "required": [
            "id",
            "jurisdiction",
            "title",
            "title_zh",
            "effective_from",
            "effective_until",
            "when",
            "parameters",
            "stratum",
            "exception_to",
            "citation",
            "confidence",
        ],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "jurisdiction": {"type": "string"},
            "title": {"type": "string"},
            "title_zh": {"type": "string"},
            "effective_from": {"type": "string", "format": "date"},
            "effective_until": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]},
            "when": {"type": "string"},
            "parameters": {"type": "object"},
            "stratum": {"type": "integer"},
            "exception_to": {"type": "array", "items": {"type": "string"}},
            "citation": {"type": "string"},
            "confidence": {"type": "string"},
        },
    },
    "JurisdictionRow": {
        "type": "object",
        "required": ["code", "alias", "zh", "en", "parent"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "string"},
            "alias": {"type": "string"},
            "zh": {"type": "string"},
            "en": {"type": "string"},
            "parent": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        },
    },
    "CalendarAdd": {
        "type": "object",
        "required": ["start", "working_days", "date", "provisional"],
        "additionalProperties": False,
        "properties": {
            "start": {"type": "string", "format": "date"},
            "working_days": {"type": "integer"},
            "date": {"type": "string", "format": "date"},
            "provisional": {"type": "boolean"},
        },
    },
    "IngestResult": {
        "type": "object",
        "description": "What `gridconnect track ingest --format json` prints, less `file` and "
        "`store`.",
        "additionalProperties": True,
    },
    "TrackStatus": {
        "type": "object",
        "description": "What `gridconnect track status --format json` prints.",
        "additionalProperties": True,
    },
}


@functools.cache
def _examples(registry: Registry, engine: str) -> dict[str, Any]:
    body = example_application()
    app = loads(body, Application, source="example")
    decision = evaluate(app, None, engine, registry=registry)
    chain = decision.jurisdictions[-1]
    try:
        loads(b'{"id": "", "applied_on": "2026-02-30"}', Application, source="request")
    except InputError as error:
        bad = problem_of(error).to_dict("/v1/evaluate")
    return {
        "application": json.loads(body),
        "decision": decision.to_dict(),
        "questions": pending(decision),
        "bundle": plan_for(app, None, engine, registry=registry).to_dict(),
        "rules": rule_rows(registry.catalogue.rulebook(chain, app.applied_on))[:3],
        "jurisdictions": jurisdiction_rows(registry.catalogue)[:3],
        "calendar": calendar_add_result(date(2026, 9, 30), 5),
        "problem": bad,
        "jurisdiction": chain,
        "as_of": app.applied_on.isoformat(),
    }


@functools.cache
def _document(registry: Registry, engine: str) -> dict[str, Any]:
    components: dict[str, Any] = {}
    hoist("Application", application_schema(), components)
    hoist("Decision", decision_schema(), components)
    hoist("BundlePlan", bundle_schema(), components)
    components.update(_SMALL_SCHEMAS)
    ex = _examples(registry, engine)
    app_body = {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"$ref": _COMPONENTS + "Application"},
                "example": ex["application"],
            }
        },
    }
    bad = ex["problem"]
    key: list[dict[str, list[str]]] = [{"apiKey": []}, {"bearer": []}]
    paths: dict[str, Any] = {
        "/v1/evaluate": {
            "post": {
                "summary": "Decide an application / 判定申请",
                "description": "The decision `gridconnect evaluate --format json FILE` prints for the file "
                "(the `decision` of its entry), serialised the same way.",
                "operationId": "evaluate",
                "parameters": [_AS_OF],
                "requestBody": app_body,
                "responses": {
                    "200": _json_response("The decision / 判定结果", "Decision", ex["decision"]),
                    **_problems("413", "422", "503", example=bad),
                },
            }
        },
        "/v1/explain": {
            "post": {
                "summary": "The derivation as text / 推导过程（文本）",
                "description": "The same text as `gridconnect explain FILE --lang LANG`.",
                "operationId": "explain",
                "parameters": [_AS_OF, _LANG],
                "requestBody": app_body,
                "responses": {
                    "200": {
                        "description": "The derivation with citations / 含依据的推导",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    **_problems("413", "422", "503", example=bad),
                },
            }
        },
        "/v1/questions": {
            "post": {
                "summary": "The questions that could change the decision / 待补充的问题",
                "description": "The same bytes as `gridconnect ask --format json FILE`; each "
                "`answer=PATH=VALUE` is `--answer PATH=VALUE`.",
                "operationId": "questions",
                "parameters": [
                    _AS_OF,
                    _param(
                        "answer",
                        "PATH=VALUE, repeatable / 字段路径=值，可重复",
                        schema={"type": "array", "items": {"type": "string"}},
                    ),
                ],
                "requestBody": app_body,
                "responses": {
                    "200": _json_response(
                        "Questions and decision / 问题与判定", "Questions", ex["questions"]
                    ),
                    **_problems("413", "422", "503", example=bad),
                },
            }
        },
        "/v1/bundle": {
            "post": {
                "summary": "Plan a bundled (一次办) request / 一次办方案",
                "description": "The same bytes as `gridconnect bundle --format json FILE`.",
                "operationId": "bundle",
                "parameters": [_AS_OF],
                "requestBody": app_body,
                "responses": {
                    "200": _json_response("The plan / 方案", "BundlePlan", ex["bundle"]),
                    **_problems("413", "422", "503", example=bad),
                },
            }
        },
        "/v1/rules": {
            "get": {
                "summary": "The rules in force / 现行规则",
                "description": "The same bytes as `gridconnect rules -j J --as-of D --format json`.",
                "operationId": "rules",
                "parameters": [
                    _param("jurisdiction", "Code or alias / 辖区代码或别名", required=True),
                    _param("as_of", "Date (default: today) / 日期（默认今天）", fmt="date"),
                ],
                "responses": {
                    "200": {
                        "description": "Rules / 规则",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": _COMPONENTS + "RuleRow"},
                                },
                                "example": ex["rules"],
                            }
                        },
                    },
                    **_problems("422"),
                },
            }
        },
        "/v1/jurisdictions": {
            "get": {
                "summary": "Every jurisdiction / 全部辖区",
                "operationId": "jurisdictions",
                "responses": {
                    "200": {
                        "description": "Jurisdictions, parents first / 辖区",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": _COMPONENTS + "JurisdictionRow"},
                                },
                                "example": ex["jurisdictions"],
                            }
                        },
                    }
                },
            }
        },
        "/v1/calendar/add": {
            "get": {
                "summary": "N working days after a date / 工作日推算",
                "operationId": "calendarAdd",
                "parameters": [
                    _param("start", "Start date (not counted) / 起算日", required=True, fmt="date"),
                    _param(
                        "n", "Working days / 工作日数", required=True, schema={"type": "integer"}
                    ),
                    _param(
                        "lenient",
                        "Allow years not yet encoded / 允许未编码年份",
                        schema={"type": "boolean", "default": False},
                    ),
                ],
                "responses": {
                    "200": _json_response("The date / 日期", "CalendarAdd", ex["calendar"]),
                    **_problems("422"),
                },
            }
        },
        "/v1/track/events": {
            "post": {
                "summary": "Ingest lifecycle events / 录入办电事件",
                "description": "JSON Lines, one event a line, as `gridconnect track ingest`; "
                "`submission_ref` is refused (give `submission`).",
                "operationId": "trackEvents",
                "security": key,
                "requestBody": {
                    "required": True,
                    "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                },
                "responses": {
                    "200": {
                        "description": "Ingested / 已录入",
                        "content": {
                            "application/json": {"schema": {"$ref": _COMPONENTS + "IngestResult"}}
                        },
                    },
                    "401": {
                        "description": "API key missing or wrong / 缺少或错误的密钥",
                        "content": {
                            PROBLEM_MEDIA_TYPE: {"schema": {"$ref": _COMPONENTS + "Problem"}}
                        },
                    },
                    **_problems("413", "422", "503"),
                },
            }
        },
        "/v1/track/{id}": {
            "get": {
                "summary": "An application's or project's state and clocks / 跟踪状态",
                "operationId": "trackStatus",
                "security": key,
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    _param("as_of", "Count events up to this day / 截至日期", fmt="date"),
                    _param(
                        "baseline_as_of", "Compare with the rules then / 对比基准日期", fmt="date"
                    ),
                    _param("baseline_jurisdiction", "Compare with this jurisdiction / 对比辖区"),
                ],
                "responses": {
                    "200": {
                        "description": "Status / 状态",
                        "content": {
                            "application/json": {"schema": {"$ref": _COMPONENTS + "TrackStatus"}}
                        },
                    },
                    "401": {
                        "description": "API key missing or wrong / 缺少或错误的密钥",
                        "content": {
                            PROBLEM_MEDIA_TYPE: {"schema": {"$ref": _COMPONENTS + "Problem"}}
                        },
                    },
                    **_problems("422", "503"),
                },
            }
        },
        "/healthz": {
            "get": {
                "summary": "Alive / 存活",
                "operationId": "healthz",
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/readyz": {
            "get": {
                "summary": "Ready / 就绪",
                "operationId": "readyz",
                "responses": {
                    "200": {"description": "ready"},
                    "503": {"description": "starting or stopping"},
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics / 监控指标",
                "operationId": "metrics",
                "responses": {
                    "200": {
                        "description": "text exposition",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "gridconnect",
            "version": __version__,
            "summary": "Getting-electricity (获得电力) rules over HTTP / 获得电力规则接口",
            "description": "Every endpoint answers with the same JSON as the matching "
            "`gridconnect` command. Errors are RFC 9457 problem details.",
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "bearer": {"type": "http", "scheme": "bearer"},
            },
        },
    }


def document(registry: Registry, engine: str) -> JSONObject:
    """The OpenAPI 3.1 document (built once per registry and engine)."""
    return _document(registry, engine)


_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gridconnect API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>
"""

_DOCS_INIT = """window.onload = function () {
  window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout"});
};
"""


@get("/openapi.json")
async def openapi_json(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The OpenAPI 3.1 document."""
    service = request.app.state.service
    return Response(
        json_text(document(service.registry, service.engine)).encode(),
        media_type="application/json",
    )


@get("/docs")
async def docs_page() -> Response[str]:
    """Swagger UI, from the assets shipped in ``swagger-ui-py``."""
    return Response(_DOCS_PAGE, media_type="text/html")


@get("/docs/init.js")
async def docs_init() -> Response[str]:
    return Response(_DOCS_INIT, media_type="text/javascript")


def handlers() -> list[Any]:
    """The route handlers of the OpenAPI document and its docs page."""
    return [openapi_json, docs_page, docs_init]
