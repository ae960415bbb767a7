"""Hypothesis strategies for every type of the application model.

Each strategy builds values that pass every validator of :mod:`gridconnect.model.application`,
so tests and plugins can use them without filtering: residents have a resident ID number and
no credit code or ownership, organisations have a credit code, document kinds and bundled
utilities are unique, project milestones are in order, dual supply never comes with a low
voltage, and every Decimal has at most three decimal places so that the JSON round trip is exact.

>>> from hypothesis import given, settings
>>> from gridconnect.model import ApplicantKind
>>> @settings(max_examples=10, database=None)
... @given(applications(divisions=["440106", "441202"]))
... def test_residents_never_have_a_credit_code(app):
...     assert str(app.site.division) in ("440106", "441202")
...     if app.applicant.kind is ApplicantKind.RESIDENT:
...         assert app.applicant.credit_code is None
>>> test_residents_never_have_a_credit_code()
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from gridconnect.model.application import (
    AccessWorks,
    Applicant,
    Application,
    Capacity,
    Document,
    ProjectFacts,
    RouteSegment,
    Site,
    UtilityRequest,
)
from gridconnect.model.enums import (
    ApplicantKind,
    Area,
    CapacityUnit,
    Channel,
    Crossing,
    DocumentForm,
    DocumentSource,
    LayingMethod,
    Ownership,
    ServiceKind,
    SupplyMode,
    Utility,
    VoltageLevel,
)
from gridconnect.model.identifiers import DivisionCode
from gridconnect.testing._id_strategies import credit_codes, division_codes, resident_ids

__all__ = [
    "DOCUMENT_KINDS",
    "access_works",
    "applicants",
    "applications",
    "capacities",
    "credit_codes",
    "division_codes",
    "documents",
    "power_factors",
    "project_facts",
    "resident_ids",
    "route_segments",
    "sites",
    "utility_requests",
]

#: The document kinds the strategies draw from (the slugs the national rules refer to).
DOCUMENT_KINDS: tuple[str, ...] = (
    "identity",
    "property_certificate",
    "business_licence",
    "project_approval",
    "land_use_permit",
    "planning_permit",
    "construction_permit",
    "load_list",
)

_MILESTONES = (
    "project_approval",
    "land_use_permit",
    "planning_permit",
    "construction_permit",
    "completion_acceptance",
)
_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}"
_SLUG_PATTERN = r"[a-z][a-z0-9_]{0,63}"
_RESIDENT_NAMES = ("陈晓岚", "李明", "王芳", "张伟", "刘洋", "欧阳娜娜", "Maria Chan")
_ORGANISATION_NAMES = (
    "广州禾木烘焙工作室有限公司",
    "广州科瑞再生材料有限公司",
    "中山市港口镇丰和五金店",
    "肇庆端砚文创科技有限公司",
    "Pearl River Precision Manufacturing Co., Ltd.",
)
_ROAD_SECTIONS = ("开源大道 K2+100–K2+520", "G107 国道", "海滨路 K0+000–K0+350")


def _text(max_len: int, examples: Iterable[str] = ()) -> st.SearchStrategy[str]:
    """Text the model's ``_text`` validator accepts: not blank, at most ``max_len`` characters."""
    any_text = st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=max_len).filter(
        lambda s: bool(s.strip())
    )
    realistic = list(examples)
    return st.one_of(st.sampled_from(realistic), any_text) if realistic else any_text


def _decimals(low: str, high: str | int) -> st.SearchStrategy[Decimal]:
    """Decimals in [low, high] with at most three decimal places (exact through JSON)."""
    return st.one_of(
        st.integers(min_value=max(1, int(Decimal(low))), max_value=int(high)).map(Decimal),
        st.decimals(
            min_value=Decimal(low),
            max_value=Decimal(high),
            places=3,
            allow_nan=False,
            allow_infinity=False,
        ),
    )


