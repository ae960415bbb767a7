"""Lifecycle tracking: events, the statechart, the SQLite store, the time-limit clock, 主动办.

Government project events and the utility's application events are validated like the model
(:mod:`~gridconnect.lifecycle.events`), stored once each in an append-only SQLite log
(:mod:`~gridconnect.lifecycle.store`), and folded into the state of their application or project
by the statechart (:mod:`~gridconnect.lifecycle.statechart`), whose transitions and proactive
(主动办) actions are rule data (:mod:`~gridconnect.lifecycle.rules`). The clock
(:mod:`~gridconnect.lifecycle.clock`) measures every stage against the limits of the
application's decision, and :mod:`~gridconnect.lifecycle.metrics` gives the Getting-Electricity
indicators and the 三省 savings against a baseline.

>>> from datetime import date
>>> from pathlib import Path
>>> tracker = Tracker(":memory:", engine="reference")
>>> with open("examples/events/stream.jsonl", encoding="utf-8") as lines:
...     result = tracker.ingest(read_events(lines, source="stream.jsonl",
...                                         base=Path("examples/events")))
>>> status = tracker.status("GZ-HP-2025-0107", as_of=date(2025, 6, 30))
>>> status.state, status.proactive, status.clock("whole_process").working_days
('connected', True, 20)
"""

from __future__ import annotations

from gridconnect.lifecycle.clock import STAGES, Period, StageClock, clock
from gridconnect.lifecycle.events import (
    ApplicationEvent,
    Event,
    EventKind,
    PauseEnded,
    PauseReason,
    PauseStarted,
    ProjectEvent,
    Submitted,
    event_from_json,
    parse_event,
    read_events,
)
from gridconnect.lifecycle.metrics import (
    Baseline,
    Indicators,
    Savings,
    baseline_for,
    indicators,
    savings,
)
from gridconnect.lifecycle.rules import Action, LifecycleRule, core_rules, parse_lifecycle_rules
from gridconnect.lifecycle.statechart import Statechart, Step
from gridconnect.lifecycle.store import Store, StoreError
from gridconnect.lifecycle.tracker import (
    ApplicationStatus,
    BatchResult,
    IngestResult,
    ProjectStatus,
    Report,
    StageStats,
    Tracker,
)

__all__ = [
    "STAGES",
    "Action",
    "ApplicationEvent",
    "ApplicationStatus",
    "Baseline",
    "BatchResult",
    "Event",
    "EventKind",
    "Indicators",
    "IngestResult",
    "LifecycleRule",
    "PauseEnded",
    "PauseReason",
    "PauseStarted",
    "Period",
    "ProjectEvent",
    "ProjectStatus",
    "Report",
    "Savings",
    "StageClock",
    "StageStats",
    "Statechart",
    "Step",
    "Store",
    "StoreError",
    "Submitted",
    "Tracker",
    "baseline_for",
    "clock",
    "core_rules",
    "event_from_json",
    "indicators",
    "parse_event",
    "parse_lifecycle_rules",
    "read_events",
    "savings",
]
