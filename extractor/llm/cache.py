"""Answers cached by content hash, so a rerun over the same archive makes no model call.

Key: sha256 of (PDF content hash, pages, prompt version, model, schema version, question).
Stored in SQLite (stdlib) under the cache directory; safe for several processes.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any


def cache_key(
    pdf_sha256: str,
    pages: list[int],
    prompt_version: str,
    model: str,
    schema_version: str,
    question: Any,
) -> str:
    payload = json.dumps(
        [pdf_sha256, pages, prompt_version, model, schema_version, question],
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


class AnswerCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, created REAL, "
                "model TEXT, prompt_version TEXT, value TEXT)"
            )

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def get(self, key: str) -> dict[str, Any] | None:
        with self._connect() as db:
            row = db.execute("SELECT value FROM answers WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, value: dict[str, Any], model: str, prompt_version: str) -> None:
        with self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)",
                (key, time.time(), model, prompt_version, json.dumps(value, ensure_ascii=False)),
            )
