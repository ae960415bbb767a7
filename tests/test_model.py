"""Tests for the attrs model, its validators, the hypothesis strategies and the JSON Schema.

The strategies in :mod:`gridconnect.testing.strategies` promise values that pass every
validator; these tests hold them to it, and check each validator rejects what it should.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from gridconnect.errors import FieldValueError, UnitError
from gridconnect.model import (
    AccessWorks,
    Applicant,
    ApplicantKind,
    Application,
    Area,
    Capacity,
    CapacityUnit,
    CreditCode,
    Crossing,
    DivisionCode,
    Document,
    LayingMethod,
    Ownership,
    ProjectFacts,
    ResidentId,
    RouteSegment,
    ServiceKind,
    Site,
    SupplyMode,
    Utility,
    UtilityRequest,
    VoltageLevel,
)
from gridconnect.model.codec import load_file, unstructure
from gridconnect.model.schema import application_schema
from gridconnect.testing import _id_strategies
from gridconnect.testing import strategies as gs

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "applications").glob("*.json"))

SETTINGS = settings(max_examples=examples(100), deadline=None)
FEW = settings(max_examples=examples(40), deadline=None)

RESIDENT_ID = ResidentId("11010519491231002X")
CREDIT_CODE = CreditCode("91110000600037341L")


def _revalidate(value: Any) -> None:
    """Run every field validator and every whole-object check again, all the way down."""
    if attrs.has(type(value)):
        attrs.validate(value)
        assert attrs.evolve(value) == value  # __attrs_post_init__ runs again
        for f in attrs.fields(type(value)):
            _revalidate(getattr(value, f.name))
    elif isinstance(value, tuple):
        for item in value:
            _revalidate(item)


def _resident(**changes: Any) -> Applicant:
    fields: dict[str, Any] = {
        "kind": ApplicantKind.RESIDENT,
        "name": "陈晓岚",
        "resident_id": RESIDENT_ID,
    }
    return Applicant(**(fields | changes))


def _organisation(**changes: Any) -> Applicant:
    fields: dict[str, Any] = {
        "kind": ApplicantKind.OTHER_ENTERPRISE,
        "name": "广州科瑞再生材料有限公司",
        "credit_code": CREDIT_CODE,
        "ownership": Ownership.PRIVATE,
    }
    return Applicant(**(fields | changes))


def _application(**changes: Any) -> Application:
    fields: dict[str, Any] = {
        "id": "GZ-2026-1",
        "applied_on": date(2026, 6, 8),
        "applicant": _organisation(),
        "site": Site(division=DivisionCode("440106")),
        "service": ServiceKind.NEW_CONNECTION,
        "capacity": Capacity(value=Decimal(160), unit=CapacityUnit.KW),
    }
    return Application(**(fields | changes))


def _segment(segment_id: str = "S1", **changes: Any) -> RouteSegment:
    fields: dict[str, Any] = {
        "id": segment_id,
        "length_m": Decimal(100),
        "laying": LayingMethod.DUCT_BANK,
    }
    return RouteSegment(**(fields | changes))


# --------------------------------------------------------------------------------------------
# The strategies produce valid values
# --------------------------------------------------------------------------------------------


@SETTINGS
@given(gs.applications())
def test_every_generated_application_validates(app: Application) -> None:
    """Generated applications pass every validator and every cross-field check."""
    _revalidate(app)
    if app.applicant.kind is ApplicantKind.RESIDENT:
        assert app.applicant.resident_id is not None
        assert app.applicant.credit_code is None
        assert app.applicant.ownership is None
    else:
        assert app.applicant.credit_code is not None
        assert app.applicant.resident_id is None
    if app.supply_mode is SupplyMode.DUAL:
        assert app.voltage is None or not app.voltage.is_low
    assert Utility.ELECTRICITY not in {r.utility for r in app.bundle}
    assert {d.kind for d in app.documents} <= set(gs.DOCUMENT_KINDS)
    assert date(2020, 1, 1) <= app.applied_on <= date(2026, 12, 31)


def _at_most_three_places(number: Decimal) -> bool:
    exponent = number.as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -3


@FEW
@given(gs.applications())
def test_generated_decimals_have_at_most_three_places(app: Application) -> None:
    """Three decimal places at most, so the float in the JSON text converts back exactly."""
    numbers = [app.capacity.value]
    numbers += [app.power_factor] if app.power_factor is not None else []
    numbers += [s.length_m for s in app.works.segments]
    numbers += [s.length_m for r in app.bundle for s in r.segments]
    assert all(_at_most_three_places(n) for n in numbers)


PART_STRATEGIES: dict[type[Any], st.SearchStrategy[Any]] = {
    Capacity: gs.capacities(),
    Applicant: gs.applicants(),
    Site: gs.sites(),
    Document: gs.documents(),
    ProjectFacts: gs.project_facts(),
    RouteSegment: gs.route_segments(),
    AccessWorks: gs.access_works(),
    UtilityRequest: gs.utility_requests(),
}


@pytest.mark.parametrize("cls", PART_STRATEGIES, ids=lambda c: c.__name__)
def test_every_part_strategy_builds_valid_values(cls: type[Any]) -> None:
    @FEW
    @given(PART_STRATEGIES[cls])
    def check(value: Any) -> None:
        assert isinstance(value, cls)
        _revalidate(value)

    check()


@FEW
@given(gs.applications(divisions=["440106", DivisionCode("441202")]))
def test_applications_can_be_restricted_to_divisions(app: Application) -> None:
    assert app.site.division.value in ("440106", "441202")


@FEW
@given(gs.applications(applied_on=st.just(date(2026, 3, 2))))
def test_applications_take_an_applied_on_strategy(app: Application) -> None:
    assert app.applied_on == date(2026, 3, 2)


def test_sites_refuse_an_empty_division_list() -> None:
    with pytest.raises(ValueError, match="at least one"):
        gs.sites(divisions=[])


def test_sites_refuse_an_invalid_division() -> None:
    with pytest.raises(FieldValueError):
        gs.sites(divisions=["99"])


def test_strategies_module_exports_identifier_strategies() -> None:
    """The identifier strategies are re-exported, and every exported name exists."""
    assert gs.credit_codes is _id_strategies.credit_codes
    assert gs.resident_ids is _id_strategies.resident_ids
    assert gs.division_codes is _id_strategies.division_codes
    for name in gs.__all__:
        assert hasattr(gs, name), name


def test_power_factor_is_given_about_half_the_time_with_kva() -> None:
    """Both kVA with and kVA without a power factor are generated (the UnitError path)."""
    seen: set[tuple[CapacityUnit, bool]] = set()

    @settings(max_examples=examples(100), deadline=None, derandomize=True, database=None)
    @given(gs.applications())
    def collect(app: Application) -> None:
        seen.add((app.capacity.unit, app.power_factor is None))

    collect()
    assert {(CapacityUnit.KVA, True), (CapacityUnit.KVA, False)} <= seen


@FEW
@given(gs.applications())
def test_generated_applications_are_hashable(app: Application) -> None:
    """Frozen values can be set members and cache keys; equal values hash equally."""
    assert hash(app) == hash(attrs.evolve(app))
    assert len({app, attrs.evolve(app)}) == 1


# --------------------------------------------------------------------------------------------
# Capacity and units
# --------------------------------------------------------------------------------------------


def test_kva_capacity_without_power_factor_raises_unit_error() -> None:
    """kVA is never compared with kW silently: the conversion needs a power factor."""
    capacity = Capacity(value=Decimal(1600), unit=CapacityUnit.KVA)
    with pytest.raises(UnitError) as caught:
        capacity.kilowatts(None)
    assert "power_factor" in caught.value.en
    assert "功率因数" in caught.value.zh
    assert capacity.kilowatts(Decimal("0.9")) == Decimal(1440)
    assert capacity.kilovolt_amperes(None) == Decimal(1600)


def test_kw_capacity_needs_power_factor_only_for_kva() -> None:
    capacity = Capacity(value=Decimal(160), unit=CapacityUnit.KW)
    assert capacity.kilowatts(None) == Decimal(160)
    with pytest.raises(UnitError):
        capacity.kilovolt_amperes(None)
    assert capacity.kilovolt_amperes(Decimal("0.8")) == Decimal(200)


@FEW
@given(gs.capacities(), gs.power_factors())
def test_unit_conversion_needs_power_factor_exactly_across_units(
    capacity: Capacity, power_factor: Decimal
) -> None:
    if capacity.unit is CapacityUnit.KVA:
        with pytest.raises(UnitError):
            capacity.kilowatts(None)
        assert capacity.kilowatts(power_factor) == capacity.value * power_factor
    else:
        assert capacity.kilowatts(None) == capacity.value
        with pytest.raises(UnitError):
            capacity.kilovolt_amperes(None)


@pytest.mark.parametrize(
    "value", [Decimal(0), Decimal(-1), Decimal(10_000_001), Decimal("NaN"), Decimal("Infinity")]
)
def test_capacity_must_be_positive_finite_and_at_most_10_gw(value: Decimal) -> None:
    with pytest.raises(FieldValueError) as caught:
        Capacity(value=value, unit=CapacityUnit.KW)
    assert caught.value.field == "value"


@pytest.mark.parametrize("power_factor", [Decimal(0), Decimal("-0.5"), Decimal("1.001")])
def test_power_factor_must_be_in_zero_to_one(power_factor: Decimal) -> None:
    with pytest.raises(FieldValueError) as caught:
        _application(power_factor=power_factor)
    assert caught.value.field == "power_factor"
    assert _application(power_factor=Decimal(1)).power_factor == 1


# --------------------------------------------------------------------------------------------
# Applicants
# --------------------------------------------------------------------------------------------


def test_resident_with_credit_code_is_rejected() -> None:
    with pytest.raises(FieldValueError) as caught:
        _resident(credit_code=CREDIT_CODE)
    assert caught.value.field in ("resident_id", "credit_code")


def test_resident_without_resident_id_is_rejected() -> None:
    with pytest.raises(FieldValueError) as caught:
        _resident(resident_id=None)
    assert caught.value.field == "resident_id"


def test_resident_with_ownership_is_rejected() -> None:
    with pytest.raises(FieldValueError) as caught:
        _resident(ownership=Ownership.PRIVATE)
    assert caught.value.field == "ownership"


@pytest.mark.parametrize(
    "changes",
    [{"credit_code": None}, {"resident_id": RESIDENT_ID}],
    ids=["no-credit-code", "with-resident-id"],
)
def test_organisation_needs_credit_code_and_no_resident_id(changes: dict[str, Any]) -> None:
    with pytest.raises(FieldValueError) as caught:
        _organisation(**changes)
    assert caught.value.field == "credit_code"


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_applicant_name_must_be_non_blank_and_at_most_200_characters(name: str) -> None:
    with pytest.raises(FieldValueError) as caught:
        _organisation(name=name)
    assert caught.value.field == "name"


def test_resident_repr_masks_name_and_id() -> None:
    """A resident's name and ID number are personal data: repr shows neither in full."""
    text = repr(_application(applicant=_resident()))
    assert RESIDENT_ID.value not in text
    assert "陈晓岚" not in text
    assert "陈**" in text
    assert RESIDENT_ID.masked in text


