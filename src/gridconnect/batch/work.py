"""What a worker process does with one chunk of rows: parse, evaluate, serialise, count.

Everything here runs in worker processes (or in the calling process with ``workers=0``) and
returns plain picklable values. A row never raises out of :func:`run_task`: an invalid row
becomes a reject with its line number and located, bilingual problems; an error of the rules
(a conflict, a kVA/kW mismatch) a reject of stage ``evaluation``. Only the death of the process
itself is handled elsewhere (:mod:`gridconnect.batch.pipeline`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from gridconnect.batch.compact import compact_line
from gridconnect.batch.fastparse import fast_structure
from gridconnect.batch.formats import KIND_DATA, KIND_FLAT, KIND_JSON, Row, unflatten
from gridconnect.batch.scenario import Scenario, ScenarioContext, registry_for
from gridconnect.batch.serialize import match_compact_line, match_line, slow_decision_line
from gridconnect.decide.decision import Conclusion, Decision
from gridconnect.decide.evaluate import evaluate, match
from gridconnect.errors import GridconnectError, InputError, Problem
from gridconnect.model.application import Application
from gridconnect.model.codec import MAX_INPUT_BYTES, loads, structure
from gridconnect.rules.model import plain

__all__ = [
    "BatchChunk",
    "BatchJob",
    "CompareChunk",
    "CompareJob",
    "parse_row",
    "reject_line",
    "run_task",
]

#: The conclusions counted in a batch summary.
SUMMARY_SLOTS = ("track", "supply", "approval.mode")


@attrs.frozen
class BatchJob:
    """Evaluate each row under one scenario and keep the decision."""

    scenario: Scenario
    trace: bool = True
    fast: bool = True
    compact: bool = False  # lines in the compact form (gridconnect.batch.compact)


@attrs.frozen
class CompareJob:
    """Evaluate each row under two scenarios and keep what differs."""

    a: Scenario
    b: Scenario
    fast: bool = True


@attrs.frozen
class BatchChunk:
    """The outcome of a chunk of a batch: output and reject lines, and counts."""

    out: bytes
    rejects: bytes
    decided: int
    rejected: int
    evaluated: int
    counts: dict[str, dict[str, int]]  # slot -> value -> number of decisions
    stages: dict[str, int]  # reject stage -> number of rejects
    notes: tuple[str, ...] = ()
    #: with ``compact``: the record of every rule set the chunk's lines refer to, by ID, in the
    #: order of their first use (the writer writes those not written before)
    rule_sets: tuple[tuple[str, bytes], ...] = ()


Change = tuple[str, str | None, str | None]
"""``(slot, value under A, value under B)``; values as JSON text, None where not decided."""


@attrs.frozen
class CompareChunk:
    """The outcome of a chunk of a comparison: every application that changed, and counts."""

    rows: int
    evaluated: int
    rejected: tuple[tuple[int, str], ...]  # (line, reason in English)
    changed: tuple[tuple[int, str, tuple[Change, ...]], ...]  # (line, application id, changes)


# -- parsing ----------------------------------------------------------------------------------


def parse_row(kind: int, payload: Any, fast: bool = True) -> Application:
    """The application of one row, or :class:`InputError` with located problems."""
    if kind == KIND_JSON:
        if not fast or len(payload) > MAX_INPUT_BYTES:
            return loads(payload, Application)
        try:
            data = json.loads(payload)
        except (ValueError, RecursionError):
            return loads(payload, Application)  # raises the codec's own message
    elif kind == KIND_FLAT:
        data = unflatten(payload)
    elif kind == KIND_DATA:
        data = payload
    else:
        en, zh = payload
        raise InputError([Problem(path="$", en=en, zh=zh)])
    return fast_structure(data) if fast else structure(data, Application)


def _application_id(kind: int, payload: Any) -> str | None:
    """The id a bad row gives itself, if it gives a plausible one (for the reject record)."""
    try:
        if kind == KIND_JSON:
            value = json.loads(payload).get("id")
        elif kind in (KIND_FLAT, KIND_DATA):
            value = payload.get("id")
        else:
            return None
    except Exception:  # an unreadable row has no id
        return None
    return value if isinstance(value, str) and 0 < len(value) <= 64 else None


def reject_line(
    line: int,
    stage: str,
    en: str,
    zh: str,
    problems: Sequence[Problem] = (),
    application_id: str | None = None,
) -> bytes:
    """One line of the rejects file. It never repeats the row itself (it may hold personal data)."""
    record = {
        "line": line,
        "stage": stage,
        "application_id": application_id,
        "error": {"en": en, "zh": zh},
        "problems": [{"path": p.path, "en": p.en, "zh": p.zh} for p in problems],
    }
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def _reject_for(line: int, kind: int, payload: Any, error: BaseException, stage: str) -> bytes:
    if isinstance(error, InputError):
        return reject_line(
            line, stage, error.en, error.zh, error.problems, _application_id(kind, payload)
        )
    if isinstance(error, GridconnectError):
        return reject_line(line, stage, error.en, error.zh, (), _application_id(kind, payload))
    name = type(error).__name__
    return reject_line(
        line,
        stage,
        f"internal error: {name}: {error}",
        f"内部错误：{name}",
        (),
        _application_id(kind, payload),
    )


# -- the tasks --------------------------------------------------------------------------------


_FAST_JSON = [True]  # switched off for the process if it ever differs from to_dict()
_FAST_COMPACT = [True]  # the same for the compact lines

Decided = tuple[bytes, Mapping[str, Conclusion], str | None, tuple[str, bytes] | None]
"""An output line, the conclusions, a note if the fast line was wrong, and with ``compact`` the
rule set's ID and record."""


