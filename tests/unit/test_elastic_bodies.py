"""Golden tests of what the Elasticsearch adapter sends and how it reads answers (no server needed).

After a deliberate change, rewrite the golden files with ``GONGKAI_UPDATE_GOLDEN=1 pytest tests/unit``
and review the diff.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gongkai.index import IndexedDocument, SearchQuery
from gongkai.index.analysis import query_terms
from gongkai.index.elastic import (
    ElasticIndex,
    document_source,
    es_version,
    index_body,
    search_body,
    search_result,
    t2s_rules,
)
from gongkai.text import to_simplified

GOLDEN = Path(__file__).parent.parent / "golden"
CST = ZoneInfo("Asia/Shanghai")


def golden(name: str, actual: Any) -> None:
    path = GOLDEN / name
    rendered = json.dumps(actual, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    if os.environ.get("GONGKAI_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8"), f"{name} differs from the golden file"


def test_the_index_settings_and_strict_mapping() -> None:
    body = index_body()
    rules = body["settings"]["analysis"]["char_filter"]["zh_t2s"]["mappings"]
    body["settings"]["analysis"]["char_filter"]["zh_t2s"]["mappings"] = f"<{len(rules)} rules: t2s_rules()>"

    golden("elastic_index_body.json", body)
    assert body["mappings"]["dynamic"] == "strict"


def test_the_script_mapping_is_opencc_character_by_character() -> None:
    rules = dict(rule.split(" => ") for rule in t2s_rules())

    assert rules["發"] == "发" and rules["臺"] == "台" and rules["義"] == "义"
    assert len(rules) > 2500
    text = "國務院關於進一步優化營商環境的意見"
    assert "".join(rules.get(char, char) for char in text) == to_simplified(text)
    assert all(len(key) == 1 and len(value) == 1 and ord(value) < 0x10000 for key, value in rules.items())


def test_versions_put_a_tombstone_just_above_its_document() -> None:
    assert es_version(7) == 14
    assert es_version(7, deleted=True) == 15
    assert es_version(7) < es_version(7, deleted=True) < es_version(8)


def test_a_document_source() -> None:
    doc = IndexedDocument(
        id="a" * 32,
        title="關於<b>發改委</b>的通知",
        body="正文",
        category="art20.1",
        department="市发展和改革委员会",
        doc_number=None,
        published_at=datetime(2025, 12, 31, 20, 0, tzinfo=ZoneInfo("UTC")),
        version=3,
        doc_type="normative",
        validity="amended",
    )
    golden("elastic_document_source.json", document_source(doc, timezone=CST))


@pytest.mark.parametrize(
    "name, query",
    [
        ("newest", SearchQuery()),
        ("words", SearchQuery(q="發改委 PM2.5 税 临港翠澜")),
        (
            "filtered",
            SearchQuery(
                q="重大建设项目",
                category="art20.10",
                department="市发展和改革委员会",
                year=2026,
                validity="in_force",
                published_from=date(2026, 1, 1),
                published_to=date(2026, 3, 31),
                page=3,
                size=20,
            ),
        ),
        ("hostile", SearchQuery(q='"*重大) OR title:x^2 ~ -项目 NEAR(a b) <script>')),
    ],
)
def test_search_bodies(name: str, query: SearchQuery) -> None:
    golden(f"elastic_search_{name}.json", search_body(query, query_terms(query.q), timezone=CST))


def test_user_text_only_reaches_elasticsearch_inside_queries_without_syntax() -> None:
    body = search_body(
        SearchQuery(q='重大" OR *:* title:(x) \\'), query_terms('重大" OR *:* title:(x) \\'), timezone=CST
    )

    kinds: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            kinds.update(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body["query"])
    walk(body["highlight"]["highlight_query"])
    assert not kinds & {"query_string", "simple_query_string", "regexp", "wildcard", "prefix", "fuzzy", "script"}
    assert "*:*" not in json.dumps(body, ensure_ascii=False)


def test_a_search_response_becomes_the_ports_result() -> None:
    response = json.loads((GOLDEN / "elastic_search_response.json").read_text(encoding="utf-8"))

    result = search_result(response)

    assert result.total == 2
    assert result.facets == {
        "category": {"art20.10": 1, "art20.1": 1},
        "department": {"市发展和改革委员会": 2},
        "year": {"2026": 2},
        "validity": {"in_force": 2},
    }
    first, second = result.hits
    assert first.title == "市<mark>发改委</mark>关于&lt;b&gt;重大项目&lt;/b&gt;的公告"
    assert first.snippet == "…根据规定，<mark>发改委</mark>将名单予以公开。…"
    assert first.published_at == datetime(2026, 2, 3, 15, 0, tzinfo=CST)
    # No highlight: the title escaped, the body's beginning as the snippet.
    assert second.title == "关于&lt;script&gt;的说明"
    assert second.snippet == "第一条 &lt;i&gt;总则&lt;/i&gt;"


def test_the_adapter_needs_starting() -> None:
    index = ElasticIndex("http://127.0.0.1:9", alias="gongkai-test")
    with pytest.raises(RuntimeError, match="not started"):
        _ = index.client
