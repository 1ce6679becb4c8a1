"""Reading an agency's archive for ``gongkai import``: the text of ``.txt``, ``.html``, ``.docx`` and
``.pdf`` files, and the metadata the text itself gives away (标题, 文号, 成文日期).

Everything here is pure (bytes in, text and metadata out). Error messages say why a file cannot be
read, never what it contains.

>>> notice = "某市发展和改革委员会文件\\n某发改〔2026〕12号\\n关于印发计划的通知\\n各区：……\\n二〇二六年三月二日"
>>> extract(notice.encode("gb18030"), "notice.txt").encoding
'gb18030'
>>> found = infer_metadata(notice)
>>> found.title, found.doc_number, found.formed_on
('关于印发计划的通知', '某发改〔2026〕12号', datetime.date(2026, 3, 2))
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePath

import charset_normalizer
import docx
import lxml.etree
import lxml.html
from docx.table import Table
from docx.text.paragraph import Paragraph
from pypdf import PdfReader

__all__ = [
    "FORMATS",
    "MAX_FILE_BYTES",
    "ExtractedText",
    "InferredMetadata",
    "UnreadableFile",
    "decode_text",
    "extract",
    "format_of",
    "infer_metadata",
    "parse_date",
]

#: Larger files are refused before they are read; the body limit (200,000 characters) is far below.
MAX_FILE_BYTES = 64 * 1024 * 1024
#: What a ``.docx`` (itself a zip) may expand to.
_MAX_DOCX_UNZIPPED = 256 * 1024 * 1024

FORMATS: dict[str, str] = {
    ".txt": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
    ".shtml": "html",
    ".docx": "docx",
    ".pdf": "pdf",
}
_CONVERT_FIRST = {".doc", ".wps", ".rtf", ".xls", ".xlsx", ".et", ".ofd", ".ceb"}


class UnreadableFile(ValueError):
    """A file whose text cannot be read; the message says why, never what the file contains."""


@dataclass(frozen=True)
class ExtractedText:
    """The text of one file. ``title`` is what the format itself names (an HTML heading), if any."""

    format: str
    body: str
    title: str | None = None
    encoding: str | None = None


def format_of(name: str) -> str:
    """``txt``, ``html``, ``docx`` or ``pdf`` by file name; raises ``UnreadableFile`` for anything else."""
    suffix = PurePath(name).suffix.lower()
    if suffix in FORMATS:
        return FORMATS[suffix]
    if suffix in _CONVERT_FIRST:
        raise UnreadableFile(f"unsupported format {suffix}: save it as .docx, .pdf or .txt first")
    raise UnreadableFile(f"unsupported format {suffix or '(no extension)'}")


def extract(source: bytes | Path, name: str | None = None) -> ExtractedText:
    """The text of a file (its bytes, or its path) by the extension of ``name``.

    >>> extract(b"<html><head><title>Notice</title></head><body><p>Text</p></body></html>", "a.htm").title
    'Notice'
    """
    if isinstance(source, Path):
        name = name or source.name
        if source.stat().st_size > MAX_FILE_BYTES:
            raise UnreadableFile(f"larger than {MAX_FILE_BYTES // 2**20} MiB")
        source = source.read_bytes()
    if name is None:
        raise TypeError("extract() needs the file name to tell its format")
    fmt = format_of(name)
    if len(source) > MAX_FILE_BYTES:
        raise UnreadableFile(f"larger than {MAX_FILE_BYTES // 2**20} MiB")
    return _EXTRACTORS[fmt](source)


# --- plain text and encodings ----------------------------------------------------------------------

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
#: Chinese archives are UTF-8, GB18030 (a superset of GBK and GB2312) or Big5 (Taiwan, Hong Kong).
_CANDIDATES = ["gb18030", "big5"]
_JUNK = re.compile(r"[\x01-\x08\x0e-\x1f\x7f\ufffd]")
_LATIN1_MOJIBAKE = re.compile(r"[\u00c0-\u00ff]")
_CJK = re.compile(r"[\u3400-\u9fff]")


def decode_text(data: bytes) -> tuple[str, str]:
    """Text and codec of bytes in UTF-8 (BOM or not), UTF-16 with a BOM, GB18030/GBK or Big5.

    >>> decode_text("政府資訊公開".encode("big5"))
    ('政府資訊公開', 'big5')
    """
    text, codec = _decode(data)
    _refuse_garbage(text)
    return text, codec


def _decode(data: bytes) -> tuple[str, str]:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError:
                raise UnreadableFile(f"mis-encoded: not valid {codec} despite its byte-order mark") from None
    if b"\x00" in data:
        raise UnreadableFile("binary content, not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data, cp_isolation=_CANDIDATES).best()
    if best is None:
        raise UnreadableFile("not text in UTF-8, GB18030/GBK or Big5 (binary or mis-encoded?)")
    return str(best), best.encoding


def _refuse_garbage(text: str) -> None:
    if len(_JUNK.findall(text)) > max(2, len(text) // 100):
        raise UnreadableFile("binary content or replacement characters, not clean text (mis-encoded?)")
    # GBK bytes once read as Latin-1 and saved as UTF-8 ("¹ØÓÚ"): readable, but nonsense to publish.
    accented = len(_LATIN1_MOJIBAKE.findall(text))
    if accented >= 8 and accented > len(text) // 10 and not _CJK.search(text):
        raise UnreadableFile("mis-encoded: looks like Chinese text once decoded as Latin-1")


def _txt(data: bytes) -> ExtractedText:
    text, codec = decode_text(data)
    return ExtractedText("txt", text, encoding=codec)


# --- HTML ------------------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_GB_LABELS = {"gb2312", "gbk", "x-gbk", "gb_2312-80", "cp936", "csgb2312", "gb18030", "euc-cn", "hz-gb-2312"}
_DROPPED = ("script", "style", "noscript", "template", "nav", "header", "footer", "iframe", "form", "object")
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section", "article"}
    | {"blockquote", "pre", "dt", "dd", "hr", "center"}
)
_CELLS = frozenset({"td", "th"})
_SPACES = re.compile(r"[ \t\xa0]+")
_LINE_SPACES = re.compile(r"[ \xa0]+")
_TABS = re.compile(r"\s*\t\s*")


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    if match is None:
        return None
    label = match.group(1).decode("ascii").lower()
    return "gb18030" if label in _GB_LABELS else label


def _decode_html(data: bytes) -> tuple[str, str]:
    declared = _declared_charset(data)
    if declared and not data.startswith(tuple(bom for bom, _ in _BOMS)):
        try:
            return data.decode(declared), declared
        except (LookupError, UnicodeDecodeError):
            pass  # old sites often declare one charset and serve another: detect instead
    return decode_text(data)


def _html(data: bytes) -> ExtractedText:
    text, codec = _decode_html(data)
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise UnreadableFile("empty or unreadable HTML") from exc
    title = _html_title(root)
    for element in root.xpath("|".join(f"//{tag}" for tag in _DROPPED)):
        element.drop_tree()
    body = root.find("body")
    return ExtractedText("html", _block_text(body if body is not None else root), title=title, encoding=codec)


def _html_title(root: lxml.html.HtmlElement) -> str | None:
    # The first <h1> is the document's own heading; <title> often appends the site's name.
    for path in (".//body//h1", ".//title"):
        element = root.find(path)
        if element is not None:
            text = _SPACES.sub(" ", element.text_content()).strip()
            if text:
                return text
    return None


def _block_text(element: lxml.html.HtmlElement) -> str:
    for child in element.iter():
        if child.tag in _BLOCKS:
            child.text = "\n" + (child.text or "")
            child.tail = "\n" + (child.tail or "")
        elif child.tag in _CELLS:
            child.tail = "\t" + (child.tail or "")
    # Table cells stay tab-separated: metadata tables (文号：…\t成文日期：…) are read cell by cell.
    lines = (_TABS.sub("\t", _LINE_SPACES.sub(" ", line)).strip() for line in element.text_content().splitlines())
    return "\n".join(line for line in lines if line)


# --- Word (.docx) ------------------------------------------------------------------------------------


def _docx(data: bytes) -> ExtractedText:
    _refuse_zip_bomb(data)
    try:
        document = docx.Document(io.BytesIO(data))
        lines = list(_docx_lines(document.iter_inner_content()))
    except Exception as exc:  # python-docx lets zipfile, lxml and KeyError errors through
        raise UnreadableFile("not a readable .docx (corrupt, or an old .doc renamed?)") from exc
    return ExtractedText("docx", "\n".join(lines))


def _refuse_zip_bomb(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFile("not a readable .docx (corrupt, or an old .doc renamed?)") from exc
    if expanded > _MAX_DOCX_UNZIPPED:
        raise UnreadableFile(f"a .docx that expands to more than {_MAX_DOCX_UNZIPPED // 2**20} MiB")


def _docx_lines(blocks: Iterator[object]) -> Iterator[str]:
    for block in blocks:
        if isinstance(block, Table):
            for row in block.rows:
                cells = [cell.text.strip() for cell in row.cells]
                # A merged cell is returned once per grid column it spans.
                yield "\t".join(c for i, c in enumerate(cells) if i == 0 or c != cells[i - 1])
        elif isinstance(block, Paragraph):
            yield block.text


# --- PDF ---------------------------------------------------------------------------------------------


def _pdf(data: bytes) -> ExtractedText:
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception as exc:  # pypdf raises many types on damaged files
        raise UnreadableFile("not a readable PDF (corrupt or truncated)") from exc
    if encrypted and not _decrypt_without_password(reader):
        raise UnreadableFile("encrypted PDF: remove the password first")
    try:
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception as exc:
        raise UnreadableFile("not a readable PDF (corrupt or truncated)") from exc
    if not text.strip():
        raise UnreadableFile("no text layer (scanned image?)")
    return ExtractedText("pdf", text)


def _decrypt_without_password(reader: PdfReader) -> bool:
    """Many archived PDFs are "encrypted" only to forbid printing, with an empty open password."""
    try:
        return bool(reader.decrypt(""))
    except Exception:  # AES needs the optional cryptography package: treat as locked
        return False


_EXTRACTORS: dict[str, Callable[[bytes], ExtractedText]] = {"txt": _txt, "html": _html, "docx": _docx, "pdf": _pdf}


# --- metadata the text gives away --------------------------------------------------------------------


@dataclass(frozen=True)
class InferredMetadata:
    """标题, 文号 and 成文日期 (and a labelled 发布日期) found in a document's own text."""

    title: str | None = None
    doc_number: str | None = None
    formed_on: date | None = None
    published_on: date | None = None


