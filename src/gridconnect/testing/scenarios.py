"""Scenario files: the language of policy tests.

A scenario file (``scenarios/*.toml`` in a plugin's test folder) lists cases: an application
(a path relative to the file, or an inline table), an optional as-of date and engine, and the
conclusions expected. Slots not listed are not checked; ``absent`` says a slot must stay
undecided; ``undetermined`` lists exactly the slots that must wait on unknown facts, and
``questions`` exactly the application fields the decision must ask for, ``warnings`` exactly
the decision's warnings as ``kind:source`` (``before_coverage:guangzhou``; all three default to
none being checked)::

    [[scenario]]
    name = "Guangzhou: 180 kW small enterprise is low voltage and 三零"
    application = "../../../examples/applications/guangzhou-180kw-small-enterprise.json"
    expect = { track = "three_zero", supply = "low_voltage", "stage.whole_process" = { days = 7 } }
    absent = ["approval.mode"]

The pytest plugin of :mod:`gridconnect.testing.pytest_plugin` collects these files as tests
where a project opts in (``gridconnect_scenarios`` in its pytest settings). A top-level
``plugin = "guangzhou"`` evaluates the file's scenarios with that plugin and the plugins it
builds on only (so installing another city changes nothing), and also runs the conformance kit
(:mod:`gridconnect.testing.conformance`) on it; a plugin that is not loaded is an error, not a
pass.

Every slot a scenario names (in ``expect``, ``absent`` and ``undetermined``) is checked against
the slot vocabulary (:mod:`gridconnect.rules.slots`) when the file is read, and so is every
expected value: a misspelt slot or value is an error that suggests the nearest correct one
(``suply`` → did you mean ``supply``?), never a silent mismatch.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import attrs

from gridconnect.decide.decision import Decision
from gridconnect.decide.evaluate import evaluate
from gridconnect.errors import RuleDataError
from gridconnect.model.application import Application
from gridconnect.model.codec import load_file, structure
from gridconnect.plugins.registry import Registry
from gridconnect.rules.model import plain
from gridconnect.rules.slots import SLOT_FAMILIES, SLOTS, slot_type

__all__ = [
    "Scenario",
    "ScenarioMismatchError",
    "check_scenario",
    "load_scenarios",
    "scenario_plugin",
    "scenario_registry",
    "slot_problems",
]

_CASE_KEYS = frozenset(
    {
        "name",
        "application",
        "as_of",
        "engine",
        "expect",
        "absent",
        "trace_includes",
        "bundle",
        "undetermined",
        "questions",
        "warnings",
    }
)

_LIMIT_KEYS = {"working_days": "working_day", "calendar_days": "calendar_day", "days": "day"}


@attrs.frozen(kw_only=True)
class Scenario:
    name: str
    file: Path
    application: Application
    expect: Mapping[str, Any]
    absent: tuple[str, ...] = ()
    as_of: date | None = None
    engine: str | None = None
    trace_includes: tuple[str, ...] = ()
    bundle: Mapping[str, Any] = attrs.field(factory=dict)
    undetermined: tuple[str, ...] | None = None
    questions: tuple[str, ...] | None = None
    warnings: tuple[str, ...] | None = None


class ScenarioMismatchError(AssertionError):
    """A scenario's decision differs from what it expects."""


