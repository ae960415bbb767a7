"""``gridconnect ask``: an interview that asks only the questions that could change the
decision, checks each answer with the codec, and writes the completed application."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import click
import pytest
from click.testing import CliRunner, Result

import gridconnect
from gridconnect.cli import cli
from gridconnect.decide.decision import Decision
from gridconnect.errors import GridconnectError, InputError
from gridconnect.interview import (
    apply_answer,
    ask,
    describe_schema,
    next_question,
    parse_answer,
    parse_value,
    pending,
    run_interview,
    save_application,
    split_answer,
)
from gridconnect.model.application import Application
from gridconnect.rules.model import Text
from gridconnect.rules.questions import ASKS, Question

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "applications" / "guangzhou-180kw-small-enterprise.json"
RESIDENT = ROOT / "examples" / "applications" / "foshan-resident.json"

PF_ZH = ASKS["capacity.kw"].prompt.zh
PF_EN = ASKS["capacity.kw"].prompt.en


@pytest.fixture(autouse=True)
def _no_local_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRIDCONNECT_RULES", raising=False)
    monkeypatch.delenv("GRIDCONNECT_DISABLE", raising=False)


@pytest.fixture
def unknowns(tmp_path: Path) -> Path:
    """The Guangzhou small enterprise with 220 kVA (0 to 220 kW: either side of the 200 kW
    cap), no power factor and no ownership: two facts unknown, both asked about."""
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["capacity"] = {"value": 220, "unit": "kVA"}
    del data["applicant"]["ownership"]
    path = tmp_path / "shop.json"
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def invoke(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["ask", *args], input=input)


# -- apply_answer, parse_answer ------------------------------------------------------------------


def test_apply_answer_sets_nested_fields_and_leaves_the_input_alone() -> None:
    app = {"id": "A-1", "applicant": {"kind": "small_micro_enterprise"}, "documents": [{}]}
    out = apply_answer(app, "applicant.ownership", "private")
    assert out["applicant"] == {"kind": "small_micro_enterprise", "ownership": "private"}
    assert app["applicant"] == {"kind": "small_micro_enterprise"}  # a copy, not the input
    assert apply_answer(app, "power_factor", 0.9)["power_factor"] == 0.9
    deep = apply_answer(app, "project.demand.kw", 5)  # missing objects are created
    assert deep["project"] == {"demand": {"kw": 5}}
    assert apply_answer(app, "documents.0.source", "e_licence")["documents"] == [
        {"source": "e_licence"}
    ]
    assert apply_answer({"applicant": None}, "applicant.kind", "resident") == {
        "applicant": {"kind": "resident"}
    }
    assert apply_answer(app, "$.power_factor", 1)["power_factor"] == 1  # a codec-style path


def test_the_value_given_is_copied_not_shared() -> None:
    value = {"value": 180, "unit": "kVA"}
    out = apply_answer({}, "capacity", value)
    value["value"] = 1
    assert out["capacity"]["value"] == 180


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("id.x", "$.id"),
        ("applicant.kind.x", "$.applicant.kind"),
        ("documents.3.kind", "$.documents"),
        ("documents.x", "$.documents"),
        ("", ""),
        ("applicant..kind", "applicant..kind"),
    ],
)
def test_apply_answer_refuses_a_path_it_cannot_follow(path: str, where: str) -> None:
    app = {"id": "A-1", "applicant": {"kind": "resident"}, "documents": [{}]}
    with pytest.raises(InputError) as raised:
        apply_answer(app, path, 1)
    (problem,) = raised.value.problems
    assert problem.path == (where or "$")
    assert problem.en
    assert problem.zh


def test_parse_answer_reads_choices_numbers_and_yes_or_no() -> None:
    ownership = ASKS["applicant.ownership"]
    power_factor = ASKS["capacity.kw"]
    assert parse_answer("private", ownership) == "private"
    assert parse_answer(" STATE ", ownership) == "state"
    assert parse_answer("3", ownership) == "foreign"  # numbered from 1
    assert parse_answer("9", ownership) == "9"  # left for the codec to refuse
    assert parse_answer("0.95", power_factor) == 0.95
    assert parse_answer("１", power_factor) == 1  # full-width digits
    assert parse_answer("high", power_factor) == "high"
    assert parse_answer("true", power_factor) == "true"  # not a number
    yes_no = attrs.evolve(power_factor, schema={"type": "boolean"})
    assert parse_answer("是", yes_no) is True
    assert parse_answer("no", yes_no) is False
    assert parse_answer("maybe", yes_no) == "maybe"
    free = attrs.evolve(power_factor, schema={})
    assert parse_answer('{"a": 1}', free) == {"a": 1}
    assert parse_answer("text", free) == "text"


def test_values_on_the_command_line_are_json_else_text() -> None:
    assert parse_value("0.9") == 0.9
    assert parse_value("null") is None
    assert parse_value("private") == "private"
    assert split_answer('capacity={"value": 1, "unit": "kW"}') == (
        "capacity",
        {"value": 1, "unit": "kW"},
    )
    assert split_answer("applicant.name=a=b") == ("applicant.name", "a=b")
    for bad in ("power_factor", "=1"):
        with pytest.raises(ValueError, match=r"1|power_factor"):
            split_answer(bad)


def test_the_allowed_answers_are_described_in_both_languages() -> None:
    number = {"type": "integer", "minimum": 1, "exclusiveMaximum": 10}
    assert describe_schema(number, "en") == "a whole number at least 1 and less than 10"
    assert describe_schema(number, "zh") == "整数，不小于 1 且小于 10"
    assert "5 other" in describe_schema(ASKS["applicant.ownership"].schema, "en")
    assert describe_schema({}, "en") == "a JSON value"


# -- the interview loop, without a terminal --------------------------------------------------------


def _question(path: str, slots: tuple[str, ...]) -> Question:
    return Question(
        path=path,
        schema=ASKS["applicant.ownership"].schema
        if path == "applicant.ownership"
        else ASKS["capacity.kw"].schema,
        prompt=Text(en=f"Give {path}", zh=f"请填写 {path}"),
        facts=(path,),
        slots=slots,
        rules=("r",),
    )


def _fake_decide(app: Application) -> Decision:
    """Two questions while both facts are unknown; the power factor is asked first (it settles
    more), and ownership matters only below a power factor of 0.5."""
    questions = []
    if app.power_factor is None:
        questions.append(_question("power_factor", ("a", "b")))
    if app.applicant.ownership is None and (app.power_factor is None or app.power_factor < 0.5):
        questions.append(_question("applicant.ownership", ("a",)))
    return Decision(
        application_id=app.id,
        as_of=date(2026, 6, 8),
        jurisdictions=("CN",),
        engine="fake",
        conclusions={},
        deadlines=(),
        trace=(),
        undetermined={"a": ("r",)} if questions else {},
        questions=tuple(questions),
    )


def _script(*answers: str | None) -> Iterator[str | None]:
    yield from answers
    raise AssertionError("asked once too often")


def _run(*answers: str | None, lang: str = "en") -> tuple[Any, list[str]]:
    app = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    app["capacity"] = {"value": 220, "unit": "kVA"}
    del app["applicant"]["ownership"]
    said: list[str] = []
    script = _script(*answers)
    result = run_interview(app, _fake_decide, lambda _: next(script), said.append, lang=lang)
    return result, said


def test_the_loop_asks_the_question_that_settles_most_first_then_what_still_matters() -> None:
    result, said = _run("0.4", "state")
    assert result.answers == (("power_factor", 0.4), ("applicant.ownership", "state"))
    assert result.decision.complete
    assert not result.stopped
    assert result.asked == 2
    text = "\n".join(said)
    assert text.index("[1] power_factor") < text.index("[2] applicant.ownership")
    assert result.app_json["power_factor"] == 0.4
    assert result.app_json["applicant"]["ownership"] == "state"


def test_the_loop_does_not_ask_what_an_answer_made_irrelevant() -> None:
    result, said = _run("0.9")
    assert result.answers == (("power_factor", 0.9),)
    assert result.decision.complete
    assert "applicant.ownership" not in "\n".join(said)
    assert "ownership" not in result.app_json["applicant"]


def test_the_loop_reasks_after_a_refused_answer_and_stops_on_none() -> None:
    result, said = _run("2", "null", None)
    assert result.stopped
    assert not result.decision.complete
    assert result.answers == ()
    refusals = [s for s in said if "problem" in s]
    assert len(refusals) == 2
    assert "$.power_factor: must be greater than 0 and at most 1" in refusals[0]
    assert "须大于 0 且不大于 1" in refusals[0]
    assert "$.power_factor" in refusals[1]


def test_the_loop_stops_on_an_empty_answer_in_chinese() -> None:
    result, said = _run("   ", lang="zh")
    assert result.stopped
    assert said[0].startswith("申请 GZ-TH-2026-1187：有 2 个问题")
    assert "请填写 power_factor" in said[1]


def test_next_question_is_none_when_nothing_is_asked() -> None:
    decision = gridconnect.evaluate(gridconnect.load_application(str(RESIDENT)))
    assert next_question(decision) is None
    assert pending(decision)["complete"] is True


# -- the command, interactively ------------------------------------------------------------------


def test_ask_in_chinese_refuses_a_wrong_answer_then_takes_a_right_one(unknowns: Path) -> None:
    result = invoke(str(unknowns), input="1.5\n0.9\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert PF_ZH in out
    assert "数值，大于 0 且不大于 1" in out
    assert "$.power_factor: must be greater than 0 and at most 1 / 须大于 0 且不大于 1" in out
    assert out.count("回答: ") == 2  # asked again after the refusal
    # the power factor settles the decision: the ownership is never asked
    assert "所有制" not in out
    assert "决定已完整。" in out
    assert re.search(r"服务类型 +三零", out)
    assert "Traceback" not in result.output


def test_ask_in_english(unknowns: Path) -> None:
    result = invoke(str(unknowns), "--lang", "en", input="high\n0.9\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert PF_EN in out
    assert "a number greater than 0 and at most 1" in out
    assert "$.power_factor: expected a number / 应为数值" in out
    assert "The decision is complete." in out
    assert re.search(r"service track +三零", out)


def test_end_of_input_stops_cleanly_with_the_decision_as_it_stands(unknowns: Path) -> None:
    result = invoke(str(unknowns), "--lang", "en", input="")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Stopped; the decision as it stands" in out
    assert "Application GZ-TH-2026-1187" in out
    assert "? please give" in out.split("Stopped")[1]  # still to be given:
    assert "power factor of the load" in out.split("Stopped")[1]  # asked in words
    assert "Traceback" not in result.output


def test_an_empty_answer_stops_too(unknowns: Path) -> None:
    result = invoke(str(unknowns), input="\n0.9\n")
    assert result.exit_code == 0, result.output
    assert "已停止" in result.stdout
    assert "决定已完整" not in result.stdout


def test_an_application_with_no_questions_prints_its_decision_directly() -> None:
    result = invoke(str(RESIDENT), "--lang", "en", input="never read\n")
    assert result.exit_code == 0, result.output
    assert "Answer" not in result.stdout
    assert "question" not in result.stdout
    assert result.stdout.startswith("The decision is complete.\nApplication FS-CC-2026-30561")


def test_answers_given_as_options_are_not_asked(unknowns: Path) -> None:
    result = invoke(str(unknowns), "--answer", "power_factor=0.9", input="")
    assert result.exit_code == 0, result.output
    assert "回答" not in result.stdout
    assert "决定已完整" in result.stdout


def test_an_answer_may_set_any_field(unknowns: Path) -> None:
    result = invoke(
        str(unknowns),
        "--answer",
        'capacity={"value": 180, "unit": "kW"}',
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["complete"] is True


# -- --format json ---------------------------------------------------------------------------------


def test_json_lists_the_questions_without_asking(unknowns: Path) -> None:
    result = invoke(str(unknowns), "--format", "json", input="0.9\n")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"questions", "undetermined", "complete", "decision"}
    assert data["complete"] is False
    assert data["questions"] == data["decision"]["questions"]
    assert data["undetermined"] == data["decision"]["undetermined"]
    paths = [q["path"] for q in data["questions"]]
    assert paths == ["applicant.ownership", "power_factor"]
    pf = data["questions"][1]
    assert pf["schema"] == {"type": "number", "exclusiveMinimum": 0, "maximum": 1}
    assert pf["prompt"] == {"en": PF_EN, "zh": PF_ZH}
    assert set(pf) == {"path", "schema", "prompt", "facts", "slots", "rules"}
    assert "track" in data["undetermined"]
    assert data["undetermined"]["track"]["rules"]
    assert data["decision"]["schema_version"]


def test_json_after_answers_shows_what_is_left(unknowns: Path) -> None:
    result = invoke(str(unknowns), "--format", "json", "--answer", "applicant.ownership=state")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [q["path"] for q in data["questions"]] == ["power_factor"]
    result = invoke(str(unknowns), "--format", "json", "--answer", "power_factor=0.9")
    data = json.loads(result.stdout)
    assert data["complete"] is True
    assert data["questions"] == []
    assert data["undetermined"] == {}
    assert data["decision"]["conclusions"]["track"]["value"] == "three_zero"


# -- --out -----------------------------------------------------------------------------------------


def test_out_writes_the_completed_application(unknowns: Path, tmp_path: Path) -> None:
    out = tmp_path / "done" / "shop.json"
    out.parent.mkdir()
    before = unknowns.read_bytes()
    result = invoke(str(unknowns), "--out", str(out), "--lang", "en", input="0.9\n")
    assert result.exit_code == 0, result.output
    assert f"written to {out}" in result.stdout
    assert unknowns.read_bytes() == before  # the input file is left alone
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["power_factor"] == 0.9
    assert written["applicant"]["name"] == "广州禾木烘焙工作室有限公司"
    assert gridconnect.evaluate(gridconnect.load_application(str(out))).complete
    assert sorted(p.name for p in out.parent.iterdir()) == ["shop.json"]  # no temporary left


def test_out_in_json_mode_writes_the_answers_given(unknowns: Path, tmp_path: Path) -> None:
    out = tmp_path / "answered.json"
    out.write_text("old", encoding="utf-8")
    result = invoke(
        str(unknowns),
        "--format",
        "json",
        "--answer",
        "power_factor=0.9",
        "--answer",
        "applicant.ownership=private",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    app = gridconnect.load_application(str(out))
    assert app.applicant.ownership is not None
    assert app.applicant.ownership.value == "private"
    assert gridconnect.evaluate(app).complete


def test_out_when_stopped_keeps_what_was_answered(unknowns: Path, tmp_path: Path) -> None:
    out = tmp_path / "partial.json"
    result = invoke(str(unknowns), "--out", str(out), input="")
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(unknowns.read_text("utf-8"))


def test_a_failed_write_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "app.json"
    target.write_text('{"old": true}', encoding="utf-8")

    def fail(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("gridconnect.interview.os.replace", fail)
    with pytest.raises(GridconnectError, match="No space left"):
        save_application(target, {"new": True})
    assert target.read_text(encoding="utf-8") == '{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["app.json"]


def test_an_unwritable_out_exits_1(unknowns: Path, tmp_path: Path) -> None:
    result = invoke(
        str(unknowns), "--format", "json", "--out", str(tmp_path / "missing" / "x.json")
    )
    assert result.exit_code == 1
    assert "cannot write" in result.stderr
    assert "无法写入" in result.stderr


# -- bad input -------------------------------------------------------------------------------------


def test_a_bad_file_exits_2_with_a_located_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "A-1", "applied_on": "2026-02-30"}', encoding="utf-8")
    result = invoke(str(bad))
    assert result.exit_code == 2
    assert "$.applied_on" in result.stderr
    assert "Traceback" not in result.output
    missing = invoke(str(tmp_path / "missing.json"))
    assert missing.exit_code == 2
    assert "cannot read the file" in missing.stderr


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("power_factor=2", "$.power_factor: must be greater than 0 and at most 1"),
        ("applicant.ownership=public", "$.applicant.ownership: must be one of"),
        ("applicant.name.first=x", "$.applicant.name: is not an object"),
    ],
)
def test_a_bad_answer_option_exits_2(unknowns: Path, answer: str, message: str) -> None:
    for fmt in ("text", "json"):
        result = invoke(str(unknowns), "--answer", answer, "--format", fmt, input="")
        assert result.exit_code == 2, result.output
        assert message in result.stderr
        assert "Traceback" not in result.output


def test_an_answer_option_without_a_path_is_a_usage_error(unknowns: Path) -> None:
    result = invoke(str(unknowns), "--answer", "0.9")
    assert result.exit_code == 2
    assert "PATH=VALUE" in result.stderr


# -- help --------------------------------------------------------------------------------------------


def test_every_option_of_ask_has_help_text() -> None:
    for param in ask.params:
        if isinstance(param, click.Option):
            assert param.help, param.name
    result = CliRunner().invoke(cli, ["ask", "--help"])
    assert result.exit_code == 0
    for option in ("--answer", "--out", "--as-of", "--engine", "--format", "--lang"):
        assert option in result.stdout
