"""Chunks of rows out to worker processes and results back in order, surviving dead workers.

A :class:`Backend` runs tasks somewhere: :class:`InlineBackend` in this process (no crash
containment; for tests, docs and debugging), :class:`ProcessBackend` in local worker processes
(a :class:`pebble.ProcessPool` of ``spawn``ed processes, one task at a time each),
:class:`DaskBackend` on a Dask cluster.

:class:`Pipeline` keeps a bounded window of chunks in flight (memory does not grow with the
input), hands each chunk's result to a *sink* strictly in input order (so outputs are
deterministic and a checkpoint is a prefix), and when a task fails because its worker died, it
reports the death and retries the chunk's rows one at a time; a row whose retry fails too is
given to the job as failed, with both reasons, and the run goes on.
"""

from __future__ import annotations

import collections
import concurrent.futures
import concurrent.futures.process
import importlib
import multiprocessing
import os
import signal
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import attrs
import pebble

from gridconnect.batch.formats import Row
from gridconnect.batch.work import BatchJob, CompareJob, run_task
from gridconnect.errors import GridconnectError

__all__ = [
    "Backend",
    "DaskBackend",
    "Done",
    "Failed",
    "InlineBackend",
    "Pipeline",
    "ProcessBackend",
    "WorkerStartError",
    "make_backend",
]

Job = BatchJob | CompareJob
Key = tuple[int, int | None]  # (chunk index, None for the whole chunk or the row's position)


@attrs.frozen
class Done:
    key: Key
    result: Any


@attrs.frozen
class Failed:
    key: Key
    en: str
    zh: str
    died: bool  # the worker process died (True) or the task raised (False)


class Backend(Protocol):
    """Somewhere to run tasks: ``slots`` of them at once."""

    slots: int
    workers: int  # processes (or Dask threads) evaluating

    def submit(self, key: Key, job: Job, rows: Sequence[Row]) -> None: ...

    def wait(self) -> list[Done | Failed]: ...

    def close(self) -> None: ...


class InlineBackend:
    """Runs each task at once in this process."""

    slots = 1
    workers = 0

    def __init__(self) -> None:
        self._ready: list[Done | Failed] = []

    def submit(self, key: Key, job: Job, rows: Sequence[Row]) -> None:
        try:
            self._ready.append(Done(key, run_task(job, rows)))
        except Exception as error:  # reported like a failed worker task
            self._ready.append(Failed(key, f"{type(error).__name__}: {error}", "任务出错", False))

    def wait(self) -> list[Done | Failed]:
        ready: list[Done | Failed] = list(self._ready)
        self._ready = []
        return ready

    def close(self) -> None:
        self._ready = []


# -- local worker processes -------------------------------------------------------------------


class WorkerStartError(GridconnectError):
    """Worker processes die before they can take a task, so no row can be evaluated."""


def _death(code: int | None, pid: int | None) -> tuple[str, str]:
    """What a worker's exit status says, in English and Chinese."""
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return (
            f"worker process {pid} died (signal {name})",
            f"工作进程 {pid} 意外终止（信号 {name}）",
        )
    return (
        f"worker process {pid} died (exit status {code})",
        f"工作进程 {pid} 意外退出（退出码 {code}）",
    )


def _start_error(reason: object) -> WorkerStartError:
    return WorkerStartError(
        f"worker processes died before it could start a task ({reason}). A worker process "
        "imports the main module again (multiprocessing 'spawn'): run from a script or module "
        "file, not standard input, with the work under if __name__ == '__main__'; or use "
        "workers=0 (--workers 0) to evaluate in this process",
        f"工作进程在开始任务前意外退出，未能启动（{reason}）。工作进程会重新导入主模块"
        "（multiprocessing 'spawn'）：请从脚本或模块文件运行（不要从标准输入），并把代码放在 "
        "if __name__ == '__main__' 之下；或使用 workers=0（--workers 0）在本进程内评估",
    )


