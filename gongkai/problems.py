"""Domain and HTTP problems (RFC 9457 ``application/problem+json``), mapped in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.responses import JSONResponse

__all__ = ["PROBLEM_JSON", "Conflict", "FieldProblem", "NotFound", "Problem", "problem_response"]

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


@dataclass
class Problem(Exception):
    """An error the client can act on. ``type`` is a stable slug, documented in ``docs/errors.md``."""

    status: int
    title: str
    detail: str = ""
    type: str = "about:blank"
    errors: list[FieldProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail}"


class NotFound(Problem):
    def __init__(self, what: str, ident: str) -> None:
        super().__init__(404, "未找到", f"{what} {ident} does not exist", "not-found")


class Conflict(Problem):
    """The current state forbids the command (409); ``state`` names that state."""

    def __init__(self, detail: str, *, state: str) -> None:
        super().__init__(409, "当前状态不允许此操作", f"{detail} (state: {state})", "invalid-state")
        self.state = state
        self.extensions = {"state": state}


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {
        "type": problem.type,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    body.update(getattr(problem, "extensions", {}))
    if problem.errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in problem.errors]
    return JSONResponse(body, status_code=problem.status, media_type=PROBLEM_JSON, headers=headers)
