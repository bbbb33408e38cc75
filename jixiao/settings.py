"""One settings object, read from ``JIXIAO_*`` environment variables when objects are built."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from schemas.errors import ConfigError
from schemas.options import (
    ExtractOptions,
    IngestOptions,
    OcrOptions,
    PageLimits,
    VisionOptions,
)

# The defaults of the options the core is given (one place says them).
_IN, _PAGE, _OCR, _VIS = IngestOptions(), PageLimits(), OcrOptions(), VisionOptions()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIXIAO_", extra="ignore")

    # Input limits: a document beyond them gets a clear error, the batch goes on.
    max_file_mb: float = Field(_IN.max_file_mb, gt=0, description="largest PDF accepted, in MB")
    max_pages: int = Field(_IN.max_pages, gt=0, description="most pages accepted in one PDF")
    # Page limits: a page beyond them is not read (a clear page error), and a page is never
    # rendered (OCR, review images, vision) to more pixels than the budget: the render
    # resolution is lowered to fit.
    max_page_pt: float = Field(_PAGE.max_page_pt, gt=0, description="largest page side, in points")
    max_page_images: int = Field(_PAGE.max_page_images, gt=0, description="most images on one page")
    max_image_megapixels: float = Field(
        _PAGE.max_image_megapixels,
        gt=0,
        description="most image pixels on one page (all its images), millions",
    )
    max_page_drawings: int = Field(
        _PAGE.max_page_drawings,
        gt=0,
        description="most vector drawing items (lines, rectangles) on one page",
    )
    # 10 MP: an A4 page at 300 dpi, an A3 at 200 dpi. OCR needs ~70 MB per megapixel on
    # top of its ~500 MB (a 14,400 pt page capped at 10 MP peaks near 1.2 GB; at 25 MP 2.4 GB).
    max_render_megapixels: float = Field(
        _PAGE.max_render_megapixels, gt=0, description="pixel budget of one rendered page, millions"
    )
    # A page with fewer extractable characters than this and an image is treated as a scan.
    min_text_chars: int = Field(_IN.min_text_chars, ge=0)
    # find_tables with PyMuPDF's layout model (slow, ~0.6 s/page) or ruling lines only.
    table_layout_model: bool = _IN.table_layout_model
    render_dpi: int = Field(150, ge=36, le=600)
    # Scanned pages (no text layer): OCR with RapidOCR, grid rebuilt from ruling lines.
    ocr: bool = _OCR.enabled
    ocr_dpi: int = Field(_OCR.dpi, ge=72, le=400, description="render resolution for OCR")
    ocr_threads: int = Field(
        _OCR.threads, ge=0, description="ONNX Runtime threads for OCR; 0 = all cores"
    )
    # Recognised text below this confidence is dropped as noise.
    ocr_min_score: float = Field(_OCR.min_score, ge=0.0, le=1.0)
    # A number read with a character below this confidence gets a LOW_CONFIDENCE warning
    # (golden scans: 6 of 1,831 numbers flagged at 0.5, 3 of them misread; 98 at 0.8).
    ocr_low_confidence: float = Field(_OCR.low_confidence, ge=0.0, le=1.0)
    # Scoring rules applied by the validators (see extractor/checks/rules.py).
    rule_set: str = ExtractOptions().rule_set
    cache_dir: Path = Path(".jixiao/cache")
    # Labels clerks taught the catalogue (`jixiao labels --accept`), read by every extraction.
    catalogue_file: Path = Path(".jixiao/taught-labels.json")
    # Model endpoint (any OpenAI-compatible server). Unset: the embedded llama.cpp server
    # is started on 127.0.0.1:JIXIAO_LLM_PORT with the model assembled from PyPI.
    llm_base_url: str | None = None
    llm_model: str = "qwen2.5-coder-1.5b-instruct"
    llm_api_key: str = "not-needed"
    # A llama.cpp server answers one request at a time and keeps working on a request whose
    # client gave up: a timeout shorter than a slow answer only queues a duplicate behind it.
    llm_timeout_s: float = Field(900.0, gt=0)
    # A vision endpoint is also shown the page images of the table (PNG at llm_vision_dpi).
    llm_vision: bool = _VIS.enabled
    llm_vision_dpi: int = Field(_VIS.dpi, ge=36, le=300)
    llm_vision_max_pages: int = Field(_VIS.max_pages, ge=1, le=10)
    llm_max_reasks: int = Field(2, ge=0, le=5)
    llm_max_attempts: int = Field(4, ge=1, le=10)
    llm_backoff_max_s: float = Field(20.0, gt=0)
    llm_port: int = Field(8765, gt=0, lt=65536)
    llm_n_ctx: int = Field(8192, ge=1024)
    llm_threads: int = Field(
        0, ge=0, description="llama.cpp threads; 0 = the CPUs not busy when the server starts"
    )
    model_path: Path = Path.home() / ".cache" / "jixiao" / "qwen2.5-coder-1.5b-instruct.gguf"
    db_url: str = "sqlite:///.jixiao/jixiao.db"
    # Batch runs over archives (jixiao/batch): zip safety limits and retries.
    zip_max_member_mb: float = Field(200.0, gt=0, description="largest zip member, uncompressed")
    zip_max_total_mb: float = Field(20000.0, gt=0, description="most uncompressed MB per zip")
    zip_max_ratio: float = Field(100.0, gt=1, description="most a member may inflate (zip bombs)")
    zip_max_depth: int = Field(2, ge=1, le=5, description="zip levels read (2: a zip in a zip)")
    batch_max_attempts: int = Field(3, ge=1, le=20, description="tries per document on crashes")
    # The batch lease: a second run of the same batch on the same store waits this long for
    # the first to finish (0: refuses at once). A lease whose run was killed is taken over at
    # once on the same host, and from another host when its heartbeat is this old.
    batch_lease_wait_s: float = Field(0.0, ge=0, description="wait for a running batch")
    batch_lease_stale_s: float = Field(300.0, ge=5, description="heartbeat age of a dead run")
    # Review screen: reviewer names with scrypt password hashes (`jixiao review add-reviewer`),
    # and where PDFs uploaded in the app are kept.
    reviewers_file: Path = Path(".jixiao/reviewers.json")
    upload_dir: Path = Path(".jixiao/uploads")

    def page_limits(self) -> PageLimits:
        return PageLimits(
            max_page_pt=self.max_page_pt,
            max_page_images=self.max_page_images,
            max_image_megapixels=self.max_image_megapixels,
            max_page_drawings=self.max_page_drawings,
            max_render_megapixels=self.max_render_megapixels,
        )

    def ocr_options(self) -> OcrOptions:
        return OcrOptions(
            enabled=self.ocr,
            dpi=self.ocr_dpi,
            threads=self.ocr_threads,
            min_score=self.ocr_min_score,
            low_confidence=self.ocr_low_confidence,
        )

    def ingest_options(self) -> IngestOptions:
        return IngestOptions(
            max_file_mb=self.max_file_mb,
            max_pages=self.max_pages,
            min_text_chars=self.min_text_chars,
            table_layout_model=self.table_layout_model,
            limits=self.page_limits(),
            ocr=self.ocr_options(),
        )

    def extract_options(self) -> ExtractOptions:
        """What the extractor is told: these settings as the core's option objects."""
        vision = VisionOptions(
            enabled=self.llm_vision, dpi=self.llm_vision_dpi, max_pages=self.llm_vision_max_pages
        )
        return ExtractOptions(ingest=self.ingest_options(), vision=vision, rule_set=self.rule_set)


def load_settings(**overrides: object) -> Settings:
    """Build settings; a bad value raises ConfigError naming the environment variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as e:
        problems = []
        for err in e.errors():
            name = str(err["loc"][0]) if err["loc"] else "?"
            problems.append(f"JIXIAO_{name.upper()}: {err['msg']}")
        raise ConfigError("invalid setting: " + "; ".join(problems)) from e
