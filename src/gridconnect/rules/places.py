"""Finding the jurisdiction a person means: by code, alias, any division code or Chinese name.

:meth:`Catalogue.jurisdiction <gridconnect.rules.catalogue.Catalogue.jurisdiction>` knows the
jurisdictions that make rules by their code and alias. People also name a place that makes no
rules of its own (天河区, ``440106``, 北京市): :func:`find_jurisdiction` walks such a division up
to the nearest jurisdiction with rules, exactly as :func:`~gridconnect.decide.evaluate.evaluate` does for an
application's site (:meth:`Catalogue.chain_for_division
<gridconnect.rules.catalogue.Catalogue.chain_for_division>`), and reads Chinese names, whole
(广州市黄埔区, 广东省广州市黄埔区) or without the 省/市/区/县 of each level (广州黄埔, 黄埔).

>>> from gridconnect import default_registry
>>> catalogue = default_registry().catalogue
>>> find_jurisdiction(catalogue, "广州市黄埔区").jurisdiction.alias
'guangzhou/huangpu'
>>> found = find_jurisdiction(catalogue, "440106")  # 天河区: no rules of its own
>>> found.jurisdiction.alias, found.division
('guangzhou', '440106')
>>> find_jurisdiction(catalogue, "北京市").jurisdiction.alias
'cn'
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import attrs

from gridconnect.errors import FieldValueError, RuleDataError
from gridconnect.model.identifiers import KNOWN_DIVISIONS, DivisionCode
from gridconnect.rules.catalogue import Catalogue, Jurisdiction

__all__ = ["Found", "find_jurisdiction", "zh_names"]

_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "省", "市", "区", "县")


@attrs.frozen(kw_only=True)
class Found:
    """The jurisdiction a name stands for, and the division walked up from, if any."""

    #: The jurisdiction whose rulebook applies.
    jurisdiction: Jurisdiction
    #: The GB/T 2260 code the name stood for when it is not the jurisdiction itself (a place
    #: with no rules of its own, walked up to ``jurisdiction``); None otherwise.
    division: str | None = None

    @property
    def walked(self) -> bool:
        """Whether the name was a division below (or outside) the jurisdiction found."""
        return self.division is not None and self.division != self.jurisdiction.code

    def place_name(self) -> str:
        """The place named, for a message: the division code with its Chinese name when known
        (``440106 天河区``), else the jurisdiction's code and name."""
        if self.division is None:
            return f"{self.jurisdiction.code} {self.jurisdiction.name.zh}"
        name = KNOWN_DIVISIONS.get(self.division, ("",))[0]
        return f"{self.division} {name}".strip()


def _short(name: str) -> str:
    """``name`` without its level suffix (广州市 → 广州), if two characters or more remain."""
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def zh_names(chain: Sequence[str]) -> set[str]:
    """Every way to write the place at the end of ``chain`` (its Chinese names, most general
    first): the names of the last levels run together, each whole or without its suffix.

    >>> sorted(zh_names(["广州市", "黄埔区"]))
    ['广州市黄埔', '广州市黄埔区', '广州黄埔', '广州黄埔区', '黄埔', '黄埔区']
    """
    names: set[str] = set()
    for start in range(len(chain)):
        levels = [{n, _short(n)} for n in chain[start:]]
        names.update("".join(parts) for parts in itertools.product(*levels))
    return names


def _index(catalogue: Catalogue) -> dict[str, set[tuple[str, str | None]]]:
    """Chinese name -> (jurisdiction code, division code or None) for every name it can have."""
    index: dict[str, set[tuple[str, str | None]]] = {}

    def add(names: Iterable[str], target: tuple[str, str | None]) -> None:
        for name in names:
            index.setdefault(name, set()).add(target)

    for j in catalogue.jurisdictions.values():
        add(zh_names([x.name.zh for x in catalogue.chain(j.code)]), (j.code, None))
    direct = set(index)
    for code in KNOWN_DIVISIONS:
        chain = [KNOWN_DIVISIONS[d.value][0] for d in DivisionCode(code).chain()]
        leaf = catalogue.chain_for_division(code)[-1]
        # A jurisdiction's own name wins over a division that shares it.
        add((n for n in zh_names(chain) if n not in direct), (leaf.code, code))
    return index


def find_jurisdiction(catalogue: Catalogue, name: str) -> Found:
    """The jurisdiction ``name`` stands for: a code or alias (``440112``,
    ``guangzhou/huangpu``), any GB/T 2260 division code (walked up to the nearest jurisdiction
    with rules, the nation at last), or a Chinese name (``广州市黄埔区``, ``黄埔区``, ``天河区``).

    Raises :class:`~gridconnect.errors.RuleDataError`, in English and Chinese, for a name that
    is none of these, or a Chinese name that two places share (naming both)."""
    text = name.strip()
    try:
        return Found(jurisdiction=catalogue.jurisdiction(text))
    except RuleDataError as unknown:
        if text.isascii() and text.isdigit():
            try:
                code = DivisionCode(text).value
            except FieldValueError as error:
                raise RuleDataError(
                    f"{text!r} is not a jurisdiction: {error.en}",
                    f"{text!r} 不是辖区：{error.zh}",
                ) from None
            return Found(jurisdiction=catalogue.chain_for_division(code)[-1], division=code)
        if text.isascii():
            raise unknown from None
    targets = _index(catalogue).get("".join(text.split()), set())
    if len(targets) == 1:
        ((code, division),) = targets
        return Found(jurisdiction=catalogue.jurisdictions[code], division=division)
    if not targets:
        raise RuleDataError(
            f"unknown place {text!r}: give a jurisdiction's code or alias (gridconnect "
            "jurisdictions), a division code (440106) or a Chinese name (广州市天河区)",
            f"未知地名 {text!r}：请给出辖区代码或别名（gridconnect jurisdictions）、行政区划代码"
            "（如 440106）或中文地名（如 广州市天河区）",
        )
    places = ", ".join(
        sorted(
            f"{division or code} {catalogue.jurisdictions[code].alias}"
            for code, division in targets
        )
    )
    raise RuleDataError(
        f"{text!r} names more than one place ({places}); give the code or the full name",
        f"{text!r} 对应多个地方（{places}）；请给出代码或完整名称",
    )
