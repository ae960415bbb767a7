"""The derived state of one application or project: what folding its events gives.

It is stored as one JSON row per subject and rebuilt by replaying the log, so it holds only
what the events and the rules determine: the current state, the accepted events (day, kind, id
and the state after each), pause periods, the actions the rules asked for, the events rejected
and why, and for an application the parts of its decision the clock needs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

import attrs

from gridconnect.lifecycle.clock import Period
from gridconnect.lifecycle.events import PauseReason
from gridconnect.rules.model import Limit, LimitUnit

if TYPE_CHECKING:
    from gridconnect.model.codec import JSONObject

__all__ = ["DecisionSummary", "Subject"]


@attrs.frozen(kw_only=True)
class DecisionSummary:
    """What the lifecycle keeps of an application's decision."""

    division: str
    chain: tuple[str, ...]  # jurisdiction codes, the nation first
    applied_on: date
    limits: Mapping[str, tuple[Limit, str]] = attrs.field(factory=dict)  # clock -> limit, rule
    procedure_steps: int | None = None
    track: str | None = None
    supply: str | None = None
    error: tuple[str, str] | None = None  # (en, zh) when the application could not be decided

    def to_data(self) -> JSONObject:
        return {
            "division": self.division,
            "chain": list(self.chain),
            "applied_on": self.applied_on.isoformat(),
            "limits": {k: [v.amount, v.unit.value, rule] for k, (v, rule) in self.limits.items()},
            "procedure_steps": self.procedure_steps,
            "track": self.track,
            "supply": self.supply,
            "error": list(self.error) if self.error else None,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> DecisionSummary:
        return cls(
            division=data["division"],
            chain=tuple(data["chain"]),
            applied_on=date.fromisoformat(data["applied_on"]),
            limits={
                k: (Limit(amount=a, unit=LimitUnit(u)), rule)
                for k, (a, u, rule) in data["limits"].items()
            },
            procedure_steps=data["procedure_steps"],
            track=data["track"],
            supply=data["supply"],
            error=tuple(data["error"]) if data["error"] else None,
        )


@attrs.define(kw_only=True)
class Subject:
    """The state of one subject; ``key`` is ``a:<application>`` or ``p:<project>``."""

    key: str
    state: str = "new"
    last: tuple[str, int, str] | None = None  # sort key of the last event folded in
    events: int = 0  # events folded in, rejected ones included
    history: list[tuple[str, str, str, str]] = attrs.Factory(list)  # day, kind, event, state
    periods: dict[str, tuple[str, str, str | None]] = attrs.Factory(dict)  # reason, start, end
    actions: list[tuple[str, str, str, str]] = attrs.Factory(list)  # day, action, rule, event
    rejections: list[tuple[str, str, str, str, str]] = attrs.Factory(
        list
    )  # day, event, kind, en, zh
    decision: DecisionSummary | None = None  # applications
    project: str | None = None  # the project an application belongs to
    cost_yuan: str | None = None  # what the customer paid, where reported
    division: str | None = None  # projects: the division of the latest event
    chain: tuple[str, ...] = ()  # projects: its jurisdiction chain
    demand: bool | None = None  # projects: has electricity demand
    name: str | None = None  # projects

    @property
    def scope(self) -> str:
        return "application" if self.key.startswith("a:") else "project"

    @property
    def id(self) -> str:
        return self.key[2:]

    @property
    def jurisdictions(self) -> tuple[str, ...]:
        """The jurisdiction chain (nation first), or () while it is not known."""
        return self.decision.chain if self.decision is not None else self.chain

    def entered(self, as_of: date) -> dict[str, date]:
        """The day each state was entered, on or before ``as_of``."""
        out: dict[str, date] = {}
        for day, _, _, state in self.history:
            when = date.fromisoformat(day)
            if when > as_of:
                break
            out.setdefault(state, when)
        return out

    def state_on(self, as_of: date) -> str:
        """The state after the events of ``as_of`` and before."""
        state = "new"
        for day, _, _, after in self.history:
            if date.fromisoformat(day) > as_of:
                break
            state = after
        return state

    def pause_periods(self, as_of: date) -> list[Period]:
        """The pause periods started on or before ``as_of`` (an end after it is not known yet)."""
        out = []
        for reason, start, end in self.periods.values():
            begun = date.fromisoformat(start)
            if begun > as_of:
                continue
            ended = date.fromisoformat(end) if end is not None else None
            out.append(
                Period(
                    reason=PauseReason(reason),
                    start=begun,
                    end=ended if ended is not None and ended <= as_of else None,
                )
            )
        return out

    def to_json(self) -> str:
        data = {
            "key": self.key,
            "state": self.state,
            "last": self.last,
            "events": self.events,
            "history": self.history,
            "periods": self.periods,
            "actions": self.actions,
            "rejections": self.rejections,
            "decision": self.decision.to_data() if self.decision else None,
            "project": self.project,
            "cost_yuan": self.cost_yuan,
            "division": self.division,
            "chain": self.chain,
            "demand": self.demand,
            "name": self.name,
        }
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Subject:
        data = json.loads(text)
        return cls(
            key=data["key"],
            state=data["state"],
            last=tuple(data["last"]) if data["last"] else None,
            events=data["events"],
            history=[tuple(h) for h in data["history"]],
            periods={k: tuple(v) for k, v in data["periods"].items()},
            actions=[tuple(a) for a in data["actions"]],
            rejections=[tuple(r) for r in data["rejections"]],
            decision=DecisionSummary.from_data(data["decision"]) if data["decision"] else None,
            project=data["project"],
            cost_yuan=data["cost_yuan"],
            division=data["division"],
            chain=tuple(data["chain"]),
            demand=data["demand"],
            name=data["name"],
        )
