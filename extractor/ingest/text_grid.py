"""Tables from text alignment alone: the grid of a table printed with few or no rules.

One algorithm for digital pages (PyMuPDF characters, in points) and scanned pages (OCR
characters, in pixels): every length below is relative to the text size, so the unit does
not matter. Input: the glyphs of a page (outside any ruled table) and its horizontal rules.

1. **Lines and fragments.** Glyphs on one baseline form a line; a line splits into fragments
   at gaps wider than a character, and at narrower gaps that line up with a column gap of
   other lines (two neighbouring cells whose texts nearly touch).
2. **Bands.** Lines closer than a line pitch are one band: a value printed centred
   beside a two-line cell, or a label centred between two rows, belongs to that row.
   A horizontal rule always separates bands.
3. **Regions.** A table is a run of bands with two or more fragments ("tabular"), close to
   each other; a paragraph line as wide as the table, a larger-type title, a ``注`` note, or a
   wide vertical gap ends it. Narrative never becomes table rows.
4. **Wrapped cells.** A fragment directly under another one, aligned with it, no wider, not
   a bare number, at the document's wrapped-line pitch (smaller than its row pitch) continues
   the cell above.
5. **Columns.** Every gap between neighbouring cells of a band must hold a column boundary;
   the fewest boundaries that do (interval stabbing), each placed where it cuts the fewest
   cells. A cell that a boundary crosses spans those columns, as a merged cell does.
6. **Row labels.** A label with empty slots above or below it, nothing to its left and
   something to its right there (一级/二级指标, 项目资金) spans those rows: centred labels
   symmetrically, top-aligned ones down to the next label, whichever layout the column shows.

The result is a slot grid with merged cells (``GridGeom``), the same shape the ruled-table
builders produce, so the caller fills cell texts by character centres as for ruled tables.
"""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass

from extractor.ingest.text_cells import _first_frag, _last_frag, fences, merge_rows, stack
from extractor.ingest.text_lines import (
    NUMBER,
    Band,
    Block,
    Frag,
    Glyph,
    Rule,
    bands_of,
    regions,
    text_lines,
)

__all__ = ["Glyph", "GridGeom", "Rule", "text_tables"]


@dataclass
class GridGeom:
    """A table's slot grid: column and row boundaries, and cells as inclusive slot
    rectangles ``(row0, col0, row1, col1)`` (ruled grids tile it; text grids leave the
    slots where nothing is printed without a cell)."""

    xs: list[float]
    ys: list[float]
    cells: list[tuple[int, int, int, int]]
    text_aligned: bool = False  # read from text alignment, not rulings

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]


# 6. Cells on the slot grid, row labels


@dataclass
class _Grid:
    n_rows: int
    n_cols: int
    occ: list[list[int | None]]
    rects: list[list[int]]  # per placed block: [r0, c0, r1, c1]
    anchored: list[set[int]]  # per band: the cells (block indices) that start in it
    first_cols: list[set[int]]  # per band: the first columns of the cells printed in it
    numeric: list[bool]  # per block: a bare number

    def free(self, r: int, c0: int, c1: int) -> bool:
        return all(self.occ[r][c] is None for c in range(c0, c1 + 1))

    def place(self, k: int, rect: list[int]) -> bool:
        r0, c0, r1, c1 = rect
        if any(not self.free(r, c0, c1) for r in range(r0, r1 + 1)):
            return False
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                self.occ[r][c] = k
        self.rects[k] = rect
        self.anchored[r0].add(k)
        self.first_cols[r0].add(c0)
        return True

    def extend(self, k: int, up: int, down: int) -> None:
        r0, c0, r1, c1 = self.rects[k]
        for r in list(range(r0 - up, r0)) + list(range(r1 + 1, r1 + down + 1)):
            for c in range(c0, c1 + 1):
                self.occ[r][c] = k
        self.rects[k] = [r0 - up, c0, r1 + down, c1]
        # A row label is transparent to the labels right of it: it no longer blocks them.
        self.anchored[r0].discard(k)

    def _blocks(self, r: int, k: int) -> bool:
        """Whether cell ``k``, left of a label in band ``r``, keeps the label out of that
        band: a number, or a cell with something right beside it (a row of values). A
        lone label piece with an empty slot beside it (a side label) does not."""
        c1 = self.rects[k][3]
        return self.numeric[k] or (c1 + 1 < self.n_cols and self.occ[r][c1 + 1] is not None)

    def starts(self, r: int, after: int) -> set[int]:
        """Columns, right of ``after``, where cells printed in band ``r`` start."""
        return {c for c in self.first_cols[r] if c > after}

    def eligible(self, r: int, c0: int, c1: int, own: set[int]) -> bool:
        """Band ``r`` may take a row label at columns c0..c1: empty there, nothing starting
        to its left, and to its right cells in the columns of the label's own row (a row
        of the same section, not a heading or goal row of another)."""
        if not self.free(r, c0, c1):
            return False
        if any(self._blocks(r, k) for k in self.anchored[r] if self.rects[k][3] < c0):
            return False
        right = self.starts(r, c1)
        if not right:
            return False
        return not own or 2 * len(right & own) >= min(len(right), len(own))


def _slot(xs: list[float], x: float) -> int:
    """Index of the column slot holding ``x`` (inner boundaries only)."""
    return sum(1 for f in xs[1:-1] if f <= x)


