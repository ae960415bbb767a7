"""The example stream in examples/events/, counted by hand; the Maipu-like 主动办 case and its
三省 savings; and the ``gridconnect track`` commands.

The stream (examples/events/stream.jsonl) holds 47 lines: 45 events and 2 repeated lines. As of
2025-04-15 the applications stand as follows (working days, wd, are counted after the start day
up to and including the end day; 4 April 2025 is 清明节, 5-6 April a weekend):

* GZ-HP-2025-0107, Huangpu 10 kV, the proactive case of project P-HP-2025-01 (Guangzhou HV
  limits: whole process 45 days, utility steps 12 days, both 天, counted as calendar days).
  Submitted 03-03, accepted 03-04 (1 wd), plan 03-07 (3 wd), customer pause 03-07..03-24
  (takes 03-10..03-24 off: 11 wd, 17 calendar days), completion inspection 03-28 (15 wd - 11 =
  4 wd; design review and intermediate inspection skipped), connected 03-31 (1 wd). Whole
  process 20 wd, 28 calendar days <= 45: on time. Utility steps 20 - 11 = 9 wd, 28 - 17 = 11
  calendar days <= 12: on time.
* GZ-TH-2025-0311, Tianhe 180 kW low voltage (whole process 7 days). Submitted and accepted
  03-10 (0 wd), connected 03-14 (4 wd, 4 calendar days): connection 4 wd, whole process on
  time, utility steps untimed (4 wd).
* FS-CC-2025-0412, Foshan resident (whole process 1 wd). Submitted and accepted 04-01 (0 wd),
  connected 04-07: 04-02, 04-03, 04-07 = 3 wd > 1: late. Utility steps untimed (3 wd). Its
  design review on 04-08 comes after connection: rejected.
* DG-2025-0318, Dongguan 10 kV (utility steps 22 wd). Accepted 03-19 (1 wd), plan 03-26 (5 wd),
  expert review 03-27..03-28 (03-28 off), design reviewed 04-03 (6 wd - 1 = 5), intermediate
  inspection 04-11 (5 wd), completion inspection running since 04-11 (2 wd). Whole process
  untimed: 19 wd - 1 (the expert review is excluded by law) = 18. Utility steps 18 of 22:
  5 x 18 = 90 >= 88, at risk.
* ZS-2025-0325, Zhongshan 380 V with external works (whole process 15 wd). Connected on 03-25,
  before acceptance: rejected. Accepted 03-26 (1 wd), plan 03-28 (2 wd; the line arrives before
  the acceptance's and is folded in its place), a pause end on 03-31 for a period never started:
  rejected; customer pause open since 04-01. Design review running: 11 wd - 9 paused = 2.
  Whole process 14 wd of 15 (a customer pause does not stop it): 70 >= 60, at risk. Utility
  steps untimed (5 wd). Its pause ends and it is connected after 04-15.
* FS-NH-2025-0408, Foshan 10 kV typical case (supply plan 0 wd, connection 0 wd, utility steps
  22 wd). All on 04-08: submitted, accepted (0), plan (0 wd: on time); completion inspection
  04-10 (2 wd), connected 04-11 (1 wd > 0: late). Whole process untimed (3 wd); utility steps
  3 wd: on time.
* GZ-NS-2025-0999: only an acceptance, never submitted: rejected, state new.

Per stage (count = started; on time + at risk + late + untimed = count; the median is over the
done ones):

=========================  =====  ====  =======  =======  ====  =======  ==========
stage                      count  done  on time  at risk  late  untimed  median wd
=========================  =====  ====  =======  =======  ====  =======  ==========
acceptance                     6     6        0        0     0        6  0,0,0,1,1,1 -> 0.5
supply plan                    4     4        1        0     0        3  0,2,3,5 -> 2.5
design review                  2     1        0        0     0        2  5
intermediate inspection        1     1        0        0     0        1  5
completion inspection          3     2        0        0     0        3  2,4 -> 3
connection                     4     4        0        0     1        3  1,1,3,4 -> 2
whole process                  6     4        2        1     1        2  3,3,4,20 -> 3.5
utility steps                  6     4        2        1     0        3  3,3,4,9 -> 3.5
=========================  =====  ====  =======  =======  ====  =======  ==========

Projects: P-HP-2025-01 (Huangpu, demand: a proactive case on the land-use permit, grid works on
the construction permit, joint acceptance on completion), P-GZ-2025-02 (Tianhe, no demand: no
action; its second land-use permit is rejected), P-FS-2025-03 (Foshan: no Guangzhou rule).
Rejected events: 1 + 2 + 1 + 1 = 5.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from gridconnect.cli import cli
from gridconnect.lifecycle.events import read_events
from gridconnect.lifecycle.metrics import Baseline, baseline_for, indicators, savings
from gridconnect.lifecycle.store import Store
from gridconnect.lifecycle.tracker import Report, StageStats, Tracker
from gridconnect.rules.model import Limit, LimitUnit

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "examples" / "events"
STREAM = EVENTS / "stream.jsonl"
AS_OF = date(2025, 4, 15)


@pytest.fixture(scope="module")
def tracker() -> Tracker:
    tracker = Tracker(":memory:", engine="reference")
    with STREAM.open(encoding="utf-8") as lines:
        result = tracker.ingest(read_events(lines, source="stream.jsonl", base=EVENTS))
    assert (result.received, result.new, result.duplicates, result.rejected) == (47, 45, 2, 5)
    assert not result.invalid
    assert not result.conflicts
    return tracker


def stats(stage: str, *row: float | None) -> StageStats:
    count, done, on_time, at_risk, late, untimed, median = row
    return StageStats(
        stage=stage,
        count=int(count or 0),
        done=int(done or 0),
        on_time=int(on_time or 0),
        at_risk=int(at_risk or 0),
        late=int(late or 0),
        untimed=int(untimed or 0),
        median_working_days=median,
    )


HAND_COUNT = Report(
    as_of=AS_OF,
    jurisdiction=None,
    applications=7,
    states={"connected": 4, "intermediate_inspected": 1, "new": 1, "plan_answered": 1},
    stages=(
        stats("acceptance", 6, 6, 0, 0, 0, 6, 0.5),
        stats("supply_plan", 4, 4, 1, 0, 0, 3, 2.5),
        stats("design_review", 2, 1, 0, 0, 0, 2, 5.0),
        stats("intermediate_inspection", 1, 1, 0, 0, 0, 1, 5.0),
        stats("completion_inspection", 3, 2, 0, 0, 0, 3, 3.0),
        stats("connection", 4, 4, 0, 0, 1, 3, 2.0),
        stats("whole_process", 6, 4, 2, 1, 1, 2, 3.5),
        stats("utility_steps", 6, 4, 2, 1, 0, 3, 3.5),
    ),
    rejected_events=5,
    projects=3,
    actions={"joint_acceptance_and_connection": 1, "open_proactive_case": 1, "start_grid_works": 1},
)

# Guangzhou and below: GZ-HP-2025-0107 and GZ-TH-2025-0311; P-HP-2025-01 and P-GZ-2025-02 (whose
# second land-use permit is the one rejected event); GZ-NS-2025-0999 was never submitted, so its
# jurisdiction is not known. Acceptance 1 and 0 wd; plan 3; completion inspection 4; connection
# 1 and 4; whole process 20 and 4 wd, both on time; utility steps 9 (on time) and 4 (untimed).
HAND_COUNT_GUANGZHOU = Report(
    as_of=AS_OF,
    jurisdiction="440100",
    applications=2,
    states={"connected": 2},
    stages=(
        stats("acceptance", 2, 2, 0, 0, 0, 2, 0.5),
        stats("supply_plan", 1, 1, 0, 0, 0, 1, 3.0),
        stats("design_review", 0, 0, 0, 0, 0, 0, None),
        stats("intermediate_inspection", 0, 0, 0, 0, 0, 0, None),
        stats("completion_inspection", 1, 1, 0, 0, 0, 1, 4.0),
        stats("connection", 2, 2, 0, 0, 0, 2, 2.5),
        stats("whole_process", 2, 2, 2, 0, 0, 0, 12.0),
        stats("utility_steps", 2, 2, 1, 0, 0, 1, 6.5),
    ),
    rejected_events=1,
    projects=2,
    actions={"joint_acceptance_and_connection": 1, "open_proactive_case": 1, "start_grid_works": 1},
)


def test_the_report_of_the_example_stream_is_the_hand_count(tracker: Tracker) -> None:
    assert tracker.report(as_of=AS_OF) == HAND_COUNT


def test_the_guangzhou_report_is_the_hand_count(tracker: Tracker) -> None:
    assert tracker.report("guangzhou", as_of=AS_OF) == HAND_COUNT_GUANGZHOU
    assert tracker.report("440100", as_of=AS_OF) == HAND_COUNT_GUANGZHOU


def test_the_report_counts_only_what_happened_by_its_day(tracker: Tracker) -> None:
    early = tracker.report(as_of=date(2025, 3, 5))
    assert early.states == {"accepted": 1}  # GZ-HP-2025-0107
    assert early.actions == {"open_proactive_case": 1, "start_grid_works": 1}
    assert (early.projects, early.rejected_events) == (3, 1)  # P-FS-2025-03 starts on 03-05
    later = tracker.report(as_of=date(2025, 4, 30))
    assert later.states["connected"] == 5
    assert later.rejected_events == 5


def test_the_huangpu_case_is_proactive_and_its_clocks_are_the_hand_count(tracker: Tracker) -> None:
    status = tracker.status("GZ-HP-2025-0107", as_of=AS_OF)
    assert status.proactive
    assert status.project is not None
    assert [a.action for a in status.project.actions] == [
        "open_proactive_case",
        "start_grid_works",
        "joint_acceptance_and_connection",
    ]
    assert [a.on for a in status.project.actions] == [
        date(2024, 12, 16),
        date(2025, 2, 17),
        date(2025, 3, 28),
    ]
    used = {c.stage: (c.progress, c.working_days) for c in status.clocks}
    assert used == {
        "acceptance": ("done", 1),
        "supply_plan": ("done", 3),
        "design_review": ("skipped", None),
        "intermediate_inspection": ("skipped", None),
        "completion_inspection": ("done", 4),
        "connection": ("done", 1),
        "whole_process": ("done", 20),
        "utility_steps": ("done", 9),
    }
    utility = status.clock("utility_steps")
    assert (utility.limit, utility.calendar_days, utility.status) == (
        Limit(amount=12, unit=LimitUnit.DAY),
        11,
        "on_time",
    )
    assert utility.rule == "guangzhou.limit.high_voltage"
    assert utility.due == date(2025, 4, 1)  # 03-03 + 12 days + 17 paused
    others = tracker.status("GZ-TH-2025-0311", as_of=AS_OF)
    assert not others.proactive


def test_the_maipu_like_case_connects_in_20_working_days_and_saves_against_baselines(
    tracker: Tracker,
) -> None:
    status = tracker.status("GZ-HP-2025-0107", as_of=AS_OF)
    actual = indicators(status)
    assert (actual.procedures, actual.calendar_days, actual.working_days) == (2, 28, 20)
    assert actual.cost_yuan == Decimal(0)
    assert (actual.utility_working_days, actual.utility_calendar_days) == (9, 11)

    application = tracker.submission("GZ-HP-2025-0107")
    assert application is not None
    city = baseline_for(application, jurisdiction="guangzhou", engine="reference")
    assert (city.procedures, city.whole_process, city.utility_steps) == (
        3,  # three procedures in the city, two in the Huangpu development zone
        Limit(amount=45, unit=LimitUnit.DAY),
        Limit(amount=12, unit=LimitUnit.DAY),
    )
    saved = savings(actual, city)
    assert (saved.effort, saved.time, saved.time_unit, saved.time_percent) == (
        1,
        17,
        LimitUnit.DAY,
        37.8,
    )
    assert (saved.utility_time, saved.money_yuan) == (1, None)  # no baseline cost: unknown

    earlier = baseline_for(application, as_of=date(2021, 1, 4), engine="reference")
    assert earlier.label == "as of 2021-01-04"
    assert (earlier.procedures, earlier.whole_process) == (None, None)
    assert earlier.utility_steps == Limit(amount=22)  # the national floor alone
    saved = savings(actual, earlier)
    assert (saved.effort, saved.time, saved.utility_time) == (None, None, 22 - 9)
    assert saved.to_dict()["effort"] == "unknown"

    # The source article: 20 working days, 60 % faster than before, so 50 before.
    article = Baseline(label="before 主动办 (source article)", whole_process=Limit(amount=50))
    saved = savings(actual, article)
    assert (saved.time, saved.time_percent) == (30, 60.0)


def test_indicators_of_an_application_not_yet_connected_are_unknown(tracker: Tracker) -> None:
    running = indicators(tracker.status("DG-2025-0318", as_of=AS_OF))
    assert not running.connected
    assert running.to_dict()["working_days"] == "unknown"
    assert running.procedures == 3


# -- the command line --------------------------------------------------------------------------------


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_track_ingest_status_and_report(tmp_path: Path) -> None:
    store = str(tmp_path / "track.db")
    code, out, err = run("track", "ingest", str(STREAM), "--store", store)
    assert code == 0, err
    assert "47 read, 45 new, 2 duplicate, 0 conflicting, 0 invalid; 5 rejected" in out
    assert "读取 47，新增 45" in out
    assert "ingesting / 录入" in err  # the progress bar goes to standard error
    code, out, _ = run("track", "ingest", str(STREAM), "--store", store, "--format", "json")
    assert code == 0
    assert json.loads(out)["new"] == 0

    code, out, _ = run("track", "report", "--store", store, "--as-of", "2025-04-15", "--lang", "en")
    assert code == 0
    assert "7 application(s), 3 project(s), 5 rejected event(s)" in out
    assert (
        "whole process                  6     4        2        1     1        2        3.5" in out
    )
    code, out, _ = run(
        "track", "report", "--store", store, "--as-of", "2025-04-15", "--format", "json"
    )
    assert json.loads(out) == HAND_COUNT.to_dict()

    code, out, _ = run(
        "track", "status", "GZ-HP-2025-0107", "--store", store, "--as-of", "2025-04-15",
        "--baseline-jurisdiction", "guangzhou",
    )  # fmt: skip
    assert code == 0
    assert "GZ-HP-2025-0107: connected" in out
    assert "open_proactive_case" in out
    assert "indicators: procedures 2, 28 calendar days, 20 working days, cost 0" in out
    assert "三省 against guangzhou: effort 1 procedure(s), time 17 (day, 37.8 %)" in out
    code, out, _ = run("track", "status", "ZS-2025-0325", "--store", store, "--format", "json",
                       "--as-of", "2025-04-15")  # fmt: skip
    data = json.loads(out)
    assert data["state"] == "plan_answered"
    assert [r["event"] for r in data["rejections"]] == ["ev-a502", "ev-a505"]
    assert data["indicators"]["calendar_days"] == "unknown"
    code, out, _ = run("track", "status", "P-GZ-2025-02", "--store", store, "--lang", "zh")
    assert code == 0
    assert "project P-GZ-2025-02: land_use_permitted (已取得用地规划许可)" in out
    code, out, _ = run("track", "rebuild", "--store", store)
    assert (code, out.split()[0]) == (0, "10")  # 7 applications and 3 projects


def test_invalid_lines_exit_2_with_located_errors_and_the_rest_is_ingested(
    tmp_path: Path,
) -> None:
    events = tmp_path / "bad.jsonl"
    events.write_text(
        '{"id": "a", "kind": "accepted", "on": "2025-03-03", "application": "A"}\n'
        '{"id": "b", "kind": "acepted", "on": "2025-03-03", "application": "A"}\n'
        "{oops\n"
        '{"id": "a", "kind": "accepted", "on": "2025-03-04", "application": "A"}\n',
        "utf-8",
    )
    store = str(tmp_path / "s.db")
    code, out, err = run("track", "ingest", str(events), "--store", store)
    assert code == 2
    assert "Traceback" not in out + err
    assert f"{events}:2: 1 problem in the input" in err
    assert f"{events}:2: 输入有 1 处错误" in err
    assert "$.kind: must be one of:" in err
    assert f"{events}:3:" in err
    assert f"{events}:4:" in err  # the id was used with other content
    assert "4 read, 1 new, 0 duplicate, 1 conflicting, 2 invalid" in out
    assert Store(store).count_events() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["track", "ingest", "missing.jsonl"], "cannot read the file"),
        (["track", "status", "NOPE"], "no application or project 'NOPE'"),
        (["track", "report", "-j", "atlantis"], "unknown jurisdiction 'atlantis'"),
        (["track", "report", "--as-of", "2025-13-01"], "not a date"),
    ],
)
def test_bad_arguments_exit_2_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(*args, "--store", str(tmp_path / "s.db"))
    assert code == 2
    assert message in err
    assert "Traceback" not in out + err


def test_a_store_that_cannot_be_used_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE schema_version SET version = 2")
    db.commit()
    db.close()
    code, _, err = run("track", "report", "--store", str(path))
    assert code == 2
    assert "schema version 2, written by a newer gridconnect" in err
