"""Benchmark: ChinaCalendar.add_working_days against naive day-by-day loops.

Run with ``python bench/bench_calendar.py`` (add ``--calls N`` for a different workload size).
This is a script, not a test. It times the same random workload of (start day, limit) pairs
three ways, in one process:

* ``ChinaCalendar.add_working_days`` (per-year arrays of working-day ordinals and bisect);
* a naive loop that steps one day at a time and asks ``holidays`` about each day;
* a naive loop that steps one day at a time over a precomputed set of working days.

It checks that all three give the same answers and prints the time ratios.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from importlib.metadata import version
from pathlib import Path

try:
    import gridconnect.decide.calendar  # noqa: F401
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import holidays

from gridconnect.decide.calendar import ChinaCalendar

ONE_DAY = timedelta(days=1)
FIRST_START = date(2025, 1, 1)
LAST_START = date(2026, 10, 31)  # + 30 working days stays inside the encoded 2026
MAX_LIMIT = 30  # working days; the getting-electricity time limits are shorter


def workload(calls: int, seed: int) -> list[tuple[date, int]]:
    rng = random.Random(seed)
    span = (LAST_START - FIRST_START).days + 1
    first = FIRST_START.toordinal()
    return [
        (date.fromordinal(first + rng.randrange(span)), rng.randrange(MAX_LIMIT + 1))
        for _ in range(calls)
    ]


def naive_add(is_working_day: Callable[[date], bool], start: date, n: int) -> date:
    """Same semantics as add_working_days, one day at a time."""
    if n == 0 and is_working_day(start):
        return start
    day, counted = start, 0
    while counted < max(n, 1):
        day += ONE_DAY
        if is_working_day(day):
            counted += 1
    return day


def timed(label: str, run: Callable[[], list[date]]) -> tuple[float, list[date]]:
    t0 = time.perf_counter()
    results = run()
    seconds = time.perf_counter() - t0
    print(f"  {label:<46} {seconds:9.3f} s")
    return seconds, results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=1_000_000, help="calls per method")
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args(argv)

    pairs = workload(args.calls, args.seed)
    print(
        f"{args.calls:,} add_working_days calls, starts {FIRST_START}..{LAST_START}, "
        f"limits 0..{MAX_LIMIT} working days (holidays {version('holidays')}, "
        f"Python {sys.version.split()[0]})"
    )

    calendar = ChinaCalendar()
    t0 = time.perf_counter()
    for year in range(FIRST_START.year, LAST_START.year + 2):
        if calendar.covers(date(year, 1, 1)):
            calendar.is_working_day(date(year, 1, 1))  # builds the year's array
    print(f"  one-off: building the year arrays              {time.perf_counter() - t0:9.3f} s")

    add = calendar.add_working_days
    fast_s, fast = timed("ChinaCalendar.add_working_days", lambda: [add(s, n) for s, n in pairs])

    cn = holidays.country_holidays("CN", years=range(FIRST_START.year, LAST_START.year + 2))
    lookup = cn.is_working_day
    naive_s, naive = timed(
        "naive loop, holidays lookup per day",
        lambda: [naive_add(lookup, s, n) for s, n in pairs],
    )

    working = frozenset(
        d
        for year in range(FIRST_START.year, LAST_START.year + 2)
        for d in (date(year, 1, 1) + ONE_DAY * i for i in range(366))
        if d.year == year and cn.is_working_day(d)
    )
    set_s, by_set = timed(
        "naive loop, precomputed set of working days",
        lambda: [naive_add(working.__contains__, s, n) for s, n in pairs],
    )

    if not fast == naive == by_set:
        print("MISMATCH between the methods", file=sys.stderr)
        return 1
    print("  all three agree on every call")
    print(f"  per call: {fast_s / args.calls * 1e6:.2f} us (calendar)")
    print(f"ratio, naive loop with holidays lookups / ChinaCalendar: {naive_s / fast_s:8.1f}x")
    print(f"ratio, naive loop over a set / ChinaCalendar:            {set_s / fast_s:8.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
