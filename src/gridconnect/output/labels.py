"""One vocabulary: the Chinese and English label of every slot, value, document kind, permit,
service, stage, note, unit, outcome and fact, for every renderer.

The core vocabulary is :data:`VOCABULARY`, declared here beside the slots
(:mod:`gridconnect.rules.slots`) and the facts (:mod:`gridconnect.rules.facts`). Plugins add the
labels of the names they introduce (``permit.highway_crossing``, ``service.online_web``,
``note.four_ways``, ``stage.connection``) through the ``gridconnect_labels`` hook; a plugin built
with :class:`gridconnect.plugins.packaged.PackagedRules` ships them as ``labels.toml`` in its package::

    [permit]
    highway_crossing = { zh = "跨越、穿越公路审批", en = "crossing a highway" }

Document kinds are labelled by their :class:`~gridconnect.decide.acceptance.DocumentKind` name.

Keys, all in one flat mapping:

* a slot or a member of a slot family as it is written in rules: ``track``, ``approval.mode``,
  ``stage.whole_process``, ``permit.traffic_plan``, ``service.online_web``, ``note.four_ways``;
* ``family:<family>``: the family as a heading (``family:permit`` → 许可 / permits);
* ``value:<slot or family>=<value>``: an enumerated value (``value:track=three_zero``);
* ``unit:<unit>``: a time-limit unit (the English label is the singular; plurals add ``s``);
* ``outcome:<outcome>``: what became of a rule in the trace;
* ``confidence:<confidence>``: how sure a source is;
* ``issuer_kind:<kind>``: who says it (government regulation, utility commitment, advocacy);
* ``fact:<path>`` and ``value:<path>=<value>``: the application facts that conditions read
  (``fact:voltage.requested``, ``value:voltage.requested=10kV``); a boolean fact has
  ``fact:<path>=true`` and ``fact:<path>=false``, a sentence each;
* ``step:<step>``: a step of the joint schedule of a bundled request;
* ``utility:<utility>``: a utility of a bundled request;
* ``jurisdiction:<code>``: a jurisdiction's name, ``param:<name>`` a parameter's title and
  ``param-unit:<name>`` its unit (from the registry's catalogue).

>>> labels = Labels()
>>> labels.slot("track", "zh"), labels.value("track", "three_save", "en")
('服务类型', '三省 (save effort, time, money)')
>>> labels.limit(Limit(amount=1), "en"), labels.limit(Limit(amount=2), "en")
('1 working day', '2 working days')
"""

from __future__ import annotations

import os
import re
import threading
import weakref
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Literal

from gridconnect.model.enums import (
    ApplicantKind,
    Area,
    Channel,
    Crossing,
    LayingMethod,
    Ownership,
    ServiceKind,
    SupplyMode,
    Utility,
    VoltageLevel,
)
from gridconnect.rules.facts import FACTS, FactType, fact_type
from gridconnect.rules.model import IssuerKind, Limit, Text
from gridconnect.rules.slots import SLOT_FAMILIES, SLOTS

if TYPE_CHECKING:
    from gridconnect.plugins.registry import Registry

__all__ = [
    "LANGS",
    "VOCABULARY",
    "Labels",
    "Lang",
    "check_lang",
    "default_lang",
    "labels_for",
    "language_of",
]

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


def check_lang(lang: str) -> Lang:
    """``lang`` if it is ``zh`` or ``en``; otherwise a :class:`ValueError` in both languages."""
    if lang in LANGS:
        return lang
    raise ValueError(
        f"unknown language {lang!r}: use 'zh' or 'en' / 未知语言 {lang!r}：请用 zh 或 en"
    )


