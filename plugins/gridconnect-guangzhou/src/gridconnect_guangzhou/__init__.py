"""Guangzhou (广州市), with the Huangpu (黄埔区) and Nansha (南沙区) development zones."""

from __future__ import annotations

from gridconnect.plugin import PackagedRules, jurisdiction

__all__ = ["plugin"]

plugin = PackagedRules(
    __name__,
    jurisdictions=[
        jurisdiction("440100", "广州市", "Guangzhou", "guangzhou", parent="440000", aliases=["gz"]),
        jurisdiction("440112", "黄埔区", "Huangpu District", "guangzhou/huangpu", parent="440100"),
        jurisdiction("440115", "南沙区", "Nansha District", "guangzhou/nansha", parent="440100"),
    ],
    files=["guangzhou.toml", "huangpu.toml", "nansha.toml"],
)
