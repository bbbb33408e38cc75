"""The deterministic layout mapper: from a record's cell rows to a schema record.

Columns are located by what their header cells say (``headers.py``), values are taken from
the cell under each header by horizontal overlap, merged 一级/二级指标 cells are filled down,
and labels split by a page break are joined. Nothing here depends on column positions or on
any project, department or page count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractor.layout import headers as H
from extractor.layout.segment import YEAR, Row, Segment
from extractor.layout.vocabulary import LEVEL1, LEVEL2_PARENT, canon, complete_clipped, parent_of
from schemas.grid import Cell, TextLine
from schemas.numbers import unit_of_header
from schemas.records import (
    FundRow,
    SelfEvalIndicator,
    SelfEvaluation,
    TargetDeclaration,
    TargetIndicator,
)
from schemas.values import MatchStatus, Provenance, Value

Record = SelfEvaluation | TargetDeclaration


@dataclass
class Col:
    field: str
    x0: float
    x1: float
    cell: Cell


@dataclass
class MapNotes:
    """What the mapper could not do, for the record's findings."""

    problems: list[str] = field(default_factory=list)


def value_of(
    cells: list[Cell], text: str | None = None, match: MatchStatus = MatchStatus.EXACT
) -> Value:
    if not cells:
        return Value()
    t = "".join(c.text for c in cells) if text is None else text
    c0 = cells[0]
    x0 = min(c.x0 for c in cells if c.page == c0.page)
    y0 = min(c.y0 for c in cells if c.page == c0.page)
    x1 = max(c.x1 for c in cells if c.page == c0.page)
    y1 = max(c.y1 for c in cells if c.page == c0.page)
    confs = [c.confidence for c in cells if c.confidence is not None]
    return Value(
        text=t.strip() or None,
        prov=Provenance(
            page=c0.page,
            cell_ids=[c.id for c in cells],
            bbox=(x0, y0, x1, y1),
            match=match,
            confidence=min(confs) if confs else None,
        ),
    )


def line_value(line: TextLine, text: str) -> Value:
    return Value(
        text=text,
        prov=Provenance(
            page=line.page, cell_ids=[line.id], bbox=line.bbox, match=MatchStatus.CONTAINED
        ),
    )


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


def pick(row: Row, col: Col, *, anchors_only: bool = True) -> Cell | None:
    """The cell of ``row`` under the header ``col`` (largest horizontal overlap)."""
    best: tuple[float, Cell] | None = None
    for c in row.cells:
        if anchors_only and c.id not in row.anchors:
            continue
        ov = _overlap(c.x0, c.x1, col.x0, col.x1)
        if ov <= 0:
            continue
        frac = ov / max(1e-6, min(c.x1 - c.x0, col.x1 - col.x0))
        if frac < 0.5:
            continue
        if best is None or ov > best[0]:
            best = (ov, c)
    return best[1] if best else None


def header_columns(
    row: Row, category: str, minimum: int, label: H.Labeler = H.regex_labeler
) -> dict[str, Col] | None:
    cols: dict[str, Col] = {}
    for c in row.cells:
        f = label(c.text, category)
        if f and f not in cols:
            cols[f] = Col(f, c.x0, c.x1, c)
    return cols if len(cols) >= minimum else None


def _row_empty(row: Row, cols: dict[str, Col], fields: tuple[str, ...]) -> bool:
    for f in fields:
        if f in cols:
            c = pick(row, cols[f])
            if c is not None and c.text.strip():
                return False
    return True


class _Blocks:
    """Fill-down of merged level labels, joined across page breaks."""

    def __init__(self, level: int) -> None:
        self.level = level
        self.blocks: list[dict] = []  # {"cells": [Cell], "tables": set[str]}
        self.row_block: list[int] = []

    def add(self, row: Row, cell: Cell | None, seam: bool) -> None:
        b = self.blocks[-1] if self.blocks else None
        if cell is None:
            if b is None:
                self.blocks.append({"cells": [], "tables": {row.table_id}})
            else:
                b["tables"].add(row.table_id)
        elif b is not None and any(c.id == cell.id for c in b["cells"]):
            b["tables"].add(row.table_id)
        elif b is not None and seam and self._joins(b, cell):
            b["cells"].append(cell)
            b["tables"].add(row.table_id)
        else:
            self.blocks.append({"cells": [cell], "tables": {row.table_id}})
        self.row_block.append(len(self.blocks) - 1)

    def _joins(self, b: dict, cell: Cell) -> bool:
        before = "".join(c.text for c in b["cells"])
        if not canon(before) or not canon(cell.text):
            return True
        joined = canon(before + cell.text)
        if joined in (LEVEL1 if self.level == 1 else LEVEL2_PARENT):
            return True  # "可持续" + "影响指标": the two pieces make one label
        vocab_ok = complete_clipped(before, self.level) is not None
        return vocab_ok and joined != canon(before)

    def value(self, i: int) -> Value:
        b = self.blocks[self.row_block[i]]
        cells = [c for c in b["cells"] if c.text.strip()] or b["cells"]
        v = value_of(cells)
        if v.text and len(b["tables"]) > 1:
            full = complete_clipped(v.text, self.level)
            if full is not None and v.prov is not None:
                v = Value(
                    text=full, prov=v.prov.model_copy(update={"match": MatchStatus.VOCABULARY})
                )
        return v


