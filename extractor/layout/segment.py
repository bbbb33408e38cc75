"""Split a document's tables into project records and stitch tables across page breaks.

All table rows of the document form one stream, in page order. A record starts by meaning:
at a row with a project-identifying label (项目名称, 项目支出名称, 专项名称 … from the
catalogue) in any of its cells, or at the first row of a table under a form title when
the record before already has its project row. It ends where the next one starts; every
other row belongs to the record before it, which is how a table that runs onto the next
page (with or without a repeated header, with or without 续表) is stitched. Rows of the
same table before the project row that only carry known non-field labels (单位名称,
填报日期) open the record they precede. Each row knows every cell covering it, including
cells merged down from rows above, so merged labels can be filled down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from schemas.catalogue import lookup
from schemas.grid import Cell, DocumentGrid, TextLine
from schemas.numbers import normalise_text

TITLE_SELF = re.compile(r"自评")
TITLE_DECL = re.compile(r"申报|目标表")
YEAR = re.compile(r"((?:19|20)\d{2})\s*年度?")
# Lines whose year is a date of filing or publishing, not the form's year.
NOT_YEAR_LINE = re.compile(r"日期|时间|发布|填报|索引")
PREAMBLE = re.compile(r"^(单位名称|填报单位|填报日期|填报时间)[:：]")
UNIT_LINE = re.compile(r"单位:?(万元|元)")


@dataclass
class Row:
    cells: list[Cell]  # every cell covering this row, left to right
    anchors: set[str]  # ids of the cells that start on this row
    page: int
    table_id: str
    index: int  # row number within its table (1-based)
    first_in_table: bool
    last_in_table: bool

    def texts(self) -> list[str]:
        return [normalise_text(c.text) for c in self.cells]


@dataclass
class Segment:
    rows: list[Row] = field(default_factory=list)
    title: TextLine | None = None
    year_line: TextLine | None = None
    form_hint: str | None = None  # "self_evaluation" | "target_declaration" | None
    unit_line: TextLine | None = None  # "单位：万元" above the table

    @property
    def pages(self) -> list[int]:
        return sorted({r.page for r in self.rows})


@dataclass
class Segmentation:
    segments: list[Segment]
    orphan_rows: list[Row]  # table rows before any 项目名称 row


def row_stream(doc: DocumentGrid) -> list[Row]:
    out: list[Row] = []
    for page in doc.pages:
        for table in page.tables:
            n = table.n_rows
            for i in range(1, n + 1):
                covering = [c for c in table.cells if c.row <= i <= c.row + c.row_span - 1]
                if not covering:
                    continue
                covering.sort(key=lambda c: c.x0)
                out.append(
                    Row(
                        cells=covering,
                        anchors={c.id for c in covering if c.row == i},
                        page=page.number,
                        table_id=table.id,
                        index=i,
                        first_in_table=i == 1,
                        last_in_table=i == n,
                    )
                )
    return out


def _titles_above(doc: DocumentGrid, page_no: int, y: float) -> list[TextLine]:
    page = doc.pages[page_no - 1]
    return [ln for ln in page.lines if ln.bbox[3] <= y + 1]


def _form_hint(text: str) -> str | None:
    if TITLE_SELF.search(text):
        return "self_evaluation"
    if TITLE_DECL.search(text):
        return "target_declaration"
    return None


def form_hints(doc: DocumentGrid) -> set[str]:
    """The form types the document's title lines name (自评表, 申报表 …)."""
    return {h for p in doc.pages for ln in p.lines if (h := _form_hint(ln.text)) is not None}


def _unreadable_pages(doc: DocumentGrid) -> set[int]:
    """Pages whose content could not be read (damaged, or scanned without OCR)."""
    return {p.number for p in doc.pages if p.needs_ocr or p.errors}


def project_cell(row: Row) -> Cell | None:
    """The cell of ``row`` that is a project-identifying label (anchored in this row)."""
    for c in row.cells:
        if c.id in row.anchors and c.text.strip():
            hit = lookup(c.text, "key", fuzzy=False)
            if hit is not None and hit[0] == "project_name":
                return c
    return None


def titled_start(doc: DocumentGrid, row: Row) -> bool:
    """The first row of a table printed right under a form title (自评表 / 申报表 / 目标表,
    no other table between), whose cells carry a header label (主管部门, 实施单位 …): a
    form that starts without a project-identifying label."""
    if not row.first_in_table:
        return False
    page = doc.pages[row.page - 1]
    table = next((t for t in page.tables if t.id == row.table_id), None)
    if table is None:
        return False
    top = table.bbox[1]
    above = [t.bbox[3] for t in page.tables if t.bbox[3] <= top + 1 and t.id != table.id]
    floor = max(above, default=0.0)
    titled = any(
        _form_hint(ln.text) and ln.bbox[1] >= floor - 1 and ln.bbox[3] <= top + 1
        for ln in page.lines
    )
    labelled = any(
        c.id in row.anchors
        and (hit := lookup(c.text, "key", fuzzy=False)) is not None
        and hit[0] in ("department", "implementing_unit")
        for c in row.cells
    )
    return titled and labelled


def _is_preamble(row: Row) -> bool:
    anchored = [c for c in row.cells if c.id in row.anchors and c.text.strip()]
    return bool(anchored) and all(PREAMBLE.match(normalise_text(c.text)) for c in anchored)


def _new_segment(doc: DocumentGrid, row: Row, first: Cell) -> Segment:
    seg = Segment()
    lines = _titles_above(doc, row.page, first.y0)
    # The nearest title and year lines above the table, the closest last.
    for ln in sorted(lines, key=lambda ln: ln.bbox[1]):
        hint = _form_hint(ln.text)
        if hint:
            seg.title, seg.form_hint = ln, hint
        if YEAR.search(ln.text) and not NOT_YEAR_LINE.search(ln.text):
            seg.year_line = ln
        if UNIT_LINE.search(normalise_text(ln.text)):
            seg.unit_line = ln
    return seg


def segment(doc: DocumentGrid) -> Segmentation:
    segs: list[Segment] = []
    orphans: list[Row] = []
    unreadable = _unreadable_pages(doc)
    open_seg = False
    last_page = 0
    pending: list[Row] = []  # preamble rows (单位名称/填报日期) waiting for their record
    for row in row_stream(doc):
        if open_seg and any(p in unreadable for p in range(last_page + 1, row.page)):
            # The record may go on over a page we could not read: rows after it are not
            # stitched onto it (they may belong to a record whose start was lost).
            open_seg = False
        last_page = row.page
        if pending and pending[-1].table_id != row.table_id:
            (segs[-1].rows if open_seg else orphans).extend(pending)
            pending = []
        if (row.first_in_table or pending) and _is_preamble(row):
            pending.append(row)
            continue
        pc = project_cell(row)
        if pc is not None or (open_seg and not pending and titled_start(doc, row)):
            seg = _new_segment(
                doc, pending[0] if pending else row, (pending[0] if pending else row).cells[0]
            )
            seg.rows.extend(pending)
            pending = []
            segs.append(seg)
            open_seg = True
        if open_seg:
            segs[-1].rows.append(row)
        else:
            orphans.append(row)
    if pending:
        (segs[-1].rows if open_seg else orphans).extend(pending)
    return Segmentation(segments=segs, orphan_rows=orphans)
