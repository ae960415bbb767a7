"""Engine benchmark: applications per second for each engine at about 10, 50 and 200 rules.

Every figure is a ratio measured in this one process, against two baselines:

* **hand-written**: straight-line Python that reads each fact once into a local and tests it
  with plain operators, the code a person would write for these rules (generated here so that
  it makes the same decisions at any size): the practical limit in Python. Target: the reference
  engine reaches at least half its speed.
* **raw durable**: the same durable_rules rulesets driven by bare C API calls (``assert_fact``,
  ``start_action_for_state``/``complete_and_start_action``, ``retract_fact``) on messages
  serialised in advance, i.e. without the wrapper's encoding, checks and lock. Target: the
  durable engine, trace (the rules that fired) included, reaches at least half its speed.

Every engine's answers are checked against the reference engine before anything is timed.

    python bench/bench_engines.py [--n 20000] [--sizes 10,50,200] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from gridconnect.engine.base import MatchRule
from gridconnect.engine.durable import DurableEngine, _load
from gridconnect.engine.reference import ReferenceEngine
from gridconnect.rules.conditions import And, Cmp, Condition, In, Quant

KINDS = ["resident", "small_micro_enterprise", "other_enterprise", "public_institution"]
VOLTAGES = ["220V", "380V", "10kV", "20kV", "35kV", "110kV"]
CROSSINGS = ["urban_main_road", "secondary_road", "national_highway", "railway", "green_space"]
SERVICES = ["new_connection", "capacity_increase", "transfer_of_account"]


def make_rules(n: int, rnd: random.Random) -> list[MatchRule]:
    """Rules shaped like the shipped ones: two or three tests joined by ``and``."""
    tests: list[Callable[[], Condition]] = [
        lambda: Cmp(
            "capacity.kw", rnd.choice(["le", "gt"]), float(rnd.choice([50, 100, 160, 200, 630]))
        ),
        lambda: Cmp("applicant.kind", "eq", rnd.choice(KINDS)),
        lambda: In("voltage.requested", tuple(rnd.sample(VOLTAGES, 2))),
        lambda: Cmp("works.external", "eq", rnd.random() < 0.5),
        lambda: Cmp("site.area", "eq", rnd.choice(["urban", "rural"])),
        lambda: Cmp("service", "eq", rnd.choice(SERVICES)),
        lambda: Quant("any", "works.crossings", In("", tuple(rnd.sample(CROSSINGS, 2)))),
        lambda: Cmp("applied_on", "ge", date(rnd.choice([2020, 2022, 2025]), 6, 3)),
    ]
    rules = []
    for i in range(n):
        picks = rnd.sample(tests, rnd.choice([2, 3]))
        rules.append(MatchRule(f"r{i}", And(tuple(p() for p in picks))))
    return rules


def make_facts(n: int, rnd: random.Random) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        voltage = rnd.choice([*VOLTAGES, None])
        crossings = sorted(rnd.sample(CROSSINGS, rnd.choice([0, 0, 1, 2])))
        out.append(
            {
                "capacity.kw": float(rnd.choice([8, 60, 150, 180, 400, 1400])),
                "applicant.kind": rnd.choice(KINDS),
                "voltage.requested": voltage,
                "works.external": bool(crossings) or rnd.random() < 0.2,
                "site.area": rnd.choice(["urban", "urban", "rural"]),
                "service": rnd.choice(SERVICES),
                "works.crossings": crossings,
                "applied_on": date(rnd.randint(2020, 2026), rnd.randint(1, 12), rnd.randint(1, 28)),
            }
        )
    return out


def hand_written(rules: Sequence[MatchRule]) -> Callable[[Mapping[str, Any]], list[int]]:
    """Straight-line Python: each fact read once into a local, plain operators, no checks."""
    local = {
        "capacity.kw": "kw",
        "applicant.kind": "kind",
        "voltage.requested": "volt",
        "works.external": "ext",
        "site.area": "area",
        "service": "svc",
        "works.crossings": "cross",
        "applied_on": "day",
    }
    ops = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}

    def expr(c: Condition) -> str:
        if isinstance(c, And):
            return " and ".join(expr(i) for i in c.items)
        if isinstance(c, Cmp):
            value = f"_d{c.value.toordinal()}" if isinstance(c.value, date) else repr(c.value)
            return f"{local[c.path]} {ops[c.op]} {value}"
        if isinstance(c, In):
            return f"{local[c.path]} in {c.values!r}"
        assert isinstance(c, Quant)
        assert isinstance(c.where, In)
        return f"not {local[c.path]}.isdisjoint({set(c.where.values)!r})"

    lines = ["def hand(f):"]
    lines += [f"    {v} = f[{k!r}]" for k, v in local.items() if k != "works.crossings"]
    lines += ["    cross = set(f['works.crossings'])", "    out = []", "    add = out.append"]
    lines += [f"    if {expr(r.condition)}: add({i})" for i, r in enumerate(rules)]
    lines += ["    return out"]
    dates = {f"_d{y}": date(y, 6, 3) for y in (2020, 2022, 2025)}
    namespace: dict[str, Any] = {f"_d{d.toordinal()}": d for d in dates.values()}
    exec("\n".join(lines), namespace)
    function: Callable[[Mapping[str, Any]], list[int]] = namespace["hand"]
    return function


def raw_durable(matcher: Any, corpus: Sequence[Mapping[str, Any]]) -> Callable[[], None]:
    """Bare C API calls on the matcher's own rulesets, with messages serialised in advance."""
    module = _load()
    chunks = matcher._chunks
    messages = []
    for facts in corpus:
        fragments = {}
        for key, prefix, name, encode in matcher._encoders:
            text = encode(facts.get(name))
            if text is not None:
                fragments[key] = prefix + text
        per_chunk = []
        for chunk in chunks:
            head = f'{{"sid":"{chunk.ruleset.sid}","id":"gridconnect-facts","~r":0'
            parts = [head] + [fragments[k] for k in chunk.keys if k in fragments]
            retract = f'{{"sid":"{chunk.ruleset.sid}","id":"gridconnect-facts"}}'
            per_chunk.append(
                (chunk.ruleset.handle, ",".join(parts) + "}", retract, chunk.positions)
            )
        messages.append(per_chunk)

    def run() -> None:
        for per_chunk in messages:
            fired = []
            for handle, message, retract, positions in per_chunk:
                code, state = module.assert_fact(handle, message)
                if code == 0:
                    result = module.start_action_for_state(handle, state)
                    if result is not None:
                        activation = result[1]
                        while activation:
                            fired.append(positions[activation[2 : activation.index('"', 2)]])
                            activation = module.complete_and_start_action(handle, state)
                module.retract_fact(handle, retract)

    return run


