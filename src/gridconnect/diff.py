"""``gridconnect diff OLD NEW``: what a new version of a plugin or rules file changes.

A version is one of:

* a rules file (``.toml``);
* a plugin package's folder (its rules files are the ``.toml`` files under it that are rules
  files; ``tests/`` and other TOML, such as lifecycle or label files, are left out);
* an installed distribution (``gridconnect-guangzhou``): the rules files of its plugin;
* ``git:REV:PATH``, a file or folder as it was in revision ``REV`` of the git repository of the
  current folder (read with ``git ls-tree`` and ``git show``; the work tree is not touched).

:func:`diff_versions` lists the rules added, removed and changed (condition, effect, dates,
exceptions, title, citation) and the parameters added, removed and changed (unit, title, each
dated value and its citation). With a corpus, :func:`what_if` evaluates every application under
both versions (the installed rules with the plugin replaced by each version in turn; see
:func:`gridconnect.batch.compare`) and counts the applications whose conclusions change, per
conclusion. A rules office reviews a new version with it before publishing.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import click

from gridconnect.cli.support import FORMAT, LANG, emit, guarded
from gridconnect.errors import InputError, Problem, RuleDataError
from gridconnect.plugins.hookspecs import hookimpl
from gridconnect.plugins.registry import Registry
from gridconnect.rules.conditions import render
from gridconnect.rules.loader import RuleSource, load_rules_file
from gridconnect.rules.model import Citation, Parameter, Rule, plain

if TYPE_CHECKING:
    from gridconnect.batch.compare import Comparison
    from gridconnect.model.codec import JSONObject, JSONValue

__all__ = [
    "Change",
    "PolicyDiff",
    "Version",
    "diff_cmd",
    "diff_versions",
    "load_version",
    "what_if",
]


@attrs.frozen(kw_only=True)
class Version:
    """One version of a plugin or rules file: its rules files, read."""

    label: str
    sources: tuple[RuleSource, ...]
    files: tuple[Path, ...]  # the files on disk (copies, for a git revision)

    @property
    def jurisdictions(self) -> frozenset[str]:
        return frozenset(s.jurisdiction for s in self.sources)

    def rules(self) -> dict[str, list[Rule]]:
        found: dict[str, list[Rule]] = {}
        for s in self.sources:
            for r in s.rules:
                found.setdefault(r.id, []).append(r)
        return {k: sorted(v, key=lambda r: r.effective_from) for k, v in found.items()}

    def parameters(self) -> dict[str, Parameter]:
        return {p.name: p for s in self.sources for p in s.parameters}


@attrs.frozen(kw_only=True)
class Change:
    """One aspect of a rule or parameter that differs: what it was, what it is."""

    aspect: str  # condition, effect, dates, exceptions, title, citation, unit, values
    old: str
    new: str

    def to_dict(self) -> JSONObject:
        return {"aspect": self.aspect, "old": self.old, "new": self.new}


@attrs.frozen(kw_only=True)
class PolicyDiff:
    """What changes between two versions."""

    old: str
    new: str
    rules_added: tuple[str, ...]
    rules_removed: tuple[str, ...]
    rules_changed: tuple[tuple[str, tuple[Change, ...]], ...]
    parameters_added: tuple[str, ...]
    parameters_removed: tuple[str, ...]
    parameters_changed: tuple[tuple[str, tuple[Change, ...]], ...]

    @property
    def empty(self) -> bool:
        return not (
            self.rules_added
            or self.rules_removed
            or self.rules_changed
            or self.parameters_added
            or self.parameters_removed
            or self.parameters_changed
        )

    def to_dict(self) -> JSONObject:
        def changed(items: Sequence[tuple[str, tuple[Change, ...]]]) -> list[JSONValue]:
            return [{"id": k, "changes": list(map(Change.to_dict, cs))} for k, cs in items]

        return {
            "old": self.old,
            "new": self.new,
            "rules": {
                "added": list(self.rules_added),
                "removed": list(self.rules_removed),
                "changed": changed(self.rules_changed),
            },
            "parameters": {
                "added": list(self.parameters_added),
                "removed": list(self.parameters_removed),
                "changed": changed(self.parameters_changed),
            },
        }


# -- reading versions -----------------------------------------------------------------------


def _looks_like_rules(path: Path) -> bool:
    import tomllib

    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True  # let the loader say what is wrong with it
    if "jurisdiction" not in data or not {"rules", "parameters"} & set(data):
        return False
    # Lifecycle rules (``on`` an event, ``do`` actions) are not decision rules.
    return not any(isinstance(r, dict) and "on" in r for r in data.get("rules", []))


def _rules_files(folder: Path) -> list[Path]:
    return [
        p
        for p in sorted(folder.rglob("*.toml"))
        if p.name != "pyproject.toml"
        and "tests" not in p.relative_to(folder).parts
        and _looks_like_rules(p)
    ]


def _git(args: Sequence[str]) -> bytes:
    done = subprocess.run(["git", *args], capture_output=True, check=False)
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise InputError([Problem(path=" ".join(args), en=message, zh=f"git 出错：{message}")])
    return done.stdout


def _from_git(spec: str, into: Path) -> list[Path]:
    _, rev, path = spec.split(":", 2)
    path = path.strip("/") or "."
    names = _git(["ls-tree", "-r", "--name-only", rev, "--", path]).decode().splitlines()
    files = []
    for name in names:
        if not name.endswith(".toml"):
            continue
        out = into / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(_git(["show", f"{rev}:{name}"]))
        files.append(out)
    if not files:
        raise InputError(
            [
                Problem(
                    path=spec,
                    en="no TOML file there in that revision",
                    zh="该版本中此处没有 TOML 文件",
                )
            ]
        )
    root = into / path
    return _rules_files(root) if root.is_dir() else files


def _from_distribution(name: str) -> list[Path]:
    from importlib.metadata import PackageNotFoundError, distribution
    from importlib.resources import files as resource_files

    from gridconnect.plugins.packaged import PackagedRules

    try:
        dist = distribution(name)
    except PackageNotFoundError:
        raise InputError(
            [
                Problem(
                    path=name,
                    en="is neither a file, a folder, git:REV:PATH nor an installed distribution",
                    zh="既不是文件、目录、git:版本:路径，也不是已安装的发行包",
                )
            ]
        ) from None
    found: list[Path] = []
    for ep in dist.entry_points:
        if ep.group != "gridconnect":
            continue
        plugin = ep.load()
        if isinstance(plugin, PackagedRules):
            found += [Path(str(resource_files(plugin.package).joinpath(f))) for f in plugin.files]
    if not found:
        raise InputError(
            [Problem(path=name, en="has no packaged rules files", zh="没有打包的规则文件")]
        )
    return found


def load_version(spec: str, workdir: Path) -> Version:
    """Read the version ``spec`` names (see the module docs); git revisions are copied into
    ``workdir``. Raises :class:`~gridconnect.errors.InputError` or ``RuleDataError``
    (naming the file) when it cannot be read."""
    path = Path(spec)
    if spec.startswith("git:") and spec.count(":") >= 2:
        files = _from_git(spec, workdir)
    elif path.is_dir():
        files = _rules_files(path)
    elif path.is_file():
        files = [path]
    else:
        files = _from_distribution(spec)
    if not files:
        raise InputError([Problem(path=spec, en="holds no rules file", zh="其中没有规则文件")])
    sources = tuple(load_rules_file(f) for f in files)
    return Version(label=spec, sources=sources, files=tuple(files))


# -- comparing ------------------------------------------------------------------------------


def _dates(rule: Rule) -> str:
    until = rule.effective_until.isoformat() if rule.effective_until else ""
    return f"{rule.effective_from.isoformat()}–{until}"


def _citation(c: Citation) -> str:
    parts = [c.title, c.issuer, c.number, c.article, c.date.isoformat() if c.date else None]
    parts += [c.url, f"[{c.confidence.value}]", f"“{c.quote}”" if c.quote else None]
    return "; ".join(p for p in parts if p)


def _effect(rule: Rule) -> str:
    def shown(value: Any) -> Any:
        name = getattr(value, "name", None)  # a parameter reference
        return f"⟨{name}⟩" if isinstance(name, str) else str(value)

    data = {k: plain(v) if not hasattr(v, "name") else shown(v) for k, v in rule.then.items()}
    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=shown)


def _rule_changes(old: Rule, new: Rule) -> list[Change]:
    aspects = [
        ("condition", render(old.when), render(new.when)),
        ("effect", _effect(old), _effect(new)),
        ("dates", _dates(old), _dates(new)),
        ("exceptions", ", ".join(old.exception_to), ", ".join(new.exception_to)),
        ("title", f"{old.title.zh} / {old.title.en}", f"{new.title.zh} / {new.title.en}"),
        ("citation", _citation(old.citation), _citation(new.citation)),
    ]
    return [Change(aspect=a, old=o, new=n) for a, o, n in aspects if o != n]


def _values(p: Parameter) -> str:
    return "; ".join(
        f"{plain(v.value)} {p.unit or ''} from {v.effective_from}"
        + (f" until {v.effective_until}" if v.effective_until else "")
        for v in p.versions
    )


def _parameter_changes(old: Parameter, new: Parameter) -> list[Change]:
    aspects = [
        ("unit", old.unit or "", new.unit or ""),
        ("title", f"{old.title.zh} / {old.title.en}", f"{new.title.zh} / {new.title.en}"),
        ("values", _values(old), _values(new)),
        (
            "citation",
            " | ".join(_citation(v.citation) for v in old.versions),
            " | ".join(_citation(v.citation) for v in new.versions),
        ),
    ]
    return [Change(aspect=a, old=o, new=n) for a, o, n in aspects if o != n]


def diff_versions(old: Version, new: Version) -> PolicyDiff:
    """The rules and parameters added, removed and changed from ``old`` to ``new``. A rule with
    several dated versions (one id) is compared version by version, in date order."""
    a, b = old.rules(), new.rules()
    changed: list[tuple[str, tuple[Change, ...]]] = []
    for rid in sorted(a.keys() & b.keys()):
        found: list[Change] = []
        if len(a[rid]) != len(b[rid]):
            found.append(Change(aspect="versions", old=str(len(a[rid])), new=str(len(b[rid]))))
        for x, y in zip(a[rid], b[rid], strict=False):
            found += _rule_changes(x, y)
        if found:
            changed.append((rid, tuple(found)))
    pa, pb = old.parameters(), new.parameters()
    pchanged = [
        (name, tuple(cs))
        for name in sorted(pa.keys() & pb.keys())
        if (cs := _parameter_changes(pa[name], pb[name]))
    ]
    return PolicyDiff(
        old=old.label,
        new=new.label,
        rules_added=tuple(sorted(b.keys() - a.keys())),
        rules_removed=tuple(sorted(a.keys() - b.keys())),
        rules_changed=tuple(changed),
        parameters_added=tuple(sorted(pb.keys() - pa.keys())),
        parameters_removed=tuple(sorted(pa.keys() - pb.keys())),
        parameters_changed=tuple(pchanged),
    )


# -- what if --------------------------------------------------------------------------------

_PLUGIN_MODULE = '''"""A version of a plugin for gridconnect diff (generated)."""
from pathlib import Path

from gridconnect.plugins.hookspecs import hookimpl
from gridconnect.plugins.packaged import jurisdiction
from gridconnect.rules.loader import load_rules_file

FILES = {files!r}


@hookimpl
def gridconnect_jurisdictions():
    return [{jurisdictions}]


@hookimpl
def gridconnect_rule_sources():
    return [load_rules_file(Path(f)) for f in FILES]
'''


def _scenario_for(version: Version, installed: Registry, workdir: Path, tag: str) -> Any:
    """The what-if scenario of a version: the installed rules with the plugin that owns the
    version's rules replaced by it (or, for rules no installed plugin has, with it added)."""
    from gridconnect.batch.scenario import Scenario

    ids = set(version.rules()) | set(version.parameters())
    owners = [
        p
        for p in installed.plugins
        if p.name != "national"
        and any(({r.id for r in s.rules} | {q.name for q in s.parameters}) & ids for s in p.sources)
        and {j.code for j in p.jurisdictions} & version.jurisdictions
    ]
    if not owners:
        return Scenario(label=version.label, rules=tuple(str(f) for f in version.files))
    keep: list[str] = []
    declared = []
    for p in owners:
        declared += list(p.jurisdictions)
        for s in p.sources:
            if s.jurisdiction not in version.jurisdictions:
                out = workdir / f"{tag}-kept-{len(keep)}.toml"
                origin = next(
                    (f for f in _source_paths(p) if f.name == s.source.rsplit("/", 1)[-1]), None
                )
                if origin is None:
                    raise RuleDataError(
                        f"cannot find the file of {s.source} to keep it in the what-if",
                        f"找不到 {s.source} 的文件",
                    )
                out.write_bytes(origin.read_bytes())
                keep.append(str(out))
    files = keep + [str(f.resolve()) for f in version.files]
    js = ", ".join(
        f"jurisdiction({j.code!r}, {j.name.zh!r}, {j.name.en!r}, {j.alias!r}, "
        f"parent={j.parent!r}, aliases={list(j.aliases)!r})"
        for j in declared
    )
    module = workdir / f"gridconnect_diff_{tag}.py"
    module.write_text(_PLUGIN_MODULE.format(files=files, jurisdictions=js), "utf-8")
    return Scenario(
        label=version.label, rules=(str(module),), disable=tuple(p.name for p in owners)
    )


