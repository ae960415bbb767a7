"""Pictures drawn from real library output: a decision's timeline and its derivation, as SVG.

Nothing here is drawn by hand. An application file is evaluated with the installed rules
(:func:`load_example`), and the decision is drawn:

:func:`timeline_svg`
    the application date, the date the works were filed for approval, and every dated deadline
    of ``decision.deadlines`` as a bar from its start to its due date, over a strip of days in
    which weekends and holidays are shaded and each working day has a tick. A limit in working
    days counts only the working days (numbered); a limit in calendar days counts every day.
:func:`derivation_svg`
    every rule of ``decision.trace``, grouped by the depth of its jurisdiction (nation, province,
    city, district), with an arrow to each conclusion slot it sets, styled by what became of it
    in that slot (:data:`OUTCOME_STYLES`), a dashed arrow from each exception to the rule it
    defeats, and the confidence of each rule's citation.

The SVG is written by plain Python (no graphviz, no matplotlib), is well-formed XML with every
text escaped, and carries a ``<title>`` and a ``<desc>`` that say in words what it shows
(:func:`timeline_alt`, :func:`derivation_alt`). Elements that stand for something of the
decision carry ``data-*`` attributes naming it, so tests can find them. There is no Sphinx
import: :mod:`gridconnect_picture_directives` wraps these functions in directives, and
``tests/test_docs_pictures.py`` calls them directly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple
from xml.sax.saxutils import escape, quoteattr

from gridconnect.decide.calendar import WorkingDayCalendar, national_calendar
from gridconnect.decide.decision import Decision, TraceEntry
from gridconnect.model.application import Application
from gridconnect.output.labels import Labels, labels_for
from gridconnect.plugins.registry import Registry
from gridconnect.rules.model import Limit, LimitUnit, Text, Value

__all__ = [
    "CONFIDENCE_STYLES",
    "OUTCOME_STYLES",
    "Example",
    "derivation_alt",
    "derivation_svg",
    "figure_html",
    "load_example",
    "slot_label",
    "slot_outcome",
    "timeline_alt",
    "timeline_svg",
]

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans CJK SC', sans-serif"
MONO = "ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace"
INK = "#1a202c"
MIN_FONT = 11.0
"""The smallest text of a picture, in pixels. The pictures are shown at their own size (never
scaled down to the column, which scrolls instead) so this is the size a reader sees."""
MUTED = "#5a6270"


# ---------------------------------------------------------------------------------------------
# the decision of an example file
# ---------------------------------------------------------------------------------------------


class Example(NamedTuple):
    """An application, its decision, the names of its jurisdictions, and its calendar."""

    application: Application
    decision: Decision
    names: Mapping[str, Text]
    calendar: WorkingDayCalendar


def load_example(path: str | Path, registry: Registry | None = None) -> Example:
    """Evaluate an application file with the installed rules (or ``registry``).

    The reference engine is used: the decision does not depend on the engine (resolution is
    the same code for all of them), and the pictures must not depend on a C extension.
    """
    import gridconnect

    reg = registry or gridconnect.default_registry()
    application = gridconnect.load_application(str(path))
    decision = gridconnect.evaluate(application, engine="reference", registry=reg)
    names = {
        code: reg.catalogue.jurisdictions[code].name
        for code in decision.jurisdictions
        if code in reg.catalogue.jurisdictions
    }
    calendar = reg.calendar(decision.jurisdictions[-1], strict=False)
    return Example(application, decision, names, calendar)


# ---------------------------------------------------------------------------------------------
# SVG writing
# ---------------------------------------------------------------------------------------------

_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text_escape(text: object) -> str:
    return escape(_NOT_XML.sub("", str(text)))


def _attrs(attrs: Mapping[str, Any]) -> str:
    out = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        name = key.rstrip("_").replace("_", "-")
        if isinstance(value, float):
            value = f"{value:.1f}".rstrip("0").rstrip(".")
        out.append(f" {name}={quoteattr(_NOT_XML.sub('', str(value)))}")
    return "".join(out)


def _el(tag: str, body: str | None = None, **attrs: Any) -> str:
    """One element; ``body`` is markup already (use :func:`_text` for text)."""
    if body is None:
        return f"<{tag}{_attrs(attrs)}/>"
    return f"<{tag}{_attrs(attrs)}>{body}</{tag}>"


def _text(x: float, y: float, text: str, size: float = 12, **attrs: Any) -> str:
    attrs.setdefault("fill", INK)
    attrs.setdefault("font_family", FONT)
    return _el("text", _text_escape(text), x=x, y=y, font_size=size, **attrs)


def _width(text: str, size: float, mono: bool = False) -> float:
    """A rough, generous width of ``text`` in pixels: wide (CJK) characters one em, others
    0.62 em (bold sans-serif and monospace are about that wide)."""
    narrow = 0.62
    return sum(size * (1.0 if unicodedata.east_asian_width(c) in "WF" else narrow) for c in text)


def _fit(text: str, max_px: float, size: float, mono: bool = False) -> str:
    """``text`` cut to about ``max_px`` pixels, with an ellipsis if it was cut."""
    if _width(text, size, mono) <= max_px:
        return text
    while text and _width(text + "…", size, mono) > max_px:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(text: str, max_px: float, size: float) -> list[str]:
    """``text`` broken at spaces into lines of about ``max_px`` pixels."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if line and _width(candidate, size) > max_px:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [_fit(x, max_px, size) for x in [*lines, line]]


