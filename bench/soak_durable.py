"""Soak test of the durable engine: many evaluations in one process, memory must stay flat.

Runs ``--n`` evaluations (default 1,000,000) of ``--rules`` generated rules (default 50) over a
pool of generated applications' facts, checks a sample against the reference engine, and prints
the resident set size (VmRSS) after 10%, 50% and 100% of the evaluations::

    PYTHONPATH=src python bench/soak_durable.py --n 200000

Not a test: it takes minutes. Exit status 1 if an answer differed from the reference engine.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from datetime import date
from typing import Any

from gridconnect.engine.base import MatchRule
from gridconnect.engine.durable import DurableEngine
from gridconnect.engine.reference import ReferenceEngine
from gridconnect.rules.conditions import And, Cmp, Condition, In, Not, Op, Or, Present, Quant
from gridconnect.rules.facts import FACTS, FactType

NUMBERS = (0, 1, 0.5, 1e-05, 10, 100, 160, 1000, 2**53, 1e16)
TEXTS = ("", "10", "id", "sid", "营业执照", "张三", 'a"b', "1e-05")
DATES = (date(2020, 1, 1), date(2024, 2, 29), date(2025, 6, 30))
ORDERED: tuple[Op, ...] = ("eq", "ne", "lt", "le", "gt", "ge")


def rss_mb() -> float:
    """Current resident set size in MB (VmRSS; ru_maxrss, the peak, where /proc is missing)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def literal(r: random.Random, ftype: FactType) -> Any:
    if ftype.kind == "number":
        return r.choice(NUMBERS)
    if ftype.kind == "date":
        return r.choice(DATES)
    if ftype.kind == "bool":
        return r.random() < 0.5
    if ftype.kind == "enum" and ftype.values:
        return r.choice(sorted(ftype.values))
    return r.choice(TEXTS)


def condition(
    r: random.Random, scope: dict[str, FactType], item: FactType | None, depth: int
) -> Condition:
    roll = r.random()
    if depth and roll < 0.35:
        if roll < 0.07:
            return Not(condition(r, scope, item, depth - 1))
        items = tuple(condition(r, scope, item, depth - 1) for _ in range(r.randint(1, 3)))
        return And(items) if roll < 0.2 else Or(items)
    if item is not None:
        return Cmp("", r.choice(("eq", "ne")), literal(r, item))
    lists = [p for p, t in scope.items() if not t.scalar]
    if depth and lists and roll < 0.5:
        path = r.choice(lists)
        ftype = scope[path]
        if ftype.fields is not None:
            where = condition(r, dict(ftype.fields), None, depth - 1)
        else:
            where = condition(r, {}, ftype.item, depth - 1)
        return Quant(r.choice(("any", "every")), path, where)
    path = r.choice([p for p, t in scope.items() if t.scalar])
    ftype = scope[path]
    if ftype.optional and r.random() < 0.15:
        return Present(path, r.random() < 0.5)
    if r.random() < 0.2:
        return In(path, tuple(literal(r, ftype) for _ in range(r.randint(1, 3))))
    ops: tuple[Op, ...] = ORDERED if ftype.kind in ("number", "date") else ("eq", "ne")
    return Cmp(path, r.choice(ops), literal(r, ftype))


def value(r: random.Random, ftype: FactType) -> Any:
    if ftype.optional and r.random() < 0.3:
        return None
    if ftype.kind == "list":
        assert ftype.item is not None
        return [value(r, ftype.item) for _ in range(r.randint(0, 3))]
    if ftype.kind == "records":
        assert ftype.fields is not None
        return [
            {name: value(r, t) for name, t in ftype.fields.items()} for _ in range(r.randint(0, 3))
        ]
    if ftype.kind == "number":
        return float(r.choice(NUMBERS))
    return literal(r, ftype)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="evaluations (1,000,000)")
    parser.add_argument("--rules", type=int, default=50, help="rules (50)")
    parser.add_argument("--pool", type=int, default=2_000, help="distinct fact sets (2,000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    r = random.Random(args.seed)
    scope = dict(FACTS)
    rules = [MatchRule(f"r{i}", condition(r, scope, None, 3)) for i in range(args.rules)]
    pool = [{p: value(r, t) for p, t in FACTS.items()} for _ in range(args.pool)]
    matcher = DurableEngine().compile(rules)
    oracle = ReferenceEngine().compile(rules)
    expected = [oracle.match(f) for f in pool]
    print(
        f"{args.rules} rules in {len(matcher.rulesets)} rulesets, {args.n:,} evaluations, "
        f"Python {sys.version.split()[0]}; RSS at start {rss_mb():.1f} MB",
        flush=True,
    )

    checkpoints = {max(1, args.n // 10): "10%", max(1, args.n // 2): "50%", args.n: "100%"}
    mismatches = fired = 0
    started = time.perf_counter()
    for i in range(1, args.n + 1):
        index = i % args.pool
        got = matcher.match(pool[index])
        fired += len(got)
        if i % 97 == 0 and got != expected[index]:
            mismatches += 1
        if i in checkpoints:
            elapsed = time.perf_counter() - started
            print(
                f"{checkpoints[i]:>4} {i:>10,} evaluations  RSS {rss_mb():7.1f} MB  "
                f"{i / elapsed:8,.0f} evaluations/s",
                flush=True,
            )
    print(f"rules fired: {fired:,}; mismatches in the checked sample: {mismatches}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
