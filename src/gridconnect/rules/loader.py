"""Reading rule files (TOML) into :class:`Rule` and :class:`Parameter` objects.

A rules file holds one jurisdiction's rules, its parameters, and citations they share::

    jurisdiction = "440100"

    [citations.gz_2021]
    title = "广州市持续优化用电营商环境行动方案"
    issuer = "广州市工业和信息化局"
    date = 2021-05-21
    confidence = "primary"
    issuer_kind = "government"   # or "utility" (a utility's commitment), "advocacy"

    [[parameters]]
    name = "guangzhou.low_voltage_residential_days"
    title = { en = "Low-voltage residential limit", zh = "低压居民办电时间" }
    unit = "day"
    versions = [ { value = 3, effective_from = 2021-05-21, citation = { ref = "gz_2021" } } ]

    [[rules]]
    id = "guangzhou.supply.low_voltage"
    ...

Everything is checked here that can be checked within one file: unknown keys, missing keys, wrong
types, slot names and values, condition syntax. Checks across files (parameters, exceptions,
overlapping versions) are in :mod:`gridconnect.rules.catalogue`. Every error names the file, the
rule or parameter, and the key.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import attrs

from gridconnect.errors import InputError, RuleDataError
from gridconnect.rules.conditions import (
    MAX_NUMBER,
    TRUE,
    Condition,
    ConditionSyntaxError,
    ParamRef,
    parse_condition,
)
from gridconnect.rules.model import (
    Citation,
    Confidence,
    IssuerKind,
    Limit,
    LimitUnit,
    Parameter,
    ParameterVersion,
    Rule,
    Text,
    Value,
)
from gridconnect.rules.slots import slot_type

__all__ = [
    "RuleSource",
    "TableReader",
    "load_rules_file",
    "parse_rules",
    "read_citation",
    "read_condition",
    "read_rule_head",
    "read_text",
]

PARAMETER_UNITS = frozenset({"kW", "kVA", "m", "count", "working_day", "calendar_day", "day"})


@attrs.frozen(kw_only=True)
class RuleSource:
    """The rules and parameters of one file (or one Python module)."""

    jurisdiction: str
    rules: tuple[Rule, ...] = ()
    parameters: tuple[Parameter, ...] = ()
    source: str = "<python>"


class TableReader:
    """Reads one table of a rules file, remembering where it is for error messages; shared by
    every reader of gridconnect TOML data (decision rules, lifecycle rules)."""

    def __init__(self, data: Any, where: str, file: str, rule: str | None) -> None:
        self.file, self.rule, self.where = file, rule, where
        if not isinstance(data, dict):
            self.fail("must be a table", "须为表")
        self.data: dict[str, Any] = data
        self.used: set[str] = set()

    def fail(self, en: str, zh: str) -> RuleDataError:
        raise RuleDataError(
            f"{self.where}: {en}", f"{self.where}：{zh}", file=self.file, rule=self.rule
        )

    def get(self, key: str, kind: type | tuple[type, ...], *, required: bool = True) -> Any:
        self.used.add(key)
        if key not in self.data:
            if required:
                self.fail(f"{key!r} is required", f"缺少 {key!r}")
            return None
        value = self.data[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _tuple(kind)):
            names = "/".join(k.__name__ for k in _tuple(kind))
            self.fail(f"{key!r} must be {names}", f"{key!r} 类型应为 {names}")
        return value

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            self.fail(
                f"unknown key(s): {', '.join(unknown)}; known: {', '.join(sorted(self.used))}",
                f"未知的键：{', '.join(unknown)}",
            )


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def read_text(r: TableReader, key: str) -> Text:
    table = TableReader(r.get(key, dict), f"{r.where}.{key}", r.file, r.rule)
    text = Text(en=table.get("en", str), zh=table.get("zh", str))
    table.done()
    return text


def read_citation(
    data: object, where: str, file: str, rule: str | None, shared: Mapping[str, Citation]
) -> Citation:
    r = TableReader(data, where, file, rule)
    base: dict[str, Any] = {}
    ref = r.get("ref", str, required=False)
    if ref is not None:
        if ref not in shared:
            r.fail(f"unknown citation {ref!r}", f"未定义的出处 {ref!r}")
        base = attrs.asdict(shared[ref], recurse=False)
    fields: dict[str, Any] = dict(base)
    for key in ("title", "issuer", "number", "article", "url", "quote", "note"):
        value = r.get(key, str, required=key in ("title", "issuer") and not base)
        if value is not None:
            fields[key] = value
    when = r.get("date", date, required=False)
    if when is not None:
        fields["date"] = when
    confidence = r.get("confidence", str, required=not base)
    if confidence is not None:
        try:
            fields["confidence"] = Confidence(confidence)
        except ValueError:
            r.fail(
                "confidence must be primary, press or source-article",
                "confidence 须为 primary、press 或 source-article",
            )
    issuer_kind = r.get("issuer_kind", str, required=False)
    if issuer_kind is not None:
        try:
            fields["issuer_kind"] = IssuerKind(issuer_kind)
        except ValueError:
            r.fail(
                "issuer_kind must be government, utility or advocacy",
                "issuer_kind 须为 government（政府）、utility（供电企业承诺）或 advocacy（倡议）",
            )
    r.done()
    return Citation(**fields)


MAX_LIMIT_DAYS = 10_000
"""Longest time limit a rule or parameter may set, in days or working days (the longest in the
rules is 45 days): with :data:`gridconnect.model.codec.DATE_MAX` it keeps every due date
representable."""


def _limit(value: Any, r: TableReader, slot: str) -> Limit | ParamRef:
    if isinstance(value, dict) and len(value) == 1:
        ((key, amount),) = value.items()
        if key == "param" and isinstance(amount, str):
            return ParamRef(amount)
        units = {"working_days": "working_day", "calendar_days": "calendar_day", "days": "day"}
        if (
            key in units
            and isinstance(amount, int)
            and not isinstance(amount, bool)
            and 0 <= amount <= MAX_LIMIT_DAYS
        ):
            return Limit(amount=amount, unit=LimitUnit(units[key]))
    r.fail(
        f"{slot}: a time limit is {{ working_days = N }}, {{ calendar_days = N }}, "
        '{ days = N } (天, unit unstated) or { param = "name" }',
        f"{slot}：时限写作 {{ working_days = N }}、{{ calendar_days = N }}、{{ days = N }} 或参数",
    )
    raise AssertionError  # unreachable: fail raises


def _effect(slot: str, value: Any, r: TableReader) -> Value | ParamRef:
    stype = slot_type(slot)
    if stype is None:
        r.fail(f"unknown conclusion slot {slot!r}", f"未知的结论项 {slot!r}")
        raise AssertionError
    if isinstance(value, dict) and set(value) == {"param"} and stype.kind != "limit":
        if not isinstance(value["param"], str):
            r.fail(f"{slot}: param must name a parameter", f"{slot}：param 须为参数名")
        return ParamRef(value["param"])
    if stype.kind == "limit":
        return _limit(value, r, slot)
    if stype.kind == "text":
        if (
            isinstance(value, dict)
            and set(value) == {"en", "zh"}
            and isinstance(value["en"], str)
            and isinstance(value["zh"], str)
        ):
            return Text(en=value["en"], zh=value["zh"])
        r.fail(f'{slot}: a note is {{ en = "...", zh = "..." }}', f"{slot}：说明须含 en 与 zh")
    if stype.kind == "bool" and isinstance(value, bool):
        return value
    if stype.kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if stype.kind == "enum" and isinstance(value, str):
        if value in stype.values:
            return value
        allowed = ", ".join(sorted(stype.values))
        r.fail(
            f"{slot}: {value!r} is not one of {allowed}", f"{slot}：{value!r} 不在 {allowed} 之中"
        )
    r.fail(f"{slot}: expected a value of kind {stype.kind}", f"{slot}：取值类型应为 {stype.kind}")
    raise AssertionError


def read_rule_head(
    data: object, index: int, file: str
) -> tuple[TableReader, str | None, Text, date, date | None]:
    """Start reading ``rules[index]``: its reader, id, title and effective dates (checked), the
    part every kind of rule shares (decision rules here, lifecycle rules in
    :mod:`gridconnect.lifecycle.rules`)."""
    rule_id = data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) else None
    r = TableReader(data, f"rules[{index}]", file, rule_id)
    r.get("id", str)
    title = read_text(r, "title")
    effective_from = r.get("effective_from", date)
    effective_until = r.get("effective_until", date, required=False)
    if effective_until is not None and effective_until < effective_from:
        r.fail("effective_until is before effective_from", "失效日期早于生效日期")
    return r, rule_id, title, effective_from, effective_until


def read_condition(r: TableReader) -> Condition:
    """The rule's ``when`` (always, if absent), parsed; a syntax error names where in it."""
    if "when" not in r.data:
        r.get("when", dict, required=False)  # mark the key as known
        return TRUE
    try:
        return parse_condition(r.get("when", dict), "when")
    except ConditionSyntaxError as error:
        r.fail(f"{error.at}: {error.message}", f"{error.at}：条件写法有误（{error.message}）")
        raise AssertionError from None  # unreachable: fail raises


