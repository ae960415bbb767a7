"""Keep each plugin's README listing of its rules generated from the rules themselves.

A plugin README holds the listing between ``<!-- rules:start -->`` and ``<!-- rules:end -->``.
``python -m gridconnect.testing.readme plugins/*`` rewrites it; :func:`stale_readmes` tells a
test which READMEs differ from what their rules generate.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from gridconnect.rules.conditions import render
from gridconnect.rules.loader import RuleSource
from gridconnect.rules.model import Citation

__all__ = ["render_listing", "stale_readmes", "update_readme"]

START, END = "<!-- rules:start -->", "<!-- rules:end -->"


def _sources(package_dir: Path) -> list[RuleSource]:
    """The rule sources the plugin of a package directory contributes, through its own hook."""
    (init,) = package_dir.glob("src/*/__init__.py")
    module = importlib.import_module(init.parent.name)
    return list(module.plugin.gridconnect_rule_sources())


def _cite(c: Citation) -> str:
    text = "《" + c.title + "》" if not c.title.isascii() else c.title
    parts = [text, c.issuer]
    if c.number:
        parts.append(c.number)
    if c.article:
        parts.append(c.article)
    if c.date:
        parts.append(c.date.isoformat())
    cited = ", ".join(parts)
    if c.url:
        cited = f"[{cited}]({c.url})"
    kind = f", `{c.issuer_kind.value}`" if c.issuer_kind is not None else ""
    return f"{cited} — `{c.confidence.value}`{kind}"


def render_listing(sources: Iterable[RuleSource]) -> str:
    """The Markdown listing of the rules and parameters of some rule sources."""
    lines = ["| rule | in force | when | sets | source |", "|---|---|---|---|---|"]
    params = ["| parameter | value | in force | source |", "|---|---|---|---|"]
    for source in sources:
        for r in source.rules:
            until = r.effective_until.isoformat() if r.effective_until else ""
            sets = ", ".join(f"`{k}`" for k in r.then)
            when = render(r.when).replace("|", "\\|")
            lines.append(
                f"| `{r.id}` {r.title.zh} | {r.effective_from}–{until} | {when} | {sets} | "
                f"{_cite(r.citation)} |"
            )
        for p in source.parameters:
            for v in p.versions:
                until = v.effective_until.isoformat() if v.effective_until else ""
                params.append(
                    f"| `{p.name}` {p.title.zh} | {v.value} {p.unit or ''} | "
                    f"{v.effective_from}–{until} | {_cite(v.citation)} |"
                )
    out = "\n".join(lines)
    if len(params) > 2:
        out += "\n\n" + "\n".join(params)
    return out


def _generated(readme: Path) -> str | None:
    text = readme.read_text("utf-8")
    if START not in text or END not in text:
        return None
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    listing = render_listing(_sources(readme.parent))
    return f"{head}{START}\n{listing}\n{END}{tail}"


def update_readme(package_dir: Path) -> bool:
    """Rewrite a plugin README's listing; True if it changed."""
    readme = package_dir / "README.md"
    new = _generated(readme)
    if new is None or new == readme.read_text("utf-8"):
        return False
    readme.write_text(new, "utf-8")
    return True


def stale_readmes(package_dirs: Sequence[Path]) -> list[str]:
    """READMEs without a listing, or whose listing differs from what their rules generate."""
    stale = []
    for d in package_dirs:
        readme = d / "README.md"
        new = _generated(readme)
        if new is None or new != readme.read_text("utf-8"):
            stale.append(str(readme))
    return stale


if __name__ == "__main__":  # pragma: no cover
    for arg in sys.argv[1:]:
        if update_readme(Path(arg)):
            print(f"updated {arg}/README.md")
