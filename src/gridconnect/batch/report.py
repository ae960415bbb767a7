"""Text for people: the final summary table of a batch, and a progress line on standard error."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from gridconnect.batch.run import BatchSummary, Progress
from gridconnect.output.labels import Labels

__all__ = ["ProgressLine", "render_summary"]

_SLOTS = ("track", "supply", "approval.mode")
_VOCABULARY = Labels()  # the labels of the core vocabulary (gridconnect.output.labels)
_STAGES = {
    "input": "invalid input / 输入无效",
    "evaluation": "rules refused / 规则无法决定",
    "worker": "worker died / 工作进程终止",
}


def _row(label: str, count: int, total: int) -> str:
    share = f"{100 * count / total:5.1f}%" if total else "     -"
    return f"  {_pad(label, 34)} {count:>12,} {share}"


def _pad(text: str, width: int) -> str:
    from gridconnect.output.text import display_width

    return text + " " * max(0, width - display_width(text))


def render_summary(s: BatchSummary) -> str:
    """The summary table: rows in and out, decisions by track, supply and approval mode,
    rejects by stage, time and rate. Ends with the count check ``rows = decided + rejected``."""
    lines = [
        f"Batch summary / 批量评估汇总: {s.input} -> {s.output}",
        _row("rows in / 输入行数", s.rows, s.rows),
        _row("decided / 已决定", s.decided, s.rows),
        _row("rejected / 拒收", s.rejected, s.rows),
    ]
    if s.resumed:
        lines.append(_row("done before resume / 续跑前已完成", s.resumed, s.rows))
    for slot in _SLOTS:
        values = s.counts.get(slot, {})
        if not values:
            continue
        en, zh = _VOCABULARY.slot(slot, "en"), _VOCABULARY.slot(slot, "zh")
        lines.append(f"{en[:1].upper()}{en[1:]} / {zh} (of {s.decided:,} decided)")
        for value, count in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
            if value == "-":
                label = "(none / 无结论)"
            else:
                label = f"{_VOCABULARY.value(slot, value, 'en')} / {_VOCABULARY.value(slot, value, 'zh')}"
            lines.append(_row(label, count, s.decided))
    if s.stages:
        lines.append(f"Rejects / 拒收 -> {s.rejects}")
        for stage, count in sorted(s.stages.items()):
            lines.append(_row(_STAGES.get(stage, stage), count, s.rows))
    if s.worker_failures:
        lines.append(
            f"Worker failures / 工作进程故障: {s.worker_failures} ({s.worker_deaths} died / 终止)"
        )
    for note in s.notes:
        lines.append(f"Note / 注: {note}")
    rate = f"{s.rate:,.0f} rows/s"
    lines.append(
        f"Time / 用时: {s.seconds:,.1f} s, {rate}, {s.workers} worker(s); "
        f"evaluated this run / 本次评估: {s.evaluated:,}"
    )
    ok = "OK" if s.rows == s.decided + s.rejected else "MISMATCH"
    lines.append(
        f"Check / 核对: {s.rows:,} rows in = {s.decided:,} decided + {s.rejected:,} rejected  {ok}"
    )
    return "\n".join(lines)


class ProgressLine:
    """A one-line progress bar on standard error, redrawn at most a few times a second; nothing
    when standard error is not a terminal (unless ``force``)."""

    def __init__(self, stream: TextIO | None = None, *, force: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.enabled = force or self.stream.isatty()
        self._last = 0.0
        self._shown = False

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.2 and p.fraction != 1.0:
            return
        self._last = now
        width = 30
        if p.fraction is not None:
            done = int(width * p.fraction)
            bar = f"[{'#' * done}{'.' * (width - done)}] {100 * p.fraction:5.1f}%"
            eta = f" ETA {(p.seconds / p.fraction - p.seconds):,.0f}s" if 0 < p.fraction < 1 else ""
        else:
            bar, eta = "", ""
        self.stream.write(f"\r{bar} {p.rows:,} rows  {p.rate:,.0f}/s{eta}   ")
        self.stream.flush()
        self._shown = True

    def message(self, text: str) -> None:
        """A message on its own line (a worker died, say), the bar redrawn after it."""
        if self._shown:
            self.stream.write("\n")
            self._shown = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False
