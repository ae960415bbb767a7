"""The decision: typed conclusions, deadlines on the working-day calendar, and the trace.

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

The JSON form is deterministic (same input, same bytes), carries ``schema_version``, and holds no
personal identifier: only the application id.
"""

from __future__ import annotations

import enum
import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Literal

import attrs

from gridconnect.bundle import BundlePlan
from gridconnect.calendar import WorkingDayCalendar
from gridconnect.documents import Acceptance
from gridconnect.errors import ConflictError
from gridconnect.rules.catalogue import BoundRule, ParameterUse, Rulebook
from gridconnect.rules.conditions import TRUE, Condition
from gridconnect.rules.facts import SLOT_PREFIX, fact_bounds
from gridconnect.rules.model import Citation, Limit, LimitUnit, Text, Value
from gridconnect.rules.questions import ASKS, Question

__all__ = [
    "COUNTED_FROM_APPLICATION",
    "DECISION_SCHEMA_VERSION",
    "ApprovalAuthority",
    "ApprovalMode",
    "ApprovalView",
    "Conclusion",
    "Deadline",
    "Decision",
    "DecisionWarning",
    "Outcome",
    "Question",
    "Resolution",
    "Supply",
    "TraceEntry",
    "Track",
    "decide",
    "resolve",
]

DECISION_SCHEMA_VERSION = "2.1"

COUNTED_FROM_APPLICATION = frozenset({"stage.whole_process", "stage.supply_plan", "approval.limit"})
"""Limits whose start is known when an application is decided, so the decision dates them:
the whole process and the supply plan from the application date, the approval from the date the
works were filed (or the application date). Other stages (design review, inspections,
connection) start when the stage before them ends, and ``stage.utility_steps`` is a budget
summed over the utility's own steps, not one period; they are dated by the lifecycle clock."""

Outcome = Literal["won", "agreed", "lost_to_exception", "shadowed", "pending", "unknown"]
"""What became of a rule in the trace: it decided a slot (``won``), set the same value as the
rule that did (``agreed``), was defeated by an exception (``lost_to_exception``) or by a more
specific jurisdiction (``shadowed``), waits on an undetermined slot (``pending``), or its
condition is unknown (``unknown``)."""


class Track(enum.StrEnum):
    """The service track (服务类型) of the national slot vocabulary (slot ``track``).

    A member is a :class:`str` equal to its value (``Track.THREE_ZERO == "three_zero"``).
    :attr:`Decision.track` is a member for these values and the plain text for a value a
    plugin's vocabulary adds, hence its type ``Track | str | None``."""

    THREE_ZERO = "three_zero"
    """三零: zero visits, zero approvals, zero investment (零上门、零审批、零投资)."""
    THREE_SAVE = "three_save"
    """三省: saving effort, time and money (省力、省时、省钱)."""
    STANDARD = "standard"
    """Neither: the standard procedure (常规)."""


class Supply(enum.StrEnum):
    """Whether supply is at low or high voltage (供电方式; slot ``supply``)."""

    LOW_VOLTAGE = "low_voltage"
    """Low voltage (低压), 220/380 V."""
    HIGH_VOLTAGE = "high_voltage"
    """High voltage (高压), 10 kV and above."""


class ApprovalMode(enum.StrEnum):
    """The administrative approval of the access works (接入工程行政审批; slot
    ``approval.mode``)."""

    EXEMPT = "exempt"
    """Exempt from approval (免审批)."""
    FILING = "filing"
    """Filing only (备案)."""
    REQUIRED = "required"
    """Approval required (审批)."""


class ApprovalAuthority(enum.StrEnum):
    """The level of government that approves the access works (slot ``approval.authority``)."""

    DISTRICT = "district"
    """District (区级)."""
    CITY = "city"
    """City (市级)."""
    PROVINCE = "province"
    """Province (省级)."""


def _member(cls: type[enum.StrEnum], value: Value | None) -> Any:
    """``value`` as a member of ``cls`` when it is one of its values; other text as it is."""
    if isinstance(value, str) and not isinstance(value, enum.Enum):
        try:
            return cls(value)
        except ValueError:
            return value
    return value


