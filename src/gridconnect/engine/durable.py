"""The durable_rules engine: rule conditions compiled to rulesets of ``durable_rules_engine``.

The C extension of durable-rules 2.0.28 is driven directly (no ``durable.lang``, no Python
actions, no ``Host`` and so no background threads), following §8 of the page
:doc:`/explanation/durable-rules` (``docs/explanation/durable-rules.rst``; the § numbers in this
module refer to it):

* the rules are compiled, in position order, into rulesets of at most 32 rules; a rule is named
  after its position (``"7"``; a rule split into alternatives, see below, gives ``"7/1"``, ...);
* each ruleset has ONE long-lived session (the fixed sid ``"gridconnect"``); an evaluation
  asserts the facts as one fact, collects every activation with ``start_action_for_state`` /
  ``complete_and_start_action`` and retracts the fact. Never ``post``, ``delete_state``, batches
  or a session per application;
* one process-wide :class:`threading.RLock` is held around every call into the extension
  (and around a whole evaluation, so activations never interleave);
* matchers compiled from identical rules share their rulesets; a ruleset is deleted when the
  last matcher using it is closed or garbage-collected. Durable never frees a session's memory
  (about 0.5 MB; ``delete_ruleset`` frees the rest), so compile once and reuse the matcher;
* an engine error in the middle of an evaluation becomes :class:`EngineError` naming the ruleset
  and its rules; that session is then abandoned for a fresh one (deleting or abandoning a
  session with a half-collected activation can crash durable).

What a condition compiles to (``nnf`` first: durable has no ``not``). Every rule starts with a
test on the marker key ``~r`` (0 in every message; the rule tests ``~r != <its number>``), so
the trivially true condition is just that test, a negative test is never bare, and rules never
share network nodes. For example ::

    capacity.kw <= 160 and not (any works.segments: laying = "overhead" and length_m > 100)
                       and not (any works.crossings: item = "railway")

    {"all": [{"m": {"$and": [
        {"$neq": {"~r": 1}},
        {"$lte": {"capacity.kw": 160.0}},
        {"$or": [{"$eq": {"works.segments": 0}},
                 {"$iall": {"works.segments": {"$and": [
                     {"$or": [{"$nex": {"$i.laying": 1}},
                              {"$nex": {"$i.length_m": 1}},
                              {"$and": [{"$neq": {"$i.~a": 1}},
                                        {"$neq": {"$i.laying": "overhead"}}]},
                              {"$and": [{"$neq": {"$i.~a": 2}},
                                        {"$lte": {"$i.length_m": 100.0}}]}]},
                     {"$ex": {"$i.~a": 1}}]}}}]},
        {"$or": [{"$eq": {"works.crossings": 0}},
                 {"$iall": {"works.crossings": {"$neq": {"$i": "railway"}}}}]}]}}]}

* ``any`` is ``$iany``; a field of a list item is ``$i.<field>``, a scalar item is ``$i``. They
  nest (``{"$iany": {"$i.crossings": {"$eq": {"$i": "railway"}}}}`` inside a record), and
  ``$ex``, ``$nex``, ``$and`` and ``$or`` work inside items (with the care below);
* ``every`` is ``{"$or": [{"$eq": {"l": 0}}, {"$iall": {"l": ...}}]}``: ``$iall`` on ``[]`` is
  false, so an empty list is sent as ``0`` (``$iall``/``$iany`` on a non-list are false, and a
  non-empty list never equals 0). Both tests read one key, so the ``$or`` is safe in items too;
* durable evaluates an ``$or`` inside a *record* wrongly when its alternatives test different
  fields: only the field that comes last in the item counts (``isNextMatch``/``isArrayMatch``
  in ``events.c`` overwrite the result field by field), and equal tests hanging from one node
  are merged (``findAlpha``), which mixes the continuations of alternatives. So there, unless
  the alternatives are single tests of one field, each alternative (or group of single tests of
  one field) starts with a test ``~a != <n>`` of the marker field ``~a`` (0 in every record) that
  always holds: all alternatives then hang on one field, where durable ORs them correctly.
  ``$nex`` tests are looked at first and need no marker; scalar items have one field and never do;
* the node an ``$or`` ends in is created with an uninitialised value type, which ``createAlpha``
  (``rete.c``) then checks for the last node of an item condition: such conditions fail to
  compile with error 102 depending on heap contents. So an item condition that ends in an
  ``$or`` gets an always-true ``$ex`` test (``$i`` or ``$i.~a``) appended;
* an absent optional fact (``None``) is left out of the message, so ``$ex``/``$nex`` work and
  comparisons with it are false;
* values: dates become ordinals (``date.toordinal()``), booleans 1/0, numbers are written as
  floats with a dot in the mantissa (``1.0e-05``; ``1e-05`` is a durable syntax error), text is
  written by one JSON serialiser for facts and literals alike, so durable's raw comparison of the
  JSON text is exact. An integer literal that a float cannot hold exactly (e.g. ``2**53 + 1``) is
  turned into the equivalent test against the nearest floats (durable would round it);
* a key is the fact path itself (``capacity.kw``), ``id``/``sid`` become ``id~``/``sid~`` (also in
  records), and a path that is not plain ``[A-Za-z0-9_.]`` gets a synthetic ``~f<n>``/``~g<n>`` key.
  Each ruleset's message holds only the facts its rules read (records: only the fields read).

Durable's own limits are respected at compile time: at most 15 ``$and``/``$or`` per rule
(error 113), at most 64 entries on the alpha stack of ``handleAlpha`` (error 303; the worst case
is computed from the network durable builds, see :func:`_stack`, and rules are packed into
rulesets so that it stays at most 60), at most 240 keys per message (error 302), fewer than
512 tests of one field below one node (more make durable loop forever with the GIL held: an
``$or`` of more than 400 single tests, such as a large ``in``, or of more than 100 alternatives
is cut into groups, each below its own always-true test). A rule over those limits is split
into alternatives (``a or b`` -> ``7`` and ``7/1``; ``and`` is distributed
over ``or``; ``any l: a or b`` -> ``any l: a`` or ``any l: b``); the positions are the same.

Not supported, raised as :class:`~gridconnect.errors.EngineError` when compiling:

* ``<``, ``<=``, ``>``, ``>=`` on text (durable compares the escaped JSON text byte by byte);
* a rule that even split into 32 alternatives exceeds durable's limits, e.g. an ``every`` whose
  condition needs more than about 13 ``and``/``or`` (an ``every`` cannot be split), or a rule
  that reads more than 237 facts;
* ill-typed conditions: a path compared with literals of different kinds (or of a kind other
  than its type in :data:`~gridconnect.rules.facts.FACTS`), a path used both as a value and as
  a list, an item test (``""``) outside ``any``/``every``, a list whose items are used both as
  values and as records, lists of lists, unresolved parameters, datetimes, inf/NaN.

Rejected with :class:`~gridconnect.errors.EngineError` when matching (the engine is not called,
the session stays usable): a fact whose type does not fit the literals it is compared with (the
engine would coerce ``"20" > 10``), ``inf``/``NaN``, an integer fact a float cannot hold
exactly, a list fact that is not a list (``None`` included: the reference engine fails on it
too), ``None`` inside a list of values, a record that is not a mapping, text that is not valid
Unicode, a value whose JSON exceeds 16 MB.

The extension is imported lazily: importing this module never fails, :func:`available` says
whether durable can be used, and :meth:`DurableEngine.compile` raises ``EngineError`` if not. The
``durable.engine`` Python layer is never imported, so its Python 3.12 ``_unix_now``
DeprecationWarning (§3 item 15) cannot occur.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import json.encoder
import math
import re
import sys
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from types import ModuleType
from typing import Any, Literal, NoReturn, TypeAlias

import attrs

from gridconnect.engine.base import MatchRule
from gridconnect.errors import EngineError
from gridconnect.rules.conditions import (
    And,
    Cmp,
    Condition,
    In,
    Not,
    Or,
    ParamRef,
    Present,
    Quant,
    nnf,
)
from gridconnect.rules.facts import FACTS, FactType

__all__ = ["DurableEngine", "DurableMatcher", "available"]

_LOCK = threading.RLock()
"""Held around every call into ``durable_rules_engine`` (the extension is not thread-safe)."""

_SID = "gridconnect"
_FACT_ID = "gridconnect-facts"
_RULE_MARK = "~r"
_ITEM_MARK = "~a"
_ITEM = "$i"

_MAX_RULES = 31  # per ruleset (§8.3), with the priming rule 32
_PRIME = "~prime"  # the rule every ruleset has, which fires on the priming message only
_PRIME_ID = "gridconnect-prime"
_MAX_GROUPS = 15  # $and/$or per rule: MAX_SEQUENCE_EXPRESSIONS 32, two entries each (error 113)
_MAX_STACK = 60  # handleAlpha's stack holds 64 (error 303); leave a margin
_MAX_KEYS = 240  # per message or record, counting sid/id/markers (255 in the engine, error 302)
_MAX_VALUE = 16_000_000  # bytes of one property (16 MiB in the engine, error 314)
_MAX_SPLIT = 32  # alternatives one rule may be split into
_MAX_ALTERNATIVES = 100  # of one $or below one node (at most 128 $nex tests below one node)
_MAX_TESTS = 400  # single tests below one node (512 tests of one field hang durable)

_MODULE: Any = None

Kind: TypeAlias = Literal["number", "text", "bool", "date"]
_J: TypeAlias = "dict[str, Any] | bool"  # a durable expression, or a constant

_OPS = {"eq": "$eq", "ne": "$neq", "lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}
_SAFE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.]*")
_RESERVED = frozenset({"id", "sid"})


def _load() -> Any:
    """The ``durable_rules_engine`` extension, imported on first use."""
    global _MODULE
    if _MODULE is None:
        try:
            import durable_rules_engine as module
        except Exception as error:  # ImportError, or a broken build (3.13: undefined symbol)
            raise EngineError(
                f"durable_rules is not usable in this Python ({sys.version.split()[0]}): {error}",
                f"当前 Python（{sys.version.split()[0]}）无法使用 durable_rules：{error}",
            ) from error
        _MODULE = module
    return _MODULE


def available() -> bool:
    """Whether the durable engine can be used in this interpreter."""
    try:
        _load()
    except EngineError:
        return False
    return True


def _fnv1a(text: str) -> int:
    """The engine's property hash (``fnv1Hash32``); properties are found by hash alone."""
    h = 0x811C9DC5
    for byte in text.encode():
        h = ((h ^ (byte if byte < 128 else byte - 256)) * 0x01000193) & 0xFFFFFFFF
    return h


