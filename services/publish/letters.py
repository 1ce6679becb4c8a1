"""公开信件选登: published letters and proposal replies, kept from the public stream and shown on the portal.

* The ``publish-letters`` consumer group reads ``gongkai.public.letters``: ``letter.published`` (a
  letter and its reply, cleared of personal data by a reviewer) and ``proposal.reply_published``
  (建议提案办理复文) become one row each in ``published_letters`` of the publish service's own
  ``publish.db``; ``letter.withdrawn`` and ``proposal.reply_withdrawn`` (撤下公开) delete the row. Each
  event is applied once (``Database.apply_once``).
* Order: ``letter_versions`` keeps, per letter or proposal, the version of the last publication or
  withdrawal applied and when it was withdrawn (a tombstone that keeps none of the text). A step applies
  only when its version is higher (a withdrawal also on a tie); at the same version a later
  ``published_at`` replaces the row (a proposal's second reply published before versions, both counting
  as 1), an older one arriving late does not. So a withdrawn letter or reply stays down whatever older
  publication arrives late, and comes back only with a newer one.
* ``gongkai publish rebuild-letters`` replays the topic into both tables with the same code
  (``services/publish/letters_rebuild.py``).
* ``GET /letters`` lists them, newest first, by kind and category; ``GET /letters/{id}`` shows one with
  its reply; ``GET /api/v1/public/letters`` and ``/api/v1/public/letters/{id}`` give the same as JSON.

Only what the public events carry is stored; every text is escaped by the templates.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from gongkai.clock import AGENCY_TZ
from gongkai.db import Database
from gongkai.events import (
    Envelope,
    LetterPublished,
    LetterWithdrawn,
    ProposalReplyPublished,
    ProposalReplyWithdrawn,
)
from gongkai.portal import portal_templates
from gongkai.problems import NotFound
from gongkai.settings import Settings
from gongkai.vocabulary import (
    LETTER_CATEGORY_LABELS,
    LETTER_KIND_LABELS,
    PROPOSAL_KIND_LABELS,
    RESULT_CLASS_LABELS,
)
from services.publish.pages import page_numbers

__all__ = [
    "CATEGORY_LABELS",
    "KIND_LABELS",
    "LETTERS_GROUP",
    "LETTERS_SCHEMA",
    "PublishedLetter",
    "PublishedLetters",
    "effect_of",
    "letters_database",
    "letters_router",
]

LETTERS_GROUP = "publish-letters"
PAGE_SIZE = 10
MAX_PAGE = 1000

KIND_LABELS: dict[str, str] = {**LETTER_KIND_LABELS, **PROPOSAL_KIND_LABELS}
CATEGORY_LABELS = LETTER_CATEGORY_LABELS
LetterKindFilter = Literal["mayor_mailbox", "department_mailbox", "consultation", "npc_suggestion", "cppcc_proposal"]
CategoryFilter = Literal["consultation", "complaint", "suggestion", "help"]

LETTERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS published_letters (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,              -- letter | proposal_reply
    kind TEXT NOT NULL,
    category TEXT,                   -- letters only
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',   -- the letter; empty for a proposal reply
    reply TEXT NOT NULL,
    received_on TEXT,                -- letters only
    replied_on TEXT NOT NULL,
    published_at TEXT NOT NULL,      -- UTC, ISO 8601 with microseconds: sorts as text
    number TEXT,                     -- proposals: 编号, 提出人, 主办单位, 办理结果类别
    proposer TEXT,
    lead_unit TEXT,
    result_class TEXT
);
CREATE INDEX IF NOT EXISTS published_letters_newest ON published_letters (published_at DESC, id);
CREATE INDEX IF NOT EXISTS published_letters_by_kind ON published_letters (kind, published_at DESC);
CREATE TABLE IF NOT EXISTS letter_versions (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,        -- of the last publication or withdrawal applied
    withdrawn_at TEXT                -- UTC, when that was a withdrawal (the row is then gone)
);
"""

