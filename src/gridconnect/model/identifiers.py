"""Validated Chinese identifiers: credit codes, resident ID numbers and division codes.

Each class wraps one string, normalised (surrounding whitespace stripped, letters upper-cased)
and then checked against its national standard, check characters included. Invalid input raises
:class:`~gridconnect.errors.FieldValueError` with a bilingual message that says *why* the value
is wrong and never repeats the value.

>>> CreditCode(" 91110000600037341l ")
CreditCode('91110000600037341L')
>>> DivisionCode("440106").name_en
'Tianhe District'
>>> ResidentId("11010519491231002x")
ResidentId('1101************2X')
"""

from __future__ import annotations

import datetime as _dt
import operator
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, Self

import attrs

from gridconnect.errors import FieldValueError

__all__ = [
    "CREDIT_CODE_ALPHABET",
    "KNOWN_DIVISIONS",
    "PROVINCE_CODES",
    "CreditCode",
    "DivisionCode",
    "DivisionLevel",
    "ResidentId",
    "credit_code_check_char",
    "organisation_code_check_char",
    "resident_id_check_char",
]

_DIGITS = "0123456789"

# --------------------------------------------------------------------------------------------
# GB/T 2260 administrative divisions
# --------------------------------------------------------------------------------------------

#: The first two digits of every province-level division (GB/T 2260): 31 mainland provinces,
#: autonomous regions and municipalities, plus Taiwan, Hong Kong and Macao.
PROVINCE_CODES: frozenset[str] = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    }
)

#: A small, hand-checked part of GB/T 2260: code -> (Chinese name, English name).
#: It is not the whole standard: a well-formed code missing here is still a valid code.
KNOWN_DIVISIONS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        # Province-level divisions.
        "110000": ("北京市", "Beijing Municipality"),
        "120000": ("天津市", "Tianjin Municipality"),
        "130000": ("河北省", "Hebei Province"),
        "140000": ("山西省", "Shanxi Province"),
        "150000": ("内蒙古自治区", "Inner Mongolia Autonomous Region"),
        "210000": ("辽宁省", "Liaoning Province"),
        "220000": ("吉林省", "Jilin Province"),
        "230000": ("黑龙江省", "Heilongjiang Province"),
        "310000": ("上海市", "Shanghai Municipality"),
        "320000": ("江苏省", "Jiangsu Province"),
        "330000": ("浙江省", "Zhejiang Province"),
        "340000": ("安徽省", "Anhui Province"),
        "350000": ("福建省", "Fujian Province"),
        "360000": ("江西省", "Jiangxi Province"),
        "370000": ("山东省", "Shandong Province"),
        "410000": ("河南省", "Henan Province"),
        "420000": ("湖北省", "Hubei Province"),
        "430000": ("湖南省", "Hunan Province"),
        "440000": ("广东省", "Guangdong Province"),
        "450000": ("广西壮族自治区", "Guangxi Zhuang Autonomous Region"),
        "460000": ("海南省", "Hainan Province"),
        "500000": ("重庆市", "Chongqing Municipality"),
        "510000": ("四川省", "Sichuan Province"),
        "520000": ("贵州省", "Guizhou Province"),
        "530000": ("云南省", "Yunnan Province"),
        "540000": ("西藏自治区", "Xizang Autonomous Region"),
        "610000": ("陕西省", "Shaanxi Province"),
        "620000": ("甘肃省", "Gansu Province"),
        "630000": ("青海省", "Qinghai Province"),
        "640000": ("宁夏回族自治区", "Ningxia Hui Autonomous Region"),
        "650000": ("新疆维吾尔自治区", "Xinjiang Uygur Autonomous Region"),
        "710000": ("台湾省", "Taiwan Province"),
        "810000": ("香港特别行政区", "Hong Kong Special Administrative Region"),
        "820000": ("澳门特别行政区", "Macao Special Administrative Region"),
        # Guangdong: Guangzhou and its eleven districts.
        "440100": ("广州市", "Guangzhou City"),
        "440103": ("荔湾区", "Liwan District"),
        "440104": ("越秀区", "Yuexiu District"),
        "440105": ("海珠区", "Haizhu District"),
        "440106": ("天河区", "Tianhe District"),
        "440111": ("白云区", "Baiyun District"),
        "440112": ("黄埔区", "Huangpu District"),
        "440113": ("番禺区", "Panyu District"),
        "440114": ("花都区", "Huadu District"),
        "440115": ("南沙区", "Nansha District"),
        "440117": ("从化区", "Conghua District"),
        "440118": ("增城区", "Zengcheng District"),
        # Shenzhen.
        "440300": ("深圳市", "Shenzhen City"),
        # Zhuhai.
        "440400": ("珠海市", "Zhuhai City"),
        "440402": ("香洲区", "Xiangzhou District"),
        "440403": ("斗门区", "Doumen District"),
        "440404": ("金湾区", "Jinwan District"),
        # Foshan.
        "440600": ("佛山市", "Foshan City"),
        "440604": ("禅城区", "Chancheng District"),
        "440605": ("南海区", "Nanhai District"),
        "440606": ("顺德区", "Shunde District"),
        "440607": ("三水区", "Sanshui District"),
        "440608": ("高明区", "Gaoming District"),
        # Zhaoqing.
        "441200": ("肇庆市", "Zhaoqing City"),
        "441202": ("端州区", "Duanzhou District"),
        "441203": ("鼎湖区", "Dinghu District"),
        "441204": ("高要区", "Gaoyao District"),
        "441223": ("广宁县", "Guangning County"),
        "441224": ("怀集县", "Huaiji County"),
        "441225": ("封开县", "Fengkai County"),
        "441226": ("德庆县", "Deqing County"),
        "441284": ("四会市", "Sihui City"),
        # Qingyuan; Dongguan and Zhongshan (prefecture-level cities without counties).
        "441800": ("清远市", "Qingyuan City"),
        "441900": ("东莞市", "Dongguan City"),
        "442000": ("中山市", "Zhongshan City"),
    }
)

