"""What extraction is told from outside: the mode, and small frozen option objects for
ingestion, OCR, page limits and vision. The application's ``Settings`` (``JIXIAO_*``
environment variables) builds them at the edge (``Settings.extract_options()``); the
defaults here are the settings' defaults."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Mode(StrEnum):
    """How labels are read: by the catalogue's patterns, by the model, or both."""

    layout = "layout"
    llm = "llm"
    hybrid = "hybrid"


class _Options(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PageLimits(_Options):
    """A page beyond these is not read (a page error); a page is never rendered to more
    pixels than ``max_render_megapixels`` (the resolution is lowered to fit)."""

    max_page_pt: float = Field(5000.0, gt=0)  # largest page side, in points
    max_page_images: int = Field(500, gt=0)
    max_image_megapixels: float = Field(400.0, gt=0)  # all images of one page, millions
    max_page_drawings: int = Field(20000, gt=0)  # vector drawing items on one page
    max_render_megapixels: float = Field(10.0, gt=0)


class OcrOptions(_Options):
    """Scanned pages: read by OCR (RapidOCR) when ``enabled``."""

    enabled: bool = True
    dpi: int = Field(150, ge=72, le=400)  # render resolution for OCR
    threads: int = Field(0, ge=0)  # ONNX Runtime threads; 0 = all cores
    min_score: float = Field(0.3, ge=0.0, le=1.0)  # recognised text below: dropped
    low_confidence: float = Field(0.5, ge=0.0, le=1.0)  # a number below: LOW_CONFIDENCE


class IngestOptions(_Options):
    """Reading one PDF: file limits, page limits, the text-layer test, tables, OCR."""

    max_file_mb: float = Field(200.0, gt=0)
    max_pages: int = Field(3000, gt=0)
    # A page with fewer extractable characters than this and an image is treated as a scan.
    min_text_chars: int = Field(20, ge=0)
    # find_tables with PyMuPDF's layout model (slow, ~0.6 s/page) or ruling lines only.
    table_layout_model: bool = False
    limits: PageLimits = PageLimits()
    ocr: OcrOptions = OcrOptions()


class VisionOptions(_Options):
    """A vision endpoint is also shown the page images of the table (PNG at ``dpi``)."""

    enabled: bool = False
    dpi: int = Field(100, ge=36, le=300)
    max_pages: int = Field(2, ge=1, le=10)


class ExtractOptions(_Options):
    """Everything ``extract_document`` is told besides the document and the model."""

    ingest: IngestOptions = IngestOptions()
    vision: VisionOptions = VisionOptions()
    rule_set: str = "cn-default"  # scoring rules of the validators (extractor/checks/rules.py)
