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
import re
import statistics
from dataclasses import dataclass, field

# Lengths as multiples of the text size.
FRAGMENT_GAP = 0.9  # a gap wider than this always separates two fragments
OCR_LINE_GAP = 2.0  # inside one OCR text line, only a gap this wide separates fragments
SPLIT_GAP = 0.3  # a narrower gap (>= this) separates them where other lines have a column gap
NEAR_PITCH = 1.5  # ... and a lone fragment this close to the band's main line, through them
BAND_PITCH = 1.0  # lines whose centres are closer than this are interleaved: one band
REGION_GAP = 1.6  # a wider vertical gap between bands ends a table
TABULAR_GAP = 1.5  # a band is tabular when two of its fragments are this far apart
ALIGN = 0.6  # edges or centres this close are aligned
WRAP_PITCH_MAX = 1.75  # wrapped lines are never further apart than this (baseline to baseline)
TITLE_SIZE = 1.2  # text this much larger than the table's is a title, not a row
NARRATIVE_WIDTH = 0.75  # a lone fragment this wide (share of the table) is a paragraph line

NOTE = re.compile(r"^\s*(注|说明|备注)\s*\d*\s*[:：]")
NUMBER = re.compile(r"^([\s\-+−=<>≤≥≈~约]*[\d.,，%％\s]+(万元|元|分|%)?[\s)）]*|[\s\-—–−/]+)$")


@dataclass(slots=True)
class Glyph:
    """One character (or OCR word) with its box; ``size`` is its font size (or height)."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    # Glyphs an OCR detector read as one text line share a group: their character boxes
    # are estimates, so only a clear column gap splits them.
    group: int | None = None

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(slots=True)
class Rule:
    """A horizontal ruling line at height ``y`` from ``x0`` to ``x1``."""

    y: float
    x0: float
    x1: float


@dataclass
class Frag:
    """Glyphs of one line that belong together; its box and size computed once."""

    glyphs: list[Glyph]
    x0: float = field(init=False)
    x1: float = field(init=False)
    y0: float = field(init=False)
    y1: float = field(init=False)
    cy: float = field(init=False)
    size: float = field(init=False)
    text: str = field(init=False)

    def __post_init__(self) -> None:
        g = self.glyphs
        self.x0, self.x1 = min(x.x0 for x in g), max(x.x1 for x in g)
        self.y0, self.y1 = min(x.y0 for x in g), max(x.y1 for x in g)
        self.cy = sum(x.cy for x in g) / len(g)
        self.size = statistics.median(x.size for x in g)
        self.text = "".join(x.text for x in sorted(g, key=lambda x: x.x0))


@dataclass
class Line:
    frags: list[Frag]

    @property
    def y0(self) -> float:
        return min(f.y0 for f in self.frags)

    @property
    def y1(self) -> float:
        return max(f.y1 for f in self.frags)

    @property
    def cy(self) -> float:
        return statistics.median(f.cy for f in self.frags)

    @property
    def size(self) -> float:
        return statistics.median(f.size for f in self.frags)


@dataclass
class Block:
    """One cell's text: fragments stacked (wrapped lines), in bands ``b0``..``b1``."""

    frags: list[Frag]
    b0: int
    b1: int

    @property
    def x0(self) -> float:
        return min(f.x0 for f in self.frags)

    @property
    def x1(self) -> float:
        return max(f.x1 for f in self.frags)

    @property
    def y0(self) -> float:
        return min(f.y0 for f in self.frags)

    @property
    def y1(self) -> float:
        return max(f.y1 for f in self.frags)

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def text(self) -> str:
        return "".join(f.text for f in sorted(self.frags, key=lambda f: (f.cy, f.x0)))


@dataclass
class Band:
    lines: list[Line]
    blocks: list[Block] = field(default_factory=list)

    @property
    def y0(self) -> float:
        return min(ln.y0 for ln in self.lines)

    @property
    def y1(self) -> float:
        return max(ln.y1 for ln in self.lines)

    @property
    def size(self) -> float:
        return statistics.median(ln.size for ln in self.lines)

    @property
    def frags(self) -> list[Frag]:
        return sorted((f for ln in self.lines for f in ln.frags), key=lambda f: f.x0)


