"""All rules of all jurisdictions, checked together; and the rulebook in force on a date.

:class:`Catalogue` holds what every plugin contributed and refuses it whole if anything is
inconsistent across files: duplicate ids, overlapping versions, unknown parameters, type errors
in conditions, dangling or cyclic exceptions, rules that read each other's conclusions in a
cycle. :meth:`Catalogue.rulebook` then gives the :class:`Rulebook` for one jurisdiction chain
and one date: only what is in force exists in it.

**Strata.** A rule may read a slot that other rules decide (``{ slot = "supply", ... }``). Such a
rule comes after every rule that may set the slot, and after every rule that is an exception to
one of those (it may defeat the setter): the rulebook orders its rules into *strata*, stratum 0
reading only the application's facts, and the decision is computed stratum by stratum. A cycle
(rules that, through the slots they read, depend on themselves) is refused when the catalogue
loads, in every jurisdiction chain where all its rules meet, with every rule and slot named.

**Overrides.** A jurisdiction may give a parameter of a jurisdiction above it its own dated,
cited versions (a ``[[parameters]]`` entry with the inherited name): in its territory, and on
the dates one of its versions is in force, every rule reading the parameter uses its value.
"""

from __future__ import annotations

import functools
import graphlib
import itertools
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from gridconnect.errors import RuleDataError
from gridconnect.model.json_schema import json_field
from gridconnect.rules.conditions import (
    And,
    Cmp,
    Condition,
    In,
    Not,
    Or,
    ParamRef,
    Present,
    Quant,
    condition_problems,
    render,
    three_valued,
    walk,
)
from gridconnect.rules.facts import SLOT_PREFIX, fact_bounds, fact_type
from gridconnect.rules.loader import RuleSource
from gridconnect.rules.model import (
    Citation,
    IssuerKind,
    Limit,
    LimitUnit,
    Parameter,
    ParameterVersion,
    Rule,
    Text,
    Value,
    plain,
)
from gridconnect.rules.slots import slot_type

if TYPE_CHECKING:
    from gridconnect.engine.base import Engine, Matcher
    from gridconnect.model.codec import JSONObject

__all__ = ["BoundRule", "Catalogue", "Jurisdiction", "ParameterUse", "Rulebook"]

NATIONAL = "CN"


@attrs.frozen(kw_only=True)
class Jurisdiction:
    """A place that makes rules: the nation, a province, a city or a district."""

    code: str  # "CN" for the nation, else a GB/T 2260 code
    name: Text
    alias: str  # readable name, e.g. "guangzhou/huangpu"; rule ids start with it (dots for /)
    parent: str | None = None
    aliases: tuple[str, ...] = ()
    #: The power supply company serving the place (供电企业), when the declaration names one;
    #: a jurisdiction without one is served by its parent's. Utility commitments (rules whose
    #: citation's ``issuer_kind`` is ``utility``) apply only where their utility serves.
    utility: Text | None = None

    @property
    def namespace(self) -> str:
        return self.alias.replace("/", ".")


@attrs.frozen(kw_only=True)
class ParameterUse:
    """The value of a parameter in one rulebook, and who set it: the jurisdiction whose version
    is in force, its citation, and the jurisdiction it overrides (None for the parameter's own)."""

    #: The value in force.
    value: Any = attrs.field(metadata=json_field(shape={"type": ["string", "number", "boolean"]}))
    #: The code of the jurisdiction whose version is in force.
    jurisdiction: str
    #: The source of that version (in the JSON its short form: number or title, article,
    #: confidence).
    citation: Citation = attrs.field(metadata=json_field(shape={"type": "string"}))
    #: The jurisdiction whose parameter it overrides (None for the parameter's own value).
    overrides: str | None = None

    def to_dict(self) -> JSONObject:
        """The JSON-shaped form a decision's trace carries."""
        return {
            "value": plain(self.value),
            "jurisdiction": self.jurisdiction,
            "citation": self.citation.short(),
            "overrides": self.overrides,
        }


