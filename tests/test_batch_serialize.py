"""The fast decision JSON is byte for byte the JSON of ``Decision.to_dict()``."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridconnect.api import evaluate, rulebook_for
from gridconnect.batch import Scenario, iter_corpus
from gridconnect.batch.scenario import registry_for
from gridconnect.batch.serialize import decision_json, slow_decision_json
from gridconnect.model.application import Application
from gridconnect.model.codec import load_file, structure

EXAMPLES = sorted((Path(__file__).parent.parent / "examples" / "applications").glob("*.json"))


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_fast_decision_json_equals_to_dict_json(engine: str) -> None:
    ctx = registry_for(Scenario(engine=engine))
    apps = [load_file(p, Application) for p in EXAMPLES]  # bundles among them
    apps += [structure(r, Application) for r in iter_corpus(400, seed=51) if isinstance(r, dict)]
    for app in apps:
        decision = evaluate(app, engine=ctx.engine, registry=ctx.registry)
        book = rulebook_for(app, registry=ctx.registry)
        for trace in (True, False):
            assert decision_json(decision, book, trace) == slow_decision_json(decision, trace)


def test_a_scenario_registry_decides_as_the_default_registry() -> None:
    ctx = registry_for(Scenario(engine="reference"))
    for r in iter_corpus(300, seed=52, start=__import__("datetime").date(2020, 1, 1), days=2500):
        assert isinstance(r, dict)
        app = structure(r, Application)
        mine = evaluate(app, engine="reference", registry=ctx.registry)
        theirs = evaluate(app, engine="reference")
        assert mine.to_json() == theirs.to_json()