def _slow_compact(line: int, decision: Decision, trace: bool) -> tuple[bytes, tuple[str, bytes]]:
    data = decision.to_dict()
    if not trace:
        del data["trace"]
    text, key, record = compact_line(line, data)
    return text, (key, record)


def _decided_compact(
    ctx: ScenarioContext, job: BatchJob, line: int, app: Application, check: list[bool]
) -> Decided:
    """:func:`_decided` for the compact form."""
    placed = ctx.place(app)
    as_of = ctx.scenario.as_of
    if placed.bundle or not _FAST_COMPACT[0]:
        decision = evaluate(placed, as_of, ctx.engine, registry=ctx.registry)
        text, rule_set = _slow_compact(line, decision, job.trace)
        return text, decision.conclusions, None, rule_set
    found = match(placed, as_of, ctx.engine, registry=ctx.registry)
    if found.unknown_facts:  # questions and unknown reads depend on the application
        decision = evaluate(placed, as_of, ctx.engine, registry=ctx.registry)
        text, rule_set = _slow_compact(line, decision, job.trace)
        return text, decision.conclusions, None, rule_set
    conclusions = found.resolution().conclusions
    text, key, record = match_compact_line(line, found, found.deadlines(), job.trace)
    if check[0]:
        check[0] = False
        reference = evaluate(placed, as_of, ctx.engine, registry=ctx.registry)
        slow, rule_set = _slow_compact(line, reference, job.trace)
        if (text, key, record) != (slow, *rule_set):
            _FAST_COMPACT[0] = False
            return slow, conclusions, "fast compact output differs; turned off", rule_set
    return text, conclusions, None, (key, record)


def _decided(
    ctx: ScenarioContext, job: BatchJob, line: int, app: Application, check: list[bool]
) -> tuple[bytes, Mapping[str, Conclusion], str | None]:
    """An application's output line and conclusions, and a note if the fast line was wrong."""
    placed = ctx.place(app)
    as_of = ctx.scenario.as_of
    if placed.bundle or not _FAST_JSON[0]:  # a bundle plan is rare: the slow way
        decision = evaluate(placed, as_of, ctx.engine, registry=ctx.registry)
        return slow_decision_line(line, decision, job.trace), decision.conclusions, None
    found = match(placed, as_of, ctx.engine, registry=ctx.registry)
    resolution = found.resolution()
    if found.unknown_facts:  # questions and unknown reads depend on the application
        decision = evaluate(placed, as_of, ctx.engine, registry=ctx.registry)
        return slow_decision_line(line, decision, job.trace), decision.conclusions, None
    text = match_line(line, found, resolution, found.deadlines(), job.trace)
    if check[0]:  # against evaluate(), which may add what match().decide() does not
        check[0] = False
        reference = evaluate(placed, as_of, ctx.engine, registry=ctx.registry)
        slow = slow_decision_line(line, reference, job.trace)
        if text != slow:
            _FAST_JSON[0] = False
            return slow, resolution.conclusions, "fast decision output differs; turned off"
    return text, resolution.conclusions, None


