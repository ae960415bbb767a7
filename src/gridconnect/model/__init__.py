"""The typed model of an application for electricity supply, and its JSON form."""

from __future__ import annotations

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
from gridconnect.model.identifiers import CreditCode, DivisionCode, ResidentId

__all__ = [
    "AccessWorks",
    "Applicant",
    "ApplicantKind",
    "Application",
    "Area",
    "Capacity",
    "CapacityUnit",
    "Channel",
    "CreditCode",
    "Crossing",
    "DivisionCode",
    "Document",
    "DocumentForm",
    "DocumentSource",
    "LayingMethod",
    "Ownership",
    "ProjectFacts",
    "ResidentId",
    "RouteSegment",
    "ServiceKind",
    "Site",
    "SupplyMode",
    "Utility",
    "UtilityRequest",
    "VoltageLevel",
]
