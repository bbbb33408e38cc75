"""UNKNOWN_LABEL: a printed label the catalogue does not know is reported, not dropped.

The mapper lists the cells that look like labels (short, no figure, a printed cell to
their right, not read as a value, not after a known label) but match no field and no
known label with no key; each becomes an info finding with the text and the cell, so a
maintainer sees a new template after its first batch (``jixiao labels``).
"""

from __future__ import annotations

from collections.abc import Sequence

from schemas.findings import Finding, FindingCode, Severity
from schemas.grid import Cell
from schemas.numbers import normalise_text

CODE = FindingCode.UNKNOWN_LABEL


def unknown_label_findings(cells: Sequence[Cell]) -> list[Finding]:
    out = []
    for c in cells:
        text = normalise_text(c.text)
        out.append(
            Finding(
                code=CODE,
                severity=Severity.INFO,
                message=f"label {text!r} (cell {c.id}) is not in the label catalogue; not read",
                message_zh=f"标签“{text}”（单元格 {c.id}）不在标签目录中，未读取",
                cells=[c.id],
                printed=text,
            )
        )
    return out