@dataclass
class GridGeom:
    """A table's slot grid: column and row boundaries, and cells as inclusive slot
    rectangles ``(row0, col0, row1, col1)`` (ruled grids tile it; text grids leave the
    slots where nothing is printed without a cell)."""

    xs: list[float]
    ys: list[float]
    cells: list[tuple[int, int, int, int]]

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        return self.xs[0], self.ys[0], self.xs[-1], self.ys[-1]


# ---------------------------------------------------------------------------------------
# 1. Lines and fragments


def _lines(glyphs: list[Glyph]) -> list[list[Glyph]]:
    rows: list[list[Glyph]] = []
    for g in sorted(glyphs, key=lambda g: (g.cy, g.x0)):
        if rows:
            last = rows[-1]
            cy = statistics.median(x.cy for x in last)
            if abs(g.cy - cy) <= 0.35 * max(g.size, last[0].size):
                last.append(g)
                continue
        rows.append([g])
    return [sorted(r, key=lambda g: g.x0) for r in rows]


def _split(glyphs: list[Glyph], gap: float) -> list[Frag]:
    """Glyphs of one line cut at gaps wider than ``gap`` × size (spaces never start one)."""
    out: list[list[Glyph]] = []
    prev: Glyph | None = None
    for g in glyphs:
        if not g.text.strip():
            continue
        limit = gap * max(g.size, prev.size) if prev is not None else 0.0
        if prev is not None and g.group is not None and g.group == prev.group:
            limit = max(limit, OCR_LINE_GAP * g.size)
        if out and prev is not None and g.x0 - prev.x1 <= limit:
            out[-1].append(g)
        else:
            out.append([g])
        prev = g
    return [Frag(f) for f in out]


def _column_gaps(lines: list[list[Frag]]) -> list[tuple[float, float]]:
    return [(a.x1, b.x0) for frags in lines for a, b in itertools.pairwise(frags)]


def _refine(frags: list[Frag], gaps: list[tuple[float, float]]) -> list[Frag]:
    """Cut a fragment at a narrow gap (>= SPLIT_GAP) that two other lines' column gaps
    cover: two cells whose texts nearly touch."""
    out: list[Frag] = []
    for f in frags:
        cur: list[Glyph] = []
        for g in f.glyphs:
            same_line = g.group is not None and g.group == cur[-1].group if cur else False
            if cur and not same_line and g.x0 - cur[-1].x1 >= SPLIT_GAP * g.size:
                a, b = cur[-1].x1, g.x0
                support = sum(1 for lo, hi in gaps if lo <= b and hi >= a and hi - lo > b - a)
                if support >= 2:
                    out.append(Frag(cur))
                    cur = []
            cur.append(g)
        out.append(Frag(cur))
    return out


def text_lines(glyphs: list[Glyph]) -> list[Line]:
    raw = [_split(r, FRAGMENT_GAP) for r in _lines(glyphs)]
    raw = [r for r in raw if r]
    gaps = _column_gaps(raw)
    return [Line(_refine(r, gaps)) for r in raw]


# ---------------------------------------------------------------------------------------
# 2. Bands


def _rule_between(rules: list[Rule], y_top: float, y_bottom: float, x0: float, x1: float) -> bool:
    return any(
        y_top <= r.y <= y_bottom and min(x1, r.x1) - max(x0, r.x0) > 0.5 * (x1 - x0) for r in rules
    )


def _interleaved(a: Line, b: Line) -> bool:
    """Closer than any two lines of one cell or two rows can be: one band."""
    return abs(a.cy - b.cy) < BAND_PITCH * max(a.size, b.size)


def bands_of(lines: list[Line], rules: list[Rule]) -> list[Band]:
    """Interleaved lines, as one band. A line of several cells joins a band only through
    the band's main line (the one with most cells), so a label centred between two rows
    joins one of them and never chains the two rows together."""
    bands: list[Band] = []
    for ln in sorted(lines, key=lambda ln: ln.cy):
        if bands and _joins(bands[-1], ln, rules):
            bands[-1].lines.append(ln)
            continue
        bands.append(Band([ln]))
    return bands


def _joins(band: Band, ln: Line, rules: list[Rule]) -> bool:
    main = max(band.lines, key=lambda x: len(x.frags))
    # A lone fragment may also join through a line next to the main one (a label beside
    # the last line of a wrapped cell), never through a chain of such lines.
    near = [x for x in band.lines if x is main or _interleaved(x, main)]
    reach = abs(ln.cy - main.cy) < NEAR_PITCH * max(ln.size, main.size)
    if not _interleaved(main, ln) and (
        len(ln.frags) > 1 or not reach or not any(_interleaved(x, ln) for x in near)
    ):
        return False
    x0 = min(f.x0 for f in ln.frags)
    x1 = max(f.x1 for f in ln.frags)
    return not _rule_between(rules, ln.y0 + 0.5, band.y1 - 0.5, x0, x1)