_COLUMNS = (
    "id, type, kind, category, title, body, reply, received_on, replied_on, published_at, "
    "number, proposer, lead_unit, result_class"
)


@dataclass(frozen=True)
class PublishedLetter:
    """One published letter with its reply, or one published proposal reply."""

    id: str
    type: Literal["letter", "proposal_reply"]
    kind: str
    category: str | None
    title: str
    body: str
    reply: str
    received_on: date | None
    replied_on: date
    published_at: datetime
    number: str | None = None
    proposer: str | None = None
    lead_unit: str | None = None
    result_class: str | None = None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def category_label(self) -> str | None:
        return CATEGORY_LABELS.get(self.category, self.category) if self.category else None

    @property
    def result_class_label(self) -> str | None:
        return RESULT_CLASS_LABELS.get(self.result_class, self.result_class) if self.result_class else None

    @property
    def url(self) -> str:
        return f"/letters/{self.id}"

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(
            received_on=self.received_on.isoformat() if self.received_on else None,
            replied_on=self.replied_on.isoformat(),
            published_at=self.published_at.isoformat(),
            kind_label=self.kind_label,
            category_label=self.category_label,
            result_class_label=self.result_class_label,
            url=self.url,
        )
        return data

    @classmethod
    def from_event(cls, event: Envelope) -> PublishedLetter | None:
        """The row a public event stands for; None for an event type this page does not show."""
        if event.type == "letter.published":
            letter = LetterPublished.model_validate(event.data)
            return cls(
                id=event.subject,
                type="letter",
                kind=letter.kind,
                category=letter.category,
                title=letter.title,
                body=letter.body,
                reply=letter.reply,
                received_on=letter.received_on,
                replied_on=letter.replied_on,
                published_at=letter.published_at,
            )
        if event.type == "proposal.reply_published":
            proposal = ProposalReplyPublished.model_validate(event.data)
            return cls(
                id=event.subject,
                type="proposal_reply",
                kind=proposal.kind,
                category=None,
                title=proposal.title,
                body="",
                reply=proposal.reply,
                received_on=None,
                replied_on=proposal.replied_on,
                published_at=proposal.published_at,
                number=proposal.number,
                proposer=proposal.proposer,
                lead_unit=proposal.lead_unit,
                result_class=proposal.result_class,
            )
        return None


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _current(conn: sqlite3.Connection, letter_id: str) -> tuple[int, bool, str | None]:
    """(version, withdrawn, published_at of the row) as the tables stand; a row from before versions is 1."""
    found = conn.execute("SELECT version, withdrawn_at FROM letter_versions WHERE id = ?", (letter_id,)).fetchone()
    row = conn.execute("SELECT published_at FROM published_letters WHERE id = ?", (letter_id,)).fetchone()
    published_at = row[0] if row else None
    if found is not None:
        return int(found[0]), found[1] is not None, published_at
    return (1 if row else 0), False, published_at


def _publish(conn: sqlite3.Connection, letter: PublishedLetter, version: int) -> None:
    """Show ``letter`` unless a newer publication or a withdrawal of this version or later was applied."""
    current, withdrawn, published_at = _current(conn, letter.id)
    newer_row = (published_at or "") > _instant(letter.published_at)
    if version < current or (version == current and (withdrawn or newer_row)):
        return
    _store(conn, letter)
    conn.execute(
        "INSERT INTO letter_versions (id, version, withdrawn_at) VALUES (?, ?, NULL) "
        "ON CONFLICT (id) DO UPDATE SET version = excluded.version, withdrawn_at = NULL",
        (letter.id, version),
    )


