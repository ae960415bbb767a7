"""``Any`` in public signatures only where no real type fits (issue 14, item 6).

Public means: a function, or a method of a class, whose name and module path have no leading
underscore (dunder methods count), anywhere under ``src/gridconnect``. Where a type exists it is
used (the ``Engine``/``Matcher`` protocols, ``JSONObject``/``JSONValue`` of
:mod:`gridconnect.model.codec`, ``object`` for truly opaque values); what is left is listed in
:data:`ALLOWED` with the reason. A new ``Any`` fails this test; so does a listed one that was
typed since (take it off the list, so the list only shrinks). Entries are keyed by qualified
name within the module, so moving a module does not touch the list.

Run as a script to print every public signature with ``Any`` and where it is::

    .venv/bin/python tests/test_public_any.py
"""

from __future__ import annotations

import ast
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"

# Reasons, one per kind of signature that keeps Any.
WALKED_JSON = (
    "JSON walked key by key before it is checked (values of every shape; the checks raise "
    "located errors); JSONValue would need a cast at every step"
)
CATTRS = "what cattrs gives or takes for any attrs value: the type depends on the class"
LITESTAR = "Litestar's Request is generic in user, auth and state, which serve does not use"
PYTEST = "pytest's own hook signature (from_parent keyword arguments, a traceback style)"
TOML = "TOML or Python rule data before it is checked: any value, refused with its location"
CLI_VALUE = "an answer given on the command line or over HTTP, parsed as JSON or as a word"
ROWS = "rows of tables built for click or JSON output, mixing str, int, list and dict values"

TYPE_FORM = "a type form (a class, a union, a generic alias): typing has no type for them"
SCHEMA_FRAGMENT = "JSON Schema fragments, built and merged as nested dicts"

ALLOWED: list[tuple[str, str]] = [
    # gridconnect.model.json_schema: the schema generator walks type annotations
    ("SchemaBuilder.__init__", TYPE_FORM),
    ("SchemaBuilder.name", TYPE_FORM),
    ("SchemaBuilder.of", TYPE_FORM),
    ("SchemaBuilder.define", SCHEMA_FRAGMENT),
    ("SchemaBuilder.document", SCHEMA_FRAGMENT),
    ("SchemaBuilder.ref", SCHEMA_FRAGMENT),
    ("field_docs", TYPE_FORM),
    ("json_field", SCHEMA_FRAGMENT),
    ("json_object", SCHEMA_FRAGMENT),
    # gridconnect.batch
    ("compare_cmd", "click passes the two sides as it parsed them (multiple option values)"),
    ("split_decision", WALKED_JSON),
    ("compact_line", WALKED_JSON),
    ("expand_line", WALKED_JSON),
    ("read_decisions", WALKED_JSON),
    ("compare", "rows of an input file or corpus, JSON objects not yet checked"),
    ("iter_corpus", "generated JSON application objects (and deliberately damaged text rows)"),
    ("write_corpus", "keyword options passed through to iter_corpus"),
    ("unflatten", "CSV/Parquet cells of any column type become JSON objects"),
    ("flatten", WALKED_JSON),
    ("data_rows", WALKED_JSON),
    ("write_records", WALKED_JSON),
    ("Pipeline.__init__", "merge and reject callbacks for chunk results of the backend's choice"),
    ("parse_row", "a row payload: text, bytes or a parsed record, told apart at run time"),
    # gridconnect.decide.bundle, cli, decision
    ("bundle_schema", "a JSON Schema document (nested dicts) from model.json_schema"),
    ("ask", CLI_VALUE),
    ("calendar_add_result", ROWS),
    ("jurisdiction_rows", ROWS),
    ("rule_rows", ROWS),
    ("decision_schema", "a JSON Schema document (nested dicts) from model.json_schema"),
    # gridconnect.interview
    ("apply_answer", WALKED_JSON),
    ("parse_value", CLI_VALUE),
    ("split_answer", CLI_VALUE),
    ("parse_answer", CLI_VALUE),
    ("load_application_json", WALKED_JSON),
    ("save_application", WALKED_JSON),
    ("describe_schema", "a JSON Schema fragment walked by key"),
    ("run_interview", WALKED_JSON),
    # gridconnect.lifecycle
    ("status_of", ROWS),
    ("parse_lifecycle_rules", TOML),
    ("DecisionSummary.from_data", WALKED_JSON),
    # gridconnect.model
    ("Application.from_dict", WALKED_JSON),
    ("unstructure", CATTRS),
    ("parse_json", "json.loads: any JSON value, checked by the caller's structure()"),
    ("mask", "walks any unstructured value (dict, list, scalar) and gives the same shape back"),
    ("pseudonymise", "walks any unstructured value (dict, list, scalar) and gives it back"),
    ("schema_for", CATTRS),
    # gridconnect.rules
    ("Rulebook.cache", "each named cache holds values of its owner's own type"),
    ("condition_problems", "a parameter's value, of the type its declaration gives"),
    ("TableReader.__init__", TOML),
    ("TableReader.get", TOML),
    ("parse_rules", TOML),
    # gridconnect.serve
    ("Service.compute", CLI_VALUE),
    ("evaluate_endpoint", LITESTAR),
    ("explain_endpoint", LITESTAR),
    ("questions_endpoint", LITESTAR),
    ("bundle_endpoint", LITESTAR),
    ("rules_endpoint", LITESTAR),
    ("jurisdictions_endpoint", LITESTAR),
    ("calendar_add_endpoint", LITESTAR),
    ("track_events_endpoint", LITESTAR),
    ("track_status_endpoint", LITESTAR),
    ("readyz", LITESTAR),
    ("metrics", LITESTAR),
    ("hoist", "OpenAPI/JSON Schema documents rewritten in place"),
    ("openapi_json", LITESTAR),
    ("handlers", "Litestar route handlers of several generic types"),
    ("error_page", LITESTAR),
    ("index", LITESTAR),
    ("decision_page", LITESTAR),
    ("form_page", LITESTAR),
    ("form_decision_page", LITESTAR),
    ("form_fields", "a JSON Schema document, walked by key"),
    ("rules_page", LITESTAR),
    ("handlers", "Litestar route handlers of several generic types"),
    ("HttpError.from_dict", WALKED_JSON),
    ("compute", CLI_VALUE),
    # gridconnect.testing
    ("ConformanceItem.__init__", PYTEST),
    ("ConformanceItem.repr_failure", PYTEST),
    ("ScenarioItem.__init__", PYTEST),
    ("ScenarioItem.repr_failure", PYTEST),
]