class ProcessBackend:
    """``workers`` local processes (``spawn``: nothing of the parent's state, threads or native
    engine is inherited) of a :class:`pebble.ProcessPool`, which hands each idle worker the next
    task, replaces a worker that dies and fails only the task it was running (with
    :class:`pebble.ProcessExpired`, its exit status); ``depth`` tasks per worker are queued so
    a worker never waits for its next one. Workers that die while no task runs at all break the
    pool: that is no row's fault, and raises :class:`WorkerStartError`."""

    def __init__(self, workers: int, depth: int = 2) -> None:
        self.workers = max(1, workers)
        self.slots = self.workers * depth
        self._pool: Any = pebble.ProcessPool(  # Any: pebble's stop() and close() are untyped
            max_workers=self.workers, context=multiprocessing.get_context("spawn")
        )
        self._futures: dict[concurrent.futures.Future[Any], Key] = {}

    def submit(self, key: Key, job: Job, rows: Sequence[Row]) -> None:
        self._futures[self._pool.schedule(run_task, args=(job, list(rows)))] = key

    def wait(self) -> list[Done | Failed]:
        if not self._futures:
            return []
        done, _ = concurrent.futures.wait(
            list(self._futures), return_when=concurrent.futures.FIRST_COMPLETED
        )
        events: list[Done | Failed] = []
        for future in done:
            key = self._futures.pop(future)
            try:
                events.append(Done(key, future.result()))
            except pebble.ProcessExpired as error:  # its worker died running it
                events.append(Failed(key, *_death(error.exitcode, error.pid), True))
            except concurrent.futures.process.BrokenProcessPool as error:
                raise _start_error(error) from None
            except Exception as error:  # the task raised: reported, its rows retried
                events.append(Failed(key, f"{type(error).__name__}: {error}", "任务出错", False))
        return events

    def close(self) -> None:
        if self._futures:  # interrupted: the tasks still queued or running are not wanted
            self._pool.stop()
        else:
            self._pool.close()
        self._pool.join()
        self._futures.clear()


# -- Dask ---------------------------------------------------------------------------------------


class DaskBackend:
    """Tasks on a Dask cluster: an existing ``distributed.Client``, a scheduler address, or
    ``"local"`` for a :class:`distributed.LocalCluster` of ``workers`` single-threaded worker
    processes started (and stopped) here.

    Dask itself retries a task whose worker died (``distributed.scheduler.allowed-failures``
    times) before it fails it with ``KilledWorker``; the pipeline then retries its rows one at a
    time as usual.
    """

    def __init__(self, scheduler: object, workers: int | None = None) -> None:
        try:
            distributed: Any = importlib.import_module("distributed")
        except ImportError:  # pragma: no cover - depends on the environment
            raise RuntimeError(
                "running on Dask needs the dask extra: pip install 'gridconnect[dask]'"
            ) from None
        self._own: list[Any] = []
        self.client: Any
        if isinstance(scheduler, distributed.Client):
            self.client = scheduler
        elif scheduler in ("local", "dask"):
            cluster = distributed.LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            self.client = distributed.Client(cluster)
            self._own = [self.client, cluster]
        else:
            self.client = distributed.Client(scheduler)
            self._own = [self.client]
        threads = sum(
            w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()
        )
        self.workers = threads
        self.slots = max(2, 2 * threads)  # two per thread hide the round trip to the scheduler
        self._futures: dict[Any, Key] = {}
        self._run = uuid.uuid4().hex[:12]

    def submit(self, key: Key, job: Job, rows: Sequence[Row]) -> None:
        name = f"gridconnect-{self._run}-{key[0]}-{'all' if key[1] is None else key[1]}"
        future = self.client.submit(run_task, job, list(rows), key=name, pure=False)
        self._futures[future] = key

    def wait(self) -> list[Done | Failed]:
        distributed: Any = importlib.import_module("distributed")
        killed: Any = importlib.import_module("distributed.scheduler").KilledWorker
        if not self._futures:
            return []
        done, _ = distributed.wait(list(self._futures), return_when="FIRST_COMPLETED")
        events: list[Done | Failed] = []
        for future in done:
            key = self._futures.pop(future)
            if future.status == "finished":
                events.append(Done(key, future.result()))
                continue
            error = future.exception()
            died = isinstance(error, killed)
            en = (
                f"Dask worker died while running the task ({error})"
                if died
                else f"{type(error).__name__}: {error}"
            )
            events.append(Failed(key, en, "Dask 工作进程意外终止" if died else "任务出错", died))
            future.release()
        return events

    def close(self) -> None:
        for future in list(self._futures):
            future.cancel()
        self._futures.clear()
        for thing in self._own:
            thing.close()


