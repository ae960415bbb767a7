"""``gridconnect new-plugin``: a new jurisdiction plugin package from the template.

The template (``templates/gridconnect-city`` in the source tree, shipped inside the wheel) is a
working plugin for 清远市 (Qingyuan, 441800) with one cited example rule and a scenario. A new
package is that template with the names replaced: the distribution ``gridconnect-<name>``, the
package ``gridconnect_<name>``, the entry point and plugin name ``<name>``, the jurisdiction
(code, Chinese and English names, alias ``<name>``, parent) and the sample identifiers, made
valid for the new division (:func:`gridconnect.testing.resident_id`). Its tests pass as generated.

>>> names = PluginNames.of("shenzhen", division="440300", name_zh="深圳市")
>>> names.name_en, names.parent, names.package
('Shenzhen', '440000', 'gridconnect_shenzhen')
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib.resources import files as resource_files
from pathlib import Path

import attrs
import click

from gridconnect.cli.support import guarded
from gridconnect.errors import FieldValueError, InputError, Problem
from gridconnect.model.identifiers import KNOWN_DIVISIONS, DivisionCode
from gridconnect.plugins.hookspecs import hookimpl
from gridconnect.testing.ids import resident_id

__all__ = ["PluginNames", "new_plugin", "template_dir"]

_TEMPLATE = "gridconnect-city"
_NAME = re.compile(r"[a-z][a-z0-9_]{1,39}")
_TEMPLATE_ONLY = re.compile(r"<!-- template-only -->.*?<!-- /template-only -->\n\n?", re.S)
# What the template says, and what each becomes.
_T_DIVISION, _T_ZH, _T_EN, _T_ALIAS, _T_PARENT = (
    "441800",
    "清远市",
    "Qingyuan",
    "qingyuan",
    "440000",
)


@attrs.frozen(kw_only=True)
class PluginNames:
    """Every name a new plugin package uses."""

    name: str  # plugin name, entry point and alias: ``shenzhen``
    division: str
    name_zh: str
    name_en: str
    parent: str

    @property
    def distribution(self) -> str:
        return f"gridconnect-{self.name.replace('_', '-')}"

    @property
    def package(self) -> str:
        return f"gridconnect_{self.name}"

    @classmethod
    def of(
        cls,
        name: str,
        *,
        division: str,
        name_zh: str,
        name_en: str | None = None,
        parent: str | None = None,
    ) -> PluginNames:
        """Check the names and fill in the defaults: the English name from the division table
        (without "City"), the parent the division's province (or prefecture, for a county)."""
        problems = []
        if not _NAME.fullmatch(name):
            problems.append(
                Problem(
                    path="NAME",
                    en="a plugin name is 2-40 lower-case letters, digits or _, starting with a letter",
                    zh="插件名须为 2–40 个小写字母、数字或下划线，以字母开头",
                )
            )
        code: DivisionCode | None = None
        try:
            code = DivisionCode(division)
        except FieldValueError as error:
            problems.append(Problem(path="--division", en=error.en, zh=error.zh))
        if code is not None and code.level == "province":
            problems.append(
                Problem(
                    path="--division",
                    en="a province is declared by the province's own plugin; give a city or county",
                    zh="省级辖区由省级插件声明；请给出市或区县代码",
                )
            )
        if not name_zh.strip():
            problems.append(Problem(path="--name-zh", en="is empty", zh="不能为空"))
        known = KNOWN_DIVISIONS.get(division)
        if name_en is None:
            if known is None:
                problems.append(
                    Problem(
                        path="--name-en",
                        en=f"{division} is not in the division table: give the English name",
                        zh=f"{division} 不在行政区划表中：请给出英文名",
                    )
                )
            else:
                name_en = re.sub(r" (City|District|County)$", "", known[1])
        if problems or code is None or name_en is None:
            raise InputError(problems, source="gridconnect new-plugin")
        if parent is None:
            above = code.parent
            parent = above.value if above is not None else "CN"
        return cls(
            name=name, division=division, name_zh=name_zh.strip(), name_en=name_en, parent=parent
        )

    def replace(self, text: str) -> str:
        """The template's text with this plugin's names."""
        text = _TEMPLATE_ONLY.sub("", text)
        if not self.parent.startswith("44"):  # the template builds on Guangdong's plugin
            text = text.replace(', "gridconnect-guangdong>=0.1"', "")
        text = text.replace(resident_id(_T_DIVISION), resident_id(self.division))
        text = text.replace("gridconnect_city", self.package)
        text = text.replace("gridconnect-city", self.distribution)
        text = text.replace('\ncity = "', f'\n{self.name} = "')
        text = text.replace('plugin = "city"', f'plugin = "{self.name}"')
        text = text.replace("scenarios/city.toml", f"scenarios/{self.name}.toml")
        text = text.replace(f'parent="{_T_PARENT}"', f'parent="{self.parent}"')
        text = re.sub(rf"\b{_T_DIVISION}\b", self.division, text)
        text = text.replace(_T_ZH, self.name_zh).replace(_T_EN, self.name_en)
        return re.sub(rf"\b{_T_ALIAS}\b", self.name, text)


