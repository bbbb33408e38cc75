"""Check stage: ground and validate one mapped record, and weigh a reading."""

from __future__ import annotations

from dataclasses import dataclass

from extractor.checks.grounding import ground_record
from extractor.checks.labels import unknown_label_findings
from extractor.checks.ocr_text import (
    ScanCells,
    low_confidence_findings,
    repair_ocr_numbers,
    scan_cells,
)
from extractor.checks.rules import RuleSet
from extractor.checks.validators import validate_record
from extractor.layout.headers import Labeler
from extractor.layout.mapper import MapNotes, MapProblem, map_segment
from extractor.layout.segment import Segment
from schemas.findings import Finding, FindingCode, Severity
from schemas.grid import DocumentGrid
from schemas.records import Record, iter_values
from schemas.results import RecordResult

# One record's reading (its checked result and what the mapper could not do), or None
# when mapping it raised.
Outcome = tuple[RecordResult, MapNotes] | None


def mapping_finding(problem: MapProblem) -> Finding:
    return Finding(
        code=FindingCode.MAPPING,
        severity=Severity.WARNING,
        message=f"layout mapper: {problem.message}",
        message_zh=f"版面映射：{problem.message}",
    )


@dataclass(frozen=True)
class Checking:
    """What a record is checked against: the document's cells (id → text), the scoring
    rules, and the OCR confidences of scanned pages (None without OCR)."""

    cells: dict[str, str]
    rules: RuleSet
    scan: ScanCells | None = None

    @classmethod
    def of(cls, grid: DocumentGrid, rules: RuleSet, low_confidence: float) -> Checking:
        scan = scan_cells(grid, low_confidence) if grid.pages_read_by_ocr() else None
        return cls(cells=grid.cell_index(), rules=rules, scan=scan)

    def check(self, record: Record, notes: MapNotes) -> RecordResult:
        """Ground and validate one mapped record."""
        scan = self.scan
        if scan is not None:
            repair_ocr_numbers(record, scan)
        findings = ground_record(record, self.cells, scan.confidence if scan else None)
        if scan is not None:
            findings += low_confidence_findings(record, scan.low_confidence)
        findings += [mapping_finding(p) for p in notes.problems]
        findings += unknown_label_findings(notes.unknown)
        findings += validate_record(record, self.rules)
        return RecordResult(record=record, findings=findings)

    def read(self, seg: Segment, label: Labeler) -> tuple[RecordResult, MapNotes]:
        """Map one segment with ``label`` and check the record."""
        record, notes = map_segment(seg, label)
        return self.check(record, notes), notes


def error_count(rr: RecordResult) -> int:
    return sum(1 for f in rr.findings if f.severity == Severity.ERROR)


def ungrounded_count(rr: RecordResult) -> int:
    """How many of the record's values were rejected as not found in their cited cells."""
    return sum(1 for f in rr.findings if f.code == FindingCode.UNGROUNDED)


def ungrounded(rr: RecordResult) -> bool:
    return ungrounded_count(rr) > 0


def quality(rr: RecordResult, notes: MapNotes) -> int:
    """How good a reading is: values filled, less error findings, ungrounded values and
    mapping problems (weighted)."""
    filled = sum(1 for _, v in iter_values(rr.record) if v.text)
    return filled - 5 * error_count(rr) - 10 * ungrounded_count(rr) - 3 * len(notes.problems)
