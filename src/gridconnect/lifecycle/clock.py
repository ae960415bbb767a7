"""The time-limit clock: for every stage of an application, its due date, done date, the working
days used, and whether it is on time, at risk or late.

The stage model
---------------
An application goes through six stages, each ended by the state its name gives; a stage starts
on the day the stage before it ended (the first starts on the day the application was
submitted)::

    stage                    starts when            ends when (state entered)
    acceptance               submitted              accepted
    supply_plan              accepted               plan_answered
    design_review            plan_answered          design_reviewed
    intermediate_inspection  design_reviewed        intermediate_inspected
    completion_inspection    intermediate_inspected completion_inspected
    connection               completion_inspected   connected

A stage the application jumps over (a low-voltage connection goes from ``accepted`` straight to
``connected``) is *skipped*, and the stage that ends the jump takes the whole interval. While the
application waits, the stage after the last one reached is *running* and the later ones are
*pending*. Two clocks span the process: ``whole_process`` (submitted to connected) and
``utility_steps``, the utility's own time summed over its steps; as the stages tile the process,
that sum is the same window with every pause taken out.

Each clock's limit is the decision's ``stage.<name>`` slot (:func:`gridconnect.evaluate` on the
application), e.g. ``stage.whole_process``; a stage no rule gives a limit is *untimed*.

Counting
--------
Days are counted on the working-day calendar like every limit (the start day is not counted; see
:mod:`gridconnect.decide.calendar`); a limit in calendar days (自然日, or 天 with the unit unstated) is
counted in calendar days. A pause period that starts on day *s* and ends on day *e* takes the
days after *s* up to and including *e* off the clock (an open period runs to the as-of day);
overlapping periods count once. Stage clocks and ``utility_steps`` stop for every pause: the
customer's own periods and the periods 《行政许可法》第四十五条 excludes (hearings, tenders,
auctions, inspections, testing, quarantine, appraisals, expert reviews). ``whole_process``, the
time as the customer lives it, stops only for the periods the law excludes.

The due date is the day the limit runs out, pauses added; the status of a timed clock is:

* ``late``: more days used than the limit, done or not;
* ``at_risk``: not done, and at least 80 % of the limit used (``5 × used ≥ 4 × limit``): a stage
  with a limit of 0 days is at risk all through the day it must end on;
* ``on_time``: otherwise (done within the limit, or running below 80 %).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Literal, TypeAlias

import attrs

from gridconnect.decide.calendar import WorkingDayCalendar
from gridconnect.lifecycle.events import PauseReason
from gridconnect.lifecycle.rules import APPLICATION_STATES
from gridconnect.rules.model import Limit, LimitUnit, Text

__all__ = [
    "AGGREGATES",
    "CLOCKS",
    "STAGES",
    "STAGE_END",
    "STAGE_TITLES",
    "Period",
    "StageClock",
    "clock",
]

STAGES: tuple[str, ...] = (
    "acceptance",
    "supply_plan",
    "design_review",
    "intermediate_inspection",
    "completion_inspection",
    "connection",
)
"""The stages of an application, in order."""

# The states after "new" and "submitted" are the ends of the stages, in the same order.
STAGE_END: Mapping[str, str] = dict(zip(STAGES, APPLICATION_STATES[2:], strict=True))
"""The state whose entry ends each stage."""

AGGREGATES: tuple[str, ...] = ("whole_process", "utility_steps")
"""The clocks that span the process."""
CLOCKS: tuple[str, ...] = STAGES + AGGREGATES
"""Every clock of an application: the stages, then the two that span the process."""

STAGE_TITLES: Mapping[str, Text] = {
    "acceptance": Text(en="acceptance", zh="受理"),
    "supply_plan": Text(en="supply plan", zh="供电方案答复"),
    "design_review": Text(en="design review", zh="设计文件审核"),
    "intermediate_inspection": Text(en="intermediate inspection", zh="中间检查"),
    "completion_inspection": Text(en="completion inspection", zh="竣工检验"),
    "connection": Text(en="metering and connection", zh="装表接电"),
    "whole_process": Text(en="whole process", zh="全过程"),
    "utility_steps": Text(en="utility's own steps", zh="供电企业办理环节合计"),
}

Progress: TypeAlias = Literal["pending", "skipped", "running", "done"]
Status: TypeAlias = Literal["on_time", "at_risk", "late", "untimed"]


@attrs.frozen(kw_only=True)
class Period:
    """A pause period: the customer's own time, or time the law excludes."""

    reason: PauseReason
    start: date
    end: date | None = None  # still open


@attrs.frozen(kw_only=True)
class StageClock:
    """One clock as of a day. Days used are net of pauses; ``None`` where not started."""

    stage: str
    progress: Progress
    status: Status | None  # None while pending or when skipped
    limit: Limit | None = None
    rule: str | None = None  # the rule that set the limit
    start: date | None = None
    done: date | None = None
    due: date | None = None
    working_days: int | None = None
    calendar_days: int | None = None
    paused_working_days: int | None = None
    provisional: bool = False  # a date falls in a year whose holiday notice is not encoded


Interval: TypeAlias = tuple[date, date]  # (s, e]: the days after s up to and including e


