"""The SearchIndex contract: every adapter (embedded SQLite FTS5, Elasticsearch) passes the same tests."""

from __future__ import annotations

import asyncio
import html
import itertools
import os
import random
import re
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gongkai.index import (
    IndexedDocument,
    InvalidQuery,
    SearchIndex,
    SearchQuery,
    SearchResult,
    open_index,
)
from gongkai.settings import Settings

CST = ZoneInfo("Asia/Shanghai")
_SESSION = uuid.uuid4().hex[:8]
_NAMES = itertools.count()

Opener = Callable[[], SearchIndex]


@pytest.fixture(params=["sqlite", "elastic"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    """Opens the adapter under test; every call opens the same index (as a restart would)."""
    if request.param == "elastic":
        url = os.environ.get("ELASTICSEARCH_URL")
        if not url:
            pytest.skip("ELASTICSEARCH_URL is not set")
        settings = Settings(index=url, data_dir=tmp_path)
        name = f"gongkai-test-{_SESSION}-{next(_NAMES)}"
        return lambda: open_index(settings, name=name)
    settings = Settings(index="embedded", data_dir=tmp_path)
    return lambda: open_index(settings)


@pytest.fixture
async def index(opener: Opener) -> AsyncIterator[SearchIndex]:
    opened = opener()
    await opened.start()
    yield opened
    drop = getattr(opened, "drop", None)  # Elasticsearch: remove the test's indices
    if drop is not None:
        await drop()
    await opened.close()


def doc(
    id: str,
    title: str,
    body: str = "",
    *,
    category: str = "art20.1",
    department: str = "市人民政府办公厅",
    doc_number: str | None = None,
    published: datetime = datetime(2026, 1, 15, 9, 30, tzinfo=CST),
    version: int = 1,
    doc_type: str = "other",
    validity: str = "in_force",
) -> IndexedDocument:
    return IndexedDocument(
        id=id,
        title=title,
        body=body,
        category=category,
        department=department,
        doc_number=doc_number,
        published_at=published,
        version=version,
        doc_type=doc_type,
        validity=validity,
    )


PLAN = doc(
    "plan-2026",
    "关于印发《2026年国民经济和社会发展计划》的通知",
    "各区人民政府，市政府各部门、各直属机构：现将《2026年国民经济和社会发展计划》印发给你们，"
    "请认真贯彻执行。全年地区生产总值增长5.5%左右，细颗粒物（PM2.5）年均浓度控制在30微克/立方米以内。",
    category="art20.3",
    department="市人民政府办公厅",
    doc_number="市政办发〔2026〕1号",
    published=datetime(2026, 1, 20, 10, 0, tzinfo=CST),
)
PROJECTS = doc(
    "projects-2026",
    "市发展和改革委员会关于2026年重大建设项目计划的公告",
    "根据《政府信息公开条例》第二十条，市发改委（市发展和改革委员会）现将2026年重大建设项目名单及实施情况"
    "予以公开。重大建设项目共计120个，总投资865亿元，涉及交通、水利、能源和民生等领域。",
    category="art20.10",
    department="市发展和改革委员会",
    doc_number="市发改投资〔2026〕12号",
    published=datetime(2026, 2, 3, 15, 0, tzinfo=CST),
)
AIR = doc(
    "air-2025",
    "关于做好2025年度大气污染防治工作的通知",
    "各区生态环境分局：为持续改善空气质量，确保PM2.5 and O3协同控制目标按期完成，现就有关事项通知如下。",
    category="art20.1",
    department="市生态环境局",
    doc_number="市环发〔2025〕8号",
    published=datetime(2025, 3, 1, 9, 0, tzinfo=CST),
)
BUDGET = doc(
    "budget-2025",
    "关于2025年市级预算执行情况的报告",
    "2025年，全市一般公共预算收入完成年度预算的101.2%，税收收入占比78.5%。深化发展改革，严格财政支出管理。",
    category="art20.7",
    department="市财政局",
    published=datetime(2025, 12, 28, 16, 0, tzinfo=CST),
)
CORPUS = [PLAN, PROJECTS, AIR, BUDGET]


@pytest.fixture
async def corpus(index: SearchIndex) -> SearchIndex:
    for document in CORPUS:
        assert await index.upsert(document)
    return index


async def ids(
    index: SearchIndex,
    q: str = "",
    *,
    category: str | None = None,
    department: str | None = None,
    year: int | None = None,
    validity: str | None = None,
    published_from: date | None = None,
    published_to: date | None = None,
) -> list[str]:
    query = SearchQuery(
        q=q,
        category=category,
        department=department,
        year=year,
        validity=validity,
        published_from=published_from,
        published_to=published_to,
    )
    return [hit.id for hit in (await index.search(query)).hits]


def visible_text(fragment: str) -> str:
    """What a browser shows for a snippet: marks removed, entities decoded."""
    return html.unescape(fragment.replace("<mark>", "").replace("</mark>", ""))


# --- storing and reading back --------------------------------------------------------------------


async def test_an_upserted_document_reads_back_unchanged(index: SearchIndex) -> None:
    assert await index.upsert(PLAN)

    assert await index.get(PLAN.id) == PLAN
    assert await index.get("never-published") is None


async def test_count_counts_live_documents_only(corpus: SearchIndex) -> None:
    assert await corpus.count() == 4
    await corpus.delete(AIR.id, 2)
    assert await corpus.count() == 3


async def test_the_index_keeps_its_documents_across_a_restart(opener: Opener, corpus: SearchIndex) -> None:
    await corpus.close()
    async with opener() as reopened:
        assert await reopened.count() == 4
        assert await ids(reopened, "重大建设项目") == [PROJECTS.id]


async def test_a_hit_carries_the_documents_fields(corpus: SearchIndex) -> None:
    [hit] = (await corpus.search(SearchQuery(q="重大建设项目"))).hits

    assert (hit.id, hit.category, hit.department, hit.doc_number) == (
        PROJECTS.id,
        "art20.10",
        "市发展和改革委员会",
        "市发改投资〔2026〕12号",
    )
    assert hit.published_at == PROJECTS.published_at


# --- versions and deletes ------------------------------------------------------------------------


async def test_an_older_version_never_overwrites_a_newer_one(index: SearchIndex) -> None:
    newer = doc("notice-7", "关于调整2026年度重大建设项目计划的通知", version=3)
    older = doc("notice-7", "关于下达2026年度重大建设项目计划的通知", version=2)

    assert await index.upsert(newer)
    assert not await index.upsert(older)

    assert await index.get("notice-7") == newer
    assert await ids(index, "下达") == []


async def test_the_same_version_twice_changes_nothing(index: SearchIndex) -> None:
    assert await index.upsert(PLAN)
    assert not await index.upsert(doc(PLAN.id, "另一个标题", version=PLAN.version))

    assert await index.get(PLAN.id) == PLAN


async def test_a_newer_version_replaces_the_old_text(index: SearchIndex) -> None:
    await index.upsert(doc("notice-8", "关于征求意见的公告", "征求意见稿", version=1))
    assert await index.upsert(doc("notice-8", "关于正式实施的公告", "正式施行", version=2))

    assert await ids(index, "征求意见") == []
    assert await ids(index, "正式实施") == ["notice-8"]
    assert await index.count() == 1


async def test_concurrent_upserts_of_one_document_keep_the_newest(index: SearchIndex) -> None:
    versions = list(range(1, 21))
    random.Random(7).shuffle(versions)

    await asyncio.gather(*(index.upsert(doc("notice-9", f"第{v}版通知", version=v)) for v in versions))

    stored = await index.get("notice-9")
    assert stored is not None and stored.version == 20
    assert await index.count() == 1


async def test_a_deleted_document_leaves_search_get_and_count(corpus: SearchIndex) -> None:
    assert await corpus.delete(PROJECTS.id, 2)

    assert await corpus.get(PROJECTS.id) is None
    assert await ids(corpus, "重大建设项目") == []
    assert PROJECTS.id not in await ids(corpus)
    assert await corpus.count() == 3


async def test_a_deleted_document_is_not_resurrected_by_a_late_upsert(index: SearchIndex) -> None:
    await index.upsert(doc("notice-10", "关于撤回的通知", version=1))
    assert await index.delete("notice-10", 2)

    assert not await index.upsert(doc("notice-10", "关于撤回的通知", version=1))
    assert not await index.upsert(doc("notice-10", "关于撤回的通知", version=2))

    assert await index.get("notice-10") is None
    assert await ids(index, "撤回") == []


async def test_a_delete_arriving_before_the_document_still_wins(index: SearchIndex) -> None:
    assert await index.delete("notice-11", 2)

    assert not await index.upsert(doc("notice-11", "迟到的发布事件", version=1))
    assert await index.get("notice-11") is None
    assert await index.count() == 0


async def test_a_delete_of_the_current_version_wins_the_tie(index: SearchIndex) -> None:
    await index.upsert(doc("notice-12", "关于试行的通知", version=4))

    assert await index.delete("notice-12", 4)
    assert await index.get("notice-12") is None


async def test_a_stale_or_repeated_delete_is_ignored(index: SearchIndex) -> None:
    live = doc("notice-13", "关于重新发布的通知", version=5)
    await index.upsert(doc("notice-13", "关于发布的通知", version=1))
    assert await index.delete("notice-13", 2)
    assert not await index.delete("notice-13", 2)

    assert await index.upsert(live)
    assert not await index.delete("notice-13", 3)
    assert await index.get("notice-13") == live


# --- matching ------------------------------------------------------------------------------------


async def test_a_two_character_word_finds_the_document(corpus: SearchIndex) -> None:
    assert await ids(corpus, "预算") == [BUDGET.id]
    assert await ids(corpus, "水利") == [PROJECTS.id]


async def test_a_single_character_finds_the_documents_containing_it(corpus: SearchIndex) -> None:
    assert await ids(corpus, "税") == [BUDGET.id]


async def test_a_long_phrase_finds_the_document(corpus: SearchIndex) -> None:
    assert await ids(corpus, "市发展和改革委员会") == [PROJECTS.id]
    assert await ids(corpus, "关于做好2025年度大气污染防治工作的通知") == [AIR.id]


async def test_every_word_of_the_query_must_occur(corpus: SearchIndex) -> None:
    assert set(await ids(corpus, "2026年 计划")) == {PLAN.id, PROJECTS.id}
    assert await ids(corpus, "2026年 计划 水利") == [PROJECTS.id]
    assert await ids(corpus, "重大建设项目 预算") == []


async def test_characters_must_be_adjacent_as_in_the_query(corpus: SearchIndex) -> None:
    # "改革发展" needs 革发, which "发展和改革" does not contain.
    assert await ids(corpus, "改革发展") == []


async def test_mixed_latin_digits_and_chinese_are_found(corpus: SearchIndex) -> None:
    assert set(await ids(corpus, "2026年")) == {PLAN.id, PROJECTS.id}
    assert set(await ids(corpus, "PM2.5")) == {PLAN.id, AIR.id}
    assert await ids(corpus, "发改委") == [PROJECTS.id]
    assert await ids(corpus, "101.2%") == [BUDGET.id]


async def test_case_and_full_width_forms_are_folded(corpus: SearchIndex) -> None:
    assert set(await ids(corpus, "pm2.5")) == {PLAN.id, AIR.id}
    assert set(await ids(corpus, "ＰＭ２．５")) == {PLAN.id, AIR.id}
    assert await ids(corpus, "２０２５年度大气") == [AIR.id]


async def test_a_latin_word_matches_whole_words_only(corpus: SearchIndex) -> None:
    assert await ids(corpus, "PM") == []
    assert await ids(corpus, "O3") == [AIR.id]


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '""',
        "*",
        "重大*",
        "^重大",
        "NEAR(",
        "NEAR(重大 项目, 2)",
        "AND",
        "OR NOT",
        "title:",
        "title_terms:重大",
        "{title_terms body_terms}: 重大",
        "-",
        "-重大",
        "+重大",
        ")(",
        '"重大建设项目',
        "重大\"建设'项目",
        "'; DROP TABLE documents; --",
        "%_\\",
        "\x00",
        "重大" * 1000,
        "".join(random.Random(4).choice('"*^:()-+ANDORNEAR重大建设项目 ') for _ in range(2000)),
    ],
)
async def test_query_syntax_characters_are_searched_as_text(corpus: SearchIndex, q: str) -> None:
    result = await corpus.search(SearchQuery(q=q))

    assert 0 <= result.total <= len(CORPUS)
    assert await corpus.count() == len(CORPUS)