class _Raw(str):
    """JSON text written as is into a ruleset definition."""


def _dump(value: Any) -> str:
    """Serialise a ruleset definition; literals are already JSON text (:class:`_Raw`)."""
    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{_text(k)}:{_dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_dump(v) for v in value) + "]"
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool):  # pragma: no cover - never generated
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    raise TypeError(value)  # pragma: no cover


# -- values ----------------------------------------------------------------------------------


_text: Callable[[str], str] = json.encoder.encode_basestring
"""Text as JSON, as ``json.dumps(text, ensure_ascii=False)`` writes it; the same for facts and
literals, so durable's raw comparison of the JSON text is exact."""


def _float(value: float) -> str:
    """A float as durable reads it: the mantissa always has a dot (``1.0e-05``)."""
    if not math.isfinite(value):
        raise ValueError(value)
    text = repr(value)
    mantissa, e, exponent = text.partition("e")
    if e and "." not in mantissa:
        return f"{mantissa}.0e{exponent}"
    return text


def _kind_of(value: Any) -> Kind | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, date) and not isinstance(value, datetime):
        return "date"
    return None


def _literal(value: Any) -> str:
    """A literal of a condition as JSON text (numbers must be floats a double holds exactly)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return _float(float(value))
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return _text(value)
    assert isinstance(value, date)
    return str(value.toordinal())


def _exact_float(value: int) -> float | None:
    """``value`` as a float if a float holds it exactly."""
    try:
        as_float = float(value)
    except OverflowError:
        return None
    return as_float if as_float == value else None


def _neighbours(value: int) -> tuple[float | None, float | None]:
    """The largest float below and the smallest float above an integer no float holds."""
    try:
        near = float(value)
    except OverflowError:
        top = sys.float_info.max
        return (top, None) if value > 0 else (None, -top)
    if near > value:
        return math.nextafter(near, -math.inf), near
    return near, math.nextafter(near, math.inf)


# -- the schema: what each path is, inferred from the conditions -----------------------------


@attrs.define(eq=False)
class _Path:
    """A fact path (top level) or a record field, as the rules use it."""

    name: str
    key: str
    kind: Kind | None = None  # of the literals it is compared with
    compared: bool = False  # Cmp/In on it
    listed: bool = False  # any/every over it
    items: Literal["values", "records"] | None = None
    item_kind: Kind | None = None
    fields: dict[str, _Path] = attrs.Factory(dict)
    declared: FactType | None = None  # from FACTS, when the path is there


def _where(at: str) -> str:
    return f" (in {at})" if at else ""


def _type_error(en: str, zh: str, at: str) -> EngineError:
    return EngineError(
        f"durable engine cannot compile the rule{_where(at)}: {en}",
        f"durable 引擎无法编译规则{f'（{at}）' if at else ''}：{zh}",
    )


_DECLARED_KIND: Mapping[str, Kind] = {
    "enum": "text",
    "text": "text",
    "number": "number",
    "date": "date",
    "bool": "bool",
}


class _Schema:
    """Paths and their keys; fills in as conditions are analysed."""

    def __init__(self) -> None:
        self.top: dict[str, _Path] = {}
        self._synthetic = itertools.count()

    def key(self, name: str, top: bool) -> str:
        if name in _RESERVED:
            return name + "~"
        if _SAFE.fullmatch(name) and not name.endswith("."):
            return name
        return f"~{'f' if top else 'g'}{next(self._synthetic)}"

    def path(self, scope: dict[str, _Path], name: str, declared: FactType | None) -> _Path:
        found = scope.get(name)
        if found is None:
            found = scope[name] = _Path(name, self.key(name, scope is self.top), declared=declared)
        return found


def _declared_fields(parent: _Path | None) -> Mapping[str, FactType]:
    if parent is None:
        return FACTS
    if parent.declared is not None and parent.declared.fields is not None:
        return parent.declared.fields
    return {}


def _analyse(
    node: Condition,
    schema: _Schema,
    scope: dict[str, _Path],
    parent: _Path | None,
    at: str,
) -> None:
    """Record how ``node`` uses paths; raise EngineError for what cannot be typed."""
    if isinstance(node, And | Or):
        for item in node.items:
            _analyse(item, schema, scope, parent, at)
        return
    if isinstance(node, Not):  # pragma: no cover - conditions are in NNF here
        _analyse(node.item, schema, scope, parent, at)
        return
    if node.path == "":
        if parent is None:
            raise _type_error(
                "an item test (empty path) outside any/every", "any/every 之外的列表项测试", at
            )
        if parent.items == "records" or (
            parent.declared is not None and parent.declared.kind == "records"
        ):
            raise _type_error(
                f"the items of {parent.name!r} are used both as values and as records",
                f"{parent.name!r} 的列表项既被当作值又被当作记录",
                at,
            )
        parent.items = "values"
        if isinstance(node, Quant):
            raise _type_error(
                f"lists of lists ({parent.name!r}) are not supported",
                f"不支持列表的列表（{parent.name!r}）",
                at,
            )
        if isinstance(node, Cmp | In):
            for kind in _literal_kinds(node, at):
                _merge_kind(parent, kind, "item_kind", f"items of {parent.name!r}", at)
            _check_order(node, parent.item_kind, f"items of {parent.name!r}", at)
        return
    if parent is not None:
        if parent.items == "values" or (
            parent.declared is not None and parent.declared.kind == "list"
        ):
            raise _type_error(
                f"the items of {parent.name!r} are used both as values and as records",
                f"{parent.name!r} 的列表项既被当作值又被当作记录",
                at,
            )
        parent.items = "records"
    declared = _declared_fields(parent).get(node.path)
    path = schema.path(scope, node.path, declared)
    if isinstance(node, Present):
        return
    if isinstance(node, Quant):
        if path.compared:
            raise _mixed(path, at)
        if declared is not None and declared.kind not in ("list", "records"):
            raise _type_error(
                f"{node.kind} needs a list fact; {node.path!r} is a {declared.kind}",
                f"{node.kind} 需要列表类事实；{node.path!r} 是 {declared.kind}",
                at,
            )
        path.listed = True
        _analyse(node.where, schema, path.fields, path, at)
        return
    if path.listed or (declared is not None and not declared.scalar):
        raise _mixed(path, at)
    path.compared = True
    for kind in _literal_kinds(node, at):
        _merge_kind(path, kind, "kind", repr(node.path), at)
    _check_order(node, path.kind, repr(node.path), at)


def _check_order(node: Cmp | In, kind: Kind | None, what: str, at: str) -> None:
    if isinstance(node, Cmp) and node.op not in ("eq", "ne") and kind == "text":
        raise _type_error(
            f"{what} {node.op} {node.value!r}: durable cannot order text "
            "(it compares the escaped JSON text)",
            f"{what} {node.op} {node.value!r}：durable 无法比较文本的大小"
            "（它按转义后的 JSON 文本比较）",
            at,
        )


def _mixed(path: _Path, at: str) -> EngineError:
    return _type_error(
        f"{path.name!r} is used both as a value and as a list",
        f"{path.name!r} 既被当作值又被当作列表",
        at,
    )


def _literal_kinds(node: Cmp | In, at: str) -> list[Kind]:
    values = (node.value,) if isinstance(node, Cmp) else node.values
    kinds: list[Kind] = []
    for value in values:
        if isinstance(value, ParamRef):
            raise _type_error(
                f"parameter {value.name!r} is not resolved", f"参数 {value.name!r} 未解析", at
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise _type_error(f"{value!r} is not a finite number", f"{value!r} 不是有限的数", at)
        kind = _kind_of(value)
        if kind is None:
            raise _type_error(
                f"unsupported literal {value!r} (a datetime?)",
                f"不支持的字面量 {value!r}（日期时间？）",
                at,
            )
        kinds.append(kind)
    return kinds


def _merge_kind(path: _Path, kind: Kind, attr: str, what: str, at: str) -> None:
    current = getattr(path, attr)
    declared: Kind | None = None
    if path.declared is not None:
        declared_type = path.declared.item if attr == "item_kind" else path.declared
        if declared_type is not None:
            declared = _DECLARED_KIND.get(declared_type.kind)
    for other in (current, declared):
        if other is not None and other != kind:
            raise _type_error(
                f"{what} is compared with a {kind} and with a {other}",
                f"{what} 既与 {kind} 比较又与 {other} 比较",
                at,
            )
    setattr(path, attr, kind)


# -- conditions to durable expressions -------------------------------------------------------


def _junction(op: str, unit: bool, parts: Iterable[_J]) -> _J:
    """``$and`` (unit True) or ``$or`` (unit False) of parts, flattened, constants folded."""
    items: list[dict[str, Any]] = []
    for part in parts:
        if part is unit:
            continue
        if part is (not unit):
            return not unit
        assert isinstance(part, dict)
        items.extend(part.get(op, [part]))
    items = _unique(items)
    if not items:
        return unit
    return items[0] if len(items) == 1 else {op: items}


def _and(parts: Iterable[_J]) -> _J:
    return _junction("$and", True, parts)


def _or(parts: Iterable[_J]) -> _J:
    return _junction("$or", False, parts)


def _unique(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop repeated expressions (``a and a`` is ``a``, ``a or a`` is ``a``)."""
    return list({_dump(item): item for item in reversed(items)}.values())[::-1]


