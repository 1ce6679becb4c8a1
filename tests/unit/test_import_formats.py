"""Text extraction of archive files: encodings, HTML, Word and PDF, and the reasons a file is refused."""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.intake.importer_formats import MAX_FILE_BYTES, UnreadableFile, decode_text, extract, format_of
from tests.unit.test_import_samples import (
    HTML_PAGE,
    NOTICE,
    TRADITIONAL,
    cjk_pdf_bytes,
    docx_bytes,
    encrypted_pdf_bytes,
    latin_pdf_bytes,
    scanned_pdf_bytes,
)

# --- plain text and its encodings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "codec"),
    [
        (NOTICE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + NOTICE.encode("utf-8"), "utf-8-sig"),
        (NOTICE.encode("gb18030"), "gb18030"),
        (NOTICE.encode("gbk"), "gb18030"),
        (NOTICE.encode("utf-16"), "utf-16"),
    ],
)
def test_simplified_chinese_text_is_read_in_every_encoding_agencies_use(raw: bytes, codec: str) -> None:
    text = extract(raw, "notice.txt")
    assert text.format == "txt"
    assert text.encoding == codec
    assert text.body.lstrip("\ufeff") == NOTICE


def test_traditional_chinese_in_big5_is_read_as_big5() -> None:
    text = extract(TRADITIONAL.encode("big5"), "公告.TXT")
    assert text.encoding == "big5"
    assert text.body == TRADITIONAL


def test_a_short_gbk_line_is_not_mistaken_for_big5() -> None:
    assert decode_text("政府信息公开".encode("gbk")) == ("政府信息公开", "gb18030")


def test_binary_content_named_txt_is_refused() -> None:
    with pytest.raises(UnreadableFile, match="binary"):
        extract(bytes(range(256)) * 8, "photo.txt")


def test_undecodable_bytes_without_nul_are_refused() -> None:
    with pytest.raises(UnreadableFile, match="not text"):
        extract(bytes(range(0x80, 0x100)) * 16, "noise.txt")


def test_text_full_of_replacement_characters_is_refused_as_mis_encoded() -> None:
    with pytest.raises(UnreadableFile, match="mis-encoded"):
        extract(("关于\ufffd\ufffd的通知\ufffd\ufffd\ufffd" * 5).encode("utf-8"), "broken.txt")


def test_gbk_once_read_as_latin1_is_refused_as_mis_encoded() -> None:
    mojibake = NOTICE.encode("gbk").decode("latin-1")
    with pytest.raises(UnreadableFile, match="Latin-1"):
        extract(mojibake.encode("utf-8"), "mojibake.txt")


# --- HTML -------------------------------------------------------------------------------------------


def test_html_declared_gbk_gives_its_heading_and_body_without_scripts_navigation_or_footer() -> None:
    page = extract(HTML_PAGE.encode("gbk"), "notice.html")
    assert page.encoding == "gb18030"
    assert page.title == "关于开展安全生产大检查的通知"
    assert "为切实做好安全生产工作，现将有关事项通知如下。" in page.body
    assert "一、检查范围\n全市各类生产经营单位。" in page.body
    assert "不应出现" not in page.body


def test_html_metadata_tables_keep_their_cells_apart() -> None:
    page = extract(HTML_PAGE.encode("gbk"), "notice.htm")
    assert "索引号：000014349/2026-00012\t文号：某安委〔2026〕3号" in page.body.splitlines()


def test_html_without_h1_takes_its_title_element() -> None:
    page = extract(b"<html><head><title>Annual report</title></head><body><p>Text</p></body></html>", "a.htm")
    assert (page.title, page.body) == ("Annual report", "Text")


def test_html_that_lies_about_its_charset_is_detected() -> None:
    raw = '<html><head><meta charset="utf-8"></head><body><p>政府信息公开年度报告</p></body></html>'.encode("gbk")
    assert extract(raw, "a.html").body == "政府信息公开年度报告"


def test_empty_html_is_refused() -> None:
    with pytest.raises(UnreadableFile, match="HTML"):
        extract(b"   ", "empty.html")


# --- Word and PDF -----------------------------------------------------------------------------------


def test_docx_paragraphs_and_tables_are_read_in_order() -> None:
    raw = docx_bytes("关于公布收费项目的通知", "各单位：", table=[["项目", "标准"], ["工本费", "10元"]])
    text = extract(raw, "fees.docx")
    assert text.format == "docx"
    assert text.body == "关于公布收费项目的通知\n各单位：\n项目\t标准\n工本费\t10元"


@pytest.mark.parametrize("raw", [os.urandom(2048), b"PK\x03\x04" + os.urandom(500), docx_bytes("x")[:3000]])
def test_a_corrupt_docx_is_refused_with_a_reason(raw: bytes) -> None:
    with pytest.raises(UnreadableFile, match=r"not a readable \.docx"):
        extract(raw, "broken.docx")


def test_pdf_text_is_extracted() -> None:
    assert extract(latin_pdf_bytes("Notice 2026", "Second line"), "n.pdf").body == "Notice 2026\nSecond line"


def test_chinese_pdf_text_is_extracted_through_its_tounicode_map() -> None:
    text = extract(cjk_pdf_bytes("关于印发通知", "某发改〔2026〕13号"), "通知.pdf")
    assert text.body.splitlines() == ["关于印发通知", "某发改〔2026〕13号"]


def test_a_truncated_pdf_is_refused() -> None:
    raw = latin_pdf_bytes("Notice 2026")
    with pytest.raises(UnreadableFile, match="not a readable PDF"):
        extract(raw[: len(raw) // 2], "cut.pdf")


def test_a_scanned_pdf_without_text_layer_is_refused() -> None:
    with pytest.raises(UnreadableFile, match=r"no text layer \(scanned image\?\)"):
        extract(scanned_pdf_bytes(), "scan.pdf")


def test_a_password_protected_pdf_is_refused() -> None:
    with pytest.raises(UnreadableFile, match="encrypted"):
        extract(encrypted_pdf_bytes(), "locked.pdf")


# --- names, paths and sizes -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "fmt"), [("a.TXT", "txt"), ("b.htm", "html"), ("c.Docx", "docx"), ("d.pdf", "pdf")])
def test_the_format_follows_the_extension(name: str, fmt: str) -> None:
    assert format_of(name) == fmt


@pytest.mark.parametrize("name", ["old.doc", "memo.wps"])
def test_legacy_office_files_ask_to_be_converted(name: str) -> None:
    with pytest.raises(UnreadableFile, match=r"save it as \.docx"):
        format_of(name)


def test_unknown_extensions_are_unsupported() -> None:
    with pytest.raises(UnreadableFile, match=r"unsupported format \.jpg"):
        extract(b"\xff\xd8", "photo.jpg")


def test_extract_reads_a_path_and_refuses_oversized_files(tmp_path: Path) -> None:
    path = tmp_path / "notice.txt"
    path.write_bytes(NOTICE.encode("gb18030"))
    assert extract(path).body == NOTICE
    with pytest.raises(UnreadableFile, match="larger than"):
        extract(b" " * (MAX_FILE_BYTES + 1), "huge.txt")


@given(st.binary(max_size=512), st.sampled_from(["a.txt", "a.html", "a.docx", "a.pdf"]))
@settings(max_examples=60, deadline=None)
def test_any_bytes_are_either_read_or_refused_with_a_reason(raw: bytes, name: str) -> None:
    try:
        extract(raw, name)
    except UnreadableFile as refusal:
        assert str(refusal)
