"""The fast parse path builds exactly what the codec builds, or leaves the row to the codec."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from gridconnect.batch.corpus import iter_corpus
from gridconnect.batch.fastparse import direct, fast_structure
from gridconnect.errors import InputError
from gridconnect.model.application import Application
from gridconnect.model.codec import structure, unstructure
from gridconnect.testing.strategies import applications

_ODD_VALUES = [None, 0, -1, 1.5, "", "x", True, [], {}, [1], {"a": 1}, "2026-02-30", "1e400"]


def _same(data: Any) -> None:
    """Whenever the fast builder returns, the codec returns an equal object; and
    fast_structure always behaves exactly as structure."""
    try:
        fast = direct(data)
    except Exception:
        fast = None
    try:
        slow: Application | InputError = structure(data, Application)
    except InputError as error:
        slow = error
    if fast is not None:
        assert fast == slow
    if isinstance(slow, InputError):
        with pytest.raises(InputError) as caught:
            fast_structure(data)
        assert caught.value.problems == slow.problems
    else:
        assert fast_structure(data) == slow


@settings(max_examples=examples(150), deadline=None, database=None)
@given(applications())
def test_fast_parse_equals_the_codec_on_valid_applications(app: Application) -> None:
    data = unstructure(app)
    assert direct(data) == app
    _same(data)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = []
    if isinstance(data, dict):
        for k, v in data.items():
            out.append((*prefix, k))
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.append((*prefix, i))
            out += _paths(v, (*prefix, i))
    return out


@settings(max_examples=examples(300), deadline=None, database=None)
@given(st.data())
def test_fast_parse_equals_the_codec_on_damaged_applications(data: st.DataObject) -> None:
    base = data.draw(st.sampled_from([r for r in iter_corpus(60, seed=5) if isinstance(r, dict)]))
    damaged = copy.deepcopy(base)
    path = data.draw(st.sampled_from(_paths(damaged)))
    parent = damaged
    for part in path[:-1]:
        parent = parent[part]
    action = data.draw(st.sampled_from(["replace", "delete", "add"]))
    if action == "delete":
        del parent[path[-1]]
    elif action == "add" and isinstance(parent, dict):
        parent["unexpected"] = 1
    else:
        parent[path[-1]] = data.draw(st.sampled_from(_ODD_VALUES))
    _same(damaged)
