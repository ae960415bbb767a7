"""The ``gridconnect serve`` command: uvicorn running :func:`gridconnect.serve.app.create_app`."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence

import click

from gridconnect.cli.support import guarded
from gridconnect.errors import GridconnectError
from gridconnect.plugins.hookspecs import hookimpl
from gridconnect.serve.config import (
    CONFIG_ENV,
    KEYS_ENV,
    MULTIPROCESS_ENV,
    ServeConfig,
    read_api_keys,
)

__all__ = ["serve"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on.",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes (each loads the rules once; /metrics adds up their counters).",
)
@click.option(
    "--engine",
    type=click.Choice(["reference", "durable"]),
    default="reference",
    show_default=True,
    help="Rules engine. durable runs in a worker process that is replaced if it dies.",
)
@click.option(
    "--store",
    type=click.Path(dir_okay=False),
    envvar="GRIDCONNECT_STORE",
    help="SQLite track store for /v1/track (also GRIDCONNECT_STORE); none: track disabled.",
)
@click.option(
    "--api-key-file",
    type=click.Path(dir_okay=False),
    help=f"API keys for /v1/track, one a line (also {KEYS_ENV}, comma-separated).",
)
@click.option(
    "--max-body-bytes",
    default=1 << 20,
    show_default=True,
    type=click.IntRange(1),
    help="Largest request body (413 past it).",
)
@click.option(
    "--max-depth",
    default=32,
    show_default=True,
    type=click.IntRange(1, 32),
    help="Deepest JSON nesting (422 past it).",
)
@click.option(
    "--timeout",
    "timeout_s",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.001),
    help="Seconds a request may compute (503 past it).",
)
@click.option(
    "--graceful-timeout",
    default=10,
    show_default=True,
    type=click.IntRange(0),
    help="Seconds to finish running requests on SIGTERM/SIGINT.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning"]),
    default="info",
    show_default=True,
    help="How much the server logs.",
)
@click.pass_context
@guarded()
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    workers: int,
    engine: str,
    store: str | None,
    api_key_file: str | None,
    max_body_bytes: int,
    max_depth: int,
    timeout_s: float,
    graceful_timeout: int,
    log_level: str,
) -> None:
    """Serve the rules over HTTP: the JSON API (/v1, same JSON as the CLI), OpenAPI at
    /openapi.json with docs at /docs, and a page for policy staff at /."""
    try:
        import uvicorn

        import gridconnect.serve.app  # noqa: F401  (fails here, not in a worker)
    except ImportError as error:
        raise GridconnectError(
            f"serving needs the 'serve' extra: pip install 'gridconnect[serve]' ({error.name})",
            f"运行服务需安装 serve 扩展：pip install 'gridconnect[serve]'（缺少 {error.name}）",
        ) from None
    obj = ctx.ensure_object(dict)
    config = ServeConfig(
        engine=engine,
        store=store,
        api_keys=read_api_keys(api_key_file),
        max_body_bytes=max_body_bytes,
        max_depth=max_depth,
        timeout_s=timeout_s,
        rules=obj.get("rules", ()),
        modules=obj.get("modules", ()),
        disable=obj.get("disable", ()),
        allow_broken=obj.get("allow_broken", False),
        log_level=log_level,
    )
    os.environ[CONFIG_ENV] = config.to_env()
    if store and not config.api_keys:
        click.echo(
            "warning / 警告: /v1/track is open to anyone who can reach the server "
            f"(no --api-key-file or {KEYS_ENV}) / 跟踪接口未设密钥",
            err=True,
        )
    click.echo(
        f"gridconnect serve: http://{host}:{port}/ ({engine} engine, {workers} worker(s))",
        err=True,
    )
    metrics_dir = None  # several server processes: /metrics adds up their counters
    if workers > 1 and not os.environ.get(MULTIPROCESS_ENV):
        metrics_dir = tempfile.mkdtemp(prefix="gridconnect-metrics-")
        os.environ[MULTIPROCESS_ENV] = metrics_dir
    try:
        uvicorn.run(
            "gridconnect.serve.app:create_app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=False,
            log_level=log_level,
            timeout_graceful_shutdown=graceful_timeout,
            server_header=False,
        )
    finally:
        if metrics_dir is not None:
            del os.environ[MULTIPROCESS_ENV]
            shutil.rmtree(metrics_dir, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> None:  # pragma: no cover - convenience
    serve.main(args=list(argv) if argv is not None else None, prog_name="gridconnect serve")


@hookimpl
def gridconnect_commands() -> list[click.Command]:
    """The ``serve`` command."""
    return [serve]