@attrs.frozen(kw_only=True, eq=False)
class ApprovalView(Mapping[str, Value]):
    """The ``approval.*`` slots of a decision, typed: what :attr:`Decision.approval` returns.

    Each attribute is None when no rule decided its slot. The view is also the read-only mapping
    ``Decision.approval`` always was (``decision.approval["mode"]``, ``"limit" in
    decision.approval``, ``dict(decision.approval)``): its keys are the decided slots without
    the ``approval.`` prefix, and it compares equal to a mapping with the same items. New code
    reads the attributes, whose types say what each can be.

    >>> view = ApprovalView(mode=ApprovalMode.REQUIRED, limit=Limit(amount=5))
    >>> view.mode is ApprovalMode.REQUIRED, view["mode"] == "required", sorted(view)
    (True, True, ['limit', 'mode'])
    >>> view.parallel is None, "parallel" in view
    (True, False)
    """

    #: Exempt (免审批), filing only (备案) or required (审批); a plugin's own value as text.
    mode: ApprovalMode | str | None = None
    #: The level that approves: district, city or province; a plugin's own value as text.
    authority: ApprovalAuthority | str | None = None
    #: The time limit for the approval (dated in :attr:`Decision.deadlines`).
    limit: Limit | None = None
    #: Whether the permits are handled in parallel (并联审批).
    parallel: bool | None = None
    #: Whether the application is accepted while documents are missing (容缺受理).
    tolerance: bool | None = None

    @classmethod
    def of(cls, conclusions: Mapping[str, Conclusion]) -> ApprovalView:
        """The view of the ``approval.*`` conclusions among ``conclusions``."""

        def get(name: str) -> Value | None:
            c = conclusions.get("approval." + name)
            return None if c is None else c.value

        limit, parallel, tolerance = get("limit"), get("parallel"), get("tolerance")
        return cls(
            mode=_member(ApprovalMode, get("mode")),
            authority=_member(ApprovalAuthority, get("authority")),
            limit=limit if isinstance(limit, Limit) else None,
            parallel=parallel if isinstance(parallel, bool) else None,
            tolerance=tolerance if isinstance(tolerance, bool) else None,
        )

    def _items(self) -> dict[str, Value]:
        return {
            f.name: value
            for f in attrs.fields(type(self))
            if (value := getattr(self, f.name)) is not None
        }

    def __getitem__(self, key: str) -> Value:
        """The value of the slot ``approval.<key>``; KeyError when no rule decided it."""
        return self._items()[key]

    def __iter__(self) -> Iterator[str]:
        """The decided slots, without the ``approval.`` prefix."""
        return iter(self._items())

    def __len__(self) -> int:
        """How many of the five slots were decided."""
        return len(self._items())

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self._items().items())
        return f"ApprovalView({shown})"


_MAX_UNKNOWN_RULES = 10
"""A slot that waits on more unknown rules than this is undetermined without trying every
combination of them (2**10 resolutions)."""


@attrs.frozen(kw_only=True)
class Conclusion:
    """The value of one slot and the rule that decided it."""

    #: The slot, e.g. ``track`` or ``stage.whole_process`` (:mod:`gridconnect.rules.slots`).
    slot: str
    #: What the rule set it to: text, a number, a boolean, a :class:`~gridconnect.rules.model.Limit`
    #: or a bilingual :class:`~gridconnect.rules.model.Text`.
    value: Value
    #: The id of the rule that decided it.
    rule: str


@attrs.frozen(kw_only=True)
class Deadline:
    """A time limit turned into a date: ``due`` is the last day the stage may end on."""

    #: The slot the limit was decided in, e.g. ``stage.whole_process`` or ``approval.limit``.
    slot: str
    #: The time limit, in working or calendar days.
    limit: Limit
    #: The date the limit counts from (that day itself not counted).
    start: date
    #: Which date ``start`` is: ``applied_on`` or ``works.approval_filed_on``.
    start_basis: str
    #: The last day the stage may end on.
    due: date
    #: True when the calendar does not know the holidays of ``due``'s year yet (a guess).
    provisional: bool
    #: The id of the rule that decided the limit.
    rule: str


