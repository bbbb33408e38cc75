"""Text that can always be written and shown: valid Unicode, no NUL, no secrets.

A PDF's text layer can map a glyph to a lone surrogate (a ToUnicode entry ``<DC01>``) or to
NUL; a file name can hold bytes that are not UTF-8 (Python keeps them as surrogates). Such
text cannot be encoded as UTF-8 (stdout, a log file, SQLite) nor stored by PostgreSQL (NUL).
``clean_text`` replaces every such character by U+FFFD and says how many it replaced;
``display_path`` shows undecodable file-name bytes as ``\\xff``; ``mask_secrets`` hides
the password of every URL in a message (``postgresql+psycopg://user:***@host/db``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

REPLACEMENT = "\ufffd"
# Lone surrogates (never valid in UTF-8) and NUL (refused by PostgreSQL text and JSONB).
_INVALID = re.compile("[\ud800-\udfff\x00]")
# scheme://user:password@host  →  scheme://user:***@host
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s:/@]*:)([^\s@/]+)(@)")
# password=… / pw=… / api_key=… in a query string or a libpq DSN
_KEY_VALUE = re.compile(r"(?i)\b(password|passwd|pwd|api_key|apikey|token|secret)=([^\s&;]+)")


def clean_text(text: str) -> tuple[str, int]:
    """``text`` with lone surrogates and NUL replaced by U+FFFD, and how many were."""
    out, n = _INVALID.subn(REPLACEMENT, text)
    return out, n


def safe_text(text: str) -> str:
    """``text`` that UTF-8 and PostgreSQL accept (see ``clean_text``)."""
    return _INVALID.sub(REPLACEMENT, text) if _INVALID.search(text) else text


def display_path(path: str | Path) -> str:
    """A file path as text: bytes of the name that are not UTF-8 shown as ``\\xff``."""
    s = str(path)
    if not _INVALID.search(s):
        return s
    try:
        raw = os.fsencode(s)
    except UnicodeError:
        return safe_text(s)
    return safe_text(raw.decode("utf-8", "backslashreplace"))


def mask_secrets(text: str) -> str:
    """``text`` with the password of every URL (and ``password=…`` pairs) shown as ``***``."""
    text = _URL_PASSWORD.sub(r"\1***\3", text)
    return _KEY_VALUE.sub(r"\1=***", text)


def mask_url(url: str) -> str:
    """A database or endpoint URL fit to print: its password replaced by ``***``."""
    return mask_secrets(url)
