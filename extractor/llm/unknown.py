"""Questions about labels the catalogue does not know, narrow enough for a 1.5B model.

Each unknown text is asked about with a short list of its own options: the catalogue's
fields ranked by how similar their known labels are to the text (``rank_fields``), each
shown with those labels, plus ``other_label`` and ``value``. The response model gives every
key an enum of exactly its options, so a grammar-constrained server cannot answer outside
them, and instructor re-asks on anything invalid. An answer becomes a learned label
(``schemas.catalogue.Learned``, source ``model``) for the document; code then reads the
values from the cells under it, so the model never writes a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

from extractor.llm.questions import FIELDS, OTHER_LABEL, VALUE, fields_for
from schemas.catalogue import CATALOGUE, Learned, label_key

TOP_K = 6  # fields offered per text (measured: the right field is in the top 6 for 31 of
# the renamed dev set's 34 labels; a small model chooses better among few)
ROW_CHARS = 90  # the row context shown, at most


@dataclass(frozen=True)
class LabelQuestion:
    text: str  # the printed text, stripped
    row: tuple[str, ...]  # the texts of its table row, left to right
    options: tuple[str, ...]  # answer names (fields of ``FIELDS``), best first


def field_words(name: str) -> tuple[str, ...]:
    """The labels a field is printed with (catalogue words, then its Chinese name)."""
    out: list[str] = []
    for category, field in FIELDS[name][1]:
        for e in CATALOGUE[category]:
            if e.field == field:
                out += [*e.words, e.zh.split("·")[-1]]
    return tuple(dict.fromkeys(w for w in out if w))


def similarity(text: str, words: tuple[str, ...]) -> float:
    """How alike a text and a field's labels are: the best, over its labels, of shared
    characters (Dice) and of ``SequenceMatcher``'s ratio."""
    key = label_key(text)
    best = 0.0
    for w in words:
        a, b = set(key), set(w)
        dice = 2 * len(a & b) / (len(a) + len(b)) if a or b else 0.0
        best = max(best, dice, SequenceMatcher(None, key, w).ratio())
    return best


def rank_fields(text: str, forms: set[str] | None = None, k: int = TOP_K) -> tuple[str, ...]:
    """The ``k`` fields (of those ``forms`` print) whose labels are most like ``text``."""
    names = list(fields_for(forms))
    scored = sorted(names, key=lambda n: (-similarity(text, field_words(n)), names.index(n)))
    return tuple(scored[:k])


def question(text: str, row: list[str], forms: set[str] | None = None) -> LabelQuestion:
    return LabelQuestion(text.strip(), tuple(t.strip() for t in row), rank_fields(text, forms))


def _row_text(row: tuple[str, ...]) -> str:
    s = " | ".join(t.replace("\n", "") for t in row if t)
    return s if len(s) <= ROW_CHARS else s[: ROW_CHARS - 1] + "…"


def render_questions(qs: list[LabelQuestion]) -> str:
    """The user message: each key with its text, row and options (field labels shown)."""
    lines = []
    for i, q in enumerate(qs, start=1):
        opts = [f"{n} ({' / '.join(field_words(n)[:2])})" for n in q.options]
        lines.append(f't{i} "{q.text}" in row: {_row_text(q.row)}')
        lines.append(f"   options: {', '.join([*opts, OTHER_LABEL, VALUE])}")
    return "\n".join(lines)


class LabelAnswers(BaseModel):
    """Base of every answer: key ``tN`` -> one of that text's options (all keys required)."""

    model_config = ConfigDict(extra="forbid")


def answers_model(qs: list[LabelQuestion]) -> type[LabelAnswers]:
    """A response model whose key ``tN`` is an enum of the N-th question's options."""
    fields: dict[str, Any] = {}
    for i, q in enumerate(qs, start=1):
        names = [*q.options, OTHER_LABEL, VALUE]
        kind: Any = Enum(f"T{i}", {n: n for n in names}, type=str)  # type: ignore[misc]
        fields[f"t{i}"] = (kind, ...)
    model: type[LabelAnswers] = create_model("LabelAnswers", __base__=LabelAnswers, **fields)
    return model


def learned_from(answer: BaseModel, qs: list[LabelQuestion]) -> list[Learned]:
    """The labels an answer teaches: each text answered with a field, in every category
    that field is read in."""
    out: list[Learned] = []
    for i, q in enumerate(qs, start=1):
        kind = getattr(answer, f"t{i}")
        name = kind.value if isinstance(kind, Enum) else str(kind)
        if name not in q.options:
            continue
        out += [Learned(q.text, cat, field, "model") for cat, field in FIELDS[name][1]]
    return out
