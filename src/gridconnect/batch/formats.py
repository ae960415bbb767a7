"""Reading and writing corpora: JSON Lines, CSV and (with the ``parquet`` extra) Parquet.

Rows are read lazily, one at a time, so memory does not grow with the file. Each row keeps the
number of the line it starts on (JSON Lines, CSV; the header is line 1) or its row number
(Parquet, from 1), which is how outputs and rejects refer to it. Blank lines of a JSON Lines file
are not rows.

The flat (CSV and Parquet) form of an application
-------------------------------------------------

One column per leaf field, named by its JSON path without ``$.`` (see :data:`COLUMNS`); an empty
cell means the field is absent. Lists of objects (``documents``, ``works.segments``, ``bundle``)
are one cell holding their JSON. So ``applicant.kind`` is the column of ``$.applicant.kind``,
and a problem found in ``$.works.segments[1].laying`` is in the JSON of the ``works.segments``
cell. Cells of numbers are read as written (``0.90`` stays ``Decimal('0.90')``), cells of
``simple_case`` and ``project.has_electricity_demand`` are ``true`` or ``false``; a cell that is
not what its column needs is passed on unchanged, and validation reports it at its path.
Parquet columns may hold text like CSV cells, or typed values (numbers, booleans, lists).
"""

from __future__ import annotations

import csv
import importlib
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from gridconnect.errors import InputError, Problem, shown
from gridconnect.model.codec import MAX_INPUT_BYTES

__all__ = [
    "COLUMNS",
    "KIND_BAD",
    "KIND_DATA",
    "KIND_FLAT",
    "KIND_JSON",
    "Format",
    "Row",
    "detect_format",
    "flatten",
    "read_rows",
    "unflatten",
    "write_records",
]

Format = Literal["jsonl", "csv", "parquet"]

KIND_JSON = 0
"""Row payload: the bytes of one JSON Lines line."""
KIND_FLAT = 1
"""Row payload: a CSV or Parquet row, column name -> cell."""
KIND_DATA = 2
"""Row payload: JSON-shaped data (from the Python API)."""
KIND_BAD = 3
"""Row payload: ``(en, zh)``, why the reader could not read this row."""

Row = tuple[int, int, Any]
"""``(line, kind, payload)``."""

ColumnKind = Literal["text", "number", "bool", "json"]

#: The columns of the flat form, in order, with the kind of their cells.
COLUMNS: Mapping[str, ColumnKind] = {
    "id": "text",
    "applied_on": "text",
    "applicant.kind": "text",
    "applicant.name": "text",
    "applicant.resident_id": "text",
    "applicant.credit_code": "text",
    "applicant.ownership": "text",
    "site.division": "text",
    "site.area": "text",
    "site.address": "text",
    "service": "text",
    "capacity.value": "number",
    "capacity.unit": "text",
    "power_factor": "number",
    "voltage": "text",
    "supply_mode": "text",
    "channel": "text",
    "simple_case": "bool",
    "documents": "json",
    "project.project_approval": "text",
    "project.land_use_permit": "text",
    "project.planning_permit": "text",
    "project.construction_permit": "text",
    "project.completion_acceptance": "text",
    "project.has_electricity_demand": "bool",
    "works.segments": "json",
    "works.approval_filed_on": "text",
    "bundle": "json",
}

_SPLIT = {c: tuple(c.split(".")) for c in COLUMNS}


def detect_format(path: str | Path, given: str | None = None) -> Format:
    """The format named, or the one the file's suffix says (``.csv``, ``.parquet``/``.pq``,
    anything else JSON Lines)."""
    if given is not None:
        if given not in ("jsonl", "csv", "parquet"):
            raise ValueError(f"unknown format {given!r}")
        return given  # type: ignore[return-value]
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    return "jsonl"


# -- flat <-> nested ---------------------------------------------------------------------------


