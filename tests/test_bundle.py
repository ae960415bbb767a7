"""一次办: bundling never adds work, does not depend on order, and asks for each document once."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import attrs
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from gridconnect.decide.bundle import BundlePlan, FieldSpec, UtilityRequirement, plan_bundle
from gridconnect.decide.calendar import national_calendar
from gridconnect.decide.evaluate import plan_for
from gridconnect.model import Application, RouteSegment, Utility
from gridconnect.plugins.registry import Registry
from gridconnect.rules.model import Citation, Confidence, Limit, Text
from gridconnect.testing.strategies import applications, route_segments

CITE = Citation(title="t", issuer="i", confidence=Confidence.PRESS)
OTHERS = [u for u in Utility if u is not Utility.ELECTRICITY]
REQUIREMENTS = [
    UtilityRequirement(
        jurisdiction="CN",
        utility=u,
        offered=True,
        provider=Text(en="p", zh="p"),
        citation=CITE,
        fields=(FieldSpec(name="demand", title=Text(en="demand", zh="需求")),),
        documents=("property_certificate", "planning_permit"),
    )
    for u in OTHERS
]
SECTIONS = ["A路", "B路", "C路"]


def permits_of(segment: RouteSegment) -> frozenset[str]:
    return frozenset(f"permit_for_{c.value}" for c in segment.crossings) | {"planning"}


def plan(app: Application) -> BundlePlan:
    return plan_bundle(
        app,
        chain=["CN"],
        requirements=REQUIREMENTS,
        required_documents=["business_licence", "property_certificate"],
        permits_of=permits_of,
        limits={"stage.whole_process": (Limit(amount=15), "r")},
        calendar=national_calendar(strict=False),
    )


@st.composite
def sectioned(draw: st.DrawFn) -> RouteSegment:
    segment = draw(route_segments())
    return attrs.evolve(segment, road_section=draw(st.none() | st.sampled_from(SECTIONS)))


@st.composite
def bundled_applications(draw: st.DrawFn) -> Application:
    app = draw(applications(applied_on=st.dates(date(2024, 1, 1), date(2026, 6, 30))))

    def segments(prefix: str) -> tuple[RouteSegment, ...]:
        segs = draw(st.lists(sectioned(), max_size=3))
        return tuple(attrs.evolve(s, id=f"{prefix}{i}") for i, s in enumerate(segs))

    utilities = draw(st.lists(st.sampled_from(OTHERS), unique=True, max_size=4))
    from gridconnect.model import UtilityRequest

    bundle = tuple(
        UtilityRequest(utility=u, details={"demand": 1}, segments=segments(u.value[0]))
        for u in utilities
    )
    return attrs.evolve(app, works=attrs.evolve(app.works, segments=segments("e")), bundle=bundle)


def work(p: BundlePlan) -> tuple[int, int, float]:
    s = p.savings
    return s.excavations_bundled, s.approvals_bundled, float(s.trench_m_bundled)


@settings(max_examples=examples(150), deadline=None)
@given(bundled_applications())
def test_bundling_never_needs_more_approvals_excavations_or_trench_than_separate_requests(
    app: Application,
) -> None:
    s = plan(app).savings
    assert s.excavations_bundled <= s.excavations_separate
    assert s.approvals_bundled <= s.approvals_separate
    assert s.trench_m_bundled <= s.trench_m_separate


@settings(max_examples=examples(100), deadline=None)
@given(bundled_applications(), st.randoms(use_true_random=False))
def test_the_plan_does_not_depend_on_the_order_of_utilities_or_segments(
    app: Application, rnd
) -> None:  # type: ignore[no-untyped-def]
    bundle = list(app.bundle)
    rnd.shuffle(bundle)
    shuffled_bundle = tuple(
        attrs.evolve(r, segments=tuple(rnd.sample(r.segments, len(r.segments)))) for r in bundle
    )
    works = attrs.evolve(
        app.works, segments=tuple(rnd.sample(app.works.segments, len(app.works.segments)))
    )
    other = attrs.evolve(app, bundle=shuffled_bundle, works=works)
    first, second = plan(app).to_dict(), plan(other).to_dict()
    # Problem paths name the position in the input list; everything else is identical.
    first.pop("missing"), second.pop("missing")
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)


@settings(max_examples=examples(100), deadline=None)
@given(bundled_applications())
def test_a_document_is_never_requested_twice(app: Application) -> None:
    kinds = [d.kind for d in plan(app).documents]
    assert len(kinds) == len(set(kinds))


@settings(max_examples=examples(100), deadline=None)
@given(bundled_applications(), st.data())
def test_removing_a_utility_from_a_bundle_never_adds_work(
    app: Application, data: st.DataObject
) -> None:
    if not app.bundle:
        return
    drop = data.draw(st.sampled_from(app.bundle))
    smaller = attrs.evolve(app, bundle=tuple(r for r in app.bundle if r is not drop))
    before, after = work(plan(app)), work(plan(smaller))
    assert all(a <= b for a, b in zip(after, before, strict=True))


@settings(max_examples=examples(60), deadline=None)
@given(bundled_applications())
def test_every_field_a_utility_needs_is_on_the_one_form_or_reported_missing(
    app: Application,
) -> None:
    p = plan(app)
    assert {(e.utility, e.field) for e in p.form} == {(u, "demand") for u in p.utilities[1:]}
    assert p.confirmation == p.utilities


def test_a_jurisdiction_that_offers_no_bundle_for_a_utility_says_so() -> None:
    from gridconnect.model.codec import load_file

    path = (
        Path(__file__).parent.parent / "examples" / "applications" / "guangzhou-nansha-bundle.json"
    )
    app = load_file(path, Application)
    plan_ = plan_for(
        app, engine="reference", registry=Registry(disable=["guangzhou"], environment=False)
    )
    assert [u.value for u, _ in plan_.unavailable] == ["gas", "network", "water"]
    assert plan_.utilities == (Utility.ELECTRICITY,)
