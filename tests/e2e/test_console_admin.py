"""管理 · 用户与角色 and 管理 · API令牌 in the console over HTTP (no browser): an admin creates a clerk who
then signs in, changes roles, disables and re-enables, sets passwords, creates a token that is shown
exactly once and revokes it; the refusals in Chinese with nothing changed; CSRF; non-admins get 403."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.e2e.conftest import bearer
from tests.e2e.console_fixture import PASSWORD, csrf_of
from tests.e2e.test_console import Site, sign_in

NEW_PASSWORD = "a quite different passphrase"
USERS = "/console/admin/users"
TOKENS = "/console/admin/tokens"


@dataclass
class Browser:
    """One signed-in browser: its own session cookie, so several users can be signed in at once."""

    client: TestClient
    cookie: str

    def get(self, url: str) -> httpx.Response:
        self.client.cookies.clear()
        answer: httpx.Response = self.client.get(
            url, headers={"Cookie": f"gongkai_console={self.cookie}"}, follow_redirects=False
        )
        return answer

    def post(self, url: str, data: dict[str, str]) -> httpx.Response:
        self.client.cookies.clear()
        headers = {"Cookie": f"gongkai_console={self.cookie}"}
        answer: httpx.Response = self.client.post(url, data=data, headers=headers, follow_redirects=False)
        return answer


def browser(site: Site, username: str, password: str = PASSWORD) -> Browser:
    answer = sign_in(site.client, username, password)
    assert answer.status_code == 303, answer.text
    return Browser(site.client, answer.cookies["gongkai_console"])


def hidden_of(page: str, form: str) -> dict[str, str]:
    """The hidden fields (CSRF token, form id, action) of one form of the page."""
    found = re.search(rf'<form [^>]*id="form-{form}".*?</form>', page, re.S)
    assert found, f"no form {form}"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', found.group(0)))


def errors_of(page: str) -> list[str]:
    found = re.search(r'<div class="alert"[^>]*>(.*?)</div>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1), re.S) if found else []


def api_users(site: Site) -> dict[str, dict[str, Any]]:
    items = site.client.get("/api/v1/admin/users", headers=site.staff.admin).json()["items"]
    return {u["username"]: u for u in items}


def api_tokens(site: Site) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = site.client.get("/api/v1/admin/tokens", headers=site.staff.admin).json()["items"]
    return found


def new_user(admin: Browser, **fields: str) -> httpx.Response:
    form = hidden_of(admin.get(USERS).text, "new-user")
    values = {"username": "chen", "display_name": "陈经办", "role": "clerk", "password": NEW_PASSWORD}
    values |= {"password_again": fields.get("password", NEW_PASSWORD)} | fields
    return admin.post(USERS, {**form, **values})


def test_an_admin_creates_a_clerk_who_can_then_sign_in(site: Site) -> None:
    admin = browser(site, "admin")
    page = admin.get(USERS)
    assert page.status_code == 200
    assert 'href="/console/admin/users" aria-current="page">用户与角色' in page.text
    assert '<a href="/console/admin/tokens">API令牌</a>' in page.text and ">工作日历</a>" in page.text
    assert re.search(r'<tr id="user-li">.*?李经办.*?经办人员.*?启用', page.text, re.S)
    assert all(f'<label for="{i}">' in page.text for i in re.findall(r'<(?:input|select) [^>]*id="([^"]+)"', page.text))

    mismatch = new_user(admin, password_again=NEW_PASSWORD + "x")
    assert mismatch.status_code == 422
    assert "两次输入的密码不一致。" in errors_of(mismatch.text)
    assert NEW_PASSWORD not in mismatch.text and 'value="陈经办"' in mismatch.text  # the name kept, never the password
    for fields, error in (
        ({"username": "陈"}, "用户名应为 2–32 位小写字母"),
        ({"password": "short"}, "密码至少 10 个字符，现为 5 个。"),
        ({"display_name": "陈" * 51}, "姓名最多 50 个字符，现为 51 个。"),
        ({"role": "root"}, "请选择角色。"),
    ):
        refused = new_user(admin, **fields)
        assert refused.status_code == 422 and any(e.startswith(error) for e in errors_of(refused.text)), fields
    assert "chen" not in api_users(site)

    created = new_user(admin)
    assert created.status_code == 303 and created.headers["location"] == f"{USERS}/chen?done=created"
    shown = admin.get(created.headers["location"]).text
    assert "用户已创建" in shown and '<dd id="user-role">经办人员</dd>' in shown
    chen = browser(site, "chen", NEW_PASSWORD)
    assert chen.get("/console/requests").status_code == 200
    assert chen.get(USERS).status_code == 403


def test_a_double_submitted_new_user_form_creates_one_user(site: Site) -> None:
    admin = browser(site, "admin")
    form = {**hidden_of(admin.get(USERS).text, "new-user"), "username": "chen", "role": "reviewer"}
    form |= {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    first, second = admin.post(USERS, form), admin.post(USERS, form)
    assert first.headers["location"] == f"{USERS}/chen?done=created"
    assert second.headers["location"] == f"{USERS}/chen?done=replayed"
    assert "该表单已经提交过，用户已创建，本次未重复记录。" in admin.get(second.headers["location"]).text
    assert [u for u in api_users(site) if u == "chen"] == ["chen"]


def test_a_taken_username_is_refused_in_chinese(site: Site) -> None:
    admin = browser(site, "admin")
    refused = new_user(admin, username="LI", role="admin")
    assert refused.status_code == 409
    assert errors_of(refused.text) == ["用户名“li”已被使用，请换一个用户名。", "用户未创建，本次未作任何更改。"]
    assert api_users(site)["li"]["role"] == "clerk"


def test_a_role_change_takes_effect_at_the_users_next_page(site: Site) -> None:
    li = browser(site, "li")
    assert li.get(USERS).status_code == 403
    admin = browser(site, "admin")
    page = admin.get(f"{USERS}/li")
    assert '<option value="clerk" selected>经办人员</option>' in page.text
    changed = admin.post(f"{USERS}/li/role", {**hidden_of(page.text, "role"), "role": "admin"})
    assert changed.status_code == 303 and changed.headers["location"] == f"{USERS}/li?done=role"
    shown = admin.get(changed.headers["location"]).text
    assert "角色已修改" in shown and '<dd id="user-role">管理员</dd>' in shown
    assert li.get(USERS).status_code == 200  # the same session: no new sign-in
    assert "用户与角色" in li.get("/console/").text


def test_disabling_signs_the_user_out_at_once_and_enabling_lets_them_back(site: Site) -> None:
    li = browser(site, "li")
    admin = browser(site, "admin")
    page = admin.get(f"{USERS}/li").text
    disabled = admin.post(f"{USERS}/li/status", hidden_of(page, "status"))
    assert disabled.headers["location"] == f"{USERS}/li?done=disabled"
    shown = admin.get(disabled.headers["location"]).text
    assert "该用户已停用" in shown and '<strong class="overdue">已停用</strong>' in shown
    assert "m=expired" in li.get("/console/requests").headers["location"]
    assert sign_in(site.client, "li").status_code == 401  # refused
    assert re.search(r'<tr id="user-li">.*?已停用', admin.get(USERS).text, re.S)

    enabled = admin.post(f"{USERS}/li/status", hidden_of(shown, "status"))
    assert enabled.headers["location"] == f"{USERS}/li?done=enabled"
    assert browser(site, "li").get("/console/requests").status_code == 200


def test_a_new_password_ends_the_users_sessions(site: Site) -> None:
    li = browser(site, "li")
    admin = browser(site, "admin")
    form = hidden_of(admin.get(f"{USERS}/li").text, "password")
    mismatch = admin.post(f"{USERS}/li/password", {**form, "password": NEW_PASSWORD, "password_again": PASSWORD})
    assert mismatch.status_code == 422
    assert errors_of(mismatch.text) == ["两次输入的密码不一致。", "密码未修改，本次未作任何更改。"]
    assert NEW_PASSWORD not in mismatch.text and PASSWORD not in mismatch.text
    assert li.get("/console/requests").status_code == 200

    reset = admin.post(f"{USERS}/li/password", {**form, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert reset.headers["location"] == f"{USERS}/li?done=password"
    assert "新密码已设置" in admin.get(reset.headers["location"]).text
    assert "m=expired" in li.get("/console/requests").headers["location"]
    assert sign_in(site.client, "li", PASSWORD).status_code == 401  # the old password: refused
    assert browser(site, "li", NEW_PASSWORD).get("/console/requests").status_code == 200


def test_a_new_display_name_shows_in_the_users_header_at_their_next_page(site: Site) -> None:
    li = browser(site, "li")
    assert "李经办（经办人员）" in li.get("/console/").text
    admin = browser(site, "admin")
    page = admin.get(f"{USERS}/li").text
    assert '<span class="action-label" id="name-summary">修改姓名</span>' in page
    assert 'id="u-display_name" name="display_name" value="李经办"' in page
    changed = admin.post(f"{USERS}/li/name", {**hidden_of(page, "name"), "display_name": " 李明 "})
    assert changed.status_code == 303 and changed.headers["location"] == f"{USERS}/li?done=name"
    shown = admin.get(changed.headers["location"]).text
    assert "姓名已修改" in shown and "<dt>姓名</dt><dd>李明</dd>" in shown
    assert api_users(site)["li"]["display_name"] == "李明"
    header = li.get("/console/").text  # the same session, no new sign-in
    assert "李明（经办人员）" in header and "李经办" not in header
    assert re.search(r'<tr id="user-li">.*?李明', admin.get(USERS).text, re.S)


def test_an_admin_renames_themselves_and_sees_it_at_once(site: Site) -> None:
    admin = browser(site, "admin")
    page = admin.get(f"{USERS}/admin").text
    assert 'id="form-name"' in page  # unlike the role and the status, one's own name may be changed
    changed = admin.post(f"{USERS}/admin/name", {**hidden_of(page, "name"), "display_name": "王管理"})
    assert changed.headers["location"] == f"{USERS}/admin?done=name"
    assert "王管理（管理员）" in admin.get(changed.headers["location"]).text


BAD_DISPLAY_NAMES = [
    ("", "请填写姓名。"),
    ("   ", "请填写姓名。"),
    ("李" * 51, "姓名最多 50 个字符，现为 51 个。"),
    ("李\x07明", "姓名不能含控制字符或换行。"),
    ("李\n明", "姓名不能含控制字符或换行。"),
    ("李\u200b明", "姓名不能含控制字符或换行。"),
]


@pytest.mark.parametrize(
    ("name", "error"), BAD_DISPLAY_NAMES, ids=["empty", "blank", "long", "bell", "newline", "zwsp"]
)
def test_a_bad_display_name_is_refused_in_chinese_and_nothing_changes(site: Site, name: str, error: str) -> None:
    admin = browser(site, "admin")
    page = admin.get(f"{USERS}/li").text
    refused = admin.post(f"{USERS}/li/name", {**hidden_of(page, "name"), "display_name": name})
    assert refused.status_code == 422
    assert errors_of(refused.text) == [error, "姓名未修改，本次未作任何更改。"]
    form = re.search(r'<form [^>]*id="form-name".*?</form>', refused.text, re.S)
    assert form is not None and "<details open>" in form.group(0)  # the form stays open for the correction
    assert api_users(site)["li"]["display_name"] == "李经办"


def test_an_admin_who_resets_their_own_password_is_told_to_sign_in_with_it(site: Site) -> None:
    admin = browser(site, "admin")
    form = hidden_of(admin.get(f"{USERS}/admin").text, "password")
    reset = admin.post(f"{USERS}/admin/password", {**form, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert reset.status_code == 303
    assert reset.headers["location"] == "/console/login?m=password&next=%2Fconsole%2Fadmin%2Fusers%2Fadmin"
    assert reset.headers["set-cookie"].startswith('gongkai_console=""; ')  # the ended session's cookie goes
    login = admin.get(reset.headers["location"])
    assert login.status_code == 200
    assert "您的密码已修改，原有登录已全部结束。请用新密码重新登录。" in login.text
    assert "登录已过期" not in login.text
    assert 'name="next" value="/console/admin/users/admin"' in login.text
    assert admin.get(f"{USERS}/admin").headers["location"].endswith("m=expired")  # the old session has ended
    assert sign_in(site.client, "admin", PASSWORD).status_code == 401
    again = sign_in(site.client, "admin", NEW_PASSWORD)
    assert again.status_code == 303


def test_an_admin_cannot_lock_themselves_out(site: Site) -> None:
    admin = browser(site, "admin")
    own = admin.get(f"{USERS}/admin").text
    assert "这是您本人的账号" in own and 'id="form-status"' not in own and 'id="form-role"' not in own
    csrf = hidden_of(own, "password")["csrf_token"]
    for url, data in ((f"{USERS}/admin/status", {"action": "disable"}), (f"{USERS}/admin/role", {"role": "clerk"})):
        refused = admin.post(url, {"csrf_token": csrf, **data})
        assert refused.status_code == 409
        assert errors_of(refused.text)[0].startswith("不能停用自己的账号，也不能撤销自己的管理员角色")
        assert errors_of(refused.text)[-1] == "未修改，本次未作任何更改。"
    assert (api_users(site)["admin"]["role"], api_users(site)["admin"]["disabled"]) == ("admin", False)


def test_unknown_users_are_404(site: Site) -> None:
    admin = browser(site, "admin")
    csrf = csrf_of(admin.get(USERS).text)
    assert admin.get(f"{USERS}/nobody").status_code == 404
    assert admin.get(f"{USERS}/..%2Ftokens").status_code == 404
    assert admin.post(f"{USERS}/nobody/status", {"csrf_token": csrf, "action": "disable"}).status_code == 404
    assert admin.post(f"{USERS}/nobody/name", {"csrf_token": csrf, "display_name": "某人"}).status_code == 404
    assert admin.post(f"{TOKENS}/zzz/revoke", {"csrf_token": csrf}).status_code == 404


def new_token(
    admin: Browser, form: dict[str, str] | None = None, fields: dict[str, str] | None = None
) -> httpx.Response:
    form = form or hidden_of(admin.get(TOKENS).text, "new-token")
    return admin.post(TOKENS, {**form, "name": "办公系统对接", "role": "clerk", **(fields or {})})


def test_a_token_is_shown_exactly_once_and_revoking_it_ends_it(site: Site) -> None:
    admin = browser(site, "admin")
    form = hidden_of(admin.get(TOKENS).text, "new-token")
    created = new_token(admin, form)
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    found = re.search(r'<input type="text" id="new-token" value="(gk_[^"]+)" readonly', created.text)
    assert found, created.text
    token = found.group(1)
    assert "它只显示这一次" in created.text
    assert site.client.get("/api/v1/documents", headers=bearer(token)).status_code == 200

    again = new_token(admin, form)  # the same form submitted twice: nothing new, and no token shown
    assert again.status_code == 200 and "gk_" not in again.text
    assert "本次未重复创建" in again.text and "不能再次显示" in again.text
    ours = [t for t in api_tokens(site) if t["name"] == "办公系统对接"]
    assert len(ours) == 1
    listed = admin.get(TOKENS).text
    assert token not in listed and f'<tr id="token-{ours[0]["id"]}">' in listed

    revoked = admin.post(f"{TOKENS}/{ours[0]['id']}/revoke", hidden_of(listed, f"revoke-{ours[0]['id']}"))
    assert revoked.headers["location"] == f"{TOKENS}?done=revoked"
    assert "令牌已吊销" in admin.get(revoked.headers["location"]).text
    assert site.client.get("/api/v1/documents", headers=bearer(token)).status_code == 401
    twice = admin.post(f"{TOKENS}/{ours[0]['id']}/revoke", hidden_of(listed, f"revoke-{ours[0]['id']}"))
    assert twice.headers["location"] == f"{TOKENS}?done=gone"


def test_a_bad_token_form_creates_nothing(site: Site) -> None:
    admin = browser(site, "admin")
    before = api_tokens(site)
    for fields, error in (
        ({"name": "  "}, "请填写令牌名称。"),
        ({"name": "x" * 51}, "令牌名称最多 50 个字符，现为 51 个。"),
        ({"name": "收文\x07岗"}, "令牌名称不能含控制字符或换行。"),
        ({"role": "root"}, "请选择角色。"),
    ):
        refused = new_token(admin, fields=fields)
        assert refused.status_code == 422 and errors_of(refused.text)[0] == error, fields
        assert errors_of(refused.text)[-1] == "令牌未创建，本次未作任何更改。"
    assert api_tokens(site) == before


def everything(site: Site) -> tuple[object, ...]:
    """What an admin post could change: the users and the tokens."""
    return api_users(site), api_tokens(site)


def admin_posts(site: Site) -> list[tuple[str, dict[str, str]]]:
    """Every admin form's target and values (without CSRF token and form id)."""
    token_id = api_tokens(site)[0]["id"]
    password = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    return [
        (USERS, {"username": "chen", "role": "admin", **password}),
        (f"{USERS}/li/role", {"role": "admin"}),
        (f"{USERS}/li/name", {"display_name": "冒名"}),
        (f"{USERS}/li/status", {"action": "disable"}),
        (f"{USERS}/li/password", password),
        (TOKENS, {"name": "后门", "role": "admin"}),
        (f"{TOKENS}/{token_id}/revoke", {}),
    ]


