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
from schemas.document_errors import error_lines

STATUS_ZH = {"ok": "正常", "partial": "部分读取", "failed": "失败", "skipped": "跳过"}
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
FORM_ZH = {"self_evaluation": "绩效自评表", "target_declaration": "绩效目标申报表"}


def _v(x: Any) -> str:
    return "—" if x in (None, "") else " ".join(str(x).split())


def _funds_line(rec: dict[str, Any]) -> str:
    funds = rec.get("funds") or {}
    total = funds.get("total")
    if isinstance(total, dict):
        return (
            f"资金（{_v(rec.get('money_unit'))}）：全年预算数 {_v(total.get('full_year_budget'))}"
            f" · 全年执行数 {_v(total.get('executed'))} · 执行率 {_v(total.get('execution_rate'))}"
            f" · 总分 {_v(rec.get('total_score'))} · 等级 {_v(rec.get('grade'))}"
        )
    return (
        f"资金（{_v(rec.get('money_unit'))}）：项目资金总额 {_v(total)}"
        f" · 年度资金申请总额 {_v(funds.get('annual_request'))}"
    )


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
