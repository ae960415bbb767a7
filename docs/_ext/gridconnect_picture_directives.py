"""Directives that draw a decision from an application file at build time.

``.. gridconnect-timeline:: examples/applications/<file>.json``
    the application date and each dated deadline on the working-day calendar
    (:func:`gridconnect_pictures.timeline_svg`).
``.. gridconnect-derivation:: examples/applications/<file>.json``
    the matched rules, by jurisdiction depth, with arrows to the slots they set, styled by
    outcome (:func:`gridconnect_pictures.derivation_svg`).

``.. gridconnect-page:: examples/applications/<file>.json``
    the standalone page of ``gridconnect explain --format html`` for the file, in a frame and
    linked (:class:`PageDirective`).

The path is relative to the repository root (the parent of the documentation source), as in
the ``gridconnect`` commands of these pages. Each picture is also written to
``_pictures/<file>-<kind>.svg`` in the output and linked from its caption ("Open at full
size"), so it can be opened alone, zoomed and printed. The option ``:caption:`` replaces the default
caption. The picture is inline SVG in a ``raw`` HTML node; the page is re-read on every build
and depends on the application file, so the picture follows the rules and the file.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any, ClassVar

import gridconnect_pictures as pictures
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


class _Picture(SphinxDirective):
    required_arguments = 1
    final_argument_whitespace = False
    option_spec: ClassVar[dict[str, Any]] = {"caption": directives.unchanged}
    kind = ""

    def draw(self, example: pictures.Example, prefix: str) -> tuple[str, str]:
        """The SVG and the default caption."""
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        self.env.note_reread()
        root = Path(self.env.srcdir).parent
        path = (root / self.arguments[0]).resolve()
        if not path.is_file():
            raise self.error(f"{self.name}: no such application file: {self.arguments[0]}")
        self.env.note_dependency(str(path))
        try:
            example = pictures.load_example(path)
        except Exception as error:  # a broken example must fail the build, with its reason
            raise self.error(f"{self.name}: {self.arguments[0]}: {error}") from error
        prefix = f"gc-{self.kind}-{self.env.new_serialno('gridconnect-picture')}"
        svg, caption = self.draw(example, prefix)
        # the same picture as a file of its own, linked from the figure to open at full size
        name = f"{path.stem}-{self.kind}.svg"
        folder = Path(self.env.app.outdir) / "_pictures"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text('<?xml version="1.0" encoding="utf-8"?>\n' + svg, "utf-8")
        href = "../" * self.env.docname.count("/") + f"_pictures/{name}"
        html = pictures.figure_html(
            svg, self.options.get("caption", caption), self.kind, full_size=href
        )
        return [nodes.raw("", html, format="html")]


class TimelineDirective(_Picture):
    kind = "timeline"

    def draw(self, example: pictures.Example, prefix: str) -> tuple[str, str]:
        svg = pictures.timeline_svg(
            example.application, example.decision, example.calendar, prefix=prefix
        )
        return svg, (
            f"Deadlines of {self.arguments[0]}, as gridconnect computes them "
            "(generated when the documentation is built)."
        )


class DerivationDirective(_Picture):
    kind = "derivation"

    def draw(self, example: pictures.Example, prefix: str) -> tuple[str, str]:
        svg = pictures.derivation_svg(example.decision, example.names, prefix=prefix)
        return svg, (
            f"Derivation of the decision on {self.arguments[0]}: every rule that matched "
            "(generated when the documentation is built)."
        )


class PageDirective(SphinxDirective):
    """``.. gridconnect-page:: examples/applications/<file>.json``: the page
    ``gridconnect explain --format html`` writes for the file (option ``:lang:``, ``zh`` by
    default), written to ``_pages/<file>-<lang>.html`` in the output, shown in a frame and
    linked to open alone."""

    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {"lang": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        from gridconnect.output.html import render_html

        self.env.note_reread()
        root = Path(self.env.srcdir).parent
        path = (root / self.arguments[0]).resolve()
        if not path.is_file():
            raise self.error(f"{self.name}: no such application file: {self.arguments[0]}")
        self.env.note_dependency(str(path))
        lang = self.options.get("lang", "zh")
        try:
            example = pictures.load_example(path)
            page = render_html(example.decision, lang)
        except Exception as error:  # a broken example must fail the build, with its reason
            raise self.error(f"{self.name}: {self.arguments[0]}: {error}") from error
        shown = escape(self.arguments[0], quote=True)
        name = f"{path.stem}-{lang}.html"
        folder = Path(self.env.app.outdir) / "_pages"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(page, "utf-8")
        href = "../" * self.env.docname.count("/") + f"_pages/{name}"
        html = (
            '<figure class="gridconnect-page" style="margin: 1em 0">'
            f'<iframe src="{href}" title="{shown}" loading="lazy" '
            'style="width: 100%; height: 36em; border: 1px solid #d5dae3"></iframe>'
            f"<figcaption>The page <code>gridconnect explain --format html --lang {lang}</code> "
            f"writes for {shown} (generated when the documentation is built). "
            f'<a href="{href}">Open it alone</a> to read or print it.</figcaption></figure>'
        )
        return [nodes.raw("", html, format="html")]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("gridconnect-timeline", TimelineDirective)
    app.add_directive("gridconnect-derivation", DerivationDirective)
    app.add_directive("gridconnect-page", PageDirective)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
