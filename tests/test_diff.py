"""``gridconnect diff``: what a new version of a plugin or rules file changes, from files,
folders, installed distributions and git revisions, and over a corpus."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from gridconnect.batch import write_corpus
from gridconnect.cli import cli
from gridconnect.decide.evaluate import evaluate
from gridconnect.diff import _scenario_for, diff_versions, load_version
from gridconnect.model import Application
from gridconnect.model.codec import loads
from gridconnect.plugins.registry import Registry

ROOT = Path(__file__).resolve().parent.parent
GUANGZHOU = ROOT / "plugins" / "gridconnect-guangzhou"
# Two commits of the repository that change the Guangzhou plugin: 3a28381 keyed its rules on
# the decided supply and gave it its own value of the national low-voltage cap.
OLD, NEW = "git:70bf742:plugins/gridconnect-guangzhou", "git:3a28381:plugins/gridconnect-guangzhou"


def has_revisions() -> bool:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "cat-file", "-e", "70bf742^{commit}"], capture_output=True
    )
    return done.returncode == 0


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_history_holds_the_two_revisions() -> None:
    """CI must check out the whole history (fetch-depth 0) for the git tests below."""
    assert has_revisions()


def test_diff_of_two_git_revisions_of_a_shipped_plugin_in_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = run("diff", OLD, NEW, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["parameters"]["added"] == ["cn.low_voltage_access_cap_kw"]
    assert data["rules"]["added"] == []
    assert data["rules"]["removed"] == []
    changed = {c["id"]: c["changes"] for c in data["rules"]["changed"]}
    (condition,) = changed["guangzhou.limit.high_voltage"]
    assert condition == {
        "aspect": "condition",
        "old": "voltage.requested_class = 'high'",
        "new": "slot:supply = 'high_voltage'",
    }
    assert data["corpus"] is None


def test_diff_of_two_git_revisions_in_chinese_and_english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, zh, _ = run("diff", OLD, NEW)
    assert code == 0
    assert "参数：新增 1，删除 0，修改 0" in zh
    assert "  + cn.low_voltage_access_cap_kw" in zh
    assert "      条件: voltage.requested_class = 'high'" in zh
    code, en, _ = run("diff", OLD, NEW, "--lang", "en")
    assert "parameters: 1 added, 0 removed, 0 changed" in en
    assert "  ~ guangzhou.limit.high_voltage" in en


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


HEADER = """
jurisdiction = "440100"
[citations.a]
title = "文件甲"
issuer = "某局"
confidence = "press"
[citations.b]
title = "文件乙"
issuer = "某局"
date = 2024-01-01
confidence = "primary"
"""


def rule(
    id: str, when: str, then: str, start: str = "2024-01-01", cite: str = "a", extra: str = ""
) -> str:
    return f"""
[[rules]]
id = "{id}"
title = {{ en = "t", zh = "标题" }}
effective_from = {start}
when = {when}
then = {then}
citation = {{ ref = "{cite}" }}
{extra}
"""


def test_each_aspect_of_a_changed_rule_and_parameter_is_named(tmp_path: Path) -> None:
    old = write(
        tmp_path / "old.toml",
        HEADER
        + rule(
            "guangzhou.test.kept", '{ fact = "capacity.kw", le = 100 }', '{ track = "three_zero" }'
        )
        + rule(
            "guangzhou.test.gone",
            '{ fact = "applicant.kind", eq = "resident" }',
            "{ procedure_steps = 2 }",
        )
        + """
[[parameters]]
name = "guangzhou.test_cap"
title = { en = "cap", zh = "上限" }
unit = "kW"
versions = [ { value = 100, effective_from = 2024-01-01, citation = { ref = "a" } } ]
""",
    )
    new = write(
        tmp_path / "new.toml",
        HEADER
        + rule(
            "guangzhou.test.kept",
            '{ fact = "capacity.kw", le = 200 }',
            '{ track = "standard" }',
            start="2025-01-01",
            cite="b",
        )
        + rule(
            "guangzhou.test.new",
            '{ fact = "applicant.kind", eq = "resident" }',
            "{ procedure_steps = 1 }",
        )
        + """
