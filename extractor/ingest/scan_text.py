"""Text of a scanned cell: OCR characters into lines, ink the detector left out, dashes.

- ``assemble_chars``: a cell's characters grouped into lines by height, each read left to
  right (a gap wider than a character is one space), as the text-layer path does.
- ``second_chance``: the text detector skips short marks, typically a wrapped line holding
  only ``)`` or ``次)``, or a lone ``-`` in an empty cell. Ink inside a cell (rulings
  removed) that no recognised character covers is read again: a lone short horizontal bar
  is a dash; anything else is cropped and passed to the recogniser alone.
- ``fix_cjk``: ``+`` right after a Chinese numeral is ``十`` (百分之三+ → 百分之三十), the one
  confusion between CJK text and ASCII that the recogniser makes on these forms.
- ``text_confidence``: a cell's confidence is its least sure character, brackets and quotes
  excepted (their full- and half-width shapes differ by a pixel and mean the same).
"""

from __future__ import annotations

import re
import unicodedata

import cv2
import numpy as np

from extractor.ingest.ocr import OcrChar, Recognizer, dark_mask

# A dash: one horizontal bar, in points (a printed "-" is ~2-6 pt wide, ~1-1.5 pt thick
# once scanned), at least DASH_RATIO times as wide as it is high (a speck is round).
DASH_MIN_W, DASH_MAX_W, DASH_MAX_H, DASH_RATIO = 1.5, 14.0, 2.6, 1.2
DASH_CONFIDENCE = 0.9  # a shape test, not a recognition score
NOISE_PT = 0.8  # ink pieces smaller than this (both sides) are paper noise
_CJK_NUMERAL = "一二三四五六七八九两百千万"
_PLUS_AFTER_NUMERAL = re.compile(rf"(?<=[{_CJK_NUMERAL}])[+＋]")
_BRACKETS = set("()[]{}<>\"'“”‘’")


def fix_cjk(text: str) -> str:
    return _PLUS_AFTER_NUMERAL.sub("十", text)


def text_confidence(chars: list[OcrChar]) -> float | None:
    """The lowest confidence of the characters that carry meaning (None when empty)."""
    if not chars:
        return None
    core = [c.conf for c in chars if unicodedata.normalize("NFKC", c.text) not in _BRACKETS]
    return round(min(core or [c.conf for c in chars]), 4)


def assemble_chars(chars: list[OcrChar]) -> list[str]:
    """Characters grouped into lines by height, each read left to right."""
    rows: list[list[OcrChar]] = []
    for ch in sorted(chars, key=lambda c: (c.cy, c.x0)):
        if rows:
            last = rows[-1]
            h = max(1.0, sum(c.y1 - c.y0 for c in last) / len(last))
            cy = sum(c.cy for c in last) / len(last)
            if abs(ch.cy - cy) <= 0.5 * h:
                last.append(ch)
                continue
        rows.append([ch])
    out: list[str] = []
    for r in rows:
        r.sort(key=lambda c: c.x0)
        h = max(1.0, sum(c.y1 - c.y0 for c in r) / len(r))
        parts: list[str] = []
        prev: OcrChar | None = None
        for ch in r:
            if prev is not None and ch.x0 - prev.x1 > 0.9 * h:
                parts.append(" ")
            parts.append(ch.text)
            prev = ch
        line = "".join(parts).strip()
        if line:
            # A wrapped line may start with the 十 of "三十" (read as "+").
            context = out[-1][-1:] if out else ""
            out.append(fix_cjk(context + line)[len(context) :])
    return out


def text_ink(gray: np.ndarray, rulings: np.ndarray, scale: float) -> np.ndarray:
    """Ink that is not a ruling line (rulings widened by a pixel or two first)."""
    k = max(3, int(1.5 * scale) | 1)
    wide = cv2.dilate(rulings, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    return cv2.bitwise_and(dark_mask(gray), cv2.bitwise_not(wide))


def tighten(
    ink: np.ndarray, x0: float, y0: float, x1: float, y1: float
) -> tuple[float, float, float, float]:
    """A box shrunk to the ink inside it (OCR boxes are padded); unchanged if no ink."""
    h, w = ink.shape[:2]
    a, b = max(0, int(x0)), min(w, int(np.ceil(x1)))
    c, d = max(0, int(y0)), min(h, int(np.ceil(y1)))
    if b <= a or d <= c:
        return x0, y0, x1, y1
    sub = ink[c:d, a:b]
    rows = np.flatnonzero(sub.any(axis=1))
    cols = np.flatnonzero(sub.any(axis=0))
    if len(rows) == 0:
        return x0, y0, x1, y1
    return (
        float(a + cols[0]),
        float(c + rows[0]),
        float(a + cols[-1] + 1),
        float(c + rows[-1] + 1),
    )


def _components(ink: np.ndarray, rect: tuple[int, int, int, int], scale: float) -> list[list[int]]:
    """Ink pieces inside ``rect`` (x0, y0, x1, y1 pixels) as [x0, y0, x1, y1], noise dropped."""
    x0, y0, x1, y1 = rect
    sub = ink[y0:y1, x0:x1]
    if sub.size == 0 or not sub.any():
        return []
    n, _, stats, _ = cv2.connectedComponentsWithStats(sub, connectivity=8)
    small = NOISE_PT * scale
    out = []
    for i in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[i])
        if (w < small and h < small) or area < small * small:
            continue
        out.append([x0 + x, y0 + y, x0 + x + w, y0 + y + h])
    return out


