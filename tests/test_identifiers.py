"""Tests for the validated identifiers: credit codes, resident ID numbers, division codes.

Known-good values are real published codes (or the standard's own example); the properties
check that generated values validate, that check characters catch every single-character
substitution, and that a resident ID number never leaks into a repr, a str or an error.
"""

from __future__ import annotations

import datetime as dt
import itertools

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridconnect.errors import FieldValueError
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
from gridconnect.testing._id_strategies import credit_codes, division_codes, resident_ids

# Real codes. Most come from python-stdnum's test list of codes found online; they cover
# enterprises (91), an individual business (92), a public institution (12), organisation codes
# issued after 2015 (MA...) and an L... organisation code. The last two are the codes widely
# published for Huawei Technologies Co., Ltd. and Alibaba (China) Co., Ltd. Every one was
# confirmed by computing both check characters.
PUBLISHED_CREDIT_CODES = (
    "91110000600037341L",
    "9144030071526726XG",
    "91440300568520498A",
    "9144060573144633XL",
    "91442000696462712R",
    "91310115MA1K3BTP2B",
    "91340600MA2PBM9HXD",
    "91620105L015101280",
    "92340602MA2PBMEM24",
    "121200004013590816",
    "914403001922038216",
    "91330100716105852F",
)

# The worked example in GB 11643-1999 itself (Beijing, Chaoyang; born 1949-12-31).
STANDARD_RESIDENT_ID = "11010519491231002X"

RESIDENT_ID_ALPHABET = "0123456789"


def _error_texts(error: BaseException) -> list[str]:
    """Every text an error can show: str, repr, args, en/zh, and the same for chained errors."""
    texts: list[str] = []
    current: BaseException | None = error
    while current is not None:
        texts += [str(current), repr(current), *map(str, current.args)]
        if isinstance(current, FieldValueError):
            texts += [current.en, current.zh]
        current = current.__cause__ or current.__context__
    return texts


def _resident_id(first17: str) -> str:
    """Complete 17 digits with their correct check character."""
    return first17 + resident_id_check_char(first17)


def _credit_code(first17: str) -> str:
    """Complete 17 characters with their correct GB 32100 check character."""
    return first17 + credit_code_check_char(first17)


def _substitutions(value: str, alphabet: str, last_alphabet: str) -> list[str]:
    """Every string that differs from *value* in exactly one character, drawn from the alphabets.

    *last_alphabet* applies to the final (check) position, which may allow other characters.
    """
    variants: list[str] = []
    for index, current in enumerate(value):
        allowed = last_alphabet if index == len(value) - 1 else alphabet
        variants += [value[:index] + c + value[index + 1 :] for c in allowed if c != current]
    return variants


# --------------------------------------------------------------------------------------------
# CreditCode
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", PUBLISHED_CREDIT_CODES)
def test_published_credit_codes_are_accepted_and_print_unchanged(text: str) -> None:
    """Real codes must validate: a validator that rejects real codes is worse than none."""
    code = CreditCode(text)
    assert str(code) == text
    assert code.value == text
    assert repr(code) == f"CreditCode({text!r})"


def test_credit_code_accepts_lower_case_and_surrounding_whitespace() -> None:
    """People type codes in lower case and paste them with spaces; both normalise away."""
    assert CreditCode("  9144030071526726xg\n") == CreditCode("9144030071526726XG")


def test_credit_code_constructs_positionally_and_by_keyword() -> None:
    """The single field is not keyword-only, so both spellings build the same value."""
    assert CreditCode("91110000600037341L") == CreditCode(value="91110000600037341L")


def test_credit_code_with_wrong_check_character_is_rejected() -> None:
    """The MOD 31 check character (position 18) must match the first 17 characters."""
    with pytest.raises(FieldValueError, match="position 18"):
        CreditCode("91110000600037341M")


def test_credit_code_with_wrong_organisation_check_is_rejected() -> None:
    """The embedded GB 11714 check (position 17) is enforced even when position 18 fits."""
    first16 = "9111000060003734"
    wrong17 = "2" if organisation_code_check_char(first16[8:]) != "2" else "3"
    text = _credit_code(first16 + wrong17)
    with pytest.raises(FieldValueError, match="position 17") as caught:
        CreditCode(text)
    assert "GB 11714" in caught.value.en


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_credit_code_with_excluded_letter_is_rejected(letter: str) -> None:
    """GB 32100 never uses I, O, S, V or Z, so a code containing one is invalid."""
    text = "911100006" + letter + "0037341L"
    with pytest.raises(FieldValueError, match="character 10 ") as caught:
        CreditCode(text)
    assert "不合法" in caught.value.zh


