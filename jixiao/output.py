"""Serialising results: the golden shape of FORMAT.md, or the full result model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from schemas.golden import to_golden
from schemas.results import DocumentResult


def golden_document(result: DocumentResult) -> dict[str, Any]:
    doc = {
        "pdf": Path(result.path).name,
        "status": result.status.value,
        "errors": list(result.errors),
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
