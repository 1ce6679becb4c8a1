"""Chinese text clean-up shared by intake and search.

The walking skeleton only removes what must never be stored (control characters, stray
whitespace, unpaired surrogates); width folding, pinyin-annotation removal and script
folding arrive with the documents issue.

>>> clean_text("  关于\\u0000印发\\r\\n通知  ")
'关于印发\\n通知'
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean_text"]

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\ufeff]")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")


def clean_text(text: str) -> str:
    """NFC-normalise, drop control and zero-width characters, unify newlines, trim."""
    text = unicodedata.normalize("NFC", text.encode("utf-8", "replace").decode("utf-8"))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return _TRAILING_SPACE.sub("\n", text).strip()