@attrs.frozen(kw_only=True)
class TraceEntry:
    """One rule that matched (or may match), and what became of it."""

    #: The rule's id.
    rule: str
    #: The rule's title in Chinese and English.
    title: Text
    #: The code of the jurisdiction that made the rule.
    jurisdiction: str
    #: The rule's condition as one line of text (parameters replaced by their values).
    condition: str
    #: The application facts the condition reads, with their values (None: absent or unknown).
    facts: Mapping[str, Any]
    #: The slots the condition reads: the conclusion of each, None if undecided.
    slots: Mapping[str, Conclusion | None]
    #: The facts and slots read whose value is unknown.
    unknown: tuple[str, ...]
    #: The parameters the rule reads, each with its value and who set it.
    parameters: Mapping[str, ParameterUse]
    #: What the rule sets: slot to value.
    sets: Mapping[str, Value]
    #: What became of the rule (see :data:`Outcome`).
    outcome: Outcome
    #: The rules it lost to (by exception) or was shadowed by.
    by: tuple[str, ...]
    #: The source the rule cites.
    citation: Citation
    #: The stratum it was matched in: 0 unless it reads other rules' conclusions.
    stratum: int = 0
    when: Condition = attrs.field(default=TRUE, eq=False, repr=False)
    """The condition as matched (parameters replaced by their values), for renderers that put
    it in words; ``condition`` is its one-line text form."""


@attrs.frozen(kw_only=True)
class DecisionWarning:
    """Something a reader of a decision must know that is not a conclusion: e.g. that it was
    made without a plugin that failed (``kind = "broken_plugin"``, ``source`` its name), or
    what its rules do not cover (the kinds of :mod:`gridconnect.coverage`: ``no_local_rules``,
    ``before_coverage``, ``utility_not_serving``, ``provisional_calendar``)."""

    #: What kind of warning it is, e.g. ``broken_plugin`` or ``no_local_rules``.
    kind: str
    #: The warning in English.
    en: str
    #: The warning in Chinese.
    zh: str
    #: What it is about, e.g. the plugin that failed (None when nothing in particular).
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, as in a decision's ``warnings``."""
        return {"kind": self.kind, "en": self.en, "zh": self.zh, "source": self.source}


