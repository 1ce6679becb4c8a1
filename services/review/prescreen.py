"""Automatic pre-screen before confidentiality review: personal data and secrecy markings.

It flags, the reviewer decides. Patterns are checked (ID checksum, Luhn) to keep false alarms low.

>>> [(f.kind, f.start, f.end) for f in prescreen("电话：13812345678")]
[('phone', 3, 14)]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

__all__ = ["Finding", "is_bank_card", "is_resident_id", "prescreen"]


@dataclass(frozen=True)
class Finding:
    """``text[start:end]`` looks like ``kind``; ``excerpt`` shows it in context for the reviewer."""

    kind: str
    start: int
    end: int
    excerpt: str


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def is_resident_id(number: str) -> bool:
    """GB 11643-1999: 18 characters, a real birth date, and the ISO 7064 MOD 11-2 check character."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    if not date(1900, 1, 1) <= born <= date(2100, 1, 1):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def is_bank_card(digits: str) -> bool:
    """16–19 digits passing the Luhn check (UnionPay, Visa, Mastercard … card numbers)."""
    if not 16 <= len(digits) <= 19 or not digits.isdigit():
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


_NOT_DIGIT_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_DIGIT_AFTER = r"(?![0-9A-Za-z])"


def _only_digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern[str]
    check: Callable[[str], bool] = lambda _: True


_RULES: tuple[_Rule, ...] = (
    _Rule("id_number", re.compile(_NOT_DIGIT_BEFORE + r"\d{17}[\dXx]" + _NOT_DIGIT_AFTER), is_resident_id),
    _Rule(
        "bank_card",
        re.compile(_NOT_DIGIT_BEFORE + r"(?:\d{4}[ -]?){3}\d{4,7}" + _NOT_DIGIT_AFTER),
        lambda s: is_bank_card(_only_digits(s)) and not is_resident_id(_only_digits(s)),
    ),
    _Rule(
        "phone",
        re.compile(_NOT_DIGIT_BEFORE + r"(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}" + _NOT_DIGIT_AFTER),
        lambda s: len(_only_digits(s).removeprefix("86")) == 11,
    ),
    _Rule(
        "landline",
        re.compile(
            _NOT_DIGIT_BEFORE
            + r"(?:\(0\d{2,3}\)|（0\d{2,3}）|0\d{2,3}[-－—])\s?[2-9]\d{6,7}(?:-\d{1,5})?"
            + _NOT_DIGIT_AFTER
        ),
    ),
    _Rule("email", re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,}")),
    _Rule(
        "secrecy_marking",
        re.compile(
            r"(?:绝密|机密|秘密)\s*★(?:\s*\d+\s*[年月])?|★\s*(?:绝密|机密|秘密)|密级\s*[:：]\s*\S{1,4}"
            r"|内部资料|内部文件|内部使用|不得外传|注意保密|★\s*启用前"
        ),
    ),
)


def _matches(text: str) -> Iterator[Finding]:
    taken: list[tuple[int, int]] = []
    for rule in _RULES:  # earlier rules win an overlap: an ID number is not also a bank card
        for m in rule.pattern.finditer(text):
            if not rule.check(m.group()) or any(s < m.end() and m.start() < e for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            yield Finding(rule.kind, m.start(), m.end(), text[max(0, m.start() - 12) : m.end() + 12])


def prescreen(text: str) -> list[Finding]:
    """Every hit in ``text``, ordered by position."""
    return sorted(_matches(text), key=lambda f: (f.start, f.kind))
