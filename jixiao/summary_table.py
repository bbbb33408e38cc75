"""``jixiao extract --format table``: a readable summary of each document, per record its
key figures and its findings (Chinese text, with the code and the field), for a terminal.

Works on the golden shape (``jixiao.output.golden_document``); returns plain text lines
(no markup: file names and cell text are printed as they are). Also the page-counting OCR
hook the progress bar uses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jixiao.settings import Settings
from jixiao.words import DOC_STATUS as STATUS_ZH
from jixiao.words import FORM_TYPE as FORM_ZH
from jixiao.words import SEVERITY as SEVERITY_ZH
from schemas.catalogue import DECL_FUND_ZH, FUND_COLUMN_ZH
from schemas.document_errors import error_lines


def _v(x: Any) -> str:
    return "—" if x in (None, "") else " ".join(str(x).split())


def _funds_line(rec: dict[str, Any]) -> str:
    funds = rec.get("funds") or {}
    total = funds.get("total")
    unit = f"资金（{_v(rec.get('money_unit'))}）："
    if isinstance(total, dict):
        cols = ("full_year_budget", "executed", "execution_rate")
        return (
            unit
            + " · ".join(f"{FUND_COLUMN_ZH[c]} {_v(total.get(c))}" for c in cols)
            + f" · 总分 {_v(rec.get('total_score'))} · 等级 {_v(rec.get('grade'))}"
        )
    keys = ("total", "annual_request")
    return unit + " · ".join(f"{DECL_FUND_ZH[k]} {_v(funds.get(k))}" for k in keys)


def document_lines(doc: dict[str, Any], seconds: float | None = None) -> list[str]:
    """The summary of one document (``golden_document`` shape)."""
    recs = doc.get("records") or []
    took = f" · {seconds:.2f} s" if seconds is not None else ""
    lines = [
        f"{doc.get('pdf')} · {STATUS_ZH.get(doc.get('status') or '', doc.get('status'))} · "
        f"{doc.get('page_count') or 0} 页 · {len(recs)} 条记录{took}"
    ]
    lines += [f"  ! {e}" for e in error_lines(doc.get("errors") or [])]
    for i, rec in enumerate(recs, 1):
        findings = [f for f in rec.get("findings") or [] if f.get("severity") != "info"]
        n_err = sum(1 for f in findings if f.get("severity") == "error")
        lines.append(
            f"  {i}. {_v(rec.get('project_name'))}（{_v(rec.get('year'))} 年，"
            f"{_v(rec.get('department'))}，{FORM_ZH.get(rec.get('form_type') or '', '?')}，"
            f"第 {', '.join(str(p) for p in rec.get('pages') or []) or '?'} 页）"
            f"：{n_err} 个错误，{len(findings) - n_err} 个警告"
        )
        lines.append(f"     {_funds_line(rec)}")
        for f in sorted(findings, key=lambda f: f.get("severity") != "error"):
            text = f.get("message_zh") or f.get("message") or ""
            lines.append(
                f"     {SEVERITY_ZH.get(f.get('severity') or '', '?')} {f.get('code')} "
                f"{f.get('field') or ''}：{' '.join(str(text).split())}"
            )
    return lines


class PageCountingOcr:
    """An OCR engine that calls ``on_page()`` for every scanned page it reads (the progress
    bar then counts pages, not files) and hands the work to the default engine, built on the
    first scanned page."""

    def __init__(self, settings: Settings, on_page: Callable[[], None]) -> None:
        self.settings = settings
        self.on_page = on_page
        self._engine: Any = None

    def _get(self) -> Any:
        if self._engine is None:
            from extractor.ingest.ocr import default_engine

            self._engine = default_engine(self.settings.ocr_options())
        return self._engine

    def __call__(self, image: Any) -> Any:
        try:
            return self._get()(image)
        finally:
            self.on_page()

    def recognize(self, image: Any) -> Any:
        return self._get().recognize(image)


def page_count(path: Any) -> int:
    """Pages of a PDF (0 when it cannot be opened: extraction then reports why)."""
    try:
        import pymupdf

        with pymupdf.open(path) as doc:
            return int(doc.page_count)
    except Exception:
        return 0
