"""What the citizen's HTML forms share: reading a posted form, keeping what was typed, Chinese messages,
and answering a form sent twice as the first time.

Messages say what is wrong, never what was sent (the same rule as the API's errors).

**Sent twice.** Each rendered form carries a random ``form_id`` (144 bits, known only to the browser
that shows the form). The id, code and event id of what the form files are derived from it and the
content filed (``Resubmission``): sending the same form again with the same content files the same
event, which the log and every consumer drop as a repeat, and answers with the same id and tracking
code, though neither the code nor the page was stored anywhere. The same form sent with other
content (back, edit, send) files a new application, as a new form would.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from pydantic_core import ErrorDetails

from gongkai.problems import Problem
from gongkai.tracking import tracking_code_from

__all__ = [
    "NO_STORE",
    "FormPage",
    "Resubmission",
    "chinese_message",
    "form_values",
    "new_form_id",
    "posted_form",
    "posted_form_id",
    "resubmission",
]

_MAX_FIELDS = 40


async def posted_form(request: Request) -> dict[str, list[str]]:
    """The posted fields, parsed here: python-multipart is not a dependency, and a form post needs none."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    body = await request.body()
    if media_type != "application/x-www-form-urlencoded" and body:  # an empty post is an empty form
        raise Problem(
            415, "不支持的媒体类型", "Post the form as application/x-www-form-urlencoded.", "unsupported-media-type"
        )
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=_MAX_FIELDS, errors="strict")
    except ValueError as exc:  # not UTF-8 (UnicodeDecodeError is a ValueError), or too many fields
        raise Problem(400, "表单内容无法读取", "The form must be UTF-8 with a few fields.", "bad-form") from exc


#: Pages that hold personal data or a tracking code are never cached.
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class FormPage:
    """A citizen's form page: its template, its fields in page order with their labels, its radio groups."""

    templates: Jinja2Templates
    template: str
    labels: Mapping[str, str]
    radios: Mapping[str, Mapping[str, str]]  # a radio group's field → its options

    def anchor(self, field: str, values: Mapping[str, str]) -> str:
        """The id a summary link points at: the field, or a radio group's chosen (else first) option."""
        if field in self.radios:
            options = list(self.radios[field])
            chosen = values.get(field, "")
            return f"{field}-{chosen if chosen in options else options[0]}"
        return field

    def render(
        self, request: Request, values: Mapping[str, str], problems: Mapping[str, str], status: int
    ) -> HTMLResponse:
        """The form with what was typed and each field's problem, summarised in page order; a fresh
        ``form_id`` unless ``values`` carries the posted one."""
        ordered = [(field, problems[field]) for field in self.labels if field in problems]
        errors = [(self.anchor(field, values), message) for field, message in ordered]
        form_id = values.get("form_id") or new_form_id()
        context = {"values": values, "field_errors": problems, "errors": errors, "form_id": form_id}
        return self.templates.TemplateResponse(request, self.template, context, status_code=status, headers=NO_STORE)


_FORM_ID = re.compile(r"^[A-Za-z0-9_-]{24}$")


def new_form_id() -> str:
    return secrets.token_urlsafe(18)


@dataclass(frozen=True)
class Resubmission:
    """What a form sent (again) files under: its subject id, tracking code and event id."""

    subject: str
    tracking_code: str
    event_id: uuid.UUID


def posted_form_id(raw: Mapping[str, list[str]]) -> str:
    """The posted ``form_id`` if it is one we could have issued, else ``""``."""
    form_id = (raw.get("form_id") or [""])[0]
    return form_id if _FORM_ID.match(form_id) else ""


def resubmission(raw: Mapping[str, list[str]], content: BaseModel) -> Resubmission | None:
    """The identity of ``content`` sent with the posted ``form_id``; None without a well-formed one."""
    form_id = posted_form_id(raw)
    if not form_id:
        return None
    seed = hmac.new(form_id.encode(), content.model_dump_json().encode(), hashlib.sha256).digest()

    def derived(label: bytes) -> bytes:
        return hmac.new(seed, label, hashlib.sha256).digest()

    return Resubmission(
        subject=uuid.UUID(bytes=derived(b"subject")[:16], version=4).hex,
        tracking_code=tracking_code_from(derived(b"tracking-code")),
        event_id=uuid.UUID(bytes=derived(b"event")[:16], version=4),
    )


def form_values(raw: Mapping[str, list[str]], fields: Collection[str]) -> dict[str, str]:
    """The known fields as typed (the first value of each); anything else in the post is ignored."""
    return {name: raw[name][0] for name in fields if raw.get(name)}


def chinese_message(label: str, error: ErrorDetails, *, choice: bool) -> str:
    """A Chinese message for a model error on the field labelled ``label`` (``choice``: picked, not typed)."""
    kind = error["type"]
    context: Mapping[str, Any] = error.get("ctx") or {}
    if kind in ("missing", "blank"):
        return f"请选择{label}" if choice else f"请填写{label}"
    if kind in ("string_too_long", "too_long"):
        return f"{label}不能超过{context.get('max_length') or context.get('limit')}个字"
    if kind == "phone_format":
        return "联系电话格式有误：请填写11位手机号码，或带区号的固定电话（如 0571-88888888）"
    if kind == "email_format":
        return "电子邮箱格式有误，应类似 name@example.cn"
    if kind in ("literal_error", "enum"):
        return f"请从所列选项中选择{label}"
    return f"{label}填写有误"
