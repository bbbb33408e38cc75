"""Hybrid assist: ask the model about the label texts the catalogue does not know.

``label_questions`` picks, from the rows where labels are printed (the head and the last
rows of each record, or of a table where no record was found), every short text that the
catalogue (with what was learned so far) does not know, that the record did not read as a
value, and that does not follow a known key label (then it is that label's value).
``ask_unknown`` asks about them in chunks (``extractor.llm.unknown``) and returns what the
answers teach, as learned labels; the pipeline re-reads the document with them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from extractor.layout.cells import header_columns
from extractor.layout.segment import Row, Segment
from extractor.layout.vocabulary import LEVEL1, LEVEL2_PARENT, canon
from extractor.llm.asker import Asker, describe
from extractor.llm.failures import EndpointError, LLMError
from extractor.llm.questions import FIELDS, GROUPS, fields_for, is_candidate
from extractor.llm.route import HEAD_ROWS, TAIL_ROWS, with_images
from extractor.llm.unknown import (
    HINT,
    LabelQuestion,
    answers_model,
    content_hints,
    learned_from,
    question,
    render_questions,
    settle,
)
from prompts import load
from schemas.catalogue import Learned, is_known, label_key, lookup
from schemas.document_errors import DocumentError, ErrorCode
from schemas.grid import Cell
from schemas.numbers import normalise_text, parse_decimal
from schemas.values import LabelMatch

PROMPT = load("label_options", 5)
TOKENS_PER_QUESTION = 14  # one text per question: measured far better than 24 per call
MAX_LABEL_CHARS = 12  # longer texts are values or headings, not field labels
KEY_CATEGORIES = ("key", "decl_funds")
TAXONOMY = frozenset((*LEVEL1, *LEVEL2_PARENT))
LONG_TEXT = 20  # characters: a goal's text, not a label or a name
ALIGN_PT = 2.0  # cell starts this close are one column
DASHES = frozenset(("-", "—", "--", "/"))
PHONE_LIKE = re.compile(r"\d{7,12}")
FUND_COLUMNS = (
    "initial_budget",
    "full_year_budget",
    "executed",
    "execution_rate",
    "weight",
    "score",
)
FUND_ROWS = ("total_funds", "annual_request", "fiscal_funds", "current_year", "carryover",
             "other_funds", "total_row")  # fmt: skip
HEADING_OPTIONS = 8  # a heading is offered every field of its group (elimination needs them)
HEADER_CELLS = 5  # a key-value row prints two or three pairs; a heading row more labels  # labels whose right neighbour is their value


def _label_rows(seg: Segment) -> list[Row]:
    """The head rows up to a known indicator header (below it, rows print indicators, not
    labels), and the last rows (总分, 评分等级)."""
    rows = seg.rows
    head: list[Row] = []
    for row in rows[:HEAD_ROWS]:
        head.append(row)
        if header_columns(row, "indicator_columns", 3):
            break
    return head + rows[max(len(head), len(rows) - TAIL_ROWS) :]


def could_be_label(text: str) -> bool:
    """A short text with Chinese, no figure (labels print none: 指标1：… is a name, 8万 an
    amount) and not a term of the indicator taxonomy (产出指标 is a value of 一级指标)."""
    key = label_key(text)
    if not is_candidate(text) or not key or len(key) > MAX_LABEL_CHARS:
        return False
    if re.search(r"\d", key):
        return False
    return canon(key) not in TAXONOMY


def _is_key_label(text: str) -> bool:
    return any(lookup(text, cat, fuzzy=False) is not None for cat in KEY_CATEGORIES)


def _header_like(anchored: list[Cell], below: list[Row]) -> bool:
    """A row of column headings: at least ``HEADER_CELLS`` texts, every one label-like,
    over a row whose cells start where its cells start (a key-value row such as 主管部门 |
    区民政局 | 实施单位 | 区养老中心 is not followed by its own columns)."""
    texts = [c.text for c in anchored if c.text.strip()]
    if len(texts) < HEADER_CELLS or not all(could_be_label(t) or is_known(t) for t in texts):
        return False
    if not below:
        return False
    starts = [c.x0 for c in anchored]
    under = [c for c in below[0].cells if c.id in below[0].anchors]
    aligned = sum(1 for c in under if any(abs(c.x0 - x) <= ALIGN_PT for x in starts))
    return aligned >= max(HEADER_CELLS - 1, int(0.7 * len(anchored)))


def _is_amount(text: str) -> bool:
    """A figure that can be an amount, a rate or a score (a phone number is not)."""
    t = normalise_text(text)
    return parse_decimal(t) is not None and not PHONE_LIKE.fullmatch(t)


def _printed_under(
    cell: Cell, i: int, anchored: list[Cell], heading: bool, below: list[Row]
) -> list[str]:
    """What a label's values look like: the texts in its column under a heading, else the
    text after it in its row."""
    if heading:
        return [
            c.text
            for r in below
            for c in r.cells
            if c.id in r.anchors and abs(c.x0 - cell.x0) <= ALIGN_PT and c.text.strip()
        ]
    after = [c.text for c in anchored[i + 1 :] if c.text.strip()]
    return after[:1]


def _goal_order_hint(hints: dict[str, float], before: list[Cell], forms: set[str] | None) -> None:
    """Goal headings over goal texts name the form's goal fields in printed order (预期目标
    then 实际完成情况; 总体目标 then 年度目标): the k-th unknown heading of the row points
    to the k-th goal field."""
    goal_fields = [n for n in GROUPS["goals"] if n in fields_for(forms)]
    k = sum(1 for c in before if could_be_label(c.text) and not is_known(c.text))
    if k < len(goal_fields):
        hints[goal_fields[k]] = hints.get(goal_fields[k], 0.0) + HINT


def _named_fields(texts: Iterable[str]) -> set[str]:
    """The answer fields that known labels among ``texts`` already name."""
    out = set()
    for t in texts:
        for name, (_, places) in FIELDS.items():
            if any((hit := lookup(t, cat, fuzzy=False)) and hit[0] == f for cat, f in places):
                out.add(name)
    return out


def _sections(anchored: list[Cell], cell: Cell, heading: bool, below: list[Row]) -> tuple[str, ...]:
    """Which groups of fields (or single fields) a label can name, by where it is printed:
    a heading over indicator rows (taxonomy terms below) names indicator columns, over
    figures funds columns; a label beside figures names a funds row or the total row; a
    label over long text a goal; any other a header field or a goal."""
    texts = [normalise_text(c.text) for r in below[:3] for c in r.cells if c.id in r.anchors]
    first_below = [normalise_text(c.text) for c in (below[0].cells if below else [])]
    if heading:
        if any(t in TAXONOMY for t in texts):
            return ("indicators",)
        if any(_is_amount(t) for t in first_below):
            return FUND_COLUMNS
        return ("goals", "indicators")
    k = anchored.index(cell)
    after = [normalise_text(c.text) for c in anchored[k + 1 :]]
    if any(_is_amount(t) or t in DASHES for t in after):
        return FUND_ROWS
    if any(len(t) > LONG_TEXT for t in first_below):
        return ("goals",)
    return ("header", "goals")


def _row_questions(
    row: Row,
    used: set[str],
    forms: set[str] | None,
    skip: set[str],
    seen: set[str],
    first: bool,
    below: list[Row] | None = None,
) -> list[LabelQuestion]:
    """The row's unknown label texts. In a ``first`` round, only the first text of a row
    or the texts of a heading row: a row's later texts are often values (主管部门 | 区民政局
    | 实施单位 | 区养老中心), and once its first label is known, the value after it is not
    asked about (the next round)."""
    out = []
    anchored = [c for c in row.cells if c.id in row.anchors]
    context = [c.text for c in row.cells]
    heading = _header_like(anchored, below or [])
    asked_here = anchored
    if first and not heading:
        asked_here = [c for c in anchored if c.text.strip()][:1]
    for c in asked_here:
        i = anchored.index(c)
        key = normalise_text(c.text)
        if c.id in used or key in skip or not could_be_label(c.text) or is_known(c.text):
            continue
        if i > 0 and _is_key_label(anchored[i - 1].text):
            continue
        seen.add(key)
        skip.add(key)
        groups = _sections(anchored, c, heading, below or [])
        # Fields the row's other labels name (not a side label spanning rows: 年度总体目标
        # beside 预期目标 | 实际完成情况 names the block, not a column).
        taken = _named_fields(a.text for a in anchored if a is not c and a.row_span == 1)
        hints = content_hints(_printed_under(c, i, anchored, heading, below or []))
        if groups == ("goals",):
            _goal_order_hint(hints, anchored[:i], forms)
        out.append(
            question(
                c.text,
                context,
                forms,
                groups,
                scope=f"{row.table_id}:{'+'.join(groups)}:{'h' if heading else 'kv'}",
                taken=taken,
                hints=hints,
                k=HEADING_OPTIONS if heading else None,
            )
        )
    return out


def label_questions(
    segments: Sequence[Segment],
    used: Sequence[set[str]],
    forms: set[str] | None,
    asked: set[str],
    *,
    first: bool = False,
) -> list[LabelQuestion]:
    """The unknown label texts of ``segments`` (``used``: the cell ids each record read as
    values), each asked once per document (``asked``: normalised texts, updated); ``first``:
    the first round (see ``_row_questions``)."""
    per_seg: list[list[LabelQuestion]] = []
    for seg, ids in zip(segments, used, strict=True):
        seen: set[str] = set()  # each segment counts a text once
        qs = []
        for row in _label_rows(seg):
            below = seg.rows[seg.rows.index(row) + 1 :][:3]
            qs += _row_questions(row, ids, forms, seen | asked, seen, first, below)
        per_seg.append(qs)
    # Forms of one template print the same labels in every record, values mostly differ:
    # where there are several records, a text printed in only one of them is not asked.
    counts = Counter(normalise_text(q.text) for qs in per_seg for q in qs)
    need = 2 if len(per_seg) > 1 else 1
    out: list[LabelQuestion] = []
    for qs in per_seg:
        for q in qs:
            key = normalise_text(q.text)
            if counts[key] >= need and key not in asked:
                asked.add(key)
                out.append(q)
    return out


def ask_unknown(
    asker: Asker,
    qs: list[LabelQuestion],
    key_parts: dict[str, Any],
    images: list[bytes] | None,
    errors: list[DocumentError],
) -> list[Learned]:
    """Settle ``qs`` by similarity (``settle``); ask the model where two or more fields are
    too close to call. Labels the similarity decided are learned as ``inferred``, those the
    model decided as ``model``. A question without an answer adds its error to ``errors``;
    after an endpoint failure the rest are not asked (ledger)."""
    learned: list[Learned] = []
    unsure: list[LabelQuestion] = []
    for st in settle(qs):
        if st.field is None:
            continue
        if len(st.close) == 1:
            learned += [
                Learned(st.question.text, c, f, LabelMatch.INFERRED) for c, f in FIELDS[st.field][1]
            ]
        else:
            unsure.append(replace(st.question, options=st.close, scores=()))
    failed = False
    for q in unsure:
        if failed:
            desc = describe(PROMPT.version, [q.text])
            asker.unanswered(desc, "not_asked", "endpoint failed", asked=False)
            continue
        try:
            answer = asker.ask(
                answers_model([q]),
                with_images(PROMPT.render(questions=render_questions([q])), images),
                context={"texts": [q.text]},
                key_parts=key_parts,
                prompt_version=PROMPT.version,
                max_tokens=TOKENS_PER_QUESTION + 32,
            )
        except LLMError as e:
            errors.append(DocumentError(code=ErrorCode.MODEL, message=str(e)))
            failed = isinstance(e, EndpointError)
            continue
        learned += learned_from(answer, [q])
    return learned
