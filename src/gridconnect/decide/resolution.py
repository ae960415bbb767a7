"""Precedence: what the rules that matched make of the decision.

Resolution, applied slot by slot to the rules that matched:

1. an applicable rule that declares itself an exception to another defeats it (in every slot);
2. among the rest, the rules of the most specific jurisdiction win; the others are *shadowed*;
3. if the winners set the slot to different values, that is a :class:`ConflictError`.

Rules are matched stratum by stratum (:mod:`gridconnect.rules.catalogue`): the conclusions of
the earlier strata are facts (``slot:<slot>``) for the later ones.

**Unknowns.** A condition that reads an unknown fact (or an undetermined slot) may be true,
false or *unknown* (Kleene's three-valued logic). A rule whose condition is unknown neither
wins nor loses (outcome ``unknown``). A slot is *determined* when precedence gives it the same
value (or leaves it undecided) whichever of the unknown rules that touch it (they set it, or are
exceptions to a rule that does) turn out to apply; otherwise it is *undetermined*, and the
decision lists it with the rules it waits on and the **questions** that would settle it. A
conflict among rules known to apply is an error; a conflict that only an answer could bring
about leaves the slot undetermined. A rule known to apply whose every slot is undetermined is
``pending``.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

import attrs

from gridconnect.decide.calendar import WorkingDayCalendar
from gridconnect.decide.decision import (
    COUNTED_FROM_APPLICATION,
    Conclusion,
    Deadline,
    Decision,
    Outcome,
    TraceEntry,
)
from gridconnect.errors import ConflictError
from gridconnect.rules.catalogue import BoundRule, Rulebook
from gridconnect.rules.facts import SLOT_PREFIX, fact_bounds
from gridconnect.rules.model import Limit, LimitUnit, Value, plain
from gridconnect.rules.questions import ASKS, Question

__all__ = ["Resolution", "decide", "most_specific", "resolve"]

T = TypeVar("T")

_MAX_UNKNOWN_RULES = 10
"""A slot that waits on more unknown rules than this is undetermined without trying every
combination of them (2**10 resolutions)."""


def _due(limit: Limit, start: date, calendar: WorkingDayCalendar) -> tuple[date, bool]:
    if limit.unit is LimitUnit.WORKING_DAY:
        due = calendar.add_working_days(start, limit.amount)
        return due, calendar.is_provisional(due)
    # 自然日, and 天 whose unit the source leaves open: calendar days are the stricter reading.
    return start + timedelta(days=limit.amount), False


_UNSET = object()  # a slot no rule sets (in one combination of applicable rules)


def _same(value: Value) -> str:
    """A value as text that is equal exactly when two conclusions are the same."""
    return json.dumps(plain(value), sort_keys=True)


def _engine_value(value: Value) -> Any:
    """A conclusion as a fact for the engines: numbers are floats, like the application's."""
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


