"""Plugins: a broken plugin is reported with its name and never changes anyone else's answers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from conftest import examples

from gridconnect.cli import cli
from gridconnect.decide.calendar import WorkingDayCalendar
from gridconnect.decide.evaluate import evaluate
from gridconnect.errors import PluginError
from gridconnect.model import Application
from gridconnect.model.codec import load_file, structure
from gridconnect.plugins.hookspecs import hookimpl
from gridconnect.plugins.packaged import jurisdiction
from gridconnect.plugins.registry import Registry
from gridconnect.rules.catalogue import Jurisdiction
from gridconnect.rules.loader import RuleSource, parse_rules
from gridconnect.testing.conformance import check_conformance

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples" / "applications").glob("*.json"))


class RaisesInHook:
    @hookimpl
    def gridconnect_rule_sources(self) -> list[RuleSource]:
        raise RuntimeError("the rules server is down")


class InvalidRules:
    @hookimpl
    def gridconnect_rule_sources(self) -> list[RuleSource]:
        return [
            parse_rules(
                {
                    "jurisdiction": "CN",
                    "rules": [
                        {
                            "id": "cn.broken",
                            "title": {"en": "x", "zh": "x"},
                            "effective_from": __import__("datetime").date(2020, 1, 1),
                            "when": {"fact": "capacity.watts", "gt": 1},
                            "then": {"track": "three_zero"},
                            "citation": {"title": "t", "issuer": "i", "confidence": "press"},
                        }
                    ],
                },
                "broken.toml",
            )
        ]


class UnknownHook:
    @hookimpl
    def gridconnect_rules_v2(self) -> list[RuleSource]:
        return []


class WrongSignature:
    @hookimpl
    def gridconnect_calendar(self, jurisdiction: str, base: object, region: str) -> None:
        return None


class WrongType:
    @hookimpl
    def gridconnect_jurisdictions(self) -> list[str]:
        return ["440100"]


BROKEN = [
    ("raises", RaisesInHook(), "the rules server is down"),
    ("invalid", InvalidRules(), "capacity.watts"),
    ("unknown-hook", UnknownHook(), "gridconnect_rules_v2"),
    ("wrong-signature", WrongSignature(), "region"),
    ("wrong-type", WrongType(), "expected Jurisdiction"),
]


@pytest.fixture
def broken_import(tmp_path: Path) -> Path:
    path = tmp_path / "broken_import.py"
    path.write_text("raise ImportError('no module named shapely')\n")
    return path


def decisions(registry: Registry) -> list[str]:
    apps = [load_file(p, Application) for p in EXAMPLES]
    return [json.dumps(evaluate(a, engine="reference", registry=registry).to_dict()) for a in apps]


def test_each_broken_plugin_is_reported_once_naming_plugin_and_problem(broken_import: Path) -> None:
    registry = Registry(
        plugins=[(n, o) for n, o, _ in BROKEN], local=[broken_import], environment=False
    )
    reported = {e.plugin: str(e) for e in registry.errors}
    assert len(registry.errors) == len(BROKEN) + 1
    for name, _, fragment in BROKEN:
        assert fragment in reported[name], reported[name]
    assert "shapely" in reported["local:broken_import.py"]
    assert "national" in [p.name for p in registry.plugins]


def test_with_allow_broken_broken_plugins_change_no_answer_and_each_decision_says_so(
    broken_import: Path,
) -> None:
    clean = Registry(environment=False)
    noisy = Registry(
        plugins=[(n, o) for n, o, _ in BROKEN],
        local=[broken_import],
        environment=False,
        allow_broken=True,
    )
    apps = [load_file(p, Application) for p in EXAMPLES]
    warned = [evaluate(a, engine="reference", registry=noisy) for a in apps]
    # These plugins never said which jurisdictions they are for: every decision is warned.
    assert all(
        {w.source for w in d.warnings if w.kind == "broken_plugin"} >= {n for n, _, _ in BROKEN}
        for d in warned
    )
    plain = [
        json.dumps(
            attrs.evolve(
                d, warnings=tuple(w for w in d.warnings if w.kind != "broken_plugin")
            ).to_dict()
        )
        for d in warned
    ]
    assert plain == decisions(clean)


def test_a_broken_plugin_of_unknown_jurisdictions_stops_every_decision() -> None:
    registry = Registry(plugins=[("wrong-type", WrongType())], environment=False)
    app = load_file(EXAMPLES[0], Application)
    with pytest.raises(PluginError, match="wrong-type"):
        evaluate(app, engine="reference", registry=registry)


def test_plugins_can_be_disabled_by_name() -> None:
    registry = Registry(disable=["guangzhou"], environment=False)
    assert "guangzhou" not in [p.name for p in registry.plugins]
    assert "440100" not in registry.catalogue.jurisdictions


def test_a_plugin_whose_parent_is_missing_is_reported_naming_the_parent() -> None:
    registry = Registry(disable=["guangdong"], environment=False)
    (error,) = [e for e in registry.errors if e.plugin == "guangzhou"]
    assert "440000" in str(error)
    assert error.distribution == "gridconnect-guangzhou"
    assert error.version


def test_environment_switches_local_rules_and_disabling(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    rules = tmp_path / "local.toml"
    rules.write_text('jurisdiction = "CN"\n')
    monkeypatch.setenv("GRIDCONNECT_RULES", str(rules))
    monkeypatch.setenv("GRIDCONNECT_DISABLE", "guangzhou")
    registry = Registry()
    names = [p.name for p in registry.plugins]
    assert "local:local.toml" in names
    assert "guangzhou" not in names


@pytest.mark.parametrize("plugin", ["national", "guangdong", "guangzhou"])
def test_shipped_plugins_conform(plugin: str) -> None:
    assert (
        check_conformance(plugin, registry=Registry(environment=False), examples=examples(100))
        == []
    )


@pytest.mark.slow
def test_the_kit_reports_a_conflict_with_a_counterexample(tmp_path: Path) -> None:
    rules = tmp_path / "conflicting.toml"
    rules.write_text(
        """
