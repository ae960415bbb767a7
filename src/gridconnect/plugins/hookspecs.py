"""The plugin contract: every hook a jurisdiction plugin may implement.

A plugin is a module (or object) with functions decorated with :data:`hookimpl` and named after
the hooks below. It is found through the ``gridconnect`` entry-point group, or loaded from a local
file given with ``--rules``/``GRIDCONNECT_RULES``. The national floor is a plugin of the core and
uses the same hooks. Hooks take no arguments unless stated, so a plugin implements only what it
has; new hooks can be added without breaking existing plugins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click

    from gridconnect.decide.acceptance import DocumentKind
    from gridconnect.decide.bundle import UtilityRequirement
    from gridconnect.decide.calendar import WorkingDayCalendar
    from gridconnect.lifecycle.rules import LifecycleRule
    from gridconnect.rules.catalogue import Jurisdiction
    from gridconnect.rules.loader import RuleSource
    from gridconnect.rules.model import Text

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "gridconnect"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
"""Decorator for a plugin's hook implementations."""


@hookspec
def gridconnect_jurisdictions() -> Sequence[Jurisdiction]:
    """The jurisdictions this plugin defines: code, names in Chinese and English, alias, parent.

    A jurisdiction's parent must be defined by this plugin or one it depends on.

    .. versionadded:: 0.1
    """
    raise NotImplementedError


@hookspec
def gridconnect_rule_sources() -> Sequence[RuleSource]:
    """The rules and parameters of this plugin's jurisdictions, usually read from TOML files
    shipped in the package with :func:`gridconnect.rules.loader.load_rules_file`.

    .. versionadded:: 0.1
    """
    raise NotImplementedError


@hookspec(firstresult=True)
def gridconnect_calendar(jurisdiction: str, base: WorkingDayCalendar) -> WorkingDayCalendar | None:
    """A working-day calendar for ``jurisdiction`` (a code), built on the ``base`` calendar of
    its parent; return None to keep the parent's. The most specific answer is used.

    .. versionadded:: 0.1
    """
    raise NotImplementedError


@hookspec
def gridconnect_document_kinds() -> Sequence[DocumentKind]:
    """Document kinds that rules of this plugin may require or waive (``document.<kind>``).

    .. versionadded:: 0.1
    """
    raise NotImplementedError


@hookspec
def gridconnect_utility_requirements() -> Sequence[UtilityRequirement]:
    """For bundled requests (一次办): whether each utility (water, gas, heat, network) joins the
    bundle in a jurisdiction, who provides it, and the fields and documents it needs.

    .. versionadded:: 0.1
    """
    raise NotImplementedError


@hookspec
def gridconnect_lifecycle_rules() -> Sequence[LifecycleRule]:
    """Lifecycle rules of this plugin's jurisdictions: statechart transitions of applications
    and projects, and the actions (主动办, proactive service) that events trigger, e.g. a
    construction permit starting the supporting grid works (see :mod:`gridconnect.lifecycle`).

    A :class:`~gridconnect.plugins.packaged.PackagedRules` plugin implements it with no code: a
    ``lifecycle.toml`` file in its package is read as its answer.

    .. versionadded:: 0.1
    """
    raise NotImplementedError


@hookspec
def gridconnect_labels() -> Mapping[str, Text]:
    """Chinese and English labels of the names this plugin's rules introduce, keyed as in
    :mod:`gridconnect.output.labels` (``permit.highway_crossing``, ``service.online_web``,
    ``note.four_ways``, ``stage.connection``); every renderer shows them instead of the name.

    A :class:`~gridconnect.plugins.packaged.PackagedRules` plugin implements it with no code: a
    ``labels.toml`` file in its package (one table per family) is read as its answer.

    .. versionadded:: 0.2
    """
    raise NotImplementedError


@hookspec
def gridconnect_commands() -> Sequence[click.Command]:
    """Commands (click commands or groups) this plugin adds to the ``gridconnect`` command.

    The features built on the core (``batch``, ``track``, ``serve``, ``diff``, ``new-plugin``)
    attach their commands through this hook, as any plugin may; the CLI collects them once, when
    is first asked for them (:func:`gridconnect.cli.commands_of`).

    .. versionadded:: 0.2
    """
    raise NotImplementedError
