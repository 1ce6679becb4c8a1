"""The shared Chinese analysis: normalisation, terms, highlighting (pure functions)."""

from __future__ import annotations

import html
import sqlite3
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongkai.index.analysis import (
    MAX_QUERY_TERMS,
    highlight,
    index_terms,
    normalize,
    normalize_with_offsets,
    query_terms,
    snippet,
)
from gongkai.index.sqlite import match_expression

# Text the way it comes: Chinese, Latin, digits, full-width forms, punctuation, HTML, syntax.
texts = st.text(
    alphabet=st.one_of(
        st.sampled_from("发展改革委员会重大建设项目年计划税〇"),
        st.sampled_from("PMpm2.5ＰＭ２．５ Oé\u0301ßİ"),
        st.sampled_from("\"*^:()-+<>&'NEAR AND OR，。、《》\n\t"),
        st.characters(codec="utf-8"),
    ),
    max_size=60,
)


def unmarked(fragment: str) -> str:
    return html.unescape(fragment.replace("<mark>", "").replace("</mark>", ""))


# --- normalisation -------------------------------------------------------------------------------


def test_full_width_forms_and_case_fold_to_plain_lowercase() -> None:
    assert normalize("ＰＭ２．５　ＡＢＣ") == "pm2.5 abc"
    assert normalize("Straße") == "strasse"


def test_normalised_text_remembers_where_each_character_came_from() -> None:
    norm = normalize_with_offsets("Ａﬁ发")

    assert norm.text == "afi发"
    assert norm.original_span(1, 3) == (1, 2)
    assert norm.original_span(3, 4) == (2, 3)


def test_a_combining_accent_stays_with_its_letter() -> None:
    assert normalize("Cafe\u0301") == "café"


@given(st.text(alphabet=st.sampled_from("发展改革〇ＰＭ２．５PM2.5 Aaé\u0301\u0323ßİﬁ㎡①，。"), max_size=40))
def test_normalising_piecewise_agrees_with_whole_string_nfkc(text: str) -> None:
    assert normalize(text) == unicodedata.normalize("NFKC", text).casefold()


@given(texts)
def test_offsets_cover_the_original_in_order(text: str) -> None:
    norm = normalize_with_offsets(text)

    assert len(norm.starts) == len(norm.ends) == len(norm.text)
    assert list(norm.starts) == sorted(norm.starts)
    assert all(0 <= s < e <= len(text) for s, e in zip(norm.starts, norm.ends, strict=True))


def test_the_fast_path_characters_really_normalise_one_to_one() -> None:
    ranges = [(0x00, 0x7F), (0x3000, 0x3029), (0x3030, 0x303F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xFF01, 0xFF5E)]
    for lo, hi in ranges:
        for code in range(lo, hi + 1):
            char = chr(code)
            assert len(unicodedata.normalize("NFKC", char).casefold()) == 1, hex(code)
            assert unicodedata.combining(char) == 0, hex(code)


# --- terms ---------------------------------------------------------------------------------------


def test_chinese_is_cut_into_overlapping_bigrams_for_queries() -> None:
    assert query_terms("发展改革") == ["发展", "展改", "改革"]


def test_a_lone_chinese_character_is_a_term_by_itself() -> None:
    assert query_terms("税") == ["税"]
    assert query_terms("2026年") == ["2026", "年"]


def test_documents_are_indexed_by_bigrams_and_single_characters() -> None:
    assert index_terms("改革") == ["改革", "改", "革"]
    assert index_terms("市发改委") == ["市发", "市", "发改", "发", "改委", "改", "委"]


def test_latin_and_digit_runs_are_whole_words() -> None:
    assert query_terms("PM2.5浓度") == ["pm2.5", "浓度"]
    assert query_terms("增长5.5%左右") == ["增长", "5.5", "左右"]
    assert query_terms("v1.2.3 COVID-19") == ["v1.2.3", "covid", "19"]
    assert query_terms("市政办发〔2026〕1号") == ["市政", "政办", "办发", "2026", "1", "号"]


