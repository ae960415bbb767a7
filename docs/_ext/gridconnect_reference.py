"""reStructuredText generated from the code: the CLI, the rule catalogue, the schemas, the hooks.

Everything here is plain text out of live objects, with no Sphinx import, so the tests can call
it directly (``tests/test_docs.py``); :mod:`gridconnect_sphinx` wraps each function in a
directive that parses the text into the page.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from types import ModuleType
from typing import Any

import click

from gridconnect.output.labels import VOCABULARY, Labels, labels_for
from gridconnect.output.sentences import describe
from gridconnect.rules.catalogue import NATIONAL, Catalogue, Jurisdiction
from gridconnect.rules.conditions import ParamRef, render
from gridconnect.rules.facts import FACTS, FactType
from gridconnect.rules.model import Citation, Limit, Parameter, Rule, Text
from gridconnect.rules.slots import SLOT_FAMILIES, SLOTS, SlotType

__all__ = [
    "HOOK_PREFIX",
    "hook_functions",
    "hook_signature",
    "qualified_annotation",
    "render_catalogue",
    "render_cli",
    "render_facts",
    "render_hooks",
    "render_schema",
    "render_slots",
    "render_uncertain",
    "rule_label",
]

HOOK_PREFIX = "gridconnect_"

_INLINE = re.compile(r"([\\`*_|])")


def esc(text: str) -> str:
    """``text`` with the characters of reST inline markup escaped."""
    return _INLINE.sub(r"\\\1", text)


def literal(text: str) -> str:
    """``text`` as an inline literal (``text`` never holds two backquotes in a row)."""
    if "``" in text or not text.strip():
        return esc(text)
    return f"``{text}``"


def heading(text: str, char: str) -> list[str]:
    # East Asian characters are two columns wide; docutils counts them so too.
    width = sum(2 if ord(c) > 0x2E80 else 1 for c in text)
    return [text, char * max(width, len(text)), ""]


def indent(lines: Iterable[str], by: int = 3) -> list[str]:
    pad = " " * by
    return [pad + line if line else "" for line in lines]


def link(url: str, text: str | None = None) -> str:
    return f"`{esc(text or url)} <{url}>`__"


# ---------------------------------------------------------------------------------------------
# (a) the command line
# ---------------------------------------------------------------------------------------------


def _commands(
    command: click.Command, ctx: click.Context
) -> Iterator[tuple[click.Command, click.Context]]:
    yield command, ctx
    if isinstance(command, click.Group):
        for name in sorted(command.list_commands(ctx)):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            sub_ctx = click.Context(sub, info_name=name, parent=ctx, **sub.context_settings)
            yield from _commands(sub, sub_ctx)


def _help_lines(text: str) -> list[str]:
    """Click help text as reST paragraphs (click's ``\\b`` marks a block kept as it is)."""
    out: list[str] = []
    for para in inspect.cleandoc(text).split("\n\n"):
        if para.startswith("\b\n"):
            out += ["::", "", *indent(para[2:].splitlines()), ""]
        else:
            out += [esc(" ".join(para.split())), ""]
    return out


def render_cli(command: click.Command, name: str = "gridconnect") -> str:
    """Every command of a click command tree: usage, help, arguments and options."""
    lines: list[str] = []
    root = click.Context(command, info_name=name, **command.context_settings)
    for cmd, ctx in _commands(command, root):
        path = ctx.command_path
        if ctx is not root:
            lines += [f".. _cli-{path.replace(' ', '-')}:", ""]
            lines += heading(f"``{path}``", "-")
        lines += [f".. program:: {path}", ""]
        usage = cmd.get_usage(ctx).removeprefix("Usage: ")
        lines += ["Usage:", "", ".. code-block:: text", "", *indent([usage]), ""]
        if cmd.help:
            lines += _help_lines(cmd.help)
        arguments = [p for p in cmd.get_params(ctx) if isinstance(p, click.Argument)]
        options = [p for p in cmd.get_params(ctx) if isinstance(p, click.Option)]
        for arg in arguments:
            metavar = arg.make_metavar(ctx)
            choices = getattr(arg.type, "choices", None)
            if choices:
                text = "One of " + ", ".join(literal(str(c)) for c in choices) + "."
            else:
                text = f"{'Required' if arg.required else 'Optional'}; type {arg.type.name}"
                text += ", repeatable." if arg.nargs == -1 else "."
            lines += [f".. option:: {metavar}", "", *indent([text]), ""]
        for opt in options:
            record = opt.get_help_record(ctx)
            if record is None:
                continue
            names, help_text = record
            lines += [f".. option:: {names}", ""]
            lines += indent([esc(help_text) if help_text else "(no description)"])
            lines += [""]
        if isinstance(cmd, click.Group):
            subs = [(n, cmd.get_command(ctx, n)) for n in sorted(cmd.list_commands(ctx))]
            lines += ["Commands:", ""]
            for sub_name, sub in subs:
                if sub is None or sub.hidden:
                    continue
                target = f"cli-{path.replace(' ', '-')}-{sub_name}"
                lines += [f"* :ref:`{sub_name} <{target}>` — {esc(sub.get_short_help_str(300))}"]
            lines += [""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# (b) the rule catalogue
# ---------------------------------------------------------------------------------------------


def rule_label(rule_id: str) -> str:
    """The reST label of a rule in the catalogue page."""
    return f"rule-{rule_id}"


def param_label(name: str) -> str:
    return f"param-{name}"


def _text(text: Text) -> str:
    return f"{esc(text.en)} / {esc(text.zh)}"


def _value(value: Any, slot: str = "", labels: Labels | None = None) -> str:
    """A value of a rule's ``then``: the literal a rule file writes, and its label in both
    languages (the vocabulary of :mod:`gridconnect.output.labels`)."""
    if isinstance(value, ParamRef):
        return f"parameter :ref:`{value.name} <{param_label(value.name)}>`"
    words = labels or Labels()
    if isinstance(value, Limit):
        note = ", unit not stated by the source" if value.unit.value == "day" else ""
        return f"{esc(words.limit(value, 'en'))} / {esc(words.limit(value, 'zh'))}{note}"
    if isinstance(value, Text):
        return _text(value)
    shown = literal(("true" if value else "false") if isinstance(value, bool) else str(value))
    en, zh = words.value(slot, value, "en"), words.value(slot, value, "zh")
    return f"{shown} ({esc(en)} / {esc(zh)})" if en != str(value) or zh != str(value) else shown


def _slot(slot: str, labels: Labels) -> str:
    """A slot as a rule file writes it, with its labels."""
    en, zh = labels.slot(slot, "en"), labels.slot(slot, "zh")
    return f"{literal(slot)} ({esc(en)} / {esc(zh)})" if zh != slot else literal(slot)


def _dates(start: date, until: date | None) -> str:
    return f"from {start.isoformat()} " + (
        f"until {until.isoformat()} (inclusive)" if until else "(no end date)"
    )


def _citation(c: Citation) -> list[str]:
    fields: list[tuple[str, str]] = [("Title", esc(c.title)), ("Issuer", esc(c.issuer))]
    if c.number:
        fields.append(("Number", esc(c.number)))
    if c.article:
        fields.append(("Article", esc(c.article)))
    if c.date:
        fields.append(("Date", c.date.isoformat()))
    if c.url:
        fields.append(("URL", link(c.url)))
    if c.quote:
        fields.append(("Quote", f"「{esc(c.quote)}」"))
    if c.note:
        fields.append(("Note", esc(c.note)))
    fields.append(("Confidence", literal(c.confidence.value)))
    if c.issuer_kind is not None:
        fields.append(("Issuer kind", literal(c.issuer_kind.value)))
    return [f":{k}: {v}" for k, v in fields]


def _rule_version(rule: Rule, labels: Labels | None = None) -> list[str]:
    words = labels or Labels()
    lines = [
        f":Title: {_text(rule.title)}",
        f":Jurisdiction: {literal(rule.jurisdiction)}",
        f":In force: {_dates(rule.effective_from, rule.effective_until)}",
        f":When: {literal(render(rule.when))}",
        f":In words: {esc(describe(rule.when, words, 'en'))} / "
        f"{esc(describe(rule.when, words, 'zh'))}",
        ":Then:",
        "",
    ]
    lines += indent(
        [f"* {_slot(slot, words)} = {_value(v, slot, words)}" for slot, v in rule.then.items()]
    )
    lines += [""]
    if rule.exception_to:
        targets = ", ".join(f":ref:`{t} <{rule_label(t)}>`" for t in rule.exception_to)
        lines += [f":Exception to: {targets}"]
    lines += [":Citation:", "", *indent(_citation(rule.citation)), ""]
    return lines


_UNITS = {"working_day": "working days", "calendar_day": "calendar days", "day": "days (天)"}


def _parameter(p: Parameter) -> list[str]:
    lines = [f".. _{param_label(p.name)}:", "", *heading(f"``{p.name}``", "~")]
    lines += [_text(p.title) + (f"; unit {literal(p.unit)}." if p.unit else "."), ""]
    for v in p.versions:
        value = esc(str(v.value)) + (f" {_UNITS.get(p.unit, p.unit)}" if p.unit else "")
        lines += [f"* **{value}** {_dates(v.effective_from, v.effective_until)}", ""]
        lines += [*indent(_citation(v.citation)), ""]
    return lines


def _ordered(catalogue: Catalogue) -> list[Jurisdiction]:
    return sorted(
        catalogue.jurisdictions.values(),
        key=lambda j: [(x.code != NATIONAL, x.code) for x in catalogue.chain(j.code)],
    )


def render_catalogue(
    catalogue: Catalogue,
    document_kinds: Mapping[str, Any] | None = None,
    labels: Labels | None = None,
) -> str:
    """Every jurisdiction with every rule (all versions) and every parameter (all values), each
    slot and value with its labels (``labels``: the default registry's vocabulary if None)."""
    words = labels or labels_for()
    lines: list[str] = []
    for j in _ordered(catalogue):
        chain = " > ".join(x.alias for x in catalogue.chain(j.code))
        lines += heading(f"{j.name.zh} ({j.name.en}) — {j.code}", "-")
        lines += [
            f":Code: {literal(j.code)}",
            f":Alias: {literal(j.alias)}"
            + (", " + ", ".join(literal(a) for a in j.aliases) if j.aliases else ""),
            f":Chain: {literal(chain)}",
            f":Rule and parameter names start with: {literal(j.namespace + '.')}",
            "",
        ]
        params = sorted(
            (p for p in catalogue.parameters.values() if p.jurisdiction == j.code),
            key=lambda p: p.name,
        )
        rules: dict[str, list[Rule]] = {}
        for r in catalogue.rules:
            if r.jurisdiction == j.code:
                rules.setdefault(r.id, []).append(r)
        lines += heading(f"Parameters of {j.alias}", "^")
        if not params:
            lines += ["None.", ""]
        for p in params:
            lines += _parameter(p)
        lines += heading(f"Rules of {j.alias}", "^")
        if not rules:
            lines += ["None.", ""]
        for rule_id in sorted(rules):
            versions = sorted(rules[rule_id], key=lambda r: r.effective_from)
            lines += [f".. _{rule_label(rule_id)}:", "", *heading(f"``{rule_id}``", "~")]
            if len(versions) > 1:
                lines += [f"{len(versions)} versions.", ""]
            for r in versions:
                if len(versions) > 1:
                    lines += [f"**Version {_dates(r.effective_from, r.effective_until)}**", ""]
                lines += _rule_version(r, words)
    if document_kinds:
        lines += heading("Document kinds", "-")
        lines += [
            "The kinds that plugins declare for ``document.<kind>`` slots:",
            "",
        ]
        for kind_id in sorted(document_kinds):
            kind = document_kinds[kind_id]
            lines += [f"* {literal(kind_id)}: {_text(kind.name)}"]
        lines += [""]
    return "\n".join(lines)


def render_uncertain(catalogue: Catalogue) -> str:
    """Every rule (all versions) and parameter value whose citation is not a primary text, or
    carries a note: what the catalogue rests on that is not verified in the document itself."""
    rows: list[tuple[str, str, str, str]] = []
    for r in sorted(catalogue.rules, key=lambda r: (r.jurisdiction != NATIONAL, r.id)):
        c = r.citation
        if c.confidence.value != "primary" or c.note:
            rows.append(
                (
                    f":ref:`{r.id} <{rule_label(r.id)}>`",
                    literal(c.confidence.value),
                    esc(c.number or c.title),
                    esc(c.note or ""),
                )
            )
    for p in sorted(catalogue.parameters.values(), key=lambda p: p.name):
        for v in p.versions:
            c = v.citation
            if c.confidence.value != "primary" or c.note:
                rows.append(
                    (
                        f":ref:`{p.name} <{param_label(p.name)}>` from "
                        f"{v.effective_from.isoformat()}",
                        literal(c.confidence.value),
                        esc(c.number or c.title),
                        esc(c.note or ""),
                    )
                )
    return "\n".join(
        _table(("Rule or parameter value", "Confidence", "Source", "Note"), rows, "3 1 3 5")
    )


# ---------------------------------------------------------------------------------------------
# facts and slots
# ---------------------------------------------------------------------------------------------


def _fact_rows(path: str, ftype: FactType) -> Iterator[tuple[str, str, str, str, str]]:
    yield (
        literal(path),
        esc(ftype.describe()),
        "yes" if ftype.optional else "no",
        "yes" if ftype.unknowable else "no",
        esc(ftype.doc) if ftype.doc else "",
    )
    if ftype.kind == "records" and ftype.fields:
        for name, field in ftype.fields.items():
            yield from _fact_rows(f"{path}[].{name}", field)


def _table(header: tuple[str, ...], rows: Iterable[tuple[str, ...]], widths: str) -> list[str]:
    lines = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in (header, *rows):
        lines.append(f"   * - {row[0]}")
        lines += [f"     - {cell}" for cell in row[1:]]
    return [*lines, ""]


def render_facts(facts: Mapping[str, FactType] = FACTS) -> str:
    """The fact table: every path a rule may read, its type, and whether it may be absent or
    unknown."""
    rows = [row for path, ftype in facts.items() for row in _fact_rows(path, ftype)]
    header = ("Fact path", "Type", "May be absent", "May be unknown", "Meaning")
    return "\n".join(_table(header, rows, "3 4 1 1 4"))


def _slot_type(stype: SlotType) -> str:
    if stype.kind == "enum":
        return "one of " + ", ".join(literal(v) for v in sorted(stype.values))
    return {
        "bool": "``true`` or ``false``",
        "int": "an integer",
        "limit": "a time limit",
        "text": 'bilingual text ``{ en = "...", zh = "..." }``',
    }[stype.kind]


def _labelled_values(slot: str, stype: SlotType) -> str:
    if stype.kind != "enum":
        return _slot_type(stype)
    shown = []
    for v in sorted(stype.values):
        label = VOCABULARY.get(f"value:{slot}={v}")
        shown.append(literal(v) + (f" ({esc(label.en)} / {esc(label.zh)})" if label else ""))
    return "one of " + ", ".join(shown)


def render_slots(labels: Labels | None = None) -> str:
    """The conclusion slots and slot families with their labels and the values each takes,
    then the family members the installed plugins name, with their labels."""
    words = labels or labels_for()

    def label(key: str) -> str:
        text = words.get(key)
        return f"{esc(text.en)} / {esc(text.zh)}" if text else "—"

    single = [(literal(s), label(s), _labelled_values(s, t), esc(t.doc)) for s, t in SLOTS.items()]
    families = [
        (literal(f + ".<name>"), label(f"family:{f}"), _labelled_values(f, t), esc(t.doc))
        for f, t in SLOT_FAMILIES.items()
    ]
    members = sorted(
        (key, text)
        for key, text in words.table.items()
        if key.partition(".")[0] in SLOT_FAMILIES and ":" not in key
    )
    named = [(literal(key), f"{esc(text.en)} / {esc(text.zh)}") for key, text in members]
    return "\n".join(
        [
            *_table(("Slot", "Label", "Value", "Meaning"), single, "2 2 3 3"),
            *_table(("Slot family", "Label", "Value", "Meaning"), families, "2 2 3 3"),
            *_table(("Name", "Label (en / zh)"), named, "1 2"),
        ]
    )


# ---------------------------------------------------------------------------------------------
# (c) the JSON schemas
# ---------------------------------------------------------------------------------------------


def _schemas() -> Mapping[str, Callable[[], dict[str, Any]]]:
    from gridconnect.decide.bundle import bundle_schema
    from gridconnect.model.schema import application_schema
    from gridconnect.output.schemas import decision_schema

    return {"application": application_schema, "decision": decision_schema, "bundle": bundle_schema}


def render_schema(name: str) -> str:
    """The JSON Schema called ``name`` as a literal JSON block (as ``gridconnect schema`` prints)."""
    schemas = _schemas()
    if name not in schemas:
        raise KeyError(f"unknown schema {name!r}; known: {', '.join(sorted(schemas))}")
    text = json.dumps(schemas[name](), ensure_ascii=False, sort_keys=True, indent=2)
    return "\n".join([".. code-block:: json", "", *indent(text.splitlines()), ""])


# ---------------------------------------------------------------------------------------------
# (d) the hooks
# ---------------------------------------------------------------------------------------------


def hook_functions(module: ModuleType) -> list[tuple[str, Callable[..., Any]]]:
    """Every function of ``module`` named ``gridconnect_*``, in source order."""
    found = [
        (name, obj)
        for name, obj in vars(module).items()
        if name.startswith(HOOK_PREFIX) and inspect.isfunction(obj)
    ]
    return sorted(found, key=lambda item: item[1].__code__.co_firstlineno)


class _Shown:
    """An annotation shown as its source text (no quotes around a string annotation)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _shown(annotation: Any) -> Any:
    if annotation is inspect.Parameter.empty:
        return annotation
    if isinstance(annotation, str):
        return _Shown(annotation)
    return _Shown(inspect.formatannotation(annotation))


def hook_signature(func: Callable[..., Any]) -> str:
    """``name(params) -> return`` from :func:`inspect.signature`, annotations as written."""
    sig = inspect.signature(func)
    shown = sig.replace(
        parameters=[p.replace(annotation=_shown(p.annotation)) for p in sig.parameters.values()],
        return_annotation=_shown(sig.return_annotation),
    )
    return f"{func.__name__}{shown}"


def _imported_names(module: ModuleType) -> dict[str, str]:
    """What each imported name of ``module`` stands for, ``TYPE_CHECKING`` imports included."""
    names: dict[str, str] = {}
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        return names
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name] = alias.name
    return names


def qualified_annotation(text: str, module: ModuleType) -> str:
    """An annotation with each name replaced by its full dotted name, as ``module`` imports it.

    ``Sequence[Jurisdiction]`` in :mod:`gridconnect.plugins.hookspecs` becomes
    ``collections.abc.Sequence[gridconnect.rules.catalogue.Jurisdiction]``.
    """
    imported = _imported_names(module)

    class Qualify(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            full = imported.get(node.id)
            if full is None:
                return node
            return ast.copy_location(ast.Name(id=full, ctx=node.ctx), node)

    tree = Qualify().visit(ast.parse(text, mode="eval"))
    return ast.unparse(tree)


def _linked_signature(func: Callable[..., Any], module: ModuleType) -> str:
    """The signature with qualified annotations, for the ``py:function`` directive."""
    sig = inspect.signature(func)

    def q(annotation: Any) -> Any:
        if isinstance(annotation, str):
            return _Shown(qualified_annotation(annotation, module))
        return _shown(annotation)

    shown = sig.replace(
        parameters=[p.replace(annotation=q(p.annotation)) for p in sig.parameters.values()],
        return_annotation=q(sig.return_annotation),
    )
    return f"{func.__name__}{shown}"


def render_hooks(module: ModuleType) -> str:
    """Each ``gridconnect_*`` hook of ``module``: exact signature, options, and docstring."""
    lines = [f".. py:currentmodule:: {module.__name__}", ""]
    for name, func in hook_functions(module):
        lines += heading(f"``{name}``", "-")
        lines += [f".. py:function:: {_linked_signature(func, module)}", ""]
        body = ["Signature, exactly as declared::", "", *indent([hook_signature(func)]), ""]
        opts = getattr(func, f"{module.__name__.split('.')[0]}_spec", None) or {}
        flags = [k for k in ("firstresult", "historic") if opts.get(k)]
        if flags:
            body += [
                "Hook options: "
                + ", ".join(literal(f) for f in flags)
                + (
                    " (the first non-``None`` answer is the result)."
                    if "firstresult" in flags
                    else "."
                ),
                "",
            ]
        doc = inspect.getdoc(func) or "(no docstring)"
        body += [*doc.splitlines(), ""]
        lines += [*indent(body), ""]
    return "\n".join(lines)
