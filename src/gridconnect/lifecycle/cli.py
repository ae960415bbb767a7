"""The ``gridconnect track`` commands: ingest events, show an application, report per stage.

Invalid input (a bad event line, a reused event id, an unknown application, a store that cannot
be used) exits with status 2 and located messages in English and Chinese; no command shows a
traceback. Events the statechart rejects are not input errors: they are recorded in the store
and counted.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from gridconnect.cli.support import ENGINE, FORMAT, LANG, emit, guarded, parse_date, registry_of
from gridconnect.errors import InputError, Problem, shown
from gridconnect.lifecycle.clock import STAGE_TITLES, StageClock
from gridconnect.lifecycle.events import bounded_lines, read_events
from gridconnect.lifecycle.metrics import Indicators, Savings, baseline_for, indicators, savings
from gridconnect.lifecycle.rules import STATE_TITLES
from gridconnect.lifecycle.store import StoreError
from gridconnect.lifecycle.tracker import ApplicationStatus, ProjectStatus, Report, Tracker
from gridconnect.plugins.hookspecs import hookimpl

__all__ = ["status_of", "track"]

F = TypeVar("F", bound=Callable[..., Any])
_MAX_SHOWN = 50  # problems printed before "... and N more"


def _guarded(func: F) -> F:
    """Like every command: errors become a message and an exit status, never a traceback; a
    store that cannot be used is an input error (exit 2)."""

    @guarded(StoreError)
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except sqlite3.Error as error:
            raise StoreError(f"store error: {error}", f"存储错误：{error}") from None

    return wrapper  # type: ignore[return-value]


STORE = click.option(
    "--store",
    default="gridconnect-track.sqlite3",
    show_default=True,
    envvar="GRIDCONNECT_STORE",
    type=click.Path(dir_okay=False),
    help="The SQLite store (also GRIDCONNECT_STORE); :memory: for a throwaway one.",
)
AS_OF = click.option(
    "--as-of", callback=parse_date, help="Count only events up to this day (default: today)."
)


def _tracker(ctx: click.Context, store: str, engine: str | None = None) -> Tracker:
    return Tracker(store, registry=registry_of(ctx), engine=engine)


def _report_problems(errors: list[InputError], total: int | None = None) -> None:
    for error in errors[:_MAX_SHOWN]:
        click.echo(str(error), err=True)
    more = (len(errors) if total is None else total) - min(len(errors), _MAX_SHOWN)
    if more > 0:
        click.echo(f"... and {more} more / 另有 {more} 处", err=True)


@click.group()
def track() -> None:
    """Track applications and projects: events in, state, time limits and reports out."""


@track.command()
@click.argument("events", type=click.Path(dir_okay=False, allow_dash=True))
@STORE
@click.option(
    "--batch-size",
    default=1000,
    show_default=True,
    type=click.IntRange(1, 1_000_000),
    help="Events per transaction.",
)
@click.option(
    "--files-root",
    type=click.Path(file_okay=False, exists=True),
    envvar="GRIDCONNECT_FILES_ROOT",
    default=None,
    help="Directory every submission_ref is read from and must lie inside (also "
    "GRIDCONNECT_FILES_ROOT); default: relative paths without .. under the events file's "
    "directory.",
)
@ENGINE
@FORMAT
@click.pass_context
@_guarded
def ingest(
    ctx: click.Context,
    events: str,
    store: str,
    batch_size: int,
    files_root: str | None,
    engine: str | None,
    fmt: str,
) -> None:
    """Ingest a JSON Lines file of events (- for standard input). Valid events are stored even
    when other lines are invalid; ingesting the same events again changes nothing. Memory does
    not grow with the input: lines are read one at a time (a line over 1 MiB is rejected
    without being held) and committed --batch-size at a time."""
    tracker = _tracker(ctx, store, engine)
    name = "<stdin>" if events == "-" else shown(events, 200)
    base = Path.cwd() if events == "-" else Path(events).parent
    root = Path(files_root) if files_root is not None else None
    try:
        stream = sys.stdin.buffer if events == "-" else open(events, "rb")  # noqa: SIM115
    except OSError as error:
        raise InputError(
            [Problem(path="$", en=f"cannot read the file: {error.strerror}", zh="无法读取文件")],
            source=name,
        ) from None
    size = None if events == "-" else os.fstat(stream.fileno()).st_size
    with (
        stream,
        click.progressbar(length=size or 1, label="ingesting / 录入", file=sys.stderr) as bar,
    ):
        lines = bounded_lines(stream, on_read=bar.update if size else None)
        result = tracker.ingest(
            read_events(lines, source=name, base=base, root=root),
            batch_size=batch_size,
            source=name,
        )
    tracker.close()
    if fmt == "json":
        emit({"file": name, "store": store, **result.to_dict()})
    else:
        click.echo(
            f"{name}: {result.received} read, {result.new} new, {result.duplicates} duplicate, "
            f"{result.conflicts_total} conflicting, {result.invalid_total} invalid; "
            f"{result.rejected} rejected by the lifecycle rules; "
            f"{len(result.batches)} batch(es) committed to {store}"
        )
        click.echo(
            f"{name}：读取 {result.received}，新增 {result.new}，重复 {result.duplicates}，"
            f"冲突 {result.conflicts_total}，无效 {result.invalid_total}；"
            f"被生命周期规则拒绝 {result.rejected}"
        )
    _report_problems(
        result.invalid + result.conflicts, result.invalid_total + result.conflicts_total
    )
    if result.invalid or result.conflicts:
        raise SystemExit(2)


def _limit(c: StageClock) -> str:
    if c.limit is None:
        return "-"
    unit = {"working_day": "wd", "calendar_day": "cd", "day": "d"}[c.limit.unit.value]
    return f"{c.limit.amount} {unit}"


def _clock_rows(status: ApplicationStatus, lang: str) -> list[str]:
    rows = [f"{'stage':<26}{'limit':<8}{'start':<12}{'done':<12}{'due':<12}{'used':>5}  status"]
    for c in status.clocks:
        title = getattr(STAGE_TITLES[c.stage], lang)
        used = "" if c.working_days is None else f"{c.working_days}"
        state: str = c.status or c.progress
        if c.progress == "running":
            state += " (running)"
        rows.append(
            f"{title:<26}{_limit(c):<8}{_d(c.start):<12}{_d(c.done):<12}{_d(c.due):<12}"
            f"{used:>5}  {state}{' (provisional)' if c.provisional else ''}"
        )
    return rows


def _d(value: date | None) -> str:
    return value.isoformat() if value else "-"


def _project_lines(project: ProjectStatus, lang: str, *, full: bool = False) -> list[str]:
    """The project's state and actions; ``full`` adds what happened and what was rejected."""
    state = getattr(STATE_TITLES[project.state], lang)
    lines = [f"project {project.project}: {project.state} ({state})"]
    if full:
        lines += [f"  {h.on} {h.kind} -> {h.state} ({h.event})" for h in project.history]
    lines += [f"  {a.on} {a.action}: {getattr(a.title, lang)} [{a.rule}]" for a in project.actions]
    if full:
        lines += [
            f"  rejected {r.event} ({r.kind}, {r.on}): {getattr(r.reason, lang)}"
            for r in project.rejections
        ]
    return lines