def _batch(job: BatchJob, rows: Sequence[Row]) -> BatchChunk:
    ctx = registry_for(job.scenario)
    out: list[bytes] = []
    rejects: list[bytes] = []
    counts: dict[str, Counter[str]] = {s: Counter() for s in SUMMARY_SLOTS}
    stages: Counter[str] = Counter()
    notes: list[str] = []
    evaluated = 0
    check = [True]  # a chunk's first fast line is checked against evaluate()'s to_dict()
    rule_sets: dict[str, bytes] = {}
    for line, kind, payload in rows:
        try:
            app = parse_row(kind, payload, job.fast)
        except Exception as error:  # every bad row is a reject, never a stop
            rejects.append(_reject_for(line, kind, payload, error, "input"))
            stages["input"] += 1
            continue
        evaluated += 1
        try:
            if job.compact:
                text, conclusions, note, rule_set = _decided_compact(ctx, job, line, app, check)
                if rule_set is not None and rule_set[0] not in rule_sets:
                    rule_sets[rule_set[0]] = rule_set[1]
            else:
                text, conclusions, note = _decided(ctx, job, line, app, check)
        except Exception as error:  # errors of the rules are rejects too
            rejects.append(_reject_for(line, kind, payload, error, "evaluation"))
            stages["evaluation"] += 1
            continue
        if note is not None:
            notes.append(note)
        out.append(text)
        for slot in SUMMARY_SLOTS:
            c = conclusions.get(slot)
            counts[slot]["-" if c is None else str(plain(c.value))] += 1
    return BatchChunk(
        out=b"".join(out),
        rejects=b"".join(rejects),
        decided=len(out),
        rejected=len(rejects),
        evaluated=evaluated,
        counts={s: dict(c) for s, c in counts.items()},
        stages=dict(stages),
        notes=tuple(notes),
        rule_sets=tuple(rule_sets.items()),
    )


def comparable(decision: Decision) -> dict[str, str]:
    """The conclusions a comparison looks at: every slot but the notes, value as JSON text."""
    return {
        slot: json.dumps(plain(c.value), ensure_ascii=False, sort_keys=True)
        for slot, c in decision.conclusions.items()
        if not slot.startswith("note.")
    }


OUTCOME = "(outcome)"
"""The pseudo-slot of a comparison where one side decides and the other raises an error."""


def _outcome(ctx: ScenarioContext, app: Application) -> dict[str, str] | str:
    try:
        decision = evaluate(ctx.place(app), ctx.scenario.as_of, ctx.engine, registry=ctx.registry)
    except GridconnectError as error:
        return f"error: {type(error).__name__}"
    return comparable(decision)


def _compare(job: CompareJob, rows: Sequence[Row]) -> CompareChunk:
    ctx_a, ctx_b = registry_for(job.a), registry_for(job.b)
    rejected: list[tuple[int, str]] = []
    changed: list[tuple[int, str, tuple[Change, ...]]] = []
    evaluated = 0
    for line, kind, payload in rows:
        try:
            app = parse_row(kind, payload, job.fast)
        except Exception as error:  # an invalid row is counted, not compared
            rejected.append((line, getattr(error, "en", type(error).__name__)))
            continue
        evaluated += 1
        a, b = _outcome(ctx_a, app), _outcome(ctx_b, app)
        if a == b:
            continue
        changes: list[Change]
        if isinstance(a, str) or isinstance(b, str):
            changes = [
                (
                    OUTCOME,
                    a if isinstance(a, str) else "decided",
                    b if isinstance(b, str) else "decided",
                )
            ]
        else:
            changes = [
                (slot, a.get(slot), b.get(slot))
                for slot in sorted(a.keys() | b.keys())
                if a.get(slot) != b.get(slot)
            ]
        changed.append((line, app.id, tuple(changes)))
    return CompareChunk(
        rows=len(rows), evaluated=evaluated, rejected=tuple(rejected), changed=tuple(changed)
    )


def run_task(job: BatchJob | CompareJob, rows: Sequence[Row]) -> BatchChunk | CompareChunk:
    """Process one chunk of rows for a job (in whichever process this runs)."""
    if isinstance(job, BatchJob):
        return _batch(job, rows)
    return _compare(job, rows)