def _rule(
    data: Any, index: int, jurisdiction: str, file: str, shared: Mapping[str, Citation]
) -> Rule:
    r, rule_id, title, effective_from, effective_until = read_rule_head(data, index, file)
    when = read_condition(r)
    then_table = r.get("then", dict)
    if not then_table:
        r.fail("'then' sets no conclusion", "'then' 未设定任何结论")
    then = {slot: _effect(slot, value, r) for slot, value in then_table.items()}
    exceptions = r.get("exception_to", list, required=False) or []
    if not all(isinstance(e, str) for e in exceptions):
        r.fail("exception_to lists rule ids", "exception_to 须列出规则 id")
    citation = read_citation(r.get("citation", dict), f"{r.where}.citation", file, rule_id, shared)
    r.done()
    return Rule(
        id=rule_id or "",
        title=title,
        jurisdiction=jurisdiction,
        effective_from=effective_from,
        effective_until=effective_until,
        when=when,
        then=then,
        exception_to=tuple(exceptions),
        citation=citation,
        source=file,
    )


def _parameter(
    data: Any, index: int, jurisdiction: str, file: str, shared: Mapping[str, Citation]
) -> Parameter:
    name = (
        data.get("name") if isinstance(data, dict) and isinstance(data.get("name"), str) else None
    )
    r = TableReader(data, f"parameters[{index}]", file, name)
    r.get("name", str)
    title = read_text(r, "title")
    unit = r.get("unit", str, required=False)
    if unit is not None and unit not in PARAMETER_UNITS:
        r.fail(f"unit must be one of {', '.join(sorted(PARAMETER_UNITS))}", "单位无效")
    versions_data = r.get("versions", list)
    if not versions_data:
        r.fail("a parameter needs at least one version", "参数至少需要一个版本")
    versions = []
    for i, item in enumerate(versions_data):
        v = TableReader(item, f"{r.where}.versions[{i}]", file, name)
        value = v.get("value", (int, float, bool, str))
        if unit is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            v.fail(f"a value in {unit} must be a number", f"以 {unit} 计的值须为数值")
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not (math.isfinite(value) and abs(value) <= MAX_NUMBER):
                v.fail(
                    "a number must be finite and at most 1e15 in size", "数值须有限且不超过 1e15"
                )
            if unit in ("working_day", "calendar_day", "day") and not (
                0 <= value <= MAX_LIMIT_DAYS and float(value).is_integer()
            ):
                v.fail(
                    f"a time limit is a whole number of days from 0 to {MAX_LIMIT_DAYS}",
                    f"时限须为 0 至 {MAX_LIMIT_DAYS} 的整数天",
                )
        start = v.get("effective_from", date)
        until = v.get("effective_until", date, required=False)
        if until is not None and until < start:
            v.fail("effective_until is before effective_from", "失效日期早于生效日期")
        citation = read_citation(v.get("citation", dict), f"{v.where}.citation", file, name, shared)
        v.done()
        versions.append(
            ParameterVersion(
                value=value, effective_from=start, effective_until=until, citation=citation
            )
        )
    r.done()
    return Parameter(
        name=name or "",
        title=title,
        jurisdiction=jurisdiction,
        unit=unit,
        versions=tuple(sorted(versions, key=lambda v: v.effective_from)),
        source=file,
    )


