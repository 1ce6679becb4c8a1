"""``gongkai import``: options, exit status, progress on stderr and the summary on stdout."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from gongkai.cli import cli
from tests.unit.test_import_samples import NOTICE, docx_bytes, scanned_pdf_bytes

ENV = {"GONGKAI_BUS": "embedded", "GONGKAI_CLOCK": "2026-06-01T10:00:00+08:00"}


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["import", *args], env=ENV)


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    folder = tmp_path / "archive"
    folder.mkdir()
    (folder / "notice.txt").write_bytes(NOTICE.encode("gb18030"))
    (folder / "budget.docx").write_bytes(docx_bytes("关于年度预算的说明", "预算正文。"))
    return folder


def test_a_dry_run_of_a_clean_folder_exits_0_with_a_summary_and_touches_no_data(archive: Path, tmp_path: Path) -> None:
    data = tmp_path / "var"
    result = run(str(archive), "--data-dir", str(data), "--category", "art20.1", "--department", "办公室", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["would import 2 files for review (docx 1, txt 1)"]
    assert "2/2" in result.stderr  # the progress bar
    assert not data.exists()


def test_failed_files_exit_1_and_are_named_with_their_reason(archive: Path, tmp_path: Path) -> None:
    (archive / "scan.pdf").write_bytes(scanned_pdf_bytes())
    result = run(str(archive), "--data-dir", str(tmp_path / "var"), "--category", "art20.1", "--department", "办公室")
    assert result.exit_code == 1, result.output
    assert f"  {archive / 'scan.pdf'}: no text layer (scanned image?)" in result.stdout.splitlines()
    assert result.stdout.startswith("imported 2 files for review")
    assert "重大建设项目" not in result.output
    assert (tmp_path / "var" / "bus.db").exists()


def test_without_a_category_every_file_fails_with_the_way_out(archive: Path, tmp_path: Path) -> None:
    result = run(str(archive), "--data-dir", str(tmp_path / "var"), "--department", "办公室", "--dry-run")
    assert result.exit_code == 1
    assert result.stdout.count("no category: add 类别 to the metadata sidecar or pass --category") == 2


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["/does/not/exist"],
        ["{archive}", "--category", "art99"],
        ["{archive}", "--doc-type", "law"],
        ["{archive}", "--metadata", "{archive}/notice.txt"],
    ],
)
def test_usage_errors_exit_2(archive: Path, args: list[str]) -> None:
    result = run(*(a.format(archive=archive) for a in args))
    assert result.exit_code == 2, result.output


def test_the_operators_metadata_file_is_used(archive: Path, tmp_path: Path) -> None:
    sidecar = tmp_path / "台账.csv"
    sidecar.write_bytes(
        "文件名,类别,部门\nnotice.txt,art20.3,市发展改革委\nbudget.docx,art20.7,市财政局\n".encode("gb18030")
    )
    result = run(str(archive), "--metadata", str(sidecar), "--dry-run")
    assert result.exit_code == 0, result.output
