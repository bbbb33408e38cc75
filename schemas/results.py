"""Per-record and per-document results. Every document gets one, whatever happened."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from schemas.document_errors import DocumentError, ErrorCode
from schemas.findings import Finding
from schemas.options import Mode
from schemas.records import Record


class DocumentStatus(StrEnum):
    OK = "ok"  # every record found and checked, no rejected value
    PARTIAL = "partial"  # some records or values could not be extracted or grounded
    FAILED = "failed"  # nothing usable (corrupt, encrypted, not a PDF …)
    SKIPPED = "skipped"  # deliberately not processed (duplicate, too large, no forms)


class UnansweredQuestion(BaseModel):
    """A question the model did not answer, and why."""

    question: str  # what was asked (prompt version, how many texts, the first of them)
    # refused | unreachable | timeout | server_died | server_error | invalid_answer |
    # not_asked (the endpoint had failed on an earlier question of the document)
    reason: str
    detail: str = ""


class LLMLedger(BaseModel):
    """Model use for one document, summed across re-asks and transport retries."""

    model: str | None = None
    prompt_version: str | None = None
    questions: int = 0  # questions asked (cache hits included)
    calls: int = 0  # HTTP completions that came back (each re-ask is one)
    reasks: int = 0
    transport_retries: int = 0
    cache_hits: int = 0
    failed_questions: int = 0  # questions without an answer (== len(unanswered))
    unanswered: list[UnansweredQuestion] = Field(default_factory=list)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0

    @property
    def answered(self) -> int:
        return self.questions - self.failed_questions


# How a record's labels were read (``RecordResult.route``): the mode that read them, the
# catalogue's patterns (layout) or the model's label answers (the mode that helped it).
Route = Mode


class RecordResult(BaseModel):
    record: Record
    findings: list[Finding] = Field(default_factory=list)
    # "layout", or "hybrid"/"llm" when the model's label answers were used for this record.
    route: Route = Mode.layout


class LabelContext(BaseModel):
    """The cells a label the catalogue does not know names, kept so that a reviewer's
    correction can propose that label as a synonym of the corrected field (``jixiao labels
    --proposals``): each such cell's text, and the label cell left of it in its row and/or
    heading its column. Cells named only by known labels are not kept."""

    texts: dict[str, str] = Field(default_factory=dict)  # cell id → text (values and labels)
    row_label: dict[str, str] = Field(default_factory=dict)  # value cell → its row's label cell
    column_header: dict[str, str] = Field(default_factory=dict)  # value cell → header cell


class DocumentResult(BaseModel):
    path: str
    sha256: str | None = None
    status: DocumentStatus
    errors: list[DocumentError] = Field(default_factory=list)
    page_count: int = 0
    pages_needing_ocr: list[int] = Field(default_factory=list)  # scanned and not read
    pages_ocr: list[int] = Field(default_factory=list)  # scanned pages read by OCR
    records: list[RecordResult] = Field(default_factory=list)
    seconds: float = 0.0
    schema_version: str = "1"
    rule_set: str | None = None
    extractor_version: str | None = None
    mode: Mode = Mode.layout
    llm: LLMLedger | None = None
    # Digest of the label catalogue and the taught labels this result was read with.
    catalogue_version: str | None = None
    label_context: LabelContext | None = None

    @classmethod
    def failed(cls, path: str, code: ErrorCode, message: str, **fields: object) -> DocumentResult:
        """A document nothing usable was read from, with the one error that says why
        (``fields``: the result's other fields known, e.g. its mode and rule set)."""
        error = DocumentError(code=code, message=message)
        return cls.model_validate(
            {**fields, "path": path, "status": DocumentStatus.FAILED, "errors": [error]}
        )
