"""A digital page's ruling lines, and the tables it prints with few or no rules.

``find_tables`` finds the fully ruled tables. Whatever text lies outside them goes through
the text-alignment grid (``text_grid``), the same algorithm scanned pages use, with the
page's horizontal rules as row separators; its tables get the same cell ids, boxes and
line-by-line cell texts as ruled ones.
"""

from __future__ import annotations

from typing import Any

import pymupdf

from extractor.ingest.chars import _Char, assemble_lines
from extractor.ingest.text_grid import Glyph, GridGeom, Rule, text_tables
from schemas.grid import BBox, Cell, Table, slot_cell, table_id

Segment = tuple[float, float, float]  # position, start, end


def page_rulings(page: pymupdf.Page) -> tuple[list[Segment], list[Segment]]:
    """Vertical (x, y0, y1) and horizontal (y, x0, x1) ruling segments of the page's
    drawings: lines, thin rectangles, and the four sides of larger rectangles."""
    verticals: list[Segment] = []
    horizontals: list[Segment] = []
    for dr in page.get_drawings():
        for it in dr["items"]:
            if it[0] == "l":
                a, b = it[1], it[2]
                if abs(a.x - b.x) < 1 and abs(a.y - b.y) > 5:
                    verticals.append((a.x, min(a.y, b.y), max(a.y, b.y)))
                elif abs(a.y - b.y) < 1 and abs(a.x - b.x) > 5:
                    horizontals.append((a.y, min(a.x, b.x), max(a.x, b.x)))
            elif it[0] == "re":
                r = it[1]
                if r.width < 2 and r.height > 5:
                    verticals.append((r.x0, r.y0, r.y1))
                elif r.height < 2 and r.width > 5:
                    horizontals.append((r.y0, r.x0, r.x1))
                elif r.width > 5 and r.height > 5:
                    verticals += [(r.x0, r.y0, r.y1), (r.x1, r.y0, r.y1)]
                    horizontals += [(r.y0, r.x0, r.x1), (r.y1, r.x0, r.x1)]
    return verticals, horizontals


def _outside(c: _Char, boxes: list[BBox]) -> bool:
    return not any(b[0] <= c.cx <= b[2] and b[1] <= c.cy <= b[3] for b in boxes)


def _glyph(c: _Char) -> Glyph:
    # The text layer gives baselines and sizes; a glyph's box is about one size tall.
    return Glyph(c.c, c.x0, c.cy - 0.5 * c.size, c.x1, c.cy + 0.5 * c.size, c.size)


def text_geoms(chars: list[_Char], ruled: list[BBox], horizontals: list[Segment]) -> list[GridGeom]:
    """The rule-light and rule-less tables among the characters outside ``ruled``."""
    glyphs = [_glyph(c) for c in chars if _outside(c, ruled)]
    rules = [Rule(y, x0, x1) for y, x0, x1 in horizontals]
    return text_tables(glyphs, rules)


def geom_table(geom: GridGeom, page_no: int, t_index: int, chars: list[_Char]) -> Table:
    """A text-alignment grid as a ``Table``: each cell's text from the characters whose
    centres fall inside it, line by line."""
    cells: list[Cell] = []
    for r0, c0, r1, c1 in geom.cells:
        x0, y0, x1, y1 = geom.xs[c0], geom.ys[r0], geom.xs[c1 + 1], geom.ys[r1 + 1]
        inside = [c for c in chars if x0 <= c.cx < x1 and y0 <= c.cy < y1]
        box = (round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2))
        ink = (min(c.x0 for c in inside), max(c.x1 for c in inside)) if inside else None
        cells.append(
            slot_cell(page_no, t_index, (r0, c0, r1, c1), box, assemble_lines(inside), ink=ink)
        )
    x0, y0, x1, y1 = geom.bbox
    return Table(
        id=table_id(page_no, t_index),
        page=page_no,
        index=t_index,
        bbox=(round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2)),
        n_rows=len(geom.ys) - 1,
        n_cols=len(geom.xs) - 1,
        cells=cells,
    )


def in_reading_order(ruled: list[Any], geoms: list[GridGeom]) -> list[Any]:
    """Ruled tables (PyMuPDF) and text grids together, top to bottom."""
    items: list[Any] = [*ruled, *geoms]
    return sorted(items, key=lambda t: (round(t.bbox[1]), t.bbox[0]))
