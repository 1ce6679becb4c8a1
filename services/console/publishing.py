"""发布人员 on the document view: withdrawing a published document (撤回公开) and marking its 效力状态.

Both are the publish API's (``POST /api/v1/documents/{id}/withdraw`` and ``…/validity``, publisher and
admin): this module holds what the page says about them and the checks it makes before sending, in
Chinese; the routes are in ``review_pages.py`` beside the reviewer's decision. The API stays the judge:
a document that is no longer public answers 409, an unknown successor 422, and both are shown in the page.

The validity API takes the successor (the document that amends or repeals this one) by id; the form
accepts its id, its portal or console address, or its 文号, and resolves a 文号 among the published
documents, so a publisher need not copy ids around.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gongkai.auth import Role
from services.console.api_client import ApiError, UserApi
from services.console.web import Form, first

__all__ = [
    "FIELD_LABELS",
    "PUBLISH",
    "PUBLISH_ACTIONS",
    "PublishForms",
    "is_public",
    "parse_validity",
    "parse_withdrawal",
    "resolve_successor",
]

#: Who may withdraw and relabel: the publish API's own role check (admin always).
PUBLISH = (Role.PUBLISHER,)
VALIDITY_LABELS = {"in_force": "现行有效", "amended": "已修改", "repealed": "已废止"}
#: What the successor does to this document, for "由《…》修改 / 废止".
SUCCESSOR_VERBS = {"amended": "修改", "repealed": "废止"}


@dataclass(frozen=True)
class PublishAction:
    label: str
    consequence: str
    done: str


PUBLISH_ACTIONS = {
    "withdraw": PublishAction(
        "撤回公开",
        "撤回后，该文件立即从门户网站、全文检索和订阅（Atom）中删除，公众无法再查看；本系统的处理记录保留该文件和撤回理由。"
        "撤回不能恢复：如需再次公开，须作为新文件提交保密审查。",
        "已撤回：该文件已从门户网站、全文检索和订阅中删除，处理记录中保留。",
    ),
    "validity": PublishAction(
        "标注效力状态",
        "标注后，该文件仍在门户网站公开，页面和检索结果标明“已修改”或“已废止”，并链接到修改或替代它的文件；"
        "公众可按效力状态筛选检索结果。",
        "效力状态已更新，门户网站已显示新的标注。",
    ),
}
FIELD_LABELS = {
    "reason": "撤回理由",
    "validity": "效力状态",
    "effective_on": "生效日期",
    "replaced_by": "修改或替代本文件的文件",
    "note": "说明",
}
MAX_REASON = 500
MAX_NOTE = 500
_MAX_SUCCESSOR = 200
_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
#: Statuses in which a document's published revision is on the portal (a correction may be in review meanwhile).
_CORRECTING = ("in_review", "escalated", "approved")
#: 文号 brackets as people type them: 〔〕 is the standard (GB/T 9704), [] () 【】 ［］ the usual stand-ins.
_BRACKETS = str.maketrans({"[": "〔", "(": "〔", "【": "〔", "]": "〕", ")": "〕", "】": "〕"})


@dataclass
class PublishForms:
    """The publisher's forms on the document view: which one failed and what it held (shown again)."""

    failed: str = ""
    kept: dict[str, str] = field(default_factory=dict)


def is_public(doc: dict[str, Any]) -> bool:
    """Whether the document is on the portal now: published, or its public revision while a correction is reviewed."""
    if doc["status"] == "published":
        return True
    return doc["status"] in _CORRECTING and doc.get("published_revision") is not None


def parse_withdrawal(form: Form) -> tuple[dict[str, Any] | None, dict[str, str], list[str]]:
    """The withdraw API's body, or the messages saying what to correct (nothing is sent then)."""
    reason = first(form, "reason").strip()
    confirmed = first(form, "confirm") == "1"
    kept = {"reason": reason, "confirm": "1" if confirmed else ""}
    errors = []
    if not reason:
        errors.append("请填写撤回理由（将记入处理记录）。")
    elif len(reason) > MAX_REASON:
        errors.append(f"撤回理由不能超过 {MAX_REASON} 个字。")
    if not confirmed:
        errors.append("请勾选“确认撤回”：撤回后该文件不再公开，且不能恢复。")
    return (None if errors else {"reason": reason}), kept, errors