def _money_unit(seg: Segment) -> Value:
    for row in seg.rows:
        for c in row.cells:
            if H.FUNDS_BLOCK.search(H.label_key(c.text)) or "元" in c.text:
                u = unit_of_header(c.text)
                if u:
                    return value_of([c], text=u, match=MatchStatus.CONTAINED)
    if seg.unit_line is not None:  # "单位：万元" printed above the table
        u = unit_of_header(seg.unit_line.text)
        if u:
            return line_value(seg.unit_line, u)
    return Value()


def _year(seg: Segment) -> Value:
    for line in (seg.year_line, seg.title):
        if line is not None:
            m = YEAR.search(line.text)
            if m:
                return line_value(line, m.group(1))
    return Value()


def _key_values(seg: Segment, category: str, label: H.Labeler) -> dict[str, Value]:
    out: dict[str, Value] = {}
    for row in seg.rows:
        anchors = [c for c in row.cells if c.id in row.anchors]
        for i, c in enumerate(anchors[:-1]):
            f = label(c.text, category)
            if f is None:
                continue
            nxt = anchors[i + 1]
            # The next cell is the value unless it is itself a label with a value after it.
            if i + 2 < len(anchors) and label(nxt.text, category) is not None:
                continue
            v = value_of([nxt])
            if f not in out or (not out[f].text and v.text):
                out[f] = v
    return out


def detect_form(seg: Segment) -> str:
    if seg.form_hint:
        return seg.form_hint
    for row in seg.rows:
        keys = [H.label_key(c.text) for c in row.cells]
        if any("年度资金申请" in k or "计划开始" in k for k in keys):
            return "target_declaration"
        if any("实际完成值" in k or "执行率" in k or "全年执行" in k for k in keys):
            return "self_evaluation"
    return "self_evaluation"


def map_segment(seg: Segment, label: H.Labeler = H.regex_labeler) -> tuple[Record, MapNotes]:
    """Map one record's rows. ``label`` decides what each printed label means (regex
    patterns by default; the LLM path passes the model's answers)."""
    form = detect_form(seg)
    notes = MapNotes()
    kv = _key_values(seg, "key", label)
    common = {
        k: v
        for k, v in kv.items()
        if k
        in ("project_name", "department", "implementing_unit", "project_leader", "contact_phone")
    }
    rec: Record
    if form == "target_declaration":
        rec = TargetDeclaration(
            **common,
            **{
                k: kv[k]
                for k in ("project_nature", "project_category", "plan_start", "plan_end")
                if k in kv
            },
        )
        fund_kv = _key_values(seg, "decl_funds", label)
        for k, v in fund_kv.items():
            setattr(rec.funds, k, v)
    else:
        rec = SelfEvaluation(**common)
        if "grade" in kv:
            rec.grade = kv["grade"]
    rec.year = _year(seg)
    rec.money_unit = _money_unit(seg)
    rec.pages = seg.pages
    _map_tables(seg, rec, notes, label)
    if not rec.project_name.text:
        notes.problems.append("项目名称 has no value")
    return rec, notes


