"""The getting-electricity rules of 深圳市 (Shenzhen). Declare the jurisdiction here; write the
rules in ``rules.toml``."""

from __future__ import annotations

from gridconnect.plugins.packaged import PackagedRules, jurisdiction

__all__ = ["plugin"]

plugin = PackagedRules(
    __name__,
    jurisdictions=[
        # GB/T 2260 code, Chinese name, English name, alias (rule ids start with it), parent.
        jurisdiction(
            "440300",
            "深圳市",
            "Shenzhen",
            "shenzhen",
            parent="440000",
            # Served by its own utility (Sources §2.6), not Guangdong Power Grid: the province's
            # utility commitments do not apply here, and the decision warns of it.
            utility=("深圳供电局", "Shenzhen Power Supply Bureau"),
        ),
    ],
    files=["rules.toml"],
)
