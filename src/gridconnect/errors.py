"""Typed errors. Every error a user can see says what went wrong in English and Chinese.

Errors carry *where* (a JSON path, a file, a rule id) separately from *what*, so the CLI can
print them as a list and the JSON output can carry them as data.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence

import attrs

__all__ = [
    "CalendarError",
    "ConflictError",
    "EngineError",
    "FieldValueError",
    "GridconnectError",
    "InputError",
    "PluginError",
    "Problem",
    "RuleDataError",
    "UnitError",
    "shown",
]

SHOWN_LIMIT = 80
"""The most characters of user-supplied text an error message repeats (then ``…``)."""


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def shown(text: object, limit: int = SHOWN_LIMIT) -> str:
    r"""User-supplied text as an error message may repeat it: at most ``limit`` characters (then
    ``…``), with control, format (bidi overrides, zero-width) and unassigned characters, and
    lone surrogates, shown as ``\uXXXX`` so a message can neither run on for megabytes nor
    reorder or hide what the terminal shows.

    >>> shown("abc")
    'abc'
    >>> shown("x" * 100) == "x" * 80 + "…"
    True
    >>> print(shown("evil\u202egnp.exe\n"))
    evil\u202egnp.exe\u000a
    """
    value = text if isinstance(text, str) else str(text)
    cut = value[:limit]
    out = "".join(_escape(c) if unicodedata.category(c) in _HIDDEN else c for c in cut)
    return out + "…" if len(value) > limit else out


_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@attrs.frozen(kw_only=True)
class Problem:
    """One located problem: where it is, and what is wrong, in English and Chinese."""

    #: Where: a JSON path (``$.applicant.kind``), a line and column, or a rule id.
    path: str
    #: What is wrong, in English.
    en: str
    #: What is wrong, in Chinese.
    zh: str

    def render(self, lang: str = "both") -> str:
        """One line: the path and the message in ``lang`` (``en``, ``zh`` or ``both``)."""
        if lang == "en":
            return f"{self.path}: {self.en}"
        if lang == "zh":
            return f"{self.path}：{self.zh}"
        return f"{self.path}: {self.en} / {self.zh}"


class GridconnectError(Exception):
    """Base class of every error gridconnect raises on purpose."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(en)
        self.en = en
        self.zh = zh

    def __str__(self) -> str:
        return f"{self.en} / {self.zh}"


class InputError(GridconnectError, ValueError):
    """Input data (an application, events, a scenario) is invalid. Lists every problem found."""

    def __init__(self, problems: Iterable[Problem], *, source: str | None = None) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.source = source
        where = f"{source}: " if source else ""
        n = len(self.problems)
        super().__init__(
            f"{where}{n} problem{'s' if n != 1 else ''} in the input",
            f"{where}输入有 {n} 处错误",
        )

    def __str__(self) -> str:
        lines = [f"{self.en} / {self.zh}"]
        lines += [f"  - {p.render()}" for p in self.problems]
        return "\n".join(lines)


class UnitError(GridconnectError, ValueError):
    """Quantities in different units were compared without a stated conversion."""


class CalendarError(GridconnectError, ValueError):
    """A date lies outside the years whose holiday notices the calendar knows (strict mode)."""


class RuleDataError(GridconnectError, ValueError):
    """Rule or parameter data is invalid. Names the file, the rule and the problem."""

    def __init__(
        self, en: str, zh: str, *, file: str | None = None, rule: str | None = None
    ) -> None:
        self.file = file
        self.rule = rule
        where = ":".join(x for x in (file, rule) if x)
        prefix = f"{where}: " if where else ""
        super().__init__(prefix + en, prefix + zh)


class ConflictError(GridconnectError):
    """Two applicable rules set one conclusion differently and neither takes precedence."""

    def __init__(self, slot: str, rules: Sequence[tuple[str, str, str]]) -> None:
        # rules: (rule id, value as text, citation as text)
        self.slot = slot
        self.rules = tuple(rules)
        listed = "; ".join(f"{r} sets {v!s} [{c}]" for r, v, c in self.rules)
        listed_zh = "；".join(f"{r} 定为 {v!s}〔{c}〕" for r, v, c in self.rules)
        super().__init__(
            f"conflict over {slot!r}: {listed}; neither rule is an exception to the other "
            "and both are from equally specific jurisdictions",
            f"结论 {slot!r} 冲突：{listed_zh}；两条规则互不为例外，且辖区层级相同",
        )


class EngineError(GridconnectError, RuntimeError):
    """The rules engine failed. The process is intact; the evaluation did not complete."""


class PluginError(GridconnectError):
    """A plugin could not be loaded or misbehaved. Names the plugin, its distribution and version."""

    def __init__(
        self, en: str, zh: str, *, plugin: str, distribution: str | None, version: str | None
    ) -> None:
        self.plugin = plugin
        self.distribution = distribution
        self.version = version
        dist = f" ({distribution} {version})" if distribution else ""
        super().__init__(f"plugin {plugin}{dist}: {en}", f"插件 {plugin}{dist}：{zh}")


class FieldValueError(GridconnectError, ValueError):
    """One value is invalid. Raised by validators; the codec adds the JSON path.

    The message must never echo a personal identifier: say *why* it is wrong, not *what* it was.
    ``field`` names the attribute when a whole-object check (``__attrs_post_init__``) fails.
    """

    def __init__(self, en: str, zh: str, *, field: str | None = None) -> None:
        super().__init__(en, zh)
        self.field = field