@attrs.frozen(kw_only=True)
class Decision:
    """What the rules decide for one application on one date.

    The headline slots have typed properties: :attr:`track`, :attr:`supply` and
    :attr:`approval` (an :class:`ApprovalView`); every slot is in :attr:`conclusions`, and
    :meth:`value` and :meth:`family` read any of them.
    """

    #: The id of the application decided (the decision holds no other identifier).
    application_id: str
    #: The date whose rules decided it.
    as_of: date
    #: The codes of the jurisdictions whose rules applied, the nation first.
    jurisdictions: tuple[str, ...]
    #: The engine that matched the rules: ``durable`` or ``reference``.
    engine: str
    #: Each decided slot with its value and the rule that decided it.
    conclusions: Mapping[str, Conclusion]
    #: The time limits counted from the application, as dates.
    deadlines: tuple[Deadline, ...]
    #: Every rule that matched (or may match), in rulebook order, and what became of it.
    trace: tuple[TraceEntry, ...]
    undetermined: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    """Slots that wait on unknown facts, each with the rules whose condition is unknown."""
    questions: tuple[Question, ...] = ()
    """The unknown facts that could change the decision, and how to ask for them."""
    bundle: BundlePlan | None = None
    """The 一次办 plan, for a bundled application (None otherwise)."""
    warnings: tuple[DecisionWarning, ...] = ()
    """What the decision must be read with (in the JSON only when there is one)."""
    acceptance: Acceptance | None = None
    """The acceptance (受理) section: accepted, accepted under 容缺, incomplete with the whole
    missing list (一次性告知), or no checklist (:func:`gridconnect.documents.acceptance`);
    :func:`~gridconnect.api.evaluate` sets it."""

    def value(self, slot: str) -> Value | None:
        """The value decided for ``slot``, or None if no rule decided it."""
        c = self.conclusions.get(slot)
        return None if c is None else c.value

    @property
    def complete(self) -> bool:
        """Nothing waits on an unknown fact."""
        return not self.undetermined

    @property
    def track(self) -> Track | str | None:
        """The service track: :attr:`Track.THREE_ZERO` (三零), :attr:`Track.THREE_SAVE` (三省)
        or :attr:`Track.STANDARD`; a value a plugin adds as plain text; None if undecided.

        A :class:`Track` is a :class:`str`: ``decision.track == "three_zero"`` holds too."""
        value: Track | str | None = _member(Track, self.value("track"))
        return value

    @property
    def supply(self) -> Supply | str | None:
        """Low or high voltage (:class:`Supply`); a value a plugin adds as plain text; None if
        undecided."""
        value: Supply | str | None = _member(Supply, self.value("supply"))
        return value

    @property
    def approval(self) -> ApprovalView:
        """The ``approval.*`` slots as an :class:`ApprovalView`: typed attributes (``mode``,
        ``authority``, ``limit``, ``parallel``, ``tolerance``), and the read-only mapping of
        the decided ones it has always been (``decision.approval["mode"]``)."""
        return ApprovalView.of(self.conclusions)

    def family(self, name: str) -> Mapping[str, Value]:
        """Every decided slot of a family, e.g. ``family("document")``."""
        prefix = name + "."
        return {
            s[len(prefix) :]: c.value for s, c in self.conclusions.items() if s.startswith(prefix)
        }

    @property
    def documents_required(self) -> tuple[str, ...]:
        """The document kinds the applicant must supply (``document.<kind> = "required"``)."""
        return tuple(k for k, v in self.family("document").items() if v == "required")

    @property
    def documents_waived(self) -> tuple[str, ...]:
        """The document kinds the applicant need not supply (``document.<kind> = "waived"``)."""
        return tuple(k for k, v in self.family("document").items() if v == "waived")

    def to_json(self) -> str:
        """Deterministic JSON (sorted keys, Chinese kept)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, indent=2)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-shaped form :meth:`to_json` writes (schema :func:`decision_schema`)."""
        data = self._to_dict()
        if self.bundle is not None:
            data["bundle"] = self.bundle.to_dict()
        if self.warnings:
            data["warnings"] = [w.to_dict() for w in self.warnings]
        if self.acceptance is not None:
            data["acceptance"] = self.acceptance.to_dict()
        return data

    def _to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": DECISION_SCHEMA_VERSION,
            "application_id": self.application_id,
            "as_of": self.as_of.isoformat(),
            "jurisdictions": list(self.jurisdictions),
            "engine": self.engine,
            "conclusions": {
                s: {"value": _plain(c.value), "rule": c.rule} for s, c in self.conclusions.items()
            },
            "undetermined": {s: {"rules": list(r)} for s, r in self.undetermined.items()},
            "questions": [q.to_dict() for q in self.questions],
            "deadlines": [
                {
                    "slot": d.slot,
                    "limit": _plain(d.limit),
                    "start": d.start.isoformat(),
                    "start_basis": d.start_basis,
                    "due": d.due.isoformat(),
                    "provisional": d.provisional,
                    "rule": d.rule,
                }
                for d in self.deadlines
            ],
            "trace": [
                {
                    "rule": t.rule,
                    "title": {"en": t.title.en, "zh": t.title.zh},
                    "jurisdiction": t.jurisdiction,
                    "stratum": t.stratum,
                    "condition": t.condition,
                    "facts": {k: _plain(v) for k, v in t.facts.items()},
                    "slots": {k: _slot_read(c) for k, c in t.slots.items()},
                    "unknown": list(t.unknown),
                    "parameters": {k: _parameter(u) for k, u in t.parameters.items()},
                    "sets": {k: _plain(v) for k, v in t.sets.items()},
                    "outcome": t.outcome,
                    "by": list(t.by),
                    "citation": _citation(t.citation),
                }
                for t in self.trace
            ],
        }