def infer_metadata(text: str) -> InferredMetadata:
    """Title from the first line that is not letterhead; 文号 and dates by their patterns."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    labelled = dict(_labelled_cells(lines))
    return InferredMetadata(
        title=_title(lines),
        doc_number=_labelled_doc_number(labelled) or _doc_number(lines),
        formed_on=_first_date(labelled.get("formed_on")) or _signature_date(lines),
        published_on=_first_date(labelled.get("published_on")),
    )


_MAX_TITLE = 100
_DOC_NUMBER = re.compile(
    r"(?P<issuer>[\u4e00-\u9fffA-Za-z]{1,20})\s*[〔\[【(（［]\s*(?P<year>\d{4})\s*[〕\]】)）］]"
    r"\s*(?P<nth>第\s*)?(?P<number>\d{1,5})\s*号"
)
_LABELS = {
    "doc_number": ("文号", "发文字号", "发文文号"),
    "formed_on": ("成文日期", "成文时间"),
    "published_on": ("发布日期", "发布时间", "公开日期", "公开时间"),
    "other": ("索引号", "发文机关", "发布机构", "主题分类", "信息分类", "签发人", "有效性", "来源", "浏览次数"),
}
_KNOWN_LABELS = frozenset(label for labels in _LABELS.values() for label in labels)
_LABEL = re.compile(r"^(?P<label>[\u4e00-\u9fff]{2,5})\s*[:：]\s*(?P<value>.*)$")
_CELL_SPLIT = re.compile(r"\t|\s{2,}|\u3000+")
_URGENCY = {"特急", "加急", "平急", "特提"}


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in _CELL_SPLIT.split(line) if cell.strip()]


def _labelled_cells(lines: Sequence[str]) -> Iterator[tuple[str, str]]:
    """``文号：…``/``成文日期：…`` cells of a web page's or a registry's metadata table."""
    for line in lines[:40]:
        for cell in _cells(line):
            match = _LABEL.match(cell)
            if match is None:
                continue
            for field, labels in _LABELS.items():
                if match["label"] in labels and match["value"]:
                    yield field, match["value"]


def _is_letterhead(line: str) -> bool:
    """Lines above an official document's title: 版头 ("…文件"), 文号, 份号, 紧急程度, metadata cells."""
    if len(line) <= 30 and line.endswith("文件"):
        return True
    if line.isdigit() or line in _URGENCY or line.startswith(("机密", "秘密", "绝密")):
        return True
    if _DOC_NUMBER.fullmatch(line) or _only_a_date(line):
        return True
    return any((m := _LABEL.match(cell)) and m["label"] in _KNOWN_LABELS for cell in _cells(line))


