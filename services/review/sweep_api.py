"""Run the deadline sweep now (admin): after loading a calendar year, or in a drill."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, is_dataclass
from typing import Any

from fastapi import APIRouter

from gongkai.http import Admin

__all__ = ["sweep_router"]


def sweep_router(run: Callable[[], Awaitable[Mapping[str, object]]]) -> APIRouter:
    api = APIRouter(prefix="/api/v1/admin", tags=["admin"])

    @api.post("/requests/sweep", summary="Recompute open cases' deadlines and announce overdue ones now")
    async def sweep_now(_: Admin) -> dict[str, Any]:
        results = await run()
        return {
            name: asdict(result) if is_dataclass(result) and not isinstance(result, type) else {}
            for name, result in results.items()
        }

    return api
