"""A decision as one standalone, printable HTML page: the page to hand over.

The page holds everything inline (CSS, no script, no font, no image), so it can be mailed,
archived or printed as it is: the decision headline first (the same sections as the text
output, :mod:`gridconnect.output.text`), the deadlines as dates, acceptance and documents, then
the derivation, each rule with its condition in words, the facts it read, what became of it,
and its source with a link. Every text is escaped (:func:`html.escape`); ids for the browser
test and for links are stable: ``#decision``, ``#deadlines``, ``#derivation``, and
``#rule-<rule id>`` for each rule of the derivation.

>>> import gridconnect
>>> app = gridconnect.load_application(
...     "examples/applications/guangzhou-huangpu-10kv-enterprise.json")
>>> page = render_html(gridconnect.evaluate(app), "en")
>>> page.startswith("<!DOCTYPE html>"), 'id="derivation"' in page, "<script" in page
(True, True, False)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from gridconnect.decide.bundle import BundlePlan
from gridconnect.decide.decision import Decision, TraceEntry
from gridconnect.output.labels import Labels, Lang, check_lang, labels_for, language_of
from gridconnect.output.sentences import describe
from gridconnect.output.text import (
    Table,
    bundle_parts,
    decision_table,
    fact_lines,
    how_sure,
    joined,
    jurisdiction_chain,
)
from gridconnect.rules.model import Citation

__all__ = ["render_bundle_html", "render_html"]

_CSS = """
:root { --ink: #1d2433; --muted: #5b6577; --line: #d5dae3; --accent: #0b5cab; }
* { box-sizing: border-box; }
body { font: 15px/1.55 "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "PingFang SC",
  "Microsoft YaHei", system-ui, sans-serif; color: var(--ink); margin: 0 auto;
  max-width: 60rem; padding: 1.5rem; }
h1 { font-size: 1.45rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; border-bottom: 2px solid var(--accent); padding-bottom: .15rem;
  margin: 1.6rem 0 .5rem; }
h3 { font-size: 1rem; margin: 1rem 0 .3rem; color: var(--accent); }
.meta { color: var(--muted); margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; margin: .25rem 0 .75rem; table-layout: fixed; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem;
  border-bottom: 1px solid var(--line); }
th { width: 28%; font-weight: 600; }
td.rule, span.rule { color: var(--muted); font: 12px/1.4 ui-monospace, monospace;
  overflow-wrap: anywhere; }
td.rule { width: 26%; }
.warning { border-left: 4px solid #c0392b; background: #fdf0ee; padding: .4rem .7rem; }
ol.derivation { padding-left: 1.4rem; }
ol.derivation > li { margin: 0 0 1rem; page-break-inside: avoid; break-inside: avoid; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem .8rem; margin: .3rem 0; }
dt { color: var(--muted); }
dd { margin: 0; }
blockquote { margin: .3rem 0; padding: .2rem .7rem; border-left: 3px solid var(--line);
  color: var(--muted); }
.outcome-won, .outcome-agreed { color: #1e7b34; font-weight: 600; }
.outcome-lost_to_exception, .outcome-shadowed { color: var(--muted); }
.outcome-pending, .outcome-unknown { color: #b36b00; font-weight: 600; }
.lang { font-size: .8em; color: var(--muted); border: 1px solid var(--line);
  border-radius: 3px; padding: 0 .25em; margin-right: .3em; }
a { color: var(--accent); }
footer { margin-top: 2rem; color: var(--muted); font-size: .85rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  a { color: inherit; text-decoration: none; }
  a[href^="http"]::after { content: " <" attr(href) ">"; font-size: 8pt; color: #555;
    overflow-wrap: anywhere; }
  h2 { break-after: avoid; page-break-after: avoid; }
}
"""

_WORDS = {
    "decision": ("决定", "Decision"),
    "derivation": ("推导过程", "Derivation"),
    "when": ("条件", "When"),
    "facts": ("事实", "Facts"),
    "reads": ("读取结论", "Reads"),
    "parameters": ("参数", "Parameters"),
    "sets": ("结论", "Sets"),
    "source": ("依据", "Source"),
    "note": ("注", "Note"),
    "by": ("因", "because of"),
    "footer": (
        "由 gridconnect 生成；每项结论后的方括号内为决定它的规则编号。",
        "Made by gridconnect; the bracketed id after each answer is the rule that decided it.",
    ),
}


def _w(key: str, lang: Lang) -> str:
    return _WORDS[key][0 if lang == "zh" else 1]


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _page(title: str, lang: Lang, body: Iterable[str]) -> str:
    html_lang = "zh-CN" if lang == "zh" else "en"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{html_lang}">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}</title>",
            f"<style>{_CSS}</style>",
            "</head>",
            "<body>",
            *body,
            f"<footer>{_e(_w('footer', lang))}</footer>",
            "</body>",
            "</html>",
            "",
        ]
    )


def _rule_links(rules: str, prefix: str) -> str:
    """``[a, b]`` as links to the rules in the derivation on the same page."""
    ids = [r.strip() for r in rules.strip("[]").split(",") if r.strip()]
    return ", ".join(f'<a href="#{_e(prefix)}rule-{_e(r)}">{_e(r)}</a>' for r in ids)


def _table_html(table: Table, section_ids: dict[str, str], prefix: str) -> list[str]:
    out: list[str] = []
    open_table = False

    def close() -> None:
        nonlocal open_table
        if open_table:
            out.append("</table>")
            open_table = False

    for row in table.rows:
        if isinstance(row, str):
            close()
            text = row.strip()
            if text.startswith("! "):
                out.append(f'<p class="warning" role="alert">{_e(text[2:])}</p>')
            elif row.startswith("  "):
                out.append(f"<p>{_e(text)}</p>")
            else:
                anchor = section_ids.get(text)
                attr = f' id="{anchor}"' if anchor else ""
                out.append(f"<h3{attr}>{_e(text)}</h3>")
            continue
        if not open_table:
            out.append("<table>")
            open_table = True
        label, value, rules = row
        cell = (
            f'<td class="rule">{_rule_links(rules, prefix)}</td>'
            if rules
            else '<td class="rule"></td>'
        )
        out.append(f"<tr><th>{_e(label)}</th><td>{_e(value)}</td>{cell}</tr>")
    close()
    return out


def _marked_html(text: str, lang: Lang) -> str:
    if language_of(text) == lang:
        return _e(text)
    other = ("英文", "en") if lang == "zh" else ("in Chinese", "zh-CN")
    return f'<span class="lang">{_e(other[0])}</span><span lang="{other[1]}">{_e(text)}</span>'


def _citation_html(c: Citation, labels: Labels, lang: Lang) -> list[str]:
    zh = lang == "zh"
    title = " ".join(x for x in (c.title, c.number or "", c.article or "") if x)
    shown = f'<a href="{_e(c.url)}">{_e(title)}</a>' if c.url else _e(title)
    parts = [shown, _e(c.issuer)]
    if c.date:
        parts.append(_e(c.date))
    sure = how_sure(c, labels, lang)
    out = [
        f"<dt>{_e(_w('source', lang))}</dt><dd>{('；' if zh else '; ').join(parts)}"
        f' <span class="confidence">({_e(sure)})</span></dd>'
    ]
    if c.quote:
        out.append(f"<dt></dt><dd><blockquote>{_marked_html(c.quote, lang)}</blockquote></dd>")
    if c.note:
        out.append(f"<dt>{_e(_w('note', lang))}</dt><dd>{_marked_html(c.note, lang)}</dd>")
    return out


def _entry_html(t: TraceEntry, labels: Labels, lang: Lang, prefix: str) -> list[str]:
    zh = lang == "zh"
    title = t.title.zh if zh else t.title.en
    out = [
        f'<li id="{_e(prefix)}rule-{_e(t.rule)}" class="trace-entry">',
        f'<strong>{_e(title)}</strong> <span class="rule">[{_e(t.rule)}]</span>',
        "<dl>",
        f"<dt>{_e(_w('when', lang))}</dt><dd>{_e(describe(t.when, labels, lang))}</dd>",
    ]
    if t.facts:
        facts = fact_lines(t, labels, lang)
        out.append(f"<dt>{_e(_w('facts', lang))}</dt><dd>{_e(joined(facts, lang))}</dd>")
    if t.slots:
        reads = []
        for k, c in t.slots.items():
            value = "—" if c is None else labels.value(k, c.value, lang)
            rule = (
                ""
                if c is None
                else f' <a class="rule" href="#{_e(prefix)}rule-{_e(c.rule)}">[{_e(c.rule)}]</a>'
            )
            reads.append(f"{_e(labels.slot(k, lang))}{'：' if zh else ': '}{_e(value)}{rule}")
        out.append(f"<dt>{_e(_w('reads', lang))}</dt><dd>{('；' if zh else '; ').join(reads)}</dd>")
    if t.parameters:
        params = []
        for k, u in t.parameters.items():
            name = labels.text(f"param:{k}", lang, k)
            unit = labels.text(f"param-unit:{k}", lang, "")
            params.append(f"{name} = {u.value}{unit} ({u.citation.number or u.citation.title})")
        out.append(f"<dt>{_e(_w('parameters', lang))}</dt><dd>{_e(joined(params, lang))}</dd>")
    sets = joined(
        [
            f"{labels.slot(k, lang)}{'：' if zh else ': '}{labels.value(k, v, lang)}"
            for k, v in t.sets.items()
        ],
        lang,
    )
    by = ""
    if t.by:
        links = ", ".join(f'<a href="#{_e(prefix)}rule-{_e(r)}">{_e(r)}</a>' for r in t.by)
        by = f"（{_e(_w('by', lang))} {links}）" if zh else f" ({_e(_w('by', lang))} {links})"
    out.append(
        f"<dt>{_e(_w('sets', lang))}</dt><dd>{_e(sets)} → "
        f'<span class="outcome outcome-{_e(t.outcome)}">{_e(labels.outcome(t.outcome, lang))}'
        f"</span>{by}</dd>"
    )
    out += _citation_html(t.citation, labels, lang)
    out += ["</dl>", "</li>"]
    return out


def _decision_body(
    decision: Decision, labels: Labels, lang: Lang, derivation: bool, prefix: str
) -> tuple[str, list[str]]:
    zh = lang == "zh"
    heading = (
        f"用电报装申请 {decision.application_id} 的决定"
        if zh
        else f"Decision on application {decision.application_id}"
    )
    names = jurisdiction_chain(decision, labels, lang)
    meta = (
        f"{names}；适用 {decision.as_of} 的规则（{decision.engine} 引擎）"
        if zh
        else f"{names}; rules in force on {decision.as_of} ({decision.engine} engine)"
    )
    table = decision_table(decision, labels, lang)
    ids = {
        ("时限" if zh else "Deadlines"): f"{prefix}deadlines",
        ("受理与材料" if zh else "Acceptance and documents"): f"{prefix}acceptance",
    }
    body = [
        f"<h1>{_e(heading)}</h1>",
        f'<p class="meta">{_e(meta)}</p>',
        f'<section id="{_e(prefix)}decision">',
        f"<h2>{_e(_w('decision', lang))}</h2>",
        *_table_html(table, ids, prefix),
        "</section>",
    ]
    if derivation and decision.trace:
        body += [
            f'<section id="{_e(prefix)}derivation">',
            f"<h2>{_e(_w('derivation', lang))}</h2>",
            '<ol class="derivation">',
        ]
        for t in decision.trace:
            body += _entry_html(t, labels, lang, prefix)
        body += ["</ol>", "</section>"]
    return heading, body


def render_html(
    decision: Decision | Sequence[Decision],
    lang: str = "zh",
    *,
    labels: Labels | None = None,
    derivation: bool = True,
) -> str:
    """One standalone HTML page for ``decision`` in ``lang`` (``zh`` or ``en``): the decision
    headline first, acceptance and documents, approval, deadlines as dates, permits, services
    and notes, then (unless ``derivation`` is false) every rule that matched, with its
    condition in words, its facts, its outcome and its source linked.

    Given several decisions, the page holds one article each (``#<application id>``; the ids
    inside it start with ``<application id>-``)."""
    language = check_lang(lang)
    vocabulary = labels or labels_for()
    if isinstance(decision, Decision):
        heading, body = _decision_body(decision, vocabulary, language, derivation, "")
        return _page(heading, language, body)
    pages: list[str] = []
    for d in decision:
        prefix = f"{d.application_id}-"
        _, part = _decision_body(d, vocabulary, language, derivation, prefix)
        pages += [f'<article id="{_e(d.application_id)}">', *part, "</article>"]
    title = "用电报装决定" if language == "zh" else "Decisions"
    return _page(title, language, pages)


def render_bundle_html(plan: BundlePlan, lang: str = "zh", *, labels: Labels | None = None) -> str:
    """A bundle plan (一次办) as one standalone HTML page, with the same content as
    :func:`gridconnect.output.text.render_bundle`."""
    language = check_lang(lang)
    head, table, problems = bundle_parts(plan, language, labels or labels_for())
    body = [f"<h1>{_e(head[0])}</h1>"]
    body += [f'<p class="meta">{_e(line.strip())}</p>' for line in head[1:]]
    body += ['<section id="bundle">', *_table_html(table, {}, "")]
    body += [f'<p class="warning" role="alert">{_e(p)}</p>' for p in problems]
    body.append("</section>")
    return _page(head[0], language, body)
