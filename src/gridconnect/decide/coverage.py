"""What a decision does not cover, said in the decision (its coverage warnings).

A decision is only as wide as the rules behind it. :func:`coverage_warnings` says where it is
narrower than the application, as :class:`~gridconnect.decide.decision.DecisionWarning` entries that
:meth:`Match.decide <gridconnect.decide.evaluate.Match.decide>` (and so
:func:`~gridconnect.decide.evaluate.evaluate`) adds to the decision (JSON ``warnings``; the text renderer
prints them first):

``no_local_rules``
    The place has no jurisdiction of its own (neither it nor its city has a plugin): it is
    decided by the rules of the province or the nation only (``source``: the division code).
``before_coverage``
    The date is before the earliest rule of a jurisdiction of the chain: none of its rules is
    in force yet, so "no rule applies" there means "not encoded", not "no requirement"
    (``source``: the jurisdiction's alias).
``utility_not_serving``
    A jurisdiction of the chain has utility commitments (rules whose citation's ``issuer_kind``
    is ``utility``) of a utility that does not serve the place: they are left out (``source``:
    the alias of the jurisdiction whose commitments are left out).
``provisional_calendar``
    A deadline falls in a year whose State Council holiday notice is not encoded: it is
    computed from the ``holidays`` guess (``source``: the year).

>>> from datetime import date
>>> import attrs
>>> from gridconnect import evaluate, load_application
>>> app = load_application("examples/applications/guangzhou-huangpu-10kv-enterprise.json")
>>> early = attrs.evolve(app, applied_on=date(2019, 6, 3))  # before Huangpu's first rule
>>> [w.source for w in evaluate(early).warnings if w.kind == "before_coverage"]
['cn', 'guangdong', 'guangzhou/huangpu']
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from gridconnect.decide.calendar import WorkingDayCalendar
from gridconnect.decide.decision import Deadline, DecisionWarning
from gridconnect.model.application import Application
from gridconnect.model.identifiers import KNOWN_DIVISIONS
from gridconnect.rules.catalogue import Catalogue, Jurisdiction, Rulebook, not_serving, utility_of

__all__ = ["coverage_warnings"]


def _place(division: str) -> str:
    name = KNOWN_DIVISIONS.get(division, ("",))[0]
    return f"{division} {name}".strip()


def _no_local_rules(division: str, chain: Sequence[Jurisdiction]) -> list[DecisionWarning]:
    leaf = chain[-1].code
    city = division[:4] + "00"
    if leaf in (division, city):
        return []
    rules_of = " > ".join(j.alias for j in chain)
    return [
        DecisionWarning(
            kind="no_local_rules",
            en=f"{_place(division)} has no rules of its own in gridconnect (no plugin for it "
            f"or its city): decided by the rules of {rules_of} only",
            zh=f"{_place(division)} 在 gridconnect 中没有本地规则（该地及其所在城市均无插件）："
            f"仅按 {rules_of} 的规则判定",
            source=division,
        )
    ]


def _before_coverage(
    catalogue: Catalogue, chain: Sequence[Jurisdiction], as_of: date
) -> list[DecisionWarning]:
    found: list[DecisionWarning] = []
    for j in chain:
        starts = [r.effective_from for r in catalogue.rules_of(j.code)]
        if not starts or as_of >= min(starts):
            continue
        first = min(starts).isoformat()
        found.append(
            DecisionWarning(
                kind="before_coverage",
                en=f"{as_of.isoformat()} is before the earliest rule of {j.alias} "
                f"({j.name.zh}, from {first}): none of its rules is encoded for this date, so "
                "what it required then is not covered",
                zh=f"{as_of.isoformat()} 早于 {j.name.zh}（{j.alias}）最早一条规则的生效日"
                f"（{first}）：该日期该地的规定未收录，本决定未涵盖",
                source=j.alias,
            )
        )
    return found


def _utility_not_serving(
    catalogue: Catalogue, chain: Sequence[Jurisdiction], as_of: date
) -> list[DecisionWarning]:
    serving = utility_of(chain, chain[-1].code)
    found: list[DecisionWarning] = []
    for j in chain:
        left = [
            r for r in catalogue.rules_of(j.code) if r.in_force(as_of) and not_serving(r, chain)
        ]
        if not left:
            continue
        owner = utility_of(chain, j.code)
        assert owner is not None  # not_serving names a utility
        by = "" if serving is None else f"; it is served by {serving.en} ({serving.zh})"
        by_zh = "" if serving is None else f"；该地由{serving.zh}供电"
        found.append(
            DecisionWarning(
                kind="utility_not_serving",
                en=f"{len(left)} service commitments of {owner.en} ({owner.zh}, rules of "
                f"{j.alias}) do not apply to {chain[-1].alias}{by}",
                zh=f"{owner.zh}的 {len(left)} 项服务承诺（{j.name.zh}规则）不适用于"
                f"{chain[-1].name.zh}{by_zh}",
                source=j.alias,
            )
        )
    return found


def _provisional(
    deadlines: Sequence[Deadline], calendar: WorkingDayCalendar
) -> list[DecisionWarning]:
    years = sorted(
        {
            day.year
            for d in deadlines
            if d.provisional
            for day in (d.start, d.due)
            if calendar.is_provisional(day)
        }
    )
    return [
        DecisionWarning(
            kind="provisional_calendar",
            en=f"the State Council holiday notice for {year} is not encoded: deadlines in "
            f"{year} are estimated from the statutory holidays without 调休 (provisional)",
            zh=f"{year} 年国务院节假日安排通知尚未收录：该年内的期限按法定节假日推算、未计调休"
            "（暂定）",
            source=str(year),
        )
        for year in years
    ]


_MAX_PLACES = 4096  # (division, date) pairs remembered per rulebook; a full memo starts again


def coverage_warnings(
    application: Application,
    as_of: date,
    deadlines: Sequence[Deadline],
    catalogue: Catalogue,
    calendar: WorkingDayCalendar,
    *,
    rulebook: Rulebook | None = None,
) -> tuple[DecisionWarning, ...]:
    """The coverage warnings of the decision of ``application`` by the rules of ``catalogue``
    in force on ``as_of``, with ``deadlines`` dated on ``calendar``, in the order of the module
    docstring. Given the ``rulebook`` the decision was made with, the warnings about the place
    and date are remembered in its cache: they depend on nothing else, and scanning the
    catalogue's rules for utility commitments was a sixth of a batch row's time."""
    division = application.site.division.value
    memo = rulebook.cache("coverage") if rulebook is not None else None
    place = None if memo is None else memo.get((division, as_of))
    if place is None:
        chain = catalogue.chain_for_division(division)
        place = (
            *_no_local_rules(division, chain),
            *_before_coverage(catalogue, chain, as_of),
            *_utility_not_serving(catalogue, chain, as_of),
        )
        if memo is not None:
            if len(memo) >= _MAX_PLACES:
                memo.clear()
            memo[division, as_of] = place
    return (*place, *_provisional(deadlines, calendar))
