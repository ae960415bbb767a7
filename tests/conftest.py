"""Shared fixtures: a registry built only from given rule data, so tests do not depend on
which plugin packages happen to be installed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gridconnect.registry import Registry

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "applications").glob("*.json"))


@pytest.fixture
def national_only() -> Registry:
    """The core alone: the built-in national plugin and nothing installed."""
    return Registry(entry_points=False, environment=False)


@pytest.fixture
def rules_file(tmp_path: Path) -> Callable[[str], Path]:
    """Write a TOML rules file and return its path."""

    def write(text: str, name: str = "rules.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
