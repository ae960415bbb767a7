"""The national floor (全国): a plugin of the core, built like any city's.

Its rules are in ``rules.toml`` beside this file, each with its citation and confidence; the
generic lifecycle of an application and of a project (the statechart every city builds on) is
in ``lifecycle.toml``.
"""

from __future__ import annotations

from gridconnect.decide.acceptance import DocumentKind
from gridconnect.plugins.packaged import PackagedRules, jurisdiction
from gridconnect.rules.model import Text

__all__ = ["plugin"]


def _kind(id: str, en: str, zh: str) -> DocumentKind:
    return DocumentKind(id=id, name=Text(en=en, zh=zh))


plugin = PackagedRules(
    __name__,
    lifecycle_files=["lifecycle.toml"],
    jurisdictions=[jurisdiction("CN", "中国", "China", "cn", parent=None, aliases=["china"])],
    document_kinds=[
        _kind("identity", "identity document of the applicant", "用电人有效身份证明"),
        _kind("property_certificate", "proof of property or right of use", "用电地址物权证明"),
        _kind("business_licence", "business licence", "营业执照"),
        _kind(
            "project_approval",
            "project approval, ratification or filing",
            "项目批准（核准、备案）文件",
        ),
        _kind("land_use_permit", "land-use planning permit", "建设用地规划许可证"),
        _kind("planning_permit", "construction-works planning permit", "建设工程规划许可证"),
        _kind("construction_permit", "construction permit", "建筑工程施工许可证"),
        _kind("load_list", "list of electrical loads", "用电设备清单"),
    ],
)