def test_organisation_repr_shows_name_and_credit_code() -> None:
    text = repr(_organisation())
    assert "广州科瑞再生材料有限公司" in text
    assert CREDIT_CODE.value in text


# --------------------------------------------------------------------------------------------
# Application-level checks
# --------------------------------------------------------------------------------------------


def test_document_kinds_must_be_unique() -> None:
    docs = (Document(kind="identity"), Document(kind="identity"))
    with pytest.raises(FieldValueError) as caught:
        _application(documents=docs)
    assert caught.value.field == "documents"


@pytest.mark.parametrize("kind", ["", "Identity", "1st", "load list", "x" * 65])
def test_document_kind_must_be_a_slug(kind: str) -> None:
    with pytest.raises(FieldValueError):
        Document(kind=kind)


@pytest.mark.parametrize("voltage", [VoltageLevel.V220, VoltageLevel.V380])
def test_dual_supply_is_refused_with_low_voltage(voltage: VoltageLevel) -> None:
    with pytest.raises(FieldValueError) as caught:
        _application(voltage=voltage, supply_mode=SupplyMode.DUAL)
    assert caught.value.field == "supply_mode"


@pytest.mark.parametrize("voltage", [None, VoltageLevel.KV10, VoltageLevel.KV110])
def test_dual_supply_is_allowed_with_high_or_no_voltage(voltage: VoltageLevel | None) -> None:
    app = _application(voltage=voltage, supply_mode=SupplyMode.DUAL)
    assert app.supply_mode is SupplyMode.DUAL


