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

import re
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import Enum
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

from extractor.llm.questions import FIELDS, GROUPS, fields_for
from schemas.catalogue import Learned, entry, label_key
from schemas.numbers import normalise_text
from schemas.values import LabelMatch

TOP_K = 4  # fields offered per text (measured: the right field is in the top 6 for 31 of
# the renamed dev set's 34 labels; a small model chooses better among few)
MIN_SIMILARITY = 0.2  # below it, no field's labels are like the text (a value, a heading)
CLOSE = 0.1  # options this close to the best are for the model to decide between
ROW_CHARS = 90  # the row context shown, at most


@dataclass(frozen=True)
class LabelQuestion:
    text: str  # the printed text, stripped
    row: tuple[str, ...]  # the texts of its table row, left to right
    options: tuple[str, ...]  # answer names (fields of ``FIELDS``), best first
    scores: tuple[float, ...] = ()  # the options' similarity to the text
    scope: str = ""  # its table and section: labels of one scope name distinct fields


@cache
def field_words(name: str) -> tuple[str, ...]:
    """The labels a field is printed with (catalogue words, then its Chinese name)."""
    out: list[str] = []
    for category, field in FIELDS[name][1]:
        e = entry(category, field)
        if e is not None:
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


def rank_fields(
    text: str,
    forms: set[str] | None = None,
    k: int = TOP_K,
    groups: Iterable[str] | None = None,
    exclude: set[str] | None = None,
    hints: dict[str, float] | None = None,
) -> list[tuple[str, float]]:
    """The ``k`` fields (of those ``forms`` print, in ``groups`` — group or field names —
    when given, not in
    ``exclude``) whose labels are most like ``text``, with their similarity, best first."""
    names = [n for n in fields_for(forms) if n not in (exclude or ())]
    if groups is not None:
        allowed = {n for g in groups for n in GROUPS.get(g, (g,))}
        names = [n for n in names if n in allowed] or names
    hints = hints or {}
    scored = [(n, similarity(text, field_words(n)) + hints.get(n, 0.0)) for n in names]
    scored.sort(key=lambda x: (-x[1], names.index(x[0])))
    return scored[:k]


def question(
    text: str,
    row: list[str],
    forms: set[str] | None = None,
    groups: Iterable[str] | None = None,
    scope: str = "",
    taken: set[str] | None = None,
    hints: dict[str, float] | None = None,
    k: int | None = None,
) -> LabelQuestion:
    """A question about ``text``; ``taken``: fields other labels of its row already name;
    ``hints``: what its values look like (``content_hints``), added to the similarity."""
    ranked = rank_fields(text, forms, k or TOP_K, groups=groups, exclude=taken, hints=hints)
    return LabelQuestion(
        text.strip(),
        tuple(t.strip() for t in row),
        tuple(n for n, _ in ranked),
        tuple(round(x, 4) for _, x in ranked),
        scope,
    )


@dataclass(frozen=True)
class Settled:
    """What a question's options say: the field its row's labels leave it (``field``,
    None when no field is like it at all), and the options too close to call (``close``,
    the field first; one option when the similarity alone decides)."""

    question: LabelQuestion
    field: str | None
    close: tuple[str, ...]


def settle(qs: list[LabelQuestion]) -> list[Settled]:
    """Give each label the most similar field that no other label of its scope took (labels
    of one section name distinct fields: 配分 takes 分值 before 调整后安排数 can), greedily by
    similarity; a field less similar than ``MIN_SIMILARITY`` is no answer."""
    chosen: dict[int, tuple[str, float]] = {}
    by_row: dict[str, list[int]] = {}
    for i, q in enumerate(qs):
        by_row.setdefault(q.scope or f"#{i}", []).append(i)
    taken_in: dict[str, set[str]] = {}
    for row, members in by_row.items():
        # Equal similarity: the order fields are printed in (一级, 二级, 三级指标 …) follows
        # the order of the labels in the row.
        pairs = sorted(
            (-qs[i].scores[k], abs(ORDER.get(n, 0) - pos), i, n)
            for pos, i in enumerate(members)
            for k, n in enumerate(qs[i].options)
        )
        taken = taken_in.setdefault(row, set())
        for neg, _, i, n in pairs:
            if i not in chosen and n not in taken and -neg >= MIN_SIMILARITY:
                chosen[i] = (n, -neg)
                taken.add(n)
    for scope, members in by_row.items():
        _eliminate(scope, [i for i in members if i not in chosen], qs, taken_in[scope], chosen)
    out = []
    for i, q in enumerate(qs):
        if i not in chosen:
            out.append(Settled(q, None, ()))
            continue
        n, score = chosen[i]
        taken = taken_in[q.scope or f"#{i}"]
        rivals = [
            m
            for m, x in zip(q.options, q.scores, strict=True)
            if m != n and m not in taken and x >= score - CLOSE
        ]
        out.append(Settled(q, n, (n, *rivals)))
    return out


