"""An interview that asks only what matters (``gridconnect ask``).

In the manner of Oracle Policy Automation's relevance-driven interviews: the application is
evaluated, and of the facts it leaves unknown only those that could change the decision are
asked (:attr:`Decision.questions <gridconnect.decide.decision.Decision.questions>`). Each answer is put
into the application JSON at the question's field and the whole application is decoded again,
so an answer is checked exactly as the same value in a file would be; then the application is
evaluated again, and a question that no longer matters is not asked.

The functions here do no input or output of their own except :func:`save_application`:
:func:`run_interview` takes the callables that ask and print, so that it runs the same in a
terminal, under a test, or behind another front end.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import tempfile
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import click

from gridconnect.cli.support import AS_OF, ENGINE, FORMAT, LANG, emit, guarded, registry_of
from gridconnect.decide.decision import Decision
from gridconnect.decide.evaluate import evaluate
from gridconnect.errors import GridconnectError, InputError, Problem
from gridconnect.model.application import Application
from gridconnect.model.codec import loads, read_bounded, structure
from gridconnect.output.labels import labels_for
from gridconnect.output.text import render_decision
from gridconnect.plugins.hookspecs import hookimpl
from gridconnect.rules.questions import Question

if TYPE_CHECKING:
    from gridconnect.model.codec import JSONObject

__all__ = [
    "Interview",
    "apply_answer",
    "describe_schema",
    "load_application_json",
    "next_question",
    "parse_answer",
    "parse_value",
    "pending",
    "render_interview",
    "run_interview",
    "save_application",
    "split_answer",
]


# -- answers into the application JSON -----------------------------------------------------------


def _located(keys: Sequence[str]) -> str:
    """A JSON path in the codec's style: ``$.applicant.ownership``, ``$.documents[0]``."""
    out = "$"
    for key in keys:
        out += f"[{key}]" if key.isdigit() else f".{key}"
    return out


