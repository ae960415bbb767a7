"""Lifecycle events: what government systems and the utility report, typed and validated.

Two kinds of subject have events:

* a **project** (工程建设项目), whose milestones come from the government's project-approval
  platforms (立项, 土地出让, 用地规划许可, 工程规划许可, 施工许可, 竣工验收, 企业登记); each
  project event names the project and its GB/T 2260 division, which picks the rules that apply;
* an **application** (用电报装), whose steps the utility reports: submitted, accepted, supply plan
  answered, design reviewed, intermediate and completion inspections, metered and connected, and
  the start and end of *pause periods*: time the customer is responsible for, or time the law
  excludes from a time limit (《行政许可法》第四十五条: hearings, tenders, auctions, inspections,
  testing, quarantine, appraisal and expert reviews).

Every event has an ``id``; the store keeps one event per id, so ingesting an event twice changes
nothing. Events travel as JSON objects (one per line in a ``.jsonl`` stream) and are validated by
the model's codec: every problem is reported with its JSON path, in English and Chinese.

>>> event = parse_event({"id": "e1", "kind": "accepted", "on": "2025-03-04",
...                      "application": "GZ-1"})
>>> event.kind, event.on, subject_of(event)
(<EventKind.ACCEPTED: 'accepted'>, datetime.date(2025, 3, 4), 'a:GZ-1')
>>> try:
...     parse_event({"id": "e2", "kind": "acepted", "on": "2025-3-4", "application": "GZ-1"})
... except InputError as error:
...     print(*(p.path for p in error.problems))
$.kind
>>> try:
...     parse_event({"id": "e2", "kind": "accepted", "on": "2025-3-4", "application": "GZ 1"})
... except InputError as error:
...     for problem in error.problems:
...         print(problem.render())
$.on: expected a date (YYYY-MM-DD) / 应为日期（YYYY-MM-DD）
$.application: must be 1-128 letters, digits or . _ : - and start with a letter or digit / 须为 1-128 位字母、数字或 . _ : -，且以字母或数字开头
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path, PurePath
from typing import Any, BinaryIO, TypeAlias

import attrs

from gridconnect.errors import FieldValueError, InputError, Problem
from gridconnect.model.application import Application
from gridconnect.model.codec import (
    MAX_INPUT_BYTES,
    load_file,
    loads,
    read_enums_by_value,
    structure,
    unstructure,
)
from gridconnect.model.identifiers import DivisionCode

__all__ = [
    "APPLICATION_KINDS",
    "PROJECT_KINDS",
    "ApplicationEvent",
    "Event",
    "EventKind",
    "Oversized",
    "PauseEnded",
    "PauseReason",
    "PauseStarted",
    "ProjectEvent",
    "Submitted",
    "bounded_lines",
    "canonical_json",
    "event_from_json",
    "parse_event",
    "read_events",
    "resolve_ref",
    "sort_key",
    "subject_of",
]


class EventKind(enum.StrEnum):
    """What happened. The order of the members is the order of a day's events (see :func:`sort_key`)."""

    # Government project events (工程建设项目审批 platforms).
    PROJECT_APPROVED = "project_approved"  # 立项（审批、核准、备案）
    LAND_TRANSFERRED = "land_transferred"  # 土地出让
    LAND_USE_PERMIT = "land_use_permit"  # 建设用地规划许可
    PLANNING_PERMIT = "planning_permit"  # 建设工程规划许可
    CONSTRUCTION_PERMIT = "construction_permit"  # 施工许可
    COMPLETION_ACCEPTED = "completion_accepted"  # 竣工验收
    ENTERPRISE_REGISTERED = "enterprise_registered"  # 企业登记
    # Application events (用电报装).
    SUBMITTED = "submitted"  # 提交申请
    ACCEPTED = "accepted"  # 受理
    SUPPLY_PLAN_ANSWERED = "supply_plan_answered"  # 答复供电方案
    DESIGN_REVIEWED = "design_reviewed"  # 设计文件审核
    INTERMEDIATE_INSPECTED = "intermediate_inspected"  # 中间检查
    COMPLETION_INSPECTED = "completion_inspected"  # 竣工检验
    METERED_CONNECTED = "metered_connected"  # 装表接电
    PAUSE_STARTED = "pause_started"  # 暂停计时开始（客户原因或依法不计入的期间）
    PAUSE_ENDED = "pause_ended"  # 暂停计时结束


PROJECT_KINDS = frozenset(list(EventKind)[:7])
"""Kinds of government project events."""
APPLICATION_KINDS = frozenset(list(EventKind)[7:])
"""Kinds of application events."""
_RANK = {kind: rank for rank, kind in enumerate(EventKind)}


