"""The compact batch trace: every line expands to exactly ``Decision.to_dict()``, for both
engines, by the fast path and the slow one; a compact run holds the same decisions as a full
run, each rule set once, and resumes byte for byte."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridconnect.batch import (
    Progress,
    Scenario,
    expand_line,
    iter_corpus,
    read_decisions,
    run_batch,
    write_corpus,
    write_parquet,
)
from gridconnect.batch.compact import compact_line, rule_set_id, split_decision
from gridconnect.batch.formats import write_records
from gridconnect.batch.scenario import registry_for
from gridconnect.batch.serialize import match_compact_line
from gridconnect.decide.evaluate import evaluate, match
from gridconnect.errors import InputError
from gridconnect.model.application import Application
from gridconnect.model.codec import load_file, structure

REFERENCE = Scenario(engine="reference")
EXAMPLES = sorted((Path(__file__).parent.parent / "examples" / "applications").glob("*.json"))


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _expand(text: bytes, record: bytes) -> dict[str, Any]:
    shared = json.loads(record)
    assert shared["rule_set"] == rule_set_id(_dumps(shared["shared"]))  # content-addressed
    return expand_line(json.loads(text), {shared["rule_set"]: shared["shared"]})


def _applications(seed: int, n: int) -> list[Application]:
    """Generated applications, some with the power factor missing (questions, unknown facts)
    and some with a bundle plan (each of those is written the slow way)."""
    apps = []
    for i, raw in enumerate(iter_corpus(n, seed=seed)):
        assert isinstance(raw, dict)
        if i % 4 == 1:  # no power factor for a kVA capacity: a question
            raw["capacity"] = {"value": 630, "unit": "kVA"}
            raw.pop("power_factor", None)
            raw["voltage"] = None
        apps.append(structure(raw, Application))
    return apps


@pytest.mark.parametrize("engine", ["reference", "durable"])
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), trace=st.booleans())
def test_every_compact_line_expands_to_to_dict(engine: str, seed: int, trace: bool) -> None:
    ctx = registry_for(Scenario(engine=engine))
    for app in _applications(seed, 12):
        full = evaluate(app, engine=ctx.engine, registry=ctx.registry).to_dict()
        if not trace:
            del full["trace"]
        text, _, record = compact_line(3, full)
        assert _dumps(_expand(text, record)) == _dumps(full)
        found = match(app, engine=ctx.engine, registry=ctx.registry)
        if app.bundle or found.unknown_facts:
            continue
        # the fast path's contract: the compact line of match().decide() (evaluate() may add
        # sections; the worker checks against evaluate() and falls back, tests/test_batch.py)
        own = found.decide().to_dict()
        if not trace:
            del own["trace"]
        for _ in range(2):  # the first compiles the template, the second reuses it
            fast = match_compact_line(3, found, found.deadlines(), trace)
            assert fast == compact_line(3, own)


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_the_examples_expand_to_to_dict(engine: str) -> None:
    """The examples include bundle plans and questions (lines made from to_dict())."""
    ctx = registry_for(Scenario(engine=engine))
    apps = [load_file(p, Application) for p in EXAMPLES]
    assert any(a.bundle for a in apps)
    for app in apps:
        full = evaluate(app, engine=ctx.engine, registry=ctx.registry).to_dict()
        text, _, record = compact_line(1, full)
        assert _dumps(_expand(text, record)) == _dumps(full)


def test_a_fact_with_two_values_in_two_entries_keeps_each_entrys_facts() -> None:
    decision = {
        "application_id": "X",
        "engine": "reference",
        "trace": [
            {"rule": "a", "facts": {"capacity": 1}},
            {"rule": "b", "facts": {"capacity": True}},  # == 1 in Python, not in JSON
        ],
    }
    shared, facts, own = split_decision(decision)
    assert shared["trace"] == [
        {"rule": "a", "facts": ["capacity"]},
        {"rule": "b", "facts": ["capacity"]},
    ]
    assert own == {"application_id": "X"}
    assert facts == {"trace_facts": [{"capacity": 1}, {"capacity": True}]}
    text, _, record = compact_line(1, decision)
    assert _dumps(_expand(text, record)) == _dumps(decision)


def test_unknown_top_level_keys_stay_on_the_line() -> None:
    """A key a later to_dict() adds (e.g. warnings) passes through, on the line."""
    decision = {"application_id": "X", "engine": "reference", "warnings": [{"en": "w"}]}
    _, _, own = split_decision(decision)
    assert own == {"application_id": "X", "warnings": [{"en": "w"}]}
    text, _, record = compact_line(1, decision)
    assert _expand(text, record) == decision


@pytest.mark.parametrize("workers", [0, pytest.param(2, marks=pytest.mark.slow)])
def test_a_compact_run_has_the_decisions_of_a_full_run(tmp_path: Path, workers: int) -> None:
    source = tmp_path / "c.jsonl"
    write_corpus(source, 300, seed=21, divisions="4401", invalid=0.03)
    full, compact = tmp_path / "full.jsonl", tmp_path / "compact.jsonl"
    one = run_batch(source, full, scenario=REFERENCE, workers=0, chunk_size=40)
    two = run_batch(
        source, compact, scenario=REFERENCE, workers=workers, chunk_size=40, compact=True
    )
    assert (one.decided, one.rejected, one.counts) == (two.decided, two.rejected, two.counts)
    expected = [(r["line"], r["decision"]) for r in map(json.loads, full.read_bytes().splitlines())]
    got = list(read_decisions(compact))
    assert [line for line, _ in got] == [line for line, _ in expected]
    for (_, mine), (_, theirs) in zip(got, expected, strict=True):
        assert _dumps(mine) == _dumps(theirs)
    assert list(read_decisions(full)) == expected  # a full output reads back as it is
    records = [json.loads(r) for r in compact.read_bytes().splitlines()]
    ids = [r["rule_set"] for r in records if "line" not in r]
    assert len(ids) == len(set(ids)), "a rule set written twice"
    lines = [r for r in compact.read_bytes().splitlines() if r.startswith(b'{"line"')]
    assert sum(map(len, lines)) * 10 < full.stat().st_size  # the rest is written once per set


def test_a_compact_run_resumes_byte_for_byte(tmp_path: Path) -> None:
    source = tmp_path / "c.jsonl"
    write_corpus(source, 200, seed=22, divisions="4401")
    whole, cut = tmp_path / "whole.jsonl", tmp_path / "cut.jsonl"
    run_batch(source, whole, scenario=REFERENCE, workers=0, chunk_size=20, compact=True)

    def stop(p: Progress) -> None:
        if p.rows >= 60:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(
            source, cut, scenario=REFERENCE, workers=0, chunk_size=20, compact=True, progress=stop
        )
    with (tmp_path / "cut.jsonl.partial").open("ab") as f:
        f.write(b'{"rule_set":"written after the checkpoint"')  # cut back by the resume
    with pytest.raises(Exception, match="another run"):  # full and compact do not mix
        run_batch(source, cut, scenario=REFERENCE, workers=0, chunk_size=20, resume=True)
    summary = run_batch(
        source, cut, scenario=REFERENCE, workers=0, chunk_size=20, compact=True, resume=True
    )
    assert summary.resumed == 60
    assert cut.read_bytes() == whole.read_bytes()


def test_a_line_whose_rule_set_is_missing_is_a_located_error(tmp_path: Path) -> None:
    source = tmp_path / "c.jsonl"
    write_records(source, list(iter_corpus(3, seed=1)))
    out = tmp_path / "out.jsonl"
    run_batch(source, out, scenario=REFERENCE, workers=0, compact=True)
    lines = out.read_bytes().splitlines(keepends=True)
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(b"".join(r for r in lines if not r.startswith(b'{"rule_set"')))
    with pytest.raises(InputError) as caught:
        list(read_decisions(broken))
    assert caught.value.problems[0].path == f"{broken}:1"
    assert "rule set" in caught.value.problems[0].en
    assert caught.value.problems[0].zh


def test_the_compact_form_as_parquet(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    source = tmp_path / "c.jsonl"
    write_records(source, list(iter_corpus(40, seed=3)))
    out = tmp_path / "out.jsonl"
    run_batch(source, out, scenario=REFERENCE, workers=0, compact=True)
    lines, sets = write_parquet(out, tmp_path / "out.parquet")
    shared = {r["rule_set"]: json.loads(r["shared"]) for r in pq.read_table(sets).to_pylist()}
    rows = pq.read_table(lines).to_pylist()
    expected = list(read_decisions(out))
    assert len(rows) == len(expected) == 40
    for row, (line, decision) in zip(rows, expected, strict=True):
        record = {
            "rule_set": row["rule_set"],
            "decision": json.loads(row["decision"]),
            **{k: json.loads(row[k]) for k in ("facts", "trace_facts") if row[k] is not None},
        }
        assert row["line"] == line
        assert expand_line(record, shared) == decision
