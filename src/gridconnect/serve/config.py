"""What a ``gridconnect serve`` process is configured with, and how API keys are read."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from gridconnect.errors import GridconnectError

__all__ = ["CONFIG_ENV", "KEYS_ENV", "MULTIPROCESS_ENV", "ServeConfig", "read_api_keys"]

CONFIG_ENV = "GRIDCONNECT_SERVE_CONFIG"
"""The environment variable through which ``gridconnect serve`` hands its configuration to each
worker process (JSON of :class:`ServeConfig`)."""

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus_client's directory for the counters of several processes: ``gridconnect serve
--workers N`` (N > 1) sets it to a fresh temporary directory for its server processes (unless
it is set already: then that directory, which must be empty at start), so ``/metrics`` adds
up every process's counters."""

KEYS_ENV = "GRIDCONNECT_API_KEYS"
"""API keys for the track endpoints, comma-separated (or given by ``--api-key-file``)."""


def _positive(_: Any, attribute: attrs.Attribute[Any], value: float) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be positive")


def _keys(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen(kw_only=True)
class ServeConfig:
    """The settings of one server. Every limit applies per request."""

    engine: str = "reference"
    """``reference`` (default: pure Python, cannot crash the process) or ``durable``."""
    max_body_bytes: int = attrs.field(default=1 << 20, validator=_positive)
    """Largest request body accepted; a larger one gets 413."""
    max_depth: int = attrs.field(default=32, validator=_positive)
    """Deepest JSON nesting accepted; deeper gets 422."""
    timeout_s: float = attrs.field(default=10.0, validator=_positive)
    """Longest a request may compute before it gets 503 (the work is abandoned, not killed)."""
    threads: int = attrs.field(default=4, validator=_positive)
    """Threads that evaluate (the durable engine always uses one)."""
    store: str | None = None
    """The track store (SQLite path); without it the track endpoints answer 404."""
    api_keys: frozenset[str] = attrs.field(default=frozenset(), converter=_keys)
    """Keys that may call the track endpoints; empty means they are open."""
    rules: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    modules: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    disable: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    allow_broken: bool = False
    """Decide with the plugins that loaded when one failed (``--allow-broken-plugins``)."""
    log_level: str = "info"
    """``info`` logs one JSON line per request on standard error; ``warning`` only problems."""

    def to_env(self) -> str:
        """This configuration as JSON, for :data:`CONFIG_ENV`."""
        data = attrs.asdict(self)
        data["api_keys"] = sorted(self.api_keys)
        return json.dumps(data)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ServeConfig:
        """The configuration in :data:`CONFIG_ENV` (the defaults if it is not set)."""
        text = (environ if environ is not None else os.environ).get(CONFIG_ENV)
        return cls(**json.loads(text)) if text else cls()


def read_api_keys(
    path: str | Path | None, environ: Mapping[str, str] | None = None
) -> frozenset[str]:
    """The API keys of a key file (one a line; blank lines and ``#`` comments skipped) and of
    :data:`KEYS_ENV` (comma-separated)."""
    keys: set[str] = set()
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise GridconnectError(
                f"cannot read the API key file {path}: {error.strerror}",
                f"无法读取 API 密钥文件 {path}：{error.strerror}",
            ) from None
        keys.update(
            line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
        )
    env = (environ if environ is not None else os.environ).get(KEYS_ENV, "")
    keys.update(k.strip() for k in env.split(",") if k.strip())
    return frozenset(keys)
