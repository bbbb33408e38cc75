"""Synthetic forms for layout tests, drawn with PyMuPDF like real form exports.

``SelfEval``/``TargetDecl`` with ``Style`` and ``form_table``: a whole 绩效自评表 or
绩效目标申报表 from a plain description, with the column order, header spellings, extra left
column, 项目负责人 row, page-break options, rulings (all, none, light), narrative just above
the form and a 注 note under it varied; ``expected`` gives the ``shared/golden/FORMAT.md``
dict a correct extractor must produce for it; ``build`` draws forms into one PDF, inside a
``Report`` when given; ``summary`` writes a report's narrative from the forms' aggregates.
The tables, reports and fonts are drawn by ``tests/pdfdraw`` (re-exported here).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

from schemas.fields import FUND_COLUMNS, FUND_ROWS, TARGET_FUND_KEYS
from tests.pdfdraw import (
    CENTER,
    FONT,
    FOOTER_Y,
    HEADER_Y,
    LEFT,
    LEFT_ALIGN,
    LINE_H,
    SIZE,
    Cell,
    Report,
    Row,
    Table,
    W,
    flow,
    narrative_lines,
    render,
    wrap,
)

# Names of the drawing layer that tests import from here (not this module's own).
__all__ = [
    "CENTER",
    "FONT",
    "FOOTER_Y",
    "HEADER_Y",
    "LEFT",
    "LEFT_ALIGN",
    "LINE_H",
    "SIZE",
    "Cell",
    "Report",
    "Row",
    "Table",
    "W",
    "flow",
    "narrative_lines",
    "render",
    "wrap",
]  # fmt: skip


# ---------------------------------------------------------------------------------------
# Forms


@dataclass
class Indicator:
    level1: str
    level2: str
    name: str | None = None
    target: str | None = None
    actual: str | None = None
    weight: str | None = None
    score: str | None = None
    deviation_reason: str | None = None


def _named(fields: tuple[str, ...], words: str) -> dict[str, str]:
    return dict(zip(fields, words.split(), strict=True))


FUND_ROW_LABELS = _named(FUND_ROWS, "年度资金总额 其中：当年财政拨款 上年结转资金 其他资金")
FUND_HEADERS = _named(FUND_COLUMNS, "年初预算数 全年预算数 全年执行数 分值 执行率 得分")
SELF_IND_FIELDS = ("name", "target", "actual", "weight", "score", "deviation_reason")
DECL_IND_FIELDS = ("name", "target")
IND_FIELDS = ("level1", "level2", *SELF_IND_FIELDS)
IND_HEADERS = _named(
    IND_FIELDS, "一级指标 二级指标 三级指标 年度指标值 实际完成值 分值 得分 偏差原因分析及改进措施"
)
IND_WIDTHS = dict(zip(IND_FIELDS, (56.0, 60.0, 110.0, 62.0, 62.0, 34.0, 34.0, 90.0), strict=True))
DECL_FUND_LABELS = _named(
    TARGET_FUND_KEYS,
    "项目资金总额 年度资金申请总额 其中：财政资金 其中：当年财政拨款 上年结转资金 其他资金",
)


@dataclass
class SelfEval:
    year: int
    project_name: str
    department: str
    implementing_unit: str
    funds: dict[str, tuple[str, ...]]  # FUND_ROWS → six values in FUND_COLUMNS order
    goal_expected: str
    goal_actual: str
    indicators: list[Indicator]
    total_weight: str | None = "100"
    total_score: str | None = None
    grade: str | None = None  # None: no 评分等级 row
    money_unit: str = "万元"
    project_leader: str | None = None
    contact_phone: str | None = None


@dataclass
class TargetDecl:
    year: int
    project_name: str
    department: str
    implementing_unit: str
    project_nature: str
    project_category: str
    plan_start: str
    plan_end: str
    funds: dict[str, str]  # TARGET_FUND_KEYS → value
    goal_overall: str
    goal_annual: str
    indicators: list[Indicator]
    money_unit: str = "元"
    project_leader: str | None = None
    contact_phone: str | None = None


@dataclass
class Style:
    title: str | None = None  # default: 财政项目支出绩效自评表 / 财政项目支出绩效目标申报表
    year_line: str = "({year}年度)"
    fund_order: tuple[str, ...] | None = None  # FUND_COLUMNS (or TARGET_FUND_KEYS) order
    fund_headers: dict[str, str] = field(default_factory=dict)  # spelling overrides
    ind_order: tuple[str, ...] | None = None  # columns after 一级/二级指标
    ind_headers: dict[str, str] = field(default_factory=dict)
    extra_left: float = 0.0  # width of a left 绩效指标 column spanning the indicators
    leader_row: bool = False  # print 项目负责人/联系电话 (blank values if None)
    label_width: float = 72.0  # the left label column
    # Page breaks before: an indicator (index; 0 = just after the header), or a place:
    # "fund_rows", "goals", "goal_text", "indicator_header", "total".
    break_before: tuple[int | str, ...] = ()
    repeat_header: bool = False  # repeat the indicator header after a break below it
    open_break: bool = True
    split_label: str = "first"
    continued: str | None = None  # e.g. 续表, above each continuation
    new_page: bool = True
    fund_rows: tuple[str, ...] = FUND_ROWS  # self-evaluation funds rows, in printed order
    fund_row_labels: dict[str, str] = field(default_factory=dict)
    unit_line: bool = False  # money unit in a 单位：万元 line above the table, not the label
    # all: every cell ruled; none: whitespace alone; light: full-width rules over the first
    # row, under the indicator headings, above 总分 and under the last row.
    rules: str = "all"
    lead: tuple[str, ...] = ()  # narrative paragraphs just above the title (table mid-page)
    note: str | None = None  # a 注 line under the table


def _kv(pairs: list[tuple[str, str | None]], edges: list[float]) -> Row:
    cells = []
    for k, (label, value) in enumerate(pairs):
        cells.append(Cell(label, edges[2 * k], edges[2 * k + 1]))
        cells.append(Cell(value or "", edges[2 * k + 1], edges[2 * k + 2]))
    return Row(cells)


def _title(form: SelfEval | TargetDecl, style: Style, default: str) -> list[tuple[str, float]]:
    lines = [(style.title or default, 16.0), (style.year_line.format(year=form.year), 10.0)]
    if style.unit_line:
        lines.append((f"单位：{form.money_unit}", SIZE))
    return lines


def _money_label(form: SelfEval | TargetDecl, style: Style) -> str:
    return "项目资金" if style.unit_line else f"项目资金\n({form.money_unit})"


def _indicator_rows(
    inds: list[Indicator], fields: tuple[str, ...], style: Style, x_start: float
) -> tuple[list[Row], Row, dict[str, tuple[float, float]]]:
    """The indicator header row, the indicator rows (merged levels) and the column edges."""
    order = ("level1", "level2", *fields)
    widths = [IND_WIDTHS[f] for f in order]
    scale = (W - x_start) / sum(widths)
    cols: dict[str, tuple[float, float]] = {}
    x = x_start
    for f, w in zip(order, widths, strict=True):
        cols[f] = (x, x + w * scale)
        x += w * scale
    heads = {**IND_HEADERS, **style.ind_headers}
    header = Row([Cell(heads[f], *cols[f]) for f in order])
    rows = [Row([]) for _ in inds]
    for lvl in ("level1", "level2"):  # consecutive equal labels merge into one cell
        k = 0
        keys = [(i.level1, i.level2 if lvl == "level2" else "") for i in inds]
        for _, grp in groupby(keys):
            n = len(list(grp))
            rows[k].cells.append(Cell(getattr(inds[k], lvl), *cols[lvl], rowspan=n))
            k += n
    for r, ind in zip(rows, inds, strict=True):
        for f in fields:
            align = LEFT_ALIGN if f in ("name", "deviation_reason") else CENTER
            r.cells.append(Cell(getattr(ind, f) or "", *cols[f], align=align))
    return rows, header, cols


def _goal_rows(label: str, h1: str, h2: str, t1: str, t2: str, L: float) -> list[Row]:
    mid = (L + W) / 2
    return [
        Row([Cell(label, 0, L, rowspan=2), Cell(h1, L, mid), Cell(h2, mid, W)]),
        Row([Cell(t1, L, mid, align=LEFT_ALIGN), Cell(t2, mid, W, align=LEFT_ALIGN)]),
    ]


def _finish(rows: list[Row], places: dict[str, int], style: Style, title: Any) -> Table:
    header_at = places["indicator_header"]
    breaks = set()
    for b in style.break_before:
        breaks.add(header_at + 1 + b if isinstance(b, int) else places[b])
    light = {header_at} | ({places["total"] - 1} if "total" in places else set())
    return Table(
        rows=rows,
        title=title,
        new_page=style.new_page,
        breaks=breaks,
        repeat=header_at if style.repeat_header else None,
        open_break=style.open_break,
        split_label=style.split_label,
        continued=style.continued,
        rules=style.rules,
        light_after=light,
        lead=style.lead,
        note=style.note,
    )


def self_eval_table(form: SelfEval, style: Style | None = None) -> Table:
    st = style or Style()
    L = st.label_width
    rows = [
        Row([Cell("项目名称", 0, L), Cell(form.project_name, L, W)]),
        _kv(
            [("主管部门", form.department), ("实施单位", form.implementing_unit)],
            [0, L, 250, 322, W],
        ),
    ]
    if st.leader_row:
        pairs = [("项目负责人", form.project_leader), ("联系电话", form.contact_phone)]
        rows.append(_kv(pairs, [0, L, 250, 322, W]))
    order = st.fund_order or FUND_COLUMNS
    heads = {**FUND_HEADERS, **st.fund_headers}
    x_val = L + 92
    step = (W - x_val) / len(order)
    fx = {f: (x_val + k * step, x_val + (k + 1) * step) for k, f in enumerate(order)}
    rows.append(
        Row(
            [Cell(_money_label(form, st), 0, L, rowspan=len(st.fund_rows) + 1), Cell("", L, x_val)]
            + [Cell(heads[f], *fx[f]) for f in order]
        )
    )
    places = {"fund_rows": len(rows)}
    labels = {**FUND_ROW_LABELS, **st.fund_row_labels}
    for key in st.fund_rows:
        vals = dict(zip(FUND_COLUMNS, form.funds.get(key, ("",) * 6), strict=True))
        rows.append(Row([Cell(labels[key], L, x_val)] + [Cell(vals[f], *fx[f]) for f in order]))
    places["goals"], places["goal_text"] = len(rows), len(rows) + 1
    rows += _goal_rows("年度\n总体\n目标", "预期目标", "实际完成情况", form.goal_expected,
                       form.goal_actual, L)  # fmt: skip
    fields = st.ind_order or SELF_IND_FIELDS
    ind_rows, header, cols = _indicator_rows(form.indicators, fields, st, st.extra_left)
    if st.extra_left:
        header.cells.insert(0, Cell("绩\n效\n指\n标", 0, st.extra_left, rowspan=len(ind_rows) + 1))
    places["indicator_header"] = len(rows)
    rows += [header, *ind_rows]
    places["total"] = len(rows)
    first = min(cols["weight"][0], cols["score"][0])
    total = [Cell("总分", 0, first)]
    for f in fields:
        if cols[f][0] >= first:
            text = {"weight": form.total_weight, "score": form.total_score}.get(f)
            total.append(Cell(text or "", *cols[f]))
    rows.append(Row(total))
    if form.grade is not None:
        rows.append(Row([Cell("评分等级", 0, L), Cell(form.grade, L, W)]))
    return _finish(rows, places, st, _title(form, st, "财政项目支出绩效自评表"))


def target_decl_table(form: TargetDecl, style: Style | None = None) -> Table:
    st = style or Style(extra_left=72.0)
    L = st.label_width
    rows = [
        _kv(
            [
                ("项目名称", form.project_name),
                ("项目性质", form.project_nature),
                ("项目类别", form.project_category),
            ],
            [0, L, 240, 300, 390, 450, W],
        ),
        _kv(
            [("主管部门", form.department), ("实施单位", form.implementing_unit)],
            [0, L, 240, 320, W],
        ),
    ]
    if st.leader_row:
        pairs = [("项目负责人", form.project_leader), ("联系电话", form.contact_phone)]
        rows.append(_kv(pairs, [0, L, 240, 320, W]))
    rows.append(
        _kv(
            [("计划开始日期", form.plan_start), ("计划完成日期", form.plan_end)],
            [0, L, 240, 320, W],
        )
    )
    order = list(st.fund_order or TARGET_FUND_KEYS)
    heads = {**DECL_FUND_LABELS, **st.fund_headers}
    pairs_rows = [order[k : k + 2] for k in range(0, len(order), 2)]
    edges = [L, L + 100, L + 200, L + 330, W]
    places = {"fund_rows": len(rows)}
    for k, pair in enumerate(pairs_rows):
        row = _kv([(heads[f], form.funds.get(f)) for f in pair], edges)
        if k == 0:
            row.cells.insert(0, Cell(_money_label(form, st), 0, L, rowspan=len(pairs_rows)))
        rows.append(row)
    places["goals"], places["goal_text"] = len(rows), len(rows) + 1
    rows += _goal_rows("项目\n绩效\n目标", "项目总体目标", "年度总体目标", form.goal_overall,
                       form.goal_annual, L)  # fmt: skip
    fields = st.ind_order or DECL_IND_FIELDS
    ind_rows, header, _ = _indicator_rows(form.indicators, fields, st, st.extra_left)
    if st.extra_left:
        header.cells.insert(0, Cell("绩效\n指标", 0, st.extra_left, rowspan=len(ind_rows) + 1))
    places["indicator_header"] = len(rows)
    rows += [header, *ind_rows]
    return _finish(rows, places, st, _title(form, st, "财政项目支出绩效目标申报表"))


def form_table(form: SelfEval | TargetDecl, style: Style | None = None) -> Table:
    if isinstance(form, SelfEval):
        return self_eval_table(form, style)
    return target_decl_table(form, style)


def _is_indicator(ind: Indicator, fields: tuple[str, ...]) -> bool:
    return any(getattr(ind, f) for f in fields)


def expected(form: SelfEval | TargetDecl, style: Style | None = None) -> dict[str, Any]:
    """The FORMAT.md record for ``form`` (without pages, findings and provenance)."""
    st = style or Style()

    def n(v: str | None) -> str | None:
        return v or None

    out: dict[str, Any] = {
        "form_type": "self_evaluation" if isinstance(form, SelfEval) else "target_declaration",
        "year": form.year,
        "project_name": form.project_name,
        "department": form.department,
        "implementing_unit": form.implementing_unit,
        "money_unit": form.money_unit,
        "project_leader": n(form.project_leader) if st.leader_row else None,
        "contact_phone": n(form.contact_phone) if st.leader_row else None,
    }
    if isinstance(form, SelfEval):
        out["funds"] = {
            key: {
                f: n(v) for f, v in zip(FUND_COLUMNS, form.funds.get(key, ("",) * 6), strict=True)
            }
            for key in FUND_ROWS
        }
        out["goal_expected"] = form.goal_expected
        out["goal_actual"] = form.goal_actual
        fields: tuple[str, ...] = SELF_IND_FIELDS
        out["total_weight"] = n(form.total_weight)
        out["total_score"] = n(form.total_score)
        out["grade"] = n(form.grade)
    else:
        for k in ("project_nature", "project_category", "plan_start", "plan_end"):
            out[k] = getattr(form, k)
        out["funds"] = {k: n(form.funds.get(k)) for k in TARGET_FUND_KEYS}
        out["goal_overall"] = form.goal_overall
        out["goal_annual"] = form.goal_annual
        fields = DECL_IND_FIELDS
    out["indicators"] = [
        {"level1": i.level1, "level2": i.level2, **{f: n(getattr(i, f)) for f in fields}}
        for i in form.indicators
        if _is_indicator(i, fields)
    ]
    return out


def build(
    forms: list[tuple[SelfEval | TargetDecl, Style | None]],
    path: Path,
    report: Report | None = None,
) -> list[dict]:
    """Render ``forms`` into one PDF (inside ``report`` when given); the expected records,
    each with its ``pages``."""
    tables = [form_table(f, s) for f, s in forms]
    render(tables, path, report)
    out = []
    for (f, s), t in zip(forms, tables, strict=True):
        rec = expected(f, s)
        rec["pages"] = t.pages
        out.append(rec)
    return out


# ---------------------------------------------------------------------------------------
# Free-form grids: forms of other regions, row by row


GridCell = str | tuple[str, float] | tuple[str, float, int]


def grid_row(*cells: GridCell, min_height: float = 18.0) -> list[tuple[str, float, int]]:
    """One row of a free-form grid: each cell is ``text``, ``(text, relative width)`` or
    ``(text, relative width, rowspan)``; widths are spread over the table width."""
    out = []
    for c in cells:
        if isinstance(c, str):
            out.append((c, 1.0, 1))
        elif len(c) == 2:
            out.append((c[0], float(c[1]), 1))
        else:
            out.append((c[0], float(c[1]), int(c[2])))  # type: ignore[misc]
    return out


def grid_table(
    rows: list[list[tuple[str, float, int]]],
    title: list[str] | None = None,
    *,
    new_page: bool = True,
    breaks: set[int] | None = None,
) -> Table:
    """A ruled table from ``grid_row`` rows. A cell with rowspan n covers the same x range
    in the n-1 rows below, which list only their other cells (left to right, their widths
    spread over the room the spanning cells leave)."""
    covered: dict[int, list[tuple[float, float]]] = {}
    out: list[Row] = []
    for i, spec in enumerate(rows):
        taken = sorted(covered.get(i, []))
        free = _free_spans(taken)
        cells: list[Cell] = []
        total = sum(w for _, w, _ in spec)
        room = sum(b - a for a, b in free)
        x, k = free[0][0] if free else 0.0, 0
        for text, w, span in spec:
            width = room * w / total
            if k < len(free) and x >= free[k][1] - 0.01:
                k += 1
                x = free[k][0]
            cells.append(Cell(text, x, x + width, rowspan=span, align=LEFT_ALIGN))
            for j in range(i + 1, i + span):
                covered.setdefault(j, []).append((x, x + width))
            x += width
        out.append(Row(cells))
    lines = [(t, 16.0 if k == 0 else 10.0) for k, t in enumerate(title or [])]
    return Table(rows=out, title=lines, new_page=new_page, breaks=breaks or set())


def _free_spans(taken: list[tuple[float, float]]) -> list[tuple[float, float]]:
    spans, x = [], 0.0
    for a, b in taken:
        if a > x + 0.01:
            spans.append((x, a))
        x = max(x, b)
    if x < W - 0.01:
        spans.append((x, W))
    return spans


def _amount(text: str) -> float:
    return float(text.replace(",", "").rstrip("%") or 0)


def summary(forms: list[SelfEval]) -> tuple[str, ...]:
    """Narrative paragraphs of a self-evaluation report whose numbers are aggregates of
    ``forms`` (project count, budget sums, score range, indicator count), as such reports
    print them: none of them is a value of any one table (unless there is one form)."""
    n = len(forms)
    unit = forms[0].money_unit
    budget = sum(_amount(f.funds["total"][1]) for f in forms)
    spent = sum(_amount(f.funds["total"][2]) for f in forms)
    scores = [_amount(f.total_score or "0") for f in forms]
    inds = sum(1 for f in forms for i in f.indicators if _is_indicator(i, SELF_IND_FIELDS))
    return (
        "一、基本情况",
        f"根据预算绩效管理的有关要求，本单位对{forms[0].year}年度部门预算安排的项目支出开展了"
        f"绩效自评。本次纳入自评范围的项目共{n}个，全年预算合计{budget:,.2f}{unit}，全年执行数"
        f"合计{spent:,.2f}{unit}，整体预算执行率为{100 * spent / budget:.2f}%。",
        "二、总体结论",
        f"从自评结果看，{n}个项目总体完成了年度绩效目标，自评得分在{min(scores):g}分至"
        f"{max(scores):g}分之间，共设置三级绩效指标{inds}个。对实际完成值与年度指标值存在"
        "偏差的指标，项目单位分析了偏差原因，并提出了相应的改进措施。",
    )
