"""Decisions as text for a terminal, in Chinese or English."""

from __future__ import annotations

from collections.abc import Mapping

from gridconnect.bundle import BundlePlan
from gridconnect.decision import Decision
from gridconnect.model.enums import Utility
from gridconnect.rules.model import Limit, Text, Value

__all__ = ["LABELS", "render_bundle", "render_decision", "render_explanation"]

LABELS: Mapping[str, tuple[str, str]] = {
    "track": ("service track", "服务类型"),
    "supply": ("supply", "供电方式"),
    "zero_investment": ("zero investment", "零投资"),
    "investment_boundary": ("investment boundary", "投资界面"),
    "procedure_steps": ("procedures", "办电环节"),
    "approval.mode": ("approval of access works", "接入工程行政审批"),
    "approval.authority": ("approved by", "审批层级"),
    "approval.limit": ("approval time limit", "审批时限"),
    "approval.parallel": ("parallel approval", "并联审批"),
    "approval.tolerance": ("acceptance with documents missing", "容缺受理"),
}
VALUES: Mapping[str, tuple[str, str]] = {
    "three_zero": ("三零 (zero visits, approvals, investment)", "三零（零上门、零审批、零投资）"),
    "three_save": ("三省 (save effort, time, money)", "三省（省力、省时、省钱）"),
    "standard": ("standard", "常规"),
    "low_voltage": ("low voltage", "低压"),
    "high_voltage": ("high voltage", "高压"),
    "building_zone_red_line": ("the user's building-zone red line", "用户建筑区划红线"),
    "planning_red_line": ("the user's planning red line", "用户规划红线"),
    "meter_box": ("the meter and meter box", "低压计量表箱"),
    "transformer_low_side": ("the low-voltage side of the transformer", "变压器低压侧"),
    "exempt": ("exempt", "免审批"),
    "filing": ("filing only", "备案"),
    "required": ("required", "须审批"),
    "district": ("district", "区级"),
    "city": ("city", "市级"),
    "province": ("province", "省级"),
}
UNITS = {
    "working_day": ("working days", "个工作日"),
    "calendar_day": ("calendar days", "个自然日"),
    "day": ("days (天)", "天"),
}


def _label(slot: str, zh: bool) -> str:
    if slot in LABELS:
        return LABELS[slot][zh]
    family, _, name = slot.partition(".")
    fam = {
        "stage": ("stage", "环节时限"),
        "document": ("document", "材料"),
        "permit": ("permit", "许可"),
        "service": ("service", "服务"),
        "note": ("note", "说明"),
    }
    return f"{fam.get(family, (family, family))[zh]} {name}"


def _value(value: Value, zh: bool, slot: str = "") -> str:
    if slot.startswith("document."):
        return {"required": ("required", "须提交"), "waived": ("waived", "免提交")}[str(value)][zh]
    if isinstance(value, Limit):
        en, cn = UNITS[value.unit.value]
        return f"{value.amount}{cn}" if zh else f"{value.amount} {en}"
    if isinstance(value, Text):
        return value.zh if zh else value.en
    if isinstance(value, bool):
        return ("是" if value else "否") if zh else ("yes" if value else "no")
    if isinstance(value, str) and value in VALUES:
        return VALUES[value][zh]
    return str(value)


def render_decision(decision: Decision, lang: str = "zh") -> str:
    """A decision as readable text: conclusions, then deadlines."""
    zh = lang == "zh"
    head = "申请" if zh else "Application"
    chain = " > ".join(decision.jurisdictions)
    lines = [
        f"{head} {decision.application_id}  ({chain}, "
        f"{'适用规则日期' if zh else 'rules as of'} {decision.as_of}, {decision.engine})"
    ]
    for slot, c in sorted(decision.conclusions.items()):
        lines.append(f"  {_label(slot, zh)}: {_value(c.value, zh, slot)}    [{c.rule}]")
    for d in decision.deadlines:
        mark = (" (暂定)" if zh else " (provisional)") if d.provisional else ""
        due = "截止" if zh else "due"
        lines.append(
            f"  {_label(d.slot, zh)} {due} {d.due}{mark}  ({_value(d.limit, zh)}, "
            f"{'起算' if zh else 'from'} {d.start})"
        )
    if not decision.conclusions and not decision.undetermined:
        lines.append("  " + ("没有规则适用" if zh else "no rule applies"))
    for slot, rules in decision.undetermined.items():
        waits = "待定，取决于" if zh else "undetermined, waits on"
        lines.append(f"  {_label(slot, zh)}: {waits} {', '.join(rules)}")
    for q in decision.questions:
        ask = "请补充" if zh else "please give"
        lines.append(f"  ? {ask} {q.path}: {q.prompt.zh if zh else q.prompt.en}")
    return "\n".join(lines)


