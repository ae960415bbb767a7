"""Plugins: a broken plugin is reported with its name and never changes anyone else's answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gridconnect.api import evaluate
from gridconnect.hookspecs import hookimpl
from gridconnect.model import Application
from gridconnect.model.codec import load_file
from gridconnect.registry import Registry
from gridconnect.rules.loader import RuleSource, parse_rules
from gridconnect.testing.conformance import check_conformance

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "applications").glob("*.json"))


class RaisesInHook:
    @hookimpl
    def gridconnect_rule_sources(self) -> list[RuleSource]:
        raise RuntimeError("the rules server is down")


class InvalidRules:
    @hookimpl
    def gridconnect_rule_sources(self) -> list[RuleSource]:
        return [
            parse_rules(
                {
                    "jurisdiction": "CN",
                    "rules": [
                        {
                            "id": "cn.broken",
                            "title": {"en": "x", "zh": "x"},
                            "effective_from": __import__("datetime").date(2020, 1, 1),
                            "when": {"fact": "capacity.watts", "gt": 1},
                            "then": {"track": "three_zero"},
                            "citation": {"title": "t", "issuer": "i", "confidence": "press"},
                        }
                    ],
                },
                "broken.toml",
            )
        ]


class UnknownHook:
    @hookimpl
    def gridconnect_rules_v2(self) -> list[RuleSource]:
        return []


class WrongSignature:
    @hookimpl
    def gridconnect_calendar(self, jurisdiction: str, base: object, region: str) -> None:
        return None


class WrongType:
    @hookimpl
    def gridconnect_jurisdictions(self) -> list[str]:
        return ["440100"]


BROKEN = [
    ("raises", RaisesInHook(), "the rules server is down"),
    ("invalid", InvalidRules(), "capacity.watts"),
    ("unknown-hook", UnknownHook(), "gridconnect_rules_v2"),
    ("wrong-signature", WrongSignature(), "region"),
    ("wrong-type", WrongType(), "expected Jurisdiction"),
]


@pytest.fixture
def broken_import(tmp_path: Path) -> Path:
    path = tmp_path / "broken_import.py"
    path.write_text("raise ImportError('no module named shapely')\n")
    return path


def decisions(registry: Registry) -> list[str]:
    apps = [load_file(p, Application) for p in EXAMPLES]
    return [json.dumps(evaluate(a, engine="reference", registry=registry).to_dict()) for a in apps]


def test_each_broken_plugin_is_reported_once_naming_plugin_and_problem(broken_import: Path) -> None:
    registry = Registry(
        plugins=[(n, o) for n, o, _ in BROKEN], local=[broken_import], environment=False
    )
    reported = {e.plugin: str(e) for e in registry.errors}
    assert len(registry.errors) == len(BROKEN) + 1
    for name, _, fragment in BROKEN:
        assert fragment in reported[name], reported[name]
    assert "shapely" in reported["local:broken_import.py"]
    assert "national" in [p.name for p in registry.plugins]


def test_broken_plugins_do_not_change_any_answer(broken_import: Path) -> None:
    clean = Registry(environment=False)
    noisy = Registry(
        plugins=[(n, o) for n, o, _ in BROKEN], local=[broken_import], environment=False
    )
    assert decisions(noisy) == decisions(clean)


def test_plugins_can_be_disabled_by_name() -> None:
    registry = Registry(disable=["guangzhou"], environment=False)
    assert "guangzhou" not in [p.name for p in registry.plugins]
    assert "440100" not in registry.catalogue.jurisdictions


def test_a_plugin_whose_parent_is_missing_is_reported_naming_the_parent() -> None:
    registry = Registry(disable=["guangdong"], environment=False)
    (error,) = [e for e in registry.errors if e.plugin == "guangzhou"]
    assert "440000" in str(error)
    assert error.distribution == "gridconnect-guangzhou"
    assert error.version


def test_environment_switches_local_rules_and_disabling(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rules = tmp_path / "local.toml"
    rules.write_text('jurisdiction = "CN"\n')
    monkeypatch.setenv("GRIDCONNECT_RULES", str(rules))
    monkeypatch.setenv("GRIDCONNECT_DISABLE", "guangzhou")
    registry = Registry()
    names = [p.name for p in registry.plugins]
    assert "local:local.toml" in names
    assert "guangzhou" not in names


def test_hook_calls_can_be_traced(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GRIDCONNECT_TRACE_HOOKS", "1")
    Registry().calendar("440100")
    assert "gridconnect_calendar" in capsys.readouterr().err


@pytest.mark.parametrize("plugin", ["national", "guangdong", "guangzhou"])
def test_shipped_plugins_conform(plugin: str) -> None:
    assert check_conformance(plugin, registry=Registry(environment=False), examples=100) == []


def test_the_kit_reports_a_conflict_with_a_counterexample(tmp_path: Path) -> None:
    rules = tmp_path / "conflicting.toml"
    rules.write_text(
        """
jurisdiction = "440100"
[citations.c]
title = "t"
issuer = "i"
confidence = "press"
[[rules]]
id = "guangzhou.test.long"
title = { en = "a", zh = "a" }
effective_from = 2021-01-01
when = { fact = "applicant.kind", eq = "resident" }
then = { "stage.connection" = { working_days = 9 } }
citation = { ref = "c" }
[[rules]]
id = "guangzhou.test.short"
title = { en = "b", zh = "b" }
effective_from = 2021-01-01
then = { "stage.connection" = { working_days = 1 } }
citation = { ref = "c" }
""",
        encoding="utf-8",
    )
    registry = Registry(local=[rules], environment=False)
    findings = check_conformance("local:conflicting.toml", registry=registry, examples=300)
    assert [f.check for f in findings] == ["conflict"] or "conflict" in {f.check for f in findings}
    conflict = next(f for f in findings if f.check == "conflict")
    assert "guangzhou.test.long" in conflict.message
    assert conflict.application is not None
    assert '"resident"' in conflict.application