def unflatten(row: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON-shaped application of a flat row; raises :class:`InputError` for a JSON cell
    that is not JSON.

    >>> unflatten({"id": "A1", "capacity.value": "0.90", "capacity.unit": "kW", "voltage": ""})
    {'id': 'A1', 'capacity': {'value': '0.90', 'unit': 'kW'}}
    """
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for column, cell in row.items():
        if cell is None or cell == "":
            continue
        kind = COLUMNS.get(column)
        value: Any = cell
        if kind is None:
            problems.append(Problem(path=f"$.{column}", en="unknown column", zh="未知列"))
            continue
        if isinstance(cell, str):
            if kind == "bool" and cell.strip().lower() in ("true", "false"):
                value = cell.strip().lower() == "true"
            elif kind == "json":
                try:
                    value = json.loads(cell)
                except (ValueError, RecursionError):
                    problems.append(
                        Problem(
                            path=f"$.{column}",
                            en="the cell is not valid JSON",
                            zh="单元格不是有效的 JSON",
                        )
                    )
                    continue
        elif hasattr(cell, "tolist"):  # a Parquet list arrives as a sequence
            value = cell.tolist()
        node = out
        *parents, leaf = _SPLIT[column]
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    if problems:
        raise InputError(problems)
    return out


def flatten(app: Mapping[str, Any]) -> dict[str, str]:
    """The flat row (text cells) of a JSON-shaped application; the inverse of :func:`unflatten`.

    >>> flatten({"id": "A1", "capacity": {"value": 8, "unit": "kW"}, "simple_case": True})
    {'id': 'A1', 'capacity.value': '8', 'capacity.unit': 'kW', 'simple_case': 'true'}
    """
    row: dict[str, str] = {}

    def put(column: str, value: Any) -> None:
        kind = COLUMNS.get(column)
        if kind is None:
            raise ValueError(f"no column for {column!r}")
        if kind == "json":
            row[column] = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        elif isinstance(value, bool):
            row[column] = "true" if value else "false"
        elif isinstance(value, str):
            row[column] = value
        else:
            row[column] = json.dumps(value)

    for key, value in app.items():
        if isinstance(value, dict) and key in ("applicant", "site", "capacity", "project", "works"):
            for sub, item in value.items():
                put(f"{key}.{sub}", item)
        else:
            put(key, value)
    return row


# -- reading -----------------------------------------------------------------------------------


def read_rows(path: str | Path, fmt: Format) -> Iterator[Row]:
    """Every row of the file, lazily."""
    if fmt == "jsonl":
        return _read_jsonl(Path(path))
    if fmt == "csv":
        return _read_csv(Path(path))
    return _read_parquet(Path(path))


def data_rows(records: Iterable[Mapping[str, Any] | str]) -> Iterator[Row]:
    """Rows from records in memory (JSON-shaped dicts, or JSON text), numbered from 1."""
    for number, record in enumerate(records, 1):
        if isinstance(record, str):
            yield number, KIND_JSON, record.encode("utf-8", "surrogatepass")
        else:
            yield number, KIND_DATA, record


def _read_jsonl(path: Path) -> Iterator[Row]:
    limit = MAX_INPUT_BYTES + 1
    with path.open("rb") as f:
        number = 0
        while True:
            line = f.readline(limit)
            if not line:
                return
            number += 1
            if len(line) >= limit and not line.endswith(b"\n"):
                # Too long to be an application: skip to the end of the line without keeping it.
                while True:
                    rest = f.readline(1 << 16)
                    if not rest or rest.endswith(b"\n"):
                        break
                yield (
                    number,
                    KIND_BAD,
                    (f"larger than {MAX_INPUT_BYTES} bytes", f"超过 {MAX_INPUT_BYTES} 字节"),
                )
                continue
            if line.strip():
                yield number, KIND_JSON, line.rstrip(b"\r\n")


def _balanced(text: str) -> bool:
    """Whether every quoted cell opened in ``text`` is closed (quotes in a cell are doubled)."""
    return text.count('"') % 2 == 0


def _cells(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text, newline="")), [])


def _read_csv(path: Path) -> Iterator[Row]:
    """CSV rows. A quoted cell may run over several lines, but never over a line that is a
    whole record by itself: an unclosed quote is reported on its own line, and reading goes on
    with the next record instead of swallowing the lines after it. Lines and records are
    bounded by :data:`~gridconnect.model.codec.MAX_INPUT_BYTES`."""
    limit = MAX_INPUT_BYTES
    csv.field_size_limit(limit)
    with path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="") as f:
        number = 0
        ahead: list[str] = []

        def physical() -> str:
            nonlocal number
            line = ahead.pop() if ahead else f.readline(limit + 1)
            if line:
                number += 1
            if len(line) > limit:  # skip the rest of an over-long line without keeping it
                while line and not line.endswith("\n"):
                    line = f.readline(1 << 16)
                return "\x00"  # too long: reported by the caller
            return line

        header_line = physical()
        if not header_line:
            return
        header = _cells(header_line)
        unknown = [c for c in header if c not in COLUMNS]
        if unknown or len(set(header)) != len(header):
            problems = [
                Problem(path=shown(c), en="unknown column", zh="未知列") for c in unknown[:20]
            ] or [Problem(path="header", en="a column is named twice", zh="列名重复")]
            raise InputError(problems, source=shown(str(path), 200))

        def starts_a_record(line: str) -> bool:
            return _balanced(line) and len(_cells(line)) == len(header)

        while True:
            line = physical()
            if not line:
                return
            start = number
            if line == "\x00":
                yield start, KIND_BAD, (f"larger than {limit} bytes", f"超过 {limit} 字节")
                continue
            record = line
            while not _balanced(record):
                following = physical()
                if (
                    not following
                    or following == "\x00"
                    or starts_a_record(following)
                    or len(record) + len(following) > limit
                ):
                    if following:
                        ahead.append(following)
                        number -= 1
                    record = ""
                    break
                record += following
            if not record:
                yield (
                    start,
                    KIND_BAD,
                    (
                        "not valid CSV: a quoted cell is not closed (unbalanced quote)",
                        "不是有效的 CSV：引号未闭合",
                    ),
                )
                continue
            try:
                cells = _cells(record)
            except csv.Error as error:
                yield start, KIND_BAD, (f"not valid CSV: {error}", "不是有效的 CSV")
                continue
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if len(cells) > len(header):
                yield (
                    start,
                    KIND_BAD,
                    (
                        f"{len(cells)} cells for {len(header)} columns",
                        f"{len(cells)} 个单元格，但只有 {len(header)} 列",
                    ),
                )
                continue
            yield start, KIND_FLAT, dict(zip(header, cells, strict=False))


def _read_parquet(path: Path) -> Iterator[Row]:
    try:
        pq: Any = importlib.import_module("pyarrow.parquet")
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError(
            [
                Problem(
                    path="$",
                    en="reading Parquet needs pyarrow: pip install 'gridconnect[parquet]'",
                    zh="读取 Parquet 需要 pyarrow：pip install 'gridconnect[parquet]'",
                )
            ],
            source=str(path),
        ) from None
    source = shown(str(path), 200)

    def corrupt(error: Exception, where: str) -> InputError:
        return InputError(
            [
                Problem(
                    path=where,
                    en=f"not a readable Parquet file: {shown(str(error).strip(), 200)}",
                    zh="不是可读取的 Parquet 文件",
                )
            ],
            source=source,
        )

    try:
        parquet = pq.ParquetFile(path)
        names = parquet.schema_arrow.names
    except Exception as error:  # pyarrow raises ArrowInvalid, OSError, ... for a corrupt file
        raise corrupt(error, "$") from None
    unknown = [c for c in names if c not in COLUMNS]
    if unknown:
        raise InputError(
            [Problem(path=shown(c), en="unknown column", zh="未知列") for c in unknown[:20]],
            source=source,
        )
    number = 0
    batches = parquet.iter_batches(batch_size=4096)
    while True:
        try:
            batch = next(batches, None)
            records = None if batch is None else batch.to_pylist()
        except Exception as error:  # a corrupt row group, found while reading it
            raise corrupt(error, f"row {number + 1}") from None
        if records is None:
            return
        for record in records:
            number += 1
            yield number, KIND_FLAT, record


# -- writing -----------------------------------------------------------------------------------


def write_records(path: str | Path, records: Iterable[Mapping[str, Any] | str]) -> int:
    """Write applications (JSON-shaped dicts; a text record is written as it is, for a
    deliberately broken line) to ``path`` in the format of its suffix. Returns the count."""
    fmt = detect_format(path)
    count = 0
    if fmt == "jsonl":
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            for record in records:
                text = record if isinstance(record, str) else _jsonl(record)
                f.write(text + "\n")
                count += 1
        return count
    rows = (_flat_record(r) for r in records)
    if fmt == "csv":
        with open(path, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(COLUMNS), lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow(row)
                count += 1
        return count
    pa: Any = importlib.import_module("pyarrow")
    pq: Any = importlib.import_module("pyarrow.parquet")

    schema = pa.schema([(c, pa.string()) for c in COLUMNS])
    with pq.ParquetWriter(path, schema) as writer:
        batch: list[dict[str, str]] = []
        for row in rows:
            batch.append(row)
            count += 1
            if len(batch) == 8192:
                writer.write_table(_table(pa, schema, batch))
                batch = []
        if batch or count == 0:
            writer.write_table(_table(pa, schema, batch))
    return count


def _table(pa: Any, schema: Any, rows: list[dict[str, str]]) -> Any:
    return pa.table({c: [r.get(c) for r in rows] for c in COLUMNS}, schema=schema)


def _jsonl(record: Mapping[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def _flat_record(record: Mapping[str, Any] | str) -> dict[str, str]:
    if isinstance(record, str):
        # A line that is not JSON has no flat form: write a row whose JSON cell is broken.
        return {"id": "BROKEN", "documents": "[{"}
    return flatten(record)
