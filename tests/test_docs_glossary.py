"""Glossary anchors are stable: a Chinese term's id is the term itself (``#term-联席办``), not
the number Sphinx gives it in reading order (``#term-43``), which moves as terms are added.

A small Sphinx project with the project's extension is built twice, with a term added in front
the second time; the anchors and the ``:term:`` links stay the same."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from sphinx.application import Sphinx

ROOT = Path(__file__).resolve().parent.parent
EXT = ROOT / "docs" / "_ext"

_GLOSSARY = """Glossary
========

.. glossary::

{extra}   联席办
   joint office
      A joint office.

   三零
   three zeros
      零上门、零审批、零投资.

See :term:`联席办` and :term:`三零`.
"""


def _build(tmp: Path, extra: str) -> str:
    src, out = tmp / "src", tmp / "out"
    src.mkdir(parents=True)
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(EXT)!r})\nextensions = ['gridconnect_sphinx']\n",
        encoding="utf-8",
    )
    (src / "index.rst").write_text(_GLOSSARY.format(extra=extra), encoding="utf-8")
    if str(EXT) not in sys.path:
        sys.path.insert(0, str(EXT))
    app = Sphinx(
        str(src),
        str(src),
        str(out),
        str(tmp / "doctrees"),
        "html",
        status=None,
        warningiserror=True,
        freshenv=True,
    )
    app.build()
    return (out / "index.html").read_text(encoding="utf-8")


def test_a_chinese_term_has_its_own_stable_anchor(tmp_path: Path) -> None:
    first = _build(tmp_path / "a", "")
    second = _build(
        tmp_path / "b", "   容缺受理\n   acceptance with documents missing\n      x\n\n"
    )
    for page in (first, second):
        assert 'id="term-联席办"' in page
        assert 'id="term-三零"' in page
        assert 'href="#term-联席办"' in page
        assert not re.search(r'id="term-\d+"', page)
    assert 'id="term-joint-office"' in first  # English terms keep Sphinx's own ids
