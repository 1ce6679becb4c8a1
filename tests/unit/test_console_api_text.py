"""The console's Chinese for the API's English problems (services/console/api_text.py).

The console imports no other service, so it matches the API's messages by their wording; these tests
produce the messages with the API's own code where that is cheap (intake's rules, the appeal dates,
Pydantic's validation) and hold the domain's fixed sentences as the API modules word them, so a reworded
message shows up here rather than as English in a clerk's page.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from services.console.api_client import ApiError
from services.console.api_text import REUSED, conflict_lines, conflict_reason, field_label, field_lines, in_chinese
from services.intake.letters_api import LetterSubmission, letter_issues
from services.intake.request_form import RequestApplication, application_issues
from services.publish.api import ValidityChange, Withdrawal
from services.review.appeals import InvalidDate, check_decided_on, check_filed_on
from services.review.appeals_api import FileAppeal
from services.review.publication import UnpublishIn
from services.review.request_actions import Action

TODAY = date(2026, 6, 1)
START = date(2008, 5, 1)
ENGLISH_WORDS = re.compile(r"[A-Za-z]{3,}")


def english_free(text: str) -> bool:
    """No English word left (dates, numbers, 'YYYY-MM-DD' and e-mail examples aside)."""
    return not [w for w in ENGLISH_WORDS.findall(text) if w not in ("YYYY", "name", "example")]


def intake_messages() -> list[str]:
    """Every rule intake applies to a paper application and a clerk's letter, as the API words it."""
    applications: list[dict[str, Any]] = [
        {"channel": "internet", "applicant": {"kind": "legal_person", "name": "某律所"}, "description": "某文件"},
        {
            "channel": "in_person",
            "applicant": {"kind": "natural_person", "org_type": "other", "name": "张三", "id_number": "1" * 18},
            "description": "某文件",
            "oral": False,
            "received_on": "2027-01-01",
        },
        {
            "channel": "fax",
            "applicant": {"kind": "legal_person", "org_type": "other", "name": "某公司", "id_number": "1" * 18},
            "description": "某文件",
            "oral": True,
            "received_on": "2026-05-01",
            "delivery": {"form": "electronic", "method": "email"},
        },
        {
            "channel": "in_person",
            "applicant": {"kind": "natural_person", "name": "张三", "phone": "13912345678"},
            "description": "某文件",
            "received_on": "2001-01-01",
            "delivery": {"form": "paper", "method": "post"},
        },
    ]
    found = []
    for body in applications:
        application = RequestApplication.model_validate(body)
        found += [i.message for i in application_issues(application, today=TODAY, records_start_on=START, staff=True)]
    found += [
        i.message
        for i in application_issues(
            RequestApplication.model_validate(applications[0] | {"received_on": "2026-05-01"}),
            today=TODAY,
            records_start_on=START,
            staff=False,
        )
    ]
    letters: list[tuple[dict[str, Any], bool]] = [
        ({"kind": "department_mailbox", "contact": {"name": "张三"}, "received_on": "2026-07-01"}, True),
        ({"kind": "mayor_mailbox", "department": "某局", "received_on": "2001-01-01"}, True),
        ({"kind": "consultation", "received_on": "2026-05-01"}, False),
    ]
    for extra, staff in letters:
        letter = LetterSubmission.model_validate({"category": "help", "title": "标题", "body": "内容"} | extra)
        found += [i.message for i in letter_issues(letter, today=TODAY, records_start_on=START, staff=staff)]
    return found


def date_messages() -> list[str]:
    found = []
    for call in (
        lambda: check_filed_on(date(2026, 7, 1), today=TODAY, records_start_on=START),
        lambda: check_filed_on(date(2001, 1, 1), today=TODAY, records_start_on=START),
        lambda: check_filed_on(date(2026, 5, 1), today=TODAY, records_start_on=START, received_on=date(2026, 5, 20)),
        lambda: check_decided_on(date(2026, 7, 1), filed_on=date(2026, 5, 1), today=TODAY),
        lambda: check_decided_on(date(2026, 4, 1), filed_on=date(2026, 5, 1), today=TODAY),
    ):
        with pytest.raises(InvalidDate) as caught:
            call()
        found.append(str(caught.value))
    return found


