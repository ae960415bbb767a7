"""CSV and Parquet carry an application as flat columns; the three formats decide alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gridconnect.batch import Scenario, flatten, iter_corpus, run_batch, unflatten
from gridconnect.batch.formats import COLUMNS, read_rows, write_records
from gridconnect.cli import cli
from gridconnect.errors import InputError
from gridconnect.model.application import Application
from gridconnect.model.codec import structure


def test_the_flat_form_round_trips() -> None:
    for app in iter_corpus(500, seed=61):
        assert isinstance(app, dict)
        row = flatten(app)
        assert set(row) <= set(COLUMNS)
        assert structure(unflatten(row), Application) == structure(app, Application)


def test_a_bad_json_cell_is_located_at_its_column() -> None:
    with pytest.raises(InputError) as caught:
        unflatten({"id": "A", "works.segments": "[{"})
    assert caught.value.problems[0].path == "$.works.segments"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_csv_and_parquet_give_the_decisions_json_lines_gives(tmp_path: Path, suffix: str) -> None:
    apps = list(iter_corpus(80, seed=62, invalid=0.1))
    decisions = {}
    for name in ("c.jsonl", f"c{suffix}"):
        write_records(tmp_path / name, apps)
        out = tmp_path / f"{name}.out"
        summary = run_batch(tmp_path / name, out, scenario=Scenario(engine="reference"), workers=0)
        assert summary.rows == 80 == summary.decided + summary.rejected
        decisions[name] = {
            r["decision"]["application_id"]: r["decision"]
            for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())
        }
    assert decisions["c.jsonl"] == decisions[f"c{suffix}"]


def test_csv_rows_keep_the_line_they_start_on(tmp_path: Path) -> None:
    apps = [r for r in iter_corpus(3, seed=63) if isinstance(r, dict)]
    apps[0]["site"]["address"] = "广州市天河区\n第二行"  # a quoted cell over two lines
    path = tmp_path / "c.csv"
    write_records(path, apps)
    rows = list(read_rows(path, "csv"))
    assert [line for line, _, _ in rows] == [2, 4, 5]
    assert unflatten(rows[0][2])["site"]["address"] == "广州市天河区\n第二行"


def test_an_unknown_csv_column_stops_the_run_with_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id,colour\nA,red\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["batch", str(path), "--out", str(tmp_path / "o.jsonl"), "--workers", "0"]
    )
    assert result.exit_code == 2
    assert "colour: unknown column" in result.output
