"""A scenario: the rulebook a corpus is evaluated under, described by data so any process can
rebuild it.

Worker processes (local or on Dask) cannot be handed a :class:`~gridconnect.plugins.registry.Registry`:
it holds loaded plugins and compiled rules. They get a :class:`Scenario` instead, a small frozen
value, and build the registry from it once per process (:func:`registry_for`).

A scenario can change the rules in four ways, which may be combined:

* ``as_of``: evaluate on one date instead of each application's date;
* ``rules``: extra local rules files (``.toml``) or plugin modules (``.py``), which add rules and,
  through ``exception_to``, override installed ones;
* ``parameters``: give a parameter a different value (every version of it, so the figure changes
  and its dates do not, in every jurisdiction that overrides it too), e.g.
  ``{"cn.low_voltage_access_cap_kw": 250}``;
* ``jurisdiction``: evaluate every application as if its site were in that jurisdiction (its
  division code replaced by the jurisdiction's).

Applications of different dates share the rules compiled for them whenever the same versions are
in force (:meth:`Catalogue.rulebook <gridconnect.rules.catalogue.Catalogue.rulebook>` does that),
so a corpus spread over two years compiles a few dozen rulebooks, not one per day and place.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import attrs

from gridconnect.decide.evaluate import get_engine
from gridconnect.engine.base import Engine
from gridconnect.errors import RuleDataError
from gridconnect.model.application import Application
from gridconnect.model.identifiers import DivisionCode
from gridconnect.plugins.registry import Registry
from gridconnect.rules.catalogue import NATIONAL, Catalogue
from gridconnect.rules.loader import RuleSource
from gridconnect.rules.model import Parameter

__all__ = ["ParameterValue", "Scenario", "parse_parameter", "registry_for"]

ParameterValue = int | float | bool | str


def _freeze_parameters(
    value: Mapping[str, ParameterValue] | Iterable[tuple[str, ParameterValue]],
) -> tuple[tuple[str, ParameterValue], ...]:
    items = value.items() if isinstance(value, Mapping) else value
    return tuple(sorted((str(k), v) for k, v in items))


def _strings(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen(kw_only=True)
class Scenario:
    """Which rules, on which date, in which place. The default is the rules as installed, on
    each application's own date, in its own place."""

    label: str | None = None
    as_of: date | None = None
    jurisdiction: str | None = None
    rules: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    modules: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    disable: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    parameters: tuple[tuple[str, ParameterValue], ...] = attrs.field(
        default=(), converter=_freeze_parameters
    )
    engine: str | None = None
    environment: bool = True  # also read GRIDCONNECT_RULES / _PLUGINS / _DISABLE

    def describe(self, lang: str = "en") -> str:
        """A short description, e.g. ``as of 2025-06-03; with foshan-200kw.toml`` (the label if
        there is one)."""
        if self.label:
            return self.label
        zh = lang == "zh"
        parts = []
        if self.jurisdiction:
            parts.append(f"地点：{self.jurisdiction}" if zh else f"sited in {self.jurisdiction}")
        if self.as_of:
            day = self.as_of.isoformat()
            parts.append(f"{day} 有效的规则" if zh else f"as of {day}")
        if self.rules:
            files = ", ".join(_basename(r) for r in self.rules)
            parts.append(f"加上 {files}" if zh else f"with {files}")
        parts += [f"{name} = {value!r}" for name, value in self.parameters]
        if self.disable:
            off = ", ".join(self.disable)
            parts.append(f"停用 {off}" if zh else f"without {off}")
        default = "现行规则" if zh else "the rules as installed"
        return ("；" if zh else "; ").join(parts) or default


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def parse_parameter(text: str) -> tuple[str, ParameterValue]:
    """``NAME=VALUE`` from the command line: VALUE is an integer, a number, ``true``/``false``,
    or else text.

    >>> parse_parameter("cn.low_voltage_access_cap_kw=250")
    ('cn.low_voltage_access_cap_kw', 250)
    """
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise RuleDataError(f"{text!r} is not NAME=VALUE", f"{text!r} 不是 名称=取值 的形式")
    raw = raw.strip()
    value: ParameterValue
    if raw.lower() in ("true", "false"):
        value = raw.lower() == "true"
    else:
        try:
            value = int(raw)
        except ValueError:
            try:
                value = float(raw)
            except ValueError:
                value = raw
    return name.strip(), value


