"""The package is laid out as the data flow, and its imports keep it so.

model → rules → engine → decide (with plugins beside it) → output → cli → the features built on
top (interview, batch, lifecycle, diff, serve, scaffold) and the testing kit. A module imports
only from its own layer or below, never a private name of another module, and no chain of
imports (including those inside functions) comes back to where it started.
"""

from __future__ import annotations

import ast
import graphlib
import importlib
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

import gridconnect
from gridconnect import _compat

SRC = Path(gridconnect.__file__).parent.parent

LAYERS: tuple[tuple[str, ...], ...] = (
    ("gridconnect.errors", "gridconnect._compat"),
    ("gridconnect.model",),
    ("gridconnect.rules",),
    ("gridconnect.engine",),
    ("gridconnect.decide", "gridconnect.plugins"),
    ("gridconnect.output",),
    ("gridconnect.cli",),
    (
        "gridconnect.interview",
        "gridconnect.batch",
        "gridconnect.lifecycle",
        "gridconnect.diff",
        "gridconnect.serve",
        "gridconnect.scaffold",
        "gridconnect.testing",
    ),
)
"""From the bottom up; the package itself (``gridconnect``) re-exports the public API on top."""

UPWARD = {
    # a rulebook compiles each of its strata once per engine, through the Engine protocol
    ("gridconnect.rules.catalogue", "gridconnect.engine.base"),
    # plugins publish the lifecycle feature's rules (the gridconnect_lifecycle_rules hook)
    ("gridconnect.plugins.packaged", "gridconnect.lifecycle.rules"),
    ("gridconnect.plugins.registry", "gridconnect.lifecycle.rules"),
}
"""The imports that go up a layer, each for the reason beside it."""


def _modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / "gridconnect").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import a module runs, at the top or inside functions, but not the imports only a
    type checker reads (``if TYPE_CHECKING:``)."""
    yield from _imports_of(ast.iter_child_nodes(tree))


def _imports_of(nodes: Iterable[ast.AST]) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in nodes:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from _imports_of(node.orelse)  # the else branch runs
        elif isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        else:
            yield from _imports(node)


def _edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        targets = graph.setdefault(name, set())
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name.startswith("gridconnect"))
            elif node.module and not node.level and node.module.startswith("gridconnect"):
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    targets.add(sub if sub in MODULES else node.module)
        targets.discard(name)
    return graph


def _layer(module: str) -> int | None:
    for i, prefixes in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    return None


def test_the_import_graph_has_no_cycle() -> None:
    graphlib.TopologicalSorter(_edges()).prepare()  # raises CycleError, naming the cycle


def test_every_module_belongs_to_a_layer() -> None:
    assert [m for m in MODULES if m != "gridconnect" and _layer(m) is None] == []


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    upward = {
        (a, b)
        for a, targets in _edges().items()
        for b in targets
        if a != "gridconnect" and (_layer(b) or 0) > (_layer(a) or 0)
    }
    assert upward == UPWARD


def test_no_private_name_is_imported_from_another_module() -> None:
    found = []
    for name, path in MODULES.items():
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module != name:
                found += [
                    f"{name}: {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_")
                    and not a.name.startswith("__")
                    and (node.module or "").startswith("gridconnect")
                    and a.name != "_compat"
                ]
    assert found == []


def test_the_checks_see_imports_inside_functions_but_not_those_for_the_type_checker() -> None:
    """What the checks above read: a lazy import inside a function counts (it is the usual way
    to hide a cycle), an import under ``if TYPE_CHECKING:`` does not (it never runs)."""
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "import gridconnect.errors\n"
        "if TYPE_CHECKING:\n"
        "    from gridconnect.cli import cli\n"
        "else:\n"
        "    from gridconnect.model import codec\n"
        "def f():\n"
        "    from gridconnect.output.text import render_decision\n"
    )
    seen = [ast.unparse(node) for node in _imports(tree)]
    assert seen == [
        "from typing import TYPE_CHECKING",
        "import gridconnect.errors",
        "from gridconnect.model import codec",
        "from gridconnect.output.text import render_decision",
    ]
    assert (_layer("gridconnect.output.text") or 0) > (_layer("gridconnect.rules.facts") or 0)


@pytest.mark.parametrize("old", sorted(_compat.MOVED))
def test_an_old_module_path_still_imports_with_a_deprecation_warning(old: str) -> None:
    with pytest.warns(DeprecationWarning, match="is deprecated; import from gridconnect"):
        module = importlib.import_module(old)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the successors themselves do not warn
        for new in _compat.MOVED[old]:
            successor = importlib.import_module(new)
            # still itself: a package to importlib.resources, named by its own path
            assert successor.__spec__ is not None
            assert successor.__spec__.name == new
            for name in getattr(successor, "__all__", ())[:3]:
                assert getattr(module, name) is getattr(successor, name)
