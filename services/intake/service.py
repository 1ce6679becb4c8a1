"""Wiring of the intake service."""

from __future__ import annotations

from gongkai.service import ServiceContext, ServiceUnit
from services.intake.api import router
from services.intake.letter_pages import letter_pages_router
from services.intake.letters_api import letters_router
from services.intake.pages import pages_router
from services.intake.proposals_api import proposals_router
from services.intake.request_api import requests_router


def build(ctx: ServiceContext) -> ServiceUnit:
    return ServiceUnit(
        name="intake",
        routers=[
            router(ctx),
            requests_router(ctx),
            pages_router(ctx),
            letters_router(ctx),
            letter_pages_router(ctx),
            proposals_router(ctx),
        ],
    )
