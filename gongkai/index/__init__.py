"""The SearchIndex port and its adapters: ``embedded`` (SQLite FTS5); Elasticsearch to come.

>>> from pathlib import Path
>>> from gongkai.settings import Settings
>>> index = open_index(Settings(index="embedded", data_dir=Path("/tmp/gk-doc")))
>>> type(index).__name__
'SqliteIndex'
"""

from __future__ import annotations

from gongkai.index.base import (
    FACETS,
    MAX_PAGE_SIZE,
    MAX_RESULT_WINDOW,
    Hit,
    IndexedDocument,
    InvalidQuery,
    SearchIndex,
    SearchQuery,
    SearchResult,
)
from gongkai.index.sqlite import SqliteIndex
from gongkai.settings import Settings

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
    "SqliteIndex",
    "open_index",
]


def open_index(settings: Settings) -> SearchIndex:
    """The adapter the settings name: ``embedded`` by default, an Elasticsearch URL for scale."""
    if settings.index == "embedded":
        return SqliteIndex(settings.path("index.db"), timezone=settings.timezone)
    raise NotImplementedError("Elasticsearch adapter: see issue 4")
