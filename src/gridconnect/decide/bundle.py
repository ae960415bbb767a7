"""一次办: one request for electricity, water, gas, heat and network.

A bundled application is one applicant, one site, one form, one set of documents and one
confirmation, with a request per utility. This module turns it into a :class:`BundlePlan`:

* the **form**: every field each utility needs (from the plugins' :class:`UtilityRequirement`),
  once, with the value given or reported missing for that utility;
* the **documents**: each kind asked for once, listing every utility that needs it;
* the **joint works**: segments of all utilities on one road section share one trench; the
  permits their crossings need (the jurisdiction's ``permit.*`` rules) are asked once;
* the **savings** against separate requests, as counts: excavations, approvals and trench metres;
* the **schedule** of joint survey, design, construction and acceptance, with the binding limit
  of each step from the rulebook.

How the savings are counted: separately, every utility digs its own trench on every road section
it uses and asks for every permit its own segments there need; together, one trench per road
section (a segment with no road section is its own trench) as long as its longest segment, and
each permit once per road section. Bundling therefore never needs more of anything.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import attrs

from gridconnect.decide.calendar import WorkingDayCalendar
from gridconnect.errors import Problem
from gridconnect.model.application import Application, RouteSegment
from gridconnect.model.enums import Utility
from gridconnect.model.json_schema import SchemaBuilder, json_field, json_object
from gridconnect.rules.model import (
    Citation,
    Limit,
    LimitUnit,
    Text,
    output_schema_builder,
    plain,
)

if TYPE_CHECKING:
    from gridconnect.model.codec import JSONObject

__all__ = [
    "BUNDLE_SCHEMA_VERSION",
    "BundlePlan",
    "DocumentNeed",
    "FieldSpec",
    "FormEntry",
    "Savings",
    "ScheduleStep",
    "Trench",
    "UtilityRequirement",
    "bundle_schema",
    "plan_bundle",
]

BUNDLE_SCHEMA_VERSION = "1.0"
JOINT_STEPS = ("joint_survey", "joint_design", "joint_construction", "joint_acceptance")


@attrs.frozen(kw_only=True)
class FieldSpec:
    """A field a utility needs on the joint form."""

    name: str
    title: Text
    kind: Literal["text", "integer", "boolean"] = "integer"
    required: bool = True


@attrs.frozen(kw_only=True)
class UtilityRequirement:
    """What a utility needs in a jurisdiction (and below it), and whether it joins the bundle."""

    jurisdiction: str
    utility: Utility
    offered: bool
    provider: Text
    citation: Citation
    fields: tuple[FieldSpec, ...] = ()
    documents: tuple[str, ...] = ()
    platform: Text | None = None
    note: str | None = None  # what the source leaves open, e.g. that it names no fields
    #: First day the bundled service is in force; None: the citation's date (always, if the
    #: citation has none). A request made before it leaves the utility out of the bundle.
    effective_from: date | None = None

    def in_force(self, on: date) -> bool:
        """Whether the bundled service is in force on ``on``."""
        start = self.effective_from or self.citation.date
        return start is None or start <= on


@attrs.frozen(kw_only=True)
class FormEntry:
    """One field of the joint form, for one utility."""

    #: The utility that needs the field.
    utility: Utility
    #: The field's name, as in the request's ``details``.
    field: str
    #: The field's title in Chinese and English.
    title: Text
    #: The value given in the application (None: not given).
    value: str | int | bool | None


@attrs.frozen(kw_only=True)
class DocumentNeed:
    """One document kind, asked for once, and every utility that needs it."""

    #: The document kind (a slug, as in :attr:`Document.kind <gridconnect.model.Document.kind>`).
    kind: str
    #: The utilities that need it.
    utilities: tuple[Utility, ...]
    #: Whether the application supplies it.
    provided: bool


@attrs.frozen(kw_only=True)
class Trench:
    """One excavation: the segments laid in it, its length, what it crosses, its permits."""

    #: The road section it is dug along (None: a segment with no road section, alone).
    road_section: str | None
    #: The segments laid in it, each as (utility, segment id).
    segments: tuple[tuple[Utility, str], ...] = attrs.field(
        metadata=json_field(pairs=("utility", "segment"))
    )
    #: Its length in metres: that of its longest segment.
    length_m: Decimal
    #: What it crosses, each once.
    crossings: tuple[str, ...]
    #: The permits it needs (the names of ``permit.*`` slots), each asked for once.
    permits: tuple[str, ...]


@attrs.frozen(kw_only=True)
class Savings:
    """Counts for separate requests and for the bundle; ``*_avoided`` is the difference."""

    #: Excavations if every utility dug its own trenches.
    excavations_separate: int
    #: Excavations for the bundle: one per trench.
    excavations_bundled: int
    #: Permit approvals if every utility asked for its own.
    approvals_separate: int
    #: Permit approvals for the bundle: each permit once per trench.
    approvals_bundled: int
    #: Trench metres if every utility dug its own trenches.
    trench_m_separate: Decimal
    #: Trench metres for the bundle.
    trench_m_bundled: Decimal

    @property
    def excavations_avoided(self) -> int:
        """Excavations the bundle saves."""
        return self.excavations_separate - self.excavations_bundled

    @property
    def approvals_avoided(self) -> int:
        """Permit approvals the bundle saves."""
        return self.approvals_separate - self.approvals_bundled

    @property
    def trench_m_avoided(self) -> Decimal:
        """Trench metres the bundle saves."""
        return self.trench_m_separate - self.trench_m_bundled


@attrs.frozen(kw_only=True)
class ScheduleStep:
    """One step of the joint schedule (survey, design, construction, acceptance)."""

    #: The step, e.g. ``joint_survey``.
    step: str
    #: Its binding time limit from the rulebook (None: the rulebook sets none).
    limit: Limit | None
    #: The last day of the limit, counted from the application date (None without a limit).
    due: date | None
    #: The rulebook slot the limit comes from.
    slot: str | None
    #: The rule that decided the limit.
    rule: str | None


def _savings(builder: SchemaBuilder) -> dict[str, Any]:
    """The JSON form of :class:`Savings`: separate, bundled and avoided of each count."""

    def count(kind: str, what: str) -> dict[str, Any]:
        return {
            "type": "object",
            "description": what,
            "properties": {k: {"type": kind} for k in ("separate", "bundled", "avoided")},
            "required": ["separate", "bundled", "avoided"],
            "additionalProperties": False,
        }

    return {
        "type": "object",
        "properties": {
            "excavations": count("integer", "excavations (trenches dug)"),
            "approvals": count("integer", "permit approvals"),
            "trench_m": count("number", "trench metres"),
        },
        "required": ["excavations", "approvals", "trench_m"],
        "additionalProperties": False,
    }


def _confirmation(builder: SchemaBuilder) -> dict[str, Any]:
    """The JSON form of :attr:`BundlePlan.confirmation`: one confirmation and what it covers."""
    return {
        "type": "object",
        "properties": {
            "count": {"const": 1},
            "covers": {"type": "array", "items": builder.of(Utility)},
        },
        "required": ["count", "covers"],
        "additionalProperties": False,
    }


def _missing(builder: SchemaBuilder) -> dict[str, Any]:
    """The JSON form of :attr:`BundlePlan.missing`: located problems (named apart from the
    HTTP service's problem details)."""
    return {"type": "array", "items": builder.define(Problem, name="LocatedProblem")}


@json_object(
    constants={"schema_version": BUNDLE_SCHEMA_VERSION},
    title="bundle",
    version=BUNDLE_SCHEMA_VERSION,
)
@attrs.frozen(kw_only=True)
class BundlePlan:
    """The plan for a bundled (一次办) application."""

    #: The id of the application planned.
    application_id: str
    #: The utilities in the bundle, electricity first.
    utilities: tuple[Utility, ...]
    #: The utilities asked for that cannot join the bundle here, each with the reason.
    unavailable: tuple[tuple[Utility, str], ...] = attrs.field(
        metadata=json_field(pairs=("utility", "reason"))
    )
    #: The joint form: every field each utility needs, once.
    form: tuple[FormEntry, ...]
    #: The required fields the application leaves empty, located by their JSON path.
    missing: tuple[Problem, ...] = attrs.field(metadata=json_field(shape=_missing))
    #: Each document kind asked for once, with the utilities that need it.
    documents: tuple[DocumentNeed, ...]
    #: The utilities one confirmation covers.
    confirmation: tuple[Utility, ...] = attrs.field(metadata=json_field(shape=_confirmation))
    #: The joint excavations.
    trenches: tuple[Trench, ...]
    #: What the bundle saves against separate requests.
    savings: Savings = attrs.field(metadata=json_field(shape=_savings))
    #: The joint schedule, step by step.
    schedule: tuple[ScheduleStep, ...]
    #: The source of each joined utility's requirements, as (utility, citation).
    citations: tuple[tuple[str, Citation], ...] = attrs.field(
        metadata=json_field(pairs=("utility", "citation"))
    )

    def to_dict(self) -> JSONObject:
        """The JSON form (the ``bundle`` schema, version :data:`BUNDLE_SCHEMA_VERSION`)."""
        s = self.savings
        return {
            "schema_version": BUNDLE_SCHEMA_VERSION,
            "application_id": self.application_id,
            "utilities": [u.value for u in self.utilities],
            "unavailable": [{"utility": u.value, "reason": r} for u, r in self.unavailable],
            "form": [
                {
                    "utility": e.utility.value,
                    "field": e.field,
                    "title": plain(e.title),
                    "value": e.value,
                }
                for e in self.form
            ],
            "missing": [{"path": p.path, "en": p.en, "zh": p.zh} for p in self.missing],
            "documents": [
                {
                    "kind": d.kind,
                    "utilities": [u.value for u in d.utilities],
                    "provided": d.provided,
                }
                for d in self.documents
            ],
            "confirmation": {"count": 1, "covers": [u.value for u in self.confirmation]},
            "trenches": [
                {
                    "road_section": t.road_section,
                    "segments": [{"utility": u.value, "segment": i} for u, i in t.segments],
                    "length_m": _plain_number(t.length_m),
                    "crossings": list(t.crossings),
                    "permits": list(t.permits),
                }
                for t in self.trenches
            ],
            "savings": {
                "excavations": {
                    "separate": s.excavations_separate,
                    "bundled": s.excavations_bundled,
                    "avoided": s.excavations_avoided,
                },
                "approvals": {
                    "separate": s.approvals_separate,
                    "bundled": s.approvals_bundled,
                    "avoided": s.approvals_avoided,
                },
                "trench_m": {
                    "separate": _plain_number(s.trench_m_separate),
                    "bundled": _plain_number(s.trench_m_bundled),
                    "avoided": _plain_number(s.trench_m_avoided),
                },
            },
            "schedule": [
                {
                    "step": st.step,
                    "limit": plain(st.limit) if st.limit else None,
                    "due": st.due.isoformat() if st.due else None,
                    "slot": st.slot,
                    "rule": st.rule,
                }
                for st in self.schedule
            ],
            "citations": [{"utility": u, "citation": c.to_dict()} for u, c in self.citations],
        }


def _plain_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


PermitsOf = Callable[[RouteSegment], frozenset[str]]
"""The permits one segment needs on its own (from the jurisdiction's ``permit.*`` rules)."""


def _requirements_for(
    requirements: Iterable[UtilityRequirement], chain: Sequence[str], on: date
) -> dict[Utility, UtilityRequirement]:
    """The most specific requirement in force on ``on`` of each utility along the chain."""
    depth = {code: i for i, code in enumerate(chain)}
    best: dict[Utility, UtilityRequirement] = {}
    for req in requirements:
        if req.jurisdiction not in depth or not req.in_force(on):
            continue
        held = best.get(req.utility)
        if held is None or depth[req.jurisdiction] > depth[held.jurisdiction]:
            best[req.utility] = req
    return best


def _trench_key(segment: RouteSegment, utility: Utility) -> tuple[str, str]:
    if segment.road_section is not None:
        return ("section", segment.road_section)
    return ("alone", f"{utility.value}:{segment.id}")


def plan_bundle(
    app: Application,
    *,
    chain: Sequence[str],
    requirements: Iterable[UtilityRequirement],
    required_documents: Iterable[str],
    permits_of: PermitsOf,
    limits: Mapping[str, tuple[Limit, str]],
    calendar: WorkingDayCalendar,
    as_of: date | None = None,
) -> BundlePlan:
    """Plan a bundled application.

    ``required_documents`` are the electricity decision's required documents; ``limits`` maps a
    rulebook slot (``stage.joint_survey``, ``stage.whole_process``, ...) to its limit and rule.
    Only the bundled services in force on ``as_of`` (default: the application date) join.
    """
    reqs = _requirements_for(requirements, chain, as_of or app.applied_on)
    requested = [r.utility for r in app.bundle]
    utilities: list[Utility] = [Utility.ELECTRICITY]
    unavailable: list[tuple[Utility, str]] = []
    for u in sorted(requested):
        req = reqs.get(u)
        if req is None or not req.offered:
            reason = "no bundled service is recorded for this utility in the jurisdiction"
            unavailable.append(
                (u, reason if req is None else f"not offered ({req.citation.short()})")
            )
        else:
            utilities.append(u)

    # One form: every field each joined utility needs, each once per utility.
    form: list[FormEntry] = []
    missing: list[Problem] = []
    index = {r.utility: i for i, r in enumerate(app.bundle)}
    for u in utilities[1:]:
        details = app.bundle[index[u]].details
        for spec in sorted(reqs[u].fields, key=lambda f: f.name):
            value = details.get(spec.name)
            form.append(FormEntry(utility=u, field=spec.name, title=spec.title, value=value))
            if value is None and spec.required:
                missing.append(
                    Problem(
                        path=f"$.bundle[{index[u]}].details.{spec.name}",
                        en=f"{u.value} needs {spec.title.en}",
                        zh=f"{spec.title.zh}为{u.value}必填项",
                    )
                )

    # One set of documents: each kind once, with every utility that needs it.
    needs: dict[str, set[Utility]] = {k: {Utility.ELECTRICITY} for k in required_documents}
    for u in utilities[1:]:
        for kind in reqs[u].documents:
            needs.setdefault(kind, set()).add(u)
    given = {d.kind for d in app.documents}
    documents = tuple(
        DocumentNeed(kind=k, utilities=tuple(sorted(us)), provided=k in given)
        for k, us in sorted(needs.items())
    )

    # Joint works.
    laid: list[tuple[Utility, RouteSegment]] = [
        (Utility.ELECTRICITY, s) for s in app.works.segments
    ]
    for u in utilities[1:]:
        laid += [(u, s) for s in app.bundle[index[u]].segments]
    groups: dict[tuple[str, str], list[tuple[Utility, RouteSegment]]] = {}
    for u, s in laid:
        groups.setdefault(_trench_key(s, u), []).append((u, s))
    permit_cache: dict[tuple[Utility, str], frozenset[str]] = {}

    def permits(u: Utility, s: RouteSegment) -> frozenset[str]:
        key = (u, s.id)
        if key not in permit_cache:
            permit_cache[key] = permits_of(s)
        return permit_cache[key]

    trenches = []
    separate_exc = separate_appr = 0
    separate_m = Decimal(0)
    for key in sorted(groups):
        members = sorted(groups[key], key=lambda us: (us[0].value, us[1].id))
        by_utility: dict[Utility, list[RouteSegment]] = {}
        for u, s in members:
            by_utility.setdefault(u, []).append(s)
        separate_exc += len(by_utility)
        for u, segs in by_utility.items():
            separate_appr += len(frozenset().union(*(permits(u, s) for s in segs)))
            separate_m += max(s.length_m for s in segs)
        trenches.append(
            Trench(
                road_section=key[1] if key[0] == "section" else None,
                segments=tuple((u, s.id) for u, s in members),
                length_m=max(s.length_m for _, s in members),
                crossings=tuple(sorted({c.value for _, s in members for c in s.crossings})),
                permits=tuple(sorted(frozenset().union(*(permits(u, s) for u, s in members)))),
            )
        )
    savings = Savings(
        excavations_separate=separate_exc,
        excavations_bundled=len(trenches),
        approvals_separate=separate_appr,
        approvals_bundled=sum(len(t.permits) for t in trenches),
        trench_m_separate=separate_m,
        trench_m_bundled=sum((t.length_m for t in trenches), Decimal(0)),
    )

    # Joint schedule on the working-day calendar.
    schedule = []
    for step in JOINT_STEPS:
        slot = f"stage.{step}"
        if slot not in limits and step == "joint_acceptance" and "stage.whole_process" in limits:
            slot = "stage.whole_process"  # acceptance and connection must be done by then
        if slot in limits:
            limit, rule = limits[slot]
            if limit.unit is LimitUnit.WORKING_DAY:
                due = calendar.add_working_days(app.applied_on, limit.amount)
            else:
                due = date.fromordinal(app.applied_on.toordinal() + limit.amount)
            schedule.append(ScheduleStep(step=step, limit=limit, due=due, slot=slot, rule=rule))
        else:
            schedule.append(ScheduleStep(step=step, limit=None, due=None, slot=None, rule=None))

    return BundlePlan(
        application_id=app.id,
        utilities=tuple(utilities),
        unavailable=tuple(unavailable),
        form=tuple(form),
        missing=tuple(missing),
        documents=documents,
        confirmation=tuple(utilities),
        trenches=tuple(trenches),
        savings=savings,
        schedule=tuple(schedule),
        citations=tuple((u.value, reqs[u].citation) for u in utilities[1:]),
    )


def bundle_schema() -> dict[str, Any]:
    """The JSON Schema of :meth:`BundlePlan.to_dict` (version :data:`BUNDLE_SCHEMA_VERSION`),
    generated from :class:`BundlePlan` and its parts.

    >>> bundle_schema()["$defs"]["BundlePlan"]["required"][:3]
    ['schema_version', 'application_id', 'utilities']
    """
    return output_schema_builder().document(BundlePlan)
