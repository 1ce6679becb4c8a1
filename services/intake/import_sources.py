"""Import sources: paths, folders and zip files (nested ones too, within limits) walked into files."""

from __future__ import annotations

import io
import os
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path, PurePosixPath

from services.intake.import_metadata import SIDECAR_NAMES, FileRejected, Sidecar, parse_sidecar
from services.intake.importer_formats import (
    MAX_FILE_BYTES,
    UnreadableFile,
)

__all__ = ["SourceFile", "ZipLimits", "collect_sources", "member_name"]

_IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}


# --- walking paths, folders and zips --------------------------------------------------------------


@dataclass(frozen=True)
class SourceFile:
    """One file to import: its name for the operator, how to read it, the sidecar rows that name it
    (nearest first), or the problem found while walking."""

    name: str
    read: Callable[[], bytes]
    rows: tuple[tuple[str, dict[str, str]], ...] = ()
    problem: str | None = None


@dataclass(frozen=True)
class _Entry:
    path: PurePosixPath  # below the path the operator named; members of x.zip sit below "x.zip/"
    name: str
    read: Callable[[], bytes]
    problem: str | None = None


@dataclass(frozen=True)
class ZipLimits:
    """Zip-bomb guards for one archive and every archive nested in it, together."""

    members: int = 20_000
    unpacked_bytes: int = 2 * 1024**3
    depth: int = 3


@dataclass
class _Budget:
    limits: ZipLimits
    members: int
    unpacked_bytes: int

    @classmethod
    def of(cls, limits: ZipLimits) -> _Budget:
        return cls(limits, limits.members, limits.unpacked_bytes)


def collect_sources(
    paths: Iterable[Path], *, stack: ExitStack, metadata: Sidecar | None = None, zip_limits: ZipLimits = ZipLimits()
) -> list[SourceFile]:
    """Every importable file below ``paths``; zips stay open on ``stack`` until the import ends."""
    sources: list[SourceFile] = []
    for path in paths:
        sources.extend(_attach_metadata(list(_entries(path, stack, zip_limits)), metadata))
    return sources


def _ignored(name: str) -> bool:
    base = PurePosixPath(name).name
    return base.startswith((".", "~$")) or base.lower() in _IGNORED_NAMES or name.startswith("__MACOSX/")


def _is_sidecar(path: PurePosixPath) -> bool:
    return path.name.lower() in SIDECAR_NAMES


def _entries(path: Path, stack: ExitStack, limits: ZipLimits) -> Iterator[_Entry]:
    if path.is_dir():
        yield from _folder_entries(path, stack, limits)
        return
    for sidecar in SIDECAR_NAMES:  # files named one by one still take their folder's sidecar
        beside = path.parent / sidecar
        if beside.is_file() and beside.name != path.name:
            yield _Entry(PurePosixPath(sidecar), str(beside), partial(_read_file, beside))
    yield from _file_entries(path, PurePosixPath(path.name), stack, limits)


def _folder_entries(root: Path, stack: ExitStack, limits: ZipLimits) -> Iterator[_Entry]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__MACOSX")
        for file in sorted(files):
            if not _ignored(file):
                path = Path(folder) / file
                yield from _file_entries(path, PurePosixPath(path.relative_to(root).as_posix()), stack, limits)


def _file_entries(path: Path, virtual: PurePosixPath, stack: ExitStack, limits: ZipLimits) -> Iterator[_Entry]:
    if path.suffix.lower() != ".zip":
        yield _Entry(virtual, str(path), partial(_read_file, path))
        return
    try:
        archive = stack.enter_context(zipfile.ZipFile(path))
    except (zipfile.BadZipFile, OSError) as exc:
        yield _Entry(virtual, str(path), bytes, problem=f"not a readable zip file ({type(exc).__name__})")
        return
    yield from _zip_entries(archive, virtual, str(path), _Budget.of(limits), depth=1)


