"""Valid identifiers for test data: credit codes and resident ID numbers with correct check
characters, made from a division code and a number you choose (never a real person's).

Scenario and example applications need identifiers that pass the model's checks (GB 32100 for
a unified social credit code, GB 11643 for a resident identity card number); these helpers
compute the check characters so test data can be written by hand:

>>> credit_code("440300", 1)
'91440300000000019B'
>>> resident_id("440305", born="1990-05-01", sequence=1)
'440305199005010015'
>>> from gridconnect.model.identifiers import CreditCode, ResidentId
>>> CreditCode(credit_code("441800", 7)).value == credit_code("441800", 7)
True

``gridconnect new-plugin`` writes its sample application with them.
"""

from __future__ import annotations

import datetime as _dt

from gridconnect.model.identifiers import (
    CREDIT_CODE_ALPHABET,
    CreditCode,
    ResidentId,
    credit_code_check_char,
    organisation_code_check_char,
    resident_id_check_char,
)

__all__ = ["credit_code", "resident_id"]


def credit_code(division: str, number: int = 1, *, kind: str = "91") -> str:
    """A valid unified social credit code (统一社会信用代码) registered in ``division`` (six
    digits): ``kind`` is the authority and entity type (``91`` an enterprise registered with
    market regulation, ``92`` an individual business), ``number`` the organisation code body
    (0 to 99,999,999). Both check characters (positions 17 and 18) are computed."""
    if not (len(division) == 6 and division.isdigit()):
        raise ValueError("division is a six-digit GB/T 2260 code")
    if len(kind) != 2 or any(c not in CREDIT_CODE_ALPHABET for c in kind):
        raise ValueError("kind is two characters of the GB 32100 alphabet, e.g. '91'")
    if not 0 <= number <= 99_999_999:
        raise ValueError("number is from 0 to 99,999,999")
    body = f"{number:08d}"
    first17 = kind + division + body + organisation_code_check_char(body)
    code = first17 + credit_code_check_char(first17)
    return CreditCode(code).value


def resident_id(division: str, *, born: str | _dt.date = "1985-04-12", sequence: int = 1) -> str:
    """A valid resident identity card number (居民身份证号码) of someone registered in
    ``division`` (six digits), born on ``born`` (a date or ``YYYY-MM-DD``), with the
    three-digit ``sequence`` (odd for men, even for women). The check character is computed."""
    if not (len(division) == 6 and division.isdigit()):
        raise ValueError("division is a six-digit GB/T 2260 code")
    day = born if isinstance(born, _dt.date) else _dt.date.fromisoformat(born)
    if not 0 <= sequence <= 999:
        raise ValueError("sequence is from 0 to 999")
    first17 = f"{division}{day:%Y%m%d}{sequence:03d}"
    number = first17 + resident_id_check_char(first17)
    ResidentId(number)  # the model's own check, so a helper bug cannot make invalid data
    return number
