"""Evaluating applications: the library's main entry point."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import attrs

from gridconnect.decide.acceptance import Acceptance, acceptance
from gridconnect.decide.bundle import BundlePlan, plan_bundle
from gridconnect.decide.calendar import WorkingDayCalendar
from gridconnect.decide.coverage import coverage_warnings
from gridconnect.decide.decision import Conclusion, Deadline, Decision, DecisionWarning
from gridconnect.decide.resolution import Resolution, resolve
from gridconnect.engine.base import Engine
from gridconnect.engine.reference import ReferenceEngine
from gridconnect.errors import EngineError, PluginError
from gridconnect.model.application import AccessWorks, Application, RouteSegment
from gridconnect.plugins.registry import Registry, default_registry
from gridconnect.rules.catalogue import Catalogue, Rulebook
from gridconnect.rules.conditions import UNKNOWN_PREFIX
from gridconnect.rules.facts import SLOT_PREFIX, facts_of
from gridconnect.rules.model import Limit
from gridconnect.rules.questions import Question

__all__ = [
    "ENGINES",
    "Match",
    "evaluate",
    "get_engine",
    "match",
    "match_rulebook",
    "plan_for",
    "questions",
    "rulebook_for",
]

ENGINES = ("durable", "reference")


class EngineFallbackWarning(UserWarning):
    """durable_rules could not be imported; the reference engine is used instead."""


@functools.cache
def get_engine(name: str | None = None) -> Engine:
    """The engine called ``name`` (``durable`` or ``reference``); by default durable_rules,
    or the reference engine with a warning where durable_rules cannot be imported."""
    if name not in (None, *ENGINES):
        raise EngineError(
            f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}",
            f"未知引擎 {name!r}；可选 {', '.join(ENGINES)}",
        )
    if name == "reference":
        return ReferenceEngine()
    from gridconnect.engine import durable

    if durable.available():
        return durable.DurableEngine()
    if name == "durable":
        raise EngineError(
            "durable_rules cannot be imported on this Python",
            "此 Python 环境无法导入 durable_rules",
        )
    warnings.warn(
        "durable_rules cannot be imported; using the reference engine",
        EngineFallbackWarning,
        stacklevel=2,
    )
    return ReferenceEngine()


def rulebook_for(
    application: Application, as_of: date | None = None, *, registry: Registry | None = None
) -> Rulebook:
    """The rulebook that applies to an application: its site's jurisdiction chain, in force on
    ``as_of`` (by default the date it was applied for).

    Raises :class:`~gridconnect.errors.PluginError` when a plugin of the site's jurisdiction
    (or one above it) failed to load, rather than deciding by the rules that did: see
    :meth:`Registry.failure_for <gridconnect.plugins.registry.Registry.failure_for>`."""
    reg = registry or default_registry()
    failure = reg.failure_for(application.site.division.value)
    if failure is not None:
        raise failure
    chain = reg.catalogue.chain_for_division(application.site.division.value)
    return reg.catalogue.rulebook(chain[-1].code, as_of or application.applied_on)


def evaluate(
    application: Application,
    as_of: date | None = None,
    engine: str | Engine | None = None,
    *,
    registry: Registry | None = None,
    strict_calendar: bool = False,
) -> Decision:
    """Decide an application: track, supply, approval, documents, time limits, with the trace.

    ``as_of`` picks the rules in force on that date (default: the application date);
    ``engine`` is ``"durable"`` (the default) or ``"reference"``. Raises
    :class:`~gridconnect.errors.ConflictError` when two rules known to apply disagree with
    neither above the other. A fact the application leaves unknown (a kVA figure without the
    power factor a kW rule needs) leaves undetermined only the slots that depend on it: see
    :attr:`Decision.undetermined <gridconnect.decide.decision.Decision.undetermined>` and
    :attr:`Decision.questions <gridconnect.decide.decision.Decision.questions>`.

    A deadline that falls in a year whose holiday notice is not yet encoded is computed from the
    ``holidays`` guess and marked ``provisional``; ``strict_calendar=True`` refuses it instead.
    """
    reg = registry or default_registry()
    eng = _engine(engine)
    found = match(application, as_of, eng, registry=reg, strict_calendar=strict_calendar)
    decision = found.decide()
    broken = reg.warnings_for(application.site.division.value)
    if broken:
        warned = (*(_broken_warning(e) for e in broken), *decision.warnings)
        decision = attrs.evolve(decision, warnings=warned)
    if not application.bundle:
        return decision
    plan = _bundle(application, decision, found.rulebook, eng, found.calendar, reg)
    return attrs.evolve(decision, bundle=plan)


def _broken_warning(error: PluginError) -> DecisionWarning:
    return DecisionWarning(
        kind="broken_plugin",
        en=f"decided without plugin {error.plugin}, which failed (--allow-broken-plugins): "
        f"{error.en}",
        zh=f"插件 {error.plugin} 加载失败，本决定未采用其规则（--allow-broken-plugins）：{error.zh}",
        source=error.plugin,
    )


@attrs.frozen(kw_only=True)
class Match:
    """The first half of :func:`evaluate`: the rulebook of an application, its facts and the
    rules that match them, before precedence resolves them into a decision."""

    application: Application
    rulebook: Rulebook
    calendar: WorkingDayCalendar
    engine: str
    facts: Mapping[str, Any]  # the application's facts and the slots read (``slot:<slot>``)
    matched: tuple[int, ...]  # indexes into rulebook.rules, in rulebook order
    unknown: tuple[int, ...] = ()  # the rules whose condition is unknown
    unknown_facts: frozenset[str] = (
        frozenset()
    )  # the facts read that the application leaves unknown
    catalogue: Catalogue | None = None  # for the coverage warnings (none without it)

    def resolution(self) -> Resolution:
        """What precedence makes of the matched rules (cached per rulebook)."""
        return resolve(self.rulebook, self.matched, self.unknown)

    def deadlines(self) -> tuple[Deadline, ...]:
        """The limits counted from the application, as dates."""
        app = self.application
        return self.resolution().deadlines(
            app.applied_on, app.works.approval_filed_on, self.calendar
        )

    def decide(self) -> Decision:
        """The decision (without the 一次办 bundle plan, which :func:`evaluate` adds), with its
        coverage warnings and acceptance section (:meth:`additions`)."""
        resolution = self.resolution()
        deadlines = self.deadlines()
        decision = resolution.decision(
            application_id=self.application.id,
            rulebook=self.rulebook,
            engine=self.engine,
            facts=self.facts,
            deadlines=deadlines,
            unknown_facts=self.unknown_facts,
        )
        warned, accepted = self.additions(resolution.conclusions, deadlines)
        return attrs.evolve(decision, warnings=warned, acceptance=accepted)

    def additions(
        self, conclusions: Mapping[str, Conclusion], deadlines: Sequence[Deadline]
    ) -> tuple[tuple[DecisionWarning, ...], Acceptance]:
        """What a decision carries beside the rules' conclusions: the coverage warnings
        (:mod:`gridconnect.decide.coverage`, when the match knows its catalogue) and the acceptance
        section (:func:`gridconnect.decide.acceptance.acceptance`)."""
        app = self.application
        given = {d.kind: d.source.value for d in app.documents}
        accepted = acceptance(conclusions, given)
        if self.catalogue is None:
            return (), accepted
        warned = coverage_warnings(
            app,
            self.rulebook.as_of,
            deadlines,
            self.catalogue,
            self.calendar,
            rulebook=self.rulebook,
        )
        return warned, accepted


def match(
    application: Application,
    as_of: date | None = None,
    engine: str | Engine | None = None,
    *,
    registry: Registry | None = None,
    strict_calendar: bool = False,
) -> Match:
    """The rules of ``application``'s rulebook that match its facts (arguments as for
    :func:`evaluate`); ``match(...).decide()`` is ``evaluate(...)`` without the bundle plan."""
    reg = registry or default_registry()
    book = rulebook_for(application, as_of, registry=reg)
    calendar = reg.calendar(book.jurisdictions[-1].code, strict=strict_calendar)
    found = match_rulebook(application, book, _engine(engine), calendar)
    return attrs.evolve(found, catalogue=reg.catalogue)


def questions(
    application: Application,
    as_of: date | None = None,
    engine: str | Engine | None = None,
    *,
    registry: Registry | None = None,
) -> tuple[Question, ...]:
    """The questions whose answers could change the decision of ``application``: the unknown
    facts that undetermined slots wait on, each with the application field to fill in, a JSON
    Schema of the answer and a bilingual prompt (empty when the decision is complete)."""
    return match(application, as_of, engine, registry=registry).decide().questions


def _engine(engine: str | Engine | None) -> Engine:
    return engine if not (engine is None or isinstance(engine, str)) else get_engine(engine)


def match_rulebook(
    application: Application, book: Rulebook, eng: Engine, calendar: WorkingDayCalendar
) -> Match:
    """Match ``application`` against one rulebook, stratum by stratum: the conclusions of the
    strata before (their resolution) are facts for the next; a stratum that reads something
    unknown is matched three-valued."""
    facts = facts_of(application)
    values: dict[str, Any] = dict(facts.values)
    # A slot no earlier stratum decides (no rule of the rulebook sets it) is absent.
    values.update(book.absent_slots)
    unknown_facts = facts.unknown & book.reads
    matched: list[int] = []
    maybe: list[int] = []
    for k, positions in enumerate(book.strata):
        undetermined: Mapping[str, Any] = {}
        if k:
            resolution = resolve(book, matched, maybe)
            values.update(resolution.slot_facts)
            undetermined = resolution.undetermined
        start = positions.start
        unknown_here: list[str] = []
        if unknown_facts or undetermined:  # else nothing is unknown: skip the scan
            unknown_here = [
                p
                for p in book.unknowable_reads[k]
                if p in unknown_facts
                or (p.startswith(SLOT_PREFIX) and p[len(SLOT_PREFIX) :] in undetermined)
            ]
        if not unknown_here:
            matched += [start + i for i in book.matcher(eng, k).match(values)]
            continue
        # A fact that only bounds another (capacity.kva for capacity.kw) is not read by a rule
        # but by the three-valued conditions, so its flag comes from the facts themselves.
        flags = {
            UNKNOWN_PREFIX + p: p in unknown_here or p in facts.unknown
            for p in book.unknowable_reads[k]
        }
        flagged = {**values, **flags}
        must = book.matcher(eng, k, "must").match(flagged)
        may = book.matcher(eng, k, "may").match(flagged)
        matched += [start + i for i in must]
        maybe += [start + i for i in sorted(set(may) - set(must))]
    return Match(
        application=application,
        rulebook=book,
        calendar=calendar,
        engine=eng.name,
        facts=values,
        matched=tuple(matched),
        unknown=tuple(maybe),
        unknown_facts=unknown_facts,
    )


def _bundle(
    application: Application,
    decision: Decision,
    book: Rulebook,
    eng: Engine,
    calendar: WorkingDayCalendar,
    reg: Registry,
) -> BundlePlan:
    def permits_of(segment: RouteSegment) -> frozenset[str]:
        # The permits a segment needs are what the rulebook decides for works made of it alone.
        alone = attrs.evolve(application, works=AccessWorks(segments=(segment,)), bundle=())
        found = match_rulebook(alone, book, eng, calendar).decide().family("permit")
        return frozenset(k for k, v in found.items() if v is True)

    limits = {
        slot: (c.value, c.rule)
        for slot, c in decision.conclusions.items()
        if slot.startswith("stage.") and isinstance(c.value, Limit)
    }
    return plan_bundle(
        application,
        chain=decision.jurisdictions,
        requirements=reg.utility_requirements,
        required_documents=decision.documents_required,
        permits_of=permits_of,
        limits=limits,
        calendar=calendar,
        as_of=decision.as_of,
    )


def plan_for(
    application: Application,
    as_of: date | None = None,
    engine: str | Engine | None = None,
    *,
    registry: Registry | None = None,
) -> BundlePlan:
    """The 一次办 plan of a bundled application (an application with no bundle gets a plan for
    electricity alone)."""
    decision = evaluate(application, as_of, engine, registry=registry)
    if decision.bundle is not None:
        return decision.bundle
    reg = registry or default_registry()
    book = rulebook_for(application, as_of, registry=reg)
    eng = engine if not (engine is None or isinstance(engine, str)) else get_engine(engine)
    calendar = reg.calendar(book.jurisdictions[-1].code, strict=False)
    return _bundle(application, decision, book, eng, calendar, reg)
