"""The compact form of a traced batch output: what the matched rules decide written once.

A traced decision (:meth:`Decision.to_dict <gridconnect.decide.decision.Decision.to_dict>`) is mostly
what its matched rules alone decide: the conclusions and, in each trace entry, the rule's title,
citation, condition, parameters, what it sets. Applications with the same matched rules repeat
all of it. The compact form splits each decision in two:

* a **rule set** record, ``{"rule_set": ID, "shared": {...}}``: the top-level keys in
  ``SHARED_KEYS`` (the trace without the facts' values: each entry's ``facts`` is the list of
  the facts' names). ``ID`` is the first 16 hex digits of the SHA-256 of the JSON text of
  ``shared`` (keys sorted, no spaces, Chinese kept), so the same content always has the same ID;
  it is written once per file, before the first line that refers to it;
* a **line** per decision, ``{"line": N, "rule_set": ID, "facts": {...}, "decision": {...}}``:
  the input line, the rule set, the values of the facts the trace read (each named once: within
  one decision a fact has one value) and ``decision``, every other top-level key of
  ``to_dict()`` as it is (the application id, the date, the deadlines, the questions, a bundle,
  and any key a later version adds). Should two trace entries ever give one fact two values, the
  line has ``trace_facts`` (each entry's facts) instead of ``facts``.

:func:`~gridconnect.batch.expand_line` puts a line and its rule set back together: the result
equals ``to_dict()`` (``tests/test_batch_compact.py`` checks it with hypothesis on generated
applications for both engines). :func:`~gridconnect.batch.read_decisions` reads a batch output,
compact or full, and yields ``(line, to_dict())`` for every decision in it;
:func:`~gridconnect.batch.write_parquet` writes the compact form as two Parquet files.
"""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from gridconnect.errors import InputError, Problem

__all__ = [
    "SHARED_KEYS",
    "compact_line",
    "expand_line",
    "read_decisions",
    "rule_set_id",
    "split_decision",
    "write_parquet",
]

#: The top-level keys of ``Decision.to_dict()`` that go in the rule set (every other key stays
#: on the line). ``trace`` goes there without its facts' values.
SHARED_KEYS = ("conclusions", "engine", "jurisdictions", "schema_version", "trace", "undetermined")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def rule_set_id(shared_json: str) -> str:
    """The ID of a rule set: the first 16 hex digits of the SHA-256 of its JSON text."""
    return hashlib.sha256(shared_json.encode()).hexdigest()[:16]


