"""The closed vocabularies of the model. JSON carries each member by its stable lower-case value."""

from __future__ import annotations

import enum

__all__ = [
    "ApplicantKind",
    "Area",
    "CapacityUnit",
    "Channel",
    "Crossing",
    "DocumentForm",
    "DocumentSource",
    "LayingMethod",
    "Ownership",
    "ServiceKind",
    "SupplyMode",
    "Utility",
    "VoltageLevel",
]


class ApplicantKind(enum.StrEnum):
    """Who applies. 三零 (zero visits, approvals, investment) is for residents and small/micro firms."""

    RESIDENT = "resident"  # 居民
    SMALL_MICRO_ENTERPRISE = "small_micro_enterprise"  # 小微企业
    OTHER_ENTERPRISE = "other_enterprise"  # 其他企业
    PUBLIC_INSTITUTION = "public_institution"  # 机关事业单位


class Ownership(enum.StrEnum):
    """Ownership of an organisation; the 2025 national opinion extends 零投资 to private ones."""

    PRIVATE = "private"  # 民营
    STATE = "state"  # 国有
    FOREIGN = "foreign"  # 外资
    COLLECTIVE = "collective"  # 集体
    OTHER = "other"


class Area(enum.StrEnum):
    """Urban or rural site; the 2021 national cap differed between them."""

    URBAN = "urban"  # 城镇
    RURAL = "rural"  # 农村


class ServiceKind(enum.StrEnum):
    """What is applied for (业务类型)."""

    NEW_CONNECTION = "new_connection"  # 新装
    CAPACITY_INCREASE = "capacity_increase"  # 增容
    CAPACITY_REDUCTION = "capacity_reduction"  # 减容
    TRANSFER_OF_ACCOUNT = "transfer_of_account"  # 过户
    TEMPORARY_SUPPLY = "temporary_supply"  # 临时用电


class CapacityUnit(enum.StrEnum):
    """Units of requested capacity. kW (active) and kVA (apparent) are never mixed silently."""

    KW = "kW"
    KVA = "kVA"


class VoltageLevel(enum.StrEnum):
    """Supply voltage levels (供电电压等级), 220 V to 110 kV."""

    V220 = "220V"
    V380 = "380V"
    KV10 = "10kV"
    KV20 = "20kV"
    KV35 = "35kV"
    KV110 = "110kV"

    @property
    def is_low(self) -> bool:
        """Low voltage (低压) is 220 V and 380 V; everything else is high voltage (高压)."""
        return self in (VoltageLevel.V220, VoltageLevel.V380)

    @property
    def kilovolts(self) -> float:
        return {"220V": 0.22, "380V": 0.38, "10kV": 10, "20kV": 20, "35kV": 35, "110kV": 110}[
            self.value
        ]


class SupplyMode(enum.StrEnum):
    """Single (单电源) or dual (双电源) supply; dual supply is a high-voltage arrangement."""

    SINGLE = "single"  # 单电源
    DUAL = "dual"  # 双电源


class Channel(enum.StrEnum):
    """Where the application was made: the counter or one of 网、掌、微、支、政."""

    COUNTER = "counter"  # 营业厅
    WEB = "web"  # 网
    MOBILE_APP = "mobile_app"  # 掌
    WECHAT = "wechat"  # 微
    ALIPAY = "alipay"  # 支
    GOVERNMENT_PLATFORM = "government_platform"  # 政


class DocumentForm(enum.StrEnum):
    """How a document is supplied: on paper or electronically."""

    PAPER = "paper"
    ELECTRONIC = "electronic"


class DocumentSource(enum.StrEnum):
    """Where a document came from."""

    APPLICANT = "applicant"  # provided by the applicant
    E_LICENCE = "e_licence"  # 电子证照库, shared by government systems
    TOLERANCE_LETTER = "tolerance_letter"  # 容缺受理函 standing in for it (以函代证)


class LayingMethod(enum.StrEnum):
    """How a route segment of the access works (电力接入工程) is laid."""

    OVERHEAD = "overhead"  # 架空
    DIRECT_BURIAL = "direct_burial"  # 直埋
    CABLE_TRENCH = "cable_trench"  # 电缆沟
    DUCT_BANK = "duct_bank"  # 排管
    PIPE_JACKING = "pipe_jacking"  # 顶管
    HORIZONTAL_DRILLING = "horizontal_drilling"  # 拖拉管
    BRIDGE_OR_TUNNEL = "bridge_or_tunnel"  # 利用桥梁、隧道、涵洞


class Crossing(enum.StrEnum):
    """What a route segment crosses or occupies; each may need its own permit."""

    URBAN_MAIN_ROAD = "urban_main_road"  # 城市主干道路
    SECONDARY_ROAD = "secondary_road"  # 城市次干道、支路
    PROVINCIAL_HIGHWAY = "provincial_highway"  # 省级公路
    NATIONAL_HIGHWAY = "national_highway"  # 国家级公路
    EXPRESSWAY = "expressway"  # 高速公路
    RURAL_ROAD = "rural_road"  # 县乡道
    RAILWAY = "railway"  # 铁路
    RIVER_OR_WATER_WORKS = "river_or_water_works"  # 河道、水利工程
    GREEN_SPACE = "green_space"  # 城市绿地
    TREES = "trees"  # 城市树木
    FOREST_LAND = "forest_land"  # 林地
    HERITAGE_ZONE = "heritage_zone"  # 文物保护范围
    FARM_IRRIGATION = "farm_irrigation"  # 农业灌溉水源、灌排设施


class Utility(enum.StrEnum):
    """The five utilities of the bundled request (电水气热网)."""

    ELECTRICITY = "electricity"  # 电
    WATER = "water"  # 水
    GAS = "gas"  # 气
    HEAT = "heat"  # 热
    NETWORK = "network"  # 网
