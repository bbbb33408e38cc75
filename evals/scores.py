"""The golden-set evaluation's data: cases, extractor outcomes, field scores and the report.

How the counts are defined is documented in ``evals.golden``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, computed_field

Variant = Literal["digital", "scan"]
VariantChoice = Literal["digital", "scan", "all"]
Golden = dict[str, Any]  # one record in the FORMAT.md shape

GROUPS = ("header", "goals", "funds", "totals", "indicators")


class GoldenCase(BaseModel):
    """One PDF and its answer key."""

    name: str  # file stem shared by the PDF and NAME.golden.json
    pdf: Path
    variant: Variant
    golden_path: Path | None = None
    records: list[Golden]


class ExtractOutcome(BaseModel):
    """What the extractor produced for one PDF.

    ``error`` set means the extractor failed on this PDF: every expected record counts as
    missed and any ``records`` passed alongside are ignored. ``seconds`` None means "not
    measured" (``evaluate`` then uses its own wall-clock time).
    """

    records: list[Golden] = Field(default_factory=list)
    seconds: float | None = None
    pages: int | None = None
    error: str | None = None


class FieldScore(BaseModel):
    correct: int = 0
    total: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def accuracy(self) -> float | None:
        """None when nothing was measured."""
        return self.correct / self.total if self.total else None

    def add(self, ok: bool, n: int = 1) -> None:
        self.total += n
        if ok:
            self.correct += n

    def merge(self, other: FieldScore) -> None:
        self.correct += other.correct
        self.total += other.total


MismatchKind = Literal[
    "wrong", "missed_record", "invented_record", "missed_indicator", "invented_indicator"
]


class Mismatch(BaseModel):
    pdf: str
    variant: Variant
    record: int | None  # expected record index (None for an invented record)
    predicted_record: int | None  # predicted record index (None for a missed record)
    field: str
    expected: str | None
    got: str | None
    kind: MismatchKind = "wrong"


class RecordRef(BaseModel):
    pdf: str
    variant: Variant
    record: int  # expected record index
    predicted_record: int | None
    project_name: str | None
    detail: list[str] = Field(default_factory=list)  # finding codes or anomaly notes


class RecordPair(BaseModel):
    expected: int | None
    predicted: int | None
    similarity: float | None = None


class DocumentReport(BaseModel):
    name: str
    pdf: str
    variant: Variant
    expected_records: int
    predicted_records: int
    found: int
    missed: int
    invented: int
    seconds: float
    pages: int | None = None
    error: str | None = None
    alignment: list[RecordPair] = Field(default_factory=list)
    groups: dict[str, FieldScore] = Field(default_factory=dict)
    indicator_fields: dict[str, FieldScore] = Field(default_factory=dict)


class AnomalyReport(BaseModel):
    anomalous_records: int = 0  # expected records with non-empty source_anomalies
    detected: int = 0
    undetected: list[RecordRef] = Field(default_factory=list)
    clean_records: int = 0  # matched records whose golden lists no anomaly
    false_alarms: list[RecordRef] = Field(default_factory=list)
    warnings_on_clean: int = 0  # warning findings on clean records (information)
    clean_records_with_warnings: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recall(self) -> float | None:
        return self.detected / self.anomalous_records if self.anomalous_records else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def false_alarm_count(self) -> int:
        return len(self.false_alarms)


class Throughput(BaseModel):
    documents: int = 0
    total_seconds: float = 0.0
    pages: int | None = None  # None unless every document reported its page count
    records: int = 0  # expected records
    predicted_records: int = 0
    seconds_per_record: float | None = None  # total_seconds / expected records
    seconds_per_page: float | None = None


class EvalReport(BaseModel):
    variant: str  # "digital", "scan", "all" (mixed) or "none"
    documents: list[DocumentReport] = Field(default_factory=list)
    expected_records: int = 0
    predicted_records: int = 0
    found: int = 0
    missed: int = 0
    invented: int = 0
    groups: dict[str, FieldScore] = Field(default_factory=dict)
    indicator_fields: dict[str, FieldScore] = Field(default_factory=dict)
    fields: dict[str, FieldScore] = Field(default_factory=dict)  # per field path
    anomalies: AnomalyReport = Field(default_factory=AnomalyReport)
    throughput: Throughput = Field(default_factory=Throughput)
    errors: list[str] = Field(default_factory=list)  # "NAME (variant): message"
    mismatches: list[Mismatch] = Field(default_factory=list)
