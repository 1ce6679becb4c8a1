"""Wiring of the intake service."""

from __future__ import annotations

from gongkai.service import ServiceContext, ServiceUnit
from services.intake.api import router


def build(ctx: ServiceContext) -> ServiceUnit:
    return ServiceUnit(name="intake", routers=[router(ctx)])
