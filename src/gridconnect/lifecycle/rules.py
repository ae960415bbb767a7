"""Lifecycle rules as data: the statechart's transitions and the proactive-service (主动办) rules.

A lifecycle rule says: from this date, in this jurisdiction, when an event of this kind arrives
while the subject (an application or a project) is in one of these states and this condition
holds, move to that state (``to``), or stay (``stay = true``), and ask for these actions
(``do``). Conditions are written in the condition language of the decision rules
(:mod:`gridconnect.rules.conditions`) over the small fact table :data:`LIFECYCLE_FACTS`, so both
engines evaluate them and they render in the docs and in error messages.

The national plugin ships the generic lifecycle of an application and of a project
(``lifecycle.toml`` beside its rules); every plugin, that one included, adds its rules through the
:func:`~gridconnect.plugins.hookspecs.gridconnect_lifecycle_rules` hook. A plugin built with
:class:`~gridconnect.plugins.packaged.PackagedRules` needs no code for it: a ``lifecycle.toml`` file in its
package is read as its answer to the hook. A lifecycle file::

    jurisdiction = "440100"

    [citations.article]
    title = "南方电网：打造更具吸引力的用电营商环境"
    issuer = "广东电网有限责任公司"
    confidence = "source-article"

    [[rules]]
    id = "guangzhou.proactive.open_case"
    title = { en = "Open a proactive case", zh = "主动获取用电需求" }
    effective_from = 2021-05-21
    on = "land_use_permit"
    when = { fact = "event.has_electricity_demand", eq = true }
    do = [ { action = "open_proactive_case", title = { en = "...", zh = "..." } } ]
    citation = { ref = "article" }
"""

from __future__ import annotations

import tomllib
import warnings
from collections.abc import Mapping, Sequence
from datetime import date
from importlib.resources import files as resource_files
from typing import Any, Literal, TypeAlias

import attrs

from gridconnect.errors import RuleDataError
from gridconnect.lifecycle.events import APPLICATION_KINDS, EventKind, PauseReason
from gridconnect.rules.conditions import (
    TRUE,
    And,
    Cmp,
    Condition,
    In,
    condition_problems,
    render,
)
from gridconnect.rules.facts import FactType
from gridconnect.rules.loader import (
    TableReader,
    read_citation,
    read_condition,
    read_rule_head,
    read_text,
)
from gridconnect.rules.model import Citation, Dated, Text

__all__ = [
    "APPLICATION_STATES",
    "LIFECYCLE_FACTS",
    "PROJECT_STATES",
    "SCOPE_TITLES",
    "STATE_TITLES",
    "Action",
    "LifecycleRule",
    "Scope",
    "core_rules",
    "load_lifecycle_text",
    "packaged_lifecycle_rules",
    "parse_lifecycle_rules",
    "scope_of",
]

Scope: TypeAlias = Literal["application", "project"]

APPLICATION_STATES: tuple[str, ...] = (
    "new",
    "submitted",
    "accepted",
    "plan_answered",
    "design_reviewed",
    "intermediate_inspected",
    "completion_inspected",
    "connected",
)
"""The states of an application, in the order of the process; ``new`` is the start state."""

PROJECT_STATES: tuple[str, ...] = (
    "new",
    "approved",
    "land_use_permitted",
    "planning_permitted",
    "construction_permitted",
    "completed",
)
"""The states of a project, in the order of the approval process."""

STATE_TITLES: Mapping[str, Text] = {
    "new": Text(en="not started", zh="未开始"),
    "submitted": Text(en="submitted", zh="已提交申请"),
    "accepted": Text(en="accepted", zh="已受理"),
    "plan_answered": Text(en="supply plan answered", zh="已答复供电方案"),
    "design_reviewed": Text(en="design reviewed", zh="已审核设计文件"),
    "intermediate_inspected": Text(en="intermediate inspection done", zh="已中间检查"),
    "completion_inspected": Text(en="completion inspection passed", zh="已竣工检验"),
    "connected": Text(en="metered and connected", zh="已装表接电"),
    "approved": Text(en="project approved", zh="已立项"),
    "land_use_permitted": Text(en="land-use planning permit granted", zh="已取得用地规划许可"),
    "planning_permitted": Text(en="works planning permit granted", zh="已取得工程规划许可"),
    "construction_permitted": Text(en="construction permit granted", zh="已取得施工许可"),
    "completed": Text(en="completion accepted", zh="已竣工验收"),
}

