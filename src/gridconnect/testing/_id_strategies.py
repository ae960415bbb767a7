"""Hypothesis strategies for the identifiers in :mod:`gridconnect.model.identifiers`.

Every strategy builds values the way the standards do, computing the check characters, so each
drawn value is valid by construction and shrinks towards simple codes.

>>> from hypothesis import find
>>> find(division_codes(), lambda code: code.level == "county").level
'county'
"""

from __future__ import annotations

import datetime as _dt

from hypothesis import strategies as st

from gridconnect.model.identifiers import (
    CREDIT_CODE_ALPHABET,
    KNOWN_DIVISIONS,
    PROVINCE_CODES,
    CreditCode,
    DivisionCode,
    ResidentId,
    credit_code_check_char,
    organisation_code_check_char,
    resident_id_check_char,
)

__all__ = ["credit_codes", "division_codes", "resident_ids"]

_PROVINCES = sorted(PROVINCE_CODES)
_DIGITS = "0123456789"


def _two_digits(low: int) -> st.SearchStrategy[str]:
    return st.integers(min_value=low, max_value=99).map(lambda n: f"{n:02d}")


@st.composite
def _synthetic_division(draw: st.DrawFn) -> str:
    """A well-formed code that may not exist: a real province, then any valid lower levels."""
    province = draw(st.sampled_from(_PROVINCES))
    level = draw(st.sampled_from(("province", "prefecture", "county")))
    if level == "province":
        return province + "0000"
    prefecture = draw(_two_digits(1))
    county = "00" if level == "prefecture" else draw(_two_digits(1))
    return province + prefecture + county


def division_codes() -> st.SearchStrategy[DivisionCode]:
    """Valid :class:`DivisionCode` values: codes from the table and synthetic well-formed ones."""
    known = st.sampled_from(sorted(KNOWN_DIVISIONS))
    return st.one_of(known, _synthetic_division()).map(DivisionCode)


@st.composite
def _credit_code_text(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from(CREDIT_CODE_ALPHABET))
    entity_type = draw(st.sampled_from(CREDIT_CODE_ALPHABET))
    division = draw(st.text(alphabet=_DIGITS, min_size=6, max_size=6))
    body = draw(st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=8, max_size=8))
    first17 = authority + entity_type + division + body + organisation_code_check_char(body)
    return first17 + credit_code_check_char(first17)


def credit_codes() -> st.SearchStrategy[CreditCode]:
    """Valid :class:`CreditCode` values, both check characters computed."""
    return _credit_code_text().map(CreditCode)


@st.composite
def _resident_id_text(draw: st.DrawFn) -> str:
    province = draw(st.sampled_from(_PROVINCES))
    rest_of_division = draw(st.text(alphabet=_DIGITS, min_size=4, max_size=4))
    born = draw(st.dates(min_value=_dt.date(1900, 1, 1), max_value=_dt.date.today()))
    sequence = draw(st.text(alphabet=_DIGITS, min_size=3, max_size=3))
    birth = f"{born.year:04d}{born.month:02d}{born.day:02d}"
    first17 = province + rest_of_division + birth + sequence
    return first17 + resident_id_check_char(first17)


def resident_ids() -> st.SearchStrategy[ResidentId]:
    """Valid :class:`ResidentId` values: real province, real birth date, correct check."""
    return _resident_id_text().map(ResidentId)