def parse_validity(form: Form, doc: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, str], list[str]]:
    """The validity API's body (without the successor, resolved apart), or what to correct."""
    kept = {name: first(form, name).strip() for name in ("validity", "effective_on", "successor", "note")}
    errors = []
    validity = kept["validity"]
    if validity not in VALIDITY_LABELS:
        errors.append("请选择效力状态（已修改或已废止）。")
    elif validity == "in_force" and doc.get("validity", "in_force") == "in_force":
        errors.append("该文件已是“现行有效”：请选择“已修改”或“已废止”。")
    effective_on: date | None = None
    try:
        effective_on = date.fromisoformat(kept["effective_on"]) if len(kept["effective_on"]) == 10 else None
    except ValueError:
        effective_on = None
    if effective_on is None:
        errors.append("请填写生效日期（修改或废止自何日起生效），格式为 YYYY-MM-DD。")
    if validity == "in_force" and kept["successor"]:
        errors.append("恢复为“现行有效”时不填写修改或替代本文件的文件。")
    elif len(kept["successor"]) > _MAX_SUCCESSOR:
        errors.append(f"修改或替代本文件的文件：请填写文号或文件编号（不超过 {_MAX_SUCCESSOR} 个字）。")
    if len(kept["note"]) > MAX_NOTE:
        errors.append(f"说明不能超过 {MAX_NOTE} 个字。")
    if errors or effective_on is None:
        return None, kept, errors
    body: dict[str, Any] = {"validity": validity, "effective_on": effective_on.isoformat()}
    if kept["note"]:
        body["note"] = kept["note"]
    return body, kept, []


def _doc_number_key(value: str) -> str:
    """A 文号 as compared: NFKC, no blanks, brackets as 〔〕 (``某政规[2026] 2号`` = ``某政规〔2026〕2号``)."""
    folded = unicodedata.normalize("NFKC", value).translate(_BRACKETS)
    return "".join(folded.split())


async def resolve_successor(api: UserApi, raw: str, doc_id: str) -> tuple[str | None, str | None]:
    """The published document ``raw`` names (an id, an address holding one, or a 文号), or what is wrong.

    Returns ``(id, None)`` or ``(None, message)``. API failures other than "not found" are raised.
    """
    named = _ID.search(raw.lower())
    if named is not None:
        successor = named.group(0)
        if successor == doc_id:
            return None, "修改或替代本文件的文件不能是本文件自身。"
        try:
            await api.get(f"/api/v1/public/documents/{successor}")
        except ApiError as exc:
            if exc.status != 404:
                raise
            return None, f"未找到编号为 {successor} 的已公开文件（该文件可能尚未公开或已撤回）。请核对后重新填写。"
        return successor, None
    wanted = _doc_number_key(raw)
    published, _ = await api.items("/api/v1/documents", {"status": "published"})
    matches = [d for d in published if d.get("doc_number") and _doc_number_key(d["doc_number"]) == wanted]
    others = [d for d in matches if d["id"] != doc_id]
    if not others:
        if matches:
            return None, "修改或替代本文件的文件不能是本文件自身。"
        return None, (
            f"未找到文号为“{raw}”的已公开文件。请核对文号，或改填该文件的编号"
            "（门户网站地址 /documents/ 之后的32位字母和数字）。"
        )
    if len(others) > 1:
        listed = "；".join(f"《{d['title']}》编号 {d['id']}" for d in others[:5])
        return None, f"文号“{raw}”对应多份已公开文件（{listed}），请改填其中一份的文件编号。"
    return str(others[0]["id"]), None
