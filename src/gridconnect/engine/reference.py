"""The reference engine: rule conditions compiled to one plain Python function.

It is the oracle the durable engine is tested against, the fallback where durable_rules cannot
be imported, and the fast choice for batch work. The conditions are turned into Python source
(literals through :func:`repr`, never user code), compiled once, and evaluated per application
with no interpretation overhead.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import attrs

from gridconnect.engine.base import MatchRule
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
    Scalar,
)
from gridconnect.rules.facts import FACTS

__all__ = ["ReferenceEngine", "ReferenceMatcher", "evaluate_condition"]

_PY_OP = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


class _Gen:
    """Turns conditions into Python expressions over the facts mapping ``f``.

    Each top-level fact is read once into a local; a fact the fact table declares always present
    is compared without a ``None`` test; constants (dates, sets) are built once; ``any`` over a
    list of values tested for membership becomes a set operation. The result is the code a person
    would write by hand for these rules.
    """

    def __init__(self) -> None:
        self._names = itertools.count()
        self.locals: dict[str, str] = {}  # top-level fact path -> local variable
        self.constants: dict[str, Any] = {"_date": date.fromordinal}

    def const(self, value: Any) -> str:
        name = f"_c{next(self._names)}"
        self.constants[name] = value
        return name

    def lit(self, value: Scalar | ParamRef) -> str:
        if isinstance(value, ParamRef):
            raise TypeError(f"unresolved parameter {value.name!r}")
        if isinstance(value, date):
            return self.const(value)
        return repr(value)

    def values(self, values: tuple[Scalar, ...]) -> str:
        if len(values) > 3 and all(not isinstance(v, float) or v == v for v in values):
            return self.const(frozenset(values))
        return "(" + ", ".join(self.lit(v) for v in values) + ",)"

    def expr(self, cond: Condition, scope: str) -> str:
        if isinstance(cond, And | Or):
            if not cond.items:
                return "True" if isinstance(cond, And) else "False"
            joiner = " and " if isinstance(cond, And) else " or "
            return "(" + joiner.join(self.expr(i, scope) for i in cond.items) + ")"
        if isinstance(cond, Not):
            return f"(not {self.expr(cond.item, scope)})"
        if isinstance(cond, Quant):
            items = self.get(scope, cond.path)
            where = cond.where
            if cond.kind == "any" and isinstance(where, In) and where.path == "":
                return f"(not {self.const(frozenset(where.values))}.isdisjoint({items}))"
            if (
                cond.kind == "any"
                and isinstance(where, Cmp)
                and where.path == ""
                and where.op == "eq"
            ):
                return f"({self.lit(where.value)} in {items})"
            var = f"_i{next(self._names)}"
            inner = self.expr(where, var)
            func = "any" if cond.kind == "any" else "all"
            return f"{func}({inner} for {var} in {items})"
        if isinstance(cond, Present):
            test = "is not None" if cond.present else "is None"
            return f"({self.get(scope, cond.path)} {test})"
        get = self.get(scope, cond.path)
        always = scope == "f" and cond.path in FACTS and not FACTS[cond.path].optional
        var = get if always or (scope != "f" and cond.path == "") else f"_v{next(self._names)}"
        if isinstance(cond, Cmp):
            test = f"{var} {_PY_OP[cond.op]} {self.lit(cond.value)}"
        else:
            assert isinstance(cond, In)
            test = f"{var} in {self.values(cond.values)}"
        if always:
            return f"({test})"
        if var == get:
            return f"({var} is not None and {test})"
        return f"(({var} := {get}) is not None and {test})"

    def get(self, scope: str, path: str) -> str:
        if path == "":
            return scope
        if scope == "f":
            if path not in self.locals:
                self.locals[path] = f"_f{len(self.locals)}"
            return self.locals[path]
        return f"{scope}.get({path!r})"


def _compile(rules: Sequence[MatchRule]) -> Callable[[Mapping[str, Any]], list[int]]:
    gen = _Gen()
    body = []
    for index, rule in enumerate(rules):
        body.append(f"    if {gen.expr(rule.condition, 'f')}:")
        body.append(f"        add({index})")
    lines = ["def match(f):", "    out = []", "    add = out.append"]
    lines += [f"    {name} = f[{path!r}]" for path, name in gen.locals.items()]
    lines += [*body, "    return out"]
    namespace: dict[str, Any] = dict(gen.constants)
    exec(compile("\n".join(lines), "<gridconnect rules>", "exec"), namespace)
    match: Callable[[Mapping[str, Any]], list[int]] = namespace["match"]
    return match


@attrs.frozen
class ReferenceMatcher:
    """Rules compiled to a Python function."""

    rules: tuple[MatchRule, ...]
    _match: Callable[[Mapping[str, Any]], list[int]] = attrs.field(repr=False)

    def match(self, facts: Mapping[str, object]) -> list[int]:
        return self._match(facts)


class ReferenceEngine:
    """The pure-Python engine.

    >>> from gridconnect.rules.conditions import parse_condition
    >>> m = ReferenceEngine().compile([MatchRule("small", parse_condition(
    ...     {"fact": "capacity.kw", "le": 160}))])
    >>> m.match({"capacity.kw": 100.0}), m.match({"capacity.kw": 200.0})
    ([0], [])
    """

    name = "reference"

    def compile(self, rules: Sequence[MatchRule]) -> ReferenceMatcher:
        rules = tuple(rules)
        return ReferenceMatcher(rules, _compile(rules))


def evaluate_condition(cond: Condition, facts: Mapping[str, object]) -> bool:
    """Evaluate one condition by plain interpretation (slow; used to explain and to test)."""

    def ev(node: Condition, scope: Mapping[str, Any], item: Any, in_item: bool) -> bool:
        def get(path: str) -> Any:
            if path == "":
                return item
            return scope.get(path)

        if isinstance(node, And):
            return all(ev(i, scope, item, in_item) for i in node.items)
        if isinstance(node, Or):
            return any(ev(i, scope, item, in_item) for i in node.items)
        if isinstance(node, Not):
            return not ev(node.item, scope, item, in_item)
        if isinstance(node, Present):
            return (get(node.path) is not None) == node.present
        if isinstance(node, Quant):
            items: list[Any] = get(node.path) or []
            check = (
                (lambda x: ev(node.where, x, None, True))
                if items and isinstance(items[0], dict)
                else (lambda x: ev(node.where, {}, x, True))
            )
            return any(map(check, items)) if node.kind == "any" else all(map(check, items))
        value = get(node.path)
        if value is None:
            return False
        if isinstance(node, In):
            return value in node.values
        assert isinstance(node, Cmp)
        assert not isinstance(node.value, ParamRef)
        other = node.value
        return bool(
            {
                "eq": lambda: value == other,
                "ne": lambda: value != other,
                "lt": lambda: value < other,
                "le": lambda: value <= other,
                "gt": lambda: value > other,
                "ge": lambda: value >= other,
            }[node.op]()
        )

    return ev(cond, facts, None, False)