def template_dir() -> Path:
    """The template's folder: inside the installed package, or the source tree's
    ``templates/`` when gridconnect runs from a checkout."""
    packaged = Path(str(resource_files("gridconnect"))) / "_templates" / _TEMPLATE
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates" / _TEMPLATE


def _files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path


def new_plugin(names: PluginNames, into: Path) -> list[Path]:
    """Write the package ``gridconnect-<name>`` into the folder ``into``; the files written,
    relative to the package. Refuses (InputError) to write over an existing folder."""
    target = into / names.distribution
    if target.exists():
        raise InputError(
            [
                Problem(
                    path=str(target),
                    en="already exists; choose another folder (--dir) or remove it",
                    zh="已存在；请换一个目录（--dir）或先删除",
                )
            ],
            source="gridconnect new-plugin",
        )
    source = template_dir()
    written = []
    for path in _files(source):
        relative = Path(names.replace(path.relative_to(source).as_posix()))
        out = target / relative
        out.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix in (".py", ".toml", ".md", ".txt", ".typed", ""):
            out.write_text(names.replace(path.read_text("utf-8")), "utf-8")
        else:
            out.write_bytes(path.read_bytes())
        written.append(relative)
    return written


@click.command("new-plugin")
@click.argument("name")
@click.option("--division", required=True, help="GB/T 2260 code of the jurisdiction, e.g. 440300.")
@click.option("--name-zh", required=True, help="Chinese name, e.g. 深圳市.")
@click.option("--name-en", help="English name (default: from the division table).")
@click.option("--parent", help="Code of the parent jurisdiction (default: the province).")
@click.option(
    "--dir",
    "into",
    type=click.Path(file_okay=False),
    default=".",
    show_default=True,
    help="Folder to create the package in.",
)
@guarded()
def new_plugin_cmd(
    name: str, division: str, name_zh: str, name_en: str | None, parent: str | None, into: str
) -> None:
    """Create a plugin package for a jurisdiction's rules (gridconnect-NAME) from the template:
    the jurisdiction, one cited example rule, a scenario, and tests that pass."""
    names = PluginNames.of(name, division=division, name_zh=name_zh, name_en=name_en, parent=parent)
    written = new_plugin(names, Path(into))
    click.echo(
        f"created / 已创建 {names.distribution}: {names.name_zh} ({names.name_en}, "
        f"{names.division}, parent / 上级 {names.parent})"
    )
    for path in written:
        click.echo(f"  {names.distribution}/{path.as_posix()}")
    click.echo("next / 下一步:")
    click.echo(f"  cd {names.distribution}")
    click.echo("  pip install -e .")
    click.echo(f"  gridconnect rules --jurisdiction {names.name}")
    click.echo("  pytest")


@hookimpl
def gridconnect_commands() -> list[click.Command]:
    """The ``new-plugin`` command."""
    return [new_plugin_cmd]
