"""Decisions as text for a terminal, in Chinese or English, headline first.

Every name is shown by its label from the one vocabulary (:mod:`gridconnect.output.labels`);
the only identifiers left in the text are the rule ids in brackets, which say where each answer
comes from. The order is the one an applicant reads in: service track and supply, acceptance
and documents, approval, every deadline as a date, permits, services (one line) and notes.
Columns are aligned by display width, a Chinese character counting two
(:func:`display_width`), so the output is the same on every terminal and in the tests.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from gridconnect.decide.acceptance import Acceptance
from gridconnect.decide.bundle import BundlePlan
from gridconnect.decide.decision import Conclusion, Decision, TraceEntry
from gridconnect.model.enums import Utility
from gridconnect.output.labels import (
    VOCABULARY,
    Labels,
    Lang,
    check_lang,
    default_lang,
    labels_for,
    language_of,
)
from gridconnect.output.sentences import describe
from gridconnect.rules.facts import fact_bounds
from gridconnect.rules.model import Citation, Text
from gridconnect.rules.slots import SLOTS

__all__ = [
    "LABELS",
    "UNITS",
    "default_lang",
    "display_width",
    "marked",
    "render_bundle",
    "render_decision",
    "render_explanation",
]

LABELS: Mapping[str, tuple[str, str]] = {
    slot: (VOCABULARY[slot].en, VOCABULARY[slot].zh) for slot in SLOTS
}
"""Deprecated view of the single slots' labels as ``(en, zh)``; use
:mod:`gridconnect.output.labels`."""
UNITS: Mapping[str, tuple[str, str]] = {
    unit: (VOCABULARY[f"unit:{unit}"].en + "s", VOCABULARY[f"unit:{unit}"].zh)
    for unit in ("working_day", "calendar_day")
} | {"day": ("days (天)", "天")}
"""Deprecated view of the time-limit units as ``(en plural, zh)``; use
:meth:`Labels.limit <gridconnect.output.labels.Labels.limit>`."""


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (Chinese) characters two, combining none.

    >>> display_width("供电方式"), display_width("supply")
    (8, 6)
    """
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def marked(text: str, lang: Lang) -> str:
    """Free text (a citation's note or quote) with its language marked when it is not the
    reader's: ``（英文）`` in Chinese output, ``(in Chinese)`` in English."""
    if language_of(text) == lang:
        return text
    return f"（英文）{text}" if lang == "zh" else f"(in Chinese) {text}"


def _pick(text: Any, lang: Lang) -> str:
    if isinstance(text, Text):
        return text.zh if lang == "zh" else text.en
    if hasattr(text, "render"):
        return str(text.render(lang))
    if hasattr(text, "zh") and hasattr(text, "en"):
        return str(text.zh if lang == "zh" else text.en)
    return str(text)


_HEADS: Mapping[str, tuple[str, str]] = {
    "acceptance": ("受理与材料", "Acceptance and documents"),
    "approval": ("审批", "Approval of the access works"),
    "deadlines": ("时限", "Deadlines"),
    "permit": ("涉及的审批许可", "Permits"),
    "service": ("可用服务", "Services"),
    "note": ("说明", "Notes"),
    "other": ("其他", "Other"),
    "open": ("待定", "Open"),
}
_HEADLINE = ("track", "supply", "zero_investment", "investment_boundary", "procedure_steps")
_APPROVAL = ("approval.mode", "approval.authority", "approval.limit", "approval.parallel")