_LEAVES = frozenset({"$eq", "$neq", "$lt", "$lte", "$gt", "$gte", "$ex", "$nex", "$iany", "$iall"})


def _leaf(expr: dict[str, Any]) -> tuple[str, str] | None:
    """``(operator, key)`` of a single test (one network node), or None for ``$and``/``$or``."""
    ((op, test),) = expr.items()
    if op not in _LEAVES:
        return None
    ((key, _),) = test.items()
    return op, key


def _needs_marks(alternatives: list[dict[str, Any]]) -> bool:
    """Whether the alternatives of an ``$or`` in a record item must start with markers.

    Durable ORs the nodes hanging from one node correctly only when they test one field: an
    ``$nex`` test is looked at first and is harmless, but of the other tests only those of the
    field that comes last in the item count (``isNextMatch``/``isArrayMatch``). And equal tests
    hanging from one node are merged (``findAlpha``), which puts the continuations of both on
    one node; so alternatives longer than one test always get markers.
    """
    fields = set()
    for alt in alternatives:
        leaf = _leaf(alt)
        if leaf is None:
            return True
        if leaf[0] != "$nex":
            fields.add(leaf[1])
    return len(fields) > 1


class _Compiler:
    """Compiles NNF conditions of one ruleset to durable expressions."""

    def __init__(self, schema: _Schema) -> None:
        self.schema = schema
        self.marks = itertools.count(1)
        self.keys: set[str] = set()  # top-level keys the compiled rules read

    def condition(self, node: Condition) -> _J:
        expr = self.expr(node, self.schema.top, None, "")
        return self.bound(expr, _RULE_MARK) if isinstance(expr, dict) else expr

    def bound(self, expr: dict[str, Any], anchor: str) -> dict[str, Any]:
        """Hang at most :data:`_MAX_ALTERNATIVES` alternatives of an ``$or`` on one node
        (:data:`_MAX_TESTS` if they are single tests, not ``$nex``, as in an ``in``).

        A node with 512 tests of one field below it makes durable loop forever (its 512-slot
        hash table is full), and one with more than 128 ``$nex`` tests overflows a list. Larger
        ``$or`` are cut into groups, each below its own always-true test of ``anchor`` (tests
        with distinct values are never merged). It does not descend into ``$iany``/``$iall``.
        """
        if "$and" in expr:
            return {"$and": [self.bound(item, anchor) for item in expr["$and"]]}
        if "$or" not in expr:
            return expr
        alternatives = [self.bound(item, anchor) for item in expr["$or"]]
        leaves = [_leaf(alt) for alt in alternatives]
        size = _MAX_ALTERNATIVES
        if all(leaf is not None and leaf[0] != "$nex" for leaf in leaves):
            size = _MAX_TESTS  # e.g. an "in": only the hash table limits them
        if len(alternatives) <= size:
            return {"$or": alternatives}
        groups = []
        for start in range(0, len(alternatives), size):
            number = next(self.marks)
            test = {"$ex": {anchor: number}} if anchor == _ITEM else {"$neq": {anchor: -number}}
            groups.append({"$and": [test, {"$or": alternatives[start : start + size]}]})
        return self.bound({"$or": groups}, anchor)

    def expr(self, node: Condition, scope: dict[str, _Path], parent: _Path | None, pre: str) -> _J:
        if isinstance(node, And):
            return _and(self.expr(i, scope, parent, pre) for i in node.items)
        if isinstance(node, Or):
            return _or(self.expr(i, scope, parent, pre) for i in node.items)
        assert not isinstance(node, Not)
        if node.path == "":
            assert parent is not None
            # items of a list of values are never None (rejected when matching)
            if isinstance(node, Present):
                return node.present
            return self.test(node, _ITEM, parent.item_kind)
        path = scope[node.path]
        key = pre + path.key
        if pre == "":
            self.keys.add(path.key)
        if isinstance(node, Present):
            return {"$ex" if node.present else "$nex": {key: 1}}
        if isinstance(node, Quant):
            return self.quant(node, path, key)
        return self.test(node, key, path.kind)

    def test(self, node: Condition, key: str, kind: Kind | None) -> _J:
        """A comparison; ``key`` is "$i" for an item, which is never absent."""
        present: _J = True if key == _ITEM else {"$ex": {key: 1}}
        if isinstance(node, In):
            values = dict.fromkeys(_literal(v) for v in node.values if not _unrepresentable(v))
            return _or({"$eq": {key: _Raw(v)}} for v in values)
        assert isinstance(node, Cmp)
        value = node.value
        if _unrepresentable(value):
            assert isinstance(value, int)
            below, above = _neighbours(value)
            if node.op == "eq":
                return False
            if node.op == "ne":
                return present
            if node.op in ("lt", "le"):
                return (
                    present
                    if above is None
                    else (False if below is None else {"$lte": {key: _Raw(_float(below))}})
                )
            return (
                present
                if below is None
                else (False if above is None else {"$gte": {key: _Raw(_float(above))}})
            )
        return {_OPS[node.op]: {key: _Raw(_literal(value))}}

    def quant(self, node: Quant, path: _Path, key: str) -> _J:
        """``$iany``; ``every`` is ``l = 0 or $iall l`` (an empty list is sent as 0)."""
        body = self.expr(node.where, path.fields, path, _ITEM + ".")
        item = f"{_ITEM}.{_ITEM_MARK}" if path.items == "records" else _ITEM
        if not isinstance(body, dict):
            if node.kind == "any" and body is False:
                return False
            if node.kind == "every" and body is True:
                return True
            if node.kind == "every":  # holds for no item: only an empty list
                return {"$eq": {key: 0}}
            body = {"$ex": {item: 1}}  # any item at all: a non-empty list
        body = self.bound(body, item)
        if path.items == "records":
            body = self.mark(body)
        if _ends_in_or(body):
            # durable leaves the type of an $or's closing node uninitialised and then checks it
            # for the last node of an item condition (createAlpha, rete.c): error 102 at random
            body = {"$and": [*body.get("$and", [body]), {"$ex": {item: 1}}]}
        if node.kind == "any":
            return {"$iany": {key: body}}
        return {"$or": [{"$eq": {key: 0}}, {"$iall": {key: body}}]}

    def mark(self, expr: dict[str, Any]) -> dict[str, Any]:
        """Start the alternatives of each ``$or`` in a record item with a marker test where
        durable needs it (see :func:`_needs_marks`).

        ``$nex`` tests stay as they are; single tests of one field share one marker. Called once
        on the whole condition of a list of records; it does not descend into nested
        ``$iany``/``$iall`` (their conditions are marked when they are made).
        """
        if "$and" in expr:
            return {"$and": [self.mark(item) for item in expr["$and"]]}
        if "$or" not in expr:
            return expr
        alternatives = [self.mark(item) for item in expr["$or"]]
        if not _needs_marks(alternatives):
            return {"$or": alternatives}
        marked: list[dict[str, Any]] = []
        groups: dict[str, list[dict[str, Any]]] = {}
        for alt in alternatives:
            leaf = _leaf(alt)
            if leaf is None:
                groups[f"#{len(groups)}"] = [alt]
            elif leaf[0] == "$nex":
                marked.append(alt)
            else:
                groups.setdefault(leaf[1], []).append(alt)
        for group in groups.values():
            marker = {"$neq": {f"{_ITEM}.{_ITEM_MARK}": next(self.marks)}}
            rest = group[0].get("$and", group) if len(group) == 1 else [{"$or": group}]
            marked.append({"$and": [marker, *rest]})
        return {"$or": marked}


