"""The time-limit clock: stages start when the stage before them ends, run on the working-day
calendar, stop for the customer's periods and for the periods the law excludes, and say when a
stage is due and whether it is on time, at risk or late."""

from __future__ import annotations

from datetime import date, timedelta

from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from gridconnect.decide.calendar import national_calendar
from gridconnect.lifecycle.clock import CLOCKS, STAGE_END, STAGES, Period, StageClock, clock
from gridconnect.lifecycle.events import PauseReason
from gridconnect.rules.model import Limit, LimitUnit

CAL = national_calendar()
MONDAY = date(2025, 3, 3)  # no holiday in March 2025


def run(
    entered: dict[str, date],
    *,
    periods: tuple[Period, ...] = (),
    limits: dict[str, Limit] | None = None,
    as_of: date = date(2025, 3, 31),
) -> dict[str, StageClock]:
    clocks = clock(
        entered=entered,
        periods=periods,
        limits={k: (v, f"rule.{k}") for k, v in (limits or {}).items()},
        calendar=CAL,
        as_of=as_of,
    )
    assert [c.stage for c in clocks] == list(CLOCKS)
    return {c.stage: c for c in clocks}


def d(day: int, month: int = 3) -> date:
    return date(2025, month, day)


def test_a_stage_starts_when_the_one_before_it_ends() -> None:
    c = run({"submitted": d(3), "accepted": d(4), "plan_answered": d(7), "connected": d(12)})
    assert (c["acceptance"].start, c["acceptance"].done, c["acceptance"].working_days) == (
        d(3),
        d(4),
        1,
    )
    assert (c["supply_plan"].start, c["supply_plan"].done, c["supply_plan"].working_days) == (
        d(4),
        d(7),
        3,
    )
    for skipped in ("design_review", "intermediate_inspection", "completion_inspection"):
        assert c[skipped].progress == "skipped"
        assert c[skipped].status is None
    assert (c["connection"].start, c["connection"].working_days) == (d(7), 3)  # 10, 11, 12
    assert c["whole_process"].working_days == 7
    assert all(c[s].status == "untimed" for s in ("acceptance", "whole_process"))


def test_the_stage_after_the_last_one_reached_runs_and_the_rest_wait() -> None:
    c = run({"submitted": d(3), "accepted": d(4)}, as_of=d(6))
    assert c["acceptance"].progress == "done"
    assert c["supply_plan"].progress == "running"
    assert (c["supply_plan"].start, c["supply_plan"].working_days) == (d(4), 2)
    assert [c[s].progress for s in STAGES[2:]] == ["pending"] * 4
    assert c["whole_process"].progress == "running"
    nothing = run({}, as_of=d(6))
    assert {x.progress for x in nothing.values()} == {"pending"}


def test_a_pause_stops_the_clock_after_its_first_day_and_moves_the_due_date() -> None:
    customer = Period(reason=PauseReason.CUSTOMER, start=d(5), end=d(7))  # off: 6th and 7th
    c = run(
        {"submitted": d(3), "accepted": d(4), "plan_answered": d(12)},
        periods=(customer,),
        limits={"supply_plan": Limit(amount=5)},
        as_of=d(12),
    )
    plan = c["supply_plan"]
    assert plan.working_days == 6 - 2  # 5, 6, 7, 10, 11, 12 less the 6th and 7th
    assert plan.paused_working_days == 2
    assert plan.due == d(13)  # 5 working days after the 4th is the 11th, plus 2 paused
    assert plan.status == "on_time"
    assert c["whole_process"].working_days == 7  # the customer's time is the customer's time
    assert c["utility_steps"].working_days == 5


def test_overlapping_pauses_count_once() -> None:
    periods = (
        Period(reason=PauseReason.CUSTOMER, start=d(4), end=d(7)),
        Period(reason=PauseReason.HEARING, start=d(6), end=d(11)),
    )
    c = run({"submitted": d(3), "accepted": d(12)}, periods=periods)
    assert c["acceptance"].working_days == 7 - 5  # 5..11 paused: 5, 6, 7, 10, 11
    assert c["acceptance"].paused_working_days == 5


def test_the_whole_process_stops_only_for_periods_the_law_excludes() -> None:
    periods = (
        Period(reason=PauseReason.EXPERT_REVIEW, start=d(4), end=d(6)),  # 5, 6
        Period(reason=PauseReason.CUSTOMER, start=d(10), end=d(12)),  # 11, 12
    )
    c = run({"submitted": d(3), "accepted": d(4), "connected": d(14)}, periods=periods)
    assert c["whole_process"].working_days == 9 - 2
    assert c["utility_steps"].working_days == 9 - 4
    assert sum(c[s].working_days or 0 for s in STAGES) == c["utility_steps"].working_days


def test_at_risk_means_not_done_with_at_least_80_percent_of_the_limit_used() -> None:
    limits = {"supply_plan": Limit(amount=5)}
    entered = {"submitted": d(3), "accepted": d(3)}
    status = {n: run(entered, limits=limits, as_of=d(3 + n))["supply_plan"].status for n in (3, 4)}
    assert status == {3: "on_time", 4: "at_risk"}  # 3 of 5 used; 4 of 5 (80 %)
    assert run(entered, limits=limits, as_of=d(10))["supply_plan"].status == "at_risk"  # 5 of 5
    assert run(entered, limits=limits, as_of=d(11))["supply_plan"].status == "late"  # 6 of 5
    done = run({**entered, "plan_answered": d(7)}, limits=limits, as_of=d(20))["supply_plan"]
    assert (done.status, done.working_days, done.due) == ("on_time", 4, d(10))
    late = run({**entered, "plan_answered": d(11)}, limits=limits, as_of=d(20))["supply_plan"]
    assert (late.status, late.working_days) == ("late", 6)


