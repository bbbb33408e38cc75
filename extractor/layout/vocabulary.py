"""The fixed indicator taxonomy (``schemas.taxonomy``) applied to printed labels.

Used to complete a label clipped at a page break and to fill a
blank merged 一级指标 cell from its 二级指标; never to rewrite a label that is printed whole.
"""

from __future__ import annotations

import re
import unicodedata

from schemas.taxonomy import LEVEL1, LEVEL2_PARENT

__all__ = ["LEVEL1", "LEVEL2_PARENT", "canon", "complete_clipped", "parent_of"]


def canon(s: str | None) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s or ""))


def parent_of(level2: str | None) -> str | None:
    """The 一级指标 a 二级指标 label belongs to (tolerating a missing trailing 指标)."""
    c = canon(level2)
    if not c:
        return None
    if c in LEVEL2_PARENT:
        return LEVEL2_PARENT[c]
    hits = {p for k, p in LEVEL2_PARENT.items() if k.startswith(c) or c.startswith(k[:-2])}
    return hits.pop() if len(hits) == 1 else None


def complete_clipped(label: str, level: int) -> str | None:
    """The one vocabulary label that a clipped label is a strict prefix of, else None."""
    c = canon(label)
    if not c:
        return None
    vocab = LEVEL1 if level == 1 else tuple(LEVEL2_PARENT)
    if c in vocab:
        return None
    # A clip keeps most of the label: two characters of nine are not evidence enough.
    hits = [v for v in vocab if v.startswith(c) and len(c) * 2 >= len(v)]
    return hits[0] if len(hits) == 1 else None