def _withdraw(conn: sqlite3.Connection, letter_id: str, withdrawn: LetterWithdrawn | ProposalReplyWithdrawn) -> None:
    """Take the letter (or proposal reply) down as of ``withdrawn.version``, leaving a tombstone; none of its
    text is kept."""
    current, _, _ = _current(conn, letter_id)
    if withdrawn.version < current:
        return
    conn.execute("DELETE FROM published_letters WHERE id = ?", (letter_id,))
    conn.execute(
        "INSERT INTO letter_versions (id, version, withdrawn_at) VALUES (?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET version = excluded.version, withdrawn_at = excluded.withdrawn_at",
        (letter_id, withdrawn.version, _instant(withdrawn.withdrawn_at)),
    )


Effect = Callable[[sqlite3.Connection], None]
_PUBLICATIONS: dict[str, type[LetterPublished] | type[ProposalReplyPublished]] = {
    "letter.published": LetterPublished,
    "proposal.reply_published": ProposalReplyPublished,
}
_WITHDRAWALS: dict[str, type[LetterWithdrawn] | type[ProposalReplyWithdrawn]] = {
    "letter.withdrawn": LetterWithdrawn,
    "proposal.reply_withdrawn": ProposalReplyWithdrawn,
}


def effect_of(event: Envelope) -> Effect | None:
    """What a public event does to the tables; None for an event type this page does not keep."""
    if event.type in _WITHDRAWALS:
        withdrawn = _WITHDRAWALS[event.type].model_validate(event.data)
        return lambda conn: _withdraw(conn, event.subject, withdrawn)
    letter = PublishedLetter.from_event(event)
    if letter is None:
        return None
    version = _PUBLICATIONS[event.type].model_validate(event.data).version
    return lambda conn: _publish(conn, letter, version)


def _store(conn: sqlite3.Connection, letter: PublishedLetter) -> None:
    """Insert, or replace the row of the same letter (the caller decided that this publication stands)."""
    conn.execute(
        f"INSERT INTO published_letters ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET type = excluded.type, kind = excluded.kind, category = excluded.category, "
        "title = excluded.title, body = excluded.body, reply = excluded.reply, received_on = excluded.received_on, "
        "replied_on = excluded.replied_on, published_at = excluded.published_at, number = excluded.number, "
        "proposer = excluded.proposer, lead_unit = excluded.lead_unit, result_class = excluded.result_class",
        (
            letter.id,
            letter.type,
            letter.kind,
            letter.category,
            letter.title,
            letter.body,
            letter.reply,
            letter.received_on.isoformat() if letter.received_on else None,
            letter.replied_on.isoformat(),
            _instant(letter.published_at),
            letter.number,
            letter.proposer,
            letter.lead_unit,
            letter.result_class,
        ),
    )


def _from_row(row: tuple[Any, ...]) -> PublishedLetter:
    (id_, type_, kind, category, title, body, reply, received_on, replied_on, published_at, *proposal) = row
    return PublishedLetter(
        id_,
        type_,
        kind,
        category,
        title,
        body,
        reply,
        date.fromisoformat(received_on) if received_on else None,
        date.fromisoformat(replied_on),
        datetime.fromisoformat(published_at),
        *proposal,
    )


@dataclass(frozen=True)
class LetterPage:
    total: int
    items: list[PublishedLetter]


def _page(conn: sqlite3.Connection, kind: str | None, category: str | None, page: int, size: int) -> LetterPage:
    conditions, params = [], []
    if kind:
        conditions.append("kind = ?")
        params.append(kind)
    if category:
        conditions.append("category = ?")
        params.append(category)
    where = (" WHERE " + " AND ".join(conditions)) if conditions else ""
    total = conn.execute(f"SELECT count(*) FROM published_letters{where}", params).fetchone()[0]
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM published_letters{where} ORDER BY published_at DESC, id LIMIT ? OFFSET ?",
        [*params, size, (page - 1) * size],
    ).fetchall()
    return LetterPage(total, [_from_row(row) for row in rows])


def _one(conn: sqlite3.Connection, letter_id: str) -> PublishedLetter | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM published_letters WHERE id = ?", (letter_id,)).fetchone()
    return _from_row(row) if row else None


