"""The baseline for the pipeline benchmark: a bare FastAPI endpoint that validates a draft and answers 202.

No authentication, no bus, no disk: what any FastAPI service pays for the same request.
"""

from __future__ import annotations

import uuid

from fastapi import FastAPI

from gongkai.drafts import DocumentDraft

app = FastAPI()


@app.post("/api/v1/documents", status_code=202)
async def submit(draft: DocumentDraft) -> dict[str, str]:
    draft.to_event_data()  # the same clean-up work intake does
    return {"id": uuid.uuid4().hex, "status": "submitted"}