def _intervals(periods: Sequence[Period], as_of: date, legal_only: bool) -> list[Interval]:
    """The pause periods as merged (start, end] intervals; open ones end on ``as_of``."""
    spans = sorted(
        (p.start, min(p.end or as_of, as_of))
        for p in periods
        if p.start <= as_of and (p.reason.legal or not legal_only)
    )
    merged: list[Interval] = []
    for s, e in spans:
        if e <= s:
            continue
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


class _Counter:
    """Net days between dates on one calendar, with pauses taken out."""

    def __init__(self, calendar: WorkingDayCalendar, pauses: list[Interval]) -> None:
        self.calendar = calendar
        self.pauses = pauses

    def paused(self, a: date, b: date, unit: LimitUnit) -> int:
        total = 0
        for s, e in self.pauses:
            lo, hi = max(s, a), min(e, b)
            if hi > lo:
                if unit is LimitUnit.WORKING_DAY:
                    total += self.calendar.working_days_between(lo, hi)
                else:
                    total += (hi - lo).days
        return total

    def net(self, a: date, b: date, unit: LimitUnit) -> int:
        gross = (
            self.calendar.working_days_between(a, b)
            if unit is LimitUnit.WORKING_DAY
            else (b - a).days
        )
        return gross - self.paused(a, b, unit)

    def due(self, start: date, limit: Limit) -> date:
        """The last day of the limit, with the paused days inside it added."""
        working = limit.unit is LimitUnit.WORKING_DAY
        if working and limit.amount == 0:
            return self.calendar.add_working_days(start, 0)
        extra = 0
        while True:
            n = limit.amount + extra
            end = self.calendar.add_working_days(start, n) if working else start + timedelta(days=n)
            paused = self.paused(start, end, limit.unit)
            if paused == extra:
                return end
            extra = paused


def _window(
    name: str,
    start: date,
    done: date | None,
    as_of: date,
    limit: tuple[Limit, str] | None,
    counter: _Counter,
) -> StageClock:
    end = done or as_of
    working = counter.net(start, end, LimitUnit.WORKING_DAY)
    calendar_days = counter.net(start, end, LimitUnit.CALENDAR_DAY)
    paused = counter.paused(start, end, LimitUnit.WORKING_DAY)
    dates = [start, end]
    status: Status = "untimed"
    due = None
    if limit is not None:
        amount = limit[0].amount
        used = working if limit[0].unit is LimitUnit.WORKING_DAY else calendar_days
        due = counter.due(start, limit[0])
        dates.append(due)
        if used > amount:
            status = "late"
        elif done is None and 5 * used >= 4 * amount:
            status = "at_risk"
        else:
            status = "on_time"
    return StageClock(
        stage=name,
        progress="done" if done is not None else "running",
        status=status,
        limit=limit[0] if limit else None,
        rule=limit[1] if limit else None,
        start=start,
        done=done,
        due=due,
        working_days=working,
        calendar_days=calendar_days,
        paused_working_days=paused,
        provisional=any(counter.calendar.is_provisional(d) for d in dates),
    )


def clock(
    *,
    entered: Mapping[str, date],
    periods: Sequence[Period],
    limits: Mapping[str, tuple[Limit, str]],
    calendar: WorkingDayCalendar,
    as_of: date,
) -> tuple[StageClock, ...]:
    """Every clock of :data:`CLOCKS` as of ``as_of``.

    ``entered`` maps each state the application entered on or before ``as_of`` to the day it
    did; ``limits`` maps a clock name to its limit and the rule that set it.

    >>> from gridconnect.decide.calendar import national_calendar
    >>> clocks = clock(
    ...     entered={"submitted": date(2025, 3, 3), "accepted": date(2025, 3, 4)},
    ...     periods=[Period(reason=PauseReason.CUSTOMER, start=date(2025, 3, 5),
    ...                     end=date(2025, 3, 7))],
    ...     limits={"supply_plan": (Limit(amount=5), "example.rule")},
    ...     calendar=national_calendar(), as_of=date(2025, 3, 11))
    >>> plan = clocks[1]
    >>> plan.stage, plan.progress, plan.working_days, plan.due, plan.status
    ('supply_plan', 'running', 3, datetime.date(2025, 3, 13), 'on_time')
    """
    counter = _Counter(calendar, _intervals(periods, as_of, legal_only=False))
    submitted = entered.get("submitted")
    if submitted is None:
        return tuple(StageClock(stage=name, progress="pending", status=None) for name in CLOCKS)
    reached = [i for i, stage in enumerate(STAGES) if STAGE_END[stage] in entered]
    last = max(reached, default=-1)
    connected = entered.get("connected")
    out: list[StageClock] = []
    previous = submitted
    running = False
    for i, stage in enumerate(STAGES):
        end = entered.get(STAGE_END[stage])
        if end is not None:
            out.append(_window(stage, previous, end, as_of, limits.get(stage), counter))
            previous = end
        elif i < last:
            out.append(StageClock(stage=stage, progress="skipped", status=None))
        elif not running and connected is None:
            out.append(_window(stage, previous, None, as_of, limits.get(stage), counter))
            running = True
        else:
            out.append(StageClock(stage=stage, progress="pending", status=None))
    legal = _Counter(calendar, _intervals(periods, as_of, legal_only=True))
    out.append(
        _window("whole_process", submitted, connected, as_of, limits.get("whole_process"), legal)
    )
    out.append(
        _window("utility_steps", submitted, connected, as_of, limits.get("utility_steps"), counter)
    )
    return tuple(out)
