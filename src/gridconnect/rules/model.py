"""Rules, parameters and citations as data.

A :class:`Rule` says: from this date, in this jurisdiction, when this condition holds, set these
conclusions, as this source says. A :class:`Parameter` is a named, dated, cited value (a capacity
cap, a time limit) that rules refer to, so a city changes a number without rewriting a rule.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, TypeAlias

import attrs

from gridconnect.model.json_schema import SchemaBuilder, json_object
from gridconnect.rules.conditions import TRUE, Condition, ParamRef

if TYPE_CHECKING:
    from gridconnect.model.codec import JSONObject, JSONValue

__all__ = [
    "Citation",
    "Confidence",
    "Dated",
    "IssuerKind",
    "Limit",
    "LimitUnit",
    "Parameter",
    "ParameterVersion",
    "Rule",
    "Text",
    "Value",
    "output_schema_builder",
    "plain",
]


class Confidence(enum.StrEnum):
    """How sure the source of a rule is."""

    PRIMARY = "primary"  # the text of the document itself
    PRESS = "press"  # a press report or official summary of it
    SOURCE_ARTICLE = "source-article"  # only the CSG Guangdong article this library starts from


class IssuerKind(enum.StrEnum):
    """Who says it: the kind of body whose text a citation is (who is bound by it)."""

    GOVERNMENT = "government"
    """A government regulation or plan (政府规章、规范性文件): binds the authorities it names."""
    UTILITY = "utility"
    """A utility's own service commitment (供电企业服务承诺): binds that utility, and applies only
    where it is the serving utility (:attr:`Jurisdiction.utility
    <gridconnect.rules.catalogue.Jurisdiction.utility>`)."""
    ADVOCACY = "advocacy"
    """What a utility urges others (a local government) to adopt (倡议、推动): not binding on
    anyone; rules resting on it state what is sought, not what is in force."""


@attrs.frozen(kw_only=True)
class Text:
    """Bilingual text."""

    #: The English text.
    en: str
    #: The Chinese text.
    zh: str

    def __str__(self) -> str:
        return f"{self.zh} ({self.en})"


@json_object(drop_none=True)
@attrs.frozen(kw_only=True)
class Citation:
    """Where a rule or a parameter value comes from."""

    #: The title of the source, as issued.
    title: str
    #: Who issued it.
    issuer: str
    #: How sure the project is of the text: read in the primary source, reported by the
    #: press, or known from the source article only.
    confidence: Confidence
    #: The document number (文号), e.g. 穗工信函〔2019〕814号.
    number: str | None = None
    #: The article or section cited.
    article: str | None = None
    #: The date it was issued.
    date: date | None = None
    #: Where it can be read.
    url: str | None = None
    #: The words the rule rests on, quoted.
    quote: str | None = None
    #: A remark on the source, e.g. "[P] draft for comments; final text not retrieved".
    note: str | None = None
    #: Who says it: government, utility commitment or advocacy (None: not stated).
    issuer_kind: IssuerKind | None = None

    def short(self) -> str:
        """The number (or title) and article, with the confidence and, when stated, the
        issuer kind: ``穗工信函〔2019〕814号 [primary; government]``."""
        parts = [self.number or self.title]
        if self.article:
            parts.append(self.article)
        kind = f"; {self.issuer_kind.value}" if self.issuer_kind is not None else ""
        return " ".join(parts) + f" [{self.confidence.value}{kind}]"

    def to_dict(self) -> JSONObject:
        """The JSON-shaped form: every field that is set, as plain values."""
        return {k: plain(v) for k, v in attrs.asdict(self).items() if v is not None}


class LimitUnit(enum.StrEnum):
    """The unit of a time limit: working days (工作日), calendar days (自然日), or days (天)
    where the source does not say which."""

    WORKING_DAY = "working_day"  # 工作日
    CALENDAR_DAY = "calendar_day"  # 自然日
    DAY = "day"  # 天: the source does not say which; counted as calendar days, the stricter


@attrs.frozen(kw_only=True)
class Limit:
    """A time limit: an amount of days in a unit."""

    #: The number of days.
    amount: int
    #: Working days (the default), calendar days, or days the source leaves open.
    unit: LimitUnit = LimitUnit.WORKING_DAY

    def __str__(self) -> str:
        plural = "" if self.amount == 1 else "s"  # 1 working day, 2 working days
        return f"{self.amount} {self.unit.value.replace('_', ' ')}{plural}"


Value: TypeAlias = str | int | bool | Limit | Text
"""What a rule may set a conclusion slot to."""


class Dated:
    """What is in force from ``effective_from`` to ``effective_until``, both days included (None:
    no end): a rule, a parameter version, a lifecycle rule. One convention for all of them, and
    one test of two versions that would be in force at once."""

    __slots__ = ()
    effective_from: date
    effective_until: date | None

    def in_force(self, on: date) -> bool:
        """Whether it is in force on ``on``."""
        return self.effective_from <= on and (
            self.effective_until is None or on <= self.effective_until
        )

    def overlaps(self, other: Dated) -> bool:
        """Whether it and ``other`` are in force on some day together."""
        return self.effective_from <= (other.effective_until or date.max) and (
            other.effective_from <= (self.effective_until or date.max)
        )


@attrs.frozen(kw_only=True)
class Rule(Dated):
    """One rule, in one version (rules with one id and disjoint date ranges are its versions)."""

    id: str
    title: Text
    jurisdiction: str
    effective_from: date
    citation: Citation
    then: Mapping[str, Value | ParamRef]
    when: Condition = TRUE
    effective_until: date | None = None  # last day in force, inclusive
    exception_to: tuple[str, ...] = ()
    source: str | None = None  # file it was loaded from, for error messages


@attrs.frozen(kw_only=True)
class ParameterVersion(Dated):
    value: int | float | bool | str
    effective_from: date
    citation: Citation
    effective_until: date | None = None


@attrs.frozen(kw_only=True)
class Parameter:
    """A named value that changes over time, with a citation for every version."""

    name: str
    title: Text
    jurisdiction: str
    versions: tuple[ParameterVersion, ...]
    unit: str | None = None
    source: str | None = None

    def at(self, on: date) -> ParameterVersion | None:
        for version in self.versions:
            if version.in_force(on):
                return version
        return None


def output_schema_builder() -> SchemaBuilder:
    """A :class:`~gridconnect.model.json_schema.SchemaBuilder` of what gridconnect writes, in
    which a rule's :data:`Value` is a definition of its own (``#/$defs/Value``)."""
    builder = SchemaBuilder(output=True)
    builder.name(
        Value,
        "Value",
        "What a rule sets a slot to: text, an integer, a boolean, a time limit "
        "{amount, unit} or bilingual text {en, zh}",
    )
    return builder


def plain(value: object) -> JSONValue:
    """A rule value as JSON-shaped data: a :class:`Limit` or :class:`Text` as an object, a date
    as ISO text, an enum member as its value, sequences element by element."""
    if isinstance(value, Limit):
        return {"amount": value.amount, "unit": value.unit.value}
    if isinstance(value, Text):
        return {"en": value.en, "zh": value.zh}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "value") and not isinstance(value, str | int | float | bool):
        return plain(value.value)  # an enum member
    return value  # type: ignore[return-value]  # str, int, float, bool or None by now