async def test_syntax_characters_neither_exclude_nor_widen(corpus: SearchIndex) -> None:
    assert await ids(corpus, "-重大建设项目") == [PROJECTS.id]
    assert await ids(corpus, '"重大建设项目') == [PROJECTS.id]
    assert await ids(corpus, "重大建设项目*") == [PROJECTS.id]
    assert await ids(corpus, "重大建设项目 OR 预算") == []
    assert await ids(corpus, "NOT 预算") == []
    assert await ids(corpus, "title:预算") == []


async def test_operator_words_are_ordinary_words(corpus: SearchIndex) -> None:
    assert await ids(corpus, "and") == [AIR.id]
    assert await ids(corpus, "AND O3") == [AIR.id]
    assert await ids(corpus, "NEAR") == []


async def test_a_query_without_searchable_characters_lists_everything(corpus: SearchIndex) -> None:
    for q in ["", "   ", "？！", ")(", '"']:
        assert (await corpus.search(SearchQuery(q=q))).total == len(CORPUS)


# --- ordering ------------------------------------------------------------------------------------


async def test_an_empty_query_lists_newest_first(corpus: SearchIndex) -> None:
    assert await ids(corpus) == [PROJECTS.id, PLAN.id, BUDGET.id, AIR.id]


async def test_a_title_match_ranks_above_a_body_only_match(index: SearchIndex) -> None:
    in_body = doc(
        "body-only",
        "市财政局关于下达资金的通知",
        "安排重大建设项目资金。重大建设项目资金实行专款专用，重大建设项目资金不得挪用。",
        published=datetime(2026, 3, 1, tzinfo=CST),
    )
    in_title = doc(
        "in-title",
        "关于加快推进重大建设项目的意见",
        "各区人民政府：为扩大有效投资，现提出如下意见。",
        published=datetime(2025, 3, 1, tzinfo=CST),
    )
    await index.upsert(in_body)
    await index.upsert(in_title)

    assert await ids(index, "重大建设项目") == ["in-title", "body-only"]


