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
from evals.scores import EvalReport
from extractor.checks.grounding import audit_grounding
from extractor.pipeline import extract_document
from jixiao.output import golden_document
from jixiao.settings import Settings
from jixiao.taught import taught_labels
from schemas.document_errors import ErrorCode
from schemas.options import Mode
from schemas.results import DocumentResult

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
    run = ModeRun(mode=Mode(mode).value, report=EvalReport(variant="none"))  # the report comes last
    taught = taught_labels(settings)

    def extract(pdf: Path) -> ExtractOutcome:
        cells: dict[str, str] = {}
        result = extract_document(
            pdf,
            settings.extract_options(),
            mode=mode,
            asker=asker_for(),
            cells_out=cells,
            taught=taught,
        )
        advance()
        for line in audit_grounding([r.record for r in result.records], cells):
            run.ungrounded.append(f"{pdf.name} {line}")
        _add_ledger(run, result)
        doc = golden_document(result)
        error = "; ".join(map(str, result.errors)) if result.status.value == "failed" else None
        return ExtractOutcome(
            records=doc["records"], seconds=result.seconds, pages=result.page_count, error=error
        )

    run.report = evaluate(cases, extract)
    return run


def _add_ledger(run: ModeRun, result: DocumentResult) -> None:
    """Add a document's model ledger to the mode's totals, with its unanswered questions."""
    led = result.llm
    if led is None:
        return
    run.model_calls += led.calls
    run.cache_hits += led.cache_hits
    run.prompt_tokens += led.prompt_tokens
    run.completion_tokens += led.completion_tokens
    run.model_seconds += led.seconds
    run.questions += led.questions
    run.failed_questions += led.failed_questions
    for q in led.unanswered:
        run.unanswered[q.reason] = run.unanswered.get(q.reason, 0) + 1
    model = [e.message for e in result.errors if e.code is ErrorCode.MODEL]
    for message in model:
        if message not in run.model_errors and len(run.model_errors) < 3:
            run.model_errors.append(message)
