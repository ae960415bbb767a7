"""One city's getting-electricity rules. Declare the jurisdiction here; write rules in TOML."""

from __future__ import annotations

from gridconnect.plugin import PackagedRules, jurisdiction

__all__ = ["plugin"]

plugin = PackagedRules(
    __name__,
    jurisdictions=[
        # GB/T 2260 code, Chinese name, English name, alias (rule ids start with it), parent.
        jurisdiction("441800", "清远市", "Qingyuan", "qingyuan", parent="440000"),
    ],
    files=["rules.toml"],
)