def split_decision(
    decision: Mapping[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """``decision`` (a ``to_dict()``) as ``(shared, facts, own)``: the rule set's part, the
    facts' values (``{"facts": {...}}``, or ``{"trace_facts": [...]}`` when a fact has two values
    in two entries, or ``{}`` without a trace) and the line's own top-level keys."""
    shared = {k: decision[k] for k in SHARED_KEYS if k in decision}
    own = {k: v for k, v in decision.items() if k not in SHARED_KEYS}
    if "trace" not in decision:
        return shared, {}, own
    entries = []
    facts: dict[str, Any] = {}
    texts: dict[str, str] = {}
    one_value = True
    for entry in decision["trace"]:
        names = []
        for name, value in entry["facts"].items():
            names.append(name)
            text = _dumps(value)  # by text: True and 1 are == in Python, not in JSON
            if texts.setdefault(name, text) != text:
                one_value = False
            facts.setdefault(name, value)
        entries.append({**entry, "facts": names})
    shared["trace"] = entries
    if one_value:
        return shared, {"facts": facts}, own
    return shared, {"trace_facts": [dict(e["facts"]) for e in decision["trace"]]}, own


def compact_line(line: int, decision: Mapping[str, Any]) -> tuple[bytes, str, bytes]:
    """A decision's compact line (UTF-8, with its newline), its rule set's ID and the rule set's
    record line."""
    shared, facts, own = split_decision(decision)
    text = _dumps(shared)
    key = rule_set_id(text)
    ((name, values),) = facts.items() if facts else (("facts", {}),)
    body = (
        f'{{"line":{line},"rule_set":"{key}","{name}":{_dumps(values)},"decision":{_dumps(own)}}}\n'
    )
    record = f'{{"rule_set":"{key}","shared":{text}}}\n'
    return body.encode(), key, record.encode()


def expand_line(
    record: Mapping[str, Any], rule_sets: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The ``to_dict()`` of a compact line (parsed), given the rule sets by ID (each the
    ``shared`` part of its record). A full line's ``decision`` is given back as it is."""
    if "rule_set" not in record:
        return dict(record["decision"])
    shared = rule_sets[record["rule_set"]]
    decision = {**record["decision"], **{k: v for k, v in shared.items() if k != "trace"}}
    if "trace" in shared:
        facts = record.get("facts")
        if facts is not None:
            trace = [{**e, "facts": {n: facts[n] for n in e["facts"]}} for e in shared["trace"]]
        else:
            per_entry: Sequence[Mapping[str, Any]] = record["trace_facts"]
            trace = [
                {**e, "facts": dict(f)} for e, f in zip(shared["trace"], per_entry, strict=True)
            ]
        decision["trace"] = trace
    return decision


def _problem(path: Path, number: int, en: str, zh: str) -> InputError:
    return InputError([Problem(path=f"{path}:{number}", en=en, zh=zh)])


def read_decisions(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every decision of a batch output (compact or full), in file order, as ``(input line,
    Decision.to_dict())``. Raises :class:`~gridconnect.errors.InputError` located at the file's
    line for a line that is not JSON or refers to a rule set not written before it.

    For example (``gridconnect batch --compact`` wrote ``decisions.jsonl``)::

        for line, decision in read_decisions("decisions.jsonl"):
            print(line, decision["conclusions"]["track"]["value"])
    """
    path = Path(path)
    rule_sets: dict[str, Mapping[str, Any]] = {}
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                record = json.loads(raw)
            except ValueError as error:
                raise _problem(path, number, f"not JSON ({error})", "不是 JSON") from None
            if "line" not in record:
                rule_sets[record["rule_set"]] = record["shared"]
                continue
            key = record.get("rule_set")
            if key is not None and key not in rule_sets:
                raise _problem(
                    path,
                    number,
                    f"refers to rule set {key}, which is not written before it",
                    f"引用的规则组合 {key} 未在其之前写出",
                )
            yield record["line"], expand_line(record, rule_sets)


def write_parquet(source: str | Path, target: str | Path) -> tuple[Path, Path]:
    """Write a compact batch output as Parquet (needs pyarrow): ``target`` with a row per
    decision (``line``, ``rule_set``, ``application_id``, ``as_of``, and ``facts``,
    ``trace_facts`` and ``decision`` as JSON text, as on the line) and ``target`` with ``.rule_sets`` before its suffix (``rule_set``
    and ``shared`` as JSON text). Returns the two paths."""
    pa: Any = importlib.import_module("pyarrow")
    pq: Any = importlib.import_module("pyarrow.parquet")
    source, target = Path(source), Path(target)
    sets_path = target.with_name(f"{target.stem}.rule_sets{target.suffix or '.parquet'}")
    names = ("line", "rule_set", "application_id", "as_of", "facts", "trace_facts", "decision")
    columns: dict[str, list[Any]] = {k: [] for k in names}
    sets: dict[str, list[str]] = {"rule_set": [], "shared": []}
    with source.open("rb") as f:
        for raw in f:
            record = json.loads(raw)
            if "line" not in record:
                sets["rule_set"].append(record["rule_set"])
                sets["shared"].append(_dumps(record["shared"]))
                continue
            own = record["decision"]
            columns["line"].append(record["line"])
            columns["rule_set"].append(record.get("rule_set"))
            columns["application_id"].append(own.get("application_id"))
            columns["as_of"].append(own.get("as_of"))
            for name in ("facts", "trace_facts"):
                columns[name].append(_dumps(record[name]) if name in record else None)
            columns["decision"].append(_dumps(own))
    pq.write_table(pa.table(columns), target)
    pq.write_table(pa.table(sets), sets_path)
    return target, sets_path
