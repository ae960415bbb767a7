"""Document kinds, and the acceptance (受理) of an application: what it must give, what is
waived, what is missing.

One machinery: rules decide the checklist through the ``document.<kind>`` slots (``required`` or
``waived``, each with its rule and citation in the trace); :func:`acceptance` reads those
conclusions beside the documents the application gives and says whether the utility accepts it:

``accepted``
    Nothing required is missing.
``accepted_with_tolerance``
    Accepted under 容缺受理: a tolerance letter (容缺受理函, 以函代证) stands in for some documents,
    which follow later (:attr:`Acceptance.later`).
``incomplete``
    Something required is missing: :attr:`Acceptance.missing` is the whole list, to be told in
    one notice (一次性告知, the principle of 《行政许可法》第三十二条), with the 容缺 route where a
    rule of the place offers one (slot ``service.tolerance_acceptance``).
``no_checklist``
    No rule decides any document for this place, applicant, service and date: nothing is
    checked, and the decision says so rather than "accepted".

>>> from gridconnect.decide.decision import Conclusion
>>> got = {"document.business_licence": Conclusion(slot="document.business_licence", value="required", rule="r")}
>>> acceptance(got, {}).status, acceptance(got, {}).missing
('incomplete', ('business_licence',))
>>> acceptance(got, {"business_licence": "e_licence"}).status
'accepted'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

import attrs

from gridconnect.rules.model import Text

if TYPE_CHECKING:
    from gridconnect.decide.decision import Conclusion
    from gridconnect.model.codec import JSONObject

__all__ = ["Acceptance", "AcceptanceStatus", "DocumentKind", "acceptance"]


@attrs.frozen(kw_only=True)
class DocumentKind:
    """A kind of document (``property_certificate``), with its name in both languages."""

    id: str
    name: Text


AcceptanceStatus = Literal["accepted", "accepted_with_tolerance", "incomplete", "no_checklist"]
"""What becomes of an application at acceptance (受理); see the module docstring."""

TOLERANCE_ROUTE = "service.tolerance_acceptance"
"""The slot a rule sets where a 容缺受理 route exists (a letter may stand in for documents)."""


@attrs.frozen(kw_only=True)
class Acceptance:
    """The acceptance section of a decision."""

    #: accepted, accepted_with_tolerance, incomplete or no_checklist.
    status: AcceptanceStatus
    #: The document kinds the rules require, with the rule that requires each.
    required: Mapping[str, str] = attrs.field(factory=dict)
    #: The document kinds the rules waive, with the rule that waives each (the reason is its
    #: citation in the trace: e-licence library, a 容缺 letter, a province-wide measure).
    waived: Mapping[str, str] = attrs.field(factory=dict)
    #: Required kinds the application neither gives nor has waived: the whole list, for one
    #: notice (一次性告知).
    missing: tuple[str, ...] = ()
    #: Kinds a tolerance letter stands in for: accepted now, the document follows later.
    later: tuple[str, ...] = ()
    #: The rule that offers a 容缺受理 route here, when the application is incomplete and one
    #: exists (None otherwise).
    tolerance_route: str | None = None

    def to_dict(self) -> JSONObject:
        """The JSON form (``acceptance`` of the decision JSON). Kinds are ids; renderers label
        them with the registry's document kinds."""
        return {
            "status": self.status,
            "required": dict(self.required),
            "waived": dict(self.waived),
            "missing": list(self.missing),
            "later": list(self.later),
            "tolerance_route": self.tolerance_route,
        }


def acceptance(conclusions: Mapping[str, Conclusion], given: Mapping[str, str]) -> Acceptance:
    """The acceptance of an application whose rules concluded ``conclusions`` and which gives
    the documents ``given`` (kind -> source: ``applicant``, ``e_licence`` or
    ``tolerance_letter``)."""
    required = {
        s.partition(".")[2]: c.rule
        for s, c in conclusions.items()
        if s.startswith("document.") and c.value == "required"
    }
    waived = {
        s.partition(".")[2]: c.rule
        for s, c in conclusions.items()
        if s.startswith("document.") and c.value == "waived"
    }
    later = tuple(sorted(k for k, source in given.items() if source == "tolerance_letter"))
    if not required and not waived:
        return Acceptance(status="no_checklist", later=later)
    missing = tuple(sorted(k for k in required if k not in given and k not in waived))
    route = conclusions.get(TOLERANCE_ROUTE)
    if missing:
        return Acceptance(
            status="incomplete",
            required=required,
            waived=waived,
            missing=missing,
            later=later,
            tolerance_route=route.rule if route is not None and route.value is True else None,
        )
    return Acceptance(
        status="accepted_with_tolerance" if later else "accepted",
        required=required,
        waived=waived,
        later=later,
    )