jurisdiction = "440100"
[citations.c]
title = "t"
issuer = "i"
confidence = "press"
[[rules]]
id = "guangzhou.test.long"
title = { en = "a", zh = "a" }
effective_from = 2021-01-01
when = { fact = "applicant.kind", eq = "resident" }
then = { "stage.connection" = { working_days = 9 } }
citation = { ref = "c" }
[[rules]]
id = "guangzhou.test.short"
title = { en = "b", zh = "b" }
effective_from = 2021-01-01
then = { "stage.connection" = { working_days = 1 } }
citation = { ref = "c" }
""",
        encoding="utf-8",
    )
    registry = Registry(local=[rules], environment=False)
    findings = check_conformance("local:conflicting.toml", registry=registry, examples=300)
    assert [f.check for f in findings] == ["conflict"] or "conflict" in {f.check for f in findings}
    conflict = next(f for f in findings if f.check == "conflict")
    assert "guangzhou.test.long" in conflict.message
    assert conflict.application is not None
    assert '"resident"' in conflict.application


# -- fail loud, scoped (issue 18.1) and contained hooks (issue 15, D4/D5) -----------------------

QINGYUAN_APP = {
    "id": "QY-2026-0001",
    "applied_on": "2026-03-02",
    "applicant": {"kind": "resident", "name": "李清", "resident_id": "441802198504120010"},
    "site": {"division": "441802", "area": "urban"},
    "service": "new_connection",
    "capacity": {"value": 8, "unit": "kW"},
    "voltage": "220V",
}

CITY_INIT = """
from gridconnect.plugins.packaged import PackagedRules, jurisdiction

plugin = PackagedRules(
    __name__,
    jurisdictions=[jurisdiction("441800", "清远市", "Qingyuan", "qingyuan", parent="440000")],
)
"""

TYPO_RULES = """
jurisdiction = "441800"
[citations.c]
title = "t"
issuer = "i"
confidence = "press"
[[rules]]
id = "qingyuan.track.typo"
title = { en = "a", zh = "a" }
effective_from = 2021-01-01
when = { fact = "capacity.kW", le = 100 }
then = { track = "three_zero" }
citation = { ref = "c" }
"""

BROKEN_CITIES = {
    "typo": (CITY_INIT, TYPO_RULES, "capacity.kW"),
    "system-exit": ("raise SystemExit(0)\n", "", "SystemExit"),
    "keyboard-interrupt": ("raise KeyboardInterrupt\n", "", "KeyboardInterrupt"),
    "missing-dependency": ("import shapely_not_installed\n", "", "shapely_not_installed"),
}


def install_city(root: Path, init: str, rules: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Install a plugin package the way pip would (a package and its ``.dist-info`` with the
    ``gridconnect`` entry point) in a folder put on the path, for this test only."""
    package = root / "gridconnect_qingyuan"
    package.mkdir()
    (package / "__init__.py").write_text(init, encoding="utf-8")
    (package / "rules.toml").write_text(rules, encoding="utf-8")
    info = root / "gridconnect_qingyuan-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: gridconnect-qingyuan\nVersion: 0.1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[gridconnect]\nqingyuan = gridconnect_qingyuan:plugin\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.delitem(sys.modules, "gridconnect_qingyuan", raising=False)
    monkeypatch.setenv("PYTHONPATH", str(root))


