"""Decisions as one line of JSON, fast, and byte for byte what :meth:`Decision.to_dict` gives.

``json.dumps(decision.to_dict(), sort_keys=True, ...)`` spends most of its time re-serialising
what the matched rules alone decide: the conclusions and, in each trace entry, the rule's title,
citation, condition, parameters, what it sets and its outcome. Here that text is made once per
combination of matched rules in a rulebook and reused; per application only its id, its
deadlines and the values of the facts the rules read are serialised, straight from the
:class:`~gridconnect.decide.evaluate.Match` (no :class:`Decision` is built). The text is the same as the slow
way's (keys sorted, no spaces, Chinese kept): the batch worker checks it against
:func:`slow_decision_line` on the first decision of every chunk and falls back for the process
if it ever differs, and ``tests/test_batch_serialize.py`` checks it on generated corpora and on
rule texts full of ``%``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date
from json.encoder import encode_basestring
from typing import Any

import attrs

from gridconnect.batch.compact import compact_line

# plain, slot_read and the to_dict methods are what Decision.to_dict uses; sharing them keeps
# the two in step.
from gridconnect.decide.decision import DECISION_SCHEMA_VERSION, Deadline, Decision, slot_read
from gridconnect.decide.evaluate import Match
from gridconnect.decide.resolution import Resolution
from gridconnect.rules.catalogue import BoundRule
from gridconnect.rules.model import Limit, plain

__all__ = ["match_compact_line", "match_line", "slow_decision_json", "slow_decision_line"]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def slow_decision_json(decision: Decision, trace: bool = True) -> str:
    """The reference: ``to_dict()`` serialised (without ``trace`` if ``trace`` is false)."""
    data = decision.to_dict()
    if not trace:
        del data["trace"]
    return _dumps(data)


def _value(value: Any) -> str:
    """``_dumps(plain(value))`` for one fact value, with the common scalar types done directly
    (the same text: json writes these with exactly these functions)."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if kind is float and math.isfinite(value):
        return float.__repr__(value)
    if value is None:
        return "null"
    if kind is date:
        return f'"{value.isoformat()}"'
    return _dumps(plain(value))


def _literal(text: str) -> str:
    """JSON text as a literal part of a ``%``-format."""
    return text.replace("%", "%%")


def _entry(rule: BoundRule, outcome: str, by: tuple[str, ...], resolution: Resolution) -> str:
    """A trace entry as a ``%``-format: the JSON of everything but the facts' values, and a
    ``%s`` for each of those (in the order of ``sorted(rule.facts)``). For an application with
    no unknown fact (the only kind compiled), nothing it reads is unknown."""
    r = rule.rule
    facts = ",".join(_literal(_dumps(k) + ":") + "%s" for k in sorted(rule.facts))
    before = _literal(
        '{"by":'
        + _dumps(list(by))
        + ',"citation":'
        + _dumps(r.citation.to_dict())
        + ',"condition":'
        + _dumps(rule.condition_text)
        + ',"facts":{'
    )
    after = _literal(
        '},"jurisdiction":'
        + _dumps(r.jurisdiction)
        + ',"outcome":'
        + _dumps(outcome)
        + ',"parameters":'
        + _dumps({k: u.to_dict() for k, u in rule.parameters})
        + ',"rule":'
        + _dumps(rule.id)
        + ',"sets":'
        + _dumps({k: plain(v) for k, v in rule.then.items()})
        + ',"slots":'
        + _dumps({s: slot_read(resolution.conclusions.get(s)) for s in rule.slots})
        + ',"stratum":'
        + _dumps(rule.stratum)
        + ',"title":'
        + _dumps({"en": r.title.en, "zh": r.title.zh})
        + ',"unknown":'
        + _dumps(list(resolution.unknown_reads(rule, frozenset())))
        + "}"
    )
    return before + facts + after


