"""Bounded memory: compiled rulebooks are freed, and registries leave nothing behind.

Two runs, each printing the resident set size (``/proc/self/statm``) as it goes::

    PYTHONPATH=src python bench/bench_memory.py rulesets --n 5000
    PYTHONPATH=src python bench/bench_memory.py registries --n 1500

* ``rulesets``: one catalogue whose parameter has ``--n`` versions, one a day, so each day has
  its own rule set in force; every day's rulebook is compiled by ``--engine`` and matched once.
  The catalogue keeps at most ``GRIDCONNECT_RULEBOOK_CACHE`` rulebooks (256 by default); the
  others, and durable's rulesets, must be freed.
* ``registries``: ``--n`` times, build the default registry (every installed plugin), decide
  one application with it and drop it.

The last line is JSON: the RSS (MiB) after each tenth of the run and the ratio of the mean of
the last tenth to the mean of the first tenth (flat memory: close to 1). Not a test by itself;
``tests/test_hostile.py`` runs it briefly and checks the ratio.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

_PAGE = os.sysconf("SC_PAGE_SIZE")
_START = date(2020, 1, 1)
_EXAMPLE = (
    Path(__file__).resolve().parent.parent
    / "examples"
    / "applications"
    / "guangzhou-180kw-small-enterprise.json"
)


def rss_mib() -> float:
    """Resident set size now, in MiB."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * _PAGE / 2**20


def _catalogue(n: int, rules: int = 10) -> Any:
    from gridconnect.rules.catalogue import NATIONAL, Catalogue, Jurisdiction
    from gridconnect.rules.loader import parse_rules
    from gridconnect.rules.model import Text

    versions = [
        {
            "value": 100 + i,
            "effective_from": _START + timedelta(days=i),
            "effective_until": _START + timedelta(days=i),
            "citation": {"ref": "c"},
        }
        for i in range(n)
    ]
    data = {
        "jurisdiction": NATIONAL,
        "citations": {"c": {"title": "t", "issuer": "i", "confidence": "press", "quote": "q"}},
        "parameters": [
            {
                "name": "cn.cap_kw",
                "title": {"en": "cap", "zh": "上限"},
                "unit": "kW",
                "versions": versions,
            }
        ],
        "rules": [
            {
                "id": f"cn.bench.r{k}",
                "title": {"en": "r", "zh": "r"},
                "effective_from": _START,
                "when": {
                    "and": [
                        {"fact": "capacity.kw", "le": {"param": "cn.cap_kw"}},
                        {"fact": "applicant.kind", "in": ["resident", "small_micro_enterprise"]},
                    ]
                },
                "then": {f"service.bench_{k}": True},
                "citation": {"ref": "c"},
            }
            for k in range(rules)
        ],
    }
    source = parse_rules(data, "<bench>")
    national = Jurisdiction(code=NATIONAL, name=Text(en="China", zh="中国"), alias="cn")
    return Catalogue([national], [source])


def run_rulesets(n: int, engine_name: str, rules: int = 10) -> list[float]:
    """RSS after each tenth of ``n`` distinct rule sets compiled and matched."""
    from gridconnect.decide.evaluate import get_engine

    engine = get_engine(engine_name)
    catalogue = _catalogue(n, rules)
    facts = {"capacity.kw": 150.0, "applicant.kind": "resident"}
    marks: list[float] = []
    step = max(1, n // 10)
    for i in range(n):
        book = catalogue.rulebook("CN", _START + timedelta(days=i))
        book.matcher(engine).match(facts)
        del book
        if (i + 1) % step == 0:
            gc.collect()
            marks.append(rss_mib())
    return marks


def run_registries(n: int, engine_name: str) -> list[float]:
    """RSS after each tenth of ``n`` registries built, used once and dropped."""
    import gridconnect
    from gridconnect.plugins.registry import Registry

    app = gridconnect.load_application(_EXAMPLE)
    marks: list[float] = []
    step = max(1, n // 10)
    for i in range(n):
        registry = Registry()
        gridconnect.evaluate(app, engine=engine_name, registry=registry)
        del registry
        if (i + 1) % step == 0:
            gc.collect()
            marks.append(rss_mib())
    return marks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["rulesets", "registries"])
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--engine", default="durable", choices=["durable", "reference"])
    parser.add_argument("--rules", type=int, default=10, help="rules per rule set (rulesets)")
    args = parser.parse_args(argv)
    n = args.n or (5000 if args.what == "rulesets" else 1500)
    if args.what == "rulesets":
        marks = run_rulesets(n, args.engine, args.rules)
    else:
        marks = run_registries(n, args.engine)
    ratio = marks[-1] / marks[0]
    print(
        f"{args.what} x {n} on {args.engine}: RSS (MiB) by tenth: "
        + ", ".join(f"{m:.0f}" for m in marks)
        + f"; last/first tenth {ratio:.3f}",
        file=sys.stderr,
    )
    print(
        json.dumps({"what": args.what, "n": n, "engine": args.engine, "rss": marks, "ratio": ratio})
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
