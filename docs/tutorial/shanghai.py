"""A local plugin that declares one jurisdiction: Shanghai (上海市, 310000), under the nation.

A rules file adds rules to a jurisdiction that a plugin has declared; this file declares it.
"""

from __future__ import annotations

from gridconnect.plugins.hookspecs import hookimpl
from gridconnect.rules.catalogue import Jurisdiction
from gridconnect.rules.model import Text


@hookimpl
def gridconnect_jurisdictions() -> list[Jurisdiction]:
    return [
        Jurisdiction(
            code="310000",  # GB/T 2260
            name=Text(en="Shanghai", zh="上海市"),
            alias="shanghai",  # rule ids of this jurisdiction start with "shanghai."
            parent="CN",
        )
    ]