def test_credit_code_with_letter_in_division_part_is_rejected() -> None:
    """Positions 3–8 are an administrative division code, so they must be digits."""
    with pytest.raises(FieldValueError, match=r"character 4 .*not a digit"):
        CreditCode(_credit_code("911A0000600037341"))


@pytest.mark.parametrize("text", ["", "9111000060003734", "91110000600037341", "9" * 19])
def test_credit_code_of_wrong_length_is_rejected(text: str) -> None:
    """A code has exactly 18 characters; the message gives the length, not the value."""
    with pytest.raises(FieldValueError, match="18 characters") as caught:
        CreditCode(text)
    assert f"has {len(text)}" in caught.value.en


def test_credit_code_rejects_non_text() -> None:
    """A number is not a code, even if its digits would be."""
    with pytest.raises(FieldValueError, match="string"):
        CreditCode(914403001922038216)  # type: ignore[arg-type]


def test_credit_code_is_frozen_and_slotted() -> None:
    """Identifiers are values: immutable and without a per-instance dict."""
    code = CreditCode("91110000600037341L")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        code.value = "x"  # type: ignore[misc]
    assert not hasattr(code, "__dict__")


@given(credit_codes())
def test_every_generated_credit_code_revalidates(code: CreditCode) -> None:
    """The strategy only produces valid codes, and re-parsing one gives an equal value."""
    assert CreditCode(str(code)) == code
    assert CreditCode(code.value.lower()) == code


@pytest.mark.parametrize("text", PUBLISHED_CREDIT_CODES)
def test_every_single_substitution_in_a_published_credit_code_is_rejected(text: str) -> None:
    """Exhaustively: the MOD 31 weights (3**i) are units mod the prime 31, so any one change
    to an allowed character moves the weighted sum and the check character catches it."""
    for variant in _substitutions(text, CREDIT_CODE_ALPHABET, CREDIT_CODE_ALPHABET):
        with pytest.raises(FieldValueError):
            CreditCode(variant)


@given(credit_codes(), st.data())
def test_any_single_substitution_in_a_generated_credit_code_is_rejected(
    code: CreditCode, data: st.DataObject
) -> None:
    """The substitution property holds for arbitrary valid codes, not only published ones;
    the error never repeats the code."""
    index = data.draw(st.integers(min_value=0, max_value=17))
    replacement = data.draw(st.sampled_from(CREDIT_CODE_ALPHABET.replace(code.value[index], "")))
    variant = code.value[:index] + replacement + code.value[index + 1 :]
    with pytest.raises(FieldValueError) as caught:
        CreditCode(variant)
    for text in _error_texts(caught.value):
        assert variant not in text
        assert code.value not in text


# --------------------------------------------------------------------------------------------
# ResidentId
# --------------------------------------------------------------------------------------------


def test_standard_example_resident_id_is_accepted() -> None:
    """GB 11643's own example number validates, including its X check character."""
    assert ResidentId(STANDARD_RESIDENT_ID).value == STANDARD_RESIDENT_ID


def test_resident_id_accepts_lower_case_x_and_whitespace() -> None:
    """A lower-case x check character is common in typed input; it is upper-cased."""
    assert ResidentId(" 11010519491231002x ") == ResidentId(STANDARD_RESIDENT_ID)


def test_resident_id_repr_and_str_show_only_the_masked_form() -> None:
    """Personal data: repr and str keep the first 4 and last 2 characters only."""
    rid = ResidentId(STANDARD_RESIDENT_ID)
    assert rid.masked == "1101************2X"
    assert str(rid) == rid.masked
    assert repr(rid) == "ResidentId('1101************2X')"


def test_resident_id_with_wrong_check_character_is_rejected() -> None:
    """The MOD 11-2 check character must match the first 17 digits."""
    with pytest.raises(FieldValueError, match="position 18"):
        ResidentId("110105194912310021")


@pytest.mark.parametrize("province", ["00", "10", "16", "39", "70", "83", "99"])
def test_resident_id_with_unknown_province_is_rejected(province: str) -> None:
    """Positions 1–2 must be one of the 34 province-level codes."""
    with pytest.raises(FieldValueError, match="province-level"):
        ResidentId(_resident_id(province + "010519491231002"))


