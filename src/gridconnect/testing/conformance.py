"""The conformance kit: the rules every jurisdiction plugin must keep.

:func:`check_conformance` checks a registry's plugin against:

* ids unique and namespaced, every rule and parameter value cited, exceptions that exist and
  form no cycle (all enforced when the catalogue is built; a plugin that fails them is not loaded,
  and the kit reports its load error);
* effective dates consistent: on every date a rule or parameter value starts or ends, every
  rulebook of the plugin's jurisdictions builds (no rule in force reads a parameter that is not);
* parameters: an inherited parameter the plugin gives its own value (an override) is read by a
  rule in force on every date its value is, and a parameter of its own named like an inherited
  one (``qingyuan.low_voltage_access_cap_kw`` beside ``cn.low_voltage_access_cap_kw``) is read
  by some rule: otherwise the value shadows nothing and changes nothing;

and, over generated applications of the plugin's jurisdictions, each compared with what the
national rules alone decide for the same application:

* no conflicts (``conflict``);
* no time limit longer than the national maximum it refines, compared as due dates so a limit in
  天 is compared fairly with one in working days (``national floor``);
* no national exemption (approval exempt or filing only, a waived document, zero investment)
  removed unless the rule that removes it declares itself an exception to the national rule
  (``national floor``);
* a decided supply has a whole-process limit wherever the national rules give one
  (``whole-process limit``);
* a decided track comes with its time limits: where the national rules decide a track and
  a time limit, the plugin decides a track and some time limit too (``track limits``) — a plugin
  that raises the low-voltage cap without the track rules that read it fails this;
* an exemption has no permits: approval ``exempt`` or ``filing`` with a ``permit.*`` required is
  a contradiction (``exemption with permits``).

A counterexample is shrunk by Hypothesis to a minimal application and shown readably: the
application's fields (nothing left at its default), then the trace of the rules that matched.

Use it from a plugin's tests::

    from gridconnect.testing.conformance import assert_conformance

    def test_conformance():
        assert_conformance("guangzhou")
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from gridconnect.decide.decision import Decision
from gridconnect.decide.evaluate import evaluate
from gridconnect.errors import ConflictError, GridconnectError
from gridconnect.model.application import Application, Capacity
from gridconnect.model.enums import CapacityUnit
from gridconnect.plugins.registry import PluginInfo, Registry, default_registry
from gridconnect.rules.catalogue import NATIONAL, Catalogue, Rulebook
from gridconnect.rules.model import plain
from gridconnect.testing.strategies import applications, capacities

__all__ = ["Finding", "assert_conformance", "check_conformance", "readable_application"]

_EXEMPT = {"approval.mode": ("exempt", "filing"), "zero_investment": (True,)}
_MAX_FINDINGS = 6
"""Distinct findings shrunk per plugin; each costs a search and a shrink."""


@attrs.frozen
class Finding:
    """One way a plugin breaks the rules every plugin must keep."""

    check: str
    message: str
    application: str | None = None  # the counterexample, readable (see readable_application)
    trace: str | None = None  # the rules that matched it

    def __str__(self) -> str:
        text = f"[{self.check}] {self.message}"
        if self.application:
            text += "\n    minimal application:\n" + _indent(self.application, 6)
        if self.trace:
            text += "\n    rules that matched:\n" + _indent(self.trace, 6)
        return text


def _indent(text: str, n: int) -> str:
    return "\n".join(" " * n + line for line in text.splitlines())


def readable_application(app: Application) -> str:
    """An application as indented JSON without the fields left empty: what a counterexample is."""
    from gridconnect.model.codec import dumps

    def prune(value: Any) -> Any:
        if isinstance(value, dict):
            kept = {k: prune(v) for k, v in value.items()}
            return {k: v for k, v in kept.items() if v not in (None, [], {}, "")}
        if isinstance(value, list):
            return [prune(v) for v in value]
        return value

    return json.dumps(prune(json.loads(dumps(app))), ensure_ascii=False, indent=2)


def _trace(decision: Decision) -> str:
    lines = []
    for t in decision.trace:
        sets = ", ".join(
            f"{k} = {json.dumps(plain(v), ensure_ascii=False)}" for k, v in t.sets.items()
        )
        lines.append(f"{t.rule} [{t.outcome}] when {t.condition} -> {sets}  ({t.citation.short()})")
    return "\n".join(lines) or "(no rule matched)"


def _limits(d: Decision) -> set[str]:
    return {s for s in d.conclusions if s.startswith("stage.") or s == "approval.limit"}


def _floor_breaches(
    full: Decision, national: Decision, book: Rulebook
) -> list[tuple[str, str, str]]:
    """(check, key, message) for every invariant ``full`` breaks against ``national``."""
    problems: list[tuple[str, str, str]] = []
    national_due = {d.slot: d.due for d in national.deadlines}
    for d in full.deadlines:
        floor = national_due.get(d.slot)
        if floor is not None and d.due > floor:
            problems.append(
                (
                    "national floor",
                    f"{d.slot}:{d.rule}",
                    f"{d.slot}: {d.limit} (due {d.due}, rule {d.rule}) is longer than the national "
                    f"maximum (due {floor}, rule {national.conclusions[d.slot].rule})",
                )
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
                (
                    "national floor",
                    f"{slot}:{mine.rule}",
                    f"{slot}: national rule {c.rule} gives {c.value!r}; {mine.rule} sets "
                    f"{mine.value!r} without declaring exception_to = [{c.rule!r}]",
                )
            )
    undetermined = set(full.undetermined)
    if (
        full.supply is not None
        and "stage.whole_process" not in full.conclusions
        and "stage.whole_process" not in undetermined
        and "stage.whole_process" in national.conclusions
    ):
        problems.append(
            (
                "whole-process limit",
                f"supply={plain(full.supply)}",
                f"supply is decided ({plain(full.supply)}, rule {full.conclusions['supply'].rule}) "
                "but no whole-process limit is, where the national rules give one "
                f"({national.conclusions['stage.whole_process'].rule})",
            )
        )
    if (
        national.track is not None
        and _limits(national)
        and "track" not in undetermined
        and (full.track is None or not _limits(full))
    ):
        what = "no track" if full.track is None else f"track {plain(full.track)} but no time limit"
        problems.append(
            (
                "track limits",
                f"{plain(national.track)}->{plain(full.track) if full.track else None}",
                f"{what} is decided, where the national rules decide track "
                f"{plain(national.track)} ({national.conclusions['track'].rule}) with time limits "
                f"{', '.join(sorted(_limits(national)))}: the applicant loses them",
            )
        )
    mode = full.conclusions.get("approval.mode")
    if mode is not None and mode.value in ("exempt", "filing"):
        permits = sorted(
            s for s, c in full.conclusions.items() if s.startswith("permit.") and c.value is True
        )
        if permits:
            problems.append(
                (
                    "exemption with permits",
                    f"{mode.value}:{permits[0]}",
                    f"approval.mode is {mode.value} (rule {mode.rule}) yet permits are required: "
                    + ", ".join(f"{p} ({full.conclusions[p].rule})" for p in permits),
                )
            )
    return problems


def _parameter_findings(
    info: PluginInfo, catalogue: Catalogue, codes: Iterable[str]
) -> list[Finding]:
    """Overrides read by no rule in force, and own parameters that shadow an inherited name."""
    findings: list[Finding] = []
    mine = set(codes)
    for source in info.sources:
        for p in source.parameters:
            inherited = catalogue.parameters.get(p.name)
            if inherited is not None and inherited.jurisdiction not in mine:
                for v in p.versions:
                    book = catalogue.rulebook(source.jurisdiction, v.effective_from)
                    readers = [
                        b.id for b in book.rules if any(n == p.name for n, _ in b.parameters)
                    ]
                    if not readers:
                        findings.append(
                            Finding(
                                "parameter",
                                f"{source.jurisdiction} overrides {p.name} from {v.effective_from}, "
                                "but no rule in force then reads it: the value changes nothing",
                            )
                        )
                continue
            suffix = p.name.split(".", 1)[-1]
            read = any(any(ref == p.name for ref in _parameter_refs(r)) for r in catalogue.rules)
            shadowed = [
                n
                for n, q in catalogue.parameters.items()
                if n != p.name and n.split(".", 1)[-1] == suffix and q.jurisdiction not in mine
            ]
            if shadowed and not read:
                findings.append(
                    Finding(
                        "parameter",
                        f"{p.name} shadows the inherited {shadowed[0]} but no rule reads it; to "
                        f"give {shadowed[0]} your own value, name your parameter {shadowed[0]!r}",
                    )
                )
    return findings


def _capacities_near(catalogue: Catalogue, codes: Iterable[str]) -> st.SearchStrategy[Capacity]:
    """Capacities anywhere, and half the time near a threshold the rules of these jurisdictions
    compare a capacity with (a parameter in kW or kVA, or a number in a condition): where a
    changed cap changes the decision."""
    chains = {j.code for c in codes for j in catalogue.chain(c)}
    found: set[Decimal] = set()
    for p in catalogue.parameters.values():
        if p.unit in ("kW", "kVA"):
            found |= {Decimal(str(v.value)) for v in p.versions}
    for by_code in catalogue.overrides.values():
        for code, p in by_code.items():
            if code in chains and p.unit in ("kW", "kVA"):
                found |= {Decimal(str(v.value)) for v in p.versions}
    for r in catalogue.rules:
        if r.jurisdiction in chains:
            found |= {
                Decimal(n)
                for n in re.findall(
                    r"path='capacity\.kv?a?w?', op='\w+', value=([0-9.]+)\)", repr(r.when)
                )
            }
    thresholds = sorted(t for t in found if t > 0)
    if not thresholds:
        return capacities()

    @st.composite
    def near(draw: st.DrawFn) -> Capacity:
        t = draw(st.sampled_from(thresholds))
        value = draw(
            st.sampled_from([t, t + 1, t * 2, (t * Decimal("1.5")).quantize(Decimal(1))])
            | st.decimals(min_value=t, max_value=t * 4, places=0)
        )
        unit = draw(st.sampled_from([CapacityUnit.KW, CapacityUnit.KW, CapacityUnit.KVA]))
        return Capacity(value=value, unit=unit)

    return st.one_of(capacities(), near(), near())


def _parameter_refs(rule: Any) -> list[str]:
    text = repr(rule.when) + repr(rule.then)
    return re.findall(r"ParamRef\(name='([^']+)'\)", text)


class _BreachFoundError(Exception):
    """A generated application breaks an invariant not seen yet (raised so Hypothesis shrinks)."""

    def __init__(self, finding: Finding, key: tuple[str, str]) -> None:
        super().__init__(finding.message)
        self.finding = finding
        self.key = key


def check_conformance(
    plugin: str,
    *,
    registry: Registry | None = None,
    examples: int = 200,
    engine: str = "reference",
) -> list[Finding]:
    """Check the plugin called ``plugin`` (its registry name); an empty list means it conforms.

    Each distinct breach found on generated applications is shrunk to a minimal application
    (up to six breaches, each searched with up to ``examples`` applications)."""
    reg = registry or default_registry()
    findings = [Finding("load", str(e)) for e in reg.errors if e.plugin == plugin]
    info = next((p for p in reg.plugins if p.name == plugin), None)
    if info is None:
        loaded = ", ".join(p.name for p in reg.plugins)
        return findings or [
            Finding("load", f"no plugin named {plugin!r} is loaded (loaded: {loaded})")
        ]
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
    if any(f.check == "dates" for f in findings):
        return findings
    findings += _parameter_findings(info, catalogue, codes)

    divisions = [c for c in codes if c != NATIONAL and len(c) == 6]
    if not divisions:
        return findings
    start = min(boundaries | {date(2021, 1, 1)})
    dates = st.one_of(
        st.sampled_from(sorted(b for b in boundaries | {start} if b <= date(2026, 12, 31))),
        st.dates(min_value=start, max_value=date(2026, 12, 31)),
    )
    # Most decisions turn on the capacity against a cap and on whether a voltage is asked for:
    # draw capacities near the caps and leave the voltage to the rules two times in three.
    strategy = st.tuples(
        applications(
            divisions=divisions, applied_on=dates, capacity=_capacities_near(catalogue, codes)
        ),
        st.booleans(),
        st.booleans(),
    ).map(lambda t: attrs.evolve(t[0], voltage=None) if t[1] or t[2] else t[0])
    seen: set[tuple[str, str]] = set()

    def evaluate_on(app: Application, book: Rulebook) -> Decision:
        from gridconnect.decide.evaluate import get_engine, match_rulebook

        calendar = reg.calendar(NATIONAL, strict=False)
        return match_rulebook(app, book, get_engine(engine), calendar).decide()

    def breaches(app: Application) -> list[tuple[tuple[str, str], Finding]]:
        try:
            full = evaluate(app, engine=engine, registry=reg)
            national = evaluate_on(app, catalogue.rulebook(NATIONAL, app.applied_on))
        except ConflictError as error:
            return [(("conflict", error.slot), Finding("conflict", str(error)))]
        except GridconnectError as error:
            return [(("error", type(error).__name__), Finding("error", str(error)))]
        book = catalogue.rulebook(full.jurisdictions[-1], app.applied_on)
        return [
            ((check, key), Finding(check, message, trace=_trace(full)))
            for check, key, message in _floor_breaches(full, national, book)
        ]

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate, Phase.shrink],
        derandomize=True,  # the same findings on every run, in CI and on a laptop
        report_multiple_bugs=False,
        print_blob=False,
    )
    @given(strategy)
    def explore(app: Application) -> None:
        for key, finding in breaches(app):
            if key not in seen:
                raise _BreachFoundError(
                    attrs.evolve(finding, application=readable_application(app)), key
                )

    for _ in range(_MAX_FINDINGS):
        try:
            explore()
        except _BreachFoundError as found:  # Hypothesis re-raises it from the shrunk application
            seen.add(found.key)
            findings.append(found.finding)
            continue
        break
    return findings


def assert_conformance(
    plugin: str, *, registry: Registry | None = None, examples: int = 200
) -> None:
    """Fail with every finding listed if the plugin breaks a rule every plugin must keep."""
    findings = check_conformance(plugin, registry=registry, examples=examples)
    if findings:
        raise AssertionError(
            f"plugin {plugin!r} does not conform:\n" + "\n".join(map(str, findings))
        )
