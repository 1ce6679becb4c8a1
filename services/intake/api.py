"""Intake's HTTP commands: each validated request becomes one durable event, answered 202."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from gongkai.events import new_event
from gongkai.http import Clerk
from gongkai.service import ServiceContext
from services.intake.domain import DocumentDraft

__all__ = ["router"]


def router(ctx: ServiceContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["intake"])

    @api.post("/documents", status_code=202, summary="Submit a draft for proactive disclosure")
    async def submit_document(draft: DocumentDraft, clerk: Clerk, response: Response) -> dict[str, str]:
        doc_id = uuid.uuid4().hex
        event = new_event(
            "document.submitted",
            subject=doc_id,
            source="intake",
            data=draft.to_event_data(),
            recorded_at=ctx.clock.now(),
        )
        await ctx.bus.publish(event)  # durable before we answer
        response.headers["Location"] = f"/api/v1/documents/{doc_id}"
        return {"id": doc_id, "status": "submitted"}

    return api
