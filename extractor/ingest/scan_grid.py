"""Table grids rebuilt from a scanned page image, in the shape the text-layer path produces.

On the deskewed page image (``ocr.prepare_page``):

1. **Ruling lines.** An adaptive threshold marks ink (faint grey rulings included: the
   threshold is relative to the local paper tone). Opening the ink mask with a long
   horizontal (vertical) kernel keeps only horizontal (vertical) strokes longer than any
   character stroke; each connected piece becomes a segment, and collinear pieces broken
   by JPEG noise are joined.
2. **Tables.** Segments that cross each other form one table (a connected group with at
   least two horizontal and two vertical rulings). A table that runs off or onto the page
   with no ruling at the break gets a virtual closing border where its verticals stop, as
   the text-layer path does.
3. **Cells.** The distinct ruling positions give the slot grid; two neighbouring slots
   belong to one merged cell when the ruling between them is missing (covered less than
   half). A ruling covered only partly (a faint or broken line) still separates the
   slots when no recognised character straddles it: text-box alignment decides.
4. **Text.** Each OCR character goes to the cell containing its centre; a cell's lines
   are its characters grouped by height and read left to right, joined with no separator
   (as wrapped CJK text is). ``Cell.confidence`` is the lowest character confidence in the
   cell. Text outside every table becomes ``TextLine`` s with their confidence.
5. **Few or no rulings** (a rule-light or borderless table, or lines too faint to find):
   the characters outside every ruled table go through the text-alignment grid
   (``text_grid``), the algorithm digital pages use, with the horizontal rulings found
   as row separators.

Ids, spans and boxes follow ``schemas/grid.py`` exactly (``p3.t1.r4.c2``, 1-based, boxes in
PDF points), so nothing downstream knows the page was scanned; ``PageGrid.ocr_used`` says it.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pymupdf

from extractor.ingest.ocr import (
    OcrChar,
    OcrEngine,
    OcrEngineError,
    OcrLine,
    PageTransform,
    Recognizer,
    merge_overlapping_lines,
    prepare_page,
    reread_weak_lines,
)
from extractor.ingest.scan_rulings import (
    SNAP_PT,
    Seg,
    closing_borders,
    coverage,
    find_rulings,
    group_tables,
    snap,
)
from extractor.ingest.scan_text import (
    as_dash,
    assemble_chars,
    second_chance,
    text_confidence,
    text_ink,
    tighten,
)
from extractor.ingest.text_grid import Glyph, GridGeom, Rule, text_tables
from schemas.document_errors import ErrorCode
from schemas.grid import Cell, PageGrid, Table, TextLine, line_id, slot_cell, table_id

EDGE_PRESENT = 0.5  # a slot boundary with this much ruling coverage is a ruling
EDGE_FAINT = 0.15  # ... with this much, a ruling unless a character straddles it


@dataclass(slots=True)
class Unreadable:
    """Why OCR could not read a page."""

    reason: str


# The slot grid with merged cells: the same shape for ruled and text-aligned tables.
TableGeom = GridGeom


# ---------------------------------------------------------------------------------------
# Cells from rulings and characters


def build_table(
    hs: list[Seg], vs: list[Seg], chars: list[OcrChar], scale: float
) -> TableGeom | None:
    """The slot grid of one ruled table and its merged cells."""
    hs = hs + closing_borders(hs, vs, scale)
    tol = SNAP_PT * scale
    xs = snap([v.pos for v in vs], tol)
    ys = snap([h.pos for h in hs], tol)
    if len(xs) < 2 or len(ys) < 2:
        return None
    nr, nc = len(ys) - 1, len(xs) - 1

    def straddles_v(x: float, y0: float, y1: float) -> bool:
        return any(c.x0 < x - 1 < x + 1 < c.x1 and y0 < c.cy < y1 for c in chars)

    def straddles_h(y: float, x0: float, x1: float) -> bool:
        return any(c.y0 < y - 1 < y + 1 < c.y1 and x0 < c.cx < x1 for c in chars)

    def v_edge(r: int, j: int) -> bool:  # ruling between column j-1 and j in row r
        cov = coverage(vs, xs[j], ys[r], ys[r + 1], tol)
        return cov >= EDGE_PRESENT or (
            cov >= EDGE_FAINT and not straddles_v(xs[j], ys[r], ys[r + 1])
        )

    def h_edge(i: int, c: int) -> bool:  # ruling between row i-1 and i in column c
        cov = coverage(hs, ys[i], xs[c], xs[c + 1], tol)
        return cov >= EDGE_PRESENT or (
            cov >= EDGE_FAINT and not straddles_h(ys[i], xs[c], xs[c + 1])
        )

    parent = list(range(nr * nc))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in range(nr):
        for c in range(nc):
            if c + 1 < nc and not v_edge(r, c + 1):
                parent[find(r * nc + c)] = find(r * nc + c + 1)
            if r + 1 < nr and not h_edge(r + 1, c):
                parent[find(r * nc + c)] = find((r + 1) * nc + c)
    rects: dict[int, list[int]] = {}
    for r in range(nr):
        for c in range(nc):
            g = rects.setdefault(find(r * nc + c), [r, c, r, c])
            g[0], g[1] = min(g[0], r), min(g[1], c)
            g[2], g[3] = max(g[2], r), max(g[3], c)
    cells = _rectangular(list(rects.values()))
    return TableGeom(xs=xs, ys=ys, cells=cells)


def _rectangular(rects: list[list[int]]) -> list[tuple[int, int, int, int]]:
    """Merge overlapping bounding rectangles (a non-rectangular merged region becomes its
    bounding box) until no two overlap."""
    out = [list(r) for r in rects]
    changed = True
    while changed:
        changed = False
        for i in range(len(out)):
            for j in range(i + 1, len(out)):
                a, b = out[i], out[j]
                if a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]:
                    out[i] = [min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])]
                    del out[j]
                    changed = True
                    break
            if changed:
                break
    return sorted((r[0], r[1], r[2], r[3]) for r in out)


# ---------------------------------------------------------------------------------------
# Tables from text alignment (text outside every ruled table)


def _glyph(ch: OcrChar, line: int) -> Glyph:
    """An OCR character for the text-alignment grid. OCR boxes are as tall as their
    detected line (about 1.6 font sizes), so the size is taken as 0.6 of the box."""
    size = 0.6 * max(1.0, ch.y1 - ch.y0)
    return Glyph(ch.text, ch.x0, ch.cy - size / 2, ch.x1, ch.cy + size / 2, size, line)


def text_aligned_tables(
    lines: list[OcrLine], hs: list[Seg], ruled: list[TableGeom]
) -> list[TableGeom]:
    """Tables that text alignment shows among the characters outside ``ruled`` (the same
    algorithm as digital pages: ``text_grid``), the horizontal rulings as row separators."""
    boxes = [g.bbox for g in ruled]
    glyphs = [
        _glyph(ch, k)
        for k, ln in enumerate(lines)
        for ch in ln.chars
        if ch.text.strip()
        and not any(b[0] <= ch.cx <= b[2] and b[1] <= ch.cy <= b[3] for b in boxes)
    ]
    return text_tables(glyphs, [Rule(h.pos, h.a, h.b) for h in hs])


# ---------------------------------------------------------------------------------------
# Text into cells


@dataclass
class _Page:
    """What the cell builder needs from one straightened page."""

    gray: np.ndarray
    ink: np.ndarray  # text ink, rulings removed
    tf: PageTransform
    recognizer: Recognizer | None
    min_score: float
    read: list[tuple[float, float, float, float]]  # the detector's text-line boxes


def _cell_chars(
    rect: tuple[float, float, float, float], inside: list[OcrChar], pg: _Page
) -> list[OcrChar]:
    """A cell's characters: a lone bar read as a dash, and the ink the detector missed."""
    inside = as_dash(pg.ink, rect, inside, pg.tf.scale) or inside
    return inside + second_chance(
        pg.gray, pg.ink, rect, inside, pg.read, pg.tf.scale, pg.recognizer, pg.min_score
    )


