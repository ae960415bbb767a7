"""Getting-Electricity indicators of a connected application, and its 三省 savings.

The indicators are those of the World Bank's Getting Electricity topic, as far as the events
and the decision know them:

* **procedures**: the number of procedures (环节) the decision gives the applicant
  (``procedure_steps``), or unknown;
* **time**: from the day the application was submitted to the day power was connected, in
  calendar days and in working days, pauses included (the customer's own time counts, as in the
  World Bank's measure);
* **cost**: what the customer paid, where the ``metered_connected`` event reports it, or
  unknown.

Beside them, the utility's own time (the ``utility_steps`` clock: every pause taken out) is
given, because that is what most rulebooks commit to (``stage.utility_steps``).

The 三省 savings (省力 effort, 省时 time, 省钱 money) compare them with a :class:`Baseline`: the
same application decided under an earlier as-of date or in another jurisdiction
(:func:`baseline_for`), or figures given by hand (an earlier process as a report describes it).
Each saving is unknown when either side is.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from gridconnect.decide.calendar import WorkingDayCalendar, national_calendar
from gridconnect.decide.evaluate import evaluate
from gridconnect.engine.base import Engine
from gridconnect.errors import InputError, Problem
from gridconnect.model.application import Application
from gridconnect.model.identifiers import DivisionCode
from gridconnect.plugins.registry import Registry, default_registry
from gridconnect.rules.model import Limit, LimitUnit

if TYPE_CHECKING:
    from gridconnect.lifecycle.tracker import ApplicationStatus
    from gridconnect.model.codec import JSONObject

__all__ = ["Baseline", "Indicators", "Savings", "baseline_for", "indicators", "savings"]

UNKNOWN = "unknown"


@attrs.frozen(kw_only=True)
class Indicators:
    """The Getting-Electricity indicators of one application; ``None`` means unknown."""

    application: str
    connected: bool
    procedures: int | None
    calendar_days: int | None  # submitted to connected; None until connected
    working_days: int | None
    cost_yuan: Decimal | None
    utility_working_days: int | None = None  # the utility's own time, net of every pause
    utility_calendar_days: int | None = None

    def to_dict(self) -> JSONObject:
        return {
            "application": self.application,
            "connected": self.connected,
            "procedures": _known(self.procedures),
            "calendar_days": _known(self.calendar_days),
            "working_days": _known(self.working_days),
            "cost_yuan": _known(self.cost_yuan),
            "utility_working_days": _known(self.utility_working_days),
            "utility_calendar_days": _known(self.utility_calendar_days),
        }


@attrs.frozen(kw_only=True)
class Baseline:
    """What an application is compared with: the commitments of another rulebook, or figures
    given by hand. ``None`` means unknown."""

    label: str
    procedures: int | None = None
    whole_process: Limit | None = None  # the committed (or observed) time of the whole process
    utility_steps: Limit | None = None  # the committed time of the utility's own steps
    cost_yuan: Decimal | None = None
    rules: tuple[str, ...] = ()  # the rules the figures come from

    def to_dict(self) -> JSONObject:
        return {
            "label": self.label,
            "procedures": _known(self.procedures),
            "whole_process": _limit(self.whole_process),
            "utility_steps": _limit(self.utility_steps),
            "cost_yuan": _known(self.cost_yuan),
            "rules": list(self.rules),
        }


@attrs.frozen(kw_only=True)
class Savings:
    """三省 against a baseline; ``None`` means unknown."""

    baseline: Baseline
    effort: int | None  # 省力: procedures saved
    time: int | None  # 省时: days saved, in the unit of the baseline's whole-process time
    time_unit: LimitUnit | None
    time_percent: float | None  # the share of the baseline's time saved, in %
    utility_time: int | None  # days of the utility's own steps saved against its commitment
    utility_time_unit: LimitUnit | None
    money_yuan: Decimal | None  # 省钱

    def to_dict(self) -> JSONObject:
        return {
            "baseline": self.baseline.to_dict(),
            "effort": _known(self.effort),
            "time": _known(self.time),
            "time_unit": self.time_unit.value if self.time_unit else UNKNOWN,
            "time_percent": _known(self.time_percent),
            "utility_time": _known(self.utility_time),
            "utility_time_unit": self.utility_time_unit.value
            if self.utility_time_unit
            else UNKNOWN,
            "money_yuan": _known(self.money_yuan),
        }


def _limit(limit: Limit | None) -> Any:
    return {"amount": limit.amount, "unit": limit.unit.value} if limit else UNKNOWN


def _known(value: Any) -> Any:
    if value is None:
        return UNKNOWN
    if isinstance(value, Decimal):
        return str(value)
    return value


def indicators(status: ApplicationStatus, calendar: WorkingDayCalendar | None = None) -> Indicators:
    """The indicators of an :class:`~gridconnect.lifecycle.tracker.ApplicationStatus`."""
    calendar = calendar or national_calendar(strict=False)
    entered = {h.state: h.on for h in status.history}
    submitted, connected = entered.get("submitted"), entered.get("connected")
    utility = status.clock("utility_steps")
    if submitted is None or connected is None:
        return Indicators(
            application=status.application,
            connected=False,
            procedures=status.procedure_steps,
            calendar_days=None,
            working_days=None,
            cost_yuan=None,
        )
    return Indicators(
        application=status.application,
        connected=True,
        procedures=status.procedure_steps,
        calendar_days=(connected - submitted).days,
        working_days=calendar.working_days_between(submitted, connected),
        cost_yuan=Decimal(status.cost_yuan) if status.cost_yuan is not None else None,
        utility_working_days=utility.working_days,
        utility_calendar_days=utility.calendar_days,
    )


def baseline_for(
    application: Application,
    *,
    as_of: date | None = None,
    jurisdiction: str | None = None,
    registry: Registry | None = None,
    engine: str | Engine | None = None,
) -> Baseline:
    """The same application decided under the rules in force on ``as_of`` (default: its date)
    and/or in another ``jurisdiction`` (code or alias; ``cn`` for the national rules alone)."""
    registry = registry or default_registry()
    label = []
    if jurisdiction is not None:
        juris = registry.catalogue.jurisdiction(jurisdiction)
        label.append(juris.alias)
        if juris.parent is None:  # the nation: decide with the national rules alone
            registry = Registry(entry_points=False, environment=False)
        else:
            try:
                division = DivisionCode(juris.code)
            except ValueError:
                raise InputError(
                    [
                        Problem(
                            path="jurisdiction",
                            en=f"{jurisdiction!r} has no administrative division code",
                            zh=f"{jurisdiction!r} 没有行政区划代码",
                        )
                    ]
                ) from None
            application = attrs.evolve(
                application, site=attrs.evolve(application.site, division=division)
            )
    if as_of is not None:
        label.append(f"as of {as_of.isoformat()}")
    decision = evaluate(application, as_of, engine, registry=registry)
    whole = decision.conclusions.get("stage.whole_process")
    utility = decision.conclusions.get("stage.utility_steps")
    steps = decision.conclusions.get("procedure_steps")
    return Baseline(
        label=" ".join(label) or "as decided",
        procedures=steps.value if steps and isinstance(steps.value, int) else None,
        whole_process=whole.value if whole and isinstance(whole.value, Limit) else None,
        utility_steps=utility.value if utility and isinstance(utility.value, Limit) else None,
        rules=tuple(dict.fromkeys(c.rule for c in (whole, utility, steps) if c is not None)),
    )


def savings(actual: Indicators, baseline: Baseline) -> Savings:
    """三省 of a connected application against ``baseline``: procedures, days and yuan saved.

    >>> actual = Indicators(application="A", connected=True, procedures=2, calendar_days=28,
    ...                     working_days=20, cost_yuan=None)
    >>> s = savings(actual, Baseline(label="before", procedures=3, whole_process=Limit(amount=50)))
    >>> s.effort, s.time, s.time_unit.value, s.time_percent, s.money_yuan
    (1, 30, 'working_day', 60.0, None)
    """
    time, unit = _saved(baseline.whole_process, actual.working_days, actual.calendar_days)
    percent = None
    if time is not None and baseline.whole_process and baseline.whole_process.amount:
        percent = round(100 * time / baseline.whole_process.amount, 1)
    utility_time, utility_unit = _saved(
        baseline.utility_steps, actual.utility_working_days, actual.utility_calendar_days
    )
    effort = None
    if actual.procedures is not None and baseline.procedures is not None:
        effort = baseline.procedures - actual.procedures
    money = None
    if actual.cost_yuan is not None and baseline.cost_yuan is not None:
        money = baseline.cost_yuan - actual.cost_yuan
    return Savings(
        baseline=baseline,
        effort=effort,
        time=time,
        time_unit=unit,
        time_percent=percent,
        utility_time=utility_time,
        utility_time_unit=utility_unit,
        money_yuan=money,
    )


def _saved(
    limit: Limit | None, working: int | None, calendar: int | None
) -> tuple[int | None, LimitUnit | None]:
    """Days saved against ``limit``, in its unit (calendar days for 天 and 自然日)."""
    if limit is None:
        return None, None
    used = working if limit.unit is LimitUnit.WORKING_DAY else calendar
    return (None, None) if used is None else (limit.amount - used, limit.unit)
