"""Personal data: masking identifiers in outputs, and keyed pseudonyms for stored events.

Two identifiers an application carries are personal or confidential data: the resident identity
card number (居民身份证号码, ``applicant.resident_id``) and the unified social credit code
(统一社会信用代码, ``applicant.credit_code``).

* **Outputs** show them masked by default (:func:`mask`: the first 4 and last 2 characters,
  the rest ``*``); the command-line switch ``--show-personal-data`` is for those entitled to
  see them in clear.
* **The lifecycle event log** stores neither in clear. Nothing the tracker does needs them (the
  rules read the applicant's kind, never the number), so the stored application carries a
  *keyed pseudonym* (:func:`pseudonymise`): an identifier of the same form, check characters
  included, computed with HMAC-SHA256 from the clear value and a secret key. The same person
  gets the same pseudonym under one key (so ingesting an event twice is still a duplicate), and
  without the key a pseudonym cannot be traced back by trying every possible number (resident
  numbers are few enough for that against a plain hash). The key is read from
  ``GRIDCONNECT_PSEUDONYM_KEY`` or the file ``GRIDCONNECT_PSEUDONYM_KEY_FILE`` names (see
  :func:`pseudonym_key`).

>>> mask({"applicant": {"resident_id": "11010519491231002X", "name": "张三"}})
{'applicant': {'resident_id': '1101************2X', 'name': '张三'}}
>>> rid = pseudonymise({"resident_id": "11010519491231002X"}, b"k")["resident_id"]
>>> rid != "11010519491231002X", ResidentId(rid).value == rid
(True, True)
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Any

from gridconnect.model.identifiers import (
    CREDIT_CODE_ALPHABET,
    PROVINCE_CODES,
    CreditCode,
    ResidentId,
    credit_code_check_char,
    organisation_code_check_char,
    resident_id_check_char,
)

__all__ = [
    "KEY_ENV",
    "KEY_FILE_ENV",
    "PERSONAL_KEYS",
    "mask",
    "mask_text",
    "pseudonym_key",
    "pseudonymise",
]

PERSONAL_KEYS = frozenset({"resident_id", "credit_code"})
"""Keys of JSON-shaped data whose values are personal identifiers, wherever they appear."""
KEY_ENV = "GRIDCONNECT_PSEUDONYM_KEY"
"""Environment variable holding the pseudonym key itself (any text, at least 16 characters)."""
KEY_FILE_ENV = "GRIDCONNECT_PSEUDONYM_KEY_FILE"
"""Environment variable naming a file that holds the pseudonym key."""
_PROVINCES = sorted(PROVINCE_CODES)
_DIGITS = "0123456789"
_ALPHANUMERIC = _DIGITS + "ABCDEFGHJKLMNPQRTUWXY"  # GB 11714 bodies, as GB 32100 allows
_BIRTH_BASE = _dt.date(1900, 1, 1)
_BIRTH_DAYS = 36_500  # pseudonymous birth dates fall in 1900-1999, always in the past


def mask_text(value: str) -> str:
    """An identifier masked: its first 4 and last 2 characters, ``*`` for the rest.

    >>> mask_text("91440112MA5CXK3L27")
    '9144************27'
    """
    if len(value) <= 6:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def mask(data: Any) -> Any:
    """JSON-shaped data with the value of every :data:`PERSONAL_KEYS` key masked (a copy;
    lists and nested objects are walked, nothing else changes)."""
    return _map(data, lambda _, value: mask_text(value))


def _map(data: Any, change: Any) -> Any:
    if isinstance(data, dict):
        return {
            k: change(k, v) if k in PERSONAL_KEYS and isinstance(v, str) else _map(v, change)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [_map(item, change) for item in data]
    return data


def _digest(key: bytes, kind: str, value: str) -> int:
    mac = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).digest()
    return int.from_bytes(mac, "big")


def _pick(number: int, alphabet: str, count: int) -> tuple[str, int]:
    out = []
    for _ in range(count):
        number, index = divmod(number, len(alphabet))
        out.append(alphabet[index])
    return "".join(out), number


def _resident_pseudonym(value: str, key: bytes) -> str:
    n = _digest(key, "resident_id", value)
    n, province = divmod(n, len(_PROVINCES))
    county, n = _pick(n, _DIGITS, 4)
    n, day = divmod(n, _BIRTH_DAYS)
    sequence, n = _pick(n, _DIGITS, 3)
    born = _BIRTH_BASE + _dt.timedelta(days=day)
    first17 = _PROVINCES[province] + county + born.strftime("%Y%m%d") + sequence
    return first17 + resident_id_check_char(first17)


def _credit_pseudonym(value: str, key: bytes) -> str:
    n = _digest(key, "credit_code", value)
    head, n = _pick(n, CREDIT_CODE_ALPHABET, 2)
    division, n = _pick(n, _DIGITS, 6)
    body, n = _pick(n, _ALPHANUMERIC, 8)
    first17 = head + division + body + organisation_code_check_char(body)
    return first17 + credit_code_check_char(first17)


def pseudonymise(data: Any, key: bytes) -> Any:
    """JSON-shaped data with every :data:`PERSONAL_KEYS` value replaced by its keyed pseudonym:
    a valid identifier of the same kind derived by HMAC-SHA256 from ``key`` and the value
    (a value that is not a valid identifier is replaced too, by a pseudonym of its text)."""

    def change(name: str, value: str) -> str:
        if name == "resident_id":
            return _resident_pseudonym(_normal(ResidentId, value), key)
        return _credit_pseudonym(_normal(CreditCode, value), key)

    return _map(data, change)


def _normal(cls: Any, value: str) -> str:
    try:
        text: str = cls(value).value
    except ValueError:
        return value
    return text


def pseudonym_key(default_file: Path | None = None) -> bytes:
    """The pseudonym key: ``GRIDCONNECT_PSEUDONYM_KEY``, else the contents of the file
    ``GRIDCONNECT_PSEUDONYM_KEY_FILE`` names, else the file ``default_file`` (created with a
    random 32-byte key, readable by its owner only, when it does not exist yet), else a
    random key that lasts as long as the process (for a store in memory)."""
    given = os.environ.get(KEY_ENV)
    if given:
        return given.encode("utf-8")
    named = os.environ.get(KEY_FILE_ENV)
    path = Path(named) if named else default_file
    if path is None:
        return secrets.token_bytes(32)
    if not path.exists():
        # Written aside, then linked into place: two processes creating the key at once agree
        # on one, and no process ever reads a half-written key.
        aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(aside)
    from gridconnect.model.codec import read_bounded

    return read_bounded(path, 4096, what="file").strip()
