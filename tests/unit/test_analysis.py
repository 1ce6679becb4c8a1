"""The shared Chinese analysis: folding, document terms, query terms, highlighting (pure functions)."""

from __future__ import annotations

import html
import sqlite3
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gongkai.index.analysis import (
    MAX_QUERY_TERMS,
    MAX_TERM_CHARS,
    Term,
    bigrams,
    document_terms,
    fold_with_offsets,
    highlight,
    query_terms,
    snippet,
)
from gongkai.index.sqlite import match_expression
from gongkai.text import fold

# Text the way it comes: Chinese in both scripts, Latin, digits, full-width forms, punctuation, HTML, syntax.
texts = st.text(
    alphabet=st.one_of(
        st.sampled_from("发展改革委员会重大建设项目年计划税〇發展國務院關於"),
        st.sampled_from("PMpm2.5ＰＭ２．５ Oé\u0301ßİ"),
        st.sampled_from("\"*^:()-+<>&'NEAR AND OR，。、《》\n\t"),
        st.characters(codec="utf-8"),
    ),
    max_size=60,
)


def unmarked(fragment: str) -> str:
    return html.unescape(fragment.replace("<mark>", "").replace("</mark>", ""))


def spellings(q: str) -> list[tuple[str, str]]:
    return [(term.text, term.route) for term in query_terms(q)]


# --- folding with offsets -----------------------------------------------------------------------


def test_folding_for_highlights_agrees_with_fold_on_ordinary_text() -> None:
    for text in [
        "國務院關於進一步優化營商環境的意見",
        "细颗粒物（ＰＭ２．５）年均浓度",
        "Straße und Café",
        "二〇二六年",
    ]:
        assert fold_with_offsets(text).text.replace(" ", "") == fold(text).replace(" ", "")


def test_folded_text_remembers_where_each_character_came_from() -> None:
    folded = fold_with_offsets("Ａﬁ發")

    assert folded.text == "afi发"
    assert folded.original_span(1, 3) == (1, 2)
    assert folded.original_span(3, 4) == (2, 3)


def test_a_combining_accent_stays_with_its_letter() -> None:
    assert fold_with_offsets("Cafe\u0301").text == "café"


def test_ordinary_text_folds_in_place() -> None:
    folded = fold_with_offsets("國務院ＰＭ２．５，GDP")

    assert folded.text == "国务院pm2.5,gdp"
    assert folded.starts is None and folded.original_span(3, 8) == (3, 8)


@given(texts)
def test_offsets_cover_the_original_in_order(text: str) -> None:
    folded = fold_with_offsets(text)
    spans = [folded.original_span(i, i + 1) for i in range(len(folded.text))]

    assert [start for start, _ in spans] == sorted(start for start, _ in spans)
    assert all(0 <= start < end <= len(text) for start, end in spans)


def test_the_fast_path_characters_really_fold_one_to_one() -> None:
    ranges = [(0x20, 0x7E), (0x3001, 0x3029), (0x3030, 0x303F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xFF01, 0xFF5E)]
    for lo, hi in ranges:
        for code in range(lo, hi + 1):
            char = chr(code)
            folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", char).casefold())
            assert len(folded) == 1, hex(code)
            assert unicodedata.combining(char) == 0, hex(code)


# --- documents -----------------------------------------------------------------------------------


def test_documents_are_indexed_by_words_and_by_bigrams() -> None:
    analysed = document_terms("市發改委关于重大建设项目的通知")

    assert analysed.words.split() == ["市", "发改委", "关于", "重大", "建设", "项目", "建设项目", "的", "通知"]
    assert analysed.grams.split()[:4] == ["市发", "发改", "改委", "委关"]
    assert analysed.grams.split()[-1] == "知"


def test_a_run_of_chinese_closes_with_its_last_character() -> None:
    assert bigrams("发改委") == ["发改", "改委", "委"]
    assert bigrams("税") == ["税"]
    assert document_terms("税、费").grams == "税 费"