def _place_blocks(blocks: list[Block], xs: list[float], n_rows: int) -> tuple[_Grid, list[Block]]:
    n_cols = len(xs) - 1
    occ: list[list[int | None]] = [[None] * n_cols for _ in range(n_rows)]
    grid = _Grid(
        n_rows, n_cols, occ, [], [set() for _ in range(n_rows)], [set() for _ in range(n_rows)], []
    )
    placed: list[Block] = []
    queue = sorted(blocks, key=lambda b: (b.b0, b.x0))
    while queue:
        b = queue.pop(0)
        rect = [b.b0, _slot(xs, b.x0 + 0.01), b.b1, _slot(xs, b.x1 - 0.01)]
        grid.rects.append(rect)
        grid.numeric.append(bool(NUMBER.match(b.text)))
        if grid.place(len(placed), rect):
            placed.append(b)
            continue
        grid.rects.pop()
        grid.numeric.pop()
        if b.b1 > b.b0:  # a wrapped cell that does not fit: its lines as separate cells
            per_band: dict[int, list[Frag]] = {}
            for f in b.frags:
                per_band.setdefault(_band_of(f, b), []).append(f)
            queue = sorted(
                queue + [Block(fs, i, i) for i, fs in per_band.items()],
                key=lambda x: (x.b0, x.x0),
            )
    return grid, placed


def _band_of(f: Frag, b: Block) -> int:
    span = b.b1 - b.b0 + 1
    first, last = _first_frag(b).cy, _last_frag(b).cy
    if last <= first:
        return b.b0
    return b.b0 + round((f.cy - first) / (last - first) * (span - 1))


def _runs(grid: _Grid, rect: list[int]) -> tuple[int, int]:
    r0, c0, r1, c1 = rect
    own = set().union(*(grid.starts(r, c1) for r in range(r0, r1 + 1)))
    up = 0
    while r0 - up - 1 >= 0 and grid.eligible(r0 - up - 1, c0, c1, own):
        up += 1
    down = 0
    while r1 + down + 1 < grid.n_rows and grid.eligible(r1 + down + 1, c0, c1, own):
        down += 1
    return up, down


def _centred(rect: list[int], cy: float, ys: list[float], up: int, down: int) -> tuple[int, int]:
    r0, _, r1, _ = rect
    best = (0, 0)
    best_err = None
    for u in range(up + 1):
        for d in range(down + 1):
            mid = (ys[r0 - u] + ys[r1 + d + 1]) / 2
            h = (ys[r1 + d + 1] - ys[r0 - u]) / (r1 + d - r0 + u + 1)
            err = round(abs(mid - cy) / max(h, 1e-6) / 0.3)  # within 0.15 row: a tie
            if best_err is None or err < best_err or (err == best_err and u + d > sum(best)):
                best, best_err = (u, d), err
    return best


def _extend_labels(grid: _Grid, placed: list[Block], ys: list[float]) -> None:
    """Row labels spanning the empty rows beside them, centred on their text (labels of
    merged cells are printed centred; a top-aligned label keeps its own row and the
    mapper fills it down)."""
    by_col: dict[tuple[int, int], list[int]] = {}
    for k, rect in enumerate(grid.rects):
        by_col.setdefault((rect[1], rect[3]), []).append(k)
    for key in sorted(by_col):
        ks = sorted(by_col[key], key=lambda k: grid.rects[k][0])
        for k, (u, d) in _plan(grid, placed, ys, ks).items():
            grid.extend(k, u, d)


def _plan(
    grid: _Grid, placed: list[Block], ys: list[float], ks: list[int]
) -> dict[int, tuple[int, int]]:
    """Centred spans of the labels ``ks`` of one column, claimed in the order given."""
    claimed: set[int] = set()
    plan: dict[int, tuple[int, int]] = {}
    for k in ks:
        r0, _, r1, _ = grid.rects[k]
        up, down = _runs(grid, grid.rects[k])
        up = next((u for u in range(up) if r0 - u - 1 in claimed), up)
        down = next((d for d in range(down) if r1 + d + 1 in claimed), down)
        u, d = _centred(grid.rects[k], placed[k].cy, ys, up, down)
        claimed |= set(range(r0 - u, r0)) | set(range(r1 + 1, r1 + d + 1))
        if u or d:
            plan[k] = (u, d)
    return plan


# ---------------------------------------------------------------------------------------
# The whole page


def _row_bounds(bands: list[Band], rules: list[Rule]) -> list[float]:
    pad = 0.3 * statistics.median(b.size for b in bands)
    ys = [bands[0].y0 - pad]
    for a, b in itertools.pairwise(bands):
        between = [r.y for r in rules if a.y1 - 1 <= r.y <= b.y0 + 1]
        ys.append(between[0] if between else (a.y1 + b.y0) / 2)
    ys.append(bands[-1].y1 + pad)
    return ys


def region_grid(bands: list[Band], rules: list[Rule]) -> GridGeom:
    blocks = stack(bands, rules)
    bands = merge_rows(bands, blocks)
    size = statistics.median(b.size for b in bands)
    x0 = min(b.x0 for b in blocks) - 0.5 * size
    x1 = max(b.x1 for b in blocks) + 0.5 * size
    xs = [x0, *fences(blocks, len(bands)), x1]
    ys = _row_bounds(bands, rules)
    grid, placed = _place_blocks(blocks, xs, len(bands))
    _extend_labels(grid, placed, ys)
    # Empty slots get no cell: nothing was printed there, and a blank cell between a label
    # and its value would read as the value.
    cells = sorted((r[0], r[1], r[2], r[3]) for r in grid.rects)
    return GridGeom(xs=xs, ys=ys, cells=cells, text_aligned=True)


def text_tables(glyphs: list[Glyph], rules: list[Rule]) -> list[GridGeom]:
    """The tables that text alignment shows among ``glyphs`` (none when it shows none)."""
    lines = text_lines(glyphs)
    if not lines:
        return []
    return [region_grid(reg, rules) for reg in regions(bands_of(lines, rules))]