def _ends_in_or(expr: dict[str, Any]) -> bool:
    if "$and" in expr:
        return _ends_in_or(expr["$and"][-1])
    return "$or" in expr


def _unrepresentable(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and _exact_float(value) is None


def _groups(expr: Any) -> int:
    """How many ``$and``/``$or`` an expression has (durable allows 15 per rule)."""
    if isinstance(expr, dict):
        own = sum(1 for k in expr if k in ("$and", "$or"))
        return own + sum(_groups(v) for v in expr.values())
    if isinstance(expr, list):
        return sum(_groups(v) for v in expr)
    return 0


@attrs.define(eq=False)
class _Node:
    """An alpha node as durable builds it (to bound its matching stack)."""

    op: str
    key: str
    children: list[_Node] = attrs.Factory(list)
    shared: dict[str, _Node] = attrs.Factory(dict)


def _network(expr: dict[str, Any], parent: _Node) -> _Node:
    """Add the nodes of ``expr`` below ``parent`` like ``createAlpha``; return the last node.

    Equal tests below one node are one node (``findAlpha``); an ``$or`` ends in a new forward
    node that every alternative links to; ``$iany``/``$iall`` nodes are never shared.
    """
    if "$and" in expr:
        for item in expr["$and"]:
            parent = _network(item, parent)
        return parent
    if "$or" in expr:
        forward = _Node("$nex", "$forward")
        for alt in expr["$or"]:
            _network(alt, parent).children.append(forward)
        return forward
    ((op, test),) = expr.items()
    ((key, _),) = test.items()
    if op in ("$iany", "$iall"):
        node = _Node(op, key)
    else:
        signature = op + _dump(test)
        found = parent.shared.get(signature)
        if found is not None:
            return found
        node = parent.shared[signature] = _Node(op, key)
    parent.children.append(node)
    return node


def _stack(node: _Node, memo: dict[int, int]) -> int:
    """The most entries of durable's alpha stack (``handleAlpha``) while matching below ``node``.

    A node popped pushes its matching children; the last is matched first while the others
    wait. At most one ``$eq`` of a key holds, and tests needing a key absent exclude those
    needing it present. Items of lists are matched by recursion, not on this stack.
    """
    known = memo.get(id(node))
    if known is not None:
        return known
    if not node.children:
        return 1
    counts: dict[str, list[int]] = {}  # per key: tests needing it absent, equalities, others
    for child in node.children:
        slot = 0 if child.op == "$nex" else 1 if child.op == "$eq" else 2
        counts.setdefault(child.key, [0, 0, 0])[slot] += 1
    width = sum(max(absent, min(equal, 1) + other) for absent, equal, other in counts.values())
    deepest = max(_stack(child, memo) for child in node.children)
    memo[id(node)] = result = max(1, width - 1 + deepest)
    return result


def _depth(expr: _J) -> int:
    """:func:`_stack` of a rule, from its marker test down."""
    root = _Node("", "")
    _network(_and([{"$neq": {_RULE_MARK: 1}}, expr]), root)  # type: ignore[arg-type]
    return _stack(root.children[0], {})


# -- splitting a rule that is too big for durable --------------------------------------------


def _halves(items: tuple[Condition, ...]) -> list[Condition]:
    middle = len(items) // 2
    first, second = items[:middle], items[middle:]
    return [
        Or(first) if len(first) > 1 else first[0],
        Or(second) if len(second) > 1 else second[0],
    ]


def _split(node: Condition) -> list[Condition] | None:
    """Two conditions whose disjunction is ``node`` (NNF), or None if it cannot be split.

    The first ``or`` (or ``in``) found is cut in halves; ``and`` is distributed over it and
    ``any`` lifted out of it.
    """
    if isinstance(node, And | Or) and len(node.items) == 1:
        return _split(node.items[0])
    if isinstance(node, Or) and len(node.items) > 1:
        return _halves(node.items)
    if isinstance(node, In) and len(node.values) > 1:
        middle = len(node.values) // 2
        return [In(node.path, node.values[:middle]), In(node.path, node.values[middle:])]
    if isinstance(node, Quant) and node.kind == "any":
        inner = _split(node.where)
        if inner is not None:
            return [Quant("any", node.path, alt) for alt in inner]
        return None
    if isinstance(node, And):
        for index, item in enumerate(node.items):
            alternatives = _split(item)
            if alternatives is not None:
                before, after = node.items[:index], node.items[index + 1 :]
                return [And((*before, alt, *after)) for alt in alternatives]
    return None


# -- planning rulesets -----------------------------------------------------------------------


@attrs.frozen
class _Unit:
    """One durable rule: (part of) the rule at ``position``."""

    position: int
    name: str
    expr: _J
    depth: int  # of durable's alpha stack, see _stack
    keys: frozenset[str]


@attrs.define
class _Chunk:
    """One durable ruleset and its session."""

    units: list[_Unit]
    keys: list[str]  # top-level keys its message holds (besides sid/id/~r)
    definition: str = ""
    positions: dict[str, int] = attrs.Factory(dict)  # rule name -> position
    ruleset: _Ruleset | None = None


def _compile_rule(position: int, rule: MatchRule, schema: _Schema) -> list[_Unit]:
    compiler = _Compiler(schema)
    pending: list[Condition] = [nnf(rule.condition)]
    units: list[_Unit] = []
    where = f"rule {position} {rule.name!r}"
    while pending:
        node = pending.pop(0)
        expr = compiler.condition(node)
        if expr is False:
            continue
        depth = _depth(expr)
        keys = frozenset(compiler.keys)
        compiler.keys = set()
        fits = (
            _groups(expr) + 1 <= _MAX_GROUPS and depth <= _MAX_STACK and 3 + len(keys) <= _MAX_KEYS
        )
        if not fits:
            alternatives = _split(node)
            if alternatives is None or len(units) + len(pending) + len(alternatives) > _MAX_SPLIT:
                raise _type_error(
                    "it exceeds durable's limits (15 and/or per rule, 64 tests on the stack, "
                    "240 keys per message) and cannot be split into alternatives",
                    "超出 durable 的限制（每条规则 15 个 and/or、栈上 64 个测试、每条消息 240 个键），"
                    "且无法拆分为多个分支",
                    where,
                )
            pending[:0] = alternatives
            continue
        name = str(position) if not units else f"{position}/{len(units)}"
        units.append(_Unit(position, name, expr, depth, keys))
    return units


def _chunks(units: list[_Unit]) -> list[_Chunk]:
    """Pack rules in order into rulesets within durable's limits."""
    chunks: list[_Chunk] = []
    current: list[_Unit] = []
    keys: set[str] = set()
    for unit in units:
        worst = max([u.depth for u in current] + [unit.depth])
        if current and (
            len(current) + 1 > _MAX_RULES
            or len(current) + worst > _MAX_STACK
            or 3 + len(keys | unit.keys) > _MAX_KEYS
        ):
            chunks.append(_Chunk(current, sorted(keys)))
            current, keys = [], set()
        current.append(unit)
        keys |= unit.keys
    if current:
        chunks.append(_Chunk(current, sorted(keys)))
    for chunk in chunks:
        chunk.positions = {unit.name: unit.position for unit in chunk.units}
    return chunks


def _definition(chunk: _Chunk) -> str:
    rules: dict[str, Any] = {}
    for number, unit in enumerate(chunk.units, start=1):
        marker = {"$neq": {_RULE_MARK: number}}
        rules[unit.name] = {"all": [{"m": _and([marker, unit.expr])}]}
    # Fires on the priming message (marker -1) only, never on facts (marker 0): see _prime.
    rules[_PRIME] = {"all": [{"m": {"$eq": {_RULE_MARK: -1}}}]}
    return _dump(rules)


def _check_hashes(schema: _Schema) -> None:
    """Durable finds properties by a 32-bit hash; make sure no two of ours collide."""

    def check(names: Iterable[str], where: str) -> None:
        seen: dict[int, str] = {}
        for name in names:
            h = _fnv1a(name)
            if h in seen and seen[h] != name:
                raise _type_error(
                    f"keys {seen[h]!r} and {name!r} collide in durable's property hash",
                    f"键 {seen[h]!r} 与 {name!r} 在 durable 的属性散列中冲突",
                    where,
                )
            seen[h] = name

    def fields(path: _Path) -> None:
        if path.items == "records":
            names = [f"{_ITEM}.{_ITEM_MARK}"]
            for field in path.fields.values():
                names.append(f"{_ITEM}.{field.key}")
                fields(field)
            check(names, f"records of {path.name!r}")

    top = ["sid", "id", _RULE_MARK, "$forward", "$s"]
    for path in schema.top.values():
        top.append(path.key)
        fields(path)
    check(top, "")
    for path in schema.top.values():
        if path.items == "records" and 1 + len(path.fields) > _MAX_KEYS:
            raise _type_error(
                f"records of {path.name!r} would have more than {_MAX_KEYS} keys",
                f"{path.name!r} 的记录将超过 {_MAX_KEYS} 个键",
                "",
            )


# -- the ruleset cache: identical rulesets share one handle and session ----------------------


@attrs.define(eq=False)
class _Ruleset:
    """A ruleset in the extension, shared by every matcher with the same definition."""

    handle: int
    name: str
    users: int = 0
    sid: str = _SID  # its session; replaced if an evaluation fails half-way
    failures: int = 0
    head: str = ""  # the start of every message asserted (sid, fact id, rule marker)
    retraction: str = ""  # the message that retracts it
    primed: bool = False  # a rule fired in session _SID: delete_state is safe on it (§3.3)

    def __attrs_post_init__(self) -> None:
        self.use(self.sid)

    def use(self, sid: str) -> None:
        """Use session ``sid`` from now on (the messages are written once, not per evaluation)."""
        self.sid = sid
        self.head = f'{{"sid":{_text(sid)},"id":"{_FACT_ID}","{_RULE_MARK}":0'
        self.retraction = f'{{"sid":{_text(sid)},"id":"{_FACT_ID}"}}'


_RULESETS: dict[str, _Ruleset] = {}  # definition -> ruleset
_NAMES = itertools.count(1)


def _acquire(module: Any, definition: str, where: str) -> _Ruleset:
    ruleset = _RULESETS.get(definition)
    if ruleset is None:
        name = f"gridconnect_{next(_NAMES)}"
        try:
            handle = module.create_ruleset(name, definition)
        except (module.error, MemoryError, UnicodeError, ValueError) as error:
            raise EngineError(
                f"durable could not create ruleset {name} ({where}): {error}",
                f"durable 无法创建规则集 {name}（{where}）：{error}",
            ) from error
        ruleset = _RULESETS[definition] = _Ruleset(handle, name)
        _prime(module, ruleset)
    ruleset.users += 1
    return ruleset


def _prime(module: Any, ruleset: _Ruleset) -> None:
    """Make a rule fire once in the ruleset's session, so that the session can be deleted.

    Durable never frees a session's memory unless ``delete_state`` is called on it, and
    ``delete_state`` on a session in which no action ever started frees uninitialised pointers
    (§3.3: the documented work-around is a catch-all rule). Each ruleset has the rule
    ``~prime``, which only the priming message (marker -1) matches: asserted once here, its
    activations collected and the fact retracted, it leaves the session deletable. Without
    this, each compiled and dropped ruleset left about 0.3 MB behind (D14)."""
    sid = _text(ruleset.sid)
    try:
        code, state = module.assert_fact(
            ruleset.handle, f'{{"sid":{sid},"id":"{_PRIME_ID}","{_RULE_MARK}":-1}}'
        )
        if code == 0:
            result = module.start_action_for_state(ruleset.handle, state)
            activation = None if result is None else result[1]
            while activation:
                ruleset.primed = True
                activation = module.complete_and_start_action(ruleset.handle, state)
        module.retract_fact(ruleset.handle, f'{{"sid":{sid},"id":"{_PRIME_ID}"}}')
    except Exception:  # never deleted then: the session's memory stays, nothing worse
        ruleset.primed = False
        ruleset.failures += 1
        ruleset.use(f"{_SID}-{ruleset.failures}")


def _release(definitions: list[str], module: Any) -> None:
    """Drop a matcher's rulesets (a weakref finalizer). Deleting a ruleset frees its network."""
    with _LOCK:
        for definition in definitions:
            ruleset = _RULESETS.get(definition)
            if ruleset is None:
                continue
            ruleset.users -= 1
            if ruleset.users <= 0:
                del _RULESETS[definition]
                with contextlib.suppress(Exception):  # nothing better to do in a finalizer
                    if ruleset.primed and ruleset.failures == 0:
                        module.delete_state(ruleset.handle, ruleset.sid)  # frees the session
                    module.delete_ruleset(ruleset.handle)


# -- encoding facts ---------------------------------------------------------------------------

_Encoder: TypeAlias = Callable[[Any], "str | None"]
"""Turns a fact value into JSON text, None to leave it out; raises EngineError if it cannot."""


def _bad_value(what: str, value: Any, en: str, zh: str) -> EngineError:
    return EngineError(
        f"durable engine: fact {what} {en} (got {type(value).__name__})",
        f"durable 引擎：事实 {what} {zh}（实际为 {type(value).__name__}）",
    )


def _number(value: Any, what: str) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _bad_value(what, value, "is not a finite number", "不是有限的数")
        return _float(value)
    if isinstance(value, int) and not isinstance(value, bool):
        exact = _exact_float(value)
        if exact is None:
            raise _bad_value(
                what, value, "is an integer no float holds exactly", "是无法用浮点数精确表示的整数"
            )
        return _float(exact)
    raise _bad_value(what, value, "must be a number", "应为数")


def _string(value: Any, what: str) -> str:
    if isinstance(value, str):
        return _text(value)
    raise _bad_value(what, value, "must be text", "应为文本")


def _boolean(value: Any, what: str) -> str:
    if value is True:
        return "1"
    if value is False:
        return "0"
    raise _bad_value(what, value, "must be true or false", "应为布尔值")


def _ordinal(value: Any, what: str) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return str(value.toordinal())
    raise _bad_value(what, value, "must be a date", "应为日期")


_SCALARS: Mapping[str, Callable[[Any, str], str]] = {
    "number": _number,
    "text": _string,
    "bool": _boolean,
    "date": _ordinal,
}


def _scalar_encoder(kind: Kind | None, what: str) -> Callable[[Any], str | None]:
    """Encodes a value compared with literals of ``kind`` (None: only its presence); an absent
    value (``None``) gives None, so the key is left out.

    The common case (a value of exactly the expected type) is handled inline, in one call,
    because this runs for every fact of every evaluation; anything else goes through the
    checking encoders."""
    if kind is None:
        return lambda value: None if value is None else "1"
    if kind == "text":

        def text(value: Any) -> str | None:
            if type(value) is str:
                return _text(value)
            return None if value is None else _string(value, what)

        return text
    if kind == "number":

        def number(value: Any) -> str | None:
            if type(value) is float and value - value == 0.0:  # finite
                written = repr(value)
                if "e" not in written:
                    return written
            return None if value is None else _number(value, what)

        return number
    if kind == "bool":

        def boolean(value: Any) -> str | None:
            if value is True:
                return "1"
            if value is False:
                return "0"
            return None if value is None else _boolean(value, what)

        return boolean
    encode = _SCALARS[kind]

    def other(value: Any) -> str | None:
        if type(value) is date:
            return str(value.toordinal())
        return None if value is None else encode(value, what)

    return other


def _encoder(path: _Path, what: str) -> _Encoder:
    """The encoder of a path (at the top level, or a field of a record)."""
    if not path.listed:
        return _scalar_encoder(path.kind, what)
    if path.items == "records":
        fields = [
            (f"{_text(field.key)}:", field.name, _encoder(field, f"{what}[].{field.name}"))
            for field in path.fields.values()
        ]

        def record(item: Any) -> str:
            if not isinstance(item, Mapping):
                raise _bad_value(what, item, "must be a list of records", "应为记录列表")
            parts = [f'"{_ITEM_MARK}":0']
            for prefix, name, encode in fields:
                text = encode(item.get(name))
                if text is not None:
                    parts.append(prefix + text)
            return "{" + ",".join(parts) + "}"

        each: Callable[[Any], str] = record
    elif path.items == "values":
        scalar = _scalar_encoder(path.item_kind, f"{what}[]")

        def each(item: Any) -> str:
            text = scalar(item)
            if text is None:
                raise _bad_value(what, item, "must not contain None", "不应包含 None")
            return text

    else:  # only any/every with a constant condition: the length counts

        def each(item: Any) -> str:
            return "1"

    def encode_list(value: Any) -> str:
        """A list as JSON; an empty list is sent as 0 (``every`` tests ``l = 0``)."""
        if not isinstance(value, list | tuple):
            raise _bad_value(what, value, "must be a list", "应为列表")
        if not value:
            return "0"
        return "[" + ",".join(map(each, value)) + "]"

    return encode_list


# -- the matcher ------------------------------------------------------------------------------


class DurableMatcher:
    """Rules compiled to durable rulesets; :meth:`match` asserts, collects, retracts."""

    def __init__(
        self,
        rules: tuple[MatchRule, ...],
        schema: _Schema,
        chunks: list[_Chunk],
        module: ModuleType,
    ):
        """Use :meth:`DurableEngine.compile`."""
        self.rules = rules
        self._module = module
        self._chunks = chunks
        used = {key for chunk in chunks for key in chunk.keys}
        self._encoders = [
            (path.key, f"{_text(path.key)}:", path.name, _encoder(path, repr(path.name)))
            for path in schema.top.values()
            if path.key in used
        ]
        keys = set(chunks[0].keys) if len(chunks) == 1 else set()
        self._single = [(p, n, e) for k, p, n, e in self._encoders if k in keys]
        self._finalizer = weakref.finalize(self, _release, [c.definition for c in chunks], module)
        self._finalizer.atexit = False

    @property
    def rulesets(self) -> list[str]:
        """The durable ruleset definitions (JSON), in order."""
        return [chunk.definition for chunk in self._chunks]

    def close(self) -> None:
        """Release the rulesets now (also done when the matcher is garbage-collected)."""
        self._finalizer()

    def match(self, facts: Mapping[str, object]) -> list[int]:
        if len(self._chunks) == 1:  # the common case: encode straight into the one message
            messages = [self._message(self._chunks[0], self._single, facts)]
        else:
            fragments: dict[str, str] = {}
            for key, prefix, name, encode in self._encoders:
                text = encode(facts.get(name))
                if text is not None:
                    fragments[key] = prefix + text
            get = fragments.get
            messages = []
            for chunk in self._chunks:
                assert chunk.ruleset is not None
                parts = [chunk.ruleset.head]
                parts.extend(part for key in chunk.keys if (part := get(key)) is not None)
                messages.append(",".join(parts) + "}")
        for message in messages:
            if len(message) > _MAX_VALUE // 4:  # only then can one value be over 16 MB
                self._check_sizes(facts)
        positions: list[int] = []
        with _LOCK:
            if not self._finalizer.alive:
                raise EngineError(
                    "durable engine: the matcher was closed", "durable 引擎：匹配器已关闭"
                )
            module = self._module
            for chunk, message in zip(self._chunks, messages, strict=True):
                lookup = chunk.positions.__getitem__
                positions.extend(map(lookup, self._run(module, chunk, message)))
        # Alternatives of one split rule may all fire; chunks hold rules in position order.
        return sorted(set(positions)) if len(positions) > 1 else positions

    @staticmethod
    def _message(chunk: _Chunk, encoders: list[tuple[str, str, _Encoder]], facts: Any) -> str:
        assert chunk.ruleset is not None
        parts = [chunk.ruleset.head]
        for prefix, name, encode in encoders:
            text = encode(facts.get(name))
            if text is not None:
                parts.append(prefix + text)
        return ",".join(parts) + "}"

    def _check_sizes(self, facts: Mapping[str, Any]) -> None:
        for _key, _prefix, name, encode in self._encoders:
            text = encode(facts.get(name))
            if text is not None and len(text.encode(errors="replace")) > _MAX_VALUE:
                raise EngineError(
                    f"durable engine: fact {name!r} is larger than 16 MB",
                    f"durable 引擎：事实 {name!r} 超过 16 MB",
                )

    def _run(self, module: Any, chunk: _Chunk, message: str) -> list[str]:
        """Assert ``message`` into the chunk's session, collect the activations, retract it."""
        ruleset = chunk.ruleset
        assert ruleset is not None
        handle = ruleset.handle
        retract = ruleset.retraction
        names: list[str] = []
        try:  # invalid text fails in the argument parsing, before the engine sees anything
            code, state = module.assert_fact(handle, message)
        except UnicodeEncodeError as error:
            raise EngineError(
                f"durable engine: the facts contain text that is not valid Unicode: {error}",
                f"durable 引擎：事实中含有无效的 Unicode 文本：{error}",
            ) from error
        except BaseException as error:
            self._fail(chunk, "assert_fact", error)
        stage = "assert_fact"
        try:
            if code == 2:  # a fact of an interrupted evaluation is still there
                stage = "retract_fact"
                module.retract_fact(handle, retract)
                stage = "assert_fact"
                code, state = module.assert_fact(handle, message)
            if code == 0:
                stage = "start_action_for_state"
                result = module.start_action_for_state(handle, state)
                if result is not None:
                    activation: str | None = result[1]
                    stage = "complete_and_start_action"
                    complete = module.complete_and_start_action
                    while activation:
                        names.append(activation[2 : activation.index('"', 2)])
                        activation = complete(handle, state)
            elif code != 1:
                raise module.error(f"unexpected result code {code}")
            stage = "retract_fact"
            module.retract_fact(handle, retract)
        except BaseException as error:
            self._fail(chunk, stage, error)
        return names

    def _fail(self, chunk: _Chunk, stage: str, error: BaseException) -> NoReturn:
        """Give up the chunk's session and raise EngineError (or re-raise KeyboardInterrupt...).

        The session may hold a half-collected activation; it is never touched again (deleting
        or abandoning such a session can crash the engine): a fresh sid is used from now on.
        """
        ruleset = chunk.ruleset
        assert ruleset is not None
        ruleset.failures += 1
        ruleset.use(f"{_SID}-{ruleset.failures}")
        if not isinstance(error, Exception):
            raise error
        rules = ", ".join(f"{u.name} {self.rules[u.position].name!r}" for u in chunk.units)
        raise EngineError(
            f"durable failed in {stage} on ruleset {ruleset.name} (rules {rules}): {error}",
            f"durable 在规则集 {ruleset.name}（规则 {rules}）执行 {stage} 时失败：{error}",
        ) from error


class DurableEngine:
    """Matching with durable_rules (see the module documentation for what is supported).

    >>> from gridconnect.rules.conditions import parse_condition
    >>> if available():
    ...     m = DurableEngine().compile([MatchRule("small", parse_condition(
    ...         {"fact": "capacity.kw", "le": 160}))])
    ...     print(m.match({"capacity.kw": 100.0}), m.match({"capacity.kw": 200.0}))
    ... else:
    ...     print([0], [])
    [0] []
    """

    name = "durable"

    def __init__(self, *, extension: ModuleType | None = None) -> None:
        """``extension`` is the ``durable_rules_engine`` module the matchers call (by default
        the installed one, imported on the first :meth:`compile`); a stand-in that wraps it can
        make one call fail, as a test does to check that a failure half-way is contained."""
        self.extension = extension

    def compile(self, rules: Sequence[MatchRule]) -> DurableMatcher:
        module = _load() if self.extension is None else self.extension
        rules = tuple(rules)
        schema = _Schema()
        for position, rule in enumerate(rules):
            _analyse(nnf(rule.condition), schema, schema.top, None, f"rule {position}")
        units: list[_Unit] = []
        for position, rule in enumerate(rules):
            units += _compile_rule(position, rule, schema)
        _check_hashes(schema)
        chunks = _chunks(units)
        with _LOCK:
            acquired: list[str] = []
            try:
                for chunk in chunks:
                    chunk.definition = _definition(chunk)
                    where = "rules " + ", ".join(
                        f"{u.name} {rules[u.position].name!r}" for u in chunk.units
                    )
                    chunk.ruleset = _acquire(module, chunk.definition, where)
                    acquired.append(chunk.definition)
            except BaseException:
                _release(acquired, module)
                raise
        return DurableMatcher(rules, schema, chunks, module)
