"""建议提案 in the console over HTTP (no browser): a publisher takes a public reply down (撤下公开) through the
folded form on the proposal view and may publish the latest reply again; the page's own check and the API's
409 in Chinese, a double submit, a forged form, and the roles that see no form.

A proposal assigned 2026-03-31 and answered 2026-05-20 is published through the API before each test; the
clock is 2026-06-01 (tests/e2e/console_fixture.py). Users: li (clerk), shen (reviewer), zhao (publisher),
admin.
"""

from __future__ import annotations

import pytest

from tests.e2e.console_fixture import csrf_of
from tests.e2e.test_console import Site, count_of
from tests.e2e.test_console_letters import act, folded, form_of, forms_shown, listed, post, proposal, shown, signed_in
from tests.e2e.test_console_publisher import register
from tests.polling import eventually_sync

REASON = "答复中含有代表的手机号码，更正后重新公开"
REPLY = "已将社区养老服务设施建设列入明年计划。"


def published(site: Site, number: str = "第0123号") -> str:
    """A proposal answered and its reply public on the portal."""
    proposal_id = register(site, number, reply=REPLY)
    answer = site.client.post(f"/api/v1/proposals/{proposal_id}/publish", headers=site.staff.publisher)
    assert answer.status_code == 202, answer.text
    eventually_sync(lambda: site.client.get(f"/letters/{proposal_id}").status_code == 200)
    return proposal_id


def unpublished_count(site: Site) -> int:
    return len(proposal_steps(site, "proposal.reply_unpublished"))


def proposal_steps(site: Site, step: str) -> list[str]:
    items = site.client.get("/api/v1/proposals", headers=site.staff.clerk).json()["items"]
    return [
        p["id"] for p in items for h in proposal(site, p["id"])["history"] if h["step"] == step and not h.get("ignored")
    ]


def test_a_publisher_takes_a_public_reply_down_and_may_publish_it_again(site: Site) -> None:
    proposal_id = published(site)
    client = signed_in(site, "zhao")
    assert count_of(client.get("/console/").text, "待公开的建议提案答复") == "0"
    page = client.get(f"/console/proposals/{proposal_id}").text
    assert forms_shown(page) == ["unpublish"] and folded(page, "unpublish")
    assert "撤下后，该建议提案的答复不再在门户网站“公开信件选登”中显示" in page
    assert "撤下理由仅工作人员可见" in page and "撤下后可以重新公开" in page
    assert shown(page, "publication") == "已公开（第 1 次答复）" and "答复已公开" in shown(page, "proposal-status")
    stale = form_of(page, "unpublish")

    blank = act(client, "proposals", proposal_id, "unpublish", reason="  ")
    assert blank.status_code == 422 and "请填写撤下理由" in blank.text and not folded(blank.text, "unpublish")
    too_long = act(client, "proposals", proposal_id, "unpublish", reason="理" * 501)
    assert too_long.status_code == 422 and "撤下理由不能超过 500 字" in too_long.text
    assert "理" * 501 in too_long.text  # what was typed stays in the open form
    assert proposal(site, proposal_id)["published"] is True

    answer = act(client, "proposals", proposal_id, "unpublish", reason=REASON)
    assert answer.status_code == 303 and answer.headers["location"].endswith("done=unpublish")
    after = client.get(answer.headers["location"]).text
    assert "已撤下：该建议提案的答复已从“公开信件选登”中撤下，门户网站不再显示。" in after
    assert shown(after, "publication") == f"已撤下（2026-06-01；撤下理由：{REASON}）"
    assert "答复已撤下" in shown(after, "proposal-status") and f"撤下理由：{REASON}" in after  # and in the history
    assert forms_shown(after) == ["publish"]  # the latest reply may be published again
    eventually_sync(lambda: site.client.get(f"/letters/{proposal_id}").status_code == 404)
    assert count_of(client.get("/console/").text, "待公开的建议提案答复") == "1"  # waiting again on the 工作台
    assert listed(client, "proposals", "?unpublished=1") == {proposal_id}

    refused = post(client, "proposals", proposal_id, stale, reason="再次撤下")
    assert refused.status_code == 409
    assert "“撤下公开”未被记录：该建议提案当前状态为“已答复”" in refused.text
    assert "原因：该建议提案当前没有公开的答复（尚未公开，或已被撤下），无需撤下。" in refused.text
    for untranslated in ("no reply", "系统说明", "系统另有说明"):
        assert untranslated not in refused.text, untranslated
    assert unpublished_count(site) == 1

    again = act(client, "proposals", proposal_id, "publish")
    assert again.status_code == 303, again.text
    assert forms_shown(client.get(f"/console/proposals/{proposal_id}").text) == ["unpublish"]
    eventually_sync(lambda: site.client.get(f"/letters/{proposal_id}").status_code == 200)
    assert proposal(site, proposal_id)["publication_version"] == 3
    assert count_of(client.get("/console/").text, "待公开的建议提案答复") == "0"


def test_an_unpublish_form_submitted_twice_or_forged_is_recorded_at_most_once(site: Site) -> None:
    proposal_id = published(site)
    client = signed_in(site, "zhao")
    page = client.get(f"/console/proposals/{proposal_id}").text
    hidden = form_of(page, "unpublish")
    for token in ("z" * 43, ""):
        forged = post(client, "proposals", proposal_id, hidden | {"csrf_token": token}, reason=REASON)
        assert forged.status_code == 403 and "安全校验未通过" in forged.text
    assert proposal(site, proposal_id)["published"] is True
    first = post(client, "proposals", proposal_id, hidden, reason=REASON)
    second = post(client, "proposals", proposal_id, hidden, reason=REASON)
    assert first.status_code == second.status_code == 303
    assert second.headers["location"].endswith("done=replayed")
    assert "该表单已经提交过，本次未重复记录。" in client.get(second.headers["location"]).text
    assert unpublished_count(site) == 1


@pytest.mark.parametrize("username", ["li", "shen"])
def test_only_publishers_see_and_use_the_unpublish_form(site: Site, username: str) -> None:
    proposal_id = published(site)
    client = signed_in(site, username)
    page = client.get(f"/console/proposals/{proposal_id}").text
    assert "unpublish" not in forms_shown(page) and "撤下公开由发布人员办理" in page
    hidden = {"csrf_token": csrf_of(page), "form_id": "u" * 24, "action": "unpublish"}
    refused = post(client, "proposals", proposal_id, hidden, reason=REASON)
    assert refused.status_code == 403
    assert proposal(site, proposal_id)["published"] is True


def test_admin_takes_a_reply_down_and_a_reply_never_public_has_no_form(site: Site) -> None:
    proposal_id = published(site)
    never = register(site, "第0124号", reply=REPLY)
    client = signed_in(site, "admin")
    assert forms_shown(client.get(f"/console/proposals/{never}").text) == ["feedback", "publish"]
    assert act(client, "proposals", proposal_id, "unpublish", reason=REASON).status_code == 303
    assert proposal(site, proposal_id)["withdrawal_reason"] == REASON
    page = client.get(f"/console/proposals/{never}").text
    hidden = {"csrf_token": csrf_of(page), "form_id": "n" * 24, "action": "unpublish"}
    refused = post(client, "proposals", never, hidden, reason=REASON)  # posted anyway: the API's 409
    assert refused.status_code == 409 and "当前没有公开的答复" in refused.text
    assert proposal_steps(site, "proposal.reply_unpublished") == [proposal_id]
