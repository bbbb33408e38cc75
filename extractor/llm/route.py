"""The llm and hybrid routes: the model says what labels mean, the mapper reads the cells.

- ``llm``: every label meaning comes from the model (the regex patterns are not used).
- ``hybrid``: the deterministic mapper first; only records it could not fill, or whose
  validators failed, go to the model, and only with the texts the patterns do not know.
  The model's reading replaces the mapper's only when it is strictly better (more grounded
  values, fewer errors), so hybrid is never worse than layout on a record.
"""

from __future__ import annotations

from collections.abc import Iterable

from extractor.layout.headers import PATTERNS, regex_labeler
from extractor.layout.segment import Segment
from extractor.llm.asker import Asker
from extractor.llm.questions import (
    GROUPS,
    answer_model,
    field_help,
    is_candidate,
    labels_from_answer,
    listed,
)
from prompts import load
from schemas.numbers import normalise_text

PROMPT = load("label_fields", 2)
CHUNK = 40
HEAD_ROWS = 14
TAIL_ROWS = 3


def candidate_texts(
    segments: Iterable[Segment],
    *,
    unknown_only: bool = False,
    head_rows: int = HEAD_ROWS,
    tail_rows: int = TAIL_ROWS,
) -> list[str]:
    """Short texts that could be labels, once each, from where labels are printed: the head
    of each record (project fields, funds, goals and indicator headers) and its last rows
    (总分, 评分等级). Indicator bodies are not shown: that keeps prompts small."""
    seen: set[str] = set()
    out: list[str] = []
    for seg in segments:
        rows = seg.rows[:head_rows] + seg.rows[max(head_rows, len(seg.rows) - tail_rows) :]
        for row in rows:
            for c in row.cells:
                key = normalise_text(c.text)
                if key in seen or not is_candidate(c.text):
                    continue
                seen.add(key)
                if unknown_only and any(regex_labeler(c.text, cat) for cat in PATTERNS):
                    continue
                out.append(c.text.strip())
    return out


def ask_labels(
    asker: Asker, texts: list[str], pdf_sha256: str, pages: list[int], schema_version: str
) -> dict[str, dict[str, str]]:
    """Ask each question group about ``texts``; canonical text -> {category: field}."""
    labels: dict[str, dict[str, str]] = {}
    for group in GROUPS:
        for start in range(0, len(texts), CHUNK):
            chunk = texts[start : start + CHUNK]
            messages = PROMPT.render(field_help=field_help(group), texts=listed(chunk))
            answer = asker.ask(
                answer_model(group, chunk),
                messages,
                context={"texts": chunk},
                key_parts={
                    "pdf_sha256": pdf_sha256,
                    "pages": pages,
                    "schema_version": schema_version,
                },
                prompt_version=PROMPT.version,
            )
            for key, cats in labels_from_answer(group, answer).items():  # type: ignore[arg-type]
                labels.setdefault(key, {}).update(cats)
    return labels
