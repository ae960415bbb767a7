"""The protocol both engines implement.

An engine only *matches*: given rules whose conditions have parameters already resolved, it
compiles them once into a :class:`Matcher`, which returns, for the facts of one application, the
positions of the rules whose conditions hold. Precedence, conclusions and the trace are built from
that list by :func:`gridconnect.decide.resolution.decide`, the same code for every engine, so the engines can
only disagree about matching, which the agreement tests check.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import attrs

from gridconnect.rules.conditions import Condition

__all__ = ["Engine", "MatchRule", "Matcher"]


@attrs.frozen
class MatchRule:
    """What an engine needs of a rule: its name and its condition (no parameter references)."""

    name: str
    condition: Condition


class Matcher(Protocol):
    """Rules compiled by one engine."""

    def match(self, facts: Mapping[str, object]) -> list[int]:
        """Positions (ascending) of the rules whose condition holds for ``facts``.

        ``facts`` maps every path of :data:`gridconnect.rules.facts.FACTS` to its value:
        ``str``/``float``/``bool``/``datetime.date``, ``None`` for an absent optional fact,
        a ``list`` of scalars, or a list of dicts for records.
        """
        ...


class Engine(Protocol):
    """A way of evaluating rule conditions."""

    name: str

    def compile(self, rules: Sequence[MatchRule]) -> Matcher:
        """Compile rules; the position of each rule in ``rules`` is what :meth:`Matcher.match` returns."""
        ...