def test_project_milestones_must_be_in_order() -> None:
    with pytest.raises(FieldValueError) as caught:
        ProjectFacts(project_approval=date(2026, 3, 1), construction_permit=date(2026, 2, 1))
    assert caught.value.field == "construction_permit"
    # Missing milestones are skipped; equal dates are in order.
    facts = ProjectFacts(project_approval=date(2026, 1, 1), completion_acceptance=date(2026, 1, 1))
    assert facts.completion_acceptance == date(2026, 1, 1)


def test_segment_ids_must_be_unique() -> None:
    with pytest.raises(FieldValueError) as caught:
        AccessWorks(segments=(_segment("S1"), _segment("S1")))
    assert caught.value.field == "segments"
    with pytest.raises(FieldValueError):
        UtilityRequest(utility=Utility.WATER, segments=(_segment("W1"), _segment("W1")))


def test_crossings_must_be_unique_and_works_report_each_once() -> None:
    with pytest.raises(FieldValueError):
        _segment(crossings=(Crossing.RAILWAY, Crossing.RAILWAY))
    works = AccessWorks(
        segments=(
            _segment("S1", crossings=(Crossing.RAILWAY, Crossing.TREES)),
            _segment("S2", length_m=Decimal("20.5"), crossings=(Crossing.TREES,)),
        )
    )
    assert works.length_m == Decimal("120.5")
    assert sorted(works.crossings) == sorted({Crossing.RAILWAY, Crossing.TREES})