class Table:
    """Rows of (label, value, rules) under headings, aligned by display width."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str] | str] = []

    def head(self, text: str) -> None:
        self.rows.append(text)

    def row(self, label: str, value: str, rules: Iterable[str] = ()) -> None:
        ids = list(dict.fromkeys(r for r in rules if r))
        self.rows.append((label, value, f"[{', '.join(ids)}]" if ids else ""))

    def lines(self) -> list[str]:
        cells = [r for r in self.rows if isinstance(r, tuple)]
        # a label much longer than the others (a note's) does not push every value right
        label_w = min(24, max((display_width(r[0]) for r in cells), default=0))
        value_w = min(40, max((display_width(r[1]) for r in cells if r[2]), default=0))
        out = []
        for r in self.rows:
            if isinstance(r, str):
                out.append(r)
                continue
            label, value, rules = r
            text = f"  {_pad(label, label_w)}  "
            text += f"{_pad(value, value_w)}  {rules}" if rules else value
            out.append(text.rstrip())
        return out


def jurisdiction_chain(decision: Decision, labels: Labels, lang: Lang) -> str:
    names = [labels.text(f"jurisdiction:{code}", lang, code) for code in decision.jurisdictions]
    return " › ".join(names)


def _header(decision: Decision, labels: Labels, lang: Lang) -> str:
    names = jurisdiction_chain(decision, labels, lang)
    if lang == "zh":
        return (
            f"申请 {decision.application_id}：{names}；适用 {decision.as_of} 的规则"
            f"（{decision.engine} 引擎）"
        )
    return (
        f"Application {decision.application_id}: {names}; rules in force on "
        f"{decision.as_of} ({decision.engine} engine)"
    )


def joined(items: Sequence[str], lang: Lang) -> str:
    return ("、" if lang == "zh" else "; ").join(items)


def decision_table(decision: Decision, labels: Labels, lang: Lang) -> Table:
    zh = lang == "zh"
    table = Table()
    cs = decision.conclusions
    done: set[str] = set()

    def show(slot: str) -> None:
        c = cs.get(slot)
        if c is None:
            return
        done.add(slot)
        table.row(labels.slot(slot, lang), labels.value(slot, c.value, lang), [c.rule])

    def section(key: str) -> None:
        table.head(_HEADS[key][0 if zh else 1])

    for w in getattr(decision, "warnings", ()) or ():
        table.head(f"! {'警告' if zh else 'warning'}: {_pick(w, lang)}")

    def open_section() -> None:
        """What waits on unknown facts, the headline slots first, and the questions."""
        if not (decision.undetermined or decision.questions):
            return
        section("open")
        order = {slot: i for i, slot in enumerate((*_HEADLINE, *_APPROVAL))}
        for slot in sorted(decision.undetermined, key=lambda s: (order.get(s, len(order)), s)):
            table.row(
                labels.slot(slot, lang),
                "待定，取决于未知事实" if zh else "undetermined: waits on an unknown fact",
                decision.undetermined[slot],
            )
        for q in decision.questions:
            ask = "请补充" if zh else "please give"
            table.row(f"? {ask}", q.prompt.zh if zh else q.prompt.en)

    for slot in _HEADLINE:
        show(slot)
    # a headline the rules cannot give yet comes first, with the questions that would settle it
    open_first = any(slot in decision.undetermined for slot in _HEADLINE)
    if open_first:
        open_section()

    family: dict[str, list[Conclusion]] = {}
    for slot, c in sorted(cs.items()):
        name, dot, _ = slot.partition(".")
        if dot and name in ("document", "permit", "service", "note", "stage"):
            family.setdefault(name, []).append(c)

    acceptance = getattr(decision, "acceptance", None)
    docs = family.get("document", [])
    if docs or "approval.tolerance" in cs or acceptance:
        section("acceptance")
        for row in _acceptance_rows(acceptance, labels, lang):
            table.row(*row)
        show("approval.tolerance")
        for value in ("required", "waived"):
            group = [c for c in docs if c.value == value]
            if group:
                table.row(
                    labels.value("document", value, lang),
                    joined([labels.slot(c.slot, lang) for c in group], lang),
                    [c.rule for c in group],
                )
        for c in docs:
            if c.value not in ("required", "waived"):
                table.row(labels.slot(c.slot, lang), labels.value(c.slot, c.value, lang), [c.rule])
        done.update(c.slot for c in docs)

    dated = {d.slot for d in decision.deadlines}
    if any(s in cs for s in _APPROVAL):
        section("approval")
        for slot in _APPROVAL:
            if slot not in dated:
                show(slot)

    stages = [c for c in family.get("stage", []) if c.slot not in dated]
    if decision.deadlines or stages:
        section("deadlines")
        for d in decision.deadlines:
            limit = labels.limit(d.limit, lang)
            mark = ("，暂定" if zh else ", provisional") if d.provisional else ""
            due = (
                f"{d.due} 截止（{limit}，自 {d.start} 起{mark}）"
                if zh
                else f"by {d.due} ({limit} from {d.start}{mark})"
            )
            table.row(labels.slot(d.slot, lang), due, [d.rule])
        for c in stages:
            after = "（随办理进度起算）" if zh else " (counted as the case proceeds)"
            table.row(
                labels.slot(c.slot, lang), labels.value(c.slot, c.value, lang) + after, [c.rule]
            )
        done.update(c.slot for c in family.get("stage", []))

    permits = family.get("permit", [])
    if permits:
        section("permit")
        for needed in (True, False):
            head = (
                ("需办理" if needed else "不需办理")
                if zh
                else ("needed" if needed else "not needed")
            )
            for c in (c for c in permits if (c.value is True) == needed):
                table.row(head, labels.slot(c.slot, lang), [c.rule])
                head = ""
    services = family.get("service", [])
    if services:
        offered = [c for c in services if c.value is True]
        not_offered = [c for c in services if c.value is not True]
        section("service")
        if offered:
            table.row(
                "提供" if zh else "offered",
                joined([labels.slot(c.slot, lang) for c in offered], lang),
                [c.rule for c in offered],
            )
        if not_offered:
            table.row(
                "不提供" if zh else "not offered",
                joined([labels.slot(c.slot, lang) for c in not_offered], lang),
                [c.rule for c in not_offered],
            )
    notes = family.get("note", [])
    if notes:
        section("note")
        for c in notes:
            table.row(labels.slot(c.slot, lang), labels.value(c.slot, c.value, lang), [c.rule])
    done.update(c.slot for name in ("permit", "service", "note") for c in family.get(name, []))

    rest = [c for slot, c in sorted(cs.items()) if slot not in done and slot not in _APPROVAL]
    rest = [c for c in rest if c.slot != "approval.tolerance"]
    if rest:
        section("other")
        for c in rest:
            table.row(labels.slot(c.slot, lang), labels.value(c.slot, c.value, lang), [c.rule])

    if not decision.conclusions and not decision.undetermined:
        table.head("  " + ("没有规则适用" if zh else "no rule applies"))
    if not open_first:
        open_section()
    return table


def _acceptance_rows(
    acceptance: Acceptance | None, labels: Labels, lang: Lang
) -> list[tuple[str, str, list[str]]]:
    """The acceptance (受理) of a decision, when it carries one
    (:class:`gridconnect.decide.acceptance.Acceptance`): its status, then the whole list of what is
    missing (一次性告知), what follows later under 容缺, and the 容缺 route a rule offers. The
    documents required and waived are the ``document.*`` conclusions, shown beside it."""
    if acceptance is None:
        return []
    zh = lang == "zh"
    status = str(getattr(acceptance, "status", ""))
    rows: list[tuple[str, str, list[str]]] = [
        (
            labels.text("acceptance:status", lang),
            labels.text(f"acceptance:{status}", lang, status),
            [],
        )
    ]

    def docs(kinds: Any) -> str:
        return joined([labels.slot(f"document.{k}", lang) for k in kinds], lang)

    missing = tuple(getattr(acceptance, "missing", ()))
    if missing:
        required = dict(getattr(acceptance, "required", {}))
        rows.append(
            (
                "缺少（一次性告知）" if zh else "missing (told at once)",
                docs(missing),
                [required.get(k, "") for k in missing],
            )
        )
    later = tuple(getattr(acceptance, "later", ()))
    if later:
        rows.append(("容缺后补" if zh else "to follow (容缺)", docs(later), []))
    route = getattr(acceptance, "tolerance_route", None)
    if route:
        rows.append(
            (
                "容缺受理途径" if zh else "容缺 route",
                "可以容缺受理函代替所缺材料" if zh else "a 容缺受理 letter may stand in",
                [route],
            )
        )
    return rows


def render_decision(decision: Decision, lang: str = "zh", *, labels: Labels | None = None) -> str:
    """A decision as readable text, headline first: track and supply, acceptance and documents,
    approval, deadlines as dates, permits, services, notes; each answer with its rule id.
    ``lang`` is ``zh`` or ``en`` (anything else is a :class:`ValueError`); ``labels`` defaults
    to the vocabulary of the default registry."""
    language = check_lang(lang)
    vocabulary = labels or labels_for()
    table = decision_table(decision, vocabulary, language)
    return "\n".join([_header(decision, vocabulary, language), *table.lines()])


def fact_lines(t: TraceEntry, labels: Labels, lang: Lang) -> list[str]:
    """The facts a trace entry read, in words. An unknown fact with a known bound shows it
    ("unknown, at most 8 kVA") in place of the bounding fact's own line."""
    bounds: dict[str, tuple[str, bool]] = {}
    for path in t.unknown:
        at_most, at_least = fact_bounds(path)
        for bound, most in ((at_most, True), (at_least, False)):
            if bound is not None and t.facts.get(bound) is not None and bound not in t.unknown:
                bounds[path] = (bound, most)
    shown_as_bound = {b for b, _ in bounds.values()}
    lines = []
    for k, v in t.facts.items():
        if k in shown_as_bound:
            continue
        line = _fact_line(k, v, k in t.unknown, labels, lang)
        if k in bounds:
            bound, most = bounds[k]
            value = labels.fact_value(bound, t.facts[bound], lang)
            if lang == "zh":
                line += f"，{'不超过' if most else '不少于'}{value}"
            else:
                line += f", {'at most' if most else 'at least'} {value}"
        lines.append(line)
    return lines


