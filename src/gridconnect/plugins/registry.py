"""Finding, loading and validating plugins; building the catalogue from what they contribute.

Plugins come from three places, in this order: the built-in national floor, installed packages
(entry-point group ``gridconnect``), and local files (a ``.toml`` rules file or a ``.py`` module of
hook implementations) named in the API, on the command line or in ``GRIDCONNECT_RULES``
(separated by ``os.pathsep``), and importable objects named ``module:attribute`` in the API, with
``--plugin`` or in ``GRIDCONNECT_PLUGINS`` (comma-separated; for a plugin not installed as a
package, e.g. while writing it). ``GRIDCONNECT_DISABLE`` (comma-separated names) turns plugins off,
and ``GRIDCONNECT_TRACE_HOOKS=1`` prints every hook call to standard error.

Every hook is called through pluggy's hook caller, one plugin at a time
(``PluginManager.subset_hook_caller``), so tracing sees each call and a failure is
that plugin's alone. Plugins are added parents first, in the order
``graphlib.TopologicalSorter`` gives the jurisdictions they build on.

A plugin that fails to import (``SystemExit`` and ``KeyboardInterrupt`` at import included),
raises in a hook, answers with the wrong type or contributes invalid data is set aside with one
:class:`~gridconnect.errors.PluginError`, and so is every plugin that builds on it, naming it.
Its failure is *scoped*: applications of the jurisdictions it defines (or adds rules to) and of
their children are not decided (:meth:`Registry.failure_for` raises instead of a silent fall-back
to the parent's rules) while every other jurisdiction is decided exactly as without it. With
``allow_broken`` (``--allow-broken-plugins``, ``GRIDCONNECT_ALLOW_BROKEN_PLUGINS=1``) they are
decided with the plugins that loaded, each decision carrying a warning. A plugin or rules file
asked for by name that fails is in :attr:`Registry.explicit_errors`; the command line refuses to
run with one (exit status 2).
"""

from __future__ import annotations

import functools
import graphlib
import importlib.util
import os
import sys
import threading
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from gridconnect.decide.acceptance import DocumentKind
from gridconnect.decide.bundle import UtilityRequirement
from gridconnect.decide.calendar import WorkingDayCalendar, national_calendar
from gridconnect.errors import GridconnectError, PluginError
from gridconnect.model.identifiers import KNOWN_DIVISIONS
from gridconnect.plugins import hookspecs
from gridconnect.rules.catalogue import NATIONAL, Catalogue, Jurisdiction
from gridconnect.rules.loader import RuleSource, load_rules_file
from gridconnect.rules.model import Text

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
    labels: tuple[tuple[str, Text], ...] = ()
    """The zh/en labels it adds (``gridconnect_labels``), as (key, label) pairs."""

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


def _same(given: object) -> object:
    return given


def _import_object(spec: str) -> object:
    module_name, _, attribute = spec.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


class _PluginManager(pluggy.PluginManager):
    """Accepts a ``gridconnect_*`` method without the :data:`hookimpl` marker.

    Plugins written before hooks went through pluggy name their methods and nothing more; pluggy
    alone would register them with no hook, so the plugin would silently contribute nothing (as
    pytest does for ``pytest_*``, the prefix is the contract).
    """

    def parse_hookimpl_opts(self, plugin: object, name: str) -> pluggy.HookimplOpts | None:
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name.startswith(f"{hookspecs.PROJECT}_"):
            method = getattr(plugin, name, None)
            if callable(method):
                return pluggy.HookimplOpts(
                    wrapper=False,
                    hookwrapper=False,
                    optionalhook=False,
                    tryfirst=False,
                    trylast=False,
                    specname=None,
                )
        return opts


