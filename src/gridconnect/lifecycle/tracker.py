"""The tracker: events in, state in the store, status and reports out.

Ingestion folds each new event into the state of its subject (an application or a project):
the statechart answers with the next state and the actions, and a rejected event is recorded
with its reason, never raised. Events are folded in each subject's own order
(:func:`~gridconnect.lifecycle.events.sort_key`: day, kind, id), whatever order they arrive in:
an event older than the last one folded makes the tracker replay that subject's events from the
log. So the state is a function of the set of events: replaying, re-ingesting, splitting into
other batches or shuffling the same events gives the same state.

>>> from gridconnect.lifecycle.events import parse_event
>>> tracker = Tracker(":memory:", engine="reference")
>>> result = tracker.ingest([
...     parse_event({"id": "p1", "kind": "land_use_permit", "on": "2025-03-03",
...                  "project": "P-1", "division": "440112"}),
...     parse_event({"id": "p2", "kind": "land_use_permit", "on": "2025-03-10",
...                  "project": "P-1", "division": "440112"}),
... ])
>>> result.new, result.rejected
(2, 1)
>>> project = tracker.project_status("P-1")
>>> project.state, [a.action for a in project.actions]
('land_use_permitted', ['open_proactive_case'])
>>> print(project.rejections[0].reason.en)
land_use_permit is not allowed while the project is land_use_permitted; expected here: \
land_transferred, planning_permit, construction_permit, completion_accepted, enterprise_registered
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

from gridconnect.decide.calendar import WorkingDayCalendar
from gridconnect.decide.evaluate import evaluate, get_engine
from gridconnect.engine.base import Engine
from gridconnect.errors import GridconnectError, InputError, Problem, shown
from gridconnect.lifecycle.clock import CLOCKS, Period, StageClock, clock
from gridconnect.lifecycle.events import (
    ApplicationEvent,
    Event,
    PauseEnded,
    PauseReason,
    PauseStarted,
    ProjectEvent,
    Submitted,
    canonical_json,
    event_from_json,
    sort_key,
    subject_of,
)
from gridconnect.lifecycle.statechart import Statechart, facts_for
from gridconnect.lifecycle.store import Store
from gridconnect.lifecycle.subject import DecisionSummary, Subject
from gridconnect.model.application import Application
from gridconnect.model.codec import structure, unstructure
from gridconnect.model.personal import pseudonym_key, pseudonymise
from gridconnect.plugins.registry import Registry, default_registry
from gridconnect.rules.facts import facts_of
from gridconnect.rules.model import Limit, Text

if TYPE_CHECKING:
    from gridconnect.model.codec import JSONObject

__all__ = [
    "BATCH_BYTES",
    "ActionRecord",
    "ApplicationStatus",
    "BatchResult",
    "HistoryEntry",
    "IngestResult",
    "Item",
    "ProjectStatus",
    "Rejection",
    "Report",
    "StageStats",
    "Tracker",
]

Item: TypeAlias = "Event | InputError | tuple[str, Event | InputError]"
"""What :meth:`Tracker.ingest` takes: an event, an input error to report, or either with the
place it was read from (``file:line``), as :func:`~gridconnect.lifecycle.events.read_events`
gives them."""


BATCH_BYTES = 16 << 20
"""A batch is committed once its events' stored form reaches this many bytes (16 MiB), even
before ``batch_size`` events: an event can carry a whole application of up to 1 MiB."""


@attrs.frozen(kw_only=True)
class BatchResult:
    """One committed batch: everything in it is in the store."""

    batch: int  # its id in the store
    received: int  # events offered, duplicates and conflicts included
    new: int  # events added to the log
    duplicates: int
    conflicts: int
    rejected: int  # change in the number of rejected events of the subjects it touched
    first: str | None  # id of its first event
    last: str | None  # id of its last event


@attrs.define(kw_only=True)
class IngestResult:
    """What an ingestion did, over all its batches."""

    batches: list[BatchResult] = attrs.Factory(list)
    invalid: list[InputError] = attrs.Factory(list)  # events that failed validation (the first)
    conflicts: list[InputError] = attrs.Factory(list)  # reused ids with other content (the first)
    invalid_total: int = 0  # all invalid events, kept or not
    conflicts_total: int = 0  # all conflicts, kept or not
    keep: int = 1000  # most errors of each kind kept: memory must not grow with the input

    def add_invalid(self, error: InputError) -> None:
        self.invalid_total += 1
        if len(self.invalid) < self.keep:
            self.invalid.append(error)

    def add_conflict(self, error: InputError) -> None:
        self.conflicts_total += 1
        if len(self.conflicts) < self.keep:
            self.conflicts.append(error)

    @property
    def received(self) -> int:
        return sum(b.received for b in self.batches) + self.invalid_total

    @property
    def new(self) -> int:
        return sum(b.new for b in self.batches)

    @property
    def duplicates(self) -> int:
        return sum(b.duplicates for b in self.batches)

    @property
    def rejected(self) -> int:
        return sum(b.rejected for b in self.batches)

    def to_dict(self) -> JSONObject:
        return {
            "batches": len(self.batches),
            "received": self.received,
            "new": self.new,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "invalid": [_error_dict(e) for e in self.invalid],
            "conflicts": [_error_dict(e) for e in self.conflicts],
            "invalid_total": self.invalid_total,
            "conflicts_total": self.conflicts_total,
        }


def _error_dict(error: InputError) -> dict[str, Any]:
    return {
        "source": error.source,
        "problems": [{"path": p.path, "en": p.en, "zh": p.zh} for p in error.problems],
    }


@attrs.frozen(kw_only=True)
class HistoryEntry:
    """An accepted event and the state it left the subject in."""

    on: date
    kind: str
    event: str
    state: str


@attrs.frozen(kw_only=True)
class Rejection:
    """An event the statechart refused, and why."""

    on: date
    event: str
    kind: str
    reason: Text


@attrs.frozen(kw_only=True)
class ActionRecord:
    """An action a rule asked for when an event was accepted."""

    on: date
    action: str
    title: Text
    rule: str
    event: str
    subject: str  # a:<application> or p:<project>


@attrs.frozen(kw_only=True)
class ProjectStatus:
    """A project as of a day."""

    project: str
    state: str
    as_of: date
    division: str | None
    jurisdictions: tuple[str, ...]
    has_electricity_demand: bool | None
    name: str | None
    history: tuple[HistoryEntry, ...]
    actions: tuple[ActionRecord, ...]
    rejections: tuple[Rejection, ...]

    def to_dict(self) -> JSONObject:
        return {
            "project": self.project,
            "state": self.state,
            "as_of": self.as_of.isoformat(),
            "division": self.division,
            "jurisdictions": list(self.jurisdictions),
            "has_electricity_demand": self.has_electricity_demand,
            "name": self.name,
            "history": [_plain(h) for h in self.history],
            "actions": [_plain(a) for a in self.actions],
            "rejections": [_plain(r) for r in self.rejections],
        }


@attrs.frozen(kw_only=True)
class ApplicationStatus:
    """An application as of a day: its state, every clock, and what happened."""

    application: str
    state: str
    as_of: date
    jurisdictions: tuple[str, ...]
    track: str | None
    supply: str | None
    procedure_steps: int | None
    decision_error: Text | None  # the application could not be decided: its clocks are untimed
    clocks: tuple[StageClock, ...]
    history: tuple[HistoryEntry, ...]
    periods: Mapping[str, Period]
    rejections: tuple[Rejection, ...]
    project: ProjectStatus | None
    cost_yuan: str | None

    @property
    def proactive(self) -> bool:
        """Whether the application's project had a proactive (主动办) case opened."""
        return self.project is not None and any(
            a.action == "open_proactive_case" for a in self.project.actions
        )

    def clock(self, name: str) -> StageClock:
        """The clock of one stage (or ``whole_process``, ``utility_steps``)."""
        return next(c for c in self.clocks if c.stage == name)

    def to_dict(self) -> JSONObject:
        return {
            "application": self.application,
            "state": self.state,
            "as_of": self.as_of.isoformat(),
            "jurisdictions": list(self.jurisdictions),
            "track": self.track,
            "supply": self.supply,
            "procedure_steps": self.procedure_steps,
            "decision_error": _plain(self.decision_error),
            "proactive": self.proactive,
            "clocks": [_plain(c) for c in self.clocks],
            "history": [_plain(h) for h in self.history],
            "periods": {k: _plain(p) for k, p in self.periods.items()},
            "rejections": [_plain(r) for r in self.rejections],
            "project": self.project.to_dict() if self.project else None,
            "cost_yuan": self.cost_yuan,
        }


