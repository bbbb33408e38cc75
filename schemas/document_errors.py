"""Why a document, or a page of it, could not be read (fully): a code, the page, a message.

Carried by a page's grid (``PageGrid.errors``) and by the document's result
(``DocumentResult.errors``). Results stored before errors were structured hold plain
strings: each loads as a ``DocumentError`` with the generic code ``error``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, model_validator

from schemas.sanitise import safe_text


class ErrorCode(StrEnum):
    # the document
    INPUT = "input"  # not a usable PDF: missing, not a PDF, corrupt, encrypted, too large
    UNREADABLE = "unreadable"  # reading it raised (an unforeseen file or a bug)
    FAILED = "failed"  # extracting it raised (a bug): the result is failed
    NO_FORM = "no_form"  # no performance form (项目名称 table) found
    OCR_OFF = "ocr_off"  # scanned pages and OCR is not enabled
    ORPHAN_ROWS = "orphan_rows"  # table rows before any form start, not read
    RECORD_UNMAPPED = "record_unmapped"  # mapping one record raised
    MODEL = "model"  # a question the model did not answer
    # one page
    PAGE_REFUSED = "page_refused"  # beyond the page limits: not read
    TEXT_GARBLED = "text_garbled"  # the text layer is not readable text: needs OCR
    TEXT_REPAIRED = "text_repaired"  # glyphs mapped to invalid Unicode, shown as U+FFFD
    PAGE_DAMAGED = "page_damaged"  # MuPDF read past damaged content
    PAGE_FAILED = "page_failed"  # reading the page raised
    SCAN_UNREADABLE = "scan_unreadable"  # OCR could not read the scanned page
    # stored before errors had codes
    ERROR = "error"


class DocumentError(BaseModel):
    code: ErrorCode
    page: int | None = None  # the page (1-based) when the error is one page's
    message: str

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        """A stored plain string (results saved before errors had codes)."""
        if isinstance(data, str):
            return {"code": ErrorCode.ERROR, "message": data}
        return data

    def __str__(self) -> str:
        """The one line shown to people (CLI, batch report, review screen)."""
        return self.message if self.page is None else f"page {self.page}: {self.message}"

    def safe(self) -> DocumentError:
        """The error with a message that can always be written and stored (no lone
        surrogate, no NUL, no password)."""
        return self.model_copy(update={"message": safe_text(self.message)})

    def renamed(self, old: str, new: str) -> DocumentError:
        """The error with the file name ``old`` shown as ``new`` in its message (a spooled
        or temporary file shown as its source)."""
        return self.model_copy(update={"message": self.message.replace(old, new)})


def error_lines(errors: list[Any]) -> list[str]:
    """Stored or serialised errors (``DocumentError`` objects, their JSON, or the plain
    strings of results stored before errors had codes) as the lines shown to people."""
    return [str(DocumentError.model_validate(e)) for e in errors]
