"""Zip members handed to workers as files: the batch process streams each member (1 MB at
a time) into a temporary file and sends the worker its path, so no member is ever held
whole in the batch process nor pickled to a worker. A file lives while its document is in
flight (at most two per worker) and is deleted when its result is back."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from jixiao.batch.archive import Found, ZipCache, copy_found
from jixiao.settings import Settings


class Spool:
    def __init__(self, settings: Settings, cache: ZipCache) -> None:
        self.settings, self.cache = settings, cache
        self._dir: Path | None = None

    @property
    def folder(self) -> Path:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="jixiao-batch-"))
        return self._dir

    def write(self, found: Found, job_id: int) -> tuple[Path, str]:
        """The member as a file of its own (removed on failure); returns it and its sha256."""
        path = self.folder / f"job-{job_id}.pdf"
        try:
            with path.open("wb") as f:
                digest, _size = copy_found(found, self.settings, f, self.cache)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path, digest

    def drop(self, path: str | None) -> None:
        if path and self._dir is not None and Path(path).parent == self._dir:
            Path(path).unlink(missing_ok=True)

    def close(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