def _title(lines: Sequence[str]) -> str | None:
    for line in lines:
        if not _is_letterhead(line):
            return line if len(line) <= _MAX_TITLE else line[:_MAX_TITLE] + "…"
    return None


def _format_doc_number(match: re.Match[str]) -> str:
    nth = "第" if match["nth"] else ""
    return f"{match['issuer']}〔{int(match['year'])}〕{nth}{int(match['number'])}号"


def _labelled_doc_number(labelled: dict[str, str]) -> str | None:
    value = labelled.get("doc_number")
    match = _DOC_NUMBER.match(value) if value else None
    return _format_doc_number(match) if match else None


def _doc_number(lines: Sequence[str]) -> str | None:
    """A 文号 that starts a short line (the letterhead), never one cited in the running text."""
    for line in lines:
        match = _DOC_NUMBER.match(line)
        if match and len(line) <= 40:
            return _format_doc_number(match)
    return None


# Dates: 2026年3月2日, 2026-03-02 / 2026/3/2 / 2026.3.2, and 二〇二六年三月二日.
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "Ｏ": 0, "O": 0}
_CN_DIGIT = "〇零○ＯO一二三四五六七八九"
_DATE_PATTERNS = (
    re.compile(r"(?<!\d)(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"),
    re.compile(r"(?<!\d)(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)"),
    re.compile(
        rf"(?P<y>[{_CN_DIGIT}]{{4}})\s*年\s*(?P<m>[一二三四五六七八九十]{{1,3}})\s*月"
        r"\s*(?P<d>[一二三四五六七八九十廿卅]{1,4})\s*日"
    ),
)
_EARLIEST, _LATEST = date(1949, 10, 1), date(2099, 12, 31)
_SIGNATURE_LINES = 6
_BRACKETS = "()（）[]【】〔〕 \u3000"


