"""The Atom feed of the latest publications (``GET /feeds/documents.atom``, RFC 4287).

Built with ElementTree, so every text is escaped; characters XML cannot carry are dropped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from gongkai.index import IndexedDocument, SearchIndex, SearchQuery
from gongkai.vocabulary import category_label

__all__ = ["ATOM", "FEED_SIZE", "atom_feed", "router"]

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 20
SUMMARY_CHARS = 200
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def atom_feed(docs: list[IndexedDocument], *, base_url: str) -> bytes:
    """The feed document for ``docs`` (newest first); links are absolute under ``base_url``.

    >>> atom_feed([], base_url="https://gk.example.gov.cn/").startswith(b"<?xml")
    True
    """
    base = base_url.rstrip("/")
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "zh-CN"})

    def add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
        child = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        if text is not None:
            child.text = _text(text)
        return child

    add(feed, "id", f"{base}/feeds/documents.atom")
    add(feed, "title", "政府信息公开 · 最新公开信息")
    add(feed, "subtitle", "依据《中华人民共和国政府信息公开条例》主动公开的政府信息")
    add(feed, "link", rel="self", type="application/atom+xml", href=f"{base}/feeds/documents.atom")
    add(feed, "link", rel="alternate", type="text/html", href=f"{base}/")
    updated = max((doc.published_at for doc in docs), default=_EPOCH)
    add(feed, "updated", updated.isoformat())
    add(feed, "generator", "Gongkai")
    for doc in docs:
        entry = add(feed, "entry")
        url = f"{base}/documents/{doc.id}"
        add(entry, "id", url)
        add(entry, "title", doc.title)
        add(entry, "link", rel="alternate", type="text/html", href=url)
        add(entry, "published", doc.published_at.isoformat())
        add(entry, "updated", doc.published_at.isoformat())
        add(add(entry, "author"), "name", doc.department)
        add(entry, "category", term=doc.category, label=_text(category_label(doc.category)))
        summary = " ".join(doc.body.split())
        if len(summary) > SUMMARY_CHARS:
            summary = summary[:SUMMARY_CHARS] + "…"
        prefix = f"{doc.doc_number}　" if doc.doc_number else ""
        add(entry, "summary", prefix + summary, type="text")
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document


def router(index: SearchIndex) -> APIRouter:
    feeds = APIRouter(tags=["portal"], include_in_schema=False)

    @feeds.get("/feeds/documents.atom")
    async def documents_feed(request: Request) -> Response:
        newest = await index.search(SearchQuery(size=FEED_SIZE))
        docs = [doc for doc in [await index.get(hit.id) for hit in newest.hits] if doc is not None]
        body = atom_feed(docs, base_url=str(request.base_url))
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    return feeds