def _source_paths(info: Any) -> list[Path]:
    from importlib.metadata import entry_points
    from importlib.resources import files as resource_files

    from gridconnect.plugins.packaged import PackagedRules

    for ep in entry_points(group="gridconnect"):
        if ep.name == info.name:
            plugin = ep.load()
            if isinstance(plugin, PackagedRules):
                return [Path(str(resource_files(plugin.package).joinpath(f))) for f in plugin.files]
    return []


def what_if(
    old: Version, new: Version, corpus: str | Path, workdir: Path, *, workers: int | None = 0
) -> Comparison:
    """Evaluate the corpus under both versions: a :class:`gridconnect.batch.Comparison`."""
    from gridconnect.batch.compare import compare

    installed = Registry()
    a = _scenario_for(old, installed, workdir, "old")
    b = _scenario_for(new, installed, workdir, "new")
    return compare(corpus, a, b, workers=workers)


# -- output ---------------------------------------------------------------------------------

_ASPECTS_ZH = {
    "condition": "条件",
    "effect": "结论",
    "dates": "有效期",
    "exceptions": "例外于",
    "title": "标题",
    "citation": "依据",
    "versions": "版本数",
    "unit": "单位",
    "values": "取值",
}


def render_diff(d: PolicyDiff, lang: str = "zh") -> str:
    """The diff as text, in Chinese or English."""
    zh = lang == "zh"
    lines = [f"{d.old} → {d.new}"]
    if d.empty:
        lines.append("规则与参数均无变化" if zh else "no rule or parameter changes")
        return "\n".join(lines)
    for kind, added, removed, changed in (
        ("rules", d.rules_added, d.rules_removed, d.rules_changed),
        ("parameters", d.parameters_added, d.parameters_removed, d.parameters_changed),
    ):
        if zh:
            what = "规则" if kind == "rules" else "参数"
            head = f"{what}：新增 {len(added)}，删除 {len(removed)}，修改 {len(changed)}"
        else:
            head = f"{kind}: {len(added)} added, {len(removed)} removed, {len(changed)} changed"
        lines.append(head)
        lines += [f"  + {x}" for x in added]
        lines += [f"  - {x}" for x in removed]
        for name, changes in changed:
            lines.append(f"  ~ {name}")
            for c in changes:
                aspect = _ASPECTS_ZH.get(c.aspect, c.aspect) if zh else c.aspect
                lines.append(f"      {aspect}: {c.old or '—'}")
                lines.append(f"      {' ' * len(aspect)}→ {c.new or '—'}")
    return "\n".join(lines)


