"""What every ``gridconnect`` command shares: how errors end a command, dates, ``--format``."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import click

from gridconnect.errors import (
    CalendarError,
    GridconnectError,
    InputError,
    RuleDataError,
    UnitError,
)
from gridconnect.registry import Registry

F = TypeVar("F", bound=Callable[..., Any])

INPUT_ERRORS: tuple[type[Exception], ...] = (InputError, RuleDataError, CalendarError, UnitError)
"""Errors in what the user gave: exit status 2. Any other gridconnect error exits with 1."""


def guarded(*more_input_errors: type[Exception]) -> Callable[[F], F]:
    """Turn gridconnect errors (and ``more_input_errors``) into a message on standard error and
    an exit status (2 for input, 1 otherwise), never a traceback."""
    input_errors = INPUT_ERRORS + more_input_errors

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except input_errors as error:
                click.echo(str(error), err=True)
                raise SystemExit(2) from None
            except GridconnectError as error:
                click.echo(str(error), err=True)
                raise SystemExit(1) from None

        return wrapper  # type: ignore[return-value]

    return decorate


def parse_date(_: Any, __: Any, value: str | None) -> date | None:
    """A click callback: an ISO date (YYYY-MM-DD), or a usage error in both languages."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD / 不是有效日期") from None


FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Text for people, JSON for programs.",
)


ENGINE = click.option(
    "--engine",
    type=click.Choice(["durable", "reference"]),
    default=None,
    help="Rules engine (default: durable, or reference where it cannot be imported).",
)


AS_OF = click.option(
    "--as-of", callback=parse_date, help="Rules in force on this date (default: date applied)."
)


LANG = click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the text output.",
)


def registry_of(ctx: click.Context) -> Registry:
    """The registry the ``gridconnect`` group's ``--rules``/``--plugin``/``--disable`` options
    describe, built once per command; plugins that failed to load are reported as warnings."""
    obj = ctx.ensure_object(dict)
    if "registry" not in obj:
        registry = Registry(
            local=obj.get("rules", ()),
            modules=obj.get("modules", ()),
            disable=obj.get("disable", ()),
        )
        for error in registry.errors:
            click.echo(f"warning / 警告: {error}", err=True)
        obj["registry"] = registry
    reg: Registry = obj["registry"]
    return reg


def emit(data: Any) -> None:
    """Deterministic JSON on standard output (sorted keys, Chinese kept)."""
    click.echo(json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2))
