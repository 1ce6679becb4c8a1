"""Realistic archive samples built in the tests (no binary fixtures), and checks that they are what they claim."""

from __future__ import annotations

import io
import zipfile

import docx
from pypdf import PdfReader, PdfWriter

#: An official document as agencies archive it: 版头, 文号, title, body, signature, 成文日期, 版记.
NOTICE = """某市发展和改革委员会文件

某发改〔2026〕12号

关于印发《2026年国民经济和社会发展计划》的通知

各区人民政府，市政府各部门：
    现将《2026年国民经济和社会发展计划》印发给你们，请于2026年12月31日前认真贯彻落实。
    重大建设项目按计划推进。

某市发展和改革委员会
2026年3月2日

某市发展和改革委员会办公室                    2026年3月5日印发
"""

#: 繁體, as a Taiwan or Hong Kong archive stores it (Big5).
TRADITIONAL = """關於調整公共運輸票價的公告

臺北市政府公告：關於調整公共運輸票價的說明，請各機關配合辦理。

中華民國一一五年一月五日
2026年1月5日
"""

HTML_PAGE = """<!DOCTYPE html>
<html><head><meta charset="gbk"><title>关于开展安全生产大检查的通知_某市人民政府</title>
<script>var tracking = "不应出现";</script><style>.x { color: red }</style></head>
<body><nav>首页 | 政务公开 | 不应出现的导航</nav>
<table class="meta"><tr><td>索引号：000014349/2026-00012</td><td>文号：某安委〔2026〕3号</td></tr>
<tr><td>成文日期：2026年02月27日</td><td>发布日期：2026-03-01</td></tr></table>
<h1>关于开展安全生产大检查的通知</h1>
<div class="content"><p>各区人民政府：</p><p>&nbsp;&nbsp;为切实做好<b>安全生产</b>工作，现将有关事项通知如下。</p>
<p>一、检查范围<br>全市各类生产经营单位。</p><p style="text-align:right">某市安全生产委员会</p>
<p>2026年2月27日</p></div><footer>版权所有 不应出现的页脚</footer></body></html>
"""


def docx_bytes(*paragraphs: str, table: list[list[str]] | None = None) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, text in enumerate(row):
                grid.cell(r, c).text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _pdf(objects: list[bytes]) -> bytes:
    """A minimal PDF with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _stream(content: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)


def _page(font: bytes | None, content: bytes | None) -> list[bytes]:
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
    if content is not None:
        page += b" /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >>"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page + b" >>"]
    if content is not None and font is not None:
        objects += [_stream(content), font]
    return objects


def latin_pdf_bytes(*lines: str) -> bytes:
    """A one-page PDF in Helvetica: each line shown with the ' operator."""
    shown = b" ".join(b"(%s) '" % line.encode("latin-1") for line in lines)
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    return _pdf(_page(font, b"BT /F1 12 Tf 72 770 Td 16 TL " + shown + b" ET"))


def cjk_pdf_bytes(*lines: str) -> bytes:
    """A one-page PDF in a CID font (Identity-H) whose ToUnicode map makes its Chinese extractable."""
    chars = sorted({c for line in lines for c in line})
    code = {c: i + 1 for i, c in enumerate(chars)}
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Adobe-Identity-UCS def "
        "/CMapType 2 def 1 begincodespacerange <0000> <FFFF> endcodespacerange "
        f"{len(chars)} beginbfchar " + " ".join(f"<{code[c]:04X}> <{ord(c):04X}>" for c in chars) + " endbfchar "
        "endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode()
    shown = b" ".join(b"<%s> '" % "".join(f"{code[c]:04X}" for c in line).encode() for line in lines)
    font = (
        b"<< /Type /Font /Subtype /Type0 /BaseFont /SimSun /Encoding /Identity-H /DescendantFonts [6 0 R] "
        b"/ToUnicode 7 0 R >>"
    )
    cid = (
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /SimSun "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>"
    )
    return _pdf([*_page(font, b"BT /F1 12 Tf 72 770 Td 16 TL " + shown + b" ET"), cid, _stream(cmap)])


def scanned_pdf_bytes() -> bytes:
    """A page with no text layer, as a scanner makes it (without the image, which does not matter)."""
    return _pdf(_page(None, None))


def encrypted_pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class GbkNamed(zipfile.ZipInfo):
    """A member named in GBK without the UTF-8 flag, as Chinese Windows' zip tools write it."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("gbk"), self.flag_bits


def zip_bytes(members: dict[str, bytes], *, gbk_names: bool = False) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(GbkNamed(name) if gbk_names else name, data)
    return out.getvalue()


def test_the_hand_made_pdfs_are_valid_pdfs() -> None:
    assert PdfReader(io.BytesIO(latin_pdf_bytes("Notice 2026"))).pages[0].extract_text() == "Notice 2026"
    assert "关于印发" in PdfReader(io.BytesIO(cjk_pdf_bytes("关于印发通知"))).pages[0].extract_text()
    assert PdfReader(io.BytesIO(scanned_pdf_bytes())).pages[0].extract_text() == ""
    assert PdfReader(io.BytesIO(encrypted_pdf_bytes())).is_encrypted


def test_gbk_named_members_carry_no_utf8_flag() -> None:
    with zipfile.ZipFile(io.BytesIO(zip_bytes({"通知.txt": b"x"}, gbk_names=True))) as archive:
        (info,) = archive.infolist()
    assert not info.flag_bits & 0x800
    assert info.filename.encode("cp437") == "通知.txt".encode("gbk")
