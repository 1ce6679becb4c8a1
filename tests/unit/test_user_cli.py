"""``gongkai user create``: prompted twice or read from stdin, stored hashed in auth.db, refusals exit 2."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from gongkai.accounts import AccountStore, SignedIn
from gongkai.cli import cli
from gongkai.clock import SystemClock

PASSWORD = "correct horse battery"


def create(tmp_path: Path, *args: str, stdin: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["user", "create", "--data-dir", str(tmp_path), *args], input=stdin)
    return result.exit_code, result.output


def stored(tmp_path: Path) -> list[tuple[str, str, str, str]]:
    conn = sqlite3.connect(tmp_path / "auth.db")
    try:
        return conn.execute("SELECT username, role, display_name, password_hash FROM users").fetchall()
    finally:
        conn.close()


def test_the_password_is_prompted_twice_and_stored_hashed(tmp_path: Path) -> None:
    code, output = create(tmp_path, "--role", "reviewer", "--name", "王审查", "Wang", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert code == 0, output
    assert "user wang created with the role reviewer" in output
    assert PASSWORD not in output  # hidden input is not echoed
    [(username, role, display, hashed)] = stored(tmp_path)
    assert (username, role, display) == ("wang", "reviewer", "王审查")
    assert hashed.startswith("$argon2id$")
    assert isinstance(AccountStore(tmp_path / "auth.db", SystemClock()).sign_in("wang", PASSWORD), SignedIn)


def test_two_different_entries_are_asked_again(tmp_path: Path) -> None:
    code, output = create(
        tmp_path, "--role", "clerk", "li", stdin=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n"
    )
    assert code == 0, output
    assert "do not match" in output
    assert [row[:2] for row in stored(tmp_path)] == [("li", "clerk")]


def test_scripts_give_the_password_on_stdin(tmp_path: Path) -> None:
    code, output = create(tmp_path, "--role", "admin", "--password-stdin", "ops", stdin=f"{PASSWORD}\r\n")
    assert code == 0, output
    assert isinstance(AccountStore(tmp_path / "auth.db", SystemClock()).sign_in("ops", PASSWORD), SignedIn)


def test_refusals_exit_2_and_store_nothing_new(tmp_path: Path) -> None:
    assert create(tmp_path, "--role", "clerk", "--password-stdin", "li", stdin="short\n")[0] == 2
    assert create(tmp_path, "--role", "clerk", "--password-stdin", "li", stdin="\n")[0] == 2
    assert create(tmp_path, "--role", "boss", "--password-stdin", "li", stdin=f"{PASSWORD}\n")[0] == 2
    assert create(tmp_path, "--role", "clerk", "--password-stdin", "x", stdin=f"{PASSWORD}\n")[0] == 2
    assert not (tmp_path / "auth.db").exists() or stored(tmp_path) == []
    assert create(tmp_path, "--role", "clerk", "--password-stdin", "li", stdin=f"{PASSWORD}\n")[0] == 0
    code, output = create(tmp_path, "--role", "reviewer", "--password-stdin", "LI", stdin=f"{PASSWORD}\n")
    assert code == 2 and "exists already" in output
    assert [row[:2] for row in stored(tmp_path)] == [("li", "clerk")]
