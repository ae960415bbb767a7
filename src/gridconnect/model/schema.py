"""JSON Schema (draft 2020-12) generated from the attrs model, so it cannot drift from it."""

from __future__ import annotations

import enum
import typing
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from gridconnect.model.application import Application
from gridconnect.model.identifiers import CreditCode, DivisionCode, ResidentId

if TYPE_CHECKING:
    from gridconnect.model.codec import JSONObject

__all__ = ["APPLICATION_SCHEMA_VERSION", "application_schema", "schema_for"]

APPLICATION_SCHEMA_VERSION = "1.0"

_LEAVES: Mapping[Any, dict[str, Any]] = {
    str: {"type": "string"},
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    Decimal: {"type": "number"},
    date: {"type": "string", "format": "date"},
    CreditCode: {
        "type": "string",
        "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$",
        "description": "统一社会信用代码 (GB 32100-2015), check characters verified",
    },
    ResidentId: {
        "type": "string",
        "pattern": "^[0-9]{17}[0-9Xx]$",
        "description": "居民身份证号码 (GB 11643-1999), check digit verified; personal data",
    },
    DivisionCode: {
        "type": "string",
        "pattern": "^[0-9]{6}$",
        "description": "行政区划代码 (GB/T 2260)",
    },
}


def _schema(t: Any, defs: dict[str, Any]) -> dict[str, Any]:
    if t in _LEAVES:
        return dict(_LEAVES[t])
    origin = typing.get_origin(t)
    args = typing.get_args(t)
    if origin in (typing.Union, __import__("types").UnionType):
        inner = [a for a in args if a is not type(None)]
        return {"anyOf": [_schema(inner[0], defs), {"type": "null"}]}
    if origin is tuple:
        return {"type": "array", "items": _schema(args[0], defs)}
    if origin in (Mapping, dict):
        return {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
            "additionalProperties": {"type": ["string", "integer", "boolean"]},
        }
    if isinstance(t, type) and issubclass(t, enum.Enum):
        return {"enum": [m.value for m in t]}
    if attrs.has(t):
        name = t.__name__
        if name not in defs:
            defs[name] = {}
            attrs.resolve_types(t)
            props: dict[str, Any] = {}
            required = []
            for f in attrs.fields(t):
                props[f.name] = _schema(f.type, defs)
                if f.default is attrs.NOTHING:
                    required.append(f.name)
            doc = (t.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
            defs[name] = {
                "type": "object",
                "description": doc,
                "properties": props,
                "required": required,
                "additionalProperties": False,
            }
        return {"$ref": f"#/$defs/{name}"}
    raise TypeError(f"no schema for {t!r}")


def schema_for(cls: type[Any], *, title: str, version: str) -> JSONObject:
    """The JSON Schema of an attrs model class."""
    defs: dict[str, Any] = {}
    root = _schema(cls, defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://gridconnect.invalid/schema/{title}/{version}",
        "title": title,
        "x-schema-version": version,
        **root,
        "$defs": defs,
    }


def application_schema() -> JSONObject:
    """The JSON Schema of an application file.

    >>> application_schema()["$defs"]["Application"]["required"][:3]
    ['id', 'applied_on', 'applicant']
    """
    return schema_for(Application, title="application", version=APPLICATION_SCHEMA_VERSION)
