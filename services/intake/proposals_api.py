"""``POST /api/v1/proposals``: a clerk registers a deputy's suggestion or a CPPCC proposal assigned to
the agency (交办); it becomes one durable ``proposal.registered`` event, answered 202.

Intake checks the registration on its own (fields, caps, the assignment day); whether the number
is already taken is known only to review's store, which records a repeat with a warning.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from gongkai.events import new_event
from gongkai.events.letters import ProposalKind, ProposalRegistered
from gongkai.http import Clerk
from gongkai.problems import FieldProblem, Problem
from gongkai.service import ServiceContext
from gongkai.text import clean_text

__all__ = ["ProposalRegistration", "proposals_router"]

MAX_CO_UNITS = 20


def _has_text(value: str) -> str:
    cleaned = clean_text(value)
    if not cleaned:
        raise ValueError("the text is empty once control characters and blanks are removed")
    return cleaned


_Clean = AfterValidator(_has_text)
Number = Annotated[str, StringConstraints(min_length=1, max_length=50), _Clean]
Title = Annotated[str, StringConstraints(min_length=1, max_length=300), _Clean]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100), _Clean]


class ProposalRegistration(BaseModel):
    """A suggestion (建议) or proposal (提案) as assigned: number, title, proposer, units, the day of assignment."""

    model_config = ConfigDict(extra="forbid")

    kind: ProposalKind = Field(description="npc_suggestion (人大代表建议) or cppcc_proposal (政协提案)")
    number: Number = Field(description="its number, e.g. 第0123号 (unique per kind and year)")
    title: Title
    proposer: Name = Field(description="the deputy or member (first proposer, or the group)")
    assigned_on: date = Field(description="the day it was assigned to the agency (交办日)")
    lead_unit: Name = Field(description="主办单位")
    co_units: list[Name] = Field(default_factory=list, max_length=MAX_CO_UNITS, description="协办单位")
    session: Literal["session", "recess"] = Field(default="session", description="raised during a session or between")

    @field_validator("co_units")
    @classmethod
    def _distinct(cls, units: list[str]) -> list[str]:
        if len(set(units)) != len(units):
            raise ValueError("a co-handling unit is named twice")
        return units

    def issues(self, *, today: date, records_start_on: date) -> list[FieldProblem]:
        """What the types cannot say: the day of assignment and the lead unit among the co-units."""
        found = []
        if self.assigned_on > today:
            found.append(FieldProblem("assigned_on", f"{self.assigned_on} is in the future (today is {today})"))
        if self.assigned_on < records_start_on:
            found.append(FieldProblem("assigned_on", f"no record may be dated before {records_start_on.isoformat()}"))
        if self.lead_unit in self.co_units:
            found.append(FieldProblem("co_units", f"{self.lead_unit} is the lead unit, not a co-handling unit"))
        return found


def proposals_router(ctx: ServiceContext) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["intake"])

    @api.post(
        "/proposals",
        status_code=202,
        summary="Register a deputy's suggestion or a CPPCC proposal assigned to the agency",
        responses={422: {"description": "a field is missing, too long or out of range"}},
    )
    async def register_proposal(registration: ProposalRegistration, clerk: Clerk, response: Response) -> dict[str, str]:
        issues = registration.issues(today=ctx.clock.today(), records_start_on=ctx.settings.records_start_on)
        if issues:
            detail = "; ".join(i.message for i in issues)
            raise Problem(422, "请求参数有误", detail, "validation", issues)
        proposal_id = uuid.uuid4().hex
        data = ProposalRegistered(**registration.model_dump(), recorded_by=clerk.name)
        event = new_event(
            "proposal.registered", subject=proposal_id, source="intake", data=data, recorded_at=ctx.clock.now()
        )
        await ctx.bus.publish(event)  # durable before we answer
        response.headers["Location"] = f"/api/v1/proposals/{proposal_id}"
        return {"id": proposal_id}

    return api
