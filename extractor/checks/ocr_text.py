"""What OCR changes for the checks: confusable characters, per-field confidence, review flags.

Pure string logic (the core does no I/O). Values read from scanned pages are grounded
against the OCR text of their cells; OCR confuses a few characters in numbers (0/O, 1/l/I,
5/S, 8/B, 2/Z), reads separators in full width or as CJK punctuation (．。，), and splits
numbers with stray spaces. ``ocr_key`` folds those differences away, so

- ``repair_ocr_numbers`` turns a numeric field read as ``1O.00`` into ``10.00`` (only
  where the repaired text is a number and the OCR text is not), and
- grounding accepts a value equal to its OCR cell text under ``ocr_key`` as
  ``ocr_normalised``, recording the OCR text it was matched against (``Provenance.ocr_read``).

The confidence of a value is the lowest OCR confidence of its cited cells (recomputed by
grounding from the grid, never the extractor's claim); a number below
``JIXIAO_OCR_LOW_CONFIDENCE`` gets a ``LOW_CONFIDENCE`` warning naming its cells, for a clerk
to compare with the page. A scan never causes an error finding by itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from schemas.fields import FUND_COLUMNS, TARGET_FUND_KEYS
from schemas.findings import Finding, FindingCode, Severity
from schemas.grid import DocumentGrid
from schemas.numbers import parse_decimal, parse_quantity
from schemas.records import iter_values
from schemas.values import Value

# Letters OCR reads in place of digits (as seen in PP-OCR output on printed forms).
DIGIT_CONFUSIONS = {
    "O": "0",
    "o": "0",
    "D": "0",
    "Q": "0",
    "〇": "0",
    "l": "1",
    "I": "1",
    "|": "1",
    "i": "1",
    "!": "1",
    "S": "5",
    "s": "5",
    "B": "8",
    "Z": "2",
    "z": "2",
}
# Separators OCR reads in CJK or full-width form (after NFKC, which folds ． and ，).
SEPARATORS = {"。": ".", "·": ".", "、": ","}
_CONFUSABLE = "".join(re.escape(k) for k in DIGIT_CONFUSIONS)
_SEPS = "".join(re.escape(k) for k in SEPARATORS)
# A number as OCR may print it: digits and confusables, separators, stray spaces inside.
_RUN = re.compile(rf"[0-9][0-9{_CONFUSABLE}{_SEPS}.,\s]*[0-9{_CONFUSABLE}]|[0-9]")
_OPERATOR = re.compile(r"^\s*([=≥≤><》《⩾⩽]|大于等于|小于等于|不低于|不少于|不高于|不超过)?\s*")

# Fields whose whole value is a number (or a dash): every funds cell, the 总分 row.
NUMERIC_LEAVES = frozenset({*FUND_COLUMNS, "total_weight", "total_score", *TARGET_FUND_KEYS})
# Fields that start with a number (an operator before it, a unit after it).
LEADING_NUMBER_LEAVES = frozenset({"target", "actual"})


def ocr_key(s: str) -> str:
    """``s`` with every OCR difference folded away: NFKC, whitespace removed, separators
    and digit-like letters mapped to what they stand for."""
    t = re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))
    t = "".join(SEPARATORS.get(ch, ch) for ch in t)
    return "".join(DIGIT_CONFUSIONS.get(ch, ch) for ch in t)


def _fix_run(run: str) -> str:
    t = re.sub(r"\s+", "", run)
    t = "".join(SEPARATORS.get(ch, ch) for ch in t)
    return "".join(DIGIT_CONFUSIONS.get(ch, ch) for ch in t)


def repair_number(text: str, whole: bool) -> str | None:
    """The printed number OCR garbled, or None when there is nothing (safe) to repair.

    ``whole``: the field is a number on its own (an amount, a score): repaired only when
    the repaired text parses as a number and the OCR text does not. Otherwise (a target
    such as ``=3.0O(次)``) only the number right after an optional operator is repaired,
    and only when it starts with a real digit.
    """
    s = unicodedata.normalize("NFKC", text).strip()
    if whole:
        if parse_decimal(s) is not None or not any(ch.isdigit() for ch in s):
            return None
        fixed = _fix_run(s)
        return fixed if parse_decimal(fixed) is not None else None
    m = _OPERATOR.match(s)
    op_end = m.end() if m else 0
    run = _RUN.match(s, op_end)
    if run is None:
        return None
    raw = run.group(0)
    fixed = _fix_run(raw)
    if fixed == raw or parse_decimal(fixed) is None:
        return None
    return s[:op_end] + fixed + s[run.end() :]


@dataclass
class ScanCells:
    """OCR facts of one document: the confidence of every cell or line OCR read."""

    confidence: dict[str, float | None] = field(default_factory=dict)
    low_confidence: float = 0.8


def scan_cells(grid: DocumentGrid, low_confidence: float) -> ScanCells:
    """Every citable id on a page read by OCR, with its confidence (None when empty)."""
    conf: dict[str, float | None] = {}
    for p in grid.pages:
        if not p.ocr_used:
            continue
        for t in p.tables:
            for c in t.cells:
                conf[c.id] = c.confidence
        for ln in p.lines:
            conf[ln.id] = ln.confidence
    return ScanCells(confidence=conf, low_confidence=low_confidence)


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def repair_ocr_numbers(record: object, scan: ScanCells) -> int:
    """Repair numbers garbled by OCR in values read from scanned cells; how many changed.

    The repaired value still cites the same cells; grounding then records it as
    ``ocr_normalised`` with the OCR text beside it.
    """
    n = 0
    for path, v in iter_values(record):  # type: ignore[arg-type]
        if not v.text or v.prov is None or not v.prov.cell_ids:
            continue
        if not all(cid in scan.confidence for cid in v.prov.cell_ids):
            continue
        leaf = _leaf(path)
        if leaf in NUMERIC_LEAVES:
            fixed = repair_number(v.text, whole=True)
        elif leaf in LEADING_NUMBER_LEAVES:
            fixed = repair_number(v.text, whole=False)
        else:
            continue
        if fixed is not None and fixed != v.text:
            v.text = fixed
            n += 1
    return n


def _is_number(v: Value) -> bool:
    q = parse_quantity(v.text)
    return q is not None and q.number is not None


def low_confidence_findings(record: object, threshold: float) -> list[Finding]:
    """A warning for each number (amounts, rates, weights, scores, targets, actuals) read
    by OCR with a confidence below ``threshold``."""
    out: list[Finding] = []
    for path, v in iter_values(record):  # type: ignore[arg-type]
        p = v.prov
        if not v.text or p is None or p.confidence is None or p.confidence >= threshold:
            continue
        if _leaf(path) not in NUMERIC_LEAVES | LEADING_NUMBER_LEAVES or not _is_number(v):
            continue  # text (a goal that starts with "2023年") is not flagged
        cells = ", ".join(p.cell_ids)
        out.append(
            Finding(
                code=FindingCode.LOW_CONFIDENCE,
                severity=Severity.WARNING,
                message=(
                    f"{path}: {v.text!r} was read by OCR with confidence {p.confidence:.2f} "
                    f"(below {threshold:.2f}); check it against cell {cells} on page {p.page}"
                ),
                message_zh=(
                    f"{path}：“{v.text}”为OCR识别，置信度{p.confidence:.2f}（低于{threshold:.2f}），"
                    f"请对照第{p.page}页单元格{cells}核对"
                ),
                field=path,
                cells=list(p.cell_ids),
                printed=v.text,
            )
        )
    return out


def cited_confidence(cell_ids: list[str], confidence: Mapping[str, float | None]) -> float | None:
    """The lowest OCR confidence of the cited cells (None: no cited cell was OCR'd)."""
    vals = [c for cid in cell_ids if (c := confidence.get(cid)) is not None]
    return round(min(vals), 4) if vals else None
