"""Batch evaluation: the counts add up, bad rows are rejected with their line, decisions are
those of :func:`gridconnect.evaluate`, runs resume without re-evaluating, an interrupted run
leaves nothing that looks complete, and a worker that dies costs one row, not the run."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gridconnect.batch import Progress, Scenario, iter_corpus, run_batch, write_corpus
from gridconnect.batch.formats import write_records
from gridconnect.decide.evaluate import evaluate
from gridconnect.model.application import Application
from gridconnect.model.codec import MAX_INPUT_BYTES, loads

REFERENCE = Scenario(engine="reference")

_OBSERVER = '''"""Test-only plugin module: watches the batch read each row in this process
(sys.setprofile: gridconnect.batch.work.parse_row returning an application, once per row a task
evaluates), logs the application's id to LOG/<pid>.log and, for the application KILL, kills the
process with SIGKILL as a native crash would."""

import os
import signal
import sys
from pathlib import Path

import gridconnect.batch.work

LOG = {log!r}
KILL = {kill!r}
_PARSE = gridconnect.batch.work.parse_row.__code__


def _watch(frame, event, arg):
    if event != "return" or frame.f_code is not _PARSE or arg is None:
        return
    app = arg
    if LOG is not None:
        with (Path(LOG) / f"{{os.getpid()}}.log").open("a") as f:
            f.write(app.id + "\\n")
    if app.id == KILL:
        os.kill(os.getpid(), signal.SIGKILL)


sys.setprofile(_watch)
'''


@pytest.fixture
def observed(tmp_path: Path) -> Iterator[Callable[..., Scenario]]:
    """A reference scenario with the observer plugin, which sees every evaluation in whichever
    process it runs: ``observed(log=dir, kill=application_id)``."""
    made = 0

    def scenario(log: Path | None = None, kill: str | None = None) -> Scenario:
        nonlocal made
        made += 1
        plugin = tmp_path / f"observer_{made}.py"
        plugin.write_text(_OBSERVER.format(log=log and str(log), kill=kill), encoding="utf-8")
        return Scenario(engine="reference", rules=[str(plugin)], environment=False)

    yield scenario
    sys.setprofile(None)  # the run's own process loaded it too (to check the scenario)


def _evaluated(log: Path, ids: dict[str, int]) -> list[int]:
    """The input lines the observer saw evaluated, in every process."""
    return [ids[i] for f in log.iterdir() for i in f.read_text().split()]


def _ids(source: Path) -> dict[str, int]:
    """Application id -> input line, for the rows that have one."""
    found = {}
    for n, text in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            found[json.loads(text)["id"]] = n
        except (ValueError, KeyError, TypeError):
            continue
    return found


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@pytest.fixture
def messy(tmp_path: Path) -> tuple[Path, dict[int, str]]:
    """A JSON Lines corpus with blank lines and bad rows of several kinds, and the line number
    of each bad row with the JSON path its problem is at."""
    good: Iterator[Any] = iter(iter_corpus(60, seed=11, divisions="4401"))
    lines: list[str] = []
    bad: dict[int, str] = {}

    def add(text: str, problem: str | None = None) -> None:
        lines.append(text)
        if problem is not None:
            bad[len(lines)] = problem

    for n in range(60):
        app = next(good)
        if n == 5:
            app["capacity"]["value"] = -3
            add(json.dumps(app, ensure_ascii=False), "$.capacity.value")
        elif n == 12:
            add(json.dumps(app, ensure_ascii=False)[:-1], "line 1 column")  # not JSON
        elif n == 20:
            del app["site"]
            add(json.dumps(app, ensure_ascii=False), "$.site")
        elif n == 31:
            add("x" * (MAX_INPUT_BYTES + 10), "$")  # too large to read
        elif n == 40:
            app["capacity"] = {"value": 630, "unit": "kVA"}  # no power factor: decided, asks
            app.pop("power_factor", None)
            app["voltage"] = None
            app["service"] = "new_connection"  # a transfer decides no supply, so asks nothing
            add(json.dumps(app, ensure_ascii=False))
        else:
            add(json.dumps(app, ensure_ascii=False))
        if n in (9, 50):
            add("   ")  # blank lines are not rows
    path = tmp_path / "messy.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, bad


def test_counts_add_up_and_bad_rows_go_to_rejects_with_their_line_numbers(
    messy: tuple[Path, dict[int, str]], tmp_path: Path
) -> None:
    source, bad = messy
    out = tmp_path / "out.jsonl"
    summary = run_batch(source, out, scenario=REFERENCE, workers=2, chunk_size=7)
    assert summary.rows == 60
    assert summary.rows == summary.decided + summary.rejected
    assert summary.rejected == len(bad)
    rejects = {r["line"]: r for r in _lines(Path(summary.rejects))}
    assert set(rejects) == set(bad)
    for line, where in bad.items():
        record = rejects[line]
        assert record["error"]["en"]
        assert record["error"]["zh"]
        assert record["stage"] == "input"
        assert where in record["problems"][0]["path"]
        assert all(p["en"] and p["zh"] for p in record["problems"])
    decided = _lines(out)
    # the kVA row without a power factor is decided, and asks for the power factor
    (asking,) = [d for d in decided if d["decision"]["questions"]]
    assert [q["path"] for q in asking["decision"]["questions"]] == ["power_factor"]
    assert [d["line"] for d in decided] == sorted(d["line"] for d in decided)
    assert len(decided) == summary.decided == len({d["line"] for d in decided})
    assert not set(d["line"] for d in decided) & set(bad)
    assert not (tmp_path / "out.jsonl.partial").exists()
    assert not (tmp_path / "out.jsonl.checkpoint.json").exists()
    assert sum(summary.counts["track"].values()) == summary.decided


def test_each_output_line_is_the_decision_evaluate_gives(
    messy: tuple[Path, dict[int, str]], tmp_path: Path
) -> None:
    source, _ = messy
    out = tmp_path / "out.jsonl"
    run_batch(source, out, scenario=REFERENCE, workers=0, chunk_size=9)
    raw = source.read_bytes().splitlines()
    for line in out.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        app = loads(raw[record["line"] - 1], Application)
        expected = _dumps(evaluate(app, engine="reference").to_dict())
        assert line == f'{{"line":{record["line"]},"decision":{expected}}}'


def test_without_trace_the_decision_is_to_dict_without_trace(tmp_path: Path) -> None:
    apps = list(iter_corpus(30, seed=2))
    source = tmp_path / "c.jsonl"
    write_records(source, apps)
    out = tmp_path / "out.jsonl"
    run_batch(source, out, scenario=REFERENCE, workers=0, trace=False)
    for record, app in zip(_lines(out), apps, strict=True):
        assert isinstance(app, dict)
        expected = evaluate(loads(json.dumps(app), Application), engine="reference").to_dict()
        del expected["trace"]
        assert record["decision"] == expected


def test_resume_does_not_re_evaluate_finished_rows(
    tmp_path: Path, observed: Callable[..., Scenario]
) -> None:
    source = tmp_path / "c.jsonl"
    write_corpus(source, 100, seed=4, divisions="4406", invalid=0.05)
    ids = _ids(source)
    log = tmp_path / "log"
    log.mkdir()
    scenario = observed(log=log)
    out = tmp_path / "out.jsonl"

    def stop_after_three_chunks(p: Progress) -> None:
        if p.rows >= 30:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(
            source,
            out,
            scenario=scenario,
            workers=0,
            chunk_size=10,
            progress=stop_after_three_chunks,
        )
    assert not out.exists()
    first = set(_evaluated(log, ids))
    checkpoint = json.loads((tmp_path / "out.jsonl.checkpoint.json").read_text())
    assert checkpoint["chunks"] == [[0, 2]]
    assert checkpoint["lines"] == [[1, 30]]
    finished = {n for n in first if n <= 30}  # evaluated and checkpointed
    assert finished
    for f in log.iterdir():
        f.unlink()

    summary = run_batch(source, out, scenario=scenario, workers=0, chunk_size=10, resume=True)
    second = _evaluated(log, ids)
    assert not finished & set(second), "a row finished before the interruption was evaluated again"
    assert len(second) == len(set(second)) == summary.evaluated
    assert min(second) > 30
    assert summary.resumed == 30
    assert summary.rows == 100 == summary.decided + summary.rejected
    lines = [r["line"] for r in _lines(out)] + [r["line"] for r in _lines(Path(summary.rejects))]
    assert sorted(lines) == list(range(1, 101))


def test_resume_refuses_a_checkpoint_of_another_input(tmp_path: Path) -> None:
    from gridconnect.batch import BatchError

    source = tmp_path / "c.jsonl"
    write_corpus(source, 30, seed=4)
    out = tmp_path / "out.jsonl"

    def stop(p: Progress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(source, out, scenario=REFERENCE, workers=0, chunk_size=10, progress=stop)
    write_corpus(source, 31, seed=4)
    with pytest.raises(BatchError, match="another run"):
        run_batch(source, out, scenario=REFERENCE, workers=0, chunk_size=10, resume=True)


@pytest.mark.slow
def test_a_killed_run_leaves_no_complete_looking_output_and_resumes(tmp_path: Path) -> None:
    source = tmp_path / "c.jsonl"
    rows = 3000
    write_corpus(source, rows, seed=5, divisions="4401")
    out = tmp_path / "out.jsonl"
    command = [
        sys.executable, "-m", "gridconnect.cli", "batch", str(source), "--out", str(out),
        "--engine", "reference", "--workers", "2", "--chunk-size", "50",
    ]  # fmt: skip
    checkpoint = tmp_path / "out.jsonl.checkpoint.json"
    # The progress line is drawn right after each checkpoint is written: its first bytes on the
    # pipe say the first checkpoint is on disk (60 chunks to go: the run is still going).
    with subprocess.Popen(
        [*command, "--progress"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as run:
        assert run.stderr is not None
        ready, _, _ = select.select([run.stderr], [], [], 120)
        assert ready, "no progress in 120 s"
        assert b"rows" in os.read(run.stderr.fileno(), 4096)
        assert run.poll() is None, "the run finished before it could be killed"
        run.send_signal(signal.SIGKILL)  # no chance to tidy up
        run.wait()
    assert not out.exists(), "a killed run must not leave OUTPUT"
    assert (tmp_path / "out.jsonl.partial").exists()
    done = json.loads(checkpoint.read_text())
    assert 0 < done["rows"] < rows

    resumed = subprocess.run(
        [*command, "--no-progress", "--resume", "--format", "json"], capture_output=True
    )
    assert resumed.returncode == 0, resumed.stderr.decode()
    summary = json.loads(resumed.stdout)
    assert summary["resumed"] == done["rows"]
    assert summary["evaluated"] == rows - done["rows"]
    records = _lines(out)  # every line whole
    assert [r["line"] for r in records] == list(range(1, rows + 1))
    assert not (tmp_path / "out.jsonl.partial").exists()


@pytest.mark.slow
def test_a_dying_worker_is_reported_its_rows_retried_once_then_the_culprit_rejected(
    tmp_path: Path, observed: Callable[..., Scenario]
) -> None:
    apps = list(iter_corpus(40, seed=6, divisions="4401"))
    source = tmp_path / "c.jsonl"
    write_records(source, apps)
    culprit = 17
    victim = apps[culprit - 1]
    assert isinstance(victim, dict)
    scenario = observed(kill=victim["id"])  # the worker SIGKILLs itself on this row
    messages: list[str] = []
    summary = run_batch(
        source, tmp_path / "out.jsonl", scenario=scenario, workers=2, chunk_size=8,
        on_failure=messages.append,
    )  # fmt: skip
    assert summary.worker_deaths == 2  # once with its chunk, once alone
    assert summary.rows == 40 == summary.decided + summary.rejected
    assert summary.rejected == 1
    (reject,) = _lines(Path(summary.rejects))
    assert reject["line"] == culprit
    assert reject["stage"] == "worker"
    assert "SIGKILL" in reject["error"]["en"]
    assert "SIGKILL" in reject["error"]["zh"]
    decided = [r["line"] for r in _lines(tmp_path / "out.jsonl")]
    assert decided == [n for n in range(1, 41) if n != culprit]  # the chunk's other rows too
    assert "retrying its 8 rows (lines 17-24)" in messages[0]
    assert "again on line 17 alone" in messages[1]


@pytest.mark.slow
def test_the_default_engine_runs_in_worker_processes(tmp_path: Path) -> None:
    source = tmp_path / "c.jsonl"
    write_corpus(source, 40, seed=8, divisions="4419")
    out = tmp_path / "out.jsonl"
    summary = run_batch(source, out, workers=2, chunk_size=20)
    assert summary.decided == 40
    assert {r["decision"]["engine"] for r in _lines(out)} == {"durable"}


def test_a_scenario_that_cannot_load_fails_before_any_row(tmp_path: Path) -> None:
    from gridconnect.errors import RuleDataError

    source = tmp_path / "c.jsonl"
    write_corpus(source, 5, seed=1)
    bad = Scenario(parameters={"guangzhou.no_such_parameter": 1})
    with pytest.raises(RuleDataError, match="unknown parameter"):
        run_batch(source, tmp_path / "out.jsonl", scenario=bad, workers=0)
    assert not (tmp_path / "out.jsonl.partial").exists()


@pytest.mark.slow
@pytest.mark.skipif(os.cpu_count() == 1, reason="needs two cores")
def test_workers_are_separate_processes(tmp_path: Path, observed: Callable[..., Scenario]) -> None:
    log = tmp_path / "log"
    log.mkdir()
    source = tmp_path / "c.jsonl"
    write_corpus(source, 40, seed=9)
    scenario = observed(log=log)
    run_batch(source, tmp_path / "out.jsonl", scenario=scenario, workers=2, chunk_size=5)
    assert sorted(_evaluated(log, _ids(source))) == list(range(1, 41))  # each row once
    pids = {int(f.stem) for f in log.iterdir()}
    assert os.getpid() not in pids
    assert 1 <= len(pids) <= 2  # which idle worker takes a task is the pool's choice


@pytest.mark.slow
def test_workers_that_cannot_start_stop_the_run_with_the_reason(tmp_path: Path) -> None:
    """A spawned worker re-imports the main module; from standard input it cannot, and dies
    before its first task. That is no row's fault: the run stops at once with a
    WorkerStartError saying what to do, instead of blaming (and rejecting) every row."""
    source = tmp_path / "c.jsonl"
    write_corpus(source, 30, seed=3)
    script = f"""
