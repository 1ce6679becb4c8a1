"""The base of every event's data model: strict (unknown fields are refused), JSON-serialisable."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["EventData"]


class EventData(BaseModel):
    model_config = ConfigDict(extra="forbid")