@pytest.mark.parametrize("length", [Decimal(0), Decimal(-5), Decimal(100_001)])
def test_segment_length_must_be_positive_and_at_most_100_km(length: Decimal) -> None:
    with pytest.raises(FieldValueError):
        _segment(length_m=length)


@pytest.mark.parametrize("segment_id", ["", "-S1", "S 1", "段1", "x" * 65])
def test_segment_id_must_be_a_plain_identifier(segment_id: str) -> None:
    with pytest.raises(FieldValueError):
        _segment(segment_id)


def test_electricity_is_never_a_bundled_request() -> None:
    with pytest.raises(FieldValueError) as caught:
        UtilityRequest(utility=Utility.ELECTRICITY)
    assert caught.value.field == "utility"


def test_bundle_asks_for_each_utility_once() -> None:
    bundle = (UtilityRequest(utility=Utility.GAS), UtilityRequest(utility=Utility.GAS))
    with pytest.raises(FieldValueError) as caught:
        _application(bundle=bundle)
    assert caught.value.field == "bundle"


@pytest.mark.parametrize(
    "details",
    [{"Bad Key": 1}, {"size": 1.5}, {"size": None}, {"size": [1]}, {"1size": 1}],
)
def test_bundle_details_are_slug_keys_with_scalar_values(details: dict[str, Any]) -> None:
    with pytest.raises(FieldValueError) as caught:
        UtilityRequest(utility=Utility.WATER, details=details)
    assert caught.value.field == "details"


def test_bundle_details_are_frozen() -> None:
    source = {"pressure": "medium", "bandwidth_mbps": 1000}
    request = UtilityRequest(utility=Utility.GAS, details=source)
    source["pressure"] = "high"
    assert request.details["pressure"] == "medium"
    with pytest.raises(TypeError):
        request.details["pressure"] = "high"  # type: ignore[index]


def test_site_defaults_to_urban_and_address_must_not_be_blank() -> None:
    assert Site(division=DivisionCode("440106")).area is Area.URBAN
    with pytest.raises(FieldValueError):
        Site(division=DivisionCode("440106"), address=" ")


# --------------------------------------------------------------------------------------------
# JSON Schema
# --------------------------------------------------------------------------------------------


def _model_classes() -> dict[str, type[Any]]:
    """Every attrs class reachable from Application, by name."""
    found: dict[str, type[Any]] = {}
    pending: list[Any] = [Application]
    while pending:
        t = pending.pop()
        if t in (CreditCode, DivisionCode, ResidentId):
            continue  # identifiers are JSON strings, not objects
        if attrs.has(t) and t.__name__ not in found:
            found[t.__name__] = t
            attrs.resolve_types(t)
            pending += [f.type for f in attrs.fields(t)]
        else:
            pending += list(getattr(t, "__args__", ()))
    return found


def test_schema_is_json_serialisable() -> None:
    schema = application_schema()
    assert json.loads(json.dumps(schema, ensure_ascii=False)) == schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_schema_required_fields_are_the_fields_without_defaults() -> None:
    """For every model class the schema requires exactly the attrs fields without a default,
    lists every field as a property, and allows no other."""
    defs = application_schema()["$defs"]
    classes = _model_classes()
    assert set(defs) == set(classes)
    for name, cls in classes.items():
        fields = attrs.fields(cls)
        assert defs[name]["required"] == [f.name for f in fields if f.default is attrs.NOTHING]
        assert list(defs[name]["properties"]) == [f.name for f in fields]
        assert defs[name]["additionalProperties"] is False


def test_schema_references_resolve_and_enums_list_their_values() -> None:
    schema = application_schema()
    text = json.dumps(schema)
    for name in schema["$defs"]:
        assert f'"#/$defs/{name}"' in text or name == "Application"
    assert schema["$ref"] == "#/$defs/Application"
    applicant = schema["$defs"]["Applicant"]["properties"]
    assert applicant["kind"]["enum"] == [k.value for k in ApplicantKind]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_validates_against_the_schema(path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), application_schema())
    jsonschema.validate(unstructure(load_file(path, Application)), application_schema())


def test_generated_applications_validate_against_the_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = application_schema()

    @FEW
    @given(gs.applications())
    def check(app: Application) -> None:
        jsonschema.validate(json.loads(json.dumps(unstructure(app))), schema)

    check()