DivisionLevel = Literal["province", "prefecture", "county"]


def _normalise(value: str) -> str:
    """Strip surrounding whitespace and upper-case; reject anything that is not a string."""
    if not isinstance(value, str):
        raise FieldValueError("the value must be text (a string)", "该值必须是文本（字符串）")
    return value.strip().upper()


def _first_bad_position(text: str, allowed: str) -> int | None:
    """Return the 1-based position of the first character not in *allowed*, or None."""
    if allowed is _DIGITS and text.isascii() and text.isdigit():  # the usual case, in C
        return None
    for index, char in enumerate(text, start=1):
        if char not in allowed:
            return index
    return None


def _check_division(value: str) -> None:
    """Validate a GB/T 2260 code: six ASCII digits, a real province, a well-formed hierarchy."""
    if len(value) != 6:
        raise FieldValueError(
            f"an administrative division code has 6 digits; this one has {len(value)} characters",
            f"行政区划代码应为 6 位数字，此值为 {len(value)} 位",
        )
    bad = _first_bad_position(value, _DIGITS)
    if bad is not None:
        raise FieldValueError(
            f"an administrative division code has only digits; character {bad} is not a digit",
            f"行政区划代码只能由数字组成，第 {bad} 位不是数字",
        )
    if value[:2] not in PROVINCE_CODES:
        raise FieldValueError(
            "digits 1–2 of the administrative division code are not a province-level code "
            "(GB/T 2260)",
            "行政区划代码第 1–2 位不是省级行政区代码（GB/T 2260）",
        )
    if value[2:4] == "00" and value[4:] != "00":
        raise FieldValueError(
            "digits 3–4 of the administrative division code are 00 but digits 5–6 are not: "
            "a county-level code must name its prefecture-level division (GB/T 2260)",
            "行政区划代码第 3–4 位为 00 而第 5–6 位不为 00：县级代码必须包含地级代码（GB/T 2260）",
        )