ORG = re.compile(
    r"(局|委|委员会|会|中心|院|所|站|办|办公室|厅|部|处|科|室|公司|学校|小学|中学|医院|政府|联|社|队|馆|署|台|集团|机关|单位)$"
)
PROJECT = re.compile(r"(项目|经费|工程|专项|专项资金|补助|补贴|保障金|建设|运维|服务费)$")
PERSON = re.compile(r"^[\u4e00-\u9fff]{2,3}$")
DATE = re.compile(r"^(19|20)\d{2}([-/.年]\d{1,2}([-/.月]\d{1,2}日?)?月?)?$")
PHONE = re.compile(r"^[\d\-()（）\s]{7,20}$")
HINT = 0.25  # what values look like counts as much as a shared character of two


def content_hints(values: list[str]) -> dict[str, float]:
    """Fields the printed values point to: a phone number to 联系电话, a date to the plan
    dates, an organisation to the departments, a project (…项目, …经费) to 项目名称, a
    person's name to 项目负责人, percentages
    to 执行率 (added to the labels' similarity; a label alone may not say)."""
    texts = [normalise_text(v) for v in values if v and v.strip()]
    if not texts:
        return {}
    first = texts[0]
    out: dict[str, float] = {}
    if DATE.match(first):
        out.update(plan_start=HINT, plan_end=HINT)
    elif PHONE.match(first) and sum(ch.isdigit() for ch in first) >= 7:
        out["contact_phone"] = HINT
    elif ORG.search(first):
        out.update(department=HINT, implementing_unit=HINT)
    elif PROJECT.search(first):
        out["project_name"] = HINT
    elif PERSON.match(first):
        out["project_leader"] = HINT
    if sum(t.endswith("%") for t in texts) * 2 > len(texts):
        out["execution_rate"] = HINT
    return out


def _eliminate(
    scope: str,
    left: list[int],
    qs: list[LabelQuestion],
    taken: set[str],
    chosen: dict[int, tuple[str, float]],
) -> None:
    """In a heading row, the one label left names the one field left (支出进度, like no
    label of 执行率, after its neighbours took the other funds columns)."""
    if not scope.endswith(":h") or len(left) != 1:
        return
    members = [i for i, q in enumerate(qs) if (q.scope or f"#{i}") == scope]
    free = {n for i in members for n in qs[i].options} - taken
    if len(free) == 1:
        n = free.pop()
        chosen[left[0]] = (n, MIN_SIMILARITY)
        taken.add(n)


# Where each field is printed among its group's labels (the national templates' order).
ORDER = {n: k for group in GROUPS.values() for k, n in enumerate(group)}


def _row_text(row: tuple[str, ...]) -> str:
    s = " | ".join(t.replace("\n", "") for t in row if t)
    return s if len(s) <= ROW_CHARS else s[: ROW_CHARS - 1] + "…"


def standard_label(name: str) -> str:
    """A field's standard printed label (its Chinese name in the catalogue), shown first
    among the field's labels in a question."""
    category, field = FIELDS[name][1][0]
    e = entry(category, field)
    return e.zh.split("·")[-1] if e is not None else name


def render_questions(qs: list[LabelQuestion]) -> str:
    """The user message: each label with its row and its fields (their labels shown)."""
    lines = []
    for i, q in enumerate(qs, start=1):
        key = f"t{i} " if len(qs) > 1 else ""
        lines.append(f"{key}Label: {q.text}")
        lines.append(f"Row: {_row_text(q.row)}")
        lines.append("Fields:")
        for n in q.options:
            words = [standard_label(n), *(w for w in field_words(n) if w != standard_label(n))]
            lines.append(f"- {n}: {' / '.join(words[:3])}")
    lines.append("Answer:")
    return "\n".join(lines)


class LabelAnswers(BaseModel):
    """Base of every answer: key ``tN`` -> one of that text's options (all keys required)."""

    model_config = ConfigDict(extra="forbid")


def answers_model(qs: list[LabelQuestion]) -> type[LabelAnswers]:
    """A response model whose key ``tN`` is an enum of the N-th question's options."""
    fields: dict[str, Any] = {}
    for i, q in enumerate(qs, start=1):
        names = list(dict.fromkeys(q.options))
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
        out += [Learned(q.text, cat, field, LabelMatch.MODEL) for cat, field in FIELDS[name][1]]
    return out
