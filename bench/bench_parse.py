"""Benchmark: parsing a batch's rows into applications, three ways, in one process.

Run with ``python bench/bench_parse.py`` (``--n`` rows, default 20,000). This is a script, not
a test. On the rows of a synthetic Guangzhou corpus (what ``bench/bench_batch.py`` runs), each
already read from JSON, it times

* ``codec``: :func:`gridconnect.model.codec.structure`, which collects every problem with its
  path (the reference, and what the other two fall back to for a row they do not take);
* ``hand-written``: the direct builder the batch used until issue 14 (a hand-written dispatch
  over the model's field types, kept below as the baseline, with the codec's
  :func:`~gridconnect.model.codec.check_number` and ``check_date`` added: without them it
  accepted numbers and dates the codec refuses);
* ``cattrs-gen``: :func:`gridconnect.batch.fastparse.fast_structure` as it is now: cattrs'
  generated structuring functions (``make_dict_structure_fn``, ``detailed_validation=False``)
  over exact-type scalar hooks.

It first checks that each way builds objects equal to the codec's for every row, then prints
microseconds per row (best of ``--repeat``, the ways interleaved) and each way's speed relative
to the hand-written builder. The machine is shared, so only ratios measured together mean
anything.
"""

from __future__ import annotations

import argparse
import enum
import json
import re
import sys
import time
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

try:
    import gridconnect  # noqa: F401
except ImportError:  # running from a checkout without the package installed
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import attrs

from gridconnect.batch.corpus import iter_corpus
from gridconnect.batch.fastparse import fast_structure
from gridconnect.model.application import Application
from gridconnect.model.codec import check_date, check_number, structure
from gridconnect.model.identifiers import CreditCode, DivisionCode, ResidentId

# -- the hand-written builder (batch/fastparse.py before issue 14), the baseline ---------------

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class _DeferError(Exception):
    """Not taken by the direct build: the codec judges the row."""


Build = Callable[[Any], Any]


def _str(v: Any) -> str:
    if type(v) is not str:
        raise _DeferError
    return v


def _bool(v: Any) -> bool:
    if type(v) is not bool:
        raise _DeferError
    return v


def _int(v: Any) -> int:
    if type(v) is not int:
        raise _DeferError
    return v


def _decimal(v: Any) -> Decimal:
    if type(v) not in (int, float, str):
        raise _DeferError
    number = Decimal(str(v))  # as the codec does; InvalidOperation defers
    if not number.is_finite():
        raise _DeferError
    return check_number(number)  # added: the codec's bounds, which it did not know


def _date(v: Any) -> date:
    if type(v) is not str or not _DATE.fullmatch(v):
        raise _DeferError
    return check_date(date.fromisoformat(v))  # added, as for numbers


def _by_value(cls: Callable[[str], Any]) -> Build:
    def build(v: Any) -> Any:
        if type(v) is not str:
            raise _DeferError
        return cls(v)

    return build


def _builder(t: Any) -> Build:
    """The fast builder of a model type (the same dispatch as the codec's converter)."""
    simple: dict[Any, Build] = {str: _str, bool: _bool, int: _int, Decimal: _decimal, date: _date}
    if t in simple:
        return simple[t]
    if t in (CreditCode, DivisionCode, ResidentId):
        return _by_value(t)
    if isinstance(t, type) and issubclass(t, enum.Enum):
        members = {m.value: m for m in t}  # what t(value) looks up, without its call

        def build_enum(v: Any) -> Any:
            if type(v) is not str:
                raise _DeferError
            return members[v]  # KeyError defers

        return build_enum
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        (inner,) = [a for a in args if a is not type(None)]
        item = _builder(inner)
        return lambda v: None if v is None else item(v)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        element = _builder(args[0])

        def build_tuple(v: Any) -> tuple[Any, ...]:
            if type(v) is not list:
                raise _DeferError
            return tuple([element(i) for i in v])

        return build_tuple
    if origin in (Mapping, dict):

        def build_mapping(v: Any) -> dict[str, Any]:
            if type(v) is not dict:
                raise _DeferError
            return dict(v)

        return build_mapping
    if attrs.has(t):
        return _attrs_builder(t)
    raise TypeError(f"no fast builder for {t!r}")


def _attrs_builder(cls: type[Any]) -> Build:
    attrs.resolve_types(cls)
    fields = attrs.fields(cls)
    names = frozenset(f.name for f in fields)
    required = frozenset(f.name for f in fields if f.default is attrs.NOTHING)
    builders: dict[str, Build] = {}

    def build(v: Any) -> Any:
        if type(v) is not dict or not names.issuperset(v) or not required.issubset(v):
            raise _DeferError
        if not builders:  # built on first use: the model's classes refer to each other
            builders.update({f.name: _builder(f.type) for f in fields})
        return cls(**{k: builders[k](x) for k, x in v.items()})

    return build


_HAND_WRITTEN: Build = _builder(Application)


def hand_written(data: Any) -> Application:
    """The old fast path: the direct build, or the codec."""
    try:
        app: Application = _HAND_WRITTEN(data)
        return app
    except Exception:  # the codec locates the problem
        return structure(data, Application)


# -- the measurement ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    rows = [
        json.loads(json.dumps(r, ensure_ascii=False))
        for r in iter_corpus(args.n, seed=1, divisions="4401")
    ]
    ways: dict[str, Callable[[Any], Application]] = {
        "codec": lambda d: structure(d, Application),
        "hand-written": hand_written,
        "cattrs-gen": fast_structure,
    }
    expected = [structure(r, Application) for r in rows]
    for name, way in ways.items():
        assert [way(r) for r in rows] == expected, f"{name} builds another object"
    print(f"# {args.n:,} rows; every way builds what the codec builds", flush=True)
    best: dict[str, float] = {}
    for _ in range(args.repeat):  # interleaved, so a drift of the machine hits all alike
        for name, way in ways.items():
            start = time.perf_counter()
            for r in rows:
                way(r)
            seconds = time.perf_counter() - start
            best[name] = min(best.get(name, seconds), seconds)
    for name, seconds in best.items():
        print(
            json.dumps(
                {
                    "way": name,
                    "us_per_row": round(seconds / args.n * 1e6, 2),
                    "speed_vs_hand_written": round(best["hand-written"] / seconds, 2),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
