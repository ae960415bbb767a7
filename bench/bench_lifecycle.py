"""Benchmark: lifecycle ingestion at scale, against raw SQLite inserts of the same lines.

Run with ``python bench/bench_lifecycle.py`` (``--applications N`` for another size, ``--engine
reference`` to decide and match with the pure-Python engine). This is a script, not a test.

It builds a synthetic stream of JSON lines in date order, as a government platform and a
utility would send them: for each application a land-use permit of its project, then submitted
(the application inline), accepted, supply plan answered, a customer pause and its end, design
review, intermediate and completion inspections, metered and connected: 10 events, so 100,000
applications give 1,000,000 events. Applications start 500 a day, so at any time thousands are
open. The stream is generated lazily and the tracker keeps nothing between batches, so memory
must stay flat: the resident set size is printed every ``--report-every`` events.

Measured, in one process:

1. generating the stream alone (its cost is in both of the next two);
2. raw SQLite: the same lines inserted as they are into one table, in the same batches and
   transactions, with the store's settings (WAL, ``synchronous=FULL``, a 64 MiB page cache):
   the floor of durable storage;
3. gridconnect: the same lines parsed, validated, deduplicated, logged, decided (the submitted
   events), folded through the statechart and stored;
4. status queries on random applications (p50, p99), against a raw primary-key read;
5. one report over every application.

It prints events per second and the ratios against the raw figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

try:
    import gridconnect.lifecycle  # noqa: F401
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from gridconnect.lifecycle.events import read_events
from gridconnect.lifecycle.tracker import BatchResult, Tracker

ROOT = Path(__file__).resolve().parents[1]
APPLICATIONS = ROOT / "examples" / "events" / "applications"
FIRST_DAY = date(2024, 1, 2)
PER_DAY = 500
# day offsets of each application's events from its submission
STEPS = [
    ("land_use_permit", -30),
    ("submitted", 0),
    ("accepted", 1),
    ("supply_plan_answered", 4),
    ("pause_started", 5),
    ("pause_ended", 20),
    ("design_reviewed", 24),
    ("intermediate_inspected", 30),
    ("completion_inspected", 40),
    ("metered_connected", 42),
]


def templates() -> list[dict[str, object]]:
    return [
        json.loads((APPLICATIONS / name).read_text("utf-8"))
        for name in (
            "huangpu-10kv.json",
            "guangzhou-180kw.json",
            "dongguan-10kv.json",
            "zhongshan-380v.json",
            "foshan-10kv-typical.json",
        )
    ]


def stream(applications: int) -> Iterator[str]:
    """The JSON lines, in date order, generated as they are read."""
    shapes = templates()
    days = (applications + PER_DAY - 1) // PER_DAY
    low = min(offset for _, offset in STEPS)
    high = max(offset for _, offset in STEPS)
    for day in range(low, days + high + 1):
        on = (FIRST_DAY + timedelta(days=day)).isoformat()
        for k, (kind, offset) in enumerate(STEPS):
            start = day - offset
            if not 0 <= start < days:
                continue
            for i in range(start * PER_DAY, min((start + 1) * PER_DAY, applications)):
                app = f"APP-{i:07d}"
                event: dict[str, object] = {"id": f"{app}-{k}", "kind": kind, "on": on}
                if kind == "land_use_permit":
                    shape = shapes[i % len(shapes)]
                    division = shape["site"]["division"]  # type: ignore[index]
                    event |= {"project": f"PRJ-{i:07d}", "division": division}
                else:
                    event["application"] = app
                if kind == "submitted":
                    shape = shapes[i % len(shapes)]
                    event["submission"] = {**shape, "id": app, "applied_on": on}
                    event["project"] = f"PRJ-{i:07d}"
                elif kind.startswith("pause"):
                    event["period"] = "customer-works"
                    if kind == "pause_started":
                        event["reason"] = "customer"
                yield json.dumps(event, ensure_ascii=False)


def rss_mb() -> float:
    """Resident set size now (Linux), else the peak."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def batched(lines: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def bench_generation(applications: int) -> tuple[int, float]:
    start = time.perf_counter()
    count = sum(1 for _ in stream(applications))
    return count, time.perf_counter() - start


