"""The module paths of gridconnect 0.1, kept importable with a DeprecationWarning.

The package was laid out as the data flow (model → rules → engine → decide → output, plugins
beside); ``import gridconnect.decision`` and the other old paths still work, warn once, and
give the module that now holds those names. A module that was split (``gridconnect.decision``)
gives a module that looks a name up in each of its successors.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings
from collections.abc import Sequence

__all__ = ["MOVED"]

MOVED: dict[str, tuple[str, ...]] = {
    "gridconnect.api": ("gridconnect.decide.evaluate",),
    "gridconnect.decision": (
        "gridconnect.decide.decision",
        "gridconnect.decide.resolution",
        "gridconnect.output.schemas",
    ),
    "gridconnect.calendar": ("gridconnect.decide.calendar",),
    "gridconnect.coverage": ("gridconnect.decide.coverage",),
    "gridconnect.documents": ("gridconnect.decide.acceptance",),
    "gridconnect.bundle": ("gridconnect.decide.bundle",),
    "gridconnect.render": ("gridconnect.output.text",),
    "gridconnect.render_html": ("gridconnect.output.html",),
    "gridconnect.rules.labels": ("gridconnect.output.labels",),
    "gridconnect.rules.sentences": ("gridconnect.output.sentences",),
    "gridconnect.hookspecs": ("gridconnect.plugins.hookspecs",),
    "gridconnect.registry": ("gridconnect.plugins.registry",),
    "gridconnect.plugin": ("gridconnect.plugins.packaged",),
    "gridconnect.jurisdictions": ("gridconnect.plugins.jurisdictions",),
    "gridconnect.jurisdictions.national": ("gridconnect.plugins.jurisdictions.national",),
    "gridconnect.places": ("gridconnect.rules.places",),
}
"""Each old module path, and the modules that now hold its names (in lookup order)."""


class _Moved(importlib.abc.Loader):
    def __init__(self, targets: Sequence[str]) -> None:
        self.targets = tuple(targets)
        self.spec: importlib.machinery.ModuleSpec | None = None  # the successor's own

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        new = ", ".join(self.targets)
        warnings.warn(
            f"{spec.name} is deprecated; import from {new} instead",
            DeprecationWarning,
            stacklevel=2,
        )
        modules = [importlib.import_module(t) for t in self.targets]
        if len(modules) == 1:
            self.spec = modules[0].__spec__
            return modules[0]
        merged = types.ModuleType(spec.name, f"Deprecated: the names of {new}.")

        def lookup(name: str) -> object:
            for m in modules:
                if hasattr(m, name):
                    return getattr(m, name)
            raise AttributeError(f"module {spec.name!r} has no attribute {name!r}")

        merged.__getattr__ = lookup  # type: ignore[method-assign]  # PEP 562
        return merged

    def exec_module(self, module: types.ModuleType) -> None:
        """Nothing to run: the module is its successor, already imported. The import system
        has just set the successor's ``__spec__`` to the old name's; put its own back, or
        ``importlib.resources`` would no longer see the successor as a package."""
        if self.spec is not None:
            module.__spec__ = self.spec


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        targets = MOVED.get(fullname)
        if targets is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Moved(targets))


def install() -> None:
    """Make the old module paths importable (once per process)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        # first: an old parent path aliases the new package, whose __path__ would otherwise let
        # the path finder load a second copy of a submodule under the old name
        sys.meta_path.insert(0, _Finder())
