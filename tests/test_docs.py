"""The documentation stays true to the code.

The hook reference shows every hook with the signature it has; the tutorial's and the how-tos'
Python runs, and their ``gridconnect`` commands (the ``$ gridconnect`` lines of ``console``
blocks; ``shell-session`` blocks are not run) succeed and print what the page shows; the
generated reference pages name everything they are generated from; the glossary glosses every
Chinese term in English. (``make docs`` builds the site itself, with warnings as errors.)
"""

from __future__ import annotations

import importlib.util
import inspect
import re
import shlex
import sys
import textwrap
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner

import gridconnect
from gridconnect.cli import cli
from gridconnect.plugins import hookspecs
from gridconnect.rules.conditions import condition_problems, parse_condition
from gridconnect.rules.facts import FACTS
from gridconnect.rules.loader import parse_rules
from gridconnect.rules.slots import slot_type

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TUTORIAL = DOCS / "tutorial.rst"


def _load_reference() -> ModuleType:
    """The docs extension's renderer (``docs/_ext/gridconnect_reference.py``), without Sphinx."""
    path = DOCS / "_ext" / "gridconnect_reference.py"
    spec = importlib.util.spec_from_file_location("gridconnect_reference", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


ref = _load_reference()


# -- reading reST --------------------------------------------------------------------------------

_CODE_BLOCK = re.compile(r"^(?P<indent> *)\.\. code-block:: *(?P<language>\S+) *$")


def code_blocks(path: Path, language: str) -> list[str]:
    """The contents of every ``.. code-block:: <language>`` of a page, dedented, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        found = _CODE_BLOCK.match(lines[i])
        i += 1
        if found is None or found["language"] != language:
            continue
        base = len(found["indent"])
        while i < len(lines) and lines[i].strip():  # the directive's options
            i += 1
        body = []
        while i < len(lines) and (
            not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > base
        ):
            body.append(lines[i])
            i += 1
        blocks.append(textwrap.dedent("\n".join(body)).strip("\n"))
    return blocks


def console_commands(path: Path) -> Iterator[tuple[str, list[str]]]:
    """Each ``$ gridconnect ...`` line of the console blocks, with the output lines shown."""
    for block in code_blocks(path, "console"):
        command: str | None = None
        shown: list[str] = []
        for line in [*block.splitlines(), "$ "]:
            if line.startswith("$ "):
                if command is not None and command.startswith("gridconnect "):
                    yield command, shown
                command, shown = line[2:].strip(), []
            elif line.strip():
                shown.append(line)


def _words(line: str) -> str:
    """A line with its runs of spaces made one: the alignment of text output follows the widest
    label of each decision (``tests/test_render.py`` checks it), not what a page quotes."""
    return " ".join(line.split())


def assert_shows(output: str, shown: list[str]) -> None:
    """The lines shown appear in the output, in order; ``...`` stands for lines left out."""
    actual = [line.rstrip() for line in output.splitlines()]
    at = 0
    for line in shown:
        if line.strip() == "...":
            continue
        want = line.rstrip()
        while at < len(actual) and _words(actual[at]) != _words(want):
            at += 1
        assert at < len(actual), f"not in the output (in this order): {want!r}\n\n{output}"
        at += 1


# -- (1) the hook reference ----------------------------------------------------------------------


def rendered_signatures(text: str) -> dict[str, inspect.Signature]:
    """The signatures the hook reference shows, read back into :class:`inspect.Signature`."""
    found: dict[str, inspect.Signature] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() != "Signature, exactly as declared::":
            continue
        shown = next(x for x in lines[i + 1 :] if x.strip()).strip()
        name = shown.partition("(")[0]
        namespace: dict[str, Any] = {}
        source = f"from __future__ import annotations\ndef {shown}:\n    pass\n"
        exec(compile(source, "<hook reference>", "exec"), namespace)
        found[name] = inspect.signature(namespace[name])
    return found


def test_every_hook_is_in_the_reference_with_the_signature_it_has() -> None:
    hooks = {
        name: obj
        for name, obj in vars(hookspecs).items()
        if name.startswith("gridconnect_") and callable(obj)
    }
    assert hooks, "gridconnect.plugins.hookspecs declares no hook"
    shown = rendered_signatures(ref.render_hooks(hookspecs))
    assert set(shown) == set(hooks)
    for name, func in hooks.items():
        assert shown[name] == inspect.signature(func), name


def test_the_hook_reference_shows_each_docstring_and_firstresult() -> None:
    text = ref.render_hooks(hookspecs)
    for name, func in ref.hook_functions(hookspecs):
        first_line = inspect.getdoc(func).splitlines()[0]
        assert first_line in text, name
    calendar_section = text.split("``gridconnect_calendar``")[1]
    assert "``firstresult``" in calendar_section.split("``gridconnect_document_kinds``")[0]


ALTERED = {
    "a parameter removed": "def gridconnect_calendar(jurisdiction: str)"
    " -> WorkingDayCalendar | None: ...",
    "a parameter renamed": "def gridconnect_calendar(code: str, base: WorkingDayCalendar)"
    " -> WorkingDayCalendar | None: ...",
    "an annotation changed": "def gridconnect_calendar(jurisdiction: int, base: WorkingDayCalendar)"
    " -> WorkingDayCalendar | None: ...",
    "the return type changed": "def gridconnect_jurisdictions() -> list[Jurisdiction]: ...",
    "a parameter added": "def gridconnect_rule_sources(jurisdiction: str)"
    " -> Sequence[RuleSource]: ...",
}


@pytest.mark.parametrize("change", sorted(ALTERED))
def test_an_altered_hook_signature_would_not_match_the_reference(change: str) -> None:
    altered = ModuleType("altered_hookspecs")
    exec(f"from __future__ import annotations\n{ALTERED[change]}\n", altered.__dict__)
    ((name, func),) = ref.hook_functions(altered)
    shown = rendered_signatures(ref.render_hooks(hookspecs))
    assert shown[name] != inspect.signature(func)
    # and the reference of the altered module shows the altered signature, not the real one
    assert rendered_signatures(ref.render_hooks(altered))[name] == inspect.signature(func)
    assert rendered_signatures(ref.render_hooks(altered))[name] != shown[name]


def test_hook_annotations_are_qualified_for_cross_references() -> None:
    assert (
        ref.qualified_annotation("Sequence[Jurisdiction]", hookspecs)
        == "collections.abc.Sequence[gridconnect.rules.catalogue.Jurisdiction]"
    )
    assert (
        ref.qualified_annotation("WorkingDayCalendar | None", hookspecs)
        == "gridconnect.decide.calendar.WorkingDayCalendar | None"
    )


# -- (2) the tutorial runs ------------------------------------------------------------------------

_EXPECT = re.compile(r"^(?P<indent> *)print\((?P<args>.*)\)  # (?P<expected>.+)$")


def _checked(block: str) -> str:
    """``print(x)  # shown`` lines become checks that ``x`` prints as shown."""
    lines = []
    for line in block.splitlines():
        found = _EXPECT.match(line)
        if found:
            line = f"{found['indent']}__shows({found['expected']!r}, {found['args']})"
        lines.append(line)
    return "\n".join(lines)


def _shows(expected: str, *values: object) -> None:
    printed = " ".join(str(v) for v in values)
    assert printed == expected, f"the tutorial shows {expected!r}, Python prints {printed!r}"


def test_the_tutorial_python_runs_and_prints_what_it_shows(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    blocks = code_blocks(TUTORIAL, "python")
    assert blocks
    namespace: dict[str, Any] = {"__name__": "tutorial", "__shows": _shows}
    for number, block in enumerate(blocks, 1):
        code = compile(_checked(block), f"{TUTORIAL.name}, python block {number}", "exec")
        exec(code, namespace)
    assert "shows" not in capsys.readouterr().err


def run_console_command(command: str, shown: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Run a page's ``$ gridconnect ...`` line from the repository root, with no local rules
    from the environment, and check it succeeds and prints what the page shows."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("GRIDCONNECT_RULES", raising=False)
    monkeypatch.delenv("GRIDCONNECT_DISABLE", raising=False)
    args = shlex.split(command)
    assert args[0] == "gridconnect"
    result = CliRunner().invoke(cli, args[1:])
    assert result.exit_code == 0, f"$ {command}\n{result.output}"
    assert_shows(result.stdout, shown)


TUTORIAL_COMMANDS = list(console_commands(TUTORIAL))


def test_the_tutorial_has_commands_to_run() -> None:
    assert len(TUTORIAL_COMMANDS) >= 5


@pytest.mark.parametrize(
    ("command", "shown"), TUTORIAL_COMMANDS, ids=[c for c, _ in TUTORIAL_COMMANDS]
)
def test_a_tutorial_command_succeeds_and_prints_what_it_shows(
    command: str, shown: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_console_command(command, shown, monkeypatch)


@pytest.mark.parametrize("page", sorted((DOCS / "howto").glob("*.rst")), ids=lambda p: p.name)
def test_the_howto_python_runs_and_prints_what_it_shows(
    page: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    namespace: dict[str, Any] = {"__name__": f"howto_{page.stem}", "__shows": _shows}
    for number, block in enumerate(code_blocks(page, "python"), 1):
        exec(compile(_checked(block), f"{page.name}, python block {number}", "exec"), namespace)


def test_the_toml_examples_of_the_howtos_are_valid_rule_data() -> None:
    """Each ``toml`` block is valid TOML; its conditions parse and type-check against the
    facts, its conclusions name real slots, and a whole rules file loads."""
    catalogue = gridconnect.default_registry().catalogue
    local_parameters: dict[str, Any] = {}

    def resolve(name: str) -> tuple[Any, str | None] | None:
        parameter = catalogue.parameters.get(name) or local_parameters.get(name)
        return None if parameter is None else (parameter.versions[0].value, parameter.unit)

    checked = 0
    for page in sorted((DOCS / "howto").glob("*.rst")):
        for block in code_blocks(page, "toml"):
            data = tomllib.loads(block)
            local_parameters.clear()
            if "jurisdiction" in data:
                source = parse_rules(data, f"{page.name}")
                local_parameters.update({p.name: p for p in source.parameters})
            rules = data.get("rules", [])
            if "when" in data:
                rules = [*rules, data]
            for rule in rules:
                if "when" in rule:
                    problems = condition_problems(
                        parse_condition(rule["when"]), resolve, slots=True
                    )
                    assert not problems, f"{page.name}: {problems}"
                for slot in rule.get("then", {}):
                    assert slot_type(slot) is not None, f"{page.name}: unknown slot {slot}"
            checked += 1
    assert checked


HOWTO_COMMANDS = [
    (f"{page.name}: {command}", command, shown)
    for page in sorted((DOCS / "howto").glob("*.rst"))
    for command, shown in console_commands(page)
]


@pytest.mark.parametrize(
    ("command", "shown"),
    [(c, s) for _, c, s in HOWTO_COMMANDS],
    ids=[i for i, _, _ in HOWTO_COMMANDS],
)
def test_a_howto_command_succeeds_and_prints_what_it_shows(
    command: str, shown: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, shlex.split(command)[1:])
    assert result.exit_code == 0, f"$ {command}\n{result.output}"
    assert_shows(result.stdout, shown)


# -- the generated reference pages name everything ----------------------------------------------


def _walk(command: Any, path: tuple[str, ...] = ("gridconnect",)) -> Iterator[tuple[str, ...]]:
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _walk(sub, (*path, name))


def test_the_cli_reference_has_every_command_and_option() -> None:
    text = ref.render_cli(cli)
    for path in _walk(cli):
        assert f".. program:: {' '.join(path)}" in text
    for option in ("--rules", "--disable", "--as-of", "--engine", "--format", "--lang"):
        assert f".. option:: {option}" in text


def test_the_catalogue_has_every_rule_and_parameter_with_its_citation() -> None:
    registry = gridconnect.default_registry()
    text = ref.render_catalogue(registry.catalogue, registry.document_kinds)
    for rule in registry.catalogue.rules:
        assert f".. _{ref.rule_label(rule.id)}:" in text
        assert ref.esc(rule.citation.title) in text
    for name in registry.catalogue.parameters:
        assert f"``{name}``" in text
    for jurisdiction in registry.catalogue.jurisdictions.values():
        assert f":Code: ``{jurisdiction.code}``" in text


def test_the_fact_table_has_every_fact() -> None:
    text = ref.render_facts()
    for path in FACTS:
        assert f"``{path}``" in text


@pytest.mark.parametrize("name", ["application", "decision", "bundle"])
def test_the_schemas_are_rendered_as_json(name: str) -> None:
    text = ref.render_schema(name)
    assert text.startswith(".. code-block:: json")
    assert f'"title": "{name}"' in text


# -- (3) the glossary ------------------------------------------------------------------------------

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def glossary_entries() -> list[tuple[list[str], str]]:
    """(terms, definition) of each entry of the glossary directive."""
    text = (DOCS / "glossary.rst").read_text(encoding="utf-8")
    body = text.split(".. glossary::", 1)[1]
    entries: list[tuple[list[str], str]] = []
    terms: list[str] = []
    definition: list[str] = []
    for line in body.splitlines():
        if not line.strip() or line.strip().startswith(":sorted:"):
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 3:
            if definition:
                entries.append((terms, " ".join(definition)))
                terms, definition = [], []
            terms.append(line.strip())
        elif indent > 3:
            definition.append(line.strip())
    entries.append((terms, " ".join(definition)))
    return entries


def test_every_chinese_glossary_term_has_an_english_gloss() -> None:
    entries = glossary_entries()
    assert len(entries) > 30
    for terms, definition in entries:
        chinese = [t for t in terms if _CJK.search(t)]
        english = [t for t in terms if _LATIN.search(t) and not _CJK.search(t)]
        if chinese:
            assert english, f"no English gloss for {', '.join(chinese)}"
        assert definition, f"no definition for {', '.join(terms)}"


REQUIRED_TERMS = [
    "获得电力",
    "用电报装",
    "业扩报装",
    "三零",
    "三省",
    "四办",
    "主动办",
    "线上办",
    "联席办",
    "一次办",
    "电力接入工程",
    "外线工程",
    "建筑区划红线",
    "规划红线",
    "并联审批",
    "容缺受理",
    "以函代证",
    "免审批",
    "备案",
    "告知承诺",
    "电子证照",
    "零证办电",
    "一证办电",
    "刷脸办电",
    "工作日",
    "调休",
    "统一社会信用代码",
    "居民身份证号码",
    "行政区划代码",
    "供电方案答复",
    "竣工检验",
    "装表接电",
    "一日达",
    "次日通",
    "电水气热网",
]


def test_the_glossary_has_the_domain_terms() -> None:
    terms = {t for entry_terms, _ in glossary_entries() for t in entry_terms}
    missing = [t for t in REQUIRED_TERMS if t not in terms]
    assert not missing