def _cell(
    slots: tuple[int, int, int, int],
    rect: tuple[float, float, float, float],
    inside: list[OcrChar],
    page_no: int,
    t_index: int,
    pg: _Page,
    ink: bool = False,
) -> Cell:
    """``ink``: the cell keeps the x extent of its text (a text-aligned grid)."""
    lines = assemble_chars(inside)
    conf = text_confidence(inside) if lines else None
    box = pg.tf.box_to_pdf(*rect)
    extent = None
    if ink and inside:
        tx = pg.tf.box_to_pdf(
            min(c.x0 for c in inside), rect[1], max(c.x1 for c in inside), rect[3]
        )
        extent = (tx[0], tx[2])
    return slot_cell(page_no, t_index, slots, box, lines, conf, extent)


def _empty_slots(geom: TableGeom) -> list[tuple[int, int, int, int]]:
    """Slots no cell covers (a text-aligned grid leaves blank slots without a cell)."""
    covered = {
        (r, c)
        for r0, c0, r1, c1 in geom.cells
        for r in range(r0, r1 + 1)
        for c in range(c0, c1 + 1)
    }
    return [
        (r, c, r, c)
        for r in range(len(geom.ys) - 1)
        for c in range(len(geom.xs) - 1)
        if (r, c) not in covered
    ]


