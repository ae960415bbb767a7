"""gridconnect: China's getting-electricity (获得电力) policy as tested, cited, executable rules.

>>> import gridconnect
>>> app = gridconnect.load_application("examples/applications/foshan-resident.json")
>>> decision = gridconnect.evaluate(app, engine="reference")
>>> decision.track
'three_zero'
"""

from __future__ import annotations

from gridconnect.api import evaluate, get_engine, questions, rulebook_for
from gridconnect.calendar import ChinaCalendar, WorkingDayCalendar, national_calendar
from gridconnect.decision import Conclusion, Deadline, Decision, Question, TraceEntry
from gridconnect.errors import (
    CalendarError,
    ConflictError,
    EngineError,
    GridconnectError,
    InputError,
    PluginError,
    Problem,
    RuleDataError,
    UnitError,
)
from gridconnect.model.application import Application
from gridconnect.model.codec import load_file, loads
from gridconnect.registry import Registry, default_registry

__all__ = [
    "Application",
    "CalendarError",
    "ChinaCalendar",
    "Conclusion",
    "ConflictError",
    "Deadline",
    "Decision",
    "EngineError",
    "GridconnectError",
    "InputError",
    "PluginError",
    "Problem",
    "Question",
    "Registry",
    "RuleDataError",
    "TraceEntry",
    "UnitError",
    "WorkingDayCalendar",
    "default_registry",
    "evaluate",
    "get_engine",
    "load_application",
    "national_calendar",
    "questions",
    "rulebook_for",
]

__version__ = "0.1.0"


def load_application(path: str) -> Application:
    """Read and validate one application JSON file."""
    return load_file(path, Application)


def application_from_json(text: str | bytes) -> Application:
    """Validate an application given as JSON text."""
    return loads(text, Application)
