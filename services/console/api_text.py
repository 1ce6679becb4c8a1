"""The API's problem answers in Chinese, for the console's pages.

The platform's API answers in RFC 9457 problems whose ``detail`` and field ``message`` are English (they are
written for integrators); a clerk reads Chinese. This module turns them into Chinese sentences:

* by the problem's stable parts first: its ``type`` (``idempotency-key-reused``), its ``state`` (409) and the
  field names of its ``errors`` (labelled by each page);
* then the messages themselves, matched by the stable wording of the API's own modules (the domain's
  ``InvalidStep``/``InvalidTransition`` reasons, intake's rules, Pydantic's validation messages), numbers and
  dates carried over;
* anything not known falls back to a generic Chinese sentence with the original in parentheses, so a new
  rule of the API is never hidden, only untranslated.

The console imports no other service, so the messages are matched here, not imported;
``tests/unit/test_console_api_text.py`` checks them against the API modules' actual messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from services.console.api_client import ApiError
from services.console.web import conflict_text

__all__ = [
    "REUSED",
    "conflict_lines",
    "conflict_reason",
    "field_label",
    "field_lines",
    "in_chinese",
    "translated",
]

#: The same ``form_id`` (Idempotency-Key) sent again with other values: the first submission stands.
REUSED = "该表单已经提交过，本次修改后的内容未被记录。请重新打开页面，在新的表单中填写后再提交。"
#: Suffix of every line of a 422 (nothing was recorded).
_NOT_RECORDED = "（系统校验未通过，本次未作任何记录）"

APPEAL_RESULT_LABELS = {"upheld": "结果维持", "corrected": "结果纠正", "other": "其他结果"}

_Template = str | Callable[[re.Match[str]], str]


def _result(match: re.Match[str]) -> str:
    result = match.group("r")
    return f"该行政复议或行政诉讼已登记过结果（{APPEAL_RESULT_LABELS.get(result, result)}），结果只能登记一次"


def _least(match: re.Match[str]) -> str:
    n = int(match.group("n"))
    return "不能为空" if n == 1 else f"至少 {n} 个字"


#: (the API's message, whole, as a regular expression; its Chinese). Dates stay ISO (YYYY-MM-DD).
_RULES: tuple[tuple[str, _Template], ...] = (
    # --- Pydantic's validation messages (the API's 422 for the body's shape) ---
    (r"Field required", "必须填写"),
    (r"String should have at most (?P<n>\d+) characters?", "不能超过 {n} 个字"),
    (r"String should have at least (?P<n>\d+) characters?", _least),
    (r"at most (?P<n>\d+) characters", "不能超过 {n} 个字"),
    (r"List should have at most (?P<n>\d+) items?.*", "最多 {n} 项"),
    (r"List should have at least (?P<n>\d+) items?.*", "至少 {n} 项"),
    (r"Input should be a valid date.*", "应为有效的日期（YYYY-MM-DD）"),
    (r"Input should be a valid integer.*", "应为整数"),
    (r"Input should be a valid boolean.*", "应为“是”或“否”"),
    (r"Input should be a valid (?:string|list|dictionary|object).*", "格式不正确"),
    (r"Input should be greater than or equal to (?P<n>-?[\d.]+)", "不能小于 {n}"),
    (r"Input should be less than or equal to (?P<n>-?[\d.]+)", "不能大于 {n}"),
    (r"Input should be greater than (?P<n>-?[\d.]+)", "应大于 {n}"),
    (r"Input should be less than (?P<n>-?[\d.]+)", "应小于 {n}"),
    (r"Input should be '.*", "不是可选的值，请从列表中选择"),
    (r"Input tag '.*' found using '\w+' does not match any of the expected tags.*", "无法识别的操作"),
    (r"Unable to extract tag using discriminator.*", "未指明操作"),
    (r"Extra inputs are not permitted", "系统不接受该项内容"),
    (r"String should match pattern.*", "格式不正确"),
    # --- intake's text fields (services/intake/fields.py) ---
    (
        r"(?:must not be|the text is) empty once control characters and blanks are removed",
        "不能为空（去掉空格和控制字符后没有内容）",
    ),
    (
        r"not a mainland mobile number \(11 digits\) or a landline number with its area code",
        "不是有效的电话号码：手机号码为11位数字，固定电话须带区号",
    ),
    (r"not an e-mail address of the form .*", "不是有效的电子邮箱地址（如 name@example.cn）"),
    # --- dates, shared by every API ---
    (r"the day of a step cannot be in the future", "办理日期不能晚于今天"),
    (r"no record may be dated before (?P<d>[\d-]+)", "日期不能早于 {d}（本系统记录的起始日）"),
    (r"(?P<d>[\d-]+) is in the future \(today is (?P<t>[\d-]+)\)", "{d} 晚于今天（{t}），不能登记将来的日期"),
    (r"(?P<d>[\d-]+) is before the records start \((?P<s>[\d-]+)\)", "{d} 早于本系统记录的起始日（{s}）"),
    (
        r"(?P<d>[\d-]+) is before the (?:case's|letter's|proposal's) last step \((?P<f>[\d-]+)\)",
        "{d} 早于上一办理步骤的日期（{f}），各步骤须按先后顺序登记",
    ),
    (r"(?P<d>[\d-]+) is before the application was received \((?P<r>[\d-]+)\)", "{d} 早于收到申请之日（{r}）"),
    (r"(?P<d>[\d-]+) is before the appeal was filed \((?P<f>[\d-]+)\)", "{d} 早于提起复议或诉讼之日（{f}）"),
    (r"\w+ is not a step of an? (?:request case|letter|proposal)", "不是该事项的办理步骤"),
    # --- 依申请公开: the steps of a case (services/review/cases.py, request_actions.py) ---
    (
        r"a correction must be asked within (?P<n>\d+) working days of receipt, by (?P<d>[\d-]+) \(Art\. 30\)",
        "补正告知应在收到申请之日起 {n} 个工作日内作出，即不晚于 {d}（条例第三十条）",
    ),
    (r"the reply-by date must be after the day the correction is asked", "补正期限应晚于告知补正之日"),
    (r"consultation (?P<n>\d+) is not open on this case", "第 {n} 次征求意见不是尚未答复的征求意见"),
    (
        r"silence can be recorded only when the window ends \((?P<d>[\d-]+)\)",
        "“逾期未答复”只能在征求意见期限（{d}）届满后登记（条例第三十二条）",
    ),
    (
        r"an extension is at most (?P<n>\d+) working days \(Art\. 33\)",
        "延长答复期限不超过 {n} 个工作日（条例第三十三条）",
    ),
    (
        r"an Art\. 35 deadline must be later than the current one \((?P<d>[\d-]+)\)",
        "须晚于现行答复期限（{d}）（条例第三十五条）",
    ),
    (r"the payment period must end after the notice", "缴费期限须晚于发出收费通知之日"),
    (
        r"'[\w.]+' is given by its own action, not by an answer",
        "该办理结果须通过相应的操作登记（“逾期未补正，不再处理”“逾期未缴费，不再处理”或“申请人撤回申请”），不能作为答复的办理结果",
    ),
    (
        r"'unavailable\.unclear_after_correction' needs a correction received first",
        "“补正后申请内容仍不明确”须先登记收到补正材料",
    ),
    (r"'\w+' closes the case as '[\w.]+'", "该操作的办理结果是固定的，不能另选"),
    (r"a per-page fee needs the number of pages", "按量（页数）计收须填写页数"),
    (r"per item and per page are never charged together.*", "按件计收时不填写页数：按件与按量不同时计收"),
    (
        r"no fee is due: the first 10 applications per month and the first 30 pages are free.*",
        "无需收费：每月前10件申请、前30页不收取信息处理费（国办函〔2020〕109号）",
    ),
    # 409 reasons
    (r"a correction may be asked only once \(Art\. 30\)", "补正只能一次性告知，该申请已告知过补正（条例第三十条）"),
    (r"the deadline may be extended only once \(Art\. 33\)", "答复期限只能延长一次，该申请已延长过（条例第三十三条）"),
    (
        r"an Art\. 35 notified deadline already replaces the clock",
        "已按条例第三十五条告知延迟答复期限，不能再延长答复期限",
    ),
    (r"the deadline (?P<d>[\d-]+) has already passed", "答复期限（{d}）已经届满，不能再延长"),
    (r"a fee notice was already sent for this case", "该申请已发出过收费通知"),
    (
        r"the correction period runs until (?P<d>[\d-]+)",
        "补正期限至 {d}，届满后才能登记“逾期未补正，不再处理”",
    ),
    (r"the payment period runs until (?P<d>[\d-]+)", "缴费期限至 {d}，届满后才能登记“逾期未缴费，不再处理”"),
    # --- applications (services/intake/request_form.py) ---
    (r"a legal person or other organisation must give its type.*", "请选择法人或其他组织的类型"),
    (r"org_type is only for legal persons and other organisations", "以自然人身份申请时不选择组织类型"),
    (
        r"give at least one contact: phone, email or address.*",
        "请至少填写一种联系方式：联系电话、电子邮箱或通信地址（条例第二十九条）",
    ),
    (
        r"required for applications filed online.*",
        "网上申请须填写证件号码：自然人填写居民身份证号码，法人或其他组织填写统一社会信用代码",
    ),
    (
        r"not a valid 18-character resident ID number.*",
        "居民身份证号码有误，请核对：应为18位，出生日期和最后一位校验码须正确",
    ),
    (
        r"not a valid 18-character unified social credit code.*",
        "统一社会信用代码有误，请核对：应为18位，最后一位校验码须正确",
    ),
    (r"only an application made in person can be oral.*", "口头申请只能当面提出，由工作人员代为填写（条例第二十九条）"),
    (
        r"applicants do not state a receipt date.*",
        "网上申请以本机关确认收到之日为收到申请之日（条例第三十一条），无需填写",
    ),
    (
        r"for channel \w+ the receipt date is set when the agency confirms receipt.*",
        "该渠道的收到申请日期在“确认收到”时登记（条例第三十一条），此处不填",
    ),
    (r"the receipt date cannot be in the future", "不能晚于今天"),
    (
        r"the receipt date cannot be before (?P<d>[\d-]+), when records start",
        "不能早于 {d}（本系统记录的起始日）",
    ),
    (r"delivery by e-mail needs an e-mail address", "选择电子邮件获取，请填写电子邮箱"),
    (r"delivery by post needs a postal address", "选择邮寄获取，请填写通信地址"),
    # --- letters (services/intake/letters_api.py, services/review/letters.py) ---
    (r"a letter to a department mailbox must name the department written to", "写给部门信箱的来信，请填写收信部门"),
    (r"department is only for department_mailbox letters", "只有写给部门信箱的来信才填写收信部门"),
    (
        r"a mailbox letter that gives a contact must give a phone or an e-mail.*",
        "留下姓名的，请至少填写联系电话或电子邮箱；不留任何联系方式的，来信人可凭查询码在网上查看答复",
    ),
    (r"writers do not state a receipt date.*", "网上来信以提交之日为收到之日，无需填写收信日期"),
    (
        r"the extended time limit must be more than the current (?P<n>\d+) working days",
        "延长后的办理期限须多于现有的 {n} 个工作日",
    ),
    (
        r"a letter's time limit is at most (?P<n>\d+) working days in total",
        "办理期限自收信之日起合计不超过 {n} 个工作日",
    ),
    (r"a letter's time limit may be extended only once", "办理期限只能延长一次，该信件已延长过"),
    (r"the time limit ended on (?P<d>[\d-]+)", "办理期限已于 {d} 届满，不能再延长"),
    (r"the reply was already rated; feedback is given once", "来信人已评价过答复，评价只能一次"),
    (r"the letter is already published", "该信件已经公开，不能重复公开"),
    (r"only a published letter can be withdrawn", "该信件当前未公开（尚未选登，或已被撤下），无需撤下"),
    # --- proposals (services/intake/proposals_api.py, services/review/proposals.py) ---
    (r"a co-handling unit is named twice", "协办单位重复填写"),
    (r"(?P<u>.+) is the lead unit, not a co-handling unit", "“{u}”是主办单位，不能同时作为协办单位"),
    (r"unknown result class .*", "不是规定的办理结果类别，请从列表中选择"),
    (
        r"'(?P<u>.+)' is not a co-handling unit of this proposal \(co-units: (?P<all>.*)\)",
        "“{u}”不是该建议提案的协办单位（协办单位：{all}）",
    ),
    (
        r"an extended period is (?P<a>\d+) to (?P<b>\d+) months",
        "延长后的办理期限为自交办之日起 {a} 至 {b} 个月",
    ),
    (
        r"only the reply after a dissatisfied assessment is a re-handling reply",
        "只有代表（委员）评价不满意后的答复才是重新办理的答复",
    ),
    (r"there is no reply to publish yet", "尚无可以公开的答复"),
    (r"the reply of (?P<d>[\d-]+) is already published", "{d} 的答复已经公开，不能重复公开"),
    (r"no unpublished reply of (?P<d>[\d-]+)", "没有 {d} 尚未公开的答复"),
    (r"no reply of this proposal is public", "该建议提案当前没有公开的答复（尚未公开，或已被撤下），无需撤下"),
    (r"(?P<u>.+) already gave its opinion on (?P<d>[\d-]+)", "“{u}”已于 {d} 提出协办意见"),
    (
        r"the reply period was already extended on (?P<d>[\d-]+)",
        "办理期限已于 {d} 延长过，只能延长一次",
    ),
    (r"the due date (?P<d>[\d-]+) has already passed", "答复期限（{d}）已过，不能再延长"),
    # --- 撤下公开 of letters and proposal replies (services/review/publication.py) ---
    (r"a take-down needs a reason", "请填写撤下理由"),
    # --- appeals (services/review/appeals_api.py) ---
    (r"appeal \w+ already has a result \((?P<r>\w+)\)", _result),
    # --- published documents: withdrawal and 效力状态 (services/publish/api.py) ---
    (r"a withdrawal needs a reason", "请填写撤回理由"),
    (r"must name another document", "不能是本文件自身，应为修改或替代本文件的另一份文件"),
    (r"A document cannot replace itself", "修改或替代本文件的文件不能是本文件自身"),
    (r"no published document has this id", "没有该编号的已公开文件（可能尚未公开或已撤回）"),
    (r"The replacing document is not published", "修改或替代本文件的文件尚未公开或已撤回"),
    # 409 reason
    (r"only a published document can be withdrawn or relabelled", "只有已公开的文件才能撤回或标注效力状态"),
    # --- appeals: the reconsideration body or court, the case number (services/review/appeals_api.py) ---
    (r"must not contain control characters or line breaks", "只能是一行文字，不能含换行、制表符等控制字符"),
)
_COMPILED = tuple((re.compile(pattern, re.S), template) for pattern, template in _RULES)
#: The 409's reason when it only says the state forbids the step: the state's own sentence says it all.
_GENERIC_CONFLICT = re.compile(r"an? (?:case|letter|proposal) that is \w+ cannot take '\w+'")
_STATE_SUFFIX = re.compile(r"\s*\(state: [\w.-]+\)\s*$")
_PROBLEM_TYPES = {
    "idempotency-key-reused": REUSED,
}


def translated(message: str) -> str | None:
    """The Chinese of one of the API's known messages, or None when it is not known."""
    text = message.strip().removeprefix("Value error, ").removeprefix("Assertion failed, ")
    text = text.rstrip(".") if text.endswith(".") and not text.endswith("..") else text
    for pattern, template in _COMPILED:
        match = pattern.fullmatch(text)
        if match is not None:
            return template(match) if callable(template) else template.format(**match.groupdict())
    return None