def test_a_forged_or_missing_csrf_token_changes_nothing(site: Site) -> None:
    admin = browser(site, "admin")
    form_id = hidden_of(admin.get(USERS).text, "new-user")["form_id"]
    before = everything(site)
    for url, data in admin_posts(site):
        for token in ("forged", ""):
            refused = admin.post(url, {**data, "csrf_token": token, "form_id": form_id})
            assert refused.status_code == 403 and "安全校验未通过" in refused.text, url
    assert everything(site) == before
    assert browser(site, "li").get("/console/requests").status_code == 200  # li's password and state unchanged


@pytest.mark.parametrize("username", ["li", "shen", "zhao"])
def test_only_admins_reach_the_admin_pages(site: Site, username: str) -> None:
    user = browser(site, username)
    home = user.get("/console/").text
    assert "用户与角色" not in home and "API令牌" not in home
    for url in (USERS, f"{USERS}/li", f"{USERS}/admin", TOKENS):
        page = user.get(url)
        assert page.status_code == 403 and "无权管理" in page.text, url
    before = everything(site)
    csrf = csrf_of(home)
    for url, data in admin_posts(site):
        assert user.post(url, {**data, "csrf_token": csrf, "form_id": "f" * 24}).status_code == 403, url
    assert everything(site) == before
    assert sign_in(site.client, "chen", NEW_PASSWORD).status_code == 401  # never created