def _table_model(
    geom: TableGeom, chars: list[OcrChar], page_no: int, t_index: int, pg: _Page
) -> tuple[Table, set[int]]:
    """The ``Table`` with cell texts, and the indices of the characters it took. A blank
    slot becomes a cell only where ink the detector missed is read there (a dash)."""
    taken: set[int] = set()
    cells: list[Cell] = []
    for slots in geom.cells + _empty_slots(geom):
        r0, c0, r1, c1 = slots
        rect = (geom.xs[c0], geom.ys[r0], geom.xs[c1 + 1], geom.ys[r1 + 1])
        x0, y0, x1, y1 = rect
        mine = [i for i, ch in enumerate(chars) if x0 <= ch.cx < x1 and y0 <= ch.cy < y1]
        taken.update(mine)
        inside = _cell_chars(rect, [chars[i] for i in mine], pg)
        if slots in geom.cells or inside:
            cells.append(_cell(slots, rect, inside, page_no, t_index, pg, geom.text_aligned))
    cells.sort(key=lambda c: (c.row, c.col))
    table = Table(
        id=table_id(page_no, t_index),
        page=page_no,
        index=t_index,
        bbox=pg.tf.box_to_pdf(*geom.bbox),
        n_rows=len(geom.ys) - 1,
        n_cols=len(geom.xs) - 1,
        cells=cells,
    )
    return table, taken


