"""Wiring of the console: no consumers, no database of its own; pages over the platform's JSON API.

The console imports no other service. It reads the kernel's account store (``auth.db``) to know who
is signed in, and calls the API (in-process, or ``GONGKAI_CONSOLE_API_URL`` when run apart) with the
user's session as the bearer token, so every role check is the API's own.
"""

from __future__ import annotations

from gongkai.accounts import AccountStore
from gongkai.service import ServiceContext, ServiceUnit
from services.console.admin_pages import admin_router
from services.console.api_client import Api
from services.console.calendar_pages import calendar_router
from services.console.letter_pages import letter_router
from services.console.pages import pages_router
from services.console.proposal_pages import proposal_router
from services.console.report_pages import report_router
from services.console.request_pages import request_router
from services.console.review_pages import review_router
from services.console.web import Console


def build(ctx: ServiceContext) -> ServiceUnit:
    api = Api(ctx.settings.console_api_url)
    console = Console(ctx.settings, AccountStore.from_settings(ctx.settings, ctx.clock), api)
    return ServiceUnit(
        name="console",
        routers=[
            pages_router(console, ctx.clock),
            review_router(console),
            request_router(console, ctx.clock),
            letter_router(console, ctx.clock),
            proposal_router(console, ctx.clock),
            report_router(console, ctx.clock),
            calendar_router(console, ctx.clock),
            admin_router(console),
        ],
        stop=api.close,
    )