def default_lang(environ: Mapping[str, str] | None = None) -> Lang:
    """The language the locale asks for: ``GRIDCONNECT_LANG`` if set, else the first of
    ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set: ``zh…`` gives Chinese, any other
    language English; with no locale (or ``C``/``POSIX``) Chinese, the language of the policy.

    >>> default_lang({"LANG": "en_GB.UTF-8"}), default_lang({"LC_ALL": "zh_CN.UTF-8"})
    ('en', 'zh')
    >>> default_lang({"LANG": "C.UTF-8"}), default_lang({})
    ('zh', 'zh')
    """
    env = os.environ if environ is None else environ
    chosen = env.get("GRIDCONNECT_LANG", "").strip().lower()
    if chosen:
        return check_lang(chosen[:2])
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").strip()
        if value:
            language = value.split(".")[0].split("_")[0].lower()
            if language in ("c", "posix", ""):
                return "zh"
            return "zh" if language == "zh" else "en"
    return "zh"


def _t(zh: str, en: str) -> Text:
    return Text(zh=zh, en=en)


def _values(prefix: str, *rows: tuple[object, str, str]) -> dict[str, Text]:
    """The labels of a field's values: ``prefix=value`` for each (value, zh, en) row."""
    return {f"{prefix}={value}": _t(zh, en) for value, zh, en in rows}


_CROSSINGS = (
    (Crossing.URBAN_MAIN_ROAD, "城市主干道路", "an urban main road"),
    (Crossing.SECONDARY_ROAD, "城市次干道、支路", "a secondary road"),
    (Crossing.PROVINCIAL_HIGHWAY, "省级公路", "a provincial highway"),
    (Crossing.NATIONAL_HIGHWAY, "国家级公路", "a national highway"),
    (Crossing.EXPRESSWAY, "高速公路", "an expressway"),
    (Crossing.RURAL_ROAD, "县乡道", "a county or township road"),
    (Crossing.RAILWAY, "铁路", "a railway"),
    (Crossing.RIVER_OR_WATER_WORKS, "河道、水利工程", "a river or water works"),
    (Crossing.GREEN_SPACE, "城市绿地", "urban green space"),
    (Crossing.TREES, "城市树木", "urban trees"),
    (Crossing.FOREST_LAND, "林地", "forest land"),
    (Crossing.HERITAGE_ZONE, "文物保护范围", "a heritage protection zone"),
    (Crossing.FARM_IRRIGATION, "农业灌溉水源、灌排设施", "farm irrigation works"),
)