def test_latin_and_numbers_are_whole_words_in_documents() -> None:
    assert document_terms("PM2.5浓度增长5.5%").words.split()[:1] == ["pm2.5"]
    assert "5.5" in document_terms("PM2.5浓度增长5.5%").words.split()
    assert document_terms("PM2.5").grams == ""


# --- queries -------------------------------------------------------------------------------------


def test_short_dictionary_words_are_words_and_other_runs_bigram_phrases() -> None:
    assert spellings("预算") == [("预算", "words")]
    assert spellings("建设项目") == [("建设项目", "grams")]
    assert spellings("雄安新区") == [("雄安新区", "grams")]
    assert spellings("改委") == [("改委", "grams")]
    assert query_terms("发展改革")[0].tokens() == ["发展", "展改", "改革"]


def test_a_lone_chinese_character_is_looked_for_as_the_start_of_a_bigram() -> None:
    assert spellings("税") == [("税", "prefix")]
    assert spellings("2026年") == [("2026", "words"), ("年", "prefix")]


def test_traditional_full_width_and_capital_queries_fold() -> None:
    assert spellings("發改委") == spellings("发改委")
    assert spellings("ＰＭ２．５") == [("pm2.5", "words")]
    assert spellings("國民經濟") == spellings("国民经济")


def test_abbreviations_bring_their_full_names() -> None:
    [term] = query_terms("发改委")

    assert [s.text for s in term.spellings] == ["发改委", "发展和改革委员会", "发展改革委"]
    assert [s.text for s in query_terms("人力资源和社会保障局")[0].spellings] == ["人力资源和社会保障局", "人社局"]


def test_whitespace_and_punctuation_separate_terms() -> None:
    assert spellings("发展 改革") == [("发展", "words"), ("改革", "words")]
    assert spellings("发展、改革") == [("发展", "words"), ("改革", "words")]
    assert spellings("《关于印发》") == [("关于印发", "grams")]


@pytest.mark.parametrize(
    "q, expected",
    [
        ('"重大"', [("重大", "words")]),
        ("重大*", [("重大", "words")]),
        ("NEAR(重大 项目, 2)", [("near", "words"), ("重大", "words"), ("项目", "words"), ("2", "words")]),
        ("title:预算 AND -税", [("title", "words"), ("预算", "words"), ("and", "words"), ("税", "prefix")]),
        (")(^+", []),
        ('"""', []),
        ("", []),
        ("   \n", []),
        ("\x00\u200b", []),
    ],
)
def test_query_syntax_characters_are_not_terms(q: str, expected: list[tuple[str, str]]) -> None:
    assert spellings(q) == expected


def test_query_terms_are_distinct_and_bounded() -> None:
    assert spellings("重大 重大 重大") == [("重大", "words")]
    assert len(query_terms(" ".join(f"w{n}" for n in range(1000)))) == MAX_QUERY_TERMS
    [*pieces] = query_terms("长" * 10_000)
    assert len(pieces) == 1 and len(pieces[0].text) == MAX_TERM_CHARS  # the same piece, once
    assert all(len(term.text) <= MAX_TERM_CHARS for term in query_terms("甲乙丙丁" * 100))


@given(texts, texts)
@example(body="0\x0c0", q="")  # fold drops the form feed: "00" is one word on both sides
@settings(max_examples=150)
def test_any_query_is_a_valid_fts5_expression_and_a_text_finds_itself(body: str, q: str) -> None:
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE terms USING fts5(title_words, body_words, title_grams, body_grams, "
        "tokenize = \"ascii tokenchars '.'\")"
    )
    analysed = document_terms(body)
    db.execute("INSERT INTO terms VALUES ('', ?, '', ?)", (analysed.words, analysed.grams))
    if terms := query_terms(q):
        db.execute("SELECT rowid FROM terms WHERE terms MATCH ?", (match_expression(terms),)).fetchall()
    # Words may be cut differently inside a longer text: a text finds itself by its own runs.
    if terms := [t for t in query_terms(body) if t.route != "words" or t.is_word]:
        found = db.execute("SELECT count(*) FROM terms WHERE terms MATCH ?", (match_expression(terms),)).fetchone()
        assert found[0] == 1