@attrs.frozen(kw_only=True)
class StageStats:
    """One clock over many applications. ``on_time + at_risk + late + untimed == count``."""

    stage: str
    count: int  # applications in which the stage started (running or done)
    done: int
    on_time: int
    at_risk: int
    late: int
    untimed: int  # no rule gives the stage a limit
    median_working_days: float | None  # over the done ones, net of pauses


@attrs.frozen(kw_only=True)
class Report:
    """Every application of a jurisdiction (or of the store) as of a day."""

    as_of: date
    jurisdiction: str | None
    applications: int
    states: Mapping[str, int]
    stages: tuple[StageStats, ...]
    rejected_events: int
    projects: int
    actions: Mapping[str, int]  # action name -> how many times rules asked for it

    def stage(self, name: str) -> StageStats:
        return next(s for s in self.stages if s.stage == name)

    def to_dict(self) -> JSONObject:
        return {
            "as_of": self.as_of.isoformat(),
            "jurisdiction": self.jurisdiction,
            "applications": self.applications,
            "states": dict(self.states),
            "stages": [_plain(s) for s in self.stages],
            "rejected_events": self.rejected_events,
            "projects": self.projects,
            "actions": dict(self.actions),
        }


def _plain(value: Any) -> Any:
    """JSON-shaped data of a status object."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Limit):
        return {"amount": value.amount, "unit": value.unit.value}
    if isinstance(value, Text):
        return {"en": value.en, "zh": value.zh}
    if attrs.has(type(value)):
        return {f.name: _plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if hasattr(value, "value"):  # an enum
        return value.value
    raise TypeError(value)  # pragma: no cover


class Tracker:
    """Lifecycle tracking over one store.

    ``store`` is a :class:`~gridconnect.lifecycle.store.Store` or the path of one (the default
    ``":memory:"`` lives as long as the tracker). ``engine`` matches the lifecycle rules and
    decides applications, like :func:`gridconnect.evaluate` (default: durable_rules).
    """

    def __init__(
        self,
        store: Store | str | Path = ":memory:",
        *,
        registry: Registry | None = None,
        engine: str | Engine | None = None,
        memo: bool = True,
    ) -> None:
        self.store = store if isinstance(store, Store) else Store(store)
        self.registry = registry or default_registry()
        self.engine: Engine = (
            engine if engine is not None and not isinstance(engine, str) else get_engine(engine)
        )
        self.statechart = Statechart(
            self.registry.lifecycle_rules,
            self.registry.catalogue,
            self.engine,
            memo=memo,
        )
        self._titles = {(r.id, a.name): a.title for r in self.statechart.rules for a in r.actions}
        self._chains: dict[str, tuple[str, ...]] = {}
        self._decisions: dict[str, DecisionSummary] = {}  # by the application's facts
        # Identifiers are stored as keyed pseudonyms (gridconnect.model.personal); the key of
        # a store on disk is kept beside it, <store>.key, unless the environment names one.
        path = self.store.path
        self._key = pseudonym_key(None if path == ":memory:" else Path(path + ".key"))
        if self.store.rebuild_needed:
            self.rebuild()

    def close(self) -> None:
        self.store.close()

    # -- folding -------------------------------------------------------------------------------

    def chain(self, division: str) -> tuple[str, ...]:
        chain = self._chains.get(division)
        if chain is None:
            found = self.registry.catalogue.chain_for_division(division)
            chain = self._chains[division] = tuple(j.code for j in found)
        return chain

    def _decide(self, application: Application) -> DecisionSummary:
        """What the clock needs of the application's decision. The conclusions are a function
        of the facts (the date and the site included), so applications with the same facts
        share one evaluation."""
        facts = facts_of(application)
        key = json.dumps([facts.values, sorted(facts.unknown)], sort_keys=True, default=str)
        found = self._decisions.get(key)
        if found is None:
            if len(self._decisions) >= 50_000:
                self._decisions.clear()
            found = self._decisions[key] = self._evaluate(application)
        return found

    def _evaluate(self, application: Application) -> DecisionSummary:
        division = application.site.division.value
        base = DecisionSummary(
            division=division, chain=self.chain(division), applied_on=application.applied_on
        )
        try:
            decision = evaluate(application, None, self.engine, registry=self.registry)
        except GridconnectError as error:
            return attrs.evolve(base, error=(error.en, error.zh))
        limits = {
            slot[6:]: (c.value, c.rule)
            for slot, c in decision.conclusions.items()
            if slot.startswith("stage.") and slot[6:] in CLOCKS and isinstance(c.value, Limit)
        }
        steps = decision.value("procedure_steps")
        return attrs.evolve(
            base,
            chain=decision.jurisdictions,
            limits=limits,
            procedure_steps=steps if isinstance(steps, int) else None,
            track=decision.track,
            supply=decision.supply,
        )

    def _apply(self, subject: Subject, event: Event) -> None:
        """Fold one event (the latest in the subject's order) into the subject."""
        subject.last = sort_key(event)
        subject.events += 1
        day = event.on.isoformat()
        pause = None
        if isinstance(event, PauseStarted | PauseEnded):
            period = subject.periods.get(event.period)
            pause = "none" if period is None else ("open" if period[2] is None else "closed")
        if isinstance(event, ProjectEvent):
            chain = self.chain(event.division.value)
        elif isinstance(event, Submitted):
            assert event.submission is not None
            chain = self.chain(event.submission.site.division.value)
        else:
            chain = subject.jurisdictions or ("CN",)
        step = self.statechart.step(chain, event.on, facts_for(subject.state, event, pause))
        if step.target is None:
            assert step.problem is not None
            subject.rejections.append(
                (day, event.id, event.kind.value, step.problem.en, step.problem.zh)
            )
            return
        if isinstance(event, Submitted):
            assert event.submission is not None
            subject.decision = self._decide(event.submission)
            subject.project = event.project
        elif isinstance(event, ProjectEvent):
            subject.division = event.division.value
            subject.chain = chain
            subject.demand = event.has_electricity_demand
            subject.name = event.name or subject.name
        elif isinstance(event, PauseStarted):
            subject.periods[event.period] = (event.reason.value, day, None)
        elif isinstance(event, PauseEnded):
            reason, start, _ = subject.periods[event.period]
            subject.periods[event.period] = (reason, start, day)
        elif isinstance(event, ApplicationEvent) and event.cost_yuan is not None:
            subject.cost_yuan = str(event.cost_yuan)
        subject.state = step.target
        subject.history.append((day, event.kind.value, event.id, step.target))
        subject.actions += [(day, action.name, rule, event.id) for rule, action in step.actions]

    def _replay(self, key: str) -> Subject:
        """A subject's state from its events in the log."""
        subject = Subject(key=key)
        for body in self.store.events_of(key):
            self._apply(subject, event_from_json(body, source=f"log {key}"))
        return subject

    # -- ingesting -----------------------------------------------------------------------------

    def ingest(
        self,
        items: Iterable[Item],
        *,
        batch_size: int = 1000,
        source: str | None = None,
        on_batch: Callable[[BatchResult], None] | None = None,
    ) -> IngestResult:
        """Store and fold events, ``batch_size`` per transaction (fewer when they reach
        :data:`BATCH_BYTES`); ``on_batch`` is called after each commit (what it is told is in
        the store). Invalid items and reused ids are collected in the result (the first
        ``IngestResult.keep`` of each, and their counts), never raised; the valid events around
        them are ingested. ``items`` is read lazily, so memory does not grow with the input."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        result = IngestResult()
        events: list[tuple[str | None, Event, str]] = []
        size = 0

        def commit() -> None:
            batch = self._ingest_batch(events, source, result)
            events.clear()
            if on_batch is not None:
                on_batch(batch)

        for item in items:
            where, value = item if isinstance(item, tuple) else (None, item)
            if isinstance(value, InputError):
                result.add_invalid(value)
                continue
            if isinstance(value, Submitted) and value.submission is not None:
                value = structure(pseudonymise(unstructure(value), self._key), Submitted)
            body = canonical_json(value)
            events.append((where, value, body))
            size += len(body)
            if len(events) >= batch_size or size >= BATCH_BYTES:
                commit()
                size = 0
        if events:
            commit()
        return result

    def _ingest_batch(
        self,
        events: list[tuple[str | None, Event, str]],
        source: str | None,
        result: IngestResult,
    ) -> BatchResult:
        new: dict[str, list[Event]] = {}
        rejected = 0
        with self.store.batch(source) as writer:
            outcomes = writer.append([(event, body) for _, event, body in events])
            for (where, event, _), outcome in zip(events, outcomes, strict=True):
                if outcome == "new":
                    new.setdefault(subject_of(event), []).append(event)
                elif outcome == "conflict":
                    result.add_conflict(_conflict(event, where))
            stored = self.store.load(list(new))
            rows = []
            for key, arrived in new.items():
                data = stored.get(key)
                subject = Subject.from_json(data) if data is not None else Subject(key=key)
                before = len(subject.rejections)
                arrived.sort(key=sort_key)
                if subject.last is None or sort_key(arrived[0]) > subject.last:
                    for event in arrived:
                        self._apply(subject, event)
                else:  # older than an event already folded in: fold them all again
                    subject = self._replay(key)
                rejected += len(subject.rejections) - before
                rows.append(_row(subject))
            writer.save(rows)
        batch = BatchResult(
            batch=writer.id,
            received=len(events),
            new=outcomes.count("new"),
            duplicates=outcomes.count("duplicate"),
            conflicts=outcomes.count("conflict"),
            rejected=rejected,
            first=events[0][1].id,
            last=events[-1][1].id,
        )
        result.batches.append(batch)
        return batch

    def rebuild(self) -> int:
        """Drop the derived state and replay the whole log; returns the subjects rebuilt."""
        with self.store.transaction():
            self.store.set_rebuild_needed(True)
        with self.store.transaction():
            self.store.clear_state()
            count = self.store.replace(_row(s) for s in self._fold_log())
            self.store.set_rebuild_needed(False)
        return count

    def _fold_log(self) -> Iterator[Subject]:
        subject: Subject | None = None
        for key, body in self.store.log():
            if subject is not None and subject.key != key:
                yield subject
                subject = None
            subject = subject or Subject(key=key)
            self._apply(subject, event_from_json(body, source=f"log {key}"))
        if subject is not None:
            yield subject

    # -- querying ------------------------------------------------------------------------------

    def _calendar(self, chain: tuple[str, ...]) -> WorkingDayCalendar:
        return self.registry.calendar(chain[-1] if chain else "CN", strict=False)

    def _rejections(self, subject: Subject, as_of: date) -> tuple[Rejection, ...]:
        return tuple(
            Rejection(on=d, event=e, kind=k, reason=Text(en=en, zh=zh))
            for day, e, k, en, zh in subject.rejections
            if (d := date.fromisoformat(day)) <= as_of
        )

    def _actions(self, subject: Subject, as_of: date) -> tuple[ActionRecord, ...]:
        return tuple(
            ActionRecord(
                on=d,
                action=name,
                title=self._titles.get((rule, name), Text(en=name, zh=name)),
                rule=rule,
                event=event,
                subject=subject.key,
            )
            for day, name, rule, event in subject.actions
            if (d := date.fromisoformat(day)) <= as_of
        )

    @staticmethod
    def _history(subject: Subject, as_of: date) -> tuple[HistoryEntry, ...]:
        return tuple(
            HistoryEntry(on=d, kind=k, event=e, state=s)
            for day, k, e, s in subject.history
            if (d := date.fromisoformat(day)) <= as_of
        )

    def _project(self, subject: Subject, as_of: date) -> ProjectStatus:
        return ProjectStatus(
            project=subject.id,
            state=subject.state_on(as_of),
            as_of=as_of,
            division=subject.division,
            jurisdictions=subject.chain,
            has_electricity_demand=subject.demand,
            name=subject.name,
            history=self._history(subject, as_of),
            actions=self._actions(subject, as_of),
            rejections=self._rejections(subject, as_of),
        )

    def _application(self, subject: Subject, as_of: date) -> ApplicationStatus:
        decision = subject.decision
        chain = subject.jurisdictions
        project = None
        if subject.project is not None:
            data = self.store.subject("p:" + subject.project)
            if data is not None:
                project = self._project(Subject.from_json(data), as_of)
        return ApplicationStatus(
            application=subject.id,
            state=subject.state_on(as_of),
            as_of=as_of,
            jurisdictions=chain,
            track=decision.track if decision else None,
            supply=decision.supply if decision else None,
            procedure_steps=decision.procedure_steps if decision else None,
            decision_error=Text(en=decision.error[0], zh=decision.error[1])
            if decision and decision.error
            else None,
            clocks=clock(
                entered=subject.entered(as_of),
                periods=subject.pause_periods(as_of),
                limits=decision.limits if decision else {},
                calendar=self._calendar(chain),
                as_of=as_of,
            ),
            history=self._history(subject, as_of),
            periods={
                period: Period(
                    reason=PauseReason(reason),
                    start=date.fromisoformat(start),
                    end=date.fromisoformat(end) if end and end <= as_of.isoformat() else None,
                )
                for period, (reason, start, end) in subject.periods.items()
                if start <= as_of.isoformat()
            },
            rejections=self._rejections(subject, as_of),
            project=project,
            cost_yuan=subject.cost_yuan,
        )

    def status(self, application: str, as_of: date | None = None) -> ApplicationStatus:
        """An application as of ``as_of`` (default: today); only events up to that day count.
        Raises :class:`~gridconnect.errors.InputError` if no event names the application."""
        data = self.store.subject("a:" + application)
        if data is None:
            raise _unknown("application", application)
        return self._application(Subject.from_json(data), as_of or date.today())

    def submission(self, application: str) -> Application | None:
        """The application as its accepted ``submitted`` event carries it, or None."""
        data = self.store.subject("a:" + application)
        if data is None:
            return None
        subject = Subject.from_json(data)
        submitted = next((e for _, k, e, _ in subject.history if k == "submitted"), None)
        for body in self.store.events_of(subject.key):
            event = event_from_json(body, source=f"log {subject.key}")
            if event.id == submitted and isinstance(event, Submitted):
                return event.submission
        return None

    def project_status(self, project: str, as_of: date | None = None) -> ProjectStatus:
        """A project as of ``as_of`` (default: today)."""
        data = self.store.subject("p:" + project)
        if data is None:
            raise _unknown("project", project)
        return self._project(Subject.from_json(data), as_of or date.today())

    def report(self, jurisdiction: str | None = None, as_of: date | None = None) -> Report:
        """Per clock over every application (of ``jurisdiction`` and below it, by code or
        alias): how many started, are done, on time, at risk, late, untimed, and the median
        working days of the done ones; the number of applications per state, the rejected
        events, the projects and the actions the rules asked for."""
        as_of = as_of or date.today()
        code = None
        if jurisdiction is not None:
            code = self.registry.catalogue.jurisdiction(jurisdiction).code
        clocks: dict[str, list[StageClock]] = {name: [] for name in CLOCKS}
        states: dict[str, int] = {}
        applications = rejected = 0
        for data in self.store.subjects("application", code):
            subject = Subject.from_json(data)
            status = self._application(subject, as_of)
            if status.history or status.rejections:
                applications += 1
                states[status.state] = states.get(status.state, 0) + 1
            rejected += len(status.rejections)
            for c in status.clocks:
                clocks[c.stage].append(c)
        projects = 0
        actions: dict[str, int] = {}
        for data in self.store.subjects("project", code):
            subject = Subject.from_json(data)
            rejected += len(self._rejections(subject, as_of))
            if any(date.fromisoformat(h[0]) <= as_of for h in subject.history):
                projects += 1
            for record in self._actions(subject, as_of):
                actions[record.action] = actions.get(record.action, 0) + 1
        return Report(
            as_of=as_of,
            jurisdiction=code,
            applications=applications,
            states=dict(sorted(states.items())),
            stages=tuple(_stats(name, clocks[name]) for name in CLOCKS),
            rejected_events=rejected,
            projects=projects,
            actions=dict(sorted(actions.items())),
        )


def _stats(name: str, clocks: list[StageClock]) -> StageStats:
    started = [c for c in clocks if c.progress in ("running", "done")]
    done = [c.working_days for c in started if c.progress == "done" and c.working_days is not None]
    return StageStats(
        stage=name,
        count=len(started),
        done=len(done),
        on_time=sum(c.status == "on_time" for c in started),
        at_risk=sum(c.status == "at_risk" for c in started),
        late=sum(c.status == "late" for c in started),
        untimed=sum(c.status == "untimed" for c in started),
        median_working_days=float(statistics.median(done)) if done else None,
    )


def _conflict(event: Event, where: str | None) -> InputError:
    return InputError(
        [
            Problem(
                path="$.id",
                en=f"event {event.id!r} was ingested before with other content; "
                "the first one is kept",
                zh=f"事件 {event.id!r} 已以不同内容录入，保留先录入者",
            )
        ],
        source=where,
    )


def _row(subject: Subject) -> tuple[str, str, str, str, str]:
    """The row a subject is stored as."""
    chain = subject.jurisdictions
    column = "/" + "/".join(chain) + "/" if chain else ""
    return (subject.key, subject.scope, subject.state, column, subject.to_json())


def _unknown(what: str, name: str) -> InputError:
    return InputError(
        [
            Problem(
                path="$",
                en=f"no event names the {what} {shown(repr(name))} in this store",
                zh=f"本存储中没有关于 {shown(repr(name))} 的事件",
            )
        ]
    )
