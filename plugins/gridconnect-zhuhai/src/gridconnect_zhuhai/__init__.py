"""Zhuhai (珠海市): Hengqin (横琴粤澳深度合作区) measures, as notes only (Hengqin has no division code)."""

from __future__ import annotations

from gridconnect.plugins.packaged import PackagedRules, jurisdiction

__all__ = ["plugin"]

plugin = PackagedRules(
    __name__,
    jurisdictions=[jurisdiction("440400", "珠海市", "Zhuhai", "zhuhai", parent="440000")],
)
