"""Serialising results: the golden shape of FORMAT.md, or the full result model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from schemas.document_errors import ErrorCode
from schemas.golden import to_golden
from schemas.results import DocumentResult


def golden_document(result: DocumentResult) -> dict[str, Any]:
    doc = {
        "pdf": Path(result.path).name,
        "status": result.status.value,
        "errors": [e.model_dump(mode="json") for e in result.errors],
        "sha256": result.sha256,
        "page_count": result.page_count,
        "rule_set": result.rule_set,
        "records": [to_golden(r.record, r.findings) for r in result.records],
    }
    if result.llm is not None and result.llm.unanswered:  # model modes: what went unanswered
        doc["unanswered"] = [q.model_dump(mode="json") for q in result.llm.unanswered]
    return doc


def full_document(result: DocumentResult) -> dict[str, Any]:
    return result.model_dump(mode="json")


def render(result: DocumentResult, fmt: str) -> dict[str, Any]:
    if fmt == "golden":
        return golden_document(result)
    if fmt == "json":
        return full_document(result)
    raise ValueError(f"unknown format {fmt!r}: use golden or json")


def unanswered_lines(docs: list[tuple[str, DocumentResult]]) -> list[str]:
    """One summary line, then each distinct reason once (a dead endpoint is one error)."""
    asked = sum(r.llm.questions for _, r in docs if r.llm)
    missing = sum(r.llm.failed_questions for _, r in docs if r.llm)
    lines = [
        f"the model left {missing} of {asked} questions unanswered in {len(docs)} documents "
        f"({', '.join(n for n, _ in docs[:5])}{' …' if len(docs) > 5 else ''}):"
    ]
    seen: set[str] = set()
    for _, r in docs:
        for e in r.errors:
            if e.code is ErrorCode.MODEL and e.message not in seen:
                seen.add(e.message)
                lines.append(f"  {e.message}")
    return lines
