"""RFC 9457 problem details (``application/problem+json``) carrying gridconnect's located,
bilingual problems: the same ``path``/``en``/``zh`` triples the CLI prints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from gridconnect.cli.support import INPUT_ERRORS
from gridconnect.errors import (
    ConflictError,
    EngineError,
    GridconnectError,
    InputError,
    PluginError,
    Problem,
)

if TYPE_CHECKING:
    from gridconnect.model.codec import JSONObject, JSONValue

__all__ = ["PROBLEM_MEDIA_TYPE", "HttpError", "problem_of"]

PROBLEM_MEDIA_TYPE = "application/problem+json"
_TYPE = "https://gridconnect.invalid/problems/"


class HttpError(Exception):
    """An HTTP error answered as problem+json: status, a kind (the last part of ``type``), a
    bilingual title and detail, and the located problems."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: tuple[str, str],
        detail: tuple[str, str],
        problems: Sequence[Problem] = (),
        **extra: JSONValue,
    ) -> None:
        super().__init__(detail[0])
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.problems = tuple(problems)
        self.extra = extra

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HttpError:
        """The error :meth:`to_dict` described (how a worker process hands one back)."""
        rest = dict(data)
        title_en, _, title_zh = rest.pop("title").partition(" / ")
        problems = [Problem(**p) for p in rest.pop("problems")]
        rest.pop("instance", None)
        return cls(
            rest.pop("status"),
            rest.pop("type").rpartition("/")[2],
            (title_en, title_zh),
            (rest.pop("detail"), rest.pop("detail_zh")),
            problems,
            **rest,
        )

    def to_dict(self, instance: str | None = None) -> JSONObject:
        """The problem+json object (RFC 9457 members, then gridconnect's)."""
        data: dict[str, Any] = {
            "type": _TYPE + self.kind,
            "title": f"{self.title[0]} / {self.title[1]}",
            "status": self.status,
            "detail": self.detail[0],
            "detail_zh": self.detail[1],
            "problems": [{"path": p.path, "en": p.en, "zh": p.zh} for p in self.problems],
        }
        if instance is not None:
            data["instance"] = instance
        data.update(self.extra)
        return data


def problem_of(error: GridconnectError) -> HttpError:
    """The problem a gridconnect error is over HTTP: 422 for bad input (as the CLI's exit 2),
    422 for a conflict between rules the application makes apply, 503 for an engine failure or
    a plugin the answer needs that failed to load (the server's fault, not the client's)."""
    if isinstance(error, InputError):
        return HttpError(
            422,
            "invalid-input",
            ("Invalid input", "输入无效"),
            (error.en, error.zh),
            error.problems,
        )
    if isinstance(error, PluginError):  # the operator's plugins, not the client's input
        return HttpError(
            503,
            "plugin-unavailable",
            ("A plugin this answer needs failed to load", "所需插件未能加载"),
            (error.en, error.zh),
            [Problem(path="$", en=error.en, zh=error.zh)],
        )
    if isinstance(error, INPUT_ERRORS):
        return HttpError(
            422,
            "invalid-input",
            ("Invalid input", "输入无效"),
            (error.en, error.zh),
            [Problem(path="$", en=error.en, zh=error.zh)],
        )
    if isinstance(error, ConflictError):
        return HttpError(
            422,
            "rule-conflict",
            ("The rules conflict", "规则冲突"),
            (error.en, error.zh),
            [Problem(path="$", en=error.en, zh=error.zh)],
            slot=error.slot,
        )
    if isinstance(error, EngineError):
        return HttpError(
            503,
            "engine-failure",
            ("The rules engine failed", "规则引擎出错"),
            (error.en, error.zh),
            [Problem(path="$", en=error.en, zh=error.zh)],
        )
    return HttpError(
        422,
        "not-decidable",
        ("Cannot be answered", "无法处理"),
        (error.en, error.zh),
        [Problem(path="$", en=error.en, zh=error.zh)],
    )
