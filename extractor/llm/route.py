"""The llm and hybrid routes: the model says what labels mean, the mapper reads the cells.

- ``llm``: every label meaning comes from the model (the regex patterns are not used).
- ``hybrid``: the deterministic mapper first; only records it could not fill, or whose
  validators failed, go to the model, and only with the texts the patterns do not know.
  The model's reading only fills fields the mapper did not locate (``extractor/llm/merge.py``),
  and only when that adds no error finding, so hybrid never overwrites a layout value.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from extractor.layout.headers import PATTERNS, regex_labeler
from extractor.layout.mapper import detect_form
from extractor.layout.segment import Segment
from extractor.llm.asker import Asker, describe
from extractor.llm.failures import EndpointError, LLMError
from extractor.llm.questions import (
    field_help,
    is_candidate,
    keyed_rows,
    kinds_model,
    labels_from_kinds,
)
from prompts import load
from schemas.document_errors import DocumentError, ErrorCode
from schemas.numbers import normalise_text

PROMPT = load("text_kinds", 1)
# Texts per question (whole rows). Each answer entry ("t12": "value", ) is ~7 tokens; on
# 2 CPU cores the 1.5B model writes ~10 tokens/s: 60 texts take about a minute.
CHUNK = 60
TOKENS_PER_TEXT = 10
HEAD_ROWS = 14
TAIL_ROWS = 3


Shown = tuple[str, bool]  # a cell's text, and whether the model is asked about it


def candidate_rows(
    segments: Iterable[Segment],
    *,
    unknown_only: bool = False,
    head_rows: int = HEAD_ROWS,
    tail_rows: int = TAIL_ROWS,
) -> list[list[Shown]]:
    """Short texts that could be labels, by the table row they are printed in, from where
    labels are printed: the head of each record (project fields, funds, goals, indicator
    headers) and its last rows (总分, 评分等级); indicator bodies are not shown, which keeps
    prompts small. Each text is asked about once (its first time); a row is shown when it
    has a text to ask about, with its other texts as context, so the model sees a value
    beside its label even when the label was asked about in an earlier record. With
    ``unknown_only``, texts the regex patterns already know are context, never asked."""
    seen: set[str] = set()
    out: list[list[Shown]] = []
    for seg in segments:
        rows = seg.rows[:head_rows] + seg.rows[max(head_rows, len(seg.rows) - tail_rows) :]
        for row in rows:
            shown: list[Shown] = []
            for c in row.cells:
                if not is_candidate(c.text):
                    continue
                key = normalise_text(c.text)
                ask = key not in seen and not (
                    unknown_only and any(regex_labeler(c.text, cat) for cat in PATTERNS)
                )
                seen.add(key)
                shown.append((c.text.strip(), ask))
            if any(ask for _, ask in shown):
                out.append(shown)
    return out


def asked(rows: list[list[Shown]]) -> list[str]:
    """The texts the model is asked about, in order (key ``t1`` is the first)."""
    return [t for row in rows for t, ask in row if ask]


def chunks(rows: list[list[Shown]], size: int = CHUNK) -> list[list[list[Shown]]]:
    """Whole rows, at most ``size`` asked texts per question (a longer row is alone)."""
    out: list[list[list[Shown]]] = []
    n = size
    for row in rows:
        k = sum(1 for _, ask in row if ask)
        if n + k > size:
            out.append([])
            n = 0
        out[-1].append(row)
        n += k
    return out


def forms_of(segments: Iterable[Segment]) -> set[str]:
    """The form types printed in these segments (title hint, else header keywords)."""
    return {detect_form(s) for s in segments}


def ask_labels(
    asker: Asker,
    rows: list[list[Shown]],
    pdf_sha256: str,
    pages: list[int],
    schema_version: str,
    forms: set[str] | None = None,
    images: list[bytes] | None = None,
    errors: list[DocumentError] | None = None,
) -> dict[str, dict[str, str]]:
    """Ask what each text of ``rows`` is, a chunk of whole rows per question; canonical text
    -> {category: field}. ``forms`` limits the fields offered to those the forms print;
    ``images`` (PNG pages, for vision endpoints) are shown beside the texts.

    With ``errors``, a question without an answer adds its error there and the others are
    still asked; once the endpoint itself failed, the remaining questions are not asked and
    go into the ledger as ``not_asked``. Without ``errors``, the first failure is raised."""
    labels: dict[str, dict[str, str]] = {}
    parts = chunks(rows)
    for i, part in enumerate(parts):
        texts = asked(part)
        try:
            answer = _ask_part(asker, part, texts, pdf_sha256, pages, schema_version, forms, images)
        except LLMError as e:
            if errors is None:
                raise
            errors.append(DocumentError(code=ErrorCode.MODEL, message=str(e)))
            if isinstance(e, EndpointError):
                for rest in parts[i + 1 :]:
                    q = describe(PROMPT.version, asked(rest))
                    asker.unanswered(q, "not_asked", f"endpoint failed: {e.reason}", asked=False)
                break
            continue
        for key, cats in labels_from_kinds(answer, texts).items():
            labels.setdefault(key, {}).update(cats)
    return labels


def _ask_part(
    asker: Asker,
    part: list[list[Shown]],
    texts: list[str],
    pdf_sha256: str,
    pages: list[int],
    schema_version: str,
    forms: set[str] | None,
    images: list[bytes] | None,
) -> Any:
    return asker.ask(
        kinds_model(len(texts), forms),
        with_images(PROMPT.render(field_help=field_help(forms), texts=keyed_rows(part)), images),
        context={"texts": texts},
        key_parts={"pdf_sha256": pdf_sha256, "pages": pages, "schema_version": schema_version},
        prompt_version=PROMPT.version,
        max_tokens=TOKENS_PER_TEXT * len(texts) + 64,
    )


def with_images(messages: list[dict[str, Any]], images: list[bytes] | None) -> list[dict[str, Any]]:
    """The user message as OpenAI content parts: its text, then each page as a PNG data URL."""
    if not images:
        return messages
    out = [dict(m) for m in messages]
    user = out[-1]
    user["content"] = [
        {"type": "text", "text": user["content"]},
        *(
            {
                "type": "image_url",
                "image_url": {"url": "data:image/png;base64," + base64.b64encode(png).decode()},
            }
            for png in images
        ),
    ]
    return out
