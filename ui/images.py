"""Page images with the source cells of a field drawn on them.

Provenance boxes are PDF points with the origin at the page's top-left (PyMuPDF's page
coordinates); a page rendered at ``dpi`` is ``dpi / 72`` pixels per point. The highlight is
a translucent fill and a solid outline in ``HIGHLIGHT`` so a test (and a clerk) can find it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from PIL import Image, ImageDraw

from jixiao.settings import Settings

BBox = tuple[float, float, float, float]
HIGHLIGHT = (255, 0, 170)  # magenta: absent from printed forms, easy to find in a screenshot
FINDING = (255, 140, 0)  # orange: cells a finding cites


def scale_box(
    bbox: Sequence[float], dpi: float, size: tuple[int, int]
) -> tuple[int, int, int, int]:
    """A box in PDF points → pixel box on a page rendered at ``dpi``, clipped to the image."""
    k = dpi / 72.0
    x0, y0, x1, y1 = (float(v) * k for v in bbox)
    if x1 < x0:
        x0, x1 = x1, x0
    if y1 < y0:
        y0, y1 = y1, y0
    w, h = size
    return (
        max(0, min(w - 1, round(x0))),
        max(0, min(h - 1, round(y0))),
        max(0, min(w - 1, round(x1))),
        max(0, min(h - 1, round(y1))),
    )


def draw_boxes(
    png: bytes,
    boxes: Iterable[Sequence[float]],
    dpi: float,
    color: tuple[int, int, int] = HIGHLIGHT,
    width: int | None = None,
    alpha: int = 70,
    raw: bool = False,
) -> bytes:
    """PNG bytes with each box (PDF points) filled translucent and outlined in ``color``
    (outline ``width`` pixels; default about 1 pt, so it stays visible when scaled down)."""
    width = width or max(3, round(dpi / 25))
    base = Image.open(io.BytesIO(png)).convert("RGBA")
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for bbox in boxes:
        box = scale_box(bbox, dpi, base.size)
        draw.rectangle(box, fill=(*color, alpha))
        pad = (box[0] - width, box[1] - width, box[2] + width, box[3] + width)
        draw.rectangle(pad, outline=(*color, 255), width=width)
    out = Image.alpha_composite(base, overlay).convert("RGB")
    if raw:
        return out  # type: ignore[return-value]
    buf = io.BytesIO()
    out.save(buf, format="PNG")
    return buf.getvalue()


def page_image(
    pdf: Path,
    page: int,
    boxes: Iterable[Sequence[float]] = (),
    *,
    dpi: int | None = None,
    settings: Settings | None = None,
    color: tuple[int, int, int] = HIGHLIGHT,
) -> bytes:
    """Page ``page`` (1-based) of ``pdf`` as PNG with ``boxes`` highlighted.

    Raises ``schemas.errors.InputError`` when the PDF is missing or unreadable.
    """
    from extractor.ingest.pdf import render_page
    from schemas.errors import InputError

    settings = settings or Settings()
    dpi = dpi or settings.render_dpi
    if not pdf.is_file():
        raise InputError(f"source PDF not found at {pdf}")
    png, used = render_page(pdf, page, dpi=dpi, options=settings.ingest_options())
    boxes = list(boxes)
    return draw_boxes(png, boxes, used, color=color) if boxes else png


def count_color(png: bytes, color: tuple[int, int, int] = HIGHLIGHT, tol: int = 12) -> int:
    """How many pixels of ``png`` are within ``tol`` of ``color`` (for tests and checks)."""
    import numpy as np

    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)
    close = np.abs(img - np.array(color, dtype=np.int16)) <= tol
    return int(close.all(axis=2).sum())


def view_image(
    png: bytes,
    boxes: Sequence[Sequence[float]],
    dpi: float,
    max_ratio: float = 0.9,
    quality: int = 85,
) -> bytes:
    """What the record view shows: the page with ``boxes`` highlighted, cut to the part
    around them (full width, at most ``max_ratio`` × width tall, centred on the boxes, so
    the cell and its neighbours fit beside the record's values on one screen), as JPEG (decoded and encoded once: several times faster
    than PNG for a page scan, and a third of the bytes)."""
    base: Image.Image = (
        draw_boxes(png, boxes, dpi, raw=True)  # type: ignore[assignment]
        if boxes
        else Image.open(io.BytesIO(png)).convert("RGB")
    )
    w, h = base.size
    win = min(h, int(w * max_ratio))
    if win < h:
        centres = [(scale_box(b, dpi, (w, h))[1] + scale_box(b, dpi, (w, h))[3]) / 2 for b in boxes]
        cy = sum(centres) / len(centres) if centres else win / 2
        top = int(max(0, min(h - win, cy - win / 2)))
        base = base.crop((0, top, w, top + win))
    buf = io.BytesIO()
    base.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()
