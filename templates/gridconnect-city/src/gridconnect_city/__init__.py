"""The getting-electricity rules of 清远市 (Qingyuan). Declare the jurisdiction here; write the
rules in ``rules.toml``."""

from __future__ import annotations

from gridconnect.plugins.packaged import PackagedRules, jurisdiction

__all__ = ["plugin"]

plugin = PackagedRules(
    __name__,
    jurisdictions=[
        # GB/T 2260 code, Chinese name, English name, alias (rule ids start with it), parent.
        jurisdiction("441800", "清远市", "Qingyuan", "qingyuan", parent="440000"),
    ],
    files=["rules.toml"],
)
