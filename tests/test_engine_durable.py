"""The durable engine returns exactly what the reference engine returns, and fails only with
EngineError (never a crash, never a wrong answer)."""

from __future__ import annotations

import random
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

import pytest
from conftest import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridconnect.engine import durable
from gridconnect.engine.base import MatchRule
from gridconnect.engine.durable import DurableEngine, DurableMatcher
from gridconnect.engine.reference import ReferenceEngine
from gridconnect.errors import EngineError
from gridconnect.rules.conditions import (
    TRUE,
    And,
    Cmp,
    Condition,
    In,
    Not,
    Op,
    Or,
    ParamRef,
    Present,
    Quant,
    Scalar,
    parse_condition,
)
from gridconnect.rules.facts import FACTS, FactType

pytestmark = pytest.mark.skipif(not durable.available(), reason="durable_rules is not usable")

T = TypeVar("T")

# -- values: pools rich in edge cases, shared by literals and facts so equalities happen -------

NUMBERS: tuple[int | float, ...] = (
    0, 1, -1, 0.5, 1e-05, 1.5e-07, 0.1 + 0.2, 0.3, 100, 160, 160.0, 1e16, 1.5e16,
    2**53, 2**53 + 1, 2**53 + 2, -(2**63), 2**63, 10**20, 10**20 + 1, 10**400, -(10**400),
    5e-324, 1.7976931348623157e308, -0.0,
)  # fmt: skip
TEXTS = (
    "", "a", "10", "10.0", "20", "1e-05", "id", "sid", "true", "false", "1", "null",
    "张三", "国网", "😀", 'a"b', "a\\", "x\ny", "}", "$i", "~r",
)  # fmt: skip
DATES = (date(2020, 1, 1), date(2024, 2, 29), date(2024, 3, 1), date(1, 1, 1), date(9999, 12, 31))

SCALAR_PATHS = tuple(p for p, t in FACTS.items() if t.scalar)
LIST_PATHS = tuple(p for p, t in FACTS.items() if not t.scalar)
ORDERED: tuple[Op, ...] = ("eq", "ne", "lt", "le", "gt", "ge")
EQUALITY: tuple[Op, ...] = ("eq", "ne")