@attrs.frozen
class _Template:
    """The output line of the applications with the same matched rules in one rulebook (so
    the same conclusions, and the same trace but for the facts' values) decided by one engine,
    as a ``%``-format of UTF-8 bytes. Its values: the line number, the application id, the
    as-of date, the deadlines, then the facts' values in the trace: ``facts`` names each fact
    once, ``places`` says which of them goes in each place."""

    format: bytes
    facts: tuple[str, ...]
    places: tuple[int, ...]


def _template(found: Match, resolution: Resolution, trace: bool) -> _Template:
    conclusions = {
        s: {"value": plain(c.value), "rule": c.rule} for s, c in resolution.conclusions.items()
    }
    book = found.rulebook
    entries = resolution.trace if trace else ()
    order = [k for b, _, _ in entries for k in sorted(b.facts)]  # the fact of each place
    facts = list(dict.fromkeys(order))
    text = (
        '{"line":%d,"decision":{%s"application_id":%s,"as_of":"%s"'
        + _literal(',"conclusions":' + _dumps(conclusions))
        + ',"deadlines":%s'
        + _literal(
            ',"engine":'
            + _dumps(found.engine)
            + ',"jurisdictions":'
            + _dumps([j.code for j in book.jurisdictions])
            + ',"questions":[],"schema_version":'
            + _dumps(DECISION_SCHEMA_VERSION)
        )
        + (',"trace":[' + ",".join(_entry(*e, resolution) for e in entries) + "]" if trace else "")
        + _literal(',"undetermined":' + _dumps(resolution.undetermined))
        + "%s}}\n"  # the coverage warnings, if any (the acceptance section is the first %s)
    )
    return _Template(
        format=text.encode(),
        facts=tuple(facts),
        places=tuple(facts.index(k) for k in order),
    )


_LIMITS: dict[Limit, str] = {}  # a handful: the limits the rules set


def _deadline(d: Deadline) -> str:
    """``_dumps`` of a deadline as ``to_dict`` gives it."""
    limit = _LIMITS.get(d.limit)
    if limit is None:
        limit = _LIMITS[d.limit] = _dumps(plain(d.limit))
        if len(_LIMITS) > 4096:
            _LIMITS.clear()
    return (
        f'{{"due":"{d.due.isoformat()}","limit":{limit},'
        f'"provisional":{"true" if d.provisional else "false"},'
        f'"rule":{encode_basestring(d.rule)},"slot":{encode_basestring(d.slot)},'
        f'"start":"{d.start.isoformat()}","start_basis":{encode_basestring(d.start_basis)}}}'
    )


_MAX_TEMPLATES = 4096  # per rulebook


def slow_decision_line(line: int, decision: Decision, trace: bool = True) -> bytes:
    """The reference: the line of the batch output for a decision, from ``to_dict()``."""
    return b'{"line":%d,"decision":%s}\n' % (line, slow_decision_json(decision, trace).encode())


def match_line(
    line: int,
    found: Match,
    resolution: Resolution,
    deadlines: Sequence[Deadline],
    trace: bool = True,
) -> bytes:
    """The batch output's line for an application without a bundle and with no unknown fact
    read (``found.unknown_facts`` empty): ``{"line": N,
    "decision": {...}}`` and a newline, in UTF-8, byte for byte
    ``slow_decision_line(line, found.decide(), trace)`` without building the decision.

    The rules that matched decide the conclusions and every part of the trace but the facts'
    values, so the line is compiled into a ``%``-format once per combination of matched rules
    in a rulebook (kept in its cache, per engine) and each application is one formatting."""
    key = (found.engine, trace, found.matched)
    assert not found.unknown_facts, "applications with unknown facts take the slow way"
    templates = found.rulebook.cache("batch.templates")
    template = templates.get(key)
    if template is None:
        template = _template(found, resolution, trace)
        if len(templates) >= _MAX_TEMPLATES:
            templates.clear()
        templates[key] = template
    get = found.facts.get
    facts = [_value(get(k)).encode() for k in template.facts]
    warned, accepted = found.additions(resolution.conclusions, deadlines)
    tail = b',"warnings":%s' % _dumps([w.to_dict() for w in warned]).encode() if warned else b""
    return template.format % (
        line,
        b'"acceptance":%s,' % _dumps(accepted.to_dict()).encode(),
        encode_basestring(found.application.id).encode(),
        found.rulebook.as_of.isoformat().encode(),
        b"[%s]" % ",".join([_deadline(d) for d in deadlines]).encode(),
        *[facts[j] for j in template.places],
        tail,
    )


