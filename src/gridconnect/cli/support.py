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
    PluginError,
    RuleDataError,
    UnitError,
)
from gridconnect.plugins.registry import Registry

F = TypeVar("F", bound=Callable[..., Any])

INPUT_ERRORS: tuple[type[Exception], ...] = (
    InputError,
    RuleDataError,
    CalendarError,
    UnitError,
    PluginError,
)
"""Errors in what the user gave or set up (a plugin that failed included): exit status 2. Any
other gridconnect error exits with 1."""


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


def parse_date(_: object, __: object, value: str | None) -> date | None:
    """A click callback: an ISO date (YYYY-MM-DD), or a usage error in both languages."""
    if value is None:
        return None
    from gridconnect.errors import FieldValueError, shown
    from gridconnect.model.codec import check_date

    try:
        return check_date(date.fromisoformat(value))
    except FieldValueError as error:
        raise click.BadParameter(f"{value}: {error}") from None
    except ValueError:
        raise click.BadParameter(
            f"{shown(repr(value))} is not a date YYYY-MM-DD / 不是有效日期"
        ) from None


FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Text for people, JSON for programs.",
)


PAGE_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
    help="Text for people, JSON for programs, or one standalone printable HTML page.",
)


SHOW_PERSONAL_DATA = click.option(
    "--show-personal-data",
    is_flag=True,
    default=False,
    help="Show resident identity card numbers and credit codes in clear (masked by default: "
    "first 4 and last 2 characters); for those entitled to see them.",
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


def _lang(_: Any, __: Any, value: str | None) -> str:
    """A click callback: the ``--lang`` given, else the locale's (see ``default_lang``)."""
    if value is not None:
        return value
    from gridconnect.output.labels import default_lang

    try:
        return default_lang()
    except ValueError as error:
        raise click.BadParameter(f"GRIDCONNECT_LANG: {error}") from None


LANG = click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default=None,
    callback=_lang,
    help="Language of the text output (default: GRIDCONNECT_LANG, else the locale: zh for a "
    "zh_* locale, C or none; en for any other).",
)


def registry_of(ctx: click.Context) -> Registry:
    """The registry the ``gridconnect`` group's ``--rules``/``--plugin``/``--disable``/
    ``--allow-broken-plugins`` options describe, built once per command.

    A rules file or plugin asked for by name that cannot load ends the command (exit status 2,
    the file and the reason in both languages); an installed plugin that failed is reported
    as a warning, and the decisions of its jurisdictions are errors (see
    :meth:`~gridconnect.plugins.registry.Registry.failure_for`)."""
    obj = ctx.ensure_object(dict)
    if "registry" not in obj:
        registry = Registry(
            local=obj.get("rules", ()),
            modules=obj.get("modules", ()),
            disable=obj.get("disable", ()),
            allow_broken=obj.get("allow_broken", False),
        )
        if registry.explicit_errors:
            for error in registry.explicit_errors:
                click.echo(f"error / 错误: {error}", err=True)
            raise SystemExit(2)
        for error in registry.errors:
            click.echo(f"warning / 警告: {error}", err=True)
        obj["registry"] = registry
    reg: Registry = obj["registry"]
    return reg


def json_text(data: object) -> str:
    """The JSON every command prints with ``--format json`` (and ``gridconnect serve`` sends),
    newline included: sorted keys, Chinese kept, two-space indent."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def emit(data: object) -> None:
    """Deterministic JSON on standard output (sorted keys, Chinese kept)."""
    click.echo(json_text(data), nl=False)
