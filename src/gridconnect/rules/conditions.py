"""The condition language: small, serialisable, typed, and the same for both engines.

A condition is a tree of :class:`Cmp` (compare a fact with a literal or a parameter),
:class:`In` (membership), :class:`Present` (an optional fact is given), :class:`Quant`
(``any``/``every`` item of a list), and :class:`And`/:class:`Or`/:class:`Not`.

Semantics, identical in both engines:

* a comparison with an absent optional fact is false; ``not`` is classical negation;
* a test on an *unknown* fact is unknown, and ``and``/``or``/``not`` follow Kleene's
  three-valued logic (the rulebook compiles each condition twice for that, see
  :func:`three_valued`);
* ``every`` over an empty list is true and ``any`` over an empty list is false;
* values are compared only with values of the same type (checked when a rule is loaded).

In TOML a condition is written as inline tables::

    when = { and = [
      { fact = "applicant.kind", in = ["resident", "small_micro_enterprise"] },
      { fact = "capacity.kw", le = { param = "cn.zero_investment_cap_kw" } },
      { not = { any = "works.crossings", in = ["urban_main_road"] } },
    ] }

A condition reads another rule's conclusion with ``slot`` in place of ``fact``
(``{ slot = "supply", eq = "low_voltage" }``); its path is then ``slot:supply``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, time
from typing import Any, Literal, TypeAlias

import attrs

from gridconnect.errors import shown
from gridconnect.rules.facts import FACTS, SLOT_PREFIX, FactType, slot_fact_type

__all__ = [
    "TRUE",
    "UNKNOWN_PREFIX",
    "And",
    "Cmp",
    "Condition",
    "In",
    "Not",
    "Or",
    "ParamRef",
    "Present",
    "Quant",
    "Scalar",
    "condition_problems",
    "nnf",
    "parse_condition",
    "render",
    "three_valued",
    "walk",
]

Scalar: TypeAlias = str | int | float | bool | date
Op = Literal["eq", "ne", "lt", "le", "gt", "ge"]
OPS: tuple[Op, ...] = ("eq", "ne", "lt", "le", "gt", "ge")
NEGATED: Mapping[Op, Op] = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "gt": "le", "le": "gt"}
SYMBOL: Mapping[Op, str] = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥"}


@attrs.frozen
class ParamRef:
    """A reference to a date-versioned parameter, resolved when a rulebook is built."""

    #: The parameter's name.
    name: str


@attrs.frozen
class Cmp:
    """``fact op value``; ``path`` is relative to the list item inside a :class:`Quant`,
    and ``""`` is the item itself."""

    #: The fact compared.
    path: str
    #: The comparison.
    op: Op
    #: What the fact is compared with: a constant or a parameter.
    value: Scalar | ParamRef


@attrs.frozen
class In:
    """``fact in (value, ...)``: the fact is one of the values."""

    #: The fact tested.
    path: str
    #: The values it may be.
    values: tuple[Scalar, ...]


@attrs.frozen
class Present:
    """An optional fact is given (``present=True``) or absent (``present=False``)."""

    #: The optional fact.
    path: str
    #: True: the fact must be given; False: it must be absent.
    present: bool = True


@attrs.frozen
class Quant:
    """``any`` or ``every`` item of the list at ``path`` satisfies ``where``."""

    #: ``any`` or ``every``.
    kind: Literal["any", "every"]
    #: The list fact.
    path: str
    #: The condition on each item (paths relative to the item).
    where: Condition


@attrs.frozen
class And:
    """Every condition holds (none: always true)."""

    #: The conditions.
    items: tuple[Condition, ...]


@attrs.frozen
class Or:
    """At least one condition holds."""

    #: The conditions.
    items: tuple[Condition, ...]


@attrs.frozen
class Not:
    """The condition does not hold."""

    #: The condition negated.
    item: Condition


Condition: TypeAlias = Cmp | In | Present | Quant | And | Or | Not
TRUE: Condition = And(())
"""The condition that always holds (a rule with no ``when``)."""


class ConditionSyntaxError(ValueError):
    """A condition could not be parsed; ``at`` says where inside the condition."""

    def __init__(self, message: str, at: str) -> None:
        super().__init__(f"{at}: {message}")
        self.message = message
        self.at = at


MAX_DEPTH = 32
"""Deepest nesting of ``and``/``or``/``not``/``any``/``every`` in one condition."""
MAX_IN_VALUES = 100
"""Most values of one ``in`` list (the rules' longest has 6): durable chains the tests of a
negated list, one level of its matching network per value."""
MAX_NUMBER = 1e15
"""Largest magnitude of a number literal: every such integer is exact in a double, as durable
holds numbers, so both engines compare the same value."""
MAX_TEXT = 1000
"""Longest text literal, in characters."""


def _literal(value: Any, at: str) -> Scalar | ParamRef:
    if isinstance(value, dict):
        if set(value) != {"param"} or not isinstance(value["param"], str):
            raise ConditionSyntaxError('a value table must be { param = "name" }', at)
        return ParamRef(value["param"])
    if isinstance(value, datetime | time):
        raise ConditionSyntaxError(
            "a date-time or time is not a value a fact can have; write a date (YYYY-MM-DD)", at
        )
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not (math.isfinite(value) and abs(value) <= MAX_NUMBER):
            raise ConditionSyntaxError(
                f"a number must be finite and at most {MAX_NUMBER:.0e} in size", at
            )
        return value
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise ConditionSyntaxError(f"a text is at most {MAX_TEXT} characters", at)
        return value
    if isinstance(value, bool | date):
        return value
    raise ConditionSyntaxError(f"{shown(repr(value))} is not a text, number, boolean or date", at)


def parse_condition(data: object, at: str = "when") -> Condition:
    """Parse the TOML/JSON form of a condition.

    >>> parse_condition({"fact": "capacity.kw", "le": 160})
    Cmp(path='capacity.kw', op='le', value=160)
    >>> parse_condition({"slot": "supply", "eq": "low_voltage"})
    Cmp(path='slot:supply', op='eq', value='low_voltage')
    >>> parse_condition({"not": {"any": "works.crossings", "eq": "railway"}})
    Not(item=Quant(kind='any', path='works.crossings', where=Cmp(path='', op='eq', value='railway')))
    """
    return _parse(data, at, 0)


def _parse(data: Any, at: str, depth: int) -> Condition:
    if depth > MAX_DEPTH:
        raise ConditionSyntaxError(f"nested deeper than {MAX_DEPTH} levels", at)
    if not isinstance(data, dict):
        raise ConditionSyntaxError("a condition must be a table", at)
    keys = set(data)
    for logical in ("and", "or"):
        if logical in data:
            if keys != {logical} or not isinstance(data[logical], list):
                raise ConditionSyntaxError(f"{logical!r} takes a list and nothing else", at)
            items = tuple(
                _parse(item, f"{at}.{logical}[{i}]", depth + 1)
                for i, item in enumerate(data[logical])
            )
            return And(items) if logical == "and" else Or(items)
    if "not" in data:
        if keys != {"not"}:
            raise ConditionSyntaxError("'not' takes one condition and nothing else", at)
        return Not(_parse(data["not"], f"{at}.not", depth + 1))
    for kind in ("any", "every"):
        if kind in data:
            path = data[kind]
            if not isinstance(path, str):
                raise ConditionSyntaxError(f"{kind!r} names a list fact", at)
            rest = {k: v for k, v in data.items() if k != kind}
            if set(rest) == {"where"}:
                where = _parse(rest["where"], f"{at}.where", depth + 1)
            else:
                where = _parse_test("", rest, at)
            return Quant("any" if kind == "any" else "every", path, where)
    for key in ("fact", "slot"):
        if key in data:
            path = data[key]
            if not isinstance(path, str) or ":" in path:
                raise ConditionSyntaxError(f"{key!r} must be a dotted path", at)
            if key == "slot":
                path = SLOT_PREFIX + path
            return _parse_test(path, {k: v for k, v in data.items() if k != key}, at)
    raise ConditionSyntaxError(
        "expected one of: fact, slot, and, or, not, any, every; found " + ", ".join(sorted(keys)),
        at,
    )


def _parse_test(path: str, rest: Mapping[str, Any], at: str) -> Condition:
    if len(rest) != 1:
        raise ConditionSyntaxError(
            "a test takes exactly one of: " + ", ".join((*OPS, "in", "present", "contains")), at
        )
    ((key, value),) = rest.items()
    if key in OPS:
        return Cmp(path, key, _literal(value, at))
    if key == "in":
        if not isinstance(value, list) or not value:
            raise ConditionSyntaxError("'in' takes a non-empty list", at)
        if len(value) > MAX_IN_VALUES:
            raise ConditionSyntaxError(f"'in' takes at most {MAX_IN_VALUES} values", at)
        values = tuple(_literal(v, at) for v in value)
        if any(isinstance(v, ParamRef) for v in values):
            raise ConditionSyntaxError("'in' takes literal values, not parameters", at)
        return In(path, values)  # type: ignore[arg-type]
    if key == "present":
        if not isinstance(value, bool):
            raise ConditionSyntaxError("'present' takes true or false", at)
        return Present(path, value)
    if key == "contains":
        return Quant("any", path, Cmp("", "eq", _literal(value, at)))
    raise ConditionSyntaxError(f"unknown test {shown(repr(key))}", at)


def walk(cond: Condition) -> Iterator[Condition]:
    """Every node of a condition, the root first."""
    yield cond
    if isinstance(cond, And | Or):
        for item in cond.items:
            yield from walk(item)
    elif isinstance(cond, Not):
        yield from walk(cond.item)
    elif isinstance(cond, Quant):
        yield from walk(cond.where)


def _value_problem(ftype: FactType, value: Any, param_unit: str | None) -> str | None:
    """Why ``value`` cannot be compared with a fact of type ``ftype`` (None if it can)."""
    kind = ftype.kind
    if kind in ("list", "records"):
        return "a list cannot be compared with a value; use any/every"
    if isinstance(value, bool):
        return None if kind == "bool" else f"a boolean cannot be compared with a {kind}"
    if isinstance(value, date):
        return None if kind == "date" else f"a date cannot be compared with a {kind}"
    if isinstance(value, int | float):
        if kind != "number":
            return f"a number cannot be compared with a {kind}"
        if param_unit is not None and param_unit != ftype.unit:
            return f"a parameter in {param_unit} cannot be compared with a fact in {ftype.unit}"
        return None
    if isinstance(value, str):
        if kind == "enum":
            assert ftype.values is not None
            if value not in ftype.values:
                return f"{shown(repr(value))} is not one of: {', '.join(sorted(ftype.values))}"
            return None
        return None if kind == "text" else f"text cannot be compared with a {kind}"
    return f"unsupported value {shown(repr(value))}"


def condition_problems(
    cond: Condition,
    resolve: Callable[[str], tuple[Any, str | None] | None],
    facts: Mapping[str, FactType] = FACTS,
    *,
    slots: bool = False,
) -> list[str]:
    """Type-check a condition against the fact table (and, with ``slots``, the slots it reads
    as ``slot:<slot>``).

    ``resolve(name)`` returns a parameter's ``(some value, unit)`` or ``None`` if it is unknown.
    Returns readable problems; an empty list means the condition is well typed.
    """
    problems: list[str] = []

    def check(node: Condition, scope: Mapping[str, FactType], item: FactType | None) -> None:
        def lookup(path: str) -> FactType | None:
            if path == "":
                if item is None:
                    problems.append("an empty fact path is only allowed inside any/every")
                return item
            if path.startswith(SLOT_PREFIX) and scope is facts:
                slot = path[len(SLOT_PREFIX) :]
                stype = slot_fact_type(slot) if slots else None
                if stype is None:
                    problems.append(
                        f"no slot {slot!r} that a condition can read (time limits and notes "
                        "are not readable)"
                        if slots
                        else f"slot {slot!r} cannot be read here"
                    )
                return stype
            ftype = scope.get(path)
            if ftype is None:
                near = ", ".join(sorted(p for p in scope if p.split(".")[0] == path.split(".")[0]))
                hint = f" (did you mean one of: {near})" if near else ""
                problems.append(f"unknown fact {shown(repr(path))}{hint}")
            return ftype

        if isinstance(node, And | Or):
            for sub in node.items:
                check(sub, scope, item)
        elif isinstance(node, Not):
            check(node.item, scope, item)
        elif isinstance(node, Present):
            ftype = lookup(node.path)
            if ftype is not None and not ftype.optional:
                problems.append(f"fact {node.path!r} is always present; 'present' tests nothing")
        elif isinstance(node, Cmp):
            ftype = lookup(node.path)
            if ftype is None:
                return
            value: Any = node.value
            unit = None
            if isinstance(value, ParamRef):
                resolved = resolve(value.name)
                if resolved is None:
                    problems.append(f"unknown parameter {value.name!r}")
                    return
                value, unit = resolved
            if node.op not in ("eq", "ne") and ftype.kind in ("enum", "bool", "text"):
                problems.append(f"{ftype.kind} fact {node.path!r} can only be tested with eq/ne/in")
            problem = _value_problem(ftype, value, unit)
            if problem:
                problems.append(f"{node.path or 'item'}: {problem}")
        elif isinstance(node, In):
            ftype = lookup(node.path)
            if ftype is not None:
                for v in node.values:
                    problem = _value_problem(ftype, v, None)
                    if problem:
                        problems.append(f"{node.path or 'item'}: {problem}")
        elif isinstance(node, Quant):
            ftype = lookup(node.path)
            if ftype is None:
                return
            if ftype.kind == "list":
                check(node.where, {}, ftype.item)
            elif ftype.kind == "records":
                assert ftype.fields is not None
                check(node.where, ftype.fields, None)
            else:
                problems.append(f"{node.kind} needs a list fact; {node.path!r} is a {ftype.kind}")

    check(cond, facts, None)
    return problems


def nnf(cond: Condition, negate: bool = False) -> Condition:
    """Negation normal form: ``not`` pushed down to the tests (for engines without ``not``).

    Optional facts keep classical negation: ``not (x < 3)`` becomes ``x absent or x >= 3``.
    """
    if isinstance(cond, Not):
        return nnf(cond.item, not negate)
    if isinstance(cond, And | Or):
        items = tuple(nnf(i, negate) for i in cond.items)
        is_and = isinstance(cond, And) != negate
        return And(items) if is_and else Or(items)
    if isinstance(cond, Quant):
        kind: Literal["any", "every"] = cond.kind
        if negate:
            kind = "every" if cond.kind == "any" else "any"
        return Quant(kind, cond.path, nnf(cond.where, negate))
    if not negate:
        return cond
    if isinstance(cond, Present):
        return Present(cond.path, not cond.present)
    if isinstance(cond, Cmp):
        return Or((Present(cond.path, False), Cmp(cond.path, NEGATED[cond.op], cond.value)))
    # not (x in values): absent, or different from each value
    return Or((Present(cond.path, False), And(tuple(Cmp(cond.path, "ne", v) for v in cond.values))))


UNKNOWN_PREFIX = "unknown:"
"""The boolean fact ``unknown:<path>`` says whether ``<path>`` is unknown (three-valued matching)."""


def three_valued(
    cond: Condition,
    unknowable: Callable[[str], bool],
    bounds: Callable[[str], tuple[str | None, str | None]] | None = None,
) -> tuple[Condition, Condition]:
    """Kleene's three-valued logic with two classical evaluations: ``(must, may)``.

    In negation normal form a condition is monotone in its tests, so it is *true* when it holds
    with every test on an unknown fact taken as false (``must``), *false* when it fails with
    every such test taken as true (``may``), and *unknown* otherwise. Each test on a path for
    which ``unknowable(path)`` holds is guarded by the boolean fact ``unknown:<path>``; for an
    application with nothing unknown both are the classical condition.

    >>> must, may = three_valued(parse_condition({"fact": "capacity.kw", "le": 160}),
    ...                          lambda p: p == "capacity.kw")
    >>> render(must), render(may)
    ('unknown:capacity.kw = false and capacity.kw ≤ 160', 'unknown:capacity.kw = true or capacity.kw ≤ 160')

    ``bounds(path)`` gives the facts an unknown number is *at most* and *at least*
    (:func:`gridconnect.rules.facts.fact_bounds`). A comparison of an unknown number that its
    bound settles is then decided by the bound: with ``x`` at most ``b``, ``x ≤ c`` is true when
    ``b ≤ c`` and ``x > c`` is false when ``b ≤ c`` (likewise ``<``, ``≥`` and ``=``, and the
    mirror image for ``at least``); otherwise it stays unknown. The bound's own test is guarded
    in turn, in case it is unknown too.

    >>> must, may = three_valued(parse_condition({"fact": "capacity.kw", "le": 160}),
    ...                          lambda p: p.startswith("capacity."),
    ...                          lambda p: ("capacity.kva", None) if p == "capacity.kw" else (None, None))
    >>> render(must)
    '(unknown:capacity.kw = false and capacity.kw ≤ 160) or (unknown:capacity.kw = true and unknown:capacity.kva = false and capacity.kva ≤ 160)'
    """

    def by_bound(node: Cmp, must: bool, seen: frozenset[str]) -> Condition | None:
        """What the bounds of ``node.path`` say of ``node`` while it is unknown: for ``must``
        a condition that makes ``node`` surely true, for ``may`` one without which it is surely
        false; None if they say nothing."""
        if bounds is None or isinstance(node.value, bool | str | date):
            return None
        upper, lower = bounds(node.path)
        tests: list[Condition] = []
        if must:
            if node.op in ("lt", "le") and upper is not None:
                tests.append(Cmp(upper, node.op, node.value))
            elif node.op in ("gt", "ge") and lower is not None:
                tests.append(Cmp(lower, node.op, node.value))
        else:
            if node.op in ("gt", "ge", "eq") and upper is not None:
                tests.append(Cmp(upper, "ge" if node.op == "eq" else node.op, node.value))
            if node.op in ("lt", "le", "eq") and lower is not None:
                tests.append(Cmp(lower, "le" if node.op == "eq" else node.op, node.value))
        tests = [t for t in tests if isinstance(t, Cmp) and t.path not in seen]
        if not tests:
            return None
        guarded = [guard(t, must, seen | {node.path}) for t in tests]
        return guarded[0] if len(guarded) == 1 else And(tuple(guarded))

    def guard(node: Condition, must: bool, seen: frozenset[str] = frozenset()) -> Condition:
        if isinstance(node, And | Or):
            return type(node)(tuple(guard(i, must, seen) for i in node.items))
        if isinstance(node, Cmp | In | Present | Quant) and node.path and unknowable(node.path):
            flag = UNKNOWN_PREFIX + node.path
            bound = by_bound(node, must, seen) if isinstance(node, Cmp) else None
            if bound is None:
                if must:
                    return And((Cmp(flag, "eq", False), node))
                return Or((Cmp(flag, "eq", True), node))
            known = And((Cmp(flag, "eq", False), node))
            return Or((known, And((Cmp(flag, "eq", True), *_items(bound)))))
        return node

    normal = nnf(cond)
    return guard(normal, True), guard(normal, False)


def _items(cond: Condition) -> tuple[Condition, ...]:
    return cond.items if isinstance(cond, And) else (cond,)


def _show(value: Scalar | ParamRef) -> str:
    if isinstance(value, ParamRef):
        return f"⟨{value.name}⟩"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))  # 160.0 reads as 160
    return repr(value)


def render(cond: Condition) -> str:
    """A readable one-line form, used in the docs, the trace and error messages.

    >>> render(parse_condition({"and": [{"fact": "capacity.kw", "le": 160},
    ...                                 {"fact": "site.area", "in": ["urban", "rural"]}]}))
    "capacity.kw ≤ 160 and site.area in ('urban', 'rural')"
    """
    if isinstance(cond, And | Or):
        if not cond.items:
            return "always" if isinstance(cond, And) else "never"
        joiner = " and " if isinstance(cond, And) else " or "
        parts = [
            f"({render(i)})" if isinstance(i, And | Or) and len(i.items) > 1 else render(i)
            for i in cond.items
        ]
        return joiner.join(parts)
    if isinstance(cond, Not):
        return f"not ({render(cond.item)})"
    if isinstance(cond, Cmp):
        return f"{cond.path or 'item'} {SYMBOL[cond.op]} {_show(cond.value)}"
    if isinstance(cond, In):
        return f"{cond.path or 'item'} in ({', '.join(_show(v) for v in cond.values)})"
    if isinstance(cond, Present):
        return f"{cond.path} is {'given' if cond.present else 'absent'}"
    return f"{cond.kind} {cond.path}: {render(cond.where)}"
