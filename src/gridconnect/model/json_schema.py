"""One JSON Schema generator (draft 2020-12) for every attrs class gridconnect reads or writes.

The application schema (:func:`gridconnect.model.schema.application_schema`), the decision
schema (:func:`gridconnect.output.schemas.decision_schema`) and the bundle schema
(:func:`gridconnect.decide.bundle.bundle_schema`) are all made by a :class:`SchemaBuilder`
walking the attrs classes, so none can drift from the classes. Each attrs class becomes a
definition in ``$defs`` (its first docstring paragraph the description, the ``#:`` comment or
docstring of each field the description of its property), and each type a schema:

* text, integers, booleans, decimals, dates and enums as JSON has them (an enum by its values,
  a ``Literal`` by its members);
* ``X | None`` as either; a tuple as an array; a mapping as an object of its values;
* a named union (:meth:`SchemaBuilder.name`, e.g. a rule's ``Value``) as a definition of its own.

Where the JSON is not the Python type, the field says so in its attrs ``metadata``
(:func:`json_field`): another JSON name, a field the JSON leaves out, a field written only when
it is set, a tuple of pairs written as objects, or a shape of its own. A class whose JSON adds
constants (``schema_version``) or leaves out its unset optional fields says so with
:func:`json_object`.

An *output* schema (what gridconnect writes) requires every key the JSON always has; an
*input* schema (what it reads) requires the fields without a default. Both allow no key
beyond the fields.
"""

from __future__ import annotations

import ast
import copy
import enum
import functools
import inspect
import operator
import re
import textwrap
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import attrs

__all__ = [
    "DRAFT",
    "JsonField",
    "JsonObject",
    "SchemaBuilder",
    "Shape",
    "field_docs",
    "json_field",
    "json_object",
    "plain_text",
]

DRAFT = "https://json-schema.org/draft/2020-12/schema"
"""The JSON Schema dialect of every schema gridconnect publishes."""

Shape = Mapping[str, Any] | Callable[["SchemaBuilder"], dict[str, Any]]
"""A JSON form given explicitly: a schema, or a function of the builder that returns one (and
may add definitions through it)."""

_KEY = "gridconnect.json"
_T = TypeVar("_T")


@attrs.frozen(kw_only=True)
class JsonField:
    """How one attrs field appears in JSON where that is not what its type says."""

    #: The JSON key (None: the field's name).
    name: str | None = None
    #: The JSON leaves the field out (e.g. a parsed form beside its text).
    omit: bool = False
    #: The key is written only when the value is set: not None and not empty.
    when_set: bool = False
    #: A tuple of pairs written as objects with these two keys.
    pairs: tuple[str, str] | None = None
    #: The JSON form of the value, in place of the one its type gives.
    shape: Shape | None = None
    #: Keywords added to the schema of the value (``minimum``, ``description``, ...).
    extra: Mapping[str, Any] = attrs.field(factory=dict)


def json_field(
    *,
    name: str | None = None,
    omit: bool = False,
    when_set: bool = False,
    pairs: tuple[str, str] | None = None,
    shape: Shape | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, JsonField]:
    """The attrs ``metadata`` of a field whose JSON is not what its type says (see
    :class:`JsonField`): ``attrs.field(metadata=json_field(omit=True))``."""
    return {
        _KEY: JsonField(
            name=name, omit=omit, when_set=when_set, pairs=pairs, shape=shape, extra=extra or {}
        )
    }


@attrs.frozen(kw_only=True)
class JsonObject:
    """How the JSON of an attrs class differs from its fields, as a whole."""

    #: Keys the JSON always has with a fixed value, before the fields (``schema_version``).
    constants: Mapping[str, Any] = attrs.field(factory=dict)
    #: Optional fields (``X | None = None``) are left out of the JSON when None.
    drop_none: bool = False
    #: The name of its definition (None: the class's name).
    name: str | None = None
    #: The title of a published schema whose root it is (its definition carries it, so that
    #: the definition is the same wherever it is used).
    title: str | None = None
    #: The version of that schema (``x-schema-version``).
    version: str | None = None


_OBJECTS: dict[type[Any], JsonObject] = {}


def json_object(
    *,
    constants: Mapping[str, Any] | None = None,
    drop_none: bool = False,
    name: str | None = None,
    title: str | None = None,
    version: str | None = None,
) -> Callable[[type[_T]], type[_T]]:
    """A class decorator (above ``@attrs.frozen``) saying how the class's JSON differs from
    its fields as a whole (see :class:`JsonObject`)."""

    def register(cls: type[_T]) -> type[_T]:
        _OBJECTS[cls] = JsonObject(
            constants=constants or {},
            drop_none=drop_none,
            name=name,
            title=title,
            version=version,
        )
        return cls

    return register


