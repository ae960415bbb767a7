"""The conformance kit: the rules every jurisdiction plugin must keep.

:func:`check_conformance` checks a registry's plugin against:

* ids unique and namespaced, every rule and parameter value cited, exceptions that exist and
  form no cycle (all enforced when the catalogue is built; a plugin that fails them is not loaded,
  and the kit reports its load error);
* effective dates consistent: on every date a rule or parameter value starts or ends, every
  rulebook of the plugin's jurisdictions builds (no rule in force reads a parameter that is not);
* no conflicts over generated applications (the counterexample is reported);
* no time limit longer than the national maximum it refines (compared as due dates, so a limit
  in 天 is compared fairly with one in working days);
* no national exemption (approval exempt or filing only, a waived document, zero investment)
  removed unless the rule that removes it declares itself an exception to the national rule.

Use it from a plugin's tests::

    from gridconnect.testing.conformance import assert_conformance

    def test_conformance():
        assert_conformance("guangzhou")
"""

from __future__ import annotations

from datetime import date, timedelta

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridconnect.api import evaluate
from gridconnect.decision import Decision
from gridconnect.errors import ConflictError, GridconnectError
from gridconnect.model.application import Application
from gridconnect.registry import Registry, default_registry
from gridconnect.rules.catalogue import NATIONAL, Rulebook
from gridconnect.testing.strategies import applications

__all__ = ["Finding", "assert_conformance", "check_conformance"]

_EXEMPT = {"approval.mode": ("exempt", "filing"), "zero_investment": (True,)}


@attrs.frozen
class Finding:
    """One way a plugin breaks the rules every plugin must keep."""

    check: str
    message: str
    application: str | None = None  # JSON of a counterexample, when there is one

    def __str__(self) -> str:
        tail = f"\n    counterexample: {self.application}" if self.application else ""
        return f"[{self.check}] {self.message}{tail}"


def _floor_breaches(
    app: Application, full: Decision, national: Decision, book: Rulebook
) -> list[str]:
    problems = []
    national_due = {d.slot: d.due for d in national.deadlines}
    for d in full.deadlines:
        floor = national_due.get(d.slot)
        if floor is not None and d.due > floor:
            problems.append(
                f"{d.slot}: {d.limit} (due {d.due}, rule {d.rule}) is longer than the national "
                f"maximum (due {floor}, rule {national.conclusions[d.slot].rule})"
            )
    for slot, c in national.conclusions.items():
        kept = _EXEMPT.get(slot, ("waived",) if slot.startswith("document.") else ())
        if c.value not in kept:
            continue
        mine = full.conclusions.get(slot)
        if mine is None or mine.value == c.value:
            continue
        winner = book.by_id[mine.rule].rule
        if c.rule not in winner.exception_to:
            problems.append(
                f"{slot}: national rule {c.rule} gives {c.value!r}; {mine.rule} sets "
                f"{mine.value!r} without declaring exception_to = [{c.rule!r}]"
            )
    return problems


def check_conformance(
    plugin: str,
    *,
    registry: Registry | None = None,
    examples: int = 200,
    engine: str = "reference",
) -> list[Finding]:
    """Check the plugin called ``plugin`` (its registry name); an empty list means it conforms."""
    reg = registry or default_registry()
    findings = [Finding("load", str(e)) for e in reg.errors if e.plugin == plugin]
    info = next((p for p in reg.plugins if p.name == plugin), None)
    if info is None:
        return findings or [Finding("load", f"no plugin named {plugin!r} is loaded")]
    catalogue = reg.catalogue
    codes = [j.code for j in info.jurisdictions] or sorted({s.jurisdiction for s in info.sources})

    # Effective dates: every boundary date builds a rulebook.
    boundaries: set[date] = set()
    for source in info.sources:
        for r in source.rules:
            boundaries.add(r.effective_from)
            if r.effective_until:
                boundaries.add(r.effective_until + timedelta(days=1))
        for p in source.parameters:
            for v in p.versions:
                boundaries.add(v.effective_from)
    for code in codes:
        for day in sorted(boundaries):
            try:
                catalogue.rulebook(code, day)
            except GridconnectError as error:
                findings.append(Finding("dates", f"{code} on {day}: {error}"))

    divisions = [c for c in codes if c != NATIONAL and len(c) == 6]
    if not divisions:
        return findings
    dates = st.dates(min_value=min(boundaries | {date(2021, 1, 1)}), max_value=date(2026, 12, 31))
    seen: set[tuple[str, str]] = set()

    @settings(
        max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(applications(divisions=divisions, applied_on=dates))
    def explore(app: Application) -> None:
        try:
            full = evaluate(app, engine=engine, registry=reg)
            national_book = catalogue.rulebook(NATIONAL, app.applied_on)
            national = evaluate_on(app, national_book)
        except ConflictError as error:
            key = ("conflict", error.slot)
            if key not in seen:
                seen.add(key)
                findings.append(Finding("conflict", str(error), _json(app)))
            return
        except GridconnectError as error:
            key = ("error", type(error).__name__)
            if key not in seen:
                seen.add(key)
                findings.append(Finding("error", str(error), _json(app)))
            return
        book = catalogue.rulebook(full.jurisdictions[-1], app.applied_on)
        for problem in _floor_breaches(app, full, national, book):
            key = ("floor", problem.split(":")[0] + problem.split("rule ")[-1][:40])
            if key not in seen:
                seen.add(key)
                findings.append(Finding("national floor", problem, _json(app)))

    def evaluate_on(app: Application, book: Rulebook) -> Decision:
        from gridconnect.api import get_engine, match_rulebook

        calendar = reg.calendar(NATIONAL, strict=False)
        return match_rulebook(app, book, get_engine(engine), calendar).decide()

    explore()
    return findings


def _json(app: Application) -> str:
    from gridconnect.model.codec import dumps

    return dumps(app).replace("\n", " ")


def assert_conformance(
    plugin: str, *, registry: Registry | None = None, examples: int = 200
) -> None:
    """Fail with every finding listed if the plugin breaks a rule every plugin must keep."""
    findings = check_conformance(plugin, registry=registry, examples=examples)
    if findings:
        raise AssertionError(
            f"plugin {plugin!r} does not conform:\n" + "\n".join(map(str, findings))
        )
