"""Strata benchmark: rules that read other rules' conclusions, and the cost of unknown facts.

Every figure is a ratio measured in this one process, as in ``bench_engines.py``:

1. **Strata.** A rulebook of 16 rules in three strata (supply from ``capacity.kw`` and
   ``voltage.requested``; track from ``slot:supply``, ``applicant.kind`` and ``capacity.kw``;
   time limits and approval from ``slot:track``/``slot:supply`` and ``works.external``), with
   Foshan rules that override Guangdong ones, on generated applications. Per application:

   * ``match_rulebook(...)`` (its ``.matched``): facts derived from the ``Application``, each
     stratum matched, precedence resolved between strata (cached per combination) so that the
     next stratum reads the slots; and ``match_rulebook(...).decide()``, the whole decision.
   * **hand-written**: one plain Python function from the ``Application`` to the decided
     supply, track, limits and approval, strata chained by hand with ``if``/``else`` (precedence
     written into the order of the tests). Checked to decide the same as ``decide()`` on every
     application. It is timed from the ``Application`` and, like ``bench_engines.py``'s
     baseline, from the facts ``facts_of`` derives; the target (reference engine ÷ hand-written
     at least 0.5) is against the latter, where both sides derive the facts.
   * **raw durable**: the rulebook's own durable_rules rulesets, one per stratum, driven by bare
     C API calls as in ``bench_engines.raw_durable``; the facts of each application serialised
     in advance, the slots an earlier stratum decided appended from pre-serialised fragments,
     precedence resolved by hand (the deeper jurisdiction's rule wins). It does not derive the
     facts from the ``Application``; the table also shows it with ``facts_of`` added. Checked
     to fire the same rules as ``match_rulebook(...).matched``. Target: durable ÷ raw at
     least 0.5.

2. **Unknowns.** On the shipped rules (default registry), the Guangzhou 180 kW example with
   its capacity given as 220 kVA: ``evaluate(app, engine=...)`` without a power factor (``capacity.kw``
   unknown: three-valued matching, undetermined slots, questions) ÷ the same with the power
   factor (full decision), both warm.

    python bench/bench_strata.py [--n 3000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engines import rate

import gridconnect
from gridconnect.decide.evaluate import get_engine, match_rulebook, rulebook_for
from gridconnect.engine.durable import _load
from gridconnect.model import Application
from gridconnect.model.application import AccessWorks, Capacity, RouteSegment
from gridconnect.model.codec import load_file
from gridconnect.model.enums import (
    ApplicantKind,
    CapacityUnit,
    LayingMethod,
    VoltageLevel,
)
from gridconnect.plugins.registry import Registry
from gridconnect.rules.catalogue import Jurisdiction, Rulebook
from gridconnect.rules.conditions import parse_condition
from gridconnect.rules.facts import SLOT_PREFIX, facts_of
from gridconnect.rules.loader import RuleSource
from gridconnect.rules.model import Citation, Confidence, Limit, Rule, Text

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "applications"
BEFORE_NATIONAL = date(2019, 6, 3)  # no shipped national rule is in force yet
CITE = Citation(title="Bench", issuer="Bench", confidence=Confidence.PRIMARY)
CHAIN = [
    Jurisdiction(code="440000", name=Text(en="Guangdong", zh="广东省"), alias="gd", parent="CN"),
    Jurisdiction(code="440600", name=Text(en="Foshan", zh="佛山市"), alias="fs", parent="440000"),
]
LV = ["220V", "380V"]
HV = ["10kV", "20kV", "35kV", "110kV"]


def rule(id: str, then: dict[str, object], when: dict[str, object]) -> Rule:
    return Rule(
        id=id,
        title=Text(en=id, zh=id),
        jurisdiction="440600" if id.startswith("fs.") else "440000",
        effective_from=date(2000, 1, 1),
        citation=CITE,
        then=then,  # type: ignore[arg-type]
        when=parse_condition(when),
    )


def every(*items: dict[str, object]) -> dict[str, object]:
    return {"and": list(items)}


RULES = [
    # stratum 0: supply
    rule("gd.supply.low", {"supply": "low_voltage"}, {"fact": "capacity.kw", "le": 160}),
    rule("gd.supply.high", {"supply": "high_voltage"}, {"fact": "capacity.kw", "gt": 160}),
    rule(
        "fs.supply.low",
        {"supply": "low_voltage"},
        every({"fact": "capacity.kw", "le": 200}, {"fact": "voltage.requested", "in": LV}),
    ),
    rule("fs.supply.high", {"supply": "high_voltage"}, {"fact": "voltage.requested", "in": HV}),
    # stratum 1: track
    rule(
        "gd.track.three_zero",
        {"track": "three_zero"},
        every(
            {"slot": "supply", "eq": "low_voltage"},
            {"fact": "applicant.kind", "in": ["resident", "small_micro_enterprise"]},
        ),
    ),
    rule(
        "gd.track.three_save",
        {"track": "three_save"},
        every(
            {"slot": "supply", "eq": "low_voltage"},
            {"fact": "applicant.kind", "in": ["other_enterprise", "public_institution"]},
        ),
    ),
    rule("gd.track.standard", {"track": "standard"}, {"slot": "supply", "eq": "high_voltage"}),
    rule(
        "fs.track.three_save",
        {"track": "three_save"},
        every(
            {"slot": "supply", "eq": "high_voltage"},
            {"fact": "capacity.kw", "le": 630},
            {"fact": "applicant.kind", "ne": "resident"},
        ),
    ),
    # approval (reads supply: stratum 1) and limits (read track: stratum 2)
    rule(
        "gd.approval.exempt",
        {"approval.mode": "exempt"},
        every({"fact": "works.external", "eq": True}, {"slot": "supply", "eq": "low_voltage"}),
    ),
    rule(
        "gd.approval.filing",
        {"approval.mode": "filing", "approval.limit": Limit(amount=10)},
        every({"fact": "works.external", "eq": True}, {"slot": "supply", "eq": "high_voltage"}),
    ),
    rule(
        "gd.limit.three_zero",
        {"stage.whole_process": Limit(amount=5)},
        {"slot": "track", "eq": "three_zero"},
    ),
    rule(
        "fs.limit.three_zero",
        {"stage.whole_process": Limit(amount=2)},
        every({"slot": "track", "eq": "three_zero"}, {"fact": "works.external", "eq": False}),
    ),
    rule(
        "gd.limit.three_save",
        {"stage.whole_process": Limit(amount=15)},
        {"slot": "track", "eq": "three_save"},
    ),
    rule(
        "gd.limit.standard",
        {"stage.whole_process": Limit(amount=30)},
        {"slot": "track", "eq": "standard"},
    ),
    rule(
        "fs.limit.standard",
        {"stage.whole_process": Limit(amount=40)},
        every({"slot": "track", "eq": "standard"}, {"fact": "works.external", "eq": True}),
    ),
    rule(
        "fs.limit.internal",
        {"stage.internal": Limit(amount=3)},
        every(
            {"slot": "track", "eq": "three_zero"},
            {"slot": "supply", "eq": "low_voltage"},
            {"fact": "works.external", "eq": False},
        ),
    ),
]


class Plugin:
    """A plugin built in Python with the same classes a TOML file produces."""

    def gridconnect_jurisdictions(self) -> list[Jurisdiction]:
        return CHAIN

    def gridconnect_rule_sources(self) -> list[RuleSource]:
        by_j: dict[str, list[Rule]] = {}
        for r in RULES:
            by_j.setdefault(r.jurisdiction, []).append(r)
        return [RuleSource(jurisdiction=j, rules=tuple(rs)) for j, rs in by_j.items()]


def applications(n: int, rnd: random.Random) -> list[Application]:
    """Foshan applications (a resident and an enterprise template) with varied kind, capacity,
    voltage and external works; all in kW, so nothing is unknown."""
    resident = load_file(EXAMPLES / "foshan-resident.json", Application)
    firm = load_file(EXAMPLES / "guangzhou-180kw-small-enterprise.json", Application)
    firm = attrs.evolve(firm, site=resident.site)
    segment = RouteSegment(id="s1", length_m=Decimal(120), laying=LayingMethod.DIRECT_BURIAL)
    out = []
    for _ in range(n):
        kind = rnd.choice(list(ApplicantKind))
        base = resident if kind is ApplicantKind.RESIDENT else firm
        applicant = attrs.evolve(base.applicant, kind=kind)
        voltage = rnd.choice([*VoltageLevel, None])
        out.append(
            attrs.evolve(
                base,
                applied_on=BEFORE_NATIONAL,
                applicant=applicant,
                capacity=Capacity(
                    value=Decimal(rnd.choice([8, 60, 150, 160, 180, 200, 400, 630, 1400])),
                    unit=CapacityUnit.KW,
                ),
                voltage=voltage,
                works=AccessWorks(segments=(segment,) if rnd.random() < 0.4 else ()),
            )
        )
    return out


_LOW_KINDS = (ApplicantKind.RESIDENT, ApplicantKind.SMALL_MICRO_ENTERPRISE)
_LOW_KIND_VALUES = ("resident", "small_micro_enterprise")
_LV = (VoltageLevel.V220, VoltageLevel.V380)
_HV = (VoltageLevel.KV10, VoltageLevel.KV20, VoltageLevel.KV35, VoltageLevel.KV110)
_L2, _L3, _L5, _L10 = Limit(amount=2), Limit(amount=3), Limit(amount=5), Limit(amount=10)
_L15, _L30, _L40 = Limit(amount=15), Limit(amount=30), Limit(amount=40)


def hand_written(app: Application) -> tuple[Any, ...]:
    """The same decisions as plain Python, strata chained by hand, Foshan tests first."""
    cap = app.capacity
    if cap.unit is CapacityUnit.KW:
        kw: float | None = float(cap.value)
    elif app.power_factor is not None:
        kw = float(cap.value * app.power_factor)
    else:
        kw = None
    volt = app.voltage
    kind = app.applicant.kind
    external = bool(app.works.segments)
    # stratum 0
    if volt in _HV:
        supply = "high_voltage"
    elif kw is None:
        supply = None
    elif (kw <= 200 and volt in _LV) or kw <= 160:
        supply = "low_voltage"
    else:
        supply = "high_voltage"
    # stratum 1
    track = mode = approval_limit = None
    if supply == "low_voltage":
        track = "three_zero" if kind in _LOW_KINDS else "three_save"
        if external:
            mode = "exempt"
    elif supply == "high_voltage":
        if kw is not None and kw <= 630 and kind is not ApplicantKind.RESIDENT:
            track = "three_save"
        else:
            track = "standard"
        if external:
            mode, approval_limit = "filing", _L10
    # stratum 2
    internal = None
    if track == "three_zero":
        whole = _L5 if external else _L2
        if supply == "low_voltage" and not external:
            internal = _L3
    elif track == "three_save":
        whole = _L15
    elif track == "standard":
        whole = _L40 if external else _L30
    else:
        whole = None
    return supply, track, whole, internal, mode, approval_limit


def hand_on_facts(f: Mapping[str, Any]) -> tuple[Any, ...]:
    """:func:`hand_written` on the facts ``facts_of`` derives (a mapping), as in bench_engines."""
    kw = f["capacity.kw"]
    volt = f["voltage.requested"]
    kind = f["applicant.kind"]
    external = f["works.external"]
    if volt in HV:
        supply = "high_voltage"
    elif kw is None:
        supply = None
    elif (kw <= 200 and volt in LV) or kw <= 160:
        supply = "low_voltage"
    else:
        supply = "high_voltage"
    track = mode = approval_limit = None
    if supply == "low_voltage":
        track = "three_zero" if kind in _LOW_KIND_VALUES else "three_save"
        if external:
            mode = "exempt"
    elif supply == "high_voltage":
        track = "three_save" if kw is not None and kw <= 630 and kind != "resident" else "standard"
        if external:
            mode, approval_limit = "filing", _L10
    internal = None
    if track == "three_zero":
        whole = _L5 if external else _L2
        if supply == "low_voltage" and not external:
            internal = _L3
    elif track == "three_save":
        whole = _L15
    elif track == "standard":
        whole = _L40 if external else _L30
    else:
        whole = None
    return supply, track, whole, internal, mode, approval_limit


def decided(decision: Any) -> tuple[Any, ...]:
    return (
        decision.supply,
        decision.track,
        decision.value("stage.whole_process"),
        decision.value("stage.internal"),
        decision.value("approval.mode"),
        decision.value("approval.limit"),
    )


def raw_durable_strata(
    book: Rulebook, engine: Any, apps: Sequence[Application]
) -> tuple[Callable[[], None], Callable[[], list[list[int]]]]:
    """The rulebook's rulesets, one per stratum, chained by hand with bare C API calls."""
    module = _load()
    strata = []  # per stratum: start, matcher, slot fragments per (key, value)
    for k, positions in enumerate(book.strata):
        matcher = book.matcher(engine, k)
        slot_frags: dict[str, tuple[str, dict[Any, str]]] = {}
        for key, prefix, name, encode in matcher._encoders:
            if name.startswith(SLOT_PREFIX):
                slot = name[len(SLOT_PREFIX) :]
                values = {v for b in book.rules for s, v in b.rule.then.items() if s == slot}
                frags = {v: prefix + t for v in values if (t := encode(v)) is not None}
                slot_frags[key] = (slot, frags)
        chunks = [
            (
                c.ruleset.handle,
                f'{{"sid":"{c.ruleset.sid}","id":"gridconnect-facts","~r":0',
                f'{{"sid":"{c.ruleset.sid}","id":"gridconnect-facts"}}',
                c.keys,
                c.positions,
            )
            for c in matcher._chunks
        ]
        strata.append((positions.start, matcher, slot_frags, chunks))
    then = [tuple(b.rule.then.items()) for b in book.rules]  # rulebook order: deeper wins
    messages = []  # per application, per stratum: the fact fragments of each chunk
    for app in apps:
        values = facts_of(app).values
        per_stratum = []
        for _, matcher, slot_frags, chunks in strata:
            fragments = {}
            for key, prefix, name, encode in matcher._encoders:
                if key not in slot_frags and (text := encode(values.get(name))) is not None:
                    fragments[key] = prefix + text
            per_stratum.append([[fragments[k] for k in c[3] if k in fragments] for c in chunks])
        messages.append(per_stratum)

    def one(per_stratum: list[list[list[str]]]) -> list[int]:
        fired: list[int] = []
        slots: dict[str, Any] = {}
        for (start, _, slot_frags, chunks), fact_parts in zip(strata, per_stratum, strict=True):
            here: list[int] = []
            for (handle, head, retract, keys, positions), parts in zip(
                chunks, fact_parts, strict=True
            ):
                extra = [
                    f
                    for key in keys
                    if key in slot_frags
                    and (f := slot_frags[key][1].get(slots.get(slot_frags[key][0]))) is not None
                ]
                code, state = module.assert_fact(handle, ",".join([head, *parts, *extra]) + "}")
                if code == 0:
                    result = module.start_action_for_state(handle, state)
                    if result is not None:
                        activation = result[1]
                        while activation:
                            here.append(positions[activation[2 : activation.index('"', 2)]])
                            activation = module.complete_and_start_action(handle, state)
                module.retract_fact(handle, retract)
            here.sort()
            for i in here:
                fired.append(start + i)
                for slot, value in then[start + i]:
                    slots[slot] = value
        return fired

    def run() -> None:
        for per_stratum in messages:
            one(per_stratum)

    def answers() -> list[list[int]]:
        return [one(m) for m in messages]

    return run, answers


