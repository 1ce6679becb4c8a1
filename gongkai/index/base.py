"""The SearchIndex port: full-text search over published documents (主动公开 search and portal).

The index is a projection: it is fed from the event log, may be rebuilt from it at any time,
and must therefore accept events late, twice, or out of order (see :meth:`SearchIndex.upsert`).
"""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from types import TracebackType
from typing import Final, Self, get_args

from gongkai.events import DocType, Validity

__all__ = [
    "DOC_TYPES",
    "FACETS",
    "MAX_PAGE_SIZE",
    "MAX_RESULT_WINDOW",
    "VALIDITIES",
    "Hit",
    "IndexedDocument",
    "InvalidQuery",
    "SearchIndex",
    "SearchQuery",
    "SearchResult",
]

#: The facets every result counts, by the field they count.
FACETS: Final = ("category", "department", "year", "validity")
#: 文种: 规章, 行政规范性文件, anything else (the values of ``gongkai.events.DocType``).
DOC_TYPES: Final[tuple[DocType, ...]] = get_args(DocType)
#: 效力状态: 现行有效, 已修改, 已废止 (the values of ``gongkai.events.Validity``).
VALIDITIES: Final[tuple[Validity, ...]] = get_args(Validity)
MAX_PAGE_SIZE: Final = 100
#: No adapter has to page deeper than this (Elasticsearch's default ``max_result_window``).
MAX_RESULT_WINDOW: Final = 10_000


class InvalidQuery(ValueError):
    """The search asks for what the index will not serve: a bad page, size, validity or date range.

    ``field`` names the parameter at fault.
    """

    def __init__(self, message: str, *, field: str = "page") -> None:
        super().__init__(message)
        self.field = field


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
    doc_type: DocType = "other"
    validity: Validity = "in_force"
    replaced_by: str | None = None  # the document that amends or repeals this one

    def __post_init__(self) -> None:
        if self.published_at.utcoffset() is None:
            raise ValueError("published_at must be timezone-aware")
        if self.doc_type not in DOC_TYPES:
            raise ValueError(f"doc_type must be one of {DOC_TYPES}")
        if self.validity not in VALIDITIES:
            raise ValueError(f"validity must be one of {VALIDITIES}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SearchQuery:
    """What the public asked for. Any ``q`` is accepted and searched as plain text.

    A blank ``q`` (or one without any searchable character) lists documents newest first.
    ``published_from`` and ``published_to`` are calendar dates in the agency's time zone, both
    included, like ``year``.

    >>> SearchQuery(q="发展改革", year=2026).page
    1
    """

    q: str = ""
    category: str | None = None
    department: str | None = None
    year: int | None = None
    validity: Validity | None = None
    published_from: date | None = None
    published_to: date | None = None
    page: int = 1
    size: int = 10

    def __post_init__(self) -> None:
        if self.validity is not None and self.validity not in VALIDITIES:
            raise InvalidQuery(f"validity must be one of {VALIDITIES}", field="validity")
        if self.published_from and self.published_to and self.published_from > self.published_to:
            raise InvalidQuery("the date range ends before it starts", field="to")
        if self.page < 1:
            raise InvalidQuery("page starts at 1")
        if not 1 <= self.size <= MAX_PAGE_SIZE:
            raise InvalidQuery(f"size must be between 1 and {MAX_PAGE_SIZE}", field="size")
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
    doc_type: DocType = "other"
    validity: Validity = "in_force"


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
    #: False when the query matched more documents than the adapter ranks and counts: then
    #: hits, ``total`` and facets cover the newest matches only, and ``total`` is a lower bound.
    exact: bool = True


class SearchIndex(abc.ABC):
    """Port for the public full-text index.

    Guarantees every adapter gives (and ``tests/contract/test_index.py`` checks):

    * writes are visible to ``search``/``get``/``count`` when the call returns;
    * ``upsert``/``delete`` are idempotent and order-insensitive by ``(id, version)``: the
      highest version wins, a delete leaves a tombstone, and a tombstone wins a tie;
    * ``q`` is text, never query syntax; every term of ``q`` must occur in the title or body;
    * hits are ordered by relevance (title matches above body-only ones), then newest first;
    * ``title`` and ``snippet`` of a hit are safe HTML;
    * ``rebuild`` fills a fresh index while this one keeps answering, then swaps it in at once.

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

    async def upsert_many(self, docs: Iterable[IndexedDocument]) -> int:
        """Index several documents (adapters batch them); how many were newer than held."""
        return sum([await self.upsert(doc) for doc in docs])

    async def set_validity(
        self, doc_id: str, validity: Validity, version: int, *, replaced_by: str | None = None
    ) -> bool:
        """Relabel the live document ``doc_id`` (已修改, 已废止, linked to ``replaced_by``) as of
        ``version``; False if it is unknown, withdrawn, or already at an equal or newer version."""
        current = await self.get(doc_id)
        if current is None or current.version >= version:
            return False
        return await self.upsert(replace(current, validity=validity, version=version, replaced_by=replaced_by))

    @abc.abstractmethod
    async def rebuild(self, fill: Callable[[SearchIndex], Awaitable[None]]) -> None:
        """Build a fresh, empty index beside this one, let ``fill`` write into it, then make it
        the live index in one atomic step, for this process and every other one using the same
        index. Until then searches answer from the old index; writes to it may be lost, so a
        caller replays what happened meanwhile (see ``gongkai.index.rebuild``)."""

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
