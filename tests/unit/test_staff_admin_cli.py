"""Administering staff: console users (list, role, disable, enable, password) and API tokens (list, revoke)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from gongkai.accounts import AccountStore, SignedIn, SignInRefused
from gongkai.auth import Role, create_token, verify_token
from gongkai.cli import cli
from gongkai.clock import SystemClock

PASSWORD = "correct horse battery"
NEW_PASSWORD = "another long passphrase"


def run(tmp_path: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*args, "--data-dir", str(tmp_path)], input=stdin)
    return result.exit_code, result.output


def store(tmp_path: Path) -> AccountStore:
    return AccountStore(tmp_path / "auth.db", SystemClock())


def test_a_role_change_applies_to_the_live_session(tmp_path: Path) -> None:
    store(tmp_path).create_user("li", PASSWORD, Role.CLERK)
    signed_in = store(tmp_path).sign_in("li", PASSWORD)
    assert isinstance(signed_in, SignedIn)
    code, output = run(tmp_path, "user", "role", "li", "reviewer")
    assert code == 0, output
    principal = store(tmp_path).principal(signed_in.token)
    assert principal is not None and principal.role is Role.REVIEWER
    assert "li" in run(tmp_path, "user", "list")[1] and "reviewer" in run(tmp_path, "user", "list")[1]


def test_disabling_ends_sessions_and_refuses_sign_in_until_enabled(tmp_path: Path) -> None:
    store(tmp_path).create_user("li", PASSWORD, Role.CLERK)
    signed_in = store(tmp_path).sign_in("li", PASSWORD)
    assert isinstance(signed_in, SignedIn)
    assert run(tmp_path, "user", "disable", "li")[0] == 0
    assert store(tmp_path).principal(signed_in.token) is None
    assert isinstance(store(tmp_path).sign_in("li", PASSWORD), SignInRefused)
    assert run(tmp_path, "user", "enable", "li")[0] == 0
    assert isinstance(store(tmp_path).sign_in("li", PASSWORD), SignedIn)


def test_a_new_password_ends_sessions_and_the_old_one_stops_working(tmp_path: Path) -> None:
    store(tmp_path).create_user("li", PASSWORD, Role.CLERK)
    signed_in = store(tmp_path).sign_in("li", PASSWORD)
    assert isinstance(signed_in, SignedIn)
    code, output = run(tmp_path, "user", "password", "li", "--password-stdin", stdin=NEW_PASSWORD + "\n")
    assert code == 0, output
    assert store(tmp_path).principal(signed_in.token) is None
    assert isinstance(store(tmp_path).sign_in("li", PASSWORD), SignInRefused)
    assert isinstance(store(tmp_path).sign_in("li", NEW_PASSWORD), SignedIn)


def test_unknown_users_and_weak_passwords_are_usage_errors(tmp_path: Path) -> None:
    assert run(tmp_path, "user", "disable", "nobody")[0] == 2
    assert run(tmp_path, "user", "role", "nobody", "clerk")[0] == 2
    store(tmp_path).create_user("li", PASSWORD, Role.CLERK)
    assert run(tmp_path, "user", "password", "li", "--password-stdin", stdin="short\n")[0] == 2
    assert isinstance(store(tmp_path).sign_in("li", PASSWORD), SignedIn)


def test_tokens_are_listed_by_id_and_revoked(tmp_path: Path) -> None:
    path = tmp_path / "auth.db"
    kept = create_token(path, role=Role.CLERK, name="收文岗")
    gone = create_token(path, role=Role.ADMIN, name="运维")
    code, listing = run(tmp_path, "token", "list")
    assert code == 0 and "收文岗" in listing and "运维" in listing
    assert kept not in listing and gone not in listing  # only ids, never the tokens
    admin_id = next(line.split()[0] for line in listing.splitlines() if "运维" in line)
    assert run(tmp_path, "token", "revoke", admin_id)[0] == 0
    assert verify_token(path, gone) is None
    assert verify_token(path, kept) is not None
    assert run(tmp_path, "token", "revoke", admin_id)[0] == 2  # already gone
    assert run(tmp_path, "token", "revoke", "abc")[0] == 2  # too short to name one token
