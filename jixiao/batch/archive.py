"""Walking an archive: nested folders and zip files, safely.

Every PDF found becomes a ``Found`` with a *source* string: the absolute file path, or
``/abs/bundle.zip!dir/form.pdf`` for a zip member (``a.zip!inner.zip!form.pdf`` for a zip
inside a zip, up to ``JIXIAO_ZIP_MAX_DEPTH`` levels). Nothing is extracted to disk.

Refused (reported, never read): zip members with an absolute path or a ``..`` component
(path traversal), encrypted members, members larger than ``JIXIAO_ZIP_MAX_MEMBER_MB``
uncompressed, members that inflate more than ``JIXIAO_ZIP_MAX_RATIO`` times (zip bombs),
members beyond ``JIXIAO_ZIP_MAX_TOTAL_MB`` uncompressed in one zip, zips nested too deep,
zips that cannot be read. Ignored (logged): files that are neither PDF nor zip, and
symlinks that point outside the archive. Declared sizes are not trusted: a member is read
with a cap and refused if it turns out larger.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from jixiao.errors import InputError
from jixiao.hashing import file_sha256, sha256_bytes
from jixiao.settings import Settings

MB = 1024 * 1024
SEP = "!"
# Below this size a high compression ratio is harmless (a page of blank text compresses well).
_RATIO_MIN_BYTES = 1 * MB


@dataclass(frozen=True)
class Found:
    """One thing met while walking: a PDF to process, a refused member, or an ignored file."""

    source: str
    kind: str  # "pdf", "refused", "ignored"
    size: int | None = None
    reason: str | None = None  # why refused or ignored
    path: Path | None = None  # the file on disk (the outermost zip for members)
    members: tuple[str, ...] = field(default=())  # zip member chain, outermost first
    sha256: str | None = None  # content hash (PDFs not already in the ledger)

    @property
    def in_zip(self) -> bool:
        return bool(self.members)


@dataclass
class Limits:
    member_bytes: int
    total_bytes: int
    ratio: float
    depth: int

    @classmethod
    def from_settings(cls, s: Settings) -> Limits:
        return cls(
            member_bytes=int(s.zip_max_member_mb * MB),
            total_bytes=int(s.zip_max_total_mb * MB),
            ratio=s.zip_max_ratio,
            depth=s.zip_max_depth,
        )


def _is_pdf_name(name: str) -> bool:
    return name.lower().endswith(".pdf")


def _is_zip_name(name: str) -> bool:
    return name.lower().endswith(".zip")


def unsafe_member_name(name: str) -> str | None:
    """Why a zip member name is refused (absolute, drive letter, ``..``, NUL), or None."""
    if "\x00" in name:
        return "member name contains a NUL byte"
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":"):
        return "absolute member path (path traversal)"
    if any(part == ".." for part in PurePosixPath(norm).parts):
        return "member path contains '..' (path traversal)"
    return None


def _sniff_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return b"%PDF-" in f.read(1024)
    except OSError:
        return False


def walk_archive(
    root: Path, settings: Settings, known: Callable[[str], bool] | None = None
) -> Iterator[Found]:
    """Everything under ``root`` (a folder, or a single zip or PDF), in sorted order. PDFs
    are hashed (sha256 of their bytes) unless ``known(source)`` says the ledger has them."""
    limits = Limits.from_settings(settings)
    known = known or (lambda _s: False)
    root = root.expanduser().resolve()
    if root.is_file():
        yield from _file(root, root.parent, limits, known)
        return
    if not root.is_dir():
        raise InputError(f"{root}: no such folder or file")
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        here = Path(dirpath)
        for d in list(dirnames):
            if (here / d).is_symlink():
                dirnames.remove(d)
                yield Found(str(here / d), "ignored", reason="symlinked folder (not followed)")
        for name in sorted(filenames):
            yield from _file(here / name, root, limits, known)


def _file(path: Path, root: Path, limits: Limits, known: Callable[[str], bool]) -> Iterator[Found]:
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(root) or not target.is_file():
            yield Found(str(path), "ignored", reason="symlink to outside the archive")
            return
    try:
        size = path.stat().st_size
    except OSError as e:
        yield Found(str(path), "refused", reason=f"cannot be read: {e.strerror or e}")
        return
    if _is_zip_name(path.name):
        yield from _zip(path, str(path), limits, path, (), known)
    elif _is_pdf_name(path.name) or _sniff_pdf(path):
        digest = None
        if not known(str(path)):
            try:
                digest = file_sha256(path)
            except OSError as e:
                yield Found(str(path), "refused", reason=f"cannot be read: {e.strerror or e}")
                return
        yield Found(str(path), "pdf", size=size, path=path, sha256=digest)
    else:
        yield Found(str(path), "ignored", size=size, reason="not a PDF or zip")


def _zip(
    opener: Path | IO[bytes],
    source: str,
    limits: Limits,
    disk_path: Path,
    chain: tuple[str, ...],
    known: Callable[[str], bool],
) -> Iterator[Found]:
    depth = len(chain) + 1
    try:
        zf = zipfile.ZipFile(opener)
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        yield Found(source, "refused", reason=f"zip cannot be read: {e}")
        return
    with zf:
        total = 0
        seen: dict[str, int] = {}
        for info in sorted(zf.infolist(), key=lambda i: i.filename):
            if info.is_dir():
                continue
            name = info.filename
            n = seen.get(name, 0) + 1
            seen[name] = n
            member_source = f"{source}{SEP}{name}" + (f"#{n}" if n > 1 else "")
            is_pdf, is_zip = _is_pdf_name(name), _is_zip_name(name)
            if not (is_pdf or is_zip):
                yield Found(
                    member_source, "ignored", size=info.file_size, reason="not a PDF or zip"
                )
                continue
            why = unsafe_member_name(name) or _member_limits(info, limits, total)
            if n > 1:
                why = why or "duplicate member name in the zip"
            if is_zip and not why and depth >= limits.depth:
                why = f"zip nested deeper than {limits.depth} levels (JIXIAO_ZIP_MAX_DEPTH)"
            if why:
                yield Found(member_source, "refused", size=info.file_size, reason=why)
                continue
            total += info.file_size
            if is_pdf and known(member_source):
                yield Found(member_source, "pdf", info.file_size, None, disk_path, (*chain, name))
                continue
            try:
                data = _read_member(zf, info, limits)
            except InputError as e:
                yield Found(member_source, "refused", size=info.file_size, reason=str(e))
                continue
            if is_pdf:
                yield Found(
                    member_source,
                    "pdf",
                    size=len(data),
                    path=disk_path,
                    members=(*chain, name),
                    sha256=sha256_bytes(data),
                )
            else:
                chain2 = (*chain, name)
                yield from _zip(io.BytesIO(data), member_source, limits, disk_path, chain2, known)


def _member_limits(info: zipfile.ZipInfo, limits: Limits, total: int) -> str | None:
    if info.flag_bits & 0x1:
        return "encrypted zip member"
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size >= _RATIO_MIN_BYTES and ratio > limits.ratio:
        return (
            f"member inflates {ratio:.0f}x (zip bomb?), over JIXIAO_ZIP_MAX_RATIO={limits.ratio:g}"
        )
    if info.file_size > limits.member_bytes:
        return (
            f"member is {info.file_size / MB:.1f} MB uncompressed, over the "
            f"{limits.member_bytes / MB:g} MB limit (JIXIAO_ZIP_MAX_MEMBER_MB)"
        )
    if total + info.file_size > limits.total_bytes:
        return (
            f"the zip's members exceed {limits.total_bytes / MB:g} MB uncompressed in all "
            "(JIXIAO_ZIP_MAX_TOTAL_MB)"
        )
    return None


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> bytes:
    """The member's bytes, read with a cap: a lying size header cannot inflate past it."""
    cap = min(
        limits.member_bytes, max(int(limits.ratio * max(info.compress_size, 1)), _RATIO_MIN_BYTES)
    )
    try:
        with zf.open(info) as f:
            data = f.read(cap + 1)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as e:
        raise InputError(f"zip member cannot be read: {e}") from e
    if len(data) > cap:
        raise InputError(
            "member inflates past its limit (zip bomb?): JIXIAO_ZIP_MAX_MEMBER_MB / "
            "JIXIAO_ZIP_MAX_RATIO"
        )
    return data


