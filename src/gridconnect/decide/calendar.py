"""Working-day calendars: the clock every time limit runs on.

Semantics
---------
Every time limit in gridconnect is counted in Chinese working days (工作日), like this:

* **The start day is not counted.** 《民法典》第二百零一条: "按照年、月、日计算期间的，
  开始的当日不计入，自下一日开始计算。"
* **A limit of N working days ends at the end of the Nth working day after the start day, and
  statutory holidays are not counted.** 《行政许可法》第八十二条: "本法规定的行政机关实施
  行政许可的期限以工作日计算，不含法定节假日。"
* **A limit of 0 working days means the same working day.** If the start day is not a working
  day, a limit of 0 ends on the next working day.

A *working day* is a Monday to Friday that is not a statutory holiday (法定节假日) and not a
substituted day off, **or** a Saturday or Sunday that the year's State Council notice turns into
a working day (调休上班). The data comes from the ``holidays`` package (``holidays.China``), which
encodes the yearly notices (国务院办公厅关于XXXX年部分节假日安排的通知).

Which years are known
---------------------
For a year whose notice it does not have, ``holidays`` silently *guesses*: it applies the
statutory holidays by rule, moves those falling on a weekend to the next weekday, and adds no
调休. A deadline computed from a guess can be days off. So this module
records the years whose notices are encoded, :data:`NOTICES_ENCODED_FROM` (2001, the first year
``holidays`` checks against an official notice; it has no 调休 before that) through
:data:`NOTICES_ENCODED_THROUGH`. At construction, :class:`ChinaCalendar` checks that the installed
``holidays`` really has the substituted working days (``weekend_workdays``) of the last year. If
it is older and does not, the effective bound is lowered to the last year it does have; the
calendar never guesses.

A date outside the known years is either refused (``strict=True``, the default: a
:class:`~gridconnect.errors.CalendarError` that names the year and says its notice is not encoded)
or computed from the ``holidays`` guess and marked provisional (``strict=False``; see
:meth:`WorkingDayCalendar.is_provisional`).

A notice sometimes also moves days at the end of the year before. For example, the 2002 notice
made Saturday 2001-12-29 and Sunday 2001-12-30 working days. So the last days of
:data:`NOTICES_ENCODED_THROUGH` could still change when the next notice comes out. They are
treated as known here.

Besides the yearly notice, 2020 has a second one, 国务院办公厅关于延长2020年春节假期的通知 (the
Spring Festival holiday was extended to 2 February). ``holidays`` encodes it too.

Example
-------
>>> from datetime import date
>>> cn = national_calendar()
>>> cn.add_working_days(date(2026, 9, 30), 2)  # 1-7 October 2026 are days off
datetime.date(2026, 10, 9)
>>> cn.working_days_between(date(2026, 9, 30), date(2026, 10, 9))
2
>>> cn.is_working_day(date(2026, 2, 14))  # a Saturday, made a working day (调休)
True
>>> NATIONAL_NOTICES[2026]
'国务院办公厅关于2026年部分节假日安排的通知'
"""

from __future__ import annotations

import functools
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from datetime import MAXYEAR, date
from types import MappingProxyType
from typing import Protocol, TypeAlias, runtime_checkable

import holidays

from gridconnect.errors import CalendarError

__all__ = [
    "NATIONAL_NOTICES",
    "NOTICES_ENCODED_FROM",
    "NOTICES_ENCODED_THROUGH",
    "ChinaCalendar",
    "HolidaySource",
    "OverriddenCalendar",
    "WorkingDayCalendar",
    "national_calendar",
]

NOTICES_ENCODED_FROM = 2001
"""First year whose State Council holiday notice the calendar relies on.

``holidays`` checks its China data against the official notices from 2001 on and has no
substituted working days before 2001.
"""

NOTICES_ENCODED_THROUGH = 2026
"""Last year whose State Council holiday notice is encoded.

That is 国务院办公厅关于2026年部分节假日安排的通知.

When you raise this bound, also raise the minimum ``holidays`` version and add the year to
:data:`NATIONAL_NOTICES`.
"""

NATIONAL_NOTICES: Mapping[int, str] = MappingProxyType(
    {
        year: f"国务院办公厅关于{year}年部分节假日安排的通知"
        for year in range(2020, NOTICES_ENCODED_THROUGH + 1)
    }
)
"""Title of each year's State Council holiday notice, from 2020 to :data:`NOTICES_ENCODED_THROUGH`.

Only the titles are given. Document numbers and dates are left out until someone checks them
against the official text.
"""