# ---------------------------------------------------------------------------------------
# 3. Regions


def _tabular(band: Band) -> bool:
    fr = band.frags
    s = band.size
    return any(b.x0 - a.x1 >= TABULAR_GAP * s for a, b in itertools.pairwise(fr))


def _breaks(prev: Band, band: Band, width: tuple[float, float], size: float) -> bool:
    """Whether ``band`` cannot continue the table that ``prev`` belongs to."""
    if band.y0 - prev.y1 > REGION_GAP * size:
        return True
    if band.size >= TITLE_SIZE * size:
        return True
    fr = band.frags
    if len(fr) == 1 and not _tabular(band):
        text = fr[0].text
        if NOTE.match(text):
            return True
        wide = (fr[0].x1 - fr[0].x0) >= NARRATIVE_WIDTH * max(1.0, width[1] - width[0])
        if wide and fr[0].x0 <= width[0] + 2 * size:
            return True
    return False


def _continues_band(run: list[Band]) -> bool:
    if len(run) < 2:
        return False
    above = run[-2].frags
    return all(
        any(a.x0 - a.size <= f.x0 and f.x1 <= a.x1 + a.size for a in above) for f in run[-1].frags
    )


def regions(bands: list[Band]) -> list[list[Band]]:
    """Runs of bands that form tables: from a tabular band to the last tabular band before
    a break, with at least two tabular bands."""
    out: list[list[Band]] = []
    cur: list[Band] = []

    def close() -> None:
        # Trailing lines that are not rows end the table, unless they continue a cell
        # of the row above (a wrapped cell running onto the next page).
        while cur and not _tabular(cur[-1]) and not _continues_band(cur):
            cur.pop()
        if sum(1 for b in cur if _tabular(b)) >= 2:
            out.append(list(cur))
        cur.clear()

    for band in bands:
        if not cur:
            if _tabular(band):
                cur.append(band)
            continue
        size = statistics.median(b.size for b in cur)
        xs = [f.x0 for b in cur for f in b.frags] + [f.x1 for b in cur for f in b.frags]
        if _breaks(cur[-1], band, (min(xs), max(xs)), size):
            close()
            if _tabular(band):
                cur.append(band)
            continue
        cur.append(band)
    close()
    return out


# ---------------------------------------------------------------------------------------
# 4. Cells within a band, and wrapped cells across bands


def _band_blocks(band: Band, index: int) -> list[Block]:
    """Fragments of one band that overlap horizontally are one cell (a two-line label)."""
    out: list[Block] = []
    for f in band.frags:
        if out and f.x0 < out[-1].x1 - 0.2 * f.size:
            out[-1].frags.append(f)
        else:
            out.append(Block([f], index, index))
    return out


def _aligned(a: Frag, b: Frag) -> bool:
    s = max(a.size, b.size) * ALIGN
    if abs(a.x0 - b.x0) <= s or abs(a.x1 - b.x1) <= s:
        return True
    if abs((a.x0 + a.x1) / 2 - (b.x0 + b.x1) / 2) <= s:
        return True
    # A first line indented by a few characters, the next one flush left.
    return b.x0 < a.x0 and a.x0 - b.x0 <= 2.5 * a.size and abs(a.x1 - b.x1) <= 2 * a.size


def _last_frag(block: Block) -> Frag:
    return max(block.frags, key=lambda f: f.cy)


def _first_frag(block: Block) -> Frag:
    return min(block.frags, key=lambda f: f.cy)


def _continues(upper: Block, lower: Block) -> Frag | None:
    """The upper block's last line if ``lower`` may continue it (aligned, not wider, not a
    bare number), else None. The pitch is checked by the caller."""
    a, b = _last_frag(upper), _first_frag(lower)
    if NUMBER.match(b.text):
        return None
    # A wrapped line never reaches further right than the line it continues.
    if b.x1 > a.x1 + 1.1 * a.size or b.x0 < a.x0 - 2.5 * a.size:
        return None
    return a if _aligned(a, b) else None


def _main_cy(band: Band) -> float:
    return max(band.lines, key=lambda ln: len(ln.frags)).cy