class ZipCache:
    """Open outermost zips kept for reuse: reading many members of one big zip opens (and
    parses the central directory of) that zip once, not once per member."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._open: dict[Path, zipfile.ZipFile] = {}

    def get(self, path: Path) -> zipfile.ZipFile:
        zf = self._open.pop(path, None)
        if zf is None:
            zf = zipfile.ZipFile(path)
            while len(self._open) >= self.size:
                self._open.pop(next(iter(self._open))).close()
        self._open[path] = zf  # most recently used last
        return zf

    def close(self) -> None:
        for zf in self._open.values():
            zf.close()
        self._open.clear()


def read_found(found: Found, settings: Settings, cache: ZipCache | None = None) -> bytes:
    """The bytes of a PDF found by ``walk_archive`` (file or zip member chain)."""
    if found.path is None:
        raise InputError(f"{found.source}: nothing to read ({found.reason})")
    if not found.members:
        return found.path.read_bytes()
    limits = Limits.from_settings(settings)
    data = b""
    try:
        outer = cache.get(found.path) if cache else zipfile.ZipFile(found.path)
        zf = outer
        for depth, name in enumerate(found.members):
            data = _read_member(zf, zf.getinfo(name), limits)
            if depth + 1 < len(found.members):
                zf = zipfile.ZipFile(io.BytesIO(data))
        if cache is None:
            outer.close()
    except (zipfile.BadZipFile, KeyError, OSError) as e:
        raise InputError(f"{found.source}: cannot be read ({e})") from e
    return data


def found_from_source(source: str) -> Found:
    """Rebuild how to read a source string (``/a/b.pdf`` or ``/a/b.zip!m.pdf``)."""
    if SEP not in source or Path(source).is_file():
        return Found(source, "pdf", path=Path(source))
    # The shortest prefix ending before a "!" that is a zip on disk.
    start = 0
    while True:
        i = source.find(SEP, start)
        if i < 0:
            return Found(source, "pdf", path=Path(source))
        head = Path(source[:i])
        if head.is_file() and zipfile.is_zipfile(head):
            break
        start = i + 1
    rest = source[i + 1 :]
    members: list[str] = []
    opener: Path | IO[bytes] = head
    while rest:
        with zipfile.ZipFile(opener) as zf:
            names = set(zf.namelist())
            if rest in names:
                members.append(rest)
                break
            j = rest.find(SEP)
            while j >= 0 and rest[:j] not in names:
                j = rest.find(SEP, j + 1)
            if j < 0:
                raise InputError(f"{source}: member not found in {head}")
            members.append(rest[:j])
            opener = io.BytesIO(zf.read(rest[:j]))
            rest = rest[j + 1 :]
    return Found(source, "pdf", path=head, members=tuple(members))


def read_source(source: str, settings: Settings | None = None) -> bytes:
    """The PDF bytes behind a ``documents.path`` / ``jobs.source`` string (for a viewer)."""
    from jixiao.settings import load_settings

    return read_found(found_from_source(source), settings or load_settings())
