"""The text of a decision, its explanation and a bundle plan: headline first, every name by its
label, no raw identifier in Chinese outside the bracketed rule ids, columns aligned by display
width, conditions and facts in words, notes marked with their language."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gridconnect
from gridconnect.decide.decision import Decision
from gridconnect.output.labels import labels_for
from gridconnect.output.sentences import describe
from gridconnect.output.text import (
    display_width,
    marked,
    render_bundle,
    render_decision,
    render_explanation,
)
from gridconnect.plugins.registry import default_registry
from gridconnect.rules.conditions import parse_condition
from gridconnect.rules.facts import FACTS
from gridconnect.rules.slots import SLOT_FAMILIES, SLOTS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "applications").glob("*.json"))
HUANGPU = ROOT / "examples" / "applications" / "guangzhou-huangpu-10kv-enterprise.json"

_ID = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[a-z]+\.[a-z_]+\b")


def _decision(path: Path) -> Decision:
    return gridconnect.evaluate(gridconnect.load_application(path))


def _raw_ids(text: str) -> set[str]:
    """Identifiers left in ``text`` outside the bracketed rule ids and the addresses."""
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"https?://\S+", "", text)
    return set(_ID.findall(text))


def _names() -> set[str]:
    names = set(SLOTS) | set(FACTS) | set(SLOT_FAMILIES)
    for p in default_registry().plugins:
        for s in p.sources:
            for r in s.rules:
                names |= {slot.partition(".")[2] or slot for slot in r.then} | set(r.then)
    return names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_chinese_output_shows_no_raw_identifier(path: Path) -> None:
    decision = _decision(path)
    assert _raw_ids(render_decision(decision, "zh")) == set()
    explanation = render_explanation(decision, "zh")
    # notes and quotes keep the words of their source (marked when not Chinese), titles theirs
    own = "\n".join(
        line
        for line in explanation.splitlines()
        if not line.lstrip().startswith(("注：", "「", "依据："))
    )
    assert _raw_ids(own) == set()
    assert _raw_ids(own) & _names() == set()


def test_the_headline_comes_first_in_the_order_an_applicant_reads() -> None:
    lines = render_decision(_decision(HUANGPU), "zh").splitlines()

    def at(text: str) -> int:
        return next(i for i, line in enumerate(lines) if line.lstrip().startswith(text))

    order = [
        "服务类型",
        "供电方式",
        "受理与材料",
        "审批",
        "时限",
        "涉及的审批许可",
        "可用服务",
        "说明",
    ]
    positions = [at(text) for text in order]
    assert positions == sorted(positions)
    assert at("服务类型") == 1
    services = [line for line in lines if "网上营业厅（网）" in line]
    assert len(services) == 1
    assert "微信（微）" in services[0]


def test_every_deadline_is_a_date() -> None:
    decision = _decision(HUANGPU)
    text = render_decision(decision, "en")
    for d in decision.deadlines:
        assert f"by {d.due}" in text
    assert "by 2026-04-22 (2 working days from 2026-04-20)" in text


def test_english_output_is_singular_for_one() -> None:
    foshan = render_decision(_decision(ROOT / "examples/applications/foshan-resident.json"), "en")
    assert "(1 working day from" in foshan
    assert "1 working days" not in foshan


def test_rows_are_aligned_by_display_width() -> None:
    for lang in ("zh", "en"):
        lines = render_decision(_decision(HUANGPU), lang).splitlines()
        rows = [line for line in lines if line.startswith("  ") and "[" in line]
        columns = set()
        for line in rows:
            label_end = re.match(r"  ((?:\S(?:.*?\S)?)?)  +(?=\S)", line)
            assert label_end is not None, line
            if display_width(label_end.group(1)) > 24:  # an overlong label: two spaces after
                assert label_end.group(0).endswith(label_end.group(1) + "  "), line
                continue
            columns.add(display_width(label_end.group(0)))
        assert len(columns) == 1, (lang, columns)


@given(st.text(alphabet="供电方式abc ", max_size=20))
def test_display_width_counts_chinese_as_two(text: str) -> None:
    wide = sum(1 for ch in text if ch in "供电方式")
    assert display_width(text) == len(text) + wide


def test_explain_puts_conditions_facts_and_outcomes_in_words() -> None:
    decision = _decision(HUANGPU)
    zh = render_explanation(decision, "zh")
    en = render_explanation(decision, "en")
    assert "条件：需建设外线工程，且申请电压为10千伏或20千伏" in zh
    assert (
        "when: external access works are needed and the requested voltage is 10 kV or 20 kV" in en
    )
    assert "事实：需建设外线工程、申请电压：10千伏" in zh
    assert "→ 被例外规则排除 [guangzhou.huangpu.approval.joint_office_two_days]" in zh
    assert "voltage.requested" not in zh
    assert "works.external" not in en


def test_a_note_in_the_other_language_is_marked() -> None:
    zh = render_explanation(_decision(HUANGPU), "zh")
    notes = [line.strip() for line in zh.splitlines() if line.strip().startswith("注：")]
    assert notes
    for note in notes:
        body = note.removeprefix("注：")
        assert body.startswith("（英文）") or re.search(r"[\u4e00-\u9fff]{4}", body), note
    assert marked("Draft for comments", "zh") == "（英文）Draft for comments"
    assert marked("征求意见稿", "en") == "(in Chinese) 征求意见稿"
    assert marked("征求意见稿", "zh") == "征求意见稿"


def test_conditions_in_words_cover_every_rule_of_every_plugin() -> None:
    registry = default_registry()
    labels = labels_for(registry)
    for rule in registry.catalogue.rules:
        for lang in ("zh", "en"):
            words = describe(rule.when, labels, lang)
            assert words, rule.id
            assert "slot:" not in words, (rule.id, words)
            assert _raw_ids(words) == set(), (rule.id, words)


@pytest.mark.parametrize(
    ("condition", "zh", "en"),
    [
        (
            {"fact": "applicant.kind", "ne": "resident"},
            "申请人不为居民",
            "the applicant is not a resident",
        ),
        (
            {"not": {"slot": "supply", "eq": "high_voltage"}},
            "已定的供电方式不为高压",
            "the decided supply is not high voltage",
        ),
        (
            {"fact": "voltage.requested", "present": False},
            "未填写申请电压",
            "the requested voltage is not given",
        ),
        (
            {"any": "works.crossings", "in": ["railway"]},
            "线路穿越或占用铁路",
            "the route crosses a railway",
        ),
        (
            {"or": [{"fact": "simple_case", "eq": True}, {"fact": "capacity.kw", "gt": 100}]},
            "属简易场景，或申请容量大于100千瓦",
            "it is a simple case or the requested capacity is more than 100 kW",
        ),
    ],
)
def test_a_condition_reads_as_a_sentence(condition: dict[str, object], zh: str, en: str) -> None:
    cond = parse_condition(condition)
    labels = labels_for()
    assert describe(cond, labels, "zh") == zh
    assert describe(cond, labels, "en") == en


def test_an_unknown_language_is_an_error() -> None:
    decision = _decision(HUANGPU)
    for render in (render_decision, render_explanation):
        with pytest.raises(ValueError, match="fr"):
            render(decision, "fr")


def test_the_bundle_plan_shows_labels() -> None:
    app = gridconnect.load_application(ROOT / "examples/applications/guangzhou-nansha-bundle.json")
    plan = gridconnect.plan_for(app) if hasattr(gridconnect, "plan_for") else None
    if plan is None:
        from gridconnect.decide.evaluate import plan_for

        plan = plan_for(app, None, None)
    zh = render_bundle(plan, "zh")
    assert "营业执照" in zh
    assert "联合验收" in zh
    assert "建设工程规划许可（市政类）" in zh
    assert _raw_ids(zh) == set()


def test_warnings_come_first() -> None:
    from gridconnect.decide.decision import DecisionWarning

    decision = attrs.evolve(
        _decision(HUANGPU),
        warnings=(DecisionWarning(kind="broken_plugin", en="made without x", zh="未加载 x"),),
    )
    assert render_decision(decision, "zh").splitlines()[1] == "! 警告: 未加载 x"


@pytest.mark.parametrize(
    ("environ", "first"),
    [
        ({"GRIDCONNECT_LANG": "", "LC_ALL": "en_US.UTF-8"}, "Application "),
        ({"GRIDCONNECT_LANG": "", "LC_ALL": "zh_CN.UTF-8"}, "申请 "),
        ({"GRIDCONNECT_LANG": "en", "LC_ALL": "zh_CN.UTF-8"}, "Application "),
    ],
)
def test_the_commands_language_follows_the_locale(environ: dict[str, str], first: str) -> None:
    from click.testing import CliRunner

    from gridconnect.cli import cli

    result = CliRunner().invoke(cli, ["evaluate", str(HUANGPU)], env=environ)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(first)
    explicit = CliRunner().invoke(cli, ["evaluate", "--lang", "zh", str(HUANGPU)], env=environ)
    assert explicit.stdout.startswith("申请 ")


def test_an_undetermined_headline_comes_first_with_its_question() -> None:
    import json

    from gridconnect.model.application import Application
    from gridconnect.model.codec import structure

    data = json.loads(
        (ROOT / "examples/applications/guangzhou-180kw-small-enterprise.json").read_text("utf-8")
    )
    data["capacity"] = {"value": 220, "unit": "kVA"}  # no power factor: 0-220 kW
    decision = gridconnect.evaluate(structure(data, Application))
    assert "track" in decision.undetermined
    lines = render_decision(decision, "zh").splitlines()
    assert lines[1] == "待定"
    assert lines[2].lstrip().startswith("服务类型")
    assert any(line.lstrip().startswith("? 请补充") for line in lines[:15])
    assert _raw_ids(render_decision(decision, "zh")) == set()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_each_source_says_who_says_it(lang: str) -> None:
    """The source line of every rule in the trace names its issuer kind (government regulation,
    utility commitment, advocacy) by its label, after the confidence; Huangpu has all three."""
    from gridconnect.rules.model import IssuerKind

    decision = _decision(HUANGPU)
    labels = labels_for(default_registry())
    lines = render_explanation(decision, lang).splitlines()
    sources = [line for line in lines if line.lstrip().startswith(("依据：", "source: "))]
    cited = [t.citation for t in decision.trace]
    assert len(sources) == len(cited)
    seen = set()
    for line, citation in zip(sources, cited, strict=True):
        sure = labels.text(f"confidence:{citation.confidence.value}", lang)
        if citation.issuer_kind is None:
            assert f"{sure}）" in line or f"{sure})" in line, line
            continue
        seen.add(citation.issuer_kind)
        kind = labels.text(f"issuer_kind:{citation.issuer_kind.value}", lang)
        sep = "；" if lang == "zh" else "; "
        assert f"{sure}{sep}{kind}" in line, line
    assert seen == set(IssuerKind)
    advocacy = labels.text("issuer_kind:advocacy", lang)
    assert advocacy == ("倡议，不具约束力" if lang == "zh" else "advocacy, not binding")


def test_an_unknown_figure_decided_by_its_bound_shows_the_bound() -> None:
    """A resident giving 8 kVA, no power factor and no voltage: the supply rule wins on the
    bound (at most 8 kW, within 160 kW), and the trace says so rather than just "unknown"."""
    import json

    data = json.loads(
        (ROOT / "examples/applications/foshan-resident.json").read_text(encoding="utf-8")
    )
    data["capacity"] = {"value": 8, "unit": "kVA"}
    del data["voltage"]
    decision = gridconnect.evaluate(gridconnect.application_from_json(json.dumps(data)))
    assert decision.supply == "low_voltage"
    entry = next(t for t in decision.trace if t.rule == "cn.supply.low_by_capacity")
    assert entry.outcome == "won"
    assert entry.unknown == ("capacity.kw",)
    assert entry.facts["capacity.kw"] is None
    assert entry.facts["capacity.kva"] == 8.0  # the bound that decided it, in the JSON too
    zh = render_explanation(decision, "zh")
    en = render_explanation(decision, "en")
    assert "申请容量：未知，不超过8千伏安" in zh
    assert "the requested capacity: unknown, at most 8 kVA" in en
    assert "申请容量：8千伏安" not in zh  # the bound is shown once, beside the unknown figure
