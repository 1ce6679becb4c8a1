"""The SearchIndex port: full-text search over published documents (主动公开 search and portal).

The index is a projection: it is fed from the event log, may be rebuilt from it at any time,
and must therefore accept events late, twice, or out of order (see :meth:`SearchIndex.upsert`).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Final, Self

__all__ = [
    "FACETS",
    "MAX_PAGE_SIZE",
    "MAX_RESULT_WINDOW",
    "Hit",
    "IndexedDocument",
    "InvalidQuery",
    "SearchIndex",
    "SearchQuery",
    "SearchResult",
]

#: The facets every result counts, by the field they count.
FACETS: Final = ("category", "department", "year")
MAX_PAGE_SIZE: Final = 100
#: No adapter has to page deeper than this (Elasticsearch's default ``max_result_window``).
MAX_RESULT_WINDOW: Final = 10_000


class InvalidQuery(ValueError):
    """The search asks for a page the index will not serve (bad ``page`` or ``size``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexedDocument:
    """A published document as the index holds it. ``version`` orders updates of one ``id``."""

    id: str
    title: str
    body: str
    category: str
    department: str
    doc_number: str | None
    published_at: datetime
    version: int

    def __post_init__(self) -> None:
        if self.published_at.utcoffset() is None:
            raise ValueError("published_at must be timezone-aware")


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchQuery:
    """What the public asked for. Any ``q`` is accepted and searched as plain text.

    A blank ``q`` (or one without any searchable character) lists documents newest first.

    >>> SearchQuery(q="发展改革", year=2026).page
    1
    """

    q: str = ""
    category: str | None = None
    department: str | None = None
    year: int | None = None
    page: int = 1
    size: int = 10

    def __post_init__(self) -> None:
        if self.page < 1:
            raise InvalidQuery("page starts at 1")
        if not 1 <= self.size <= MAX_PAGE_SIZE:
            raise InvalidQuery(f"size must be between 1 and {MAX_PAGE_SIZE}")
        if self.page * self.size > MAX_RESULT_WINDOW:
            raise InvalidQuery(f"results beyond the first {MAX_RESULT_WINDOW} are not served; narrow the search")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@dataclass(frozen=True, slots=True, kw_only=True)
class Hit:
    """One result. ``title`` and ``snippet`` are HTML: matches in ``<mark>``, the rest escaped."""

    id: str
    title: str
    snippet: str
    category: str
    department: str
    doc_number: str | None
    published_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchResult:
    """A page of hits, the number of all matches, and facet counts.

    ``facets[name][value]`` counts, for each name in :data:`FACETS`, the matches of ``q``
    under every filter *except* that facet's own, so a visitor sees what choosing another
    value would give. Years are keys like ``"2026"`` (the year in Asia/Shanghai).
    """

    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


class SearchIndex(abc.ABC):
    """Port for the public full-text index.

    Guarantees every adapter gives (and ``tests/contract/test_index.py`` checks):

    * writes are visible to ``search``/``get``/``count`` when the call returns;
    * ``upsert``/``delete`` are idempotent and order-insensitive by ``(id, version)``: the
      highest version wins, a delete leaves a tombstone, and a tombstone wins a tie;
    * ``q`` is text, never query syntax; every term of ``q`` must occur in the title or body;
    * hits are ordered by relevance (title matches above body-only ones), then newest first;
    * ``title`` and ``snippet`` of a hit are safe HTML.

    >>> async def show(index: SearchIndex) -> None:
    ...     async with index:
    ...         result = await index.search(SearchQuery(q="重大建设项目", year=2026))
    ...         print(result.total, [hit.title for hit in result.hits])
    """

    @abc.abstractmethod
    async def start(self) -> None:
        """Open (and create if needed) the index. Idempotent."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections and threads. Idempotent."""

    @abc.abstractmethod
    async def upsert(self, doc: IndexedDocument) -> bool:
        """Index ``doc``; False (and nothing changed) if ``doc.id`` is already at an equal or
        newer version, live or deleted."""

    @abc.abstractmethod
    async def delete(self, doc_id: str, version: int) -> bool:
        """Withdraw ``doc_id`` as of ``version``, leaving a tombstone so that a late, older
        ``upsert`` cannot bring it back. False if the index already holds a newer version or
        this tombstone. The withdrawn text is not kept."""

    @abc.abstractmethod
    async def get(self, doc_id: str) -> IndexedDocument | None:
        """The live document ``doc_id``, or None if unknown or deleted."""

    @abc.abstractmethod
    async def search(self, query: SearchQuery) -> SearchResult:
        """One page of the live documents matching ``query``, with total and facets."""

    @abc.abstractmethod
    async def count(self) -> int:
        """How many live documents the index holds."""

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()