def _expected(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _LIMIT_KEYS:
        ((key, amount),) = value.items()
        return {"amount": amount, "unit": _LIMIT_KEYS[key]}
    return value


def _read(p: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise RuleDataError(
            f"cannot read scenarios: {error}", f"无法读取场景文件：{error}", file=str(p)
        ) from None


def scenario_plugin(path: str | Path) -> str | None:
    """The plugin a scenario file tests (top-level ``plugin``): its scenarios are evaluated with
    that plugin and the ones it builds on only, and the conformance kit runs on it."""
    target = _read(Path(path)).get("plugin")
    return target if isinstance(target, str) else None


def scenario_registry(plugin: str | None, registry: Registry) -> Registry:
    """The registry a file's scenarios run with: ``plugin`` and what it builds on, or all of
    ``registry`` when no plugin is named. A plugin that is not loaded raises
    :class:`ScenarioMismatchError` naming the plugins that are (and a failed plugin's error)."""
    if plugin is None:
        return registry
    if any(p.name == plugin for p in registry.plugins):
        return registry.only(plugin)
    failed = [str(e) for e in registry.errors if e.plugin == plugin]
    if failed:
        raise ScenarioMismatchError("\n".join(failed))
    names = [p.name for p in registry.plugins]
    near = difflib.get_close_matches(plugin, names, n=1)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    raise ScenarioMismatchError(
        f"plugin {plugin!r} is not loaded{hint} (loaded: {', '.join(names)}); install it, or "
        "load it with GRIDCONNECT_PLUGINS=module:attribute / 插件未加载"
    )


def _slot_names() -> list[str]:
    return [*SLOTS, *(f"{family}." for family in SLOT_FAMILIES)]


def _did_you_mean(word: str, choices: list[str]) -> str:
    near = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {near[0]!r}?" if near else ""


def slot_problems(slot: str, value: object = None, *, check_value: bool = True) -> list[str]:
    """What is wrong with a slot a scenario names, and with the value it expects (an empty
    list when both are in the vocabulary of :mod:`gridconnect.rules.slots`).

    >>> slot_problems("suply")
    ["unknown slot 'suply'; did you mean 'supply'?"]
    >>> slot_problems("supply", "low_votage")
    ["supply: 'low_votage' is not one of high_voltage, low_voltage; did you mean 'low_voltage'?"]
    """
    kind = slot_type(slot)
    if kind is None:
        return [f"unknown slot {slot!r}{_did_you_mean(slot, _slot_names())}"]
    if not check_value:
        return []
    if kind.kind == "enum" and value not in kind.values:
        values = sorted(kind.values)
        hint = _did_you_mean(str(value), values)
        return [f"{slot}: {value!r} is not one of {', '.join(values)}{hint}"]
    if kind.kind == "bool" and not isinstance(value, bool):
        return [f"{slot}: expected true or false, not {value!r}"]
    if kind.kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        return [f"{slot}: expected a whole number, not {value!r}"]
    if kind.kind == "limit" and not (isinstance(value, dict) and set(value) == {"amount", "unit"}):
        return [
            f"{slot}: expected a time limit such as {{ working_days = 5 }}, "
            f"{{ calendar_days = 3 }} or {{ days = 3 }}, not {value!r}"
        ]
    return []


def load_scenarios(path: str | Path) -> Iterator[Scenario]:
    """Read every scenario of a file; bad files raise RuleDataError naming the file."""
    p = Path(path)
    data = _read(p)
    unknown_top = set(data) - {"plugin", "scenario"}
    if unknown_top:
        key = sorted(unknown_top)[0]
        hint = _did_you_mean(key, ["plugin", "scenario"])
        raise RuleDataError(
            f"unknown top-level key(s) {sorted(unknown_top)}{hint}",
            f"未知的顶层键 {sorted(unknown_top)}",
            file=str(p),
        )
    for i, case in enumerate(data.get("scenario", [])):
        name = case.get("name", f"scenario {i}")
        unknown = set(case) - _CASE_KEYS
        if unknown:
            hint = _did_you_mean(sorted(unknown)[0], sorted(_CASE_KEYS))
            raise RuleDataError(
                f"unknown key(s) {sorted(unknown)}{hint}",
                f"未知的键 {sorted(unknown)}",
                file=str(p),
                rule=name,
            )
        problems = [
            *(
                q
                for slot, want in case.get("expect", {}).items()
                for q in slot_problems(slot, _expected(want))
            ),
            *(q for slot in case.get("absent", ()) for q in slot_problems(slot, check_value=False)),
            *(
                q
                for slot in case.get("undetermined", None) or ()
                for q in slot_problems(slot, check_value=False)
            ),
        ]
        if problems:
            raise RuleDataError(
                "; ".join(problems),
                "场景中的结论名或取值不在词表中：" + "；".join(problems),
                file=str(p),
                rule=name,
            )
        app_spec = case.get("application")
        if isinstance(app_spec, str):
            app = load_file(p.parent / app_spec, Application)
        elif isinstance(app_spec, dict):
            app = structure(
                json.loads(json.dumps(app_spec, default=str)), Application, source=f"{p}:{name}"
            )
        else:
            raise RuleDataError(
                "'application' is a path or a table",
                "'application' 须为路径或表",
                file=str(p),
                rule=name,
            )
        yield Scenario(
            name=name,
            file=p,
            application=app,
            expect={k: _expected(v) for k, v in case.get("expect", {}).items()},
            absent=tuple(case.get("absent", ())),
            bundle=case.get("bundle", {}),
            as_of=case.get("as_of"),
            engine=case.get("engine"),
            trace_includes=tuple(case.get("trace_includes", ())),
            undetermined=_names(case, "undetermined"),
            questions=_names(case, "questions"),
            warnings=_names(case, "warnings"),
        )


def _names(case: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    value = case.get(key)
    return None if value is None else tuple(sorted(value))


def _bundle_value(plan: Mapping[str, Any], key: str) -> Any:
    """A bundle expectation: ``utilities``, ``unavailable`` (utilities), ``documents`` (kinds),
    ``permits`` (all trenches), ``trenches``, or a saving such as ``excavations_avoided``."""
    if not plan:
        return None
    if key == "unavailable":
        return [u["utility"] for u in plan["unavailable"]]
    if key == "documents":
        return [d["kind"] for d in plan["documents"]]
    if key == "trenches":
        return len(plan["trenches"])
    if key == "permits":
        return sorted({p for t in plan["trenches"] for p in t["permits"]})
    if key == "missing":
        return [m["path"] for m in plan["missing"]]
    for measure in ("excavations", "approvals", "trench_m"):
        for which in ("separate", "bundled", "avoided"):
            if key == f"{measure}_{which}":
                return plan["savings"][measure][which]
    return plan.get(key)


def check_scenario(scenario: Scenario, registry: Registry | None = None) -> Decision:
    """Evaluate a scenario and raise :class:`ScenarioMismatchError` listing every difference."""
    decision = evaluate(scenario.application, scenario.as_of, scenario.engine, registry=registry)
    problems = []
    for slot, want in scenario.expect.items():
        got = decision.conclusions.get(slot)
        got_plain = None if got is None else plain(got.value)
        if got_plain != want:
            by = f" (by {got.rule})" if got else ""
            problems.append(f"{slot}: expected {want!r}, got {got_plain!r}{by}")
    for slot in scenario.absent:
        if slot in decision.conclusions:
            c = decision.conclusions[slot]
            problems.append(f"{slot}: expected no decision, got {plain(c.value)!r} by {c.rule}")
    if scenario.undetermined is not None:
        got_slots = tuple(sorted(decision.undetermined))
        if got_slots != scenario.undetermined:
            problems.append(
                f"undetermined: expected {list(scenario.undetermined)}, got {list(got_slots)}"
            )
    if scenario.questions is not None:
        got_paths = tuple(sorted(q.path for q in decision.questions))
        if got_paths != scenario.questions:
            problems.append(
                f"questions: expected {list(scenario.questions)}, got {list(got_paths)}"
            )
    if scenario.warnings is not None:
        got_warnings = tuple(sorted(f"{w.kind}:{w.source}" for w in decision.warnings))
        if got_warnings != scenario.warnings:
            problems.append(
                f"warnings: expected {list(scenario.warnings)}, got {list(got_warnings)}"
            )
    matched = {t.rule for t in decision.trace if t.outcome != "unknown"}
    for rule in scenario.trace_includes:
        if rule not in matched:
            problems.append(f"rule {rule} was expected to match but did not")
    if scenario.bundle:
        plan = decision.bundle.to_dict() if decision.bundle is not None else {}
        for key, want in scenario.bundle.items():
            got = _bundle_value(plan, key)
            if got != want:
                problems.append(f"bundle {key}: expected {want!r}, got {got!r}")
    if problems:
        raise ScenarioMismatchError(f"{scenario.file}: {scenario.name}\n  " + "\n  ".join(problems))
    return decision
