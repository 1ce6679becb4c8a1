"""The citizen's writing page (写信咨询: 市长信箱, 部门信箱, 在线咨询): a plain HTML form, no JavaScript needed.

``GET /letters/new?kind=…`` shows the form (the kind chosen beforehand when the link says so);
``POST /letters/new`` (``application/x-www-form-urlencoded``) checks it with the API's own model and
rules as an online letter (no staff, no receipt date), then shows the form again with Chinese messages
beside the fields and what was typed kept, or the confirmation with the tracking code, shown once,
and a link to the tracking page where the writer reads the reply and rates it.

Pages that hold contact data or the tracking code are never cached; messages never repeat what was typed.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from gongkai.portal import portal_templates
from gongkai.service import ServiceContext
from services.intake.fields import MAX_EMAIL, MAX_PHONE
from services.intake.forms import (
    NO_STORE,
    FormPage,
    chinese_message,
    form_values,
    posted_form,
    posted_form_id,
    resubmission,
)
from services.intake.letters_api import (
    CATEGORY_LABELS,
    KIND_LABELS,
    MAX_BODY,
    MAX_DEPARTMENT,
    MAX_TITLE,
    LetterSubmission,
    accept_letter,
    letter_issues,
)
from services.intake.request_form import MAX_NAME

__all__ = ["FIELD_LABELS", "letter_pages_router"]

#: The form's fields in page order, with the label used in messages; radio groups are "选择"d.
FIELD_LABELS: dict[str, str] = {
    "kind": "写信渠道",
    "category": "来信类别",
    "department": "收信部门",
    "title": "标题",
    "body": "来信内容",
    "name": "姓名",
    "phone": "联系电话",
    "email": "电子邮箱",
}
_CHOICES = {"kind": KIND_LABELS, "category": CATEGORY_LABELS}
#: Where a problem of the model (a location in the JSON body) is shown on the page.
_FIELD_OF: dict[str, str] = {
    "kind": "kind",
    "category": "category",
    "department": "department",
    "title": "title",
    "body": "body",
    "contact": "phone",  # "give a phone or an e-mail": shown at the first of them
    "contact.name": "name",
    "contact.phone": "phone",
    "contact.email": "email",
}
_CONTACT_FIELDS = ("name", "phone", "email")

templates = portal_templates(Path(__file__).parent / "templates")
templates.env.globals.update(
    field_labels=FIELD_LABELS,
    choices=_CHOICES,
    limits={
        "department": MAX_DEPARTMENT,
        "title": MAX_TITLE,
        "body": MAX_BODY,
        "name": MAX_NAME,
        "phone": MAX_PHONE,
        "email": MAX_EMAIL,
    },
)


def _submission_data(values: Mapping[str, str]) -> dict[str, Any]:
    """The API body the form stands for; empty fields are left out, and so is the department of other kinds.

    The department box stays on the page whatever kind is chosen (no script hides it): text left in it
    when the writer switches to another kind is ignored rather than refused.
    """
    given = {name: value for name, value in values.items() if value != ""}
    data: dict[str, Any] = {name: given[name] for name in ("kind", "category", "title", "body") if name in given}
    if "department" in given and given.get("kind") in ("department_mailbox", None):
        data["department"] = given["department"]
    contact = {name: given[name] for name in _CONTACT_FIELDS if name in given}
    if contact:
        data["contact"] = contact
    return data


def _check(ctx: ServiceContext, values: Mapping[str, str]) -> tuple[LetterSubmission | None, dict[str, str]]:
    """The validated letter, or the first problem of each field (in Chinese), all at once."""
    problems: dict[str, str] = {}
    submission: LetterSubmission | None
    try:
        submission = LetterSubmission.model_validate(_submission_data(values))
    except ValidationError as exc:
        for error in exc.errors():
            field = _FIELD_OF.get(".".join(str(part) for part in error["loc"]))
            if field is not None:
                problems.setdefault(field, chinese_message(FIELD_LABELS[field], error, choice=field in _CHOICES))
        submission = _stand_in(values, set(problems))
        if submission is None:
            return None, problems or {"body": "来信内容有误，请检查后重新提交"}
    wrong_contact = bool(set(_CONTACT_FIELDS) & set(problems))
    for issue in letter_issues(
        submission, today=ctx.clock.today(), records_start_on=ctx.settings.records_start_on, staff=False
    ):
        if wrong_contact and issue.field == "contact":
            continue  # a phone or e-mail was given but is malformed: its own message says so
        problems.setdefault(_FIELD_OF.get(issue.field, "body"), issue.text)
    return (None if problems else submission), problems


#: What stands in for a field that is wrong, so the other rules can still be checked in the same round.
_STAND_INS = {"category": "consultation", "title": "-", "body": "-"}


def _stand_in(values: Mapping[str, str], wrong: set[str]) -> LetterSubmission | None:
    """The letter with its wrong fields replaced or left out; None when the kind itself is wrong."""
    if "kind" in wrong or not wrong <= {*_STAND_INS, "department", *_CONTACT_FIELDS}:
        return None
    kept = {name: value for name, value in values.items() if name not in wrong}
    data = _submission_data(kept) | {name: _STAND_INS[name] for name in wrong & set(_STAND_INS)}
    if "department" in wrong:
        data["department"] = "-"  # too long, but given: the department rule holds
    try:
        return LetterSubmission.model_validate(data)
    except ValidationError:
        return None


def letter_pages_router(ctx: ServiceContext) -> APIRouter:
    pages = APIRouter(tags=["portal"], include_in_schema=False)

    form_page = FormPage(templates, "letter_new.html", FIELD_LABELS, _CHOICES).render

    @pages.get("/letters/new", response_class=HTMLResponse)
    async def letter_form(request: Request, kind: str = "") -> HTMLResponse:
        """The form; ``kind`` chooses the mailbox beforehand (anything else chooses nothing)."""
        return form_page(request, {"kind": kind} if kind in KIND_LABELS else {}, {}, 200)

    @pages.post("/letters/new", response_class=HTMLResponse)
    async def send_letter(request: Request) -> HTMLResponse:
        raw = await posted_form(request)
        values = form_values(raw, FIELD_LABELS)
        submission, problems = _check(ctx, values)
        if submission is None:
            return form_page(request, {**values, "form_id": posted_form_id(raw)}, problems, 422)
        accepted = await accept_letter(ctx, submission, None, resubmission(raw, submission))
        context = {
            "accepted": accepted,
            "letter": submission,
            "kind_label": KIND_LABELS[submission.kind],
            "category_label": CATEGORY_LABELS[submission.category],
        }
        return templates.TemplateResponse(request, "letter_sent.html", context, headers=NO_STORE)

    return pages
