"""A faster way from JSON-shaped data to an :class:`~gridconnect.model.application.Application`,
with exactly the result of :func:`gridconnect.model.codec.structure`.

:func:`structure` goes through cattrs with hand-written hooks that collect every problem with its
path, which costs about twice the direct build for a typical application. Most rows of a batch
are valid, so :func:`fast_structure` first tries :data:`converter`: cattrs' *generated*
structuring functions (``cattrs.gen.make_dict_structure_fn``, ``detailed_validation=False``,
unknown keys forbidden) over scalar hooks that accept exactly what the codec accepts (the JSON
type the model expects, the codec's own :func:`~gridconnect.model.codec.check_date` and
:func:`~gridconnect.model.codec.check_number`); the model's constructors then run their own
validators as usual. Anything else (a wrong type, an unknown or missing key, a value a validator
refuses) is not judged here at all: the row goes through :func:`structure`, which gives the
located, bilingual error, or the object.

So the fast path either returns the very object :func:`structure` would return, or defers to it
(``tests/test_batch_fastparse.py`` checks this on generated and damaged applications;
``bench/bench_parse.py`` measures it against the codec and the hand-written builder it
replaced). It knows only the built-in model: a plugin that registers its own cattrs hooks should
turn it off (``fast=False`` in :func:`gridconnect.batch.run_batch`).
"""

from __future__ import annotations

import enum
import re
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn

from gridconnect.model import enums
from gridconnect.model.application import Application
from gridconnect.model.codec import MAX_NUMBER_CHARS, check_date, check_number, structure
from gridconnect.model.identifiers import CreditCode, DivisionCode, ResidentId

__all__ = ["converter", "direct", "fast_structure"]

T = TypeVar("T")

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _DeferError(Exception):
    """The fast path does not judge this value: :func:`structure` will."""


def _exact(kind: type[T]) -> Callable[[Any, Any], T]:
    def hook(value: Any, _: Any) -> T:
        if type(value) is not kind:
            raise _DeferError
        return value

    return hook


def _decimal(value: Any, _: Any) -> Decimal:
    kind = type(value)
    if kind not in (int, float, str) or (kind is str and len(value) > MAX_NUMBER_CHARS):
        raise _DeferError
    return check_number(Decimal(str(value)))  # InvalidOperation, FieldValueError: deferred


def _date(value: Any, _: Any) -> date:
    if type(value) is not str or not _DATE.fullmatch(value):
        raise _DeferError
    return check_date(date.fromisoformat(value))


def _text(cls: Callable[[str], T]) -> Callable[[Any, Any], T]:
    def hook(value: Any, _: Any) -> T:
        if type(value) is not str:
            raise _DeferError
        return cls(value)

    return hook


def _enum(cls: type[enum.Enum]) -> Callable[[Any, Any], Any]:
    members = {m.value: m for m in cls}  # what cls(value) looks up, without its call

    def hook(value: Any, _: Any) -> Any:
        if type(value) is not str:
            raise _DeferError
        return members[value]  # KeyError defers

    return hook


def _is_optional(t: Any) -> bool:
    return typing.get_origin(t) in (typing.Union, types.UnionType) and type(
        None
    ) in typing.get_args(t)


def _is_tuple(t: Any) -> bool:
    return typing.get_origin(t) is tuple and typing.get_args(t)[1:] == (Ellipsis,)


def _is_mapping(t: Any) -> bool:
    origin: Any = typing.get_origin(t)
    return origin in (Mapping, dict)


def _build() -> cattrs.Converter:
    conv = cattrs.Converter(detailed_validation=False, forbid_extra_keys=True)
    for kind in (str, bool, int):
        conv.register_structure_hook(kind, _exact(kind))
    conv.register_structure_hook(Decimal, _decimal)
    conv.register_structure_hook(date, _date)
    for name in enums.__all__:
        member = getattr(enums, name)
        if isinstance(member, type) and issubclass(member, enum.Enum):
            conv.register_structure_hook(member, _enum(member))
    for ident in (CreditCode, DivisionCode, ResidentId):
        conv.register_structure_hook(ident, _text(ident))

    def optional(value: Any, t: Any) -> Any:
        if value is None:
            return None
        (inner,) = [a for a in typing.get_args(t) if a is not type(None)]
        return conv.structure(value, inner)

    def sequence(value: Any, t: Any) -> tuple[Any, ...]:
        if type(value) is not list:
            raise _DeferError
        item = typing.get_args(t)[0]
        return tuple([conv.structure(v, item) for v in value])

    def mapping(value: Any, _: Any) -> dict[str, Any]:
        if type(value) is not dict:
            raise _DeferError
        return dict(value)

    def record(cls: type[Any]) -> Callable[[Any, Any], Any]:
        generated = make_dict_structure_fn(cls, conv, _cattrs_forbid_extra_keys=True)

        def hook(value: Any, t: Any) -> Any:
            if type(value) is not dict:
                raise _DeferError
            return generated(value, t)

        return hook

    conv.register_structure_hook_func(_is_optional, optional)
    conv.register_structure_hook_func(_is_tuple, sequence)
    conv.register_structure_hook_func(_is_mapping, mapping)
    conv.register_structure_hook_factory(attrs.has, record)
    return conv


converter: cattrs.Converter = _build()
"""The strict converter of the fast path: cattrs' generated structuring over exact-type scalar
hooks. It raises (anything) for data it does not take as it is."""


def direct(data: object) -> Application:
    """The application ``data`` describes, if the fast path takes it as it is; else raises
    (not a located error: :func:`fast_structure` then asks the codec)."""
    app: Application = converter.structure(data, Application)
    return app


def fast_structure(data: object, cls: type[T] = Application) -> T:  # type: ignore[assignment]
    """``structure(data, Application)``, faster for valid data; the same result always.

    >>> app = fast_structure({"id": "A1", "applied_on": "2026-01-05",
    ...     "applicant": {"kind": "resident", "name": "李明", "resident_id": "11010519491231002X"},
    ...     "site": {"division": "440106"}, "service": "new_connection",
    ...     "capacity": {"value": 8, "unit": "kW"}})
    >>> app.capacity.value
    Decimal('8')
    """
    if cls is not Application:
        return structure(data, cls)
    try:
        built: T = direct(data)  # type: ignore[assignment]
        return built
    except Exception:  # anything unusual is judged by the codec, which locates the problem
        return structure(data, cls)