def _mentions_any(node: ast.expr | None) -> bool:
    if node is None:
        return False
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id == "Any":
            return True
        if isinstance(n, ast.Attribute) and n.attr == "Any":
            return True
        if isinstance(n, ast.Constant) and isinstance(n.value, str):  # a quoted annotation
            try:
                if _mentions_any(ast.parse(n.value, mode="eval").body):
                    return True
            except SyntaxError:
                continue
    return False


def _signature_has_any(f: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    a = f.args
    params = [*a.posonlyargs, *a.args, *a.kwonlyargs, *filter(None, (a.vararg, a.kwarg))]
    return any(_mentions_any(p.annotation) for p in params) or _mentions_any(f.returns)


def _public(name: str) -> bool:
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))


def public_signatures_with_any(src: Path = SRC) -> Iterator[tuple[str, str]]:
    """``(module, qualified name)`` of every public function or method with ``Any``."""
    for path in sorted(src.rglob("*.py")):
        module = ".".join(path.relative_to(src).with_suffix("").parts).removesuffix(".__init__")
        if any(part.startswith("_") for part in module.split(".")):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        todo: list[tuple[list[ast.stmt], str]] = [(tree.body, "")]
        while todo:
            body, prefix = todo.pop(0)
            for node in body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    if _public(node.name) and _signature_has_any(node):
                        yield module, prefix + node.name
                elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                    todo.append((node.body, f"{prefix}{node.name}."))


def test_the_scan_sees_any_in_every_place_a_signature_can_hold_it(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "m.py").write_text(
        "from typing import Any\nimport typing\n"
        "def a(x: Any) -> None: ...\n"
        "def b() -> 'dict[str, Any]': ...\n"
        "def c(*args: typing.Any) -> None: ...\n"
        "def d(**kw: list[Any]) -> None: ...\n"
        "def clean(x: object) -> int: ...\n"
        "def _private(x: Any) -> None: ...\n"
        "class C:\n"
        "    def __init__(self, x: Any) -> None: ...\n"
        "    def _hidden(self) -> Any: ...\n"
        "class _Hidden:\n"
        "    def m(self) -> Any: ...\n",
        encoding="utf-8",
    )
    (package / "_internal.py").write_text(
        "from typing import Any\ndef e(x: Any) -> None: ...\n", encoding="utf-8"
    )
    found = sorted(name for _, name in public_signatures_with_any(tmp_path))
    assert found == ["C.__init__", "a", "b", "c", "d"]


def test_any_in_public_signatures_does_not_grow() -> None:
    found = Counter(name for _, name in public_signatures_with_any())
    allowed = Counter(name for name, _ in ALLOWED)
    new = found - allowed
    typed = allowed - found
    assert not new, (
        f"Any in new public signatures: {sorted(new)}. Use a Protocol, JSONObject/JSONValue "
        "(gridconnect.model.codec) or object; if none fits, add it to ALLOWED with the reason."
    )
    assert not typed, f"typed now, take them off ALLOWED: {sorted(typed)}"


def test_every_allowed_any_says_why() -> None:
    assert all(reason.strip() for _, reason in ALLOWED)


if __name__ == "__main__":
    rows = list(public_signatures_with_any())
    for module, name in rows:
        print(f"{module}:{name}")
    print(f"{len(rows)} public signatures with Any", file=sys.stderr)
