"""Guards of ingestion: a garbled text layer (sent to OCR), a page beyond the size or image
limits (not read), and the pixel budget of a rendered page (the resolution is lowered)."""

from __future__ import annotations

import unicodedata

import pymupdf

from schemas.options import PageLimits
from schemas.sanitise import REPLACEMENT

# A text layer is garbled (a font without a usable ToUnicode map) when, among its glyphs,
# control characters reach 5 %, private-use glyphs 10 %, unmapped glyphs (U+FFFD, what
# MuPDF gives a CID it cannot map; unassigned code points) 10 % or 5 % in runs of three or
# more, or all of these together 15 %; always at least 3 such glyphs.
_GARBLED_MIN = 3


def garbled_text(chars: list[str]) -> str | None:
    """Why a page's glyphs are not readable text (the signals found), or None."""
    control = private = unmapped = in_runs = run = total = 0
    for c in chars:
        cat = unicodedata.category(c) if len(c) == 1 else "Lo"
        if cat != "Cc" and c.isspace():
            continue
        total += 1
        if c == REPLACEMENT or cat in ("Cn", "Cs"):
            unmapped += 1
            run += 1
            in_runs += 3 if run == 3 else 1 if run > 3 else 0
            continue
        run = 0
        if cat == "Cc":
            control += 1
        elif cat == "Co":
            private += 1
    bad = control + private + unmapped
    if total == 0 or bad < _GARBLED_MIN:
        return None
    signals = []
    if control >= 0.05 * total:
        signals.append(f"{control / total:.0%} control characters")
    if private >= 0.10 * total:
        signals.append(f"{private / total:.0%} private-use glyphs")
    if unmapped >= 0.10 * total or in_runs >= 0.05 * total:
        signals.append(f"{unmapped / total:.0%} unmapped glyphs")
    if not signals and bad >= 0.15 * total:
        signals.append(f"{bad / total:.0%} control, private-use or unmapped glyphs")
    return ", ".join(signals) or None


def page_over_limits(page: pymupdf.Page, limits: PageLimits) -> str | None:
    """Why a page is refused unread: larger than ``JIXIAO_MAX_PAGE_PT`` on a side, more
    images (or image pixels) than ``JIXIAO_MAX_PAGE_IMAGES`` /
    ``JIXIAO_MAX_IMAGE_MEGAPIXELS``, or more vector drawing items (lines, rectangles,
    curves) than ``JIXIAO_MAX_PAGE_DRAWINGS``; None when it is within the limits."""
    w, h = page.rect.width, page.rect.height
    if max(w, h) > limits.max_page_pt:
        return (
            f"page is {w:.0f} × {h:.0f} pt, over the limit of {limits.max_page_pt:g} pt a "
            "side (JIXIAO_MAX_PAGE_PT): not read"
        )
    images = page.get_images(full=True)
    if len(images) > limits.max_page_images:
        return (
            f"page has {len(images)} images, over the limit of {limits.max_page_images} "
            "(JIXIAO_MAX_PAGE_IMAGES): not read"
        )
    pixels = sum(max(0, int(im[2])) * max(0, int(im[3])) for im in images) / 1e6
    if pixels > limits.max_image_megapixels:
        return (
            f"page images hold {pixels:,.0f} megapixels, over the limit of "
            f"{limits.max_image_megapixels:g} (JIXIAO_MAX_IMAGE_MEGAPIXELS): not read"
        )
    # The table finder's time grows with the square of the ruling count (10,000 segments
    # ~1 s, 40,000 ~11 s): a page of vector noise would stall the document.
    items = sum(len(d.get("items", ())) for d in page.get_cdrawings())
    if items > limits.max_page_drawings:
        return (
            f"page has {items:,} vector drawing items, over the limit of "
            f"{limits.max_page_drawings:,} (JIXIAO_MAX_PAGE_DRAWINGS): not read"
        )
    return None


def render_dpi(page: pymupdf.Page, dpi: float, max_megapixels: float) -> float:
    """``dpi``, lowered so that the page renders to at most ``max_megapixels``."""
    w, h = page.rect.width, page.rect.height
    if w <= 0 or h <= 0:
        return dpi
    pixels = (w * dpi / 72) * (h * dpi / 72)
    budget = max_megapixels * 1e6
    if pixels <= budget:
        return dpi
    return max(1.0, dpi * (budget / pixels) ** 0.5 * 0.999)