class Chooser:
    """Random choices, from hypothesis (shrinkable) or from a seeded ``random.Random``."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any] | None = None, seed: int = 0):
        self._draw = draw
        self._random = random.Random(seed)

    def pick(self, options: Sequence[T]) -> T:
        if self._draw is not None:
            picked: T = self._draw(st.sampled_from(options))
            return picked
        return self._random.choice(options)

    def number(self, low: int, high: int) -> int:
        if self._draw is not None:
            drawn: int = self._draw(st.integers(low, high))
            return drawn
        return self._random.randint(low, high)

    def chance(self, percent: int) -> bool:
        return self.number(1, 100) <= percent


def literal(c: Chooser, ftype: FactType) -> Scalar:
    kind = ftype.kind
    if kind == "number":
        return c.pick(NUMBERS)
    if kind == "date":
        return c.pick(DATES)
    if kind == "bool":
        return c.pick((True, False))
    if kind == "enum" and ftype.values and c.chance(80):
        return c.pick(sorted(ftype.values))
    return c.pick(TEXTS)


def comparison(c: Chooser, path: str, ftype: FactType) -> Condition:
    ops = ORDERED if ftype.kind in ("number", "date") else EQUALITY
    if c.chance(25):
        return In(path, tuple(literal(c, ftype) for _ in range(c.number(1, 3))))
    return Cmp(path, c.pick(ops), literal(c, ftype))


def condition(
    c: Chooser, scope: Mapping[str, FactType], item: FactType | None, depth: int
) -> Condition:
    """A well-typed condition over ``scope`` (or over scalar list items when ``item``)."""
    roll = c.number(1, 100)
    if depth > 0 and roll <= 40:
        if roll <= 8:
            return Not(condition(c, scope, item, depth - 1))
        children = tuple(condition(c, scope, item, depth - 1) for _ in range(c.number(0, 3)))
        return And(children) if roll <= 24 else Or(children)
    if item is not None:
        if c.chance(5):
            return Present("", c.chance(50))
        return comparison(c, "", item)
    lists = [p for p, t in scope.items() if not t.scalar]
    if depth > 0 and lists and roll <= 60:
        path = c.pick(lists)
        ftype = scope[path]
        if ftype.kind == "records":
            assert ftype.fields is not None
            where = condition(c, ftype.fields, None, depth - 1)
        else:
            assert ftype.item is not None
            where = condition(c, {}, ftype.item, depth - 1)
        return Quant(c.pick(("any", "every")), path, where)
    scalars = [p for p, t in scope.items() if t.scalar]
    path = c.pick(scalars)
    if c.chance(12):
        return Present(path, c.chance(50))
    return comparison(c, path, scope[path])


def fact_value(c: Chooser, ftype: FactType) -> Any:
    if ftype.optional and c.chance(30):
        return None
    if ftype.kind == "list":
        assert ftype.item is not None
        return [fact_value(c, ftype.item) for _ in range(c.pick((0, 0, 1, 2, 3)))]
    if ftype.kind == "records":
        assert ftype.fields is not None
        records = []
        for _ in range(c.pick((0, 1, 2, 3))):
            record = {name: fact_value(c, t) for name, t in ftype.fields.items()}
            if c.chance(30):
                record.update(id=c.pick(TEXTS), sid=c.pick(TEXTS))  # ignored by both engines
            records.append(record)
        return records
    if ftype.kind == "number":
        value = c.pick(NUMBERS)
        if isinstance(value, int) and durable._exact_float(value) is None:
            return float(c.pick((2**53, 1e16, 0)))
        return float(value) if c.chance(70) else value
    return literal(c, ftype)


def facts(c: Chooser) -> dict[str, Any]:
    return {path: fact_value(c, ftype) for path, ftype in FACTS.items()}


def rulebook(c: Chooser, size: int, depth: int = 3) -> list[MatchRule]:
    return [MatchRule(f"rule-{i}", condition(c, FACTS, None, depth)) for i in range(size)]


def assert_same(rules: list[MatchRule], cases: list[dict[str, Any]]) -> DurableMatcher:
    ours = DurableEngine().compile(rules)
    oracle = ReferenceEngine().compile(rules)
    for case in cases:
        assert ours.match(case) == oracle.match(case), case
    return ours


# -- agreement with the reference engine ------------------------------------------------------


@settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_generated_conditions_and_facts_agree_with_reference(data: st.DataObject) -> None:
    c = Chooser(data.draw)
    rules = rulebook(c, c.number(1, 10))
    assert_same(rules, [facts(c) for _ in range(c.number(1, 4))])


def test_rulebook_of_330_rules_in_11_rulesets_agrees_with_reference() -> None:
    c = Chooser(seed=2024)
    rules = rulebook(c, 330)
    ours = assert_same(rules, [facts(c) for _ in range(150)])
    assert len(ours.rulesets) >= 10


def test_deep_rules_are_split_within_durable_limits_and_agree() -> None:
    c = Chooser(seed=7)
    rules = rulebook(c, 60, depth=5)
    assert_same(rules, [facts(c) for _ in range(100)])


def test_many_matching_alternatives_never_overflow_the_engine_stack() -> None:
    wide = Or(tuple(Cmp("capacity.kw", "gt", float(-i)) for i in range(40)))
    rules = [MatchRule(f"w{i}", And((wide, Cmp("capacity.kw", "ne", float(i))))) for i in range(40)]
    assert_same(rules, [{**facts(Chooser(seed=1)), "capacity.kw": v} for v in (1.0, 5.0, -50.0)])


@pytest.mark.parametrize("size", [511, 512, 1500])
def test_large_in_lists_neither_hang_nor_fail_and_agree(size: int) -> None:
    # 512 tests of one field below one node make durable loop forever (durable-rules.rst §3 item 4)
    values = tuple(f"d{i}" for i in range(size))
    rules = [
        MatchRule("top", In("site.division", values)),
        MatchRule("any", Quant("any", "documents.kinds", In("", values))),
        MatchRule("every", Quant("every", "documents.kinds", In("", values[:600]))),
        MatchRule("records", Quant("any", "works.segments", In("laying", values))),
    ]
    base = facts(Chooser(seed=9))
    segment = {"length_m": 1.0, "crossings": []}
    cases = [
        {**base, "site.division": value, "documents.kinds": [value, "x"],
         "works.segments": [{**segment, "laying": value}]}
        for value in ("d0", f"d{size - 1}", "d599", "x", "")
    ]  # fmt: skip
    assert_same(rules, cases)


def test_every_over_empty_list_is_true_and_any_is_false() -> None:
    rules = [
        MatchRule("every", parse_condition({"every": "works.crossings", "eq": "railway"})),
        MatchRule("any", parse_condition({"any": "works.crossings", "eq": "railway"})),
        MatchRule("always", TRUE),
        MatchRule("never", Or(())),
    ]
    base = facts(Chooser(seed=3))
    matcher = assert_same(rules, [{**base, "works.crossings": []}])
    assert matcher.match({**base, "works.crossings": []}) == [0, 2]


def test_or_across_record_fields_is_evaluated_per_item() -> None:
    # durable alone gets this wrong (only the last field of an item counts); the markers fix it
    rule = parse_condition(
        {"every": "works.segments", "where": {"or": [
            {"fact": "laying", "eq": "overhead"}, {"fact": "length_m", "gt": 100}]}}
    )  # fmt: skip
    segments = [
        {"length_m": 5.0, "laying": "overhead", "crossings": []},
        {"length_m": 500.0, "laying": "cable", "crossings": ["railway"]},
    ]
    base = facts(Chooser(seed=4))
    matcher = assert_same([MatchRule("r", rule)], [{**base, "works.segments": segments}])
    assert matcher.match({**base, "works.segments": segments}) == [0]


# -- hostile inputs (docs/explanation/durable-rules.rst §2) ------------------------------------


def test_hostile_inputs_give_the_reference_answers() -> None:
    rules = [
        MatchRule("text-number", Cmp("site.division", "eq", "10")),
        MatchRule("text-number-ne", Cmp("site.division", "ne", "10.0")),
        MatchRule("small-float", Cmp("capacity.kw", "ge", 1e-05)),
        MatchRule("small-float-eq", Cmp("capacity.kw", "eq", 1e-05)),
        MatchRule("huge", Cmp("capacity.kva", "lt", 2**53 + 1)),
        MatchRule("huge-eq", Cmp("capacity.kva", "eq", 10**20)),
        MatchRule("chinese", parse_condition({"any": "documents.kinds", "eq": "营业执照"})),
        MatchRule("key-id", Cmp("id", "eq", "sid")),
        MatchRule("key-sid", Present("sid")),
        MatchRule("true-text", Cmp("site.division", "eq", "true")),
        MatchRule("bool", Cmp("simple_case", "eq", True)),
        MatchRule("quote", Cmp("site.division", "ne", 'a"b')),
        MatchRule("date", Cmp("project.planning_permit", "lt", date(2024, 3, 1))),
    ]
    base = {**facts(Chooser(seed=5)), "id": "id", "sid": None}
    cases = [
        {**base, "site.division": "10", "capacity.kw": 1e-05, "capacity.kva": 2.0**53},
        {**base, "site.division": "10.0", "capacity.kw": 1.0e-05, "capacity.kva": 1e20},
        {**base, "site.division": "true", "simple_case": False, "capacity.kva": 10**20},
        {**base, "documents.kinds": ["营业执照", "id"], "id": "sid", "sid": "id"},
        {**base, "site.division": 'a"b', "project.planning_permit": date(2024, 2, 29)},
        {**base, "id": None, "sid": None, "project.planning_permit": None},
    ]
    assert_same(rules, cases)


def test_records_with_id_and_sid_keys_are_matched_like_the_reference() -> None:
    rules = [
        MatchRule("id-field", parse_condition({"any": "l", "where": {"fact": "id", "eq": "x"}})),
        MatchRule("sid-field", parse_condition({"any": "l", "where": {"fact": "sid", "ne": "x"}})),
    ]
    cases: list[dict[str, Any]] = [
        {"l": [{"id": "x", "sid": "x"}]},
        {"l": [{"id": "y"}]},
        {"l": []},
    ]
    assert_same(rules, cases)
    assert DurableEngine().compile(rules).match(cases[0]) == [0]


def test_unusual_fact_paths_get_safe_keys_and_agree_with_reference() -> None:
    paths = ("a b", "中文", "$i", "~r", "x.", ".y", "sid", "id", "id~", "$forward")
    rules = [MatchRule(path, Cmp(path, "eq", "v")) for path in paths]
    rules += [MatchRule(f"{path}?", Present(path)) for path in paths]
    cases: list[dict[str, Any]] = [
        dict.fromkeys(paths, "v"),
        dict.fromkeys(paths),
        {path: ("v" if i % 2 else "w") for i, path in enumerate(paths)},
    ]
    assert_same(rules, cases)


# -- threads ----------------------------------------------------------------------------------


def test_four_threads_get_the_same_answers_as_sequential_evaluation() -> None:
    c = Chooser(seed=11)
    matcher = DurableEngine().compile(rulebook(c, 80))
    cases = [facts(c) for _ in range(60)]
    expected = [matcher.match(case) for case in cases]
    results: dict[int, list[list[int]]] = {}
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            results[worker] = [matcher.match(case) for case in cases for _ in range(2)][::2]
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert all(results[i] == expected for i in range(4))


# -- errors are EngineError, at compile time where the rule is the problem ---------------------


@pytest.mark.parametrize(
    "cond",
    [
        Cmp("site.division", "lt", "x"),  # durable cannot order text
        And((Cmp("capacity.kw", "gt", 1), Cmp("capacity.kw", "eq", "1"))),  # mixed kinds
        Cmp("", "eq", "x"),  # item test outside any/every
        Cmp("capacity.kw", "gt", date(2024, 1, 1)),  # a date against a number fact
        Cmp("works.crossings", "eq", "railway"),  # a list compared as a value
        And((Present("x"), Quant("any", "x", Cmp("a", "eq", 1)), Cmp("x", "eq", 1))),
        Quant("any", "l", And((Cmp("", "eq", 1), Cmp("a", "eq", 1)))),  # values and records
        Quant("any", "documents.kinds", Cmp("", "gt", "a")),  # ordering text items
        Quant("any", "works.crossings", Cmp("laying", "eq", "overhead")),  # values as records
        Quant("any", "works.segments", Cmp("", "eq", "overhead")),  # records as values
        Cmp("capacity.kw", "le", ParamRef("cn.cap")),  # unresolved parameter
        And(tuple(Present(f"too.many.{i}") for i in range(250))),  # > 240 keys in a message
    ],
)
def test_unsupported_construct_raises_engine_error_at_compile_time(cond: Condition) -> None:
    with pytest.raises(EngineError) as raised:
        DurableEngine().compile([MatchRule("bad", cond)])
    assert raised.value.en
    assert raised.value.zh


@pytest.mark.parametrize(
    "value",
    ["20", float("inf"), float("nan"), 2**53 + 1, True, [1.0]],
)
def test_fact_of_the_wrong_kind_raises_engine_error_not_a_coerced_answer(value: Any) -> None:
    matcher = DurableEngine().compile([MatchRule("r", Cmp("capacity.kw", "gt", 10))])
    with pytest.raises(EngineError):
        matcher.match({"capacity.kw": value})
    assert matcher.match({"capacity.kw": 20.0}) == [0]  # the session is still usable


def test_invalid_unicode_and_none_items_raise_engine_error() -> None:
    matcher = DurableEngine().compile(
        [MatchRule("r", parse_condition({"any": "documents.kinds", "eq": "x"}))]
    )
    with pytest.raises(EngineError):
        matcher.match({"documents.kinds": ["\ud800"]})
    with pytest.raises(EngineError):
        matcher.match({"documents.kinds": [None]})
    assert matcher.match({"documents.kinds": ["x"]}) == [0]


def test_engine_failure_mid_evaluation_is_engine_error_naming_ruleset_and_rules() -> None:
    import durable_rules_engine as real

    class Failing:
        """The extension, failing once in the middle of collecting activations (once armed:
        compiling primes each ruleset through the same call)."""

        armed = False
        failed = False

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def complete_and_start_action(self, handle: int, state: int) -> Any:
            if self.armed and not self.failed:
                self.failed = True
                raise real.error("Could not complete and start action, error code: 999")
            return real.complete_and_start_action(handle, state)

    rules = [MatchRule("a", TRUE), MatchRule("b", Cmp("x", "gt", 1)), MatchRule("c", TRUE)]
    extension = Failing()
    matcher = DurableEngine(extension=extension).compile(rules)
    extension.armed = True
    with pytest.raises(EngineError) as raised:
        matcher.match({"x": 3.0})
    assert "complete_and_start_action" in raised.value.en
    assert "gridconnect_" in raised.value.en
    assert "'b'" in raised.value.en
    assert "规则集" in raised.value.zh
    # the half-used session is abandoned; later evaluations (the extension works again) use a
    # fresh one
    assert matcher.match({"x": 3.0}) == [0, 1, 2]
    assert matcher.match({"x": 0.0}) == [0, 2]


def test_missing_extension_raises_engine_error_from_compile() -> None:
    """In a fresh interpreter where the extension cannot be imported."""
    code = textwrap.dedent(
        """
        import sys
        sys.modules["durable_rules_engine"] = None  # import durable_rules_engine fails
        from gridconnect.engine import durable
        from gridconnect.engine.base import MatchRule
        from gridconnect.errors import EngineError
        from gridconnect.rules.conditions import TRUE
        assert not durable.available()
        engine = durable.DurableEngine()  # constructing never needs the extension
        try:
            engine.compile([MatchRule("r", TRUE)])
        except EngineError as error:
            print("refused:", error.en)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("refused: durable_rules is not usable"), run.stdout


def test_closed_matcher_raises_engine_error() -> None:
    matcher = DurableEngine().compile([MatchRule("r", TRUE)])
    assert matcher.match({}) == [0]
    matcher.close()
    with pytest.raises(EngineError):
        matcher.match({})


def test_d14_every_ruleset_is_primed_and_deleted_with_its_session() -> None:
    """Each ruleset has the priming rule, fired once at creation, so that dropping the last
    matcher deletes its session (durable frees a session's memory only then) and the ruleset."""
    rules = [MatchRule("small", parse_condition({"fact": "capacity.kw", "le": 160.123}))]
    matcher = DurableEngine().compile(rules)
    (definition,) = matcher.rulesets
    assert '"~prime"' in definition
    ruleset = durable._RULESETS[definition]
    assert ruleset.primed
    # nothing fired for these facts: the session still may be deleted, thanks to the priming
    assert matcher.match({"capacity.kw": 1e6}) == []
    assert matcher.match({"capacity.kw": 1.0}) == [0]
    matcher.close()
    assert definition not in durable._RULESETS
