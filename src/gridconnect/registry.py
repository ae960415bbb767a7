"""Finding, loading and validating plugins; building the catalogue from what they contribute.

Plugins come from three places, in this order: the built-in national floor, installed packages
(entry-point group ``gridconnect``), and local files (a ``.toml`` rules file or a ``.py`` module of
hook implementations) named in the API, on the command line or in ``GRIDCONNECT_RULES``
(separated by ``os.pathsep``), and importable objects named ``module:attribute`` in the API, with
``--plugin`` or in ``GRIDCONNECT_PLUGINS`` (comma-separated; for a plugin not installed as a
package, e.g. while writing it). ``GRIDCONNECT_DISABLE`` (comma-separated names) turns plugins off,
and ``GRIDCONNECT_TRACE_HOOKS=1`` prints every hook call to standard error.

A plugin that fails to import, raises in a hook or contributes invalid data is set aside with one
:class:`~gridconnect.errors.PluginError`; the others load as if it were not installed, except
plugins that build on a jurisdiction it was to define, which are set aside too, naming it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from collections.abc import Iterable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from gridconnect import hookspecs
from gridconnect.bundle import UtilityRequirement
from gridconnect.calendar import WorkingDayCalendar, national_calendar
from gridconnect.documents import DocumentKind
from gridconnect.errors import GridconnectError, PluginError
from gridconnect.rules.catalogue import Catalogue, Jurisdiction
from gridconnect.rules.loader import RuleSource, load_rules_file

if TYPE_CHECKING:
    from gridconnect.lifecycle.rules import LifecycleRule

__all__ = ["PluginInfo", "Registry", "default_registry"]

ENTRY_POINT_GROUP = "gridconnect"


@attrs.frozen(kw_only=True)
class PluginInfo:
    """A loaded plugin: its name, where it came from, and what it contributed."""

    name: str
    distribution: str | None
    version: str | None
    jurisdictions: tuple[Jurisdiction, ...] = ()
    sources: tuple[RuleSource, ...] = ()
    document_kinds: tuple[DocumentKind, ...] = ()
    utility_requirements: tuple[UtilityRequirement, ...] = ()
    lifecycle_rules: tuple[LifecycleRule, ...] = ()

    @property
    def rule_count(self) -> int:
        return sum(len(s.rules) for s in self.sources)


class _RulesFilePlugin:
    """A local TOML rules file wrapped as a plugin; its jurisdiction must already exist."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @hookspecs.hookimpl
    def gridconnect_rule_sources(self) -> Sequence[RuleSource]:
        return [load_rules_file(self.path)]


def _import_file(path: Path) -> ModuleType:
    name = f"gridconnect_local_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _import_object(spec: str) -> object:
    module_name, _, attribute = spec.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


