"""The deterministic layout mapper: from a record's cell rows to a schema record.

Columns are located by what their header cells say (``headers.py``), values are taken from
the cell under each header by horizontal overlap, merged 一级/二级指标 cells are filled down,
and labels split by a page break are joined. Nothing here depends on column positions or on
any project, department or page count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from extractor.layout import blocks as B
from extractor.layout import headers as H
from extractor.layout.cells import Col, header_columns, line_value, pick, row_empty, tag, value_of
from extractor.layout.segment import YEAR, Row, Segment
from extractor.layout.vocabulary import LEVEL1, LEVEL2_PARENT, canon, complete_clipped, parent_of
from schemas.catalogue import DECL_KEY_FIELDS, KEY_FIELDS
from schemas.grid import Cell
from schemas.numbers import unit_of_header
from schemas.records import (
    FundRow,
    SelfEvalIndicator,
    SelfEvaluation,
    TargetDeclaration,
    TargetIndicator,
    iter_values,
)
from schemas.values import MatchStatus, Value

Record = SelfEvaluation | TargetDeclaration


class MapIssue(StrEnum):
    """What the mapper could not do, by the part of the record it concerns."""

    NO_PROJECT_NAME = "no_project_name"
    MISALIGNED_FUNDS = "misaligned_funds"
    NO_INDICATORS = "no_indicators"


@dataclass(frozen=True)
class MapProblem:
    issue: MapIssue
    message: str


@dataclass
class MapNotes:
    """What the mapper could not do, for the record's findings."""

    problems: list[MapProblem] = field(default_factory=list)
    unknown: list[Cell] = field(default_factory=list)  # labels the catalogue does not know


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
    """The year of the nearest year line above the table (``(2023年度)``, a title with its
    year), else the title's; never a filing or publishing date (the segmenter does not
    take those as year lines)."""
    for line in (seg.year_line, seg.title):
        if line is not None:
            m = YEAR.search(line.text)
            if m:
                return line_value(line, m.group(1))
    return Value()


def _key_values(seg: Segment, category: str, label: H.Labeler) -> dict[str, Value]:
    """Key-value labels: the value is the next cell to the right, or the part after the
    colon of a cell that prints both (项目负责人：张三)."""
    out: dict[str, Value] = {}

    def put(f: str, v: Value) -> None:
        if f not in out or (not out[f].text and v.text):
            out[f] = v

    for row in seg.rows:
        anchors = [c for c in row.cells if c.id in row.anchors]
        for i, c in enumerate(anchors):
            lv = B.label_value(c.text)
            if lv is not None and (f := label(lv[0], category)) is not None:
                put(f, tag(B.cell_value(c, lv[1]), H.label_how(lv[0], category, label)))
                continue
            f = label(c.text, category)
            if f is None or i + 1 >= len(anchors):
                continue
            nxt = anchors[i + 1]
            # The next cell is the value unless it is itself a label (of this block or the
            # header, or a known one with no key: 金额(万元)); 其他 is a fine 项目性质.
            cats = (category, "key")
            if nxt.text.strip() and B.is_label_text(nxt.text, cats):
                continue
            lv2 = B.label_value(nxt.text)
            if lv2 is not None and B.is_label_text(lv2[0], cats):
                continue
            put(f, tag(value_of([nxt]), H.label_how(c.text, category, label)))
    return out


SELF_MARKERS = ("actual", "score")
DECL_MARKERS = ("annual_request", "fiscal", "plan_start", "plan_end", "goal_overall", "goal_annual")


def detect_form(seg: Segment, label: H.Labeler = H.regex_labeler) -> str:
    """The form type from what the record contains: indicator columns of results
    (实际完成值, 得分) or a funds grid with 执行数/执行率 make a self-evaluation; fund lines or
    dates only a declaration prints, or indicator targets with no results, make a
    declaration; else the title says."""
    self_hits = decl_hits = 0
    for row in seg.rows:
        cols = header_columns(row, "indicator_columns", 3, label)
        if cols and any(f in cols for f in SELF_MARKERS):
            self_hits += 1
        elif cols and "name" in cols and "target" in cols:
            decl_hits += 1  # targets with no 实际完成值 and no 得分: a declaration
        fc = header_columns(row, "fund_columns", 2, label)
        if fc and ("executed" in fc or "execution_rate" in fc):
            self_hits += 1
        for c in row.cells:
            if c.id not in row.anchors:
                continue
            key = B.label_value(c.text)
            text = key[0] if key else c.text
            if label(text, "decl_funds") in DECL_MARKERS or label(text, "key") in DECL_MARKERS:
                decl_hits += 1
    if self_hits:
        return "self_evaluation"
    if decl_hits:
        return "target_declaration"
    return seg.form_hint or "self_evaluation"


