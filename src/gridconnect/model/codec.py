"""JSON in and out of the model, through cattrs.

Structuring never stops at the first problem: every field is tried, and one
:class:`~gridconnect.errors.InputError` lists each problem with its JSON path (``$.applicant.kind``)
and a message in English and Chinese. Dates are ISO 8601, enums travel by their lower-case value,
Chinese text is kept as it is, and no personal identifier is ever echoed in a message.
"""

from __future__ import annotations

import enum
import json
import re
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeAlias, TypeVar

import attrs
import cattrs

from gridconnect.errors import FieldValueError, InputError, Problem, shown

__all__ = [
    "DATE_MAX",
    "DATE_MIN",
    "MAX_DEPTH",
    "MAX_INPUT_BYTES",
    "MAX_NUMBER_CHARS",
    "JSONObject",
    "JSONValue",
    "check_date",
    "check_depth",
    "check_number",
    "converter",
    "dumps",
    "loads",
    "parse_json",
    "read_bounded",
    "read_enums_by_value",
    "structure",
    "unstructure",
]

T = TypeVar("T")

JSONValue: TypeAlias = "bool | int | float | str | list[JSONValue] | dict[str, JSONValue] | None"
"""A value JSON can hold, as :func:`json.loads` gives it: the type of every ``to_dict`` and
published document (decisions, bundles, reports, schemas)."""
JSONObject: TypeAlias = "dict[str, JSONValue]"
"""A JSON object: what ``to_dict`` methods return."""

MAX_INPUT_BYTES = 1 << 20
"""Largest JSON document accepted (1 MiB); an application is a few kilobytes."""
MAX_DEPTH = 32
"""Deepest nesting of objects and lists accepted."""

DATE_MIN = date(1949, 10, 1)
"""Earliest date accepted anywhere in the input (the founding of the People's Republic: no
policy this library encodes is older)."""
DATE_MAX = date(2199, 12, 31)
"""Latest date accepted anywhere in the input. Rule time limits are at most
``gridconnect.rules.loader.MAX_LIMIT_DAYS`` (10,000) days or working days, i.e. under 45
years even counted in working days, so every due date stays before 2250, far inside what
``datetime.date`` can hold (9999-12-31) and what the calendars can count."""
MAX_NUMBER_CHARS = 40
"""Longest number accepted, in characters of its JSON text. Python refuses to read integers of
more than 4,300 digits at all; 40 characters hold every quantity an application has."""
_NUMBER_DIGITS = 17
"""Most significant digits of a decimal quantity: what the shortest text of a double has at
most (``0.30000000000000004``), so any number a program writes is accepted, and no quantity
carries digits that durable (which holds doubles) would drop while the reference engine kept
them beyond the double's own."""
_NUMBER_EXPONENTS = (-9, 12)
"""Smallest and largest decimal exponent of a non-zero quantity (1e-9 .. 9.99e12): every
quantity, and every product and quotient of two, stays a normal double."""

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _Oversized:
    """What :func:`parse_json` puts in place of a number whose text is too long to read."""

    __slots__ = ("length",)

    def __init__(self, length: int) -> None:
        self.length = length

    def __repr__(self) -> str:
        return f"<number of {self.length} characters>"


def _oversized(value: _Oversized) -> FieldValueError:
    return FieldValueError(
        f"a number of {value.length} characters: at most {MAX_NUMBER_CHARS} are accepted",
        f"数值有 {value.length} 个字符，最多接受 {MAX_NUMBER_CHARS} 个",
    )


def _parse_int(text: str) -> int | _Oversized:
    return _Oversized(len(text)) if len(text) > MAX_NUMBER_CHARS else int(text)


def _parse_float(text: str) -> float | _Oversized:
    return _Oversized(len(text)) if len(text) > MAX_NUMBER_CHARS else float(text)