async def test_equally_relevant_documents_come_newest_first(index: SearchIndex) -> None:
    for n, month in enumerate([3, 11, 7]):
        await index.upsert(
            doc(f"same-{n}", "关于公布权责清单的通知", "权责清单", published=datetime(2026, month, 1, tzinfo=CST))
        )

    assert await ids(index, "权责清单") == ["same-1", "same-2", "same-0"]


# --- filters, pagination, facets -----------------------------------------------------------------


async def test_filters_narrow_by_category_department_and_year(corpus: SearchIndex) -> None:
    assert await ids(corpus, category="art20.10") == [PROJECTS.id]
    assert await ids(corpus, department="市财政局") == [BUDGET.id]
    assert await ids(corpus, year=2025) == [BUDGET.id, AIR.id]
    assert await ids(corpus, "PM2.5", year=2026) == [PLAN.id]
    assert await ids(corpus, "PM2.5", category="art20.1", department="市生态环境局") == [AIR.id]
    assert await ids(corpus, "PM2.5", department="市财政局") == []


async def test_the_year_is_the_year_in_china(index: SearchIndex) -> None:
    # 2025-12-31 17:00 UTC is already 2026-01-01 01:00 in Beijing.
    await index.upsert(doc("new-year", "新年贺词", published=datetime(2025, 12, 31, 17, 0, tzinfo=UTC)))

    assert await ids(index, year=2026) == ["new-year"]
    assert await ids(index, year=2025) == []