def validation_messages() -> list[str]:
    """Pydantic's messages for wrong action bodies, as the API's 422 carries them."""
    adapter: TypeAdapter[Any] = TypeAdapter(Action)
    bodies: list[dict[str, Any]] = [
        {"action": "answer", "outcome": "granted", "on": "2026-13-01"},
        {"action": "answer", "outcome": "disclosed", "documents": [{"title": "x" * 201, "direction": "sent"}]},
        {"action": "answer", "outcome": "disclosed", "documents": [{"title": "", "direction": "sent"}]},
        {"action": "extend", "days": 30, "reason": "理由", "approver": "局长", "colour": "red"},
        {"action": "extend", "days": "many"},
        {"action": "request_correction", "items": [], "reply_by": "2026-06-05"},
        {"action": "nope"},
    ]
    found = []
    for body in bodies:
        with pytest.raises(ValidationError) as caught:
            adapter.validate_python(body)
        found += [str(e["msg"]) for e in caught.value.errors()]
    return found


def publish_messages() -> list[str]:
    """Pydantic's and the models' messages for wrong withdrawal and validity bodies (services/publish/api.py)."""
    bodies: list[tuple[type[Withdrawal] | type[ValidityChange], dict[str, Any]]] = [
        (Withdrawal, {"reason": "   "}),
        (Withdrawal, {"reason": ""}),
        (Withdrawal, {"reason": "x" * 501}),
        (Withdrawal, {}),
        (ValidityChange, {"validity": "void", "effective_on": "2026-13-01", "replaced_by": "not-an-id"}),
        (ValidityChange, {"validity": "repealed", "effective_on": "2026-06-01", "note": "x" * 501, "by": "me"}),
    ]
    found = []
    for model, body in bodies:
        with pytest.raises(ValidationError) as caught:
            model.model_validate(body)
        found += [str(e["msg"]) for e in caught.value.errors()]
    return found


def unpublish_messages() -> list[str]:
    """Pydantic's and the model's messages for a wrong take-down (撤下公开) of a letter or proposal reply."""
    found = []
    for body in ({"reason": " \u3000 "}, {"reason": ""}, {"reason": "理" * 501}, {}, {"reason": ["有误"]}):
        with pytest.raises(ValidationError) as caught:
            UnpublishIn.model_validate(body)
        found += [str(e["msg"]) for e in caught.value.errors()]
    return found


def appeal_messages() -> list[str]:
    """The messages for a wrong body or court and case number of an appeal (services/review/appeals_api.py)."""
    filing = {"kind": "reconsideration", "filed_on": "2026-05-01"}
    bodies: list[dict[str, Any]] = [
        {"authority": "某" * 101, "case_number": " " * 241},
        {"authority": "某市\n人民政府", "case_number": "（2026）\t浙0106行初123号"},
        {"authority": 110, "case_number": ["（2026）浙0106行初123号"]},
    ]
    found = []
    for body in bodies:
        with pytest.raises(ValidationError) as caught:
            FileAppeal.model_validate(filing | body)
        found += [str(e["msg"]) for e in caught.value.errors()]
    return found


#: The publish API's own 422 field messages and details for a successor (services/publish/api.py).
PUBLISH_DOMAIN = [
    "must name another document",
    "A document cannot replace itself.",
    "no published document has this id",
    "The replacing document is not published.",
]