def render_explanation(decision: Decision, lang: str = "zh") -> str:
    """The trace as a derivation: each rule, why it matched, what became of it, and its source."""
    zh = lang == "zh"
    outcome = {
        "won": ("decides", "采用"),
        "agreed": ("agrees", "一致"),
        "lost_to_exception": ("overridden by exception", "被例外规则排除"),
        "shadowed": ("shadowed by a more specific jurisdiction", "被更具体辖区的规则取代"),
        "pending": ("waits on an unknown fact", "待定（取决于未知事实）"),
        "unknown": ("may apply: its condition reads an unknown fact", "可能适用：条件涉及未知事实"),
    }
    lines = [render_decision(decision, lang), ""]
    for i, t in enumerate(decision.trace, 1):
        title = t.title.zh if zh else t.title.en
        lines.append(f"{i}. {t.rule} — {title}")
        lines.append(f"   {'条件' if zh else 'when'}: {t.condition}")
        if t.facts:
            facts = ", ".join(f"{k}={v!s}" for k, v in t.facts.items())
            lines.append(f"   {'事实' if zh else 'facts'}: {facts}")
        if t.slots:
            reads = ", ".join(
                f"{_label(k, zh)}={'—' if c is None else _value(c.value, zh, k)}"
                + ("" if c is None else f" ← {c.rule}")
                for k, c in t.slots.items()
            )
            lines.append(f"   {'读取结论' if zh else 'reads'}: {reads}")
        if t.unknown:
            lines.append(f"   {'未知' if zh else 'unknown'}: {', '.join(t.unknown)}")
        if t.parameters:
            params = ", ".join(
                f"{k}={u.value} ({u.citation.short()}"
                + (
                    f"; {'覆盖' if zh else 'overrides'} {u.overrides} {'的取值' if zh else 'value'}"
                    if u.overrides
                    else ""
                )
                + ")"
                for k, u in t.parameters.items()
            )
            lines.append(f"   {'参数' if zh else 'parameters'}: {params}")
        sets = ", ".join(f"{_label(k, zh)}={_value(v, zh, k)}" for k, v in t.sets.items())
        by = f" ({', '.join(t.by)})" if t.by else ""
        lines.append(f"   {'结论' if zh else 'sets'}: {sets} → {outcome[t.outcome][zh]}{by}")
        c = t.citation
        src = " ".join(x for x in (c.title, c.number or "", c.article or "") if x)
        lines.append(
            f"   {'依据' if zh else 'source'}: {src}; {c.issuer}; "
            f"{c.date or ''} [{c.confidence.value}]"
        )
        if c.quote:
            lines.append(f"   「{c.quote}」")
        if c.note:
            lines.append(f"   {'注' if zh else 'note'}: {c.note}")
    return "\n".join(lines)


def render_bundle(plan: BundlePlan, lang: str = "zh") -> str:
    """A bundle plan as text: form, documents, trenches, savings and schedule."""
    zh = lang == "zh"
    names = {"electricity": "电", "water": "水", "gas": "气", "heat": "热", "network": "网"}

    def u(value: Utility) -> str:
        return names[value.value] if zh else value.value

    lines = [
        (f"一次办 {plan.application_id}：" if zh else f"One-stop request {plan.application_id}: ")
        + ("、" if zh else ", ").join(u(x) for x in plan.utilities)
        + ("（一次确认）" if zh else " (one confirmation)")
    ]
    for utility, reason in plan.unavailable:
        lines.append(("  不含 " if zh else "  not bundled: ") + f"{u(utility)} — {reason}")
    lines.append("  表单：" if zh else "  form:")
    for e in plan.form:
        title = e.title.zh if zh else e.title.en
        value = (
            "（缺）" if zh and e.value is None else ("(missing)" if e.value is None else e.value)
        )
        lines.append(f"    {u(e.utility)} {title}: {value}")
    lines.append("  材料（每项一次）：" if zh else "  documents (each asked once):")
    for d in plan.documents:
        mark = (
            ("已提供" if zh else "provided") if d.provided else ("待提供" if zh else "to provide")
        )
        lines.append(f"    {d.kind} [{'、'.join(u(x) for x in d.utilities)}] {mark}")
    lines.append("  联合开挖：" if zh else "  trenches:")
    for t in plan.trenches:
        section = t.road_section or ("（独立路段）" if zh else "(own section)")
        laid = ", ".join(f"{u(x)}:{i}" for x, i in t.segments)
        lines.append(
            f"    {section}: {laid}; {t.length_m} m; "
            + ("许可 " if zh else "permits ")
            + (", ".join(t.permits) or "-")
        )
    s = plan.savings
    lines.append(
        (
            f"  节省：开挖 {s.excavations_avoided} 次、审批 {s.approvals_avoided} 项、沟槽 {s.trench_m_avoided} 米"
            if zh
            else f"  saved: {s.excavations_avoided} excavations, {s.approvals_avoided} approvals, "
            f"{s.trench_m_avoided} m of trench"
        )
        + (
            f"（分别申请 {s.excavations_separate}/{s.approvals_separate}/{s.trench_m_separate}）"
            if zh
            else f" (separately {s.excavations_separate}/{s.approvals_separate}/{s.trench_m_separate})"
        )
    )
    for step in plan.schedule:
        if step.due is None:
            lines.append(
                f"  {step.step}: " + ("规则未设时限" if zh else "no limit in the rulebook")
            )
        else:
            lines.append(
                f"  {step.step}: {step.due} ({_value(step.limit, zh) if step.limit else ''}, {step.rule})"
            )
    for problem in plan.missing:
        lines.append(f"  ! {problem.render('zh' if zh else 'en')}")
    return "\n".join(lines)
