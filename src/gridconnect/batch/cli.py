"""The ``gridconnect batch``, ``compare`` and ``corpus`` commands.

They are registered on the main ``gridconnect`` group by :mod:`gridconnect.cli`. The group's
``--rules``, ``--plugin`` and ``--disable`` apply to every scenario, as they do to ``evaluate``.
"""

from __future__ import annotations

import contextlib
import json
import signal
from collections.abc import Callable, Iterator
from datetime import date
from types import FrameType
from typing import Any, TypeVar

import click

from gridconnect.cli.support import ENGINE, FORMAT, LANG, guarded, parse_date
from gridconnect.plugins.hookspecs import hookimpl

__all__ = ["batch", "compare_cmd", "corpus"]

F = TypeVar("F", bound=Callable[..., Any])

WORKERS = click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help="Worker processes (default: one per core; 0: evaluate in this process).",
)
CHUNK = click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=500,
    show_default=True,
    help="Rows per task sent to a worker.",
)
INPUT_FORMAT = click.option(
    "--input-format",
    type=click.Choice(["jsonl", "csv", "parquet"]),
    default=None,
    help="Format of INPUT (default: from its suffix; .csv, .parquet, else JSON Lines).",
)
DASK = click.option(
    "--dask",
    "dask",
    is_flag=False,
    flag_value="local",
    default=None,
    metavar="[ADDRESS]",
    help="Run on Dask: a local cluster (--dask alone) or the scheduler at ADDRESS. "
    "Needs the dask extra.",
)


def _global(ctx: click.Context) -> dict[str, tuple[str, ...]]:
    obj = ctx.find_root().obj or {}
    return {k: tuple(obj.get(k, ())) for k in ("rules", "modules", "disable")}


def _warn(scenario: Any) -> None:
    """Plugins set aside while loading a scenario's rules, as ``evaluate`` reports them."""
    from gridconnect.batch.scenario import registry_for

    for error in registry_for(scenario).registry.errors:
        click.echo(f"warning / 警告: {error}", err=True)