@runtime_checkable
class WorkingDayCalendar(Protocol):
    """A calendar of working days, used to count time limits.

    ``add_working_days(start, n)`` for ``n >= 1`` is the Nth working day strictly after
    ``start``. ``add_working_days(start, 0)`` is ``start`` if ``start`` is a working day, and
    otherwise the next working day. ``working_days_between(start, end)`` counts the working days
    ``d`` with ``start < d <= end``, and is negative (``-working_days_between(end, start)``) when
    ``end < start``. So for every date ``s``:

    * ``working_days_between(s, add_working_days(s, n)) == n`` for every ``n >= 1``, and for
      ``n == 0`` when ``s`` is a working day;
    * ``add_working_days(add_working_days(s, a), b) == add_working_days(s, a + b)`` when
      ``a >= 1``, or when ``s`` is a working day;
    * ``add_working_days(s, working_days_between(s, e)) == e`` for every working day ``e >= s``.
    """

    name: str
    """Short name of the calendar, e.g. ``"CN"`` for the national calendar."""

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day."""
        ...

    def add_working_days(self, start: date, n: int) -> date:
        """The day a time limit of ``n`` working days from ``start`` ends (``n >= 0``)."""
        ...

    def working_days_between(self, start: date, end: date) -> int:
        """Working days ``d`` with ``start < d <= end``, counted; negative if ``end < start``."""
        ...

    def is_provisional(self, day: date) -> bool:
        """True if the calendar is lenient and ``day`` falls in a year whose notice is not encoded.

        An answer about a provisional day comes from a guess. ``add_working_days(s, n)`` is exact
        only if neither ``s`` nor the result is provisional.
        """
        ...

    def covers(self, day: date) -> bool:
        """Whether the State Council notice for ``day``'s year is encoded."""
        ...