@attrs.frozen(kw_only=True)
class BoundRule:
    """A rule as it stands in one rulebook: parameters replaced by the values in force."""

    rule: Rule
    condition: Condition
    then: Mapping[str, Value]
    depth: int  # 0 for the nation, 1 for a province, ...
    parameters: tuple[tuple[str, ParameterUse], ...]  # parameters read, with their values
    facts: tuple[str, ...]  # application fact paths read
    condition_text: str = ""  # the rule's condition, readable, for the trace
    slots: tuple[str, ...] = ()  # slots read (other rules' conclusions)
    stratum: int = 0  # after every stratum that decides a slot it reads

    @property
    def id(self) -> str:
        return self.rule.id


def _substitute(cond: Condition, values: Mapping[str, Any]) -> Condition:
    if isinstance(cond, Cmp) and isinstance(cond.value, ParamRef):
        return Cmp(cond.path, cond.op, values[cond.value.name])
    if isinstance(cond, And | Or):
        return type(cond)(tuple(_substitute(i, values) for i in cond.items))
    if isinstance(cond, Not):
        return Not(_substitute(cond.item, values))
    if isinstance(cond, Quant):
        return Quant(cond.kind, cond.path, _substitute(cond.where, values))
    return cond


def _param_refs(rule: Rule) -> list[str]:
    refs = [
        n.value.name
        for n in walk(rule.when)
        if isinstance(n, Cmp) and isinstance(n.value, ParamRef)
    ]
    refs += [v.name for v in rule.then.values() if isinstance(v, ParamRef)]
    return refs


def _top_paths(cond: Condition) -> list[str]:
    out: list[str] = []
    for node in walk(cond):
        if isinstance(node, Cmp | In | Present | Quant) and node.path:
            out.append(node.path)
    # paths inside any/every are relative to items; keep only top-level fact paths
    return out


