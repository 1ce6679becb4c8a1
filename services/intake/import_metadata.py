"""Import metadata: ``metadata.csv``/``metadata.json`` sidecars and the operator's defaults.

>>> rows = parse_sidecar("文件名,标题,类别\\nplan.txt,年度计划,art20.3\\n".encode("gb18030"), "metadata.csv")
>>> rows.row_for("2026/plan.txt")
{'title': '年度计划', 'category': 'art20.3'}
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from dataclasses import dataclass, fields
from datetime import date
from pathlib import PurePosixPath
from typing import Any

from gongkai.events import DocType
from gongkai.vocabulary import ART20_CATEGORIES
from services.intake.importer_formats import (
    UnreadableFile,
    decode_text,
    parse_date,
)

__all__ = ["SIDECAR_NAMES", "FileRejected", "ItemMetadata", "Sidecar", "metadata_of", "parse_sidecar"]

SIDECAR_NAMES = ("metadata.csv", "metadata.json")


class FileRejected(ValueError):
    """One file that cannot be imported; the message names the reason, never the contents."""


# --- metadata: sidecar rows, operator defaults ---------------------------------------------------


@dataclass(frozen=True)
class ItemMetadata:
    """What a sidecar row or the operator says about a file; ``None`` leaves it to the next source."""

    title: str | None = None
    category: str | None = None
    department: str | None = None
    doc_number: str | None = None
    formed_on: date | None = None
    doc_type: DocType | None = None
    published_on: date | None = None

    def over(self, fallback: ItemMetadata) -> ItemMetadata:
        """These values, with ``fallback``'s where these are missing."""
        return ItemMetadata(
            **{f.name: getattr(self, f.name) or getattr(fallback, f.name) for f in fields(ItemMetadata)}
        )


_COLUMNS: dict[str, tuple[str, ...]] = {
    "file": ("file", "filename", "file_name", "name", "path", "文件", "文件名", "文件名称", "文件路径"),
    "title": ("title", "标题", "题名", "名称", "文件标题"),
    "category": ("category", "类别", "分类", "信息类别", "公开类别"),
    "department": ("department", "publisher", "部门", "发布机构", "发文机关", "发文单位", "发布部门"),
    "doc_number": ("doc_number", "文号", "发文字号"),
    "formed_on": ("formed_on", "成文日期", "成文时间"),
    "doc_type": ("doc_type", "文种", "文件类型"),
    "published_on": ("published_on", "发布日期", "发布时间", "公开日期"),
}
_FIELD_OF_COLUMN = {alias: name for name, aliases in _COLUMNS.items() for alias in aliases}
_DOC_TYPES: dict[str, DocType] = {
    "regulation": "regulation",
    "规章": "regulation",
    "normative": "normative",
    "规范性文件": "normative",
    "行政规范性文件": "normative",
    "other": "other",
    "其他": "other",
}
_CATEGORY_OF_LABEL = {label: code for code, label in ART20_CATEGORIES.items()}


def _key(name: str) -> str:
    """File names compare as Windows and macOS archives write them: any case, any normal form, either slash."""
    return unicodedata.normalize("NFC", name.strip().replace("\\", "/").removeprefix("./")).casefold()


@dataclass(frozen=True)
class Sidecar:
    """A ``metadata.csv``/``metadata.json``: file name (or path below the sidecar) → field → value."""

    name: str
    rows: dict[str, dict[str, str]]

    def row_for(self, relative: str | PurePosixPath) -> dict[str, str] | None:
        """The row for a file, by its path below the sidecar, then by ever shorter tails of it."""
        parts = PurePosixPath(relative).parts
        for start in range(len(parts)):
            row = self.rows.get(_key("/".join(parts[start:])))
            if row is not None:
                return row
        return None


def parse_sidecar(data: bytes, name: str) -> Sidecar:
    """Rows of a CSV (UTF-8 or GB18030, as Excel saves it; English or Chinese headers) or JSON sidecar."""
    try:
        text, _ = decode_text(data)
    except UnreadableFile as exc:
        raise FileRejected(f"{name}: {exc}") from None
    records = _json_records(text, name) if name.lower().endswith(".json") else _csv_records(text, name)
    rows: dict[str, dict[str, str]] = {}
    for record in records:
        fields_ = {_FIELD_OF_COLUMN.get(_column(k)): str(v).strip() for k, v in record.items() if v is not None}
        file = fields_.pop("file", "")
        if file:
            rows[_key(file)] = {k: v for k, v in fields_.items() if k and v}
    return Sidecar(name, rows)


def _column(header: Any) -> str:
    return str(header).strip().lstrip("\ufeff").lower().replace(" ", "_").replace("-", "_")


def _csv_records(text: str, name: str) -> list[dict[str, Any]]:
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    if not any(_FIELD_OF_COLUMN.get(_column(h)) == "file" for h in reader.fieldnames or ()):
        raise FileRejected(f"{name}: no file-name column (file, 文件名)")
    return list(reader)


def _json_records(text: str, name: str) -> list[dict[str, Any]]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileRejected(f"{name}: not valid JSON (line {exc.lineno})") from None
    if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
        return [{"file": k, **v} for k, v in value.items()]
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return value
    raise FileRejected(f"{name}: expected {{file: {{field: value}}}} or a list of objects with a 'file' field")


def metadata_of(row: dict[str, str], sidecar: str) -> ItemMetadata:
    """Typed metadata of one sidecar row; a bad date names the sidecar and column."""

    def day(field_name: str) -> date | None:
        value = row.get(field_name)
        if value is None:
            return None
        parsed = parse_date(value.split(" ")[0])
        if parsed is None:
            raise FileRejected(f"{sidecar}: {field_name} {value!r} is not a date")
        return parsed

    doc_type = row.get("doc_type")
    category = row.get("category")
    return ItemMetadata(
        title=row.get("title"),
        category=_CATEGORY_OF_LABEL.get(category, category) if category else None,
        department=row.get("department"),
        doc_number=row.get("doc_number"),
        formed_on=day("formed_on"),
        # 文种 columns often hold 通知, 决定 …: those are neither 规章 nor 规范性文件.
        doc_type=_DOC_TYPES.get(doc_type.lower(), "other") if doc_type else None,
        published_on=day("published_on"),
    )
