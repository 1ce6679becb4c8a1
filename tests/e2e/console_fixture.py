"""The platform with the console, staff accounts, and a document waiting for review with a phone number in it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gongkai.accounts import AccountStore, fast_hasher
from gongkai.auth import Role
from gongkai.cli import FRONTEND_NAMES, SERVICE_NAMES, service_builder
from gongkai.clock import clock_from_setting
from gongkai.runtime import Platform
from gongkai.settings import Settings
from tests.e2e.scenario import DRAFT

NOW = "2026-06-01T10:00:00+08:00"
PASSWORD = "correct horse battery"
PHONE = "13812345678"
PHONE_DRAFT = {**DRAFT, "body": DRAFT["body"] + f"项目联系人张三，联系电话{PHONE}。"}
USERS = {
    "shen": (Role.REVIEWER, "沈审查"),
    "li": (Role.CLERK, "李经办"),
    "zhao": (Role.PUBLISHER, "赵发布"),
    "admin": (Role.ADMIN, "系统管理员"),
}


def console_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"bus": "embedded", "index": "embedded", "environment": "test", "clock": NOW}
    return Settings(data_dir=data_dir, **(values | overrides))


def create_users(settings: Settings) -> None:
    accounts = AccountStore(settings.path("auth.db"), clock_from_setting(settings.clock), hasher=fast_hasher())
    for username, (role, name) in USERS.items():
        accounts.create_user(username, PASSWORD, role, name)


def console_platform(settings: Settings) -> Platform:
    return Platform(settings, [service_builder(name) for name in (*SERVICE_NAMES, *FRONTEND_NAMES)])


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def form_id_of(html: str) -> str:
    found = re.search(r'name="form_id" value="([^"]+)"', html)
    assert found, "no form id in the page"
    return found.group(1)