def test_a_limit_of_zero_days_is_due_the_same_working_day() -> None:
    same = run(
        {"submitted": d(3), "accepted": d(3), "plan_answered": d(3)},
        limits={"supply_plan": Limit(amount=0), "connection": Limit(amount=0)},
        as_of=d(3),
    )
    assert (same["supply_plan"].due, same["supply_plan"].status) == (d(3), "on_time")
    assert (same["design_review"].progress, same["design_review"].status) == ("running", "untimed")
    saturday = run({"submitted": d(8), "accepted": d(8)}, limits={"supply_plan": Limit(amount=0)})
    assert saturday["supply_plan"].due == d(10)  # the next working day
    running = run({"submitted": d(3), "accepted": d(3)}, limits={"supply_plan": Limit(amount=0)})
    assert running["supply_plan"].status == "late"


def test_a_limit_in_calendar_days_counts_calendar_days() -> None:
    for unit in (LimitUnit.CALENDAR_DAY, LimitUnit.DAY):
        c = run(
            {"submitted": d(3), "connected": d(12)},
            periods=(Period(reason=PauseReason.TENDER, start=d(5), end=d(8)),),
            limits={"whole_process": Limit(amount=6, unit=unit)},
        )["whole_process"]
        assert (c.calendar_days, c.working_days) == (9 - 3, 7 - 2)  # 6, 7, 8 off; 6, 7 working
        assert c.due == d(12)  # 3 + 6 + 3 paused
        assert c.status == "on_time"


def test_holidays_are_not_counted() -> None:
    c = run(
        {"submitted": d(1, 4), "accepted": d(1, 4), "connected": d(7, 4)},
        limits={"whole_process": Limit(amount=1)},
        as_of=d(30, 4),
    )["whole_process"]
    assert c.working_days == 3  # 2, 3 April; the 4th is 清明节; the 7th
    assert c.calendar_days == 6
    assert (c.due, c.status) == (d(2, 4), "late")


def test_an_open_pause_runs_to_the_as_of_day_and_what_happens_later_is_not_known() -> None:
    open_pause = Period(reason=PauseReason.CUSTOMER, start=d(5), end=None)
    c = run({"submitted": d(3), "accepted": d(4)}, periods=(open_pause,), as_of=d(7))
    assert (c["supply_plan"].working_days, c["supply_plan"].paused_working_days) == (1, 2)
    later = Period(reason=PauseReason.CUSTOMER, start=d(10), end=d(12))
    c = run({"submitted": d(3), "accepted": d(4)}, periods=(later,), as_of=d(7))
    assert c["supply_plan"].paused_working_days == 0


def test_a_date_in_a_year_whose_holiday_notice_is_not_encoded_is_provisional() -> None:
    lenient = national_calendar(strict=False)
    (first, *_) = clock(
        entered={"submitted": date(2027, 3, 1)},
        periods=(),
        limits={},
        calendar=lenient,
        as_of=date(2027, 3, 5),
    )
    assert first.provisional
    assert not run({"submitted": d(3)})["acceptance"].provisional


days = st.integers(min_value=0, max_value=40)


@settings(max_examples=examples(150), deadline=None)
@given(
    gaps=st.lists(st.integers(min_value=0, max_value=9), min_size=7, max_size=7),
    reached=st.lists(st.booleans(), min_size=6, max_size=6),
    pauses=st.lists(
        st.tuples(days, st.integers(min_value=0, max_value=15), st.sampled_from(PauseReason)),
        max_size=4,
    ),
    limit=st.integers(min_value=0, max_value=30),
)
def test_the_stages_tile_the_process_and_their_clocks_add_up_to_the_utilitys(
    gaps: list[int],
    reached: list[bool],
    pauses: list[tuple[int, int, PauseReason]],
    limit: int,
) -> None:
    start = date(2025, 1, 6)
    day = start
    entered = {"submitted": start}
    for stage, gap, hit in zip(STAGES, gaps, [*reached[:-1], True], strict=False):
        day += timedelta(days=gap)
        if hit:
            entered[STAGE_END[stage]] = day
    as_of = day + timedelta(days=gaps[-1])
    periods = tuple(
        Period(reason=r, start=start + timedelta(days=s), end=start + timedelta(days=s + n))
        for s, n, r in pauses
    )
    c = run(entered, periods=periods, limits={"utility_steps": Limit(amount=limit)}, as_of=as_of)
    done = [c[s] for s in STAGES if c[s].progress == "done"]
    assert [x.start for x in done[1:]] == [x.done for x in done[:-1]]
    assert done[0].start == start
    assert done[-1].done == entered["connected"]
    assert sum(x.working_days or 0 for x in done) == c["utility_steps"].working_days
    assert c["utility_steps"].working_days <= c["whole_process"].working_days  # type: ignore[operator]
    utility = c["utility_steps"]
    assert (utility.status == "late") == (utility.working_days > limit)  # type: ignore[operator]
    assert utility.due is not None
    assert CAL.working_days_between(start, utility.due) >= limit
