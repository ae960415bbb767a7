"""Benchmark: a million synthetic Guangzhou applications through ``gridconnect batch``.

Run with ``python bench/bench_batch.py`` (``--n`` for another size, ``--help`` for the rest).
This is a script, not a test. In one run it

1. writes a synthetic corpus of ``--n`` applications sited in Guangzhou (``--divisions 4401``,
   seed 1; :mod:`gridconnect.batch.corpus`), and times that;
2. runs the whole corpus with the reference engine on every core (``--workers``, default one
   per core) in each of ``--modes`` (default all three): ``compact`` (the trace in the compact
   form, :mod:`gridconnect.batch.compact`), ``trace`` (the full trace) and ``no-trace``;
3. measures single-process throughput of the reference engine on ``--sample`` rows of it
   (``workers=0``: parse, evaluate, serialise and write in this process) just before and just
   after each of those runs, after a warm-up run, so the rate is the steady one (a worker
   builds its rulebooks once, which a million rows make negligible). The speed-up of a run on
   every core is over the mean of the two, because this shared machine's speed drifts by a
   third within minutes; every run also prints the machine's speed just before and after it
   (``machine_speed``: a fixed Python loop, iterations per microsecond) to show the drift;
4. for each of those, runs ``--workers`` independent single-process batches of the sample at
   the same time, sharing nothing: their summed rate over one process's is the most that many
   cores of this machine give this workload without any pipeline, the ceiling of the speed-up
   (with the trace, the output's volume makes it well below the number of cores);
5. runs the durable engine on ``--durable-sample`` rows on every core, and extrapolates its time
   for the whole corpus (printed as an extrapolation);

and prints, for each run, applications per second, the speed-up over the single-process rate,
wall time, output size and the peak resident memory of this (parent) process and of the largest
worker process. The targets are printed beside the figures: a million in under two minutes with
the faster engine, peak memory under 1 GB, at least 1.7x single-process throughput on 2 cores,
and for the compact trace: a million in under 60 s and an output at least 3 times smaller than
the full trace's (compared on the single-process sample, the same rows in both forms).

The machine's other load is measured too (CPU time used by processes other than the
benchmark's, from ``/proc/stat``), because on a shared machine it changes the figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

try:
    import gridconnect.batch  # noqa: F401
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from gridconnect.batch import Scenario, run_batch, write_corpus
from gridconnect.batch.formats import read_rows, write_records
from gridconnect.batch.run import chunked


def _cpu_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _own_cpu() -> float:
    """CPU seconds used by this process and its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _mib(kib: int) -> float:
    return kib / 1024


def _machine_speed() -> float:
    """Loop iterations per microsecond of a fixed pure-Python loop, best of five: how fast
    this shared machine runs Python right now (it drifts by a third within minutes)."""
    best = 0.0
    for _ in range(5):
        start = time.perf_counter()
        total = 0
        for i in range(2_000_000):
            total += i
        best = max(best, 2.0 / (time.perf_counter() - start))
    return best


def _run(label: str, source: Path, out_dir: Path, **options: Any) -> dict[str, Any]:
    out = out_dir / f"{label}.jsonl"
    speed0 = _machine_speed()
    busy0, total0 = _cpu_jiffies()
    cpu0 = _own_cpu()
    start = time.perf_counter()
    summary = run_batch(source, out, **options)
    seconds = time.perf_counter() - start
    busy1, total1 = _cpu_jiffies()
    hz = os.sysconf("SC_CLK_TCK")
    machine_busy = (busy1 - busy0) / hz
    ours = _own_cpu() - cpu0
    rate = summary.rows / seconds
    speed = (speed0 + _machine_speed()) / 2
    result = {
        "run": label,
        "rows": summary.rows,
        "decided": summary.decided,
        "rejected": summary.rejected,
        "workers": summary.workers,
        "seconds": round(seconds, 1),
        "rows_per_second": round(rate),
        "speedup_vs_single_process": None,  # set by the caller for runs on every core
        "output_bytes": out.stat().st_size,
        "peak_rss_parent_mib": round(_mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)),
        "peak_rss_largest_worker_mib": round(
            _mib(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        ),
        "cpu_seconds_ours": round(ours, 1),
        "cpu_seconds_others": round(max(0.0, machine_busy - ours), 1),
        "cpu_capacity_seconds": round((total1 - total0) / hz, 1),
        "machine_speed": round(speed, 3),  # _machine_speed(), mean of before and after
    }
    out.unlink()
    Path(summary.rejects).unlink(missing_ok=True)
    print(json.dumps(result), flush=True)
    return result


MODES: dict[str, dict[str, bool]] = {
    "compact": {"trace": True, "compact": True},
    "trace": {"trace": True},
    "no-trace": {"trace": False},
}


def _alone(source: Path, out: Path, mode: str, barrier: Any, rates: Any, i: int) -> None:
    """One of the independent processes of ``_ceiling``: warm up, wait for the other, run."""
    scenario = Scenario(engine="reference")
    run_batch(source, out, scenario=scenario, workers=0, **MODES[mode])
    barrier.wait()
    start = time.perf_counter()
    summary = run_batch(source, out, scenario=scenario, workers=0, **MODES[mode])
    rates[i] = summary.rows / (time.perf_counter() - start)


