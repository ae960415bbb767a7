"""Sphinx directives that generate reference pages from the code at build time.

``.. gridconnect-cli::``
    every command of ``gridconnect.cli.cli``: usage, help, arguments, options.
``.. gridconnect-catalogue::``
    every jurisdiction, rule (all versions) and parameter of ``gridconnect.default_registry()``.
``.. gridconnect-schema:: application`` (or ``decision``, ``bundle``)
    the JSON Schema as a literal JSON block.
``.. gridconnect-hooks::``
    every ``gridconnect_*`` hook of ``gridconnect.plugins.hookspecs`` with its exact signature.
``.. gridconnect-facts::`` / ``.. gridconnect-slots::``
    the fact table and the conclusion slots.
``.. gridconnect-uncertain::``
    every rule and parameter value whose citation is not a primary text or carries a note.
``.. gridconnect-timeline::`` / ``.. gridconnect-derivation::`` *application.json*
    pictures of a decision, drawn as SVG (set up from :mod:`gridconnect_picture_directives`).

Pages that use them are re-read on every build, so the output follows the code.

The extension also resolves, instead of ignoring, cross-references that nitpicky mode would
otherwise report: a name that autodoc leaves as written (``Rulebook``, ``date``, a re-export
such as ``gridconnect.Decision``, a name imported under ``TYPE_CHECKING``) is looked up where it
was written and replaced by the full name of what it is; a standard-library or built-in name
becomes a link to docs.python.org (there is no intersphinx at build time); a type variable or a
private base class is shown as plain text. It also keeps napoleon off attribute docstrings
(see :func:`_napoleon_skips_attributes`), and gives each Chinese glossary term a stable anchor,
the term itself (``glossary.html#term-联席办``; :func:`stable_term_ids`).
"""

from __future__ import annotations

import builtins
import importlib
import re
import sys
import types
import typing
from typing import Any

import gridconnect_reference as ref
from docutils import nodes
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

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
            logger.warning(
                "gridconnect plugin not in the catalogue: %s", error, location=self.get_location()
            )
        return ref.render_catalogue(registry.catalogue, registry.document_kinds)


class UncertainDirective(_Generated):
    def generate(self) -> str:
        import gridconnect

        return ref.render_uncertain(gridconnect.default_registry().catalogue)


class SchemaDirective(_Generated):
    required_arguments = 1

    def generate(self) -> str:
        return ref.render_schema(self.arguments[0])


class HooksDirective(_Generated):
    optional_arguments = 1

    def generate(self) -> str:
        name = self.arguments[0] if self.arguments else "gridconnect.plugins.hookspecs"
        return ref.render_hooks(importlib.import_module(name))


class FactsDirective(_Generated):
    def generate(self) -> str:
        return ref.render_facts()


class SlotsDirective(_Generated):
    def generate(self) -> str:
        return ref.render_slots()


_CONSTANTS = frozenset({"None", "True", "False", "Ellipsis", "NotImplemented"})


def _python_docs_link(full: str, contnode: nodes.Element) -> nodes.Element | None:
    """A link to docs.python.org for a standard-library or built-in name, else None."""
    parts = full.split(".")
    if full in _CONSTANTS:
        uri = f"{PYTHON_DOCS}constants.html#{full}"
    elif len(parts) == 1 and hasattr(builtins, full):
        kind = (
            "exceptions"
            if isinstance(getattr(builtins, full), type)
            and issubclass(getattr(builtins, full), BaseException)
            else "functions"
        )
        uri = f"{PYTHON_DOCS}{kind}.html#{full}"
    elif parts[0] in sys.stdlib_module_names:
        # The page is that of the longest module prefix (collections.abc, not collections).
        page = parts[0]
        for i in range(len(parts), 1, -1):
            if _importable(".".join(parts[:i])):
                page = ".".join(parts[:i])
                break
        uri = f"{PYTHON_DOCS}{page}.html" + ("" if page == full else f"#{full}")
    else:
        return None
    node = nodes.reference("", "", internal=False, refuri=uri)
    node.append(contnode)
    return node


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


_MISSING = object()


def _lookup(target: str, module_name: str | None, class_name: str | None) -> Any:
    """The object that ``target`` names where it was written, or ``_MISSING``."""
    parts = target.split(".")
    # A dotted name that is importable as written (``gridconnect.Decision``).
    for i in range(len(parts), 0, -1):
        head = ".".join(parts[:i])
        if head in sys.modules or (i < len(parts) and _importable(head)):
            obj: Any = sys.modules[head]
            for attr in parts[i:]:
                obj = getattr(obj, attr, _MISSING)
                if obj is _MISSING:
                    break
            else:
                return obj
            break
    # A name as the module (or class) where it was written sees it.
    if not module_name or not _importable(module_name):
        return _MISSING
    module = sys.modules[module_name]
    scopes: list[Any] = []
    if class_name:
        owner: Any = module
        for attr in class_name.split("."):
            owner = getattr(owner, attr, None)
        if owner is not None:
            scopes.append(owner)
    scopes.append(module)
    for scope in scopes:
        obj = getattr(scope, parts[0], _MISSING)
        if obj is not _MISSING:
            for attr in parts[1:]:
                obj = getattr(obj, attr, _MISSING)
            return obj
    full = ref._imported_names(module).get(parts[0])  # names imported under TYPE_CHECKING
    if full is not None:
        return _lookup(".".join([full, *parts[1:]]), None, None)
    return _MISSING


