"""Staff accounts for the console: users with argon2 password hashes, lock-out, server-side sessions.

Everything lives in ``auth.db`` beside the API tokens (one data directory, shared by services run
apart). A session's secret (``gks_…``) is the console's cookie and, forwarded as a bearer token,
the signed-in user's identity at the API (``StaffAuth`` resolves both kinds of token). Only
SHA-256 hashes of session secrets are stored; the role is read from the user on every lookup, so
a changed role or a removed user takes effect at the next request.

>>> import tempfile, pathlib
>>> from datetime import UTC, datetime, timedelta
>>> from gongkai.clock import FixedClock
>>> clock = FixedClock(datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
>>> store = AccountStore(pathlib.Path(tempfile.mkdtemp()) / "auth.db", clock, hasher=fast_hasher())
>>> store.create_user("wang.reviewer", "correct horse battery", Role.REVIEWER).created_at
'2026-06-01T02:00:00+00:00'
>>> signed = store.sign_in("wang.reviewer", "correct horse battery")
>>> isinstance(signed, SignedIn), signed.session.role
(True, <Role.REVIEWER: 'reviewer'>)
>>> store.sign_in("wang.reviewer", "wrong password")
<SignInRefused.WRONG: 'wrong'>
>>> clock.advance(timedelta(minutes=31))
>>> store.session(signed.token) is None  # idle for longer than the 30-minute default
True
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gongkai.auth import Principal, Role
from gongkai.clock import Clock
from gongkai.db import connect, transaction
from gongkai.settings import Settings

__all__ = [
    "LOCKOUT_AFTER",
    "LOCKOUT_FOR",
    "MAX_DISPLAY_NAME",
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "SCHEMA",
    "SESSION_PREFIX",
    "AccountStore",
    "DuplicateUser",
    "InvalidAccount",
    "LastAdmin",
    "Session",
    "SignInRefused",
    "SignedIn",
    "UnknownUser",
    "UserRecord",
    "check_password",
    "check_username",
    "csrf_matches",
    "fast_hasher",
    "normalize_username",
]

SESSION_PREFIX = "gks_"
#: Failed sign-ins per username before it is locked, and for how long (counted within that window).
LOCKOUT_AFTER = 5
LOCKOUT_FOR = timedelta(minutes=15)
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
MAX_DISPLAY_NAME = 50
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
#: Sliding ``last_seen_at`` is written at most this often, not on every request.
_TOUCH_EVERY = timedelta(minutes=1)

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    display_name TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    secret_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions(expires_at);
CREATE TABLE IF NOT EXISTS login_failures (
    username TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    first_failed_at TEXT NOT NULL,
    locked_until TEXT
);
"""


class InvalidAccount(ValueError):
    """A username, password or role the store refuses; the message says which rule, ``field`` which value.

    The message never contains the password.
    """

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class UnknownUser(InvalidAccount):
    """No user has this name."""


class DuplicateUser(InvalidAccount):
    """A user of this name exists already."""


class LastAdmin(InvalidAccount):
    """The change would leave no enabled admin (``AccountStore.update_user``)."""


class SignInRefused(StrEnum):
    WRONG = "wrong"  # unknown user or wrong password: the same answer for both
    LOCKED = "locked"  # LOCKOUT_AFTER failures within LOCKOUT_FOR, whether or not the user exists


@dataclass(frozen=True)
class Session:
    username: str
    display_name: str
    role: Role
    csrf_token: str
    expires_at: datetime

    @property
    def principal(self) -> Principal:
        return Principal(name=self.username, role=self.role)


@dataclass(frozen=True)
class UserRecord:
    """A user as the administration sees it (never the password hash)."""

    username: str
    display_name: str
    role: Role
    disabled: bool
    created_at: str


@dataclass(frozen=True)
class SignedIn:
    token: str  # shown to the browser once, as the cookie; only its hash is stored
    session: Session


