"""The conformance kit teaches: it catches a cap-raising plugin and the other new invariants,
shows a shrunk, readable counterexample with its rule trace, checks scenario slots and values
against the vocabulary (did you mean), insists that a scenario's plugin exists, and collects
scenario files only where a project opts in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest
from conftest import examples

from gridconnect.errors import RuleDataError
from gridconnect.plugins.hookspecs import hookimpl
from gridconnect.plugins.packaged import jurisdiction
from gridconnect.plugins.registry import Registry
from gridconnect.rules.catalogue import Jurisdiction
from gridconnect.rules.loader import RuleSource, parse_rules
from gridconnect.testing import credit_code
from gridconnect.testing.conformance import check_conformance
from gridconnect.testing.scenarios import (
    ScenarioMismatchError,
    load_scenarios,
    scenario_registry,
    slot_problems,
)

HEADER = """
jurisdiction = "441800"
[citations.c]
title = "t"
issuer = "i"
confidence = "press"
"""

CAP_RAISED = (
    HEADER
    + """
[[parameters]]
name = "cn.low_voltage_access_cap_kw"
title = { en = "Low-voltage access cap", zh = "低压接入容量上限" }
unit = "kW"
versions = [ { value = 1000, effective_from = 2025-06-03, citation = { ref = "c" } } ]
"""
)


class City:
    """Qingyuan (441800) with the rules given as TOML text."""

    def __init__(self, rules: str) -> None:
        self.rules = rules

    @hookimpl
    def gridconnect_jurisdictions(self) -> list[Jurisdiction]:
        return [jurisdiction("441800", "清远市", "Qingyuan", "qingyuan", parent="440000")]

    @hookimpl
    def gridconnect_rule_sources(self) -> list[RuleSource]:
        return [parse_rules(tomllib.loads(self.rules), "qingyuan.toml")]


def findings_of(rules: str, examples: int = 200) -> list:  # type: ignore[type-arg]
    registry = Registry(plugins=[("qingyuan", City(rules))], environment=False)
    assert not registry.errors, registry.errors
    return check_conformance("qingyuan", registry=registry, examples=examples)


@pytest.mark.slow
def test_a_plugin_raising_the_low_voltage_cap_is_caught_with_a_minimal_readable_case() -> None:
    findings = findings_of(CAP_RAISED)
    (lost,) = [f for f in findings if f.check == "track limits"]
    assert "three_save" in lost.message
    assert "stage.utility_steps" in lost.message
    # The counterexample is shrunk: above the national cap of 160 kW and within the raised one,
    # on the day the cap applies, with no voltage asked for.
    app = json.loads(lost.application)
    assert app["capacity"]["unit"] == "kW"
    assert 160 < app["capacity"]["value"] <= 1000
    assert app["applied_on"] == "2025-06-03"
    assert "voltage" not in app
    assert "null" not in lost.application  # fields left empty are not shown
    # ... and shown with the rule that put it on low voltage.
    assert "cn.supply.low_by_capacity [won]" in lost.trace
    text = str(lost)
    assert "minimal application:" in text
    assert "rules that matched:" in text


def test_the_shipped_plugins_keep_every_invariant() -> None:
    registry = Registry(environment=False)
    assert check_conformance("guangzhou", registry=registry, examples=examples(60)) == []


@pytest.mark.slow
def test_an_exemption_with_permits_is_caught() -> None:
    rules = (
        HEADER
        + """
[[rules]]
id = "qingyuan.approval.exempt_low_voltage"
title = { en = "a", zh = "a" }
effective_from = 2021-01-01
when = { fact = "works.external", eq = true }
then = { "approval.mode" = "exempt", "permit.road_excavation" = true }
citation = { ref = "c" }
exception_to = ["cn.approval.required_external_works"]
"""
    )
    checks = {f.check for f in findings_of(rules, examples=100)}
    assert "exemption with permits" in checks


@pytest.mark.slow
def test_a_supply_without_its_whole_process_limit_is_caught() -> None:
    rules = (
        HEADER
        + """
[[rules]]
id = "qingyuan.note.instead"
title = { en = "a", zh = "a" }
effective_from = 2021-01-01
when = { fact = "applicant.kind", eq = "resident" }
then = { "note.x" = { en = "see the city's notice", zh = "见通知" } }
citation = { ref = "c" }
exception_to = ["cn.limit.resident_whole_process", "cn.limit.low_voltage_no_external_works", "cn.limit.low_voltage_with_external_works"]
"""
    )
    (finding,) = [f for f in findings_of(rules, examples=150) if f.check == "whole-process limit"]
    assert '"kind": "resident"' in finding.application
    assert "qingyuan.note.instead [won]" in finding.trace


def test_an_override_no_rule_reads_and_a_shadowing_parameter_are_caught() -> None:
    rules = (
        HEADER
        + """