def grid_from_ocr(
    gray: np.ndarray,
    tf: PageTransform,
    ocr_lines: list[OcrLine],
    page_no: int,
    size: tuple[float, float],
    recognizer: Recognizer | None = None,
    min_score: float = 0.3,
) -> PageGrid:
    """The page's grid from its straightened image and its OCR lines (pixels).

    ``size``: the PDF page's width and height in points. ``recognizer`` reads the ink the
    detector left out (``scan_text.second_chance``); without one only dashes are added.
    """
    chars = [ch for ln in ocr_lines for ch in ln.chars if ch.text.strip()]
    hs, vs, rulings = find_rulings(gray, tf.scale)
    read = [(ln.x0, ln.y0, ln.x1, ln.y1) for ln in ocr_lines]
    pg = _Page(gray, text_ink(gray, rulings, tf.scale), tf, recognizer, min_score, read)
    geoms: list[TableGeom] = []
    for gh, gv in group_tables(hs, vs, tf.scale):
        g = build_table(gh, gv, chars, tf.scale)
        if g is not None and len(g.cells) >= 2:
            geoms.append(g)
    geoms += text_aligned_tables(ocr_lines, hs, geoms)
    geoms.sort(key=lambda g: (round(g.ys[0] / (10 * tf.scale)), g.xs[0]))
    grid = PageGrid(
        number=page_no, width=size[0], height=size[1], has_text_layer=False, ocr_used=True
    )
    taken: set[int] = set()
    for k, g in enumerate(geoms, start=1):
        table, got = _table_model(g, chars, page_no, k, pg)
        grid.tables.append(table)
        taken |= got
    # Text outside every table, one TextLine per OCR line (its untaken characters), its
    # box shrunk to the ink (detector boxes are padded and would reach into the table).
    index = {id(ch): i for i, ch in enumerate(chars)}
    k = 0
    for ln in sorted(ocr_lines, key=lambda ln: ((ln.y0 + ln.y1) / 2, ln.x0)):
        rest = [ch for ch in ln.chars if id(ch) in index and index[id(ch)] not in taken]
        text = "".join(assemble_chars(rest))
        if not text:
            continue
        k += 1
        box = tighten(
            pg.ink,
            min(c.x0 for c in rest),
            min(c.y0 for c in rest),
            max(c.x1 for c in rest),
            max(c.y1 for c in rest),
        )
        grid.lines.append(
            TextLine(
                id=line_id(page_no, k),
                page=page_no,
                bbox=tf.box_to_pdf(*box),
                text=text,
                confidence=text_confidence(rest),
            )
        )
    return grid


def readability(ocr_lines: list[OcrLine], grid: PageGrid) -> Unreadable | None:
    """Why the page cannot be used, or None: no text at all, or only noise (no table and
    a low mean confidence)."""
    chars = [ch for ln in ocr_lines for ch in ln.chars if ch.text.strip()]
    if not chars:
        return Unreadable("OCR found no text (blank or unreadable scan)")
    mean = sum(c.conf for c in chars) / len(chars)
    if not grid.tables and mean < 0.6:
        return Unreadable(f"OCR could not read the page (mean confidence {mean:.2f}, no table)")
    return None


def ocr_page_grid(
    page: pymupdf.Page,
    page_no: int,
    dpi: int,
    engine: OcrEngine,
    min_score: float = 0.3,
    max_megapixels: float | None = None,
) -> PageGrid:
    """A scanned page as a grid. Never raises for a page OCR cannot read: the grid then
    keeps ``needs_ocr`` and carries an error saying why."""
    size = (page.rect.width, page.rect.height)
    recognizer: Recognizer | None = engine if hasattr(engine, "recognize") else None  # type: ignore[assignment]
    bad: Unreadable | None
    try:
        gray, tf = prepare_page(page, dpi, max_megapixels)
        ocr_lines = merge_overlapping_lines(gray, engine(gray), recognizer)
        if recognizer is not None:
            reread_weak_lines(gray, ocr_lines, recognizer)
        grid = grid_from_ocr(gray, tf, ocr_lines, page_no, size, recognizer, min_score)
        bad = readability(ocr_lines, grid)
    except OcrEngineError as e:
        bad = Unreadable(str(e))
    except (cv2.error, ValueError, MemoryError) as e:
        bad = Unreadable(f"OCR failed ({type(e).__name__}: {e})")
    if bad is not None:
        grid = PageGrid(
            number=page_no,
            width=size[0],
            height=size[1],
            has_text_layer=False,
            needs_ocr=True,
            ocr_used=True,
        )
        grid.add_error(ErrorCode.SCAN_UNREADABLE, f"scanned page unreadable: {bad.reason}")
    return grid
