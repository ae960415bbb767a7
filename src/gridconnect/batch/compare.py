"""What-if: one corpus under two rulebooks, and how many applications each difference touches.

Every application is evaluated under scenario A and scenario B (:class:`Scenario`: another date,
another place, an extra rules file, a parameter with another value). For each conclusion slot
(track, supply voltage, each ``approval.*``, each ``stage.*`` time limit, each ``document.*``,
and the rest) the comparison counts the applications whose value differs, and each transition
(``three_zero`` -> ``standard``) with the first application ids where it happens, in input
order. An application that one scenario decides and the other refuses with an error (a
conflict between rules, say) counts under ``(outcome)``. Notes (``note.*``) are not compared.

:func:`render_comparison` writes the result as a short public statement, in Chinese or English.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from gridconnect.batch.formats import Row, data_rows, detect_format, read_rows
from gridconnect.batch.pipeline import Pipeline, make_backend
from gridconnect.batch.run import Progress, chunked
from gridconnect.batch.scenario import Scenario, registry_for
from gridconnect.batch.work import OUTCOME, CompareChunk, CompareJob
from gridconnect.output.labels import VOCABULARY, check_lang, labels_for
from gridconnect.rules.model import Limit, LimitUnit

if TYPE_CHECKING:
    from gridconnect.model.codec import JSONObject

__all__ = ["Comparison", "Transition", "aspect_of", "compare", "render_comparison"]


@attrs.frozen
class Transition:
    """One kind of change of one slot, how often it happens, and where first."""

    slot: str
    before: str | None  # value under A, as JSON text; None: not decided
    after: str | None
    count: int
    examples: tuple[str, ...]

    def to_dict(self) -> JSONObject:
        return {
            "slot": self.slot,
            "a": _decode(self.before),
            "b": _decode(self.after),
            "applications": self.count,
            "examples": list(self.examples),
        }


def _decode(text: str | None) -> Any:
    """A value as JSON data (``None``: not decided; ``error: ...``/``decided`` stay text)."""
    if text is None or text == "decided" or text.startswith("error: "):
        return text
    return json.loads(text)


def _aspect(name: str, key: str) -> tuple[str, str, str]:
    label = VOCABULARY[key]
    return (name, label.en[:1].upper() + label.en[1:], label.zh)


ASPECTS: tuple[tuple[str, str, str], ...] = (
    ("outcome", "Decided, or refused with an error", "能否作出决定"),
    _aspect("track", "track"),
    _aspect("supply", "supply"),
    _aspect("approval", "approval.mode"),
    _aspect("stage", "family:stage"),
    _aspect("documents", "family:document"),
    _aspect("investment", "investment_boundary"),
    _aspect("procedure_steps", "procedure_steps"),
    _aspect("permits", "family:permit"),
    _aspect("services", "family:service"),
    ("other", "Other conclusions", "其他结论"),
)
"""The aspects a comparison is reported by: name, English and Chinese heading (the labels of
the vocabulary, :mod:`gridconnect.output.labels`)."""


def aspect_of(slot: str) -> str:
    """The group a slot is reported under (``stage.whole_process`` -> ``stage``).

    >>> aspect_of("approval.limit"), aspect_of("document.identity"), aspect_of("track")
    ('approval', 'documents', 'track')
    """
    family = slot.split(".", 1)[0]
    return {
        OUTCOME: "outcome",
        "track": "track",
        "supply": "supply",
        "approval": "approval",
        "stage": "stage",
        "document": "documents",
        "zero_investment": "investment",
        "investment_boundary": "investment",
        "procedure_steps": "procedure_steps",
        "permit": "permits",
        "service": "services",
    }.get(family, "other")


@attrs.frozen(kw_only=True)
class Comparison:
    """The differences between two scenarios over one corpus."""

    a: Scenario
    b: Scenario
    rows: int
    evaluated: int
    rejected: int
    reject_examples: tuple[tuple[int, str], ...]
    changed: int  # applications with at least one difference
    by_aspect: Mapping[str, int]  # aspect -> applications with a difference in it
    by_slot: Mapping[str, int]  # slot -> applications whose value of it differs
    transitions: tuple[Transition, ...]
    seconds: float
    worker_failures: int = 0

    def __attrs_post_init__(self) -> None:
        if self.rows != self.evaluated + self.rejected:
            raise ValueError(
                f"counts do not add up: {self.rows} rows, {self.evaluated} compared, "
                f"{self.rejected} rejected"
            )

    def to_dict(self) -> JSONObject:
        return {
            "a": self.a.describe(),
            "b": self.b.describe(),
            "rows": self.rows,
            "compared": self.evaluated,
            "rejected": self.rejected,
            "reject_examples": [{"line": n, "reason": r} for n, r in self.reject_examples],
            "changed": self.changed,
            "unchanged": self.evaluated - self.changed,
            "by_aspect": dict(self.by_aspect),
            "by_slot": dict(self.by_slot),
            "transitions": [t.to_dict() for t in self.transitions],
            "seconds": round(self.seconds, 3),
            "worker_failures": self.worker_failures,
        }

    def slot_changes(self, slot: str) -> dict[tuple[str | None, str | None], int]:
        """``{(before, after): applications}`` for one slot (values as JSON text)."""
        return {(t.before, t.after): t.count for t in self.transitions if t.slot == slot}


class _Tally:
    def __init__(self, examples: int) -> None:
        self.k = examples
        self.rows = self.evaluated = self.changed = 0
        self.rejected: list[tuple[int, str]] = []
        self.n_rejected = 0
        self.by_aspect: Counter[str] = Counter()
        self.by_slot: Counter[str] = Counter()
        self.trans: dict[tuple[str, str | None, str | None], list[Any]] = {}

    def add(self, chunk: CompareChunk) -> None:
        self.rows += chunk.rows
        self.evaluated += chunk.evaluated
        self.n_rejected += len(chunk.rejected)
        self.rejected += chunk.rejected[: max(0, self.k - len(self.rejected))]
        for _, app_id, changes in chunk.changed:
            self.changed += 1
            aspects = set()
            for slot, before, after in changes:
                self.by_slot[slot] += 1
                aspects.add(aspect_of(slot))
                entry = self.trans.setdefault((slot, before, after), [0, []])
                entry[0] += 1
                if len(entry[1]) < self.k:
                    entry[1].append(app_id)
            self.by_aspect.update(aspects)


def _merge(parts: Sequence[CompareChunk]) -> CompareChunk:
    return CompareChunk(
        rows=sum(p.rows for p in parts),
        evaluated=sum(p.evaluated for p in parts),
        rejected=tuple(r for p in parts for r in p.rejected),
        changed=tuple(c for p in parts for c in p.changed),
    )


def _failed_row(row: Row, en: str, zh: str) -> CompareChunk:
    return CompareChunk(rows=1, evaluated=0, rejected=((row[0], en),), changed=())


def compare(
    source: str | Path | Iterable[Mapping[str, Any] | str],
    a: Scenario | None = None,
    b: Scenario | None = None,
    *,
    fmt: str | None = None,
    workers: int | None = None,
    chunk_size: int = 500,
    fast: bool = True,
    scheduler: object = None,
    examples: int = 3,
    progress: Callable[[Progress], None] | None = None,
    on_failure: Callable[[str], None] | None = None,
) -> Comparison:
    """Evaluate ``source`` (a corpus file, or JSON-shaped records) under ``a`` and ``b`` and
    count the differences; ``examples`` application ids are kept per kind of change.

    Workers and ``scheduler`` are as for :func:`gridconnect.batch.run_batch`. Both scenarios
    are built here first, so an unknown parameter or a rules file that does not load raises
    before any row is read.
    """
    a = a or Scenario()
    b = b or Scenario()
    registry_for(a)
    registry_for(b)
    rows: Iterator[Row]
    if isinstance(source, str | Path):
        rows = read_rows(source, detect_format(source, fmt))
    else:
        rows = data_rows(source)
    tally = _Tally(examples)
    start = time.monotonic()
    backend = make_backend(workers, scheduler)
    pipeline = Pipeline(
        backend,
        CompareJob(a, b, fast),
        merge=_merge,
        failed_row=_failed_row,
        on_failure=on_failure,
    )

    def sink(index: int, chunk_rows: Sequence[Row], result: CompareChunk) -> None:
        tally.add(result)
        if progress is not None:
            seconds = time.monotonic() - start
            progress(
                Progress(rows=tally.rows, fraction=None, seconds=seconds, rows_this_run=tally.rows)
            )

    try:
        pipeline.run(chunked(rows, chunk_size), sink)
    finally:
        backend.close()
    order = {name: i for i, (name, _, _) in enumerate(ASPECTS)}
    transitions = sorted(
        (
            Transition(slot, before, after, n, tuple(ids))
            for (slot, before, after), (n, ids) in tally.trans.items()
        ),
        key=lambda t: (order[aspect_of(t.slot)], t.slot, -t.count, str(t.before), str(t.after)),
    )
    return Comparison(
        a=a,
        b=b,
        rows=tally.rows,
        evaluated=tally.evaluated,
        rejected=tally.n_rejected,
        reject_examples=tuple(tally.rejected),
        changed=tally.changed,
        by_aspect=dict(tally.by_aspect),
        by_slot=dict(tally.by_slot),
        transitions=tuple(transitions),
        seconds=time.monotonic() - start,
        worker_failures=pipeline.failures,
    )


# -- the public statement -------------------------------------------------------------------------


def _value(text: str | None, lang: str, slot: str = "") -> str:
    zh = lang == "zh"
    if text is None:
        return "无结论" if zh else "no conclusion"
    if text.startswith("error: "):
        return f"因错误无法决定（{text[7:]}）" if zh else f"refused with an error ({text[7:]})"
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    language = check_lang(lang)
    if value == "decided":
        return "可作出决定" if zh else "decided"
    if isinstance(value, dict) and "amount" in value:
        try:
            limit = Limit(amount=int(value["amount"]), unit=LimitUnit(value["unit"]))
        except ValueError:
            return f"{value['amount']} {value['unit']}"
        return labels_for().limit(limit, language)
    if slot == "procedure_steps" and isinstance(value, int):
        return f"{value}个环节" if zh else f"{value} step{'' if value == 1 else 's'}"
    if isinstance(value, dict) and {"en", "zh"} <= set(value):
        return str(value["zh"] if zh else value["en"])
    return labels_for().value(slot, value, language)


def _n(count: int) -> str:
    return f"{count:,}"


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}%" if total else "-"


def _headline(c: Comparison, lang: str) -> str:
    zh = lang == "zh"
    if c.b.label:
        lead = f"若{c.b.label}" if zh else f"If {c.b.label}"
    elif zh:
        lead = f"按“{c.b.describe('zh')}”而非“{c.a.describe('zh')}”评估"
    else:
        lead = f"Under {c.b.describe()} instead of {c.a.describe()}"
    if zh:
        text = f"{lead}：在 {_n(c.rows)} 宗申请中，将有 {_n(c.changed)} 宗（{_share(c.changed, c.evaluated)}）的结论发生变化"
        if c.rejected:
            text += f"（另有 {_n(c.rejected)} 宗因输入无效未参与比较）"
        return text + "。"
    text = (
        f"{lead}, {_n(c.changed)} of {_n(c.rows)} applications "
        f"({_share(c.changed, c.evaluated)}) would be decided differently"
    )
    if c.rejected:
        text += f" ({_n(c.rejected)} could not be compared: invalid input)"
    return text + "."


def _line(t: Transition, lang: str) -> str:
    zh = lang == "zh"
    before, after = _value(t.before, lang, t.slot), _value(t.after, lang, t.slot)
    ids = ", ".join(t.examples)
    n = _n(t.count)
    track = t.slot == "track"
    if zh:
        if t.after is None:
            what = f"将不再享受{before}" if track else f"将不再有此项结论（原为{before}）"
        elif t.before is None:
            what = f"将新获{after}" if track else f"将新增此项结论：{after}"
        else:
            what = f"将由{before}改为{after}"
        return f"  {n} 宗{what}（例如 {ids}）"
    if t.after is None:
        what = (
            f"would no longer get {before}"
            if track
            else f"would no longer be decided (was {before})"
        )
    elif t.before is None:
        what = f"would newly get {after}" if track else f"would newly be decided: {after}"
    elif track:
        what = f"would get {after} instead of {before}"
    elif t.slot == "supply":
        what = f"would be supplied at {after} instead of {before}"
    else:
        what = f"would change from {before} to {after}"
    return f"  {n} {what} (e.g. {ids})"


def render_comparison(c: Comparison, lang: str = "zh") -> str:
    """The comparison as a short statement a city could publish, in Chinese or English."""
    zh = lang == "zh"
    lines = [_headline(c, lang)]
    by_aspect: dict[str, list[Transition]] = {}
    for t in c.transitions:
        by_aspect.setdefault(aspect_of(t.slot), []).append(t)
    unchanged = []
    for name, en, cn in ASPECTS:
        found = by_aspect.get(name)
        if not found:
            if name in ("track", "supply", "approval", "stage", "documents"):
                unchanged.append(cn if zh else en.lower())
            continue
        n = c.by_aspect.get(name, 0)
        lines.append("")
        lines.append(f"{cn}：{_n(n)} 宗有变化" if zh else f"{en}: {_n(n)} applications change")
        slots = list(dict.fromkeys(t.slot for t in found))
        for slot in slots:
            if len(slots) > 1 or slot not in ("track", "supply", OUTCOME):
                name = labels_for().slot(slot, "zh" if zh else "en")
                lines.append(
                    f" {name}：{_n(c.by_slot[slot])} 宗"
                    if zh
                    else f" {name}: {_n(c.by_slot[slot])}"
                )
            lines += [_line(t, lang) for t in found if t.slot == slot]
    if unchanged:
        lines.append("")
        sep = "、" if zh else ", "
        lines.append(
            ("以下方面没有变化：" if zh else "No change in: ")
            + sep.join(unchanged)
            + ("。" if zh else ".")
        )
    return "\n".join(lines)
