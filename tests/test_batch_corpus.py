"""The synthetic corpus: deterministic for a seed, valid, with the proportions it documents."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from gridconnect.batch import iter_corpus, write_corpus
from gridconnect.batch.corpus import APPLICANT_MIX
from gridconnect.cli import cli
from gridconnect.model.application import Application
from gridconnect.model.codec import structure


def test_corpus_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    for name in ("a.jsonl", "b.jsonl"):
        write_corpus(tmp_path / name, 500, seed=42, invalid=0.02)
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    write_corpus(tmp_path / "c.jsonl", 500, seed=43)
    assert (tmp_path / "a.jsonl").read_bytes() != (tmp_path / "c.jsonl").read_bytes()


def test_the_corpus_command_writes_the_same_bytes_as_the_api(tmp_path: Path) -> None:
    out = tmp_path / "cli.jsonl"
    result = CliRunner().invoke(cli, ["corpus", "--n", "200", "--seed", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    write_corpus(tmp_path / "api.jsonl", 200, seed=7)
    assert out.read_bytes() == (tmp_path / "api.jsonl").read_bytes()


def test_every_row_is_a_valid_application_unless_spoiled_on_purpose() -> None:
    rows = list(iter_corpus(3000, seed=1))
    for row in rows:
        assert isinstance(row, dict)
        structure(row, Application)
    spoiled = list(iter_corpus(400, seed=1, invalid=0.5))
    bad = 0
    for row in spoiled:
        try:
            structure(json.loads(row) if isinstance(row, str) else row, Application)
        except Exception:
            bad += 1
    assert 150 < bad < 250


def test_the_documented_proportions_hold() -> None:
    rows = [r for r in iter_corpus(20_000, seed=3) if isinstance(r, dict)]
    kinds = Counter(r["applicant"]["kind"] for r in rows)
    for kind, share in APPLICANT_MIX.items():
        assert abs(kinds[kind] / len(rows) - share) < 0.015, kind
    high = [r for r in rows if r.get("voltage") in ("10kV", "20kV", "35kV", "110kV")]
    at_10kv = sum(r["voltage"] == "10kV" for r in high) / len(high)
    assert at_10kv > 0.88  # Sources §2.3: more than 90% of new HV applications are at 10 kV
    assert {r["site"]["division"][:2] for r in rows} == {"44"}
    only_guangzhou = {r["site"]["division"][:4] for r in iter_corpus(500, divisions="4401")}
    assert only_guangzhou == {"4401"}
