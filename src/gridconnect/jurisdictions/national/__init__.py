"""The national floor (全国): a plugin of the core, written with the same hooks as any city.

Its rules are in ``rules.toml`` beside this file, each with its citation and confidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files

from gridconnect.documents import DocumentKind
from gridconnect.hookspecs import hookimpl
from gridconnect.rules.catalogue import Jurisdiction
from gridconnect.rules.loader import RuleSource, parse_rules
from gridconnect.rules.model import Text

__all__ = ["gridconnect_document_kinds", "gridconnect_jurisdictions", "gridconnect_rule_sources"]


@hookimpl
def gridconnect_jurisdictions() -> Sequence[Jurisdiction]:
    return [
        Jurisdiction(code="CN", name=Text(en="China", zh="中国"), alias="cn", aliases=("china",))
    ]


@hookimpl
def gridconnect_rule_sources() -> Sequence[RuleSource]:
    import tomllib

    resource = files(__package__).joinpath("rules.toml")
    return [parse_rules(tomllib.loads(resource.read_text("utf-8")), f"{__package__}/rules.toml")]


@hookimpl
def gridconnect_document_kinds() -> Sequence[DocumentKind]:
    def kind(id: str, en: str, zh: str) -> DocumentKind:
        return DocumentKind(id=id, name=Text(en=en, zh=zh))

    return [
        kind("identity", "identity document of the applicant", "用电人有效身份证明"),
        kind("property_certificate", "proof of property or right of use", "用电地址物权证明"),
        kind("business_licence", "business licence", "营业执照"),
        kind(
            "project_approval",
            "project approval, ratification or filing",
            "项目批准（核准、备案）文件",
        ),
        kind("land_use_permit", "land-use planning permit", "建设用地规划许可证"),
        kind("planning_permit", "construction-works planning permit", "建设工程规划许可证"),
        kind("construction_permit", "construction permit", "建筑工程施工许可证"),
        kind("load_list", "list of electrical loads", "用电设备清单"),
    ]
