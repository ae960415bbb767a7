"""The pictures of the documentation are drawn from real decisions, and show all of them.

``docs/_ext/gridconnect_pictures.py`` draws a decision's timeline and derivation as SVG; the
directives ``gridconnect-timeline`` and ``gridconnect-derivation`` put them on the pages. These
tests call the drawing functions without Sphinx: the SVG parses as XML, every deadline, rule,
slot and outcome of the decision is in it, text is escaped, and a different application gives a
different picture.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType

import attrs
import pytest

import gridconnect
from gridconnect.decide.decision import Decision
from gridconnect.model.application import Application
from gridconnect.plugins.registry import Registry
from gridconnect.rules.model import LimitUnit, Text

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = sorted((ROOT / "examples" / "applications").glob("*.json"))
HUANGPU = ROOT / "examples" / "applications" / "guangzhou-huangpu-10kv-enterprise.json"
SVG = "{http://www.w3.org/2000/svg}"
KINDS = {  # (working day, Saturday or Sunday): how the day is shaded
    (True, False): "working",
    (True, True): "makeup",
    (False, True): "weekend",
    (False, False): "holiday",
}


def _load_extension(name: str) -> ModuleType:
    """A module of ``docs/_ext`` (one that does not import Sphinx)."""
    spec = importlib.util.spec_from_file_location(name, DOCS / "_ext" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)
    spec.loader.exec_module(module)
    return module


pictures = _load_extension("gridconnect_pictures")


@pytest.fixture(scope="module")
def huangpu() -> tuple[Application, Decision]:
    example = pictures.load_example(HUANGPU)
    return example.application, example.decision


def timeline(app: Application, decision: Decision) -> ET.Element:
    svg = pictures.timeline_svg(app, decision, gridconnect.national_calendar(strict=False))
    return ET.fromstring(svg)


def derivation(decision: Decision) -> ET.Element:
    return ET.fromstring(pictures.derivation_svg(decision))


def with_attr(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in e.attrib]


def texts(root: ET.Element) -> str:
    return "\n".join("".join(e.itertext()) for e in root.iter(f"{SVG}text"))


# -- every example draws -------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_the_pictures_of_every_example_are_well_formed_svg(path: Path) -> None:
    example = pictures.load_example(path)
    for svg in (
        pictures.timeline_svg(example.application, example.decision, example.calendar),
        pictures.derivation_svg(example.decision, example.names),
    ):
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG}svg"
        assert root.get("role") == "img"
        title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
        assert title is not None
        assert desc is not None
        assert example.decision.application_id in (title.text or "")
        assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        # the figure around it is well-formed too, with its caption
        figure = ET.fromstring(pictures.figure_html(svg, "a <caption> & more", "test"))
        assert figure.findtext("figcaption") == "a <caption> & more"


# -- the timeline ---------------------------------------------------------------------------------


def test_every_deadline_is_on_the_timeline(huangpu: tuple[Application, Decision]) -> None:
    app, decision = huangpu
    assert decision.deadlines
    root = timeline(app, decision)
    rows = {g.get("data-slot"): g for g in root.iter(f"{SVG}g") if g.get("data-slot")}
    assert set(rows) == {d.slot for d in decision.deadlines}
    for d in decision.deadlines:
        row = rows[d.slot]
        assert row.get("data-start") == d.start.isoformat()
        assert row.get("data-due") == d.due.isoformat()
        assert row.get("data-unit") == d.limit.unit.value
        assert row.get("data-provisional") == ("true" if d.provisional else "false")
        label = texts(row)
        assert d.slot in label
        assert d.due.isoformat() in label
        counted = [int(e.get("data-counted", 0)) for e in row.iter() if e.get("data-counted")]
        if d.limit.unit is LimitUnit.WORKING_DAY:
            # one numbered cell per working day counted; the last is the due date
            assert counted == list(range(1, d.limit.amount + 1))
        else:
            assert counted == [(d.due - d.start).days] == [d.limit.amount]


def test_the_timeline_marks_the_dates_limits_count_from(
    huangpu: tuple[Application, Decision],
) -> None:
    app, decision = huangpu
    events = {e.get("data-date") for e in with_attr(timeline(app, decision), "data-event")}
    assert app.applied_on.isoformat() in events
    assert app.works.approval_filed_on is not None
    assert app.works.approval_filed_on.isoformat() in events


def test_the_timeline_shades_each_day_by_the_calendar(
    huangpu: tuple[Application, Decision],
) -> None:
    app, decision = huangpu
    calendar = gridconnect.national_calendar(strict=False)
    days = {
        e.get("data-day"): e.get("data-kind")
        for e in with_attr(timeline(app, decision), "data-day")
    }
    assert min(days) <= app.applied_on.isoformat()
    assert max(days) >= max(d.due for d in decision.deadlines).isoformat()
    for iso, kind in days.items():
        day = date.fromisoformat(iso)
        working, weekend = calendar.is_working_day(day), day.weekday() >= 5
        assert kind == KINDS[(working, weekend)], iso
    # 2026: the May Day holiday, and a Saturday worked for it (调休)
    assert days["2026-05-05"] == "holiday"
    assert days["2026-05-09"] == "makeup"


def test_a_provisional_deadline_is_drawn_as_provisional(
    huangpu: tuple[Application, Decision],
) -> None:
    app, _ = huangpu
    later = attrs.evolve(
        app,
        applied_on=date(2027, 3, 1),
        works=attrs.evolve(app.works, approval_filed_on=date(2027, 3, 8)),
    )
    decision = gridconnect.evaluate(later, engine="reference")
    provisional = [d for d in decision.deadlines if d.provisional]
    assert provisional, "2027's holiday notice is encoded: move the dates to a later year"
    root = timeline(later, decision)
    for d in provisional:
        (row,) = [g for g in root.iter(f"{SVG}g") if g.get("data-slot") == d.slot]
        assert row.get("data-provisional") == "true"
        assert "provisional 暂定" in texts(row)


def test_the_pages_dates_are_the_timelines(huangpu: tuple[Application, Decision]) -> None:
    """The dates the pictures page quotes are dates the timeline shows."""
    app, decision = huangpu
    root = timeline(app, decision)
    shown = {v for e in root.iter() for k, v in e.attrib.items() if k in ("data-date", "data-due")}
    page = (DOCS / "explanation" / "pictures.rst").read_text(encoding="utf-8")
    quoted = set(re.findall(r"\b20\d\d-\d\d-\d\d\b", page))
    assert quoted
    assert quoted <= shown


# -- the derivation --------------------------------------------------------------------------------


def check_derivation(decision: Decision) -> None:
    root = derivation(decision)
    boxes = {
        g.get("data-rule"): g for g in root.iter(f"{SVG}g") if g.get("data-outcome") is not None
    }
    assert set(boxes) == {t.rule for t in decision.trace}
    for t in decision.trace:
        box = boxes[t.rule]
        assert box.get("data-outcome") == t.outcome
        assert box.get("data-confidence") == t.citation.confidence.value
        assert pictures.OUTCOME_STYLES[t.outcome]["en"] in texts(box)
        assert pictures.CONFIDENCE_STYLES[t.citation.confidence.value][1] in texts(box)

    slots = {g.get("data-slot"): g for g in root.iter(f"{SVG}g") if g.get("data-concluded")}
    assert set(decision.conclusions) <= set(slots)
    assert set(slots) == {s for t in decision.trace for s in t.sets}
    for slot, box in slots.items():
        conclusion = decision.conclusions.get(slot)
        assert box.get("data-concluded") == ("true" if conclusion else "false")
        if conclusion:
            assert box.get("data-decided-by") == conclusion.rule

    edges = {
        (e.get("data-rule"), e.get("data-slot")): e
        for e in root.iter(f"{SVG}path")
        if e.get("data-outcome") is not None
    }
    assert set(edges) == {(t.rule, s) for t in decision.trace for s in t.sets}
    for t in decision.trace:
        for slot in t.sets:
            edge = edges[(t.rule, slot)]
            outcome = pictures.slot_outcome(decision, t, slot)
            assert edge.get("data-outcome") == outcome
            style = pictures.OUTCOME_STYLES[outcome]
            assert edge.get("stroke") == style["stroke"]
            assert edge.get("stroke-dasharray") == style["stroke_dasharray"]
            if t.outcome != "lost_to_exception":
                assert (outcome == "won") == (decision.conclusions[slot].rule == t.rule)

    exceptions = {
        (e.get("data-exception-from"), e.get("data-exception-to"))
        for e in with_attr(root, "data-exception-from")
    }
    assert exceptions == {
        (by, t.rule) for t in decision.trace if t.outcome == "lost_to_exception" for by in t.by
    }
    for e in with_attr(root, "data-exception-from"):
        assert e.get("stroke-dasharray") == pictures.EXCEPTION_STYLE["stroke_dasharray"]


def test_every_rule_and_slot_is_in_the_derivation_with_its_outcome(
    huangpu: tuple[Application, Decision],
) -> None:
    _, decision = huangpu
    outcomes = {t.outcome for t in decision.trace}
    assert {"won", "shadowed", "lost_to_exception"} <= outcomes
    check_derivation(decision)


def test_the_derivation_groups_rules_by_jurisdiction_depth(
    huangpu: tuple[Application, Decision],
) -> None:
    _, decision = huangpu
    root = derivation(decision)
    frames = [
        (int(e.get("data-depth", -1)), e.get("data-jurisdiction"), float(e.get("y", 0)))
        for e in with_attr(root, "data-jurisdiction")
    ]
    assert [(d, j) for d, j, _ in frames] == list(enumerate(decision.jurisdictions))
    assert [y for _, _, y in frames] == sorted(y for _, _, y in frames)  # nation on top


def test_an_agreeing_rule_is_drawn_as_agreeing(
    huangpu: tuple[Application, Decision], rules_file: Callable[[str], Path]
) -> None:
    """A local rule of Huangpu that sets the same number of procedures as Huangpu's own (reading
    the supply as it does, so it sorts after it in the same stratum)."""
    path = rules_file(
        """