def test_chinese_zero_counts_as_chinese() -> None:
    assert query_terms("二〇二六年") == ["二〇", "〇二", "二六", "六年"]


def test_punctuation_separates_chinese_runs() -> None:
    assert query_terms("发展、改革") == ["发展", "改革"]
    assert query_terms("《关于印发》") == ["关于", "于印", "印发"]


@pytest.mark.parametrize(
    "q, expected",
    [
        ('"重大"', ["重大"]),
        ("重大*", ["重大"]),
        ("NEAR(重大 项目, 2)", ["near", "重大", "项目", "2"]),
        ("title:预算 AND -税", ["title", "预算", "and", "税"]),
        (")(^+", []),
        ('"""', []),
        ("", []),
        ("   \n", []),
    ],
)
def test_query_syntax_characters_are_not_terms(q: str, expected: list[str]) -> None:
    assert query_terms(q) == expected


def test_query_terms_are_distinct_and_capped() -> None:
    assert query_terms("重大重大重大") == ["重大", "大重"]
    assert len(query_terms(" ".join(f"w{n}" for n in range(1000)))) == MAX_QUERY_TERMS


@given(texts)
def test_a_text_contains_every_term_of_itself_as_a_query(text: str) -> None:
    assert set(query_terms(text)) <= set(index_terms(text))


@given(texts)
def test_terms_are_normalised_words_without_spaces_or_quotes(text: str) -> None:
    for term in index_terms(text):
        assert term
        assert normalize(term) == term
        assert not any(char.isspace() or char in "\"'*:()^" for char in term)


@given(texts, texts)
def test_any_query_is_a_valid_fts5_expression_and_a_text_finds_itself(body: str, q: str) -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(a, tokenize = \"unicode61 remove_diacritics 0 tokenchars '.'\")")
    db.execute("INSERT INTO t(a) VALUES (?)", (" ".join(index_terms(body)),))
    if terms := query_terms(q):
        db.execute("SELECT rowid FROM t WHERE t MATCH ?", (match_expression(terms),)).fetchall()
    if terms := query_terms(body):
        assert db.execute("SELECT count(*) FROM t WHERE t MATCH ?", (match_expression(terms),)).fetchone()[0] == 1


def test_match_expressions_quote_every_term() -> None:
    assert match_expression(["发展", "pm2.5"]) == '"发展" AND "pm2.5"'
    assert match_expression(['a"b']) == '"a""b"'


# --- highlighting --------------------------------------------------------------------------------


def test_matches_are_marked_and_everything_else_escaped() -> None:
    assert highlight("<i>重大建设项目</i> & 计划", query_terms("重大建设项目")) == (
        "&lt;i&gt;<mark>重大建设项目</mark>&lt;/i&gt; &amp; 计划"
    )


def test_consecutive_bigram_matches_make_one_mark() -> None:
    assert highlight("深化发展改革工作", query_terms("发展改革")) == "深化<mark>发展改革</mark>工作"


def test_separate_occurrences_are_marked_separately() -> None:
    assert highlight("改革，再改革", query_terms("改革")) == "<mark>改革</mark>，再<mark>改革</mark>"


def test_marks_cover_the_original_characters_of_a_folded_match() -> None:
    assert highlight("细颗粒物（ＰＭ２．５）", query_terms("pm2.5")) == "细颗粒物（<mark>ＰＭ２．５</mark>）"


def test_a_latin_word_is_not_marked_inside_a_longer_word() -> None:
    assert highlight("PM2.5 and PM10", query_terms("pm")) == "PM2.5 and PM10"


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

    cut = snippet(body, query_terms("重大建设项目"))

    assert cut == "…" + "甲" * 30 + "<mark>重大建设项目</mark>" + "乙" * 84 + "…"


def test_a_match_near_the_end_keeps_the_snippet_full() -> None:
    body = "甲" * 200 + "发改委"

    assert snippet(body, query_terms("发改委")) == "…" + "甲" * 117 + "<mark>发改委</mark>"


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