async def test_pages_split_the_matches_and_total_counts_them_all(index: SearchIndex) -> None:
    for n in range(25):
        await index.upsert(
            doc(f"report-{n:02d}", f"第{n}期政务公开工作简报", published=datetime(2026, 1, 1 + n, tzinfo=CST))
        )

    pages = [await index.search(SearchQuery(q="政务公开", page=p, size=10)) for p in (1, 2, 3, 4)]

    assert [page.total for page in pages] == [25, 25, 25, 25]
    assert [len(page.hits) for page in pages] == [10, 10, 5, 0]
    seen = [hit.id for page in pages for hit in page.hits]
    assert seen == [f"report-{n:02d}" for n in reversed(range(25))]


async def test_facets_count_the_matches_by_category_department_and_year(corpus: SearchIndex) -> None:
    result = await corpus.search(SearchQuery(q="PM2.5"))

    assert result.facets == {
        "category": {"art20.3": 1, "art20.1": 1},
        "department": {"市人民政府办公厅": 1, "市生态环境局": 1},
        "year": {"2026": 1, "2025": 1},
        "validity": {"in_force": 2},
    }


async def test_a_facet_ignores_its_own_filter_but_honours_the_others(corpus: SearchIndex) -> None:
    result = await corpus.search(SearchQuery(year=2025))

    assert result.total == 2
    assert result.facets["year"] == {"2025": 2, "2026": 2}
    assert result.facets["category"] == {"art20.1": 1, "art20.7": 1}
    assert result.facets["department"] == {"市生态环境局": 1, "市财政局": 1}


async def test_an_empty_index_has_no_hits_and_no_facet_values(index: SearchIndex) -> None:
    result = await index.search(SearchQuery(q="重大建设项目"))

    assert result == SearchResult(
        total=0, hits=[], facets={"category": {}, "department": {}, "year": {}, "validity": {}}
    )


@pytest.mark.parametrize("page, size", [(0, 10), (1, 0), (1, 101), (1001, 10)])
def test_pages_out_of_bounds_are_refused(page: int, size: int) -> None:
    with pytest.raises(InvalidQuery):
        SearchQuery(page=page, size=size)


def test_a_publication_time_without_timezone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        doc("naive", "无时区", published=datetime(2026, 1, 1, 9, 0))


# --- highlighting --------------------------------------------------------------------------------


