"""Zhaoqing (肇庆市): zero-certificate counter applications from shared e-licences, and e-seals."""

from __future__ import annotations

from gridconnect.plugin import PackagedRules, jurisdiction

__all__ = ["plugin"]

plugin = PackagedRules(
    __name__,
    jurisdictions=[jurisdiction("441200", "肇庆市", "Zhaoqing", "zhaoqing", parent="440000")],
)