def _svg(
    width: float, height: float, title: str, desc: str, body: Sequence[str], prefix: str
) -> str:
    return _el(
        "svg",
        "".join(
            [
                _el("title", _text_escape(title), id=f"{prefix}-title"),
                _el("desc", _text_escape(desc), id=f"{prefix}-desc"),
                _el("rect", x=0, y=0, width=width, height=height, fill="#ffffff"),
                *body,
            ]
        ),
        xmlns=SVG_NS,
        width=round(width),
        height=round(height),
        viewBox=f"0 0 {round(width)} {round(height)}",
        role="img",
        aria_labelledby=f"{prefix}-title {prefix}-desc",
        style="max-width: none; height: auto",
    )


def figure_html(svg: str, caption: str, kind: str, full_size: str | None = None) -> str:
    """The SVG in a ``<figure>`` with a caption, as the raw HTML of the page. The picture keeps
    its own size (its text never below :data:`MIN_FONT` pixels): a figure wider than the column
    scrolls sideways, and ``full_size``, the address of the same SVG as a file, is linked to
    open it alone (to zoom or print)."""
    link = (
        f' <a class="gridconnect-full-size" href="{escape(full_size)}">'
        "Open at full size · 查看原图</a>"
        if full_size
        else ""
    )
    return (
        f'<figure class="gridconnect-picture gridconnect-{escape(kind)}" '
        'style="overflow-x: auto; margin: 1em 0">'
        f"{svg}<figcaption>{_text_escape(caption)}{link}</figcaption></figure>"
    )


# ---------------------------------------------------------------------------------------------
# labels
# ---------------------------------------------------------------------------------------------


def _labels() -> Labels:
    return labels_for()


def slot_label(slot: str) -> tuple[str, str]:
    """The English and the Chinese label of a slot, from the vocabulary
    (:mod:`gridconnect.output.labels`)."""
    labels = _labels()
    return labels.slot(slot, "en"), labels.slot(slot, "zh")


def _limit(limit: Limit) -> tuple[str, str]:
    labels = _labels()
    return labels.limit(limit, "en"), labels.limit(limit, "zh")


def _value(value: Value, slot: str = "") -> str:
    """A value in words, Chinese then English (a note in English only, being long)."""
    if isinstance(value, Text):
        return value.en
    labels = _labels()
    zh, en = labels.value(slot, value, "zh"), labels.value(slot, value, "en")
    return zh if zh == en else f"{zh} · {en}"


# ---------------------------------------------------------------------------------------------
# the timeline
# ---------------------------------------------------------------------------------------------

DAY_STYLES: Mapping[str, tuple[str, str, str]] = {
    # kind: (fill, English, Chinese)
    "working": ("#ffffff", "working day", "工作日"),
    "weekend": ("#dfe3e8", "weekend", "周末"),
    "holiday": ("#f7c59f", "holiday (weekday off)", "节假日"),
    "makeup": ("#c6f0e0", "weekend working day (调休)", "调休上班"),
}
LIMIT_COLOURS = {
    LimitUnit.WORKING_DAY: "#2b6cb0",
    LimitUnit.CALENDAR_DAY: "#6b46c1",
    LimitUnit.DAY: "#6b46c1",
}


def day_kind(day: date, calendar: WorkingDayCalendar) -> str:
    """``working``, ``weekend``, ``holiday`` (a weekday off) or ``makeup`` (a weekend worked)."""
    weekend = day.weekday() >= 5
    if calendar.is_working_day(day):
        return "makeup" if weekend else "working"
    return "weekend" if weekend else "holiday"


def _iso(day: date) -> str:
    return day.isoformat()