async def test_snippets_escape_html_and_mark_only_matches(index: SearchIndex) -> None:
    body = '关于重大建设项目<script>alert(1)</script>的说明 & "附件"'
    await index.upsert(doc("xss", "关于<b>重大建设项目</b>的公告 & 附件", body))

    [hit] = (await index.search(SearchQuery(q="重大建设项目"))).hits

    assert hit.snippet == (
        "关于<mark>重大建设项目</mark>&lt;script&gt;alert(1)&lt;/script&gt;的说明 &amp; &quot;附件&quot;"
    )
    assert hit.title == "关于&lt;b&gt;<mark>重大建设项目</mark>&lt;/b&gt;的公告 &amp; 附件"


async def test_html_in_a_query_is_escaped_too(index: SearchIndex) -> None:
    await index.upsert(doc("tag", "关于<script>标签</script>的说明", "<script>标签"))

    [hit] = (await index.search(SearchQuery(q="<script>"))).hits

    assert "<script>" not in hit.title + hit.snippet
    assert hit.snippet == "&lt;<mark>script</mark>&gt;标签"


async def test_marks_follow_the_original_text_not_the_folded_one(corpus: SearchIndex) -> None:
    [hit] = (await corpus.search(SearchQuery(q="pm2.5", year=2025))).hits

    assert "<mark>PM2.5</mark>" in hit.snippet
    assert visible_text(hit.snippet) == AIR.body


async def test_consecutive_matches_are_marked_as_one(corpus: SearchIndex) -> None:
    [hit] = (await corpus.search(SearchQuery(q="2026年国民经济"))).hits

    assert hit.title == "关于印发《<mark>2026年国民经济</mark>和社会发展计划》的通知"


async def test_a_long_body_is_cut_around_the_first_match(index: SearchIndex) -> None:
    before = "为深入贯彻落实党中央、国务院决策部署，进一步推进政务公开标准化规范化建设。" * 10
    after = "各单位要高度重视，明确责任分工，确保各项任务落到实处。" * 10
    await index.upsert(doc("long", "关于推进政务公开的通知", before + "市发改委负责牵头组织实施。" + after))

    [hit] = (await index.search(SearchQuery(q="发改委"))).hits

    assert hit.snippet.startswith("…") and hit.snippet.endswith("…")
    assert "<mark>发改委</mark>" in hit.snippet
    shown = visible_text(hit.snippet).strip("…")
    assert 100 <= len(shown) <= 130
    assert shown in before + "市发改委负责牵头组织实施。" + after


async def test_without_a_match_in_the_body_the_snippet_is_its_beginning(index: SearchIndex) -> None:
    body = "各区人民政府，市政府各部门：" + "现将有关事项通知如下，请结合实际认真贯彻落实。" * 8
    await index.upsert(doc("title-only", "关于公布行政许可事项清单的通知", body))

    [hit] = (await index.search(SearchQuery(q="行政许可"))).hits

    assert hit.snippet == body[:120] + "…"
    assert hit.title == "关于公布<mark>行政许可</mark>事项清单的通知"


async def test_an_empty_query_marks_nothing(corpus: SearchIndex) -> None:
    result = await corpus.search(SearchQuery())

    assert all("<mark>" not in hit.title + hit.snippet for hit in result.hits)


async def test_every_mark_encloses_query_text(corpus: SearchIndex) -> None:
    result = await corpus.search(SearchQuery(q="重大建设项目 发改委"))

    marked = [m for hit in result.hits for m in re.findall(r"<mark>(.*?)</mark>", hit.title + hit.snippet)]
    # 发改委 is short for 发展和改革委员会: either spelling is a match.
    assert set(marked) <= {"重大建设项目", "发改委", "发展和改革委员会"}
    assert {"重大建设项目", "发改委"} <= set(marked)


# --- document type, validity and dates -----------------------------------------------------------


async def test_type_and_validity_read_back_and_show_on_hits(index: SearchIndex) -> None:
    rule = doc("rule-1", "市政府规章制定程序规定", "规章", doc_type="regulation", validity="amended")
    assert await index.upsert(rule)

    assert await index.get("rule-1") == rule
    [hit] = (await index.search(SearchQuery(q="规章"))).hits
    assert (hit.doc_type, hit.validity) == ("regulation", "amended")


async def test_a_validity_change_relabels_the_document_as_of_its_version(index: SearchIndex) -> None:
    await index.upsert(doc("rule-2", "市容管理办法", "市容", doc_type="regulation", version=5))

    assert await index.set_validity("rule-2", "repealed", 6)
    assert not await index.set_validity("rule-2", "in_force", 6)
    assert not await index.set_validity("rule-2", "in_force", 3)
    assert not await index.set_validity("never-published", "repealed", 9)

    stored = await index.get("rule-2")
    assert stored is not None and (stored.validity, stored.version, stored.title) == ("repealed", 6, "市容管理办法")
    assert await ids(index, "市容", validity="repealed") == ["rule-2"]
    assert await ids(index, "市容", validity="in_force") == []
    assert not await index.upsert(doc("rule-2", "市容管理办法", version=6))