VOCABULARY: Mapping[str, Text] = {
    # single slots
    "track": _t("服务类型", "service track"),
    "supply": _t("供电方式", "supply"),
    "zero_investment": _t("零投资", "zero investment"),
    "investment_boundary": _t("投资界面", "investment boundary"),
    "procedure_steps": _t("办电环节", "procedures"),
    "approval.mode": _t("接入工程行政审批", "approval of the access works"),
    "approval.authority": _t("审批层级", "approved by"),
    "approval.limit": _t("审批时限", "approval time limit"),
    "approval.parallel": _t("并联审批", "parallel approval"),
    "approval.tolerance": _t("容缺受理", "acceptance with documents missing"),
    # families as headings
    "family:stage": _t("环节时限", "time limits"),
    "family:document": _t("申请材料", "documents"),
    "family:permit": _t("涉及的审批许可", "permits"),
    "family:service": _t("可用服务", "services"),
    "family:note": _t("说明", "notes"),
    # values of the single slots and of the document family
    "value:track=three_zero": _t(
        "三零（零上门、零审批、零投资）", "三零 (zero visits, approvals, investment)"
    ),
    "value:track=three_save": _t("三省（省力、省时、省钱）", "三省 (save effort, time, money)"),
    "value:track=standard": _t("常规服务", "the standard service"),
    "value:supply=low_voltage": _t("低压", "low voltage"),
    "value:supply=high_voltage": _t("高压", "high voltage"),
    "value:investment_boundary=building_zone_red_line": _t(
        "用户建筑区划红线", "the user's building-zone red line"
    ),
    "value:investment_boundary=planning_red_line": _t(
        "用户规划红线", "the user's planning red line"
    ),
    "value:investment_boundary=meter_box": _t("低压计量表箱", "the meter and meter box"),
    "value:investment_boundary=transformer_low_side": _t(
        "用户变压器低压侧", "the low-voltage side of the user's transformer"
    ),
    "value:approval.mode=exempt": _t("免审批", "exempt"),
    "value:approval.mode=filing": _t("备案", "filing only"),
    "value:approval.mode=required": _t("须审批", "required"),
    "value:approval.authority=district": _t("区级", "the district"),
    "value:approval.authority=city": _t("市级", "the city"),
    "value:approval.authority=province": _t("省级", "the province"),
    "value:document=required": _t("须提交", "required"),
    "value:document=waived": _t("免提交", "waived"),
    "value:bool=true": _t("是", "yes"),
    "value:bool=false": _t("否", "no"),
    # stages the national rules and the schedule name
    "stage.whole_process": _t("全流程办电时间", "whole process"),
    "stage.utility_steps": _t("供电企业办理时间", "the utility's own steps"),
    "stage.supply_plan": _t("答复供电方案", "supply plan"),
    "stage.connection": _t("装表接电", "connection"),
    # the acceptance (受理) of an application (gridconnect.decide.acceptance.Acceptance)
    "acceptance:status": _t("受理结果", "acceptance"),
    "acceptance:accepted": _t("材料齐全，可以受理", "accepted: nothing required is missing"),
    "acceptance:accepted_with_tolerance": _t(
        "容缺受理：部分材料以容缺受理函代替，后补", "accepted under 容缺: some documents follow"
    ),
    "acceptance:incomplete": _t("材料不全", "incomplete: documents are missing"),
    "acceptance:no_checklist": _t(
        "规则未规定本情形的材料清单，未作核对", "not checked: no rule gives a checklist here"
    ),
    # units
    "unit:working_day": _t("个工作日", "working day"),
    "unit:calendar_day": _t("个自然日", "calendar day"),
    "unit:day": _t("天", "day (天)"),
    # outcomes of a rule in the trace
    "outcome:won": _t("采用", "decides"),
    "outcome:agreed": _t("一致", "agrees"),
    "outcome:lost_to_exception": _t("被例外规则排除", "overridden by an exception"),
    "outcome:shadowed": _t("被更具体辖区的规则取代", "shadowed by a more specific jurisdiction"),
    "outcome:pending": _t("待定（取决于未知事实）", "waits on an unknown fact"),
    "outcome:unknown": _t(
        "可能适用：条件涉及未知事实", "may apply: its condition reads an unknown fact"
    ),
    # how sure a source is
    "confidence:primary": _t("原文", "primary text"),
    "confidence:press": _t("新闻报道", "press report"),
    "confidence:source-article": _t("仅见于南方电网广东文章", "the CSG Guangdong article only"),
    # who says it (Citation.issuer_kind)
    "issuer_kind:government": _t("政府规定", "government regulation"),
    "issuer_kind:utility": _t("供电企业服务承诺", "utility commitment"),
    "issuer_kind:advocacy": _t("倡议，不具约束力", "advocacy, not binding"),
    # steps of the joint schedule of a bundled request (一次办)
    "step:joint_survey": _t("联合勘察", "joint survey"),
    "step:joint_design": _t("联合设计", "joint design"),
    "step:joint_construction": _t("联合施工", "joint construction"),
    "step:joint_acceptance": _t("联合验收", "joint acceptance"),
    # utilities
    "utility:electricity": _t("电", "electricity"),
    "utility:water": _t("水", "water"),
    "utility:gas": _t("气", "gas"),
    "utility:heat": _t("热", "heat"),
    "utility:network": _t("网", "network"),
    # facts of an application, as conditions read them
    "fact:applied_on": _t("申请日期", "the application date"),
    "fact:applicant.kind": _t("申请人", "the applicant"),
    "fact:applicant.ownership": _t("所有制", "the ownership"),
    "fact:site.division": _t("用电地址行政区划", "the site's division"),
    "fact:site.area": _t("用电地址", "the site"),
    "fact:service": _t("业务类型", "the service applied for"),
    "fact:capacity.kw": _t("申请容量", "the requested capacity"),
    "fact:capacity.kva": _t("申请容量", "the requested capacity"),
    "fact:voltage.requested": _t("申请电压", "the requested voltage"),
    "fact:voltage.requested_class": _t("申请的供电电压类别", "the requested voltage class"),
    "fact:supply_mode": _t("电源", "the supply"),
    "fact:channel": _t("申请渠道", "the channel"),
    "fact:simple_case=true": _t("属简易场景", "it is a simple case"),
    "fact:simple_case=false": _t("不属简易场景", "it is not a simple case"),
    "fact:documents.kinds": _t("已提交", "the documents given include"),
    "fact:documents.e_licence": _t("电子证照库已调取", "the e-licence library holds"),
    "fact:documents.tolerance_letter=true": _t(
        "以容缺受理函代替部分材料", "a 容缺受理 letter stands in for some document"
    ),
    "fact:documents.tolerance_letter=false": _t("未提交容缺受理函", "no 容缺受理 letter is given"),
    "fact:documents.paper=true": _t("有纸质材料", "some document is on paper"),
    "fact:documents.paper=false": _t("没有纸质材料", "no document is on paper"),
    "fact:project.known=true": _t("已附政府项目信息", "government project facts are attached"),
    "fact:project.known=false": _t("未附政府项目信息", "no government project facts are attached"),
    "fact:project.has_electricity_demand=true": _t(
        "项目申报了用电需求", "the project declares electricity demand"
    ),
    "fact:project.has_electricity_demand=false": _t(
        "项目未申报用电需求", "the project declares no electricity demand"
    ),
    "fact:project.project_approval": _t("立项日期", "the project approval date"),
    "fact:project.land_use_permit": _t("用地规划许可日期", "the land-use permit date"),
    "fact:project.planning_permit": _t("工程规划许可日期", "the planning permit date"),
    "fact:project.construction_permit": _t("施工许可日期", "the construction permit date"),
    "fact:project.completion_acceptance": _t("竣工验收日期", "the completion acceptance date"),
    "fact:works.external=true": _t("需建设外线工程", "external access works are needed"),
    "fact:works.external=false": _t("无外线工程", "no external access works are needed"),
    "fact:works.length_m": _t("线路总长", "the route length"),
    "fact:works.crossings": _t("线路穿越或占用", "the route crosses"),
    "fact:works.segments": _t("线路分段", "route segment"),
    "fact:works.segments.length_m": _t("该段长度", "its length"),
    "fact:works.segments.laying": _t("敷设方式", "its laying method"),
    "fact:works.segments.crossings": _t("该段穿越或占用", "it crosses"),
    "fact:bundle.utilities": _t("一并申请", "the request also covers"),
    "value:voltage.requested_class=low": _t("低压", "low voltage"),
    "value:voltage.requested_class=high": _t("高压", "high voltage"),
    **_values(
        "value:applicant.kind",
        (ApplicantKind.RESIDENT, "居民", "a resident"),
        (ApplicantKind.SMALL_MICRO_ENTERPRISE, "小微企业", "a small or micro enterprise"),
        (ApplicantKind.OTHER_ENTERPRISE, "其他企业", "another enterprise"),
        (ApplicantKind.PUBLIC_INSTITUTION, "机关事业单位", "a public institution"),
    ),
    **_values(
        "value:applicant.ownership",
        (Ownership.PRIVATE, "民营", "private"),
        (Ownership.STATE, "国有", "state-owned"),
        (Ownership.FOREIGN, "外资", "foreign-owned"),
        (Ownership.COLLECTIVE, "集体", "collective"),
        (Ownership.OTHER, "其他", "other"),
    ),
    **_values("value:site.area", (Area.URBAN, "城镇", "urban"), (Area.RURAL, "农村", "rural")),
    **_values(
        "value:service",
        (ServiceKind.NEW_CONNECTION, "新装", "a new connection"),
        (ServiceKind.CAPACITY_INCREASE, "增容", "a capacity increase"),
        (ServiceKind.CAPACITY_REDUCTION, "减容", "a capacity reduction"),
        (ServiceKind.TRANSFER_OF_ACCOUNT, "过户", "a transfer of account"),
        (ServiceKind.TEMPORARY_SUPPLY, "临时用电", "a temporary supply"),
    ),
    **{
        f"value:voltage.requested={v}": _t(
            f"{v.kilovolts:g}千伏" if not v.is_low else f"{v.value[:-1]}伏",
            f"{v.kilovolts:g} kV" if not v.is_low else f"{v.value[:-1]} V",
        )
        for v in VoltageLevel
    },
    **_values(
        "value:supply_mode",
        (SupplyMode.SINGLE, "单电源", "a single source"),
        (SupplyMode.DUAL, "双电源", "dual sources"),
    ),
    **_values(
        "value:channel",
        (Channel.COUNTER, "营业厅", "the service counter"),
        (Channel.WEB, "网上营业厅（网）", "the website (网)"),
        (Channel.MOBILE_APP, "掌上营业厅（掌）", "the mobile app (掌)"),
        (Channel.WECHAT, "微信（微）", "WeChat (微)"),
        (Channel.ALIPAY, "支付宝（支）", "Alipay (支)"),
        (Channel.GOVERNMENT_PLATFORM, "政务服务平台（政）", "the government platform (政)"),
    ),
    **_values("value:works.crossings", *_CROSSINGS),
    **_values("value:works.segments.crossings", *_CROSSINGS),
    **_values(
        "value:works.segments.laying",
        (LayingMethod.OVERHEAD, "架空", "overhead"),
        (LayingMethod.DIRECT_BURIAL, "直埋", "direct burial"),
        (LayingMethod.CABLE_TRENCH, "电缆沟", "cable trench"),
        (LayingMethod.DUCT_BANK, "排管", "duct bank"),
        (LayingMethod.PIPE_JACKING, "顶管", "pipe jacking"),
        (LayingMethod.HORIZONTAL_DRILLING, "拖拉管", "horizontal drilling"),
        (
            LayingMethod.BRIDGE_OR_TUNNEL,
            "利用桥梁、隧道、涵洞",
            "on a bridge, in a tunnel or culvert",
        ),
    ),
    **_values(
        "value:bundle.utilities",
        (Utility.ELECTRICITY, "电", "electricity"),
        (Utility.WATER, "水", "water"),
        (Utility.GAS, "气", "gas"),
        (Utility.HEAT, "热", "heat"),
        (Utility.NETWORK, "网", "network"),
    ),
}
"""The core vocabulary (see the module docs for its keys)."""