def timeline_alt(application: Application, decision: Decision) -> str:
    """The timeline in words."""
    parts = [
        f"Timeline of application {decision.application_id}: applied on "
        f"{_iso(application.applied_on)}"
    ]
    if application.works.approval_filed_on:
        parts.append(f"works filed for approval on {_iso(application.works.approval_filed_on)}")
    for d in decision.deadlines:
        en, _ = slot_label(d.slot)
        parts.append(
            f"{en} ({d.slot}): {_limit(d.limit)[0]} from {_iso(d.start)}, due {_iso(d.due)}"
            + (" (provisional)" if d.provisional else "")
        )
    if not decision.deadlines:
        parts.append("no dated deadline")
    return "; ".join(parts) + "."


def timeline_svg(
    application: Application,
    decision: Decision,
    calendar: WorkingDayCalendar | None = None,
    *,
    prefix: str = "gctl",
) -> str:
    """The application's dated deadlines on a strip of days, as SVG.

    ``calendar`` gives the working days (by default ``national_calendar(strict=False)``; pass
    the calendar the decision was counted on, as :func:`load_example` returns it).
    """
    cal = calendar or national_calendar(strict=False)
    deadlines = decision.deadlines
    applied = application.applied_on
    filed = application.works.approval_filed_on
    marks = [applied, *([filed] if filed else []), *(d.start for d in deadlines)]
    first = min(marks)
    last = max([*marks, *(d.due for d in deadlines)])
    first -= timedelta(days=1)
    first -= timedelta(days=first.weekday())  # the Monday on or before the day before
    last += timedelta(days=1)
    last += timedelta(days=6 - last.weekday())  # the Sunday on or after the day after
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]

    dw = max(6.0, min(22.0, 880 / len(days)))  # pixels per day
    left, right = 16.0, 16.0
    width = max(left + len(days) * dw + right, 700.0)

    def x(day: date) -> float:
        return left + (day - first).days * dw

    body: list[str] = []
    y = 24.0
    body.append(
        _text(
            left,
            y,
            f"Application {decision.application_id}: deadlines · 申请时限与截止日期",
            15,
            font_weight="bold",
        )
    )
    y += 22
    # legend
    lx = left
    for fill, en, zh in DAY_STYLES.values():
        body.append(_el("rect", x=lx, y=y - 10, width=12, height=12, fill=fill, stroke="#8a929c"))
        label = f"{en} {zh}"
        body.append(_text(lx + 16, y, label, 11))
        lx += 16 + _width(label, 11) + 14
    y += 18
    lx = left
    for unit, en, zh in (
        (LimitUnit.WORKING_DAY, "limit in working days: each counted day numbered", "工作日时限"),
        (LimitUnit.CALENDAR_DAY, "limit in calendar days (天 counted as such)", "自然日时限"),
    ):
        body.append(_el("rect", x=lx, y=y - 9, width=18, height=10, fill=LIMIT_COLOURS[unit]))
        label = f"{en} · {zh}"
        body.append(_text(lx + 22, y, label, 11))
        lx += 22 + _width(label, 11) + 14
    y += 24

    # months, then the strip of days
    month_y = y
    for day in days:
        if day == first or day.day == 1:
            body.append(
                _text(
                    x(day) + 2,
                    month_y,
                    f"{day.strftime('%b %Y')} · {day.year}年{day.month}月",
                    11,
                    fill=MUTED,
                )
            )
            body.append(
                _el("line", x1=x(day), y1=month_y - 10, x2=x(day), y2=month_y + 4, stroke=MUTED)
            )
    strip_top = month_y + 8
    strip_h = 24.0
    provisional_days = 0
    for day in days:
        kind = day_kind(day, cal)
        fill = DAY_STYLES[kind][0]
        body.append(
            _el(
                "rect",
                _el("title", _text_escape(f"{_iso(day)} {day.strftime('%a')}: {kind}")),
                x=x(day),
                y=strip_top,
                width=dw,
                height=strip_h,
                fill=fill,
                stroke="#c4cad2",
                stroke_width=0.5,
                data_day=_iso(day),
                data_kind=kind,
            )
        )
        if dw >= 14:
            label = str(day.day)
            body.append(
                _text(
                    x(day) + dw / 2,
                    strip_top + 11,
                    label,
                    MIN_FONT,
                    text_anchor="middle",
                    fill=MUTED,
                )
            )
        mark = {"holiday": "休", "makeup": "班"}.get(kind)
        if mark and dw >= 12:
            body.append(
                _text(x(day) + dw / 2, strip_top + 21, mark, MIN_FONT, text_anchor="middle")
            )
        if kind in ("working", "makeup"):  # a tick for every working day
            body.append(
                _el(
                    "line",
                    x1=x(day) + dw / 2,
                    y1=strip_top + strip_h,
                    x2=x(day) + dw / 2,
                    y2=strip_top + strip_h + 5,
                    stroke=INK,
                    stroke_width=1,
                )
            )
        if cal.is_provisional(day):
            provisional_days += 1
            body.append(
                _el(
                    "rect",
                    x=x(day),
                    y=strip_top + strip_h - 3,
                    width=dw,
                    height=3,
                    fill="#d69e2e",
                )
            )
    strip_bottom = strip_top + strip_h + 6
    y = strip_bottom + 24

    # the events: application date and filing date, as lines across the rows
    rows_top = y - 14
    row_h = 46.0
    rows_bottom = rows_top + row_h * max(len(deadlines), 1) + 8
    events = [(applied, "applied", "申请日")]
    if filed:
        events.append((filed, "works filed for approval", "审批申报日"))
    event_marks: list[str] = []
    for i, (day, en, zh) in enumerate(events):
        cx = x(day) + dw / 2
        event_marks.append(
            _el(
                "line",
                x1=cx,
                y1=strip_top - 2,
                x2=cx,
                y2=rows_bottom,
                stroke="#2f855a",
                stroke_width=1.5,
                data_event=en,
                data_date=_iso(day),
            )
        )
        label = f"{en} {zh} {_iso(day)}"
        event_marks.append(
            _text(
                min(cx + 4, width - right - _width(label, MIN_FONT)),
                rows_bottom + 14 + 13 * i,
                label,
                MIN_FONT,
                fill="#2f855a",
                font_weight="bold",
            )
        )

    for d in deadlines:
        colour = LIMIT_COLOURS[d.limit.unit]
        en, zh = slot_label(d.slot)
        limit_en, limit_zh = _limit(d.limit)
        provisional = " · provisional 暂定" if d.provisional else ""
        label = (
            f"{en} {zh} ({d.slot}): {limit_en} / {limit_zh} from {_iso(d.start)}"
            f" → due 截止 {_iso(d.due)}"
        )
        group: list[str] = [
            _el(
                "title",
                _text_escape(
                    f"{d.slot}: {limit_en} counted from {d.start_basis} {_iso(d.start)}, "
                    f"due {_iso(d.due)}{provisional}; rule {d.rule}"
                ),
            ),
            _text(left, y, _fit(label, width - left - right, 11.5), 11.5, font_weight="bold"),
        ]
        bar_y = y + 8
        bar_h = 14.0
        # the start day is not counted: a hollow circle on it
        group.append(
            _el(
                "circle",
                cx=x(d.start) + dw / 2,
                cy=bar_y + bar_h / 2,
                r=min(5.0, dw / 2),
                fill="#ffffff",
                stroke=colour,
                stroke_width=1.5,
            )
        )
        counted = [d.start + timedelta(days=i) for i in range(1, (d.due - d.start).days + 1)]
        if d.limit.unit is LimitUnit.WORKING_DAY:
            n = 0
            for day in counted:
                if cal.is_working_day(day):
                    n += 1
                    group.append(
                        _el(
                            "rect",
                            x=x(day) + 0.5,
                            y=bar_y,
                            width=dw - 1,
                            height=bar_h,
                            fill=colour,
                            opacity=0.55 if d.provisional else 1,
                            data_counted=n,
                        )
                    )
                    if dw >= 14:
                        group.append(
                            _text(
                                x(day) + dw / 2,
                                bar_y + 10.5,
                                str(n),
                                MIN_FONT,
                                text_anchor="middle",
                                fill="#ffffff",
                            )
                        )
                else:  # not counted: an outline only
                    group.append(
                        _el(
                            "rect",
                            x=x(day) + 0.5,
                            y=bar_y + 4,
                            width=dw - 1,
                            height=bar_h - 8,
                            fill="none",
                            stroke=colour,
                            stroke_width=0.8,
                        )
                    )
        elif counted:
            group.append(
                _el(
                    "rect",
                    x=x(counted[0]) + 0.5,
                    y=bar_y,
                    width=len(counted) * dw - 1,
                    height=bar_h,
                    fill=colour,
                    opacity=0.55 if d.provisional else 1,
                    data_counted=len(counted),
                )
            )
            step = 5 if dw >= 8 else 10
            for i, day in enumerate(counted, 1):
                if i % step == 0 or i == len(counted):
                    group.append(
                        _text(
                            x(day) + dw / 2,
                            bar_y + 10.5,
                            str(i),
                            MIN_FONT,
                            text_anchor="middle",
                            fill="#ffffff",
                        )
                    )
        # the due date: a flag on the last day
        fx = x(d.due) + dw
        group.append(
            _el(
                "path",
                d=f"M{fx:.1f},{bar_y - 4:.1f} L{fx:.1f},{bar_y + bar_h + 4:.1f} "
                f"L{fx + 8:.1f},{bar_y + 2:.1f} Z",
                fill="#c53030",
                stroke="#c53030",
                stroke_dasharray="2 2" if d.provisional else None,
            )
        )
        if d.provisional:
            group.append(
                _text(
                    fx + 14,
                    bar_y + 11,
                    "provisional 暂定",
                    MIN_FONT,
                    fill="#b7791f",
                    font_weight="bold",
                )
            )
            fx += _width("provisional 暂定", MIN_FONT) + 6
        rule = f"[{d.rule}]"
        if fx + 14 + _width(rule, MIN_FONT) < width - right:
            group.append(_text(fx + 14, bar_y + 11, rule, MIN_FONT, fill=MUTED))
        elif x(d.start) - 8 - _width(rule, MIN_FONT) > left:
            group.append(
                _text(x(d.start) - 8, bar_y + 11, rule, MIN_FONT, fill=MUTED, text_anchor="end")
            )
        body.append(
            _el(
                "g",
                "".join(group),
                data_slot=d.slot,
                data_start=_iso(d.start),
                data_due=_iso(d.due),
                data_unit=d.limit.unit.value,
                data_provisional="true" if d.provisional else "false",
            )
        )
        y += row_h
    if not deadlines:
        body.append(_text(left, y, "No dated deadline · 无可计算的截止日期", 12, fill=MUTED))
        y += row_h
    body.extend(event_marks)
    y = rows_bottom + 14 + 13 * len(events) + 10

    # notes: the counting rule, the limits the decision does not date, provisional days
    notes = [
        "The start day is not counted (民法典 第二百零一条); a limit of N working days ends on "
        "the Nth working day after it. 开始的当日不计入。",
    ]
    dated = {d.slot for d in deadlines}
    undated = [
        (slot, c.value)
        for slot, c in sorted(decision.conclusions.items())
        if isinstance(c.value, Limit) and slot not in dated
    ]
    if undated:
        notes.append(
            "Not dated here (they start when an earlier stage ends, or are a budget) · 未计日期: "
            + "; ".join(
                f"{slot_label(slot)[0]} {slot_label(slot)[1]} {_limit(v)[0]}" for slot, v in undated
            )
        )
    if provisional_days:
        notes.append(
            "Days marked with an amber band fall in a year whose holiday notice is not encoded; "
            "the calendar there is a guess · 暂定"
        )
    for note in notes:
        for line in _wrap(note, width - left - right, MIN_FONT):
            body.append(_text(left, y, line, MIN_FONT, fill=MUTED))
            y += 15
    return _svg(
        width,
        y + 6,
        f"Timeline of application {decision.application_id}",
        timeline_alt(application, decision),
        body,
        prefix,
    )