@attrs.frozen
class Resolution:
    """What precedence makes of one set of matched rules in one rulebook: the conclusions and
    what became of each rule. It depends on the rules that matched (``matched``) and may match
    (``unknown``) alone, not on the application, so :func:`resolve` makes it once per
    combination and rulebook."""

    conclusions: Mapping[str, Conclusion]
    limits: tuple[Conclusion, ...]  # the conclusions dated from the application, by slot
    trace: tuple[tuple[BoundRule, Outcome, tuple[str, ...]], ...]  # (rule, outcome, by)
    undetermined: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    """Slots that wait on rules whose condition is unknown, with those rules."""
    slot_facts: Mapping[str, object] = attrs.field(factory=dict)
    """Every slot the rulebook's rules read, as the fact ``slot:<slot>`` (None if undecided)."""

    def deadlines(
        self, applied_on: date, approval_filed_on: date | None, calendar: WorkingDayCalendar
    ) -> tuple[Deadline, ...]:
        """The limits counted from the application, as dates on ``calendar``."""
        deadlines = []
        for c in self.limits:
            assert isinstance(c.value, Limit)
            if c.slot == "approval.limit" and approval_filed_on is not None:
                start, basis = approval_filed_on, "works.approval_filed_on"
            else:
                start, basis = applied_on, "applied_on"
            due, provisional = _due(c.value, start, calendar)
            deadlines.append(
                Deadline(
                    slot=c.slot,
                    limit=c.value,
                    start=start,
                    start_basis=basis,
                    due=due,
                    provisional=provisional,
                    rule=c.rule,
                )
            )
        return tuple(deadlines)

    def unknown_reads(self, b: BoundRule, unknown_facts: frozenset[str]) -> tuple[str, ...]:
        """The facts and slots ``b`` reads whose value is unknown, sorted (slots by name)."""
        return tuple(
            sorted(
                [p for p in b.facts if p in unknown_facts]
                + [s for s in b.slots if s in self.undetermined]
            )
        )

    def questions(self, rulebook: Rulebook, unknown_facts: frozenset[str]) -> tuple[Question, ...]:
        """The unknown facts that undetermined slots wait on (through undetermined slots read
        in turn), each with how to ask for it, the slots waiting on it and the rules reading it."""
        by_path: dict[str, tuple[set[str], set[str], set[str]]] = {}
        for slot, waiting in self.undetermined.items():
            seen: set[str] = set()
            todo = list(waiting)
            while todo:
                rule_id = todo.pop()
                if rule_id in seen:
                    continue
                seen.add(rule_id)
                b = rulebook.by_id[rule_id]
                for fact in b.facts:
                    if fact in unknown_facts and fact in ASKS:
                        facts, slots, rules = by_path.setdefault(
                            ASKS[fact].path, (set(), set(), set())
                        )
                        facts.add(fact)
                        slots.add(slot)
                        rules.add(rule_id)
                for read in b.slots:
                    todo.extend(self.undetermined.get(read, ()))
        questions = []
        for path, (facts, slots, rules) in sorted(by_path.items()):
            ask = ASKS[min(facts)]
            questions.append(
                Question(
                    path=path,
                    schema=ask.schema,
                    prompt=ask.prompt,
                    facts=tuple(sorted(facts)),
                    slots=tuple(sorted(slots)),
                    rules=tuple(sorted(rules)),
                )
            )
        return tuple(questions)

    def decision(
        self,
        *,
        application_id: str,
        rulebook: Rulebook,
        engine: str,
        facts: Mapping[str, object],
        deadlines: tuple[Deadline, ...],
        unknown_facts: frozenset[str] = frozenset(),
    ) -> Decision:
        """The decision for one application: this resolution with its facts and deadlines."""
        return Decision(
            application_id=application_id,
            as_of=rulebook.as_of,
            jurisdictions=tuple(j.code for j in rulebook.jurisdictions),
            engine=engine,
            conclusions=dict(self.conclusions),
            undetermined=dict(self.undetermined),
            questions=self.questions(rulebook, unknown_facts) if self.undetermined else (),
            deadlines=deadlines,
            trace=tuple(
                TraceEntry(
                    rule=b.id,
                    title=b.rule.title,
                    jurisdiction=b.rule.jurisdiction,
                    stratum=b.stratum,
                    condition=b.condition_text,
                    when=b.condition,
                    facts=_trace_facts(b, facts, unknown_facts),
                    slots={s: self.conclusions.get(s) for s in b.slots},
                    unknown=self.unknown_reads(b, unknown_facts),
                    parameters=dict(b.parameters),
                    sets=dict(b.then),
                    outcome=outcome,
                    by=by,
                    citation=b.rule.citation,
                )
                for b, outcome, by in self.trace
            ),
        )


def _trace_facts(
    b: BoundRule, facts: Mapping[str, object], unknown_facts: frozenset[str]
) -> dict[str, object]:
    """The facts ``b`` reads, with their values; an unknown fact read brings the known fact
    that bounds it (``capacity.kva`` for an unknown ``capacity.kw``), which may have decided
    the rule (:func:`gridconnect.rules.conditions.three_valued`)."""
    shown = {p: facts.get(p) for p in b.facts}
    for p in b.facts:
        if p in unknown_facts:
            for bound in fact_bounds(p):
                if bound is not None and bound not in shown and facts.get(bound) is not None:
                    shown[bound] = facts[bound]
    return shown


_MAX_RESOLUTIONS = 4096  # per rulebook; a rulebook with more combinations starts again


def resolve(rulebook: Rulebook, matched: Sequence[int], unknown: Sequence[int] = ()) -> Resolution:
    """Apply precedence to the rules of ``rulebook`` at the indexes ``matched`` (in rulebook
    order), with the rules at ``unknown`` (whose condition is unknown) possibly applying too.
    Raises :class:`ConflictError` when equally specific rules known to apply disagree.

    Each combination is resolved once per rulebook and kept in its cache
    (:meth:`Rulebook.cache <gridconnect.rules.catalogue.Rulebook.cache>`, shared by the
    rulebooks of other dates with the same rules); a conflict is never cached."""
    key = (tuple(matched), tuple(unknown))
    cache = rulebook.cache("decision.resolutions")
    resolution = cache.get(key)
    if resolution is None:
        resolution = _resolve(rulebook, *key)
        if len(cache) >= _MAX_RESOLUTIONS:
            cache.clear()
        cache[key] = resolution
    return resolution


def _defeats(rules: Sequence[BoundRule]) -> dict[str, list[str]]:
    """The rules defeated by an exception among ``rules``, each with its defeaters."""
    ids = {b.id for b in rules}
    defeated: dict[str, list[str]] = {}
    for b in rules:
        for target in b.rule.exception_to:
            if target in ids:
                defeated.setdefault(target, []).append(b.id)
    return defeated


def most_specific(items: Sequence[T], depth: Callable[[T], int]) -> list[T]:
    """The items of the most specific jurisdiction: specificity is the depth in the chain,
    counted from the nation (0), not a fixed ranking of district, city and province. Decision
    rules and lifecycle rules are both ranked by it."""
    deepest = max(depth(i) for i in items)
    return [i for i in items if depth(i) == deepest]


def _top(setters: Sequence[BoundRule]) -> list[BoundRule]:
    return most_specific(setters, lambda b: b.depth)