class PauseReason(enum.StrEnum):
    """Why a clock stops: the customer's own time, or a period 第四十五条 excludes."""

    CUSTOMER = "customer"  # 客户原因（补正材料、自建工程等）
    HEARING = "hearing"  # 听证
    TENDER = "tender"  # 招标
    AUCTION = "auction"  # 拍卖
    INSPECTION = "inspection"  # 检验
    TESTING = "testing"  # 检测
    QUARANTINE = "quarantine"  # 检疫
    APPRAISAL = "appraisal"  # 鉴定
    EXPERT_REVIEW = "expert_review"  # 专家评审

    @property
    def legal(self) -> bool:
        """Excluded by law (《行政许可法》第四十五条) rather than by the customer's doing."""
        return self is not PauseReason.CUSTOMER


_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def _identifier(_: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not _ID.fullmatch(value):
        raise FieldValueError(
            "must be 1-128 letters, digits or . _ : - and start with a letter or digit",
            "须为 1-128 位字母、数字或 . _ : -，且以字母或数字开头",
            field=attribute.name,
        )


def _kind_in(kinds: Iterable[EventKind]) -> Any:
    allowed = tuple(kinds)

    def check(_: Any, attribute: attrs.Attribute[EventKind], value: EventKind) -> None:
        if value not in allowed:
            names = ", ".join(k.value for k in allowed)
            raise FieldValueError(
                f"must be one of: {names}", f"须为以下之一：{names}", field=attribute.name
            )

    return check


def _text(_: Any, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    if value is not None and (not value.strip() or len(value) > 200):
        raise FieldValueError("must be 1-200 characters", "须为 1-200 个字符", field=attribute.name)


def _money(_: Any, attribute: attrs.Attribute[Decimal | None], value: Decimal | None) -> None:
    if value is not None and (not value.is_finite() or value < 0 or value > 10**12):
        raise FieldValueError(
            "must be a number from 0 to 10^12 yuan",
            "须为 0 至 10^12 元之间的数",
            field=attribute.name,
        )


def _positive(_: Any, attribute: attrs.Attribute[Decimal | None], value: Decimal | None) -> None:
    if value is not None and (not value.is_finite() or value <= 0 or value > 10_000_000):
        raise FieldValueError(
            "must be a positive number of kW, at most 10^7",
            "须为正数（千瓦），不超过 10^7",
            field=attribute.name,
        )


@attrs.frozen(kw_only=True)
class ProjectEvent:
    """A milestone of a construction project, from the government's approval platforms."""

    id: str = attrs.field(validator=_identifier)
    kind: EventKind = attrs.field(validator=_kind_in(PROJECT_KINDS))
    on: date
    project: str = attrs.field(validator=_identifier)
    division: DivisionCode  # where the project is: picks the jurisdiction's rules
    has_electricity_demand: bool = True  # the project will need a grid connection
    demand_kw: Decimal | None = attrs.field(default=None, validator=_positive)
    name: str | None = attrs.field(default=None, validator=_text)


@attrs.frozen(kw_only=True)
class Submitted:
    """An application was submitted; it carries the application, or a reference to its file.

    ``submission_ref`` is a path relative to the event stream; :func:`read_events` loads it into
    ``submission``, so the stored event is self-contained. ``project`` links the application to
    the project whose events opened a proactive (主动办) case for it.
    """

    id: str = attrs.field(validator=_identifier)
    kind: EventKind = attrs.field(validator=_kind_in([EventKind.SUBMITTED]))
    on: date
    application: str = attrs.field(validator=_identifier)
    submission: Application | None = None
    submission_ref: str | None = attrs.field(default=None, validator=_text)
    project: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(_identifier)
    )

    def __attrs_post_init__(self) -> None:
        if self.submission is None:
            if self.submission_ref is None:
                raise FieldValueError(
                    "give the application (submission) or the path of its file (submission_ref)",
                    "须提供申请（submission）或其文件路径（submission_ref）",
                    field="submission",
                )
            return
        if self.submission.id != self.application:
            raise FieldValueError(
                "the application's id differs from the event's application",
                "申请编号与事件的 application 不一致",
                field="submission",
            )
        if self.submission.applied_on != self.on:
            raise FieldValueError(
                "the application's applied_on differs from the event's date",
                "申请日期 applied_on 与事件日期不一致",
                field="on",
            )


_STEP_KINDS = [
    EventKind.ACCEPTED,
    EventKind.SUPPLY_PLAN_ANSWERED,
    EventKind.DESIGN_REVIEWED,
    EventKind.INTERMEDIATE_INSPECTED,
    EventKind.COMPLETION_INSPECTED,
    EventKind.METERED_CONNECTED,
]


@attrs.frozen(kw_only=True)
class ApplicationEvent:
    """A step of an application; ``cost_yuan`` (what the customer paid, where known) is given
    with ``metered_connected`` only."""

    id: str = attrs.field(validator=_identifier)
    kind: EventKind = attrs.field(validator=_kind_in(_STEP_KINDS))
    on: date
    application: str = attrs.field(validator=_identifier)
    cost_yuan: Decimal | None = attrs.field(default=None, validator=_money)

    def __attrs_post_init__(self) -> None:
        if self.cost_yuan is not None and self.kind is not EventKind.METERED_CONNECTED:
            raise FieldValueError(
                "is given with metered_connected only",
                "仅随 metered_connected 提供",
                field="cost_yuan",
            )


@attrs.frozen(kw_only=True)
class PauseStarted:
    """A pause period starts: the clocks of the application stop after this day."""

    id: str = attrs.field(validator=_identifier)
    kind: EventKind = attrs.field(validator=_kind_in([EventKind.PAUSE_STARTED]))
    on: date
    application: str = attrs.field(validator=_identifier)
    period: str = attrs.field(validator=_identifier)  # names the period; its end names it too
    reason: PauseReason
    note: str | None = attrs.field(default=None, validator=_text)


@attrs.frozen(kw_only=True)
class PauseEnded:
    """A pause period ends: the clocks run again from the day after."""

    id: str = attrs.field(validator=_identifier)
    kind: EventKind = attrs.field(validator=_kind_in([EventKind.PAUSE_ENDED]))
    on: date
    application: str = attrs.field(validator=_identifier)
    period: str = attrs.field(validator=_identifier)


Event: TypeAlias = ProjectEvent | Submitted | ApplicationEvent | PauseStarted | PauseEnded
"""Any lifecycle event."""

_CLASS: dict[EventKind, type[Any]] = {
    **dict.fromkeys(PROJECT_KINDS, ProjectEvent),
    EventKind.SUBMITTED: Submitted,
    **dict.fromkeys(_STEP_KINDS, ApplicationEvent),
    EventKind.PAUSE_STARTED: PauseStarted,
    EventKind.PAUSE_ENDED: PauseEnded,
}


read_enums_by_value(EventKind, PauseReason)


def resolve_ref(ref: str, *, base: Path | None = None, root: Path | None = None) -> Path:
    """The file a ``submission_ref`` names, never outside the files root.

    Without a configured ``root``, the path is read relative to ``base`` (default: the current
    directory), an absolute path or a ``..`` part is refused outright, and the file, symbolic
    links followed, must lie under ``base``. With a ``root``, a relative path is read relative
    to it, and the file, symbolic links followed, must lie inside it.
    Refusals are :class:`~gridconnect.errors.FieldValueError` (located by the caller).

    >>> resolve_ref("../../../../etc/passwd")
    Traceback (most recent call last):
    ...
    gridconnect.errors.FieldValueError: must be a relative path without .. (or inside the configured files root) / 须为不含 .. 的相对路径（或位于配置的文件根目录内）
    """
    outside = FieldValueError(
        "must be a relative path without .. (or inside the configured files root)",
        "须为不含 .. 的相对路径（或位于配置的文件根目录内）",
    )
    if "\x00" in ref:
        raise outside
    pure = PurePath(ref)
    here = root if root is not None else base if base is not None else Path.cwd()
    if root is None and (pure.is_absolute() or ".." in pure.parts):
        raise outside
    limit = (root if root is not None else here).resolve()
    try:
        target = (here / pure).resolve()
    except (OSError, RuntimeError):  # a symbolic link loop
        raise outside from None
    if not target.is_relative_to(limit):
        raise outside
    return target


def parse_event(
    data: object,
    *,
    source: str | None = None,
    base: Path | None = None,
    root: Path | None = None,
) -> Event:
    """Validate one event given as JSON-shaped data; raise one :class:`InputError` listing every
    problem. A ``submission_ref`` is read relative to ``base`` (default: the current directory)
    and only inside the files root (see :func:`resolve_ref`), through the codec's bounded reader.
    """
    if not isinstance(data, dict):
        raise InputError([Problem(path="$", en="expected an object", zh="应为对象")], source=source)
    try:
        kind = EventKind(data.get("kind"))  # type: ignore[arg-type]  # checked here
    except ValueError:
        problems = [Problem(path="$.kind", en="is required", zh="为必填项")]
        if "kind" in data:
            allowed = ", ".join(k.value for k in EventKind)
            problems = [
                Problem(
                    path="$.kind", en=f"must be one of: {allowed}", zh=f"须为以下之一：{allowed}"
                )
            ]
        raise InputError(problems, source=source) from None
    event: Event = structure(data, _CLASS[kind], source=source)
    if isinstance(event, Submitted) and event.submission is None:
        assert event.submission_ref is not None
        try:
            path = resolve_ref(event.submission_ref, base=base, root=root)
        except FieldValueError as error:
            raise InputError(
                [Problem(path="$.submission_ref", en=error.en, zh=error.zh)], source=source
            ) from None
        try:
            application = load_file(path, Application)
        except InputError as error:
            problems = [
                attrs.evolve(p, path="$.submission_ref" + p.path.removeprefix("$"))
                for p in error.problems
            ]
            raise InputError(problems, source=source) from None
        event = structure(
            {**unstructure(event), "submission": unstructure(application)}, Submitted, source=source
        )
    return event


def event_from_json(text: str | bytes, *, source: str | None = None) -> Event:
    """Validate one event given as JSON text (size, nesting and syntax checked first)."""
    return parse_event(loads(text, dict[str, Any], source=source), source=source)


def read_events(
    lines: Iterable[str | bytes | Oversized],
    *,
    source: str = "<events>",
    base: Path | None = None,
    root: Path | None = None,
) -> Iterator[tuple[str, Event | InputError]]:
    """Each non-blank line of a JSON Lines stream, as ``(where, event)`` where ``where`` is
    ``file:line``; a bad line gives the :class:`InputError` that says what is wrong with it in
    place of the event. Never stops at a bad line. ``submission_ref`` paths are read relative
    to ``base``, inside ``root`` (see :func:`resolve_ref`). A line may be a :class:`Oversized`
    marker (from :func:`bounded_lines`): it is reported, never read."""
    for number, line in enumerate(lines, 1):
        if not isinstance(line, Oversized) and not line.strip():
            continue
        where = f"{source}:{number}"
        if isinstance(line, Oversized):
            problem = Problem(
                path="$",
                en=f"the line is longer than {MAX_INPUT_BYTES} bytes",
                zh=f"该行超过 {MAX_INPUT_BYTES} 字节",
            )
            yield where, InputError([problem], source=where)
            continue
        try:
            event = parse_event(
                loads(line, dict[str, Any], source=where), source=where, base=base, root=root
            )
        except InputError as error:
            yield where, error
        else:
            yield where, event


class Oversized:
    """A line of a stream longer than the limit, in place of its text (which is not kept)."""

    __slots__ = ("length",)

    def __init__(self, length: int) -> None:
        self.length = length


def bounded_lines(
    stream: BinaryIO, limit: int = MAX_INPUT_BYTES, *, on_read: Callable[[int], None] | None = None
) -> Iterator[bytes | Oversized]:
    """The lines of a binary stream, each at most ``limit`` bytes; a longer line is skipped to
    its end in pieces and given as one :class:`Oversized`. Memory is bounded by ``limit``
    whatever the stream holds (one line of 300 MB, or no newline at all). ``on_read`` is told
    how many bytes were consumed, for a progress bar.

    >>> import io
    >>> stream = io.BytesIO(b"a\\n" + b"b" * 9 + b"\\nc")
    >>> [x if isinstance(x, bytes) else x.length for x in bounded_lines(stream, 4)]
    [b'a\\n', 10, b'c']
    """
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if on_read is not None:
            on_read(len(line))
        if len(line) <= limit or (line.endswith(b"\n") and len(line) == limit + 1):
            yield line
            continue
        length = len(line)
        while not line.endswith(b"\n"):
            line = stream.readline(1 << 16)
            if not line:
                break
            length += len(line)
            if on_read is not None:
                on_read(len(line))
        yield Oversized(length)


def canonical_json(event: Event) -> str:
    """The stored form of an event: compact JSON with sorted keys, Chinese kept as it is.

    Two events with one id are the same event exactly when their canonical forms are equal.
    """
    return json.dumps(unstructure(event), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def subject_of(event: Event) -> str:
    """The key of what the event is about: ``a:<application>`` or ``p:<project>``."""
    if isinstance(event, ProjectEvent):
        return "p:" + event.project
    return "a:" + event.application


def sort_key(event: Event) -> tuple[str, int, str]:
    """The order in which a subject's events are folded: by day, then by kind (in the order of
    :class:`EventKind`: a day's submission comes before its acceptance, a pause's start before
    its end), then by id. State is a function of the set of events, whatever order they came in.
    """
    return (event.on.isoformat(), _RANK[event.kind], event.id)


def rank(kind: EventKind) -> int:
    """The position of ``kind`` in a day's order."""
    return _RANK[kind]
