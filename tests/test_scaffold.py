"""``gridconnect new-plugin``: the package it writes passes its own tests, with valid sample
identifiers; the id helpers agree with python-stdnum; the how-to shows what the command prints."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import examples
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc

from gridconnect.cli import cli
from gridconnect.model.identifiers import PROVINCE_CODES, ResidentId
from gridconnect.plugins.registry import Registry
from gridconnect.testing import credit_code, resident_id
from gridconnect.testing.conformance import check_conformance
from gridconnect.testing.scenarios import check_scenario, load_scenarios, scenario_registry

ROOT = Path(__file__).resolve().parent.parent
HOWTO = ROOT / "docs" / "howto" / "plugin.rst"
NEW = ["new-plugin", "shaoguan", "--division", "440200", "--name-zh", "韶关市"]


@pytest.fixture
def generated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    result = CliRunner().invoke(cli, [*NEW, "--name-en", "Shaoguan", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    package = tmp_path / "gridconnect-shaoguan"
    monkeypatch.syspath_prepend(str(package / "src"))
    monkeypatch.delitem(sys.modules, "gridconnect_shaoguan", raising=False)
    return package


def test_new_plugin_writes_a_package_named_after_the_jurisdiction(generated: Path) -> None:
    project = tomllib.loads((generated / "pyproject.toml").read_text("utf-8"))
    assert project["project"]["name"] == "gridconnect-shaoguan"
    assert project["project"]["entry-points"]["gridconnect"] == {
        "shaoguan": "gridconnect_shaoguan:plugin"
    }
    assert project["tool"]["pytest"]["ini_options"]["gridconnect_scenarios"] == ["tests/scenarios"]
    init = (generated / "src" / "gridconnect_shaoguan" / "__init__.py").read_text("utf-8")
    assert 'jurisdiction("440200", "韶关市", "Shaoguan", "shaoguan", parent="440000")' in init
    text = "\n".join(p.read_text("utf-8") for p in generated.rglob("*") if p.is_file())
    assert "qingyuan" not in text.lower()
    assert "清远" not in text
    assert "441800" not in text
    assert "template-only" not in text
    scenario = (generated / "tests" / "scenarios" / "shaoguan.toml").read_text("utf-8")
    (number,) = re.findall(r'resident_id = "(\w+)"', scenario)
    assert number.startswith("440200")
    assert ResidentId(number).value == number


def test_the_generated_plugin_passes_its_scenarios_and_the_kit_in_process(generated: Path) -> None:
    registry = Registry(modules=["gridconnect_shaoguan:plugin"], environment=False)
    assert not registry.errors, registry.errors
    scenarios = list(load_scenarios(generated / "tests" / "scenarios" / "shaoguan.toml"))
    assert scenarios
    for scenario in scenarios:
        check_scenario(scenario, scenario_registry("shaoguan", registry))
    assert check_conformance("shaoguan", registry=registry, examples=examples(60)) == []


@pytest.mark.slow
def test_the_generated_package_runs_its_own_test_suite(generated: Path) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
        "GRIDCONNECT_PLUGINS": "gridconnect_shaoguan:plugin",
        "PYTHONPATH": str(generated / "src"),
    }
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"),
            *("-o", "gridconnect_conformance_examples=40"),
        ],
        cwd=generated,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout  # the scenario and the conformance kit


def test_the_new_rule_shows_in_gridconnect_rules(generated: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--plugin",
            "gridconnect_shaoguan:plugin",
            "rules",
            "-j",
            "shaoguan",
            "--as-of",
            "2026-01-01",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "shaoguan.note.example_three_zero" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["new-plugin", "Shao Guan", "--division", "440200", "--name-zh", "韶关市"], "NAME"),
        (["new-plugin", "x1", "--division", "449999", "--name-zh", "某市"], "--name-en"),
        (["new-plugin", "gd", "--division", "440000", "--name-zh", "广东省"], "province"),
        (["new-plugin", "bad", "--division", "44030", "--name-zh", "某市"], "--division"),
    ],
)
def test_bad_names_are_refused_with_exit_2_in_both_languages(
    args: list[str], fragment: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(cli, [*args, "--dir", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr
    assert "输入有" in result.stderr
    assert not list(tmp_path.iterdir())


def test_an_existing_folder_is_not_overwritten(generated: Path) -> None:
    before = (generated / "README.md").read_text("utf-8")
    result = CliRunner().invoke(
        cli, [*NEW, "--name-en", "Shaoguan", "--dir", str(generated.parent)]
    )
    assert result.exit_code == 2
    assert "already exists" in result.stderr
    assert (generated / "README.md").read_text("utf-8") == before


def test_the_howto_shows_what_new_plugin_prints(tmp_path: Path) -> None:
    """The how-to's ``new-plugin`` step (a shell-session block, not run by the docs tests since
    it writes files) shows exactly what the command prints."""
    text = HOWTO.read_text("utf-8")
    match = re.search(
        r"\$ gridconnect new-plugin shenzhen --division 440300 --name-zh 深圳市\n(.*?)\n\n",
        text,
        re.S,
    )
    assert match, "the how-to shows the new-plugin step"
    shown = [
        line.strip() for line in match.group(1).splitlines() if not line.strip().startswith("$")
    ]
    result = CliRunner().invoke(
        cli,
        [
            "new-plugin",
            "shenzhen",
            "--division",
            "440300",
            "--name-zh",
            "深圳市",
            "--dir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert [line.strip() for line in result.stdout.splitlines()] == shown


divisions = st.sampled_from(sorted(PROVINCE_CODES - {"71", "81", "82"})).flatmap(
    lambda p: st.integers(1, 99).map(lambda n: f"{p}{n:02d}00")
)


@settings(max_examples=examples(200), deadline=None)
@given(
    division=divisions, number=st.integers(0, 99_999_999), kind=st.sampled_from(["91", "92", "12"])
)
def test_credit_codes_made_by_the_helper_are_valid_for_python_stdnum(
    division: str, number: int, kind: str
) -> None:
    assert uscc.is_valid(credit_code(division, number, kind=kind))


@settings(max_examples=examples(200), deadline=None)
@given(
    division=divisions,
    born=st.dates(
        min_value=__import__("datetime").date(1920, 1, 1),
        max_value=__import__("datetime").date(2010, 12, 31),
    ),
    sequence=st.integers(0, 999),
)
def test_resident_ids_made_by_the_helper_are_valid_for_python_stdnum(
    division: str, born: object, sequence: int
) -> None:
    number = resident_id(division, born=born, sequence=sequence)  # type: ignore[arg-type]
    # python-stdnum's table of birth places predates some division codes, so its check digit
    # and birth date are the oracle here.
    assert ric.calc_check_digit(number) == number[17]  # it reads the first 17 of the 18
    assert ric.get_birth_date(number) == born


def test_the_helpers_refuse_what_cannot_be_an_identifier() -> None:
    with pytest.raises(ValueError, match="six-digit"):
        credit_code("4403")
    with pytest.raises(ValueError, match="99,999,999"):
        credit_code("440300", 10**8)
    with pytest.raises(ValueError, match="sequence"):
        resident_id("440300", sequence=1000)
