"""Metadata sidecars: metadata.csv (as Excel saves it) and metadata.json, headers in English or Chinese."""

from __future__ import annotations

import codecs
import json
from datetime import date

import pytest

from services.intake.importer import FileRejected, ItemMetadata, metadata_of, parse_sidecar

EXCEL_CSV = (
    "文件名,标题,类别,发布机构,文号,成文日期,文种,发布日期\r\n"
    "2026/计划.docx,关于印发2026年计划的通知,art20.3,市发展改革委,某发改〔2026〕12号,2026/3/2,规范性文件,2026/3/5\r\n"
    "预算.pdf,2026年部门预算,财政预算、决算信息,市财政局,,2026年2月1日,通知,\r\n"
)


def test_an_excel_csv_in_gb18030_with_chinese_headers_is_read() -> None:
    sidecar = parse_sidecar(EXCEL_CSV.encode("gb18030"), "metadata.csv")
    row = sidecar.row_for("2026/计划.docx")
    assert row == {
        "title": "关于印发2026年计划的通知",
        "category": "art20.3",
        "department": "市发展改革委",
        "doc_number": "某发改〔2026〕12号",
        "formed_on": "2026/3/2",
        "doc_type": "规范性文件",
        "published_on": "2026/3/5",
    }
    assert metadata_of(row, "metadata.csv") == ItemMetadata(
        title="关于印发2026年计划的通知",
        category="art20.3",
        department="市发展改革委",
        doc_number="某发改〔2026〕12号",
        formed_on=date(2026, 3, 2),
        doc_type="normative",
        published_on=date(2026, 3, 5),
    )


def test_category_labels_of_article_20_become_their_codes_and_other_doc_types_are_other() -> None:
    row = parse_sidecar(EXCEL_CSV.encode("gb18030"), "metadata.csv").row_for("预算.pdf")
    assert row is not None
    meta = metadata_of(row, "metadata.csv")
    assert (meta.category, meta.doc_type, meta.doc_number, meta.published_on) == ("art20.7", "other", None, None)


def test_a_utf8_csv_with_bom_tabs_and_english_headers_is_read() -> None:
    raw = codecs.BOM_UTF8 + b"File\tTitle\tCategory\nA.TXT\tNotice\tart20.1\n"
    assert parse_sidecar(raw, "metadata.csv").row_for("a.txt") == {"title": "Notice", "category": "art20.1"}


def test_rows_match_by_path_below_the_sidecar_then_by_file_name() -> None:
    sidecar = parse_sidecar("file,title\nsub\\a.txt,甲\nb.txt,乙\n".encode(), "metadata.csv")
    assert sidecar.row_for("sub/a.txt") == {"title": "甲"}
    assert sidecar.row_for("archive.zip/deep/b.txt") == {"title": "乙"}
    assert sidecar.row_for("other/a.txt") is None


def test_a_json_sidecar_maps_file_names_to_fields() -> None:
    raw = json.dumps({"a.txt": {"标题": "通知", "成文日期": "2026-03-02", "category": "art20.1"}}, ensure_ascii=False)
    sidecar = parse_sidecar(raw.encode(), "metadata.json")
    assert sidecar.row_for("a.txt") == {"title": "通知", "formed_on": "2026-03-02", "category": "art20.1"}


def test_a_json_sidecar_may_be_a_list_of_records() -> None:
    raw = json.dumps([{"file": "a.txt", "department": "办公室", "formed_on": None}])
    assert parse_sidecar(raw.encode(), "metadata.json").row_for("a.txt") == {"department": "办公室"}


@pytest.mark.parametrize(
    ("raw", "name", "reason"),
    [
        ("标题,类别\n通知,art20.1\n".encode(), "metadata.csv", "no file-name column"),
        (b"{not json", "metadata.json", "not valid JSON"),
        (b'["a.txt"]', "metadata.json", "expected"),
        (bytes(range(256)), "metadata.csv", "binary"),
    ],
)
def test_an_unusable_sidecar_says_why(raw: bytes, name: str, reason: str) -> None:
    with pytest.raises(FileRejected, match=reason):
        parse_sidecar(raw, name)


def test_a_bad_date_in_a_row_names_the_sidecar_and_column() -> None:
    with pytest.raises(FileRejected, match=r"metadata.csv: formed_on '2026/13/45' is not a date"):
        metadata_of({"formed_on": "2026/13/45"}, "metadata.csv")


def test_excel_date_times_are_read_as_their_date() -> None:
    assert metadata_of({"published_on": "2026-03-05 10:20:00"}, "m.csv").published_on == date(2026, 3, 5)
