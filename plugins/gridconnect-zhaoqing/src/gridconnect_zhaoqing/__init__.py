"""Zhaoqing (肇庆市): zero-certificate counter applications from shared e-licences, e-seals, and
the electricity-water-gas one-stop platform."""

from __future__ import annotations

from datetime import date

from gridconnect.decide.bundle import UtilityRequirement
from gridconnect.model.enums import Utility
from gridconnect.plugins.packaged import PackagedRules, jurisdiction
from gridconnect.rules.model import Citation, Confidence, IssuerKind, Text

__all__ = ["plugin"]

_PLATFORM_CITATION = Citation(
    title="南方电网：打造更具吸引力的用电营商环境",
    issuer="广东电网有限责任公司",
    confidence=Confidence.SOURCE_ARTICLE,
    issuer_kind=IssuerKind.UTILITY,
    note="Paraphrase, not a quote (the article's wording is not recorded in the sources page): "
    "Zhaoqing Power Supply Bureau uses e-seals on the Zhaoqing electricity-water-gas one-stop "
    "platform. Source article only [U] (Sources §2.8); in force from 2022-03-11, the article's "
    "date (Sources §2.0). The article names the platform and its e-seals, not the fields or "
    "documents each utility asks for, so none are listed.",
)
_PLATFORM = Text(
    en="Zhaoqing electricity-water-gas one-stop public service platform (with e-seals)",
    zh="肇庆电水气一站式公共服务平台（电子印章）",
)

plugin = PackagedRules(
    __name__,
    jurisdictions=[jurisdiction("441200", "肇庆市", "Zhaoqing", "zhaoqing", parent="440000")],
    utility_requirements=[
        UtilityRequirement(
            jurisdiction="441200",
            utility=utility,
            offered=True,
            provider=provider,
            citation=_PLATFORM_CITATION,
            platform=_PLATFORM,
            note=_PLATFORM_CITATION.note,
            effective_from=date(2022, 3, 11),
        )
        for utility, provider in (
            (Utility.WATER, Text(en="the water supply enterprise serving the site", zh="供水企业")),
            (Utility.GAS, Text(en="the gas enterprise serving the site", zh="燃气企业")),
        )
    ],
)
