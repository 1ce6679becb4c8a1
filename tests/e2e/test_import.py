"""``gongkai import`` while the platform runs: archive items reach the review queue, or, already
published, the portal with their original date."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from fastapi.testclient import TestClient

from gongkai.cli import cli
from tests.e2e.conftest import Staff
from tests.polling import eventually_sync
from tests.unit.test_import_samples import (
    HTML_PAGE,
    NOTICE,
    TRADITIONAL,
    cjk_pdf_bytes,
    docx_bytes,
    zip_bytes,
)

TITLES = {
    "关于印发《2026年国民经济和社会发展计划》的通知",
    "关于开展安全生产大检查的通知",
    "關於調整公共運輸票價的公告",
    "关于年度预算的说明",
    "关于重大建设项目审批结果的公告",
    "关于第二批重大建设项目的通知",
}


def mixed_archive(root: Path) -> Path:
    """A folder as agencies keep it: GB18030 and Big5 text, a GBK web page, Word, PDF, a zip, a sidecar, junk."""
    folder = root / "archive"
    (folder / "2026").mkdir(parents=True)
    (folder / "2026" / "计划.txt").write_bytes(NOTICE.encode("gb18030"))
    (folder / "2026" / "安全检查.html").write_bytes(HTML_PAGE.encode("gbk"))
    (folder / "公告.txt").write_bytes(TRADITIONAL.encode("big5"))
    (folder / "预算.docx").write_bytes(docx_bytes("关于年度预算的说明", "2026年部门预算已经批准。", "2026年1月20日"))
    (folder / "审批.pdf").write_bytes(cjk_pdf_bytes("关于重大建设项目审批结果的公告", "项目已获批准。", "2026年2月3日"))
    second = "关于第二批重大建设项目的通知\n第二批项目名单见附件。\n2026年4月1日\n".encode("gb18030")
    (folder / "批次.zip").write_bytes(
        zip_bytes({"第二批/通知.txt": second, "__MACOSX/._通知.txt": b""}, gbk_names=True)
    )
    (folder / "损坏.docx").write_bytes(b"\x00\x01 not a word file" * 20)
    (folder / "metadata.csv").write_bytes(
        "文件名,类别,发布机构,发布日期\n"
        "预算.docx,财政预算、决算信息,市财政局,2026-01-21\n"
        "2026/计划.txt,art20.3,市发展和改革委员会,2026-03-05\n".encode("gb18030")
    )
    return folder


def import_archive(folder: Path, data_dir: Path, *extra: str) -> str:
    result = CliRunner().invoke(
        cli,
        [
            "import",
            str(folder),
            "--data-dir",
            str(data_dir),
            "--category",
            "art20.10",
            "--department",
            "办公室",
            *extra,
        ],
        env={"GONGKAI_BUS": "embedded", "GONGKAI_CLOCK": "2026-06-01T10:00:00+08:00"},
    )
    assert result.exit_code == 1, result.output  # the corrupt .docx
    assert f"  {folder / '损坏.docx'}: not a readable .docx" in result.stdout
    assert result.stdout.startswith("imported 6 files")
    return result.stdout


def test_an_imported_folder_of_mixed_files_waits_in_the_review_queue(
    embedded: tuple[TestClient, Staff], tmp_path: Path
) -> None:
    client, staff = embedded
    summary = import_archive(mixed_archive(tmp_path), tmp_path)
    assert "(docx 1, html 1, pdf 1, txt 3)" in summary

    def queue() -> list[dict[str, object]]:
        answer = client.get("/api/v1/documents", params={"status": "in_review"}, headers=staff.reviewer)
        return list(answer.json()["items"])

    eventually_sync(lambda: len(queue()) == 6, timeout=15)
    by_title = {item["title"]: item for item in queue()}
    assert set(by_title) == TITLES
    plan = by_title["关于印发《2026年国民经济和社会发展计划》的通知"]
    assert (plan["category"], plan["department"], plan["doc_number"]) == (
        "art20.3",
        "市发展和改革委员会",
        "某发改〔2026〕12号",
    )
    assert plan["formed_on"] == "2026-03-02"
    budget = by_title["关于年度预算的说明"]
    assert (budget["category"], budget["department"], budget["formed_on"]) == ("art20.7", "市财政局", "2026-01-20")


def test_importing_again_adds_nothing(embedded: tuple[TestClient, Staff], tmp_path: Path) -> None:
    client, staff = embedded
    folder = mixed_archive(tmp_path)
    import_archive(folder, tmp_path)
    import_archive(folder, tmp_path)

    def total() -> int:
        return len(client.get("/api/v1/documents", params={"size": 200}, headers=staff.reviewer).json()["items"])

    eventually_sync(lambda: total() == 6, timeout=15)
    assert total() == 6


def test_already_published_imports_become_searchable_with_their_original_date(
    embedded: tuple[TestClient, Staff], tmp_path: Path
) -> None:
    client, _ = embedded
    import_archive(mixed_archive(tmp_path), tmp_path, "--already-published")

    def hits() -> list[dict[str, str]]:
        return list(client.get("/api/v1/search", params={"size": 20}).json()["hits"])

    eventually_sync(lambda: len(hits()) == 6, timeout=10)
    assert {hit["title"]: hit["published_at"] for hit in hits()} == {
        "关于印发《2026年国民经济和社会发展计划》的通知": "2026-03-05T00:00:00+08:00",  # 发布日期 of the sidecar
        "关于开展安全生产大检查的通知": "2026-03-01T00:00:00+08:00",  # 发布日期 on the web page
        "关于年度预算的说明": "2026-01-21T00:00:00+08:00",
        "关于重大建设项目审批结果的公告": "2026-02-03T00:00:00+08:00",  # else the 成文日期
        "关于第二批重大建设项目的通知": "2026-04-01T00:00:00+08:00",
        "關於調整公共運輸票價的公告": "2026-01-05T00:00:00+08:00",
    }
