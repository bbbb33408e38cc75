"""Synthetic scans for OCR tests: a digital PDF rendered, rotated, faded, noised and
JPEG-compressed into an image-only PDF, and a fake OCR engine that "reads" such a scan
from the digital twin's characters (so grid reconstruction is tested without a model).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pymupdf

from extractor.ingest.ocr import OcrChar, OcrLine, prepare_page


@dataclass
class ScanStyle:
    angle: float = 0.0  # degrees the content is rotated clockwise on the "scanner"
    dpi: int = 200
    jpeg_quality: int = 60
    noise: float = 6.0  # std of Gaussian grain, grey levels
    fade: float = 1.0  # ink darkness kept (0.3: faint print and rulings)
    shift: tuple[float, float] = (0.0, 0.0)  # points the sheet slid on the glass
    blank: bool = False  # scan nothing (an empty sheet)


def _rotation(angle: float, w: int, h: int, shift: tuple[float, float], s: float) -> np.ndarray:
    # cv2 angles are counter-clockwise; content skewed clockwise by ``angle`` → -angle.
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), -angle, 1.0)
    m[0, 2] += shift[0] * s
    m[1, 2] += shift[1] * s
    return m


def make_scan(digital: Path, out: Path, style: ScanStyle, seed: int = 0) -> Path:
    """Every page of ``digital`` as a scanned image (no text layer) in ``out``."""
    rnd = np.random.default_rng(seed)
    src = pymupdf.open(digital)
    dst = pymupdf.open()
    for page in src:
        pix = page.get_pixmap(dpi=style.dpi, colorspace=pymupdf.csGRAY)
        img = np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.stride)
        img = img[:, : pix.width].astype(np.float32)
        if style.blank:
            img[:] = 255.0
        img = 255.0 - (255.0 - img) * style.fade
        s = pix.width / page.rect.width
        m = _rotation(style.angle, pix.width, pix.height, style.shift, s)
        img = cv2.warpAffine(img, m, (pix.width, pix.height), borderValue=255.0)
        img = img - 8.0 + rnd.normal(0.0, style.noise, img.shape)  # grey paper, grain
        ok, jpg = cv2.imencode(
            ".jpg",
            np.clip(img, 0, 255).astype(np.uint8),
            [cv2.IMWRITE_JPEG_QUALITY, style.jpeg_quality],
        )
        assert ok
        p = dst.new_page(width=page.rect.width, height=page.rect.height)
        p.insert_image(p.rect, stream=jpg.tobytes())
    dst.save(out)
    return out


def noise_page_pdf(out: Path, seed: int = 0) -> Path:
    """One page of pure noise (a scanner fault): no text, no rulings."""
    rnd = np.random.default_rng(seed)
    img = rnd.integers(0, 256, (1100, 780), dtype=np.uint8)
    ok, png = cv2.imencode(".png", img)
    assert ok
    doc = pymupdf.open()
    p = doc.new_page(width=595, height=842)
    p.insert_image(p.rect, stream=png.tobytes())
    doc.save(out)
    return out


@dataclass
class FakeOcr:
    """Reads a synthetic scan from its digital twin: each digital text line becomes an
    ``OcrLine`` whose characters sit where the scan shows them in the straightened image.

    ``low``: characters of lines containing one of these strings get confidence 0.3.
    Calls must come in page order (as ingestion makes them).
    """

    digital: Path
    scan: Path
    style: ScanStyle
    dpi: int = 150
    low: tuple[str, ...] = ()
    calls: int = 0
    recognised: list[str] = field(default_factory=list)

    def _to_scan(self, page: pymupdf.Page, x: float, y: float) -> tuple[float, float]:
        s = self.style.dpi / 72.0
        w, h = page.rect.width * s, page.rect.height * s
        m = _rotation(self.style.angle, round(w), round(h), self.style.shift, s)
        px = m @ np.array([x * s, y * s, 1.0])
        return float(px[0] / s), float(px[1] / s)

    def __call__(self, image: np.ndarray) -> list[OcrLine]:
        self.calls += 1
        dig = pymupdf.open(self.digital)[self.calls - 1]
        scan_page = pymupdf.open(self.scan)[self.calls - 1]
        gray, tf = prepare_page(scan_page, self.dpi)
        assert gray.shape == image.shape
        if self.style.blank:
            return []
        out: list[OcrLine] = []
        raw = dig.get_text("rawdict")
        for block in raw["blocks"]:
            for line in block.get("lines", []):
                chars: list[OcrChar] = []
                text = "".join(ch["c"] for sp in line["spans"] for ch in sp["chars"])
                conf = 0.3 if any(t in text for t in self.low) else 0.99
                for sp in line["spans"]:
                    for ch in sp["chars"]:
                        if ch["c"].isspace():
                            continue
                        x0, y0, x1, y1 = ch["bbox"]
                        pts = [
                            self._to_scan(dig, x, y)
                            for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))
                        ]
                        img_pts = [tf.to_image(x, y) for x, y in pts]
                        xs = [p[0] for p in img_pts]
                        ys = [p[1] for p in img_pts]
                        chars.append(OcrChar(ch["c"], conf, min(xs), min(ys), max(xs), max(ys)))
                if not chars:
                    continue
                out.append(
                    OcrLine(
                        "".join(c.text for c in chars),
                        conf,
                        min(c.x0 for c in chars),
                        min(c.y0 for c in chars),
                        max(c.x1 for c in chars),
                        max(c.y1 for c in chars),
                        chars,
                    )
                )
        return out