def map_segment(seg: Segment, label: H.Labeler = H.regex_labeler) -> tuple[Record, MapNotes]:
    """Map one record's rows. ``label`` decides what each printed label means (the
    catalogue by default; the LLM path passes the model's answers)."""
    form = detect_form(seg, label)
    notes = MapNotes()
    kv = _key_values(seg, "key", label)
    _split_cells(kv)
    common = {k: v for k, v in kv.items() if k in KEY_FIELDS}
    rec: Record
    if form == "target_declaration":
        rec = TargetDeclaration(**common, **{k: kv[k] for k in DECL_KEY_FIELDS if k in kv})
        for k, v in _key_values(seg, "decl_funds", label).items():
            setattr(rec.funds, k, v)
        goals = _key_values(seg, "decl_goals", label)
    else:
        rec = SelfEvaluation(**common)
        if "grade" in kv:
            rec.grade = kv["grade"]
        goals = _key_values(seg, "self_goals", label)
    for k, v in goals.items():
        setattr(rec, k, v)
    rec.year = _year(seg)
    rec.money_unit = _money_unit(seg)
    rec.pages = seg.pages
    _map_tables(seg, rec, notes, label)
    if not rec.project_name.text:
        notes.problems.append(MapProblem(MapIssue.NO_PROJECT_NAME, "项目名称 has no value"))
    notes.unknown = _unknown(seg, rec)
    return rec, notes


def _split_cells(kv: dict[str, Value]) -> None:
    """One cell, two fields: 项目负责人及电话 (name, phone); 项目期 2019-2021 (start, end)."""
    lead = kv.get("project_leader")
    if lead is not None and "contact_phone" not in kv:
        parts = B.split_leader_phone(lead)
        if parts:
            kv["project_leader"], kv["contact_phone"] = parts
    start = kv.get("plan_start")
    if start is not None and "plan_end" not in kv:
        period = B.split_period(start)
        if period:
            kv["plan_start"], kv["plan_end"] = period


def _unknown(seg: Segment, rec: Record) -> list[Cell]:
    used = {cid for _, v in iter_values(rec) if v.prov for cid in v.prov.cell_ids}
    out: list[Cell] = []
    seen: set[str] = set()
    for row in seg.rows:
        if header_columns(row, "indicator_columns", 3):
            break  # indicator rows print names and values, not labels
        for c in B.unknown_labels(row.cells, row.anchors, used):
            if c.id not in seen:
                seen.add(c.id)
                out.append(c)
    return out


@dataclass
class _State:
    fund_cols: dict[str, Col] | None = None
    goal_cols: dict[str, Col] | None = None
    goals_done: bool = False
    ind_cols: dict[str, Col] | None = None
    ind_rows: list[Row] = field(default_factory=list)
    grid_funds: bool = False  # a funds grid with column headers was read


def _map_tables(seg: Segment, rec: Record, notes: MapNotes, label: H.Labeler) -> None:
    st = _State()
    goal_cat = "self_goals" if isinstance(rec, SelfEvaluation) else "decl_goals"
    for row in seg.rows:
        cols = header_columns(row, "indicator_columns", 3, label)
        if cols and "name" in cols:
            st.ind_cols = cols
            continue
        if isinstance(rec, SelfEvaluation):
            fc = header_columns(row, "fund_columns", 3, label)
            if fc:
                st.fund_cols, st.grid_funds = fc, True
                _budget_points(row, rec)
                _amounts_in_header(row, notes)
                continue
        gc = _goal_header(row, goal_cat, label)
        if gc:
            st.goal_cols, st.goals_done = gc, False
            continue
        if st.ind_cols is not None:
            _indicator_or_total(row, rec, st, label)
            continue
        if st.goal_cols is not None and not st.goals_done and _goal_text(row, rec, st):
            continue
        if isinstance(rec, SelfEvaluation):
            _fund_row(row, rec, st, label)
    _map_indicators(seg, rec, st.ind_rows, notes, label)


def _goal_header(row: Row, category: str, label: H.Labeler) -> dict[str, Col] | None:
    """A row of goal headings (预期目标 | 实际完成情况; 中期目标 | 年度目标) over a text row:
    every printed cell in it is a label, and a side label spanning rows is no column."""
    cols: dict[str, Col] = {}
    for c in row.cells:
        if c.id not in row.anchors or not c.text.strip():
            continue
        f = label(c.text, category)
        if f and c.row_span == 1:  # a side label to the left gives way to the heading
            cols[f] = Col(f, c.x0, c.x1, c, H.label_how(c.text, category, label))
        elif not B.is_label_text(c.text) and not B.short_label(c.text):
            return None  # a text beside the label: a key-value row, not headings
    return cols or None


def _goal_text(row: Row, rec: Record, st: _State) -> bool:
    got = False
    for f, col in (st.goal_cols or {}).items():
        c = pick(row, col)
        if c is not None and c.text.strip() and c is not col.cell:
            setattr(rec, f, tag(value_of([c]), col.how))
            got = True
    st.goals_done = got
    return got