def apply_answer(app_json: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``app_json`` with ``value`` at the dotted field ``path``; ``app_json`` itself is
    left as it was. Objects missing on the way are created; a number steps into an existing
    list (``documents.0.source``). A path that is empty, or that runs through something other
    than an object or list, raises :class:`~gridconnect.errors.InputError`.

    >>> apply_answer({"applicant": {"kind": "small_micro_enterprise"}}, "applicant.ownership", "private")
    {'applicant': {'kind': 'small_micro_enterprise', 'ownership': 'private'}}
    >>> apply_answer({}, "project.demand_kw", 120)
    {'project': {'demand_kw': 120}}
    """
    keys = path.removeprefix("$.").split(".")
    if not all(k.strip() for k in keys):
        raise InputError(
            [
                Problem(
                    path=path or "$",
                    en="is not a field path (names joined by dots, e.g. applicant.ownership)",
                    zh="不是有效的字段路径（以点连接的字段名，如 applicant.ownership）",
                )
            ]
        )
    data = copy.deepcopy(dict(app_json))
    node: Any = data
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(node, list):
            if not (key.isdigit() and int(key) < len(node)):
                raise InputError(
                    [
                        Problem(
                            path=_located(keys[:i]),
                            en=f"is a list of {len(node)} items, with no item {key!r}",
                            zh=f"为含 {len(node)} 项的列表，没有第 {key!r} 项",
                        )
                    ]
                )
            index = int(key)
            if last:
                node[index] = copy.deepcopy(value)
            else:
                node = node[index]
            continue
        if not isinstance(node, dict):
            raise InputError(
                [
                    Problem(
                        path=_located(keys[:i]),
                        en=f"is not an object, so it has no field {key!r}",
                        zh=f"不是对象，没有字段 {key!r}",
                    )
                ]
            )
        if last:
            node[key] = copy.deepcopy(value)
        else:
            if node.get(key) is None:
                node[key] = {}
            node = node[key]
    return data


def parse_value(text: str) -> Any:
    """A value given on the command line: JSON if it parses as JSON, otherwise the text itself.

    >>> parse_value("0.9"), parse_value("true"), parse_value("private"), parse_value('{"a": 1}')
    (0.9, True, 'private', {'a': 1})
    """
    try:
        return json.loads(text)
    except ValueError:
        return text


def split_answer(item: str) -> tuple[str, Any]:
    """``PATH=VALUE`` as the path and the value (:func:`parse_value`); raises ``ValueError``
    when there is no ``=`` or no path.

    >>> split_answer("applicant.ownership=private")
    ('applicant.ownership', 'private')
    >>> split_answer("power_factor=0.9")
    ('power_factor', 0.9)
    """
    path, sep, value = item.partition("=")
    if not sep or not path.strip():
        raise ValueError(item)
    return path.strip(), parse_value(value)


def parse_answer(text: str, question: Question) -> Any:
    """What the user typed, as a value for ``question``: for a choice, the allowed value it
    names (case aside) or numbers (1 for the first); for a number, the number; for yes or no, a
    boolean; otherwise the text. Full-width characters count as their ASCII forms. What cannot
    be read is returned as the text, for the codec to reject with a located message.

    >>> from gridconnect.rules.questions import ASKS
    >>> parse_answer(" Private ", ASKS["applicant.ownership"]), parse_answer("2", ASKS["applicant.ownership"])
    ('private', 'state')
    >>> parse_answer("０.９", ASKS["capacity.kw"]), parse_answer("high", ASKS["capacity.kw"])
    (0.9, 'high')
    """
    raw = unicodedata.normalize("NFKC", text).strip()
    schema = question.schema
    if "enum" in schema:
        choices = list(schema["enum"])
        for choice in choices:
            if str(choice).casefold() == raw.casefold():
                return choice
        if raw.isdigit() and 1 <= int(raw) <= len(choices):
            return choices[int(raw) - 1]
        return raw
    kind = schema.get("type")
    if kind in ("number", "integer"):
        value = parse_value(raw)
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        return value if is_number else raw
    if kind == "boolean":
        word = raw.casefold()
        if word in {"true", "yes", "y", "是", "对"}:
            return True
        if word in {"false", "no", "n", "否", "不"}:
            return False
        return raw
    if kind == "string":
        return raw
    return parse_value(raw)


# -- reading and writing applications ------------------------------------------------------------


def load_application_json(path: str | Path) -> tuple[dict[str, Any], Application]:
    """An application file as its JSON object (as written, to add answers to) and as a
    validated :class:`~gridconnect.model.application.Application`; an invalid file raises the
    codec's :class:`~gridconnect.errors.InputError`, naming the file."""
    raw = read_bounded(path)  # the one bounded reader: a located error if it cannot be read
    app = loads(raw, Application, source=str(path))  # validates, with located problems
    data: dict[str, Any] = json.loads(raw)  # as written, to add answers to
    return data, app


def save_application(path: str | Path, app_json: Mapping[str, Any]) -> None:
    """Write an application's JSON to ``path`` atomically: a temporary file in the same
    directory, flushed to disk, then renamed over ``path``, so that ``path`` is never half
    written. A file that cannot be written raises :class:`~gridconnect.errors.GridconnectError`.
    """
    target = Path(path)
    text = json.dumps(app_json, ensure_ascii=False, indent=2) + "\n"
    try:
        mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
        fd, temporary = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, mode)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as error:
        raise GridconnectError(
            f"cannot write {target}: {error.strerror}", f"无法写入 {target}：{error.strerror}"
        ) from None


# -- the interview -------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Interview:
    """How an interview ended: the application with its answers, and its decision."""

    app_json: dict[str, Any]  # the application JSON, answers included
    application: Application
    decision: Decision
    answers: tuple[tuple[str, Any], ...] = ()  # (path, value) of each accepted answer, in order
    stopped: bool = False  # the user stopped while a question was still open
    asked: int = 0  # how many questions were put to the user


def next_question(decision: Decision) -> Question | None:
    """The question to ask first: the one the most undetermined slots (then rules) wait on,
    so that one answer settles as much as it can; None when nothing is to be asked."""
    if not decision.questions:
        return None
    return min(decision.questions, key=lambda q: (-len(q.slots), -len(q.rules), q.path))


