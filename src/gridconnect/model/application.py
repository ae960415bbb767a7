"""The application for a grid connection (用电报装申请) and everything it is made of.

Every class is frozen, slotted and keyword-only; validators sit beside the field they check and
raise :class:`~gridconnect.errors.FieldValueError` with a message in English and Chinese.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Self

import attrs

from gridconnect.errors import FieldValueError, UnitError
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
from gridconnect.model.identifiers import CreditCode, DivisionCode, ResidentId
from gridconnect.model.json_schema import json_field

if TYPE_CHECKING:
    from gridconnect.model.codec import JSONObject

__all__ = [
    "AccessWorks",
    "Applicant",
    "Application",
    "Capacity",
    "Document",
    "ProjectFacts",
    "RouteSegment",
    "Site",
    "UtilityRequest",
]

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_SLUG = re.compile(r"[a-z][a-z0-9_]{0,63}")
_MAX_CAPACITY = Decimal(10_000_000)  # 10 GW: anything larger is a typo, not an application


def _err(field: str, en: str, zh: str) -> FieldValueError:
    return FieldValueError(en, zh, field=field)


def _identifier(_: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not _ID.fullmatch(value):
        raise _err(
            attribute.name,
            "must be 1-64 letters, digits or . _ : - and start with a letter or digit",
            "须为 1-64 位字母、数字或 . _ : -，且以字母或数字开头",
        )


def _slug(_: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not _SLUG.fullmatch(value):
        raise _err(
            attribute.name,
            "must be lower-case letters, digits and _ , starting with a letter",
            "须为小写字母、数字和下划线，且以字母开头",
        )


def _text(max_len: int) -> Any:
    def check(_: Any, attribute: attrs.Attribute[str], value: str) -> None:
        if not value.strip():
            raise _err(attribute.name, "must not be empty", "不能为空")
        if len(value) > max_len:
            raise _err(
                attribute.name,
                f"must be at most {max_len} characters",
                f"不能超过 {max_len} 个字符",
            )

    return check


def _positive(limit: Decimal) -> Any:
    def check(_: Any, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
        if not value.is_finite() or value <= 0:
            raise _err(attribute.name, "must be a positive number", "须为正数")
        if value > limit:
            raise _err(attribute.name, f"must be at most {limit}", f"不能超过 {limit}")

    return check


def _unique(_: Any, attribute: attrs.Attribute[tuple[Any, ...]], value: tuple[Any, ...]) -> None:
    if len(set(value)) != len(value):
        raise _err(attribute.name, "lists a value twice", "有重复的值")


@attrs.frozen(kw_only=True)
class Capacity:
    """Requested capacity (报装容量) with its unit. kW and kVA are never compared silently.

    >>> Capacity(value=Decimal(160), unit=CapacityUnit.KW).kilowatts(None)
    Decimal('160')
    """

    #: The figure applied for, positive and at most 10 GW.
    value: Decimal = attrs.field(validator=_positive(_MAX_CAPACITY))
    #: kW (active power) or kVA (apparent power).
    unit: CapacityUnit

    def kilowatts(self, power_factor: Decimal | None) -> Decimal:
        """Active power in kW; a kVA figure needs the power factor to be converted."""
        if self.unit is CapacityUnit.KW:
            return self.value
        if power_factor is None:
            raise UnitError(
                "the capacity is in kVA and a rule compares it with kW: give power_factor "
                "(the Doing Business convention is 1.0)",
                "报装容量以 kVA 计，而规则以 kW 比较：请提供功率因数 power_factor"
                "（世界银行营商环境评估取 1.0）",
            )
        return self.value * power_factor

    def kilovolt_amperes(self, power_factor: Decimal | None) -> Decimal:
        """Apparent power in kVA; a kW figure needs the power factor to be converted."""
        if self.unit is CapacityUnit.KVA:
            return self.value
        if power_factor is None:
            raise UnitError(
                "the capacity is in kW and a rule compares it with kVA: give power_factor",
                "报装容量以 kW 计，而规则以 kVA 比较：请提供功率因数 power_factor",
            )
        return self.value / power_factor


@attrs.frozen(kw_only=True, repr=False)
class Applicant:
    """Who applies: a resident with a 居民身份证号码 or an organisation with a 统一社会信用代码."""

    #: Resident (居民) or the kind of organisation.
    kind: ApplicantKind
    #: The applicant's name (personal data for a resident: never shown in full by ``repr``).
    name: str = attrs.field(validator=_text(200))
    #: 居民身份证号码, for a resident only.
    resident_id: ResidentId | None = None
    #: 统一社会信用代码, for an organisation only.
    credit_code: CreditCode | None = None
    #: Ownership of an organisation (None for a resident, or when not given).
    ownership: Ownership | None = None

    def __attrs_post_init__(self) -> None:
        if self.kind is ApplicantKind.RESIDENT:
            if self.resident_id is None or self.credit_code is not None:
                raise _err(
                    "resident_id",
                    "a resident applies with resident_id (居民身份证号码) and no credit_code",
                    "居民须提供居民身份证号码 resident_id，不提供统一社会信用代码",
                )
            if self.ownership is not None:
                raise _err("ownership", "a resident has no ownership", "居民无所有制类型")
        elif self.credit_code is None or self.resident_id is not None:
            raise _err(
                "credit_code",
                "an organisation applies with credit_code (统一社会信用代码) and no resident_id",
                "单位须提供统一社会信用代码 credit_code，不提供居民身份证号码",
            )

    def __repr__(self) -> str:
        # A resident's name is personal data: show only its first character.
        name = self.name[:1] + "*" * (len(self.name) - 1) if self.resident_id else self.name
        ident = self.resident_id if self.resident_id is not None else self.credit_code
        return f"Applicant(kind={self.kind.value!r}, name={name!r}, id={ident!r})"


@attrs.frozen(kw_only=True)
class Site:
    """Where supply is wanted: a GB/T 2260 division (down to the district) and urban or rural."""

    #: GB/T 2260 administrative division code (行政区划代码), e.g. ``440112`` for 黄埔区.
    division: DivisionCode
    #: Urban (城镇) or rural (农村).
    area: Area = Area.URBAN
    #: The street address, free text (never read by a rule).
    address: str | None = attrs.field(default=None, validator=attrs.validators.optional(_text(300)))


@attrs.frozen(kw_only=True)
class Document:
    """A document supplied with the application, and how it was supplied."""

    #: The document kind, a lower-case slug such as ``property_certificate`` (see
    #: :doc:`/reference/catalogue` for the kinds the plugins declare).
    kind: str = attrs.field(validator=_slug)
    #: Paper or electronic.
    form: DocumentForm = DocumentForm.ELECTRONIC
    #: Who supplied it: the applicant, the e-licence library (电子证照库), or a tolerance
    #: letter (容缺受理函) standing in for it.
    source: DocumentSource = DocumentSource.APPLICANT


@attrs.frozen(kw_only=True)
class ProjectFacts:
    """Government project milestones (from the 工程建设项目审批 systems) used by 主动办."""

    #: Date of project approval (立项).
    project_approval: date | None = None
    #: Date of the land-use planning permit (用地规划许可).
    land_use_permit: date | None = None
    #: Date of the construction-works planning permit (工程规划许可).
    planning_permit: date | None = None
    #: Date of the construction permit (施工许可).
    construction_permit: date | None = None
    #: Date of the completion acceptance (竣工验收).
    completion_acceptance: date | None = None
    #: Whether the project will need electricity (a 主动办 case only if it does).
    has_electricity_demand: bool = True

    def __attrs_post_init__(self) -> None:
        order = [
            "project_approval",
            "land_use_permit",
            "planning_permit",
            "construction_permit",
            "completion_acceptance",
        ]
        seen: list[tuple[str, date]] = [
            (n, d) for n in order if (d := getattr(self, n)) is not None
        ]
        for (a, da), (b, db) in itertools.pairwise(seen):
            if db < da:
                raise _err(b, f"is earlier than {a}", f"早于 {a}")


@attrs.frozen(kw_only=True)
class RouteSegment:
    """One stretch of the access works (电力接入工程) route, and what it crosses."""

    #: The segment's identifier, unique within its route.
    id: str = attrs.field(validator=_identifier)
    #: Length in metres (at most 100 km).
    length_m: Decimal = attrs.field(validator=_positive(Decimal(100_000)))
    #: How the line is laid (overhead, buried, ...).
    laying: LayingMethod
    #: What the segment crosses (roads, green space, rivers, ...), each once.
    crossings: tuple[Crossing, ...] = attrs.field(default=(), validator=_unique)
    #: The road section it runs along, free text.
    road_section: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(_text(200))
    )


def _unique_ids(_: Any, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    ids = [s.id for s in value]
    if len(set(ids)) != len(ids):
        raise _err(attribute.name, "two segments share an id", "两段线路的 id 相同")


@attrs.frozen(kw_only=True)
class AccessWorks:
    """The external works that connect the site to the grid; empty when none are needed."""

    #: The route, segment by segment; empty when no external works are needed.
    segments: tuple[RouteSegment, ...] = attrs.field(default=(), validator=_unique_ids)
    #: The date the works were filed for approval; the approval limit counts from it.
    approval_filed_on: date | None = None

    @property
    def length_m(self) -> Decimal:
        """Total length of the route in metres."""
        return sum((s.length_m for s in self.segments), Decimal(0))

    @property
    def crossings(self) -> tuple[Crossing, ...]:
        """Everything the route crosses, each once, in a stable order."""
        return tuple(sorted({c for s in self.segments for c in s.crossings}))


def _freeze(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(sorted(value.items())))


def _details(_: Any, attribute: attrs.Attribute[Any], value: Mapping[str, Any]) -> None:
    for key, item in value.items():
        if not _SLUG.fullmatch(key):
            raise _err(attribute.name, "keys must be lower-case slugs", "键须为小写标识符")
        if not isinstance(item, str | int | bool) or isinstance(item, float):
            raise _err(
                attribute.name,
                "values must be text, integers or booleans",
                "值须为文本、整数或布尔值",
            )


@attrs.frozen(kw_only=True)
class UtilityRequest:
    """A request for another utility (water, gas, heat, network) in a bundled 一次办 application."""

    #: The other utility: water, gas, heat or network (水气热网).
    utility: Utility
    #: What the utility needs to know (slug keys; text, integer or boolean values).
    details: Mapping[str, str | int | bool] = attrs.field(
        factory=dict,
        converter=_freeze,
        validator=_details,
        hash=False,
        metadata=json_field(
            shape={
                "type": "object",
                "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
                "additionalProperties": {"type": ["string", "integer", "boolean"]},
            }
        ),
    )
    #: The utility's own route, when it has one (trenches shared with electricity are planned).
    segments: tuple[RouteSegment, ...] = attrs.field(default=(), validator=_unique_ids)

    def __attrs_post_init__(self) -> None:
        if self.utility is Utility.ELECTRICITY:
            raise _err(
                "utility",
                "electricity is the application itself, not a bundled request",
                "电力即申请本身，不作为联办事项",
            )


def _utilities_unique(_: Any, attribute: attrs.Attribute[Any], value: tuple[Any, ...]) -> None:
    kinds = [r.utility for r in value]
    if len(set(kinds)) != len(kinds):
        raise _err(attribute.name, "asks for one utility twice", "同一公用事业重复申请")


def _power_factor(_: Any, attribute: attrs.Attribute[Any], value: Decimal | None) -> None:
    if value is not None and not (value.is_finite() and 0 < value <= 1):
        raise _err(attribute.name, "must be greater than 0 and at most 1", "须大于 0 且不大于 1")


@attrs.frozen(kw_only=True)
class Application:
    """An application for electricity supply (用电报装申请).

    The model holds what the applicant and the government systems say; what the rules decide
    (track, supply voltage, approvals, time limits) is in :class:`gridconnect.Decision`.
    """

    #: The application's identifier (the only identifier a decision carries).
    id: str = attrs.field(validator=_identifier)
    #: The date applied for; the rules in force on it decide, and limits count from it.
    applied_on: date
    #: Who applies.
    applicant: Applicant
    #: Where supply is wanted.
    site: Site
    #: What is applied for (业务类型): a new connection, more capacity, ...
    service: ServiceKind
    #: The capacity applied for (报装容量).
    capacity: Capacity
    #: Power factor to convert between kW and kVA; None when not given (a rule that needs it
    #: then leaves its slots undetermined and asks for it).
    power_factor: Decimal | None = attrs.field(default=None, validator=_power_factor)
    #: The supply voltage asked for, if any (the rules decide the supply).
    voltage: VoltageLevel | None = None
    #: Single or dual supply (双电源).
    supply_mode: SupplyMode = SupplyMode.SINGLE
    #: How the application was made: counter, app, web portal, ...
    channel: Channel = Channel.COUNTER
    #: A simple case (简易业扩) as the utility classifies it.
    simple_case: bool = False
    #: The documents supplied, each kind once.
    documents: tuple[Document, ...] = ()
    #: Government project milestones, for 主动办 (None when not known).
    project: ProjectFacts | None = None
    #: The external access works (电力接入工程); none by default.
    works: AccessWorks = AccessWorks()
    #: Other utilities applied for at the same time (一次办), each once.
    bundle: tuple[UtilityRequest, ...] = attrs.field(default=(), validator=_utilities_unique)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str | None = None) -> Self:
        """An application from its JSON-shaped form (what :func:`json.load` gives), validated.

        Every problem is reported at once, located by its JSON path, in English and Chinese
        (:class:`~gridconnect.errors.InputError`); ``source`` names the input in that message.

        >>> app = Application.from_dict(
        ...     {
        ...         "id": "A-1",
        ...         "applied_on": "2026-03-02",
        ...         "applicant": {"kind": "small_micro_enterprise", "name": "示例商店",
        ...                       "credit_code": "91440112MA5CXK3L27"},
        ...         "site": {"division": "440112"},
        ...         "service": "new_connection",
        ...         "capacity": {"value": 60, "unit": "kW"},
        ...     }
        ... )
        >>> app.site.division.value, app.capacity.value
        ('440112', Decimal('60'))
        >>> Application.from_dict(app.to_dict()) == app
        True
        """
        from gridconnect.model.codec import structure

        plain = dict(data) if isinstance(data, Mapping) and not isinstance(data, dict) else data
        return structure(plain, cls, source=source)

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str | None = None) -> Self:
        """An application from JSON text, validated (size, nesting and syntax first; errors as
        for :meth:`from_dict`)."""
        from gridconnect.model.codec import loads

        return loads(text, cls, source=source)

    def to_dict(self) -> JSONObject:
        """The JSON-shaped form: dates as ``YYYY-MM-DD``, enums and identifiers by value,
        numbers as numbers. :meth:`from_dict` reads it back to an equal application."""
        from gridconnect.model.codec import unstructure

        data: dict[str, Any] = unstructure(self)
        return data

    def to_json(self) -> str:
        """Deterministic JSON text (sorted keys, Chinese kept as it is, two-space indent), the
        form ``gridconnect validate --format json`` prints; :meth:`from_json` reads it back."""
        from gridconnect.model.codec import dumps

        return dumps(self)

    def __attrs_post_init__(self) -> None:
        kinds = [d.kind for d in self.documents]
        if len(set(kinds)) != len(kinds):
            raise _err("documents", "lists one document kind twice", "同一类证件重复提交")
        if self.voltage is not None and self.voltage.is_low and self.supply_mode is SupplyMode.DUAL:
            raise _err(
                "supply_mode",
                "dual supply is a high-voltage arrangement",
                "双电源供电仅适用于高压",
            )
