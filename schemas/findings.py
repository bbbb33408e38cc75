"""A validator finding: what rule, how bad, where, printed vs recomputed."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class FindingCode(StrEnum):
    """The code of a finding: the rule of ``RULES.md`` (R1 …) or a named check. Each value
    is the string stored in the database and written to JSON. A message template of
    ``extractor/checks/messages.py`` is keyed by the code, or by ``CODE:variant``."""

    R1 = "R1"  # execution rate = executed ÷ full-year budget × 100
    R2 = "R2"  # budget score = weight × min(rate, cap) ÷ 100
    R4 = "R4"  # a total is the sum of its rows
    R5 = "R5"  # the weights add up to 100
    R6 = "R6"  # the total score is the sum of the scores
    R7 = "R7"  # the grade is the band of the total score
    R8 = "R8"  # an indicator's score is at most its weight
    R9 = "R9"  # amounts in the header's unit
    R10 = "R10"  # an indicator's score agrees with how far its target was met
    R11 = "R11"  # first-level weights as the rules say (information)
    R12 = "R12"  # a low execution rate is explained
    MISSING_GRADE = "MISSING_GRADE"
    MISSING_TOTAL = "MISSING_TOTAL"
    MISSING_VALUE = "MISSING_VALUE"
    MISSING_UNIT = "MISSING_UNIT"
    NON_NUMERIC = "NON_NUMERIC"
    UNKNOWN_GRADE = "UNKNOWN_GRADE"
    BUDGET_WEIGHT = "BUDGET_WEIGHT"
    EXECUTED_OVER_BUDGET = "EXECUTED_OVER_BUDGET"
    FUNDS_PART_EXCEEDS_TOTAL = "FUNDS_PART_EXCEEDS_TOTAL"
    ANNUAL_EXCEEDS_TOTAL = "ANNUAL_EXCEEDS_TOTAL"
    LEVEL_MISMATCH = "LEVEL_MISMATCH"
    DUPLICATE_INDICATOR_NUMBER = "DUPLICATE_INDICATOR_NUMBER"
    INDICATOR_NUMBER_GAP = "INDICATOR_NUMBER_GAP"
    UNCHECKED = "UNCHECKED"  # a check could not be computed
    DOUBLED_UNIT = "DOUBLED_UNIT"
    OFF_TAXONOMY = "OFF_TAXONOMY"
    TRUNCATED = "TRUNCATED"  # truncated where rounding gives another figure
    UNGROUNDED = "UNGROUNDED"  # a value not found in the cell it cites: rejected
    LOW_CONFIDENCE = "LOW_CONFIDENCE"  # a number OCR read with low confidence
    UNKNOWN_LABEL = "UNKNOWN_LABEL"  # a label the catalogue does not know
    MAPPING = "MAPPING"  # the mapper's problem with a record (the pipeline)


class Finding(BaseModel):
    code: FindingCode
    severity: Severity
    message: str  # English
    message_zh: str
    field: str | None = None  # dotted path, e.g. "funds.total.execution_rate"
    cells: list[str] = Field(default_factory=list)
    printed: str | None = None
    expected: str | None = None
    rule_set: str | None = None
