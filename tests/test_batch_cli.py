"""The batch, compare and corpus commands."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from gridconnect.batch import write_corpus
from gridconnect.cli import cli


def test_batch_prints_a_summary_whose_counts_add_up(tmp_path: Path) -> None:
    source = tmp_path / "c.jsonl"
    write_corpus(source, 120, seed=71, invalid=0.05)
    out = tmp_path / "d.jsonl"
    args = ["batch", str(source), "--out", str(out), "--engine", "reference", "--workers", "0"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Service track / 服务类型" in text
    assert "三零 (zero visits, approvals, investment) / 三零（零上门、零审批、零投资）" in text
    assert "three_zero" not in text  # values by their labels, not their ids
    assert "Approval of the access works / 接入工程行政审批" in text
    check = text.splitlines()[-1]
    assert check.startswith("Check / 核对: 120 rows in = ")
    assert check.endswith("OK")
    result = CliRunner().invoke(cli, [*args, "--format", "json", "--no-trace"])
    summary = json.loads(result.stdout)
    assert summary["rows"] == summary["decided"] + summary["rejected"] == 120
    assert summary["rejected"] == len((tmp_path / "d.jsonl.rejects.jsonl").read_text().splitlines())


def test_compare_reports_in_both_languages_and_json(tmp_path: Path) -> None:
    source = tmp_path / "c.jsonl"
    write_corpus(source, 400, seed=72, divisions="4401")
    base = ["compare", str(source), "--engine", "reference", "--workers", "0"]
    what_if = ["--set-b", "cn.low_voltage_access_cap_kw=160", "--label-b", "广州将上限降至160千瓦"]
    zh = CliRunner().invoke(cli, [*base, *what_if])
    assert zh.exit_code == 0, zh.output
    assert zh.stdout.startswith("若广州将上限降至160千瓦：在 400 宗申请中")
    en = CliRunner().invoke(
        cli, [*base, "--set-b", "cn.low_voltage_access_cap_kw=160", "--lang", "en"]
    )
    assert en.stdout.startswith("Under cn.low_voltage_access_cap_kw = 160 instead of the rules")
    js = CliRunner().invoke(cli, [*base, "--as-of-b", "2025-06-03", "--format", "json"])
    data = json.loads(js.stdout)
    assert data["rows"] == 400
    assert data["b"] == "as of 2025-06-03"


def test_compare_refuses_an_unknown_parameter_or_a_rules_file_that_does_not_load(
    tmp_path: Path,
) -> None:
    source = tmp_path / "c.jsonl"
    write_corpus(source, 5, seed=73)
    base = ["compare", str(source), "--workers", "0"]
    result = CliRunner().invoke(cli, [*base, "--set-b", "nowhere.cap=1"])
    assert result.exit_code == 2
    assert "unknown parameter" in result.output
    broken = tmp_path / "broken.toml"
    broken.write_text('jurisdiction = "999999"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, [*base, "--rules-b", str(broken)])
    assert result.exit_code == 2
    assert "broken.toml" in result.output


def test_batch_compact_writes_the_compact_form_that_reads_back_as_the_full_one(
    tmp_path: Path,
) -> None:
    from gridconnect.batch import read_decisions

    source = tmp_path / "c.jsonl"
    write_corpus(source, 60, seed=74, divisions="4401")
    full, compact = tmp_path / "full.jsonl", tmp_path / "compact.jsonl"
    base = ["batch", str(source), "--engine", "reference", "--workers", "0", "--no-progress"]
    assert CliRunner().invoke(cli, [*base, "--out", str(full)]).exit_code == 0
    result = CliRunner().invoke(cli, [*base, "--out", str(compact), "--compact"])
    assert result.exit_code == 0, result.output
    assert compact.read_bytes().startswith(b'{"rule_set":"')
    assert list(read_decisions(compact)) == list(read_decisions(full))
