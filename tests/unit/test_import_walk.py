"""Walking what the operator named: folders, zips (nested, GBK-named, bombs) and the sidecars beside them."""

from __future__ import annotations

import io
import struct
import zipfile
from contextlib import ExitStack
from pathlib import Path

import pytest

from services.intake.importer import SourceFile, ZipLimits, collect_sources, member_name, parse_sidecar
from tests.unit.test_import_samples import zip_bytes


def collect(*paths: Path, **kwargs: object) -> list[SourceFile]:
    with ExitStack() as stack:
        sources = collect_sources(paths, stack=stack, **kwargs)  # type: ignore[arg-type]
        # Read inside the stack: zips are open only for the import's duration.
        return [SourceFile(s.name, (lambda d: lambda: d)(_safe_read(s)), s.rows, s.problem) for s in sources]


def _safe_read(source: SourceFile) -> bytes:
    try:
        return source.read()
    except ValueError:
        return b""


def names(sources: list[SourceFile], root: Path) -> list[str]:
    return [s.name.replace(str(root) + "/", "") for s in sources]


def test_folders_recurse_in_name_order_and_skip_hidden_and_system_files(tmp_path: Path) -> None:
    for name in ["b.txt", "a/c.pdf", "a/d.docx", ".hidden.txt", ".git/config", "Thumbs.db", "~$draft.docx", "x.jpg"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    assert names(collect(tmp_path), tmp_path) == ["b.txt", "x.jpg", "a/c.pdf", "a/d.docx"]


def test_zip_members_with_gbk_names_are_decoded_and_mac_and_folder_entries_skipped(tmp_path: Path) -> None:
    archive = tmp_path / "存档.zip"
    archive.write_bytes(zip_bytes({"公告/通知.txt": b"a", "__MACOSX/._x.txt": b"", "公告/": b""}, gbk_names=True))
    (source,) = collect(archive)
    assert source.name == f"{archive}!公告/通知.txt"
    assert source.read() == b"a"


@pytest.mark.parametrize("name", ["通知.txt", "公告/通知二.txt", "年度报告.pdf", "readme.txt"])
def test_unflagged_member_names_are_read_as_gbk_or_utf8(name: str) -> None:
    for raw in (name.encode("gbk"), name.encode("utf-8")):
        assert member_name(zipfile.ZipInfo(raw.decode("cp437"))) == name


def test_utf8_flagged_member_names_are_kept(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    archive.write_bytes(zip_bytes({"年度报告.txt": b"a"}))
    assert [s.name for s in collect(archive)] == [f"{archive}!年度报告.txt"]


def test_zips_in_folders_and_zips_in_zips_are_opened(tmp_path: Path) -> None:
    inner = zip_bytes({"deep.txt": b"d"})
    (tmp_path / "outer.zip").write_bytes(zip_bytes({"inner.zip": inner, "top.txt": b"t"}))
    sources = collect(tmp_path)
    assert names(sources, tmp_path) == ["outer.zip!inner.zip!deep.txt", "outer.zip!top.txt"]
    assert [s.read() for s in sources] == [b"d", b"t"]


def test_zips_nested_too_deep_are_refused(tmp_path: Path) -> None:
    nested = zip_bytes({"x.txt": b"x"})
    for level in range(3):
        nested = zip_bytes({f"level{level}.zip": nested})
    (tmp_path / "deep.zip").write_bytes(nested)
    (source,) = collect(tmp_path / "deep.zip")
    assert source.problem is not None and "nested deeper than 3" in source.problem


def test_an_archive_with_too_many_members_is_refused_whole(tmp_path: Path) -> None:
    (tmp_path / "many.zip").write_bytes(zip_bytes({f"{i}.txt": b"x" for i in range(11)}))
    (source,) = collect(tmp_path / "many.zip", zip_limits=ZipLimits(members=10))
    assert source.problem is not None and "archive too large" in source.problem


def test_an_archive_that_claims_to_unpack_to_gigabytes_is_refused_without_unpacking(tmp_path: Path) -> None:
    raw = bytearray(zip_bytes({"bomb.txt": b"0" * 1000}))
    central = raw.rindex(b"PK\x01\x02")
    raw[central + 24 : central + 28] = struct.pack("<I", 0xFFFFFFF0)  # uncompressed size in the central directory
    (tmp_path / "bomb.zip").write_bytes(bytes(raw))
    (source,) = collect(tmp_path / "bomb.zip")
    assert source.problem is not None and "archive too large" in source.problem


def test_nested_archives_share_one_budget(tmp_path: Path) -> None:
    inner = zip_bytes({f"{i}.txt": b"x" for i in range(6)})
    (tmp_path / "a.zip").write_bytes(zip_bytes({"one.zip": inner, "two.zip": inner}))
    problems = [s.problem for s in collect(tmp_path / "a.zip", zip_limits=ZipLimits(members=10))]
    assert problems.count(None) == 6
    assert any(p and "archive too large" in p for p in problems)


def test_a_corrupt_zip_is_one_failure(tmp_path: Path) -> None:
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really")
    (source,) = collect(tmp_path / "broken.zip")
    assert source.problem is not None and "not a readable zip" in source.problem


def test_encrypted_zip_members_fail_when_read(tmp_path: Path) -> None:
    raw = bytearray(zip_bytes({"a.txt": b"x"}))
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.index(signature)
        raw[at + flag_offset] |= 0x01  # "encrypted" flag bit
    (tmp_path / "locked.zip").write_bytes(bytes(raw))
    with ExitStack() as stack:
        (source,) = collect_sources([tmp_path / "locked.zip"], stack=stack)
        with pytest.raises(ValueError, match="encrypted zip member"):
            source.read()


def test_folder_sidecars_name_their_files_and_the_nearest_one_comes_first(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "metadata.csv").write_text("文件名,类别,部门\nsub/a.txt,art20.1,办公室\nb.txt,art20.2,\n")
    (tmp_path / "sub" / "metadata.json").write_text('{"a.txt": {"标题": "近处的标题"}}')
    (tmp_path / "sub" / "a.txt").write_text("甲")
    (tmp_path / "b.txt").write_text("乙")
    sources = collect(tmp_path)
    assert names(sources, tmp_path) == ["b.txt", "sub/a.txt"]
    assert [row for _, row in sources[1].rows] == [
        {"title": "近处的标题"},
        {"category": "art20.1", "department": "办公室"},
    ]
    assert [row for _, row in sources[0].rows] == [{"category": "art20.2"}]


def test_a_sidecar_inside_a_zip_names_its_members(tmp_path: Path) -> None:
    members = {"metadata.csv": "文件,标题\n通知.txt,压缩包里的标题\n".encode("gb18030"), "通知.txt": b"x"}
    (tmp_path / "a.zip").write_bytes(zip_bytes(members, gbk_names=True))
    (source,) = collect(tmp_path / "a.zip")
    assert source.rows[0][1] == {"title": "压缩包里的标题"}


def test_files_named_one_by_one_take_the_sidecar_beside_them(tmp_path: Path) -> None:
    (tmp_path / "metadata.csv").write_text("file,title\na.txt,Beside\n")
    (tmp_path / "a.txt").write_text("x")
    (source,) = collect(tmp_path / "a.txt", tmp_path / "metadata.csv")
    assert source.rows[0][1] == {"title": "Beside"}


def test_the_operators_metadata_file_comes_before_folder_sidecars(tmp_path: Path) -> None:
    (tmp_path / "metadata.csv").write_text("file,title\na.txt,Folder\n")
    (tmp_path / "a.txt").write_text("x")
    given = parse_sidecar(b"file,title\na.txt,Operator\n", "given.csv")
    (source,) = collect(tmp_path, metadata=given)
    assert [row["title"] for _, row in source.rows] == ["Operator", "Folder"]


def test_an_unreadable_sidecar_holds_back_the_files_it_governs(tmp_path: Path) -> None:
    (tmp_path / "metadata.json").write_text("{broken")
    (tmp_path / "a.txt").write_text("x")
    (source,) = collect(tmp_path)
    assert source.problem is not None and "metadata sidecar is unreadable" in source.problem


def test_zip_reads_are_bounded_by_the_declared_size(tmp_path: Path) -> None:
    raw = zip_bytes({"a.txt": b"y" * 100})
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        assert archive.infolist()[0].file_size == 100