def bench_raw(applications: int, batch_size: int, directory: Path) -> tuple[int, float, list[str]]:
    db = sqlite3.connect(directory / "raw.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA cache_size=-65536")  # as the store
    db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, body TEXT)")
    count = 0
    start = time.perf_counter()
    for batch in batched(stream(applications), batch_size):
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "INSERT INTO events (id, body) VALUES (?, ?)",
            ((line[8 : line.index('"', 8)], line) for line in batch),
        )
        db.execute("COMMIT")
        count += len(batch)
    elapsed = time.perf_counter() - start
    ids = [row[0] for row in db.execute("SELECT id FROM events WHERE id LIKE '%-1' LIMIT 5000")]
    db.close()
    return count, elapsed, ids


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--applications", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=5_000)
    parser.add_argument("--engine", choices=["durable", "reference"], default="durable")
    parser.add_argument(
        "--report-every", type=int, default=100_000, help="events between RSS lines"
    )
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    print(f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, engine {args.engine}")
    print(
        f"{args.applications:,} applications x {len(STEPS)} events, batches of {args.batch_size:,}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        events, generated = bench_generation(args.applications)
        print(f"\n1. stream generation: {events:,} lines in {generated:.1f} s "
              f"({events / generated:,.0f} lines/s)")  # fmt: skip

        raw_count, raw_time, _ = bench_raw(args.applications, args.batch_size, directory)
        print(f"2. raw SQLite inserts: {raw_count:,} rows in {raw_time:.1f} s "
              f"({raw_count / raw_time:,.0f} rows/s)")  # fmt: skip

        print("3. gridconnect ingestion")
        tracker = Tracker(directory / "track.db", engine=args.engine)
        seen = {"events": 0, "next": args.report_every}
        start = time.perf_counter()
        print(f"   {0:>9,} events  RSS {rss_mb():7.1f} MB")

        def progress(batch: BatchResult) -> None:
            seen["events"] += batch.received
            if seen["events"] >= seen["next"]:
                seen["next"] += args.report_every
                rate = seen["events"] / (time.perf_counter() - start)
                print(
                    f"   {seen['events']:>9,} events  RSS {rss_mb():7.1f} MB  {rate:,.0f} events/s"
                )

        result = tracker.ingest(
            read_events(stream(args.applications), source="bench"),
            batch_size=args.batch_size,
            on_batch=progress,
        )
        ingest_time = time.perf_counter() - start
        assert result.new == events, (result.new, events)
        assert not result.invalid
        rate = events / ingest_time
        print(f"   {events:,} events in {ingest_time:.1f} s: {rate:,.0f} events/s, "
              f"{result.rejected} rejected")  # fmt: skip
        print(f"   ratio to raw inserts: {ingest_time / raw_time:.1f}x the time "
              f"(generation excluded from both: "
              f"{(ingest_time - generated) / max(raw_time - generated, 1e-9):.1f}x)")  # fmt: skip

        rng = random.Random(args.seed)
        ids = [f"APP-{rng.randrange(args.applications):07d}" for _ in range(args.queries)]
        as_of = FIRST_DAY + timedelta(days=args.applications // PER_DAY // 2)
        latencies = []
        for app in ids:
            t = time.perf_counter()
            tracker.status(app, as_of=as_of)
            latencies.append((time.perf_counter() - t) * 1e6)
        raw = sqlite3.connect(directory / "track.db")
        raw_latencies = []
        for app in ids:
            t = time.perf_counter()
            raw.execute("SELECT data FROM subjects WHERE key = ?", ("a:" + app,)).fetchone()
            raw_latencies.append((time.perf_counter() - t) * 1e6)
        raw.close()
        p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
        r50, r99 = percentile(raw_latencies, 0.5), percentile(raw_latencies, 0.99)
        print(f"4. status of {len(ids):,} random applications as of {as_of}: "
              f"p50 {p50:,.0f} µs, p99 {p99:,.0f} µs "
              f"(raw primary-key read p50 {r50:,.0f} µs, p99 {r99:,.0f} µs: "
              f"{p50 / r50:.0f}x, {p99 / r99:.0f}x)")  # fmt: skip

        t = time.perf_counter()
        report = tracker.report(as_of=as_of)
        elapsed = time.perf_counter() - t
        whole = report.stage("whole_process")
        print(f"5. report over {report.applications:,} applications in {elapsed:.1f} s "
              f"(whole process: {whole.count:,} started, {whole.on_time:,} on time, "
              f"{whole.at_risk:,} at risk, {whole.late:,} late, {whole.untimed:,} untimed; "
              f"median of the done {whole.median_working_days} wd)")  # fmt: skip
        size = sum(f.stat().st_size for f in directory.glob("track.db*"))
        print(f"   store size {size / 2**20:,.0f} MB; RSS at the end {rss_mb():.1f} MB")
        tracker.close()


if __name__ == "__main__":
    main()