jurisdiction = "440112"

[[rules]]
id = "guangzhou.huangpu.zz_agrees.steps"
title = { en = "Two procedures, again", zh = "两个环节" }
effective_from = 2021-01-01
when = { slot = "supply", eq = "high_voltage" }
then = { procedure_steps = 2 }
citation = { title = "A test source", issuer = "tests", confidence = "primary" }
"""
    )
    app, _ = huangpu
    decision = gridconnect.evaluate(app, engine="reference", registry=Registry(local=[path]))
    (entry,) = [t for t in decision.trace if t.rule == "guangzhou.huangpu.zz_agrees.steps"]
    assert pictures.slot_outcome(decision, entry, "procedure_steps") == "agreed"
    check_derivation(decision)


def test_text_is_escaped(huangpu: tuple[Application, Decision]) -> None:
    _, decision = huangpu
    nasty = "a <b>bold</b> & \"quoted\" 'title' ]]>"
    first = attrs.evolve(decision.trace[0], title=Text(en=nasty, zh="<中&文>"))
    altered = attrs.evolve(decision, trace=(first, *decision.trace[1:]))
    root = derivation(altered)  # parses
    everything = "".join(root.itertext())
    assert "a <b>bold</b> &" in everything
    assert "<中&文>" in everything
    assert not [e for e in root.iter() if e.tag in ("b", f"{SVG}b")]


# -- generated, not static -------------------------------------------------------------------------


def test_another_application_gives_another_timeline(
    huangpu: tuple[Application, Decision],
) -> None:
    app, decision = huangpu
    moved = attrs.evolve(
        app,
        applied_on=app.applied_on + timedelta(days=140),
        works=attrs.evolve(app.works, approval_filed_on=date(2026, 9, 30)),
    )
    moved_decision = gridconnect.evaluate(moved, engine="reference")
    before = pictures.timeline_svg(app, decision)
    after = pictures.timeline_svg(moved, moved_decision)
    assert before != after
    dues = {e.get("data-due") for e in with_attr(ET.fromstring(after), "data-due")}
    assert dues == {d.due.isoformat() for d in moved_decision.deadlines}
    assert dues.isdisjoint(d.due.isoformat() for d in decision.deadlines)
    # across the National Day holiday: 2 working days after 30 September 2026 is 9 October
    approval = next(d for d in moved_decision.deadlines if d.slot == "approval.limit")
    assert approval.due == date(2026, 10, 9)


def test_another_application_gives_another_derivation(
    huangpu: tuple[Application, Decision],
) -> None:
    """Without the national highway crossing, Huangpu's joint office exempts the works."""
    app, decision = huangpu
    segments = tuple(attrs.evolve(s, crossings=()) for s in app.works.segments)
    plain = attrs.evolve(app, works=attrs.evolve(app.works, segments=segments))
    plain_decision = gridconnect.evaluate(plain, engine="reference")
    assert pictures.derivation_svg(plain_decision) != pictures.derivation_svg(decision)
    rules = {
        g.get("data-rule")
        for g in derivation(plain_decision).iter(f"{SVG}g")
        if g.get("data-outcome") is not None
    }
    assert "guangzhou.huangpu.approval.joint_office_exempt" in rules
    assert "guangzhou.huangpu.approval.joint_office_two_days" not in rules
    check_derivation(plain_decision)


