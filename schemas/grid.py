"""What ingestion hands to the layout mapper: pages of text lines and table cells with boxes.

Ids are stable and human-readable: ``p3.t1.r4.c2`` is page 3, table 1, row 4, column 2
(all 1-based); ``p3.l7`` is the 7th text line outside any table on page 3. Every value
the mapper extracts cites one of these ids.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from schemas.document_errors import DocumentError, ErrorCode

BBox = tuple[float, float, float, float]


def table_id(page: int, table: int) -> str:
    return f"p{page}.t{table}"


def cell_id(page: int, table: int, row: int, col: int) -> str:
    return f"{table_id(page, table)}.r{row}.c{col}"


def line_id(page: int, k: int) -> str:
    return f"p{page}.l{k}"


class Cell(BaseModel):
    id: str
    page: int
    table: int
    row: int
    col: int
    row_span: int = 1
    col_span: int = 1
    bbox: BBox
    text: str = ""
    lines: list[str] = Field(default_factory=list)
    # OCR: the confidence of the least sure character in the cell (brackets and quotes
    # excepted); None for a text layer or an empty cell.
    confidence: float | None = None
    # Tables read from text alignment (no rulings): the x extent of the printed text. Its
    # box reaches to the neighbouring column boundaries, which may lie inside other columns'
    # headings; which column the cell stands under is read from its text.
    ink: tuple[float, float] | None = None

    @property
    def ix0(self) -> float:
        return self.ink[0] if self.ink is not None else self.bbox[0]

    @property
    def ix1(self) -> float:
        return self.ink[1] if self.ink is not None else self.bbox[2]

    @property
    def x0(self) -> float:
        return self.bbox[0]

    @property
    def x1(self) -> float:
        return self.bbox[2]

    @property
    def y0(self) -> float:
        return self.bbox[1]

    @property
    def y1(self) -> float:
        return self.bbox[3]


def slot_cell(
    page: int,
    table: int,
    slots: tuple[int, int, int, int],
    bbox: BBox,
    lines: list[str],
    confidence: float | None = None,
    ink: tuple[float, float] | None = None,
) -> Cell:
    """The cell covering grid slots ``(row0, col0, row1, col1)`` (0-based, inclusive) of
    table ``table`` on ``page``: its id, 1-based row/col, spans, box and its text lines
    (wrapped lines joined with no separator, as CJK wraps mid-word)."""
    r0, c0, r1, c1 = slots
    return Cell(
        id=cell_id(page, table, r0 + 1, c0 + 1),
        page=page,
        table=table,
        row=r0 + 1,
        col=c0 + 1,
        row_span=r1 - r0 + 1,
        col_span=c1 - c0 + 1,
        bbox=bbox,
        text="".join(lines).strip(),
        lines=lines,
        confidence=confidence,
        ink=ink,
    )


class Table(BaseModel):
    id: str
    page: int
    index: int
    bbox: BBox
    n_rows: int
    n_cols: int
    cells: list[Cell]

    def rows(self) -> list[list[Cell]]:
        """Cells grouped by the row they start in, each row sorted left to right."""
        out: list[list[Cell]] = [[] for _ in range(self.n_rows)]
        for c in self.cells:
            out[c.row - 1].append(c)
        for r in out:
            r.sort(key=lambda c: c.x0)
        return out


class TextLine(BaseModel):
    """A line of text outside every table (titles, 续表 notes, page footers)."""

    id: str
    page: int
    bbox: BBox
    text: str
    confidence: float | None = None


class PageGrid(BaseModel):
    number: int
    width: float
    height: float
    tables: list[Table] = Field(default_factory=list)
    lines: list[TextLine] = Field(default_factory=list)
    has_text_layer: bool = True
    needs_ocr: bool = False
    ocr_used: bool = False
    # Why the page, or part of it, could not be read: segmentation treats such a page as
    # unreadable and the pipeline reports each error.
    errors: list[DocumentError] = Field(default_factory=list)

    def add_error(self, code: ErrorCode, text: str) -> None:
        """Note why the page, or part of it, could not be read."""
        self.errors.append(DocumentError(code=code, page=self.number, message=text))


class DocumentGrid(BaseModel):
    path: str
    sha256: str
    page_count: int
    pages: list[PageGrid]

    def pages_read_by_ocr(self) -> list[int]:
        """The scanned pages OCR read (a scanned page it could not read still needs OCR)."""
        return [p.number for p in self.pages if p.ocr_used and not p.needs_ocr]

    def cell_index(self) -> dict[str, str]:
        """Every citable id (cells and text lines) mapped to its text."""
        idx: dict[str, str] = {}
        for p in self.pages:
            for t in p.tables:
                for c in t.cells:
                    idx[c.id] = c.text
            for ln in p.lines:
                idx[ln.id] = ln.text
        return idx

    def bbox_index(self) -> dict[str, tuple[int, BBox]]:
        idx: dict[str, tuple[int, BBox]] = {}
        for p in self.pages:
            for t in p.tables:
                for c in t.cells:
                    idx[c.id] = (p.number, c.bbox)
            for ln in p.lines:
                idx[ln.id] = (p.number, ln.bbox)
        return idx