_UNIT_SYMBOLS: Mapping[str, Text] = {
    "kW": _t("千瓦", " kW"),
    "kVA": _t("千伏安", " kVA"),
    "m": _t("米", " m"),
    "count": _t("个", ""),
}

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LETTER = re.compile(r"[A-Za-z\u3400-\u9fff\uf900-\ufaff]")


def language_of(text: str) -> Lang:
    """The language a free text (a citation's note, say) is written in: Chinese when at least a
    third of its letters are Chinese characters.

    >>> language_of("草案"), language_of("Draft for comments on 三省")
    ('zh', 'en')
    """
    letters = len(_LETTER.findall(text))
    return "zh" if letters and 3 * len(_CJK.findall(text)) >= letters else "en"


class Labels:
    """The vocabulary of one registry: :data:`VOCABULARY`, the labels its plugins add, and its
    document kinds. A name with no label is shown as the name itself (and
    :meth:`missing` lists it, which the label test checks for every installed plugin)."""

    def __init__(self, extra: Mapping[str, Text] | None = None) -> None:
        self.table: dict[str, Text] = dict(VOCABULARY)
        self.table.update(extra or {})
        self.conflicts: tuple[str, ...] = ()
        """Keys two plugins label differently (the first label is kept); a test keeps it empty."""

    def get(self, key: str) -> Text | None:
        """The label of ``key`` (see the module docs), or None."""
        return self.table.get(key)

    def text(self, key: str, lang: Lang, default: str | None = None) -> str:
        """The label of ``key`` in ``lang``; ``default`` (or the last part of the key) if none."""
        label = self.table.get(key)
        if label is None:
            return default if default is not None else key.rpartition("=")[2].rpartition(":")[2]
        return label.zh if lang == "zh" else label.en

    # slots and their values

    def slot(self, slot: str, lang: Lang) -> str:
        """The label of a slot (``approval.mode``) or a family member (``permit.traffic_plan``)."""
        label = self.table.get(slot)
        if label is not None:
            return label.zh if lang == "zh" else label.en
        family, _, name = slot.partition(".")
        if family == "document" and f"document.{name}" not in self.table:
            return name
        return name or slot

    def family(self, family: str, lang: Lang) -> str:
        """A family as a heading: ``permit`` → 涉及的审批许可 / permits."""
        return self.text(f"family:{family}", lang, family)

    def value(self, slot: str, value: object, lang: Lang) -> str:
        """A slot's value in words: enums by label, yes/no, time limits with their unit, notes
        in the reader's language."""
        if isinstance(value, Limit):
            return self.limit(value, lang)
        if isinstance(value, Text):
            return value.zh if lang == "zh" else value.en
        if isinstance(value, bool):
            return self.text(f"value:bool={'true' if value else 'false'}", lang)
        if isinstance(value, int) and slot == "procedure_steps":
            return self.count(value, "procedure", "个", lang)
        family = slot.partition(".")[0]
        for key in (f"value:{slot}={value}", f"value:{family}={value}"):
            if key in self.table:
                return self.text(key, lang)
        return str(value)

    def limit(self, limit: Limit, lang: Lang) -> str:
        """A time limit with its unit, singular or plural: ``1 working day``, ``45天``."""
        unit = limit.unit.value
        label = self.table.get(f"unit:{unit}") or _t(unit, unit.replace("_", " "))
        if lang == "zh":
            return f"{limit.amount}{label.zh}"
        en = label.en
        if limit.amount != 1:
            head, sep, tail = en.partition(" (")
            en = f"{head}s{sep}{tail}"
        return f"{limit.amount} {en}"

    def count(self, n: int, en_singular: str, zh_unit: str, lang: Lang) -> str:
        """``n`` things, singular or plural: ``1 procedure``, ``2 procedures``, ``2个环节``."""
        if lang == "zh":
            return f"{n}{zh_unit}"
        return f"{n} {en_singular}{'' if n == 1 else 's'}"

    # facts, for conditions in words

    def fact(self, path: str, lang: Lang) -> str:
        return self.text(f"fact:{path}", lang, path)

    def fact_value(self, path: str, value: object, lang: Lang) -> str:
        """A value of a fact in words: ``10kV`` → 10千伏 / 10 kV; a number with its unit."""
        if isinstance(value, bool):
            return self.text(f"value:bool={'true' if value else 'false'}", lang)
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
            value = int(value)
        if isinstance(value, int | float):
            ftype = fact_type(path)
            unit = _UNIT_SYMBOLS.get(ftype.unit or "") if ftype is not None else None
            if unit is None and ftype is not None and ftype.unit:
                unit = _t(ftype.unit, f" {ftype.unit}")
            return f"{value}{(unit.zh if lang == 'zh' else unit.en) if unit else ''}"
        if path.startswith("documents.") and isinstance(value, str):
            return self.slot(f"document.{value}", lang)
        key = f"value:{path}={value}"
        if key in self.table:
            return self.text(key, lang)
        return str(value)

    def outcome(self, outcome: str, lang: Lang) -> str:
        return self.text(f"outcome:{outcome}", lang, outcome)

    # completeness

    def missing(
        self, slots: Iterator[str] | list[str] | set[str] | frozenset[str] = frozenset()
    ) -> list[str]:
        """The keys without a label: every core slot, family, value, unit, outcome and fact,
        and each of ``slots`` (slot names rules set, e.g. from every installed plugin)."""
        keys: list[str] = []
        for slot, stype in SLOTS.items():
            keys.append(slot)
            keys += [f"value:{slot}={v}" for v in sorted(stype.values)]
        for family, stype in SLOT_FAMILIES.items():
            keys.append(f"family:{family}")
            keys += [f"value:{family}={v}" for v in sorted(stype.values)]
        keys += ["unit:working_day", "unit:calendar_day", "unit:day"]
        keys += [
            f"outcome:{o}"
            for o in ("won", "agreed", "lost_to_exception", "shadowed", "pending", "unknown")
        ]
        keys += [f"confidence:{c}" for c in ("primary", "press", "source-article")]
        keys += [f"issuer_kind:{k.value}" for k in IssuerKind]
        keys += ["acceptance:status"] + [
            f"acceptance:{s}"
            for s in ("accepted", "accepted_with_tolerance", "incomplete", "no_checklist")
        ]

        def fact_keys(path: str, ftype: FactType) -> None:
            if ftype.kind == "bool":
                keys.extend((f"fact:{path}=true", f"fact:{path}=false"))
            else:
                keys.append(f"fact:{path}")
            values = ftype.values or (ftype.item.values if ftype.item else None) or ()
            keys.extend(f"value:{path}={v}" for v in sorted(values))
            for name, field in (ftype.fields or {}).items():
                fact_keys(f"{path}.{name}", field)

        for path, ftype in FACTS.items():
            fact_keys(path, ftype)
        keys += [f"utility:{u.value}" for u in Utility]
        keys += sorted(s for s in slots if s not in SLOTS)
        return [k for k in dict.fromkeys(keys) if k not in self.table]