def _budget_points(row: Row, rec: SelfEvaluation) -> None:
    """The budget weight printed only in a label: 预算执行情况(20分), 得分(20分*执行率)."""
    for c in row.cells:
        v = B.points_in_label(c)
        if v is not None and v.text:
            rec.budget_points = v
            return


def _fund_row(row: Row, rec: SelfEvaluation, st: _State, label: H.Labeler) -> None:
    if st.fund_cols is not None:
        label_cell = next(
            (c for c in row.cells if label(c.text, "fund_rows") and _left_of(c, st.fund_cols)),
            None,
        )
        if label_cell is not None:
            which = label(label_cell.text, "fund_rows")
            fr = FundRow()
            for f, col in st.fund_cols.items():
                c = pick(row, col)
                if c is not None and c is not label_cell:
                    setattr(fr, f, tag(value_of([c]), col.how))
            setattr(rec.funds, str(which), fr)
            return
    if not st.grid_funds:  # budget and use side by side, amounts inside label cells
        for la in B.label_amounts(row.cells, row.anchors):
            fr = getattr(rec.funds, la.row_field)
            if not getattr(fr, la.column).text:
                setattr(fr, la.column, la.value)


def _left_of(cell: Cell, cols: dict[str, Col]) -> bool:
    """The cell stands left of every column (its centre left of theirs): a row label.
    Centres, not edges: a text grid's cells may reach into the next column's slot."""
    return (cell.x0 + cell.x1) / 2 < min((col.x0 + col.x1) / 2 for col in cols.values())


def _indicator_or_total(row: Row, rec: Record, st: _State, label: H.Labeler) -> None:
    """An indicator row, or the 总分 / 评分等级 row that ends the indicator block (its label
    in any cell, sharing the row with other text), or a goal-block heading (skipped)."""
    anchored = [c for c in row.cells if c.id in row.anchors]
    total = next((c for c in anchored if label(c.text, "total_row")), None)
    grade = next((c for c in anchored if label(c.text, "key") == "grade"), None)
    if total is None and grade is None:
        printed = [c for c in anchored if c.text.strip()]
        if len(printed) == 1 and B.is_goal_block(printed[0].text):
            return
        st.ind_rows.append(row)
        return
    cols = st.ind_cols or {}
    if isinstance(rec, SelfEvaluation):
        if total is not None:
            for f, target in (("weight", "total_weight"), ("score", "total_score")):
                c = pick(row, cols[f]) if f in cols else None
                if c is not None and c is not total and c is not grade:
                    setattr(rec, target, value_of([c]))
        if grade is not None:
            i = anchored.index(grade)
            if i + 1 < len(anchored) and not label(anchored[i + 1].text, "total_row"):
                rec.grade = value_of([anchored[i + 1]])
    st.ind_cols = None


AMOUNT = re.compile(r"^[\d,，]+(\.\d+)?%?$")


def _amounts_in_header(row: Row, notes: MapNotes) -> None:
    """The funds column-header row printing amounts between its labels: the block is
    misaligned (values shifted up a row), which the clerk must see."""
    amounts = [c.text for c in row.cells if c.id in row.anchors and AMOUNT.match(c.text.strip())]
    if amounts:
        why = "资金表头行同时印有数字（" + "、".join(amounts[:6]) + "）：资金各行可能错位"
        notes.problems.append(MapProblem(MapIssue.MISALIGNED_FUNDS, why))


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
        notes.problems.append(MapProblem(MapIssue.NO_INDICATORS, "no indicator rows found"))
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
        if row_empty(row, cols, fields) or _placeholder(row, cols, fields):
            continue
        vals = {
            f: tag(value_of([c]), cols[f].how) if (c := pick(row, cols[f])) else Value()
            for f in fields
            if f in cols
        }
        if "target_op" in cols or "target_unit" in cols:
            vals["target"] = _split_target(row, cols)
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


def _placeholder(row: Row, cols: dict[str, Col], fields: tuple[str, ...]) -> bool:
    """A template placeholder row: 指标2：, ……, a number or a dash as the name and no
    values (a not-applicable row that prints values, ``/ | / | /``, is an indicator)."""
    c = pick(row, cols["name"]) if "name" in cols else None
    if c is not None and not B.is_placeholder(c.text):
        return False
    return row_empty(row, cols, tuple(f for f in fields if f != "name"))


def _split_target(row: Row, cols: dict[str, Col]) -> Value:
    """A target printed over 指标性质 | 指标值 | 度量单位 cells: their texts joined as printed."""
    cells = [
        c
        for f in ("target_op", "target", "target_unit")
        if f in cols and (c := pick(row, cols[f])) is not None and c.text.strip()
    ]
    return tag(value_of(cells), cols["target"].how if "target" in cols else None)
