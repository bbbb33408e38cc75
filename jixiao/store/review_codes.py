"""The words of a review (reason codes, actions) and its errors (``jixiao.store.review``)."""

from __future__ import annotations

from enum import StrEnum

from schemas.errors import JixiaoError


class ReasonCode(StrEnum):
    EXTRACTION_ERROR = "extraction_error"  # the extractor misread what is printed
    FORM_ERROR = "form_error"  # the form itself prints a wrong value
    OCR_ERROR = "ocr_error"  # the scan was misread
    OTHER = "other"


class ReviewAction(StrEnum):
    EDIT = "edit"
    APPROVE = "approve"
    REJECT = "reject"


class ReviewError(JixiaoError):
    """A review action that cannot be done (no such record or field, bad reason, no note)."""


class ConflictError(ReviewError):
    """The record changed since the reviewer opened it; nothing was written."""

    def __init__(self, record_id: int, seen: int, current: int | None, changes: list[str]):
        self.record_id = record_id
        self.seen = seen
        self.current = current
        self.changes = changes
        what = "; ".join(changes) if changes else "changed by another session"
        super().__init__(
            f"record {record_id} changed since you opened it (you saw version {seen}, "
            f"it is now {current if current is not None else 'newer'}): {what}. "
            "Your change was NOT saved: reload the record and apply it again."
        )
