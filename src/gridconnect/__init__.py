"""gridconnect: China's getting-electricity (获得电力) policy as tested, cited, executable rules.

>>> import gridconnect
>>> app = gridconnect.load_application("examples/applications/foshan-resident.json")
>>> decision = gridconnect.evaluate(app, engine="reference")
>>> decision.track
<Track.THREE_ZERO: 'three_zero'>
>>> decision.track == "three_zero", decision.approval.mode
(True, None)

An application also comes from JSON-shaped data or text, and goes back to it:

>>> same = gridconnect.Application.from_json(app.to_json())
>>> same == app, gridconnect.Application.from_dict(app.to_dict()) == app
(True, True)
"""

from __future__ import annotations

from gridconnect import _compat
from gridconnect.decide.calendar import ChinaCalendar, WorkingDayCalendar, national_calendar
from gridconnect.decide.decision import (
    ApprovalAuthority,
    ApprovalMode,
    ApprovalView,
    Conclusion,
    Deadline,
    Decision,
    Question,
    Supply,
    TraceEntry,
    Track,
)
from gridconnect.decide.evaluate import evaluate, get_engine, questions, rulebook_for
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
from gridconnect.model.codec import load_file
from gridconnect.plugins.registry import Registry, default_registry

__all__ = [
    "Application",
    "ApprovalAuthority",
    "ApprovalMode",
    "ApprovalView",
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
    "Supply",
    "TraceEntry",
    "Track",
    "UnitError",
    "WorkingDayCalendar",
    "application_from_json",
    "default_registry",
    "evaluate",
    "get_engine",
    "load_application",
    "national_calendar",
    "questions",
    "rulebook_for",
]

__version__ = "0.1.0"

_compat.install()  # gridconnect.decision, gridconnect.registry, ...: deprecated, still importable


def load_application(path: str) -> Application:
    """Read and validate one application JSON file; the error names the file."""
    return load_file(path, Application)


def application_from_json(text: str | bytes) -> Application:
    """Validate an application given as JSON text: the same as
    :meth:`Application.from_json <gridconnect.model.Application.from_json>`, kept under this
    name (not deprecated)."""
    return Application.from_json(text)
