"""The store: an append-only event log in SQLite, and the state derived from it.

Guarantees
----------
* **Nothing acknowledged is lost.** The database runs in WAL mode with ``synchronous=FULL``;
  one ingested batch is one transaction, and a batch is acknowledged only after its ``COMMIT``
  returned. A process killed in the middle of a batch leaves the database as it was before the
  batch: SQLite rolls the unfinished transaction back when the file is next opened.
* **The log is append-only.** Triggers refuse any ``UPDATE`` or ``DELETE`` of an event; an
  event id is stored once (a second event with the same id is a duplicate, or a conflict if its
  content differs, and is not stored).
* **State is derived.** The ``subjects`` table (one row per application or project) is what
  folding the log gives; :meth:`gridconnect.lifecycle.Tracker.rebuild` drops it and replays the
  log, in each subject's own order, to the same rows.

Schema versions
---------------
The ``schema_version`` table holds one row. Version 1 is described by :data:`SCHEMA`. Version 0
was the prototype layout, one table ``event_log(id TEXT PRIMARY KEY, body TEXT)`` in arrival
order; opening such a store migrates it: its events become batch 1 of a version 1 log, in the
same order, and the state is rebuilt. A store of a newer version, a database that is not a
gridconnect store, and a file that is not an SQLite database are refused with a
:class:`StoreError` that says which.
"""

from __future__ import annotations

import json
import sqlite3
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from gridconnect.errors import GridconnectError, InputError
from gridconnect.lifecycle.events import (
    Event,
    canonical_json,
    parse_event,
    rank,
    subject_of,
)

__all__ = ["BUSY_TIMEOUT", "SCHEMA", "SCHEMA_VERSION", "BatchWriter", "Store", "StoreError"]

SCHEMA_VERSION = 1
BUSY_TIMEOUT = 60.0
"""Seconds a store waits for another process's write (two ``track ingest`` runs on one store,
or creating one store at once) before it reports the store busy."""
_CHUNK = 500  # host parameters per IN (...) query
"""The version of the schema this gridconnect writes."""

SCHEMA = """
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE batches (
    id INTEGER PRIMARY KEY,
    source TEXT,
    received INTEGER NOT NULL,      -- events offered in the batch, duplicates included
    stored INTEGER NOT NULL         -- events of the batch in the log
);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,        -- arrival order
    id TEXT NOT NULL UNIQUE,
    batch INTEGER NOT NULL REFERENCES batches (id),
    subject TEXT NOT NULL,          -- a:<application> or p:<project>
    kind TEXT NOT NULL,
    day TEXT NOT NULL,              -- the event's date, ISO 8601
    rank INTEGER NOT NULL,          -- the kind's place in a day's order
    body TEXT NOT NULL              -- the canonical JSON of the event
);
CREATE INDEX events_by_subject ON events (subject, day, rank, id);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
CREATE TABLE subjects (
    key TEXT PRIMARY KEY,           -- a:<application> or p:<project>
    scope TEXT NOT NULL,            -- application or project
    state TEXT NOT NULL,
    chain TEXT NOT NULL,            -- /CN/440000/440100/440112/, or '' while unknown
    data TEXT NOT NULL              -- the derived state, JSON
) WITHOUT ROWID;
CREATE INDEX subjects_by_scope ON subjects (scope, chain);
"""
"""The tables of schema version 1."""


class StoreError(GridconnectError):
    """The store cannot be opened or used: not a gridconnect store, a newer schema, or a failed
    migration. The message says which, in English and Chinese."""


Outcome = Literal["new", "duplicate", "conflict"]
Row = tuple[str, str, str, str, str]
"""A subject as stored: ``(key, scope, state, chain, data)``."""