# ---------------------------------------------------------------------------------------------
# the derivation
# ---------------------------------------------------------------------------------------------

OUTCOME_STYLES: Mapping[str, Mapping[str, Any]] = {
    # How an arrow from a rule to a slot is drawn, by what became of the rule in that slot.
    "won": {
        "stroke": "#2f855a",
        "stroke_width": 2.2,
        "stroke_dasharray": None,
        "en": "decides",
        "zh": "采用",
        "fill": "#e6f4ea",
    },
    "agreed": {
        "stroke": "#2b6cb0",
        "stroke_width": 1.6,
        "stroke_dasharray": None,
        "en": "agrees",
        "zh": "一致",
        "fill": "#e8f0fe",
    },
    "lost_to_exception": {
        "stroke": "#c53030",
        "stroke_width": 1.4,
        "stroke_dasharray": "6 4",
        "en": "overridden by an exception",
        "zh": "被例外规则排除",
        "fill": "#fdecec",
    },
    "shadowed": {
        "stroke": "#8a929c",
        "stroke_width": 1.2,
        "stroke_dasharray": "2 3",
        "en": "shadowed by a deeper jurisdiction",
        "zh": "被更具体辖区取代",
        "fill": "#f1f2f4",
    },
}
EXCEPTION_STYLE: Mapping[str, Any] = {
    "stroke": "#c53030",
    "stroke_width": 1.6,
    "stroke_dasharray": "8 4",
}
CONFIDENCE_STYLES: Mapping[str, tuple[str, str, str]] = {
    # confidence: (badge colour, English, Chinese)
    "primary": ("#2f855a", "primary", "原文"),
    "press": ("#b7791f", "press", "报道"),
    "source-article": ("#9b2c2c", "source article", "来源文章"),
}
_LEVELS = ("nation", "province", "city", "district")


