"""A synthetic corpus of applications from Guangdong, fast and the same for the same seed.

The records are built directly as JSON-shaped dicts with one :class:`random.Random` (no
hypothesis: a million records take seconds), every identifier with its check characters computed,
so each record is a valid :class:`~gridconnect.model.application.Application` unless it was asked
to be invalid (``invalid=``).

**The proportions are assumptions, not statistics.** One figure comes from a source:
Guangzhou has more than 2,000 new high-voltage applications (报装) a year, more than 90% of them
at 10 kV (南方电网广州供电局 report, 2021, as recorded in Sources §2.3 of the docs), so
:data:`HIGH_VOLTAGE_LEVELS` puts 91% of high-voltage applications at 10 kV. Every other
proportion below (applicant mix, capacities, routes, crossings, documents, channels, divisions,
dates) is illustrative, chosen to exercise the rules, and must not be quoted as a fact about
Guangdong.

>>> rows = list(iter_corpus(3, seed=7))
>>> [r["id"] for r in rows]
['SYN7-0000001', 'SYN7-0000002', 'SYN7-0000003']
>>> rows == list(iter_corpus(3, seed=7))
True
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from gridconnect.model.identifiers import (
    CREDIT_CODE_ALPHABET,
    KNOWN_DIVISIONS,
    credit_code_check_char,
    organisation_code_check_char,
    resident_id_check_char,
)

__all__ = [
    "APPLICANT_MIX",
    "CITY_WEIGHTS",
    "HIGH_VOLTAGE_LEVELS",
    "iter_corpus",
    "write_corpus",
]

#: Share of each kind of applicant (illustrative assumption).
APPLICANT_MIX: Mapping[str, float] = {
    "resident": 0.70,
    "small_micro_enterprise": 0.20,
    "other_enterprise": 0.07,
    "public_institution": 0.03,
}

#: Share of other enterprises and public institutions that ask for high voltage (illustrative).
HIGH_VOLTAGE_SHARE_OF_LARGER_USERS = 0.40

#: High-voltage levels. 10 kV at 91% follows the one sourced figure (Guangzhou, ">90% of new HV
#: applications are 10 kV", Sources §2.3); the split of the rest is illustrative.
HIGH_VOLTAGE_LEVELS: Mapping[str, float] = {"10kV": 0.91, "20kV": 0.05, "35kV": 0.03, "110kV": 0.01}

#: Weight of each prefecture-level city (the first four digits of the division code); within a
#: city the known districts are equally likely (illustrative).
CITY_WEIGHTS: Mapping[str, float] = {
    "4401": 0.35,  # 广州
    "4403": 0.15,  # 深圳
    "4406": 0.12,  # 佛山
    "4419": 0.10,  # 东莞
    "4420": 0.07,  # 中山
    "4404": 0.07,  # 珠海
    "4412": 0.08,  # 肇庆
    "4418": 0.06,  # 清远
}

_RESIDENT_NAMES = (
    "陈晓岚",
    "李明",
    "王芳",
    "张伟",
    "刘洋",
    "黄丽娟",
    "周志强",
    "吴海燕",
    "欧阳娜娜",
)
_FIRM_NAMES = (
    "禾木烘焙工作室有限公司",
    "科瑞再生材料有限公司",
    "丰和五金店",
    "端砚文创科技有限公司",
    "珠江精密制造有限公司",
    "岭南物流有限公司",
    "云山数据服务有限公司",
    "南粤食品加工厂",
)
_PUBLIC_NAMES = ("第一中学", "人民医院", "街道办事处", "图书馆", "体育中心")
_ROADS = ("开源大道", "G107 国道", "海滨路", "广园快速路", "环市东路", "S105 省道")
_LAYING = (
    ("cable_trench", 0.30),
    ("duct_bank", 0.25),
    ("direct_burial", 0.15),
    ("overhead", 0.15),
    ("pipe_jacking", 0.06),
    ("horizontal_drilling", 0.06),
    ("bridge_or_tunnel", 0.03),
)
_CROSSING = (
    ("secondary_road", 0.30),
    ("urban_main_road", 0.20),
    ("green_space", 0.12),
    ("trees", 0.10),
    ("provincial_highway", 0.06),
    ("national_highway", 0.05),
    ("rural_road", 0.05),
    ("river_or_water_works", 0.05),
    ("expressway", 0.02),
    ("railway", 0.02),
    ("farm_irrigation", 0.02),
    ("forest_land", 0.005),
    ("heritage_zone", 0.005),
)
#: Channels. Guangdong Power Grid reported a remote-channel share above 99% at an open day of
#: Zhuhai 金湾供电局 (2020-11-27, Sources §2.1), so 1% apply at the counter; the split between
#: the five remote channels is illustrative.
_CHANNEL = (
    ("mobile_app", 0.40),
    ("wechat", 0.30),
    ("web", 0.12),
    ("government_platform", 0.10),
    ("alipay", 0.07),
    ("counter", 0.01),
)
_SERVICE = (
    ("new_connection", 0.60),
    ("capacity_increase", 0.25),
    ("transfer_of_account", 0.10),
    ("temporary_supply", 0.03),
    ("capacity_reduction", 0.02),
)
_INVALID_KINDS = ("credit_code", "capacity", "date", "enum", "json", "missing")


class _Picker:
    """Weighted choice from a fixed table, by bisecting cumulative weights (fast, deterministic)."""

    def __init__(self, table: Sequence[tuple[str, float]]) -> None:
        self.values = [v for v, _ in table]
        total = 0.0
        self.cumulative: list[float] = []
        for _, w in table:
            total += w
            self.cumulative.append(total)
        self.total = total

    def __call__(self, rng: random.Random) -> str:
        x = rng.random() * self.total
        for value, bound in zip(self.values, self.cumulative, strict=True):
            if x < bound:
                return value
        return self.values[-1]


def _divisions(prefix: str | None) -> list[tuple[str, float]]:
    """Known Guangdong divisions, weighted by city (and restricted to ``prefix`` if given)."""
    table: list[tuple[str, float]] = []
    for city, weight in CITY_WEIGHTS.items():
        codes = sorted(
            c
            for c in KNOWN_DIVISIONS
            if c.startswith(city) and (c[4:] != "00" or not _has_counties(city))
        )
        table += [(c, weight / len(codes)) for c in codes]
    if prefix:
        table = [(c, w) for c, w in table if c.startswith(prefix)]
        if not table:
            raise ValueError(f"no known Guangdong division starts with {prefix!r}")
    return table


def _has_counties(city: str) -> bool:
    return any(c.startswith(city) and c[4:] != "00" for c in KNOWN_DIVISIONS)


class _Generator:
    def __init__(self, seed: int, divisions: str | None, start: date, days: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.division = _Picker(_divisions(divisions))
        self.applicant = _Picker(list(APPLICANT_MIX.items()))
        self.hv_level = _Picker(list(HIGH_VOLTAGE_LEVELS.items()))
        self.laying = _Picker(_LAYING)
        self.crossing = _Picker(_CROSSING)
        self.channel = _Picker(_CHANNEL)
        self.service = _Picker(_SERVICE)
        self.start = start
        self.days = days

    # -- identifiers, with their check characters -------------------------------------------

    def resident_id(self, division: str) -> str:
        rng = self.rng
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 65))
        first17 = f"{division}{born:%Y%m%d}{rng.randrange(1000):03d}"
        return first17 + resident_id_check_char(first17)

    def credit_code(self, division: str) -> str:
        rng = self.rng
        body = "".join(rng.choice(CREDIT_CODE_ALPHABET) for _ in range(8))
        first17 = "91" + division + body + organisation_code_check_char(body)
        return first17 + credit_code_check_char(first17)

    # -- parts of an application -------------------------------------------------------------

    def segments(self, high: bool) -> list[dict[str, Any]]:
        rng = self.rng
        count = 1 + (rng.random() < 0.4) + (high and rng.random() < 0.3)
        out: list[dict[str, Any]] = []
        for n in range(1, count + 1):
            segment: dict[str, Any] = {
                "id": f"S{n}",
                "length_m": rng.randrange(20, 1500 if high else 300),
                "laying": self.laying(rng),
            }
            crossings: list[str] = []
            for _ in range(rng.choice((0, 0, 1, 1, 2))):
                c = self.crossing(rng)
                if c not in crossings:
                    crossings.append(c)
            if crossings:
                segment["crossings"] = crossings
            if rng.random() < 0.5:
                segment["road_section"] = rng.choice(_ROADS)
            out.append(segment)
        return out

    def documents(self, kinds: Sequence[str]) -> list[dict[str, str]]:
        rng = self.rng
        docs: list[dict[str, str]] = []
        for kind in kinds:
            x = rng.random()
            source = "e_licence" if x < 0.6 else "tolerance_letter" if x < 0.65 else "applicant"
            doc = {"kind": kind, "source": source}
            if source == "applicant" and rng.random() < 0.1:
                doc["form"] = "paper"
            docs.append(doc)
        return docs

    def project(self, applied_on: date) -> dict[str, Any]:
        rng = self.rng
        day = applied_on - timedelta(days=rng.randrange(120, 600))
        out: dict[str, Any] = {}
        for name in (
            "project_approval",
            "land_use_permit",
            "planning_permit",
            "construction_permit",
        ):
            day += timedelta(days=rng.randrange(10, 90))
            if day > applied_on:
                break
            if rng.random() < 0.85:
                out[name] = day.isoformat()
        if rng.random() < 0.05:
            out["has_electricity_demand"] = False
        return out

    # -- one application ------------------------------------------------------------------------

    def application(self, index: int) -> dict[str, Any]:
        rng = self.rng
        kind = self.applicant(rng)
        division = self.division(rng)
        applied_on = self.start + timedelta(days=rng.randrange(self.days))
        service = self.service(rng)
        app: dict[str, Any] = {
            "id": f"SYN{self.seed}-{index:07d}",
            "applied_on": applied_on.isoformat(),
        }
        area = "urban" if rng.random() < 0.85 else "rural"
        high = False
        works_share = 0.05
        if kind == "resident":
            app["applicant"] = {
                "kind": kind,
                "name": rng.choice(_RESIDENT_NAMES),
                "resident_id": self.resident_id(division),
            }
            three_phase = rng.random() < 0.15
            kw = rng.choice((10, 12, 15, 20, 25, 30)) if three_phase else rng.choice((4, 6, 8, 10))
            voltage: str | None = "380V" if three_phase else "220V"
            capacity: dict[str, Any] = {"value": kw, "unit": "kW"}
            docs = self.documents(["identity", "property_certificate"][: rng.choice((1, 2))])
            simple = rng.random() < 0.8
        else:
            org = {"kind": kind, "credit_code": self.credit_code(division)}
            if kind == "public_institution":
                org["name"] = rng.choice(("广东省", "广州市", "佛山市")) + rng.choice(_PUBLIC_NAMES)
                org["ownership"] = "state"
            else:
                org["name"] = KNOWN_DIVISIONS[division][0] + rng.choice(_FIRM_NAMES)
                x = rng.random()
                org["ownership"] = "private" if x < 0.8 else "state" if x < 0.9 else "foreign"
            app["applicant"] = org
            high = (
                kind != "small_micro_enterprise"
                and rng.random() < HIGH_VOLTAGE_SHARE_OF_LARGER_USERS
            )
            if high:
                voltage = self.hv_level(rng)
                kva = rng.choice((315, 400, 500, 630, 800, 1000, 1250, 1600, 2000, 2500, 4000))
                if voltage in ("35kV", "110kV"):
                    kva *= 10
                capacity = {"value": kva, "unit": "kVA"}
                app["power_factor"] = rng.choice((0.85, 0.9, 0.9, 0.95))
                if rng.random() < 0.1:
                    app["supply_mode"] = "dual"
                works_share = 0.8
            else:
                # Low voltage, or no voltage requested (the rules then decide by capacity).
                kw = round(10 * 2 ** (rng.random() * 5.3))  # 10 to ~400 kW, log-uniform
                capacity = {"value": kw, "unit": "kW"}
                voltage = "380V" if rng.random() < 0.75 else None
                works_share = 0.25
            kinds = ["business_licence", "property_certificate"]
            if high:
                kinds += ["project_approval", "load_list"]
            docs = self.documents(kinds[: rng.randrange(1, len(kinds) + 1)])
            simple = rng.random() < (0.3 if high else 0.6)
        site: dict[str, Any] = {"division": division, "area": area}
        if rng.random() < 0.3:
            site["address"] = KNOWN_DIVISIONS[division][0] + rng.choice(_ROADS) + "（示例）"
        app["site"] = site
        app["service"] = service
        app["capacity"] = capacity
        if voltage is not None:
            app["voltage"] = voltage
        app["channel"] = self.channel(rng)
        if simple:
            app["simple_case"] = True
        app["documents"] = docs
        if high and rng.random() < 0.7:
            app["project"] = self.project(applied_on)
        if rng.random() < works_share:
            works: dict[str, Any] = {"segments": self.segments(high)}
            if rng.random() < 0.5:
                works["approval_filed_on"] = (
                    applied_on + timedelta(days=rng.randrange(1, 20))
                ).isoformat()
            app["works"] = works
        return app

    def spoil(self, app: dict[str, Any]) -> dict[str, Any] | str:
        """Make one record invalid in one of a few realistic ways."""
        how = self.rng.choice(_INVALID_KINDS)
        if how == "credit_code" and "credit_code" in app["applicant"]:
            code = app["applicant"]["credit_code"]
            app["applicant"]["credit_code"] = code[:-1] + ("0" if code[-1] != "0" else "1")
        elif how == "capacity":
            app["capacity"]["value"] = -abs(app["capacity"]["value"])
        elif how == "date":
            app["applied_on"] = app["applied_on"][:5] + "13-01"
        elif how == "enum":
            app["service"] = "new-connection"
        elif how == "json":
            return json.dumps(app, ensure_ascii=False)[:-1]  # truncated: not JSON
        else:
            del app["site"]
        return app


def iter_corpus(
    n: int,
    *,
    seed: int = 0,
    divisions: str | None = None,
    start: date = date(2024, 7, 1),
    days: int = 730,
    invalid: float = 0.0,
) -> Iterator[dict[str, Any] | str]:
    """``n`` synthetic applications as JSON-shaped dicts, the same for the same arguments.

    ``divisions`` keeps only the known Guangdong divisions whose code starts with it (``"4401"``
    for Guangzhou); application dates are spread over ``days`` days from ``start``; a share
    ``invalid`` of the records is made invalid on purpose (a bad check character, a negative
    capacity, a 13th month, an unknown value, a missing site, or a line that is not JSON, which
    is then yielded as text).
    """
    gen = _Generator(seed, divisions, start, days)
    spoil = random.Random(seed ^ 0x5EED)
    for index in range(1, n + 1):
        app = gen.application(index)
        if invalid and spoil.random() < invalid:
            yield gen.spoil(app)
        else:
            yield app


def write_corpus(path: str | Path, n: int, **options: Any) -> int:
    """Write ``n`` synthetic applications to ``path``: JSON Lines, or CSV / Parquet by suffix
    (the flat form of ``gridconnect.batch.formats``). Returns the number written."""
    from gridconnect.batch.formats import write_records

    return write_records(path, iter_corpus(n, **options))