def describe_schema(schema: Mapping[str, Any], lang: str = "zh") -> str:
    """The answers a question allows, in words: the choices, or the kind of value and its range.

    >>> describe_schema({"type": "number", "exclusiveMinimum": 0, "maximum": 1}, "en")
    'a number greater than 0 and at most 1'
    >>> describe_schema({"type": "number", "exclusiveMinimum": 0, "maximum": 1})
    '数值，大于 0 且不大于 1'
    >>> describe_schema({"enum": ["private", "state"]}, "en")
    'one of: 1 private, 2 state (the value or its number)'
    """
    zh = lang == "zh"
    if "enum" in schema:
        choices = ", ".join(f"{i} {v}" for i, v in enumerate(schema["enum"], 1))
        return (
            f"可选：{choices}（填值或序号）"
            if zh
            else f"one of: {choices} (the value or its number)"
        )
    kind = schema.get("type")
    names = {
        "number": ("a number", "数值"),
        "integer": ("a whole number", "整数"),
        "boolean": ("yes or no", "是或否"),
        "string": ("text", "文本"),
    }
    name = names.get(str(kind), ("a JSON value", "JSON 值"))[zh]
    bounds = {
        "minimum": ("at least", "不小于"),
        "exclusiveMinimum": ("greater than", "大于"),
        "maximum": ("at most", "不大于"),
        "exclusiveMaximum": ("less than", "小于"),
    }
    parts = [f"{bounds[k][zh]} {schema[k]}" for k in bounds if k in schema]
    if not parts:
        return name
    return f"{name}，{' 且'.join(parts)}" if zh else f"{name} {' and '.join(parts)}"


def _slot_name(slot: str, zh: bool) -> str:
    return labels_for().slot(slot, "zh" if zh else "en")


def _format_question(question: Question, number: int, lang: str) -> str:
    zh = lang == "zh"
    slots = ("、" if zh else ", ").join(_slot_name(s, zh) for s in question.slots)
    return "\n".join(
        [
            f"[{number}] {question.path}",
            question.prompt.zh if zh else question.prompt.en,
            f"  {'答案' if zh else 'answer'}: {describe_schema(question.schema, lang)}",
            f"  {'影响' if zh else 'decides'}: {slots}",
        ]
    )


def run_interview(
    app_json: Mapping[str, Any],
    decide: Callable[[Application], Decision],
    ask: Callable[[str], str | None],
    say: Callable[[str], None],
    *,
    lang: str = "zh",
    source: str | None = None,
) -> Interview:
    """Ask, one at a time, the questions that could change the decision of ``app_json``.

    ``decide`` evaluates an application; ``ask`` shows a prompt and returns what the user typed,
    or None at the end of input; ``say`` prints a block of text. Each answer is read with
    :func:`parse_answer`, put at the question's field with :func:`apply_answer`, and the
    application decoded again: an answer the codec refuses is reported with its located
    message (English and Chinese) and the question is asked again. After each accepted answer
    the application is decided again and the next question that still matters is asked. An
    empty answer or the end of input stops the interview with the decision as it stands.

    ``app_json`` must be a valid application (``source`` names it in the error otherwise).
    """
    zh = lang == "zh"
    current = dict(app_json)
    application = structure(current, Application, source=source)
    decision = decide(application)
    answers: list[tuple[str, Any]] = []
    if decision.questions:
        n = len(decision.questions)
        say(
            f"申请 {decision.application_id}：有 {n} 个问题可能改变决定（直接回车或 Ctrl-D 结束）。"
            if zh
            else f"Application {decision.application_id}: {n} question{'s' if n != 1 else ''} "
            "could change the decision (an empty answer or Ctrl-D stops)."
        )
    number = 0
    while (question := next_question(decision)) is not None:
        number += 1
        say("\n" + _format_question(question, number, lang))
        while True:
            text = ask("回答" if zh else "Answer")
            if text is None or not text.strip():
                return Interview(
                    app_json=current,
                    application=application,
                    decision=decision,
                    answers=tuple(answers),
                    stopped=True,
                    asked=number,
                )
            value = parse_answer(text, question)
            try:
                if value is None:
                    raise InputError(
                        [
                            Problem(
                                path=_located(question.path.split(".")),
                                en="needs an answer",
                                zh="须作答",
                            )
                        ]
                    )
                candidate = apply_answer(current, question.path, value)
                answered = structure(candidate, Application)
            except InputError as error:
                say(str(error))
                continue
            break
        current, application = candidate, answered
        answers.append((question.path, value))
        decision = decide(application)
    return Interview(
        app_json=current,
        application=application,
        decision=decision,
        answers=tuple(answers),
        asked=number,
    )