#: The domain's fixed sentences (services/review/cases.py, letters.py, proposals.py; intake's fields).
DOMAIN = [
    "the day of a step cannot be in the future",
    "no record may be dated before 2008-05-01",
    "2026-05-01 is before the case's last step (2026-05-20)",
    "2026-05-01 is before the letter's last step (2026-05-20)",
    "2026-05-01 is before the proposal's last step (2026-05-20)",
    "2026-07-01 is in the future (today is 2026-06-01)",
    "a correction must be asked within 7 working days of receipt, by 2026-05-29 (Art. 30)",
    "the reply-by date must be after the day the correction is asked",
    "consultation 2 is not open on this case",
    "silence can be recorded only when the window ends (2026-06-15)",
    "an extension is at most 20 working days (Art. 33)",
    "an Art. 35 deadline must be later than the current one (2026-06-17)",
    "the payment period must end after the notice",
    "'other.no_correction' is given by its own action, not by an answer",
    "'unavailable.unclear_after_correction' needs a correction received first",
    "'withdraw' closes the case as 'other.other'",
    "a per-page fee needs the number of pages",
    "per item and per page are never charged together: leave pages out",
    "no fee is due: the first 10 applications per month and the first 30 pages are free (国办函〔2020〕109号)",
    "the extended time limit must be more than the current 5 working days",
    "a letter's time limit is at most 10 working days in total",
    "unknown result class 'E': use one of A (已解决), B (正在解决)",
    "'市教育局' is not a co-handling unit of this proposal (co-units: 市财政局、市民政局)",
    "an extended period is 4 to 6 months",
    "only the reply after a dissatisfied assessment is a re-handling reply",
    "Value error, a co-handling unit is named twice",
    "Value error, the text is empty once control characters and blanks are removed",
    "市民政局 is the lead unit, not a co-handling unit",
    "at most 200 characters",
    "must not be empty once control characters and blanks are removed",
    "not a mainland mobile number (11 digits) or a landline number with its area code",
    "not an e-mail address of the form name@example.cn",
]
#: The 409s' reasons beyond "the state forbids it".
CONFLICTS = [
    "a correction may be asked only once (Art. 30) (state: in_progress)",
    "the deadline may be extended only once (Art. 33) (state: in_progress)",
    "an Art. 35 notified deadline already replaces the clock (state: consulting)",
    "the deadline 2026-06-17 has already passed (state: in_progress)",
    "a fee notice was already sent for this case (state: in_progress)",
    "the correction period runs until 2026-06-05 (state: awaiting_correction)",
    "the payment period runs until 2026-06-20 (state: awaiting_payment)",
    "a letter's time limit may be extended only once (state: assigned)",
    "the time limit ended on 2026-06-05 (state: open)",
    "the reply was already rated; feedback is given once (state: replied)",
    "the letter is already published (state: replied)",
    "there is no reply to publish yet (state: assigned)",
    "the reply of 2026-05-20 is already published (state: closed)",
    "no unpublished reply of 2026-05-20 (state: closed)",
    "only a published letter can be withdrawn (state: replied)",
    "no reply of this proposal is public (state: closed)",
    "市财政局 already gave its opinion on 2026-04-20 (state: assigned)",
    "the reply period was already extended on 2026-04-01 (state: assigned)",
    "the due date 2026-06-30 has already passed (state: assigned)",
    f"appeal {'a' * 32} already has a result (upheld) (state: decided)",
    "only a published document can be withdrawn or relabelled (state: not_published)",
]


@pytest.mark.parametrize(
    "message",
    [
        *intake_messages(),
        *date_messages(),
        *validation_messages(),
        *publish_messages(),
        *unpublish_messages(),
        *appeal_messages(),
        *PUBLISH_DOMAIN,
        *DOMAIN,
    ],
)
def test_every_known_message_of_the_api_reads_in_chinese(message: str) -> None:
    text = in_chinese(message)
    assert "系统说明" not in text, f"no Chinese for {message!r}"
    assert english_free(text), text


@pytest.mark.parametrize("detail", CONFLICTS)
def test_every_reason_of_a_409_reads_in_chinese(detail: str) -> None:
    reason = conflict_reason(ApiError(409, {"detail": detail, "state": detail.rsplit(": ", 1)[1].rstrip(")")}))
    assert reason is not None and "系统另有说明" not in reason, detail
    assert english_free(reason), reason


def test_numbers_and_dates_are_carried_over() -> None:
    assert (
        in_chinese("an extension is at most 20 working days (Art. 33)")
        == "延长答复期限不超过 20 个工作日（条例第三十三条）"
    )
    assert "2026-05-29" in in_chinese(
        "a correction must be asked within 7 working days of receipt, by 2026-05-29 (Art. 30)"
    )
    assert "结果维持" in in_chinese(f"appeal {'a' * 32} already has a result (upheld)")


def test_an_unknown_message_keeps_the_original_in_parentheses() -> None:
    assert in_chinese("the moon is not aligned") == "系统未接受提交的内容（系统说明：the moon is not aligned）"
    odd = ApiError(409, {"detail": "the moon is not aligned (state: in_progress)", "state": "in_progress"})
    assert conflict_reason(odd) == "系统另有说明（the moon is not aligned）"