def _citation(citation: Citation) -> dict[str, Any]:
    return {k: _plain(v) for k, v in attrs.asdict(citation).items() if v is not None}


def _slot_read(c: Conclusion | None) -> dict[str, Any]:
    return (
        {"value": None, "rule": None} if c is None else {"value": _plain(c.value), "rule": c.rule}
    )


def _parameter(use: ParameterUse) -> dict[str, Any]:
    return {
        "value": _plain(use.value),
        "jurisdiction": use.jurisdiction,
        "citation": use.citation.short(),
        "overrides": use.overrides,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Limit):
        return {"amount": value.amount, "unit": value.unit.value}
    if isinstance(value, Text):
        return {"en": value.en, "zh": value.zh}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and not isinstance(value, str | int | float | bool):
        return value.value
    return value


def _due(limit: Limit, start: date, calendar: WorkingDayCalendar) -> tuple[date, bool]:
    if limit.unit is LimitUnit.WORKING_DAY:
        due = calendar.add_working_days(start, limit.amount)
        return due, calendar.is_provisional(due)
    # 自然日, and 天 whose unit the source leaves open: calendar days are the stricter reading.
    return start + timedelta(days=limit.amount), False


_UNSET = object()  # a slot no rule sets (in one combination of applicable rules)


def _same(value: Value) -> str:
    """A value as text that is equal exactly when two conclusions are the same."""
    return json.dumps(_plain(value), sort_keys=True)


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
    slot_facts: Mapping[str, Any] = attrs.field(factory=dict)
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
        facts: Mapping[str, Any],
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
    b: BoundRule, facts: Mapping[str, Any], unknown_facts: frozenset[str]
) -> dict[str, Any]:
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


def _top(setters: Sequence[BoundRule]) -> list[BoundRule]:
    deepest = max(b.depth for b in setters)
    return [b for b in setters if b.depth == deepest]


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
                slot, [(b.id, str(_plain(b.then[slot])), b.rule.citation.short()) for b in top]
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
    facts: Mapping[str, Any],
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


