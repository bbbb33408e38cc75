"""Cell primitives of the layout mapper: values with their provenance, the cell under a
column header (by horizontal overlap), and header rows read by meaning (the catalogue)."""

from __future__ import annotations

from dataclasses import dataclass

from extractor.layout import headers as H
from extractor.layout.segment import Row
from schemas.catalogue import qualifier
from schemas.grid import Cell, TextLine
from schemas.values import LabelMatch, MatchStatus, Provenance, Value


@dataclass
class Col:
    field: str
    x0: float
    x1: float
    cell: Cell
    how: LabelMatch | None = None  # how its header matched the catalogue (synonym, fuzzy …)


def value_of(
    cells: list[Cell], text: str | None = None, match: MatchStatus = MatchStatus.EXACT
) -> Value:
    if not cells:
        return Value()
    t = "".join(c.text for c in cells) if text is None else text
    c0 = cells[0]
    x0 = min(c.x0 for c in cells if c.page == c0.page)
    y0 = min(c.y0 for c in cells if c.page == c0.page)
    x1 = max(c.x1 for c in cells if c.page == c0.page)
    y1 = max(c.y1 for c in cells if c.page == c0.page)
    confs = [c.confidence for c in cells if c.confidence is not None]
    return Value(
        text=t.strip() or None,
        prov=Provenance(
            page=c0.page,
            cell_ids=[c.id for c in cells],
            bbox=(x0, y0, x1, y1),
            match=match,
            confidence=min(confs) if confs else None,
        ),
    )


def line_value(line: TextLine, text: str) -> Value:
    return Value(
        text=text,
        prov=Provenance(
            page=line.page, cell_ids=[line.id], bbox=line.bbox, match=MatchStatus.CONTAINED
        ),
    )


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def pick(row: Row, col: Col, *, anchors_only: bool = True) -> Cell | None:
    """The cell of ``row`` under the header ``col`` (largest horizontal overlap); a cell of
    a text-aligned grid only if its printed text reaches into the column, and it counts as
    under the column when most of its box or most of its text is."""
    best: tuple[float, Cell] | None = None
    for c in row.cells:
        if anchors_only and c.id not in row.anchors:
            continue
        ov = _overlap(c.x0, c.x1, col.x0, col.x1)
        ink = _overlap(c.ix0, c.ix1, col.x0, col.x1)
        if ov <= 0 or ink <= 0:
            continue  # (a text-aligned cell whose printed text lies beside the column)
        frac = max(
            ov / max(1e-6, min(c.x1 - c.x0, col.x1 - col.x0)),
            ink / max(1e-6, min(c.ix1 - c.ix0, col.x1 - col.x0)),
        )
        if frac < 0.5:
            continue
        if best is None or ov > best[0]:
            best = (ov, c)
    return best[1] if best else None


def header_columns(
    row: Row, category: str, minimum: int, label: H.Labeler = H.regex_labeler
) -> dict[str, Col] | None:
    """The columns a header row names. Where a field is named twice (a long-term and an
    annual indicator set side by side), the column qualified 年度 wins."""
    cols: dict[str, Col] = {}
    for c in row.cells:
        f = label(c.text, category)
        if not f:
            continue
        if f not in cols or (
            qualifier(c.text) == "年度" and qualifier(cols[f].cell.text) != "年度"
        ):
            cols[f] = Col(f, c.x0, c.x1, c, H.label_how(c.text, category, label))
    return cols if len(cols) >= minimum else None


def row_empty(row: Row, cols: dict[str, Col], fields: tuple[str, ...]) -> bool:
    for f in fields:
        if f in cols:
            c = pick(row, cols[f])
            if c is not None and c.text.strip():
                return False
    return True


def tag(v: Value, how: LabelMatch | None) -> Value:
    if v.prov is not None and how is not None:
        v.prov.label_match = how
    return v