class BatchWriter:
    """Writes one batch inside its transaction (see :meth:`Store.batch`)."""

    def __init__(self, connection: sqlite3.Connection, batch: int) -> None:
        self._db = connection
        self.id = batch
        self.received = 0
        self.stored = 0

    def append(self, items: Sequence[tuple[Event, str]]) -> list[Outcome]:
        """Add events (with their canonical JSON) to the log. Each is ``new``, or
        ``duplicate`` (the same event is there already), or ``conflict`` (another event with its
        id is there; it is not stored)."""
        found: dict[str, str] = {}
        ids = list({event.id for event, _ in items})
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            found.update(
                self._db.execute(f"SELECT id, body FROM events WHERE id IN ({marks})", chunk)
            )
        outcomes: list[Outcome] = []
        rows = []
        for event, body in items:
            stored = found.get(event.id)
            if stored is None:
                found[event.id] = body
                rows.append(
                    (
                        event.id,
                        self.id,
                        subject_of(event),
                        event.kind.value,
                        event.on.isoformat(),
                        rank(event.kind),
                        body,
                    )
                )
                outcomes.append("new")
            else:
                outcomes.append("duplicate" if stored == body else "conflict")
        self._db.executemany(
            "INSERT INTO events (id, batch, subject, kind, day, rank, body)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        self.received += len(items)
        self.stored += len(rows)
        return outcomes

    def save(self, rows: Iterable[Row]) -> int:
        """Write the derived state of subjects; returns how many rows."""
        return _save(self._db, rows)


class Store:
    """An SQLite store (``:memory:`` for one that lives as long as the object).

    >>> store = Store(":memory:")
    >>> store.version, store.count_events()
    (1, 0)
    """

    def __init__(self, path: str | Path = ":memory:", *, synchronous: str = "FULL") -> None:
        self.path = str(path)
        try:
            self._db = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT
            )
        except sqlite3.Error as error:
            raise StoreError(
                f"{self.path}: cannot open the store: {error}",
                f"{self.path}：无法打开存储：{error}",
            ) from None
        try:
            _wal(self._db)
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._db.execute("PRAGMA cache_size=-65536")  # 64 MiB of pages, at most
            self._db.execute("PRAGMA journal_size_limit=67108864")  # WAL back to 64 MiB
            self._db.execute("PRAGMA foreign_keys=ON")
            self.version = self._open()
        except sqlite3.OperationalError as error:  # locked past the busy timeout, or I/O
            self._db.close()
            raise StoreError(
                f"{self.path}: cannot use the store: {error}",
                f"{self.path}：无法使用存储：{error}",
            ) from None
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise StoreError(
                f"{self.path}: not a gridconnect store (not an SQLite database: {error})",
                f"{self.path}：不是 gridconnect 存储（不是 SQLite 数据库：{error}）",
            ) from None
        except BaseException:
            self._db.close()
            raise
        # A store that is dropped without close() still closes its connection (Python 3.13
        # warns about connections left open for the garbage collector).
        self._closer = weakref.finalize(self, self._db.close)

    # -- opening and migrating ---------------------------------------------------------------

    def _tables(self) -> set[str]:
        rows = self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {name for (name,) in rows if not name.startswith("sqlite_")}

    def _open(self) -> int:
        tables = self._tables()
        if not tables:
            with self.transaction():
                # Another process may have created the store while this one waited for the
                # write lock: look again inside the transaction.
                tables = self._tables()
                if not tables:
                    for statement in _statements(SCHEMA):
                        self._db.execute(statement)
                    self._db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
                    return SCHEMA_VERSION
        if "schema_version" not in tables:
            raise StoreError(
                f"{self.path}: not a gridconnect store: it has tables "
                f"{', '.join(sorted(tables))} and no schema_version",
                f"{self.path}：不是 gridconnect 存储：含有表 {', '.join(sorted(tables))}，"
                "但没有 schema_version",
            )
        rows = self._db.execute("SELECT version FROM schema_version").fetchall()
        if len(rows) != 1 or not isinstance(rows[0][0], int):
            raise StoreError(
                f"{self.path}: the schema_version table must hold one integer",
                f"{self.path}：schema_version 表须恰有一个整数",
            )
        version: int = rows[0][0]
        if version == SCHEMA_VERSION:
            return version
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: the store has schema version {version}, written by a newer "
                f"gridconnect; this one reads versions 0 to {SCHEMA_VERSION}: upgrade gridconnect",
                f"{self.path}：存储的结构版本为 {version}，由更新的 gridconnect 写入；"
                f"当前版本只能读取 0 至 {SCHEMA_VERSION}，请升级 gridconnect",
            )
        if version == 0:
            self._migrate_from_0(tables)
            return SCHEMA_VERSION
        raise StoreError(
            f"{self.path}: unknown schema version {version}",
            f"{self.path}：未知的结构版本 {version}",
        )

    def _migrate_from_0(self, tables: set[str]) -> None:
        """Version 0 (``event_log``) to 1, in one transaction; the state is rebuilt afterwards."""
        if tables != {"schema_version", "event_log"}:
            raise StoreError(
                f"{self.path}: schema version 0 has the tables schema_version and event_log; "
                f"this store has {', '.join(sorted(tables))}",
                f"{self.path}：结构版本 0 应含 schema_version 与 event_log 表；"
                f"该存储含 {', '.join(sorted(tables))}",
            )
        with self.transaction():
            rows = self._db.execute("SELECT id, body FROM event_log ORDER BY rowid").fetchall()
            events: list[tuple[Event, str]] = []
            problems = []
            for number, (event_id, body) in enumerate(rows, 1):
                where = f"{self.path}: event_log row {number}"
                try:
                    event = parse_event(json.loads(body), source=where)
                except (InputError, ValueError, TypeError) as error:
                    problems.append(str(error))
                    continue
                if event.id != event_id:
                    problems.append(f"{where}: id column {event_id!r} differs from the event's id")
                    continue
                events.append((event, canonical_json(event)))
            if problems:
                raise StoreError(
                    f"{self.path}: cannot migrate schema version 0, nothing was changed:\n"
                    + "\n".join(problems),
                    f"{self.path}：无法迁移结构版本 0，未作任何修改：\n" + "\n".join(problems),
                )
            self._db.execute("DROP TABLE schema_version")
            for statement in _statements(SCHEMA):
                self._db.execute(statement)
            self._db.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
            self._db.execute(
                "INSERT INTO batches (id, source, received, stored) VALUES (1, ?, ?, 0)",
                ("migrated from schema version 0", len(events)),
            )
            writer = BatchWriter(self._db, 1)
            writer.append(events)
            self._db.execute("UPDATE batches SET stored = ? WHERE id = 1", (writer.stored,))
            self._db.execute("DROP TABLE event_log")
            self.set_rebuild_needed(True)

    # -- transactions ------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` if the body raises."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextmanager
    def batch(self, source: str | None = None) -> Iterator[BatchWriter]:
        """One batch, one transaction: the batch and its events are stored together or not at
        all. When the ``with`` block ends without an error, the batch is committed."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO batches (source, received, stored) VALUES (?, 0, 0)", (source,)
            )
            assert cursor.lastrowid is not None
            writer = BatchWriter(db, cursor.lastrowid)
            yield writer
            db.execute(
                "UPDATE batches SET received = ?, stored = ? WHERE id = ?",
                (writer.received, writer.stored, writer.id),
            )

    # -- reading -----------------------------------------------------------------------------

    def load(self, keys: Sequence[str]) -> dict[str, str]:
        """The derived state (JSON) of the subjects among ``keys`` that have one."""
        found: dict[str, str] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = list(keys[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            found.update(
                self._db.execute(f"SELECT key, data FROM subjects WHERE key IN ({marks})", chunk)
            )
        return found

    def subject(self, key: str) -> str | None:
        """The derived state of one subject (JSON), or None if no event names it."""
        row = self._db.execute("SELECT data FROM subjects WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def events_of(self, key: str) -> list[str]:
        """The events of one subject (canonical JSON), in the order they are folded in."""
        rows = self._db.execute(
            "SELECT body FROM events WHERE subject = ? ORDER BY day, rank, id", (key,)
        ).fetchall()
        return [body for (body,) in rows]

    def log(self) -> Iterator[tuple[str, str]]:
        """Every event as ``(subject, body)``, subject by subject, each in folding order."""
        yield from self._db.execute(
            "SELECT subject, body FROM events ORDER BY subject, day, rank, id"
        )

    def subjects(self, scope: str, chain_code: str | None = None) -> Iterator[str]:
        """The derived state (JSON) of every subject of ``scope``; with ``chain_code``, only
        those in that jurisdiction or below it."""
        if chain_code is None:
            cursor = self._db.execute("SELECT data FROM subjects WHERE scope = ?", (scope,))
        else:
            cursor = self._db.execute(
                "SELECT data FROM subjects WHERE scope = ? AND instr(chain, ?) > 0",
                (scope, f"/{chain_code}/"),
            )
        for (data,) in cursor:
            yield str(data)

    def count_events(self) -> int:
        (n,) = self._db.execute("SELECT count(*) FROM events").fetchone()
        return int(n)

    def batches(self) -> list[tuple[int, int, int]]:
        """``(id, received, stored)`` of every committed batch."""
        rows = self._db.execute("SELECT id, received, stored FROM batches ORDER BY id").fetchall()
        return [(int(a), int(b), int(c)) for a, b, c in rows]

    # -- derived state -----------------------------------------------------------------------

    @property
    def rebuild_needed(self) -> bool:
        """Whether the derived state must be rebuilt (after a migration, or an interrupted
        rebuild)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'rebuild_needed'").fetchone()
        return row is not None and row[0] == "1"

    def set_rebuild_needed(self, value: bool) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('rebuild_needed', ?)",
            ("1" if value else "0",),
        )

    def clear_state(self) -> None:
        """Drop every derived row (inside a transaction)."""
        self._db.execute("DELETE FROM subjects")

    def replace(self, rows: Iterable[Row]) -> int:
        """Write derived rows (inside a transaction); returns how many."""
        return _save(self._db, rows)

    def close(self) -> None:
        self._closer()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _save(db: sqlite3.Connection, rows: Iterable[Row]) -> int:
    count = 0

    def counted() -> Iterator[Row]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    db.executemany(
        "INSERT OR REPLACE INTO subjects (key, scope, state, chain, data) VALUES (?, ?, ?, ?, ?)",
        counted(),
    )
    return count


def _wal(db: sqlite3.Connection) -> None:
    """Switch to WAL mode. SQLite reports a busy database at once, without waiting, when two
    connections switch a new file at the same moment (deadlock avoidance), so the switch is
    retried with a growing pause, for at most :data:`BUSY_TIMEOUT` seconds."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    pause = 0.005
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


def _statements(script: str) -> list[str]:
    """The statements of a script (``executescript`` would commit the open transaction)."""
    statements: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line.split("--", 1)[0] + "\n" if "--" in line else line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return [s for s in statements if s]