def _cn_number(text: str) -> int | None:
    """一 … 三十一 (also 廿/卅); ``None`` for anything else."""
    text = text.replace("廿", "二十").replace("卅", "三十")
    tens, ten, units = text.partition("十")
    if not ten:
        return _CN_DIGITS.get(text) if len(text) == 1 else None
    high = _CN_DIGITS.get(tens, -1) if tens else 1
    low = _CN_DIGITS.get(units, -1) if units else 0
    return None if high < 1 or low < 0 or len(units) > 1 else high * 10 + low


def _number(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    if len(text) == 4 and all(c in _CN_DIGITS for c in text):
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    return _cn_number(text)


def _date_of(match: re.Match[str]) -> date | None:
    year, month, day = (_number(match[g]) for g in ("y", "m", "d"))
    if year is None or month is None or day is None:
        return None
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    return found if _EARLIEST <= found <= _LATEST else None


def _dates(text: str) -> list[tuple[int, int, date]]:
    """(start, end, date) of every valid date in ``text``, in order."""
    found = [
        (m.start(), m.end(), day)
        for pattern in _DATE_PATTERNS
        for m in pattern.finditer(text)
        if (day := _date_of(m)) is not None
    ]
    return sorted(found, key=lambda f: f[0])


def parse_date(value: str) -> date | None:
    """A date written the way Chinese documents and spreadsheets write it, or ``None``.

    >>> [parse_date(v) for v in ("2026-03-02", "2026/3/2", "2026年3月2日", "二〇二六年三月二日", "soon")]
    [datetime.date(2026, 3, 2), datetime.date(2026, 3, 2), datetime.date(2026, 3, 2), datetime.date(2026, 3, 2), None]
    """
    value = value.strip()
    found = _dates(value)
    return found[0][2] if len(found) == 1 and found[0][0] == 0 and found[0][1] == len(value) else None


def _first_date(text: str | None) -> date | None:
    found = _dates(text) if text else []
    return found[0][2] if found else None


def _only_a_date(line: str) -> date | None:
    return parse_date(line.strip(_BRACKETS))


def _signature_date(lines: Sequence[str]) -> date | None:
    """成文日期: the last date alone on its line, else a date in the signature lines at the end.

    A date followed by 印发 is the printing date of the 版记, not the date the document was formed.
    """
    alone = [day for line in lines if (day := _only_a_date(line))]
    if alone:
        return alone[-1]
    for line in reversed(lines[-_SIGNATURE_LINES:]):
        for _, end, day in reversed(_dates(line)):
            if not line[end:].lstrip().startswith("印发"):
                return day
    return None
