"""Guangdong province (广东省): the province-wide 获得电力 measures of Guangdong Power Grid."""

from __future__ import annotations

from gridconnect.plugin import PackagedRules, jurisdiction

__all__ = ["plugin"]

plugin = PackagedRules(
    __name__,
    jurisdictions=[
        jurisdiction("440000", "广东省", "Guangdong", "guangdong", parent="CN", aliases=["gd"])
    ],
)