def _map_tables(seg: Segment, rec: Record, notes: MapNotes, label: H.Labeler) -> None:
    self_eval = isinstance(rec, SelfEvaluation)
    fund_cols: dict[str, Col] | None = None
    goal_cols: dict[str, Col] | None = None
    goals_done = False
    ind_cols: dict[str, Col] | None = None
    ind_rows: list[Row] = []
    goal_cat = "self_goals" if self_eval else "decl_goals"
    for row in seg.rows:
        cols = header_columns(row, "indicator_columns", 3, label)
        if cols and "name" in cols:
            ind_cols = cols
            continue
        if self_eval:
            fc = header_columns(row, "fund_columns", 3, label)
            if fc:
                fund_cols = fc
                _amounts_in_header(row, notes)
                continue
        gc = header_columns(row, goal_cat, 2, label)
        if gc:
            goal_cols, goals_done = gc, False
            continue
        first = row.cells[0] if row.cells else None
        first_anchor = next((c for c in row.cells if c.id in row.anchors), None)
        if ind_cols is not None:
            if first_anchor is not None and label(first_anchor.text, "total_row"):
                if isinstance(rec, SelfEvaluation):
                    for f, target in (("weight", "total_weight"), ("score", "total_score")):
                        if f in ind_cols:
                            c = pick(row, ind_cols[f])
                            if c is not None and c not in (first_anchor,):
                                setattr(rec, target, value_of([c]))
                ind_cols = None
                continue
            if first_anchor is not None and label(first_anchor.text, "key") == "grade":
                ind_cols = None
                continue
            ind_rows.append(row)
            continue
        if goal_cols is not None and not goals_done:
            got = False
            for f, col in goal_cols.items():
                c = pick(row, col)
                if c is not None and c.text.strip() and c is not col.cell:
                    setattr(rec, f, value_of([c]))
                    got = True
            goals_done = got
            if got:
                continue
        if self_eval and fund_cols is not None and first is not None:
            label_cell = next(
                (c for c in row.cells if label(c.text, "fund_rows") and _left_of(c, fund_cols)),
                None,
            )
            if label_cell is not None and isinstance(rec, SelfEvaluation):
                which = label(label_cell.text, "fund_rows")
                fr = FundRow()
                for f, col in fund_cols.items():
                    c = pick(row, col)
                    if c is not None and c is not label_cell:
                        setattr(fr, f, value_of([c]))
                setattr(rec.funds, str(which), fr)
    if ind_rows and ind_cols is None:
        pass
    _map_indicators(seg, rec, ind_rows, notes, label)


AMOUNT = re.compile(r"^[\d,，]+(\.\d+)?%?$")


def _amounts_in_header(row: Row, notes: MapNotes) -> None:
    """The funds column-header row printing amounts between its labels: the block is
    misaligned (values shifted up a row), which the clerk must see."""
    amounts = [c.text for c in row.cells if c.id in row.anchors and AMOUNT.match(c.text.strip())]
    if amounts:
        notes.problems.append(
            "资金表头行同时印有数字（" + "、".join(amounts[:6]) + "）：资金各行可能错位"
        )


def _left_of(cell: Cell, cols: dict[str, Col]) -> bool:
    """The cell stands left of every column (its centre left of theirs): a row label.
    Centres, not edges: a text grid's cells may reach into the next column's slot."""
    return (cell.x0 + cell.x1) / 2 < min((col.x0 + col.x1) / 2 for col in cols.values())


def _indicator_columns(seg: Segment, label: H.Labeler) -> list[tuple[int, dict[str, Col]]]:
    """Every indicator header row (index into seg.rows) with its columns."""
    out = []
    for i, row in enumerate(seg.rows):
        cols = header_columns(row, "indicator_columns", 3, label)
        if cols and "name" in cols:
            out.append((i, cols))
    return out


def _map_indicators(
    seg: Segment, rec: Record, rows: list[Row], notes: MapNotes, label: H.Labeler
) -> None:
    if not rows:
        notes.problems.append("no indicator rows found")
        return
    headers = _indicator_columns(seg, label)
    if not headers:
        return
    pos = {id(r): i for i, r in enumerate(seg.rows)}
    self_eval = isinstance(rec, SelfEvaluation)
    fields = (
        ("name", "target", "actual", "weight", "score", "deviation_reason")
        if self_eval
        else ("name", "target")
    )
    blocks = {1: _Blocks(1), 2: _Blocks(2)}
    prev_table: str | None = None
    row_cols: list[dict[str, Col]] = []
    for row in rows:
        cols = [c for i, c in headers if i < pos[id(row)]][-1]
        row_cols.append(cols)
        seam = prev_table is not None and row.table_id != prev_table
        for lvl, f in ((1, "level1"), (2, "level2")):
            cell = pick(row, cols[f], anchors_only=False) if f in cols else None
            blocks[lvl].add(row, cell, seam)
        prev_table = row.table_id
    for i, row in enumerate(rows):
        cols = row_cols[i]
        if _row_empty(row, cols, fields):
            continue
        vals = {
            f: value_of([c]) if (c := pick(row, cols[f])) is not None else Value()
            for f in fields
            if f in cols
        }
        l1, l2 = blocks[1].value(i), blocks[2].value(i)
        if not l1.text and l2.text:
            parent = parent_of(l2.text)
            if parent and l2.prov is not None:
                l1 = Value(
                    text=parent, prov=l2.prov.model_copy(update={"match": MatchStatus.INFERRED})
                )
        if isinstance(rec, SelfEvaluation):
            rec.indicators.append(SelfEvalIndicator(level1=l1, level2=l2, **vals))
        else:
            rec.indicators.append(TargetIndicator(level1=l1, level2=l2, **vals))
