"""The public portal in one process: search page, facets, pagination, document pages, the Atom feed."""

from __future__ import annotations

import asyncio
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from gongkai.index import IndexedDocument, SqliteIndex
from tests.e2e.conftest import Staff

CST = ZoneInfo("Asia/Shanghai")
Client = tuple[TestClient, Staff]
XSS = "<script>alert('x')</script>"


def document(n: int, title: str, body: str, **fields: object) -> IndexedDocument:
    values: dict[str, object] = {
        "id": f"{n:032x}",
        "title": title,
        "body": body,
        "category": "art20.1",
        "department": "市人民政府办公厅",
        "doc_number": None,
        "published_at": datetime(2026, 1, 1, 9, 0, tzinfo=CST) + timedelta(days=n),
        "version": 1,
    }
    values.update(fields)
    return IndexedDocument(**values)  # type: ignore[arg-type]


PORTAL_DOCS = [
    document(
        1,
        "住房公积金提取管理办法",
        "第一条 为规范住房公积金提取，制定本办法。\n第二条 职工购买自住住房的，可以提取住房公积金。",
        department="市住房公积金管理中心",
        doc_number="市公积金发〔2026〕1号",
        doc_type="regulation",
    ),
    document(
        2,
        "關於發放高齡津貼的通知",
        "年滿八十周歲的本市戶籍老年人，按月發放高齡津貼。",
        category="art20.11",
        department="市民政局",
    ),
    document(
        3,
        f"关于{XSS}整治的通知",
        f"正文中有标记{XSS}和 & 符号，住房公积金。",
        category="art20.13",
        department="市市场监督管理局",
        validity="repealed",
    ),
    *[
        document(
            10 + n, f"第{n}期住房公积金工作简报", "住房公积金缴存情况通报。", category="art20.15", department="市统计局"
        )
        for n in range(14)
    ],
]


def seed(data_dir: Path, docs: Iterable[IndexedDocument] = PORTAL_DOCS) -> None:
    """Write documents into the platform's index file, as the publish consumer would."""

    async def write() -> None:
        async with SqliteIndex(data_dir / "index.db") as index:
            await index.upsert_many(list(docs))

    asyncio.run(write())


@pytest.fixture
def portal(embedded: Client, tmp_path: Path) -> TestClient:
    seed(tmp_path)
    return embedded[0]


def links(html: str, pattern: str) -> list[str]:
    return [href.replace("&amp;", "&") for href in re.findall(rf'href="({pattern}[^"]*)"', html)]


def test_the_search_page_lists_highlighted_results_newest_first(portal: TestClient) -> None:
    page = portal.get("/", params={"q": "公积金提取"})

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in page.text
    assert "<mark>住房公积金提取</mark>管理办法" in page.text or "住房<mark>公积金提取</mark>" in page.text
    assert "共 1 条" in page.text


def test_traditional_and_simplified_find_each_other_on_the_page(portal: TestClient) -> None:
    page = portal.get("/", params={"q": "高龄津贴"})

    assert "共 1 条" in page.text
    assert "<mark>高齡津貼</mark>" in page.text


def test_facets_link_to_narrowed_searches_whose_counts_agree(portal: TestClient) -> None:
    page = portal.get("/", params={"q": "住房公积金"})
    total = int(re.search(r"共 (\d+) 条", page.text)[1])  # type: ignore[index]

    facet_links = re.findall(
        r'<a href="([^"]*)" data-facet="(\w+)">([^<]*)</a>\s*<span class="count"[^>]*>(\d+)</span>', page.text
    )
    assert {name for _, name, _, _ in facet_links} >= {"category", "department", "year", "validity"}
    assert total == 16
    for href, name, _, count in facet_links:
        narrowed = portal.get(href.replace("&amp;", "&"))
        assert narrowed.status_code == 200
        assert f"共 {count} 条" in narrowed.text, (name, href)
        assert "aria-current" in narrowed.text


def test_pages_are_linked_and_bounded(portal: TestClient) -> None:
    first = portal.get("/", params={"q": "住房公积金"})
    pages = links(first.text, r"/\?q=")
    assert any("page=2" in href for href in pages)

    second = portal.get("/", params={"q": "住房公积金", "page": 2})
    assert second.status_code == 200
    assert second.text.count('<li>\n    <h2><a href="/documents/') == 6
    assert '<span aria-current="page">2</span>' in second.text

    assert portal.get("/", params={"page": 0}).status_code == 422
    assert portal.get("/", params={"page": 100_000}).status_code == 422
    assert portal.get("/", params={"page": "x"}).status_code == 422