@pytest.mark.parametrize("birth", ["19490230", "19491301", "19490000", "20230229", "19491232"])
def test_resident_id_with_impossible_birth_date_is_rejected(birth: str) -> None:
    """Positions 7–14 must be a real calendar date (no 30 February, no month 13)."""
    with pytest.raises(FieldValueError, match="not a real date"):
        ResidentId(_resident_id("110105" + birth + "002"))


def test_resident_id_born_before_1900_is_rejected() -> None:
    """Birth years before 1900 are refused (GB 11643's own 1880 example included)."""
    with pytest.raises(FieldValueError, match="before 1900"):
        ResidentId("440524188001010014")


def test_resident_id_born_in_the_future_is_rejected() -> None:
    """Nobody holding a card was born after today."""
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(FieldValueError, match="future"):
        ResidentId(_resident_id("110105" + tomorrow.strftime("%Y%m%d") + "002"))


def test_resident_id_with_letter_in_body_is_rejected() -> None:
    """Only the last character may be X; positions 1–17 are digits."""
    with pytest.raises(FieldValueError, match=r"character 17 .*not a digit"):
        ResidentId("1101051949123100XX")


@pytest.mark.parametrize("text", ["", "110105194912310", "11010519491231002X1"])
def test_resident_id_of_wrong_length_is_rejected(text: str) -> None:
    """A number has exactly 18 characters (the old 15-digit form is not accepted)."""
    with pytest.raises(FieldValueError, match="18 characters"):
        ResidentId(text)


def test_every_single_substitution_in_the_standard_resident_id_is_rejected() -> None:
    """Exhaustively: MOD 11-2 weights (2**k mod 11) are units mod the prime 11 and digits
    differ by at most 9, so any one changed digit alters the check character."""
    for variant in _substitutions(STANDARD_RESIDENT_ID, RESIDENT_ID_ALPHABET, "0123456789X"):
        with pytest.raises(FieldValueError):
            ResidentId(variant)


@given(resident_ids())
def test_every_generated_resident_id_revalidates(rid: ResidentId) -> None:
    """The strategy only produces valid numbers, and re-parsing one gives an equal value."""
    assert ResidentId(rid.value) == rid
    assert hash(ResidentId(rid.value.lower())) == hash(rid)


@given(resident_ids())
def test_generated_resident_id_never_appears_in_repr_or_str(rid: ResidentId) -> None:
    """Masking holds for every number, not just the example: no clear value in repr or str."""
    for text in (repr(rid), str(rid), f"{rid}", f"{rid!r}", repr([rid]), repr({"id": rid})):
        assert rid.value not in text
        assert rid.value[6:14] not in text  # nor the birth date
    assert rid.masked == rid.value[:4] + "*" * 12 + rid.value[-2:]


@given(resident_ids(), st.data())
def test_any_single_substitution_in_a_generated_resident_id_is_rejected_without_echo(
    rid: ResidentId, data: st.DataObject
) -> None:
    """Every one-digit change is caught, and no error text carries the number or its date."""
    index = data.draw(st.integers(min_value=0, max_value=17))
    allowed = "0123456789X" if index == 17 else RESIDENT_ID_ALPHABET
    replacement = data.draw(st.sampled_from(allowed.replace(rid.value[index], "")))
    variant = rid.value[:index] + replacement + rid.value[index + 1 :]
    with pytest.raises(FieldValueError) as caught:
        ResidentId(variant)
    for text in _error_texts(caught.value):
        assert variant not in text
        assert rid.value not in text
        assert variant[6:14] not in text


@given(st.text(alphabet="0123456789Xx ", min_size=0, max_size=22))
def test_errors_for_arbitrary_resident_id_input_never_echo_it(text: str) -> None:
    """Whatever is typed, an error names the problem, never the input."""
    try:
        ResidentId(text)
    except FieldValueError as error:
        digits = text.strip().upper()
        if len(digits) >= 6:
            for shown in _error_texts(error):
                assert digits not in shown


# --------------------------------------------------------------------------------------------
# DivisionCode
# --------------------------------------------------------------------------------------------


def test_known_divisions_cover_exactly_the_34_province_level_units() -> None:
    """The table's province-level entries are the 34 units of GB/T 2260, no more, no less."""
    provinces = {code[:2] for code in KNOWN_DIVISIONS if code.endswith("0000")}
    assert provinces == PROVINCE_CODES
    assert len(PROVINCE_CODES) == 34