Box = tuple[float, float, float, float]


def _covered(box: list[int], read: list[Box], pad: float) -> bool:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    return any(b[0] - pad <= cx <= b[2] + pad and b[1] - pad <= cy <= b[3] + pad for b in read)


def _lines_of(boxes: list[list[int]]) -> list[list[int]]:
    """Pieces grouped into text lines by vertical overlap; each line's bounding box."""
    lines: list[list[int]] = []
    for b in sorted(boxes, key=lambda b: (b[1] + b[3]) / 2):
        for ln in lines:
            if min(ln[3], b[3]) - max(ln[1], b[1]) > 0.3 * min(ln[3] - ln[1], b[3] - b[1]):
                ln[0], ln[1] = min(ln[0], b[0]), min(ln[1], b[1])
                ln[2], ln[3] = max(ln[2], b[2]), max(ln[3], b[3])
                ln[4] += 1
                break
        else:
            lines.append([*b, 1])
    return lines


def _is_dash(ln: list[int], scale: float) -> bool:
    w, h = (ln[2] - ln[0]) / scale, (ln[3] - ln[1]) / scale
    return ln[4] == 1 and DASH_MIN_W <= w <= DASH_MAX_W and h <= DASH_MAX_H and w >= DASH_RATIO * h


def _inset(rect: tuple[float, float, float, float], scale: float) -> tuple[int, int, int, int]:
    inset = max(2.0, 1.2 * scale)
    return (
        int(rect[0] + inset),
        int(rect[1] + inset),
        int(rect[2] - inset),
        int(rect[3] - inset),
    )


def as_dash(
    ink: np.ndarray, rect: tuple[float, float, float, float], chars: list[OcrChar], scale: float
) -> list[OcrChar] | None:
    """A cell read as one character whose only ink is a short horizontal bar holds a dash:
    ``[-]``. The recogniser reads a lone dash as ``一``, ``1``, ``·``, ``，``, ``=`` …; the
    shape decides. None otherwise (the reading stands)."""
    read = "".join(c.text for c in chars).strip()
    if read == "-" or len(read) != 1:
        return None
    r = _inset(rect, scale)
    pieces = _components(ink, r, scale)
    if len(pieces) != 1:
        return None
    ln = [*pieces[0], 1]
    if not _is_dash(ln, scale):
        return None
    x0, y0, x1, y1 = pieces[0]
    return [OcrChar("-", DASH_CONFIDENCE, x0, y0, x1, y1)]


def second_chance(
    gray: np.ndarray,
    ink: np.ndarray,
    rect: tuple[float, float, float, float],
    chars: list[OcrChar],
    read: list[Box],
    scale: float,
    recognizer: Recognizer | None,
    min_score: float,
) -> list[OcrChar]:
    """Characters for the ink in cell ``rect`` (pixels) outside every box in ``read`` (the
    detector's text-line boxes); ``chars`` are the characters already in the cell."""
    r = _inset(rect, scale)
    if r[2] - r[0] < 3 or r[3] - r[1] < 3:
        return []
    pieces = [b for b in _components(ink, r, scale) if not _covered(b, read, 0.5 * scale)]
    if not pieces:
        return []
    out: list[OcrChar] = []
    for ln in _lines_of(pieces):
        x0, y0, x1, y1 = ln[:4]
        if not chars and _is_dash(ln, scale) and len(pieces) == 1:
            out.append(OcrChar("-", DASH_CONFIDENCE, x0, y0, x1, y1))
            continue
        if recognizer is None or (y1 - y0) < 2.5 * scale:
            continue  # too flat to be text (a stray mark), nothing to read it with
        pad = int(2 * scale)
        crop = gray[max(0, y0 - pad) : y1 + pad, max(0, x0 - pad) : x1 + pad]
        text, conf = recognizer.recognize(crop)
        text = text.strip()
        if not text or conf < min_score:
            continue
        step = (x1 - x0) / len(text)
        out += [
            OcrChar(ch, conf, x0 + i * step, y0, x0 + (i + 1) * step, y1)
            for i, ch in enumerate(text)
            if not ch.isspace()
        ]
    return out
