"""Conditions in words, in Chinese or English, from the condition tree and the vocabulary.

>>> from gridconnect.rules.conditions import parse_condition
>>> from gridconnect.output.labels import Labels
>>> cond = parse_condition({"and": [{"fact": "works.external", "eq": True},
...     {"fact": "voltage.requested", "in": ["10kV", "20kV"]}]})
>>> describe(cond, Labels(), "zh")
'需建设外线工程，且申请电压为10千伏或20千伏'
>>> describe(cond, Labels(), "en")
'external access works are needed and the requested voltage is 10 kV or 20 kV'
>>> describe(parse_condition({"fact": "capacity.kw", "le": 160}), Labels(), "en")
'the requested capacity is at most 160 kW'
"""

from __future__ import annotations

from datetime import date
from typing import Any

from gridconnect.output.labels import Labels, Lang
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
)
from gridconnect.rules.facts import SLOT_PREFIX, fact_type

__all__ = ["describe"]

_ZH_OPS = {"eq": "为", "ne": "不为", "lt": "小于", "le": "不超过", "gt": "大于", "ge": "不低于"}
_EN_OPS = {
    "eq": "is",
    "ne": "is not",
    "lt": "is less than",
    "le": "is at most",
    "gt": "is more than",
    "ge": "is at least",
}


def describe(cond: Condition, labels: Labels, lang: Lang) -> str:
    """``cond`` as a sentence (without the final full stop) in ``lang``."""
    return _Words(labels, lang).cond(cond, "")


class _Words:
    def __init__(self, labels: Labels, lang: Lang) -> None:
        self.labels = labels
        self.lang = lang
        self.zh = lang == "zh"

    def cond(self, c: Condition, scope: str) -> str:
        if isinstance(c, And | Or):
            if not c.items:
                if isinstance(c, And):
                    return "无条件适用" if self.zh else "always"
                return "从不适用" if self.zh else "never"
            parts = [self.cond(i, scope) for i in c.items]
            parts = [
                f"（{p}）" if self.zh and _nested(i) else f"({p})" if _nested(i) else p
                for p, i in zip(parts, c.items, strict=True)
            ]
            if isinstance(c, And):
                return "，且".join(parts) if self.zh else " and ".join(parts)
            return "，或".join(parts) if self.zh else " or ".join(parts)
        if isinstance(c, Not):
            item = c.item
            if isinstance(item, Cmp) and item.op in ("eq", "ne"):
                return self.test(
                    _join(scope, item.path), "ne" if item.op == "eq" else "eq", (item.value,)
                )
            inner = self.cond(item, scope)
            return f"并非{inner}" if self.zh else f"not ({inner})"
        if isinstance(c, Quant):
            return self.quant(c, scope)
        path = _join(scope, c.path)
        if isinstance(c, Present):
            name = self.subject(path)
            if self.zh:
                return f"已填写{name}" if c.present else f"未填写{name}"
            return f"{name} is given" if c.present else f"{name} is not given"
        if isinstance(c, In):
            return self.test(path, "eq", c.values)
        return self.test(path, c.op, (c.value,))

    def subject(self, path: str) -> str:
        if path.startswith(SLOT_PREFIX):
            slot = path[len(SLOT_PREFIX) :]
            name = self.labels.slot(slot, self.lang)
            return f"已定的{name}" if self.zh else f"the decided {name}"
        return self.labels.fact(path, self.lang)

    def value(self, path: str, value: Any) -> str:
        if isinstance(value, ParamRef):
            title = self.labels.text(f"param:{value.name}", self.lang, value.name)
            return f"“{title}”" if self.zh else f"the {title}"
        if path.startswith(SLOT_PREFIX):
            return self.labels.value(path[len(SLOT_PREFIX) :], value, self.lang)
        if isinstance(value, date):
            return value.isoformat()
        return self.labels.fact_value(path, value, self.lang)

    def test(self, path: str, op: str, values: tuple[Any, ...]) -> str:
        ftype = fact_type(path)
        if ftype is not None and ftype.kind == "bool" and len(values) == 1 and op in ("eq", "ne"):
            holds = bool(values[0]) == (op == "eq")
            key = f"fact:{path}={'true' if holds else 'false'}"
            if self.labels.get(key) is not None:
                return self.labels.text(key, self.lang)
        name = self.subject(path)
        shown = [self.value(path, v) for v in values]
        if self.zh:
            return f"{name}{_ZH_OPS.get(op, op)}{'或'.join(shown)}"
        alternatives = ", ".join(shown[:-1]) + " or " + shown[-1] if len(shown) > 1 else shown[0]
        return f"{name} {_EN_OPS.get(op, op)} {alternatives}"

    def quant(self, q: Quant, scope: str) -> str:
        path = _join(scope, q.path)
        name = self.labels.fact(path, self.lang)
        where = q.where
        simple = isinstance(where, Cmp | In) and where.path == ""
        if simple:
            assert isinstance(where, Cmp | In)
            values = where.values if isinstance(where, In) else (where.value,)
            shown = [self.value(path, v) for v in values]
            op = "eq" if isinstance(where, In) else where.op
            if op == "eq":
                if self.zh:
                    joined = "或".join(shown)
                    return f"{name}{joined}" if q.kind == "any" else f"{name}均为{joined}"
                joined = ", ".join(shown[:-1]) + " or " + shown[-1] if len(shown) > 1 else shown[0]
                return (
                    f"{name} {joined}" if q.kind == "any" else f"every item of {name} is {joined}"
                )
        inner = self.cond(where, path if not simple else "")
        if self.zh:
            return f"有{name}满足：{inner}" if q.kind == "any" else f"每一{name}均满足：{inner}"
        return f"some {name} has: {inner}" if q.kind == "any" else f"every {name} has: {inner}"


def _nested(c: Condition) -> bool:
    return isinstance(c, And | Or) and len(c.items) > 1


def _join(scope: str, path: str) -> str:
    if not scope:
        return path
    return f"{scope}.{path}" if path else scope