@contextlib.contextmanager
def _interrupt_on_term() -> Iterator[None]:
    """SIGTERM stops a run like Ctrl-C: the checkpoint stays, ``--resume`` continues. The
    previous handler is put back afterwards."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. under a test runner)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@click.command()
@click.argument("source", metavar="INPUT", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--out",
    "output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Decisions (JSON Lines).",
)
@INPUT_FORMAT
@click.option(
    "--as-of", callback=parse_date, help="Rules in force on this date (default: each date applied)."
)
@ENGINE
@WORKERS
@CHUNK
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its checkpoint.")
@click.option(
    "--trace/--no-trace",
    default=True,
    show_default=True,
    help="Keep each decision's trace (the rules that matched); without it lines are ~5x smaller.",
)
@click.option(
    "--compact",
    is_flag=True,
    help="Write each combination of matched rules once and per line only the application's own "
    "part (read back with gridconnect.batch.read_decisions).",
)
@DASK
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on standard error (default: when it is a terminal).",
)
@FORMAT
@click.pass_context
@guarded()
def batch(
    ctx: click.Context,
    source: str,
    output: str,
    input_format: str | None,
    as_of: date | None,
    engine: str | None,
    workers: int | None,
    chunk_size: int,
    resume: bool,
    trace: bool,
    compact: bool,
    dask: str | None,
    progress: bool | None,
    fmt: str,
) -> None:
    """Evaluate every application of INPUT (JSON Lines, CSV or Parquet) on all cores.

    Decisions go to OUTPUT, one JSON object a line keyed by input line; rows that cannot be
    decided go to OUTPUT.rejects.jsonl with their line number and the reason. OUTPUT appears
    only when the run is complete; until then OUTPUT.partial and OUTPUT.checkpoint.json let
    --resume continue an interrupted run. Prints a summary table at the end.
    """
    from gridconnect.batch.report import ProgressLine, render_summary
    from gridconnect.batch.run import run_batch
    from gridconnect.batch.scenario import Scenario

    base = _global(ctx)
    scenario = Scenario(
        as_of=as_of,
        engine=engine,
        rules=base["rules"],
        modules=base["modules"],
        disable=base["disable"],
    )
    _warn(scenario)
    bar = ProgressLine(force=bool(progress)) if progress is not False else None
    try:
        with _interrupt_on_term():
            summary = run_batch(
                source,
                output,
                scenario=scenario,
                fmt=input_format,
                workers=workers,
                chunk_size=chunk_size,
                resume=resume,
                trace=trace,
                compact=compact,
                scheduler=dask,
                progress=bar,
                on_failure=(bar.message if bar else lambda m: click.echo(m, err=True)),
            )
    except KeyboardInterrupt:
        if bar:
            bar.close()
        click.echo(
            f"interrupted; {output} was not written. Continue with --resume / "
            "已中断；可用 --resume 继续",
            err=True,
        )
        raise SystemExit(130) from None
    if bar:
        bar.close()
    if fmt == "json":
        click.echo(json.dumps(summary.to_dict(), ensure_ascii=False, sort_keys=True, indent=2))
    else:
        click.echo(render_summary(summary))


def _scenario_options(side: str) -> Callable[[F], F]:
    other = "A (the baseline)" if side == "a" else "B (the what-if)"

    def apply(func: F) -> F:
        for option in reversed(
            [
                click.option(
                    f"--as-of-{side}",
                    callback=parse_date,
                    help=f"Scenario {other}: rules in force on this date.",
                ),
                click.option(
                    f"--rules-{side}",
                    multiple=True,
                    type=click.Path(exists=True, dir_okay=False),
                    help=f"Scenario {other}: an extra rules file (.toml) or plugin (.py); repeatable.",
                ),
                click.option(
                    f"--set-{side}",
                    multiple=True,
                    metavar="NAME=VALUE",
                    help=f"Scenario {other}: give a parameter another value; repeatable.",
                ),
                click.option(
                    f"--jurisdiction-{side}",
                    help=f"Scenario {other}: evaluate every application as if sited there.",
                ),
                click.option(
                    f"--disable-{side}",
                    multiple=True,
                    help=f"Scenario {other}: do not load this plugin; repeatable.",
                ),
                click.option(
                    f"--label-{side}",
                    help=f"Scenario {other}: how to name it in the report, e.g. "
                    "'Foshan raised its low-voltage cap to 200 kW'.",
                ),
            ]
        ):
            func = option(func)
        return func

    return apply


@click.command("compare")
@click.argument("source", metavar="INPUT", type=click.Path(exists=True, dir_okay=False))
@INPUT_FORMAT
@_scenario_options("a")
@_scenario_options("b")
@ENGINE
@WORKERS
@CHUNK
@DASK
@click.option(
    "--examples",
    type=click.IntRange(min=0),
    default=3,
    show_default=True,
    help="Application ids shown per kind of change.",
)
@FORMAT
@LANG
@guarded()
def compare_cmd(
    source: str,
    input_format: str | None,
    engine: str | None,
    workers: int | None,
    chunk_size: int,
    dask: str | None,
    examples: int,
    fmt: str,
    lang: str,
    **sides: Any,
) -> None:
    """What-if: evaluate INPUT under two rulebooks, A and B, and report how many applications
    change in each conclusion (track, supply voltage, approval, each time limit, documents),
    with example application ids.

    A is the rules as installed unless changed with the -a options; B differs from A by its -b
    options: another date (--as-of-b), an extra rules file (--rules-b), a parameter value
    (--set-b cn.low_voltage_access_cap_kw=250), another place (--jurisdiction-b foshan).
    """
    from gridconnect.batch.compare import compare, render_comparison
    from gridconnect.batch.report import ProgressLine
    from gridconnect.batch.scenario import Scenario, parse_parameter

    base = _global(click.get_current_context())

    def scenario(side: str) -> Scenario:
        return Scenario(
            label=sides[f"label_{side}"],
            as_of=sides[f"as_of_{side}"],
            jurisdiction=sides[f"jurisdiction_{side}"],
            rules=base["rules"] + tuple(sides[f"rules_{side}"]),
            modules=base["modules"],
            disable=base["disable"] + tuple(sides[f"disable_{side}"]),
            parameters=[parse_parameter(p) for p in sides[f"set_{side}"]],
            engine=engine,
        )

    a, b = scenario("a"), scenario("b")
    _warn(a)
    _warn(b)
    bar = ProgressLine()
    result = compare(
        source,
        a,
        b,
        fmt=input_format,
        workers=workers,
        chunk_size=chunk_size,
        scheduler=dask,
        examples=examples,
        progress=bar,
        on_failure=bar.message,
    )
    bar.close()
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, sort_keys=True, indent=2))
    else:
        click.echo(render_comparison(result, lang))


@click.command()
@click.option("--n", "count", type=click.IntRange(min=0), required=True, help="How many.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same corpus.")
@click.option(
    "--out",
    "output",
    required=True,
    type=click.Path(dir_okay=False),
    help="File to write: .jsonl, .csv or .parquet.",
)
@click.option(
    "--divisions",
    metavar="PREFIX",
    default=None,
    help="Only Guangdong divisions whose code starts with PREFIX, e.g. 4401 (Guangzhou).",
)
@click.option(
    "--start",
    callback=parse_date,
    default="2024-07-01",
    show_default=True,
    help="First application date.",
)
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=730,
    show_default=True,
    help="Application dates are spread over this many days.",
)
@click.option(
    "--invalid",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of rows made invalid on purpose (to exercise rejects).",
)
@guarded()
def corpus(
    count: int,
    seed: int,
    output: str,
    divisions: str | None,
    start: date,
    days: int,
    invalid: float,
) -> None:
    """Write a synthetic corpus of Guangdong applications (illustrative proportions, see the
    batch how-to); fast, and the same for the same seed."""
    from gridconnect.batch.corpus import write_corpus

    try:
        n = write_corpus(
            output, count, seed=seed, divisions=divisions, start=start, days=days, invalid=invalid
        )
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    click.echo(f"{n:,} applications -> {output}", err=True)


@hookimpl
def gridconnect_commands() -> list[click.Command]:
    """The ``batch``, ``compare`` and ``corpus`` commands."""
    return [batch, compare_cmd, corpus]
