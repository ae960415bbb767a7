"""The command line: every command answers, JSON is machine-readable, bad input exits 2
with a located bilingual message and no traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from test_docs import console_commands, run_console_command

from gridconnect.cli import _error_entry, cli
from gridconnect.errors import ConflictError

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


# -- every option explains itself ----------------------------------------------------------------


def _commands(
    command: click.Command, path: tuple[str, ...] = ("gridconnect",)
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, (*path, name))


def test_every_option_of_every_command_has_help() -> None:
    walked = {" ".join(path) for path, _ in _commands(cli)}
    assert "gridconnect batch" in walked
    for group in ("track", "calendar"):  # the walk goes into every group
        assert any(p.startswith(f"gridconnect {group} ") for p in walked), group
    missing = [
        f"{' '.join(path)} {'/'.join(param.opts)}"
        for path, command in _commands(cli)
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden and not (param.help or "").strip()
    ]
    assert not missing, f"options without help: {missing}"


def test_the_help_walk_would_notice_an_option_without_help() -> None:
    @click.group()
    def top() -> None:
        """A group."""

    @top.command()
    @click.option("--quiet", is_flag=True)
    def sub(quiet: bool) -> None:
        """A command."""

    found = [
        (path, param.opts)
        for path, command in _commands(top, ("top",))
        for param in command.params
        if isinstance(param, click.Option) and not param.help
    ]
    assert found == [(("top", "sub"), ["--quiet"])]


# -- plugins are listed in order -----------------------------------------------------------------


def test_plugins_are_listed_sorted_by_name_in_text_and_json() -> None:
    code, out, _ = run("plugins")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    assert len(names) > 1
    assert names == sorted(names)
    code, out, _ = run("plugins", "--format", "json")
    rows = json.loads(out)["plugins"]
    assert [r["plugin"] for r in rows] == names


# -- rules -j: any division code, Chinese names --------------------------------------------------


def _rule_ids(*args: str) -> list[str]:
    code, out, err = run("rules", "--as-of", "2026-06-01", "--format", "json", *args)
    assert code == 0, err
    return [r["id"] for r in json.loads(out)]


@pytest.mark.parametrize("place", ["440112", "广州市黄埔区", "黄埔区", "广东省广州市黄埔区"])
def test_rules_takes_a_chinese_name_or_code_for_huangpu(place: str) -> None:
    assert _rule_ids("-j", place) == _rule_ids("-j", "guangzhou/huangpu")


def test_rules_walks_a_division_without_rules_up_as_evaluate_does() -> None:
    tianhe = _rule_ids("-j", "440106")
    assert tianhe == _rule_ids("-j", "guangzhou")
    assert tianhe == _rule_ids("-j", "广州市天河区")
    code, out, err = run("rules", "-j", "440106", "--as-of", "2026-06-01")
    assert code == 0
    assert "cn > guangdong > guangzhou " in out
    assert "天河区" in err  # says which rules apply, off stdout
    assert "guangzhou" in err


@pytest.mark.parametrize("place", ["火星市", "999999"])
def test_rules_with_an_unknown_place_exits_2_in_both_languages(place: str) -> None:
    code, out, err = run("rules", "-j", place)
    assert code == 2
    assert place in err
    assert "辖区" in err or "地名" in err
    assert "Traceback" not in out + err


# -- evaluate: bad files do not stop the good ones; one JSON shape -------------------------------


@pytest.fixture
def bad_files(tmp_path: Path) -> list[str]:
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps({"id": "A-1", "applied_on": "2026-02-30"}))
    return [str(garbage), str(invalid), str(tmp_path / "missing.json")]


def test_evaluate_prints_the_good_decisions_and_lists_the_bad(bad_files: list[str]) -> None:
    good = str(EXAMPLES[0])
    code, out, err = run("evaluate", "--engine", "reference", "--lang", "en", good, *bad_files)
    assert code == 2
    alone = run("evaluate", "--engine", "reference", "--lang", "en", good)[1]
    assert out == alone
    for path in bad_files:
        assert path in err
    assert (
        f"3 of 4 files could not be decided / 4 个文件中有 3 个未能判定: {', '.join(bad_files)}"
        in err
    )
    assert "$.applied_on" in err
    assert "Traceback" not in out + err


def test_evaluate_json_for_one_file_is_the_decision_itself() -> None:
    code, out, _ = run("evaluate", "--engine", "reference", "--format", "json", str(EXAMPLES[0]))
    assert code == 0
    assert json.loads(out)["schema_version"]


def _entries(fmt: str, files: list[str]) -> tuple[int, list[dict[str, Any]]]:
    code, out, _ = run("evaluate", "--engine", "reference", "--format", fmt, *files)
    if fmt == "jsonl":
        return code, [json.loads(line) for line in out.splitlines()]
    return code, json.loads(out)


@settings(max_examples=12, deadline=None)
@given(
    st.lists(st.sampled_from(["good0", "good1", "bad0", "bad1", "bad2"]), min_size=1, max_size=4)
)
def test_jsonl_has_one_entry_per_file_in_order_whatever_their_number(
    tmp_path_factory: pytest.TempPathFactory, picks: list[str]
) -> None:
    tmp = tmp_path_factory.mktemp("eval")
    (tmp / "garbage.json").write_text("{not json")
    (tmp / "invalid.json").write_text(json.dumps({"id": "A-1"}))
    paths = {
        "good0": str(EXAMPLES[0]),
        "good1": str(EXAMPLES[1]),
        "bad0": str(tmp / "garbage.json"),
        "bad1": str(tmp / "invalid.json"),
        "bad2": str(tmp / "missing.json"),
    }
    files = [paths[p] for p in picks]
    code, entries = _entries("jsonl", files)
    assert [e["file"] for e in entries] == files
    for pick, entry in zip(picks, entries, strict=True):
        assert set(entry) == (
            {"file", "decision"} if pick.startswith("good") else {"file", "error"}
        )
        if pick.startswith("bad"):
            assert entry["error"]["kind"] == "input"
            assert entry["error"]["problems"]
    assert code == (2 if any(p.startswith("bad") for p in picks) else 0)
    if len(files) > 1:  # --format json: the same entries, as one list
        assert _entries("json", files) == (code, entries)


def test_a_failure_that_is_not_an_input_error_is_listed_with_its_kind() -> None:
    conflict = ConflictError("track", [("a.rule", "three_zero", "A"), ("b.rule", "standard", "B")])
    entry = _error_entry(conflict)
    assert entry["kind"] == "conflict"
    assert "track" in entry["en"]
    assert entry["problems"] == []


CLI_PAGE_COMMANDS = list(console_commands(ROOT / "docs" / "reference" / "cli.rst"))


def test_the_cli_page_has_commands_to_run() -> None:
    assert len(CLI_PAGE_COMMANDS) >= 2


@pytest.mark.parametrize(
    ("command", "shown"), CLI_PAGE_COMMANDS, ids=[c for c, _ in CLI_PAGE_COMMANDS]
)
def test_a_cli_page_command_succeeds_and_prints_what_it_shows(
    command: str, shown: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_console_command(command, shown, monkeypatch)