def in_chinese(message: str) -> str:
    """The Chinese of the API's message; an unknown one as a generic sentence with the original in parentheses."""
    return translated(message) or f"系统未接受提交的内容（系统说明：{message.strip()}）"


def field_label(field: str, labels: Mapping[str, str], prefixes: frozenset[str] = frozenset()) -> str:
    """The label of the API's field path (``applicant.phone``, ``answer.documents.0.title``) on this page.

    ``prefixes`` are leading segments to drop: a discriminated union's tag (the action's name).
    """
    parts = field.split(".")
    if len(parts) > 1 and parts[0] in prefixes:
        parts = parts[1:]
    if len(parts) >= 2 and parts[0] == "documents" and parts[1].isdigit():
        return f"第 {int(parts[1]) + 1} 件文书的名称"
    joined = ".".join(parts)
    if joined in labels:
        return labels[joined]
    named = [p for p in parts if not p.isdigit()]
    for end in range(len(named), 0, -1):
        if (candidate := ".".join(named[:end])) in labels:
            return labels[candidate]
    return "提交的内容"


def field_lines(exc: ApiError, labels: Mapping[str, str], prefixes: frozenset[str] = frozenset()) -> list[str]:
    """The API's 422 in Chinese: one line per field problem, on the field's label (nothing was recorded)."""
    kind = str(exc.problem.get("type", ""))
    if kind in _PROBLEM_TYPES:
        return [_PROBLEM_TYPES[kind]]
    found = exc.problem.get("errors")
    if not isinstance(found, list) or not found:
        return [
            in_chinese(exc.detail) + "本次未作任何记录。" if exc.detail else "提交的内容未通过校验，本次未作任何记录。"
        ]
    lines = []
    for item in found:
        field = str(item.get("field", "")) if isinstance(item, dict) else ""
        message = str(item.get("message", "")) if isinstance(item, dict) else str(item)
        lines.append(f"{field_label(field, labels, prefixes)}：{in_chinese(message)}{_NOT_RECORDED}")
    return lines


def conflict_reason(exc: ApiError) -> str | None:
    """The 409's own reason in Chinese, when it says more than "the state forbids it"; None otherwise."""
    detail = _STATE_SUFFIX.sub("", exc.detail)
    if not detail or _GENERIC_CONFLICT.fullmatch(detail):
        return None
    return translated(detail) or f"系统另有说明（{detail}）"


def conflict_lines(exc: ApiError, label: str, states: Mapping[str, str], what: str) -> list[str]:
    """The API's 409 for the step ``label`` on a ``what``: its state in Chinese, and its reason when it gives one."""
    state = states.get(exc.state or "", exc.state or "")
    lines = [conflict_text(label, state, what)]
    if (reason := conflict_reason(exc)) is not None:
        lines.append(f"原因：{reason}。")
    return lines