SCOPE_TITLES: Mapping[str, Text] = {
    "application": Text(en="application", zh="申请"),
    "project": Text(en="project", zh="项目"),
}

PAUSE_STATES = ("none", "open", "closed")


def _enum(values: Sequence[str], doc: str, optional: bool = False) -> FactType:
    return FactType(kind="enum", values=frozenset(values), optional=optional, doc=doc)


LIFECYCLE_FACTS: Mapping[str, FactType] = {
    "state": _enum(
        sorted(set(APPLICATION_STATES) | set(PROJECT_STATES)), "the subject's current state"
    ),
    "event.kind": _enum([k.value for k in EventKind], "the kind of the event"),
    "event.reason": _enum(
        [r.value for r in PauseReason], "why a pause starts (pause_started only)", optional=True
    ),
    "event.has_electricity_demand": FactType(
        kind="bool", optional=True, doc="the project will need a grid connection (project events)"
    ),
    "pause.state": _enum(
        PAUSE_STATES,
        "the period a pause event names: never seen (none), open or closed (pause events only)",
        optional=True,
    ),
}
"""The facts a lifecycle rule can read: the current state and the event's fields."""


def scope_of(kind: EventKind) -> Scope:
    """Whether events of ``kind`` are about an application or a project."""
    return "application" if kind in APPLICATION_KINDS else "project"


def _states(scope: Scope) -> tuple[str, ...]:
    return APPLICATION_STATES if scope == "application" else PROJECT_STATES


@attrs.frozen(kw_only=True)
class Action:
    """Something a rule asks the utility to do, e.g. open a proactive case."""

    name: str
    title: Text


@attrs.frozen(kw_only=True)
class LifecycleRule(Dated):
    """One lifecycle rule: a transition (``to``/``stay``), actions (``do``), or both.

    Only a transition makes an event legal; a rule with actions alone adds them to a legal one.
    """

    id: str
    title: Text
    jurisdiction: str
    effective_from: date
    on: EventKind
    citation: Citation
    from_states: tuple[str, ...] = ()  # empty: any state
    when: Condition = TRUE
    to: str | None = None
    stay: bool = False
    actions: tuple[Action, ...] = ()
    effective_until: date | None = None
    source: str | None = None

    @property
    def scope(self) -> Scope:
        return scope_of(self.on)

    @property
    def transition(self) -> bool:
        """Whether the rule moves the subject (or keeps it where it is)."""
        return self.to is not None or self.stay

    @property
    def condition(self) -> Condition:
        """The whole condition the engines evaluate: state, event kind and ``when``."""
        parts: list[Condition] = []
        if self.from_states:
            parts.append(In("state", self.from_states))
        parts.append(Cmp("event.kind", "eq", self.on.value))
        if self.when != TRUE:
            parts.append(self.when)
        return And(tuple(parts))

    def describe(self) -> str:
        """One line: ``from → to on kind when ...``."""
        target = "stay" if self.stay else (self.to or "-")
        origin = "|".join(self.from_states) or "*"
        when = "" if self.when == TRUE else f" when {render(self.when)}"
        does = f" do {', '.join(a.name for a in self.actions)}" if self.actions else ""
        return f"{origin} --{self.on.value}--> {target}{when}{does}"


def _state_list(r: TableReader, key: str, scope: Scope) -> tuple[str, ...]:
    values = r.get(key, list, required=False) or []
    allowed = _states(scope)
    for value in values:
        if not isinstance(value, str) or value not in allowed:
            r.fail(
                f"{key}: {value!r} is not a state of a {scope}; states: {', '.join(allowed)}",
                f"{key}：{value!r} 不是{SCOPE_TITLES[scope].zh}的状态；可选：{', '.join(allowed)}",
            )
    return tuple(values)


def _actions(r: TableReader) -> tuple[Action, ...]:
    actions = []
    for i, item in enumerate(r.get("do", list, required=False) or []):
        a = TableReader(item, f"{r.where}.do[{i}]", r.file, r.rule)
        name = a.get("action", str)
        if not name.replace("_", "").isalnum() or not name.islower() or not name[0].isalpha():
            a.fail("action names are lower-case slugs", "动作名须为小写标识符")
        actions.append(Action(name=name, title=read_text(a, "title")))
        a.done()
    return tuple(actions)