def make_backend(workers: int | None, scheduler: object = None) -> Backend:
    """The backend for ``workers`` (0: this process; None: one per core) and ``scheduler``
    (None: local processes; ``"local"``/``"dask"``, an address or a Client: Dask)."""
    if scheduler is not None:
        return DaskBackend(scheduler, workers)
    n = (os.cpu_count() or 1) if workers is None else workers
    if n == 0:
        return InlineBackend()
    return ProcessBackend(n)


# -- the pipeline ---------------------------------------------------------------------------------

Sink = Callable[[int, Sequence[Row], Any], None]
OnFailure = Callable[[str], None]


@attrs.define
class _Retry:
    rows: Sequence[Row]
    first: tuple[str, str]  # why the chunk failed
    results: list[Any]
    left: int


class Pipeline:
    """Runs a job over chunks of rows on a backend; see the module docstring."""

    def __init__(
        self,
        backend: Backend,
        job: Job,
        *,
        merge: Callable[[Sequence[Any]], Any],
        failed_row: Callable[[Row, str, str], Any],
        on_failure: OnFailure | None = None,
        window: int | None = None,
    ) -> None:
        self.backend = backend
        self.job = job
        self.merge = merge
        self.failed_row = failed_row
        self.on_failure = on_failure or (lambda message: None)
        self.window = window or backend.slots + 4
        self.deaths = 0
        self.failures = 0

    def run(self, chunks: Iterator[tuple[int, Sequence[Row]]], sink: Sink) -> None:
        """Process every chunk; call ``sink(index, rows, result)`` in the chunks' order."""
        order: collections.deque[int] = collections.deque()
        rows_of: dict[int, Sequence[Row]] = {}
        results: dict[int, Any] = {}
        retries: dict[int, _Retry] = {}
        ready: collections.deque[Key] = collections.deque()  # retries first
        inflight = 0
        exhausted = False

        def fill() -> None:
            nonlocal inflight, exhausted
            while inflight < self.backend.slots:
                if ready:
                    key = ready.popleft()
                    rows = rows_of[key[0]]
                    self.backend.submit(key, self.job, rows if key[1] is None else [rows[key[1]]])
                elif not exhausted and len(order) < self.window:
                    try:
                        index, rows = next(chunks)
                    except StopIteration:
                        exhausted = True
                        continue
                    order.append(index)
                    rows_of[index] = rows
                    self.backend.submit((index, None), self.job, rows)
                else:
                    return
                inflight += 1

        fill()
        while inflight:
            for event in self.backend.wait():
                inflight -= 1
                index, position = event.key
                if isinstance(event, Done):
                    if position is None:
                        results[index] = event.result
                    else:
                        self._single_done(retries, results, index, position, event.result)
                else:
                    self._failed(event, rows_of[index], retries, results, ready)
            fill()  # the workers get their next tasks before the results are written
            while order and order[0] in results:
                index = order.popleft()
                sink(index, rows_of.pop(index), results.pop(index))
            fill()

    def _failed(
        self,
        event: Failed,
        rows: Sequence[Row],
        retries: dict[int, _Retry],
        results: dict[int, Any],
        ready: collections.deque[Key],
    ) -> None:
        self.failures += 1
        self.deaths += event.died
        index, position = event.key
        if position is None:
            first, last = rows[0][0], rows[-1][0]
            self.on_failure(
                f"{event.en}; retrying its {len(rows)} rows (lines {first}-{last}) one at a time"
            )
            retries[index] = _Retry(rows, (event.en, event.zh), [None] * len(rows), len(rows))
            ready.extend((index, i) for i in range(len(rows)))
            return
        retry = retries[index]
        row = rows[position]
        self.on_failure(f"{event.en} again on line {row[0]} alone; rejected")
        en = f"failed twice: with its chunk ({retry.first[0]}), then alone ({event.en})"
        zh = f"两次失败：随所在批次（{retry.first[1]}），单独重试（{event.zh}）"
        self._single_done(retries, results, index, position, self.failed_row(row, en, zh))

    def _single_done(
        self, retries: dict[int, _Retry], results: dict[int, Any], index: int, pos: int, result: Any
    ) -> None:
        retry = retries[index]
        retry.results[pos] = result
        retry.left -= 1
        if retry.left == 0:
            results[index] = self.merge(retry.results)
            del retries[index]