def _row_pitch(bands: list[Band]) -> float:
    """The typical baseline pitch of rows: between neighbouring bands of three or more
    cells (0 when the table shows none)."""
    rows = [
        _main_cy(bands[i + 1]) - _main_cy(bands[i])
        for i in range(len(bands) - 1)
        if len(bands[i].blocks) >= 3 and len(bands[i + 1].blocks) >= 3
    ]
    return statistics.median(rows) if rows else 0.0


def _pitch_limit(bands: list[Band]) -> float:
    """Baseline pitch below which an aligned line continues the cell above: halfway
    between the smallest aligned pitch (wrapped lines) and the typical row pitch."""
    size = statistics.median(b.size for b in bands)
    row = _row_pitch(bands)
    wraps = []
    for i in range(len(bands) - 1):
        for lo in bands[i + 1].blocks:
            for up in bands[i].blocks:
                a = _continues(up, lo)
                if a is not None and _first_frag(lo).cy - a.cy > 0.5 * size:
                    wraps.append(_first_frag(lo).cy - a.cy)
    cap = WRAP_PITCH_MAX * size
    if not wraps:
        return 0.0
    wrap = min(wraps)
    if not row:
        return min(cap, 1.6 * size)
    if wrap >= 0.93 * row:
        return 0.0  # no pitch tells wrapped lines from rows here
    return min(cap, (wrap + row) / 2)


def stack(bands: list[Band], rules: list[Rule]) -> list[Block]:
    """Every cell of the region, wrapped lines joined (a block may span several bands)."""
    for i, band in enumerate(bands):
        band.blocks = _band_blocks(band, i)
    limit = _pitch_limit(bands)
    open_blocks: list[Block] = list(bands[0].blocks) if bands else []
    out: list[Block] = list(open_blocks)
    for i in range(1, len(bands)):
        prev = [b for b in out if b.b1 == i - 1]
        targets = [_stack_target(prev, lo, bands[i].blocks, limit, rules) for lo in bands[i].blocks]
        # A band where a cell under one of the band above does not continue it starts a
        # new row: in it only the clear remainder of a wrapped label (narrower than the line
        # it continues) continues the row above, not a label of the same width.
        if any(
            t is None and any(_x_overlap(lo, b) for b in prev)
            for lo, t in zip(bands[i].blocks, targets, strict=True)
        ):
            targets = [
                t if t is not None and _remainder(t, lo) else None
                for t, lo in zip(targets, bands[i].blocks, strict=True)
            ]
        for lo, up in zip(bands[i].blocks, targets, strict=True):
            if up is None:
                out.append(lo)
            else:
                up.frags.extend(lo.frags)
                up.b1 = i
    return out


def _remainder(up: Block, lo: Block) -> bool:
    """The lower line is the clear remainder of a wrapped label (narrower by a character),
    or the next character of vertical text."""
    a, b = _last_frag(up), _first_frag(lo)
    if len(a.text) <= 2 and len(b.text) <= 2:
        return True
    return (b.x1 - b.x0) <= (a.x1 - a.x0) - a.size


def _numeric(b: Block) -> bool:
    return bool(NUMBER.match(b.text))


def _x_overlap(a: Block, b: Block) -> bool:
    return min(a.x1, b.x1) - max(a.x0, b.x0) > 0


def _stack_target(
    prev: list[Block], lo: Block, same_band: list[Block], limit: float, rules: list[Rule]
) -> Block | None:
    over = [b for b in prev if _x_overlap(b, lo)]
    if len(over) != 1:
        return None
    up = over[0]
    a = _continues(up, lo)
    if a is None or _first_frag(lo).cy - a.cy > limit:
        return None
    # The upper cell must sit over this fragment alone (not over two cells of the band).
    if sum(1 for b in same_band if min(b.x1, up.x1) - max(b.x0, up.x0) > 0) != 1:
        return None
    if _rule_between(rules, a.y1 - 0.5, _first_frag(lo).y0 + 0.5, lo.x0, lo.x1):
        return None
    return up


# ---------------------------------------------------------------------------------------
# 5. Columns


def _present(blocks: list[Block], i: int) -> list[Block]:
    return sorted((b for b in blocks if b.b0 <= i <= b.b1), key=lambda b: b.x0)


