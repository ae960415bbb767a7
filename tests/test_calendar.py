"""Tests of the working-day calendar (gridconnect.decide.calendar).

The 2025 and 2026 schedules are written out from the State Council notices
(国务院办公厅关于2025年部分节假日安排的通知, 国务院办公厅关于2026年部分节假日安排的通知) and also
checked against the raw ``holidays`` data. The properties compare the calendar with a slow
day-by-day reference implementation, written here from the definition and reading
``holidays.China`` directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import holidays
import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from gridconnect.decide.calendar import (
    NATIONAL_NOTICES,
    NOTICES_ENCODED_FROM,
    NOTICES_ENCODED_THROUGH,
    ChinaCalendar,
    OverriddenCalendar,
    WorkingDayCalendar,
    national_calendar,
)
from gridconnect.errors import CalendarError

D = date
ONE_DAY = timedelta(days=1)

# ---------------------------------------------------------------------------------------------
# Slow reference: straight from the definition, one day at a time, reading holidays directly.
# ---------------------------------------------------------------------------------------------

_REF_HOLIDAYS = holidays.country_holidays("CN", years=range(1989, 2047))


def ref_is_working_day(day: date) -> bool:
    """Monday-Friday minus holidays and substituted days off, plus 调休 weekend working days."""
    if day.weekday() >= 5:
        return day in _REF_HOLIDAYS.weekend_workdays
    return day not in _REF_HOLIDAYS


def ref_add_working_days(start: date, n: int) -> date:
    """Start day not counted; the Nth working day after it. n == 0: the same or next working day."""
    if n == 0 and ref_is_working_day(start):
        return start
    day, counted = start, 0
    while counted < max(n, 1):
        day += ONE_DAY
        if ref_is_working_day(day):
            counted += 1
    return day


def ref_working_days_between(start: date, end: date) -> int:
    if end < start:
        return -ref_working_days_between(end, start)
    count, day = 0, start + ONE_DAY
    while day <= end:
        count += ref_is_working_day(day)
        day += ONE_DAY
    return count


def days_of(year: int) -> Iterator[date]:
    day = D(year, 1, 1)
    while day.year == year:
        yield day
        day += ONE_DAY


def date_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.fixture
def cn() -> ChinaCalendar:
    return national_calendar()


# ---------------------------------------------------------------------------------------------
# The real schedules. Expected values transcribed from the notices, not from holidays.
# ---------------------------------------------------------------------------------------------

# 国务院办公厅关于2025年部分节假日安排的通知:
# 元旦 1月1日; 春节 1月28日至2月4日 (1月26日周日、2月8日周六上班); 清明节 4月4日至6日;
# 劳动节 5月1日至5日 (4月27日周日上班); 端午节 5月31日至6月2日;
# 国庆节、中秋节 10月1日至8日 (9月28日周日、10月11日周六上班).
DAYS_OFF_2025 = [
    D(2025, 1, 1),
    *date_range(D(2025, 1, 28), D(2025, 2, 4)),
    *date_range(D(2025, 4, 4), D(2025, 4, 6)),
    *date_range(D(2025, 5, 1), D(2025, 5, 5)),
    *date_range(D(2025, 5, 31), D(2025, 6, 2)),
    *date_range(D(2025, 10, 1), D(2025, 10, 8)),
]
WEEKEND_WORKDAYS_2025 = [
    D(2025, 1, 26),
    D(2025, 2, 8),
    D(2025, 4, 27),
    D(2025, 9, 28),
    D(2025, 10, 11),
]

# 国务院办公厅关于2026年部分节假日安排的通知:
# 元旦 1月1日至3日 (1月4日周日上班); 春节 2月15日至23日 (2月14日周六、2月28日周六上班);
# 清明节 4月4日至6日; 劳动节 5月1日至5日 (5月9日周六上班); 端午节 6月19日至21日;
# 中秋节 9月25日至27日; 国庆节 10月1日至7日 (9月20日周日、10月10日周六上班).
DAYS_OFF_2026 = [
    *date_range(D(2026, 1, 1), D(2026, 1, 3)),
    *date_range(D(2026, 2, 15), D(2026, 2, 23)),
    *date_range(D(2026, 4, 4), D(2026, 4, 6)),
    *date_range(D(2026, 5, 1), D(2026, 5, 5)),
    *date_range(D(2026, 6, 19), D(2026, 6, 21)),
    *date_range(D(2026, 9, 25), D(2026, 9, 27)),
    *date_range(D(2026, 10, 1), D(2026, 10, 7)),
]
WEEKEND_WORKDAYS_2026 = [
    D(2026, 1, 4),
    D(2026, 2, 14),
    D(2026, 2, 28),
    D(2026, 5, 9),
    D(2026, 9, 20),
    D(2026, 10, 10),
]


@pytest.mark.parametrize(
    ("year", "days_off", "weekend_workdays"),
    [(2025, DAYS_OFF_2025, WEEKEND_WORKDAYS_2025), (2026, DAYS_OFF_2026, WEEKEND_WORKDAYS_2026)],
)
def test_every_day_of_the_year_is_as_the_state_council_notice_says(
    cn: ChinaCalendar, year: int, days_off: list[date], weekend_workdays: list[date]
) -> None:
    assert all(d.weekday() >= 5 for d in weekend_workdays)
    # The installed holidays package agrees with the notice ...
    raw = holidays.country_holidays("CN", years=year)
    assert {d for d in raw.weekend_workdays if d.year == year} == set(weekend_workdays)
    assert {d for d in raw if d.weekday() < 5} == {d for d in days_off if d.weekday() < 5}
    # ... and so does the calendar, for every day of the year.
    for day in days_of(year):
        expected = day in weekend_workdays if day.weekday() >= 5 else day not in days_off
        assert cn.is_working_day(day) is expected, day


def test_2026_sunday_4_january_and_saturday_14_february_are_working_days(
    cn: ChinaCalendar,
) -> None:
    raw = holidays.country_holidays("CN", years=2026)
    for day in (D(2026, 1, 4), D(2026, 2, 14)):
        assert day.weekday() >= 5
        assert day in raw.weekend_workdays
        assert cn.is_working_day(day)


def test_2025_substituted_weekend_days_are_working_and_golden_weeks_are_not(
    cn: ChinaCalendar,
) -> None:
    assert D(2025, 1, 26).weekday() == 6  # Sunday
    assert D(2025, 2, 8).weekday() == 5  # Saturday
    assert D(2025, 9, 28).weekday() == 6  # Sunday
    assert D(2025, 10, 11).weekday() == 5  # Saturday
    for day in (D(2025, 1, 26), D(2025, 2, 8), D(2025, 9, 28), D(2025, 10, 11)):
        assert cn.is_working_day(day), day
    for day in date_range(D(2025, 1, 28), D(2025, 2, 4)) + date_range(
        D(2025, 10, 1), D(2025, 10, 8)
    ):
        assert not cn.is_working_day(day), day


def test_two_working_days_from_30_september_2026_end_on_9_october(cn: ChinaCalendar) -> None:
    assert cn.add_working_days(D(2026, 9, 30), 2) == D(2026, 10, 9)
    assert cn.working_days_between(D(2026, 9, 30), D(2026, 10, 9)) == 2


def test_start_day_is_not_counted(cn: ChinaCalendar) -> None:
    # Monday 2026-03-02 is a working day; one working day from it is Tuesday.
    assert cn.add_working_days(D(2026, 3, 2), 1) == D(2026, 3, 3)
    # Friday 2026-03-06: the next working day is Monday 2026-03-09.
    assert cn.add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 9)


def test_a_working_saturday_counts_toward_a_limit(cn: ChinaCalendar) -> None:
    # Friday 2026-02-13 -> Saturday 2026-02-14 is a 调休 working day.
    assert cn.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    # Then the Spring Festival: 15-23 February off.
    assert cn.add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)


def test_zero_working_days_on_a_working_day_is_the_same_day(cn: ChinaCalendar) -> None:
    assert cn.add_working_days(D(2026, 3, 2), 0) == D(2026, 3, 2)
    assert cn.add_working_days(D(2026, 2, 14), 0) == D(2026, 2, 14)  # working Saturday


def test_zero_working_days_on_a_day_off_is_the_next_working_day(cn: ChinaCalendar) -> None:
    assert cn.add_working_days(D(2026, 10, 1), 0) == D(2026, 10, 8)  # National Day
    assert cn.add_working_days(D(2025, 1, 28), 0) == D(2025, 2, 5)  # Spring Festival eve
    assert cn.add_working_days(D(2026, 3, 7), 0) == D(2026, 3, 9)  # ordinary Saturday


def test_zero_working_days_from_a_datetime_returns_a_plain_date(cn: ChinaCalendar) -> None:
    result = cn.add_working_days(datetime(2026, 3, 2, 15, 30), 0)
    assert type(result) is date
    assert result == D(2026, 3, 2)


def test_negative_limit_is_refused_in_both_languages(cn: ChinaCalendar) -> None:
    with pytest.raises(CalendarError, match="negative") as info:
        cn.add_working_days(D(2026, 3, 2), -1)
    assert "负数" in info.value.zh


def test_working_days_between_is_negative_when_end_precedes_start(cn: ChinaCalendar) -> None:
    assert cn.working_days_between(D(2026, 10, 9), D(2026, 9, 30)) == -2
    assert cn.working_days_between(D(2026, 3, 2), D(2026, 3, 2)) == 0


def test_limits_spanning_several_years_match_the_reference(cn: ChinaCalendar) -> None:
    start = D(2019, 12, 31)
    for n in (250, 1000, 1500):
        assert cn.add_working_days(start, n) == ref_add_working_days(start, n)
    assert cn.working_days_between(D(2001, 1, 1), D(2026, 12, 31)) == ref_working_days_between(
        D(2001, 1, 1), D(2026, 12, 31)
    )


def test_2020_spring_festival_extension_is_included(cn: ChinaCalendar) -> None:
    # 国务院办公厅关于延长2020年春节假期的通知: holiday extended to 2 February; Saturday
    # 1 February, originally a working day, became a day off.
    assert not cn.is_working_day(D(2020, 1, 31))
    assert not cn.is_working_day(D(2020, 2, 1))
    assert cn.add_working_days(D(2020, 1, 23), 1) == D(2020, 2, 3)


# ---------------------------------------------------------------------------------------------
# The encoded years.
# ---------------------------------------------------------------------------------------------


def test_encoded_years_are_exactly_those_with_substituted_working_days_in_holidays() -> None:
    for year in range(NOTICES_ENCODED_FROM, NOTICES_ENCODED_THROUGH + 1):
        raw = holidays.country_holidays("CN", years=year)
        assert any(d.year == year for d in raw.weekend_workdays), year
    # holidays has no 调休 before the first encoded year: it would be guessing.
    before = holidays.country_holidays("CN", years=NOTICES_ENCODED_FROM - 1)
    assert not any(d.year == NOTICES_ENCODED_FROM - 1 for d in before.weekend_workdays)


def test_national_notices_name_every_year_from_2020_to_the_last_encoded_year() -> None:
    assert list(NATIONAL_NOTICES) == list(range(2020, NOTICES_ENCODED_THROUGH + 1))
    assert NATIONAL_NOTICES[2025] == "国务院办公厅关于2025年部分节假日安排的通知"
    with pytest.raises(TypeError):
        NATIONAL_NOTICES[2099] = "x"  # type: ignore[index]


def test_installed_holidays_covers_every_encoded_year(cn: ChinaCalendar) -> None:
    assert cn.encoded_through == NOTICES_ENCODED_THROUGH
    assert cn.first_year == NOTICES_ENCODED_FROM
    assert cn.covers(D(NOTICES_ENCODED_THROUGH, 12, 31))
    assert cn.covers(D(NOTICES_ENCODED_FROM, 1, 1))
    assert not cn.covers(D(NOTICES_ENCODED_THROUGH + 1, 1, 1))
    assert not cn.covers(D(NOTICES_ENCODED_FROM - 1, 12, 31))


@pytest.mark.parametrize("year", [NOTICES_ENCODED_THROUGH + 1, NOTICES_ENCODED_FROM - 1])
def test_strict_calendar_refuses_a_year_whose_notice_is_not_encoded(year: int) -> None:
    cn = ChinaCalendar(strict=True)
    day = D(year, 3, 1)
    for call in (
        lambda: cn.is_working_day(day),
        lambda: cn.add_working_days(day, 1),
        lambda: cn.working_days_between(D(2024, 1, 1), day),
    ):
        with pytest.raises(CalendarError, match=f"{year}.*not encoded") as info:
            call()
        assert str(year) in info.value.zh
        assert "未编入" in info.value.zh
        assert f"国务院办公厅关于{year}年部分节假日安排的通知" in info.value.en
    assert not cn.is_provisional(day)  # strict: nothing is ever provisional


def test_strict_calendar_refuses_a_limit_running_into_an_unencoded_year(
    cn: ChinaCalendar,
) -> None:
    with pytest.raises(CalendarError, match=str(NOTICES_ENCODED_THROUGH + 1)):
        cn.add_working_days(D(NOTICES_ENCODED_THROUGH, 12, 20), 20)


def test_lenient_calendar_marks_an_unencoded_year_provisional() -> None:
    lenient = ChinaCalendar(strict=False)
    year = NOTICES_ENCODED_THROUGH + 1
    day = D(year, 3, 1)
    assert lenient.is_provisional(day)
    assert not lenient.covers(day)
    assert not lenient.is_provisional(D(NOTICES_ENCODED_THROUGH, 3, 2))
    # The answer is the holidays package's guess.
    end = lenient.add_working_days(day, 10)
    assert end == ref_add_working_days(day, 10)
    assert lenient.is_provisional(end)
    # Within the encoded years, lenient and strict agree.
    assert lenient.add_working_days(D(2026, 9, 30), 2) == D(2026, 10, 9)


def test_lenient_calendar_refuses_to_run_past_the_last_representable_date() -> None:
    lenient = ChinaCalendar(strict=False)
    with pytest.raises(CalendarError, match="last date"):
        lenient.add_working_days(D(9999, 12, 30), 5)


def test_old_holidays_package_lowers_the_encoded_bound_instead_of_guessing() -> None:
    last = NOTICES_ENCODED_THROUGH

    def old_holidays(years: Any) -> Any:
        # Simulate a holidays release without the last notice: no 调休 in that year.
        cal = holidays.country_holidays("CN", years=years)
        cal.weekend_workdays = {d for d in cal.weekend_workdays if d.year != last}
        return cal

    strict = ChinaCalendar(source=old_holidays)
    assert strict.encoded_through == last - 1
    assert not strict.covers(D(last, 6, 1))
    with pytest.raises(CalendarError, match="upgrade holidays") as info:
        strict.is_working_day(D(last, 6, 1))
    assert "升级" in info.value.zh
    assert ChinaCalendar(strict=False, source=old_holidays).is_provisional(D(last, 6, 1))
    assert ChinaCalendar().encoded_through == last  # the installed package is untouched


def test_national_calendar_is_one_shared_instance_per_mode() -> None:
    assert national_calendar() is national_calendar(strict=True)
    assert national_calendar(False) is national_calendar(strict=False)
    assert national_calendar(True) is not national_calendar(False)
    assert national_calendar().strict
    assert not national_calendar(False).strict


def test_calendars_implement_the_protocol(cn: ChinaCalendar) -> None:
    assert isinstance(cn, WorkingDayCalendar)
    assert isinstance(OverriddenCalendar(cn, name="CN-XX"), WorkingDayCalendar)
    assert cn.name == "CN"


# ---------------------------------------------------------------------------------------------
# Local overrides.
# ---------------------------------------------------------------------------------------------


def test_local_holiday_pushes_a_deadline_back(cn: ChinaCalendar) -> None:
    local = OverriddenCalendar(cn, name="CN-XX", extra_holidays=[D(2026, 3, 9)])
    assert local.name == "CN-XX"
    assert not local.is_working_day(D(2026, 3, 9))
    assert cn.is_working_day(D(2026, 3, 9))
    assert cn.add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 9)
    assert local.add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 10)
    assert local.add_working_days(D(2026, 3, 9), 0) == D(2026, 3, 10)
    assert local.working_days_between(D(2026, 3, 6), D(2026, 3, 10)) == 1


def test_local_working_day_counts_toward_a_limit(cn: ChinaCalendar) -> None:
    local = OverriddenCalendar(cn, name="CN-XX", extra_working_days=[datetime(2026, 3, 7, 9)])
    assert local.is_working_day(D(2026, 3, 7))  # a Saturday; datetime normalised to a date
    assert local.add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 7)


def test_overrides_stack_and_agree_with_the_base_elsewhere(cn: ChinaCalendar) -> None:
    province = OverriddenCalendar(cn, name="CN-P", extra_holidays=[D(2026, 3, 9)])
    city = OverriddenCalendar(province, name="CN-P-C", extra_working_days=[D(2026, 3, 9)])
    assert city.is_working_day(D(2026, 3, 9))
    assert not city.is_working_day(D(2026, 10, 1))
    for day in days_of(2025):
        assert city.is_working_day(day) is cn.is_working_day(day)


def test_a_day_cannot_be_both_an_extra_holiday_and_an_extra_working_day(
    cn: ChinaCalendar,
) -> None:
    with pytest.raises(CalendarError, match="2026-03-09") as info:
        OverriddenCalendar(
            cn,
            name="CN-XX",
            extra_holidays=[D(2026, 3, 9)],
            extra_working_days=[D(2026, 3, 9), D(2026, 3, 7)],
        )
    assert "CN-XX" in info.value.zh


def test_override_keeps_the_base_calendars_coverage(cn: ChinaCalendar) -> None:
    strict_local = OverriddenCalendar(cn, name="CN-XX")
    beyond = D(NOTICES_ENCODED_THROUGH + 1, 3, 1)
    assert not strict_local.covers(beyond)
    with pytest.raises(CalendarError, match="not encoded"):
        strict_local.add_working_days(beyond, 1)
    lenient_local = OverriddenCalendar(national_calendar(strict=False), name="CN-XX")
    assert lenient_local.is_provisional(beyond)
    assert lenient_local.add_working_days(beyond, 3) == national_calendar(False).add_working_days(
        beyond, 3
    )


# ---------------------------------------------------------------------------------------------
# Properties.
# ---------------------------------------------------------------------------------------------

# Strict national calendar: starts well inside the encoded years so that n <= 120 stays inside.
encoded_days = st.dates(D(NOTICES_ENCODED_FROM, 1, 1), D(NOTICES_ENCODED_THROUGH, 6, 30))
limits = st.integers(min_value=0, max_value=120)
# Lenient calendar: any year holidays knows, encoded or guessed, and limits spanning years.
any_days = st.dates(D(1990, 1, 1), D(2040, 12, 31))
long_limits = st.integers(min_value=0, max_value=1500)
PROPERTY = settings(deadline=None, max_examples=examples(200))


def _working(day: date) -> date:
    """The working day on or after ``day``."""
    return national_calendar().add_working_days(day, 0)


@PROPERTY
@given(encoded_days, limits, limits)
def test_add_working_days_is_monotonic_in_n_and_strictly_increasing_from_1(
    start: date, a: int, b: int
) -> None:
    cn = national_calendar()
    a, b = min(a, b), max(a, b)
    assert cn.add_working_days(start, a) <= cn.add_working_days(start, b)
    if 1 <= a < b:
        assert cn.add_working_days(start, a) < cn.add_working_days(start, b)
    assert start <= cn.add_working_days(start, a)
    if a >= 1:
        assert start < cn.add_working_days(start, a)


@PROPERTY
@given(encoded_days, limits)
def test_the_result_is_always_a_working_day(start: date, n: int) -> None:
    cn = national_calendar()
    end = cn.add_working_days(start, n)
    assert cn.is_working_day(end)
    assert ref_is_working_day(end)


@PROPERTY
@given(encoded_days, limits)
def test_working_days_between_inverts_add_working_days(start: date, n: int) -> None:
    cn = national_calendar()
    end = cn.add_working_days(start, n)
    if n >= 1 or cn.is_working_day(start):
        assert cn.working_days_between(start, end) == n
    else:  # n == 0 from a day off: the next working day, one working day later
        assert cn.working_days_between(start, end) == 1
    assert cn.working_days_between(end, start) == -cn.working_days_between(start, end)


@PROPERTY
@given(encoded_days, limits)
def test_adding_the_count_between_two_working_days_reaches_the_later_one(
    start: date, n: int
) -> None:
    cn = national_calendar()
    end = _working(start + timedelta(days=n))
    assert cn.add_working_days(start, cn.working_days_between(start, end)) == end


@PROPERTY
@given(encoded_days, st.integers(0, 60), st.integers(0, 60))
def test_adding_a_then_b_equals_adding_a_plus_b_from_a_working_day(
    day: date, a: int, b: int
) -> None:
    cn = national_calendar()
    start = _working(day)
    assert cn.add_working_days(cn.add_working_days(start, a), b) == cn.add_working_days(
        start, a + b
    )


@PROPERTY
@given(encoded_days, st.integers(1, 60), st.integers(0, 60))
def test_adding_a_then_b_equals_adding_a_plus_b_for_a_at_least_1_from_any_day(
    start: date, a: int, b: int
) -> None:
    cn = national_calendar()
    assert cn.add_working_days(cn.add_working_days(start, a), b) == cn.add_working_days(
        start, a + b
    )


@PROPERTY
@given(encoded_days, limits)
def test_strict_calendar_matches_the_day_by_day_reference(start: date, n: int) -> None:
    cn = national_calendar()
    assert cn.is_working_day(start) is ref_is_working_day(start)
    end = cn.add_working_days(start, n)
    assert end == ref_add_working_days(start, n)
    assert cn.working_days_between(start, end) == ref_working_days_between(start, end)


@settings(deadline=None, max_examples=examples(100))
@given(any_days, long_limits, any_days)
def test_lenient_calendar_matches_the_reference_across_many_years(
    start: date, n: int, other: date
) -> None:
    lenient = national_calendar(strict=False)
    end = lenient.add_working_days(start, n)
    assert end == ref_add_working_days(start, n)
    assert lenient.working_days_between(start, other) == ref_working_days_between(start, other)
    assert lenient.is_provisional(start) is not (
        NOTICES_ENCODED_FROM <= start.year <= NOTICES_ENCODED_THROUGH
    )


@PROPERTY
@given(encoded_days, limits, st.sets(st.dates(D(2001, 1, 1), D(2026, 12, 31)), max_size=40))
def test_override_matches_a_reference_with_the_same_overrides(
    start: date, n: int, extra: set[date]
) -> None:
    off = {d for d in extra if d.toordinal() % 2 == 0}
    on = extra - off
    local = OverriddenCalendar(
        national_calendar(), name="CN-XX", extra_holidays=off, extra_working_days=on
    )

    def ref_local(day: date) -> bool:
        return day in on or (day not in off and ref_is_working_day(day))

    if n == 0 and ref_local(start):
        expected = start
    else:
        expected, counted = start, 0
        while counted < max(n, 1):
            expected += ONE_DAY
            counted += ref_local(expected)
    assert local.add_working_days(start, n) == expected
    assert local.is_working_day(start) is ref_local(start)