def _depths(decision: Decision) -> dict[str, int]:
    return {code: i for i, code in enumerate(decision.jurisdictions)}


def slot_outcome(decision: Decision, entry: TraceEntry, slot: str) -> str:
    """What became of ``entry`` in ``slot``: the rule decides it (``won``), sets the same value
    at the same depth as the rule that does (``agreed``), was defeated by an exception
    (``lost_to_exception``, in every slot), or a deeper rule set it (``shadowed``)."""
    if entry.outcome == "lost_to_exception":
        return "lost_to_exception"
    conclusion = decision.conclusions.get(slot)
    if conclusion is None:  # every rule that set it was defeated: not this one
        raise ValueError(f"{entry.rule} stands but no conclusion for {slot}")
    if conclusion.rule == entry.rule:
        return "won"
    depth = _depths(decision)
    by = next(t for t in decision.trace if t.rule == conclusion.rule)
    return "agreed" if depth[by.jurisdiction] == depth[entry.jurisdiction] else "shadowed"


def derivation_alt(decision: Decision) -> str:
    """The derivation in words."""
    parts = [
        f"Derivation of application {decision.application_id}: {len(decision.trace)} rules "
        f"matched in {' > '.join(decision.jurisdictions)}"
    ]
    for t in decision.trace:
        style = OUTCOME_STYLES[t.outcome]
        by = f" ({', '.join(t.by)})" if t.by else ""
        parts.append(
            f"{t.rule} [{t.citation.confidence.value}] sets {', '.join(t.sets)}: {style['en']}{by}"
        )
    return "; ".join(parts) + "."