def _ceiling(source: Path, work: Path, mode: str, n: int) -> dict[str, Any]:
    """``n`` independent single-process batches over the same rows at the same time, nothing
    shared between them: the most ``n`` cores of this machine give this workload, with no
    pipeline at all. Their summed rate over one of them alone is the speed-up ceiling."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(n)
    rates = ctx.Array("d", n)
    procs = [
        ctx.Process(
            target=_alone, args=(source, work / f"alone-{i}.jsonl", mode, barrier, rates, i)
        )
        for i in range(n)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join()
    for leftover in work.glob("alone-*"):
        leftover.unlink()
    return {"processes": n, "rows_per_second_each": [round(r) for r in rates]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="corpus size")
    parser.add_argument("--sample", type=int, default=100_000, help="single-process sample")
    parser.add_argument("--durable-sample", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--chunk-size", type=int, default=500)
    parser.add_argument(
        "--modes", default="compact,trace,no-trace", help="comma-separated: " + ", ".join(MODES)
    )
    parser.add_argument("--skip-no-trace", action="store_true", help="leave no-trace out")
    parser.add_argument("--dir", default=None, help="working directory (default: a temporary one)")
    args = parser.parse_args(argv)

    work = Path(args.dir or tempfile.mkdtemp(prefix="gridconnect-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        print(f"# cores: {os.cpu_count()}, workers: {args.workers}, n: {args.n:,}", flush=True)
        corpus = work / "corpus.jsonl"
        start = time.perf_counter()
        write_corpus(corpus, args.n, seed=1, divisions="4401")
        print(
            json.dumps(
                {
                    "run": "corpus",
                    "rows": args.n,
                    "seconds": round(time.perf_counter() - start, 1),
                    "bytes": corpus.stat().st_size,
                }
            ),
            flush=True,
        )

        def sample(name: str, n: int) -> Path:
            path = work / name
            rows = next(chunked(read_rows(corpus, "jsonl"), n))[1]
            write_records(path, [r[2].decode("utf-8") for r in rows])
            return path

        reference = Scenario(engine="reference")
        single_source = sample("single.jsonl", args.sample)
        # Warm up this process (rulebooks built, matchers compiled, caches filled) so the
        # single-process rate is the steady rate the workers reach over a million rows.
        run_batch(single_source, work / "warm-up.jsonl", scenario=reference, workers=0)
        for leftover in work.glob("warm-up.jsonl*"):
            leftover.unlink()
        results = []
        modes = [m.strip() for m in args.modes.split(",") if m.strip()]
        if args.skip_no_trace:
            modes = [m for m in modes if m != "no-trace"]
        sample_bytes: dict[str, int] = {}
        all_cores: dict[str, dict[str, Any]] = {}
        for mode in modes:

            def single(when: str, mode: str = mode) -> dict[str, Any]:
                return _run(
                    f"reference-single-process-{mode}-{when}", single_source, work,
                    scenario=reference, workers=0, **MODES[mode],
                )  # fmt: skip

            # The machine's speed drifts (it is shared), so the single-process rate is taken
            # just before and just after the run on every core, and their mean is the baseline.
            before = single("before")
            everything = _run(
                f"reference-all-cores-{mode}", corpus, work, scenario=reference,
                workers=args.workers, chunk_size=args.chunk_size, **MODES[mode],
            )  # fmt: skip
            sample_bytes[mode] = before["output_bytes"]
            all_cores[mode] = everything
            after = single("after")
            baseline = (before["rows_per_second"] + after["rows_per_second"]) / 2
            speedup = everything["rows_per_second"] / baseline
            everything["speedup_vs_single_process"] = round(speedup, 2)
            print(
                json.dumps(
                    {
                        "run": f"reference-all-cores-{mode}",
                        "single_process_rows_per_second": round(baseline),
                        "speedup_vs_single_process": round(speedup, 2),
                    }
                ),
                flush=True,
            )
            results += [before, everything, after]
            ceiling = _ceiling(single_source, work, mode, args.workers)
            alone = sum(ceiling["rows_per_second_each"]) / baseline
            print(
                json.dumps(
                    {
                        "run": f"independent-processes-{mode}",
                        **ceiling,
                        "together_vs_single_process": round(alone, 2),
                    }
                ),
                flush=True,
            )
        durable_source = sample("durable.jsonl", args.durable_sample)
        durable = _run(
            "durable-all-cores-trace-sample", durable_source, work,
            scenario=Scenario(engine="durable"), workers=args.workers,
            chunk_size=args.chunk_size,
        )  # fmt: skip
        durable["extrapolated_seconds_for_n"] = round(args.n / durable["rows_per_second"])
        results.append(durable)
        print(
            f"# durable: EXTRAPOLATED from {args.durable_sample:,} rows: "
            f"{args.n:,} rows would take about {durable['extrapolated_seconds_for_n']:,} s",
            flush=True,
        )
        print("# targets:", flush=True)
        for mode, limit in (("trace", 120), ("compact", 60)):
            if mode in all_cores:
                best = all_cores[mode]
                print(
                    f"#   {args.n:,} in < {limit} s (reference, {mode}): {best['seconds']} s "
                    f"-> {'met' if best['seconds'] < limit else 'MISSED'}",
                    flush=True,
                )
        if "trace" in sample_bytes and "compact" in sample_bytes:
            ratio = sample_bytes["trace"] / sample_bytes["compact"]
            print(
                f"#   compact trace >= 3x smaller than the full trace ({args.sample:,} rows): "
                f"{sample_bytes['trace']:,} / {sample_bytes['compact']:,} bytes = {ratio:.1f}x "
                f"-> {'met' if ratio >= 3 else 'MISSED'}",
                flush=True,
            )
        peak = max(max(r["peak_rss_parent_mib"], r["peak_rss_largest_worker_mib"]) for r in results)
        print(f"#   peak memory < 1024 MiB: {peak} MiB -> {'met' if peak < 1024 else 'MISSED'}")
        for r in results:
            speedup = r["speedup_vs_single_process"]
            if speedup is not None and r["workers"]:
                verdict = "met" if speedup >= 1.7 else "MISSED"
                print(f"#   >= 1.7x single process ({r['run']}): {speedup}x -> {verdict}")
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
