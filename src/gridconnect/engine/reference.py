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

__all__ = ["ReferenceEngine", "ReferenceMatcher", "evaluate_condition"]

_PY_OP = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


def _lit(value: Scalar | ParamRef) -> str:
    if isinstance(value, ParamRef):
        raise TypeError(f"unresolved parameter {value.name!r}")
    if isinstance(value, date):
        return f"_date({value.toordinal()})"
    return repr(value)


class _Gen:
    """Turns a condition into a Python expression over the facts mapping ``f``."""

    def __init__(self) -> None:
        self._names = itertools.count()

    def expr(self, cond: Condition, scope: str) -> str:
        if isinstance(cond, And | Or):
            if not cond.items:
                return "True" if isinstance(cond, And) else "False"
            joiner = " and " if isinstance(cond, And) else " or "
            return "(" + joiner.join(self.expr(i, scope) for i in cond.items) + ")"
        if isinstance(cond, Not):
            return f"(not {self.expr(cond.item, scope)})"
        if isinstance(cond, Quant):
            var = f"_i{next(self._names)}"
            inner = self.expr(cond.where, var)
            func = "any" if cond.kind == "any" else "all"
            return f"{func}({inner} for {var} in {self.get(scope, cond.path)})"
        if isinstance(cond, Present):
            test = "is not None" if cond.present else "is None"
            return f"({self.get(scope, cond.path)} {test})"
        var = f"_v{next(self._names)}"
        get = self.get(scope, cond.path)
        if isinstance(cond, Cmp):
            test = f"{var} {_PY_OP[cond.op]} {_lit(cond.value)}"
        else:
            assert isinstance(cond, In)
            test = f"{var} in ({', '.join(_lit(v) for v in cond.values)},)"
        return f"(({var} := {get}) is not None and {test})"

    @staticmethod
    def get(scope: str, path: str) -> str:
        if path == "":
            return scope
        return f"{scope}[{path!r}]" if scope == "f" else f"{scope}.get({path!r})"


def _compile(rules: Sequence[MatchRule]) -> Callable[[Mapping[str, Any]], list[int]]:
    gen = _Gen()
    lines = ["def match(f):", "    out = []"]
    for index, rule in enumerate(rules):
        lines.append(f"    if {gen.expr(rule.condition, 'f')}:")
        lines.append(f"        out.append({index})")
    lines.append("    return out")
    namespace: dict[str, Any] = {"_date": date.fromordinal}
    exec(compile("\n".join(lines), "<gridconnect rules>", "exec"), namespace)
    match: Callable[[Mapping[str, Any]], list[int]] = namespace["match"]
    return match


@attrs.frozen
class ReferenceMatcher:
    """Rules compiled to a Python function."""

    rules: tuple[MatchRule, ...]
    _match: Callable[[Mapping[str, Any]], list[int]] = attrs.field(repr=False)

    def match(self, facts: Mapping[str, Any]) -> list[int]:
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


def evaluate_condition(cond: Condition, facts: Mapping[str, Any]) -> bool:
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