def _slot_order(decision: Decision, rule_y: Mapping[str, float]) -> list[str]:
    """Every slot a matched rule sets, each beside the rules that set it (mean height)."""
    setters: dict[str, list[float]] = {}
    for t in decision.trace:
        for slot in t.sets:
            setters.setdefault(slot, []).append(rule_y[t.rule])
    for slot in decision.conclusions:
        setters.setdefault(slot, [0.0])
    return sorted(setters, key=lambda s: (sum(setters[s]) / len(setters[s]), s))


def _curve(x1: float, y1: float, x2: float, y2: float) -> str:
    mx = (x1 + x2) / 2
    return f"M{x1:.1f},{y1:.1f} C{mx:.1f},{y1:.1f} {mx:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"


def derivation_svg(
    decision: Decision,
    names: Mapping[str, Text] | None = None,
    *,
    prefix: str = "gcdv",
) -> str:
    """Rules (grouped by jurisdiction depth) with arrows to the slots they set, as SVG."""
    names = names or {}
    trace = decision.trace
    depth = _depths(decision)
    exceptions = [(e, t.rule) for t in trace for e in t.by if t.outcome == "lost_to_exception"]

    size = 11.5
    rule_w, rule_h, rule_gap = 460.0, 54.0, 8.0
    slot_w, slot_h, slot_gap = 360.0, 34.0, 6.0
    gutter = 220.0
    group_head = 24.0
    exc_margin = 24.0 + 12.0 * len(exceptions)
    rx = exc_margin + 12
    sx = rx + rule_w + gutter
    width = sx + slot_w + 16

    body: list[str] = []
    y = 24.0
    body.append(
        _text(
            16,
            y,
            f"Application {decision.application_id}: how the rules decide · 规则推导",
            15,
            font_weight="bold",
        )
    )
    # legend: outcomes, the exception arrow, confidence
    y += 20
    lx = 16.0
    for style in OUTCOME_STYLES.values():
        body.append(
            _el(
                "line",
                x1=lx,
                y1=y - 4,
                x2=lx + 30,
                y2=y - 4,
                stroke=style["stroke"],
                stroke_width=style["stroke_width"],
                stroke_dasharray=style["stroke_dasharray"],
            )
        )
        label = f"{style['en']} {style['zh']}"
        body.append(_text(lx + 36, y, label, 11))
        lx += 36 + _width(label, 11) + 16
    y += 18
    lx = 16.0
    body.append(
        _el(
            "path",
            d=f"M{lx:.1f},{y - 4:.1f} L{lx + 30:.1f},{y - 4:.1f}",
            marker_end=f"url(#{prefix}-exc)",
            fill="none",
            **{k: v for k, v in EXCEPTION_STYLE.items()},
        )
    )
    label = "exception to 例外规则 → the rule it defeats"
    body.append(_text(lx + 38, y, label, 11))
    lx += 38 + _width(label, 11) + 20
    body.append(_text(lx, y, "citation 依据:", 11))
    lx += _width("citation 依据:", 11) + 6
    for colour, en, zh in CONFIDENCE_STYLES.values():
        body.append(_el("rect", x=lx, y=y - 10, width=12, height=12, rx=2, fill=colour))
        label = f"{en} {zh}"
        body.append(_text(lx + 16, y, label, 11))
        lx += 16 + _width(label, 11) + 12
    y += 16
    width = max(width, lx + 16)

    top = y + 14
    # rules, by depth
    rule_y: dict[str, float] = {}
    by_depth: dict[int, list[TraceEntry]] = {}
    for t in trace:
        by_depth.setdefault(depth.get(t.jurisdiction, len(decision.jurisdictions)), []).append(t)
    y = top
    rules_svg: list[str] = []
    for level, code in enumerate(decision.jurisdictions):
        entries = by_depth.get(level, [])
        name = names.get(code)
        level_name = _LEVELS[level] if level < len(_LEVELS) else f"depth {level}"
        head = f"{level_name} · depth {level} · {code}" + (
            f" {name.zh} ({name.en})" if name else ""
        )
        group_h = group_head + max(len(entries), 1) * (rule_h + rule_gap)
        rules_svg.append(
            _el(
                "rect",
                x=rx - 6,
                y=y,
                width=rule_w + 12,
                height=group_h,
                rx=6,
                fill="#f8fafc",
                stroke="#cbd2da",
                data_jurisdiction=code,
                data_depth=level,
            )
        )
        rules_svg.append(_text(rx, y + 16, head, 12, font_weight="bold", fill=MUTED))
        ry = y + group_head
        if not entries:
            rules_svg.append(_text(rx + 4, ry + 20, "no rule matched · 无规则适用", 11, fill=MUTED))
        for t in entries:
            rule_y[t.rule] = ry + rule_h / 2
            rules_svg.append(_rule_box(t, rx, ry, rule_w, rule_h, size))
            ry += rule_h + rule_gap
        y += group_h + 10
    rules_bottom = y

    # slots, each level with the rules that set it
    slots = _slot_order(decision, rule_y)
    slot_y: dict[str, float] = {}
    sy = top
    slots_svg: list[str] = [
        _text(sx, top - 4, "conclusion slots · 结论", 12, font_weight="bold", fill=MUTED)
    ]
    sy += 6
    for slot in slots:
        slot_y[slot] = sy + slot_h / 2
        slots_svg.append(_slot_box(decision, slot, sx, sy, slot_w, slot_h, size))
        sy += slot_h + slot_gap
    height = max(rules_bottom, sy) + 16

    # arrows: rule -> slot, then exception -> excepted rule
    edges: list[str] = []
    order = {"shadowed": 0, "lost_to_exception": 1, "agreed": 2, "won": 3}
    pairs = [(t, slot, slot_outcome(decision, t, slot)) for t in trace for slot in t.sets]
    for t, slot, outcome in sorted(pairs, key=lambda p: order[p[2]]):
        style = OUTCOME_STYLES[outcome]
        edges.append(
            _el(
                "path",
                _el("title", _text_escape(f"{t.rule} → {slot}: {style['en']} {style['zh']}")),
                d=_curve(rx + rule_w, rule_y[t.rule], sx - 2, slot_y[slot]),
                fill="none",
                stroke=style["stroke"],
                stroke_width=style["stroke_width"],
                stroke_dasharray=style["stroke_dasharray"],
                marker_end=f"url(#{prefix}-{outcome})",
                data_rule=t.rule,
                data_slot=slot,
                data_outcome=outcome,
            )
        )
    for i, (excepting, excepted) in enumerate(exceptions):
        if excepting not in rule_y:
            continue
        y1, y2 = rule_y[excepting], rule_y[excepted]
        bx = exc_margin - 8 - 12 * i
        edges.append(
            _el(
                "path",
                _el("title", _text_escape(f"{excepting} is an exception to {excepted}")),
                d=f"M{rx:.1f},{y1:.1f} C{bx:.1f},{y1:.1f} {bx:.1f},{y2:.1f} {rx - 2:.1f},{y2:.1f}",
                fill="none",
                marker_end=f"url(#{prefix}-exc)",
                data_exception_from=excepting,
                data_exception_to=excepted,
                **{k: v for k, v in EXCEPTION_STYLE.items()},
            )
        )

    defs = [
        _marker(f"{prefix}-{outcome}", style["stroke"]) for outcome, style in OUTCOME_STYLES.items()
    ]
    defs.append(_marker(f"{prefix}-exc", EXCEPTION_STYLE["stroke"]))
    return _svg(
        width,
        height,
        f"Derivation of application {decision.application_id}",
        derivation_alt(decision),
        [_el("defs", "".join(defs)), *body, *rules_svg, *slots_svg, *edges],
        prefix,
    )


