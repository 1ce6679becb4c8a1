"""Tracking codes (查询码): what an applicant or letter writer gets to follow a case without an account.

Only a hash of the code travels in events and is stored; the code itself is shown once, to the
person who filed. Codes use an alphabet without look-alike characters and are compared in
constant time.

>>> code = new_tracking_code()
>>> len(code), code.count("-")
(14, 2)
>>> tracking_code_matches(code.lower().replace("-", " "), tracking_code_hash(code))
True
>>> tracking_code_matches("AAAA-AAAA-AAAA", tracking_code_hash(code))
False
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = [
    "new_tracking_code",
    "normalise_tracking_code",
    "tracking_code_from",
    "tracking_code_hash",
    "tracking_code_matches",
]

#: No 0/O, 1/I/L, 2/Z, 5/S, 8/B: codes are read aloud over the phone and copied from paper.
_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
_GROUPS, _GROUP_LEN = 3, 4


def new_tracking_code() -> str:
    """12 random characters (about 56 bits), grouped as ``XXXX-XXXX-XXXX``."""
    chars = "".join(secrets.choice(_ALPHABET) for _ in range(_GROUPS * _GROUP_LEN))
    return "-".join(chars[i : i + _GROUP_LEN] for i in range(0, len(chars), _GROUP_LEN))


def tracking_code_from(seed: bytes) -> str:
    """The code a secret ``seed`` of at least 16 random bytes stands for: the same seed, the same code.

    For submissions that must answer a repeat with what the first one got (a citizen's form sent twice).
    """
    number = int.from_bytes(hashlib.sha256(b"gongkai-tracking-seed:" + seed).digest(), "big")
    chars = []
    for _ in range(_GROUPS * _GROUP_LEN):  # 12 base-25 digits of a 256-bit number: no bias worth a bit
        number, digit = divmod(number, len(_ALPHABET))
        chars.append(_ALPHABET[digit])
    return "-".join("".join(chars[i : i + _GROUP_LEN]) for i in range(0, len(chars), _GROUP_LEN))


def normalise_tracking_code(code: str) -> str:
    """Upper case without separators, so ``abcd efgh-jkmn`` and ``ABCD-EFGH-JKMN`` are the same code."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def tracking_code_hash(code: str) -> str:
    return hashlib.sha256(("gongkai-tracking:" + normalise_tracking_code(code)).encode()).hexdigest()


def tracking_code_matches(code: str, expected_hash: str) -> bool:
    return hmac.compare_digest(tracking_code_hash(code[:64]), expected_hash)
