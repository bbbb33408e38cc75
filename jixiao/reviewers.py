"""Reviewer logins: a JSON file of names with salted scrypt hashes, never plain text.

The file is named by ``JIXIAO_REVIEWERS_FILE`` and looks like::

    {"reviewers": {"wang": {"hash": "scrypt$16384$8$1$<salt b64>$<key b64>", "added": "…"}}}

``jixiao review add-reviewer NAME`` prompts for a password and writes the hash. Passwords
are compared with ``hmac.compare_digest``; an unknown name and a wrong password fail alike.
No Streamlit here: the review app (``ui``) and the CLI call these functions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from schemas.errors import ConfigError

# scrypt cost: n=2**14, r=8, p=1 (~16 MiB, tens of ms): the interactive-login setting.
_N, _R, _P = 2**14, 8, 1
_SALT_BYTES = 16
_KEY_BYTES = 32
NAME_RE = re.compile(r"^[\w.@-]{1,64}$")
MIN_PASSWORD = 8


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def hash_password(password: str, *, n: int = _N, r: int = _R, p: int = _P) -> str:
    """``scrypt$n$r$p$salt$key`` with a fresh random salt."""
    salt = secrets.token_bytes(_SALT_BYTES)
    key = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_KEY_BYTES, maxmem=2**26
    )
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(key)}"


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` hashes to ``stored``; a malformed hash never verifies."""
    try:
        scheme, n, r, p, salt_b64, key_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64, validate=True)
        key = base64.b64decode(key_b64, validate=True)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt,
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(key),
            maxmem=2**26,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, key)


def load_reviewers(path: Path) -> dict[str, dict[str, Any]]:
    """name → entry. A missing file is no reviewers; a broken one names the setting."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        reviewers = data["reviewers"]
        if not isinstance(reviewers, dict):
            raise TypeError("'reviewers' is not an object")
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ConfigError(
            f"reviewers file {path} is unreadable ({e}); fix it or point "
            "JIXIAO_REVIEWERS_FILE at another file"
        ) from e
    return {str(k): v for k, v in reviewers.items() if isinstance(v, dict)}


def add_reviewer(path: Path, name: str, password: str) -> None:
    """Add or replace a reviewer's password hash (written atomically, mode 0600)."""
    if not NAME_RE.match(name):
        raise ConfigError(f"reviewer name {name!r}: use 1-64 letters, digits, '.', '_', '-' or '@'")
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"password for {name!r} is too short: at least {MIN_PASSWORD} characters")
    reviewers = load_reviewers(path)
    reviewers[name] = {
        "hash": hash_password(password),
        "added": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _write(path, reviewers)


def remove_reviewer(path: Path, name: str) -> bool:
    reviewers = load_reviewers(path)
    if name not in reviewers:
        return False
    del reviewers[name]
    _write(path, reviewers)
    return True


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_hex(8)))
    return _DUMMY[0]


def authenticate(path: Path, name: str, password: str) -> bool:
    """True for a configured reviewer with that password."""
    entry = load_reviewers(path).get(name.strip())
    if entry is None:
        # Same work for an unknown name, so timing does not tell which names exist.
        verify_password(password, _dummy_hash())
        return False
    return verify_password(password, str(entry.get("hash", "")))


def _write(path: Path, reviewers: dict[str, Any]) -> None:
    """Replace the reviewers file in one step, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(
        json.dumps({"reviewers": reviewers}, ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    os.chmod(tmp, 0o600)
    tmp.replace(path)
