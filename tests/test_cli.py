"""The command line: every command answers, JSON is machine-readable, bad input exits 2
with a located bilingual message and no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gridconnect.cli import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "applications").glob("*.json"))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_help_is_available_on_every_command() -> None:
    for args in (
        [],
        ["validate"],
        ["schema"],
        ["evaluate"],
        ["explain"],
        ["calendar"],
        ["calendar", "add"],
        ["calendar", "between"],
        ["plugins"],
        ["jurisdictions"],
        ["rules"],
    ):
        code, out, _ = run(*args, "--help")
        assert code == 0, args
        assert "Usage:" in out


def test_validate_accepts_every_example() -> None:
    code, out, _ = run("validate", *map(str, EXAMPLES))
    assert code == 0
    assert out.count("valid") == len(EXAMPLES)


def test_validate_json_prints_the_normalised_form() -> None:
    code, out, _ = run("validate", "--format", "json", str(EXAMPLES[0]))
    assert code == 0
    (result,) = json.loads(out)
    assert result["valid"] is True
    assert result["application"]["id"]


def test_invalid_input_exits_2_with_located_bilingual_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"id": "A-1", "applied_on": "2026-02-30", "service": "teleport"}))
    code, out, err = run("validate", str(bad))
    assert code == 2
    assert "$.applied_on" in err
    assert "$.service" in err
    assert "$.applicant: is required" in err
    assert "须为以下之一" in err
    assert "Traceback" not in out + err


def test_unreadable_and_non_json_files_exit_2(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    for path in (garbage, tmp_path / "missing.json"):
        code, out, err = run("evaluate", str(path))
        assert code == 2
        assert "Traceback" not in out + err


def test_schema_application_and_decision_are_json_schemas() -> None:
    for name in ("application", "decision"):
        code, out, _ = run("schema", name)
        assert code == 0
        assert json.loads(out)["$schema"].endswith("2020-12/schema")


def test_calendar_add_and_between_follow_the_2026_schedule() -> None:
    assert run("calendar", "add", "2026-09-30", "2")[1].strip() == "2026-10-09"
    assert run("calendar", "between", "2026-09-30", "2026-10-09")[1].strip() == "2"
    code, _, err = run("calendar", "add", "2099-01-01", "1")
    assert code == 2
    assert "2099" in err
    code, out, _ = run("calendar", "add", "--lenient", "--format", "json", "2099-01-01", "1")
    assert code == 0
    assert json.loads(out)["provisional"] is True


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_evaluate_prints_a_decision_in_each_language(lang: str) -> None:
    code, out, _ = run("evaluate", "--engine", "reference", "--lang", lang, str(EXAMPLES[0]))
    assert code == 0
    assert ("服务类型" if lang == "zh" else "service track") in out


def test_evaluate_json_is_deterministic() -> None:
    args = ("evaluate", "--engine", "reference", "--format", "json", *map(str, EXAMPLES))
    assert run(*args)[1] == run(*args)[1]


def test_explain_cites_every_rule() -> None:
    code, out, _ = run("explain", "--engine", "reference", str(EXAMPLES[0]))
    assert code == 0
    assert "依据" in out


def test_inspection_commands_list_the_national_floor() -> None:
    assert "national" in run("plugins")[1]
    assert "CN" in run("jurisdictions")[1]
    code, out, _ = run("rules", "--jurisdiction", "cn", "--as-of", "2026-01-01", "--format", "json")
    assert code == 0
    rules = json.loads(out)
    assert rules
    assert all(r["confidence"] in {"primary", "press", "source-article"} for r in rules)


def test_an_unknown_jurisdiction_exits_2() -> None:
    code, _, err = run("rules", "--jurisdiction", "atlantis")
    assert code == 2
    assert "atlantis" in err
