"""Where the server decides applications: in its own process with the reference engine, or,
with ``--engine durable``, in a worker process that the server restarts when it dies.

:func:`compute` is the whole of one request's work on an application (read the body as the
CLI reads a file, decide, answer in the CLI's bytes); it never raises a gridconnect error
but returns it as a problem, so that what crosses the process boundary is plain data.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any

import msgspec

from gridconnect.cli.support import json_text
from gridconnect.decide.evaluate import evaluate, get_engine, match, plan_for
from gridconnect.errors import GridconnectError
from gridconnect.interview import apply_answer, pending
from gridconnect.model import codec
from gridconnect.model.application import Application
from gridconnect.model.codec import MAX_DEPTH, loads, structure
from gridconnect.output.text import render_explanation
from gridconnect.plugins.registry import Registry
from gridconnect.serve.config import ServeConfig
from gridconnect.serve.problems import problem_of

__all__ = [
    "KINDS",
    "SOURCE",
    "Outcome",
    "check_depth",
    "compute",
    "decision_bytes",
    "init",
]

SOURCE = "request"
"""How error messages name the request body (the CLI names the file)."""

KINDS = ("evaluate", "explain", "questions", "bundle", "page")
"""What :func:`compute` can be asked for."""

Outcome = tuple[int, str, Any]
"""``(200, media type, bytes)``, or ``(status, "problem", problem+json object)``."""

_state: dict[str, Any] = {}


def init(config_json: str) -> None:
    """Initialise a worker process from :meth:`ServeConfig.to_env` (its own registry)."""
    config = ServeConfig(**json.loads(config_json))
    registry = Registry(
        local=config.rules,
        modules=config.modules,
        disable=config.disable,
        allow_broken=config.allow_broken,
    )
    get_engine(config.engine)
    _state.update(registry=registry, engine=config.engine, max_depth=config.max_depth)


_LINE_HEAD = b'{"line":0,"decision":'
_fast = {"on": True}  # off for the process if a fast answer ever differs from the slow one
log = logging.getLogger("gridconnect.serve")


def decision_bytes(app: Application, as_of: date | None, engine: str, registry: Registry) -> bytes:
    """``json_text(evaluate(app, as_of, engine, registry=registry).to_dict()).encode()``, the same
    bytes, made the batch's way when it can (:func:`gridconnect.batch.serialize.match_line`):
    the text that the matched rules alone decide (conclusions, the trace but for the facts'
    values) is compiled once per combination of matched rules in a rulebook, and per request
    only the application's own values are written into it, with no :class:`Decision` built.

    An application with a bundle, with a fact left unknown, or decided without a broken
    plugin takes the slow way. The first fast answer of each combination is checked against
    the slow way's bytes; should they ever differ, this process answers the slow way from
    then on (and logs it)."""
    from gridconnect.batch.serialize import match_line

    if app.bundle or not _fast["on"] or registry.warnings_for(app.site.division.value):
        return json_text(evaluate(app, as_of, engine, registry=registry).to_dict()).encode()
    found = match(app, as_of, engine, registry=registry)
    if found.unknown_facts:
        return json_text(found.decide().to_dict()).encode()
    line = match_line(0, found, found.resolution(), found.deadlines())
    answer = msgspec.json.format(line[len(_LINE_HEAD) : -2], indent=2) + b"\n"
    checked = found.rulebook.cache("serve.checked")
    key = (found.engine, found.matched)
    if key not in checked:
        slow = json_text(found.decide().to_dict()).encode()
        if slow != answer:
            _fast["on"] = False
            log.warning(json.dumps({"event": "fast_path_off", "reason": "bytes differ"}))
            return slow
        if len(checked) >= 4096:
            checked.clear()
        checked[key] = True
    return answer


def check_depth(body: bytes, max_depth: int) -> None:
    """A stricter nesting limit than the codec's own, when one is configured."""
    if max_depth >= MAX_DEPTH:
        return
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return  # the codec reports the syntax error, located
    codec.check_depth(data, SOURCE, max_depth)


def _answer(
    kind: str,
    body: bytes,
    as_of: date | None,
    lang: str,
    answers: tuple[tuple[str, Any], ...],
    state: dict[str, Any],
) -> Outcome:
    registry: Registry = state["registry"]
    engine: str = state["engine"]
    check_depth(body, state["max_depth"])
    app = loads(body, Application, source=SOURCE)
    if kind == "bundle":
        plan = plan_for(app, as_of, engine, registry=registry)
        return 200, "application/json", json_text(plan.to_dict()).encode()
    if kind == "questions" and answers:
        app_json: dict[str, Any] = json.loads(body)
        for path, value in answers:
            app_json = apply_answer(app_json, path, value)
        app = structure(app_json, Application, source=f"{SOURCE} (answer)")
    if kind == "evaluate":
        return 200, "application/json", decision_bytes(app, as_of, engine, registry)
    decision = evaluate(app, as_of, engine, registry=registry)
    if kind == "questions":
        return 200, "application/json", json_text(pending(decision)).encode()
    if kind == "explain":
        return 200, "text/plain", (render_explanation(decision, lang) + "\n").encode()
    from gridconnect.output.labels import labels_for
    from gridconnect.serve.pages import decision_view, render_page

    view = decision_view(decision, lang, labels_for(registry))
    return 200, "text/html", render_page("decision.html", lang, d=view).encode()


def compute(
    kind: str,
    body: bytes,
    as_of: date | None = None,
    lang: str = "zh",
    answers: tuple[tuple[str, Any], ...] = (),
    state: dict[str, Any] | None = None,
) -> Outcome:
    """One request's work on an application (``kind`` is one of :data:`KINDS`), with the
    registry, engine and depth limit of ``state`` (by default those :func:`init` set up in this
    worker process); a gridconnect error comes back as ``(status, "problem", object)``."""
    try:
        return _answer(kind, body, as_of, lang, answers, _state if state is None else state)
    except GridconnectError as error:
        problem = problem_of(error)
        return problem.status, "problem", problem.to_dict()