def _marker(marker_id: str, colour: str) -> str:
    return _el(
        "marker",
        _el("path", d="M0,0 L10,5 L0,10 Z", fill=colour),
        id=marker_id,
        viewBox="0 0 10 10",
        refX=9,
        refY=5,
        markerWidth=7,
        markerHeight=7,
        orient="auto-start-reverse",
    )


def _rule_box(t: TraceEntry, x: float, y: float, w: float, h: float, size: float) -> str:
    style = OUTCOME_STYLES[t.outcome]
    colour, conf_en, conf_zh = CONFIDENCE_STYLES.get(
        t.citation.confidence.value, ("#4a5568", t.citation.confidence.value, "")
    )
    ink = MUTED if t.outcome in ("shadowed", "lost_to_exception") else INK
    badge = f"{conf_en} {conf_zh}"
    badge_w = _width(badge, MIN_FONT) + 10
    by = f" ({', '.join(t.by)})" if t.by else ""
    source = t.citation.number or t.citation.title
    tip = (
        f"{t.rule}\n{t.title.en}\n{t.title.zh}\nwhen: {t.condition}\n"
        f"sets: {', '.join(f'{slot_label(k)[0]} = {_value(v, k)}' for k, v in t.sets.items())}\n"
        f"{style['en']}{by}\nsource: {source}; {t.citation.issuer} "
        f"[{t.citation.confidence.value}]"
    )
    parts = [
        _el("title", _text_escape(tip)),
        _el(
            "rect",
            x=x,
            y=y,
            width=w,
            height=h,
            rx=4,
            fill=style["fill"],
            stroke=style["stroke"],
            stroke_width=1.4 if t.outcome == "won" else 1,
            stroke_dasharray=style["stroke_dasharray"],
        ),
        _el("rect", x=x + w - badge_w - 4, y=y + 36, width=badge_w, height=15, rx=3, fill=colour),
        _text(
            x + w - badge_w + 1,
            y + 47,
            badge,
            MIN_FONT,
            fill="#ffffff",
            data_confidence=t.citation.confidence.value,
        ),
        _text(
            x + 6,
            y + 15,
            _fit(t.rule, w - 12, size, mono=True),
            size,
            font_family=MONO,
            font_weight="bold",
            fill=ink,
        ),
        _text(x + 6, y + 31, _fit(f"{t.title.en} · {t.title.zh}", w - 12, size), size, fill=ink),
        _text(
            x + 6,
            y + 47,
            _fit(f"{style['en']} {style['zh']}{by}", w - badge_w - 18, MIN_FONT),
            MIN_FONT,
            fill=style["stroke"],
            font_weight="bold",
        ),
    ]
    return _el(
        "g",
        "".join(parts),
        data_rule=t.rule,
        data_outcome=t.outcome,
        data_confidence=t.citation.confidence.value,
    )


