"""The facts a rule can read: a flat, typed view of an application.

Rules never see the model objects. They see this table of dotted paths, each with a declared
type, so a rule file can be checked when it is loaded (a path that does not exist, a capacity
compared with a date, an enum value that is not one) and so both engines read the same values.

A fact has a value, is *absent* (an optional fact the application leaves out on purpose, such as
a requested voltage the applicant leaves to the utility: a known answer), or is *unknown*: the
application does not say and it cannot be derived (a capacity in kVA without a power factor has
no kW figure; an organisation that does not state its ownership). Only the facts marked
``unknowable`` can be unknown; the rules' tests on them are then unknown too (three-valued
logic, see :mod:`gridconnect.decide.resolution`). An unknown number may still be *bounded* by a known
one (:attr:`FactType.at_most`, :attr:`FactType.at_least`): a power factor is at most 1, so kW is
at most the kVA figure and kVA at least the kW figure, and a comparison the bound settles is
decided (:func:`gridconnect.rules.conditions.three_valued`). Conditions may also read *slots*,
the conclusions of other rules, under the path ``slot:<slot>`` (:func:`fact_type` types them).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

import attrs

from gridconnect.errors import UnitError
from gridconnect.model.application import Application
from gridconnect.model.enums import (
    ApplicantKind,
    Area,
    Channel,
    Crossing,
    LayingMethod,
    Ownership,
    ServiceKind,
    SupplyMode,
    Utility,
    VoltageLevel,
)
from gridconnect.rules.slots import slot_type

__all__ = [
    "FACTS",
    "SLOT_PREFIX",
    "FactType",
    "Facts",
    "fact_bounds",
    "fact_type",
    "facts_of",
    "slot_fact_type",
]

Kind = Literal["enum", "number", "date", "bool", "text", "list", "records"]


@attrs.frozen(kw_only=True)
class FactType:
    """The type of one fact: what values it takes, in which unit, and whether it may be absent."""

    kind: Kind
    values: frozenset[str] | None = None  # allowed values of an enum
    unit: str | None = None  # of a number
    item: FactType | None = None  # of a list
    fields: Mapping[str, FactType] | None = None  # of each record in a list of records
    optional: bool = False
    unknowable: bool = False  # the application may leave it unknown (see the module docs)
    doc: str = ""
    #: When this number is unknown, it is at most the value of the number fact at this path
    #: (``capacity.kw`` is at most ``capacity.kva``: a power factor is at most 1).
    at_most: str | None = None
    #: When this number is unknown, it is at least the value of the number fact at this path.
    at_least: str | None = None

    @property
    def scalar(self) -> bool:
        return self.kind not in ("list", "records")

    def describe(self) -> str:
        if self.kind == "enum" and self.values:
            return "one of " + ", ".join(sorted(self.values))
        if self.kind == "number":
            return f"number ({self.unit})"
        if self.kind == "list" and self.item is not None:
            return f"list of {self.item.describe()}"
        if self.kind == "records" and self.fields is not None:
            return "list of records {" + ", ".join(sorted(self.fields)) + "}"
        return self.kind


def _enum(cls: type[Any], doc: str, optional: bool = False) -> FactType:
    return FactType(kind="enum", values=frozenset(m.value for m in cls), optional=optional, doc=doc)


def _num(
    unit: str,
    doc: str,
    unknowable: bool = False,
    at_most: str | None = None,
    at_least: str | None = None,
) -> FactType:
    return FactType(
        kind="number",
        unit=unit,
        unknowable=unknowable,
        doc=doc,
        at_most=at_most,
        at_least=at_least,
    )


def _date(doc: str) -> FactType:
    return FactType(kind="date", optional=True, doc=doc)


def _bool(doc: str) -> FactType:
    return FactType(kind="bool", doc=doc)


_TEXT_LIST = FactType(kind="list", item=FactType(kind="text"))
_CROSSINGS = FactType(kind="list", item=_enum(Crossing, "what is crossed"))

FACTS: Mapping[str, FactType] = {
    "applied_on": FactType(kind="date", doc="date of application"),
    "applicant.kind": _enum(ApplicantKind, "resident, small/micro enterprise, ..."),
    "applicant.ownership": FactType(
        kind="enum",
        values=frozenset(m.value for m in Ownership),
        optional=True,
        unknowable=True,
        doc="ownership of an organisation (absent for a resident, unknown if not stated)",
    ),
    "site.division": FactType(kind="text", doc="GB/T 2260 code of the site"),
    "site.area": _enum(Area, "urban or rural"),
    "service": _enum(ServiceKind, "what is applied for"),
    "capacity.kw": _num(
        "kW",
        "requested capacity in kW (unknown: kVA without power factor; then at most the kVA)",
        True,
        at_most="capacity.kva",
    ),
    "capacity.kva": _num(
        "kVA",
        "requested capacity in kVA (unknown: kW without power factor; then at least the kW)",
        True,
        at_least="capacity.kw",
    ),
    "voltage.requested": _enum(VoltageLevel, "requested supply voltage", optional=True),
    "voltage.requested_class": FactType(
        kind="enum",
        values=frozenset({"low", "high"}),
        optional=True,
        doc="low (220/380 V) or high voltage, as requested",
    ),
    "supply_mode": _enum(SupplyMode, "single or dual supply"),
    "channel": _enum(Channel, "where the application was made"),
    "simple_case": _bool("classified by the utility as a simple (简易) or typical case"),
    "documents.kinds": FactType(kind="list", item=FactType(kind="text"), doc="documents given"),
    "documents.e_licence": FactType(
        kind="list", item=FactType(kind="text"), doc="documents taken from the e-licence library"
    ),
    "documents.tolerance_letter": _bool("a 容缺受理 letter stands in for some document"),
    "documents.paper": _bool("some document was given on paper"),
    "project.known": _bool("government project facts are attached"),
    "project.has_electricity_demand": _bool("the project declares electricity demand"),
    "project.project_approval": _date("立项 date"),
    "project.land_use_permit": _date("用地规划许可 date"),
    "project.planning_permit": _date("工程规划许可 date"),
    "project.construction_permit": _date("施工许可 date"),
    "project.completion_acceptance": _date("竣工验收 date"),
    "works.external": _bool("external access works (外线工程) are needed"),
    "works.length_m": _num("m", "total route length"),
    "works.crossings": _CROSSINGS,
    "works.segments": FactType(
        kind="records",
        fields={
            "length_m": _num("m", "segment length"),
            "laying": _enum(LayingMethod, "laying method"),
            "crossings": _CROSSINGS,
        },
        doc="route segments",
    ),
    "bundle.utilities": FactType(
        kind="list", item=_enum(Utility, "utility"), doc="other utilities requested together"
    ),
}
"""Every fact path a rule may read, with its type."""


SLOT_PREFIX = "slot:"
"""Conditions read the conclusion of a slot under this prefix: ``slot:supply``."""


def slot_fact_type(slot: str) -> FactType | None:
    """The type of a slot read as a fact, or None if the slot does not exist or cannot be read
    (time limits and notes are not values a condition can test).

    >>> slot_fact_type("supply").values == frozenset({"low_voltage", "high_voltage"})
    True
    >>> slot_fact_type("stage.whole_process") is None
    True
    """
    stype = slot_type(slot)
    if stype is None or stype.kind in ("limit", "text"):
        return None
    doc = f"the decided {slot}"
    if stype.kind == "enum":
        return FactType(kind="enum", values=stype.values, optional=True, unknowable=True, doc=doc)
    if stype.kind == "int":
        return FactType(kind="number", unit="count", optional=True, unknowable=True, doc=doc)
    return FactType(kind="bool", optional=True, unknowable=True, doc=doc)


def fact_type(path: str) -> FactType | None:
    """The type of an application fact or of a slot read as ``slot:<slot>``; None if unknown."""
    if path.startswith(SLOT_PREFIX):
        return slot_fact_type(path[len(SLOT_PREFIX) :])
    return FACTS.get(path)


def fact_bounds(path: str) -> tuple[str | None, str | None]:
    """The facts that bound ``path`` when it is unknown: ``(at most, at least)``.

    >>> fact_bounds("capacity.kw"), fact_bounds("capacity.kva"), fact_bounds("site.area")
    (('capacity.kva', None), (None, 'capacity.kw'), (None, None))
    """
    ftype = fact_type(path)
    if ftype is None:
        return None, None
    return ftype.at_most, ftype.at_least


@attrs.frozen
class Facts:
    """The facts of one application. ``values`` maps every path of :data:`FACTS` to a value
    (``None`` when an optional fact is absent, and for an unknown fact); ``unknown`` names the
    facts the application leaves unknown."""

    values: Mapping[str, Any]
    unknown: frozenset[str]


def _number(value: Any) -> float:
    return float(value)


def facts_of(app: Application) -> Facts:
    """Derive the facts of an application. Numbers become floats, dates stay dates."""
    unknown: set[str] = set()
    values: dict[str, Any] = {}
    for path, convert in (
        ("capacity.kw", app.capacity.kilowatts),
        ("capacity.kva", app.capacity.kilovolt_amperes),
    ):
        try:
            values[path] = _number(convert(app.power_factor))
        except UnitError:
            values[path] = None
            unknown.add(path)
    applicant = app.applicant
    if applicant.ownership is None and applicant.kind is not ApplicantKind.RESIDENT:
        unknown.add("applicant.ownership")
    project = app.project
    docs = app.documents
    segments = app.works.segments
    values.update(
        {
            "applied_on": app.applied_on,
            "applicant.kind": app.applicant.kind.value,
            "applicant.ownership": applicant.ownership.value if applicant.ownership else None,
            "site.division": app.site.division.value,
            "site.area": app.site.area.value,
            "service": app.service.value,
            "voltage.requested": app.voltage.value if app.voltage else None,
            "voltage.requested_class": (
                None if app.voltage is None else ("low" if app.voltage.is_low else "high")
            ),
            "supply_mode": app.supply_mode.value,
            "channel": app.channel.value,
            "simple_case": app.simple_case,
            "documents.kinds": [d.kind for d in docs],
            "documents.e_licence": [d.kind for d in docs if d.source.value == "e_licence"],
            "documents.tolerance_letter": any(d.source.value == "tolerance_letter" for d in docs),
            "documents.paper": any(d.form.value == "paper" for d in docs),
            "project.known": project is not None,
            "project.has_electricity_demand": bool(project and project.has_electricity_demand),
            "works.external": bool(segments),
            "works.length_m": _number(app.works.length_m),
            "works.crossings": [c.value for c in app.works.crossings],
            "works.segments": [
                {
                    "length_m": _number(s.length_m),
                    "laying": s.laying.value,
                    "crossings": [c.value for c in s.crossings],
                }
                for s in segments
            ],
            "bundle.utilities": sorted(r.utility.value for r in app.bundle),
        }
    )
    for name in (
        "project_approval",
        "land_use_permit",
        "planning_permit",
        "construction_permit",
        "completion_acceptance",
    ):
        when: date | None = getattr(project, name) if project else None
        values[f"project.{name}"] = when
    return Facts(values=values, unknown=frozenset(unknown))