def over(function: Callable[[Any], Any], items: Sequence[Any]) -> Callable[[], None]:
    def run() -> None:
        for item in items:
            function(item)

    return run


def strata_part(n: int, seed: int) -> None:
    reg = Registry(entry_points=False, environment=False, plugins=[("bench", Plugin())])
    apps = applications(n, random.Random(seed))
    book = rulebook_for(apps[0], registry=reg)
    assert len(book.rules) == len(RULES), book
    calendar = reg.calendar(book.jurisdictions[-1].code, strict=False)
    ref, dur = get_engine("reference"), get_engine("durable")
    for app in apps:
        expected = hand_written(app)
        assert hand_on_facts(facts_of(app).values) == expected, app
        for eng in (ref, dur):
            got = decided(match_rulebook(app, book, eng, calendar).decide())
            assert got == expected, (eng.name, app, got, expected)
    raw_run, raw_answers = raw_durable_strata(book, dur, apps)
    for app, fired in zip(apps, raw_answers(), strict=True):
        assert list(match_rulebook(app, book, dur, calendar).matched) == fired, app
    counts = [len(book.strata[k]) for k in range(len(book.strata))]
    print(f"{len(RULES)} rules in strata of {counts}; {n} applications (per second, best of 3)")

    def path(eng: Any, whole: bool) -> Callable[[Application], Any]:
        if whole:
            return lambda app: match_rulebook(app, book, eng, calendar).decide()
        return lambda app: match_rulebook(app, book, eng, calendar).matched

    r_hand = rate(over(hand_written, apps), n)
    r_facts = rate(over(facts_of, apps), n)
    r_hand_facts = rate(over(lambda app: hand_on_facts(facts_of(app).values), apps), n)
    r_raw = rate(raw_run, n)
    r_raw_facts = 1 / (1 / r_raw + 1 / r_facts)
    print(f"  hand-written chained function   {r_hand:>10,.0f}")
    print(f"  facts_of alone                  {r_facts:>10,.0f}")
    print(f"  facts_of + hand-written on them {r_hand_facts:>10,.0f}")
    print(f"  raw durable, strata by hand     {r_raw:>10,.0f}")
    print(f"  raw durable + facts_of          {r_raw_facts:>10,.0f}")
    print(
        f"{'engine':>10}  {'path':>7}  {'apps/s':>8}  {'÷ hand':>6}  {'÷ facts+hand':>12}  "
        f"{'÷ raw':>5}  {'÷ raw+facts':>11}"
    )
    for eng in (ref, dur):
        for whole in (False, True):
            r = rate(over(path(eng, whole), apps), n)
            raw = f"{r / r_raw:>5.2f}  {r / r_raw_facts:>11.2f}" if eng is dur else ""
            print(
                f"{eng.name:>10}  {'decide' if whole else 'matched':>7}  {r:>8,.0f}  "
                f"{r / r_hand:>6.2f}  {r / r_hand_facts:>12.2f}  {raw}".rstrip()
            )


