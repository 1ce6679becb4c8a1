"""Text fields of what citizens and clerks submit: cleaned, capped, blank-as-missing, phones and e-mails.

Shared by applications (依申请公开) and letters; the messages say what is wrong, never what was sent.
"""

from __future__ import annotations

from pydantic_core import PydanticCustomError

from gongkai.problems import FieldProblem, Problem
from gongkai.text import clean_text
from services.intake.identity import valid_email, valid_phone

__all__ = ["MAX_EMAIL", "MAX_PHONE", "checked_email", "checked_phone", "cleaned", "optional", "refuse", "required"]

MAX_PHONE = 40
MAX_EMAIL = 254
#: Raw text may carry blanks and control characters that cleaning removes; beyond this much it is refused unread.
_RAW_FACTOR = 4


def cleaned(value: str, limit: int, *, one_line: bool = False) -> str:
    if len(value) > limit * _RAW_FACTOR:
        raise PydanticCustomError("too_long", "at most {limit} characters", {"limit": limit})
    text = clean_text(value)
    if one_line and "\n" in text:
        text = clean_text(" ".join(text.split("\n")))
    if len(text) > limit:  # cleaning rarely lengthens text (ligatures), but the cap is on what is stored
        raise PydanticCustomError("too_long", "at most {limit} characters", {"limit": limit})
    return text


def required(value: str, limit: int, *, one_line: bool = False) -> str:
    text = cleaned(value, limit, one_line=one_line)
    if not text:
        raise PydanticCustomError("blank", "must not be empty once control characters and blanks are removed")
    return text


def optional(value: str | None, limit: int, *, one_line: bool = False) -> str | None:
    """Blank optional text counts as not given."""
    return (cleaned(value, limit, one_line=one_line) or None) if value is not None else None


def checked_phone(value: str | None) -> str | None:
    text = optional(value, MAX_PHONE)
    if text is not None and not valid_phone(text):
        raise PydanticCustomError(
            "phone_format", "not a mainland mobile number (11 digits) or a landline number with its area code"
        )
    return text


def checked_email(value: str | None) -> str | None:
    text = optional(value, MAX_EMAIL)
    if text is not None and not valid_email(text):
        raise PydanticCustomError("email_format", "not an e-mail address of the form name@example.cn")
    return text


def refuse(problems: list[FieldProblem], why: str) -> Problem:
    """The 422 answer for rules broken across fields: ``why`` then every problem, each on its field."""
    return Problem(
        422, "请求参数有误", why + ": " + "; ".join(p.message for p in problems) + ".", "validation", problems
    )