def test_a_409_that_only_names_the_state_adds_no_reason() -> None:
    plain = ApiError(
        409, {"detail": "a case that is answered cannot take 'extend' (state: answered)", "state": "answered"}
    )
    assert conflict_reason(plain) is None
    lines = conflict_lines(plain, "延长答复期限", {"answered": "已办结"}, "申请")
    assert lines == [
        "“延长答复期限”未被记录：该申请当前状态为“已办结”，不能进行此操作（可能已有人办理过，或页面已过期）。"
        "页面已显示最新状态，本次未作任何记录。"
    ]
    again = ApiError(409, {"detail": "the deadline may be extended only once (Art. 33) (state: in_progress)"})
    assert (
        conflict_lines(again, "延长答复期限", {}, "申请")[1]
        == "原因：答复期限只能延长一次，该申请已延长过（条例第三十三条）。"
    )


def test_field_paths_are_labelled_on_the_page() -> None:
    labels = {"on": "日期", "applicant": "申请人", "applicant.phone": "联系电话"}
    actions = frozenset({"answer"})
    assert field_label("answer.documents.1.title", labels, actions) == "第 2 件文书的名称"
    assert field_label("answer.on", labels, actions) == "日期"
    assert field_label("applicant.phone", labels) == "联系电话"
    assert field_label("applicant.name", labels) == "申请人"
    assert field_label("body", labels) == "提交的内容"


def test_a_422_is_listed_by_field_in_chinese_and_a_reused_form_is_said_so() -> None:
    problem = {
        "type": "validation",
        "detail": "Some fields are missing or invalid.",
        "errors": [{"field": "extend.days", "message": "Input should be less than or equal to 20"}],
    }
    lines = field_lines(ApiError(422, problem), {"days": "延长天数"}, frozenset({"extend"}))
    assert lines == ["延长天数：不能大于 20（系统校验未通过，本次未作任何记录）"]
    reused = {"type": "idempotency-key-reused", "detail": "This key was used with a different body."}
    assert field_lines(ApiError(422, reused), {}) == [REUSED]


def test_the_publish_apis_refusals_read_in_chinese_on_their_fields() -> None:
    labels = {"reason": "撤回理由", "replaced_by": "修改或替代本文件的文件"}
    unknown = {
        "type": "validation",
        "detail": "The replacing document is not published.",
        "errors": [{"field": "replaced_by", "message": "no published document has this id"}],
    }
    assert field_lines(ApiError(422, unknown), labels) == [
        "修改或替代本文件的文件：没有该编号的已公开文件（可能尚未公开或已撤回）（系统校验未通过，本次未作任何记录）"
    ]
    blank = {
        "type": "validation",
        "errors": [{"field": "reason", "message": "Value error, a withdrawal needs a reason"}],
    }
    assert field_lines(ApiError(422, blank), labels) == ["撤回理由：请填写撤回理由（系统校验未通过，本次未作任何记录）"]
    gone = ApiError(
        409,
        {
            "detail": "only a published document can be withdrawn or relabelled (state: not_published)",
            "state": "not_published",
        },
    )
    assert conflict_lines(gone, "撤回公开", {"not_published": "已撤回"}, "文件") == [
        "“撤回公开”未被记录：该文件当前状态为“已撤回”，不能进行此操作（可能已有人办理过，或页面已过期）。"
        "页面已显示最新状态，本次未作任何记录。",
        "原因：只有已公开的文件才能撤回或标注效力状态。",
    ]


def test_a_take_down_refused_reads_in_chinese() -> None:
    blank = {
        "type": "validation",
        "errors": [{"field": "reason", "message": "Value error, a take-down needs a reason"}],
    }
    assert field_lines(ApiError(422, blank), {"reason": "撤下理由"}) == [
        "撤下理由：请填写撤下理由（系统校验未通过，本次未作任何记录）"
    ]
    stale = ApiError(409, {"detail": "no reply of this proposal is public (state: closed)", "state": "closed"})
    assert conflict_lines(stale, "撤下公开", {"closed": "已办结"}, "建议提案") == [
        "“撤下公开”未被记录：该建议提案当前状态为“已办结”，不能进行此操作（可能已有人办理过，或页面已过期）。"
        "页面已显示最新状态，本次未作任何记录。",
        "原因：该建议提案当前没有公开的答复（尚未公开，或已被撤下），无需撤下。",
    ]