def test_markup_in_documents_never_reaches_the_page_unescaped(portal: TestClient) -> None:
    results = portal.get("/", params={"q": "整治"})
    doc_page = portal.get(f"/documents/{3:032x}")
    listing = portal.get("/")

    for page in (results, doc_page, listing):
        assert page.status_code == 200
        assert XSS not in page.text
    assert "&lt;script&gt;" in results.text and "&lt;script&gt;" in doc_page.text
    assert "已废止" in doc_page.text


@pytest.mark.parametrize(
    "q",
    ['"', "*", "NEAR(", "title:x", "a AND OR NOT b", ")(", XSS, "\\", "'; DROP TABLE live; --", "\x00\x1f", "长" * 200],
)
def test_hostile_queries_are_searched_as_text_on_the_page(portal: TestClient, q: str) -> None:
    page = portal.get("/", params={"q": q})

    assert page.status_code == 200
    assert XSS not in page.text
    assert portal.get("/api/v1/search", params={"q": q}).status_code == 200


def test_bad_filters_are_reported_not_failed(portal: TestClient) -> None:
    for params in (
        {"from": "2026-13-01"},
        {"year": "MMXXVI"},
        {"validity": "dead"},
        {"from": "2026-03-01", "to": "2026-01-01"},
    ):
        page = portal.get("/", params=params)
        assert page.status_code == 422, params
        assert 'role="alert"' in page.text
    assert portal.get("/", params={"q": "长" * 201}).status_code == 422


def test_date_range_and_validity_filters_narrow_the_list(portal: TestClient) -> None:
    page = portal.get("/", params={"from": "2026-01-02", "to": "2026-01-03"})
    assert "共 2 条" in page.text

    repealed = portal.get("/", params={"validity": "repealed"})
    assert "共 1 条" in repealed.text


def test_the_search_api_takes_validity_and_a_date_range(portal: TestClient) -> None:
    found = portal.get("/api/v1/search", params={"q": "公积金", "validity": "in_force", "from": "2026-01-01"}).json()

    assert found["total"] == 15 and found["total_exact"] is True
    assert set(found["facets"]) == {"category", "department", "year", "validity"}
    assert {hit["validity"] for hit in found["hits"]} == {"in_force"}
    problem = portal.get("/api/v1/search", params={"from": "2026-03-01", "to": "2026-01-01"})
    assert problem.status_code == 422
    assert problem.json()["errors"][0]["field"] == "to"
    assert portal.get("/api/v1/search", params={"validity": "dead"}).status_code == 422


def test_a_document_page_shows_its_particulars(portal: TestClient) -> None:
    page = portal.get(f"/documents/{1:032x}")

    assert page.status_code == 200
    for text in (
        "住房公积金提取管理办法",
        "市住房公积金管理中心",
        "市公积金发〔2026〕1号",
        "规章",
        "现行有效",
        "2026-01-02",
    ):
        assert text in page.text
    assert page.text.count("<p>第") == 2
    assert portal.get(f"/documents/{'f' * 32}").status_code == 404


def test_the_atom_feed_lists_the_latest_publications(portal: TestClient) -> None:
    response = portal.get("/feeds/documents.atom")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = feed.findall("a:entry", ns)
    assert len(entries) == 17
    published = [entry.findtext("a:published", namespaces=ns) for entry in entries]
    assert published == sorted(published, reverse=True)
    titles = [entry.findtext("a:title", namespaces=ns) for entry in entries]
    assert f"关于{XSS}整治的通知" in titles  # text in XML, escaped on the wire
    assert XSS.encode() not in response.content
    link = entries[0].find("a:link", ns)
    assert link is not None and urlparse(link.get("href", "")).path.startswith("/documents/")
    assert feed.find("a:link[@rel='self']", ns) is not None


def test_the_portal_is_usable_without_any_outside_resource(portal: TestClient) -> None:
    page = portal.get("/", params={"q": "公积金"})

    assert not re.search(r'(src|href)="(https?:)?//', page.text)
    assert '<meta name="viewport"' in page.text
    assert 'role="search"' in page.text and '<label for="q"' in page.text
    query = parse_qs(urlparse(links(page.text, r"/\?")[0]).query)
    assert query["q"] == ["公积金"]