def _identifiers() -> st.SearchStrategy[str]:
    realistic = st.builds(
        lambda prefix, n: f"{prefix}{n}",
        st.sampled_from(("S", "E", "W", "G", "L", "GZ-TH-2026-")),
        st.integers(min_value=0, max_value=9999),
    )
    return st.one_of(realistic, st.from_regex(_ID_PATTERN, fullmatch=True))


def power_factors() -> st.SearchStrategy[Decimal]:
    """Power factors: greater than 0, at most 1, three decimal places at most."""
    return st.one_of(
        st.sampled_from([Decimal("0.85"), Decimal("0.9"), Decimal(1)]),
        st.decimals(min_value=Decimal("0.001"), max_value=Decimal(1), places=3, allow_nan=False),
    )


def capacities() -> st.SearchStrategy[Capacity]:
    """Requested capacities in kW or kVA, from 0.001 up to the 10 GW limit."""
    return st.builds(
        Capacity,
        value=_decimals("0.001", 10_000_000),
        unit=st.sampled_from(CapacityUnit),
    )


@st.composite
def _applicants(draw: st.DrawFn) -> Applicant:
    kind = draw(st.sampled_from(ApplicantKind))
    if kind is ApplicantKind.RESIDENT:
        return Applicant(
            kind=kind,
            name=draw(_text(200, _RESIDENT_NAMES)),
            resident_id=draw(resident_ids()),
        )
    return Applicant(
        kind=kind,
        name=draw(_text(200, _ORGANISATION_NAMES)),
        credit_code=draw(credit_codes()),
        ownership=draw(st.none() | st.sampled_from(Ownership)),
    )


def applicants() -> st.SearchStrategy[Applicant]:
    """Residents (with a resident ID number) and organisations (with a credit code)."""
    return _applicants()


def sites(divisions: Iterable[str | DivisionCode] | None = None) -> st.SearchStrategy[Site]:
    """Sites anywhere, or only in the given divisions (codes or :class:`DivisionCode`)."""
    if divisions is None:
        division: st.SearchStrategy[DivisionCode] = division_codes()
    else:
        codes = [d if isinstance(d, DivisionCode) else DivisionCode(d) for d in divisions]
        if not codes:
            raise ValueError("divisions must name at least one division code")
        division = st.sampled_from(codes)
    return st.builds(
        Site,
        division=division,
        area=st.sampled_from(Area),
        address=st.none() | _text(300, ("广州市黄埔区科学城开源大道（示例）",)),
    )


def documents(kinds: Iterable[str] = DOCUMENT_KINDS) -> st.SearchStrategy[Document]:
    """Documents of the given kinds (by default :data:`DOCUMENT_KINDS`), any form and source."""
    return st.builds(
        Document,
        kind=st.sampled_from(tuple(kinds)),
        form=st.sampled_from(DocumentForm),
        source=st.sampled_from(DocumentSource),
    )


@st.composite
def _project_facts(draw: st.DrawFn) -> ProjectFacts:
    start = draw(st.dates(min_value=date(2015, 1, 1), max_value=date(2026, 12, 31)))
    gaps = draw(
        st.lists(
            st.integers(min_value=0, max_value=400),
            min_size=len(_MILESTONES),
            max_size=len(_MILESTONES),
        )
    )
    dates: dict[str, date | None] = {}
    day = start
    for name, gap in zip(_MILESTONES, gaps, strict=True):
        day += timedelta(days=gap)
        dates[name] = day if draw(st.booleans()) else None
    return ProjectFacts(
        project_approval=dates["project_approval"],
        land_use_permit=dates["land_use_permit"],
        planning_permit=dates["planning_permit"],
        construction_permit=dates["construction_permit"],
        completion_acceptance=dates["completion_acceptance"],
        has_electricity_demand=draw(st.booleans()),
    )


def project_facts() -> st.SearchStrategy[ProjectFacts]:
    """Government project milestones, the dates given always in their legal order."""
    return _project_facts()


