"""The project cites only what it contains: no code, rule file or page points at the input
documents it was built from (they are not shipped), only at its own docs."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).parent.parent
OUTSIDE = ("shared/", "FACTS.md", "DURABLE_RULES", "DESIGN.md", "getting-electricity-article")
SUFFIXES = {".py", ".toml", ".rst", ".md", ".txt", ".json", ".cfg", ".ini"}


def _tracked() -> list[Path]:
    try:
        out = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout
        names = out.splitlines()
    except (OSError, subprocess.CalledProcessError):  # not a checkout: every file below
        names = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file()]
    return [
        ROOT / n
        for n in names
        if Path(n).suffix in SUFFIXES and not n.startswith(("docs/_build", ".venv"))
    ]


def test_nothing_cites_a_document_the_project_does_not_contain() -> None:
    me = Path(__file__).resolve()
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}"
        for path in _tracked()
        if path.resolve() != me and path.exists()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(name in line for name in OUTSIDE)
    ]
    assert found == [], "cite the project's own docs instead:\n" + "\n".join(found)