@click.command("diff")
@click.argument("old")
@click.argument("new")
@click.option(
    "--corpus",
    type=click.Path(dir_okay=False, exists=True),
    help="Also evaluate this corpus (JSONL, CSV or Parquet) under both versions and count the "
    "applications whose conclusions change.",
)
@click.option(
    "--workers",
    type=int,
    default=0,
    show_default=True,
    help="Worker processes for --corpus (0: in this process).",
)
@FORMAT
@LANG
@guarded()
def diff_cmd(old: str, new: str, corpus: str | None, workers: int, fmt: str, lang: str) -> None:
    """What a new version of a plugin or rules file changes: rules and parameters added,
    removed and changed; with --corpus, how many applications change in each conclusion.

    OLD and NEW are each a rules file, a plugin package folder, an installed distribution
    (gridconnect-guangzhou) or git:REV:PATH (a file or folder in a git revision)."""
    with tempfile.TemporaryDirectory(prefix="gridconnect-diff-") as tmp:
        work = Path(tmp)
        (work / "old").mkdir()
        (work / "new").mkdir()
        a = load_version(old, work / "old")
        b = load_version(new, work / "new")
        result = diff_versions(a, b)
        comparison = what_if(a, b, corpus, work, workers=workers) if corpus else None
        if fmt == "json":
            data = result.to_dict()
            data["corpus"] = comparison.to_dict() if comparison is not None else None
            emit(data)
            return
        click.echo(render_diff(result, lang))
        if comparison is not None:
            from gridconnect.batch.compare import render_comparison

            click.echo("")
            click.echo(render_comparison(comparison, lang))


@hookimpl
def gridconnect_commands() -> list[click.Command]:
    """The ``diff`` command."""
    return [diff_cmd]
