"""Elasticsearch SearchIndex (``GONGKAI_INDEX=http://…``): a versioned index behind an alias.

* The alias (``gongkai-documents``) always names exactly one index; ``rebuild`` fills a new one
  and moves the alias in one ``_aliases`` call, then drops the old index.
* The mapping is explicit and strict. ``title`` and ``body`` are analysed three ways, each after
  traditional → simplified folding (a ``mapping`` char filter generated from OpenCC's ``t2s``,
  one character for one, so highlight offsets stay right) and width and case folding:
  ``smartcn`` words (the main field: scoring), ``.grams`` (CJK bigrams: what a query must
  match, so new words and abbreviations are found) and ``.chars`` (single characters: one-
  character queries, and highlighting).
* ``_id`` is the document id and the version is external: ``2·version`` for a document,
  ``2·version + 1`` for its tombstone (a document marked ``deleted``), so replays and late
  events are refused by Elasticsearch itself and a withdrawal wins a tie.
* The user's text reaches Elasticsearch only after :func:`gongkai.index.analysis.query_terms`,
  inside ``match_phrase``/``match`` queries, which have no syntax. Highlights use the HTML
  encoder, so everything but ``<mark>`` is escaped.

The request bodies are pure functions of their inputs (:func:`index_body`, :func:`search_body`,
:func:`document_source`), checked against golden files in ``tests/golden/``.
"""

from __future__ import annotations

import html
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo

from gongkai.events import Validity
from gongkai.index.analysis import SNIPPET_CHARS, Term, query_terms
from gongkai.index.base import FACETS, Hit, IndexedDocument, SearchIndex, SearchQuery, SearchResult
from gongkai.text import to_simplified

__all__ = [
    "ElasticIndex",
    "document_source",
    "es_version",
    "index_body",
    "search_body",
    "search_result",
    "t2s_rules",
]

#: Weight of the title against the body, as in the embedded adapter.
TITLE_BOOST: Final = 5
_FACET_SIZE = 500
_ELLIPSIS = "…"
_SPACE = re.compile(r"\s+")
_HIT_SOURCE = ("id", "title", "body", "category", "department", "doc_number", "doc_type", "validity", "published_at")


# --- request bodies (pure) ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def t2s_rules() -> tuple[str, ...]:
    """Traditional → simplified, one character for one, as OpenCC's ``t2s`` converts each alone.

    Only characters of the Basic Multilingual Plane on both sides: Java counts offsets in UTF-16
    units, and highlights must land on the original characters.
    """
    rules = []
    for lo, hi in ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF)):
        for code in range(lo, hi + 1):
            char = chr(code)
            simplified = to_simplified(char)
            if simplified != char and len(simplified) == 1 and ord(simplified) < 0x10000:
                rules.append(f"{char} => {simplified}")
    return tuple(rules)


def index_body() -> dict[str, Any]:
    """Settings and the strict mapping of a new index (plugin: ``analysis-smartcn``)."""
    text_field = {
        "type": "text",
        "analyzer": "zh_words",
        "fields": {
            "grams": {"type": "text", "analyzer": "zh_grams"},
            "chars": {"type": "text", "analyzer": "zh_chars"},
        },
    }
    folding = {"char_filter": ["zh_t2s"], "filter": ["cjk_width", "lowercase"]}
    return {
        "settings": {
            "number_of_shards": 1,
            "auto_expand_replicas": "0-1",
            "refresh_interval": "1s",
            "max_result_window": 10_000,
            "analysis": {
                "char_filter": {"zh_t2s": {"type": "mapping", "mappings": list(t2s_rules())}},
                "filter": {"zh_bigrams": {"type": "cjk_bigram", "output_unigrams": False}},
                "analyzer": {
                    "zh_words": {"type": "custom", "tokenizer": "smartcn_tokenizer", **folding},
                    "zh_grams": {
                        "type": "custom",
                        "tokenizer": "standard",
                        "char_filter": ["zh_t2s"],
                        "filter": ["cjk_width", "lowercase", "zh_bigrams"],
                    },
                    "zh_chars": {"type": "custom", "tokenizer": "standard", **folding},
                },
            },
        },
        "mappings": {
            "dynamic": "strict",
            "properties": {
                "id": {"type": "keyword"},
                "deleted": {"type": "boolean"},
                "version": {"type": "long"},
                "title": text_field,
                "body": text_field,
                "category": {"type": "keyword"},
                "department": {"type": "keyword"},
                "doc_number": {"type": "keyword"},
                "doc_type": {"type": "keyword"},
                "validity": {"type": "keyword"},
                "replaced_by": {"type": "keyword", "index": False},
                "published_at": {"type": "date"},
                "year": {"type": "integer"},
            },
        },
    }