_LEAVES: Mapping[Any, dict[str, Any]] = {
    str: {"type": "string"},
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    Decimal: {"type": "number"},
    date: {"type": "string", "format": "date"},
    Any: {},
    object: {},
}

_ROLE = re.compile(r":[a-z:]+:`(~?)([^`<]*?)\s*(?:<([^>]*)>)?`")


def plain_text(text: str) -> str:
    """Docstring text without reStructuredText markup: ``:class:`~a.b.C``` becomes ``C``,
    ````x```` becomes ``x``, lines are joined."""

    def role(m: re.Match[str]) -> str:
        shown = m.group(2).strip()
        if not shown and m.group(3):
            shown = m.group(3)
        return shown.rsplit(".", 1)[-1] if m.group(1) else shown

    out = _ROLE.sub(role, text).replace("``", "")
    return " ".join(out.split())


_DOCS: dict[type[Any], Mapping[str, str]] = {}


def field_docs(cls: type[Any]) -> Mapping[str, str]:
    """The ``#:`` comment above each field of ``cls``, or the docstring below it, as plain text
    (empty when the source cannot be read)."""
    if cls not in _DOCS:
        _DOCS[cls] = _read_field_docs(cls)
    return _DOCS[cls]


def _read_field_docs(cls: type[Any]) -> Mapping[str, str]:
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):
        return {}
    lines = source.splitlines()
    (node,) = ast.parse(source).body
    assert isinstance(node, ast.ClassDef)
    found: dict[str, str] = {}
    for i, stmt in enumerate(node.body):
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        comments: list[str] = []
        row = stmt.lineno - 2
        while row >= 0 and lines[row].strip().startswith("#:"):
            comments.insert(0, lines[row].strip()[2:].strip())
            row -= 1
        text = " ".join(comments)
        after = node.body[i + 1] if i + 1 < len(node.body) else None
        if (
            not text
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            text = after.value.value
        if text:
            found[stmt.target.id] = plain_text(text)
    return found


def _class_doc(cls: type[Any]) -> str:
    return plain_text((cls.__doc__ or "").strip().split("\n\n")[0])


def _meta(field: attrs.Attribute[Any]) -> JsonField:
    meta = field.metadata.get(_KEY)
    return meta if isinstance(meta, JsonField) else JsonField()


def _is_union(t: Any) -> bool:
    return typing.get_origin(t) in (typing.Union, types.UnionType)


def _without_none(t: Any) -> Any:
    """``t`` without ``None`` when it is an optional type; otherwise ``t``."""
    if not _is_union(t):
        return t
    inner = tuple(a for a in typing.get_args(t) if a is not type(None))
    if len(inner) == len(typing.get_args(t)):
        return t
    return functools.reduce(operator.or_, inner)


class SchemaBuilder:
    """Builds JSON Schemas from attrs classes, collecting the definitions they reference.

    ``output=True`` for what gridconnect writes (every key it always writes is required),
    ``False`` for what it reads (the fields without a default are required). ``leaves`` gives
    the schema of types that are not attrs classes (identifiers, ...).

    >>> from gridconnect.rules.model import Limit
    >>> b = SchemaBuilder(output=True)
    >>> b.of(Limit), b.defs["Limit"]["required"], b.defs["Limit"]["properties"]["amount"]
    ({'$ref': '#/$defs/Limit'}, ['amount', 'unit'], {'type': 'integer', 'description': 'The number of days.'})
    >>> SchemaBuilder(output=False).of(Limit | None)
    {'anyOf': [{'$ref': '#/$defs/Limit'}, {'type': 'null'}]}
    """

    def __init__(self, *, output: bool, leaves: Mapping[Any, Shape] | None = None) -> None:
        self.output = output
        self.leaves: dict[Any, Shape] = dict(leaves or {})
        #: The definitions made so far, by name.
        self.defs: dict[str, Any] = {}
        self._names: dict[frozenset[Any], tuple[str, str]] = {}
        self._classes: dict[str, type[Any]] = {}

    def name(self, union: Any, name: str, description: str = "") -> None:
        """Give a union type (a type alias such as ``Value``) a definition of its own,
        referenced wherever the union (or the union with ``None``) is a field's type."""
        self._names[frozenset(typing.get_args(union))] = (name, description)

    def ref(self, name: str) -> dict[str, Any]:
        """A reference to the definition ``name``."""
        return {"$ref": f"#/$defs/{name}"}

    def of(self, t: Any) -> dict[str, Any]:
        """The schema of the type ``t`` (a reference for an attrs class or a named union)."""
        if t in self.leaves:
            shape = self.leaves[t]
            return copy.deepcopy(dict(shape)) if isinstance(shape, Mapping) else shape(self)
        if t in _LEAVES:
            return dict(_LEAVES[t])
        if t is type(None):
            return {"type": "null"}
        origin, args = typing.get_origin(t), typing.get_args(t)
        if _is_union(t):
            return self._union(args)
        if origin is typing.Literal:
            return {"enum": list(args)}
        if origin is tuple:
            return {"type": "array", "items": self.of(args[0])}
        if origin in (Mapping, dict, typing.Mapping):
            values = self.of(args[1])
            return {"type": "object", **({"additionalProperties": values} if values else {})}
        if isinstance(t, type) and issubclass(t, enum.Enum):
            return {"enum": [m.value for m in t]}
        if isinstance(t, type) and attrs.has(t):
            return self.define(t)
        raise TypeError(f"no JSON Schema for {t!r}")

    def _union(self, args: tuple[Any, ...], *, named: bool = True) -> dict[str, Any]:
        inner = tuple(a for a in args if a is not type(None))
        alias = self._names.get(frozenset(inner)) if named else None
        if alias is not None:
            name, description = alias
            if name not in self.defs:
                self.defs[name] = {}
                union = self._union(inner, named=False)
                self.defs[name] = {**union, "description": description}
            schema = self.ref(name)
            members = [schema]
        else:
            members = [self.of(a) for a in inner]
        if len(inner) < len(args):
            members.append({"type": "null"})
        simple = [m["type"] for m in members if list(m) == ["type"]]
        merged: list[dict[str, Any]] = []
        if len(simple) > 1:
            flat = [t for ts in simple for t in ([ts] if isinstance(ts, str) else ts)]
            merged.append({"type": flat})
            merged += [m for m in members if list(m) != ["type"]]
        else:
            merged = members
        return merged[0] if len(merged) == 1 else {"anyOf": merged}

    def define(self, cls: type[Any], *, name: str | None = None) -> dict[str, Any]:
        """A reference to the definition of the attrs class ``cls`` (made on first use, under
        ``name``, its :func:`json_object` name or its class name)."""
        how = _OBJECTS.get(cls, JsonObject())
        key = name or how.name or cls.__name__
        held = self._classes.setdefault(key, cls)
        if held is not cls:
            raise TypeError(
                f"two classes would share the definition {key!r}: "
                f"{held.__module__}.{held.__qualname__} and {cls.__module__}.{cls.__qualname__}"
            )
        if key in self.defs:
            return self.ref(key)
        self.defs[key] = {}  # a class that holds itself refers to the definition being made
        attrs.resolve_types(cls)
        docs = field_docs(cls)
        props: dict[str, Any] = {k: {"const": v} for k, v in how.constants.items()}
        required = list(how.constants)
        for f in attrs.fields(cls):
            meta = _meta(f)
            if meta.omit:
                continue
            optional = f.default is not attrs.NOTHING and not self.output
            dropped = meta.when_set or (
                how.drop_none and f.default is None and _without_none(f.type) is not f.type
            )
            schema = self._field(f, meta, dropped)
            if f.name in docs and "description" not in schema:
                schema = {**schema, "description": docs[f.name]}
            json_name = meta.name or f.name
            props[json_name] = schema
            if not (optional or dropped):
                required.append(json_name)
        definition: dict[str, Any] = {"type": "object"}
        if how.title is not None:
            definition["title"] = how.title
        if how.version is not None:
            definition["x-schema-version"] = how.version
        if doc := _class_doc(cls):
            definition["description"] = doc
        definition |= {"properties": props, "required": required, "additionalProperties": False}
        self.defs[key] = definition
        return self.ref(key)

    def _field(self, f: attrs.Attribute[Any], meta: JsonField, dropped: bool) -> dict[str, Any]:
        t = _without_none(f.type) if dropped else f.type
        if meta.shape is not None:
            shape = meta.shape
            schema = copy.deepcopy(dict(shape)) if isinstance(shape, Mapping) else shape(self)
        elif meta.pairs is not None:
            first, second = typing.get_args(typing.get_args(t)[0])
            schema = {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {meta.pairs[0]: self.of(first), meta.pairs[1]: self.of(second)},
                    "required": list(meta.pairs),
                    "additionalProperties": False,
                },
            }
        else:
            schema = self.of(t)
        if dropped and typing.get_origin(t) is tuple:
            schema["minItems"] = 1
        return {**schema, **copy.deepcopy(dict(meta.extra))}

    def document(
        self, root: type[Any], *, title: str | None = None, version: str | None = None
    ) -> dict[str, Any]:
        """The whole schema of ``root``: dialect, id, title, version (by default those of its
        :func:`json_object`), a reference to the root's definition and every definition it
        needs."""
        how = _OBJECTS.get(root, JsonObject())
        title = title or how.title
        version = version or how.version
        if title is None or version is None:
            raise ValueError(f"a schema of {root.__name__} needs a title and a version")
        ref = self.of(root)
        return {
            "$schema": DRAFT,
            "$id": f"https://gridconnect.invalid/schema/{title}/{version}",
            "title": title,
            "x-schema-version": version,
            **ref,
            "$defs": self.defs,
        }