def unknowns_part(n: int) -> None:
    app = load_file(EXAMPLES / "guangzhou-180kw-small-enterprise.json", Application)
    # 220 kVA: 0 to 220 kW, on either side of Guangzhou's 200 kW cap (180 kVA, at most 180 kW,
    # is decided by its bound without a question)
    kva = Capacity(value=Decimal(220), unit=CapacityUnit.KVA)
    unknown = attrs.evolve(app, capacity=kva, power_factor=None)
    known = attrs.evolve(app, capacity=kva, power_factor=Decimal("0.9"))
    print(f"\nshipped rules, {app.id} in kVA; evaluate() per second, warm, best of 3")
    print(f"{'engine':>10}  {'no pf':>8}  {'with pf':>8}  {'ratio':>6}  questions")
    for engine in ("reference", "durable"):
        asked = gridconnect.evaluate(unknown, engine=engine)
        full = gridconnect.evaluate(known, engine=engine)
        assert asked.questions, asked
        assert asked.undetermined, asked
        assert not full.questions, full
        assert not full.undetermined, full
        r_unknown = rate(
            over(lambda a, e=engine: gridconnect.evaluate(a, engine=e), [unknown] * n), n
        )
        r_known = rate(over(lambda a, e=engine: gridconnect.evaluate(a, engine=e), [known] * n), n)
        fields = ", ".join(sorted({q.path for q in asked.questions}))
        print(
            f"{engine:>10}  {r_unknown:>8,.0f}  {r_known:>8,.0f}  {r_unknown / r_known:>6.2f}  "
            f"{len(asked.questions)} ({fields}); undetermined: {', '.join(sorted(asked.undetermined))}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3_000, help="applications per measurement")
    parser.add_argument("--unknown-n", type=int, default=1_000, help="evaluations per figure")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    strata_part(args.n, args.seed)
    unknowns_part(args.unknown_n)


if __name__ == "__main__":
    main()