class _IndexedCalendar:
    """Shared engine: a sorted tuple of working-day ordinals for each year, built on first use.

    Subclasses implement :meth:`_build_year`, which computes a year's ordinals or raises
    :class:`CalendarError` if the year must not be used. A built year is never changed, and
    reads need no lock. The lock only stops two threads from building the same year at once.
    """

    name: str

    def __init__(self) -> None:
        self._years: dict[int, tuple[int, ...]] = {}
        self._lock = threading.Lock()

    def _build_year(self, year: int) -> tuple[int, ...]:
        raise NotImplementedError

    def _year(self, year: int) -> tuple[int, ...]:
        days = self._years.get(year)
        if days is not None:
            return days
        if year > MAXYEAR:
            raise CalendarError(
                f"the time limit runs past {date.max.isoformat()}, the last date that can be used",
                f"期限超出了可用的最后日期 {date.max.isoformat()}",
            )
        with self._lock:
            days = self._years.get(year)
            if days is None:
                days = self._build_year(year)
                self._years[year] = days
        return days

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day. See the module docstring for the definition."""
        days = self._years.get(day.year)
        if days is None:
            days = self._year(day.year)
        ordinal = day.toordinal()
        i = bisect_right(days, ordinal)
        return i > 0 and days[i - 1] == ordinal

    def add_working_days(self, start: date, n: int) -> date:
        """The day a time limit of ``n`` working days from ``start`` ends.

        For ``n >= 1`` this is the Nth working day strictly after ``start`` (the start day is not
        counted). For ``n == 0`` it is ``start`` if that is a working day, and otherwise the next
        working day. A negative ``n`` raises :class:`CalendarError`.
        """
        if n < 0:
            raise CalendarError(
                f"a time limit cannot be a negative number of working days (got {n})",
                f"期限的工作日数不能为负数（得到 {n}）",
            )
        year = start.year
        days = self._years.get(year)
        if days is None:
            days = self._year(year)
        ordinal = start.toordinal()
        # i = the number of working days of the year on or before the start day.
        i = bisect_right(days, ordinal)
        if n == 0:
            if i > 0 and days[i - 1] == ordinal:
                return start if type(start) is date else date.fromordinal(ordinal)
            n = 1
        i += n - 1  # index of the answer, counting from the first working day of `year`
        while i >= len(days):
            i -= len(days)
            year += 1
            days = self._years.get(year) or self._year(year)
        return date.fromordinal(days[i])

    def working_days_between(self, start: date, end: date) -> int:
        """The number of working days ``d`` with ``start < d <= end``.

        Negative when ``end < start``:
        ``working_days_between(s, e) == -working_days_between(e, s)``.
        """
        if end < start:
            return -self.working_days_between(end, start)
        first = self._year(start.year)
        if start.year == end.year:
            return bisect_right(first, end.toordinal()) - bisect_right(first, start.toordinal())
        total = len(first) - bisect_right(first, start.toordinal())
        for year in range(start.year + 1, end.year):
            total += len(self._year(year))
        return total + bisect_right(self._year(end.year), end.toordinal())


def _china_holidays(years: Iterable[int]) -> holidays.HolidayBase:
    """``holidays.China`` for ``years``: the default :data:`HolidaySource`."""
    return holidays.country_holidays("CN", years=years)


HolidaySource: TypeAlias = Callable[[Iterable[int]], "holidays.HolidayBase"]
"""Where :class:`ChinaCalendar` reads holidays and 调休 working weekend days: given years, an
object like ``holidays.China`` for them (``in`` for days off, ``weekend_workdays``). The
default is the installed ``holidays`` package; another source can simulate an older release."""


def _notices_through(source: HolidaySource) -> int:
    """The last year, at most :data:`NOTICES_ENCODED_THROUGH`, that ``source`` has substituted
    working weekend days for (``NOTICES_ENCODED_FROM - 1`` if none)."""
    for year in range(NOTICES_ENCODED_THROUGH, NOTICES_ENCODED_FROM - 1, -1):
        workdays = getattr(source([year]), "weekend_workdays", ())
        if any(d.year == year for d in workdays):
            return year
    return NOTICES_ENCODED_FROM - 1


@functools.cache
def _installed_notices_through() -> int:
    """:func:`_notices_through` of the installed ``holidays``, found once."""
    return _notices_through(_china_holidays)


def _holidays_version() -> str:
    return str(getattr(holidays, "__version__", "unknown"))


class ChinaCalendar(_IndexedCalendar):
    """The national working-day calendar of the People's Republic of China.

    ``strict=True`` (the default) refuses dates in years whose notice is not encoded and raises
    :class:`CalendarError`. ``strict=False`` answers for those years from the ``holidays`` guess,
    and :meth:`is_provisional` is True for them.

    Each year is computed once, on first use, as a sorted tuple of working-day ordinals. After
    that a call is a dictionary lookup and a binary search. Use :func:`national_calendar` for a
    shared instance.

    >>> from datetime import date
    >>> cn = ChinaCalendar()
    >>> cn.name, cn.first_year, cn.encoded_through
    ('CN', 2001, 2026)
    >>> cn.add_working_days(date(2025, 1, 27), 1)  # Spring Festival: 28 Jan to 4 Feb 2025 off
    datetime.date(2025, 2, 5)
    >>> cn.add_working_days(date(2025, 10, 1), 0)  # a holiday: 0 days is the next working day
    datetime.date(2025, 10, 9)
    >>> cn.add_working_days(date(2027, 3, 1), 5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    gridconnect.errors.CalendarError: 2027: the State Council holiday notice for 2027 ...
    >>> lenient = ChinaCalendar(strict=False)
    >>> lenient.add_working_days(date(2027, 3, 1), 5)
    datetime.date(2027, 3, 8)
    >>> lenient.is_provisional(date(2027, 3, 8))
    True
    """

    def __init__(self, strict: bool = True, *, source: HolidaySource | None = None) -> None:
        """``source`` is where holidays are read (:data:`HolidaySource`; by default the
        installed ``holidays`` package)."""
        super().__init__()
        self.name = "CN"
        self.strict = strict
        self._source = source or _china_holidays
        #: First year whose notice is encoded.
        self.first_year = NOTICES_ENCODED_FROM
        #: Last year whose notice is encoded in the installed ``holidays`` (normally
        #: :data:`NOTICES_ENCODED_THROUGH`; lower if ``holidays`` is too old).
        self.encoded_through = (
            _installed_notices_through() if source is None else _notices_through(source)
        )

    def __repr__(self) -> str:
        return (
            f"ChinaCalendar(strict={self.strict!r}) "
            f"<notices {self.first_year}-{self.encoded_through}>"
        )

    def covers(self, day: date) -> bool:
        """Whether the State Council notice for ``day``'s year is encoded."""
        return self.first_year <= day.year <= self.encoded_through

    def is_provisional(self, day: date) -> bool:
        """True if this calendar is lenient and ``day``'s year notice is not encoded.

        Always False in strict mode, because a strict calendar refuses such days.
        """
        return not self.strict and not self.covers(day)

    def _refusal(self, year: int) -> CalendarError:
        known = f"{self.first_year}-{self.encoded_through}"
        en = (
            f"{year}: the State Council holiday notice for {year} "
            f"(国务院办公厅关于{year}年部分节假日安排的通知) is not encoded in the working-day "
            f"calendar (encoded years: {known}), so the working days of {year} are not known"
        )
        zh = (
            f"{year} 年：工作日历未编入 {year} 年的国务院办公厅节假日安排通知"
            f"（国务院办公厅关于{year}年部分节假日安排的通知）（已编入：{known} 年），"
            f"无法确定 {year} 年的工作日"
        )
        if self.encoded_through < year <= NOTICES_ENCODED_THROUGH:
            version = _holidays_version()
            en += (
                f"; the installed holidays package ({version}) does not have it, "
                "upgrade holidays to get it"
            )
            zh += f"；已安装的 holidays 包（{version}）没有该通知，请升级 holidays"
        en += (
            "; use strict=False (on the command line, --lenient) to get a provisional answer "
            "from the holidays package's guess"
        )
        zh += "；如需依据 holidays 包推算的暂定结果，请使用 strict=False（命令行用 --lenient）"
        return CalendarError(en, zh)

    def _build_year(self, year: int) -> tuple[int, ...]:
        if self.strict and not self.first_year <= year <= self.encoded_through:
            raise self._refusal(year)
        # The neighbouring years are loaded too: a notice can move days of the year before it.
        cal = self._source(range(max(year - 1, 1), min(year + 1, MAXYEAR) + 1))
        weekend_workdays = frozenset(getattr(cal, "weekend_workdays", ()))
        first = date(year, 1, 1).toordinal()
        last = date(year, 12, 31).toordinal()
        result = []
        for ordinal in range(first, last + 1):
            day = date.fromordinal(ordinal)
            is_weekend = day.weekday() >= 5  # Saturday, Sunday
            if day in weekend_workdays if is_weekend else day not in cal:
                result.append(ordinal)
        return tuple(result)


class OverriddenCalendar(_IndexedCalendar):
    """A calendar that changes some days of a base calendar: how a province or city adds its own.

    ``extra_holidays`` become days off and ``extra_working_days`` become working days. Every
    other day is as in ``base``. The two must not share a day (:class:`CalendarError`).
    :meth:`covers` and :meth:`is_provisional` are those of ``base``, and a strict base still
    refuses years it does not know.

    >>> from datetime import date
    >>> local = OverriddenCalendar(
    ...     national_calendar(), name="CN-XX", extra_holidays=[date(2026, 3, 9)]
    ... )
    >>> local.is_working_day(date(2026, 3, 9)), national_calendar().is_working_day(date(2026, 3, 9))
    (False, True)
    >>> local.add_working_days(date(2026, 3, 6), 1)  # Friday; Monday 9 March is off locally
    datetime.date(2026, 3, 10)
    """

    def __init__(
        self,
        base: WorkingDayCalendar,
        *,
        name: str,
        extra_holidays: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
    ) -> None:
        super().__init__()
        self.base = base
        self.name = name
        self.extra_holidays: frozenset[date] = frozenset(map(_as_date, extra_holidays))
        self.extra_working_days: frozenset[date] = frozenset(map(_as_date, extra_working_days))
        overlap = sorted(self.extra_holidays & self.extra_working_days)
        if overlap:
            listed = ", ".join(d.isoformat() for d in overlap)
            raise CalendarError(
                f"calendar {name}: {listed} listed both as extra holidays and as extra working "
                "days",
                f"日历 {name}：{listed} 同时被列为增加的节假日和增加的工作日",
            )

    def __repr__(self) -> str:
        return (
            f"OverriddenCalendar({self.base!r}, name={self.name!r}, "
            f"{len(self.extra_holidays)} extra holidays, "
            f"{len(self.extra_working_days)} extra working days)"
        )

    def covers(self, day: date) -> bool:
        """Whether the base calendar covers ``day``."""
        return self.base.covers(day)

    def is_provisional(self, day: date) -> bool:
        """Whether the base calendar's answer for ``day`` is provisional."""
        return self.base.is_provisional(day)

    def _build_year(self, year: int) -> tuple[int, ...]:
        first = date(year, 1, 1).toordinal()
        last = date(year, 12, 31).toordinal()
        base_is_working: Callable[[date], bool] = self.base.is_working_day
        result = []
        for ordinal in range(first, last + 1):
            day = date.fromordinal(ordinal)
            if day in self.extra_working_days or (
                day not in self.extra_holidays and base_is_working(day)
            ):
                result.append(ordinal)
        return tuple(result)


def _as_date(day: date) -> date:
    """``day`` as a plain :class:`date`; a ``datetime`` would never equal a ``date`` in a set."""
    return day if type(day) is date else date.fromordinal(day.toordinal())


def national_calendar(strict: bool = True) -> ChinaCalendar:
    """The shared :class:`ChinaCalendar` for ``strict`` (one instance per mode, cached).

    >>> national_calendar() is national_calendar(strict=True) is national_calendar(True)
    True
    >>> national_calendar(strict=False).strict
    False
    """
    return _national_calendar(bool(strict))


@functools.cache
def _national_calendar(strict: bool) -> ChinaCalendar:
    return ChinaCalendar(strict=strict)