@given(texts)
def test_terms_are_folded_and_free_of_spaces_and_quotes(text: str) -> None:
    for term in query_terms(text):
        assert term.text
        assert not any(char.isspace() or char in "\"'*:()^" for char in term.text)
        assert all(not any(char.isspace() for char in token) for token in term.tokens())


# --- highlighting --------------------------------------------------------------------------------


def test_matches_are_marked_and_everything_else_escaped() -> None:
    assert highlight("<i>重大建设项目</i> & 计划", query_terms("重大建设项目")) == (
        "&lt;i&gt;<mark>重大建设项目</mark>&lt;/i&gt; &amp; 计划"
    )


def test_marks_land_on_the_original_script() -> None:
    assert (
        highlight("國務院關於優化營商環境的意見", query_terms("营商环境"))
        == "國務院關於優化<mark>營商環境</mark>的意見"
    )


def test_touching_matches_make_one_mark_and_separate_ones_two() -> None:
    assert highlight("2026年国民经济", query_terms("2026年 国民经济")) == "<mark>2026年国民经济</mark>"
    assert highlight("改革，再改革", query_terms("改革")) == "<mark>改革</mark>，再<mark>改革</mark>"


def test_marks_cover_the_original_characters_of_a_folded_match() -> None:
    assert highlight("细颗粒物（ＰＭ２．５）", query_terms("pm2.5")) == "细颗粒物（<mark>ＰＭ２．５</mark>）"


def test_a_latin_word_is_not_marked_inside_a_longer_word() -> None:
    assert highlight("PM2.5 and PM10", query_terms("pm")) == "PM2.5 and PM10"
    assert highlight("PM2.5. PM", query_terms("pm2.5")) == "<mark>PM2.5</mark>. PM"


def test_an_abbreviation_marks_its_full_name_too() -> None:
    assert highlight("市发展和改革委员会（市发改委）", query_terms("发改委")) == (
        "市<mark>发展和改革委员会</mark>（市<mark>发改委</mark>）"
    )


def test_no_terms_mark_nothing() -> None:
    assert highlight("<b>标题</b>", []) == "&lt;b&gt;标题&lt;/b&gt;"


@given(texts, texts)
def test_highlighting_only_adds_marks(text: str, q: str) -> None:
    marked = highlight(text, query_terms(q))

    assert unmarked(marked) == text
    assert "<" not in marked.replace("<mark>", "").replace("</mark>", "")


def test_a_short_body_is_its_own_snippet() -> None:
    assert snippet("市发改委负责组织实施。", query_terms("发改委")) == "市<mark>发改委</mark>负责组织实施。"


def test_a_snippet_centres_on_the_first_match_and_shows_the_cuts() -> None:
    body = "甲" * 200 + "重大建设项目" + "乙" * 200

    assert snippet(body, query_terms("重大建设项目")) == "…" + "甲" * 30 + "<mark>重大建设项目</mark>" + "乙" * 84 + "…"


def test_a_match_near_the_end_keeps_the_snippet_full() -> None:
    assert snippet("甲" * 200 + "发改委", query_terms("发改委")) == "…" + "甲" * 117 + "<mark>发改委</mark>"


def test_a_snippet_skips_latin_look_alikes_to_reach_the_real_match() -> None:
    body = "PM10超标。" + "丙" * 150 + "PM 监测"

    assert "<mark>PM</mark>" in snippet(body, query_terms("pm"))


def test_snippets_fold_whitespace() -> None:
    assert snippet("第一条\n\n  第二条", []) == "第一条 第二条"


@given(texts, texts)
def test_a_snippet_is_an_escaped_piece_of_the_text(text: str, q: str) -> None:
    cut = snippet(text, query_terms(q), width=20)
    shown = unmarked(cut)

    assert shown.removeprefix("…").removesuffix("…") in " ".join(text.split())
    assert "<" not in cut.replace("<mark>", "").replace("</mark>", "")


def test_a_term_knows_its_tokens() -> None:
    assert Term("发改委", "grams").tokens() == ["发改", "改委"]
    assert Term("pm2.5", "words").tokens() == ["pm2.5"]
    assert Term("pm2.5", "words").is_word and not Term("预算", "words").is_word