class Registry:
    """The plugin manager and the catalogue built from every plugin that loaded cleanly.

    A plugin that fails (it cannot be imported, a hook raises or answers with the wrong type, its
    data is invalid, or it builds on a plugin that failed) is left out of the catalogue and
    recorded in :attr:`errors`. Unless ``allow_broken`` is true, the decisions of the
    jurisdictions it defines (and of their children) then raise its
    :class:`~gridconnect.errors.PluginError` (see :meth:`~gridconnect.plugins.registry.Registry.failure_for`) instead of quietly
    falling back to the parent's rules; other jurisdictions are unaffected. With
    ``allow_broken`` they are decided without it, and
    :meth:`~gridconnect.plugins.registry.Registry.warnings_for` says so.
    """

    def __init__(
        self,
        *,
        local: Iterable[str | Path] = (),
        disable: Iterable[str] = (),
        entry_points: bool = True,
        plugins: Iterable[tuple[str, object]] = (),
        modules: Iterable[str] = (),
        environment: bool = True,
        allow_broken: bool = False,
    ) -> None:
        self.pm = _PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        if environment and os.environ.get("GRIDCONNECT_TRACE_HOOKS"):
            self.pm.trace.root.setwriter(sys.stderr.write)
            self.pm.enable_tracing()
        disabled = {d.strip() for d in disable if d.strip()}
        local = list(local)
        modules = list(modules)
        plugins = list(plugins)
        if environment:
            modules += [
                m.strip() for m in os.environ.get("GRIDCONNECT_PLUGINS", "").split(",") if m.strip()
            ]
            disabled |= {
                d.strip() for d in os.environ.get("GRIDCONNECT_DISABLE", "").split(",") if d.strip()
            }
            local += [p for p in os.environ.get("GRIDCONNECT_RULES", "").split(os.pathsep) if p]
            allow_broken = allow_broken or os.environ.get("GRIDCONNECT_ALLOW_BROKEN_PLUGINS") == "1"
        self.allow_broken = allow_broken
        self._local, self._modules, self._plugins = tuple(local), tuple(modules), tuple(plugins)
        self._disabled = frozenset(disabled)
        self._only: dict[str, Registry] = {}
        self.errors: list[PluginError] = []
        """Every plugin that failed, once each, naming it and the reason."""
        self.explicit_errors: list[PluginError] = []
        """The failures of plugins and rules files asked for by name (``local``, ``modules``,
        ``plugins``, ``GRIDCONNECT_RULES``, ``GRIDCONNECT_PLUGINS``): the command line refuses
        to run with them (exit status 2)."""
        self.plugins: list[PluginInfo] = []
        self._failures: list[tuple[frozenset[str] | None, PluginError]] = []
        candidates: list[_Candidate] = []

        from gridconnect.plugins.jurisdictions import national

        candidates.append(
            _Candidate("national", "gridconnect", _version("gridconnect"), lambda: national.plugin)
        )
        if entry_points:
            for ep in sorted(_entry_points(), key=lambda e: e.name):
                dist = ep.dist.name if ep.dist else None
                version = ep.dist.version if ep.dist else None
                candidates.append(_Candidate(ep.name, dist, version, ep.load))
        for name, given in plugins:
            candidates.append(_Candidate(name, None, None, functools.partial(_same, given), True))
        for spec in modules:
            name = spec.partition(":")[0].rsplit(".", 1)[-1].removeprefix("gridconnect_")
            load: Callable[[], object] = functools.partial(_import_object, spec)
            candidates.append(_Candidate(name, None, None, load, True))
        for path in local:
            p = Path(path)
            opener: Callable[[Path], object] = (
                _import_file if p.suffix == ".py" else _RulesFilePlugin
            )
            load = functools.partial(opener, p)
            candidates.append(_Candidate(f"local:{p.name}", None, None, load, True, p))

        loaded: list[tuple[_Candidate, PluginInfo, object]] = []
        for candidate in candidates:
            if candidate.name in disabled:
                continue
            obj: object = None
            known: frozenset[str] | None = None
            try:
                obj = candidate.load()
                self.pm.register(obj, name=candidate.name)
                self.pm.check_pending()
                known = self._declared(obj)
                info = self._collect(candidate, obj)
            except BaseException as error:  # any failure of a plugin is contained, never fatal
                if isinstance(error, GeneratorExit):
                    raise
                if obj is not None and self.pm.is_registered(obj):
                    self.pm.unregister(obj)
                self._fail(candidate, _plugin_error(candidate, error), known)
                continue
            loaded.append((candidate, info, obj))
        self.catalogue = self._accept(loaded)
        self._calendars: dict[str, WorkingDayCalendar | PluginError] = {}
        self._calendar_warnings: dict[str, list[PluginError]] = {}
        self._lock = threading.Lock()

    # -- loading ----------------------------------------------------------------------------

    def _call(self, obj: object, hook: str, **kwargs: Any) -> Any:
        """Call one plugin's implementation of ``hook`` through pluggy's hook caller (so
        ``GRIDCONNECT_TRACE_HOOKS`` traces it): a list of its answers, or for a ``firstresult``
        hook its answer."""
        others = [p for p in self.pm.get_plugins() if p is not obj]
        return self.pm.subset_hook_caller(hook, remove_plugins=others)(**kwargs)

    def _declared(self, obj: object) -> frozenset[str] | None:
        """The jurisdictions a plugin declares, if its hook answers sensibly (else None)."""
        try:
            answers = self._call(obj, "gridconnect_jurisdictions")
            codes = [j.code for answer in answers for j in answer or ()]
        except Exception:
            return None
        return frozenset(codes) if all(isinstance(c, str) for c in codes) and codes else None

    def _collect(self, candidate: _Candidate, obj: object) -> PluginInfo:
        def call(hook: str) -> tuple[Any, ...]:
            return tuple(item for answer in self._call(obj, hook) for item in answer or ())

        jurisdictions = call("gridconnect_jurisdictions")
        sources = call("gridconnect_rule_sources")
        kinds = call("gridconnect_document_kinds")
        utilities = call("gridconnect_utility_requirements")
        from gridconnect.lifecycle.rules import LifecycleRule

        lifecycle = call("gridconnect_lifecycle_rules")
        labels: list[tuple[str, Text]] = []
        for answer in self._call(obj, "gridconnect_labels"):
            if not isinstance(answer, Mapping):
                raise TypeError(
                    f"gridconnect_labels returned {type(answer).__name__}, expected a mapping"
                )
            labels += [(str(key), label) for key, label in answer.items()]
        for item, cls in (
            [(j, Jurisdiction) for j in jurisdictions]
            + [(s, RuleSource) for s in sources]
            + [(k, DocumentKind) for k in kinds]
            + [(u, UtilityRequirement) for u in utilities]
            + [(r, LifecycleRule) for r in lifecycle]
            + [(label, Text) for _, label in labels]
        ):
            if not isinstance(item, cls):
                raise TypeError(f"a hook returned {type(item).__name__}, expected {cls.__name__}")
        return PluginInfo(
            name=candidate.name,
            distribution=candidate.distribution,
            version=candidate.version,
            jurisdictions=jurisdictions,
            sources=sources,
            document_kinds=kinds,
            utility_requirements=utilities,
            lifecycle_rules=lifecycle,
            labels=tuple(labels),
        )

    def _fail(
        self, candidate: _Candidate, error: PluginError, scope: frozenset[str] | None
    ) -> None:
        """Record a failed plugin with the jurisdictions its failure makes undecidable (None:
        unknown, so every jurisdiction)."""
        if scope is None:
            scope = _guess_scope(candidate)
        self.errors.append(error)
        if candidate.explicit:
            self.explicit_errors.append(error)
        self._failures.append((scope, error))

    def _accept(self, loaded: list[tuple[_Candidate, PluginInfo, object]]) -> Catalogue:
        """Add plugins one at a time, each after the plugins defining the jurisdictions it builds
        on (ordered by ``graphlib.TopologicalSorter``); a plugin whose data is invalid is
        dropped, and so is every plugin that builds on it."""
        definers: dict[str, list[str]] = {}
        for _, info, _ in loaded:
            for j in info.jurisdictions:
                definers.setdefault(j.code, []).append(info.name)
        entries = {info.name: (candidate, info, obj) for candidate, info, obj in loaded}
        graph: dict[str, set[str]] = {}
        missing: dict[str, list[str]] = {}
        for _, info, _ in loaded:
            mine = {j.code for j in info.jurisdictions}
            needs = (
                {j.parent for j in info.jurisdictions if j.parent}
                | {s.jurisdiction for s in info.sources}
            ) - mine
            unknown = sorted(n for n in needs if n not in definers)
            if unknown:
                missing[info.name] = unknown
            graph[info.name] = {d for n in needs for d in definers.get(n, ()) if d != info.name}
        order = list(entries)  # the order plugins were found in
        sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter(graph)
        try:
            sorter.prepare()
        except graphlib.CycleError as cycle:
            members = sorted(set(cycle.args[1]))
            for name in members:
                candidate, info, obj = entries.pop(name)
                self.pm.unregister(obj)
                self._fail(
                    candidate,
                    _error_of(
                        info,
                        f"builds on itself through plugins {', '.join(members)}",
                        f"通过插件 {', '.join(members)} 循环依赖自身",
                    ),
                    _scope(info),
                )
            return self._accept([entries[n] for n in order if n in entries])
        accepted: list[PluginInfo] = []
        failed: dict[str, str] = {}
        catalogue = Catalogue([], [])
        ready = set(sorter.get_ready())
        pending = list(order)
        progress = True
        while progress:
            progress = False
            for name in list(pending):
                if name not in ready:
                    continue
                pending.remove(name)
                progress = True
                candidate, info, obj = entries[name]
                try:
                    if name in missing:
                        raise _missing_error(info, missing[name])
                    catalogue = Catalogue(
                        [j for p in (*accepted, info) for j in p.jurisdictions],
                        [s for p in (*accepted, info) for s in p.sources],
                    )
                except GridconnectError as error:
                    self.pm.unregister(obj)
                    self._fail(candidate, _plugin_error(candidate, error), _scope(info))
                    failed[name] = name
                    continue
                accepted.append(info)
                sorter.done(name)
                ready |= set(sorter.get_ready())
        for name in pending:  # each builds on a plugin that failed
            candidate, info, obj = entries[name]
            broken = sorted(d for d in _ancestors(graph, name) if d in failed)
            self.pm.unregister(obj)
            self._fail(
                candidate,
                _error_of(
                    info,
                    f"builds on plugin(s) {', '.join(broken)}, which failed",
                    f"所依赖的插件 {', '.join(broken)} 加载失败",
                ),
                _scope(info),
            )
        self.plugins = accepted
        return catalogue

    # -- failures ---------------------------------------------------------------------------

    def failure_for(self, division: str) -> PluginError | None:
        """The error that stops applications at ``division`` (a GB/T 2260 code) from being
        decided: a failed plugin defined (or added rules to) its jurisdiction or one above it.
        None when every plugin it depends on loaded, or with ``allow_broken``."""
        if self.allow_broken:
            return None
        codes = _codes_of(division)
        for scope, error in self._failures:
            if scope is None or scope & codes:
                where = ", ".join(sorted(scope & codes)) if scope else "?"
                return PluginError(
                    f"{error.en}; applications in {where} are not decided without it "
                    "(--allow-broken-plugins decides them with the plugins that loaded)",
                    f"{error.zh}；缺少该插件，不对 {where} 的申请作出决定"
                    "（--allow-broken-plugins 则按已加载的插件决定）",
                    plugin=error.plugin,
                    distribution=error.distribution,
                    version=error.version,
                )
        return None

    def warnings_for(self, division: str) -> tuple[PluginError, ...]:
        """With ``allow_broken``: the failed plugins whose rules a decision at ``division`` is
        made without (empty otherwise, since such a decision is an error)."""
        if not self.allow_broken:
            return ()
        codes = _codes_of(division)
        found = [e for scope, e in self._failures if scope is None or scope & codes]
        with self._lock:
            for code in codes:
                found += [e for e in self._calendar_warnings.get(code, ()) if e not in found]
        return tuple(found)

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
            disable=[p.name for p in self.plugins if p.name not in needed]
            + [e.plugin for e in self.errors],
            local=self._local,
            modules=self._modules,
            plugins=[(n, o) for n, o in self._plugins if n in needed],
            environment=False,
            allow_broken=self.allow_broken,
        )
        self._only[plugin] = restricted
        return restricted

    def calendar(self, jurisdiction: str, *, strict: bool = True) -> WorkingDayCalendar:
        """The working-day calendar of a jurisdiction: the national one unless a plugin of it or
        of a parent overrides it.

        Each plugin's hook is called on its own: one that raises or answers with something other
        than a calendar (or None) is a plugin failure. For a jurisdiction the plugin defines (or
        any, if it defines none) the calendar is then an error, :class:`PluginError`, unless
        ``allow_broken``; for another jurisdiction its answer is ignored."""
        key = f"{jurisdiction}:{strict}"
        with self._lock:
            cal = self._calendars.get(key)
            if cal is None:
                cal = self._build_calendar(jurisdiction, strict)
                self._calendars[key] = cal
        if isinstance(cal, PluginError):
            raise cal
        return cal

    def _build_calendar(self, jurisdiction: str, strict: bool) -> WorkingDayCalendar | PluginError:
        cal: WorkingDayCalendar = national_calendar(strict)
        impls = self.pm.hook.gridconnect_calendar.get_hookimpls()
        owners = {p.name: {j.code for j in p.jurisdictions} for p in self.plugins}
        for j in self.catalogue.chain(jurisdiction):
            for impl in reversed(impls):  # pluggy's calling order
                try:
                    answer = self._call(
                        impl.plugin, "gridconnect_calendar", jurisdiction=j.code, base=cal
                    )
                    if answer is not None and not isinstance(answer, WorkingDayCalendar):
                        raise TypeError(
                            f"gridconnect_calendar returned {type(answer).__name__}, "
                            "expected WorkingDayCalendar or None"
                        )
                except BaseException as error:
                    if isinstance(error, GeneratorExit):
                        raise
                    mine = owners.get(impl.plugin_name) or set()
                    info = next(p for p in self.plugins if p.name == impl.plugin_name)
                    failure = _plugin_error(
                        _Candidate(info.name, info.distribution, info.version, lambda: None),
                        error,
                        f" (gridconnect_calendar for {j.code})",
                    )
                    if str(failure) not in {str(e) for e in self.errors}:
                        self.errors.append(failure)
                    if mine and j.code not in mine:
                        continue  # its answer for another plugin's jurisdiction is ignored
                    if not self.allow_broken:
                        return failure
                    self._calendar_warnings.setdefault(j.code, []).append(failure)
                    continue
                if answer is not None:
                    cal = answer
                    break
        return cal

    @property
    def utility_requirements(self) -> tuple[UtilityRequirement, ...]:
        """What the loaded plugins say each other utility needs for a bundled request."""
        return tuple(u for p in self.plugins for u in p.utility_requirements)

    @property
    def plugin_labels(self) -> tuple[tuple[str, Text], ...]:
        """The labels the loaded plugins add (``gridconnect_labels``), in plugin order; a
        plugin whose hook fails or answers wrongly is a failed plugin like any other."""
        return tuple(item for p in self.plugins for item in p.labels)

    @property
    def lifecycle_rules(self) -> tuple[LifecycleRule, ...]:
        """The lifecycle rules (time limits of the stages) of the loaded plugins."""
        return tuple(r for p in self.plugins for r in p.lifecycle_rules)

    @property
    def document_kinds(self) -> dict[str, DocumentKind]:
        """Every document kind the loaded plugins declare, by id."""
        return {k.id: k for p in self.plugins for k in p.document_kinds}


