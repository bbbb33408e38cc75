"""Text lines, bands and table regions of a page, from its glyphs alone (the first half of
the text-alignment grid, ``text_grid``): glyphs on one baseline form a line, cut into
fragments; interleaved lines form a band; runs of tabular bands are tables.
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
