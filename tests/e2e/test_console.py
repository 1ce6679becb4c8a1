"""The staff console over HTTP (no browser): sign-in, sessions, CSRF, role checks, the review form's rules.

The browser walk-throughs are in test_console_browser.py; here every refusal is checked for its
message and for what it must not do: record a decision, open a session, or count twice.
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from gongkai.clock import FixedClock
from gongkai.runtime import Platform
from tests.e2e.browser import serve
from tests.e2e.conftest import Staff, bearer, make_staff
from tests.e2e.console_fixture import (
    PASSWORD,
    PHONE,
    PHONE_DRAFT,
    console_platform,
    console_settings,
    create_users,
    csrf_of,
    form_id_of,
)
from tests.e2e.test_request_intake import RESIDENT_ID
from tests.integration.processes import Process, running
from tests.polling import eventually_sync


class Site:
    def __init__(self, client: TestClient, staff: Staff, platform: Platform, data_dir: Path) -> None:
        self.client = client
        self.staff = staff
        self.platform = platform
        self.data_dir = data_dir

    def submit(self, draft: dict[str, Any] = PHONE_DRAFT) -> str:
        answer = self.client.post("/api/v1/documents", json=draft, headers=self.staff.clerk)
        assert answer.status_code == 202, answer.text
        doc_id: str = answer.json()["id"]
        eventually_sync(lambda: self.doc(doc_id).get("status") == "in_review")
        return doc_id

    def doc(self, doc_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.client.get(f"/api/v1/documents/{doc_id}", headers=self.staff.clerk).json()
        return found

    def sessions(self) -> int:
        conn = sqlite3.connect(self.data_dir / "auth.db")
        try:
            return int(conn.execute("SELECT count(*) FROM sessions").fetchone()[0])
        finally:
            conn.close()


def sign_in(client: httpx.Client, username: str, password: str = PASSWORD, **extra: str) -> httpx.Response:
    """A fresh browser signs in (no cookies from before)."""
    client.cookies.clear()
    token = csrf_of(client.get("/console/login").text)
    return client.post(
        "/console/login",
        data={"csrf_token": token, "username": username, "password": password, **extra},
        follow_redirects=False,
    )


def signed_in(site: Site, username: str) -> TestClient:
    answer = sign_in(site.client, username)
    assert answer.status_code == 303, answer.text
    return site.client


def decide(client: httpx.Client, doc_id: str, fields: dict[str, Any], *, csrf: str | None = None) -> httpx.Response:
    page = client.get(f"/console/documents/{doc_id}").text
    data = {"csrf_token": csrf_of(page) if csrf is None else csrf, "form_id": form_id_of(page), **fields}
    return client.post(f"/console/documents/{doc_id}/decision", data=data, follow_redirects=False)


# Signing in -------------------------------------------------------------------------------------


def test_pages_need_a_session_and_come_back_after_signing_in(site: Site) -> None:
    first = site.client.get("/console/review?view=escalated", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/console/login?next=%2Fconsole%2Freview%3Fview%3Descalated"
    page = site.client.get(first.headers["location"])
    assert "工作人员登录" in page.text
    answer = sign_in(site.client, "shen", next="/console/review?view=escalated")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/review?view=escalated"
    assert "已报请审查" in site.client.get(answer.headers["location"]).text


def test_the_session_cookie_is_httponly_lax_and_scoped_to_the_console(site: Site) -> None:
    cookie = sign_in(site.client, "shen").headers["set-cookie"]
    assert cookie.startswith("gongkai_console=gks_")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain http in a test environment


def test_the_cookies_are_secure_over_tls(tmp_path: Path) -> None:
    settings = console_settings(tmp_path)
    create_users(settings)
    with TestClient(console_platform(settings).app(), base_url="https://testserver") as client:
        assert "Secure" in client.get("/console/login").headers["set-cookie"]
        answer = sign_in(client, "shen")
    assert answer.status_code == 303
    assert "Secure" in answer.headers["set-cookie"]


def test_the_cookies_are_secure_in_production_even_behind_a_plain_http_hop(tmp_path: Path) -> None:
    settings = console_settings(tmp_path, environment="production")
    create_users(settings)
    with TestClient(console_platform(settings).app()) as client:
        page = client.get("/console/login")
        assert "Secure" in page.headers["set-cookie"]
        token = csrf_of(page.text)
        answer = client.post(
            "/console/login",
            data={"csrf_token": token, "username": "shen", "password": PASSWORD},
            headers={"Cookie": f"gongkai_console_login={token}"},  # a browser sends it back over https
            follow_redirects=False,
        )
    assert answer.status_code == 303
    assert "Secure" in answer.headers["set-cookie"]


def test_a_wrong_password_says_so_and_opens_no_session(site: Site) -> None:
    for username in ("shen", "nobody"):  # the same answer whether the user exists or not
        answer = sign_in(site.client, username, "wrong password")
        assert answer.status_code == 401
        assert "用户名或密码错误" in answer.text
        assert 'value="' + username + '"' in answer.text  # the username is kept, the password is not
        assert "wrong password" not in answer.text
        assert "gongkai_console=" not in answer.headers.get("set-cookie", "")
    assert site.sessions() == 0


def test_five_failures_lock_the_username_without_saying_whether_it_exists(site: Site) -> None:
    for username in ("shen", "nobody"):
        answers = [sign_in(site.client, username, f"wrong {n}") for n in range(5)]
        assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
        assert "已暂停登录 15 分钟" in answers[-1].text
    assert sign_in(site.client, "shen").status_code == 429  # the right password too, while locked
    assert sign_in(site.client, "li").status_code == 303  # other users are not affected
    clock = site.platform.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(minutes=15))
    assert sign_in(site.client, "shen").status_code == 303


def test_a_sign_in_without_the_forms_token_is_refused(site: Site) -> None:
    site.client.get("/console/login")
    for token in ("", "forged-token-forged-token-forged-token-forged"):
        answer = site.client.post(
            "/console/login",
            data={"csrf_token": token, "username": "shen", "password": PASSWORD},
            follow_redirects=False,
        )
        assert answer.status_code == 403
        assert "安全校验未通过" in answer.text
    site.client.cookies.clear()  # a post from another site carries no sign-in cookie
    answer = site.client.post("/console/login", data={"csrf_token": "x" * 43, "username": "shen", "password": PASSWORD})
    assert answer.status_code == 403
    assert site.sessions() == 0


def test_sign_in_only_returns_into_the_console(site: Site) -> None:
    for target in ("https://evil.example/", "//evil.example/console/", "/api/v1/documents", "/console/\\evil"):
        answer = sign_in(site.client, "shen", next=target)
        assert answer.headers["location"] == "/console/", target


def test_signing_out_needs_the_token_and_ends_the_session_everywhere(site: Site) -> None:
    client = signed_in(site, "shen")
    token = client.cookies.get("gongkai_console")
    assert token is not None
    assert client.get("/api/v1/documents", headers=bearer(token)).status_code == 200  # the API knows the session
    refused = client.post("/console/logout", data={"csrf_token": "forged"})
    assert refused.status_code == 403 and "安全校验未通过" in refused.text
    assert site.sessions() == 1
    page = client.get("/console/")
    answer = client.post("/console/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/console/login?m=signed_out"
    assert "您已安全退出" in client.get(answer.headers["location"]).text
    assert site.sessions() == 0
    assert client.get("/api/v1/documents", headers=bearer(token)).status_code == 401


def test_an_expired_session_leads_to_the_sign_in_page_and_records_nothing(site: Site) -> None:
    doc_id = site.submit()
    client = signed_in(site, "shen")
    page = client.get(f"/console/documents/{doc_id}").text
    clock = site.platform.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(minutes=31))
    answer = client.post(
        f"/console/documents/{doc_id}/decision",
        data={
            "csrf_token": csrf_of(page),
            "form_id": form_id_of(page),
            "decision": "approve",
            "redact": "0",
            "reason-0": "个人隐私",
        },
        headers={"Referer": f"http://testserver/console/documents/{doc_id}"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/console/login?next=%2Fconsole%2Fdocuments%2F{doc_id}&m=expired"
    assert "登录已过期，请重新登录" in client.get(answer.headers["location"]).text
    assert site.doc(doc_id)["status"] == "in_review"
    assert len(site.doc(doc_id)["history"]) == 1
    again = sign_in(client, "shen", next=f"/console/documents/{doc_id}")
    assert again.headers["location"] == f"/console/documents/{doc_id}"  # back to the form


def test_pages_are_not_cached_framed_or_scripted_from_elsewhere(site: Site) -> None:
    client = signed_in(site, "shen")
    for path in ("/console/login", "/console/", "/console/review"):
        headers = client.get(path).headers
        assert headers["cache-control"] == "no-store"
        assert headers["x-frame-options"] == "DENY"
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]


# 工作台 -----------------------------------------------------------------------------------------


def count_of(html: str, label: str) -> str:
    before = html[: html.index(f'<span class="label">{label}</span>')]
    return before[before.rindex('<span class="count">') + len('<span class="count">') :].split("<", 1)[0]


def test_the_dashboard_shows_what_waits_for_each_role(site: Site) -> None:
    site.submit()
    filed = site.client.post(
        "/api/v1/requests",
        json={
            "channel": "in_person",
            "applicant": {"kind": "natural_person", "name": "王小红", "phone": "13912345678"},
            "description": "本区2025年义务教育阶段学校招生划片范围",
        },
        headers=site.staff.clerk,
    )
    assert filed.status_code == 202, filed.text
    online = site.client.post(
        "/api/v1/requests",
        json={
            "channel": "internet",
            "applicant": {
                "kind": "natural_person",
                "name": "李四",
                "id_number": RESIDENT_ID,
                "phone": "13912345679",
            },
            "description": "2025年某重大建设项目的核准批复文件",
        },
    )
    assert online.status_code == 202, online.text
    eventually_sync(lambda: len(site.client.get("/api/v1/requests", headers=site.staff.clerk).json()["items"]) == 2)

    reviewer = signed_in(site, "shen").get("/console/").text
    assert count_of(reviewer, "待审查") == "1"
    assert count_of(reviewer, "超过公开期限未公开") == "1"  # formed 2026-03-02, due 20 working days later
    assert "依申请公开</h2>" not in reviewer  # the section; the navigation links to the cases

    site.client.cookies.clear()
    clerk = signed_in(site, "li").get("/console/").text
    assert "保密审查</h2>" not in clerk
    assert count_of(clerk, "待确认收到") == "1"
    assert count_of(clerk, "本周内到期（至周日）") == "0"  # received today: due on 2026-06-29
    assert count_of(clerk, "已逾期") == "0"
    assert count_of(clerk, "待办理") == "0"
    assert "王小红" not in clerk  # counts only

    site.client.cookies.clear()
    admin = signed_in(site, "admin").get("/console/").text
    assert count_of(admin, "待审查") == "1" and count_of(admin, "待确认收到") == "1"

    site.client.cookies.clear()
    publisher = signed_in(site, "zhao").get("/console/").text  # tests/e2e/test_console_publisher.py
    assert "保密审查</h2>" not in publisher and "依申请公开</h2>" not in publisher
    assert count_of(publisher, "待公开的建议提案答复") == "0" and count_of(publisher, "已公开文件") == "0"


# 保密审查 ---------------------------------------------------------------------------------------


def test_a_reviewer_redacts_a_finding_and_approves_through_the_form(site: Site) -> None:
    doc_id = site.submit()
    client = signed_in(site, "shen")
    queue = client.get("/console/review").text
    assert f'href="/console/documents/{doc_id}"' in queue
    page = client.get(f"/console/documents/{doc_id}").text
    assert f'<mark class="finding" data-findings="1" title="预审发现 1">{PHONE}</mark>' in page
    answer = decide(client, doc_id, {"decision": "approve", "redact": "0", "reason-0": "个人隐私（《条例》第十五条）"})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/console/documents/{doc_id}?done=redact"
    assert "所选内容将以“■”替换后发布" in client.get(answer.headers["location"]).text
    eventually_sync(lambda: site.doc(doc_id)["status"] == "published")
    history = site.doc(doc_id)["history"]
    assert [(h["step"], h.get("actor")) for h in history[:2]] == [("submitted", None), ("redact", "shen")]
    assert history[1]["reasons"] == ["个人隐私（《条例》第十五条）"]
    public = site.client.get(f"/documents/{doc_id}").text
    assert "■" * len(PHONE) in public and PHONE not in public


def test_manual_spans_overlapping_a_finding_are_merged(site: Site) -> None:
    doc_id = site.submit()
    client = signed_in(site, "shen")
    finding = site.doc(doc_id)["findings"][0]
    name_at = (PHONE_DRAFT["title"] + "\n" + PHONE_DRAFT["body"]).index("张三")
    fields = {
        "decision": "approve",
        "redact": "0",
        "reason-0": "个人隐私",
        "manual_start": [str(name_at), str(finding["start"] - 2), ""],
        "manual_end": [str(name_at + 2), str(finding["start"] + 3), ""],
        "manual_reason": ["个人姓名", "个人隐私", ""],
    }
    assert decide(client, doc_id, fields).status_code == 303
    eventually_sync(lambda: site.doc(doc_id)["status"] == "published")
    spans = [(r["start"], r["end"], r["reason"]) for r in site.doc(doc_id)["redactions"]]
    assert spans == [(name_at, name_at + 2, "个人姓名"), (finding["start"] - 2, finding["end"], "个人隐私")]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"decision": "approve"}, "尚有预审发现未删除：第 1 项（手机号码）"),
        ({"decision": "approve", "override": "1"}, "须在审查意见中说明理由"),
        ({"decision": "approve", "redact": "0", "reason-0": ""}, "请填写第 1 项预审发现的删除理由"),
        ({"decision": "approve", "redact": "7", "reason-0": "x"}, "所选的删除项不存在"),
        ({"decision": "approve", "redact": "0", "reason-0": "x" * 201}, "不能超过 200 个字"),
        ({"decision": "approve", "manual_start": "5", "manual_end": "3", "manual_reason": "x"}, "0 ≤ 起始 &lt; 结束"),
        ({"decision": "approve", "manual_start": "0", "manual_end": "99999", "manual_reason": "x"}, "全文共"),
        ({"decision": "approve", "manual_start": "a", "manual_end": "3", "manual_reason": "x"}, "须为整数"),
        ({"decision": "approve", "manual_start": "0", "manual_end": "3"}, "第 1 行手工删除：请填写删除理由"),
        ({"decision": "reject"}, "请在审查意见中说明“不予公开”的理由"),
        ({"decision": "escalate", "redact": "0", "reason-0": "x", "comment": "c"}, "删除内容只随“批准公开”生效"),
        ({"decision": "publish_now"}, "请选择一项审查决定"),
        ({"decision": "approve", "override": "1", "comment": "x" * 2001}, "审查意见不能超过 2000 个字"),
    ],
)
def test_forms_with_wrong_or_edited_values_say_what_to_correct_and_record_nothing(
    site: Site, fields: dict[str, Any], message: str
) -> None:
    doc_id = site.submit()
    client = signed_in(site, "shen")
    answer = decide(client, doc_id, fields)
    assert answer.status_code == 422
    assert "决定未被记录" in answer.text and message in answer.text
    assert site.doc(doc_id)["status"] == "in_review"
    assert len(site.doc(doc_id)["history"]) == 1


def test_a_decision_the_state_no_longer_allows_is_refused_by_the_api(site: Site) -> None:
    doc_id = site.submit()
    client = signed_in(site, "shen")
    stale = client.get(f"/console/documents/{doc_id}").text
    assert decide(client, doc_id, {"decision": "reject", "comment": "涉及内部事项"}).status_code == 303
    eventually_sync(lambda: site.doc(doc_id)["status"] == "rejected")
    answer = client.post(
        f"/console/documents/{doc_id}/decision",
        data={"csrf_token": csrf_of(stale), "form_id": form_id_of(stale), "decision": "escalate", "comment": "c"},
    )
    assert answer.status_code == 409
    assert "文件状态已发生变化（当前：不予公开）" in answer.text
    assert [h["step"] for h in site.doc(doc_id)["history"]] == ["submitted", "reject"]
    page = client.get(f"/console/documents/{doc_id}").text
    assert 'value="reopen"' in page and 'value="approve"' not in page


def test_a_form_submitted_twice_is_recorded_once(site: Site) -> None:
    doc_id = site.submit()
    client = signed_in(site, "shen")
    page = client.get(f"/console/documents/{doc_id}").text
    data = {"csrf_token": csrf_of(page), "form_id": form_id_of(page), "decision": "reject", "comment": "涉密"}
    first = client.post(f"/console/documents/{doc_id}/decision", data=data, follow_redirects=False)
    again = client.post(f"/console/documents/{doc_id}/decision", data=data, follow_redirects=False)
    assert first.headers["location"].endswith("?done=reject")
    assert again.headers["location"].endswith("?done=replayed")
    assert "该表单已经提交过，本次未重复记录" in client.get(again.headers["location"]).text
    assert [h["step"] for h in site.doc(doc_id)["history"]] == ["submitted", "reject"]


def test_a_forged_csrf_token_is_refused_and_records_nothing(site: Site) -> None:
    doc_id = site.submit()
    client = signed_in(site, "shen")
    for token in ("forged", ""):
        answer = decide(client, doc_id, {"decision": "approve", "redact": "0", "reason-0": "个人隐私"}, csrf=token)
        assert answer.status_code == 403
        assert "安全校验未通过" in answer.text and "未作任何记录" in answer.text
    # Another user's token does not pass either: tokens belong to their session.
    other = TestClient(site.client.app)
    assert sign_in(other, "admin").status_code == 303
    answer = decide(client, doc_id, {"decision": "reject", "comment": "x"}, csrf=csrf_of(other.get("/console/").text))
    assert answer.status_code == 403
    assert site.doc(doc_id)["status"] == "in_review"
    assert len(site.doc(doc_id)["history"]) == 1


def test_a_clerk_sees_the_document_but_not_the_reviewers_actions(site: Site) -> None:
    doc_id = site.submit()
    client = signed_in(site, "li")
    page = client.get(f"/console/documents/{doc_id}")
    assert page.status_code == 200
    assert PHONE in page.text  # the clerk submitted it; the review API lets staff read it
    assert "decision-form" not in page.text and 'name="decision"' not in page.text
    assert "保密审查决定由保密审查员作出" in page.text
    answer = client.post(
        f"/console/documents/{doc_id}/decision",
        data={"csrf_token": csrf_of(page.text), "decision": "approve", "override": "1", "comment": "clerk"},
    )
    assert answer.status_code == 403
    assert "您的角色（经办人员）无权作出保密审查决定" in answer.text
    assert len(site.doc(doc_id)["history"]) == 1


def test_unknown_documents_and_views(site: Site) -> None:
    client = signed_in(site, "shen")
    assert client.get("/console/documents/" + "0" * 32).status_code == 404
    assert client.get("/console/documents/not-an-id").status_code == 404
    assert "待审查" in client.get("/console/review?view=<script>").text
    assert client.get("/console/review?page=0").status_code == 422


def test_the_console_works_apart_over_http(tmp_path: Path) -> None:
    """`gongkai serve console` in its own process, reaching the services' API at GONGKAI_CONSOLE_API_URL."""
    from gongkai.cli import SERVICE_NAMES, service_builder

    settings = console_settings(tmp_path)
    create_users(settings)
    staff = make_staff(tmp_path)
    with serve(Platform(settings, [service_builder(name) for name in SERVICE_NAMES])) as api_url:
        answer = httpx.post(f"{api_url}/api/v1/documents", json=PHONE_DRAFT, headers=staff.clerk)
        doc_id = answer.json()["id"]
        doc_url = f"{api_url}/api/v1/documents/{doc_id}"
        eventually_sync(lambda: httpx.get(doc_url, headers=staff.clerk).json().get("status") == "in_review")
        env = {
            "GONGKAI_DATA_DIR": str(tmp_path),
            "GONGKAI_CLOCK": settings.clock or "",
            "GONGKAI_ENVIRONMENT": "test",
            "GONGKAI_CONSOLE_API_URL": api_url,
        }
        console = Process(["serve", "console"], env, log=tmp_path / "console.log")
        with running(console), console.client() as browser:
            assert browser.get("/api/v1/documents").status_code == 404  # no API in the console's process
            assert sign_in(browser, "shen").status_code == 303
            assert "待审查" in browser.get("/console/").text
            answer = decide(browser, doc_id, {"decision": "approve", "redact": "0", "reason-0": "个人隐私"})
            assert answer.status_code == 303, answer.text
        eventually_sync(lambda: httpx.get(doc_url, headers=staff.clerk).json()["status"] == "published")
        assert httpx.get(doc_url, headers=staff.clerk).json()["history"][1]["actor"] == "shen"