# -- the registry of a scenario ---------------------------------------------------------------


def _override(
    sources: Sequence[RuleSource], values: Mapping[str, ParameterValue]
) -> list[RuleSource]:
    """The sources with the named parameters' values replaced in every version."""
    found: set[str] = set()
    out: list[RuleSource] = []
    for source in sources:
        params: list[Parameter] = []
        for p in source.parameters:
            if p.name in values:
                found.add(p.name)
                new = values[p.name]
                old = p.versions[0].value
                numeric = isinstance(old, int | float) and not isinstance(old, bool)
                ok = (
                    (isinstance(new, int | float) and not isinstance(new, bool))
                    if numeric
                    else type(new) is type(old)
                )
                if not ok:
                    raise RuleDataError(
                        f"the new value {new!r} is not of the parameter's type "
                        f"({type(old).__name__}{', ' + p.unit if p.unit else ''})",
                        f"新取值 {new!r} 与参数类型不符",
                        rule=p.name,
                    )
                versions = tuple(
                    attrs.evolve(
                        v,
                        value=new,
                        citation=attrs.evolve(
                            v.citation,
                            note=f"What-if value {new!r} in place of {v.value!r}.",
                        ),
                    )
                    for v in p.versions
                )
                p = attrs.evolve(p, versions=versions)
            params.append(p)
        out.append(attrs.evolve(source, parameters=tuple(params)))
    missing = sorted(set(values) - found)
    if missing:
        raise RuleDataError(
            f"unknown parameter {missing[0]!r}", f"未知参数 {missing[0]!r}", rule=missing[0]
        )
    return out


@attrs.frozen
class ScenarioContext:
    """What a process needs to evaluate under a scenario, built once per process."""

    scenario: Scenario
    registry: Registry
    engine: Engine
    division: DivisionCode | None  # where applications are sited instead, if anywhere

    def place(self, app: Application) -> Application:
        """The application as this scenario evaluates it (moved to its jurisdiction, if any)."""
        if self.division is None or app.site.division == self.division:
            return app
        return attrs.evolve(app, site=attrs.evolve(app.site, division=self.division))


_CONTEXTS: dict[Scenario, ScenarioContext] = {}
_CONTEXTS_LOCK = threading.Lock()


def registry_for(scenario: Scenario) -> ScenarioContext:
    """The registry, engine and placement of a scenario, built once per process.

    Raises :class:`~gridconnect.errors.RuleDataError` for an unknown parameter or jurisdiction,
    or when one of the scenario's own rules files could not be loaded (a what-if whose file was
    set aside would silently compare the installed rules with themselves).
    """
    with _CONTEXTS_LOCK:
        ctx = _CONTEXTS.get(scenario)
        if ctx is not None:
            return ctx
        registry = Registry(
            local=scenario.rules,
            modules=scenario.modules,
            disable=scenario.disable,
            environment=scenario.environment,
        )
        own = {f"local:{_basename(r)}" for r in scenario.rules}
        for error in registry.errors:
            if getattr(error, "plugin", None) in own:
                raise RuleDataError(error.en, error.zh)
        if scenario.parameters:
            old = registry.catalogue
            sources = _override(list(old.sources), dict(scenario.parameters))
            registry.catalogue = Catalogue(old.jurisdictions.values(), sources)
        division = None
        if scenario.jurisdiction is not None:
            code = registry.catalogue.jurisdiction(scenario.jurisdiction).code
            if code == NATIONAL:
                raise RuleDataError(
                    "an application cannot be sited in the whole nation; to evaluate under the "
                    "national rules alone, disable the plugins of the places instead",
                    "申请不能以“全国”为地点；如需只按国家规则评估，请停用各地插件",
                )
            division = DivisionCode(code)
        ctx = ScenarioContext(scenario, registry, get_engine(scenario.engine), division)
        _CONTEXTS[scenario] = ctx
        return ctx
