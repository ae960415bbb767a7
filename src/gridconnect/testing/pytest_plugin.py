"""pytest plugin: collects scenario files (``scenarios/*.toml``) as tests.

Installed with gridconnect (entry point ``pytest11``), so a plugin package's test suite only
needs a ``scenarios`` folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gridconnect.registry import default_registry
from gridconnect.testing.conformance import assert_conformance
from gridconnect.testing.scenarios import (
    Scenario,
    ScenarioMismatchError,
    check_scenario,
    load_scenarios,
    scenario_plugin,
)


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".toml" and file_path.parent.name == "scenarios":
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        plugin = scenario_plugin(self.path)
        for scenario in load_scenarios(self.path):
            yield ScenarioItem.from_parent(
                self, name=scenario.name, scenario=scenario, plugin=plugin
            )
        if plugin is not None:
            yield ConformanceItem.from_parent(self, name=f"conformance of {plugin}", plugin=plugin)


class ConformanceItem(pytest.Item):
    """The conformance kit, run for the plugin a scenario file names (``conformance = "x"``)."""

    def __init__(self, *, plugin: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plugin = plugin

    def runtest(self) -> None:
        assert_conformance(self.plugin, registry=default_registry().only(self.plugin))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"conformance: {self.plugin}"


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, plugin: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.plugin = plugin

    def runtest(self) -> None:
        registry = default_registry()
        check_scenario(self.scenario, registry.only(self.plugin) if self.plugin else registry)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioMismatchError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario: {self.name}"
