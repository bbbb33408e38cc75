"""Walking an archive: nested folders and zip files, safely.

Every PDF found becomes a ``Found`` with a *source* string: the absolute file path, or
``/abs/bundle.zip!dir/form.pdf`` for a zip member (``a.zip!inner.zip!form.pdf`` for a zip
inside a zip, up to ``JIXIAO_ZIP_MAX_DEPTH`` levels). Nothing is extracted to disk.

Refused (reported, never read): zip members with an absolute path or a ``..`` component
(path traversal), encrypted members, members larger than ``JIXIAO_ZIP_MAX_MEMBER_MB``
uncompressed, members that inflate more than ``JIXIAO_ZIP_MAX_RATIO`` times (zip bombs),
members beyond ``JIXIAO_ZIP_MAX_TOTAL_MB`` uncompressed in one zip, zips nested too deep,
zips that cannot be read, files that cannot be read (permissions: retried by the next
run once readable). Ignored (logged): files that are neither PDF nor zip, symlinks that
point outside the archive, dangling symlinks and symlink loops. A folder that cannot be
listed (or any other ``OSError`` while walking) is reported for that path
(kind ``unreadable``) and the walk goes on. Declared sizes are not trusted: a member is read
with a cap and refused if it turns out larger. Members are hashed as they stream (never
held whole in memory), and a zip inside a zip is read from a spooled temporary file.

Sources are text: bytes of a file name that are not UTF-8 are shown as ``\\xff``
(``Found.path`` keeps the real path).
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from extractor.ingest.hashing import file_sha256
from jixiao.settings import Settings
from schemas.errors import InputError
from schemas.sanitise import display_path

MB = 1024 * 1024
SEP = "!"
_CHUNK = 1 * MB
# A zip inside a zip is read from a temporary file past this size, never held in memory.
_SPOOL_BYTES = 8 * MB
# Below this size a high compression ratio is harmless (a page of blank text compresses well).
_RATIO_MIN_BYTES = 1 * MB


@dataclass(frozen=True)
class Found:
    """One thing met while walking: a PDF to process, a refused member, or an ignored file."""

    source: str
    kind: str  # "pdf", "refused", "ignored", "unreadable" (a folder or path the walk met)
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


def _why(e: BaseException) -> str:
    if isinstance(e, OSError):
        return e.strerror or str(e) or type(e).__name__
    return f"{type(e).__name__}: {e}"


def walk_archive(
    root: Path, settings: Settings, known: Callable[[str], bool] | None = None
) -> Iterator[Found]:
    """Everything under ``root`` (a folder, or a single zip or PDF), in sorted order. PDFs
    are hashed (sha256 of their bytes) unless ``known(source)`` says the ledger has them.
    Never raises for what it meets below ``root``: every problem is a ``Found``."""
    limits = Limits.from_settings(settings)
    known = known or (lambda _s: False)
    root = root.expanduser().resolve()
    if root.is_file():
        yield from _file(root, root.parent, limits, known)
        return
    if not root.is_dir():
        raise InputError(f"{display_path(root)}: no such folder or file")
    errors: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, onerror=errors.append, followlinks=False):
        yield from _walk_errors(errors)
        dirnames.sort()
        here = Path(dirpath)
        for d in list(dirnames):
            try:
                link = (here / d).is_symlink()
            except OSError as e:
                link, why = True, _why(e)
            else:
                why = "symlinked folder (not followed)"
            if link:
                dirnames.remove(d)
                yield Found(display_path(here / d), "ignored", reason=why)
        for name in sorted(filenames):
            yield from _file(here / name, root, limits, known)
    yield from _walk_errors(errors)


def _walk_errors(errors: list[OSError]) -> Iterator[Found]:
    """Folders ``os.walk`` could not list: one ``unreadable`` each."""
    while errors:
        e = errors.pop(0)
        where = display_path(e.filename) if e.filename else "?"
        yield Found(where, "unreadable", reason=f"cannot be listed: {_why(e)}")


def _symlink_problem(path: Path, root: Path) -> str | None:
    """Why a symlink is not followed (loop, dangling, outside, not a file), or None."""
    try:
        target = path.resolve(strict=True)
    except RuntimeError:  # Python < 3.13 reports a loop this way
        return "symlink loop (not followed)"
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symlink loop (not followed)"
        if isinstance(e, FileNotFoundError):
            return "dangling symlink (its target does not exist)"
        return f"symlink cannot be followed: {_why(e)}"
    if not target.is_relative_to(root):
        return "symlink to outside the archive"
    if not target.is_file():
        return "symlink to something that is not a file"
    return None


def _file(path: Path, root: Path, limits: Limits, known: Callable[[str], bool]) -> Iterator[Found]:
    source = display_path(path)
    found = _file_unsafe(path, source, root, limits, known)
    while True:
        try:
            f = next(found)
        except StopIteration:
            return
        except (OSError, RuntimeError, ValueError) as e:  # never fatal: one line, go on
            yield Found(source, "refused", reason=f"cannot be read: {_why(e)}")
            return
        yield f


def _file_unsafe(
    path: Path, source: str, root: Path, limits: Limits, known: Callable[[str], bool]
) -> Iterator[Found]:
    if path.is_symlink():
        problem = _symlink_problem(path, root)
        if problem:
            yield Found(source, "ignored", reason=problem)
            return
    try:
        st = path.stat()
    except OSError as e:
        yield Found(source, "refused", reason=f"cannot be read: {_why(e)}")
        return
    size = st.st_size
    if not stat.S_ISREG(st.st_mode):  # a FIFO would block the walk forever
        yield Found(source, "ignored", reason="not a regular file (FIFO, socket or device)")
        return
    if _is_zip_name(path.name):
        yield from _zip(path, source, limits, path, (), known)
    elif _is_pdf_name(path.name) or _sniff_pdf(path):
        digest = None
        if not known(source):
            try:
                digest = file_sha256(path)
            except OSError as e:
                yield Found(source, "refused", reason=f"cannot be read: {_why(e)}")
                return
        yield Found(source, "pdf", size=size, path=path, sha256=digest)
    else:
        yield Found(source, "ignored", size=size, reason="not a PDF or zip")


def _zip(
    opener: Path | IO[bytes],
    source: str,
    limits: Limits,
    disk_path: Path,
    chain: tuple[str, ...],
    known: Callable[[str], bool],
) -> Iterator[Found]:
    try:
        zf = zipfile.ZipFile(opener)
        infos = sorted(zf.infolist(), key=lambda i: i.filename)
    except Exception as e:  # BadZipFile, OSError, EOFError, a bad name encoding …
        yield Found(source, "refused", reason=f"zip cannot be read: {_why(e)}")
        return
    with zf:
        yield from _members(zf, infos, source, limits, disk_path, chain, known)


def _members(
    zf: zipfile.ZipFile,
    infos: list[zipfile.ZipInfo],
    source: str,
    limits: Limits,
    disk_path: Path,
    chain: tuple[str, ...],
    known: Callable[[str], bool],
) -> Iterator[Found]:
    depth = len(chain) + 1
    total = 0
    seen: dict[str, int] = {}
    for info in infos:
        if info.is_dir():
            continue
        name = info.filename
        n = seen.get(name, 0) + 1
        seen[name] = n
        member_source = f"{source}{SEP}{name}" + (f"#{n}" if n > 1 else "")
        is_pdf, is_zip = _is_pdf_name(name), _is_zip_name(name)
        if not (is_pdf or is_zip):
            yield Found(member_source, "ignored", size=info.file_size, reason="not a PDF or zip")
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
        members = (*chain, name)
        if is_pdf and known(member_source):
            yield Found(member_source, "pdf", info.file_size, None, disk_path, members)
            continue
        try:
            if is_pdf:
                digest, size = copy_member(zf, info, limits, None)
                yield Found(member_source, "pdf", size, None, disk_path, members, digest)
                continue
            with tempfile.SpooledTemporaryFile(_SPOOL_BYTES, prefix="jixiao-zip-") as inner:
                copy_member(zf, info, limits, inner)
                inner.seek(0)
                yield from _zip(inner, member_source, limits, disk_path, members, known)
        except InputError as e:
            yield Found(member_source, "refused", size=info.file_size, reason=str(e))


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


def copy_member(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, dest: IO[bytes] | None
) -> tuple[str, int]:
    """Stream a member into ``dest`` (or nowhere), 1 MB at a time, with a cap: a lying size
    header cannot inflate past it. Returns the sha256 and size of its bytes."""
    cap = min(
        limits.member_bytes, max(int(limits.ratio * max(info.compress_size, 1)), _RATIO_MIN_BYTES)
    )
    h, size = hashlib.sha256(), 0
    try:
        with zf.open(info) as f:
            while chunk := f.read(_CHUNK):
                size += len(chunk)
                if size > cap:
                    raise InputError(
                        "member inflates past its limit (zip bomb?): JIXIAO_ZIP_MAX_MEMBER_MB / "
                        "JIXIAO_ZIP_MAX_RATIO"
                    )
                h.update(chunk)
                if dest is not None:
                    dest.write(chunk)
    except InputError:
        raise
    except Exception as e:  # BadZipFile, OSError, EOFError, zlib.error, RuntimeError …
        raise InputError(f"zip member cannot be read: {_why(e)}") from e
    return h.hexdigest(), size


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


def copy_found(
    found: Found, settings: Settings, dest: IO[bytes] | None, cache: ZipCache | None = None
) -> tuple[str, int]:
    """Stream the bytes of a PDF found by ``walk_archive`` (a file, or a zip member chain)
    into ``dest`` (None: only hash them); returns their sha256 and size. A zip inside a
    zip is spooled to a temporary file, so no member is ever held whole in memory."""
    if found.path is None:
        raise InputError(f"{found.source}: nothing to read ({found.reason})")
    limits = Limits.from_settings(settings)
    try:
        if not found.members:
            return _copy_file(found.path, dest)
        outer = cache.get(found.path) if cache else zipfile.ZipFile(found.path)
        try:
            return _copy_chain(outer, found.members, limits, dest)
        finally:
            if cache is None:
                outer.close()
    except InputError as e:
        raise InputError(f"{found.source}: {e}") from e
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise InputError(f"{found.source}: cannot be read ({_why(e)})") from e


def _copy_file(path: Path, dest: IO[bytes] | None) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            if dest is not None:
                dest.write(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def _copy_chain(
    zf: zipfile.ZipFile, members: tuple[str, ...], limits: Limits, dest: IO[bytes] | None
) -> tuple[str, int]:
    info = zf.getinfo(members[0])
    if len(members) == 1:
        return copy_member(zf, info, limits, dest)
    with tempfile.SpooledTemporaryFile(_SPOOL_BYTES, prefix="jixiao-zip-") as inner:
        copy_member(zf, info, limits, inner)
        inner.seek(0)
        with zipfile.ZipFile(inner) as nested:
            return _copy_chain(nested, members[1:], limits, dest)


def current_sha256(found: Found, settings: Settings, cache: ZipCache | None = None) -> str | None:
    """The sha256 of a source's bytes as they are now; None when it cannot be read."""
    try:
        return copy_found(found, settings, None, cache)[0]
    except InputError:
        return None


def read_found(found: Found, settings: Settings, cache: ZipCache | None = None) -> bytes:
    """The bytes of a PDF found by ``walk_archive`` (file or zip member chain), in memory:
    for a viewer and for runners whose workers cannot see the archive (Dask)."""
    buf = io.BytesIO()
    copy_found(found, settings, buf, cache)
    return buf.getvalue()


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
