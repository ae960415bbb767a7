"""Foshan (佛山市): 一日达 for simple low-voltage cases, same-day steps for typical high-voltage cases."""

from __future__ import annotations

from gridconnect.plugins.packaged import PackagedRules, jurisdiction

__all__ = ["plugin"]

plugin = PackagedRules(
    __name__,
    jurisdictions=[jurisdiction("440600", "佛山市", "Foshan", "foshan", parent="440000")],
)
