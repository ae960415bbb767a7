"""The statechart: lifecycle rules evaluated statelessly, the current state and an event in, the
next state and the actions out.

The state is never kept in an engine session (durable_rules keeps at most 1,024 live sessions
per ruleset and crashes past it; see §6 of :doc:`/explanation/durable-rules`): the store holds
it, and each event is matched against the rules in force for the subject's jurisdiction on the
event's date, as one stateless evaluation. Both engines compile the same rule data; the
reference engine is the oracle the tests compare durable_rules with.

Resolution, the same for every engine:

1. an event is legal when at least one matching rule is a transition (``to`` or ``stay``);
   otherwise it is rejected with a bilingual message that names the events expected instead;
2. among matching transitions, the most specific jurisdiction wins; two winners that go to
   different states are a conflict, and the event is rejected naming both rules;
3. the actions are those of every matching rule, in rule order, when the event is legal.

The answer depends only on the facts (:data:`~gridconnect.lifecycle.rules.LIFECYCLE_FACTS`),
which take few distinct values, so each distinct combination is matched once per rule set and
remembered (``memo=False`` turns that off, to measure the engines).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import attrs

from gridconnect.decide.resolution import most_specific
from gridconnect.engine.base import Engine, Matcher, MatchRule
from gridconnect.errors import RuleDataError
from gridconnect.lifecycle.events import (
    Event,
    EventKind,
    PauseEnded,
    PauseStarted,
    ProjectEvent,
)
from gridconnect.lifecycle.rules import (
    LIFECYCLE_FACTS,
    SCOPE_TITLES,
    Action,
    LifecycleRule,
    scope_of,
)
from gridconnect.rules.catalogue import Catalogue
from gridconnect.rules.model import Text

__all__ = ["Statechart", "Step", "facts_for"]

FACT_PATHS: tuple[str, ...] = tuple(LIFECYCLE_FACTS)


@attrs.frozen(kw_only=True)
class Step:
    """What the statechart answers to one event in one state."""

    target: str | None  # the next state; None when the event is rejected
    actions: tuple[tuple[str, Action], ...] = ()  # (rule id, action), in rule order
    rules: tuple[str, ...] = ()  # ids of the rules that matched, in rule order
    problem: Text | None = None  # why the event was rejected

    @property
    def rejected(self) -> bool:
        return self.target is None


def facts_for(state: str, event: Event, pause_state: str | None = None) -> dict[str, object]:
    """The facts of one evaluation: the subject's state and the event's fields.

    ``pause_state`` is the state of the period a pause event names (``none``, ``open`` or
    ``closed``); it is ignored for other events.
    """
    pausing = isinstance(event, PauseStarted | PauseEnded)
    return {
        "state": state,
        "event.kind": event.kind.value,
        "event.reason": event.reason.value if isinstance(event, PauseStarted) else None,
        "event.has_electricity_demand": (
            event.has_electricity_demand if isinstance(event, ProjectEvent) else None
        ),
        "pause.state": (pause_state or "none") if pausing else None,
    }


@attrs.frozen
class _Book:
    """The rules in force for one jurisdiction chain on one day, compiled once."""

    rules: tuple[LifecycleRule, ...]
    depth: tuple[int, ...]
    matcher: Matcher
    memo: dict[tuple[Any, ...], Step] | None


class Statechart:
    """The lifecycle rules of every jurisdiction, ready to answer events.

    ``rules`` are checked against ``catalogue``: each rule's jurisdiction must exist and its id
    must start with the jurisdiction's namespace (``cn.``, ``guangzhou.``); versions of one id
    must not be in force at the same time.
    """

    def __init__(
        self,
        rules: Sequence[LifecycleRule],
        catalogue: Catalogue,
        engine: Engine,
        *,
        memo: bool = True,
    ) -> None:
        self.rules = tuple(rules)
        self.catalogue = catalogue
        self.engine = engine
        self._memo = memo
        self._books: dict[tuple[tuple[str, int], ...], _Book] = {}
        self._by_day: dict[tuple[tuple[str, ...], date], _Book] = {}
        self._check()

    def _check(self) -> None:
        versions: dict[str, list[LifecycleRule]] = {}
        for rule in self.rules:
            juris = self.catalogue.jurisdictions.get(rule.jurisdiction)
            if juris is None:
                raise RuleDataError(
                    f"unknown jurisdiction {rule.jurisdiction!r}",
                    f"未知辖区 {rule.jurisdiction!r}",
                    file=rule.source,
                    rule=rule.id,
                )
            if not rule.id.startswith(juris.namespace + "."):
                raise RuleDataError(
                    f"rule ids of {juris.alias} start with {juris.namespace + '.'!r}",
                    f"{juris.alias} 的规则 id 须以 {juris.namespace + '.'!r} 开头",
                    file=rule.source,
                    rule=rule.id,
                )
            for other in versions.setdefault(rule.id, []):
                if rule.overlaps(other):
                    raise RuleDataError(
                        "two versions of the rule are in force at once",
                        "该规则的两个版本生效期重叠",
                        file=rule.source,
                        rule=rule.id,
                    )
            versions[rule.id].append(rule)

    def book(self, chain: tuple[str, ...], on: date) -> _Book:
        """The rules in force in the jurisdiction ``chain`` (nation first) on ``on``, compiled
        once per distinct set of rules."""
        found = self._by_day.get((chain, on))
        if found is not None:
            return found
        if len(self._by_day) > 8192:
            self._by_day.clear()
        depth = {code: i for i, code in enumerate(chain)}
        chosen = sorted(
            (
                (depth[r.jurisdiction], r.id, i)
                for i, r in enumerate(self.rules)
                if r.jurisdiction in depth and r.in_force(on)
            ),
        )
        key = tuple((rule_id, i) for _, rule_id, i in chosen)
        book = self._books.get(key)
        if book is None:
            rules = tuple(self.rules[i] for _, _, i in chosen)
            matcher = self.engine.compile([MatchRule(r.id, r.condition) for r in rules])
            book = _Book(rules, tuple(d for d, _, _ in chosen), matcher, {} if self._memo else None)
            self._books[key] = book
        self._by_day[chain, on] = book
        return book

    def step(self, chain: tuple[str, ...], on: date, facts: Mapping[str, object]) -> Step:
        """The answer to an event whose facts are ``facts`` (see :func:`facts_for`)."""
        book = self.book(chain, on)
        if book.memo is None:
            return self._resolve(book, facts)
        key = tuple(facts[p] for p in FACT_PATHS)
        found = book.memo.get(key)
        if found is None:
            found = book.memo[key] = self._resolve(book, facts)
        return found

    def _resolve(self, book: _Book, facts: Mapping[str, Any]) -> Step:
        matched = book.matcher.match(facts)
        rules = [book.rules[i] for i in matched]
        ids = tuple(r.id for r in rules)
        transitions = [(book.depth[i], book.rules[i]) for i in matched if book.rules[i].transition]
        if not transitions:
            return Step(target=None, rules=ids, problem=self._illegal(book, facts))
        top = [r for _, r in most_specific(transitions, lambda t: t[0])]
        state = facts["state"]
        targets = {r.to or state for r in top}
        if len(targets) > 1:
            listed = "; ".join(f"{r.id} → {r.to or state}" for r in top)
            return Step(
                target=None,
                rules=ids,
                problem=Text(
                    en=f"lifecycle rules disagree on the next state: {listed}; neither is more "
                    "specific than the other",
                    zh=f"生命周期规则对下一状态的结论冲突：{listed}；两者辖区层级相同",
                ),
            )
        actions = tuple((r.id, a) for r in rules for a in r.actions)
        return Step(target=targets.pop(), actions=actions, rules=ids)

    @staticmethod
    def _illegal(book: _Book, facts: Mapping[str, Any]) -> Text:
        state, kind = facts["state"], facts["event.kind"]
        scope = scope_of(EventKind(kind))
        expected = sorted(
            {
                r.on.value
                for r in book.rules
                if r.transition
                and r.scope == scope
                and (not r.from_states or state in r.from_states)
            },
            key=lambda k: list(EventKind).index(EventKind(k)),
        )
        en = f"{kind} is not allowed while the {scope} is {state}"
        zh = f"{SCOPE_TITLES[scope].zh}处于 {state} 状态时不允许 {kind}"
        pause = facts.get("pause.state")
        expected_pause = "none" if kind == EventKind.PAUSE_STARTED else "open"
        if pause is not None and pause != expected_pause:
            said = {"none": "was never started", "open": "is already open", "closed": "is closed"}
            said_zh = {"none": "未曾开始", "open": "已在进行中", "closed": "已结束"}
            en += f" (its period {said[pause]})"
            zh += f"（该期间{said_zh[pause]}）"
        if expected:
            en += f"; expected here: {', '.join(expected)}"
            zh += f"；此时可接受：{', '.join(expected)}"
        return Text(en=en, zh=zh)