def parse_rules(data: Mapping[str, Any], source: str = "<data>") -> RuleSource:
    """Build a :class:`RuleSource` from the parsed TOML (or JSON) of a rules file."""
    top = TableReader(dict(data), "top level", source, None)
    jurisdiction = top.get("jurisdiction", str)
    shared_data = top.get("citations", dict, required=False) or {}
    shared: dict[str, Citation] = {}
    for key, value in shared_data.items():
        shared[key] = read_citation(value, f"citations.{key}", source, None, shared)
    parameters = tuple(
        _parameter(p, i, jurisdiction, source, shared)
        for i, p in enumerate(top.get("parameters", list, required=False) or [])
    )
    rules = tuple(
        _rule(r, i, jurisdiction, source, shared)
        for i, r in enumerate(top.get("rules", list, required=False) or [])
    )
    top.done()
    return RuleSource(jurisdiction=jurisdiction, rules=rules, parameters=parameters, source=source)


MAX_RULES_BYTES = 4 << 20
"""Largest rules file read (4 MiB; the largest shipped is under 100 KB)."""


def load_rules_file(path: str | Path) -> RuleSource:
    """Read a TOML rules file; syntax and data errors name the file."""
    from gridconnect.model.codec import read_bounded  # the one bounded reader of input files

    p = Path(path)
    try:
        data = tomllib.loads(read_bounded(p, MAX_RULES_BYTES, what="rules file").decode("utf-8"))
    except InputError as error:
        (problem,) = error.problems
        raise RuleDataError(problem.en, problem.zh, file=str(p)) from None
    except (UnicodeDecodeError, RecursionError):
        raise RuleDataError(
            "not readable TOML (not UTF-8, or nested too deeply)",
            "无法读取的 TOML（不是 UTF-8 或嵌套过深）",
            file=str(p),
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise RuleDataError(
            f"not valid TOML: {error}", f"不是有效的 TOML：{error}", file=str(p)
        ) from None
    return parse_rules(data, str(p))
