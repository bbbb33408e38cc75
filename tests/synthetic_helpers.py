"""Shared helpers of the synthetic-PDF tests (not a test module): run a drawn PDF through
the extractor and compare what comes out with what ``tests/pdfgen`` drew."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractor.pipeline import extract_document
from schemas.document_errors import DocumentError
from schemas.findings import Finding
from schemas.golden import to_golden
from schemas.records import iter_values

TABLE_CELL = re.compile(r"^p\d+\.t\d+\.r\d+\.c\d+$")


def diff(got: Any, want: Any, path: str = "") -> list[str]:
    """Every difference of ``got`` from ``want`` (keys of ``want`` only), as path: values."""
    if isinstance(want, dict) and isinstance(got, dict):
        return [d for k in want for d in diff(got.get(k), want[k], f"{path}.{k}")]
    if isinstance(want, list) and isinstance(got, list):
        out = [f"{path}: {len(got)} items, drew {len(want)}"] if len(got) != len(want) else []
        return out + [
            d
            for i, (g, w) in enumerate(zip(got, want, strict=False))
            for d in diff(g, w, f"{path}.{i}")
        ]
    return [] if got == want else [f"{path}: got {got!r}, drew {want!r}"]


def record_problems(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> list[str]:
    """The record count and every field difference, record by record (``r0.funds...``)."""
    out = [f"{len(got)} records, drew {len(want)}"] if len(got) != len(want) else []
    return out + [
        d for i, (g, w) in enumerate(zip(got, want, strict=False)) for d in diff(g, w, f"r{i}")
    ]


@dataclass
class Extracted:
    records: list[dict[str, Any]]  # FORMAT.md dicts without provenance
    findings: list[list[Finding]]  # each record's findings
    values: list[str]  # every non-empty value text of every record
    cells: dict[str, str]  # table cells only (id → text), lines excluded
    status: str
    errors: list[DocumentError]


def extract(pdf: Path) -> Extracted:
    """``pdf`` through ``extract_document`` (layout mode), as a user runs it."""
    index: dict[str, str] = {}
    res = extract_document(pdf, cells_out=index)
    return Extracted(
        records=[to_golden(rr.record, with_provenance=False) for rr in res.records],
        findings=[rr.findings for rr in res.records],
        values=[v.text for rr in res.records for _, v in iter_values(rr.record) if v.text],
        cells={k: v for k, v in index.items() if TABLE_CELL.match(k)},
        status=str(res.status.value),
        errors=list(res.errors),
    )
