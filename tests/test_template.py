"""The plugin template, end to end: copy it, add a rule and a scenario, run the kit and the
scenario tests, and see the rule in ``gridconnect rules``."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from gridconnect.cli import cli
from gridconnect.plugins.registry import Registry
from gridconnect.testing.conformance import check_conformance
from gridconnect.testing.scenarios import check_scenario, load_scenarios, scenario_registry

TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "gridconnect-city"

RULE = """
[citations.notice_2024]
title = "清远市关于工程建设项目市政公用服务前置的通知"
issuer = "清远市自然资源局"
date = 2024-05-31
url = "http://www.gdqy.gov.cn/xxgk/zzjg/zfjg/qyszrzyj/zwgk/tzgg/content/post_1878817.html"
confidence = "primary"
note = "Title as given by the copy read; a two-year trial."

[[rules]]
id = "qingyuan.limit.pre_coordination"
title = { en = "Utilities answer the 多规合一 pre-coordination within 5 working days", zh = "多规合一预协调5个工作日内反馈" }
effective_from = 2024-05-31
when = { fact = "project.known", eq = true }
then = { "stage.pre_coordination" = { working_days = 5 } }
citation = { ref = "notice_2024", quote = "相关单位和部门在5个工作日内反馈意见" }
"""

SCENARIO = """
[[scenario]]
name = "A project in Qingyuan gets its pre-coordination limit"
expect = { "stage.pre_coordination" = { working_days = 5 } }
[scenario.application]
id = "QY-1"
applied_on = "2026-03-02"
applicant = { kind = "other_enterprise", name = "清远示例陶瓷有限公司", credit_code = "91441800MA4UUJ6D1U" }
site = { division = "441800" }
service = "new_connection"
capacity = { value = 90, unit = "kW" }
voltage = "380V"
project = { project_approval = "2026-01-05" }
"""


@pytest.fixture
def city(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "gridconnect-city"
    shutil.copytree(TEMPLATE, copy)
    with (copy / "src" / "gridconnect_city" / "rules.toml").open("a", encoding="utf-8") as f:
        f.write(RULE)
    with (copy / "tests" / "scenarios" / "city.toml").open("a", encoding="utf-8") as f:
        f.write(SCENARIO)
    monkeypatch.syspath_prepend(str(copy / "src"))
    monkeypatch.delitem(sys.modules, "gridconnect_city", raising=False)
    return copy


@pytest.mark.slow
def test_the_template_copied_with_a_rule_passes_the_kit(city: Path) -> None:
    registry = Registry(modules=["gridconnect_city:plugin"], environment=False)
    assert not registry.errors
    assert check_conformance("city", registry=registry, examples=100) == []


def test_the_new_rule_shows_in_gridconnect_rules(city: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["--plugin", "gridconnect_city:plugin", "rules", "-j", "qingyuan", "--as-of", "2026-01-01"],
    )
    assert result.exit_code == 0, result.output
    assert "qingyuan.limit.pre_coordination" in result.stdout


def test_the_copied_plugin_scenarios_pass_with_the_rule_added(city: Path) -> None:
    """The template's own scenario and the one added pass (the package's whole pytest run is
    tested on the output of ``gridconnect new-plugin``, in test_scaffold)."""
    registry = Registry(modules=["gridconnect_city:plugin"], environment=False)
    scenarios = list(load_scenarios(city / "tests" / "scenarios" / "city.toml"))
    assert len(scenarios) == 2
    for scenario in scenarios:
        check_scenario(scenario, scenario_registry("city", registry))