def _fact_line(path: str, value: object, unknown: bool, labels: Labels, lang: Lang) -> str:
    zh = lang == "zh"
    if isinstance(value, bool):
        key = f"fact:{path}={'true' if value else 'false'}"
        if labels.get(key) is not None:
            return labels.text(key, lang)
    name = labels.fact(path, lang) if not path.startswith("slot:") else labels.slot(path[5:], lang)
    if unknown:
        shown = "未知" if zh else "unknown"
    elif value is None:
        shown = "未填写" if zh else "not given"
    elif isinstance(value, list | tuple):
        shown = joined([labels.fact_value(path, v, lang) for v in value], lang) or (
            "无" if zh else "none"
        )
    else:
        shown = labels.fact_value(path, value, lang)
    return f"{name}：{shown}" if zh else f"{name}: {shown}"


def _citation_lines(c: Citation, labels: Labels, lang: Lang) -> list[str]:
    zh = lang == "zh"
    title = " ".join(x for x in (c.title, c.number or "", c.article or "") if x)
    when = f"{'；' if zh else '; '}{c.date}" if c.date else ""
    sure = how_sure(c, labels, lang)
    link = f" {c.url}" if c.url else ""
    out = [
        f"   {'依据' if zh else 'source'}{'：' if zh else ': '}{title}{'；' if zh else '; '}{c.issuer}{when}"
        f"{'（' if zh else ' ('}{sure}{'）' if zh else ')'}{link}"
    ]
    if c.quote:
        out.append(
            f"   「{c.quote}」"
            + ("" if language_of(c.quote) == lang or lang == "en" else "（英文）")
        )
    if c.note:
        out.append(f"   {'注' if zh else 'note'}{'：' if zh else ': '}{marked(c.note, lang)}")
    return out