@attrs.frozen
class _Candidate:
    """A plugin found but not yet loaded: its name, distribution, how to load it, and whether it
    was asked for by name (a file, a module, an object)."""

    name: str
    distribution: str | None
    version: str | None
    load: Callable[[], object]
    explicit: bool = False
    path: Path | None = None


def _plugin_error(candidate: _Candidate, error: BaseException, where: str = "") -> PluginError:
    if isinstance(error, GridconnectError):
        en, zh = error.en, error.zh
    else:
        text = str(error)
        if len(text) > 500:
            text = text[:500] + "…"
        en = f"{type(error).__name__}{where}: {text}"
        zh = f"{type(error).__name__}{where}：{text}"
    return PluginError(
        en,
        zh,
        plugin=candidate.name,
        distribution=candidate.distribution,
        version=candidate.version,
    )


def _error_of(info: PluginInfo, en: str, zh: str) -> PluginError:
    """The error that sets aside the plugin ``info`` describes."""
    return PluginError(
        en, zh, plugin=info.name, distribution=info.distribution, version=info.version
    )


def _missing_error(info: PluginInfo, missing: Sequence[str]) -> PluginError:
    return _error_of(
        info,
        f"depends on jurisdiction(s) {', '.join(missing)} that no loaded plugin defines",
        f"依赖的辖区 {', '.join(missing)} 未由任何已加载的插件定义",
    )


