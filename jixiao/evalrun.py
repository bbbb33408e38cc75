"""Running the extractor over golden cases for ``jixiao eval``: one mode, or several compared.

The evaluation itself (``evals``) is pure; this edge runs ``extract_document`` and audits every
result's grounding independently against the document's own cells.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from evals import ExtractOutcome, GoldenCase, evaluate
from evals.compare import ModeRun
from extractor.checks.grounding import audit_grounding
from extractor.pipeline import Mode, extract_document
from jixiao.output import golden_document
from jixiao.settings import Settings

if TYPE_CHECKING:
    from extractor.llm.asker import Asker


def run_mode(
    cases: list[GoldenCase],
    settings: Settings,
    mode: Mode,
    asker_for: Callable[[], Asker | None],
    advance: Callable[[], None] = lambda: None,
) -> ModeRun:
    """Evaluate ``mode`` on ``cases``; sum the model ledgers; audit grounding of every record."""
    ungrounded: list[str] = []
    totals = {
        "calls": 0,
        "cache_hits": 0,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "questions": 0,
        "failed_questions": 0,
    }
    reasons: dict[str, int] = {}
    errors: list[str] = []
    seconds = 0.0

    def extract(pdf: Path) -> ExtractOutcome:
        nonlocal seconds
        cells: dict[str, str] = {}
        result = extract_document(
            pdf,
            settings,
            mode=mode,
            asker=asker_for(),
            cells_out=cells,
        )
        advance()
        for line in audit_grounding([r.record for r in result.records], cells):
            ungrounded.append(f"{pdf.name} {line}")
        if result.llm is not None:
            for k in totals:
                totals[k] += getattr(result.llm, k)
            seconds += result.llm.seconds
            for q in result.llm.unanswered:
                reasons[q.reason] = reasons.get(q.reason, 0) + 1
            errors.extend(e for e in result.errors if e.startswith("model ") and e not in errors)
        doc = golden_document(result)
        error = "; ".join(result.errors) if result.status.value == "failed" else None
        return ExtractOutcome(
            records=doc["records"], seconds=result.seconds, pages=result.page_count, error=error
        )

    report = evaluate(cases, extract)
    return ModeRun(
        mode=mode,
        report=report,
        ungrounded=ungrounded,
        model_calls=totals["calls"],
        cache_hits=totals["cache_hits"],
        prompt_tokens=totals["prompt_tokens"],
        completion_tokens=totals["completion_tokens"],
        model_seconds=seconds,
        questions=totals["questions"],
        failed_questions=totals["failed_questions"],
        unanswered=reasons,
        model_errors=errors[:3],
    )
