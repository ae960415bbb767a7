"""Sphinx directives that generate reference pages from the code at build time.

``.. gridconnect-cli::``
    every command of ``gridconnect.cli.cli``: usage, help, arguments, options.
``.. gridconnect-catalogue::``
    every jurisdiction, rule (all versions) and parameter of ``gridconnect.default_registry()``.
``.. gridconnect-schema:: application`` (or ``decision``)
    the JSON Schema as a literal JSON block.
``.. gridconnect-hooks::``
    every ``gridconnect_*`` hook of ``gridconnect.hookspecs`` with its exact signature.
``.. gridconnect-facts::`` / ``.. gridconnect-slots::``
    the fact table and the conclusion slots.

Pages that use them are re-read on every build, so the output follows the code.

The extension also resolves, instead of ignoring, two kinds of cross-reference that nitpicky
mode would otherwise report: a short type name that autodoc leaves as written (``Rulebook``,
``date``) is looked up in the module it comes from, and a standard-library name becomes a link
to docs.python.org (there is no intersphinx at build time).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

import gridconnect_reference as ref

logger = logging.getLogger(__name__)

PYTHON_DOCS = "https://docs.python.org/3/library/"


class _Generated(SphinxDirective):
    """Parses generated reST into the page, and marks the page to be re-read next build."""

    def generate(self) -> str:
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        self.env.note_reread()
        text = self.generate()
        container = nodes.section()
        container.document = self.state.document
        content = StringList(text.splitlines(), source=f"<{self.name} directive>")
        nested_parse_with_titles(self.state, content, container, self.content_offset)
        return list(container.children)


class CliDirective(_Generated):
    def generate(self) -> str:
        from gridconnect.cli import cli

        return ref.render_cli(cli)


class CatalogueDirective(_Generated):
    def generate(self) -> str:
        import gridconnect

        registry = gridconnect.default_registry()
        for error in registry.errors:
            logger.warning("gridconnect plugin not in the catalogue: %s", error, location=self.get_location())
        return ref.render_catalogue(registry.catalogue, registry.document_kinds)


class SchemaDirective(_Generated):
    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {}

    def generate(self) -> str:
        return ref.render_schema(self.arguments[0])


class HooksDirective(_Generated):
    optional_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {"module": directives.unchanged}

    def generate(self) -> str:
        name = self.arguments[0] if self.arguments else "gridconnect.hookspecs"
        return ref.render_hooks(importlib.import_module(name))


class FactsDirective(_Generated):
    def generate(self) -> str:
        return ref.render_facts()


class SlotsDirective(_Generated):
    def generate(self) -> str:
        return ref.render_slots()


def _stdlib_link(target: str, contnode: nodes.Element) -> nodes.Element | None:
    module = target.split(".")[0]
    if module not in sys.stdlib_module_names or module == "typing":
        return None
    # The page of the longest importable module prefix (collections.abc, not collections).
    parts = target.split(".")
    page = module
    for i in range(len(parts), 0, -1):
        candidate = ".".join(parts[:i])
        if candidate in sys.modules or _importable(candidate):
            page = candidate
            break
    anchor = "" if page == target else f"#{target}"
    node = nodes.reference("", "", internal=False, refuri=f"{PYTHON_DOCS}{page}.html{anchor}")
    node.append(contnode)
    return node


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def _qualify(short: str, module_name: str | None, class_name: str | None) -> str | None:
    """The full dotted name that ``short`` stands for where it was written."""
    if not module_name:
        return None
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    head, _, rest = short.partition(".")
    obj: Any = getattr(module, head, None)
    if obj is None:
        full = ref._imported_names(module).get(head)  # TYPE_CHECKING imports
        return f"{full}.{rest}" if full and rest else full
    if rest:
        return None
    name = getattr(obj, "__qualname__", None)
    owner = getattr(obj, "__module__", None)
    if name and owner:
        return f"{owner}.{name}"
    return None


def resolve_missing(
    app: Sphinx, env: Any, node: Any, contnode: nodes.Element
) -> nodes.Element | None:
    """Resolve a Python cross-reference that the Python domain could not."""
    if node.get("refdomain") != "py":
        return None
    target: str = node.get("reftarget", "")
    full = target
    if "." not in target or target.split(".")[0] not in sys.modules:
        qualified = _qualify(target, node.get("py:module"), node.get("py:class"))
        if qualified and qualified != target:
            full = qualified
            domain = env.get_domain("py")
            for reftype in (node.get("reftype"), "class", "obj"):
                found = domain.resolve_xref(
                    env, node.get("refdoc"), app.builder, reftype, full, node, contnode
                )
                if found is not None:
                    return found  # type: ignore[no-any-return]
    return _stdlib_link(full, contnode)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("gridconnect-cli", CliDirective)
    app.add_directive("gridconnect-catalogue", CatalogueDirective)
    app.add_directive("gridconnect-schema", SchemaDirective)
    app.add_directive("gridconnect-hooks", HooksDirective)
    app.add_directive("gridconnect-facts", FactsDirective)
    app.add_directive("gridconnect-slots", SlotsDirective)
    app.connect("missing-reference", resolve_missing)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
