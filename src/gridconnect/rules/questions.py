"""What to ask for an unknown fact: the application field that settles it, and how to ask.

A decision whose outcome waits on an unknown fact lists *questions*: for each such fact, the
field of the application JSON to fill in, a JSON Schema of the answer (so a form can offer the
allowed values), a prompt in Chinese and English, and the slots and rules that wait on it. Only
facts some undetermined slot depends on are asked (see :mod:`gridconnect.decide.decision`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs

from gridconnect.model.enums import Ownership
from gridconnect.rules.model import Text

if TYPE_CHECKING:
    from gridconnect.model.codec import JSONObject

__all__ = ["ASKS", "Ask", "Question"]


@attrs.frozen(kw_only=True)
class Ask:
    """How to ask for one unknown fact."""

    path: str  # the field of the application JSON that settles it, dotted
    schema: Mapping[str, Any]  # JSON Schema of the answer
    prompt: Text


_POWER_FACTOR = Ask(
    path="power_factor",
    schema={"type": "number", "exclusiveMinimum": 0, "maximum": 1},
    prompt=Text(
        en="What is the power factor of the load (above 0, at most 1)? The capacity is given in "
        "one unit and a rule compares it in the other (kW = kVA × power factor).",
        zh="用电负荷的功率因数是多少（大于 0，不超过 1）？报装容量以一种单位填写，"
        "而规则以另一种单位比较（千瓦 = 千伏安 × 功率因数）。",
    ),
)

ASKS: Mapping[str, Ask] = {
    "capacity.kw": _POWER_FACTOR,
    "capacity.kva": _POWER_FACTOR,
    "applicant.ownership": Ask(
        path="applicant.ownership",
        schema={"enum": [m.value for m in Ownership]},
        prompt=Text(
            en="Who owns the organisation: private (民营), state (国有), foreign (外资), "
            "collective (集体) or other?",
            zh="申请单位的所有制是：民营（private）、国有（state）、外资（foreign）、"
            "集体（collective）还是其他（other）？",
        ),
    ),
}
"""For each fact that can be unknown (:attr:`FactType.unknowable
<gridconnect.rules.facts.FactType.unknowable>`, slots aside), how to ask for it."""


@attrs.frozen(kw_only=True)
class Question:
    """A fact whose value could change the decision, and how to ask for it."""

    #: The application field to fill in, dotted (``applicant.ownership``).
    path: str
    #: A JSON Schema of the answer.
    schema: Mapping[str, Any]
    #: The question to ask, in Chinese and English.
    prompt: Text
    #: The unknown facts it settles.
    facts: tuple[str, ...]
    #: The undetermined slots that wait on it.
    slots: tuple[str, ...]
    #: The rules whose condition waits on it.
    rules: tuple[str, ...]

    def to_dict(self) -> JSONObject:
        """The JSON form, as in a decision's ``questions``."""
        return {
            "path": self.path,
            "schema": dict(self.schema),
            "prompt": {"en": self.prompt.en, "zh": self.prompt.zh},
            "facts": list(self.facts),
            "slots": list(self.slots),
            "rules": list(self.rules),
        }