_cache: weakref.WeakKeyDictionary[Any, Labels] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def labels_for(registry: Registry | None = None) -> Labels:
    """The vocabulary of ``registry`` (the default registry if None): the core labels, those its
    plugins add through ``gridconnect_labels``, and its document kinds. Built once per registry."""
    if registry is None:
        from gridconnect.plugins.registry import default_registry

        registry = default_registry()
    with _lock:
        hit = _cache.get(registry)
        if hit is not None:
            return hit
    extra: dict[str, Text] = {}
    conflicts: list[str] = []
    for key, label in registry.plugin_labels:  # collected (and checked) when plugins load
        known = extra.get(key) or VOCABULARY.get(key)
        if known is not None and known != label:
            conflicts.append(f"{key}: {known} / {label}")
            continue  # the first label stands: the core's, else the first plugin's
        extra[key] = label
    for kind in registry.document_kinds.values():
        extra.setdefault(f"document.{kind.id}", kind.name)
    for code, jurisdiction in registry.catalogue.jurisdictions.items():
        extra.setdefault(f"jurisdiction:{code}", jurisdiction.name)
    for name, parameter in registry.catalogue.parameters.items():
        extra.setdefault(f"param:{name}", parameter.title)
        if parameter.unit:
            extra.setdefault(f"param-unit:{name}", _UNIT_SYMBOLS.get(parameter.unit, _t("", "")))
    labels = Labels(extra)
    labels.conflicts = tuple(conflicts)
    with _lock:
        _cache[registry] = labels
    return labels
