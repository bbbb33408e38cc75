"""The llm and hybrid routes: the model says what labels mean, the mapper reads the cells.

- ``llm``: every label meaning comes from the model (the regex patterns are not used).
- ``hybrid``: the deterministic mapper first; only records it could not fill, or whose
  validators failed, go to the model, and only with the texts the patterns do not know.
  The model's reading only fills values the mapper left empty (``extractor/llm/merge.py``),
  and only when that adds no error finding, so hybrid never overwrites a layout value.
"""

from __future__ import annotations

from collections.abc import Iterable

from extractor.layout.headers import PATTERNS, regex_labeler
from extractor.layout.mapper import detect_form
from extractor.layout.segment import Segment
from extractor.llm.asker import Asker
from extractor.llm.questions import (
    GROUPS,
    answer_model,
    field_help,
    fields_for,
    is_candidate,
    labels_from_answer,
    listed,
)
from prompts import load
from schemas.numbers import normalise_text

PROMPT = load("label_fields", 2)
# Texts per question. One question per group when they fit: a later chunk with few real
# labels in it invites a small model to call values labels. n_ctx 8192 holds 120 texts.
CHUNK = 120
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


def forms_of(segments: Iterable[Segment]) -> set[str]:
    """The form types printed in these segments (title hint, else header keywords)."""
    return {detect_form(s) for s in segments}


def ask_labels(
    asker: Asker,
    texts: list[str],
    pdf_sha256: str,
    pages: list[int],
    schema_version: str,
    forms: set[str] | None = None,
) -> dict[str, dict[str, str]]:
    """Ask each question group about ``texts``; canonical text -> {category: field}.
    ``forms`` limits the questions to the fields those form types print."""
    labels: dict[str, dict[str, str]] = {}
    for group in GROUPS:
        if not fields_for(group, forms):
            continue
        for start in range(0, len(texts), CHUNK):
            chunk = texts[start : start + CHUNK]
            messages = PROMPT.render(field_help=field_help(group, forms), texts=listed(chunk))
            answer = asker.ask(
                answer_model(group, chunk, forms),
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
