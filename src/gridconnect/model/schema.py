"""JSON Schema (draft 2020-12) of an application, generated from the attrs model so it cannot
drift from it (by the one generator of :mod:`gridconnect.model.json_schema`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gridconnect.model.application import Application
from gridconnect.model.identifiers import CreditCode, DivisionCode, ResidentId
from gridconnect.model.json_schema import SchemaBuilder

if TYPE_CHECKING:
    from gridconnect.model.codec import JSONObject

__all__ = ["APPLICATION_SCHEMA_VERSION", "IDENTIFIERS", "application_schema", "schema_for"]

APPLICATION_SCHEMA_VERSION = "1.0"

IDENTIFIERS: Mapping[Any, dict[str, Any]] = {
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
"""The JSON form of the model's identifiers: strings of their pattern (check characters are
verified when the model is built)."""


def schema_for(cls: type[Any], *, title: str, version: str, output: bool = False) -> JSONObject:
    """The JSON Schema of an attrs model class: of what gridconnect reads (``output=False``:
    the fields without a default are required) or writes (``output=True``)."""
    builder = SchemaBuilder(output=output, leaves=IDENTIFIERS)
    return builder.document(cls, title=title, version=version)


def application_schema() -> JSONObject:
    """The JSON Schema of an application file.

    >>> application_schema()["$defs"]["Application"]["required"][:3]
    ['id', 'applied_on', 'applicant']
    """
    return schema_for(Application, title="application", version=APPLICATION_SCHEMA_VERSION)