async def test_a_repealed_document_links_to_the_one_that_replaces_it(index: SearchIndex) -> None:
    await index.upsert(doc("rule-4", "燃气管理办法", "燃气", doc_type="regulation", version=1))

    assert await index.set_validity("rule-4", "repealed", 2, replaced_by="rule-5")

    stored = await index.get("rule-4")
    assert stored is not None and (stored.validity, stored.replaced_by) == ("repealed", "rule-5")


async def test_a_withdrawn_document_cannot_be_relabelled(index: SearchIndex) -> None:
    await index.upsert(doc("rule-3", "停车管理办法", version=1))
    await index.delete("rule-3", 2)

    assert not await index.set_validity("rule-3", "repealed", 3)
    assert await index.get("rule-3") is None


async def test_validity_is_a_facet_and_a_filter(index: SearchIndex) -> None:
    for n, validity in enumerate(["in_force", "in_force", "amended", "repealed"]):
        await index.upsert(doc(f"reg-{n}", f"第{n}号规章", "规章", validity=validity))

    result = await index.search(SearchQuery(q="规章", validity="in_force"))

    assert result.total == 2
    assert result.facets["validity"] == {"in_force": 2, "amended": 1, "repealed": 1}
    assert await ids(index, validity="amended") == ["reg-2"]


async def test_a_date_range_includes_both_days_in_china(index: SearchIndex) -> None:
    days = {
        "d-0131": (1, 31, 23),
        "d-0201": (2, 1, 0),
        "d-0215": (2, 15, 12),
        "d-0228": (2, 28, 23),
        "d-0301": (3, 1, 0),
    }
    for id_, (month, day, hour) in days.items():
        await index.upsert(doc(id_, "月度工作简报", published=datetime(2026, month, day, hour, 30, tzinfo=CST)))

    february = await ids(index, "简报", published_from=date(2026, 2, 1), published_to=date(2026, 2, 28))
    assert february == ["d-0228", "d-0215", "d-0201"]
    assert await ids(index, published_from=date(2026, 2, 20)) == ["d-0301", "d-0228"]
    assert await ids(index, published_to=date(2026, 1, 31)) == ["d-0131"]
    result = await index.search(SearchQuery(published_from=date(2026, 2, 1), published_to=date(2026, 2, 28)))
    assert result.total == 3 and result.facets["year"] == {"2026": 3}


def test_a_date_range_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(InvalidQuery):
        SearchQuery(published_from=date(2026, 3, 1), published_to=date(2026, 2, 1))


def test_unknown_types_and_validities_are_refused() -> None:
    with pytest.raises(ValueError):
        doc("x", "标题", doc_type="law")
    with pytest.raises(ValueError):
        doc("x", "标题", validity="dead")
    with pytest.raises(InvalidQuery):
        SearchQuery(validity="dead")


async def test_many_documents_at_once_follow_the_same_version_rules(index: SearchIndex) -> None:
    await index.upsert(doc("batch-1", "旧的标题", version=5))
    await index.delete("batch-2", 3)

    written = await index.upsert_many(
        [
            doc("batch-1", "更旧的标题", version=4),
            doc("batch-2", "迟到的标题", version=2),
            doc("batch-3", "第一版标题", version=1),
            doc("batch-3", "第二版标题", version=2),
            doc("batch-4", "新的标题", version=1),
        ]
    )

    assert written == 2
    assert (await index.get("batch-1")) == doc("batch-1", "旧的标题", version=5)
    assert await index.get("batch-2") is None
    assert (await index.get("batch-3")) == doc("batch-3", "第二版标题", version=2)
    assert await index.count() == 3


# --- Chinese: scripts, new words, abbreviations ----------------------------------------------------


async def test_simplified_queries_find_traditional_documents_and_back(index: SearchIndex) -> None:
    await index.upsert(
        doc("tw", "關於加強個人資訊保護的實施辦法", "為規範數據處理活動，保障個人資訊權益，制定本辦法。")
    )
    await index.upsert(doc("cn", "关于开展营商环境评价的通知", "各区要对照评价指标体系，认真开展自评工作。"))

    assert await ids(index, "个人资讯保护") == ["tw"]
    assert await ids(index, "实施办法") == ["tw"]
    assert await ids(index, "營商環境評價") == ["cn"]
    assert await ids(index, "開展") == ["cn"]
    [hit] = (await index.search(SearchQuery(q="个人资讯"))).hits
    assert "<mark>個人資訊</mark>" in hit.title