@pytest.fixture(params=sorted(BROKEN_CITIES))
def broken_city(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> str:
    """An installed Qingyuan plugin that fails in one way; the fragment its error names."""
    init, rules, fragment = BROKEN_CITIES[request.param]
    install_city(tmp_path, init, rules, monkeypatch)
    return fragment


def test_an_installed_plugin_that_fails_makes_its_decisions_errors_and_no_other(
    broken_city: str,
) -> None:
    clean = decisions(Registry(environment=False, entry_points=True, disable=["qingyuan"]))
    registry = Registry(environment=False)
    (error,) = [e for e in registry.errors if e.plugin == "qingyuan"]
    assert broken_city in str(error)
    assert error.distribution == "gridconnect-qingyuan"
    assert decisions(registry) == clean  # other cities: the same bytes
    app = structure(QINGYUAN_APP, Application)
    with pytest.raises(PluginError) as info:
        evaluate(app, engine="reference", registry=registry)
    assert "qingyuan" in info.value.en
    assert "qingyuan" in info.value.zh
    assert broken_city in str(info.value)
    assert "441800" in str(info.value)


def test_the_command_line_refuses_a_decision_of_a_broken_plugin_with_exit_2(
    broken_city: str, tmp_path: Path
) -> None:
    app = tmp_path / "qingyuan.json"
    app.write_text(json.dumps(QINGYUAN_APP, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(cli, ["evaluate", str(app), "--engine", "reference"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert broken_city in result.stderr
    assert "插件 qingyuan" in result.stderr
    assert "--allow-broken-plugins" in result.stderr
    other = CliRunner().invoke(cli, ["evaluate", str(EXAMPLES[0]), "--engine", "reference"])
    assert other.exit_code == 0, other.output


def test_allow_broken_plugins_decides_with_a_warning_in_json_and_text(
    broken_city: str, tmp_path: Path
) -> None:
    app = tmp_path / "qingyuan.json"
    app.write_text(json.dumps(QINGYUAN_APP, ensure_ascii=False), encoding="utf-8")
    base = ["--allow-broken-plugins", "evaluate", str(app), "--engine", "reference"]
    result = CliRunner().invoke(cli, [*base, "--format", "json"])
    assert result.exit_code == 0, result.output
    warnings = json.loads(result.stdout)["warnings"]
    (warning,) = [w for w in warnings if w["kind"] == "broken_plugin"]
    assert warning["source"] == "qingyuan"
    assert broken_city in warning["en"]
    text = CliRunner().invoke(cli, [*base, "--lang", "en"])
    assert "! warning: decided without plugin qingyuan" in text.stdout


def test_a_batch_rejects_the_applications_of_a_broken_plugin_with_its_reason(
    broken_city: str, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus.jsonl"
    rows = [json.loads(EXAMPLES[0].read_text(encoding="utf-8")), QINGYUAN_APP]
    corpus.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    out = tmp_path / "out.jsonl"
    args = ["batch", str(corpus), "--out", str(out), "--engine", "reference", "--workers", "0"]
    # batch keeps one registry per scenario in the process: a distinct --disable makes this
    # test's scenario its own, so a registry built by an earlier parameter is not reused
    result = CliRunner().invoke(cli, ["--disable", f"unused-{broken_city}", *args])
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 1
    (reject,) = (tmp_path / "out.jsonl.rejects.jsonl").read_text().splitlines()
    assert "qingyuan" in reject
    assert broken_city in reject


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        (["--rules", "nosuch.toml"], "nosuch.toml"),
        (["--rules", "nosuch_module.py"], "nosuch_module.py"),
        (["--plugin", "gridconnect_nosuch:plugin"], "gridconnect_nosuch"),
    ],
)
def test_a_rules_file_or_plugin_asked_for_by_name_that_cannot_load_exits_2(
    given: list[str], fragment: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(cli, [*given, "evaluate", str(EXAMPLES[0])])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert fragment in result.stderr
    assert "error / 错误" in result.stderr
    assert "插件" in result.stderr


def test_a_local_plugin_module_that_exits_at_import_is_an_error_not_a_silent_exit(
    tmp_path: Path,
) -> None:
    module = tmp_path / "exits.py"
    module.write_text("raise SystemExit(0)\n")
    result = CliRunner().invoke(cli, ["--rules", str(module), "evaluate", str(EXAMPLES[0])])
    assert result.exit_code == 2, result.output
    assert "SystemExit" in result.stderr


class CalendarCity:
    """A city plugin whose calendar hook misbehaves in one way."""

    def __init__(self, answer: object) -> None:
        self.answer = answer

    @hookimpl
    def gridconnect_jurisdictions(self) -> list[Jurisdiction]:
        return [jurisdiction("441800", "清远市", "Qingyuan", "qingyuan", parent="440000")]

    @hookimpl
    def gridconnect_calendar(self, jurisdiction: str, base: WorkingDayCalendar) -> object:
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        (RuntimeError("holiday server down"), "holiday server down"),
        ("2026 calendar", "returned str"),
        (SystemExit(3), "SystemExit"),
    ],
    ids=["raises", "wrong-type", "system-exit"],
)
def test_a_calendar_hook_that_fails_stops_only_its_own_cities(
    answer: object, fragment: str
) -> None:
    """Issue 15, D4: a plugin's gridconnect_calendar that raises or answers a string."""
    clean = decisions(Registry(environment=False))
    registry = Registry(plugins=[("qingyuan", CalendarCity(answer))], environment=False)
    assert decisions(registry) == clean
    app = structure(QINGYUAN_APP, Application)
    with pytest.raises(PluginError, match=fragment):
        evaluate(app, engine="reference", registry=registry)
    lenient = Registry(
        plugins=[("qingyuan", CalendarCity(answer))], environment=False, allow_broken=True
    )
    decision = evaluate(app, engine="reference", registry=lenient)
    (warning,) = [w for w in decision.warnings if w.kind == "broken_plugin"]
    assert warning.source == "qingyuan"
    assert fragment in warning.en


def test_hooks_are_called_through_pluggy_so_tracing_sees_every_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GRIDCONNECT_TRACE_HOOKS", "1")
    Registry(plugins=[("qingyuan", CalendarCity(None))]).calendar("441800")
    err = capsys.readouterr().err
    for hook in (
        "gridconnect_jurisdictions",
        "gridconnect_rule_sources",
        "gridconnect_document_kinds",
        "gridconnect_calendar",
    ):
        assert hook in err, hook


class Defines:
    def __init__(self, code: str, parent: str) -> None:
        self.code, self.parent = code, parent

    @hookimpl
    def gridconnect_jurisdictions(self) -> list[Jurisdiction]:
        return [jurisdiction(self.code, "甲", "A", f"x{self.code}", parent=self.parent)]


def test_plugins_that_build_on_each_other_in_a_cycle_are_reported_not_looped() -> None:
    registry = Registry(
        plugins=[("a", Defines("441800", "441900")), ("b", Defines("441900", "441800"))],
        entry_points=False,
        environment=False,
    )
    assert sorted(e.plugin for e in registry.errors) == ["a", "b"]
    assert all("builds on itself" in e.en for e in registry.errors)
    assert "441800" not in registry.catalogue.jurisdictions


def test_a_plugin_that_builds_on_a_failed_plugin_is_set_aside_naming_it() -> None:
    registry = Registry(
        plugins=[("child", Defines("441802", "441800")), ("parent", InvalidCity())],
        entry_points=False,
        environment=False,
    )
    (child,) = [e for e in registry.errors if e.plugin == "child"]
    assert "parent" in child.en
    assert registry.failure_for("441802") is not None
    assert registry.failure_for("440106") is None


class InvalidCity(Defines):
    def __init__(self) -> None:
        super().__init__("441800", "440099")


def test_a_plugin_method_without_the_hookimpl_marker_is_still_a_hook() -> None:
    """The ``gridconnect_`` prefix is the contract (as ``pytest_`` is for pytest): pluggy alone
    would register such a plugin with no hook, and its rules would silently go missing."""

    class Undecorated:
        def gridconnect_jurisdictions(self) -> list[Jurisdiction]:
            return [jurisdiction("469999", "测试市", "Test City", "testcity", parent="CN")]

        def helper(self) -> None:  # not a hook: no prefix
            """Not called."""

    reg = Registry(entry_points=False, environment=False, plugins=[("undecorated", Undecorated())])
    assert "469999" in reg.catalogue.jurisdictions
    impls = reg.pm.hook.gridconnect_jurisdictions.get_hookimpls()
    assert any(i.plugin_name == "undecorated" for i in impls)


class BadLabels(Defines):
    def __init__(self, answer: object) -> None:
        super().__init__("441800", "440000")
        self.answer = answer

    @hookimpl
    def gridconnect_labels(self) -> object:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.mark.parametrize(
    "answer", [RuntimeError("labels table missing"), ["not", "a", "mapping"], {"note.x": "bare"}]
)
def test_a_labels_hook_that_fails_is_a_failed_plugin_scoped_to_its_cities(answer: object) -> None:
    registry = Registry(
        plugins=[("badlabels", BadLabels(answer))], entry_points=False, environment=False
    )
    (error,) = [e for e in registry.errors if e.plugin == "badlabels"]
    assert registry.failure_for("441800") is not None  # its city is an error, located
    assert registry.failure_for("440106") is None  # Guangzhou is decided as before
    assert error.en
    assert error.zh
    from gridconnect.output.labels import labels_for

    labels_for(registry)  # the vocabulary still builds, without the failed plugin's labels
