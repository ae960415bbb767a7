"""Guangdong province (广东省): the province-wide 获得电力 measures of Guangdong Power Grid."""

from __future__ import annotations

from gridconnect.plugins.packaged import PackagedRules, jurisdiction

__all__ = ["plugin"]

plugin = PackagedRules(
    __name__,
    jurisdictions=[
        jurisdiction(
            "440000",
            "广东省",
            "Guangdong",
            "guangdong",
            parent="CN",
            aliases=["gd"],
            # The serving utility of the province, unless a city declares its own (Shenzhen is
            # served by 深圳供电局, Sources §2.6): Guangdong Power Grid's commitments apply only
            # where it serves.
            utility=("广东电网有限责任公司", "Guangdong Power Grid"),
        )
    ],
)