def fences(blocks: list[Block], n_bands: int) -> list[float]:
    """Column boundaries: one inside every gap between neighbouring cells of a band, as
    few as possible, each where it crosses the fewest cells."""
    gaps: list[tuple[float, float]] = []
    for i in range(n_bands):
        row = _present(blocks, i)
        gaps += [(a.x1, b.x0) for a, b in itertools.pairwise(row) if b.x0 > a.x1]
    # Vertical text (a side label printed a character or two a line) has its own column,
    # whether or not a band shows a cell right beside it.
    for v in blocks:
        if _vertical(v):
            gaps.append((v.x1, v.x1 + 0.5 * _first_frag(v).size))
    groups: list[list[tuple[float, float]]] = []
    for a, b in sorted(gaps, key=lambda g: g[1]):
        if groups and max(g[0] for g in groups[-1]) <= b and min(g[1] for g in groups[-1]) >= a:
            groups[-1].append((a, b))
        else:
            groups.append([(a, b)])
    out = []
    for grp in groups:
        lo, hi = max(g[0] for g in grp), min(g[1] for g in grp)
        out.append(_best_cut(lo, hi, blocks))
    return sorted(out)


def _vertical(b: Block) -> bool:
    return len(b.frags) >= 2 and all(
        len(f.text) <= 2 and f.x1 - f.x0 <= 2.2 * f.size for f in b.frags
    )


def _best_cut(lo: float, hi: float, blocks: list[Block]) -> float:
    """The middle of the gap all the group's gaps share (where a ruling would be)."""
    del blocks
    return (lo + hi) / 2


# ---------------------------------------------------------------------------------------
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


def _satellite(bands: list[Band], blocks: list[Block], i: int, row_pitch: float) -> int:
    """-1 or +1 when band ``i`` holds nothing but one label squeezed between two rows
    (a label centred over an even number of rows): the side of the nearer row; else 0."""
    if i == 0 or i == len(bands) - 1 or row_pitch <= 0:
        return 0
    present = [b for b in blocks if b.b0 <= i <= b.b1]
    if len(present) != 1 or present[0].b0 != i or present[0].b1 != i:
        return 0
    if NUMBER.match(present[0].text):
        return 0
    cy = _main_cy(bands[i])
    up, down = cy - _main_cy(bands[i - 1]), _main_cy(bands[i + 1]) - cy
    if max(up, down) > 0.8 * row_pitch:
        return 0
    return -1 if up < down else 1


def merge_rows(bands: list[Band], blocks: list[Block]) -> list[Band]:
    """Bands that are not rows of their own, joined to their neighbour: one whose cells
    all go on in the band below (the first line of a wrapped cell printed above the row's
    centred values), one where no cell starts (the last lines of wrapped cells), and one
    that holds only a label squeezed between two rows. The blocks' band indices are
    renumbered to the merged rows."""
    n = len(bands)
    pitch = _row_pitch(bands)
    side = [_satellite(bands, blocks, i, pitch) for i in range(n)]
    group = [0] * n
    for i in range(1, n):
        # The cells starting in band i-1 all go on below (labels of earlier rows ending
        # there, and side labels in vertical text, say nothing about it).
        starting = [b for b in blocks if b.b0 == i - 1 and not _vertical(b)]
        going = [b for b in starting if b.b1 >= i]
        # Labels left of the going-on cells (a row label printed beside their first line)
        # go with that row.
        rest = [
            b
            for b in starting
            if b.b1 < i and not (going and b.x1 < min(g.x0 for g in going) and not _numeric(b))
        ]
        all_go_on = bool(going) and not rest
        none_start = not any(b.b0 == i and not _vertical(b) for b in blocks)
        joins = all_go_on or none_start or side[i] == -1 or side[i - 1] == 1
        group[i] = group[i - 1] + (0 if joins else 1)
    merged: list[Band] = []
    for i, band in enumerate(bands):
        if group[i] == len(merged):
            merged.append(Band(list(band.lines)))
        else:
            merged[-1].lines.extend(band.lines)
    for b in blocks:
        b.b0, b.b1 = group[b.b0], group[b.b1]
    return merged


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
    return GridGeom(xs=xs, ys=ys, cells=sorted((r[0], r[1], r[2], r[3]) for r in grid.rects))


def text_tables(glyphs: list[Glyph], rules: list[Rule]) -> list[GridGeom]:
    """The tables that text alignment shows among ``glyphs`` (none when it shows none)."""
    lines = text_lines(glyphs)
    if not lines:
        return []
    return [region_grid(reg, rules) for reg in regions(bands_of(lines, rules))]
