"""Cells of a text-aligned table (the middle of ``text_grid``): wrapped lines joined into
one cell, bands that are not rows of their own merged into their row, and the column
boundaries every band's gaps need.
"""

from __future__ import annotations

import itertools
import statistics

from extractor.ingest.text_lines import (
    ALIGN,
    NUMBER,
    WRAP_PITCH_MAX,
    Band,
    Block,
    Frag,
    Rule,
    _rule_between,
)

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
    spans = [(b.x0, b.x1) for b in blocks]  # extents read once
    out = []
    for grp in groups:
        lo, hi = max(g[0] for g in grp), min(g[1] for g in grp)
        cut = _best_cut(lo, hi, spans)
        out.append(cut)
        # A gap that the shared boundary serves only by cutting through cells that start or
        # end inside it (a left-aligned column under a centred heading) gets its own.
        for a, b in grp:
            own = _best_cut(a, b, spans)
            if _crossed(own, a, b, spans) < _crossed(cut, a, b, spans):
                out.append(own)
    return sorted(set(out))


Span = tuple[float, float]


def _crossed(x: float, lo: float, hi: float, spans: list[Span]) -> int:
    """How many cells starting or ending inside ``lo``..``hi`` the boundary ``x`` cuts."""
    return sum(1 for a, b in spans if (lo < a < hi or lo < b < hi) and a < x < b)


def _vertical(b: Block) -> bool:
    return len(b.frags) >= 2 and all(
        len(f.text) <= 2 and f.x1 - f.x0 <= 2.2 * f.size for f in b.frags
    )


def _best_cut(lo: float, hi: float, spans: list[Span]) -> float:
    """Where in the gap all the group's gaps share the boundary goes: through the fewest
    cells that start or end inside that gap (a left-aligned column starting there, a
    centred heading beside it), nearest the middle among those."""
    inside = [(a, b) for a, b in spans if lo < a < hi or lo < b < hi]
    mid = (lo + hi) / 2
    cands = {lo, hi, mid} | {x for a, b in inside for x in (a - 0.01, b + 0.01) if lo <= x <= hi}
    return min(cands, key=lambda x: (_crossed(x, lo, hi, inside), abs(x - mid)))


# ---------------------------------------------------------------------------------------


def _satellite(bands: list[Band], blocks: list[Block], i: int, row_pitch: float) -> int:
    """-1 or +1 when band ``i`` holds nothing but labels squeezed between two rows (labels
    centred over an even number of rows: 一级 and 二级指标 side by side): the side of the
    nearer row; else 0."""
    if i == 0 or i == len(bands) - 1 or row_pitch <= 0:
        return 0
    present = [b for b in blocks if b.b0 <= i <= b.b1]
    if not present or any(b.b0 != i or b.b1 != i or NUMBER.match(b.text) for b in present):
        return 0
    # Labels of merged cells: the rows above and below print nothing in their columns.
    beside = [b for b in blocks if b.b0 <= i - 1 <= b.b1 or b.b0 <= i + 1 <= b.b1]
    if any(_x_overlap(a, b) for a in present for b in beside):
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