def route_segments() -> st.SearchStrategy[RouteSegment]:
    """Route segments up to 100 km long, each crossing listed at most once."""
    return st.builds(
        RouteSegment,
        id=_identifiers(),
        length_m=_decimals("0.001", 100_000),
        laying=st.sampled_from(LayingMethod),
        crossings=st.lists(st.sampled_from(Crossing), unique=True, max_size=3).map(tuple),
        road_section=st.none() | _text(200, _ROAD_SECTIONS),
    )


def _segment_tuples() -> st.SearchStrategy[tuple[RouteSegment, ...]]:
    return st.lists(route_segments(), max_size=3, unique_by=lambda s: s.id).map(tuple)


def access_works() -> st.SearchStrategy[AccessWorks]:
    """Access works: route segments with distinct ids, and perhaps a filing date."""
    return st.builds(
        AccessWorks,
        segments=_segment_tuples(),
        approval_filed_on=st.none()
        | st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 31)),
    )


def _details() -> st.SearchStrategy[dict[str, str | int | bool]]:
    value: st.SearchStrategy[str | int | bool] = st.one_of(
        st.text(max_size=20),
        st.integers(min_value=-(10**9), max_value=10**9),
        st.booleans(),
    )
    key = st.one_of(
        st.sampled_from(("pipe_diameter_mm", "daily_use_m3", "pressure", "bandwidth_mbps")),
        st.from_regex(_SLUG_PATTERN, fullmatch=True),
    )
    return st.dictionaries(key, value, max_size=4)


def utility_requests() -> st.SearchStrategy[UtilityRequest]:
    """Bundled requests for water, gas, heat or network (never electricity)."""
    return st.builds(
        UtilityRequest,
        utility=st.sampled_from([u for u in Utility if u is not Utility.ELECTRICITY]),
        details=_details(),
        segments=_segment_tuples(),
    )


@st.composite
def _applications(
    draw: st.DrawFn,
    divisions: Iterable[str | DivisionCode] | None,
    applied_on: st.SearchStrategy[date],
    capacity_strategy: st.SearchStrategy[Capacity] | None = None,
) -> Application:
    capacity = draw(capacity_strategy if capacity_strategy is not None else capacities())
    # With kVA the power factor is given about half the time (it is needed to compare with kW).
    if capacity.unit is CapacityUnit.KVA:
        power_factor = draw(power_factors()) if draw(st.booleans()) else None
    else:
        power_factor = draw(st.none() | power_factors())
    voltage = draw(st.none() | st.sampled_from(VoltageLevel))
    supply_mode = (
        SupplyMode.SINGLE
        if voltage is not None and voltage.is_low
        else draw(st.sampled_from(SupplyMode))
    )
    return Application(
        id=draw(_identifiers()),
        applied_on=draw(applied_on),
        applicant=draw(applicants()),
        site=draw(sites(divisions)),
        service=draw(st.sampled_from(ServiceKind)),
        capacity=capacity,
        power_factor=power_factor,
        voltage=voltage,
        supply_mode=supply_mode,
        channel=draw(st.sampled_from(Channel)),
        simple_case=draw(st.booleans()),
        documents=tuple(draw(st.lists(documents(), max_size=4, unique_by=lambda d: d.kind))),
        project=draw(st.none() | project_facts()),
        works=draw(access_works()),
        bundle=tuple(draw(st.lists(utility_requests(), max_size=2, unique_by=lambda r: r.utility))),
    )


def applications(
    divisions: Iterable[str | DivisionCode] | None = None,
    applied_on: st.SearchStrategy[date] | None = None,
    capacity: st.SearchStrategy[Capacity] | None = None,
) -> st.SearchStrategy[Application]:
    """Valid applications.

    ``divisions`` restricts the site to the given division codes; ``applied_on`` is a strategy
    for the application date (by default any day in 2020-2026); ``capacity`` one for the
    requested capacity (by default :func:`capacities`).
    """
    dates = (
        applied_on
        if applied_on is not None
        else st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 31))
    )
    codes = None if divisions is None else tuple(divisions)
    return _applications(codes, dates, capacity)
