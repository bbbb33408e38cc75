"""Page images for a vision endpoint (``JIXIAO_LLM_VISION``), rendered only when asked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from extractor.ingest.pdf import render_png
from schemas.options import IngestOptions, VisionOptions


@dataclass(frozen=True)
class PageImages:
    """Called with the pages a question is about: their PNGs (at most ``max_pages``), or
    None when the endpoint is not shown images."""

    path: Path
    vision: VisionOptions
    ingest: IngestOptions

    def __call__(self, pages: list[int]) -> list[bytes] | None:
        if not self.vision.enabled:
            return None
        v = self.vision
        return [render_png(self.path, p, v.dpi, self.ingest) for p in pages[: v.max_pages]]
