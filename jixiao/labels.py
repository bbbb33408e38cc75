"""``jixiao labels``: the labels the catalogue did not know, with counts.

Reads the ``UNKNOWN_LABEL`` findings of PDFs (extracted here, layout mode) or of every
record in a store, so a maintainer sees a new template after its first batch and can add
its labels to the catalogue (``schemas/records.py`` field metadata).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from extractor.checks.labels import CODE
from jixiao.settings import Settings


def count_unknown(records: Iterable[Mapping[str, Any]]) -> Counter[str]:
    """Unknown label texts → how many records print them (golden-shape records)."""
    out: Counter[str] = Counter()
    for rec in records:
        seen = {
            str(f.get("printed"))
            for f in rec.get("findings") or []
            if f.get("code") == CODE and f.get("printed")
        }
        out.update(seen)
    return out


def labels_of_pdfs(paths: Sequence[Path], settings: Settings | None = None) -> Counter[str]:
    from extractor.pipeline import extract_document
    from schemas.golden import to_golden

    records: list[dict[str, Any]] = []
    for p in paths:
        result = extract_document(p, settings or Settings())
        records += [
            to_golden(rr.record, rr.findings, with_provenance=False) for rr in result.records
        ]
    return count_unknown(records)


def labels_of_store(url: str | None) -> Counter[str]:
    from jixiao.store import list_records, open_store

    store = open_store(url)
    try:
        with store.session() as s:
            return count_unknown(row.data or {} for row in list_records(s))
    finally:
        store.close()


def format_counts(counts: Counter[str]) -> str:
    """One line per label, most frequent first: ``count<TAB>label``."""
    if not counts:
        return "no unknown labels"
    return "\n".join(
        f"{n}\t{text}" for text, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))
    )
