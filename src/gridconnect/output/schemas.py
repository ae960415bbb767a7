"""The JSON Schemas of what gridconnect writes: a decision (and, in :mod:`gridconnect.decide.bundle`,
a bundle plan), generated from the attrs classes by :mod:`gridconnect.model.json_schema`."""

from __future__ import annotations

from typing import Any

from gridconnect.decide.decision import Decision
from gridconnect.rules.model import output_schema_builder

__all__ = ["decision_schema"]


def decision_schema() -> dict[str, Any]:
    """The JSON Schema of :meth:`Decision.to_json <gridconnect.decide.decision.Decision.to_json>`
    output (version :data:`~gridconnect.decide.decision.DECISION_SCHEMA_VERSION`), generated
    from :class:`~gridconnect.decide.decision.Decision` and the classes it holds.

    >>> decision_schema()["$defs"]["Decision"]["properties"]["schema_version"]
    {'const': '2.1'}
    """
    return output_schema_builder().document(Decision)
