"""Dongguan (东莞市): the 410-item completion-inspection standard and customer self-inspection."""

from __future__ import annotations

from gridconnect.plugins.packaged import PackagedRules, jurisdiction

__all__ = ["plugin"]

plugin = PackagedRules(
    __name__,
    jurisdictions=[jurisdiction("441900", "东莞市", "Dongguan", "dongguan", parent="440000")],
)