def _full_name(obj: Any) -> str | None:
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    name = getattr(obj, "__qualname__", None)
    owner = getattr(obj, "__module__", None)
    return f"{owner}.{name}" if isinstance(name, str) and isinstance(owner, str) else None


def resolve_missing(
    app: Sphinx, env: Any, node: Any, contnode: nodes.Element
) -> nodes.Element | None:
    """Resolve a Python cross-reference that the Python domain could not.

    The name is looked up where it was written and replaced by the full name of what it is;
    that is then found among the documented objects, or linked to docs.python.org. A type
    variable, or a private name (``_IndexedCalendar``), is shown as plain text: it has no page.
    """
    if node.get("refdomain") != "py":
        return None
    target: str = node.get("reftarget", "")
    obj = _lookup(target, node.get("py:module"), node.get("py:class"))
    full = target if obj is _MISSING else (_full_name(obj) or target)
    if isinstance(obj, typing.TypeVar) or any(p.startswith("_") for p in full.split(".")):
        return contnode
    if full != target:
        domain = env.get_domain("py")
        for reftype in dict.fromkeys((node.get("reftype"), "class", "obj")):
            found = domain.resolve_xref(
                env, node.get("refdoc"), app.builder, reftype, full, node, contnode
            )
            if found is not None:
                return found  # type: ignore[no-any-return]
    return _python_docs_link(full, contnode)


def _napoleon_skips_attributes(app: Sphinx) -> None:
    """Keep napoleon off attribute, data and property docstrings.

    For those, napoleon reads a first line ``x: y`` as "type: description"; gridconnect's
    docstrings are reStructuredText, where such a line is prose ("Slot families: ``family.name``
    ..."), so napoleon would turn prose into a broken type. Sections (``Args:`` ...) in function
    and class docstrings are still handled by napoleon.
    """
    listeners = app.events.listeners.get("autodoc-process-docstring", [])
    for i, listener in enumerate(listeners):
        handler = listener.handler
        if getattr(handler, "__module__", "") != "sphinx.ext.napoleon":
            continue

        def guarded(app: Sphinx, what: str, *args: Any, _inner: Any = handler) -> None:
            if what not in ("attribute", "data", "property"):
                _inner(app, what, *args)

        listeners[i] = listener._replace(handler=guarded)


def term_anchor(term: str) -> str:
    """The stable id of a glossary term: ``term-`` and the term itself, spaces as hyphens
    (``term-联席办``). Sphinx numbers the ids of non-ASCII terms in reading order (``term-43``),
    which changes as terms are added; this id changes only with the term."""
    return "term-" + re.sub(r"\s+", "-", term.strip())


def stable_term_ids(app: Sphinx, doctree: nodes.document) -> None:
    """Give every glossary term whose id Sphinx numbered (a Chinese term) its
    :func:`term_anchor`, in the page, in the index and for ``:term:`` references."""
    std: Any = app.env.domains.standard_domain
    docname = app.env.current_document.docname
    for term in list(doctree.findall(nodes.term)):
        numbered = [i for i in term["ids"] if re.fullmatch(r"term-\d+", i)]
        if not numbered:
            continue
        text = term.astext()
        new = term_anchor(text)
        term["ids"] = [new if i in numbered else i for i in term["ids"]]
        for old in numbered:
            doctree.ids.pop(old, None)
        doctree.ids[new] = term
        for index in term.findall(addnodes.index):
            index["entries"] = [
                (kind, value, new if tid in numbered else tid, main, key)
                for kind, value, tid, main, key in index["entries"]
            ]
        if std.objects.get(("term", text), ("", ""))[1] in numbered:
            std.objects["term", text] = (docname, new)
        if std._terms.get(text.lower(), ("", ""))[1] in numbered:
            std._terms[text.lower()] = (docname, new)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("gridconnect-cli", CliDirective)
    app.add_directive("gridconnect-catalogue", CatalogueDirective)
    app.add_directive("gridconnect-schema", SchemaDirective)
    app.add_directive("gridconnect-uncertain", UncertainDirective)
    app.add_directive("gridconnect-hooks", HooksDirective)
    app.add_directive("gridconnect-facts", FactsDirective)
    app.add_directive("gridconnect-slots", SlotsDirective)
    app.setup_extension("gridconnect_picture_directives")
    app.connect("missing-reference", resolve_missing)
    app.connect("builder-inited", _napoleon_skips_attributes)
    app.connect("doctree-read", stable_term_ids)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