def letters_database(settings: Settings) -> Database:
    """The publish service's own database (``publish.db``), holding the published letters."""
    return Database(settings.path("publish.db"), schema=LETTERS_SCHEMA)


class PublishedLetters:
    """The ``publish-letters`` consumer: public letter events → ``published_letters``, each event once."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __call__(self, event: Envelope) -> None:
        effect = effect_of(event)
        if effect is not None:
            await self.db.apply_once(LETTERS_GROUP, event, effect)


templates = portal_templates(Path(__file__).parent / "templates")
templates.env.filters["local_date"] = lambda instant: instant.astimezone(AGENCY_TZ).date().isoformat()


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.split("\n") if line.strip()]


def _excerpt(text: str, limit: int = 120) -> str:
    flat = " ".join(_paragraphs(text))
    return flat if len(flat) <= limit else flat[:limit] + "…"


templates.env.filters["paragraphs"] = _paragraphs
templates.env.filters["excerpt"] = _excerpt


def _list_url(kind: str, category: str, page: int = 1) -> str:
    """The list with these filters, on ``page``; empty filters and the first page are left out of the address."""
    params: dict[str, str | int] = {key: value for key, value in (("kind", kind), ("category", category)) if value}
    if page > 1:
        params["page"] = page
    return "/letters?" + urlencode(params) if params else "/letters"


def letters_router(db: Database) -> APIRouter:
    """The portal's pages of published letters and their JSON (public, no authentication)."""
    router = APIRouter()

    @router.get("/api/v1/public/letters", tags=["public"], summary="Published letters and proposal replies")
    async def public_letters(
        kind: Annotated[LetterKindFilter | None, Query(description="写信渠道 or proposal kind")] = None,
        category: Annotated[CategoryFilter | None, Query(description="来信类别 (letters only)")] = None,
        page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
        size: Annotated[int, Query(ge=1, le=100)] = 10,
    ) -> dict[str, Any]:
        found = await db.run(_page, kind, category, page, size)
        return {"total": found.total, "page": page, "size": size, "items": [i.as_json() for i in found.items]}

    @router.get("/api/v1/public/letters/{letter_id}", tags=["public"], summary="One published letter")
    async def public_letter(letter_id: Annotated[str, PathParam(max_length=64)]) -> dict[str, Any]:
        letter = await db.run(_one, letter_id)
        if letter is None:
            raise NotFound("published letter", letter_id)
        return letter.as_json()

    @router.get("/letters", response_class=HTMLResponse, include_in_schema=False)
    async def letters_page(
        request: Request,
        kind: Annotated[str, Query(max_length=40)] = "",
        category: Annotated[str, Query(max_length=40)] = "",
        page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    ) -> HTMLResponse:
        errors = [
            message
            for value, known, message in (
                (kind, KIND_LABELS, "写信渠道无效"),
                (category, CATEGORY_LABELS, "来信类别无效"),
            )
            if value and value not in known
        ]
        found = LetterPage(0, []) if errors else await db.run(_page, kind or None, category or None, page, PAGE_SIZE)
        last = max(1, min(MAX_PAGE, math.ceil(found.total / PAGE_SIZE)))
        context = {
            "found": found,
            "errors": errors,
            "kind": kind,
            "category": category,
            "page": page,
            "last_page": last,
            "pages": page_numbers(page, last),
            "kinds": KIND_LABELS,
            "categories": CATEGORY_LABELS,
            "list_url": _list_url,
        }
        return templates.TemplateResponse(request, "letters.html", context, status_code=422 if errors else 200)

    @router.get("/letters/{letter_id}", response_class=HTMLResponse, include_in_schema=False)
    async def letter_page(request: Request, letter_id: str) -> HTMLResponse:
        letter = await db.run(_one, letter_id) if len(letter_id) <= 64 else None
        return templates.TemplateResponse(
            request, "letter.html", {"letter": letter}, status_code=200 if letter is not None else 404
        )

    return router