def fast_hasher() -> PasswordHasher:
    """A cheap argon2id for tests and doctests only (the default costs 64 MiB and tens of milliseconds)."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def normalize_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip().lower()


def check_username(username: str) -> str:
    """The normalized username, or InvalidAccount (field ``username``) naming the rule."""
    name = normalize_username(username)
    if not _USERNAME.match(name):
        raise InvalidAccount(
            "a username is 2–32 letters, digits, '.', '_' or '-', starting with a letter or digit", "username"
        )
    return name


def _check_display_name(display: str) -> None:
    if len(display) > MAX_DISPLAY_NAME:
        raise InvalidAccount(f"a display name is at most {MAX_DISPLAY_NAME} characters", "display_name")
    if any(unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp") for c in display):
        raise InvalidAccount("a display name has no control or format characters and no line breaks", "display_name")


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _iso(instant: datetime) -> str:
    return instant.isoformat()


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


class AccountStore:
    """Users, sessions and failed sign-ins in ``path`` (auth.db). Blocking: call it from a thread."""

    def __init__(
        self,
        path: Path,
        clock: Clock,
        *,
        session_lifetime: timedelta = timedelta(hours=8),
        idle_timeout: timedelta = timedelta(minutes=30),
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.path = path
        self.clock = clock
        self.session_lifetime = session_lifetime
        self.idle_timeout = idle_timeout
        self.hasher = hasher or PasswordHasher()

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> AccountStore:
        return cls(
            settings.path("auth.db"),
            clock,
            session_lifetime=timedelta(minutes=settings.console_session_minutes),
            idle_timeout=timedelta(minutes=settings.console_idle_minutes),
        )

    @cached_property
    def _dummy_hash(self) -> str:
        """Verified against when the user does not exist, so both answers take as long."""
        return self.hasher.hash(secrets.token_urlsafe(16))

    @contextmanager
    def _conn(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = connect(self.path)
        try:
            conn.executescript(SCHEMA)
            yield conn
        finally:
            conn.close()

    # Users ---------------------------------------------------------------------------------------

    def create_user(
        self,
        username: str,
        password: str,
        role: Role,
        display_name: str = "",
        *,
        with_it: Callable[[sqlite3.Connection, UserRecord], None] | None = None,
    ) -> UserRecord:
        """Create a user; ``with_it(conn, user)`` runs in the same transaction, for what must be kept with it."""
        name = check_username(username)
        check_password(password)
        display = display_name.strip() or name
        _check_display_name(display)
        hashed = self.hasher.hash(password)
        user = UserRecord(name, display, Role(role), False, _iso(self.clock.now()))
        with self._conn() as conn, transaction(conn):
            try:
                conn.execute(
                    "INSERT INTO users(username, password_hash, role, display_name, created_at) VALUES (?, ?, ?, ?, ?)",
                    (name, hashed, user.role.value, display, user.created_at),
                )
            except sqlite3.IntegrityError as exc:
                raise DuplicateUser(f"the user {name} exists already", "username") from exc
            if with_it is not None:
                with_it(conn, user)
        return user

    def set_role(self, username: str, role: Role) -> None:
        """Change a user's role; it applies at the user's next request (sessions re-read it)."""
        self._update(username, "role = ?", Role(role).value)

    def set_disabled(self, username: str, disabled: bool) -> None:
        """Disable (or enable again) a user; disabling ends the user's sessions at once."""
        self._update(username, "disabled = ?", int(disabled), end_sessions=disabled)

    def reset_password(self, username: str, password: str) -> None:
        """Set a new password; the user's sessions end and any lock-out is lifted."""
        check_password(password)
        self._update(username, "password_hash = ?", self.hasher.hash(password), end_sessions=True)
        with self._conn() as conn:
            conn.execute("DELETE FROM login_failures WHERE username = ?", (normalize_username(username),))

    def _update(self, username: str, assignment: str, value: object, *, end_sessions: bool = False) -> None:
        name = normalize_username(username)
        with self._conn() as conn:
            changed = conn.execute(f"UPDATE users SET {assignment} WHERE username = ?", (value, name)).rowcount
            if not changed:
                raise UnknownUser(f"there is no user {name}")
            if end_sessions:
                conn.execute("DELETE FROM sessions WHERE username = ?", (name,))

    def update_user(
        self,
        username: str,
        *,
        role: Role | None = None,
        disabled: bool | None = None,
        display_name: str | None = None,
    ) -> UserRecord:
        """Change role, disabled and display name at once, never leaving the agency without an enabled admin.

        Checked and written in one transaction, so two admins demoting each other cannot both succeed.
        Disabling ends the user's sessions at once; a role applies at the user's next request. Raises
        UnknownUser, LastAdmin, or InvalidAccount for a display name. (The CLI's ``set_role`` and
        ``set_disabled`` stay unguarded: the command line is how an operator recovers.)
        """
        name = normalize_username(username)
        display = display_name.strip() if display_name is not None else None
        if display is not None:
            if not display:
                raise InvalidAccount("a display name is not empty", "display_name")
            _check_display_name(display)
        with self._conn() as conn, transaction(conn):
            found = _user_record(conn, name)
            if found is None:
                raise UnknownUser(f"there is no user {name}")
            new_role = Role(role) if role is not None else found.role
            new_disabled = found.disabled if disabled is None else disabled
            was_admin = found.role is Role.ADMIN and not found.disabled
            if was_admin and (new_role is not Role.ADMIN or new_disabled):
                others = conn.execute(
                    "SELECT count(*) FROM users WHERE role = ? AND NOT disabled AND username != ?",
                    (Role.ADMIN.value, name),
                ).fetchone()[0]
                if not others:
                    raise LastAdmin(f"{name} is the last enabled admin")
            conn.execute(
                "UPDATE users SET role = ?, disabled = ?, display_name = ? WHERE username = ?",
                (new_role.value, int(new_disabled), display or found.display_name, name),
            )
            if new_disabled:
                conn.execute("DELETE FROM sessions WHERE username = ?", (name,))
            updated = _user_record(conn, name)
        assert updated is not None
        return updated

    def users(self) -> list[tuple[str, Role, str]]:
        """(username, role, display name) of every user (``gongkai user list``)."""
        return [(u.username, u.role, u.display_name) for u in self.user_records()]

    def user_records(self) -> list[UserRecord]:
        """Every user, by username, with whether it is disabled."""
        with self._conn() as conn:
            rows = conn.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY username").fetchall()
        return [_as_record(row) for row in rows]

    def user(self, username: str) -> UserRecord | None:
        with self._conn() as conn:
            return _user_record(conn, normalize_username(username))

    # Signing in and out --------------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> SignedIn | SignInRefused:
        """A new session, or why not. A locked username is refused before its password is looked at."""
        name = normalize_username(username)[:64]
        now = self.clock.now()
        with self._conn() as conn:
            if self._locked(conn, name, now):
                return SignInRefused.LOCKED
            row = conn.execute(
                "SELECT password_hash, role, display_name FROM users WHERE username = ? AND NOT disabled", (name,)
            ).fetchone()
            if not self._verify(row[0] if row else None, password) or row is None:
                return self._failed(conn, name, now)
            if self.hasher.check_needs_rehash(row[0]):
                conn.execute(
                    "UPDATE users SET password_hash = ? WHERE username = ?", (self.hasher.hash(password), name)
                )
            token = SESSION_PREFIX + secrets.token_urlsafe(32)
            csrf = secrets.token_urlsafe(32)
            expires = now + self.session_lifetime
            with transaction(conn):
                conn.execute("DELETE FROM login_failures WHERE username = ?", (name,))
                conn.execute("DELETE FROM sessions WHERE expires_at < ?", (_iso(now),))
                conn.execute(
                    "INSERT INTO sessions(secret_hash, username, csrf_token, created_at, last_seen_at, expires_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (_secret_hash(token), name, csrf, _iso(now), _iso(now), _iso(expires)),
                )
        return SignedIn(token, Session(name, row[2], Role(row[1]), csrf, min(expires, now + self.idle_timeout)))

    def _verify(self, stored: str | None, password: str) -> bool:
        if len(password) > MAX_PASSWORD:
            return False
        try:
            return self.hasher.verify(stored or self._dummy_hash, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _locked(self, conn: sqlite3.Connection, name: str, now: datetime) -> bool:
        row = conn.execute("SELECT locked_until FROM login_failures WHERE username = ?", (name,)).fetchone()
        return bool(row and row[0] and _parse(row[0]) > now)

    def _failed(self, conn: sqlite3.Connection, name: str, now: datetime) -> SignInRefused:
        """Count the failure (for any username, existing or not); lock the name at the LOCKOUT_AFTER-th."""
        window_start = _iso(now - LOCKOUT_FOR)
        with transaction(conn):
            # A lock that has run out, or failures older than the window, start the count afresh.
            conn.execute(
                "DELETE FROM login_failures WHERE username = ? AND (locked_until <= ? OR first_failed_at < ?)",
                (name, _iso(now), window_start),
            )
            conn.execute(
                "INSERT INTO login_failures(username, failures, first_failed_at) VALUES (?, 1, ?)"
                " ON CONFLICT(username) DO UPDATE SET failures = failures + 1",
                (name, _iso(now)),
            )
            failures = conn.execute("SELECT failures FROM login_failures WHERE username = ?", (name,)).fetchone()[0]
            if failures >= LOCKOUT_AFTER:
                conn.execute(
                    "UPDATE login_failures SET locked_until = ? WHERE username = ?", (_iso(now + LOCKOUT_FOR), name)
                )
                return SignInRefused.LOCKED
            # Keep the table from growing with every name ever tried.
            conn.execute(
                "DELETE FROM login_failures WHERE first_failed_at < ? AND locked_until IS NULL", (window_start,)
            )
        return SignInRefused.WRONG

    def sign_out(self, token: str) -> None:
        with self._conn() as conn:
            conn.execute("DELETE FROM sessions WHERE secret_hash = ?", (_secret_hash(token),))

    # Sessions ------------------------------------------------------------------------------------

    def session(self, token: str, *, touch: bool = True) -> Session | None:
        """The live session of ``token``: unknown, expired (absolute or idle) or disabled users give None.

        ``touch`` slides the idle timeout (the console's page views); the API only reads.
        """
        if not token.startswith(SESSION_PREFIX) or len(token) > 100:
            return None
        now = self.clock.now()
        with self._conn() as conn:
            row = conn.execute(
                "SELECT s.username, u.display_name, u.role, s.csrf_token, s.last_seen_at, s.expires_at"
                " FROM sessions s JOIN users u ON u.username = s.username"
                " WHERE s.secret_hash = ? AND NOT u.disabled",
                (_secret_hash(token),),
            ).fetchone()
            if row is None:
                return None
            last_seen, expires = _parse(row[4]), _parse(row[5])
            if now >= expires or now >= last_seen + self.idle_timeout:
                conn.execute("DELETE FROM sessions WHERE secret_hash = ?", (_secret_hash(token),))
                return None
            if touch and now - last_seen >= _TOUCH_EVERY:
                conn.execute(
                    "UPDATE sessions SET last_seen_at = ? WHERE secret_hash = ?", (_iso(now), _secret_hash(token))
                )
                last_seen = now
        return Session(row[0], row[1], Role(row[2]), row[3], min(expires, last_seen + self.idle_timeout))

    def principal(self, token: str) -> Principal | None:
        """The API's view of a session token: who, in which role; never extends the session."""
        found = self.session(token, touch=False)
        return found.principal if found else None


_USER_COLUMNS = "username, display_name, role, disabled, created_at"


def _as_record(row: tuple[str, str, str, int, str]) -> UserRecord:
    return UserRecord(row[0], row[1], Role(row[2]), bool(row[3]), row[4])


def _user_record(conn: sqlite3.Connection, name: str) -> UserRecord | None:
    row = conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE username = ?", (name,)).fetchone()
    return _as_record(row) if row else None


def check_password(password: str) -> None:
    """InvalidAccount (field ``password``) naming the rule a password breaks; the message never holds it."""
    if len(password) < MIN_PASSWORD:
        raise InvalidAccount(f"a password has at least {MIN_PASSWORD} characters", "password")
    if len(password) > MAX_PASSWORD:
        raise InvalidAccount(f"a password has at most {MAX_PASSWORD} characters", "password")
    if password.strip() != password or not password.isprintable():
        raise InvalidAccount("a password has no leading or trailing spaces and no control characters", "password")


def csrf_matches(expected: str, given: str) -> bool:
    """Constant-time comparison of CSRF tokens; an empty token never matches."""
    return bool(expected) and bool(given) and hmac.compare_digest(expected.encode(), given.encode())
