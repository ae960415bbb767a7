"""Decisions as one line of JSON, fast, and byte for byte what :meth:`Decision.to_dict` gives.

``json.dumps(decision.to_dict(), sort_keys=True, ...)`` spends most of its time re-serialising the
parts of each trace entry that come from the rule, not the application: its title, citation,
condition, parameters and what it sets. Here those parts are serialised once per rule and
rulebook epoch and reused; only the facts, the outcome and the conclusions are serialised per
decision. The text is the same as the slow way's (keys sorted, no spaces, Chinese kept);
:func:`decision_line` checks that on the first decision of every chunk and switches itself off for
the process if it ever differs, and ``tests/test_batch_serialize.py`` checks it on a corpus.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import attrs

# _plain is the function to_dict uses for values; sharing it keeps the two in step.
from gridconnect.decision import Decision, TraceEntry, _plain
from gridconnect.rules.catalogue import BoundRule, Rulebook

__all__ = ["decision_json", "slow_decision_json"]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def slow_decision_json(decision: Decision, trace: bool = True) -> str:
    """The reference: ``to_dict()`` serialised (without ``trace`` if ``trace`` is false)."""
    data = decision.to_dict()
    if not trace:
        del data["trace"]
    return _dumps(data)


Static = tuple[str, tuple[tuple[str, str], ...], str, str]
"""The JSON before ``"facts"``, the facts' keys in order with their JSON, the JSON between
the facts and the outcome, and after the outcome."""

# (id of the rulebook's rule tuple, rule id) -> (the tuple, kept alive so the id stays unique,
# the static parts of the rule's trace entries)
_STATIC: dict[tuple[int, str], tuple[Sequence[BoundRule], Static]] = {}


def _static(rules: Sequence[BoundRule], entry: TraceEntry) -> Static:
    key = (id(rules), entry.rule)
    hit = _STATIC.get(key)
    if hit is not None and hit[0] is rules:
        return hit[1]
    head = (
        ',"citation":'
        + _dumps({k: _plain(v) for k, v in attrs.asdict(entry.citation).items() if v is not None})
        + ',"condition":'
        + _dumps(entry.condition)
        + ',"facts":'
    )
    facts = tuple((k, _dumps(k) + ":") for k in sorted(entry.facts))
    middle = ',"jurisdiction":' + _dumps(entry.jurisdiction) + ',"outcome":'
    tail = (
        ',"parameters":'
        + _dumps({k: _plain(v) for k, v in entry.parameters.items()})
        + ',"rule":'
        + _dumps(entry.rule)
        + ',"sets":'
        + _dumps({k: _plain(v) for k, v in entry.sets.items()})
        + ',"title":'
        + _dumps({"en": entry.title.en, "zh": entry.title.zh})
        + "}"
    )
    if len(_STATIC) > 100_000:
        _STATIC.clear()
    static = (head, facts, middle, tail)
    _STATIC[key] = (rules, static)
    return static


def decision_json(decision: Decision, book: Rulebook | None, trace: bool = True) -> str:
    """The decision's JSON, equal to :func:`slow_decision_json`. ``book`` is the rulebook the
    decision was made with (its rules' parts are cached); without it the slow way is used."""
    if book is None:
        return slow_decision_json(decision, trace)
    parts = [
        '{"application_id":',
        _dumps(decision.application_id),
        ',"as_of":"',
        decision.as_of.isoformat(),
        '"',
    ]
    if decision.bundle is not None:
        parts += [',"bundle":', _dumps(decision.bundle.to_dict())]
    parts += [
        ',"conclusions":',
        _dumps(
            {s: {"value": _plain(c.value), "rule": c.rule} for s, c in decision.conclusions.items()}
        ),
        ',"deadlines":',
        _dumps(
            [
                {
                    "slot": d.slot,
                    "limit": _plain(d.limit),
                    "start": d.start.isoformat(),
                    "start_basis": d.start_basis,
                    "due": d.due.isoformat(),
                    "provisional": d.provisional,
                    "rule": d.rule,
                }
                for d in decision.deadlines
            ]
        ),
        ',"engine":',
        _dumps(decision.engine),
        ',"jurisdictions":',
        _dumps(list(decision.jurisdictions)),
        ',"schema_version":',
    ]
    from gridconnect.decision import DECISION_SCHEMA_VERSION

    parts.append(_dumps(DECISION_SCHEMA_VERSION))
    if trace:
        parts.append(',"trace":[')
        rules = book.rules
        values: dict[str, str] = {}  # the facts of one application, each serialised once
        for i, t in enumerate(decision.trace):
            head, keys, middle, tail = _static(rules, t)
            facts = []
            for k, quoted in keys:
                text = values.get(k)
                if text is None:
                    text = values[k] = _dumps(_plain(t.facts[k]))
                facts.append(quoted + text)
            parts += [
                "," if i else "",
                '{"by":',
                _dumps(list(t.by)) if t.by else "[]",
                head,
                "{" + ",".join(facts) + "}",
                middle,
                '"',
                t.outcome,
                '"',
                tail,
            ]
        parts.append("]")
    parts.append("}")
    return "".join(parts)
