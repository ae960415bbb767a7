"""Rules, parameters and citations as data.

A :class:`Rule` says: from this date, in this jurisdiction, when this condition holds, set these
conclusions, as this source says. A :class:`Parameter` is a named, dated, cited value (a capacity
cap, a time limit) that rules refer to, so a city changes a number without rewriting a rule.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date
from typing import TypeAlias

import attrs

from gridconnect.rules.conditions import TRUE, Condition, ParamRef

__all__ = [
    "Citation",
    "Confidence",
    "Limit",
    "LimitUnit",
    "Parameter",
    "ParameterVersion",
    "Rule",
    "Text",
    "Value",
]


class Confidence(enum.StrEnum):
    """How sure the source of a rule is."""

    PRIMARY = "primary"  # the text of the document itself
    PRESS = "press"  # a press report or official summary of it
    SOURCE_ARTICLE = "source-article"  # only the CSG Guangdong article this library starts from


@attrs.frozen(kw_only=True)
class Text:
    """Bilingual text."""

    en: str
    zh: str

    def __str__(self) -> str:
        return f"{self.zh} ({self.en})"


@attrs.frozen(kw_only=True)
class Citation:
    """Where a rule or a parameter value comes from."""

    title: str
    issuer: str
    confidence: Confidence
    number: str | None = None  # 文号, e.g. 穗工信函〔2019〕814号
    article: str | None = None
    date: date | None = None
    url: str | None = None
    quote: str | None = None
    note: str | None = None  # e.g. "[P] draft for comments; final text not retrieved"

    def short(self) -> str:
        parts = [self.number or self.title]
        if self.article:
            parts.append(self.article)
        return " ".join(parts) + f" [{self.confidence.value}]"


class LimitUnit(enum.StrEnum):
    WORKING_DAY = "working_day"  # 工作日
    CALENDAR_DAY = "calendar_day"  # 自然日
    DAY = "day"  # 天: the source does not say which; counted as calendar days, the stricter


@attrs.frozen(kw_only=True)
class Limit:
    """A time limit: an amount of days in a unit."""

    amount: int
    unit: LimitUnit = LimitUnit.WORKING_DAY

    def __str__(self) -> str:
        return f"{self.amount} {self.unit.value.replace('_', ' ')}s"


Value: TypeAlias = str | int | bool | Limit | Text
"""What a rule may set a conclusion slot to."""


@attrs.frozen(kw_only=True)
class Rule:
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

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (
            self.effective_until is None or on <= self.effective_until
        )


@attrs.frozen(kw_only=True)
class ParameterVersion:
    value: int | float | bool | str
    effective_from: date
    citation: Citation
    effective_until: date | None = None

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (
            self.effective_until is None or on <= self.effective_until
        )


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
