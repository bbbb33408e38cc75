"""``jixiao labels``: the labels the catalogue did not know, with counts.

Reads the ``UNKNOWN_LABEL`` findings of PDFs (extracted here, layout mode, with the taught
labels) or of every record in a store, so a maintainer sees a new template after its first
batch and can add its labels to the catalogue (``schemas/records.py`` field metadata), or
clerks teach them (``proposals_of_store``: proposals from the store's corrections, see
``jixiao.proposals``; ``jixiao.taught``: the taught catalogue file).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from extractor.checks.labels import CODE
from jixiao.proposals import Proposal, tally
from jixiao.settings import Settings
from schemas.catalogue import Learned
from schemas.results import LabelContext


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
    from jixiao.taught import taught_labels
    from schemas.golden import to_golden

    settings = settings or Settings()
    taught = taught_labels(settings)
    records: list[dict[str, Any]] = []
    for p in paths:
        result = extract_document(p, settings.extract_options(), taught=taught)
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


def proposals_of_store(url: str | None, taught: Sequence[Learned] = ()) -> list[Proposal]:
    """Label proposals from every correction in the store (see ``jixiao.proposals``)."""
    from sqlalchemy import select

    from jixiao.store import Document, RecordRow, open_store
    from jixiao.store.review import Correction

    store = open_store(url)
    try:
        with store.session() as s:
            rows = s.execute(
                select(Correction.record_id, Correction.field, Correction.new_value, RecordRow)
                .join(RecordRow, RecordRow.id == Correction.record_id)
                .where(Correction.new_value.is_not(None))
                .order_by(Correction.id)
            ).all()
            doc_ids = sorted({row.document_id for *_, row in rows})
            contexts: dict[int, LabelContext] = {}
            for i in range(0, len(doc_ids), 500):
                q = select(Document.id, Document.result["label_context"]).where(
                    Document.id.in_(doc_ids[i : i + 500])
                )
                for doc_id, ctx in s.execute(q):
                    contexts[doc_id] = LabelContext.model_validate(ctx or {})
            found = [
                (row.id, path, value, row.data or {}, contexts.get(row.document_id, LabelContext()))
                for _, path, value, row in rows
            ]
            return tally(found, taught)
    finally:
        store.close()


def format_counts(counts: Counter[str]) -> str:
    """One line per label, most frequent first: ``count<TAB>label``."""
    if not counts:
        return "no unknown labels"
    return "\n".join(
        f"{n}\t{text}" for text, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))
    )
