"""Sphinx configuration of the gridconnect documentation.

The package is imported from the environment (it is installed in the venv); only the local
extension in ``_ext/`` is put on the path.
"""

from __future__ import annotations

import sys
from pathlib import Path

import gridconnect

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "gridconnect"
author = "gridconnect developers"
copyright = "gridconnect developers"
release = gridconnect.__version__
version = ".".join(release.split(".")[:2])
language = "en"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx.ext.doctest",
    "gridconnect_sphinx",
]

# No network at build time: nothing to fetch. Standard-library names are linked by
# gridconnect_sphinx instead.
intersphinx_mapping: dict[str, tuple[str, str | None]] = {}

exclude_patterns = ["_build"]
html_theme = "furo"
html_title = f"gridconnect {release}"
html_static_path: list[str] = []

nitpicky = True
python_use_unqualified_type_names = True

autodoc_typehints = "description"
# The JSON aliases are imported only for type checking where they are used: name them in full.
autodoc_type_aliases = {
    "JSONObject": "gridconnect.model.codec.JSONObject",
    "JSONValue": "gridconnect.model.codec.JSONValue",
}
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

# Names that cannot be linked. Kept short: everything else must resolve.
nitpick_ignore: list[tuple[str, str]] = []
# Types of third-party packages (today only cattrs.converters.Converter, in the signature of
# gridconnect.model.codec functions): not documented here, and no intersphinx to link them.
nitpick_ignore_regex = [
    (r"py:.*", r"(attr|attrs|cattrs|pluggy|click|holidays|hypothesis)\..*"),
]