def es_version(version: int, *, deleted: bool = False) -> int:
    """The external version: a tombstone is just above the document of the same version."""
    return 2 * version + (1 if deleted else 0)


def document_source(doc: IndexedDocument, *, timezone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": doc.id,
        "deleted": False,
        "version": doc.version,
        "title": doc.title,
        "body": doc.body,
        "category": doc.category,
        "department": doc.department,
        "doc_number": doc.doc_number,
        "doc_type": doc.doc_type,
        "validity": doc.validity,
        "replaced_by": doc.replaced_by,
        "published_at": doc.published_at.isoformat(),
        "year": doc.published_at.astimezone(timezone).year,
    }


def tombstone_source(doc_id: str, version: int) -> dict[str, Any]:
    """What is left of a withdrawn document: that it was withdrawn, and as of which version."""
    return {"id": doc_id, "deleted": True, "version": version}


def _spelling_clauses(term: Term, field: str) -> dict[str, Any]:
    """One spelling of a term, in the title or the body subfield ``field`` (``grams``, ``chars``)."""
    fields = [f"title.{field}^{TITLE_BOOST}", f"body.{field}"]
    return {"multi_match": {"query": term.text, "type": "phrase", "fields": fields}}


def _term_clause(term: Term) -> dict[str, Any]:
    """Every spelling of one term: a one-character term by characters, the rest by bigrams."""
    options = [_spelling_clauses(s, "chars" if s.route == "prefix" else "grams") for s in term.spellings]
    return options[0] if len(options) == 1 else {"bool": {"should": options, "minimum_should_match": 1}}


def _highlight_clause(terms: list[Term]) -> dict[str, Any]:
    """Every spelling of every term as a phrase of characters: marks exactly what matched."""
    return {
        "bool": {
            "should": [
                {"match_phrase": {f"{field}.chars": spelling.text}}
                for term in terms
                for spelling in term.spellings
                for field in ("title", "body")
            ]
        }
    }


def _filters(query: SearchQuery, *, leave_out: str | None = None) -> list[dict[str, Any]]:
    clauses: list[dict[str, Any]] = []
    for name in FACETS:
        value = getattr(query, name)
        if value is not None and name != leave_out:
            clauses.append({"term": {name: value}})
    return clauses


def _date_range(query: SearchQuery, timezone: ZoneInfo) -> list[dict[str, Any]]:
    bounds: dict[str, str] = {}
    if query.published_from is not None:
        bounds["gte"] = _day_start(query.published_from, timezone)
    if query.published_to is not None:
        bounds["lt"] = _day_start(query.published_to + timedelta(days=1), timezone)
    return [{"range": {"published_at": bounds}}] if bounds else []


def _day_start(day: date, timezone: ZoneInfo) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=timezone).isoformat()


def search_body(query: SearchQuery, terms: list[Term], *, timezone: ZoneInfo) -> dict[str, Any]:
    """The ``_search`` body: every term must match; facets count under every filter but their own."""
    text = " ".join(spelling.text for term in terms for spelling in term.spellings)
    scoring: dict[str, Any] = {
        "bool": {
            "must": [_term_clause(term) for term in terms] or [{"match_all": {}}],
            "filter": [{"term": {"deleted": False}}, *_date_range(query, timezone)],
        }
    }
    if terms:
        # Whole words (smartcn) add to the score; the bigrams above decide what matches.
        scoring["bool"]["should"] = [
            {"multi_match": {"query": text, "fields": [f"title^{TITLE_BOOST}", "body"], "operator": "or"}}
        ]
    facet_filters = _filters(query)
    body: dict[str, Any] = {
        "query": scoring,
        "post_filter": {"bool": {"filter": facet_filters}},
        "aggs": {
            name: {
                "filter": {"bool": {"filter": _filters(query, leave_out=name)}},
                "aggs": {"values": {"terms": {"field": name, "size": _FACET_SIZE}}},
            }
            for name in FACETS
        },
        "sort": ([{"_score": "desc"}] if terms else []) + [{"published_at": "desc"}, {"id": "asc"}],
        "from": query.offset,
        "size": query.size,
        "track_total_hits": True,
        "_source": list(_HIT_SOURCE),
    }
    if terms:
        body["highlight"] = {
            "type": "unified",
            "encoder": "html",
            "pre_tags": ["<mark>"],
            "post_tags": ["</mark>"],
            "highlight_query": _highlight_clause(terms),
            "fields": {
                "title.chars": {"number_of_fragments": 0},
                "body.chars": {"fragment_size": SNIPPET_CHARS, "number_of_fragments": 1},
            },
        }
    return body