def how_sure(c: Citation, labels: Labels, lang: Lang) -> str:
    """How sure the source is, and who says it (a regulation, a utility's commitment or
    advocacy): ``press report; government regulation``."""
    sure = labels.text(f"confidence:{c.confidence.value}", lang)
    if c.issuer_kind is not None:
        sure += ("；" if lang == "zh" else "; ") + labels.text(
            f"issuer_kind:{c.issuer_kind.value}", lang
        )
    return sure


def _trace_lines(i: int, t: TraceEntry, labels: Labels, lang: Lang) -> list[str]:
    zh = lang == "zh"
    title = t.title.zh if zh else t.title.en
    lines = [f"{i}. [{t.rule}] {title}"]
    lines.append(
        f"   {'条件' if zh else 'when'}{'：' if zh else ': '}{describe(t.when, labels, lang)}"
    )
    if t.facts:
        facts = fact_lines(t, labels, lang)
        lines.append(f"   {'事实' if zh else 'facts'}{'：' if zh else ': '}{joined(facts, lang)}")
    if t.slots:
        reads = []
        for k, c in t.slots.items():
            name = labels.slot(k, lang)
            if c is None:
                reads.append(f"{name}：—" if zh else f"{name}: —")
            else:
                value = labels.value(k, c.value, lang)
                reads.append(f"{name}：{value} [{c.rule}]" if zh else f"{name}: {value} [{c.rule}]")
        lines.append(
            f"   {'读取结论' if zh else 'reads'}{'：' if zh else ': '}{joined(reads, lang)}"
        )
    if t.parameters:
        params = []
        for k, u in t.parameters.items():
            name = labels.text(f"param:{k}", lang, k)
            unit = labels.text(f"param-unit:{k}", lang, "")
            over = ""
            if u.overrides:
                whose = labels.text(f"jurisdiction:{u.overrides}", lang, u.overrides)
                over = f"，取代{whose}的取值" if zh else f", in place of {whose}'s value"
            src = u.citation.number or u.citation.title
            params.append(
                f"{name} = {u.value}{unit}（{src}{over}）"
                if zh
                else f"{name} = {u.value}{unit} ({src}{over})"
            )
        lines.append(
            f"   {'参数' if zh else 'parameters'}{'：' if zh else ': '}{joined(params, lang)}"
        )
    sets = joined(
        [
            f"{labels.slot(k, lang)}{'：' if zh else ': '}{labels.value(k, v, lang)}"
            for k, v in t.sets.items()
        ],
        lang,
    )
    by = f" [{', '.join(t.by)}]" if t.by else ""
    lines.append(
        f"   {'结论' if zh else 'sets'}{'：' if zh else ': '}{sets} → {labels.outcome(t.outcome, lang)}{by}"
    )
    return lines + _citation_lines(t.citation, labels, lang)


