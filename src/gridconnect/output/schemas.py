"""The JSON Schemas of what gridconnect writes: a decision (and, in :mod:`gridconnect.decide.bundle`,
a bundle plan)."""

from __future__ import annotations

from typing import Any

from gridconnect.decide.decision import DECISION_SCHEMA_VERSION

__all__ = ["decision_schema"]


def decision_schema() -> dict[str, Any]:
    """The JSON Schema of :meth:`Decision.to_json <gridconnect.decide.decision.Decision.to_json>`
    output (version :data:`~gridconnect.decide.decision.DECISION_SCHEMA_VERSION`)."""
    value = {
        "anyOf": [
            {"type": ["string", "integer", "boolean"]},
            {
                "type": "object",
                "properties": {"amount": {"type": "integer"}, "unit": {"type": "string"}},
                "required": ["amount", "unit"],
            },
            {
                "type": "object",
                "properties": {"en": {"type": "string"}, "zh": {"type": "string"}},
                "required": ["en", "zh"],
            },
        ]
    }
    date_t = {"type": "string", "format": "date"}
    strings = {"type": "array", "items": {"type": "string"}}
    text = {
        "type": "object",
        "properties": {"en": {"type": "string"}, "zh": {"type": "string"}},
        "required": ["en", "zh"],
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://gridconnect.invalid/schema/decision/{DECISION_SCHEMA_VERSION}",
        "title": "decision",
        "x-schema-version": DECISION_SCHEMA_VERSION,
        "type": "object",
        "required": [
            "schema_version",
            "application_id",
            "as_of",
            "jurisdictions",
            "engine",
            "conclusions",
            "undetermined",
            "questions",
            "deadlines",
            "trace",
        ],
        "additionalProperties": False,
        "properties": {
            "schema_version": {"const": DECISION_SCHEMA_VERSION},
            "application_id": {"type": "string"},
            "bundle": {
                "type": "object",
                "description": "the 一次办 plan; see `gridconnect schema bundle`",
            },
            "acceptance": {
                "type": "object",
                "description": "acceptance (受理): accepted, accepted under 容缺 (later: what "
                "follows), incomplete (missing: the whole list for one notice, 一次性告知; "
                "tolerance_route: the rule offering 容缺受理, if any) or no_checklist",
                "required": [
                    "status",
                    "required",
                    "waived",
                    "missing",
                    "later",
                    "tolerance_route",
                ],
                "additionalProperties": False,
                "properties": {
                    "status": {
                        "enum": [
                            "accepted",
                            "accepted_with_tolerance",
                            "incomplete",
                            "no_checklist",
                        ]
                    },
                    "required": {"type": "object", "additionalProperties": {"type": "string"}},
                    "waived": {"type": "object", "additionalProperties": {"type": "string"}},
                    "missing": strings,
                    "later": strings,
                    "tolerance_route": {"type": ["string", "null"]},
                },
            },
            "warnings": {
                "type": "array",
                "description": "present only when there is one: a plugin the decision was made "
                "without (broken_plugin, --allow-broken-plugins), or what the rules do not cover: "
                "a place with no rules of its own (no_local_rules), a date before a "
                "jurisdiction's earliest rule (before_coverage), utility commitments of a "
                "utility not serving the place (utility_not_serving), a deadline in a year whose "
                "holiday notice is not encoded (provisional_calendar); source names the plugin, "
                "division, jurisdiction or year",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string"},
                        "en": {"type": "string"},
                        "zh": {"type": "string"},
                        "source": {"type": ["string", "null"]},
                    },
                    "required": ["kind", "en", "zh", "source"],
                },
            },
            "as_of": date_t,
            "jurisdictions": {"type": "array", "items": {"type": "string"}},
            "engine": {"enum": ["durable", "reference"]},
            "conclusions": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"value": value, "rule": {"type": "string"}},
                    "required": ["value", "rule"],
                },
            },
            "undetermined": {
                "type": "object",
                "description": "slots that wait on unknown facts, with the rules they wait on",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"rules": {"type": "array", "items": {"type": "string"}}},
                    "required": ["rules"],
                },
            },
            "questions": {
                "type": "array",
                "description": "the unknown facts that could change the decision",
                "items": {
                    "type": "object",
                    "required": ["path", "schema", "prompt", "facts", "slots", "rules"],
                    "properties": {
                        "path": {"type": "string"},
                        "schema": {"type": "object"},
                        "prompt": text,
                        "facts": strings,
                        "slots": strings,
                        "rules": strings,
                    },
                },
            },
            "deadlines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "slot",
                        "limit",
                        "start",
                        "start_basis",
                        "due",
                        "provisional",
                        "rule",
                    ],
                    "properties": {
                        "slot": {"type": "string"},
                        "limit": value,
                        "start": date_t,
                        "start_basis": {"type": "string"},
                        "due": date_t,
                        "provisional": {"type": "boolean"},
                        "rule": {"type": "string"},
                    },
                },
            },
            "trace": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "rule",
                        "title",
                        "jurisdiction",
                        "stratum",
                        "condition",
                        "facts",
                        "slots",
                        "unknown",
                        "parameters",
                        "sets",
                        "outcome",
                        "by",
                        "citation",
                    ],
                    "properties": {
                        "outcome": {
                            "enum": [
                                "won",
                                "agreed",
                                "lost_to_exception",
                                "shadowed",
                                "pending",
                                "unknown",
                            ]
                        },
                        "stratum": {"type": "integer", "minimum": 0},
                        "slots": {
                            "type": "object",
                            "description": "slots read: value and deciding rule (null if none)",
                            "additionalProperties": {
                                "type": "object",
                                "required": ["value", "rule"],
                                "properties": {
                                    "value": {"anyOf": [value, {"type": "null"}]},
                                    "rule": {"type": ["string", "null"]},
                                },
                            },
                        },
                        "unknown": strings,
                        "parameters": {
                            "type": "object",
                            "additionalProperties": {
                                "type": "object",
                                "required": ["value", "jurisdiction", "citation", "overrides"],
                                "properties": {
                                    "jurisdiction": {"type": "string"},
                                    "citation": {"type": "string"},
                                    "overrides": {"type": ["string", "null"]},
                                },
                            },
                        },
                        "by": strings,
                        "citation": {
                            "type": "object",
                            "required": ["title", "issuer", "confidence"],
                            "properties": {
                                "confidence": {"enum": ["primary", "press", "source-article"]}
                            },
                        },
                    },
                },
            },
        },
    }
