"""Zhongshan (中山市): parallel approval and filing of external works, with urban-renewal guidance."""

from __future__ import annotations

from gridconnect.plugins.packaged import PackagedRules, jurisdiction

__all__ = ["plugin"]

plugin = PackagedRules(
    __name__,
    jurisdictions=[jurisdiction("442000", "中山市", "Zhongshan", "zhongshan", parent="440000")],
)