def _slot_box(
    decision: Decision, slot: str, x: float, y: float, w: float, h: float, size: float
) -> str:
    conclusion = decision.conclusions.get(slot)
    en, zh = slot_label(slot)
    if conclusion is None:
        value = "no conclusion: every rule that set it was overridden · 无结论"
        fill, stroke, dash = "#ffffff", "#8a929c", "4 3"
    else:
        value = f"= {_value(conclusion.value, slot)}"
        fill, stroke, dash = "#ffffff", "#2f855a", None
    parts = [
        _el("title", _text_escape(f"{slot} ({en} / {zh}) {value}")),
        _el(
            "rect",
            x=x,
            y=y,
            width=w,
            height=h,
            rx=4,
            fill=fill,
            stroke=stroke,
            stroke_dasharray=dash,
        ),
        _text(
            x + 6,
            y + 14,
            _fit(f"{zh} · {en}", w - 12, size, mono=False),
            size,
            font_weight="bold",
        ),
        _text(
            x + 6,
            y + 28,
            _fit(value, w - 12, MIN_FONT),
            MIN_FONT,
            fill=INK if conclusion else MUTED,
        ),
    ]
    return _el(
        "g",
        "".join(parts),
        data_slot=slot,
        data_concluded="true" if conclusion else "false",
        data_decided_by=conclusion.rule if conclusion else None,
    )
