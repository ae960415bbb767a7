"""The decision: typed conclusions, deadlines on the working-day calendar, and the trace.

:mod:`gridconnect.decide.resolution` makes it from the rules that matched; this module holds what
it is made of and its JSON form. The JSON form is deterministic (same input, same bytes),
carries ``schema_version`` (:data:`DECISION_SCHEMA_VERSION`; the schema is
:func:`gridconnect.output.schemas.decision_schema`), and holds no personal identifier: only the
application id.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

import attrs

from gridconnect.decide.acceptance import Acceptance
from gridconnect.decide.bundle import BundlePlan
from gridconnect.model.json_schema import SchemaBuilder, json_field, json_object
from gridconnect.rules.catalogue import ParameterUse
from gridconnect.rules.conditions import TRUE, Condition
from gridconnect.rules.model import Citation, Limit, Text, Value, plain
from gridconnect.rules.questions import Question

if TYPE_CHECKING:
    from gridconnect.model.codec import JSONObject

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
    "Supply",
    "TraceEntry",
    "Track",
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


@attrs.frozen(kw_only=True)
class Conclusion:
    """The value of one slot and the rule that decided it."""

    #: The slot, e.g. ``track`` or ``stage.whole_process`` (:mod:`gridconnect.rules.slots`);
    #: in the JSON, the key the conclusion is under.
    slot: str = attrs.field(metadata=json_field(omit=True))
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


def _slots_read(builder: SchemaBuilder) -> dict[str, Any]:
    """The JSON form of the slots a rule read (:func:`slot_read`): each a conclusion, or value
    and rule both null when no rule decided the slot."""
    undecided = {
        "type": "object",
        "properties": {"value": {"type": "null"}, "rule": {"type": "null"}},
        "required": ["value", "rule"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "additionalProperties": {"anyOf": [builder.of(Conclusion), undecided]},
    }


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
    facts: Mapping[str, object]
    #: The slots the condition reads: the conclusion of each, None if undecided (in the JSON,
    #: value and rule null).
    slots: Mapping[str, Conclusion | None] = attrs.field(metadata=json_field(shape=_slots_read))
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
    stratum: int = attrs.field(default=0, metadata=json_field(extra={"minimum": 0}))
    when: Condition = attrs.field(
        default=TRUE, eq=False, repr=False, metadata=json_field(omit=True)
    )
    """The condition as matched (parameters replaced by their values), for renderers that put
    it in words; ``condition`` is its one-line text form."""


_UNDETERMINED = {
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "properties": {"rules": {"type": "array", "items": {"type": "string"}}},
        "required": ["rules"],
        "additionalProperties": False,
    },
}
"""The JSON form of :attr:`Decision.undetermined`: each slot with ``{"rules": [...]}``."""


@attrs.frozen(kw_only=True)
class DecisionWarning:
    """Something a reader of a decision must know that is not a conclusion: e.g. that it was
    made without a plugin that failed (``kind = "broken_plugin"``, ``source`` its name), or
    what its rules do not cover (the kinds of :mod:`gridconnect.decide.coverage`: ``no_local_rules``,
    ``before_coverage``, ``utility_not_serving``, ``provisional_calendar``)."""

    #: What kind of warning it is, e.g. ``broken_plugin`` or ``no_local_rules``.
    kind: str
    #: The warning in English.
    en: str
    #: The warning in Chinese.
    zh: str
    #: What it is about, e.g. the plugin that failed (None when nothing in particular).
    source: str | None = None

    def to_dict(self) -> JSONObject:
        """The JSON form, as in a decision's ``warnings``."""
        return {"kind": self.kind, "en": self.en, "zh": self.zh, "source": self.source}


@json_object(
    constants={"schema_version": DECISION_SCHEMA_VERSION},
    title="decision",
    version=DECISION_SCHEMA_VERSION,
)
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
    engine: str = attrs.field(metadata=json_field(shape={"enum": ["durable", "reference"]}))
    #: Each decided slot with its value and the rule that decided it.
    conclusions: Mapping[str, Conclusion]
    #: The time limits counted from the application, as dates.
    deadlines: tuple[Deadline, ...]
    #: Every rule that matched (or may match), in rulebook order, and what became of it.
    trace: tuple[TraceEntry, ...]
    undetermined: Mapping[str, tuple[str, ...]] = attrs.field(
        factory=dict, metadata=json_field(shape=_UNDETERMINED)
    )
    """Slots that wait on unknown facts, each with the rules whose condition is unknown."""
    questions: tuple[Question, ...] = ()
    """The unknown facts that could change the decision, and how to ask for them."""
    bundle: BundlePlan | None = attrs.field(default=None, metadata=json_field(when_set=True))
    """The 一次办 plan, for a bundled application (None otherwise)."""
    warnings: tuple[DecisionWarning, ...] = attrs.field(
        default=(), metadata=json_field(when_set=True)
    )
    """What the decision must be read with (in the JSON only when there is one)."""
    acceptance: Acceptance | None = attrs.field(default=None, metadata=json_field(when_set=True))
    """The acceptance (受理) section: accepted, accepted under 容缺, incomplete with the whole
    missing list (一次性告知), or no checklist (:func:`gridconnect.decide.acceptance.acceptance`);
    :func:`~gridconnect.decide.evaluate.evaluate` sets it."""

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

    def to_dict(self) -> JSONObject:
        """The JSON-shaped form :meth:`to_json` writes (schema :func:`gridconnect.output.schemas.decision_schema`)."""
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
                s: {"value": plain(c.value), "rule": c.rule} for s, c in self.conclusions.items()
            },
            "undetermined": {s: {"rules": list(r)} for s, r in self.undetermined.items()},
            "questions": [q.to_dict() for q in self.questions],
            "deadlines": [
                {
                    "slot": d.slot,
                    "limit": plain(d.limit),
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
                    "facts": {k: plain(v) for k, v in t.facts.items()},
                    "slots": {k: slot_read(c) for k, c in t.slots.items()},
                    "unknown": list(t.unknown),
                    "parameters": {k: u.to_dict() for k, u in t.parameters.items()},
                    "sets": {k: plain(v) for k, v in t.sets.items()},
                    "outcome": t.outcome,
                    "by": list(t.by),
                    "citation": t.citation.to_dict(),
                }
                for t in self.trace
            ],
        }


def slot_read(c: Conclusion | None) -> JSONObject:
    """A slot a rule read, as its trace shows it: value and deciding rule (None if undecided)."""
    return {"value": None, "rule": None} if c is None else {"value": plain(c.value), "rule": c.rule}
