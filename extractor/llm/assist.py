"""Hybrid assist: ask the model about the label texts the catalogue does not know.

``label_questions`` picks, from the rows where labels are printed (the head and the last
rows of each record, or of a table where no record was found), every short text that the
catalogue (with what was learned so far) does not know, that the record did not read as a
value, and that does not follow a known key label (then it is that label's value).
``ask_unknown`` asks about them in chunks (``extractor.llm.unknown``) and returns what the
answers teach, as learned labels; the pipeline re-reads the document with them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from extractor.layout.segment import Row, Segment
from extractor.llm.asker import Asker, describe
from extractor.llm.failures import EndpointError, LLMError
from extractor.llm.questions import is_candidate
from extractor.llm.route import HEAD_ROWS, TAIL_ROWS, with_images
from extractor.llm.unknown import (
    LabelQuestion,
    answers_model,
    learned_from,
    question,
    render_questions,
)
from prompts import load
from schemas.catalogue import Learned, is_known, lookup
from schemas.numbers import normalise_text

PROMPT = load("label_options", 1)
CHUNK = 24  # questions per call: ~12 answer tokens each, ~30 s on 2 CPU cores
TOKENS_PER_QUESTION = 14
MAX_LABEL_CHARS = 12  # longer texts are values or headings, not field labels
KEY_CATEGORIES = ("key", "decl_funds")  # labels whose right neighbour is their value


def _label_rows(seg: Segment) -> list[Row]:
    rows = seg.rows
    return rows[:HEAD_ROWS] + rows[max(HEAD_ROWS, len(rows) - TAIL_ROWS) :]


def _is_key_label(text: str) -> bool:
    return any(lookup(text, cat, fuzzy=False) is not None for cat in KEY_CATEGORIES)


def _row_questions(
    row: Row, used: set[str], forms: set[str] | None, asked: set[str]
) -> list[LabelQuestion]:
    out = []
    anchored = [c for c in row.cells if c.id in row.anchors]
    context = [c.text for c in row.cells]
    for i, c in enumerate(anchored):
        key = normalise_text(c.text)
        if c.id in used or key in asked or not is_candidate(c.text):
            continue
        if len(key) > MAX_LABEL_CHARS or is_known(c.text):
            continue
        if i > 0 and _is_key_label(anchored[i - 1].text):
            continue
        asked.add(key)
        out.append(question(c.text, context, forms))
    return out


def label_questions(
    segments: Sequence[Segment],
    used: Sequence[set[str]],
    forms: set[str] | None,
    asked: set[str],
) -> list[LabelQuestion]:
    """The unknown label texts of ``segments`` (``used``: the cell ids each record read as
    values), each asked once per document (``asked``: normalised texts, updated)."""
    out: list[LabelQuestion] = []
    for seg, ids in zip(segments, used, strict=True):
        for row in _label_rows(seg):
            out += _row_questions(row, ids, forms, asked)
    return out


def ask_unknown(
    asker: Asker,
    qs: list[LabelQuestion],
    key_parts: dict[str, Any],
    images: list[bytes] | None,
    errors: list[str],
) -> list[Learned]:
    """Ask ``qs`` in chunks; the labels the answers teach. A chunk without an answer adds
    its error to ``errors``; after an endpoint failure the rest are not asked (ledger)."""
    learned: list[Learned] = []
    parts = [qs[i : i + CHUNK] for i in range(0, len(qs), CHUNK)]
    for n, part in enumerate(parts):
        try:
            answer = asker.ask(
                answers_model(part),
                with_images(PROMPT.render(questions=render_questions(part)), images),
                context={"texts": [q.text for q in part]},
                key_parts=key_parts,
                prompt_version=PROMPT.version,
                max_tokens=TOKENS_PER_QUESTION * len(part) + 32,
            )
        except LLMError as e:
            errors.append(str(e))
            if isinstance(e, EndpointError):
                for rest in parts[n + 1 :]:
                    q = describe(PROMPT.version, [x.text for x in rest])
                    asker.unanswered(q, "not_asked", f"endpoint failed: {e.reason}", asked=False)
                break
            continue
        learned += learned_from(answer, part)
    return learned
