"""Header semantics: which printed label means which field. Driven by meaning, not position.

The labels come from the one catalogue (``schemas.catalogue``, declared on the schema
fields): a cell's text is normalised (``label_key``: NFKC, whitespace, 其中, enumerators,
bracketed notes, units, points, codes, trailing colons) and matched against the
category's patterns, then by similarity. ``label_how`` says how a label matched
(``label``, ``synonym`` or ``fuzzy``) for the provenance.
"""

from __future__ import annotations

import re
from typing import Protocol

from schemas.catalogue import CATALOGUE, label_key, lookup
from schemas.values import LabelMatch

Pattern = tuple[str, re.Pattern[str]]

# Every label category the mapper asks about, by name (the LLM path answers per category).
PATTERNS: dict[str, list[Pattern]] = {
    cat: [(e.field, re.compile(p)) for e in entries for p in e.patterns]
    for cat, entries in CATALOGUE.items()
}
FUNDS_BLOCK = re.compile(r"^项目资金|^资金投入|^年度资金|^资金情况|^预算执行情况|资金申请")
# Points printed inside a label: 预算执行情况(万元)(20分), 得分(20分*执行率).
POINTS = re.compile(r"[(（]\s*(\d+(?:\.\d+)?)\s*分")

__all__ = ["FUNDS_BLOCK", "PATTERNS", "POINTS", "Labeler", "label_how", "label_key"]


class Labeler(Protocol):
    """Says which field a printed label means within a category, or None."""

    def __call__(self, text: str, category: str) -> str | None: ...


def regex_labeler(text: str, category: str) -> str | None:
    """The deterministic labeler: the catalogue's patterns, then similarity."""
    hit = lookup(text, category)
    return hit[0] if hit else None


def label_how(text: str, category: str, label: Labeler | None = None) -> LabelMatch | None:
    """``synonym`` or ``fuzzy`` when ``text`` matched the catalogue that way in ``category``,
    for the provenance; None for the standard label, no match, or when ``label`` is another
    labeler than the catalogue's (the model's answers)."""
    if label is not None and label is not regex_labeler:
        return None
    hit = lookup(text, category)
    return hit[1] if hit and hit[1] is not LabelMatch.LABEL else None


def match(text: str, patterns: list[Pattern]) -> str | None:
    key = label_key(text)
    if not key:
        return None
    for field, rx in patterns:
        if rx.search(key):
            return field
    return None


def is_any_label(text: str, label: Labeler = regex_labeler) -> bool:
    return any(
        label(text, cat) is not None
        for cat in ("key", "decl_funds", "indicator_columns", "self_goals")
    )