def render_explanation(
    decision: Decision, lang: str = "zh", *, labels: Labels | None = None
) -> str:
    """The decision, then its derivation: each rule with its condition in words, the facts it
    read, what it set and what became of it, and its source (notes in the reader's language or
    marked with theirs)."""
    language = check_lang(lang)
    vocabulary = labels or labels_for()
    lines = [render_decision(decision, language, labels=vocabulary), ""]
    lines.append("推导过程" if language == "zh" else "Derivation")
    for i, t in enumerate(decision.trace, 1):
        lines += _trace_lines(i, t, vocabulary, language)
    return "\n".join(lines)


def render_bundle(plan: BundlePlan, lang: str = "zh", *, labels: Labels | None = None) -> str:
    """A bundle plan as text: form, documents, trenches, savings and schedule."""
    language = check_lang(lang)
    head, table, problems = bundle_parts(plan, language, labels or labels_for())
    return "\n".join([*head, *table.lines(), *(f"  ! {p}" for p in problems)])


def bundle_parts(
    plan: BundlePlan, language: Lang, vocabulary: Labels
) -> tuple[list[str], Table, list[str]]:
    """The heading lines, the table and the problems of a bundle plan (for text and HTML)."""
    zh = language == "zh"

    def u(value: Utility) -> str:
        return vocabulary.text(f"utility:{value.value}", language, value.value)

    sep = "、" if zh else ", "
    lines = [
        (f"一次办 {plan.application_id}：" if zh else f"One-stop request {plan.application_id}: ")
        + sep.join(u(x) for x in plan.utilities)
        + ("（一次确认）" if zh else " (one confirmation)")
    ]
    for utility, reason in plan.unavailable:
        lines.append(("  不含 " if zh else "  not bundled: ") + f"{u(utility)} — {reason}")
    table = Table()
    table.head("表单" if zh else "Form")
    for e in plan.form:
        title = e.title.zh if zh else e.title.en
        value = ("（缺）" if zh else "(missing)") if e.value is None else str(e.value)
        table.row(f"{u(e.utility)}：{title}" if zh else f"{u(e.utility)}: {title}", value)
    table.head("材料（每项一次）" if zh else "Documents (each asked once)")
    for d in plan.documents:
        mark = (
            ("已提供" if zh else "provided") if d.provided else ("待提供" if zh else "to provide")
        )
        table.row(
            vocabulary.slot(f"document.{d.kind}", language),
            f"{mark}（{sep.join(u(x) for x in d.utilities)}）"
            if zh
            else f"{mark} ({sep.join(u(x) for x in d.utilities)})",
        )
    table.head("联合开挖" if zh else "Joint trenches")
    for t in plan.trenches:
        section = t.road_section or ("（独立路段）" if zh else "(own section)")
        laid = sep.join(f"{u(x)} {i}" for x, i in t.segments)
        permits = sep.join(vocabulary.slot(f"permit.{p}", language) for p in t.permits) or "—"
        table.row(
            section,
            f"{laid}；{t.length_m} 米；许可：{permits}"
            if zh
            else f"{laid}; {t.length_m} m; permits: {permits}",
        )
    s = plan.savings
    table.head("节省" if zh else "Saved")
    table.row(
        "联合办理" if zh else "bundled",
        (
            f"开挖 {s.excavations_avoided} 次、审批 {s.approvals_avoided} 项、沟槽 {s.trench_m_avoided} 米"
            f"（分别申请 {s.excavations_separate}/{s.approvals_separate}/{s.trench_m_separate}）"
            if zh
            else f"{vocabulary.count(s.excavations_avoided, 'excavation', '', language)}, "
            f"{vocabulary.count(s.approvals_avoided, 'approval', '', language)}, "
            f"{s.trench_m_avoided} m of trench "
            f"(separately {s.excavations_separate}/{s.approvals_separate}/{s.trench_m_separate})"
        ),
    )
    table.head("联合进度" if zh else "Joint schedule")
    for step in plan.schedule:
        name = vocabulary.text(f"step:{step.step}", language, step.step)
        if step.due is None:
            table.row(name, "规则未设时限" if zh else "no limit in the rulebook")
        else:
            limit = vocabulary.limit(step.limit, language) if step.limit else ""
            due = f"{step.due} 截止（{limit}）" if zh else f"by {step.due} ({limit})"
            table.row(name, due, [step.rule or ""])
    return lines, table, [problem.render(language) for problem in plan.missing]