async def test_new_words_the_dictionary_does_not_know_are_found(index: SearchIndex) -> None:
    await index.upsert(doc("lg", "临港翠澜片区控制性详细规划公示", "临港翠澜片区位于滨江新城东侧。"))
    await index.upsert(doc("dt", "数字孪生城市建设三年行动计划", "建设城市信息模型平台。"))
    await index.upsert(doc("other", "滨江新城公共服务设施规划", "新城东侧规划建设学校。"))

    assert await ids(index, "翠澜") == ["lg"]
    assert await ids(index, "临港翠澜片区") == ["lg"]
    assert await ids(index, "孪生城市") == ["dt"]
    assert await ids(index, "澜片") == ["lg"]


async def test_abbreviations_find_full_names_and_back(index: SearchIndex) -> None:
    await index.upsert(doc("full", "市发展和改革委员会关于价格监测的通知", "请各区发展和改革委员会做好监测。"))
    await index.upsert(doc("short", "市住建局关于物业管理的通知", "市住建局负责组织实施。"))

    assert await ids(index, "发改委") == ["full"]
    assert await ids(index, "住房和城乡建设局") == ["short"]
    assert await ids(index, "發改委") == ["full"]


@pytest.mark.parametrize(
    "q",
    [
        "长" * 10_000,
        "a" * 10_000,
        "\x00\x01\x1f\x7f\u200b\ufeff",
        "\ud800重大",
        "\u202e项目建设",
        "<img src=x onerror=alert(1)>",
        "SELECT * FROM terms WHERE 1=1; --",
        "重大 NEAR/2 项目",
        "title_words:重大 OR body_grams:项目",
        "重 大 建 设 项 目",
        "🙂🙂",
        "\U00020000\U0002a700",
    ],
)
async def test_hostile_and_strange_queries_are_searched_as_text(corpus: SearchIndex, q: str) -> None:
    result = await corpus.search(SearchQuery(q=q))

    assert 0 <= result.total <= len(CORPUS)
    for hit in result.hits:
        assert "<img" not in hit.title + hit.snippet


# --- rebuilding ----------------------------------------------------------------------------------


async def test_a_rebuild_swaps_the_whole_index_at_once(index: SearchIndex) -> None:
    await index.upsert(doc("old-1", "旧索引里的通知", "旧的内容"))

    async def fill(fresh: SearchIndex) -> None:
        assert await fresh.count() == 0
        await fresh.upsert_many([doc("new-1", "新索引里的通知", "新的内容"), doc("new-2", "新索引里的公告")])
        # Until the swap, searches answer from the old index.
        assert await ids(index, "通知") == ["old-1"]

    await index.rebuild(fill)

    assert set(await ids(index, "新索引")) == {"new-1", "new-2"}
    assert await index.get("old-1") is None
    assert await index.count() == 2


async def test_search_keeps_answering_while_a_rebuild_runs(opener: Opener, index: SearchIndex) -> None:
    await index.upsert_many([doc(f"keep-{n}", f"第{n}期工作简报", "简报") for n in range(20)])
    other = opener()  # another process serving the portal
    await other.start()
    answers: list[int] = []
    done = asyncio.Event()

    async def keep_searching() -> None:
        while not done.is_set():
            answers.append((await other.search(SearchQuery(q="简报"))).total)
            await asyncio.sleep(0)

    async def fill(fresh: SearchIndex) -> None:
        for n in range(20):
            await fresh.upsert(doc(f"keep-{n}", f"第{n}期工作简报", "简报"))
            await asyncio.sleep(0.005)
        await fresh.upsert(doc("keep-new", "第20期工作简报", "简报"))

    searching = asyncio.create_task(keep_searching())
    try:
        await index.rebuild(fill)
        for _ in range(3):  # the other reader moves to the new index at its next search
            answers.append((await other.search(SearchQuery(q="简报"))).total)
    finally:
        done.set()
        await searching
        await other.close()

    assert len(answers) > 3
    assert set(answers) <= {20, 21}
    assert answers[-1] == 21


async def test_a_failed_rebuild_leaves_the_live_index_alone(index: SearchIndex) -> None:
    await index.upsert(doc("stay", "保留的通知"))

    async def fill(fresh: SearchIndex) -> None:
        await fresh.upsert(doc("lost", "不应出现的通知"))
        raise RuntimeError("the event log could not be read")

    with pytest.raises(RuntimeError):
        await index.rebuild(fill)

    assert await ids(index, "通知") == ["stay"]


# --- relevance -----------------------------------------------------------------------------------
# A small agency's documents and what a visitor expects on top. Both scripts, words the
# dictionary does not know, abbreviations, and title matches against passing mentions.