# -- the pages use them ----------------------------------------------------------------------------


def test_the_pages_embed_the_pictures_of_the_huangpu_example() -> None:
    example = HUANGPU.relative_to(ROOT).as_posix()
    pictures_page = (DOCS / "explanation" / "pictures.rst").read_text(encoding="utf-8")
    assert f".. gridconnect-timeline:: {example}" in pictures_page
    assert f".. gridconnect-derivation:: {example}" in pictures_page
    precedence = (DOCS / "explanation" / "precedence.rst").read_text(encoding="utf-8")
    assert f".. gridconnect-derivation:: {example}" in precedence
    assert ":doc:`explanation/pictures`" in (DOCS / "tutorial.rst").read_text(encoding="utf-8")


# -- legible at the documentation's width ----------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_no_text_is_smaller_than_eleven_pixels_as_shown(path: Path) -> None:
    example = pictures.load_example(path)
    for svg in (
        pictures.timeline_svg(example.application, example.decision, example.calendar),
        pictures.derivation_svg(example.decision, example.names),
    ):
        root = ET.fromstring(svg)
        # shown at its own size: never scaled down to the column (which scrolls instead) ...
        assert "max-width: none" in (root.get("style") or "")
        assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
        # ... so the font size is the size a reader sees
        sizes = [float(e.get("font-size") or 0) for e in root.iter(f"{SVG}text")]
        assert sizes
        assert min(sizes) >= 11, sorted(set(sizes))