def _validate_division(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    _check_division(value)


@attrs.frozen(repr=False)
class DivisionCode:
    """An administrative division code (行政区划代码, GB/T 2260): six digits.

    Digits 1–2 name the province-level division, 3–4 the prefecture level, 5–6 the county
    level. A well-formed code with a real province prefix is accepted even when it is not in
    :data:`KNOWN_DIVISIONS`; use :meth:`known` to insist on a code from the table.

    >>> code = DivisionCode("441284")
    >>> code.level, code.name_zh
    ('county', '四会市')
    >>> [c.name_en for c in code.chain()]
    ['Guangdong Province', 'Zhaoqing City', 'Sihui City']
    >>> DivisionCode("441900").parent
    DivisionCode('440000')
    """

    #: The six-digit code, normalised (full-width digits and spaces removed).
    value: str = attrs.field(converter=_normalise, validator=_validate_division)

    @classmethod
    def known(cls, code: str, *, strict: bool = True) -> Self:
        """Build a code and, when *strict* (the default), require it to be in the table.

        With ``strict=False`` this is the plain constructor: any well-formed code is accepted.

        >>> DivisionCode.known("440300").name_zh
        '深圳市'
        >>> DivisionCode.known("440399")
        Traceback (most recent call last):
        ...
        gridconnect.errors.FieldValueError: the administrative division code is well formed \
but not in the table of known divisions / 行政区划代码格式正确，但不在已知行政区划表中
        """
        result = cls(code)
        if strict and result.value not in KNOWN_DIVISIONS:
            raise FieldValueError(
                "the administrative division code is well formed but not in the table of "
                "known divisions",
                "行政区划代码格式正确，但不在已知行政区划表中",
            )
        return result

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"

    def __str__(self) -> str:
        return self.value

    @property
    def level(self) -> DivisionLevel:
        """``"province"`` (XX0000), ``"prefecture"`` (XXXX00) or ``"county"``."""
        if self.value[2:] == "0000":
            return "province"
        if self.value[4:] == "00":
            return "prefecture"
        return "county"

    @property
    def province(self) -> DivisionCode:
        """The province-level division this code lies in (itself for a province)."""
        return DivisionCode(self.value[:2] + "0000")

    @property
    def prefecture(self) -> DivisionCode | None:
        """The prefecture-level division this code lies in; None for a province-level code."""
        if self.level == "province":
            return None
        return DivisionCode(self.value[:4] + "00")

    @property
    def parent(self) -> DivisionCode | None:
        """The division one level up: county -> prefecture -> province -> None.

        Prefecture-level cities without counties (东莞 441900, 中山 442000) are prefectures,
        so their parent is the province.
        """
        level = self.level
        if level == "province":
            return None
        if level == "prefecture":
            return self.province
        return self.prefecture

    def chain(self) -> tuple[DivisionCode, ...]:
        """The divisions from the province down to this code, both included."""
        links: list[DivisionCode] = [self]
        parent = self.parent
        while parent is not None:
            links.append(parent)
            parent = parent.parent
        return tuple(reversed(links))

    @property
    def name_zh(self) -> str | None:
        """The Chinese name from :data:`KNOWN_DIVISIONS`, or None if the code is not there."""
        entry = KNOWN_DIVISIONS.get(self.value)
        return entry[0] if entry else None

    @property
    def name_en(self) -> str | None:
        """The English name from :data:`KNOWN_DIVISIONS`, or None if the code is not there."""
        entry = KNOWN_DIVISIONS.get(self.value)
        return entry[1] if entry else None


# --------------------------------------------------------------------------------------------
# GB 32100-2015 unified social credit code
# --------------------------------------------------------------------------------------------

#: The GB 32100 character set, in value order: digits then capitals without I, O, S, V, Z.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# 3**i mod 31: every weight is non-zero mod the prime 31, so any single substituted
# character changes the weighted sum mod 31 and the check character catches it.
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def credit_code_check_char(first17: str) -> str:
    """The GB 32100 check character (position 18) for the first 17 characters.

    >>> credit_code_check_char("91110000600037341")
    'L'
    """
    total = sum(
        CREDIT_CODE_ALPHABET.index(char) * weight
        for char, weight in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def organisation_code_check_char(body: str) -> str:
    """The GB 11714 check character for an 8-character organisation code body.

    Letters count 10 for A up to 35 for Z, as GB 11714 allows the full Latin alphabet.

    >>> organisation_code_check_char("60003734")
    '1'
    """
    total = sum(
        (int(char) if char in _DIGITS else ord(char) - ord("A") + 10) * weight
        for char, weight in zip(body, _ORG_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def _validate_credit_code(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if len(value) != 18:
        raise FieldValueError(
            f"a unified social credit code has 18 characters; this one has {len(value)}",
            f"统一社会信用代码应为 18 位，此值为 {len(value)} 位",
        )
    bad = _first_bad_position(value, CREDIT_CODE_ALPHABET)
    if bad is not None:
        raise FieldValueError(
            f"character {bad} of the unified social credit code is not allowed: only digits "
            "and capital letters other than I, O, S, V and Z are used (GB 32100)",
            f"统一社会信用代码第 {bad} 位字符不合法：只能使用数字和除 I、O、S、V、Z "
            "以外的大写英文字母（GB 32100）",
        )
    bad = _first_bad_position(value[2:8], _DIGITS)
    if bad is not None:
        raise FieldValueError(
            f"character {bad + 2} of the unified social credit code is not a digit: characters "
            "3–8 are the registering authority's administrative division code",
            f"统一社会信用代码第 {bad + 2} 位不是数字：第 3–8 位是登记管理机关行政区划码",
        )
    # Some codes issued in Xiamen before 2016 reportedly fail this check although they are
    # registered (hutool issue #4119). GB 32100 requires it, so they are rejected here.
    if credit_code_check_char(value[:17]) != value[17]:
        raise FieldValueError(
            "the check character (position 18) of the unified social credit code does not "
            "match the first 17 characters (GB 32100): the code is mistyped or not a real code",
            "统一社会信用代码第 18 位校验码与前 17 位不符（GB 32100）：代码有误或并非真实代码",
        )
    # Positions 9-17 are the GB 11714 organisation code, whose own check character is
    # position 17. Enforced because every real code we checked satisfies it: 170 published
    # codes (python-stdnum's list of codes found online, including MA... codes issued after
    # 2015, L... codes and individual businesses' 92... codes) and several well-known firms'.
    if organisation_code_check_char(value[8:16]) != value[16]:
        raise FieldValueError(
            "the organisation code check character (position 17) of the unified social credit "
            "code does not match positions 9–16 (GB 11714): the code is mistyped or not real",
            "统一社会信用代码第 17 位（组织机构代码校验码）与第 9–16 位不符（GB 11714）："
            "代码有误或并非真实代码",
        )


@attrs.frozen(repr=False)
class CreditCode:
    """A unified social credit code (统一社会信用代码, GB 32100-2015) of a legal entity.

    Position 1 is the registration authority, 2 the entity type, 3–8 the registering
    authority's division code, 9–17 the organisation code (GB 11714, its own check character
    at 17) and 18 the check character. Organisation codes are public, so nothing is masked.

    >>> code = CreditCode("9144030071526726xg")
    >>> str(code)
    '9144030071526726XG'
    >>> CreditCode("9144030071526726XH")
    Traceback (most recent call last):
    ...
    gridconnect.errors.FieldValueError: the check character (position 18) of the unified \
social credit code does not match the first 17 characters (GB 32100): the code is mistyped or \
not a real code / 统一社会信用代码第 18 位校验码与前 17 位不符（GB 32100）：代码有误或并非真实代码
    """

    #: The 18-character code, normalised (upper case, full-width characters and spaces removed).
    value: str = attrs.field(converter=_normalise, validator=_validate_credit_code)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"

    def __str__(self) -> str:
        return self.value


# --------------------------------------------------------------------------------------------
# GB 11643-1999 citizen identification number
# --------------------------------------------------------------------------------------------

# 2**(17-i) mod 11 (ISO 7064 MOD 11-2): every weight is non-zero mod the prime 11 and two
# digits differ by at most 9, so any single substituted digit changes the check character.
_RESIDENT_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_CHECK = "10X98765432"
_EARLIEST_BIRTH_YEAR = 1900


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) for the first 17 digits.

    >>> resident_id_check_char("11010519491231002")
    'X'
    """
    if len(first17) != len(_RESIDENT_WEIGHTS):
        raise ValueError("the check character is computed from exactly 17 digits")
    total = sum(map(operator.mul, map(int, first17), _RESIDENT_WEIGHTS))
    return _RESIDENT_CHECK[total % 11]


def _validate_resident_id(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    # Personal data: every message says what is wrong, never which digits were given.
    if len(value) != 18:
        raise FieldValueError(
            f"a resident identity card number has 18 characters; this one has {len(value)}",
            f"居民身份证号码应为 18 位，此值为 {len(value)} 位",
        )
    bad = _first_bad_position(value[:17], _DIGITS)
    if bad is not None:
        raise FieldValueError(
            f"character {bad} of the resident identity card number is not a digit: "
            "positions 1–17 are digits",
            f"居民身份证号码第 {bad} 位不是数字：第 1–17 位只能是数字",
        )
    if value[17] not in _RESIDENT_CHECK:
        raise FieldValueError(
            "the last character of the resident identity card number must be a digit or X",
            "居民身份证号码最后一位只能是数字或 X",
        )
    if value[:2] not in PROVINCE_CODES:
        raise FieldValueError(
            "positions 1–2 of the resident identity card number are not a province-level "
            "division code (GB/T 2260)",
            "居民身份证号码第 1–2 位不是省级行政区划代码（GB/T 2260）",
        )
    try:
        born = _dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        # `from None`: the date error is dropped so no chained message can carry digits.
        raise FieldValueError(
            "positions 7–14 of the resident identity card number are not a real date (YYYYMMDD)",
            "居民身份证号码第 7–14 位不是真实存在的日期（年年年年月月日日）",
        ) from None
    if born.year < _EARLIEST_BIRTH_YEAR:
        raise FieldValueError(
            "the birth date in the resident identity card number is before 1900",
            "居民身份证号码中的出生日期早于 1900 年",
        )
    if born > _dt.date.today():
        raise FieldValueError(
            "the birth date in the resident identity card number is in the future",
            "居民身份证号码中的出生日期晚于今天",
        )
    if resident_id_check_char(value[:17]) != value[17]:
        raise FieldValueError(
            "the check character (position 18) of the resident identity card number does not "
            "match the first 17 digits (GB 11643): the number is mistyped or not real",
            "居民身份证号码第 18 位校验码与前 17 位不符（GB 11643）：号码有误或并非真实号码",
        )


@attrs.frozen(repr=False)
class ResidentId:
    """A resident identity card number (居民身份证号码, GB 11643-1999). Personal data.

    ``repr()`` and ``str()`` show only :attr:`masked`; :attr:`value` holds the clear number
    and is meant for serialisation only. Errors never contain the number.

    >>> rid = ResidentId("11010519491231002x")
    >>> str(rid), rid.masked
    ('1101************2X', '1101************2X')
    >>> rid.value
    '11010519491231002X'
    >>> ResidentId("11010519491331002X")
    Traceback (most recent call last):
    ...
    gridconnect.errors.FieldValueError: positions 7–14 of the resident identity card number \
are not a real date (YYYYMMDD) / 居民身份证号码第 7–14 位不是真实存在的日期（年年年年月月日日）
    """

    #: The 18-character number, normalised (personal data: never shown by ``repr``).
    value: str = attrs.field(converter=_normalise, validator=_validate_resident_id, repr=False)

    @property
    def masked(self) -> str:
        """The first 4 and last 2 characters, with the 12 between replaced by asterisks."""
        return self.value[:4] + "*" * (len(self.value) - 6) + self.value[-2:]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.masked!r})"

    def __str__(self) -> str:
        return self.masked