class Registry:
    """The plugin manager and the catalogue built from every plugin that loaded cleanly."""

    def __init__(
        self,
        *,
        local: Iterable[str | Path] = (),
        disable: Iterable[str] = (),
        entry_points: bool = True,
        plugins: Iterable[tuple[str, object]] = (),
        modules: Iterable[str] = (),
        environment: bool = True,
    ) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        if environment and os.environ.get("GRIDCONNECT_TRACE_HOOKS"):
            self.pm.trace.root.setwriter(sys.stderr.write)
            self.pm.enable_tracing()
        disabled = {d.strip() for d in disable if d.strip()}
        local = list(local)
        modules = list(modules)
        if environment:
            modules += [
                m.strip() for m in os.environ.get("GRIDCONNECT_PLUGINS", "").split(",") if m.strip()
            ]
            disabled |= {
                d.strip() for d in os.environ.get("GRIDCONNECT_DISABLE", "").split(",") if d.strip()
            }
            local += [p for p in os.environ.get("GRIDCONNECT_RULES", "").split(os.pathsep) if p]
        self._local, self._modules = tuple(local), tuple(modules)
        self._only: dict[str, Registry] = {}
        self.errors: list[PluginError] = []
        self.plugins: list[PluginInfo] = []
        candidates: list[tuple[str, str | None, str | None, Any]] = []

        from gridconnect.jurisdictions import national

        candidates.append(
            ("national", "gridconnect", _version("gridconnect"), lambda: national.plugin)
        )
        if entry_points:
            for ep in sorted(_entry_points(), key=lambda e: e.name):
                dist = ep.dist.name if ep.dist else None
                version = ep.dist.version if ep.dist else None
                candidates.append((ep.name, dist, version, ep.load))
        for name, given in plugins:
            candidates.append((name, None, None, lambda given=given: given))
        for spec in modules:
            name = spec.partition(":")[0].rsplit(".", 1)[-1].removeprefix("gridconnect_")
            candidates.append((name, None, None, lambda spec=spec: _import_object(spec)))
        for path in local:
            p = Path(path)
            if p.suffix == ".py":
                candidates.append((f"local:{p.name}", None, None, lambda p=p: _import_file(p)))
            else:
                candidates.append((f"local:{p.name}", None, None, lambda p=p: _RulesFilePlugin(p)))

        loaded: list[tuple[PluginInfo, object]] = []
        for name, dist, version, load in candidates:
            if name in disabled:
                continue
            obj: object = None
            try:
                obj = load()
                self.pm.register(obj, name=name)
                self.pm.check_pending()
                info = self._collect(name, dist, version, obj)
            except Exception as error:  # any failure of a plugin is reported, never fatal
                if obj is not None and self.pm.is_registered(obj):
                    self.pm.unregister(obj)
                self.errors.append(_plugin_error(name, dist, version, error))
                continue
            loaded.append((info, obj))
        self.catalogue = self._accept(loaded)
        self._calendars: dict[str, WorkingDayCalendar] = {}
        self._lock = threading.Lock()

    def _collect(self, name: str, dist: str | None, version: str | None, obj: object) -> PluginInfo:
        def call(hook: str) -> tuple[Any, ...]:
            impl = getattr(obj, hook, None)
            if impl is None:
                return ()
            return tuple(impl() or ())

        jurisdictions = call("gridconnect_jurisdictions")
        sources = call("gridconnect_rule_sources")
        kinds = call("gridconnect_document_kinds")
        utilities = call("gridconnect_utility_requirements")
        from gridconnect.lifecycle.rules import LifecycleRule

        lifecycle = call("gridconnect_lifecycle_rules")
        for item, cls in (
            [(j, Jurisdiction) for j in jurisdictions]
            + [(s, RuleSource) for s in sources]
            + [(k, DocumentKind) for k in kinds]
            + [(u, UtilityRequirement) for u in utilities]
            + [(r, LifecycleRule) for r in lifecycle]
        ):
            if not isinstance(item, cls):
                raise TypeError(f"a hook returned {type(item).__name__}, expected {cls.__name__}")
        return PluginInfo(
            name=name,
            distribution=dist,
            version=version,
            jurisdictions=jurisdictions,
            sources=sources,
            document_kinds=kinds,
            utility_requirements=utilities,
            lifecycle_rules=lifecycle,
        )

    def _accept(self, loaded: list[tuple[PluginInfo, object]]) -> Catalogue:
        """Add plugins one at a time, parents first; a plugin whose data is invalid is dropped."""
        accepted: list[PluginInfo] = []
        pending = list(loaded)
        catalogue = Catalogue([], [])
        while pending:
            progress = False
            for info, obj in list(pending):
                known = {j.code for p in accepted for j in p.jurisdictions}
                mine = {j.code for j in info.jurisdictions}
                needs = {j.parent for j in info.jurisdictions if j.parent} | {
                    s.jurisdiction for s in info.sources
                }
                if not needs <= known | mine:
                    continue
                pending.remove((info, obj))
                progress = True
                try:
                    catalogue = Catalogue(
                        [j for p in (*accepted, info) for j in p.jurisdictions],
                        [s for p in (*accepted, info) for s in p.sources],
                    )
                except GridconnectError as error:
                    self.pm.unregister(obj)
                    self.errors.append(
                        _plugin_error(info.name, info.distribution, info.version, error)
                    )
                    continue
                accepted.append(info)
            if not progress:
                for info, obj in pending:
                    known = {j.code for p in accepted for j in p.jurisdictions}
                    missing = sorted(
                        (
                            {j.parent for j in info.jurisdictions if j.parent}
                            | {s.jurisdiction for s in info.sources}
                        )
                        - known
                        - {j.code for j in info.jurisdictions}
                    )
                    self.pm.unregister(obj)
                    self.errors.append(
                        PluginError(
                            f"depends on jurisdiction(s) {', '.join(missing)} that no loaded plugin defines",
                            f"依赖的辖区 {', '.join(missing)} 未由任何已加载的插件定义",
                            plugin=info.name,
                            distribution=info.distribution,
                            version=info.version,
                        )
                    )
                break
        self.plugins = accepted
        return catalogue

    def only(self, plugin: str) -> Registry:
        """A registry of ``plugin`` and the plugins it builds on (those defining the parents of
        its jurisdictions), so its tests do not depend on what else is installed."""
        cached = self._only.get(plugin)
        if cached is not None:
            return cached
        info = next((p for p in self.plugins if p.name == plugin), None)
        if info is None:
            return self
        needed = {plugin}
        codes = {j.code for j in info.jurisdictions} | {s.jurisdiction for s in info.sources}
        ancestors = {j.code for c in codes for j in self.catalogue.chain(c)}
        for p in self.plugins:
            if {j.code for j in p.jurisdictions} & ancestors:
                needed.add(p.name)
        restricted = Registry(
            disable=[p.name for p in self.plugins if p.name not in needed],
            local=self._local,
            modules=self._modules,
            environment=False,
        )
        self._only[plugin] = restricted
        return restricted

    def calendar(self, jurisdiction: str, *, strict: bool = True) -> WorkingDayCalendar:
        """The working-day calendar of a jurisdiction: the national one unless a plugin of it or
        of a parent overrides it."""
        key = f"{jurisdiction}:{strict}"
        with self._lock:
            cal = self._calendars.get(key)
            if cal is None:
                cal = national_calendar(strict)
                for j in self.catalogue.chain(jurisdiction):
                    override = self.pm.hook.gridconnect_calendar(jurisdiction=j.code, base=cal)
                    if override is not None:
                        cal = override
                self._calendars[key] = cal
            return cal

    @property
    def utility_requirements(self) -> tuple[UtilityRequirement, ...]:
        return tuple(u for p in self.plugins for u in p.utility_requirements)

    @property
    def lifecycle_rules(self) -> tuple[LifecycleRule, ...]:
        return tuple(r for p in self.plugins for r in p.lifecycle_rules)

    @property
    def document_kinds(self) -> dict[str, DocumentKind]:
        return {k.id: k for p in self.plugins for k in p.document_kinds}


def _plugin_error(
    name: str, dist: str | None, version: str | None, error: BaseException
) -> PluginError:
    if isinstance(error, GridconnectError):
        en, zh = error.en, error.zh
    else:
        en = f"{type(error).__name__}: {error}"
        zh = f"{type(error).__name__}：{error}"
    return PluginError(en, zh, plugin=name, distribution=dist, version=version)


def _entry_points() -> list[Any]:
    return list(entry_points(group=ENTRY_POINT_GROUP))


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


_default: Registry | None = None
_default_lock = threading.Lock()


def default_registry() -> Registry:
    """The registry of installed plugins and the environment's local files, built once."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Registry()
        return _default