from pathlib import Path
from gridconnect.batch import Scenario, WorkerStartError, run_batch
try:
    run_batch(Path({str(source)!r}), Path({str(tmp_path / "out.jsonl")!r}),
              scenario=Scenario(engine="reference"), workers=2, chunk_size=10)
except WorkerStartError as error:
    print("STOPPED", error.en)
"""
    done = subprocess.run(
        [sys.executable, "-"], input=script, capture_output=True, text=True, timeout=120
    )
    assert "STOPPED" in done.stdout, done.stderr[-2000:]
    assert "before it could start" in done.stdout
    assert "workers=0" in done.stdout
    assert not (tmp_path / "out.jsonl").exists()  # nothing that looks complete
    assert (tmp_path / "out.jsonl.partial").stat().st_size == 0


def test_space_reserved_ahead_of_the_output_never_shows_and_is_given_back(tmp_path: Path) -> None:
    from gridconnect.batch.run import _Reserve

    path = tmp_path / "grow.bin"
    with path.open("ab") as f:
        reserve = _Reserve(f.fileno())
        for _ in range(3):
            reserve.ensure(f.tell() + 1000)
            f.write(b"x" * 1000)
            f.flush()
            assert path.stat().st_size == f.tell()  # readers see exactly what was written
        if reserve.reserved > f.tell():  # the file system took the reservation
            assert path.stat().st_blocks * 512 >= _Reserve.STEP
        reserve.release()
    assert path.read_bytes() == b"x" * 3000
    assert path.stat().st_blocks * 512 < 1 << 20  # the 256 MiB step was given back

    source = tmp_path / "c.jsonl"
    write_corpus(source, 30, seed=4)
    out = tmp_path / "out.jsonl"
    run_batch(source, out, scenario=REFERENCE, workers=0)
    assert out.stat().st_blocks * 512 < out.stat().st_size + (1 << 20)