def _reads(cond: Condition) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The application facts and the slots a condition reads, each once, in order."""
    paths = list(dict.fromkeys(_top_paths(cond)))
    facts = tuple(p for p in paths if not p.startswith(SLOT_PREFIX))
    slots = tuple(p[len(SLOT_PREFIX) :] for p in paths if p.startswith(SLOT_PREFIX))
    return facts, slots


def _dependencies(
    reads: Mapping[str, Iterable[str]],
    sets: Mapping[str, Iterable[str]],
    exceptions: Mapping[str, Iterable[str]],
) -> dict[str, dict[str, str]]:
    """For each rule, the rules it must come after, each with the slot that makes it so:
    the setters of every slot it reads, and the rules that are exceptions to those setters."""
    setters: dict[str, set[str]] = {}
    for rule, slots in sets.items():
        for slot in slots:
            setters.setdefault(slot, set()).add(rule)
    defeaters: dict[str, set[str]] = {}
    for rule, targets in exceptions.items():
        for target in targets:
            defeaters.setdefault(target, set()).add(rule)
    graph: dict[str, dict[str, str]] = {}
    for rule, slots in reads.items():
        before = graph.setdefault(rule, {})
        for slot in slots:
            for setter in sorted(setters.get(slot, ())):
                before.setdefault(setter, slot)
                for other in sorted(defeaters.get(setter, ())):
                    before.setdefault(other, slot)
    return graph


def _effect_value(
    value: Value | ParamRef, param: tuple[Parameter, ParameterVersion] | None
) -> Value:
    if not isinstance(value, ParamRef):
        return value
    assert param is not None
    parameter, version = param
    if parameter.unit in ("working_day", "calendar_day", "day"):
        return Limit(amount=int(version.value), unit=LimitUnit(parameter.unit))
    v = version.value
    return int(v) if isinstance(v, float) and v.is_integer() else v  # type: ignore[return-value]


def utility_of(chain: Sequence[Jurisdiction], code: str) -> Text | None:
    """The utility serving jurisdiction ``code`` of ``chain``: the nearest declared one from
    ``code`` up (None if none is declared)."""
    codes = [j.code for j in chain]
    for j in reversed(chain[: codes.index(code) + 1]):
        if j.utility is not None:
            return j.utility
    return None


def not_serving(rule: Rule, chain: Sequence[Jurisdiction]) -> Text | None:
    """The utility whose commitment ``rule`` is, when it does not serve the place at the end of
    ``chain`` (a utility commitment binds its own utility only); None when the rule applies."""
    if rule.citation.issuer_kind is not IssuerKind.UTILITY:
        return None
    own = utility_of(chain, rule.jurisdiction)
    serving = utility_of(chain, chain[-1].code)
    return own if own is not None and own != serving else None


def _unknowable(path: str) -> bool:
    ftype = fact_type(path)
    return ftype is not None and ftype.unknowable


def _with_bounds(paths: Iterable[str]) -> set[str]:
    """``paths`` and, transitively, the facts that bound them when they are unknown."""
    found: set[str] = set()
    todo = list(paths)
    while todo:
        path = todo.pop()
        if path not in found:
            found.add(path)
            todo.extend(b for b in fact_bounds(path) if b is not None)
    return found


class Rulebook:
    """The rules and parameter values in force for one jurisdiction chain on one date, ordered
    by stratum (:attr:`strata`), then jurisdiction depth, then id."""

    def __init__(
        self,
        jurisdictions: Sequence[Jurisdiction],
        as_of: date,
        rules: Sequence[BoundRule],
        parameters: Mapping[str, tuple[Parameter, ParameterVersion]],
    ) -> None:
        self.jurisdictions = tuple(jurisdictions)
        self.as_of = as_of
        self.rules = tuple(rules)
        self.parameters = dict(parameters)
        self.by_id = {b.id: b for b in self.rules}
        self.reads = frozenset(p for b in self.rules for p in b.facts)
        bounds: list[int] = []
        for i, b in enumerate(self.rules):
            if i == 0 or b.stratum != self.rules[i - 1].stratum:
                bounds.append(i)
        bounds.append(len(self.rules))
        self.strata: tuple[range, ...] = tuple(range(a, z) for a, z in itertools.pairwise(bounds))
        """The positions of the rules of each stratum (rules are ordered by stratum)."""
        self.slot_reads = frozenset(s for b in self.rules for s in b.slots)
        """The slots that some rule reads."""
        self.absent_slots: Mapping[str, None] = dict.fromkeys(
            sorted(SLOT_PREFIX + s for s in self.slot_reads)
        )
        """Every slot read, as the fact ``slot:<slot>``, absent: what stratum 0 sees."""
        self.unknowable_reads: tuple[frozenset[str], ...] = tuple(
            frozenset(
                p
                for p in _with_bounds(
                    p
                    for i in stratum
                    for p in (
                        *self.rules[i].facts,
                        *(SLOT_PREFIX + s for s in self.rules[i].slots),
                    )
                )
                if _unknowable(p)
            )
            for stratum in self.strata
        )
        """For each stratum, the facts (and ``slot:`` paths) read that may be unknown, with the
        facts that bound them (:attr:`~gridconnect.rules.facts.FactType.at_most`): the
        three-valued conditions read those too."""
        self._matchers: dict[tuple[str, int, str], Matcher] = {}
        self._caches: dict[str, dict[Any, Any]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        chain = " > ".join(j.alias for j in self.jurisdictions)
        return f"<Rulebook {chain} as of {self.as_of}: {len(self.rules)} rules>"

    def on(self, as_of: date) -> Rulebook:
        """The same rulebook as of another date on which exactly the same versions are in force
        (it shares the compiled matchers, so each engine compiles it once)."""
        other = object.__new__(Rulebook)
        other.__dict__.update(self.__dict__)
        other.as_of = as_of
        return other

    def cache(self, name: str) -> dict[Any, Any]:
        """A cache named ``name`` for data derived from the rules alone, shared with the
        rulebooks :meth:`on` makes (e.g. how :func:`gridconnect.decide.resolution.decide` resolves each
        combination of matched rules). Its owner bounds its size."""
        found = self._caches.get(name)  # the lock only to create it
        if found is not None:
            return found
        with self._lock:
            return self._caches.setdefault(name, {})

    def matcher(self, engine: Engine, stratum: int = 0, variant: str = "classical") -> Matcher:
        """The rules of one stratum compiled by ``engine``, once per rulebook, engine, stratum
        and variant: ``classical`` (nothing unknown), or the ``must`` and ``may`` halves of
        three-valued matching (:func:`~gridconnect.rules.conditions.three_valued`). Positions
        are relative to the stratum's first rule."""
        key = (engine.name, stratum, variant)
        matcher = self._matchers.get(key)  # the lock only to compile it
        if matcher is not None:
            return matcher
        with self._lock:
            matcher = self._matchers.get(key)
            if matcher is None:
                from gridconnect.engine.base import MatchRule

                rules = [self.rules[i] for i in self.strata[stratum]]
                if variant == "classical":
                    conditions = [b.condition for b in rules]
                else:
                    halves = [three_valued(b.condition, _unknowable, fact_bounds) for b in rules]
                    conditions = [h[0] if variant == "must" else h[1] for h in halves]
                matcher = engine.compile(
                    [MatchRule(b.id, c) for b, c in zip(rules, conditions, strict=True)]
                )
                self._matchers[key] = matcher
            return matcher


