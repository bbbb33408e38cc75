"""SHA-256 of bytes and of files (content identity of documents, integrity of model files).

Standard library only: cheap to import where PyMuPDF is not loaded yet.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path, chunk_size: int = 1 << 20) -> str:
    """The hex SHA-256 of a file, read ``chunk_size`` bytes at a time."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()
