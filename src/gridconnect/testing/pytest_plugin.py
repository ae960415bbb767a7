"""pytest plugin: collects scenario files as tests where a project asks for it.

Installed with gridconnect (entry point ``pytest11``), it collects nothing until a project opts
in, so installing gridconnect never turns someone else's ``scenarios/*.toml`` into tests. Opt in
with the ``gridconnect_scenarios`` setting: the folders (relative to the project root, glob
patterns allowed) whose ``*.toml`` files are scenario files. In ``pyproject.toml``::

    [tool.pytest.ini_options]
    gridconnect_scenarios = ["tests/scenarios"]

Each scenario is a test item; a file naming a ``plugin`` also gets a conformance item
(:mod:`gridconnect.testing.conformance`), which tries ``gridconnect_conformance_examples``
generated applications per check (200 unless set; ``-o gridconnect_conformance_examples=50`` on
the command line for a quick run).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gridconnect.plugins.registry import default_registry
from gridconnect.testing.conformance import assert_conformance
from gridconnect.testing.scenarios import (
    Scenario,
    ScenarioMismatchError,
    check_scenario,
    load_scenarios,
    scenario_plugin,
    scenario_registry,
)

SETTING = "gridconnect_scenarios"
EXAMPLES = "gridconnect_conformance_examples"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        SETTING,
        type="args",
        default=[],
        help="gridconnect: folders (relative to the root, glob patterns allowed) whose *.toml "
        "files are scenario files to collect as tests; nothing is collected without it.",
    )
    parser.addini(
        EXAMPLES,
        type="string",
        default="200",
        help="gridconnect: generated applications the conformance kit tries per check.",
    )


def _examples(config: pytest.Config) -> int:
    return int(config.getini(EXAMPLES))


def _opted_in(config: pytest.Config, folder: Path) -> bool:
    patterns: list[str] = config.getini(SETTING)
    if not patterns:
        return False
    try:
        relative = folder.resolve().relative_to(config.rootpath.resolve()).as_posix()
    except ValueError:
        return False
    return any(fnmatch.fnmatchcase(relative, p.strip("/")) for p in patterns)


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".toml" and _opted_in(parent.config, file_path.parent):
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
    """The conformance kit, run for the plugin a scenario file names (``plugin = "x"``)."""

    def __init__(self, *, plugin: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plugin = plugin

    def runtest(self) -> None:
        registry = scenario_registry(self.plugin, default_registry())
        assert_conformance(self.plugin, registry=registry, examples=_examples(self.config))

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
        check_scenario(self.scenario, scenario_registry(self.plugin, default_registry()))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioMismatchError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario: {self.name}"