# --- responses (pure) -----------------------------------------------------------------------------


def search_result(response: dict[str, Any]) -> SearchResult:
    """A ``_search`` response as the port's result."""
    hits = [_hit(hit) for hit in response["hits"]["hits"]]
    facets = {
        name: {
            str(bucket["key"]): int(bucket["doc_count"])
            for bucket in response["aggregations"][name]["values"]["buckets"]
        }
        for name in FACETS
    }
    return SearchResult(total=int(response["hits"]["total"]["value"]), hits=hits, facets=facets)


def _hit(hit: dict[str, Any]) -> Hit:
    source = hit["_source"]
    marked = hit.get("highlight", {})
    title = _merged(marked["title.chars"][0]) if "title.chars" in marked else html.escape(source["title"])
    return Hit(
        id=source["id"],
        title=title,
        snippet=_snippet(source["body"], marked.get("body.chars", [None])[0]),
        category=source["category"],
        department=source["department"],
        doc_number=source.get("doc_number"),
        published_at=datetime.fromisoformat(source["published_at"]),
        doc_type=source.get("doc_type", "other"),
        validity=source.get("validity", "in_force"),
    )


def _merged(fragment: str) -> str:
    """Adjacent marks (one per character or bigram) become one."""
    return fragment.replace("</mark><mark>", "")


def _snippet(body: str, fragment: str | None) -> str:
    """The highlighted fragment, whitespace folded, with ``…`` where the body was cut."""
    text = " ".join(body.split())
    if fragment is None:
        cut = text[:SNIPPET_CHARS]
        return html.escape(cut) + (_ELLIPSIS if len(cut) < len(text) else "")
    fragment = _SPACE.sub(" ", _merged(fragment)).strip()
    shown = html.unescape(fragment.replace("<mark>", "").replace("</mark>", ""))
    at = text.find(shown)
    lead = _ELLIPSIS if at > 0 else ""
    tail = _ELLIPSIS if at < 0 or at + len(shown) < len(text) else ""
    return lead + fragment + tail


# --- the adapter -------------------------------------------------------------------------------------