def check_date(value: date) -> date:
    """``value`` if it lies in ``DATE_MIN`` .. ``DATE_MAX`` (1949-10-01 .. 2199-12-31), else a
    :class:`~gridconnect.errors.FieldValueError`.

    >>> check_date(date(9999, 12, 31))
    Traceback (most recent call last):
    ...
    gridconnect.errors.FieldValueError: must be from 1949-10-01 to 2199-12-31 / 须在 1949-10-01 至 2199-12-31 之间
    """
    if not DATE_MIN <= value <= DATE_MAX:
        lo, hi = DATE_MIN.isoformat(), DATE_MAX.isoformat()
        raise FieldValueError(f"must be from {lo} to {hi}", f"须在 {lo} 至 {hi} 之间")
    return value


def check_number(number: Decimal) -> Decimal:
    """``number`` if it is finite, has at most 17 significant digits and is zero or between
    1e-9 and 1e13 in magnitude; else a :class:`~gridconnect.errors.FieldValueError`. No
    arithmetic is done before this check, so no quantity can overflow or underflow later.

    >>> check_number(Decimal("0.9"))
    Decimal('0.9')
    >>> check_number(Decimal("1e-999999"))
    Traceback (most recent call last):
    ...
    gridconnect.errors.FieldValueError: must be zero or between 1e-9 and 1e13 in size / 须为零或绝对值在 1e-9 至 1e13 之间
    """
    if not number.is_finite():
        raise FieldValueError("must be a finite number", "须为有限数值")
    if number.is_zero():
        return number
    low, high = _NUMBER_EXPONENTS
    if not low <= number.adjusted() <= high:
        raise FieldValueError(
            "must be zero or between 1e-9 and 1e13 in size", "须为零或绝对值在 1e-9 至 1e13 之间"
        )
    digits = "".join(map(str, number.as_tuple().digits)).strip("0")
    if len(digits) > _NUMBER_DIGITS:
        raise FieldValueError(
            f"has more than {_NUMBER_DIGITS} significant digits",
            f"有效数字超过 {_NUMBER_DIGITS} 位",
        )
    return number