def _scope(info: PluginInfo) -> frozenset[str]:
    """The jurisdictions whose decisions a plugin's rules take part in."""
    return frozenset({j.code for j in info.jurisdictions} | {s.jurisdiction for s in info.sources})


def _guess_scope(candidate: _Candidate) -> frozenset[str] | None:
    """The jurisdiction of a plugin that failed before saying: a rules file's ``jurisdiction``,
    or the division whose English name its plugin name is (``shenzhen`` is 440300); else None."""
    if candidate.path is not None and candidate.path.suffix == ".toml":
        try:
            code = tomllib.loads(candidate.path.read_text("utf-8")).get("jurisdiction")
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            code = None
        if isinstance(code, str) and code:
            return frozenset({code})
    name = candidate.name.removeprefix("local:").rsplit(".", 1)[0].lower()
    if candidate.path is not None:
        name = candidate.path.stem.lower().removeprefix("gridconnect_")
    found = {
        code
        for code, (_, en) in KNOWN_DIVISIONS.items()
        if en.lower().split(" ")[0] == name and code.endswith("00")
    }
    return frozenset(found) if len(found) == 1 else None


def _codes_of(division: str) -> frozenset[str]:
    """The jurisdiction codes a division's applications are decided in: its own and above."""
    return frozenset({NATIONAL, division, division[:4] + "00", division[:2] + "0000"})


def _ancestors(graph: Mapping[str, set[str]], name: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph.get(name, ()))
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo += graph.get(n, ())
    return seen


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
