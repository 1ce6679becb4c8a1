"""Metadata an official document's own text gives away: 标题, 文号, 成文日期 (GB/T 9704 layout)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.intake.importer_formats import extract, infer_metadata, parse_date
from tests.unit.test_import_samples import HTML_PAGE, NOTICE

_CN = "〇一二三四五六七八九"


def chinese_date(day: date) -> str:
    """二〇二六年三月二日, as older documents write the 成文日期."""

    def small(n: int) -> str:
        tens, units = divmod(n, 10)
        return ("" if tens == 0 else ("十" if tens == 1 else _CN[tens] + "十")) + (_CN[units] if units else "")

    return "".join(_CN[int(d)] for d in str(day.year)) + f"年{small(day.month)}月{small(day.day)}日"


def test_an_official_notice_gives_its_title_number_and_signature_date() -> None:
    found = infer_metadata(NOTICE)
    assert found.title == "关于印发《2026年国民经济和社会发展计划》的通知"
    assert found.doc_number == "某发改〔2026〕12号"
    assert found.formed_on == date(2026, 3, 2)


def test_the_printing_date_of_the_colophon_is_not_the_formed_date() -> None:
    text = "关于某事的通知\n正文。\n某市人民政府办公室\n某市人民政府办公室    2026年3月5日印发"
    assert infer_metadata(text).formed_on is None


def test_dates_inside_the_running_text_are_not_the_formed_date() -> None:
    text = "关于某事的通知\n请于2026年12月31日前完成。\n" + "正文。\n" * 10
    assert infer_metadata(text).formed_on is None


def test_a_signature_line_with_the_date_at_its_end_gives_the_formed_date() -> None:
    assert infer_metadata("通知\n正文。\n某区教育局    2025-04-20").formed_on == date(2025, 4, 20)


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("二〇二六年三月二日", date(2026, 3, 2)),
        ("二〇一九年十二月三十一日", date(2019, 12, 31)),
        ("二○二○年十月十日", date(2020, 10, 10)),  # ○ (white circle) is common in place of 〇
        ("二零二一年二月二十八日", date(2021, 2, 28)),
        ("二〇二六年三月二十日", date(2026, 3, 20)),
        ("2026年3月2日", date(2026, 3, 2)),
        ("2026 年 03 月 02 日", date(2026, 3, 2)),
        ("２０２６年３月２日", date(2026, 3, 2)),
        ("2026-03-02", date(2026, 3, 2)),
        ("2026/3/2", date(2026, 3, 2)),
        ("2026.3.2", date(2026, 3, 2)),
    ],
)
def test_formed_dates_are_read_in_arabic_and_chinese_numerals(written: str, day: date) -> None:
    assert parse_date(written) == day
    assert infer_metadata(f"关于某事的通知\n正文。\n某局\n{written}").formed_on == day


@pytest.mark.parametrize("written", ["2026年2月30日", "二〇二六年十三月一日", "1900年1月1日", "2026-03", "下周一", ""])
def test_impossible_or_partial_dates_are_not_dates(written: str) -> None:
    assert parse_date(written) is None


@given(st.dates(min_value=date(1949, 10, 1), max_value=date(2099, 12, 31)))
def test_every_date_written_in_chinese_numerals_reads_back(day: date) -> None:
    assert parse_date(chinese_date(day)) == day
    assert parse_date(f"{day.year}年{day.month}月{day.day}日") == day


@pytest.mark.parametrize(
    ("line", "number"),
    [
        ("某发改〔2026〕12号", "某发改〔2026〕12号"),
        ("X发[2019]3号", "X发〔2019〕3号"),
        ("国办函【2020】109号", "国办函〔2020〕109号"),
        ("某政办发（2019）03号", "某政办发〔2019〕3号"),
        ("某府令〔2018〕第5号", "某府令〔2018〕第5号"),
        ("某发改〔2026〕12号          签发人：张三", "某发改〔2026〕12号"),
    ],
)
def test_document_numbers_are_found_in_every_bracket_style_and_normalised(line: str, number: str) -> None:
    assert infer_metadata(f"某市人民政府文件\n{line}\n关于某事的通知\n正文。").doc_number == number


def test_a_document_number_cited_in_the_text_is_not_the_documents_own() -> None:
    text = "关于某事的通知\n根据国办函〔2020〕109号文件精神，现就有关事项通知如下，请各单位认真贯彻执行。"
    assert infer_metadata(text).doc_number is None


def test_the_title_skips_the_letterhead_urgency_and_copy_number() -> None:
    text = "000123\n特急\n某市人民政府文件\n某政发〔2026〕1号\n关于做好春节期间安全工作的通知\n正文。"
    assert infer_metadata(text).title == "关于做好春节期间安全工作的通知"


def test_a_very_long_first_line_is_shortened_for_the_title() -> None:
    title = infer_metadata("很长" * 200 + "\n正文").title
    assert title is not None and len(title) == 101 and title.endswith("…")


def test_labelled_cells_of_a_web_page_give_number_formed_and_published_dates() -> None:
    page = extract(HTML_PAGE.encode("gbk"), "notice.html")
    found = infer_metadata(page.body)
    assert found.doc_number == "某安委〔2026〕3号"
    assert found.formed_on == date(2026, 2, 27)
    assert found.published_on == date(2026, 3, 1)


def test_empty_text_gives_nothing() -> None:
    found = infer_metadata("  \n \n")
    assert (found.title, found.doc_number, found.formed_on, found.published_on) == (None, None, None, None)


@given(
    st.text(
        alphabet=st.sampled_from("年月日号〔〕[]（）-/.：\n 文件成文日期发布0123456789〇一二三四五六七八九十廿卅某发改")
    )
)
def test_inference_never_fails_on_odd_text(text: str) -> None:
    found = infer_metadata(text)
    assert found.formed_on is None or date(1949, 10, 1) <= found.formed_on <= date(2099, 12, 31)
