"""Batch evaluation of a corpus file: decisions to JSON Lines, bad rows to a rejects file.

Files of a run writing ``OUTPUT``:

``OUTPUT.partial``
    the decisions so far, one JSON object a line: ``{"line": N, "decision": {...}}``, where N is
    the input line (row) and ``decision`` is :meth:`Decision.to_dict` (without ``trace`` when
    ``trace=False``); with ``compact=True`` the compact form instead
    (:mod:`gridconnect.batch.compact`: each rule set once, before the first line that refers to
    it). Renamed to ``OUTPUT`` only when the run is complete, so a file named ``OUTPUT`` is
    always whole.
``OUTPUT.rejects.jsonl.partial`` -> ``OUTPUT.rejects.jsonl``
    one line per row that was not decided: its line number, the stage (``input``,
    ``evaluation``, ``worker``), the error and its located problems, in English and Chinese.
``OUTPUT.checkpoint.json``
    written (atomically: a temporary file renamed over it) after every chunk: which chunks are
    done, how long the two partial files were then, and the counts so far. ``resume=True``
    truncates the partial files to those lengths (dropping anything written after the last
    checkpoint) and skips the chunks done, so no row is evaluated twice and none is written
    twice. Deleted when the run completes.

Rows are read lazily and at most a few chunks per worker are in flight, so memory stays flat
whatever the size of the input. Results are written in input order.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from gridconnect.batch.formats import KIND_JSON, Format, Row, detect_format, read_rows
from gridconnect.batch.pipeline import Pipeline, make_backend
from gridconnect.batch.scenario import Scenario, registry_for
from gridconnect.batch.work import SUMMARY_SLOTS, BatchChunk, BatchJob, reject_line
from gridconnect.errors import GridconnectError

if TYPE_CHECKING:
    from gridconnect.model.codec import JSONObject

__all__ = ["BatchError", "BatchSummary", "Progress", "chunked", "run_batch"]

CHECKPOINT_VERSION = 1


class BatchError(GridconnectError):
    """A batch cannot start or resume (its files are not what a resume needs)."""


@attrs.frozen
class Progress:
    """How far a run is: rows done (decided or rejected), the share of the input read when it
    is known, and the time since the start of this run."""

    rows: int
    fraction: float | None
    seconds: float
    rows_this_run: int

    @property
    def rate(self) -> float:
        """Rows per second in this run."""
        return self.rows_this_run / self.seconds if self.seconds > 0 else 0.0


@attrs.frozen(kw_only=True)
class BatchSummary:
    """The outcome of a batch: how many rows went where, and what was decided."""

    input: str
    output: str
    rejects: str
    rows: int
    decided: int
    rejected: int
    evaluated: int  # evaluations run in this run (rows of chunks done before a resume excluded)
    resumed: int  # rows a resume found already done
    counts: Mapping[str, Mapping[str, int]]  # slot -> value -> decisions
    stages: Mapping[str, int]  # reject stage -> rejects
    worker_failures: int
    worker_deaths: int
    workers: int
    seconds: float
    notes: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        if self.rows != self.decided + self.rejected:  # not an assert: it must survive -O
            raise BatchError(
                f"counts do not add up: {self.rows} rows in, {self.decided} decided + "
                f"{self.rejected} rejected",
                f"计数不符：输入 {self.rows} 行，决定 {self.decided} + 拒收 {self.rejected}",
            )

    @property
    def rate(self) -> float:
        """Rows per second in this run."""
        done = self.rows - self.resumed
        return done / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> JSONObject:
        data = attrs.asdict(self)
        data["counts"] = {k: dict(v) for k, v in self.counts.items()}
        data["stages"] = dict(self.stages)
        data["notes"] = list(self.notes)
        data["rows_per_second"] = round(self.rate, 1)
        data["seconds"] = round(self.seconds, 3)
        return data


def chunked(rows: Iterator[Row], size: int) -> Iterator[tuple[int, list[Row]]]:
    """Consecutive chunks of ``size`` rows, numbered from 0 (the same chunks for the same input)."""
    index = 0
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield index, chunk
            index += 1
            chunk = []
    if chunk:
        yield index, chunk


def _merge_batch(parts: Sequence[BatchChunk]) -> BatchChunk:
    counts: dict[str, Counter[str]] = {s: Counter() for s in SUMMARY_SLOTS}
    stages: Counter[str] = Counter()
    rule_sets: dict[str, bytes] = {}
    for p in parts:
        for key, record in p.rule_sets:
            rule_sets.setdefault(key, record)
        for slot, values in p.counts.items():
            counts.setdefault(slot, Counter()).update(values)
        stages.update(p.stages)
    return BatchChunk(
        out=b"".join(p.out for p in parts),
        rejects=b"".join(p.rejects for p in parts),
        decided=sum(p.decided for p in parts),
        rejected=sum(p.rejected for p in parts),
        evaluated=sum(p.evaluated for p in parts),
        counts={s: dict(c) for s, c in counts.items()},
        stages=dict(stages),
        notes=tuple(n for p in parts for n in p.notes),
        rule_sets=tuple(rule_sets.items()),
    )


def _failed_row(row: Row, en: str, zh: str) -> BatchChunk:
    return BatchChunk(
        out=b"",
        rejects=reject_line(row[0], "worker", en, zh),
        decided=0,
        rejected=1,
        evaluated=0,
        counts={},
        stages={"worker": 1},
    )


def _ranges(indices: Sequence[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for i in sorted(indices):
        if out and out[-1][1] + 1 == i:
            out[-1][1] = i
        else:
            out.append([i, i])
    return out


def _expand(ranges: Sequence[Sequence[int]]) -> set[int]:
    return {i for a, b in ranges for i in range(a, b + 1)}


class _State:
    """What the checkpoint holds."""

    def __init__(self) -> None:
        self.chunks: set[int] = set()
        self.lines: list[list[int]] = []
        self.out_bytes = 0
        self.rejects_bytes = 0
        self.rows = 0
        self.decided = 0
        self.rejected = 0
        self.evaluated = 0
        self.counts: dict[str, Counter[str]] = {s: Counter() for s in SUMMARY_SLOTS}
        self.stages: Counter[str] = Counter()

    def to_json(self, identity: Mapping[str, Any]) -> str:
        return json.dumps(
            {
                "version": CHECKPOINT_VERSION,
                **identity,
                "chunks": _ranges(sorted(self.chunks)),
                "lines": self.lines,
                "out_bytes": self.out_bytes,
                "rejects_bytes": self.rejects_bytes,
                "rows": self.rows,
                "decided": self.decided,
                "rejected": self.rejected,
                "evaluated": self.evaluated,
                "counts": {k: dict(v) for k, v in self.counts.items()},
                "stages": dict(self.stages),
            },
            ensure_ascii=False,
            indent=1,
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> _State:
        state = cls()
        state.chunks = _expand(data["chunks"])
        state.lines = [list(x) for x in data["lines"]]
        for name in ("out_bytes", "rejects_bytes", "rows", "decided", "rejected", "evaluated"):
            setattr(state, name, int(data[name]))
        state.counts = {k: Counter(v) for k, v in data["counts"].items()}
        state.stages = Counter(data["stages"])
        return state


def _identity(
    source: Path, fmt: Format, scenario: Scenario, chunk_size: int, trace: bool, compact: bool
) -> dict[str, Any]:
    stat = source.stat()
    identity = {
        "input": {
            "path": str(source.resolve()),
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "format": fmt,
        },
        "settings": {
            "chunk_size": chunk_size,
            "trace": trace,
            "scenario": json.loads(json.dumps(attrs.asdict(scenario), default=str)),
        },
    }
    if compact:  # only then: the checkpoints of full runs stay as they were
        identity["settings"]["compact"] = True
    return identity


def _written_rule_sets(path: Path) -> set[str]:
    """The IDs of the rule sets a compact output (cut back to its checkpoint) holds."""
    found: set[str] = set()
    prefix = b'{"rule_set":"'
    with path.open("rb") as f:
        for raw in f:
            if raw.startswith(prefix):
                found.add(raw[len(prefix) : raw.index(b'"', len(prefix))].decode())
    return found


class _Reserve:
    """Reserves disk space ahead of a growing file, in steps, where Linux can
    (``fallocate`` with ``FALLOC_FL_KEEP_SIZE``: the file's size stays what was written, so
    every reader and a resume see exactly the bytes written). The file system then does not
    allocate blocks inside every write, which measured 1.5 to 12 times the cost of the write
    itself on ext4 for the gigabytes a traced batch writes. Anywhere it is not available it
    does nothing. :meth:`release` gives back what was reserved beyond the end."""

    STEP = 256 << 20
    KEEP_SIZE = 1  # FALLOC_FL_KEEP_SIZE

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.reserved = os.fstat(fd).st_size
        self._fallocate: Any = None
        if sys.platform.startswith("linux"):
            try:
                import ctypes
                import ctypes.util

                libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
                self._fallocate = libc.fallocate
                int64 = ctypes.c_int64
                self._fallocate.argtypes = [ctypes.c_int, ctypes.c_int, int64, int64]
            except (OSError, AttributeError):  # no libc, or no fallocate in it
                self._fallocate = None

    def ensure(self, size: int) -> None:
        """Make sure the space up to ``size`` bytes is reserved."""
        if self._fallocate is None or size <= self.reserved:
            return
        step = max(self.STEP, size - self.reserved)
        if self._fallocate(self.fd, self.KEEP_SIZE, self.reserved, step) != 0:
            self._fallocate = None  # the file system does not support it: plain writes
            return
        self.reserved += step

    def release(self) -> None:
        """Give back the reserved space beyond the end of the file."""
        size = os.fstat(self.fd).st_size
        if self.reserved > size:
            os.ftruncate(self.fd, size)  # frees the blocks beyond the end; the size stays


def _write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` in one step (a reader sees the old or the new text, never a mix). Not
    synced to disk: that would stall every chunk behind the output's writeback; a checkpoint
    that outlived its data in a power cut is caught on resume (the files are shorter)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def run_batch(
    source: str | Path,
    output: str | Path,
    *,
    scenario: Scenario | None = None,
    fmt: str | None = None,
    workers: int | None = None,
    chunk_size: int = 500,
    resume: bool = False,
    trace: bool = True,
    fast: bool = True,
    compact: bool = False,
    scheduler: object = None,
    progress: Callable[[Progress], None] | None = None,
    on_failure: Callable[[str], None] | None = None,
) -> BatchSummary:
    """Evaluate every row of ``source`` and write the decisions to ``output``.

    ``workers`` worker processes (default: one per core; 0: in this process, no crash
    containment) evaluate chunks of ``chunk_size`` rows; ``scheduler`` runs them on Dask instead
    (``"local"`` for a local cluster, an address, or a ``distributed.Client``). ``resume``
    continues an interrupted run from its checkpoint. ``progress`` is called after every chunk,
    ``on_failure`` with a message when a worker dies or a task fails. ``fast=False`` parses
    with the codec alone (see ``gridconnect.batch.fastparse``). ``compact=True`` writes the
    compact form (:mod:`gridconnect.batch.compact`): each combination of matched rules once, as
    a rule set record, and per line only the application's own part; read it back with
    :func:`~gridconnect.batch.read_decisions`.

    Raises :class:`BatchError` if a resume does not match the interrupted run, and the scenario's
    own errors (an unknown parameter, a rules file that does not load) before any row is read.
    """
    source = Path(source)
    output = Path(output)
    scenario = scenario or Scenario()
    form = detect_format(source, fmt)
    registry_for(scenario)  # fail early, in this process, on a scenario that cannot load
    partial = output.with_name(output.name + ".partial")
    rejects = output.with_name(output.name + ".rejects.jsonl")
    rejects_partial = rejects.with_name(rejects.name + ".partial")
    checkpoint = output.with_name(output.name + ".checkpoint.json")
    identity = _identity(source, form, scenario, chunk_size, trace, compact)
    written: set[str] = set()  # the rule sets in the output so far (compact)

    state = _State()
    if resume and checkpoint.exists():
        data = json.loads(checkpoint.read_text(encoding="utf-8"))
        for key in ("input", "settings"):
            if data.get("version") != CHECKPOINT_VERSION or data.get(key) != identity[key]:
                raise BatchError(
                    f"the checkpoint is of another run ({key} differs): start again without resume",
                    f"检查点属于另一次运行（{key} 不同）：请不带 --resume 重新开始",
                )
        state = _State.from_json(data)
        for path, size in ((partial, state.out_bytes), (rejects_partial, state.rejects_bytes)):
            if not path.exists() or path.stat().st_size < size:
                raise BatchError(
                    f"{path.name} is shorter than the checkpoint says: start again without resume",
                    f"{path.name} 比检查点记录的短：请不带 --resume 重新开始",
                )
            with path.open("r+b") as stale:
                stale.truncate(size)
        if compact:
            written = _written_rule_sets(partial)
    else:
        for path in (partial, rejects_partial, checkpoint):
            path.unlink(missing_ok=True)
        partial.touch()
        rejects_partial.touch()

    resumed = state.rows
    evaluated_before = state.evaluated
    size = identity["input"]["size"]
    consumed = 0
    start = time.monotonic()
    notes: list[str] = []

    def chunks() -> Iterator[tuple[int, list[Row]]]:
        nonlocal consumed
        for index, rows in chunked(read_rows(source, form), chunk_size):
            if index in state.chunks:
                consumed += sum(len(r[2]) for r in rows if r[1] == KIND_JSON)
                continue
            yield index, rows

    backend = make_backend(workers, scheduler)
    pipeline = Pipeline(
        backend,
        BatchJob(scenario, trace, fast, compact),
        merge=_merge_batch,
        failed_row=_failed_row,
        on_failure=on_failure,
    )
    try:
        with partial.open("ab") as out_f, rejects_partial.open("ab") as rej_f:
            reserve = _Reserve(out_f.fileno())

            def sink(index: int, rows: Sequence[Row], result: BatchChunk) -> None:
                nonlocal consumed
                new = [r for k, r in result.rule_sets if k not in written]
                written.update(k for k, _ in result.rule_sets)
                out = b"".join(new) + result.out if new else result.out
                reserve.ensure(state.out_bytes + len(out))
                out_f.write(out)
                rej_f.write(result.rejects)
                out_f.flush()
                rej_f.flush()
                if state.lines and index - 1 in state.chunks:
                    state.lines[-1][1] = rows[-1][0]
                else:
                    state.lines.append([rows[0][0], rows[-1][0]])
                state.chunks.add(index)
                state.out_bytes += len(out)
                state.rejects_bytes += len(result.rejects)
                state.rows += len(rows)
                state.decided += result.decided
                state.rejected += result.rejected
                state.evaluated += result.evaluated
                for slot, values in result.counts.items():
                    state.counts.setdefault(slot, Counter()).update(values)
                state.stages.update(result.stages)
                notes.extend(n for n in result.notes if n not in notes)
                _write_atomic(checkpoint, state.to_json(identity))
                consumed += sum(len(r[2]) for r in rows if r[1] == KIND_JSON)
                if progress is not None:
                    fraction = min(1.0, consumed / size) if form == "jsonl" and size else None
                    progress(
                        Progress(
                            rows=state.rows,
                            fraction=fraction,
                            seconds=time.monotonic() - start,
                            rows_this_run=state.rows - resumed,
                        )
                    )

            try:
                pipeline.run(chunks(), sink)
            finally:  # whole or interrupted, the file keeps no reserved space beyond its end
                out_f.flush()
                reserve.release()
            for done in (out_f, rej_f):
                done.flush()
                os.fsync(done.fileno())
    finally:
        backend.close()

    summary = BatchSummary(
        input=str(source),
        output=str(output),
        rejects=str(rejects),
        rows=state.rows,
        decided=state.decided,
        rejected=state.rejected,
        evaluated=state.evaluated - evaluated_before,
        resumed=resumed,
        counts={k: dict(v) for k, v in state.counts.items()},
        stages=dict(state.stages),
        worker_failures=pipeline.failures,
        worker_deaths=pipeline.deaths,
        workers=backend.workers,
        seconds=time.monotonic() - start,
        notes=tuple(notes),
    )
    # Complete: the rejects first, the output last (its name is the sign of a finished run).
    os.replace(rejects_partial, rejects)
    os.replace(partial, output)
    checkpoint.unlink(missing_ok=True)
    return summary