class _CollectedError(Exception):
    """Problems found below one value, with paths relative to it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


def _join(prefix: str, path: str) -> str:
    if not path:
        return prefix
    return prefix + path if path.startswith("[") else f"{prefix}.{path}"


def _relocate(error: BaseException, at: str) -> list[Problem]:
    """Turn an exception raised while structuring the value at ``at`` into located problems."""
    if isinstance(error, _CollectedError):
        return [attrs.evolve(p, path=_join(at, p.path)) for p in error.problems]
    if isinstance(error, FieldValueError):
        path = at if error.field is None else _join(at, error.field)
        return [Problem(path=path, en=error.en, zh=error.zh)]
    return [Problem(path=at, en="invalid value", zh="取值无效")]


def _type_name(t: Any) -> tuple[str, str]:
    names = {
        str: ("text", "文本"),
        int: ("an integer", "整数"),
        bool: ("true or false", "true 或 false"),
        Decimal: ("a number", "数值"),
        date: ("a date (YYYY-MM-DD)", "日期（YYYY-MM-DD）"),
    }
    return names.get(t, ("an object", "对象"))


def _expect(t: type, en: str, zh: str) -> FieldValueError:
    return FieldValueError(f"expected {en}", f"应为{zh}")


def _structure_str(value: Any, _: Any) -> str:
    if not isinstance(value, str):
        raise _expect(str, "text", "文本")
    return value


def _structure_bool(value: Any, _: Any) -> bool:
    if not isinstance(value, bool):
        raise _expect(bool, "true or false", "true 或 false")
    return value


def _structure_int(value: Any, _: Any) -> int:
    if isinstance(value, _Oversized):
        raise _oversized(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _expect(int, "an integer", "整数")
    return value


def _structure_decimal(value: Any, _: Any) -> Decimal:
    if isinstance(value, _Oversized):
        raise _oversized(value)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise _expect(Decimal, "a number", "数值")
    if isinstance(value, str) and len(value) > MAX_NUMBER_CHARS:
        raise _oversized(_Oversized(len(value)))
    if isinstance(value, int) and value.bit_length() > 4 * MAX_NUMBER_CHARS:
        raise _oversized(_Oversized(MAX_NUMBER_CHARS + 1))
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _expect(Decimal, "a number", "数值") from None
    return check_number(number)


def _structure_date(value: Any, _: Any) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _expect(date, "a date (YYYY-MM-DD)", "日期（YYYY-MM-DD）")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise FieldValueError(
            "is not a real date in the form YYYY-MM-DD", "不是有效日期（YYYY-MM-DD）"
        ) from None
    return check_date(day)


def _structure_enum(value: Any, cls: type[enum.Enum]) -> enum.Enum:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in cls)
        raise FieldValueError(f"must be one of: {allowed}", f"须为以下之一：{allowed}") from None


def read_enums_by_value(*classes: type[enum.Enum]) -> None:
    """Make the codec read these enums (defined outside :mod:`gridconnect.model`) by value, with
    the same located, bilingual error for a value that is not one of theirs."""
    for cls in classes:
        converter.register_structure_hook(cls, _structure_enum)


def _structure_via_constructor(value: Any, cls: Callable[[str], T]) -> T:
    if not isinstance(value, str):
        raise _expect(str, "text", "文本")
    return cls(value)


def _is_optional(t: Any) -> bool:
    return typing.get_origin(t) in (typing.Union, types.UnionType) and type(
        None
    ) in typing.get_args(t)


def _make_optional_hook(t: Any) -> Callable[[Any, Any], Any]:
    (inner,) = [a for a in typing.get_args(t) if a is not type(None)]
    bound: Callable[[Any, Any], Any] | None = None  # bound at the first call, as cattrs does

    def structure_optional(value: Any, _: Any) -> Any:
        nonlocal bound
        if value is None:
            return None
        if bound is None:
            bound = converter.get_structure_hook(inner)
        return bound(value, inner)

    return structure_optional


def _is_tuple(t: Any) -> bool:
    args = typing.get_args(t)
    return typing.get_origin(t) is tuple and len(args) == 2 and args[1] is Ellipsis


def _make_tuple_hook(t: Any) -> Callable[[Any, Any], Any]:
    item_type = typing.get_args(t)[0]
    bound: Callable[[Any, Any], Any] | None = None  # bound at the first call, as cattrs does

    def structure_tuple(value: Any, _: Any) -> tuple[Any, ...]:
        nonlocal bound
        if not isinstance(value, list):
            raise FieldValueError("expected a list", "应为列表")
        if bound is None:
            bound = converter.get_structure_hook(item_type)
        items: list[Any] = []
        problems: list[Problem] = []
        for index, item in enumerate(value):
            try:
                items.append(bound(item, item_type))
            except Exception as error:  # collected, then reported together
                problems += _relocate(error, f"[{index}]")
        if problems:
            raise _CollectedError(problems)
        return tuple(items)

    return structure_tuple


def _is_str_mapping(t: Any) -> bool:
    return typing.get_origin(t) in (Mapping, dict)


def _structure_mapping(value: Any, t: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldValueError("expected an object", "应为对象")
    return dict(value)


def _make_attrs_hook(cls: type[Any]) -> Callable[[Any, Any], Any]:
    attrs.resolve_types(cls)
    fields = attrs.fields(cls)
    names = {f.name for f in fields}
    # The fields' hooks, bound at the first call (not here: a class may contain itself) and
    # kept, as cattrs keeps those of the hooks it generates; registering a hook clears
    # cattrs's cache, so this factory runs again and binds afresh.
    bound: tuple[Callable[[Any, Any], Any], ...] | None = None

    def structure_attrs(value: Any, _: Any) -> Any:
        nonlocal bound
        if not isinstance(value, dict):
            raise FieldValueError("expected an object", "应为对象")
        if bound is None:
            bound = tuple(converter.get_structure_hook(f.type) for f in fields)
        problems: list[Problem] = []
        for key in value:
            if key not in names:
                problems.append(
                    Problem(
                        path=shown(key),
                        en=f"unknown field; known fields: {', '.join(sorted(names))}",
                        zh="未知字段",
                    )
                )
        kwargs: dict[str, Any] = {}
        for f, hook in zip(fields, bound, strict=True):
            if f.name not in value:
                if f.default is attrs.NOTHING:
                    problems.append(Problem(path=f.name, en="is required", zh="为必填项"))
                continue
            try:
                item = hook(value[f.name], f.type)
            except Exception as error:  # collected, then reported together
                problems += _relocate(error, f.name)
                continue
            try:
                if f.validator is not None:
                    f.validator(None, f, item)
            except FieldValueError as error:  # the validator names its own field
                problems.append(Problem(path=f.name, en=error.en, zh=error.zh))
                continue
            kwargs[f.name] = item
        if problems:
            raise _CollectedError(problems)
        return cls(**kwargs)

    return structure_attrs


def _identifier_value(value: Any) -> str:
    text: str = value.value
    return text


def _unstructure_decimal(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _unstructure_enum(value: enum.Enum) -> Any:
    return value.value


def _build_converter() -> cattrs.Converter:
    from gridconnect.model.identifiers import CreditCode, DivisionCode, ResidentId

    conv = cattrs.Converter(forbid_extra_keys=True)
    # Exact-type predicates: a StrEnum is a str, and must not be structured as plain text.
    for exact, hook in (
        (str, _structure_str),
        (bool, _structure_bool),
        (int, _structure_int),
        (Decimal, _structure_decimal),
        (date, _structure_date),
    ):
        conv.register_structure_hook(exact, hook)
    from gridconnect.model import enums

    # Registered per class: cattrs would otherwise treat a StrEnum as plain text.
    for name in enums.__all__:
        conv.register_structure_hook(getattr(enums, name), _structure_enum)
        conv.register_unstructure_hook(getattr(enums, name), _unstructure_enum)
    for ident in (CreditCode, DivisionCode, ResidentId):
        conv.register_structure_hook(ident, _structure_via_constructor)
        conv.register_unstructure_hook(ident, _identifier_value)
    conv.register_structure_hook_factory(_is_optional, _make_optional_hook)
    conv.register_structure_hook_factory(_is_tuple, _make_tuple_hook)
    conv.register_structure_hook_func(_is_str_mapping, _structure_mapping)
    conv.register_structure_hook_factory(attrs.has, _make_attrs_hook)
    conv.register_unstructure_hook(Decimal, _unstructure_decimal)
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), lambda v: v.value
    )
    conv.register_unstructure_hook_func(
        lambda t: (isinstance(t, type) and issubclass(t, Mapping)) or _is_str_mapping(t),
        lambda v: dict(v),
    )
    return conv


converter: cattrs.Converter = _build_converter()
"""The converter behind :func:`structure` and :func:`unstructure`; plugins may register hooks."""


def check_depth(value: object, source: str | None, max_depth: int = MAX_DEPTH) -> None:
    """Refuse a parsed JSON value nested deeper than ``max_depth`` (a located error)."""
    if not isinstance(value, dict | list):
        return
    stack: list[tuple[Any, int]] = [(value, 1)]  # only objects and lists go on it
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise InputError(
                [
                    Problem(
                        path="$",
                        en=f"nested deeper than {max_depth} levels",
                        zh=f"嵌套超过 {max_depth} 层",
                    )
                ],
                source=source,
            )
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))


def structure(data: object, cls: type[T], *, source: str | None = None) -> T:
    """Build a model object from JSON-shaped data, or raise one :class:`InputError` listing
    every problem.

    >>> from gridconnect.model import Capacity
    >>> structure({"value": 160, "unit": "kW"}, Capacity)
    Capacity(value=Decimal('160'), unit=<CapacityUnit.KW: 'kW'>)
    >>> structure({"value": -1, "unit": "W"}, Capacity)
    Traceback (most recent call last):
    ...
    gridconnect.errors.InputError: 2 problems in the input / 输入有 2 处错误
      - $.value: must be a positive number / 须为正数
      - $.unit: must be one of: kW, kVA / 须为以下之一：kW, kVA
    """
    check_depth(data, source)
    try:
        return converter.structure(data, cls)
    except Exception as error:  # every failure below becomes a located problem
        raise InputError(_relocate(error, "$"), source=source) from None


def unstructure(obj: Any) -> Any:
    """The JSON-shaped form of a model object (dates as ISO strings, enums by value)."""
    return converter.unstructure(obj)


def loads(text: str | bytes, cls: type[T], *, source: str | None = None) -> T:
    """Parse JSON text into a model object; size, nesting and syntax are checked first."""
    size = len(text.encode("utf-8", "surrogatepass")) if isinstance(text, str) else len(text)
    if size > MAX_INPUT_BYTES:
        raise InputError(
            [
                Problem(
                    path="$",
                    en=f"larger than {MAX_INPUT_BYTES} bytes",
                    zh=f"超过 {MAX_INPUT_BYTES} 字节",
                )
            ],
            source=source,
        )
    return structure(parse_json(text, source=source), cls, source=source)


def parse_json(text: str | bytes, *, source: str | None = None) -> Any:
    """JSON text as data, or an :class:`~gridconnect.errors.InputError` located at the line and
    column. Numbers of more than ``MAX_NUMBER_CHARS`` (40) characters are not read (Python would refuse integers of
    over 4,300 digits with a bare ``ValueError``): they stay placeholders that structuring
    reports at their JSON path."""
    try:
        return json.loads(text, parse_int=_parse_int, parse_float=_parse_float)
    except json.JSONDecodeError as error:
        raise InputError(
            [
                Problem(
                    path=f"$ (line {error.lineno} column {error.colno})",
                    en=f"not valid JSON: {error.msg}",
                    zh="不是有效的 JSON",
                )
            ],
            source=source,
        ) from None
    except (RecursionError, UnicodeDecodeError, ValueError):
        raise InputError(
            [
                Problem(
                    path="$",
                    en="not readable JSON (bad encoding, nesting or number)",
                    zh="无法读取的 JSON（编码、嵌套或数值有误）",
                )
            ],
            source=source,
        ) from None


def dumps(obj: object) -> str:
    """Deterministic JSON text: sorted keys, Chinese kept as it is, two-space indent."""
    return json.dumps(unstructure(obj), ensure_ascii=False, sort_keys=True, indent=2)


def read_bounded(path: str | Path, limit: int = MAX_INPUT_BYTES, *, what: str = "file") -> bytes:
    """The bytes of one regular file of at most ``limit`` bytes: the one reader of every input
    file. The size is checked on the open descriptor (no race with a rename), a device, pipe
    or directory is refused, and at most ``limit + 1`` bytes are ever read, so ``/dev/zero`` or
    a file growing while read cannot exhaust memory.

    >>> read_bounded("/dev/zero")
    Traceback (most recent call last):
    ...
    gridconnect.errors.InputError: /dev/zero: 1 problem in the input / /dev/zero: 输入有 1 处错误
      - $: not a regular file / 不是普通文件
    """
    import os
    import stat

    p = Path(path)
    source = shown(str(p), 200)

    def refuse(en: str, zh: str) -> InputError:
        return InputError([Problem(path="$", en=en, zh=zh)], source=source)

    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise refuse(
            f"cannot read the {what}: {error.strerror}", f"无法读取{_WHAT.get(what, what)}"
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise refuse("not a regular file", "不是普通文件")
        if info.st_size > limit:
            raise refuse(f"larger than {limit} bytes", f"超过 {limit} 字节")
        chunks: list[bytes] = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
    except OSError as error:
        raise refuse(
            f"cannot read the {what}: {error.strerror}", f"无法读取{_WHAT.get(what, what)}"
        ) from None
    finally:
        os.close(fd)
    if len(data) > limit:  # grew while it was read
        raise refuse(f"larger than {limit} bytes", f"超过 {limit} 字节")
    return data


_WHAT = {"file": "文件", "rules file": "规则文件"}


def load_file(path: str | Path, cls: type[T]) -> T:
    """Read (through :func:`read_bounded`) and structure one JSON file; the error names the
    file."""
    return loads(read_bounded(path), cls, source=shown(str(path), 200))