def _read_file(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise UnreadableFile(f"larger than {MAX_FILE_BYTES // 2**20} MiB")
        return path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot read the file ({exc.strerror})") from None


def member_name(info: zipfile.ZipInfo) -> str:
    """A member's name: UTF-8 when flagged, else the raw bytes as UTF-8 or GBK (Chinese Windows zips).

    Short GBK names can be valid UTF-8 too (通知 → "֪ͨ"): the reading with fewer implausible characters wins.
    """
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437")  # zipfile decoded the unflagged bytes as CP437
    readings = [text for codec in ("utf-8", "gb18030") if (text := _decoded(raw, codec)) is not None]
    return max(readings, key=_plausible_chars, default=info.filename)  # max keeps the first (UTF-8) on ties


def _decoded(raw: bytes, codec: str) -> str | None:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError:
        return None


def _plausible_chars(name: str) -> float:
    """The share of ASCII, CJK ideographs and CJK or full-width punctuation: mojibake scores low."""
    plausible = sum(1 for c in name if c.isascii() or _is_cjk(c))
    return plausible / max(len(name), 1)


def _is_cjk(c: str) -> bool:
    return "\u3000" <= c <= "\u303f" or "\u4e00" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef"


def _zip_entries(
    archive: zipfile.ZipFile, virtual: PurePosixPath, display: str, budget: _Budget, *, depth: int
) -> Iterator[_Entry]:
    members = [info for info in archive.infolist() if not info.is_dir()]
    expanded = sum(info.file_size for info in members)
    if len(members) > budget.members or expanded > budget.unpacked_bytes:
        limits = budget.limits
        problem = f"archive too large (over {limits.members} files or {limits.unpacked_bytes:,} bytes unpacked)"
        yield _Entry(virtual, display, bytes, problem=problem)
        return
    budget.members -= len(members)
    budget.unpacked_bytes -= expanded
    for info in members:
        name = member_name(info).lstrip("/")
        if _ignored(name):
            continue
        entry = _Entry(virtual / name, f"{display}!{name}", partial(_read_member, archive, info))
        if name.lower().endswith(".zip"):
            yield from _nested_zip(entry, budget, depth=depth + 1)
        else:
            yield entry


def _nested_zip(entry: _Entry, budget: _Budget, *, depth: int) -> Iterator[_Entry]:
    if depth > budget.limits.depth:
        yield replace(entry, problem=f"zip nested deeper than {budget.limits.depth} levels")
        return
    try:
        archive = zipfile.ZipFile(io.BytesIO(entry.read()))
    except (UnreadableFile, zipfile.BadZipFile, OSError, ValueError) as exc:
        yield replace(entry, problem=f"not a readable zip file ({exc})")
        return
    yield from _zip_entries(archive, entry.path, entry.name, budget, depth=depth)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    if info.file_size > MAX_FILE_BYTES:
        raise UnreadableFile(f"larger than {MAX_FILE_BYTES // 2**20} MiB")
    try:
        with archive.open(info) as member:
            return member.read(MAX_FILE_BYTES + 1)
    except RuntimeError:
        raise UnreadableFile("encrypted zip member: unpack it with its password first") from None
    except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, zlib.error) as exc:
        raise UnreadableFile(f"damaged zip member ({type(exc).__name__})") from None


def _attach_metadata(entries: list[_Entry], given: Sidecar | None) -> Iterator[SourceFile]:
    sidecars: dict[PurePosixPath, Sidecar | str] = {}
    for entry in filter(lambda e: _is_sidecar(e.path), entries):
        try:
            sidecars[entry.path.parent] = parse_sidecar(entry.read(), entry.name)
        except (FileRejected, UnreadableFile) as exc:
            sidecars[entry.path.parent] = f"skipped: its metadata sidecar is unreadable ({exc})"
    for entry in entries:
        if not _is_sidecar(entry.path):
            yield _source(entry, sidecars, given)


def _source(entry: _Entry, sidecars: dict[PurePosixPath, Sidecar | str], given: Sidecar | None) -> SourceFile:
    rows: list[tuple[str, dict[str, str]]] = []
    problem = entry.problem
    if given is not None and (row := given.row_for(entry.path)) is not None:
        rows.append((given.name, row))
    for folder in entry.path.parents:  # nearest first
        sidecar = sidecars.get(folder)
        if isinstance(sidecar, str):
            problem = problem or sidecar
        elif sidecar is not None and (row := sidecar.row_for(entry.path.relative_to(folder))) is not None:
            rows.append((sidecar.name, row))
    return SourceFile(entry.name, entry.read, tuple(rows), problem)