[[parameters]]
name = "cn.zero_investment_cap_urban_kw"
title = { en = "cap", zh = "上限" }
unit = "kW"
versions = [ { value = 200, effective_from = 2021-01-01, citation = { ref = "c" } } ]

[[parameters]]
name = "qingyuan.low_voltage_access_cap_kw"
title = { en = "cap", zh = "上限" }
unit = "kW"
versions = [ { value = 250, effective_from = 2025-06-03, citation = { ref = "c" } } ]
"""
    )
    messages = [f.message for f in findings_of(rules, examples=20) if f.check == "parameter"]
    assert any(
        "overrides cn.zero_investment_cap_urban_kw from 2021-01-01" in m for m in messages
    ), messages
    assert any(
        "qingyuan.low_voltage_access_cap_kw shadows the inherited cn.low_voltage_access_cap_kw" in m
        for m in messages
    ), messages


@pytest.mark.parametrize(
    ("slot", "value", "hint"),
    [
        ("suply", None, "did you mean 'supply'?"),
        ("supply", "low_votage", "did you mean 'low_voltage'?"),
        ("track", "three_zeros", "did you mean 'three_zero'?"),
        ("zero_investment", "yes", "expected true or false"),
        ("stage.whole_process", 5, "{ working_days = 5 }"),
        ("aproval.mode", None, "did you mean 'approval.mode'?"),
    ],
)
def test_a_misspelt_slot_or_value_is_named_with_a_suggestion(
    slot: str, value: object, hint: str
) -> None:
    (problem,) = slot_problems(slot, value, check_value=value is not None)
    assert hint in problem


def test_a_scenario_file_with_a_typo_is_refused_when_read(tmp_path: Path) -> None:
    path = tmp_path / "city.toml"
    path.write_text(
        textwrap.dedent(
            f"""
            [[scenario]]
            name = "typo"
            expect = {{ suply = "low_voltage" }}
            [scenario.application]
            id = "QY-1"
            applied_on = "2026-03-02"
            applicant = {{ kind = "other_enterprise", name = "清远示例有限公司", credit_code = "{credit_code("441800")}" }}
            site = {{ division = "441800" }}
            service = "new_connection"
            capacity = {{ value = 90, unit = "kW" }}
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(RuleDataError, match="did you mean 'supply'") as info:
        list(load_scenarios(path))
    assert info.value.file == str(path)
    assert info.value.rule == "typo"


def test_a_scenario_naming_a_plugin_that_is_not_loaded_fails() -> None:
    registry = Registry(environment=False)
    with pytest.raises(ScenarioMismatchError, match="did you mean 'guangzhou'"):
        scenario_registry("guangzhuo", registry)
    assert scenario_registry("guangzhou", registry).plugins


SCENARIO = """
plugin = "{plugin}"

[[scenario]]
name = "a Guangzhou resident"
application = "{app}"
expect = {{ track = "three_zero" }}
"""


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            *args,
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with a scenario file and no pytest setting."""
    example = Path(__file__).resolve().parent.parent / "examples" / "applications"
    scenarios = tmp_path / "tests" / "scenarios"
    scenarios.mkdir(parents=True)
    app = (example / "guangzhou-180kw-small-enterprise.json").as_posix()
    (scenarios / "a.toml").write_text(SCENARIO.format(plugin="nosuch", app=app), "utf-8")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", "utf-8")
    return tmp_path


@pytest.mark.slow
def test_scenario_files_are_not_collected_unless_the_project_opts_in(project: Path) -> None:
    done = run_pytest(project, "tests")
    assert done.returncode == 5, done.stdout + done.stderr  # no tests collected
    assert "no tests ran" in done.stdout


@pytest.mark.slow
def test_an_opted_in_project_runs_its_scenarios_and_a_missing_plugin_fails(
    project: Path,
) -> None:
    with (project / "pyproject.toml").open("a", encoding="utf-8") as f:
        f.write('[tool.pytest.ini_options]\ngridconnect_scenarios = ["tests/scenarios"]\n')
    done = run_pytest(project, "tests")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "plugin 'nosuch' is not loaded" in done.stdout
    assert "2 failed" in done.stdout  # the scenario and the conformance item
