"""OCR at the edge: a scanned page becomes a deskewed grey image and text lines with
per-character boxes and confidences.

The page is rendered by PyMuPDF at ``JIXIAO_OCR_DPI`` in grey, its skew is measured from
the horizontal projection profile of its dark pixels (ruling lines and text lines are
horizontal on a straight page, so the profile is sharpest at the right angle) and undone
by a rotation about the page centre. RapidOCR (``rapidocr-onnxruntime``, PP-OCRv4 Chinese
detection and recognition models shipped in its wheel; nothing is downloaded) reads the
deskewed image; every character keeps its box and confidence so that ingestion can place
characters in cells the way it does for a text layer.

Coordinates: OCR and grid reconstruction work in the deskewed image (pixels);
``PageTransform`` maps a point back to the PDF page (points) by undoing the rotation and
the render scale.

The engine is passed in (``OcrEngine``: any callable from an image to ``OcrLine`` s), so
tests can give a fake one; ``default_engine`` builds RapidOCR once per process.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import cv2
import numpy as np
import pymupdf

from extractor.ingest.guards import render_dpi
from schemas.errors import ConfigError
from schemas.options import OcrOptions, PageLimits

# Skew search: coarse over ±MAX_SKEW, then fine around the best coarse angle.
MAX_SKEW_DEG = 5.0
_COARSE_STEP = 0.1
_FINE_STEP = 0.01
# Skew below this is left alone (a rotation resamples the image for no gain).
MIN_DESKEW_DEG = 0.03


@dataclass(slots=True)
class OcrChar:
    """One recognised character (or Latin word) in deskewed image pixels."""

    text: str
    conf: float
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


@dataclass(slots=True)
class OcrLine:
    """One detected text line: its text, mean confidence, box and characters."""

    text: str
    conf: float
    x0: float
    y0: float
    x1: float
    y1: float
    chars: list[OcrChar] = field(default_factory=list)


class OcrEngine(Protocol):
    """Reads a page image: text lines with character boxes (pixels of that image)."""

    def __call__(self, image: np.ndarray) -> list[OcrLine]: ...


class Recognizer(Protocol):
    """Optional second capability: read one cropped text line (no detection)."""

    def recognize(self, image: np.ndarray) -> tuple[str, float]: ...


class OcrEngineError(Exception):
    """The OCR engine failed on one page (the page is reported, the document goes on)."""


@dataclass(frozen=True, slots=True)
class PageTransform:
    """Deskewed image pixels → PDF points: undo the rotation, then the render scale."""

    scale: float  # pixels per PDF point
    angle: float  # degrees the image was rotated to straighten it
    cx: float  # rotation centre, pixels
    cy: float

    def to_pdf(self, x: float, y: float) -> tuple[float, float]:
        a = math.radians(self.angle)
        dx, dy = x - self.cx, y - self.cy
        # The image was rotated by +angle (counter-clockwise on screen); rotate back.
        ox = self.cx + dx * math.cos(a) - dy * math.sin(a)
        oy = self.cy + dx * math.sin(a) + dy * math.cos(a)
        return ox / self.scale, oy / self.scale

    def to_image(self, x: float, y: float) -> tuple[float, float]:
        """A PDF point (points) → the straightened image (pixels); inverse of ``to_pdf``."""
        a = math.radians(self.angle)
        dx, dy = x * self.scale - self.cx, y * self.scale - self.cy
        return (
            self.cx + dx * math.cos(a) + dy * math.sin(a),
            self.cy - dx * math.sin(a) + dy * math.cos(a),
        )

    def box_to_pdf(
        self, x0: float, y0: float, x1: float, y1: float
    ) -> tuple[float, float, float, float]:
        """An axis-aligned box of the straightened image as a box on the PDF page.

        The box keeps its size and is centred where its centre lies on the page, so a
        slightly rotated cell is not inflated by the rotation (neighbouring cells do not
        overlap) while its highlight still falls on the printed cell.
        """
        cx, cy = self.to_pdf((x0 + x1) / 2, (y0 + y1) / 2)
        hw, hh = (x1 - x0) / 2 / self.scale, (y1 - y0) / 2 / self.scale
        return (round(cx - hw, 2), round(cy - hh, 2), round(cx + hw, 2), round(cy + hh, 2))


def render_gray(
    page: pymupdf.Page, dpi: int, max_megapixels: float | None = None
) -> tuple[np.ndarray, float]:
    """The page as an 8-bit grey image, and its scale in pixels per point. A page that
    would pass ``max_megapixels`` (default: ``PageLimits``' budget) at ``dpi`` is
    rendered at the resolution that fits: the scale says which."""
    if max_megapixels is None:
        max_megapixels = PageLimits().max_render_megapixels
    zoom = render_dpi(page, dpi, max_megapixels) / 72
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), colorspace=pymupdf.csGRAY, alpha=False)
    img = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.stride)
    img = img[:, : pix.width].copy()
    scale = pix.width / page.rect.width if page.rect.width else zoom
    return img, scale


def dark_mask(gray: np.ndarray) -> np.ndarray:
    """Ink as 255, paper as 0 (Otsu on a lightly blurred image: paper texture and JPEG
    noise stay below the threshold)."""
    blur = cv2.GaussianBlur(gray, (3, 3), 0)
    _, mask = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return mask


def _profile_score(xs: np.ndarray, ys: np.ndarray, angle: float, height: int) -> float:
    t = math.tan(math.radians(angle))
    rows = np.round(ys - xs * t).astype(np.int64)
    rows -= rows.min()
    counts = np.bincount(rows, minlength=height)
    return float(np.dot(counts, counts))


def estimate_skew(gray: np.ndarray) -> float:
    """Degrees the page content is rotated clockwise (positive) or counter-clockwise.

    Maximises the sum of squared row counts of ink pixels after shearing by each candidate
    angle (a straight page has its ink concentrated in few rows: rulings and text lines).
    Works on a copy scaled to ~1000 px wide; 0.0 when the page has too little ink.
    """
    h, w = gray.shape[:2]
    f = min(1.0, 1000.0 / max(1, w))
    small = cv2.resize(gray, (max(1, int(w * f)), max(1, int(h * f))), interpolation=cv2.INTER_AREA)
    mask = dark_mask(small)
    ys, xs = np.nonzero(mask)
    if len(xs) < 200 or len(xs) > 0.5 * mask.size:
        return 0.0
    xs = xs.astype(np.float64)
    ys = ys.astype(np.float64)
    hh = mask.shape[0] + int(mask.shape[1] * math.tan(math.radians(MAX_SKEW_DEG))) + 2

    def best(angles: np.ndarray) -> float:
        scores = [_profile_score(xs, ys, float(a), hh) for a in angles]
        return float(angles[int(np.argmax(scores))])

    coarse = best(np.arange(-MAX_SKEW_DEG, MAX_SKEW_DEG + 1e-9, _COARSE_STEP))
    fine = best(np.arange(coarse - _COARSE_STEP, coarse + _COARSE_STEP + 1e-9, _FINE_STEP))
    return round(fine, 3)


def deskew(gray: np.ndarray, skew: float, scale: float) -> tuple[np.ndarray, PageTransform]:
    """Rotate ``gray`` so that content skewed by ``skew`` degrees becomes straight."""
    h, w = gray.shape[:2]
    cx, cy = w / 2.0, h / 2.0
    if abs(skew) < MIN_DESKEW_DEG:
        return gray, PageTransform(scale=scale, angle=0.0, cx=cx, cy=cy)
    # Content at angle θ (rows drop by tan θ per column) is straightened by rotating by θ
    # counter-clockwise in image coordinates (y down): cv2 uses positive = counter-clockwise.
    m = cv2.getRotationMatrix2D((cx, cy), skew, 1.0)
    out = cv2.warpAffine(
        gray, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=255
    )
    return out, PageTransform(scale=scale, angle=skew, cx=cx, cy=cy)


def _ink_box(
    mask: np.ndarray, x0: float, y0: float, x1: float, y1: float, pad: int = 2
) -> tuple[int, int, int, int] | None:
    """The box of the dark pixels inside a box, padded; None when there is no ink."""
    h, w = mask.shape[:2]
    a0, b0 = max(0, int(x0)), max(0, int(y0))
    a1, b1 = min(w, math.ceil(x1)), min(h, math.ceil(y1))
    sub = mask[b0:b1, a0:a1]
    if sub.size == 0 or not sub.any():
        return None
    rows, cols = np.flatnonzero(sub.any(axis=1)), np.flatnonzero(sub.any(axis=0))
    return (
        max(0, a0 + int(cols[0]) - pad),
        max(0, b0 + int(rows[0]) - pad),
        min(w, a0 + int(cols[-1]) + 1 + pad),
        min(h, b0 + int(rows[-1]) + 1 + pad),
    )


def _same_run(a: OcrLine, b: OcrLine) -> bool:
    """Two detections of overlapping pieces of one printed run (the detector sometimes
    boxes ``260.26`` as ``260.`` and ``0.26``): same row, overlapping horizontally."""
    ov_y = min(a.y1, b.y1) - max(a.y0, b.y0)
    ov_x = min(a.x1, b.x1) - max(a.x0, b.x0)
    hh = min(a.y1 - a.y0, b.y1 - b.y0)
    ww = min(a.x1 - a.x0, b.x1 - b.x0)
    return ov_y > 0.6 * hh and ov_x > 0.15 * ww


def merge_overlapping_lines(
    gray: np.ndarray, lines: list[OcrLine], recognizer: Recognizer | None
) -> list[OcrLine]:
    """Overlapping detections of one run become one line, read again as a whole (or,
    with no recogniser, the weaker one loses the characters the stronger one covers)."""
    mask = dark_mask(gray)
    out: list[OcrLine] = []
    for ln in sorted(lines, key=lambda ln: (ln.y0, ln.x0)):
        other = next((o for o in out if _same_run(o, ln)), None)
        if other is None:
            out.append(ln)
            continue
        x0, y0 = min(other.x0, ln.x0), min(other.y0, ln.y0)
        x1, y1 = max(other.x1, ln.x1), max(other.y1, ln.y1)
        box = _ink_box(mask, x0, y0, x1, y1)
        text, conf = (
            recognizer.recognize(gray[box[1] : box[3], box[0] : box[2]])
            if (recognizer is not None and box is not None)
            else ("", 0.0)
        )
        text = text.strip()
        if text:
            merged = OcrLine(text, conf, x0, y0, x1, y1, _spread(text, conf, x0, y0, x1, y1))
        else:
            strong, weak = (other, ln) if other.conf >= ln.conf else (ln, other)
            keep = [c for c in weak.chars if not (strong.x0 <= c.cx <= strong.x1)]
            chars = sorted(strong.chars + keep, key=lambda c: c.x0)
            merged = OcrLine(
                "".join(c.text for c in chars), min(strong.conf, weak.conf), x0, y0, x1, y1, chars
            )
        out[out.index(other)] = merged
    return out


def reread_weak_lines(
    gray: np.ndarray, lines: list[OcrLine], recognizer: Recognizer, below: float = 0.9
) -> int:
    """Read again, alone, each line recognised with a score below ``below``.

    On a full page the detector's box sometimes takes in a speck or a neighbour's edge and
    recognition degrades (``260.26`` read as ``2600..26`` at 0.60). The line is cropped to
    its ink (dark pixels inside its box, padded by two pixels) and recognised alone; the
    new reading replaces the old one when it scores higher. Returns how many changed.
    """
    mask = dark_mask(gray)
    changed = 0
    for ln in lines:
        if ln.conf >= below:
            continue
        box = _ink_box(mask, ln.x0, ln.y0, ln.x1, ln.y1)
        if box is None:
            continue
        a, c, b, d = box
        text, conf = recognizer.recognize(gray[c:d, a:b])
        text = text.strip()
        if not text or conf <= ln.conf:
            continue
        if len(text) == len(ln.chars):
            chars = [
                OcrChar(t, conf, o.x0, o.y0, o.x1, o.y1)
                for t, o in zip(text, ln.chars, strict=True)
            ]
        else:
            chars = _spread(text, conf, float(a), ln.y0, float(b), ln.y1)
        ln.text, ln.conf, ln.chars = text, conf, chars
        changed += 1
    return changed


def prepare_page(
    page: pymupdf.Page, dpi: int, max_megapixels: float | None = None
) -> tuple[np.ndarray, PageTransform]:
    """Render (within ``max_megapixels``), measure the skew and straighten: the image OCR
    and the grid builder read."""
    gray, scale = render_gray(page, dpi, max_megapixels)
    return deskew(gray, estimate_skew(gray), scale)


# ---------------------------------------------------------------------------------------
# RapidOCR


def _quad_box(q: Any) -> tuple[float, float, float, float]:
    xs = [float(p[0]) for p in q]
    ys = [float(p[1]) for p in q]
    return min(xs), min(ys), max(xs), max(ys)


def lines_from_rapidocr(result: Any) -> list[OcrLine]:
    """RapidOCR's ``return_word_box`` output as ``OcrLine`` s.

    Each entry is ``[quad, text, score, word_quads, words, word_scores]``; a Chinese
    character is one word, a run of Latin letters or digits may be one word.
    """
    out: list[OcrLine] = []
    for item in result or []:
        quad, text, score = item[0], str(item[1]), float(item[2])
        x0, y0, x1, y1 = _quad_box(quad)
        chars: list[OcrChar] = []
        if len(item) >= 6 and item[3] and len(item[3]) == len(item[4]):
            for wq, wt, ws in zip(item[3], item[4], item[5], strict=False):
                bx0, by0, bx1, by1 = _quad_box(wq)
                chars.append(OcrChar(str(wt), float(ws), bx0, by0, bx1, by1))
        if not chars or "".join(c.text for c in chars).replace(" ", "") != text.replace(" ", ""):
            # No usable word boxes: spread the line's characters evenly over its box.
            chars = _spread(text, score, x0, y0, x1, y1)
        out.append(OcrLine(text, score, x0, y0, x1, y1, chars))
    return out


def _spread(text: str, conf: float, x0: float, y0: float, x1: float, y1: float) -> list[OcrChar]:
    n = len(text)
    if n == 0:
        return []
    step = (x1 - x0) / n
    return [
        OcrChar(ch, conf, x0 + i * step, y0, x0 + (i + 1) * step, y1)
        for i, ch in enumerate(text)
        if not ch.isspace()
    ]


class RapidOcrEngine:
    """RapidOCR (rapidocr-onnxruntime 1.4.4) driven stage by stage.

    Text detection runs on the page scaled by ``det_scale`` (DBNet needs no more than
    ~110 dpi to find 10 pt text; at 0.75 it takes about half the time and memory of the
    full image), recognition on crops of the full-resolution image. The angle classifier
    is off (scans are upright). Each line keeps its per-character boxes and scores.
    """

    def __init__(
        self,
        threads: int = 0,
        min_score: float = 0.3,
        det_scale: float = 0.75,
        unclip: float = 2.0,
    ) -> None:
        from rapidocr_onnxruntime import RapidOCR

        # unclip: how far a detected text region is grown into its box (RapidOCR's 1.6
        # clips thin marks at line ends: the ")" of "(人次)", a leading "≥").
        kwargs: dict[str, Any] = {
            "use_cls": False,
            "print_verbose": False,
            "det_unclip_ratio": unclip,
        }
        if threads > 0:
            kwargs["intra_op_num_threads"] = threads
        self._ocr = RapidOCR(**kwargs)
        self._min_score = min_score
        self._det_scale = det_scale

    def __call__(self, image: np.ndarray) -> list[OcrLine]:
        img = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        try:
            return self._read(img)
        except Exception as e:  # onnxruntime / cv2 errors on a strange image
            raise OcrEngineError(f"OCR engine failed ({type(e).__name__}: {e})") from e

    def _read(self, img: np.ndarray) -> list[OcrLine]:
        o = self._ocr
        f = self._det_scale
        small = img if f >= 1.0 else cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
        boxes, _ = o.auto_text_det(small)
        if boxes is None or len(boxes) == 0:
            return []
        boxes = [np.asarray(b, dtype=np.float32) / min(f, 1.0) for b in boxes]
        crops = o.get_crop_img_list(img, boxes)
        rec, _ = o.text_rec(crops, True)
        rec = o.cal_rec_boxes(crops, boxes, rec)
        result = [
            [b.tolist(), r[0], r[1], r[2], r[3], r[4]]
            for b, r in zip(boxes, rec, strict=True)
            if float(r[1]) >= self._min_score
        ]
        return lines_from_rapidocr(result)

    def recognize(self, image: np.ndarray) -> tuple[str, float]:
        """One cropped line, recognition only (for ink the detector left out)."""
        img = image if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        try:
            result, _ = self._ocr(img, use_det=False, use_cls=False, use_rec=True)
        except Exception as e:
            raise OcrEngineError(f"OCR engine failed ({type(e).__name__}: {e})") from e
        if not result:
            return "", 0.0
        return str(result[0][0]), float(result[0][1])


@functools.lru_cache(maxsize=2)
def _engine(threads: int, min_score: float) -> RapidOcrEngine:
    return RapidOcrEngine(threads=threads, min_score=min_score)


def default_engine(options: OcrOptions) -> OcrEngine:
    """The process-wide RapidOCR engine (models load once, ~0.5 s)."""
    try:
        return _engine(options.threads, options.min_score)
    except ImportError as e:
        raise ConfigError(
            f"OCR needs rapidocr-onnxruntime ({e}): pip install -e . or set JIXIAO_OCR=false"
        ) from e
