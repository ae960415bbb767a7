"""The how-to "Bundle utilities for a new factory" (``docs/howto/bundle.rst``) is true.

Every ``$ gridconnect`` line of its console blocks runs from the repository root and prints
what the page shows; its Python blocks run in order and print what they show; and the figures
its prose quotes are the plan's. The helpers that read the page are those of ``test_docs``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from test_docs import (
    ROOT,
    _checked,
    _shows,
    code_blocks,
    console_commands,
    run_console_command,
)

import gridconnect
from gridconnect.decide.evaluate import plan_for

PAGE = ROOT / "docs" / "howto" / "bundle.rst"
EXAMPLE = "examples/applications/guangzhou-nansha-bundle.json"
COMMANDS = list(console_commands(PAGE))


def test_the_page_runs_the_bundle_command_as_text_and_as_json() -> None:
    commands = [c for c, _ in COMMANDS]
    assert all(c.startswith("gridconnect bundle ") and c.endswith(EXAMPLE) for c in commands)
    assert any("--format json" in c for c in commands)
    assert any("--format" not in c and "--lang en" in c for c in commands)
    assert all(shown for _, shown in COMMANDS), "a command whose output the page does not show"


@pytest.mark.parametrize(("command", "shown"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_a_command_of_the_page_prints_what_it_shows(
    command: str, shown: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_console_command(command, shown, monkeypatch)


def test_the_python_of_the_page_runs_and_prints_what_it_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    blocks = code_blocks(PAGE, "python")
    assert any("plan_for(app)" in b for b in blocks)
    namespace: dict[str, Any] = {"__name__": "howto_bundle", "__shows": _shows}
    for number, block in enumerate(blocks, 1):
        exec(compile(_checked(block), f"{PAGE.name}, python block {number}", "exec"), namespace)


def test_the_savings_the_prose_counts_are_the_plans() -> None:
    plan = plan_for(gridconnect.load_application(str(ROOT / EXAMPLE)))
    s = plan.savings
    prose = " ".join(PAGE.read_text(encoding="utf-8").split())
    separately = (
        f"{s.excavations_separate} excavations, {s.approvals_separate} approvals and "
        f"{s.trench_m_separate} m"
    )
    saved = (
        f"{s.excavations_avoided} excavations, {s.approvals_avoided} approvals and "
        f"{s.trench_m_avoided} m of trench are saved"
    )
    assert separately in prose
    assert saved in prose
    (trench,) = plan.trenches
    assert f"one {trench.length_m} m trench with the {len(trench.permits)} permits" in re.sub(
        r"\bthree\b", "3", prose
    )
