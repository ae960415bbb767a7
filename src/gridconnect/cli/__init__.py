"""The ``gridconnect`` command.

Invalid input exits with status 2 and a located message in English and Chinese; no command
shows a traceback for an error gridconnect raises on purpose.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any

import click
import pluggy

from gridconnect import __version__
from gridconnect.cli.support import (
    AS_OF,
    ENGINE,
    FORMAT,
    INPUT_ERRORS,
    LANG,
    PAGE_FORMAT,
    SHOW_PERSONAL_DATA,
    emit,
    guarded,
    parse_date,
    registry_of,
)
from gridconnect.decide.bundle import bundle_schema
from gridconnect.decide.calendar import national_calendar
from gridconnect.decide.decision import Decision
from gridconnect.decide.evaluate import evaluate, plan_for
from gridconnect.errors import (
    ConflictError,
    EngineError,
    GridconnectError,
    InputError,
    PluginError,
)
from gridconnect.model.application import Application
from gridconnect.model.codec import dumps, load_file
from gridconnect.model.personal import mask
from gridconnect.model.schema import application_schema
from gridconnect.output.html import render_bundle_html, render_html
from gridconnect.output.labels import labels_for
from gridconnect.output.schemas import decision_schema
from gridconnect.output.text import render_bundle, render_decision, render_explanation
from gridconnect.plugins import hookspecs
from gridconnect.rules.catalogue import Catalogue, Rulebook
from gridconnect.rules.conditions import render
from gridconnect.rules.places import find_jurisdiction

__all__ = ["FEATURES", "commands_of", "main"]


class _Gridconnect(click.Group):
    """The ``gridconnect`` group: the core commands, and the features' commands collected on
    first use. Collecting when this module is imported would run while a feature module that
    imports :mod:`gridconnect.cli.support` is itself half-imported, and miss its hook."""

    _collected = False

    def _collect(self) -> None:
        if not self._collected:
            self._collected = True
            for command in commands_of():
                self.add_command(command)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._collect()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._collect()
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_Gridconnect,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="gridconnect")
@click.option(
    "--rules",
    "rules",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="A local rules file (.toml) or plugin module (.py); repeatable.",
)
@click.option(
    "--plugin",
    "modules",
    multiple=True,
    metavar="MODULE:ATTR",
    help="Load a plugin object that is importable but not installed; repeatable.",
)
@click.option("--disable", multiple=True, help="Do not load the plugin with this name; repeatable.")
@click.option(
    "--allow-broken-plugins",
    "allow_broken",
    is_flag=True,
    help="Decide applications of a jurisdiction whose installed plugin failed to load with the "
    "plugins that did (each such decision carries a warning); by default they are errors.",
)
@click.pass_context
def cli(
    ctx: click.Context,
    rules: Sequence[str],
    modules: Sequence[str],
    disable: Sequence[str],
    allow_broken: bool,
) -> None:
    """Getting-electricity (获得电力) rules: validate and evaluate applications for grid
    connection, inspect rules and plugins, count working days."""
    ctx.ensure_object(dict).update(
        rules=tuple(rules),
        modules=tuple(modules),
        disable=tuple(disable),
        allow_broken=allow_broken,
    )


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@FORMAT
@SHOW_PERSONAL_DATA
@guarded()
def validate(files: Sequence[str], fmt: str, show_personal_data: bool) -> None:
    """Check application files; print each one's normalised form (identifiers masked unless
    --show-personal-data)."""
    failed: list[InputError] = []
    results: list[dict[str, Any]] = []
    for path in files:
        try:
            app = load_file(path, Application)
        except InputError as error:
            failed.append(error)
            results.append(
                {
                    "file": path,
                    "valid": False,
                    "problems": [{"path": p.path, "en": p.en, "zh": p.zh} for p in error.problems],
                }
            )
            continue
        data = json.loads(dumps(app))
        results.append(
            {"file": path, "valid": True, "application": data if show_personal_data else mask(data)}
        )
        if fmt == "text":
            click.echo(f"{path}: valid / 有效")
    if fmt == "json":
        emit(results)
    for invalid in failed:
        click.echo(str(invalid), err=True)
    if failed:
        raise SystemExit(2)


@cli.command()
@click.argument("name", type=click.Choice(["application", "decision", "bundle"]))
def schema(name: str) -> None:
    """Print the JSON Schema of an application, a decision or a bundle plan."""
    schemas = {
        "application": application_schema,
        "decision": decision_schema,
        "bundle": bundle_schema,
    }
    emit(schemas[name]())


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@AS_OF
@ENGINE
@PAGE_FORMAT
@LANG
@click.pass_context
@guarded()
def bundle(
    ctx: click.Context, file: str, as_of: date | None, engine: str | None, fmt: str, lang: str
) -> None:
    """Plan a bundled (一次办) request: one form, one document list, joint trenches, savings."""
    app = load_file(file, Application)
    registry = registry_of(ctx)
    plan = plan_for(app, as_of, engine, registry=registry)
    if fmt == "json":
        emit(plan.to_dict())
    elif fmt == "html":
        click.echo(render_bundle_html(plan, lang, labels=labels_for(registry)), nl=False)
    else:
        click.echo(render_bundle(plan, lang, labels=labels_for(registry)))


EVALUATE_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "jsonl", "html"]),
    default="text",
    show_default=True,
    help="Text for people; json: the decision of one file, or a list with one entry per file "
    "for several; jsonl: one entry per file and line, whatever their number; html: one "
    "standalone printable page.",
)


@cli.command("evaluate")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@AS_OF
@ENGINE
@EVALUATE_FORMAT
@LANG
@click.pass_context
@guarded()
def evaluate_cmd(
    ctx: click.Context,
    files: Sequence[str],
    as_of: date | None,
    engine: str | None,
    fmt: str,
    lang: str,
) -> None:
    """Decide applications: track, supply, approval, documents and time limits, with sources.

    A file that cannot be decided does not stop the others: their decisions are printed, the
    failures are listed (on standard error, and as entries in JSON), and the exit status is 2
    (1 when no failure is an input error). An entry is {"file", "decision"} or
    {"file", "error"}, one per file in the order given: --format jsonl prints one per line
    whatever the number of files; --format json prints the decision itself for one file, and
    the list of entries for several.
    """
    registry = registry_of(ctx)
    entries: list[dict[str, Any]] = []
    decisions: list[Decision] = []
    failures: list[tuple[str, GridconnectError]] = []
    for path in files:
        try:
            decision = evaluate(load_file(path, Application), as_of, engine, registry=registry)
        except GridconnectError as error:
            failures.append((path, error))
            entries.append({"file": path, "error": _error_entry(error)})
            continue
        decisions.append(decision)
        entries.append({"file": path, "decision": decision.to_dict()})
    if fmt == "jsonl":
        for entry in entries:
            click.echo(json.dumps(entry, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    elif fmt == "json" and len(files) > 1:
        emit(entries)
    elif fmt == "json" and decisions:
        emit(decisions[0].to_dict())
    elif fmt == "html" and decisions:
        page = decisions[0] if len(decisions) == 1 else decisions
        click.echo(render_html(page, lang, labels=labels_for(registry), derivation=False), nl=False)
    elif fmt == "text" and decisions:
        labels = labels_for(registry)
        click.echo("\n\n".join(render_decision(d, lang, labels=labels) for d in decisions))
    if failures:
        _report_failures(failures, len(files))


def _error_entry(error: GridconnectError) -> dict[str, Any]:
    """A failure as ``evaluate --format json`` lists it: what kind, the message in both
    languages, and (for invalid input) every problem located by its JSON path."""
    kinds: tuple[tuple[type[GridconnectError], str], ...] = (
        (InputError, "input"),
        (ConflictError, "conflict"),
        (PluginError, "plugin"),
        (EngineError, "engine"),
    )
    kind = next((k for cls, k in kinds if isinstance(error, cls)), None)
    if kind is None:
        kind = "input" if isinstance(error, INPUT_ERRORS) else "error"
    problems = error.problems if isinstance(error, InputError) else ()
    return {
        "kind": kind,
        "en": error.en,
        "zh": error.zh,
        "problems": [{"path": p.path, "en": p.en, "zh": p.zh} for p in problems],
    }


def _report_failures(failures: Sequence[tuple[str, GridconnectError]], total: int) -> None:
    """Each failure on standard error, then which files failed; exit 2 if any failure is an
    input error, else 1."""
    for path, error in failures:
        message = str(error)
        click.echo(message if path in message else f"{path}: {message}", err=True)
    if total > 1:
        names = ", ".join(path for path, _ in failures)
        n = len(failures)
        click.echo(
            f"{n} of {total} files could not be decided / {total} 个文件中有 {n} 个未能判定: "
            f"{names}",
            err=True,
        )
    raise SystemExit(2 if any(isinstance(e, INPUT_ERRORS) for _, e in failures) else 1)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False))
@AS_OF
@ENGINE
@PAGE_FORMAT
@LANG
@click.pass_context
@guarded()
def explain(
    ctx: click.Context, file: str, as_of: date | None, engine: str | None, fmt: str, lang: str
) -> None:
    """Print the derivation of a decision: every rule that matched, why, and its source.

    With --format html: one standalone page with the decision and its derivation; with
    --format json: the decision, whose trace is the derivation."""
    app = load_file(file, Application)
    registry = registry_of(ctx)
    decision = evaluate(app, as_of, engine, registry=registry)
    if fmt == "json":
        emit(decision.to_dict())
    elif fmt == "html":
        click.echo(render_html(decision, lang, labels=labels_for(registry)), nl=False)
    else:
        click.echo(render_explanation(decision, lang, labels=labels_for(registry)))


@cli.group()
def calendar() -> None:
    """Count Chinese working days (工作日), holidays and 调休 included."""


LENIENT = click.option(
    "--lenient",
    is_flag=True,
    help="Allow years whose holiday notice is not encoded (result provisional).",
)


@calendar.command("add")
@click.argument("start")
@click.argument("n", type=int)
@LENIENT
@FORMAT
@guarded()
def calendar_add(start: str, n: int, lenient: bool, fmt: str) -> None:
    """The date N working days after START (START itself not counted)."""
    day = parse_date(None, None, start)
    assert day is not None
    result = calendar_add_result(day, n, lenient=lenient)
    if fmt == "json":
        emit(result)
    else:
        click.echo(result["date"] + (" (provisional / 暂定)" if result["provisional"] else ""))


def calendar_add_result(day: date, n: int, *, lenient: bool = False) -> dict[str, Any]:
    """The date ``n`` national working days after ``day``: the JSON of ``calendar add``."""
    cal = national_calendar(strict=not lenient)
    due = cal.add_working_days(day, n)
    return {
        "start": day.isoformat(),
        "working_days": n,
        "date": due.isoformat(),
        "provisional": cal.is_provisional(due),
    }


@calendar.command("between")
@click.argument("start")
@click.argument("end")
@LENIENT
@FORMAT
@guarded()
def calendar_between(start: str, end: str, lenient: bool, fmt: str) -> None:
    """Working days after START up to and including END."""
    a, b = parse_date(None, None, start), parse_date(None, None, end)
    assert a is not None
    assert b is not None
    cal = national_calendar(strict=not lenient)
    n = cal.working_days_between(a, b)
    if fmt == "json":
        emit(
            {
                "start": a.isoformat(),
                "end": b.isoformat(),
                "working_days": n,
                "provisional": cal.is_provisional(a) or cal.is_provisional(b),
            }
        )
    else:
        click.echo(str(n))


@cli.command()
@FORMAT
@click.pass_context
def plugins(ctx: click.Context, fmt: str) -> None:
    """Loaded plugins, sorted by name: distribution, version, jurisdictions and number of
    rules; plugins that were set aside are listed as errors (and warned about)."""
    registry = registry_of(ctx)
    loaded = sorted(registry.plugins, key=lambda p: p.name)
    rows = [
        {
            "plugin": p.name,
            "distribution": p.distribution,
            "version": p.version,
            "jurisdictions": [j.alias for j in p.jurisdictions],
            "rules": p.rule_count,
        }
        for p in loaded
    ]
    errors = sorted(str(e) for e in registry.errors)
    if fmt == "json":
        emit({"plugins": rows, "errors": errors})
        return
    for p in loaded:
        aliases = ", ".join(j.alias for j in p.jurisdictions) or "-"
        click.echo(
            f"{p.name:<24} {p.distribution or '-'} {p.version or ''}  {aliases}  "
            f"{p.rule_count} rule{'' if p.rule_count == 1 else 's'}"
        )


def jurisdiction_rows(cat: Catalogue) -> list[dict[str, Any]]:
    """Every jurisdiction of a catalogue, parents first: the JSON of ``jurisdictions``."""
    return [
        {"code": j.code, "alias": j.alias, "zh": j.name.zh, "en": j.name.en, "parent": j.parent}
        for j in sorted(
            cat.jurisdictions.values(), key=lambda j: [x.code for x in cat.chain(j.code)]
        )
    ]


@cli.command()
@FORMAT
@click.pass_context
def jurisdictions(ctx: click.Context, fmt: str) -> None:
    """Every known jurisdiction, with its code, names and parent."""
    rows = jurisdiction_rows(registry_of(ctx).catalogue)
    if fmt == "json":
        emit(rows)
        return
    for r in rows:
        click.echo(f"{r['code']:<8} {r['alias']:<22} {r['zh']} ({r['en']})")


@cli.command()
@click.option(
    "--jurisdiction",
    "-j",
    required=True,
    metavar="PLACE",
    help="A jurisdiction's code or alias (guangzhou/huangpu), any division code (440106: the "
    "nearest jurisdiction with rules above it, as evaluate does) or a Chinese name (广州市黄埔区).",
)
@click.option("--as-of", callback=parse_date, help="Date (default: today).")
@FORMAT
@click.pass_context
@guarded()
def rules(ctx: click.Context, jurisdiction: str, as_of: date | None, fmt: str) -> None:
    """The rulebook in force in a place: each rule, its condition and its source."""
    catalogue = registry_of(ctx).catalogue
    found = find_jurisdiction(catalogue, jurisdiction)
    if found.walked:
        j, place = found.jurisdiction, found.place_name()
        click.echo(
            f"note / 说明: {place} has no rules of its own; the rules of {j.alias} apply / "
            f"{place} 无本级规则，适用{j.name.zh}的规则",
            err=True,
        )
    book = catalogue.rulebook(found.jurisdiction.code, as_of or date.today())
    rows = rule_rows(book)
    if fmt == "json":
        emit(rows)
        return
    click.echo(f"{book!r}")
    for r in rows:
        click.echo(
            f"- {r['id']}  {r['title_zh']}\n    when: {r['when']}\n    source: {r['citation']}"
        )


def rule_rows(book: Rulebook) -> list[dict[str, Any]]:
    """Each rule of a rulebook, its condition and its source: the JSON of ``rules``."""
    return [
        {
            "id": b.id,
            "jurisdiction": b.rule.jurisdiction,
            "title": b.rule.title.en,
            "title_zh": b.rule.title.zh,
            "effective_from": b.rule.effective_from.isoformat(),
            "effective_until": b.rule.effective_until.isoformat()
            if b.rule.effective_until
            else None,
            "when": render(b.rule.when),
            "parameters": {name: use.value for name, use in b.parameters},
            "stratum": b.stratum,
            "exception_to": list(b.rule.exception_to),
            "citation": b.rule.citation.short(),
            "confidence": b.rule.citation.confidence.value,
        }
        for b in book.rules
    ]


FEATURES = (
    "gridconnect.interview",
    "gridconnect.batch.cli",
    "gridconnect.lifecycle.cli",
    "gridconnect.serve.cli",
    "gridconnect.diff",
    "gridconnect.scaffold",
)
"""The modules of the features built on the core that add commands (``gridconnect_commands``)."""


def commands_of(modules: Sequence[str] = FEATURES) -> list[click.Command]:
    """The commands the modules' ``gridconnect_commands`` hooks add, through pluggy (so its
    tracing sees them), in the order given."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name in modules:
        pm.register(importlib.import_module(name), name)
    # pluggy calls the last registered first
    return [c for group in reversed(pm.hook.gridconnect_commands()) for c in group]


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``gridconnect`` command."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="gridconnect")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