[[parameters]]
name = "guangzhou.test_cap"
title = { en = "cap", zh = "上限" }
unit = "kW"
versions = [ { value = 100, effective_from = 2024-01-01, effective_until = 2025-12-31, citation = { ref = "a" } }, { value = 200, effective_from = 2026-01-01, citation = { ref = "b" } } ]
""",
    )
    d = diff_versions(load_version(str(old), tmp_path), load_version(str(new), tmp_path))
    assert d.rules_added == ("guangzhou.test.new",)
    assert d.rules_removed == ("guangzhou.test.gone",)
    ((rid, changes),) = d.rules_changed
    assert rid == "guangzhou.test.kept"
    assert [c.aspect for c in changes] == ["condition", "effect", "dates", "citation"]
    assert changes[0].old == "capacity.kw ≤ 100"
    assert changes[0].new == "capacity.kw ≤ 200"
    ((name, pchanges),) = d.parameters_changed
    assert name == "guangzhou.test_cap"
    assert {c.aspect for c in pchanges} == {"values", "citation"}
    same = diff_versions(load_version(str(old), tmp_path), load_version(str(old), tmp_path))
    assert same.empty


def test_an_installed_distribution_is_a_version() -> None:
    code, out, err = run(
        "diff",
        "gridconnect-zhaoqing",
        str(ROOT / "plugins" / "gridconnect-zhaoqing"),
        "--lang",
        "en",
    )
    assert code == 0, err
    assert "no rule or parameter changes" in out


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("nosuch-thing", "installed distribution"),
        ("git:no-such-rev:plugins", "git"),
    ],
)
def test_a_version_that_cannot_be_read_exits_2(
    spec: str, fragment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code, _, err = run("diff", spec, str(GUANGZHOU))
    assert code == 2
    assert fragment in err
    assert "Traceback" not in err


def test_the_corpus_what_if_counts_the_applications_each_conclusion_changes(tmp_path: Path) -> None:
    raised = tmp_path / "gridconnect-guangzhou"
    shutil.copytree(GUANGZHOU / "src", raised / "src")
    rules = raised / "src" / "gridconnect_guangzhou" / "guangzhou.toml"
    text = rules.read_text("utf-8")
    old_cap = "versions = [ { value = 200, effective_from = 2021-05-21"
    assert old_cap in text
    rules.write_text(text.replace(old_cap, old_cap.replace("200", "400")), "utf-8")
    corpus = tmp_path / "corpus.jsonl"
    write_corpus(corpus, 300, seed=5)
    code, out, err = run(
        "diff", str(GUANGZHOU), str(raised), "--corpus", str(corpus), "--format", "json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert [c["id"] for c in data["parameters"]["changed"]] == ["cn.low_voltage_access_cap_kw"]
    counted = data["corpus"]["by_slot"].get("supply", 0)
    # The oracle: each application decided under both versions, one by one.
    work = tmp_path / "work"
    work.mkdir()
    installed = Registry()
    old, new = load_version(str(GUANGZHOU), work), load_version(str(raised), work)
    registries = [
        Registry(local=s.rules, disable=s.disable)
        for s in (
            _scenario_for(old, installed, work, "a"),
            _scenario_for(new, installed, work, "b"),
        )
    ]
    expected = 0
    for line in corpus.read_text("utf-8").splitlines():
        try:
            app = loads(line, Application)
        except Exception:  # the corpus has invalid rows on purpose; the what-if rejects them
            continue
        supplies = {evaluate(app, engine="reference", registry=r).supply for r in registries}
        expected += len(supplies) > 1
        if len(supplies) > 1:
            assert app.site.division.value.startswith("4401")  # only Guangzhou changes
    assert counted == expected > 0
