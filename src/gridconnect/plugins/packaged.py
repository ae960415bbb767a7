"""Shared machinery for jurisdiction plugins that ship their rules as TOML in a package.

A city plugin is mostly declarations::

    from gridconnect.plugins.packaged import PackagedRules, jurisdiction

    plugin = PackagedRules(
        __name__,
        jurisdictions=[jurisdiction("440100", "广州市", "Guangzhou", "guangzhou", parent="440000")],
        files=["rules.toml"],
    )

and its ``pyproject.toml`` names ``plugin`` in the ``gridconnect`` entry-point group.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from importlib.resources import files as resource_files
from typing import TYPE_CHECKING

from gridconnect.decide.acceptance import DocumentKind
from gridconnect.decide.bundle import UtilityRequirement
from gridconnect.plugins.hookspecs import hookimpl
from gridconnect.rules.catalogue import Jurisdiction
from gridconnect.rules.loader import RuleSource, parse_rules
from gridconnect.rules.model import Text

if TYPE_CHECKING:
    from gridconnect.lifecycle.rules import LifecycleRule

__all__ = ["PackagedRules", "jurisdiction"]


def jurisdiction(
    code: str,
    zh: str,
    en: str,
    alias: str,
    *,
    parent: str | None,
    aliases: Sequence[str] = (),
    utility: tuple[str, str] | None = None,
) -> Jurisdiction:
    """A jurisdiction declaration in one line; ``utility`` is the serving power supply
    company's Chinese and English names, when the place has its own."""
    return Jurisdiction(
        code=code,
        name=Text(en=en, zh=zh),
        alias=alias,
        parent=parent,
        aliases=tuple(aliases),
        utility=None if utility is None else Text(zh=utility[0], en=utility[1]),
    )


class PackagedRules:
    """A plugin whose jurisdictions are declared in Python and whose rules are TOML files
    inside the package (decision rules in ``files``, lifecycle and proactive-service rules in
    ``lifecycle_files``). Files are read when the plugin is loaded, never at import time."""

    def __init__(
        self,
        package: str,
        *,
        jurisdictions: Sequence[Jurisdiction],
        files: Sequence[str] = ("rules.toml",),
        document_kinds: Sequence[DocumentKind] = (),
        utility_requirements: Sequence[UtilityRequirement] = (),
        lifecycle_files: Sequence[str] = (),
    ) -> None:
        self.package = package
        self.jurisdictions = tuple(jurisdictions)
        self.files = tuple(files)
        self.document_kinds = tuple(document_kinds)
        self.utility_requirements = tuple(utility_requirements)
        self.lifecycle_files = tuple(lifecycle_files)

    def __repr__(self) -> str:
        return f"<PackagedRules {self.package}: {', '.join(j.alias for j in self.jurisdictions)}>"

    @hookimpl
    def gridconnect_jurisdictions(self) -> Sequence[Jurisdiction]:
        return self.jurisdictions

    @hookimpl
    def gridconnect_rule_sources(self) -> Sequence[RuleSource]:
        sources = []
        for name in self.files:
            text = resource_files(self.package).joinpath(name).read_text("utf-8")
            sources.append(parse_rules(tomllib.loads(text), f"{self.package}/{name}"))
        return sources

    @hookimpl
    def gridconnect_document_kinds(self) -> Sequence[DocumentKind]:
        return self.document_kinds

    @hookimpl
    def gridconnect_utility_requirements(self) -> Sequence[UtilityRequirement]:
        return self.utility_requirements

    @hookimpl
    def gridconnect_labels(self) -> Mapping[str, Text]:
        """The labels in the package's ``labels.toml`` (none if it has no such file): one table
        per family, ``[permit] highway_crossing = { zh = "...", en = "..." }``."""
        path = resource_files(self.package).joinpath("labels.toml")
        if not path.is_file():
            return {}
        data = tomllib.loads(path.read_text("utf-8"))
        where = f"{self.package}/labels.toml"
        labels: dict[str, Text] = {}
        for family, table in data.items():
            if not isinstance(table, dict):
                raise TypeError(f"{where}: [{family}] must be a table of labels")
            for name, label in table.items():
                if not (isinstance(label, dict) and set(label) == {"zh", "en"}):
                    raise TypeError(f"{where}: {family}.{name} needs exactly zh and en")
                labels[f"{family}.{name}"] = Text(zh=str(label["zh"]), en=str(label["en"]))
        return labels

    @hookimpl
    def gridconnect_lifecycle_rules(self) -> Sequence[LifecycleRule]:
        from gridconnect.lifecycle.rules import load_lifecycle_text

        rules: list[LifecycleRule] = []
        for name in self.lifecycle_files:
            text = resource_files(self.package).joinpath(name).read_text("utf-8")
            rules += load_lifecycle_text(text, f"{self.package}/{name}")
        return rules
