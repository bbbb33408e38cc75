"""Ruling lines of a scanned page image and the tables they form (steps 1 and 2 of
``scan_grid``): rulings found by morphology on the ink mask, grouped by crossing into
tables, with a virtual closing border where a table runs off or onto the page."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Lengths in PDF points (converted to pixels with the render scale).
H_KERNEL_PT = 20.0  # shortest horizontal ruling kept (longer than any character stroke)
V_KERNEL_PT = 12.0  # shortest vertical ruling kept (rows are >= ~15 pt high)
JOIN_GAP_PT = 4.0  # collinear pieces closer than this are one ruling
SNAP_PT = 3.0  # rulings closer than this are one grid line
TOUCH_PT = 4.0  # how far a ruling may stop short of the one it meets
MAX_THICK_PT = 3.5  # thicker "lines" are filled areas or text blobs, not rulings


@dataclass(slots=True)
class Seg:
    """A ruling: ``pos`` is y (horizontal) or x (vertical); ``a``..``b`` its extent."""

    pos: float
    a: float
    b: float


# ---------------------------------------------------------------------------------------
# Ruling lines


def ink_mask(gray: np.ndarray, scale: float) -> np.ndarray:
    """Ink as 255: darker than the local paper tone by a margin (catches faint rulings)."""
    block = max(15, int(12 * scale) | 1)
    return cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 12
    )


def _segments(mask: np.ndarray, horizontal: bool, scale: float) -> tuple[list[Seg], np.ndarray]:
    k = max(5, int((H_KERNEL_PT if horizontal else V_KERNEL_PT) * scale))
    shape = (k, 1) if horizontal else (1, k)
    lines = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, shape))
    # Bridge one- or two-pixel breaks along the line (JPEG noise, faint spots).
    bridge = (max(3, int(1.5 * scale)), 1) if horizontal else (1, max(3, int(1.5 * scale)))
    lines = cv2.morphologyEx(
        lines, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, bridge)
    )
    n, _, stats, cents = cv2.connectedComponentsWithStats(lines, connectivity=8)
    thick = MAX_THICK_PT * scale
    out: list[Seg] = []
    for i in range(1, n):
        x, y, w, h, _area = stats[i]
        if horizontal:
            if h > thick + 2 or w < k:
                continue
            out.append(Seg(float(cents[i][1]), float(x), float(x + w)))
        else:
            if w > thick + 2 or h < k:
                continue
            out.append(Seg(float(cents[i][0]), float(y), float(y + h)))
    return _join(out, JOIN_GAP_PT * scale, SNAP_PT * scale * 0.5), lines


def _join(segs: list[Seg], gap: float, tol: float) -> list[Seg]:
    """Collinear pieces (same position within ``tol``) closer than ``gap`` become one."""
    segs = sorted(segs, key=lambda s: (s.pos, s.a))
    out: list[Seg] = []
    for s in segs:
        for o in reversed(out[-8:]):
            if abs(o.pos - s.pos) <= tol and s.a <= o.b + gap and s.b >= o.a - gap:
                o.pos = (o.pos * (o.b - o.a) + s.pos * (s.b - s.a)) / max(
                    1.0, o.b - o.a + s.b - s.a
                )
                o.a, o.b = min(o.a, s.a), max(o.b, s.b)
                break
        else:
            out.append(Seg(s.pos, s.a, s.b))
    return out


def find_rulings(gray: np.ndarray, scale: float) -> tuple[list[Seg], list[Seg], np.ndarray]:
    """Horizontal and vertical rulings of the (deskewed) page image, in pixels, and the
    mask of their ink."""
    mask = ink_mask(gray, scale)
    hs, hmask = _segments(mask, True, scale)
    vs, vmask = _segments(mask, False, scale)
    return hs, vs, cv2.bitwise_or(hmask, vmask)


# ---------------------------------------------------------------------------------------
# Tables from rulings


def _crosses(h: Seg, v: Seg, tol: float) -> bool:
    return h.a - tol <= v.pos <= h.b + tol and v.a - tol <= h.pos <= v.b + tol


def snap(values: list[float], tol: float) -> list[float]:
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def group_tables(hs: list[Seg], vs: list[Seg], scale: float) -> list[tuple[list[Seg], list[Seg]]]:
    """Rulings grouped by crossing: each group with ≥ 2 of each direction is a table."""
    tol = TOUCH_PT * scale
    n = len(hs) + len(vs)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, h in enumerate(hs):
        for j, v in enumerate(vs):
            if _crosses(h, v, tol):
                parent[find(i)] = find(len(hs) + j)
    groups: dict[int, tuple[list[Seg], list[Seg]]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(find(i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        groups.setdefault(find(len(hs) + j), ([], []))[1].append(v)
    out = [g for g in groups.values() if len(g[0]) >= 1 and len(g[1]) >= 2]
    return [g for g in out if len(g[0]) + _open_ends(g[0], g[1], scale) >= 2]


def _open_ends(hs: list[Seg], vs: list[Seg], scale: float) -> int:
    return len(closing_borders(hs, vs, scale))


def closing_borders(hs: list[Seg], vs: list[Seg], scale: float) -> list[Seg]:
    """Virtual borders where ≥ 3 verticals start (end) together with no ruling there: a
    table running off or onto the page. Same rule as the text-layer path."""
    tol = 1.5 * SNAP_PT * scale
    out: list[Seg] = []
    if len(vs) < 3:
        return out
    for y, ends in ((min(v.a for v in vs), "a"), (max(v.b for v in vs), "b")):
        group = [v for v in vs if abs((v.a if ends == "a" else v.b) - y) <= tol]
        if len(group) < 3:
            continue
        x0, x1 = min(v.pos for v in group), max(v.pos for v in group)
        covered = any(abs(h.pos - y) <= tol and h.a <= x0 + tol and h.b >= x1 - tol for h in hs)
        if not covered:
            out.append(Seg(y, x0, x1))
    return out


def coverage(segs: list[Seg], pos: float, a: float, b: float, tol: float) -> float:
    """Share of ``a``..``b`` covered by rulings at ``pos`` (± ``tol``)."""
    if b <= a:
        return 0.0
    spans = sorted((max(a, s.a), min(b, s.b)) for s in segs if abs(s.pos - pos) <= tol)
    covered, end = 0.0, a
    for s0, s1 in spans:
        if s1 <= end:
            continue
        covered += s1 - max(s0, end)
        end = s1
    return covered / (b - a)
