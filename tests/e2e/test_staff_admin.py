"""Staff administration over the API (gongkai/staff_admin.py): users, roles and API tokens, admins only.

Users created here sign in at once; disabling or a new password ends their sessions at once; nobody
can lock the agency out; bad values are 422, never 500; passwords and tokens never come back (but the
one answer that creates a token), never reach a log, a metric or a file in clear.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongkai.accounts import LOCKOUT_AFTER, AccountStore, SignedIn, SignInRefused, fast_hasher
from gongkai.auth import Role
from gongkai.clock import clock_from_setting
from tests.e2e.conftest import Staff, bearer
from tests.e2e.test_bad_input import assert_problem

NOW = "2026-06-01T10:00:00+08:00"  # the `embedded` platform's clock
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a quite different passphrase"
USERS = "/api/v1/admin/users"
TOKENS = "/api/v1/admin/tokens"


@dataclass
class Site:
    client: TestClient
    staff: Staff
    accounts: AccountStore  # the same auth.db as the platform's, for signing in as a browser would
    data_dir: Path

    def session(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        """Sign in as the console does; the session secret is the bearer the console forwards."""
        signed = self.accounts.sign_in(username, password)
        assert isinstance(signed, SignedIn), signed
        return bearer(signed.token)

    def users(self) -> list[dict[str, Any]]:
        answer = self.client.get(USERS, headers=self.staff.admin)
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    def user(self, username: str) -> dict[str, Any]:
        return next(u for u in self.users() if u["username"] == username)

    def tokens(self) -> list[dict[str, Any]]:
        answer = self.client.get(TOKENS, headers=self.staff.admin)
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    def create(self, username: str, role: str = "clerk", password: str = PASSWORD, **extra: str) -> dict[str, Any]:
        body = {"username": username, "role": role, "password": password, **extra}
        answer = self.client.post(USERS, json=body, headers=self.staff.admin)
        assert answer.status_code == 201, answer.text
        created: dict[str, Any] = answer.json()
        return created


@pytest.fixture
def site(embedded: tuple[TestClient, Staff], tmp_path: Path) -> Site:
    """The four services with API tokens per role, and one admin user, wu, who signs in to the console."""
    client, staff = embedded
    accounts = AccountStore(tmp_path / "auth.db", clock_from_setting(NOW), hasher=fast_hasher())
    accounts.create_user("wu", PASSWORD, Role.ADMIN, "吴管理")
    return Site(client, staff, accounts, tmp_path)


def test_an_admin_creates_a_user_who_can_then_sign_in(site: Site) -> None:
    answer = site.client.post(
        USERS,
        json={"username": "Li.Jingban", "display_name": "李经办", "role": "clerk", "password": PASSWORD},
        headers=site.staff.admin,
    )
    assert answer.status_code == 201, answer.text
    assert answer.headers["location"] == "/api/v1/admin/users/li.jingban"
    assert answer.json() == {
        "username": "li.jingban",
        "display_name": "李经办",
        "role": "clerk",
        "disabled": False,
        "created_at": "2026-06-01T02:00:00+00:00",
    }
    assert site.client.get(f"{USERS}/li.jingban", headers=site.staff.admin).json()["display_name"] == "李经办"
    clerk = site.session("li.jingban")
    assert site.client.get("/api/v1/documents", headers=clerk).status_code == 200


def test_users_are_listed_with_name_role_and_state(site: Site) -> None:
    site.create("li", display_name="李经办")
    site.create("shen", role="reviewer")  # no display name: the username is shown
    site.client.patch(f"{USERS}/shen", json={"disabled": True}, headers=site.staff.admin)
    assert [(u["username"], u["display_name"], u["role"], u["disabled"]) for u in site.users()] == [
        ("li", "李经办", "clerk", False),
        ("shen", "shen", "reviewer", True),
        ("wu", "吴管理", "admin", False),
    ]


def test_a_role_change_applies_at_the_users_next_request(site: Site) -> None:
    site.create("li")
    li = site.session("li")
    assert_problem(site.client.get(USERS, headers=li), 403)
    changed = site.client.patch(f"{USERS}/li", json={"role": "admin"}, headers=site.staff.admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "admin"
    assert site.client.get(USERS, headers=li).status_code == 200  # the same session, no new sign-in


def test_disabling_ends_the_users_sessions_at_once_and_enabling_lets_them_sign_in_again(site: Site) -> None:
    site.create("li")
    li = site.session("li")
    assert site.client.get("/api/v1/documents", headers=li).status_code == 200
    disabled = site.client.patch(f"{USERS}/li", json={"disabled": True}, headers=site.staff.admin)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert_problem(site.client.get("/api/v1/documents", headers=li), 401)
    assert site.accounts.sign_in("li", PASSWORD) is SignInRefused.WRONG
    enabled = site.client.patch(f"{USERS}/li", json={"disabled": False}, headers=site.staff.admin)
    assert enabled.json()["disabled"] is False
    assert_problem(site.client.get("/api/v1/documents", headers=li), 401)  # the old session stays ended
    assert site.client.get("/api/v1/documents", headers=site.session("li")).status_code == 200


def test_a_new_password_ends_the_sessions_lifts_a_lock_out_and_replaces_the_old_one(site: Site) -> None:
    site.create("li")
    li = site.session("li")
    for _ in range(LOCKOUT_AFTER):
        site.accounts.sign_in("li", "not the password")
    assert site.accounts.sign_in("li", PASSWORD) is SignInRefused.LOCKED
    answer = site.client.put(f"{USERS}/li/password", json={"password": NEW_PASSWORD}, headers=site.staff.admin)
    assert answer.status_code == 204, answer.text
    assert answer.content == b""
    assert_problem(site.client.get("/api/v1/documents", headers=li), 401)
    assert site.accounts.sign_in("li", PASSWORD) is SignInRefused.WRONG
    assert site.client.get("/api/v1/documents", headers=site.session("li", NEW_PASSWORD)).status_code == 200


def test_a_display_name_can_be_corrected(site: Site) -> None:
    site.create("li", display_name="李经半")
    answer = site.client.patch(f"{USERS}/li", json={"display_name": " 李经办 "}, headers=site.staff.admin)
    assert answer.status_code == 200 and answer.json()["display_name"] == "李经办"
    assert (answer.json()["role"], answer.json()["disabled"]) == ("clerk", False)  # nothing else changed


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", f"{USERS}/nobody", None),
        ("PATCH", f"{USERS}/nobody", {"disabled": True}),
        ("PATCH", f"{USERS}/{'x' * 300}", {"role": "clerk"}),
        ("PUT", f"{USERS}/nobody/password", {"password": NEW_PASSWORD}),
        ("PUT", f"{USERS}/nobody/password", {"password": "short"}),  # who first: 404, not 422
        ("DELETE", f"{TOKENS}/0123456789ab", None),
        ("DELETE", f"{TOKENS}/not-a-token-id", None),
    ],
)
def test_unknown_users_and_tokens_are_404(site: Site, method: str, url: str, body: object) -> None:
    answer = site.client.request(method, url, json=body, headers=site.staff.admin)
    assert assert_problem(answer, 404)["type"] == "not-found"
    assert [u["username"] for u in site.users()] == ["wu"]


def test_a_taken_username_is_409_whatever_its_case(site: Site) -> None:
    site.create("li", display_name="李经办")
    again = site.client.post(
        USERS, json={"username": "LI", "role": "admin", "password": NEW_PASSWORD}, headers=site.staff.admin
    )
    assert assert_problem(again, 409)["type"] == "user-exists"
    assert site.user("li")["role"] == "clerk"
    assert site.accounts.sign_in("li", NEW_PASSWORD) is SignInRefused.WRONG


def test_an_admin_signed_in_cannot_disable_or_demote_themselves(site: Site) -> None:
    wu = site.session("wu")
    site.create("qian", role="admin")  # another admin exists: only the self-rule refuses
    for change in ({"disabled": True}, {"role": "clerk"}, {"role": "reviewer", "display_name": "吴"}):
        refused = site.client.patch(f"{USERS}/wu", json=change, headers=wu)
        assert assert_problem(refused, 409)["type"] == "self-lockout"
    assert site.user("wu") == {**site.user("wu"), "role": "admin", "disabled": False, "display_name": "吴管理"}
    renamed = site.client.patch(f"{USERS}/WU", json={"display_name": "吴主任", "role": "admin"}, headers=wu)
    assert renamed.status_code == 200, renamed.text
    # another admin may
    assert site.client.patch(f"{USERS}/wu", json={"role": "clerk"}, headers=site.session("qian")).status_code == 200


def test_the_last_enabled_admin_cannot_be_disabled_or_demoted(site: Site) -> None:
    # An API token names a holder, not a user: only the last-admin rule applies to it.
    for change in ({"disabled": True}, {"role": "publisher"}):
        refused = site.client.patch(f"{USERS}/wu", json=change, headers=site.staff.admin)
        assert assert_problem(refused, 409)["type"] == "last-admin"
    site.create("qian", role="admin")
    assert site.client.patch(f"{USERS}/qian", json={"disabled": True}, headers=site.staff.admin).status_code == 200
    refused = site.client.patch(f"{USERS}/wu", json={"role": "clerk"}, headers=site.staff.admin)
    assert assert_problem(refused, 409)["type"] == "last-admin"  # a disabled admin does not count
    assert site.user("wu")["role"] == "admin"
    assert site.client.patch(f"{USERS}/qian", json={"disabled": False}, headers=site.staff.admin).status_code == 200
    assert site.client.patch(f"{USERS}/wu", json={"role": "clerk"}, headers=site.staff.admin).status_code == 200


ADMIN_ROUTES: list[tuple[str, str, object]] = [
    ("GET", USERS, None),
    ("GET", f"{USERS}/wu", None),
    ("POST", USERS, {"username": "intruder", "role": "admin", "password": NEW_PASSWORD}),
    ("PATCH", f"{USERS}/wu", {"disabled": True}),
    ("PUT", f"{USERS}/wu/password", {"password": NEW_PASSWORD}),
    ("GET", TOKENS, None),
    ("POST", TOKENS, {"role": "admin", "name": "后门"}),
    ("DELETE", f"{TOKENS}/{{admin_token}}", None),
]


@pytest.mark.parametrize(("method", "url", "body"), ADMIN_ROUTES)
def test_only_admins_administer(site: Site, method: str, url: str, body: object) -> None:
    site.create("li")
    url = url.replace("{admin_token}", next(t["id"] for t in site.tokens() if t["role"] == "admin"))
    users, tokens = site.users(), site.tokens()
    assert_problem(site.client.request(method, url, json=body), 401)
    for who in (site.staff.clerk, site.staff.reviewer, site.staff.publisher, site.session("li")):
        assert_problem(site.client.request(method, url, json=body, headers=who), 403)
    assert site.users() == users and site.tokens() == tokens
    assert site.accounts.sign_in("wu", PASSWORD) != SignInRefused.WRONG


SECRET = "Sekrit-passw0rd"  # inside every bad password below: it must never come back

BAD_VALUES: list[tuple[str, str, object]] = [
    ("POST", USERS, {"username": "a" * 65, "role": "clerk", "password": PASSWORD}),
    ("POST", USERS, {"username": "a", "role": "clerk", "password": PASSWORD}),
    ("POST", USERS, {"username": "-li", "role": "clerk", "password": PASSWORD}),
    ("POST", USERS, {"username": "li\x00", "role": "clerk", "password": PASSWORD}),
    ("POST", USERS, {"username": "李经办", "role": "clerk", "password": PASSWORD}),
    ("POST", USERS, {"username": 42, "role": "clerk", "password": PASSWORD}),
    ("POST", USERS, {"username": "li", "role": "root", "password": PASSWORD}),
    ("POST", USERS, {"username": "li", "role": 5, "password": PASSWORD}),
    ("POST", USERS, {"username": "li", "role": "clerk", "password": SECRET[:8]}),
    ("POST", USERS, {"username": "li", "role": "clerk", "password": SECRET * 100}),
    ("POST", USERS, {"username": "li", "role": "clerk", "password": SECRET + "\x07"}),
    ("POST", USERS, {"username": "li", "role": "clerk", "password": f" {SECRET}"}),
    ("POST", USERS, {"username": "li", "role": "clerk", "password": 12345678901234}),
    ("POST", USERS, {"username": "li", "role": "clerk"}),
    ("POST", USERS, {"username": "li", "role": "clerk", "password": SECRET, "is_root": True}),
    ("POST", USERS, {"username": "li", "role": "clerk", "password": SECRET, "display_name": "李" * 51}),
    ("POST", USERS, {"username": "li", "role": "clerk", "password": SECRET, "display_name": "李\n经办"}),
    ("POST", USERS, {"username": "li", "role": "clerk", "password": SECRET, "display_name": "李\u202e经办"}),
    ("POST", USERS, [SECRET]),
    ("PATCH", f"{USERS}/wu", {}),
    ("PATCH", f"{USERS}/wu", {"disabled": "yes"}),
    ("PATCH", f"{USERS}/wu", {"disabled": 1}),
    ("PATCH", f"{USERS}/wu", {"role": "root"}),
    ("PATCH", f"{USERS}/wu", {"role": None}),
    ("PATCH", f"{USERS}/wu", {"display_name": ""}),
    ("PATCH", f"{USERS}/wu", {"display_name": "吴\t管理"}),
    ("PATCH", f"{USERS}/wu", {"display_name": "吴" * 51}),
    ("PATCH", f"{USERS}/wu", {"password": SECRET + SECRET}),
    ("PUT", f"{USERS}/wu/password", {"password": SECRET[:9]}),
    ("PUT", f"{USERS}/wu/password", {"password": SECRET + "\n"}),
    ("PUT", f"{USERS}/wu/password", {"password": SECRET * 100}),
    ("PUT", f"{USERS}/wu/password", {"password": 12345678901234}),
    ("PUT", f"{USERS}/wu/password", {}),
    ("POST", TOKENS, {"role": "clerk", "name": ""}),
    ("POST", TOKENS, {"role": "clerk", "name": "   "}),
    ("POST", TOKENS, {"role": "clerk", "name": "x" * 51}),
    ("POST", TOKENS, {"role": "clerk", "name": "收文\x00岗"}),
    ("POST", TOKENS, {"role": "clerk", "name": 5}),
    ("POST", TOKENS, {"role": "root", "name": "收文岗"}),
    ("POST", TOKENS, {"name": "收文岗"}),
]


@pytest.mark.parametrize(("method", "url", "body"), BAD_VALUES)
def test_bad_values_are_refused_with_422_changing_nothing(site: Site, method: str, url: str, body: object) -> None:
    users, tokens = site.users(), site.tokens()
    answer = site.client.request(method, url, json=body, headers=site.staff.admin)
    problem = assert_problem(answer, 422)
    assert problem["errors"] and all(e["field"] and e["message"] for e in problem["errors"])
    assert SECRET not in answer.text
    assert site.users() == users and site.tokens() == tokens
    assert isinstance(site.accounts.sign_in("wu", PASSWORD), SignedIn)  # the password is unchanged


def test_a_body_that_is_not_json_is_400(site: Site) -> None:
    raw = b'{"username": "li", "password": "' + SECRET.encode()
    answer = site.client.post(USERS, content=raw, headers={**site.staff.admin, "Content-Type": "application/json"})
    assert assert_problem(answer, 400)["type"] == "malformed-json"
    assert SECRET not in answer.text


def test_a_token_is_shown_once_works_and_fails_once_revoked(site: Site) -> None:
    answer = site.client.post(TOKENS, json={"role": "clerk", "name": " 办公系统对接 "}, headers=site.staff.admin)
    assert answer.status_code == 201, answer.text
    created = answer.json()
    secret = created.pop("token")
    assert secret.startswith("gk_") and answer.headers["cache-control"] == "no-store"
    assert created["name"] == "办公系统对接" and created["role"] == "clerk"
    assert created["created_at"] == "2026-06-01T02:00:00Z"  # the platform's clock (GONGKAI_CLOCK), in UTC
    assert answer.headers["location"] == f"{TOKENS}/{created['id']}"
    assert site.client.get("/api/v1/documents", headers=bearer(secret)).status_code == 200
    assert_problem(site.client.get(USERS, headers=bearer(secret)), 403)  # a clerk's token

    listed = site.client.get(TOKENS, headers=site.staff.admin)
    assert created in listed.json()["items"]
    assert all(set(t) == {"id", "role", "name", "created_at"} for t in listed.json()["items"])
    assert secret not in listed.text and hashlib.sha256(secret.encode()).hexdigest() not in listed.text

    revoked = site.client.delete(f"{TOKENS}/{created['id']}", headers=site.staff.admin)
    assert revoked.status_code == 204, revoked.text
    # used a moment ago, so cached: the process that revoked it forgets it at once
    assert_problem(site.client.get("/api/v1/documents", headers=bearer(secret)), 401)
    assert created not in site.tokens()
    assert_problem(site.client.delete(f"{TOKENS}/{created['id']}", headers=site.staff.admin), 404)


def test_a_double_submitted_token_creates_one_token_and_shows_it_once(site: Site) -> None:
    form = {"role": "publisher", "name": "发布脚本"}
    once = {**site.staff.admin, "Idempotency-Key": "console-form-1"}
    first = site.client.post(TOKENS, json=form, headers=once)
    second = site.client.post(TOKENS, json=form, headers=once)
    assert first.status_code == 201 and first.json()["token"].startswith("gk_")
    assert second.status_code == 200 and second.headers["idempotent-replayed"] == "true"
    assert second.json() == {**first.json(), "token": None}
    assert [t["name"] for t in site.tokens()].count("发布脚本") == 1
    reused = site.client.post(TOKENS, json={**form, "name": "另一个"}, headers=once)
    assert assert_problem(reused, 422)["type"] == "idempotency-key-reused"
    assert site.client.post(TOKENS, json=form, headers=site.staff.admin).status_code == 201  # no key: a new one
    assert [t["name"] for t in site.tokens()].count("发布脚本") == 2


def test_a_double_submitted_user_is_created_once(site: Site) -> None:
    body = {"username": "li", "display_name": "李经办", "role": "clerk", "password": PASSWORD}
    once = {**site.staff.admin, "Idempotency-Key": "console-form-2"}
    first = site.client.post(USERS, json=body, headers=once)
    second = site.client.post(USERS, json=body, headers=once)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json() and second.headers["idempotent-replayed"] == "true"
    reused = site.client.post(USERS, json={**body, "role": "admin"}, headers=once)
    assert assert_problem(reused, 422)["type"] == "idempotency-key-reused"
    assert assert_problem(site.client.post(USERS, json=body, headers=site.staff.admin), 409)["type"] == "user-exists"
    assert [u["username"] for u in site.users()] == ["li", "wu"]
    assert site.user("li")["role"] == "clerk"


def test_passwords_and_tokens_reach_no_log_no_metric_and_no_file_in_clear(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    keyed = {**site.staff.admin, "Idempotency-Key": "console-form-3"}
    site.client.post(USERS, json={"username": "li", "role": "clerk", "password": SECRET + "!"}, headers=keyed)
    site.client.post(USERS, json={"username": "li", "role": "clerk", "password": SECRET + "!"}, headers=keyed)
    site.client.put(f"{USERS}/li/password", json={"password": SECRET + "?"}, headers=site.staff.admin)
    site.client.put(f"{USERS}/li/password", json={"password": SECRET[:5]}, headers=site.staff.admin)
    token = site.client.post(TOKENS, json={"role": "admin", "name": "运维"}, headers=keyed).json()["token"]
    site.client.get(USERS, headers=bearer(token))

    assert "created the user li" in caplog.text and "created the token" in caplog.text  # the audit lines
    metrics = site.client.get("/metrics").text
    for secret in (SECRET, token):
        assert secret not in caplog.text and secret not in metrics
        for path in site.data_dir.glob("*.db*"):
            assert secret.encode() not in path.read_bytes(), path.name
    # The generic Idempotency-Key store kept nothing of these requests, not even a hash of their bodies.
    conn = sqlite3.connect(site.data_dir / "idempotency.db")
    try:
        kept = conn.execute("SELECT count(*) FROM answers WHERE scope LIKE '%/api/v1/admin/%'").fetchone()[0]
    finally:
        conn.close()
    assert kept == 0
