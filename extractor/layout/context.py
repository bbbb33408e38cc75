"""Which cells a label the catalogue does not know names: kept with the result so that a
reviewer's correction can teach the catalogue (``jixiao labels --proposals``).

Geometry comes from the cell ids (``p3.t1.r4.c2``: page, table, row, column; a merged cell
has the id of its top-left slot). A cell's *row label* is the nearest printed cell to its
left in its row (under a header row: in a column without heading); its *column header* is the cell heading its column in the nearest header
row above it in the same table (a row where at least two cells are known column labels:
funds, indicators or goals), a merged heading counting for every column it spans. Only
labels the catalogue does not know (in effect: with the taught labels) are kept, and only
label-like ones (short, no figure), so a form the catalogue reads fully keeps nothing.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping

from schemas.catalogue import is_known, label_key, lookup
from schemas.numbers import normalise_text
from schemas.results import LabelContext

_ID = re.compile(r"^p(\d+)\.t(\d+)\.r(\d+)\.c(\d+)$")
HEADER_CATEGORIES = ("fund_columns", "indicator_columns", "self_goals", "decl_goals")
MAX_LABEL = 20  # longest label text (characters, whitespace removed)
MAX_VALUE = 500  # longer cells are not kept (a value is compared whole)

Slot = tuple[int, int, int, int]  # page, table, row, column


def parse_cell_id(cid: str) -> Slot | None:
    m = _ID.match(cid)
    return (int(m[1]), int(m[2]), int(m[3]), int(m[4])) if m else None


def unknown_label(text: str) -> bool:
    """A printed text that looks like a label and is no label the catalogue knows."""
    t = normalise_text(text)
    if len(t) > MAX_LABEL or re.search(r"\d", t) or not re.search(r"[\u4e00-\u9fff]", t):
        return False
    if not label_key(text):
        return False
    return not is_known(text)


def _is_header_row(texts: list[str]) -> bool:
    hits = 0
    for t in texts:
        if any(lookup(t, cat, fuzzy=False) is not None for cat in HEADER_CATEGORIES):
            hits += 1
    return hits >= 2


class _Grid:
    """The table cells of a document, by table and row."""

    def __init__(self, cells: Mapping[str, str]) -> None:
        self.text: dict[Slot, str] = {}
        self.ids: dict[Slot, str] = {}
        rows: dict[tuple[int, int, int], list[int]] = defaultdict(list)
        for cid, text in cells.items():
            slot = parse_cell_id(cid)
            if slot is None:
                continue
            self.text[slot], self.ids[slot] = text or "", cid
            rows[slot[:3]].append(slot[3])
        self.rows = {k: sorted(v) for k, v in rows.items()}
        headers: dict[tuple[int, int], list[int]] = defaultdict(list)
        for (p, t, r), cols in self.rows.items():
            if _is_header_row([self.text[(p, t, r, c)] for c in cols]):
                headers[(p, t)].append(r)
        self.headers = {k: sorted(v) for k, v in headers.items()}

    def row_label(self, s: Slot) -> Slot | None:
        """The nearest printed cell left of ``s`` in its row; under a header row, the
        nearest in a column without a heading (the label column of a funds grid), never a
        value of a headed column (an indicator's target left of its actual value)."""
        cols = self.rows[s[:3]]
        for c in reversed(cols[: bisect_left(cols, s[3])]):
            left = (*s[:3], c)
            head = self.column_header(left)
            if self.text[left].strip() and (head is None or not self.text[head].strip()):
                return left
        return None

    def column_header(self, s: Slot) -> Slot | None:
        """The cell over column ``s[3]`` in the nearest header row above ``s``."""
        rows = self.headers.get(s[:2], [])
        i = bisect_left(rows, s[2])
        if i == 0:
            return None
        r = rows[i - 1]
        cols = [c for c in self.rows[(*s[:2], r)] if c <= s[3]]
        return (*s[:2], r, cols[-1]) if cols else None


def label_context(cells: Mapping[str, str]) -> LabelContext:
    """The cells named by an unknown label (see the module docstring), from a document's
    cell index (id → text). Call it with the taught labels in effect."""
    grid = _Grid(cells)
    ctx = LabelContext()
    for s, text in grid.text.items():
        t = normalise_text(text)
        if not t or len(t) > MAX_VALUE or is_known(text):
            continue
        cid = grid.ids[s]
        for found, out in ((grid.row_label(s), ctx.row_label), (grid.column_header(s), ctx.column_header)):  # fmt: skip
            if found is not None and unknown_label(grid.text[found]):
                out[cid] = grid.ids[found]
                ctx.texts[grid.ids[found]] = grid.text[found]
        if cid in ctx.row_label or cid in ctx.column_header:
            ctx.texts[cid] = text
    return ctx