@pytest.mark.parametrize("code", sorted(KNOWN_DIVISIONS))
def test_every_known_division_is_valid_and_named(code: str) -> None:
    """Table entries are themselves valid codes, and lookups return their names."""
    division = DivisionCode.known(code)
    assert (division.name_zh, division.name_en) == KNOWN_DIVISIONS[code]
    assert division.province.value in KNOWN_DIVISIONS


@pytest.mark.parametrize(
    ("code", "level"),
    [("440000", "province"), ("440100", "prefecture"), ("440106", "county"), ("441284", "county")],
)
def test_division_level_follows_trailing_zeros(code: str, level: str) -> None:
    """XX0000 is a province, XXXX00 a prefecture, anything else a county."""
    assert DivisionCode(code).level == level


def test_county_parent_is_its_prefecture_and_chain_runs_from_province() -> None:
    """天河区 lies in 广州市 in 广东省, and the chain lists them top-down."""
    tianhe = DivisionCode("440106")
    assert tianhe.parent == DivisionCode("440100")
    assert tianhe.prefecture == DivisionCode("440100")
    assert tianhe.province == DivisionCode("440000")
    assert [d.name_zh for d in tianhe.chain()] == ["广东省", "广州市", "天河区"]


@pytest.mark.parametrize("code", ["441900", "442000"])
def test_countyless_prefecture_city_has_the_province_as_parent(code: str) -> None:
    """东莞 and 中山 have no counties; they are prefectures directly under 广东省."""
    city = DivisionCode(code)
    assert city.level == "prefecture"
    assert city.parent == DivisionCode("440000")
    assert city.prefecture == city
    assert city.chain() == (DivisionCode("440000"), city)


def test_province_has_no_parent_and_no_prefecture() -> None:
    """A province-level code is the top of its chain."""
    guangdong = DivisionCode("440000")
    assert guangdong.parent is None
    assert guangdong.prefecture is None
    assert guangdong.province == guangdong
    assert guangdong.chain() == (guangdong,)


def test_well_formed_unknown_division_is_accepted_without_names() -> None:
    """The table is not the whole standard: a well-formed code outside it is still valid."""
    code = DivisionCode("440399")
    assert code.name_zh is None
    assert code.name_en is None
    assert DivisionCode.known("440399", strict=False) == code


def test_known_rejects_a_well_formed_code_missing_from_the_table() -> None:
    """`known` is for callers that need a name: it refuses codes the table cannot name."""
    with pytest.raises(FieldValueError, match="not in the table"):
        DivisionCode.known("440399")


@pytest.mark.parametrize("code", ["990000", "100000", "000000", "701234"])
def test_division_with_unknown_province_is_rejected(code: str) -> None:
    """Digits 1–2 must be one of the 34 province-level codes."""
    with pytest.raises(FieldValueError, match="province-level"):
        DivisionCode(code)


@pytest.mark.parametrize(("code", "match"), [("44010", "6 digits"), ("4401O6", "not a digit")])
def test_division_with_wrong_length_or_characters_is_rejected(code: str, match: str) -> None:
    """Exactly six ASCII digits."""
    with pytest.raises(FieldValueError, match=match):
        DivisionCode(code)


def test_division_rejects_non_ascii_digits() -> None:
    """Full-width or other Unicode digits are not the standard's digits."""
    with pytest.raises(FieldValueError, match="not a digit"):
        DivisionCode("４４０１０６")


def test_division_with_county_digits_but_no_prefecture_is_rejected() -> None:
    """XX00YY names a county under no prefecture, which GB/T 2260 never assigns."""
    with pytest.raises(FieldValueError, match="digits 3–4"):
        DivisionCode("440001")


def test_division_code_prints_as_its_digits() -> None:
    """str gives the bare code; repr is constructor-shaped."""
    assert str(DivisionCode(" 440106 ")) == "440106"
    assert repr(DivisionCode("440106")) == "DivisionCode('440106')"


@given(division_codes())
def test_every_generated_division_code_has_a_consistent_chain(code: DivisionCode) -> None:
    """Chains start at the province, end at the code, and each link is the next one's parent."""
    chain = code.chain()
    assert chain[0] == code.province
    assert chain[-1] == code
    assert DivisionCode(code.value) == code
    for upper, lower in itertools.pairwise(chain):
        assert lower.parent == upper
    order = {"province": 0, "prefecture": 1, "county": 2}
    assert [order[link.level] for link in chain] == sorted(order[link.level] for link in chain)
