"""The application form of the staff page, generated from the application's JSON Schema
(:func:`gridconnect.model.schema.application_schema`, the one the CLI publishes), and the form
read back into the application's JSON.

Every property becomes one field named by its path (``applicant.kind``, ``documents.0.kind``):
an enum a drop-down, a date a date field, a number a number field, a boolean a yes/no choice, a
list of enum values a multiple choice, other text a text field. A list of objects (documents,
route segments) gets :data:`ROWS` rows; a row left empty is left out. What the form cannot hold
(a list of objects inside a row, a free object such as a bundle request's ``details``) is not in
it: such an application is pasted as JSON. The form is checked by nobody but the codec, so a
wrong value gets the same located problem as in a pasted application.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from gridconnect.model.codec import JSONObject

import attrs

__all__ = ["ROWS", "FormField", "application_from_form", "form_fields"]

ROWS = 3
"""Rows offered for each list of objects (documents, route segments, bundle requests)."""

Kind = Literal["text", "date", "number", "boolean", "enum", "multi"]

_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


@attrs.frozen
class FormField:
    """One field of the generated form."""

    #: The field's name: the path of the property, rows by number (``documents.0.kind``).
    name: str
    #: How it is entered (and read back): text, date, number, boolean, enum or multi.
    kind: Kind
    #: The values of an enum or multi field, in the schema's order.
    options: tuple[str, ...] = ()
    #: True when the application must have it (every object on its path required, no row).
    required: bool = False
    #: The schema's description of the property, if any.
    description: str = ""

    @property
    def group(self) -> str:
        """The top-level property it belongs to (its fieldset)."""
        return self.name.split(".", 1)[0]


def form_fields(schema: Mapping[str, Any], rows: int = ROWS) -> tuple[FormField, ...]:
    """The fields of the form for a JSON Schema whose root is (a ``$ref`` to) an object."""
    defs: Mapping[str, Any] = schema.get("$defs", {})

    def resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in node:
            node = defs[str(node["$ref"]).rsplit("/", 1)[1]]
        return node

    found: list[FormField] = []

    def walk(node: Mapping[str, Any], path: str, required: bool, in_row: bool) -> None:
        node = resolve(node)
        choices = [a for a in node.get("anyOf", ()) if a != {"type": "null"}]
        if "anyOf" in node:
            if len(choices) != 1:
                return  # a choice of shapes: paste it as JSON
            walk(choices[0], path, False, in_row)
            return
        described = str(node.get("description", ""))
        kind = node.get("type")
        if isinstance(kind, list):  # ["string", "null"]: an optional value, blank when absent
            kinds = [k for k in kind if k != "null"]
            kind = kinds[0] if len(kinds) == 1 else None
        if kind == "object":
            must = set(node.get("required", ()))
            for name, sub in node.get("properties", {}).items():
                walk(sub, f"{path}.{name}" if path else name, required and name in must, in_row)
            return
        if kind == "array":
            items = resolve(node.get("items", {}))
            if "enum" in items:
                options = tuple(str(v) for v in items["enum"])
                found.append(FormField(path, "multi", options, required, described))
            elif items.get("type") == "object" and not in_row:
                for row in range(rows):
                    walk(items, f"{path}.{row}", False, True)
            return  # a list of lists, or of objects inside a row: paste it as JSON
        if "enum" in node:
            options = tuple(str(v) for v in node["enum"])
            found.append(FormField(path, "enum", options, required, described))
        elif kind == "string":
            text: Kind = "date" if node.get("format") == "date" else "text"
            found.append(FormField(path, text, (), required, described))
        elif kind in ("number", "integer"):
            found.append(FormField(path, "number", (), required, described))
        elif kind == "boolean":
            found.append(FormField(path, "boolean", ("true", "false"), required, described))

    walk(schema, "", True, False)
    return tuple(found)


def _value(field: FormField, given: list[str]) -> Any:
    if field.kind == "multi":
        return given
    text = given[0]
    if field.kind == "number" and _NUMBER.fullmatch(text):
        return json.loads(text)  # as the number would be read from a pasted application
    if field.kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text  # anything else as it was typed: the codec says what is wrong with it


def _lists(node: Any) -> Any:
    """Rows (objects keyed by row number) as lists, in row order."""
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(k, int) for k in node):
        return [_lists(node[k]) for k in sorted(node)]
    return {k: _lists(v) for k, v in node.items()}


def application_from_form(
    values: Callable[[str], Sequence[str]], fields: Sequence[FormField]
) -> JSONObject:
    """The application's JSON from a submitted form: ``values(name)`` gives the values sent for
    a field. A field left blank is left out, and so is a row whose every field is blank."""
    data: dict[Any, Any] = {}
    for field in fields:
        given = [v.strip() for v in values(field.name) if v.strip()]
        if not given:
            continue
        node = data
        *parents, last = field.name.split(".")
        for part in parents:
            node = node.setdefault(int(part) if part.isdigit() else part, {})
        node[int(last) if last.isdigit() else last] = _value(field, given)
    result: dict[str, Any] = _lists(data)
    return result