#: The line's own keys of ``to_dict()`` the compact fast path writes (``warnings`` only when
#: there are any, as ``to_dict()`` does).
_FAST_OWN = frozenset({"acceptance", "application_id", "as_of", "deadlines", "questions"})


@attrs.frozen
class _CompactTemplate:
    """The compact lines of the applications with the same matched rules in one rulebook
    decided by one engine: the rule set's ID and record, and a ``%``-format of the line whose
    values are the line number, the facts' values (``facts``, sorted by name), the application
    id, the as-of date and the deadlines. ``format`` is None when the first decision's
    ``to_dict()`` has another shape than this path writes (a key it does not know, a fact with
    two values): its lines are then made from ``to_dict()``."""

    key: str
    record: bytes
    format: bytes | None
    facts: tuple[str, ...]


def _compact_template(line: int, found: Match, trace: bool) -> tuple[_CompactTemplate, bytes]:
    """The template, from the first decision's own ``to_dict()``, and that decision's line."""
    data = found.decide().to_dict()
    if not trace:
        del data["trace"]
    text, key, record = compact_line(line, data)
    parsed = json.loads(text)
    own = parsed["decision"]
    if set(own) - {"warnings"} != _FAST_OWN or own["questions"] or "facts" not in parsed:
        return _CompactTemplate(key, record, None, ()), text
    names = tuple(parsed["facts"])  # sorted
    facts = ",".join(_literal(_dumps(n) + ":") + "%s" for n in names)
    form = (
        '{"line":%d,"rule_set":"' + key + '","facts":{' + facts + "}"
        ',"decision":{"acceptance":%s,"application_id":%s,"as_of":"%s","deadlines":%s,'
        '"questions":[]%s}}\n'  # the last %s: the warnings, if any
    )
    return _CompactTemplate(key, record, form.encode(), names), text


def match_compact_line(
    line: int,
    found: Match,
    deadlines: Sequence[Deadline],
    trace: bool = True,
) -> tuple[bytes, str, bytes]:
    """The compact line (:mod:`gridconnect.batch.compact`) of an application without a bundle
    and with no unknown fact read, its rule set's ID and the rule set's record: byte for byte
    ``compact_line(line, found.decide().to_dict())`` (without ``trace`` if ``trace`` is
    false), made from a template compiled once per combination of matched rules in a rulebook."""
    key = (found.engine, trace, found.matched)
    assert not found.unknown_facts, "applications with unknown facts take the slow way"
    templates = found.rulebook.cache("batch.compact")
    template = templates.get(key)
    if template is None:
        template, text = _compact_template(line, found, trace)
        if len(templates) >= _MAX_TEMPLATES:
            templates.clear()
        templates[key] = template
        return text, template.key, template.record
    if template.format is None:
        data = found.decide().to_dict()
        if not trace:
            del data["trace"]
        return compact_line(line, data)
    get = found.facts.get
    warned, accepted = found.additions(found.resolution().conclusions, deadlines)
    text = template.format % (
        line,
        *[_value(get(k)).encode() for k in template.facts],
        _dumps(accepted.to_dict()).encode(),
        encode_basestring(found.application.id).encode(),
        found.rulebook.as_of.isoformat().encode(),
        b"[%s]" % ",".join([_deadline(d) for d in deadlines]).encode(),
        b',"warnings":%s' % _dumps([w.to_dict() for w in warned]).encode() if warned else b"",
    )
    return text, template.key, template.record