def decision_schema() -> dict[str, Any]:
    """The JSON Schema of :meth:`Decision.to_json` output (version :data:`DECISION_SCHEMA_VERSION`)."""
    value = {
        "anyOf": [
            {"type": ["string", "integer", "boolean"]},
            {
                "type": "object",
                "properties": {"amount": {"type": "integer"}, "unit": {"type": "string"}},
                "required": ["amount", "unit"],
            },
            {
                "type": "object",
                "properties": {"en": {"type": "string"}, "zh": {"type": "string"}},
                "required": ["en", "zh"],
            },
        ]
    }
    date_t = {"type": "string", "format": "date"}
    strings = {"type": "array", "items": {"type": "string"}}
    text = {
        "type": "object",
        "properties": {"en": {"type": "string"}, "zh": {"type": "string"}},
        "required": ["en", "zh"],
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://gridconnect.invalid/schema/decision/{DECISION_SCHEMA_VERSION}",
        "title": "decision",
        "x-schema-version": DECISION_SCHEMA_VERSION,
        "type": "object",
        "required": [
            "schema_version",
            "application_id",
            "as_of",
            "jurisdictions",
            "engine",
            "conclusions",
            "undetermined",
            "questions",
            "deadlines",
            "trace",
        ],
        "additionalProperties": False,
        "properties": {
            "schema_version": {"const": DECISION_SCHEMA_VERSION},
            "application_id": {"type": "string"},
            "bundle": {
                "type": "object",
                "description": "the 一次办 plan; see `gridconnect schema bundle`",
            },
            "acceptance": {
                "type": "object",
                "description": "acceptance (受理): accepted, accepted under 容缺 (later: what "
                "follows), incomplete (missing: the whole list for one notice, 一次性告知; "
                "tolerance_route: the rule offering 容缺受理, if any) or no_checklist",
                "required": [
                    "status",
                    "required",
                    "waived",
                    "missing",
                    "later",
                    "tolerance_route",
                ],
                "additionalProperties": False,
                "properties": {
                    "status": {
                        "enum": [
                            "accepted",
                            "accepted_with_tolerance",
                            "incomplete",
                            "no_checklist",
                        ]
                    },
                    "required": {"type": "object", "additionalProperties": {"type": "string"}},
                    "waived": {"type": "object", "additionalProperties": {"type": "string"}},
                    "missing": strings,
                    "later": strings,
                    "tolerance_route": {"type": ["string", "null"]},
                },
            },
            "warnings": {
                "type": "array",
                "description": "present only when there is one: a plugin the decision was made "
                "without (broken_plugin, --allow-broken-plugins), or what the rules do not cover: "
                "a place with no rules of its own (no_local_rules), a date before a "
                "jurisdiction's earliest rule (before_coverage), utility commitments of a "
                "utility not serving the place (utility_not_serving), a deadline in a year whose "
                "holiday notice is not encoded (provisional_calendar); source names the plugin, "
                "division, jurisdiction or year",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string"},
                        "en": {"type": "string"},
                        "zh": {"type": "string"},
                        "source": {"type": ["string", "null"]},
                    },
                    "required": ["kind", "en", "zh", "source"],
                },
            },
            "as_of": date_t,
            "jurisdictions": {"type": "array", "items": {"type": "string"}},
            "engine": {"enum": ["durable", "reference"]},
            "conclusions": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"value": value, "rule": {"type": "string"}},
                    "required": ["value", "rule"],
                },
            },
            "undetermined": {
                "type": "object",
                "description": "slots that wait on unknown facts, with the rules they wait on",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"rules": {"type": "array", "items": {"type": "string"}}},
                    "required": ["rules"],
                },
            },
            "questions": {
                "type": "array",
                "description": "the unknown facts that could change the decision",
                "items": {
                    "type": "object",
                    "required": ["path", "schema", "prompt", "facts", "slots", "rules"],
                    "properties": {
                        "path": {"type": "string"},
                        "schema": {"type": "object"},
                        "prompt": text,
                        "facts": strings,
                        "slots": strings,
                        "rules": strings,
                    },
                },
            },
            "deadlines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "slot",
                        "limit",
                        "start",
                        "start_basis",
                        "due",
                        "provisional",
                        "rule",
                    ],
                    "properties": {
                        "slot": {"type": "string"},
                        "limit": value,
                        "start": date_t,
                        "start_basis": {"type": "string"},
                        "due": date_t,
                        "provisional": {"type": "boolean"},
                        "rule": {"type": "string"},
                    },
                },
            },
            "trace": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "rule",
                        "title",
                        "jurisdiction",
                        "stratum",
                        "condition",
                        "facts",
                        "slots",
                        "unknown",
                        "parameters",
                        "sets",
                        "outcome",
                        "by",
                        "citation",
                    ],
                    "properties": {
                        "outcome": {
                            "enum": [
                                "won",
                                "agreed",
                                "lost_to_exception",
                                "shadowed",
                                "pending",
                                "unknown",
                            ]
                        },
                        "stratum": {"type": "integer", "minimum": 0},
                        "slots": {
                            "type": "object",
                            "description": "slots read: value and deciding rule (null if none)",
                            "additionalProperties": {
                                "type": "object",
                                "required": ["value", "rule"],
                                "properties": {
                                    "value": {"anyOf": [value, {"type": "null"}]},
                                    "rule": {"type": ["string", "null"]},
                                },
                            },
                        },
                        "unknown": strings,
                        "parameters": {
                            "type": "object",
                            "additionalProperties": {
                                "type": "object",
                                "required": ["value", "jurisdiction", "citation", "overrides"],
                                "properties": {
                                    "jurisdiction": {"type": "string"},
                                    "citation": {"type": "string"},
                                    "overrides": {"type": ["string", "null"]},
                                },
                            },
                        },
                        "by": strings,
                        "citation": {
                            "type": "object",
                            "required": ["title", "issuer", "confidence"],
                            "properties": {
                                "confidence": {"enum": ["primary", "press", "source-article"]}
                            },
                        },
                    },
                },
            },
        },
    }
