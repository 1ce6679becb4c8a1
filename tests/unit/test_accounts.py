"""Console accounts: argon2 hashes, lock-out per username, sessions that expire, sessions as API identity."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import Request

from gongkai.accounts import (
    LOCKOUT_AFTER,
    AccountStore,
    InvalidAccount,
    SignedIn,
    SignInRefused,
    csrf_matches,
    fast_hasher,
)
from gongkai.auth import Role, create_token, list_tokens, token_id
from gongkai.clock import FixedClock
from gongkai.http import StaffAuth
from gongkai.problems import Problem

PASSWORD = "correct horse battery"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 6, 1, 2, 0, tzinfo=UTC))


@pytest.fixture
def store(tmp_path: Path, clock: FixedClock) -> AccountStore:
    accounts = AccountStore(tmp_path / "auth.db", clock, hasher=fast_hasher())
    accounts.create_user("Wang.Reviewer", PASSWORD, Role.REVIEWER, "王审查")
    return accounts


def signed_in(store: AccountStore, username: str = "wang.reviewer", password: str = PASSWORD) -> SignedIn:
    outcome = store.sign_in(username, password)
    assert isinstance(outcome, SignedIn), outcome
    return outcome


def rows(store: AccountStore, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(store.path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_passwords_are_stored_as_argon2id_hashes_only(store: AccountStore) -> None:
    [(username, stored, role, display)] = rows(store, "SELECT username, password_hash, role, display_name FROM users")
    assert (username, role, display) == ("wang.reviewer", "reviewer", "王审查")
    assert isinstance(stored, str) and stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert store.hasher.verify(stored, PASSWORD)


def test_the_default_hasher_is_argon2id_with_its_recommended_cost(tmp_path: Path, clock: FixedClock) -> None:
    accounts = AccountStore(tmp_path / "auth.db", clock)
    accounts.create_user("li", PASSWORD, Role.CLERK)
    [(stored,)] = rows(accounts, "SELECT password_hash FROM users")
    assert str(stored).startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_a_login_with_an_old_cost_rehashes_the_password(tmp_path: Path, clock: FixedClock) -> None:
    cheap = AccountStore(tmp_path / "auth.db", clock, hasher=fast_hasher())
    cheap.create_user("li", PASSWORD, Role.CLERK)
    signed_in(AccountStore(tmp_path / "auth.db", clock), "li")
    [(stored,)] = rows(cheap, "SELECT password_hash FROM users")
    assert str(stored).startswith("$argon2id$v=19$m=65536,t=3,p=4$")


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("wang.reviewer", PASSWORD, "exists already"),
        ("WANG.REVIEWER", PASSWORD, "exists already"),
        ("x", PASSWORD, "2–32"),
        ("王审查", PASSWORD, "2–32"),
        ("has space", PASSWORD, "2–32"),
        ("li", "short", "at least 10"),
        ("li", " padded password ", "leading or trailing"),
        ("li", "tab\tinside-password", "control"),
        ("li", "x" * 1025, "at most 1024"),
    ],
)
def test_accounts_that_are_refused(store: AccountStore, username: str, password: str, message: str) -> None:
    with pytest.raises(InvalidAccount, match=message):
        store.create_user(username, password, Role.CLERK)


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(store: AccountStore) -> None:
    assert store.sign_in("wang.reviewer", "wrong password") is SignInRefused.WRONG
    assert store.sign_in("nobody", PASSWORD) is SignInRefused.WRONG
    assert rows(store, "SELECT count(*) FROM sessions") == [(0,)]


def test_usernames_are_matched_without_case_or_width(store: AccountStore) -> None:
    assert signed_in(store, "ＷＡＮＧ.reviewer ").session.username == "wang.reviewer"


def test_five_failures_lock_the_username_for_fifteen_minutes(store: AccountStore, clock: FixedClock) -> None:
    answers = [store.sign_in("wang.reviewer", f"wrong {n}") for n in range(LOCKOUT_AFTER)]
    assert answers == [SignInRefused.WRONG] * (LOCKOUT_AFTER - 1) + [SignInRefused.LOCKED]
    assert store.sign_in("wang.reviewer", PASSWORD) is SignInRefused.LOCKED  # even the right password
    clock.advance(timedelta(minutes=14, seconds=59))
    assert store.sign_in("wang.reviewer", PASSWORD) is SignInRefused.LOCKED
    clock.advance(timedelta(seconds=1))
    signed_in(store)
    assert rows(store, "SELECT count(*) FROM login_failures") == [(0,)]


def test_unknown_usernames_lock_the_same_way(store: AccountStore) -> None:
    """Whether a user exists cannot be told from the lock-out either."""
    answers = [store.sign_in("nobody", f"wrong {n}") for n in range(LOCKOUT_AFTER + 1)]
    assert answers == [SignInRefused.WRONG] * (LOCKOUT_AFTER - 1) + [SignInRefused.LOCKED] * 2


def test_the_lock_is_per_username(store: AccountStore) -> None:
    store.create_user("li", PASSWORD, Role.CLERK)
    for n in range(LOCKOUT_AFTER):
        store.sign_in("wang.reviewer", f"wrong {n}")
    signed_in(store, "li")


def test_a_success_or_a_quiet_quarter_hour_resets_the_count(store: AccountStore, clock: FixedClock) -> None:
    for n in range(LOCKOUT_AFTER - 1):
        store.sign_in("wang.reviewer", f"wrong {n}")
    signed_in(store)
    for n in range(LOCKOUT_AFTER - 1):
        store.sign_in("wang.reviewer", f"wrong {n}")
    clock.advance(timedelta(minutes=16))
    assert store.sign_in("wang.reviewer", "wrong again") is SignInRefused.WRONG
    signed_in(store)


def test_a_session_ends_after_the_idle_timeout(store: AccountStore, clock: FixedClock) -> None:
    session = signed_in(store)
    assert session.token.startswith("gks_")
    clock.advance(timedelta(minutes=29))
    found = store.session(session.token)
    assert found is not None and found.role is Role.REVIEWER and found.display_name == "王审查"
    clock.advance(timedelta(minutes=29))  # 58 minutes in, but only 29 since the last page view
    assert store.session(session.token) is not None
    clock.advance(timedelta(minutes=30))
    assert store.session(session.token) is None
    assert rows(store, "SELECT count(*) FROM sessions") == [(0,)]  # an expired record is removed


def test_a_session_ends_after_its_lifetime_however_busy(store: AccountStore, clock: FixedClock) -> None:
    session = signed_in(store)
    for _ in range(8 * 4 - 1):
        clock.advance(timedelta(minutes=15))
        assert store.session(session.token) is not None
    clock.advance(timedelta(minutes=15))
    assert store.session(session.token) is None


def test_api_lookups_do_not_extend_a_session(store: AccountStore, clock: FixedClock) -> None:
    session = signed_in(store)
    clock.advance(timedelta(minutes=20))
    assert store.principal(session.token) is not None
    clock.advance(timedelta(minutes=10))
    assert store.principal(session.token) is None


def test_signing_out_ends_the_session(store: AccountStore) -> None:
    session = signed_in(store)
    other = signed_in(store)
    store.sign_out(session.token)
    assert store.session(session.token) is None
    assert store.session(other.token) is not None


def test_only_hashes_of_session_secrets_are_stored(store: AccountStore) -> None:
    session = signed_in(store)
    stored = rows(store, "SELECT * FROM sessions")
    assert session.token not in repr(stored)
    assert session.token.removeprefix("gks_") not in repr(stored)


def test_forged_and_odd_tokens_find_nothing(store: AccountStore) -> None:
    signed_in(store)
    for token in ("", "gks_", "gks_forged", "gk_" + "a" * 40, "gks_" + "a" * 200):
        assert store.session(token) is None


def test_the_role_is_read_from_the_user_at_every_lookup(store: AccountStore) -> None:
    session = signed_in(store)
    conn = sqlite3.connect(store.path)
    conn.execute("UPDATE users SET role = 'clerk'")
    conn.commit()
    found = store.session(session.token)
    assert found is not None and found.role is Role.CLERK
    conn.execute("UPDATE users SET disabled = 1")
    conn.commit()
    conn.close()
    assert store.session(session.token) is None


def test_every_session_has_its_own_csrf_token(store: AccountStore) -> None:
    first, second = signed_in(store), signed_in(store)
    assert first.session.csrf_token != second.session.csrf_token
    assert csrf_matches(first.session.csrf_token, first.session.csrf_token)
    assert not csrf_matches(first.session.csrf_token, second.session.csrf_token)
    assert not csrf_matches("", "")
    assert not csrf_matches(first.session.csrf_token, "")


def _request(token: str) -> Request:
    return Request(
        {"type": "http", "method": "GET", "path": "/", "headers": [(b"authorization", f"Bearer {token}".encode())]}
    )


async def test_the_api_takes_a_live_session_as_the_users_identity(store: AccountStore) -> None:
    auth = StaffAuth(store.path, accounts=store)
    session = signed_in(store)
    principal = await auth.principal(_request(session.token))
    assert (principal.name, principal.role) == ("wang.reviewer", Role.REVIEWER)
    store.sign_out(session.token)
    with pytest.raises(Problem) as refused:
        await auth.principal(_request(session.token))  # never cached: signing out ends it at once
    assert refused.value.status == 401
    token = create_token(store.path, role=Role.CLERK, name="integration")
    assert (await auth.principal(_request(token))).role is Role.CLERK  # API tokens work as before


class KeepFailed(Exception):
    pass


def refuse_to_keep(*_: object) -> None:
    raise KeepFailed


def test_what_is_kept_with_a_new_user_is_kept_in_the_same_transaction(store: AccountStore) -> None:
    """The admin API keeps a creation's Idempotency-Key record this way: both are stored, or neither."""
    with pytest.raises(KeepFailed):
        store.create_user("li", PASSWORD, Role.CLERK, with_it=refuse_to_keep)
    assert store.user("li") is None

    kept: list[object] = []
    created = store.create_user("li", PASSWORD, Role.CLERK, "李经办", with_it=lambda conn, user: kept.append(user))
    assert kept == [created] and store.user("li") == created


def test_what_is_kept_with_a_new_token_is_kept_in_the_same_transaction(tmp_path: Path) -> None:
    path = tmp_path / "auth.db"
    with pytest.raises(KeepFailed):
        create_token(path, role=Role.CLERK, name="对接", with_it=refuse_to_keep)
    assert list_tokens(path) == []

    kept: list[tuple[str, str]] = []
    at = datetime(2026, 6, 1, 10, tzinfo=UTC)
    token = create_token(path, role=Role.CLERK, name="对接", created_at=at, with_it=lambda c, i, a: kept.append((i, a)))
    assert kept == [(token_id(token), "2026-06-01T10:00:00Z")]
    assert list_tokens(path) == [(token_id(token), Role.CLERK, "对接", "2026-06-01T10:00:00Z")]