def status_of(
    tracker: Tracker,
    id: str,
    as_of: date | None = None,
    baseline_as_of: date | None = None,
    baseline_jurisdiction: str | None = None,
    *,
    where: str = "the store",
) -> tuple[ApplicationStatus | ProjectStatus, dict[str, Any], Indicators | None, Savings | None]:
    """An application (or else a project) as ``track status --format json`` shows it: the
    status, its JSON, and for an application its indicators and savings against a baseline.
    An id that names neither raises :class:`InputError` naming ``where``."""
    try:
        found: ApplicationStatus | ProjectStatus = tracker.status(id, as_of)
    except InputError:
        try:
            found = tracker.project_status(id, as_of)
        except InputError:
            raise InputError(
                [
                    Problem(
                        path="$",
                        en=f"no application or project {shown(repr(id))} in {where}",
                        zh=f"{where} 中没有申请或项目 {shown(repr(id))}",
                    )
                ]
            ) from None
    if isinstance(found, ProjectStatus):
        return found, found.to_dict(), None, None
    data = found.to_dict()
    metric = indicators(found)
    data["indicators"] = metric.to_dict()
    compared = None
    if baseline_as_of is not None or baseline_jurisdiction is not None:
        application = tracker.submission(id)
        if application is not None:
            baseline = baseline_for(
                application,
                as_of=baseline_as_of,
                jurisdiction=baseline_jurisdiction,
                registry=tracker.registry,
                engine=tracker.engine,
            )
            compared = savings(metric, baseline)
            data["savings"] = compared.to_dict()
    return found, data, metric, compared


