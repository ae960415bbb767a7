"""Loading refuses bad rule data with an error that names the file, the rule and the problem."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gridconnect.errors import RuleDataError
from gridconnect.plugins.registry import Registry
from gridconnect.rules.catalogue import Catalogue, Jurisdiction
from gridconnect.rules.loader import load_rules_file
from gridconnect.rules.model import Text

HEADER = """
jurisdiction = "CN"
[citations.c]
title = "Test document"
issuer = "Test issuer"
confidence = "primary"
"""

RULE = """
[[rules]]
id = "{id}"
title = {{ en = "t", zh = "t" }}
effective_from = {start}
{extra}
when = {when}
then = {then}
citation = {{ ref = "c" }}
"""


def rule(
    id: str = "cn.test.a",
    when: str = '{ fact = "capacity.kw", le = 100 }',
    then: str = '{ track = "three_zero" }',
    start: str = "2020-01-01",
    extra: str = "",
) -> str:
    return RULE.format(id=id, when=when, then=then, start=start, extra=extra)


NATIONAL = [Jurisdiction(code="CN", name=Text(en="China", zh="中国"), alias="cn")]


def catalogue(path: Path) -> Catalogue:
    return Catalogue(NATIONAL, [load_rules_file(path)])


def assert_refused(path: Path, *fragments: str, rule_id: str | None = "cn.test.a") -> None:
    with pytest.raises(RuleDataError) as info:
        catalogue(path)
    error = info.value
    assert error.file == str(path)
    if rule_id is not None:
        assert error.rule == rule_id
    for fragment in fragments:
        assert fragment in str(error), str(error)


def test_a_valid_rule_file_loads(rules_file: Callable[[str], Path]) -> None:
    cat = catalogue(rules_file(HEADER + rule()))
    assert [r.id for r in cat.rules] == ["cn.test.a"]


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        (rule(extra="colour = 'red'"), ("unknown key", "colour")),
        (rule(when='{ fact = "capacity.kilowatts", le = 100 }'), ("unknown fact", "capacity.kw")),
        (rule(when='{ fact = "capacity.kw", le = 2020-01-01 }'), ("date cannot be compared",)),
        (rule(when='{ fact = "applied_on", gt = 5 }'), ("number cannot be compared",)),
        (rule(when='{ fact = "site.area", eq = "suburban" }'), ("not one of",)),
        (rule(when='{ fact = "capacity.kw", le = { param = "cn.nope" } }'), ("unknown parameter",)),
        (rule(then='{ track = "three_one" }'), ("not one of",)),
        (rule(then='{ trakc = "three_zero" }'), ("unknown conclusion slot", "trakc")),
        (rule(then='{ "stage.x" = 5 }'), ("time limit",)),
        (rule(when='{ fact = "capacity.kw", between = 5 }'), ("unknown test",)),
        (rule(extra='exception_to = ["cn.test.missing"]'), ("unknown rule",)),
        (rule(extra='exception_to = ["cn.test.a"]'), ("itself",)),
        (rule(id="guangzhou.a"), ("start with 'cn.'",)),
    ],
)
def test_bad_rule_data_is_refused_with_file_rule_and_reason(
    rules_file: Callable[[str], Path], body: str, fragments: tuple[str, ...]
) -> None:
    rule_id = "guangzhou.a" if "guangzhou.a" in body else "cn.test.a"
    assert_refused(rules_file(HEADER + body), *fragments, rule_id=rule_id)


def test_a_rule_without_citation_is_refused(rules_file: Callable[[str], Path]) -> None:
    body = rule().replace('citation = { ref = "c" }', "")
    assert_refused(rules_file(HEADER + body), "'citation' is required")


def test_a_citation_without_confidence_is_refused(rules_file: Callable[[str], Path]) -> None:
    body = rule().replace('{ ref = "c" }', '{ title = "x", issuer = "y" }')
    assert_refused(rules_file(HEADER + body), "'confidence' is required")


def test_duplicate_ids_with_overlapping_dates_are_refused(
    rules_file: Callable[[str], Path],
) -> None:
    body = rule() + rule(start="2021-01-01")
    assert_refused(rules_file(HEADER + body), "in force at once")


def test_versions_with_disjoint_dates_are_accepted(rules_file: Callable[[str], Path]) -> None:
    body = rule(extra="effective_until = 2020-12-31") + rule(start="2021-01-01")
    assert len(catalogue(rules_file(HEADER + body)).rules) == 2


def test_cyclic_exceptions_are_refused(rules_file: Callable[[str], Path]) -> None:
    body = rule(id="cn.test.a", extra='exception_to = ["cn.test.b"]') + rule(
        id="cn.test.b", extra='exception_to = ["cn.test.a"]'
    )
    with pytest.raises(RuleDataError, match="cycle"):
        catalogue(rules_file(HEADER + body))


def test_overlapping_parameter_versions_are_refused(rules_file: Callable[[str], Path]) -> None:
    body = """
[[parameters]]
name = "cn.cap"
title = { en = "cap", zh = "上限" }
unit = "kW"
versions = [
  { value = 1, effective_from = 2020-01-01, citation = { ref = "c" } },
  { value = 2, effective_from = 2021-01-01, citation = { ref = "c" } },
]
"""
    assert_refused(rules_file(HEADER + body), "in force at once", rule_id="cn.cap")


def test_a_parameter_in_kva_cannot_be_compared_with_kw(rules_file: Callable[[str], Path]) -> None:
    body = """
[[parameters]]
name = "cn.cap"
title = { en = "cap", zh = "上限" }
unit = "kVA"
versions = [ { value = 160, effective_from = 2020-01-01, citation = { ref = "c" } } ]
""" + rule(when='{ fact = "capacity.kw", le = { param = "cn.cap" } }')
    assert_refused(rules_file(HEADER + body), "kVA cannot be compared")


def test_invalid_toml_names_the_file(rules_file: Callable[[str], Path]) -> None:
    path = rules_file("jurisdiction = ")
    with pytest.raises(RuleDataError, match="not valid TOML") as info:
        load_rules_file(path)
    assert info.value.file == str(path)


def test_a_local_rules_file_for_an_unknown_jurisdiction_is_reported_not_fatal(
    rules_file: Callable[[str], Path],
) -> None:
    path = rules_file(HEADER.replace('"CN"', '"999999"') + rule())
    registry = Registry(local=[path], entry_points=False, environment=False)
    assert [e.plugin for e in registry.errors] == [f"local:{path.name}"]
    assert registry.explicit_errors == registry.errors  # the command line exits 2 with it
    assert "999999" in str(registry.errors[0])
    assert registry.catalogue.rules  # the national rules still load
    # Its failure is scoped to the jurisdiction it names: others are decided as before.
    assert registry.failure_for("440106") is None
    assert registry.failure_for("999999") is not None