class ElasticIndex(SearchIndex):
    """Search on Elasticsearch through ``AsyncElasticsearch``.

    >>> index = ElasticIndex("http://localhost:9200", alias="gongkai-documents")
    >>> index.alias
    'gongkai-documents'
    """

    def __init__(
        self,
        url: str,
        *,
        alias: str = "gongkai-documents",
        timezone: str = "Asia/Shanghai",
        client: Any = None,
        refresh: bool | str = "wait_for",
        target: str | None = None,
    ) -> None:
        self.url = url
        self.alias = alias
        self.timezone = ZoneInfo(timezone)
        #: Writes are visible to search when they return (the port's promise); a rebuild's
        #: bulk writes refresh once at the end instead.
        self.refresh = refresh
        self._client = client
        self._owns_client = client is None
        self._target = target or alias

    @property
    def client(self) -> Any:
        if self._client is None:
            raise RuntimeError("index not started")
        return self._client

    async def start(self) -> None:
        if self._client is None:
            from elasticsearch import AsyncElasticsearch

            self._client = AsyncElasticsearch(self.url, request_timeout=30)
            self._owns_client = True
        if self._target == self.alias and not await self.client.indices.exists_alias(name=self.alias):
            # A fixed name: processes starting together create it once (rebuilds use new names).
            await self._create(f"{self.alias}-initial", alias=True)

    async def close(self) -> None:
        if self._client is not None and self._owns_client:
            await self._client.close()
        self._client = None

    async def _create(self, name: str, *, alias: bool) -> None:
        from elasticsearch import BadRequestError

        body = index_body()
        try:
            await self.client.indices.create(
                index=name,
                settings=body["settings"],
                mappings=body["mappings"],
                aliases={self.alias: {}} if alias else None,
            )
        except BadRequestError as exc:  # another process created it first
            if "resource_already_exists_exception" not in str(exc):
                raise

    async def drop(self) -> None:
        """Delete every index behind the alias (tests)."""
        from elasticsearch import NotFoundError

        try:
            names = list((await self.client.indices.get_alias(name=self.alias)).body)
        except NotFoundError:
            return
        await self.client.indices.delete(index=",".join(names))

    # --- writing -------------------------------------------------------------------------------

    async def _put(self, doc_id: str, source: dict[str, Any], version: int) -> bool:
        from elasticsearch import ConflictError

        try:
            await self.client.index(
                index=self._target,
                id=doc_id,
                document=source,
                version=version,
                version_type="external",
                refresh=self.refresh,
            )
        except ConflictError:
            return False  # Elasticsearch holds an equal or newer version: a replay or a late event
        return True

    async def upsert(self, doc: IndexedDocument) -> bool:
        return await self._put(doc.id, document_source(doc, timezone=self.timezone), es_version(doc.version))

    async def delete(self, doc_id: str, version: int) -> bool:
        return await self._put(doc_id, tombstone_source(doc_id, version), es_version(version, deleted=True))

    async def set_validity(
        self, doc_id: str, validity: Validity, version: int, *, replaced_by: str | None = None
    ) -> bool:
        current = await self.get(doc_id)
        if current is None or current.version >= version:
            return False
        changes = {"validity": validity, "version": version, "replaced_by": replaced_by}
        source = {**document_source(current, timezone=self.timezone), **changes}
        return await self._put(doc_id, source, es_version(version))

    async def upsert_many(self, docs: Iterable[IndexedDocument]) -> int:
        from elasticsearch.helpers import async_bulk

        actions = [
            {
                "_op_type": "index",
                "_index": self._target,
                "_id": doc.id,
                "version": es_version(doc.version),
                "version_type": "external",
                "_source": document_source(doc, timezone=self.timezone),
            }
            for doc in docs
        ]
        if not actions:
            return 0
        written, _conflicts = await async_bulk(
            self.client, actions, raise_on_error=False, stats_only=True, refresh=self.refresh, ignore_status=(409,)
        )
        return int(written)

    # --- rebuilding ----------------------------------------------------------------------------

    async def rebuild(self, fill: Callable[[SearchIndex], Awaitable[None]]) -> None:
        from elasticsearch import NotFoundError

        fresh_name = f"{self.alias}-{_stamp()}"
        await self._create(fresh_name, alias=False)
        fresh = ElasticIndex(self.url, alias=self.alias, client=self.client, refresh=False, target=fresh_name)
        try:
            await fill(fresh)
            await self.client.indices.refresh(index=fresh_name)
            try:
                old = list((await self.client.indices.get_alias(name=self.alias)).body)
            except NotFoundError:
                old = []
            # One request: searches see the old index or the new one, never neither.
            actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": self.alias}} for name in old]
            actions.append({"add": {"index": fresh_name, "alias": self.alias}})
            await self.client.indices.update_aliases(actions=actions)
        except BaseException:
            await self.client.indices.delete(index=fresh_name, ignore_unavailable=True)
            raise
        if old:
            await self.client.indices.delete(index=",".join(old), ignore_unavailable=True)

    # --- reading -------------------------------------------------------------------------------

    async def get(self, doc_id: str) -> IndexedDocument | None:
        from elasticsearch import NotFoundError

        try:
            found = await self.client.get(index=self._target, id=doc_id)
        except NotFoundError:
            return None
        source = found["_source"]
        if source.get("deleted"):
            return None
        return IndexedDocument(
            id=source["id"],
            title=source["title"],
            body=source["body"],
            category=source["category"],
            department=source["department"],
            doc_number=source.get("doc_number"),
            published_at=datetime.fromisoformat(source["published_at"]),
            version=int(source["version"]),
            doc_type=source.get("doc_type", "other"),
            validity=source.get("validity", "in_force"),
            replaced_by=source.get("replaced_by"),
        )

    async def count(self) -> int:
        found = await self.client.count(index=self._target, query={"term": {"deleted": False}})
        return int(found["count"])

    async def search(self, query: SearchQuery) -> SearchResult:
        body = search_body(query, query_terms(query.q), timezone=self.timezone)
        response = await self.client.search(index=self._target, body=body)
        return search_result(response.body)


def _stamp() -> str:
    return f"{time.strftime('%Y%m%d%H%M%S', time.gmtime())}-{secrets.token_hex(3)}"
