"""Each plugin package's README lists its rules as its rule files generate them."""

from __future__ import annotations

from pathlib import Path

from gridconnect.testing.readme import stale_readmes

PLUGINS = sorted(p for p in (Path(__file__).parent.parent / "plugins").iterdir() if p.is_dir())


def test_every_plugin_readme_lists_its_rules_as_generated_from_them() -> None:
    assert PLUGINS
    assert stale_readmes(PLUGINS) == [], "run: python -m gridconnect.testing.readme plugins/*"
