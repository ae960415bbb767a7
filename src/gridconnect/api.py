"""Evaluating applications: the library's main entry point."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs

from gridconnect.bundle import BundlePlan, plan_bundle
from gridconnect.calendar import WorkingDayCalendar
from gridconnect.decision import Deadline, Decision, Resolution, resolve
from gridconnect.engine.base import Engine
from gridconnect.engine.reference import ReferenceEngine
from gridconnect.errors import EngineError
from gridconnect.model.application import AccessWorks, Application, RouteSegment
from gridconnect.registry import Registry, default_registry
from gridconnect.rules.catalogue import Rulebook
from gridconnect.rules.facts import facts_of
from gridconnect.rules.model import Limit

__all__ = [
    "ENGINES",
    "Match",
    "evaluate",
    "get_engine",
    "match",
    "plan_for",
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
    ``as_of`` (by default the date it was applied for)."""
    reg = registry or default_registry()
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
    :class:`~gridconnect.errors.ConflictError` when two rules disagree with neither above the
    other, and :class:`~gridconnect.errors.UnitError` when a kVA figure would be compared with kW.

    A deadline that falls in a year whose holiday notice is not yet encoded is computed from the
    ``holidays`` guess and marked ``provisional``; ``strict_calendar=True`` refuses it instead.
    """
    reg = registry or default_registry()
    eng = _engine(engine)
    found = match(application, as_of, eng, registry=reg, strict_calendar=strict_calendar)
    decision = found.decide()
    if not application.bundle:
        return decision
    plan = _bundle(application, decision, found.rulebook, eng, found.calendar, reg)
    return attrs.evolve(decision, bundle=plan)


@attrs.frozen(kw_only=True)
class Match:
    """The first half of :func:`evaluate`: the rulebook of an application, its facts and the
    rules that match them, before precedence resolves them into a decision."""

    application: Application
    rulebook: Rulebook
    calendar: WorkingDayCalendar
    engine: str
    facts: Mapping[str, Any]
    matched: tuple[int, ...]  # indexes into rulebook.rules, in rulebook order

    def resolution(self) -> Resolution:
        """What precedence makes of the matched rules (cached per rulebook)."""
        return resolve(self.rulebook, self.matched)

    def deadlines(self) -> tuple[Deadline, ...]:
        """The limits counted from the application, as dates."""
        app = self.application
        return self.resolution().deadlines(
            app.applied_on, app.works.approval_filed_on, self.calendar
        )

    def decide(self) -> Decision:
        """The decision (without the 一次办 bundle plan, which :func:`evaluate` adds)."""
        return self.resolution().decision(
            application_id=self.application.id,
            rulebook=self.rulebook,
            engine=self.engine,
            facts=self.facts,
            deadlines=self.deadlines(),
        )


def match(
    application: Application,
    as_of: date | None = None,
    engine: str | Engine | None = None,
    *,
    registry: Registry | None = None,
    strict_calendar: bool = False,
) -> Match:
    """The rules of ``application``'s rulebook that match its facts (arguments as for
    :func:`evaluate`); ``match(...).decide()`` is ``evaluate(...)`` without the bundle plan.
    Raises :class:`~gridconnect.errors.UnitError` when a rule reads a fact the application
    cannot give (a kVA figure from kW without a power factor)."""
    reg = registry or default_registry()
    book = rulebook_for(application, as_of, registry=reg)
    calendar = reg.calendar(book.jurisdictions[-1].code, strict=strict_calendar)
    return _match(application, book, _engine(engine), calendar)


def _engine(engine: str | Engine | None) -> Engine:
    return engine if not (engine is None or isinstance(engine, str)) else get_engine(engine)


def _match(
    application: Application, book: Rulebook, eng: Engine, calendar: WorkingDayCalendar
) -> Match:
    facts = facts_of(application)
    for path in sorted(book.reads & facts.unavailable.keys()):
        raise facts.unavailable[path]
    values: dict[str, Any] = dict(facts.values)
    return Match(
        application=application,
        rulebook=book,
        calendar=calendar,
        engine=eng.name,
        facts=values,
        matched=tuple(book.matcher(eng).match(values)),
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
        found = _match(alone, book, eng, calendar).decide().family("permit")
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
