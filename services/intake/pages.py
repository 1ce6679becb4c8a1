"""The citizen's application page (申请政府信息公开): a plain HTML form, no JavaScript needed.

``GET /requests/new`` shows the form with what Art. 29 asks for; ``POST /requests/new`` (a form
post, ``application/x-www-form-urlencoded``) checks it with the API's own model and rules
(channel ``internet``, no staff), then shows the form again with Chinese messages beside the
fields (and what was typed kept), or the confirmation with the tracking code, shown once.

Pages that hold personal data or the tracking code are never cached (``Cache-Control: no-store``);
error messages never repeat what was typed.
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
from services.intake.forms import (
    NO_STORE,
    FormPage,
    chinese_message,
    form_values,
    posted_form,
    posted_form_id,
    resubmission,
)
from services.intake.request_api import accept_application
from services.intake.request_form import (
    MAX_ADDRESS,
    MAX_DESCRIPTION,
    MAX_DOC_NUMBER,
    MAX_NAME,
    RequestApplication,
    application_issues,
)

__all__ = ["DELIVERY_FORM_LABELS", "DELIVERY_METHOD_LABELS", "KIND_LABELS", "ORG_TYPE_LABELS", "pages_router"]

KIND_LABELS = {"natural_person": "自然人", "legal_person": "法人或其他组织"}
ORG_TYPE_LABELS = {
    "commercial": "商业企业",
    "research": "科研机构",
    "public_interest": "社会公益组织",
    "legal_service": "法律服务机构",
    "other": "其他",
}
DELIVERY_FORM_LABELS = {"paper": "纸质", "electronic": "电子"}
DELIVERY_METHOD_LABELS = {
    "post": "邮寄",
    "email": "电子邮件",
    "pickup": "当面领取",
    "online": "网上获取",
    "fax": "传真",
}

#: The form's fields in page order, with the label used in messages; radio groups are "选择"d.
FIELD_LABELS: dict[str, str] = {
    "kind": "申请人类型",
    "org_type": "组织类型",
    "name": "姓名或名称",
    "id_number": "证件号码",
    "phone": "联系电话",
    "email": "电子邮箱",
    "address": "通信地址",
    "description": "所需政府信息的名称或描述",
    "doc_number": "文号",
    "delivery_form": "提供形式",
    "delivery_method": "获取方式",
}
_CHOICES = {
    "kind": KIND_LABELS,
    "org_type": ORG_TYPE_LABELS,
    "delivery_form": DELIVERY_FORM_LABELS,
    "delivery_method": DELIVERY_METHOD_LABELS,
}
_RADIOS = {"kind", "delivery_form", "delivery_method"}
#: Where a problem of the model (a location in the JSON body) is shown on the page.
_FIELD_OF: dict[str, str] = {
    "applicant": "phone",  # "give at least one contact": shown at the first contact field
    "applicant.kind": "kind",
    "applicant.org_type": "org_type",
    "applicant.name": "name",
    "applicant.id_number": "id_number",
    "applicant.phone": "phone",
    "applicant.email": "email",
    "applicant.address": "address",
    "description": "description",
    "doc_number": "doc_number",
    "delivery": "delivery_method",
    "delivery.form": "delivery_form",
    "delivery.method": "delivery_method",
}

templates = portal_templates(Path(__file__).parent / "templates")
templates.env.globals.update(
    field_labels=FIELD_LABELS,
    choices=_CHOICES,
    limits={"name": MAX_NAME, "description": MAX_DESCRIPTION, "doc_number": MAX_DOC_NUMBER, "address": MAX_ADDRESS},
)


def _application_data(values: Mapping[str, str]) -> dict[str, Any]:
    """The API body the form stands for (channel internet); empty fields are left out."""

    def given(*names: str) -> dict[str, str]:
        return {name: values[name] for name in names if values.get(name, "") != ""}

    data: dict[str, Any] = {
        "channel": "internet",
        "applicant": given("kind", "org_type", "name", "id_number", "phone", "email", "address"),
        **given("description", "doc_number"),
    }
    if values.get("delivery_form") and values.get("delivery_method"):
        data["delivery"] = {"form": values["delivery_form"], "method": values["delivery_method"]}
    return data


_OPTIONAL = frozenset({"org_type", "id_number", "phone", "email", "address", "doc_number"})
_CONTACTS = frozenset({"phone", "email", "address"})


def _check(ctx: ServiceContext, values: Mapping[str, str]) -> tuple[RequestApplication | None, dict[str, str]]:
    """The validated application, or the first problem of each field (in Chinese), all at once."""
    problems: dict[str, str] = {}
    for choice in ("delivery_form", "delivery_method"):
        if not values.get(choice):  # Art. 29(三): the page asks the applicant to say both
            problems[choice] = f"请选择{FIELD_LABELS[choice]}"
    application: RequestApplication | None
    try:
        application = RequestApplication.model_validate(_application_data(values))
    except ValidationError as exc:
        for error in exc.errors():
            field = _FIELD_OF.get(".".join(str(part) for part in error["loc"]))
            if field is not None:
                problems.setdefault(
                    field, chinese_message(FIELD_LABELS[field], error, choice=field in _RADIOS or field == "org_type")
                )
        application = _without_wrong_optional_fields(values, set(problems))
        if application is None:
            return None, problems or {"description": "申请内容有误，请检查后重新提交"}
    dropped_contact = bool(_CONTACTS & set(problems))
    for issue in application_issues(
        application, today=ctx.clock.today(), records_start_on=ctx.settings.records_start_on, staff=False
    ):
        if dropped_contact and issue.field in ("applicant", "delivery.method"):
            continue  # a contact was given but is malformed: its own message says so
        problems.setdefault(_FIELD_OF.get(issue.field, "description"), issue.text)
    return (None if problems else application), problems


def _without_wrong_optional_fields(values: Mapping[str, str], wrong: set[str]) -> RequestApplication | None:
    """The application less its malformed optional fields, so the rules can still be checked in the same round."""
    if not wrong <= _OPTIONAL | {"delivery_form", "delivery_method"}:
        return None
    try:
        return RequestApplication.model_validate(
            _application_data({name: value for name, value in values.items() if name not in wrong})
        )
    except ValidationError:
        return None


def pages_router(ctx: ServiceContext) -> APIRouter:
    pages = APIRouter(tags=["portal"], include_in_schema=False)

    form_page = FormPage(templates, "apply.html", FIELD_LABELS, {field: _CHOICES[field] for field in _RADIOS}).render

    @pages.get("/requests/new", response_class=HTMLResponse)
    async def application_form(request: Request) -> HTMLResponse:
        return form_page(request, {}, {}, 200)

    @pages.post("/requests/new", response_class=HTMLResponse)
    async def submit_application(request: Request) -> HTMLResponse:
        raw = await posted_form(request)
        values = form_values(raw, FIELD_LABELS)
        application, problems = _check(ctx, values)
        if application is None:
            return form_page(request, {**values, "form_id": posted_form_id(raw)}, problems, 422)
        accepted = await accept_application(ctx, application, None, resubmission(raw, application))
        context = {
            "accepted": accepted,
            "application": application,
            "kind_label": KIND_LABELS[application.applicant.kind],
            "delivery_form": DELIVERY_FORM_LABELS[application.delivery.form] if application.delivery else "",
            "delivery_method": DELIVERY_METHOD_LABELS[application.delivery.method] if application.delivery else "",
        }
        return templates.TemplateResponse(request, "applied.html", context, headers=NO_STORE)

    return pages
