"""The SearchIndex port and its adapters: ``embedded`` (SQLite FTS5) and Elasticsearch.

>>> from pathlib import Path
>>> from gongkai.settings import Settings
>>> index = open_index(Settings(index="embedded", data_dir=Path("/tmp/gk-doc")))
>>> type(index).__name__
'SqliteIndex'
"""

from __future__ import annotations

from gongkai.index.base import (
    DOC_TYPES,
    FACETS,
    MAX_PAGE_SIZE,
    MAX_RESULT_WINDOW,
    VALIDITIES,
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
    "SqliteIndex",
    "open_index",
]


def open_index(settings: Settings, *, name: str = "gongkai-documents") -> SearchIndex:
    """The adapter the settings name: ``embedded`` by default, an Elasticsearch URL for scale.

    ``name`` is the Elasticsearch alias (tests use their own); the embedded index is always
    ``index.db`` in the data directory.
    """
    if settings.index == "embedded":
        return SqliteIndex(settings.path("index.db"), timezone=settings.timezone)
    from gongkai.index.elastic import ElasticIndex

    return ElasticIndex(settings.index, alias=name, timezone=settings.timezone)