def over(
    match: Callable[[Mapping[str, Any]], list[int]], corpus: Sequence[Mapping[str, Any]]
) -> Callable[[], None]:
    """A run of ``match`` over the corpus, for :func:`rate`."""

    def run() -> None:
        for facts in corpus:
            match(facts)

    return run


def rate(run: Callable[[], None], n: int, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return n / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="applications per measurement")
    parser.add_argument("--sizes", default="10,50,200")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rnd = random.Random(args.seed)
    corpus = make_facts(args.n, rnd)
    print(
        f"{'rules':>5}  {'hand-written':>12}  {'reference':>10}  {'ref/hand':>8}  "
        f"{'raw durable':>11}  {'durable':>8}  {'dur/raw':>7}  (applications per second)"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        rules = make_rules(size, rnd)
        hand = hand_written(rules)
        ref = ReferenceEngine().compile(rules)
        dur = DurableEngine().compile(rules)
        sample = corpus[: min(2_000, len(corpus))]
        for facts in sample:
            expected = ref.match(facts)
            assert hand(facts) == expected, "the hand-written function disagrees"
            assert dur.match(facts) == expected, "the durable engine disagrees"
        durable_corpus = corpus[: max(1, len(corpus) // 4)]
        r_hand = rate(over(hand, corpus), len(corpus))
        r_ref = rate(over(ref.match, corpus), len(corpus))
        r_raw = rate(raw_durable(dur, durable_corpus), len(durable_corpus))
        r_dur = rate(over(dur.match, durable_corpus), len(durable_corpus))
        print(
            f"{size:>5}  {r_hand:>12,.0f}  {r_ref:>10,.0f}  {r_ref / r_hand:>8.2f}  "
            f"{r_raw:>11,.0f}  {r_dur:>8,.0f}  {r_dur / r_raw:>7.2f}"
        )
        dur.close()


if __name__ == "__main__":
    main()
