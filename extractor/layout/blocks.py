"""Structures of real forms beyond the seed layouts, each a general rule on cells:

- values printed inside a label cell (``合计：109.8万元``, ``年度金额(提前下达)：208万元``)
  beside a block label that says budget or use (资金情况 / 资金使用情况);
- one cell holding two fields (项目负责人及电话: name and phone; 项目期 / 项目起止时间
  ``2019-2021``: start and end);
- points printed only inside a label (预算执行情况(万元)(20分)) as the budget weight;
- template placeholder rows (``指标2：``, ``……``, a number or dash only) and goal-block
  rows (年度绩效目标1(40分)) that are not indicators;
- key-value goals (绩效目标 | text) beside goal headers over a text row.

Values keep their provenance: a part of a cell is ``contained`` and grounding checks it
is a separator-delimited part of the cell's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractor.layout import headers as H
from schemas.catalogue import NO_KEY, is_known, label_key, lookup
from schemas.grid import Cell
from schemas.numbers import normalise_text
from schemas.values import LabelMatch, MatchStatus, Provenance, Value

LABEL_VALUE = re.compile(r"^(?P<label>[^:：]{1,20})[:：]\s*(?P<value>\S.*)$", re.S)
PHONE = re.compile(r"(?:\+?86[-\s]?)?(?:\d{3,4}[-\s]?)?\d{7,8}$|1\d{10}$")
PERIOD = re.compile(r"^\s*(\S+?)\s*(?:-{1,2}|—+|~|～|至|到)\s*(\S+)\s*$")
ONE_DATE = re.compile(r"^(19|20)\d{2}([-/.])\d{1,2}\2\d{1,2}$")
PLACEHOLDER = re.compile(r"^(指标\d*[:：]?|[.…⋯·。\-—_/\\、,，\s\d]*|\d+[.、)]?)$")
GOAL_BLOCK = re.compile(r"^(年度)?绩效目标\d*$|^目标\d+$")
_NO_KEY = [re.compile(p) for p in NO_KEY]


def cell_value(cell: Cell, text: str | None = None, how: LabelMatch | None = None) -> Value:
    t = (cell.text if text is None else text).strip()
    match = MatchStatus.EXACT if text is None else MatchStatus.CONTAINED
    return Value(
        text=t or None,
        prov=Provenance(
            page=cell.page,
            cell_ids=[cell.id],
            bbox=(cell.x0, cell.y0, cell.x1, cell.y1),
            match=match,
            confidence=cell.confidence,
            label_match=how,
        ),
    )


def label_value(text: str) -> tuple[str, str] | None:
    """(label, value) of a cell printing both, ``合计：109.8万元``; None otherwise."""
    m = LABEL_VALUE.match(text.strip())
    if not m:
        return None
    return m.group("label").strip(), m.group("value").strip()


ALL_CATEGORIES = (
    "key",
    "decl_funds",
    "self_goals",
    "decl_goals",
    "indicator_columns",
    "fund_columns",
)


def is_label_text(text: str, cats: tuple[str, ...] = ALL_CATEGORIES) -> bool:
    """A cell that is itself a label (of a field in ``cats`` or a known one with no key),
    no figure."""
    if re.search(r"\d", text):
        return False
    key = label_key(text)
    if not key:
        return False
    if any(rx.search(key) for rx in _NO_KEY):
        return True
    return any(lookup(text, cat, fuzzy=False) is not None for cat in cats)


def part_value(v: Value, text: str) -> Value:
    """A part of ``v``'s cell text, citing the same cell (``contained``)."""
    prov = v.prov.model_copy(update={"match": MatchStatus.CONTAINED}) if v.prov else None
    return Value(text=text, prov=prov)


def short_label(text: str) -> bool:
    """A short text with no figure: a label or a piece of one (年度, a side label cut by
    a page break), not a value."""
    t = normalise_text(text)
    return 0 < len(t) <= 8 and not re.search(r"\d", t)


def split_leader_phone(v: Value) -> tuple[Value, Value] | None:
    """项目负责人及电话 in one cell: (name, phone) when the cell ends with a phone number."""
    text = (v.text or "").strip()
    m = re.search(r"[\s,，、/:：]*((?:\+?86[-\s]?)?[\d\-]{7,})$", text)
    if not m or not PHONE.search(m.group(1).replace(" ", "")):
        return None
    name = text[: m.start()].strip(" ,，、/:：")
    if not name:
        return None
    return part_value(v, name), part_value(v, m.group(1))


def split_period(v: Value) -> tuple[Value, Value] | None:
    """A period in one cell (``2019-2021``, ``202001-202012``, ``2020年1月--2020年11月``)."""
    text = normalise_text(v.text or "")
    if ONE_DATE.match(text):
        return None  # 2023-01-01 is one date, not a period 2023 to 01-01
    m = PERIOD.match(text)
    if not m or not re.search(r"\d", m.group(1)) or not re.search(r"\d", m.group(2)):
        return None
    return part_value(v, m.group(1)), part_value(v, m.group(2))


def points_in_label(cell: Cell) -> Value | None:
    """Points printed inside a label (``预算执行情况(万元)(20分)``) as a contained value."""
    m = H.POINTS.search(normalise_text(cell.text))
    return cell_value(cell, m.group(1)) if m else None


def is_placeholder(name: str | None) -> bool:
    """A template placeholder in the name column: 指标2：, ……, a number or a dash only."""
    return PLACEHOLDER.match(normalise_text(name or "")) is not None


def is_goal_block(text: str) -> bool:
    """年度绩效目标1(40分), 绩效目标2: a block heading within the indicator table."""
    return GOAL_BLOCK.match(label_key(text)) is not None


@dataclass
class LabelAmount:
    row_field: str  # funds row (total, current_year …)
    column: str  # full_year_budget | executed
    value: Value


def label_amounts(cells: list[Cell], anchors: set[str]) -> list[LabelAmount]:
    """Amounts inside label cells, placed by the block label to their left (budget / use)."""
    out = []
    for i, c in enumerate(cells):
        if c.id not in anchors or i == 0:
            continue
        lv = label_value(c.text)
        if lv is None or not re.search(r"\d", lv[1]):
            continue
        row_field = H.regex_labeler(lv[0], "fund_rows")
        column = H.regex_labeler(cells[i - 1].text, "fund_columns")
        if row_field and column in ("full_year_budget", "executed"):
            out.append(LabelAmount(row_field, column, cell_value(c, lv[1])))
    return out


def unknown_labels(cells: list[Cell], anchors: set[str], used: set[str]) -> list[Cell]:
    """Cells that look like labels the catalogue does not know: short, no figure, not read
    as a value (``used``: ids cited by the record), not after a known label (then it is a
    value the schema has no key for), with a printed cell to their right."""
    out = []
    anchored = [c for c in cells if c.id in anchors]
    for i, c in enumerate(anchored[:-1]):
        t = normalise_text(c.text)
        if c.id in used or not t or len(t) > 12 or re.search(r"\d", t):
            continue
        if i > 0 and is_known(anchored[i - 1].text):
            continue
        if anchored[i + 1].text.strip() and not is_known(c.text):
            out.append(c)
    return out