def _rule(
    data: Any, index: int, jurisdiction: str, file: str, shared: Mapping[str, Citation]
) -> LifecycleRule:
    r, rule_id, title, effective_from, effective_until = read_rule_head(data, index, file)
    try:
        on = EventKind(r.get("on", str))
    except ValueError:
        allowed = ", ".join(k.value for k in EventKind)
        r.fail(f"on: must be one of {allowed}", f"on：须为以下之一：{allowed}")
        raise AssertionError from None  # unreachable: fail raises
    scope = scope_of(on)
    from_states = _state_list(r, "from", scope)
    to = r.get("to", str, required=False)
    if to is not None and to not in _states(scope):
        r.fail(
            f"to: {to!r} is not a state of a {scope}",
            f"to：{to!r} 不是{SCOPE_TITLES[scope].zh}的状态",
        )
    stay = r.get("stay", bool, required=False) or False
    if to is not None and stay:
        r.fail("give either to or stay, not both", "to 与 stay 只能取其一")
    when = read_condition(r)
    if "when" in r.data:
        problems = condition_problems(when, lambda _: None, LIFECYCLE_FACTS)
        if problems:
            r.fail("when: " + "; ".join(problems), "when：" + "；".join(problems))
    actions = _actions(r)
    if to is None and not stay and not actions:
        r.fail("the rule does nothing: give to, stay or do", "规则没有效果：须给出 to、stay 或 do")
    citation = read_citation(r.get("citation", dict), f"{r.where}.citation", file, rule_id, shared)
    r.done()
    return LifecycleRule(
        id=rule_id or "",
        title=title,
        jurisdiction=jurisdiction,
        effective_from=effective_from,
        effective_until=effective_until,
        on=on,
        from_states=from_states,
        when=when,
        to=to,
        stay=stay,
        actions=actions,
        citation=citation,
        source=file,
    )


def parse_lifecycle_rules(
    data: Mapping[str, Any], source: str = "<data>"
) -> tuple[LifecycleRule, ...]:
    """The rules of a parsed lifecycle file; every error names the file, the rule and the key."""
    top = TableReader(dict(data), "top level", source, None)
    jurisdiction = top.get("jurisdiction", str)
    shared: dict[str, Citation] = {}
    for key, value in (top.get("citations", dict, required=False) or {}).items():
        shared[key] = read_citation(value, f"citations.{key}", source, None, shared)
    rules = tuple(
        _rule(item, i, jurisdiction, source, shared)
        for i, item in enumerate(top.get("rules", list, required=False) or [])
    )
    top.done()
    return rules


def load_lifecycle_text(text: str, source: str) -> tuple[LifecycleRule, ...]:
    """Parse the TOML text of a lifecycle file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RuleDataError(
            f"not valid TOML: {error}", f"不是有效的 TOML：{error}", file=source
        ) from None
    return parse_lifecycle_rules(data, source)


def packaged_lifecycle_rules(package: str) -> tuple[LifecycleRule, ...]:
    """The rules of ``lifecycle.toml`` in ``package``, or none if it has no such file."""
    resource = resource_files(package).joinpath("lifecycle.toml")
    if not resource.is_file():
        return ()
    return load_lifecycle_text(resource.read_text("utf-8"), f"{package}/lifecycle.toml")


def core_rules() -> tuple[LifecycleRule, ...]:
    """The generic lifecycle of an application and of a project, which the national plugin
    (``gridconnect.plugins.jurisdictions.national``) now publishes like any other plugin.

    .. deprecated:: 0.2
       Use :attr:`Registry.lifecycle_rules <gridconnect.plugins.registry.Registry.lifecycle_rules>`,
       which holds these rules with every plugin's.
    """
    warnings.warn(
        "core_rules() is deprecated: the national plugin publishes these rules; use "
        "Registry.lifecycle_rules",
        DeprecationWarning,
        stacklevel=2,
    )
    return packaged_lifecycle_rules("gridconnect.plugins.jurisdictions.national")
