"""The fast batch output line is byte for byte the JSON of ``Decision.to_dict()``."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridconnect.batch import Scenario, iter_corpus
from gridconnect.batch.scenario import registry_for
from gridconnect.batch.serialize import _dumps, _value, match_line, slow_decision_line
from gridconnect.decide.evaluate import evaluate, match
from gridconnect.model.application import Application
from gridconnect.model.codec import load_file, structure
from gridconnect.plugins.registry import Registry
from gridconnect.rules.model import plain

EXAMPLES = sorted((Path(__file__).parent.parent / "examples" / "applications").glob("*.json"))


def _assert_fast_line_is_slow_line(app: Application, engine: str, registry: Registry) -> None:
    decision = evaluate(app, engine=engine, registry=registry)
    found = match(app, engine=engine, registry=registry)
    assert found.decide() == decision  # no bundle: match().decide() is evaluate()
    for trace in (True, False):
        for _ in range(2):  # the first compiles the template, the second reuses it
            line = match_line(7, found, found.resolution(), found.deadlines(), trace)
            assert line == slow_decision_line(7, decision, trace)


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_the_fast_line_is_the_json_of_to_dict(engine: str) -> None:
    ctx = registry_for(Scenario(engine=engine))
    apps = [load_file(p, Application) for p in EXAMPLES]
    apps += [structure(r, Application) for r in iter_corpus(400, seed=51) if isinstance(r, dict)]
    for app in apps:
        if not app.bundle:  # a bundled application is written the slow way
            _assert_fast_line_is_slow_line(app, ctx.engine, ctx.registry)


def test_a_scenario_registry_decides_as_the_default_registry() -> None:
    ctx = registry_for(Scenario(engine="reference"))
    for r in iter_corpus(300, seed=52, start=__import__("datetime").date(2020, 1, 1), days=2500):
        assert isinstance(r, dict)
        app = structure(r, Application)
        mine = evaluate(app, engine="reference", registry=ctx.registry)
        theirs = evaluate(app, engine="reference")
        assert mine.to_json() == theirs.to_json()


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities included: json writes them its own way
    | st.text()
    | st.dates()
)


@given(st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=4), max_leaves=8))
def test_a_fact_value_is_written_as_json_writes_it(value: object) -> None:
    assert _value(value) == _dumps(plain(value))


def test_rule_text_with_format_characters_is_written_as_is(tmp_path: Path) -> None:
    """The fast line is a ``%``-format: a rule's own ``%`` and braces stay literal."""
    rules = tmp_path / "odd.toml"
    rules.write_text(
        """
jurisdiction = "440100"

[[rules]]
id = "guangzhou.zz_odd_text"
title = { en = "100% of %s and %d {0} {{x}}", zh = "百分之百 %% %(x)s" }
effective_from = 2000-01-01
then = { "note.odd" = { en = "50%s", zh = "%d%%" } }
citation = { title = "A 50% source %s", issuer = "tests {}", confidence = "primary" }
""",
        encoding="utf-8",
    )
    registry = Registry(local=[rules], environment=False)
    apps = [structure(r, Application) for r in iter_corpus(60, seed=9, divisions="4401")]
    for app in apps:
        assert "guangzhou.zz_odd_text" in {t.rule for t in evaluate(app, registry=registry).trace}
        _assert_fast_line_is_slow_line(app, "reference", registry)
