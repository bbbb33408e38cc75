"""Map stage: each record's rows to a schema record (checked at once), with the labels
read by the catalogue's patterns or, in ``llm`` mode, by the model."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from extractor.layout.headers import Labeler
from extractor.layout.segment import Segment
from extractor.stages.check import Checking, Outcome
from schemas.document_errors import DocumentError, ErrorCode
from schemas.version import SCHEMA_VERSION

if TYPE_CHECKING:
    from extractor.llm.asker import Asker

Images = Callable[[list[int]], list[bytes] | None]


def map_records(
    segments: list[Segment], label: Labeler, checking: Checking, errors: list[DocumentError]
) -> list[Outcome]:
    """Each segment's reading, in order; a segment whose mapping raised is None and adds
    an error to ``errors`` (the document's other records are still read)."""
    out: list[Outcome] = []
    for s in segments:
        try:
            out.append(checking.read(s, label))
        except Exception as e:
            why = f"pages {s.pages}: record could not be mapped ({type(e).__name__}: {e})"
            errors.append(DocumentError(code=ErrorCode.RECORD_UNMAPPED, message=why))
            out.append(None)
    return out


def model_labeler(
    asker: Asker,
    segments: list[Segment],
    pdf_sha256: str,
    errors: list[DocumentError],
    images: Images | None = None,
    fallback: Labeler | None = None,
) -> Labeler:
    """``llm`` mode: the labels of every candidate row, as the model reads them (a
    question the model does not answer adds an error to ``errors``)."""
    from extractor.llm.questions import ModelLabeler
    from extractor.llm.route import ask_labels, candidate_rows, forms_of

    rows = candidate_rows(segments, unknown_only=fallback is not None)
    pages = sorted({p for s in segments for p in s.pages})
    labels: dict[str, dict[str, str]] = {}
    if rows:
        labels = ask_labels(
            asker,
            rows,
            pdf_sha256,
            pages,
            SCHEMA_VERSION,
            forms_of(segments),
            images(pages) if images is not None else None,
            errors=errors,
        )
    return ModelLabeler(labels, fallback=fallback)