def _slot_outcome(rules: Sequence[BoundRule], slot: str) -> Any:
    """The slot's value under precedence when exactly ``rules`` apply, as JSON text; _UNSET if
    none sets it; ConflictError (the class) if the winners disagree."""
    defeated = _defeats(rules)
    setters = [b for b in rules if slot in b.then and b.id not in defeated]
    if not setters:
        return _UNSET
    values = {_same(b.then[slot]) for b in _top(setters)}
    return values.pop() if len(values) == 1 else ConflictError


def _undetermined(
    rules: list[BoundRule], maybe: list[BoundRule], conclusions: Mapping[str, Conclusion]
) -> dict[str, tuple[str, ...]]:
    """The slots whose outcome depends on which of the ``maybe`` rules apply."""
    setting: dict[str, set[str]] = {}
    for b in (*rules, *maybe):
        for slot in b.then:
            setting.setdefault(slot, set()).add(b.id)
    undetermined: dict[str, tuple[str, ...]] = {}
    for slot in sorted(setting):
        relevant = [
            m for m in maybe if slot in m.then or setting[slot].intersection(m.rule.exception_to)
        ]
        if not relevant:
            continue
        known = conclusions.get(slot)
        base = _UNSET if known is None else _same(known.value)
        if len(relevant) > _MAX_UNKNOWN_RULES or any(
            _slot_outcome([*rules, *subset], slot) != base
            for n in range(1, len(relevant) + 1)
            for subset in itertools.combinations(relevant, n)
        ):
            undetermined[slot] = tuple(sorted(m.id for m in relevant))
    return undetermined


def _resolve(rulebook: Rulebook, matched: tuple[int, ...], unknown: tuple[int, ...]) -> Resolution:
    rules: list[BoundRule] = [rulebook.rules[i] for i in matched]
    maybe: list[BoundRule] = [rulebook.rules[i] for i in unknown]
    defeated = _defeats(rules)
    standing = [b for b in rules if b.id not in defeated]
    shadowed: dict[str, set[str]] = {}
    winners: dict[str, list[BoundRule]] = {}
    for slot in sorted({s for b in standing for s in b.then}):
        setters = [b for b in standing if slot in b.then]
        top = _top(setters)
        for b in setters:
            if b.depth < top[0].depth:
                shadowed.setdefault(b.id, set()).update(t.id for t in top)
        values = {_same(b.then[slot]) for b in top} if len(top) > 1 else ()
        if len(values) > 1:
            raise ConflictError(
                slot, [(b.id, str(plain(b.then[slot])), b.rule.citation.short()) for b in top]
            )
        winners[slot] = top

    conclusions = {
        slot: Conclusion(slot=slot, value=top[0].then[slot], rule=top[0].id)
        for slot, top in winners.items()
    }
    undetermined = _undetermined(rules, maybe, conclusions) if maybe else {}
    for slot in undetermined:
        conclusions.pop(slot, None)
        winners.pop(slot, None)
    won = {c.rule for c in conclusions.values()}
    agreed = {b.id for top in winners.values() for b in top[1:]} - won

    trace: list[tuple[BoundRule, Outcome, tuple[str, ...]]] = []
    for i in sorted((*matched, *unknown)):
        b = rulebook.rules[i]
        if i in unknown:
            trace.append((b, "unknown", ()))
        elif b.id in defeated:
            trace.append((b, "lost_to_exception", tuple(sorted(defeated[b.id]))))
        elif b.id in won:
            trace.append((b, "won", ()))
        elif b.id in agreed:
            trace.append((b, "agreed", ()))
        elif any(s in undetermined for s in b.then):
            trace.append((b, "pending", ()))
        else:
            trace.append((b, "shadowed", tuple(sorted(shadowed.get(b.id, ())))))
    limits = tuple(
        c
        for slot, c in sorted(conclusions.items())
        if isinstance(c.value, Limit) and slot in COUNTED_FROM_APPLICATION
    )
    slot_facts = {
        SLOT_PREFIX + s: (
            None
            if s in undetermined or s not in conclusions
            else _engine_value(conclusions[s].value)
        )
        for s in rulebook.slot_reads
    }
    return Resolution(
        conclusions=conclusions,
        limits=limits,
        trace=tuple(trace),
        undetermined=undetermined,
        slot_facts=slot_facts,
    )


def decide(
    *,
    application_id: str,
    applied_on: date,
    approval_filed_on: date | None,
    facts: Mapping[str, object],
    rulebook: Rulebook,
    matched: Sequence[int],
    engine: str,
    calendar: WorkingDayCalendar,
    unknown: Sequence[int] = (),
    unknown_facts: frozenset[str] = frozenset(),
) -> Decision:
    """Resolve the matched rules into a decision (the same code for every engine)."""
    resolution = resolve(rulebook, matched, unknown)
    return resolution.decision(
        application_id=application_id,
        rulebook=rulebook,
        engine=engine,
        facts=facts,
        deadlines=resolution.deadlines(applied_on, approval_filed_on, calendar),
        unknown_facts=unknown_facts,
    )