@track.command()
@click.argument("id")
@STORE
@AS_OF
@click.option("--baseline-as-of", callback=parse_date, help="Compare with the rules in force then.")
@click.option(
    "--baseline-jurisdiction", help="Compare with the rules of this jurisdiction (code or alias)."
)
@ENGINE
@FORMAT
@LANG
@click.pass_context
@_guarded
def status(
    ctx: click.Context,
    id: str,
    store: str,
    as_of: date | None,
    baseline_as_of: date | None,
    baseline_jurisdiction: str | None,
    engine: str | None,
    fmt: str,
    lang: str,
) -> None:
    """One application (or project): its state, every stage's clock, what happened, and for a
    connected application its indicators and 三省 savings against a baseline."""
    tracker = _tracker(ctx, store, engine)
    found, data, metric, compared = status_of(
        tracker, id, as_of, baseline_as_of, baseline_jurisdiction, where=store
    )
    if fmt == "json":
        emit(data)
        return
    if isinstance(found, ProjectStatus):
        click.echo("\n".join(_project_lines(found, lang, full=True)))
        return
    assert metric is not None
    state = getattr(STATE_TITLES[found.state], lang)
    lines = [
        f"{found.application}: {found.state} ({state}), as of {found.as_of}",
        f"jurisdictions {' > '.join(found.jurisdictions) or '-'}; track {found.track or '-'}; "
        f"supply {found.supply or '-'}; procedures {found.procedure_steps or 'unknown'}",
    ]
    if found.decision_error is not None:
        lines.append(f"not decided: {getattr(found.decision_error, lang)}")
    if found.project is not None:
        lines += _project_lines(found.project, lang)
    lines += ["", *_clock_rows(found, lang)]
    for name, p in found.periods.items():
        lines.append(f"paused {name}: {p.reason.value} {p.start} to {_d(p.end)}")
    for r in found.rejections:
        lines.append(f"rejected {r.event} ({r.kind}, {r.on}): {getattr(r.reason, lang)}")
    if metric.connected:
        lines.append(
            f"indicators: procedures {metric.procedures or 'unknown'}, "
            f"{metric.calendar_days} calendar days, {metric.working_days} working days, "
            f"cost {metric.cost_yuan if metric.cost_yuan is not None else 'unknown'}"
        )
    if compared is not None:
        s = compared.to_dict()
        lines.append(
            f"三省 against {compared.baseline.label}: effort {s['effort']} procedure(s), "
            f"time {s['time']} ({s['time_unit']}, {s['time_percent']} %), "
            f"utility steps {s['utility_time']} ({s['utility_time_unit']}), money {s['money_yuan']}"
        )
    click.echo("\n".join(lines))


def _report_lines(report: Report, lang: str) -> list[str]:
    lines = [
        f"as of {report.as_of}, {report.jurisdiction or 'all jurisdictions'}: "
        f"{report.applications} application(s), {report.projects} project(s), "
        f"{report.rejected_events} rejected event(s)",
        "states: " + ", ".join(f"{k} {v}" for k, v in report.states.items()),
    ]
    if report.actions:
        lines.append("actions: " + ", ".join(f"{k} {v}" for k, v in report.actions.items()))
    lines += [
        "",
        f"{'stage':<26}{'count':>6}{'done':>6}{'on time':>9}{'at risk':>9}{'late':>6}"
        f"{'untimed':>9}{'median wd':>11}",
    ]
    for s in report.stages:
        median = "-" if s.median_working_days is None else f"{s.median_working_days:g}"
        lines.append(
            f"{getattr(STAGE_TITLES[s.stage], lang):<26}{s.count:>6}{s.done:>6}{s.on_time:>9}"
            f"{s.at_risk:>9}{s.late:>6}{s.untimed:>9}{median:>11}"
        )
    return lines


@track.command()
@STORE
@click.option("--jurisdiction", "-j", help="Code or alias; applications there and below it.")
@AS_OF
@ENGINE
@FORMAT
@LANG
@click.pass_context
@_guarded
def report(
    ctx: click.Context,
    store: str,
    jurisdiction: str | None,
    as_of: date | None,
    engine: str | None,
    fmt: str,
    lang: str,
) -> None:
    """Per stage: applications started, done, on time, at risk, late, untimed, and the median
    working days of the done ones."""
    result = _tracker(ctx, store, engine).report(jurisdiction, as_of)
    if fmt == "json":
        emit(result.to_dict())
    else:
        click.echo("\n".join(_report_lines(result, lang)))


@track.command()
@STORE
@ENGINE
@click.pass_context
@_guarded
def rebuild(ctx: click.Context, store: str, engine: str | None) -> None:
    """Drop the derived state and replay the event log (after a rules upgrade, for instance)."""
    count = _tracker(ctx, store, engine).rebuild()
    click.echo(f"{count} subject(s) rebuilt from the log / 已依事件日志重建 {count} 个对象")


@hookimpl
def gridconnect_commands() -> list[click.Command]:
    """The ``track`` command group."""
    return [track]
