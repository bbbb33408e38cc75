"""A validator finding: what rule, how bad, where, printed vs recomputed."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Finding(BaseModel):
    code: str  # rule id, e.g. "R1", "R9", "UNGROUNDED", "MISSING_GRADE"
    severity: Severity
    message: str  # English
    message_zh: str
    field: str | None = None  # dotted path, e.g. "funds.total.execution_rate"
    cells: list[str] = Field(default_factory=list)
    printed: str | None = None
    expected: str | None = None
    rule_set: str | None = None