def test_the_figure_links_the_picture_at_full_size() -> None:
    html = pictures.figure_html("<svg/>", "caption", "derivation", full_size="../_pictures/x.svg")
    link = ET.fromstring(html).find("figcaption/a")
    assert link is not None
    assert link.get("href") == "../_pictures/x.svg"


def test_the_pictures_label_slots_from_the_one_vocabulary(
    huangpu: tuple[Application, Decision],
) -> None:
    _, decision = huangpu
    assert pictures.slot_label("permit.highway_crossing") == (
        "lines crossing a highway",
        "跨越、穿越公路架设、埋设管线审批",
    )
    assert pictures.slot_label("stage.whole_process") == ("whole process", "全流程办电时间")
    shown = texts(derivation(decision))
    assert "跨越、穿越公路架设、埋设管线审批" in shown
    assert "permit highway_crossing" not in shown


def test_the_tutorial_shows_the_page_to_hand_over() -> None:
    tutorial = (DOCS / "tutorial.rst").read_text(encoding="utf-8")
    example = HUANGPU.relative_to(ROOT).as_posix()
    assert f".. gridconnect-page:: {example}" in tutorial
    directives = (DOCS / "_ext" / "gridconnect_picture_directives.py").read_text("utf-8")
    assert 'add_directive("gridconnect-page", PageDirective)' in directives
