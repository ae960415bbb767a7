"""``help()`` explains the public API: every name in ``gridconnect.__all__`` (and in
``gridconnect.model.__all__``, the parts of an application) has a docstring, and so has every
public attribute of those classes and of the gridconnect classes their fields hold (a
decision's citations, limits, bundle plan, ...): each attrs field (a ``#:`` comment above it,
or a string below it, as Sphinx autodoc reads them) and each public method and property."""

from __future__ import annotations

import enum
import inspect
import typing
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from sphinx.pycode import ModuleAnalyzer

import gridconnect
import gridconnect.model


def public_names() -> Iterator[tuple[str, Any]]:
    for module in (gridconnect, gridconnect.model):
        for name in module.__all__:
            yield f"{module.__name__}.{name}", getattr(module, name)


def _held(cls: type[Any]) -> Iterator[type[Any]]:
    """The gridconnect classes the attrs fields of ``cls`` hold (inside unions, tuples, ...)."""
    if not attrs.has(cls):
        return
    stack = list(typing.get_type_hints(cls).values())
    while stack:
        hint = stack.pop()
        if inspect.isclass(hint) and hint.__module__.startswith("gridconnect."):
            yield hint
        stack.extend(typing.get_args(hint))


def public_classes() -> list[type[Any]]:
    """The public classes, and every gridconnect class their fields hold, transitively."""
    found: dict[str, type[Any]] = {}
    todo = [obj for _, obj in public_names() if inspect.isclass(obj)]
    while todo:
        cls = todo.pop()
        key = f"{cls.__module__}.{cls.__qualname__}"
        if key not in found:
            found[key] = cls
            todo.extend(_held(cls))
    return [found[k] for k in sorted(found)]


def attribute_docs(cls: type[Any]) -> dict[str, list[str]]:
    """The documented attributes of ``cls``, as Sphinx finds them in its module's source."""
    docs = ModuleAnalyzer.for_module(cls.__module__).find_attr_docs()
    return {name: lines for (owner, name), lines in docs.items() if owner == cls.__qualname__}


def undocumented(cls: type[Any]) -> list[str]:
    """The public attributes of ``cls`` without a docstring."""
    missing: list[str] = []
    if not (cls.__doc__ or "").strip():
        missing.append("(the class itself)")
    if attrs.has(cls):
        documented: dict[str, list[str]] = {}
        for klass in cls.__mro__:
            if attrs.has(klass):
                documented = {**attribute_docs(klass), **documented}
        for field in attrs.fields(cls):
            if not field.name.startswith("_") and not any(
                line.strip() for line in documented.get(field.name, [])
            ):
                missing.append(field.name)
    if issubclass(cls, enum.Enum):
        return missing  # members document themselves by their value; the class is checked
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            target: Any = member.fget
        elif isinstance(member, classmethod | staticmethod):
            target = member.__func__
        elif inspect.isfunction(member):
            target = member
        else:
            continue
        if not (getattr(target, "__doc__", None) or "").strip():
            missing.append(name)
    return missing


@pytest.mark.parametrize(("name", "obj"), list(public_names()), ids=lambda v: str(v)[:60])
def test_every_public_name_has_a_docstring(name: str, obj: Any) -> None:
    if inspect.isclass(obj) or inspect.isfunction(obj):
        assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


@pytest.mark.parametrize("cls", public_classes(), ids=lambda c: c.__qualname__)
def test_every_public_attribute_has_a_docstring(cls: type[Any]) -> None:
    missing = undocumented(cls)
    assert not missing, (
        f"{cls.__module__}.{cls.__qualname__}: no docstring for {', '.join(missing)} "
        "(document an attrs field with a `#:` comment above it)"
    )


def test_the_walk_would_notice_an_undocumented_field() -> None:
    @attrs.frozen
    class Undocumented:
        """A class whose field has no docstring."""

        size: int

        @property
        def area(self) -> int:
            return self.size**2

    assert undocumented(Undocumented) == ["size", "area"]


def test_the_walk_covers_the_decision_and_the_application() -> None:
    names = {c.__qualname__ for c in public_classes()}
    assert {"Application", "Decision", "ApprovalView", "TraceEntry", "Applicant"} <= names
    assert {"Citation", "Limit", "LimitUnit", "Text", "BundlePlan", "Savings"} <= names  # held
    documented = attribute_docs(gridconnect.Decision)
    assert "application_id" in documented
    assert "undetermined" in documented  # a string below the field counts too