def _published(month: int) -> datetime:
    return datetime(2025, month, 10, 9, 0, tzinfo=CST)


RELEVANCE_CORPUS = [
    doc(
        "hpf",
        "住房公积金提取管理办法",
        "第一条 为规范住房公积金提取，保障缴存职工合法权益，制定本办法。"
        "第二条 职工购买自住住房的，可以提取住房公积金。",
        category="art20.1",
        department="市住房公积金管理中心",
        published=_published(3),
    ),
    doc(
        "hpf-mention",
        "关于2025年上半年政务服务工作的报告",
        "上半年共办理社保、医保、住房公积金提取等高频事项12万件，群众满意率98%。",
        category="art20.15",
        department="市政务服务数据管理局",
        published=_published(7),
    ),
    doc(
        "biz",
        "关于进一步优化营商环境的若干措施",
        "为持续优化营商环境，激发市场主体活力，制定以下措施。",
        category="art20.3",
        department="市发展和改革委员会",
        published=_published(2),
    ),
    doc(
        "biz-mention",
        "市市场监督管理局2025年工作总结",
        "全年新增市场主体3.2万户。营商环境评价中，开办企业指标位列全省第一。开展食品安全抽检1.5万批次。",
        category="art20.13",
        department="市市场监督管理局",
        published=_published(12),
    ),
    doc(
        "tw-elder",
        "高齡津貼發放實施細則",
        "年滿八十周歲的本市戶籍老年人，按月發放高齡津貼。津貼標準每年調整一次。",
        category="art20.11",
        department="市民政局",
        published=_published(5),
    ),
    doc(
        "elder-mention",
        "市民政局2025年部门预算",
        "预算安排养老服务补贴、高龄津贴等民生支出2.3亿元。",
        category="art20.7",
        department="市民政局",
        published=_published(1),
    ),
    doc(
        "park",
        "临港翠澜片区控制性详细规划批前公示",
        "临港翠澜片区规划范围东至滨江大道，规划用地面积约320公顷。",
        category="art20.10",
        department="市自然资源和规划局",
        published=_published(6),
    ),
    doc(
        "jobs",
        "市人社局关于2025年度高校毕业生就业补贴申领的通知",
        "符合条件的高校毕业生可向市人社局申领一次性就业补贴。",
        category="art20.11",
        department="市人力资源和社会保障局",
        published=_published(4),
    ),
    doc(
        "air",
        "2025年大气污染防治实施方案",
        "到2025年底，细颗粒物（PM2.5）年均浓度下降到30微克/立方米。加强VOCs综合治理。",
        category="art20.13",
        department="市生态环境局",
        published=_published(2),
    ),
    doc(
        "air-mention",
        "市统计局2025年国民经济和社会发展统计公报",
        "全市地区生产总值增长5.1%。空气质量优良天数比例86%，PM2.5平均浓度32微克/立方米。",
        category="art20.4",
        department="市统计局",
        published=_published(11),
    ),
]

#: query → the ids that must come first, in this order.
RELEVANCE = [
    ("公积金提取", ["hpf", "hpf-mention"]),
    ("住房公積金", ["hpf", "hpf-mention"]),
    ("营商环境", ["biz", "biz-mention"]),
    ("營商環境", ["biz", "biz-mention"]),
    ("高龄津贴", ["tw-elder", "elder-mention"]),
    ("高齡津貼", ["tw-elder", "elder-mention"]),
    ("翠澜片区", ["park"]),
    ("人社局 就业补贴", ["jobs"]),
    ("人力资源和社会保障局", ["jobs"]),
    ("PM2.5", ["air", "air-mention"]),
    ("ｐｍ２．５ 浓度", ["air", "air-mention"]),
    ("vocs", ["air"]),
]


@pytest.fixture
async def agency(index: SearchIndex) -> SearchIndex:
    await index.upsert_many(RELEVANCE_CORPUS)
    return index


@pytest.mark.parametrize("q, expected", RELEVANCE, ids=[q for q, _ in RELEVANCE])
async def test_relevance(agency: SearchIndex, q: str, expected: list[str]) -> None:
    found = await ids(agency, q)

    assert found[: len(expected)] == expected
    assert len(found) == len(expected), f"{q}: unexpected extra hits {found[len(expected) :]}"


async def test_relevance_facets_agree_with_filtered_hits(agency: SearchIndex) -> None:
    result = await agency.search(SearchQuery(q="2025年"))

    for name, values in result.facets.items():
        for value, count in values.items():
            filtered = SearchQuery(q="2025年", size=100, **{name: int(value) if name == "year" else value})
            narrowed = await agency.search(filtered)
            assert narrowed.total == count == len(narrowed.hits), (name, value)