def render_interview(result: Interview, lang: str = "zh") -> str:
    """The decision an interview ended with, as text: whether it is complete, then the decision
    (:func:`~gridconnect.output.text.render_decision`, which lists what is still undetermined and
    the fields that would settle it)."""
    zh = lang == "zh"
    if result.decision.complete:
        head = "决定已完整。" if zh else "The decision is complete."
    elif result.stopped:
        head = (
            "已停止；以下为当前的决定，仍有待定项。"
            if zh
            else "Stopped; the decision as it stands, still undetermined in part."
        )
    else:
        head = (
            "决定仍有待定项，但没有可问的问题。"
            if zh
            else "The decision is undetermined in part, and nothing can be asked that would settle it."
        )
    return head + "\n" + render_decision(result.decision, lang)


def pending(decision: Decision) -> JSONObject:
    """The JSON a form asks from: ``questions``, ``undetermined``, ``complete`` and the whole
    ``decision`` (the questions and undetermined slots as in the decision's own JSON)."""
    data = decision.to_dict()
    return {
        "questions": data["questions"],
        "undetermined": data["undetermined"],
        "complete": decision.complete,
        "decision": data,
    }


def _answer_items(_: Any, __: Any, items: Sequence[str]) -> tuple[tuple[str, Any], ...]:
    """A click callback: each ``PATH=VALUE`` of ``--answer`` as (path, value)."""
    try:
        return tuple(split_answer(item) for item in items)
    except ValueError as error:
        raise click.BadParameter(
            f"{str(error)!r} is not PATH=VALUE / 应为 字段路径=值（如 power_factor=0.9）"
        ) from None


def _prompt(text: str) -> str | None:
    """What the user types after ``text``; None at the end of input (or on Ctrl-C)."""
    try:
        answer: str = click.prompt(text, default="", show_default=False, prompt_suffix=": ")
    except click.Abort:
        click.echo()
        return None
    return answer


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--answer",
    "answers",
    multiple=True,
    metavar="PATH=VALUE",
    callback=_answer_items,
    help="Set the application field PATH (dotted, e.g. applicant.ownership) before asking; "
    "VALUE is read as JSON if it parses, else as text; repeatable.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Write the application with its answers to this file (atomically).",
)
@AS_OF
@ENGINE
@FORMAT
@LANG
@click.pass_context
@guarded()
def ask(
    ctx: click.Context,
    file: str,
    answers: tuple[tuple[str, Any], ...],
    out: str | None,
    as_of: date | None,
    engine: str | None,
    fmt: str,
    lang: str,
) -> None:
    """Ask only the questions that could change the decision, then print it.

    With --format json nothing is asked: the questions, the undetermined slots and the decision
    are printed as JSON, for a form to ask only what matters.
    """
    registry = registry_of(ctx)
    app_json, app = load_application_json(file)
    for path, value in answers:
        app_json = apply_answer(app_json, path, value)
    source = f"{file} (--answer)" if answers else file

    def decide(application: Application) -> Decision:
        return evaluate(application, as_of, engine, registry=registry)

    if fmt == "json":
        if answers:
            app = structure(app_json, Application, source=source)
        emit(pending(decide(app)))
        if out:
            save_application(out, app_json)
        return
    result = run_interview(app_json, decide, _prompt, click.echo, lang=lang, source=source)
    click.echo(("\n" if result.asked else "") + render_interview(result, lang))
    if out:
        save_application(out, result.app_json)
        click.echo(f"\n{'已写入' if lang == 'zh' else 'written to'} {out}")


@hookimpl
def gridconnect_commands() -> list[click.Command]:
    """The ``ask`` command."""
    return [ask]
