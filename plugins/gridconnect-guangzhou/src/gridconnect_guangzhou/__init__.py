"""Guangzhou (广州市), with the Huangpu (黄埔区) and Nansha (南沙区) development zones."""

from __future__ import annotations

from datetime import date

from gridconnect.decide.bundle import FieldSpec, UtilityRequirement
from gridconnect.model.enums import Utility
from gridconnect.plugins.packaged import PackagedRules, jurisdiction
from gridconnect.rules.model import Citation, Confidence, IssuerKind, Text

__all__ = ["plugin"]

_WORK_PLAN_2020 = Citation(
    title="Work Plan for Promoting Collaborative Application of Enterprise Consumers for "
    "Electricity, Water and Gas Supply",
    issuer="广州市工业和信息化局、广州市水务局、广州市城市管理和综合执法局",
    date=date(2020, 12, 16),
    url="http://gxj.gz.gov.cn/zt/dlys/english/pd/content/post_8338696.html",
    confidence=Confidence.PRIMARY,
    note="[P] Official English translation; the operative text was cut off in the copy read.",
)
_JOINT_NETWORK_2025 = Citation(
    title="广州“电水气网”联合报装（南网在线“联合新装”）报道",
    issuer="feifmx.com",
    date=date(2025, 1, 27),
    url="https://feifmx.com/socialgd/10000169/20250127/47914509_all.html",
    confidence=Confidence.PRESS,
    quote="电水气网",
)
_ARTICLE_HUANGPU = Citation(
    title="南方电网：打造更具吸引力的用电营商环境",
    issuer="广东电网有限责任公司",
    confidence=Confidence.SOURCE_ARTICLE,
    issuer_kind=IssuerKind.UTILITY,
    note="Paraphrase, not a quote (the article's wording is not recorded in the sources page): "
    "Huangpu is the pilot of an integrated 电水气热网 online joint service platform: one platform, "
    "one set of documents, one form, one-click confirmation, and the five services handled at "
    "once (一次办). In force from 2022-03-11, the article's date (Sources §2.0).",
)
_FIELD_NOTE = (
    "The sources name no fields or documents per utility (only 一套资料, one set of documents); "
    "gridconnect asks for the one figure a provider needs to size the connection."
)


def _demand(name: str, en: str, zh: str) -> tuple[FieldSpec, ...]:
    return (FieldSpec(name=name, title=Text(en=en, zh=zh)),)


_FIELDS = {
    Utility.WATER: _demand(
        "daily_use_m3", "expected daily water use, m³", "预计日用水量（立方米）"
    ),
    Utility.GAS: _demand(
        "hourly_use_m3", "expected hourly gas use, m³", "预计小时用气量（立方米）"
    ),
    Utility.HEAT: _demand("heat_load_kw", "heat load, kW", "热负荷（千瓦）"),
    Utility.NETWORK: _demand("bandwidth_mbps", "bandwidth, Mbit/s", "带宽（兆比特每秒）"),
}
_PROVIDERS = {
    Utility.WATER: Text(en="the water supply enterprise serving the site", zh="供水企业"),
    Utility.GAS: Text(en="the gas enterprise serving the site", zh="燃气企业"),
    Utility.HEAT: Text(en="the heat supply enterprise serving the site", zh="供热企业"),
    Utility.NETWORK: Text(en="the telecommunications operator chosen", zh="通信运营商"),
}
_PLATFORM = Text(
    en="Huangpu 电水气热网 joint online service platform", zh="黄埔区“电水气热网”线上联合服务平台"
)


def _offer(code: str, utility: Utility, citation: Citation) -> UtilityRequirement:
    # A source-article service has no date of its own: it takes the article's (Sources §2.0).
    start = date(2022, 3, 11) if citation.date is None else None
    return UtilityRequirement(
        effective_from=start,
        jurisdiction=code,
        utility=utility,
        offered=True,
        provider=_PROVIDERS[utility],
        fields=_FIELDS[utility],
        citation=citation,
        platform=_PLATFORM if code == "440112" else None,
        note=_FIELD_NOTE,
    )


plugin = PackagedRules(
    __name__,
    jurisdictions=[
        jurisdiction("440100", "广州市", "Guangzhou", "guangzhou", parent="440000", aliases=["gz"]),
        jurisdiction("440112", "黄埔区", "Huangpu District", "guangzhou/huangpu", parent="440100"),
        jurisdiction("440115", "南沙区", "Nansha District", "guangzhou/nansha", parent="440100"),
    ],
    files=["guangzhou.toml", "huangpu.toml", "nansha.toml"],
    lifecycle_files=["lifecycle.toml"],
    utility_requirements=[
        _offer("440100", Utility.WATER, _WORK_PLAN_2020),
        _offer("440100", Utility.GAS, _WORK_PLAN_2020),
        _offer("440100", Utility.NETWORK, _JOINT_NETWORK_2025),
        *(_offer("440112", u, _ARTICLE_HUANGPU) for u in _FIELDS),
    ],
)
