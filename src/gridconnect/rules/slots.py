"""Conclusion slots: what rules decide, and the type of each decision.

A rule's ``then`` table sets slots. Some slots are single (``track``); others are families with a
name after the dot (``stage.whole_process``, ``document.property_certificate``). Each slot is
decided on its own by the precedence rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

import attrs

__all__ = ["SLOTS", "SLOT_FAMILIES", "SlotType", "slot_type"]


@attrs.frozen
class SlotType:
    kind: Literal["enum", "bool", "int", "limit", "text"]
    values: frozenset[str] = frozenset()
    doc: str = ""


def _enum(doc: str, *values: str) -> SlotType:
    return SlotType("enum", frozenset(values), doc)


SLOTS: Mapping[str, SlotType] = {
    "track": _enum(
        "service track: 三零 (three_zero), 三省 (three_save) or neither (standard)",
        "three_zero",
        "three_save",
        "standard",
    ),
    "supply": _enum("supply at low (220/380 V) or high voltage", "low_voltage", "high_voltage"),
    "zero_investment": SlotType("bool", doc="零投资: the utility invests up to the boundary"),
    "investment_boundary": _enum(
        "where the utility's investment ends",
        "building_zone_red_line",  # 用户建筑区划红线
        "planning_red_line",  # 用户规划红线
        "meter_box",  # 低压表箱 (meter, meter box and source-side line)
        "transformer_low_side",  # 用户变压器低压侧
    ),
    "procedure_steps": SlotType("int", doc="number of procedures (环节) for the applicant"),
    "approval.mode": _enum(
        "administrative approval of the access works: exempt (免审批), filing only (备案), "
        "or required (审批)",
        "exempt",
        "filing",
        "required",
    ),
    "approval.authority": _enum("level that approves", "district", "city", "province"),
    "approval.limit": SlotType("limit", doc="time limit for the approval"),
    "approval.parallel": SlotType("bool", doc="并联审批: all permits handled in parallel"),
    "approval.tolerance": SlotType("bool", doc="容缺受理: accepted while documents are missing"),
}
"""Single slots and their types."""

SLOT_FAMILIES: Mapping[str, SlotType] = {
    "stage": SlotType("limit", doc="time limit of a stage, e.g. stage.whole_process"),
    "document": _enum("whether a document is required or waived", "required", "waived"),
    "permit": SlotType("bool", doc="a permit the access works need, e.g. permit.road_excavation"),
    "service": SlotType("bool", doc="a service offered, e.g. service.face_recognition"),
    "note": SlotType("text", doc="a bilingual note for the applicant"),
}
"""Slot families: ``family.name``, where the name is a lower-case slug."""

_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


def slot_type(slot: str) -> SlotType | None:
    """The type of a slot, or None if no such slot exists.

    >>> slot_type("stage.whole_process").kind, slot_type("track").kind, slot_type("nope")
    ('limit', 'enum', None)
    """
    if slot in SLOTS:
        return SLOTS[slot]
    family, _, name = slot.partition(".")
    if family in SLOT_FAMILIES and _NAME.fullmatch(name):
        return SLOT_FAMILIES[family]
    return None