CACHE_ENV = "GRIDCONNECT_RULEBOOK_CACHE"
"""Environment variable: how many compiled rulebooks a catalogue keeps (default 256)."""


def rulebook_cache_size() -> int:
    """The size of a catalogue's rulebook cache: ``GRIDCONNECT_RULEBOOK_CACHE``, default 256.

    A rulebook is compiled once per distinct set of rules and parameter versions in force
    (dates with the same rules share one); the least recently used is dropped beyond this
    many, and its compiled matchers (and durable's rulesets) with it. A compiled rulebook of
    the shipped Guangzhou rules takes about 1 MB on durable (measured: 10.4 MB for 10), so the
    default bounds the cache near 256 MB at worst; a long-lived service evaluating few places
    and years needs far fewer.
    """
    import os

    text = os.environ.get(CACHE_ENV, "").strip()
    if not text:
        return 256
    try:
        size = int(text)
    except ValueError:
        size = 0
    if size < 1:
        raise RuleDataError(
            f"{CACHE_ENV} must be a whole number of at least 1, not {text[:20]!r}",
            f"{CACHE_ENV} 须为不小于 1 的整数",
        )
    return size


class Catalogue:
    """Every jurisdiction, rule and parameter that the loaded plugins contribute."""

    def __init__(
        self, jurisdictions: Iterable[Jurisdiction], sources: Iterable[RuleSource]
    ) -> None:
        self.jurisdictions: dict[str, Jurisdiction] = {}
        self._names: dict[str, str] = {}
        for j in jurisdictions:
            if j.code in self.jurisdictions:
                raise RuleDataError(
                    f"jurisdiction {j.code} is declared twice", f"辖区 {j.code} 重复声明"
                )
            self.jurisdictions[j.code] = j
            for name in (j.code, j.alias, *j.aliases):
                self._names[name.lower()] = j.code
        self.sources = tuple(sources)
        self.rules: tuple[Rule, ...] = tuple(r for s in self.sources for r in s.rules)
        self.parameters: dict[str, Parameter] = {}
        self.overrides: dict[str, dict[str, Parameter]] = {}
        """Parameters given by a jurisdiction below their own: name -> jurisdiction -> versions."""
        self._check()
        # Bounded caches, least recently used first (see rulebook_cache_size): a signature's
        # entry holds its rulebook and the (leaf, date) keys that share it, so evicting it
        # drops every reference and the compiled matchers (durable rulesets) are freed.
        self._rulebooks: OrderedDict[tuple[str, date], tuple[tuple[Any, ...], Rulebook]] = (
            OrderedDict()
        )
        self._by_signature: OrderedDict[tuple[Any, ...], tuple[Rulebook, set[tuple[str, date]]]] = (
            OrderedDict()
        )
        self.cache_size = rulebook_cache_size()
        """Most rulebooks (distinct rule sets in force) kept compiled at once."""
        self._lock = threading.Lock()

    @functools.cached_property
    def _rules_by_jurisdiction(self) -> dict[str, tuple[Rule, ...]]:
        grouped: dict[str, list[Rule]] = {}
        for r in self.rules:
            grouped.setdefault(r.jurisdiction, []).append(r)
        return {code: tuple(rules) for code, rules in grouped.items()}

    def rules_of(self, jurisdiction: str) -> tuple[Rule, ...]:
        """The rules a jurisdiction (by code) contributes itself, in catalogue order (indexed
        once, so per-decision questions such as coverage do not scan every rule)."""
        return self._rules_by_jurisdiction.get(jurisdiction, ())

    # -- checks -----------------------------------------------------------------------------

    def _check(self) -> None:
        for j in self.jurisdictions.values():
            if j.parent is not None and j.parent not in self.jurisdictions:
                raise RuleDataError(
                    f"jurisdiction {j.code} names unknown parent {j.parent}",
                    f"辖区 {j.code} 的上级 {j.parent} 未定义",
                )
        for source in self.sources:
            juris = self.jurisdictions.get(source.jurisdiction)
            if juris is None:
                raise RuleDataError(
                    f"unknown jurisdiction {source.jurisdiction!r}",
                    f"未知辖区 {source.jurisdiction!r}",
                    file=source.source,
                )
        inherited: list[tuple[Parameter, Jurisdiction]] = []
        for source in self.sources:
            juris = self.jurisdictions[source.jurisdiction]
            for p in source.parameters:
                if p.name.startswith(juris.namespace + "."):
                    self._check_parameter(p)
                else:
                    inherited.append((p, juris))
        for p, juris in inherited:
            self._check_override(p, juris)
        for source in self.sources:
            for rule in source.rules:
                self._check_rule(rule)
        by_id: dict[str, list[Rule]] = {}
        for rule in self.rules:
            by_id.setdefault(rule.id, []).append(rule)
        for rule_id, versions in by_id.items():
            if len({v.jurisdiction for v in versions}) > 1:
                raise RuleDataError(
                    "one rule id is used by two jurisdictions",
                    "同一规则 id 被两个辖区使用",
                    file=versions[1].source,
                    rule=rule_id,
                )
            for i, a in enumerate(versions):
                for b in versions[i + 1 :]:
                    if a.overlaps(b):
                        raise RuleDataError(
                            f"two versions are in force at once ({a.effective_from} and "
                            f"{b.effective_from}); make their effective ranges disjoint",
                            f"两个版本的生效期重叠（{a.effective_from} 与 {b.effective_from}）",
                            file=b.source,
                            rule=rule_id,
                        )
        for rule in self.rules:
            for target in rule.exception_to:
                if target not in by_id:
                    raise RuleDataError(
                        f"exception_to names unknown rule {target!r}",
                        f"exception_to 指向不存在的规则 {target!r}",
                        file=rule.source,
                        rule=rule.id,
                    )
                if target == rule.id:
                    raise RuleDataError(
                        "a rule cannot be an exception to itself",
                        "规则不能是自身的例外",
                        file=rule.source,
                        rule=rule.id,
                    )
        self._check_cycles(by_id)
        self._check_strata(by_id)

    def _check_override(self, p: Parameter, juris: Jurisdiction) -> None:
        base = self.parameters.get(p.name)
        above = {j.code for j in self.chain(juris.code)[:-1]}
        if base is None or base.jurisdiction not in above:
            raise RuleDataError(
                f"parameter names of {juris.alias} start with {juris.namespace + '.'!r}, "
                "unless they override a parameter of a jurisdiction above it",
                f"{juris.alias} 的参数名须以 {juris.namespace + '.'!r} 开头"
                "（覆盖上级辖区参数的除外）",
                file=p.source,
                rule=p.name,
            )
        if p.unit != base.unit:
            raise RuleDataError(
                f"an override keeps the parameter's unit ({base.unit}), not {p.unit}",
                f"覆盖参数须沿用原单位（{base.unit}），而非 {p.unit}",
                file=p.source,
                rule=p.name,
            )
        if juris.code in self.overrides.get(p.name, {}):
            raise RuleDataError(
                f"{juris.alias} overrides the parameter twice",
                f"{juris.alias} 重复覆盖该参数",
                file=p.source,
                rule=p.name,
            )
        self._check_versions(p)
        self.overrides.setdefault(p.name, {})[juris.code] = p

    def _check_parameter(self, p: Parameter) -> None:
        if p.name in self.parameters:
            raise RuleDataError(
                "parameter is defined twice", "参数重复定义", file=p.source, rule=p.name
            )
        self._check_versions(p)
        self.parameters[p.name] = p

    @staticmethod
    def _check_versions(p: Parameter) -> None:
        for i, a in enumerate(p.versions):
            for b in p.versions[i + 1 :]:
                if a.overlaps(b):
                    raise RuleDataError(
                        f"two values are in force at once from {b.effective_from}",
                        f"自 {b.effective_from} 起两个取值同时有效",
                        file=p.source,
                        rule=p.name,
                    )

    def _check_rule(self, rule: Rule) -> None:
        juris = self.jurisdictions[rule.jurisdiction]

        def fail(en: str, zh: str) -> None:
            raise RuleDataError(en, zh, file=rule.source, rule=rule.id)

        if not rule.id.startswith(juris.namespace + "."):
            fail(
                f"rule ids of {juris.alias} start with {juris.namespace + '.'!r}",
                f"{juris.alias} 的规则 id 须以 {juris.namespace + '.'!r} 开头",
            )

        def resolve(name: str) -> tuple[Any, str | None] | None:
            p = self.parameters.get(name)
            return None if p is None else (p.versions[0].value, p.unit)

        problems = condition_problems(rule.when, resolve, slots=True)
        if problems:
            fail("; ".join(problems), "条件有误：" + "；".join(problems))
        for slot, value in rule.then.items():
            if isinstance(value, ParamRef):
                p = self.parameters.get(value.name)
                if p is None:
                    fail(
                        f"{slot}: unknown parameter {value.name!r}",
                        f"{slot}：未知参数 {value.name!r}",
                    )
                    return
                stype = slot_type(slot)
                assert stype is not None
                sample = p.versions[0].value
                ok = {
                    "limit": p.unit in ("working_day", "calendar_day", "day"),
                    "int": p.unit in (None, "count") and isinstance(sample, int | float),
                    "bool": isinstance(sample, bool),
                    "enum": isinstance(sample, str) and sample in stype.values,
                    "text": False,
                }[stype.kind]
                if not ok:
                    fail(
                        f"{slot}: parameter {value.name!r} ({p.unit or type(sample).__name__}) "
                        f"cannot set a {stype.kind} slot",
                        f"{slot}：参数 {value.name!r} 的类型不符",
                    )

    def _check_cycles(self, by_id: Mapping[str, list[Rule]]) -> None:
        edges = {rid: {t for v in vs for t in v.exception_to} for rid, vs in by_id.items()}
        state: dict[str, int] = {}

        def visit(node: str, path: list[str]) -> None:
            state[node] = 1
            for nxt in sorted(edges.get(node, ())):
                if state.get(nxt) == 1:
                    cycle = " -> ".join([*path[path.index(nxt) :], nxt]) if nxt in path else nxt
                    rule = by_id[node][0]
                    raise RuleDataError(
                        f"exceptions form a cycle: {cycle}",
                        f"例外关系成环：{cycle}",
                        file=rule.source,
                        rule=node,
                    )
                if nxt not in state:
                    visit(nxt, [*path, nxt])
            state[node] = 2

        for node in sorted(edges):
            if node not in state:
                visit(node, [node])

    def _check_strata(self, by_id: Mapping[str, list[Rule]]) -> None:
        """Refuse rules that depend on their own conclusions through the slots they read, in
        each jurisdiction chain (all versions of a rule taken together)."""
        readers = {rid: {s for v in vs for s in _reads(v.when)[1]} for rid, vs in by_id.items()}
        if not any(readers.values()):
            return
        for leaf in sorted(self.jurisdictions):
            chain = {j.code for j in self.chain(leaf)}
            ids = [rid for rid, vs in by_id.items() if vs[0].jurisdiction in chain]
            graph = _dependencies(
                {rid: readers[rid] for rid in ids},
                {rid: {s for v in by_id[rid] for s in v.then} for rid in ids},
                {rid: {t for v in by_id[rid] for t in v.exception_to} for rid in ids},
            )
            try:
                graphlib.TopologicalSorter(graph).prepare()
            except graphlib.CycleError as error:
                cycle: list[str] = error.args[1]
                steps = [
                    f"{b} reads {graph[b][a]} (set by {a})" for a, b in itertools.pairwise(cycle)
                ]
                steps_zh = [
                    f"{b} 读取 {graph[b][a]}（由 {a} 决定）" for a, b in itertools.pairwise(cycle)
                ]
                first = by_id[cycle[1]][0]
                raise RuleDataError(
                    "rules read each other's conclusions in a cycle: " + "; ".join(steps),
                    "规则相互读取结论，形成循环：" + "；".join(steps_zh),
                    file=first.source,
                    rule=first.id,
                ) from None

    # -- lookup -----------------------------------------------------------------------------

    def jurisdiction(self, name: str) -> Jurisdiction:
        """A jurisdiction by code or alias (``440100``, ``guangzhou``, ``guangzhou/huangpu``)."""
        code = self._names.get(name.lower().strip())
        if code is None:
            known = ", ".join(sorted(j.alias for j in self.jurisdictions.values()))
            raise RuleDataError(
                f"unknown jurisdiction {name!r}; known: {known}",
                f"未知辖区 {name!r}；已有：{known}",
            )
        return self.jurisdictions[code]

    def chain(self, name: str) -> tuple[Jurisdiction, ...]:
        """The chain from the nation down to ``name`` (most general first)."""
        j: Jurisdiction | None = self.jurisdiction(name)
        chain: list[Jurisdiction] = []
        while j is not None:
            chain.append(j)
            j = self.jurisdictions.get(j.parent) if j.parent else None
        return tuple(reversed(chain))

    def chain_for_division(self, division: str) -> tuple[Jurisdiction, ...]:
        """The deepest known jurisdiction containing a GB/T 2260 division, and its chain."""
        for code in (division, division[:4] + "00", division[:2] + "0000"):
            if code in self.jurisdictions:
                return self.chain(code)
        return self.chain(NATIONAL)

    def rulebook(self, name: str, as_of: date) -> Rulebook:
        """The rulebook in force in jurisdiction ``name`` on ``as_of`` (built once, then cached)."""
        leaf = self.jurisdiction(name).code
        key = (leaf, as_of)
        with self._lock:
            found = self._rulebooks.get(key)
            if found is not None:
                signature, book = found
                self._rulebooks.move_to_end(key)
                self._by_signature.move_to_end(signature)
                return book
            chain = self.chain(leaf)
            signature = self._signature(chain, as_of)
            same = self._by_signature.get(signature)
            if same is not None:
                book = same[0].on(as_of)
                same[1].add(key)
                self._by_signature.move_to_end(signature)
            else:
                book = self._build(chain, as_of)
                self._by_signature[signature] = (book, {key})
                while len(self._by_signature) > self.cache_size:
                    _, (_, keys) = self._by_signature.popitem(last=False)
                    for old in keys:
                        self._rulebooks.pop(old, None)
            self._rulebooks[key] = (signature, book)
            while len(self._rulebooks) > 64 * self.cache_size:
                old, (old_signature, _) = self._rulebooks.popitem(last=False)
                self._by_signature[old_signature][1].discard(old)
            return book

    def _signature(self, chain: Sequence[Jurisdiction], as_of: date) -> tuple[Any, ...]:
        """What is in force in a chain on a date: dates with the same signature share a rulebook
        (and its compiled matchers), so a year of applications compiles a handful, not 365."""
        codes = {j.code for j in chain}
        rules = tuple(
            i
            for i, r in enumerate(self.rules)
            if r.jurisdiction in codes and r.in_force(as_of) and not not_serving(r, chain)
        )
        params = tuple(
            (name, p.jurisdiction, p.versions.index(v))
            for name, (p, v) in self._parameters_in_force(chain, as_of).items()
        )
        return (chain[-1].code, rules, params)

    def _parameters_in_force(
        self, chain: Sequence[Jurisdiction], as_of: date
    ) -> dict[str, tuple[Parameter, ParameterVersion]]:
        """Each parameter of the chain with the version in force: the deepest jurisdiction's
        (an override) where it has one in force, else the parameter's own."""
        in_force: dict[str, tuple[Parameter, ParameterVersion]] = {}
        codes = [j.code for j in chain]
        for p in self.parameters.values():
            if p.jurisdiction not in codes:
                continue
            overrides = self.overrides.get(p.name, {})
            below = codes[codes.index(p.jurisdiction) + 1 :]
            for given in (*(overrides.get(c) for c in reversed(below)), p):
                version = None if given is None else given.at(as_of)
                if given is not None and version is not None:
                    in_force[p.name] = (given, version)
                    break
        return in_force

    def _build(self, chain: Sequence[Jurisdiction], as_of: date) -> Rulebook:
        depth = {j.code: i for i, j in enumerate(chain)}
        in_force = self._parameters_in_force(chain, as_of)
        uses = {
            name: ParameterUse(
                value=v.value,
                jurisdiction=p.jurisdiction,
                citation=v.citation,
                overrides=(
                    None
                    if p.jurisdiction == self.parameters[name].jurisdiction
                    else self.parameters[name].jurisdiction
                ),
            )
            for name, (p, v) in in_force.items()
        }
        bound: list[BoundRule] = []
        for rule in self.rules:
            if rule.jurisdiction not in depth or not rule.in_force(as_of):
                continue
            if not_serving(rule, chain):
                continue
            refs = _param_refs(rule)
            missing = [n for n in refs if n not in in_force]
            if missing:
                raise RuleDataError(
                    f"on {as_of} the rule is in force but parameter {missing[0]!r} has no value "
                    "in force (or belongs to a jurisdiction outside this chain)",
                    f"{as_of} 规则有效，但参数 {missing[0]!r} 无有效取值",
                    file=rule.source,
                    rule=rule.id,
                )
            values = {n: in_force[n][1].value for n in refs}
            facts, slots = _reads(rule.when)
            bound.append(
                BoundRule(
                    rule=rule,
                    condition=_substitute(rule.when, values),
                    then={
                        slot: _effect_value(
                            v, in_force.get(v.name) if isinstance(v, ParamRef) else None
                        )
                        for slot, v in rule.then.items()
                    },
                    depth=depth[rule.jurisdiction],
                    parameters=tuple(sorted((n, uses[n]) for n in values)),
                    facts=facts,
                    slots=slots,
                    condition_text=render(rule.when),
                )
            )
        graph = _dependencies(
            {b.id: b.slots for b in bound},
            {b.id: b.then for b in bound},
            {b.id: b.rule.exception_to for b in bound},
        )
        stratum: dict[str, int] = {}
        for rid in graphlib.TopologicalSorter(graph).static_order():
            stratum[rid] = 1 + max((stratum[d] for d in graph.get(rid, ())), default=-1)
        bound = [attrs.evolve(b, stratum=stratum[b.id]) for b in bound]
        bound.sort(key=lambda b: (b.stratum, b.depth, b.id))
        return Rulebook(chain, as_of, bound, in_force)
