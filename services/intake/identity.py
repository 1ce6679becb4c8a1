"""Format checks for what an applicant gives to identify and reach them (条例 Art. 29(一)).

Pure functions: they say whether a value is well formed, never who it belongs to, and they
never put the value into an error (callers say what is wrong, not what was sent).

* ``valid_resident_id``: the 18-character 公民身份号码 of GB 11643-1999 (also on the residence
  permits of Hong Kong, Macao and Taiwan residents): 6-digit address code, 8-digit birth date,
  3-digit sequence and an ISO 7064 MOD 11-2 check character.
* ``valid_credit_code``: the 18-character 统一社会信用代码 of GB 32100-2015 with its MOD 31 check.
* ``valid_phone``: a mainland mobile number or a landline with its area code, optionally ``+86``.
* ``valid_email``: a plain ``local@domain.tld`` address.

>>> valid_resident_id("11010519491231002X")
True
>>> valid_resident_id("110105194912310021")  # one character changed: the check fails
False
>>> valid_credit_code("91350100M000100Y43")
True
>>> valid_phone("13812345678"), valid_phone("0571-88888888"), valid_phone("+86 138 1234 5678")
(True, True, True)
>>> valid_email("xinxigongkai@example.gov.cn"), valid_email("no-at-sign.example.cn")
(True, False)
"""

from __future__ import annotations

import re
from datetime import date

__all__ = [
    "credit_code_check_char",
    "resident_id_check_char",
    "valid_credit_code",
    "valid_email",
    "valid_phone",
    "valid_resident_id",
]

# --- 公民身份号码 (GB 11643-1999) -----------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"[1-9]\d{16}[\dXx]", re.ASCII)
_EARLIEST_BIRTH = date(1900, 1, 1)


def resident_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits.

    >>> resident_id_check_char("11010519491231002")
    'X'
    """
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("the check character is computed over exactly 17 digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def valid_resident_id(value: str, *, today: date | None = None) -> bool:
    """An 18-character resident ID: shape, a real birth date (1900 to ``today``) and the check character.

    A lower-case ``x`` is accepted as the check character, as people type it. ``today`` defaults
    to the system date; pass the agency's clock in services.

    >>> valid_resident_id("11010519491231002x")
    True
    >>> valid_resident_id("110105194902300020")  # 30 February
    False
    >>> valid_resident_id("110105209901010013", today=date(2026, 6, 1))  # born in the future
    False
    """
    if not _ID_SHAPE.fullmatch(value):
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if not _EARLIEST_BIRTH <= born <= (today or date.today()):
        return False
    return resident_id_check_char(value[:17]) == value[17].upper()


# --- 统一社会信用代码 (GB 32100-2015) --------------------------------------------------------------

_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_CREDIT_VALUES = {char: index for index, char in enumerate(_CREDIT_ALPHABET)}
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_SHAPE = re.compile(r"[0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10}", re.ASCII)


def credit_code_check_char(first17: str) -> str:
    """The GB 32100-2015 check character: (31 − Σ value × weight mod 31) mod 31, as a code character.

    >>> credit_code_check_char("91350100M000100Y4")
    '3'
    """
    if len(first17) != 17 or any(char not in _CREDIT_VALUES for char in first17):
        raise ValueError("the check character is computed over 17 characters of the code's alphabet")
    total = sum(_CREDIT_VALUES[char] * weight for char, weight in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def valid_credit_code(value: str) -> bool:
    """An 18-character unified social credit code: alphabet, a 6-digit region code, the check character.

    Letters must be upper case (the code is printed so on licences); callers may upper-case input.

    >>> valid_credit_code("91350100M000100Y42")
    False
    >>> valid_credit_code("91350100M000100YO3")  # O is not in the alphabet
    False
    """
    if not _CREDIT_SHAPE.fullmatch(value):
        return False
    return credit_code_check_char(value[:17]) == value[17]


# --- contact ----------------------------------------------------------------------------------------

_MOBILE = r"1[3-9]\d{9}"
# Area code (010, 02X, 0XXX) and a 7- or 8-digit local number that starts with 2–9; after +86
# the area code's leading 0 may be dropped (+86 571 88888888).
_LANDLINE = r"0[1-9]\d{1,2}[2-9]\d{6,7}"
_PHONE = re.compile(rf"(?:{_MOBILE}|{_LANDLINE}|(?:\+|00)86(?:{_MOBILE}|0?[1-9]\d{{1,2}}[2-9]\d{{6,7}}))", re.ASCII)
_PHONE_PUNCTUATION = re.compile(r"[ \u00a0\-()]")


def valid_phone(value: str) -> bool:
    """A mainland mobile (1[3-9] and 9 digits) or a landline with area code, optionally after ``+86``.

    Spaces, hyphens and brackets are ignored: ``138-1234-5678``, ``(0571) 8888 8888``.

    >>> [valid_phone(p) for p in ("057188888888", "(0571)88888888", "+86-571-88888888", "0571-8888")]
    [True, True, True, False]
    >>> [valid_phone(p) for p in ("12812345678", "1381234567", "88888888", "+1 415 555 0100")]
    [False, False, False, False]
    """
    return bool(_PHONE.fullmatch(_PHONE_PUNCTUATION.sub("", value.strip())))


_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_EMAIL_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_EMAIL_TLD = re.compile(r"[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59}")


def valid_email(value: str) -> bool:
    """``local@domain.tld`` with an ASCII local part (dot-atom) and a domain of at least two labels.

    >>> [valid_email(e) for e in ("a.b+c@mail.example.com", "a..b@example.com", "a@localhost", "a b@example.com")]
    [True, False, False, False]
    """
    if len(value) > 254 or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    if not 1 <= len(local) <= 64 or not _EMAIL_LOCAL.fullmatch(local):
        return False
    labels = domain.split(".")
    if len(labels) < 2 or not all(_EMAIL_LABEL.fullmatch(label) for label in labels[:-1]):
        return False
    return bool(_EMAIL_TLD.fullmatch(labels[-1]))
