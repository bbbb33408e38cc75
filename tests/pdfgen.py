"""Synthetic ruled forms for layout tests, drawn with PyMuPDF like real form exports.

Two layers:

- ``Table``/``Row``/``Cell`` and ``render``: ruled tables with merged cells (a cell covers
  an x range of its own and ``rowspan`` rows), title lines above each table, several tables
  per page or each on a new page, page breaks (forced before a row or on overflow) that
  split merged cells, an optional repeated header row on the continuation page, and
  rulings left open at the break (no bottom border before it, no top border after it) the
  way Excel/WPS exports print them.
- ``SelfEval``/``TargetDecl`` with ``Style`` and ``form_table``: a whole 绩效自评表 or
  绩效目标申报表 from a plain description, with the column order, header spellings, extra
  left column, 项目负责人 row and page-break options varied; ``expected`` gives the
  ``shared/golden/FORMAT.md`` dict a correct extractor must produce for it.

Text is placed with ``insert_textbox`` in the built-in CJK font ``china-s`` (every
character, ASCII included, one em wide), wrapped here character by character: ingestion
joins a cell's lines with no separator, so a wrapped value reads back unchanged as long as
it has no spaces. Rulings are one path each, as exports draw them (one path for a whole
page would make PyMuPDF's table finder box every table on it together).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

import pymupdf

from schemas.fields import FUND_COLUMNS, FUND_ROWS, TARGET_FUND_KEYS

FONT = "china-s"
SIZE = 9.0
_FONT = pymupdf.Font(FONT)
LINE_H = SIZE * (_FONT.ascender - _FONT.descender)  # insert_textbox line pitch
PAD = 2.5
PAGE_W, PAGE_H = 595.0, 842.0  # A4 portrait
LEFT, TOP, BOTTOM = 40.0, 50.0, 800.0
W = PAGE_W - 2 * LEFT  # table width
CENTER, LEFT_ALIGN = pymupdf.TEXT_ALIGN_CENTER, pymupdf.TEXT_ALIGN_LEFT


# ---------------------------------------------------------------------------------------
# Tables


@dataclass
class Cell:
    text: str
    x0: float  # from the table's left edge, in points
    x1: float
    rowspan: int = 1
    align: int = CENTER


@dataclass
class Row:
    cells: list[Cell]
    min_height: float = 18.0


@dataclass
class Table:
    rows: list[Row]
    title: list[tuple[str, float]] = field(default_factory=list)  # (text, font size)
    new_page: bool = True  # start on a fresh page (else below the previous table)
    breaks: set[int] = field(default_factory=set)  # page break before these row indices
    repeat: int | None = None  # row index repeated at the top of continuation pages
    open_break: bool = True  # no ruling at the bottom/top of a page break
    split_label: str = "first"  # a merged cell cut by a break: first|last|clip|clip:N
    continued: str | None = None  # a line such as 续表 above each continuation
    rules: str = "all"  # all: every cell ruled; none: no ruling; light: see light_after
    light_after: set[int] = field(default_factory=set)  # "light": full-width rules under these
    lead: tuple[str, ...] = ()  # narrative paragraphs printed just above the title
    note: str | None = None  # a 注 line printed under the last row
    pages: list[int] = field(default_factory=list)  # 1-based pages it landed on (output)
    start: tuple[int, float] = (0, 0.0)  # 1-based page and top of its first row (output)


def wrap(text: str, width: float, size: float = SIZE) -> list[str]:
    """Lines of ``text`` as printed in a cell ``width`` wide (explicit newlines kept)."""
    if not text:
        return []
    out: list[str] = []
    for para in text.split("\n"):
        line = ""
        for ch in para:
            if line and pymupdf.get_text_length(line + ch, FONT, size) > width:
                out.append(line)
                line = ch
            else:
                line += ch
        out.append(line)
    return out


def _need(c: Cell) -> float:
    n = len(wrap(c.text, c.x1 - c.x0 - 2 * PAD))
    return n * LINE_H + 2 * PAD + 3 if n else 0.0


def _heights(t: Table) -> list[float]:
    h = [max([r.min_height] + [_need(c) for c in r.cells if c.rowspan == 1]) for r in t.rows]
    for i, r in enumerate(t.rows):
        for c in r.cells:
            if c.rowspan > 1:
                span = range(i, min(len(h), i + c.rowspan))
                deficit = _need(c) - sum(h[j] for j in span)
                for j in span:
                    h[j] += max(0.0, deficit) / len(span)
    return h


class _Pages:
    def __init__(self, doc: pymupdf.Document) -> None:
        self.doc = doc
        self.lines: list[set[tuple[float, float, float, float]]] = []
        self.y = BOTTOM

    def new(self) -> int:
        self.doc.new_page(width=PAGE_W, height=PAGE_H)
        self.lines.append(set())
        self.y = TOP
        return len(self.lines) - 1

    def line(self, pno: int, x0: float, y0: float, x1: float, y1: float) -> None:
        self.lines[pno].add((round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2)))

    def text(self, pno: int, rect: pymupdf.Rect, text: str, align: int) -> None:
        lines = wrap(text, rect.width - 2 * PAD)
        if not lines:
            return
        need = len(lines) * LINE_H
        if need + 2 > rect.height:
            raise ValueError(f"text {text!r} does not fit its cell {rect}")
        yc = (rect.y0 + rect.y1) / 2
        box = pymupdf.Rect(rect.x0 + PAD, yc - need / 2, rect.x1 - PAD, yc + need / 2 + 3)
        page = self.doc[pno]
        left = page.insert_textbox(box, "\n".join(lines), fontname=FONT, fontsize=SIZE, align=align)
        if left < 0:
            raise ValueError(f"text {text!r} overflows its cell {rect}")

    def finish(self) -> None:
        for pno, segs in enumerate(self.lines):
            shape = self.doc[pno].new_shape()
            for x0, y0, x1, y1 in sorted(segs):
                shape.draw_line((x0, y0), (x1, y1))
                shape.finish(color=(0, 0, 0), width=0.75)
            shape.commit()


def _start(pages: _Pages, t: Table, heights: list[float]) -> int:
    """The page the table's title goes on, after its lead paragraphs (if any)."""
    new_page = t.new_page or not pages.lines
    if t.lead:
        flow(pages, t.lead, new_page=new_page)
        new_page = False
    title_h = sum(size * 1.8 for _, size in t.title)
    fit = title_h + sum(heights[:3]) + 10
    if new_page or pages.y + fit > BOTTOM:
        return pages.new()
    pages.y += 12 if t.lead else 24
    return len(pages.lines) - 1


def _place_table(pages: _Pages, t: Table) -> None:
    if t.rules not in ("all", "none", "light"):
        raise ValueError(t.rules)
    heights = _heights(t)
    pno = _start(pages, t, heights)
    for text, size in t.title:
        if not text:
            continue
        rect = pymupdf.Rect(LEFT, pages.y, LEFT + W, pages.y + size * 1.8)
        pages.doc[pno].insert_textbox(rect, text, fontname=FONT, fontsize=size, align=CENTER)
        pages.y += size * 1.8
    pages.y += 4
    placed, repeated = _place_rows(pages, t, heights, pno)
    _draw_cells(pages, t, placed, repeated)
    if t.rules == "light":
        _light_rules(pages, t, placed, repeated)
    if t.note:
        _note(pages, t.note)
    t.pages = sorted({p + 1 for p, _, _ in placed})
    t.start = (placed[0][0] + 1, placed[0][1])


Placed = list[tuple[int, float, float]]  # each row: page index, top, bottom


def _place_rows(
    pages: _Pages, t: Table, heights: list[float], pno: int
) -> tuple[Placed, dict[int, tuple[float, float]]]:
    """Each row's page and y range; the y range of the repeated header on each page."""
    placed: Placed = []
    repeated: dict[int, tuple[float, float]] = {}  # page → y range of a repeated header
    for i, h in enumerate(heights):
        if i > 0 and (i in t.breaks or pages.y + h > BOTTOM):
            pno = pages.new()
            if t.continued:
                rect = pymupdf.Rect(LEFT, pages.y, LEFT + W, pages.y + 18)
                pages.doc[pno].insert_textbox(rect, t.continued, fontname=FONT, fontsize=SIZE)
                pages.y += 20
            if t.repeat is not None and t.repeat < i:
                rh = heights[t.repeat]
                _draw_row(pages, pno, t.rows[t.repeat], pages.y, pages.y + rh, t.rules == "all")
                repeated[pno] = (pages.y, pages.y + rh)
                pages.y += rh
        placed.append((pno, pages.y, pages.y + h))
        pages.y += h
    return placed, repeated


def _draw_cells(
    pages: _Pages, t: Table, placed: Placed, repeated: dict[int, tuple[float, float]]
) -> None:
    """Every cell's text (a merged cell's cut into its page fragments) and, with rules
    "all", its borders."""
    n = len(placed)
    first_on_page = [i > 0 and placed[i][0] != placed[i - 1][0] for i in range(n)]
    last_on_page = [i < n - 1 and placed[i + 1][0] != placed[i][0] for i in range(n)]
    for i, row in enumerate(t.rows):
        for c in row.cells:
            frags: list[list[int]] = []  # [page, first row, last row]
            for j in range(i, min(n, i + c.rowspan)):
                if frags and frags[-1][0] == placed[j][0]:
                    frags[-1][2] = j
                else:
                    frags.append([placed[j][0], j, j])
            room = [int((placed[b][2] - placed[a][1] - 2) // LINE_H) for _, a, b in frags]
            parts = _split_text(c.text, c.x1 - c.x0 - 2 * PAD, room, t.split_label)
            for k, (p, a, b) in enumerate(frags):
                y0, y1 = placed[a][1], placed[b][2]
                top = not (t.open_break and first_on_page[a])
                if k > 0 and p in repeated and t.repeat is not None and i <= t.repeat:
                    y0, top = repeated[p][0], True  # the span runs up beside the header
                elif p in repeated:
                    top = True
                bottom = not (t.open_break and last_on_page[b])
                x0, x1 = LEFT + c.x0, LEFT + c.x1
                if t.rules == "all":
                    pages.line(p, x0, y0, x0, y1)
                    pages.line(p, x1, y0, x1, y1)
                    if top:
                        pages.line(p, x0, y0, x1, y0)
                    if bottom:
                        pages.line(p, x0, y1, x1, y1)
                pages.text(p, pymupdf.Rect(x0, y0, x1, y1), parts[k], c.align)


def _light_rules(
    pages: _Pages, t: Table, placed: Placed, repeated: dict[int, tuple[float, float]]
) -> None:
    """Full-width rules over the first row, under the last and under ``t.light_after``
    (and under a repeated header row when its row is one of them), as Word exports print."""
    x0 = LEFT + min(c.x0 for r in t.rows for c in r.cells)
    x1 = LEFT + max(c.x1 for r in t.rows for c in r.cells)
    marks = [(placed[0][0], placed[0][1]), (placed[-1][0], placed[-1][2])]
    marks += [(placed[k][0], placed[k][2]) for k in t.light_after if k < len(placed)]
    if t.repeat in t.light_after:
        marks += [(p, y1) for p, (_, y1) in repeated.items()]
    for p, y in marks:
        pages.line(p, x0, y, x1, y)


def _note(pages: _Pages, text: str) -> None:
    """A 注 line (wrapped if long) under the table, left aligned at the table's edge."""
    lines = wrap(text, W)
    h = len(lines) * LINE_H + 4
    if pages.y + 6 + h > BOTTOM:
        pno = pages.new()
    else:
        pno = len(pages.lines) - 1
        pages.y += 6
    rect = pymupdf.Rect(LEFT, pages.y, LEFT + W, pages.y + h + 3)
    pages.doc[pno].insert_textbox(
        rect, "\n".join(lines), fontname=FONT, fontsize=SIZE, align=LEFT_ALIGN
    )
    pages.y += h


def _draw_row(pages: _Pages, pno: int, row: Row, y0: float, y1: float, ruled: bool) -> None:
    """A repeated header row: its single-row cells (fully ruled when ``ruled``)."""
    for c in row.cells:
        if c.rowspan == 1:
            x0, x1 = LEFT + c.x0, LEFT + c.x1
            if ruled:
                for seg in (
                    (x0, y0, x0, y1),
                    (x1, y0, x1, y1),
                    (x0, y0, x1, y0),
                    (x0, y1, x1, y1),
                ):
                    pages.line(pno, *seg)
            pages.text(pno, pymupdf.Rect(x0, y0, x1, y1), c.text, c.align)


def _split_text(text: str, width: float, room: list[int], how: str) -> list[str]:
    """The text of a merged cell in each of its page fragments (``room``: lines each holds).

    first/last: whole in the first/last fragment it fits in; clip: cut in two (halves, or
    the first N characters with clip:N); where it fits nowhere, line by line in order.
    """
    n = len(room)
    out = [""] * n
    if n == 1:
        return [text]
    lines = wrap(text, width)
    fits = [k for k, r in enumerate(room) if r >= len(lines)]
    if how.startswith("clip"):
        cut = int(how[5:]) if how.startswith("clip:") else (len(text) + 1) // 2
        out[0], out[-1] = text[:cut], text[cut:]
    elif fits and how in ("first", "last"):
        out[fits[0] if how == "first" else fits[-1]] = text
    elif how in ("first", "last"):
        k = 0
        for line in lines:
            while k < n - 1 and len(wrap(out[k], width)) >= room[k]:
                k += 1
            out[k] = f"{out[k]}\n{line}" if out[k] else line
    else:
        raise ValueError(how)
    return out


# ---------------------------------------------------------------------------------------
# Reports: a cover, narrative paragraphs, running headers and page-number footers


NARR_SIZE = 10.5  # narrative text size
NARR_PITCH = NARR_SIZE * 1.7  # narrative line pitch
HEADER_Y, FOOTER_Y = 32.0, 822.0  # baselines of the running header and of the footer


@dataclass
class Report:
    """A report the forms are the attachment of. Every page but the cover carries the
    header line (left and right parts) and the footer (``{n}``: page, ``{m}``: pages)."""

    header_left: str = "某某单位2023年度部门决算"
    header_right: str = "附件：项目支出绩效自评结果"
    footer: str = "第 {n} 页 共 {m} 页"
    cover: tuple[tuple[str, float], ...] = ()  # (line, font size), centred on page 1
    narrative: tuple[str, ...] = ()  # paragraphs on their own pages before the forms
    header_rule: bool = False  # a thin rule under the running header


def narrative_lines(paras: tuple[str, ...] | list[str]) -> list[str]:
    """The lines the paragraphs are printed in (first line indented two em)."""
    out: list[str] = []
    for text in paras:
        line, width = "", W - 2 * NARR_SIZE
        for ch in text:
            if line and pymupdf.get_text_length(line + ch, FONT, NARR_SIZE) > width:
                out.append(line)
                line, width = ch, W
            else:
                line += ch
        out.append(line)
    return out


def flow(pages: _Pages, paras: tuple[str, ...] | list[str], *, new_page: bool) -> None:
    """Print paragraphs from ``pages.y`` on (or a new page), onto new pages as they fill."""
    if new_page or not pages.lines:
        pages.new()
    for text in paras:
        for k, line in enumerate(narrative_lines([text])):
            if pages.y + NARR_PITCH > BOTTOM:
                pages.new()
            x = LEFT + (2 * NARR_SIZE if k == 0 else 0.0)
            page = pages.doc[len(pages.lines) - 1]
            page.insert_text((x, pages.y + NARR_SIZE), line, fontname=FONT, fontsize=NARR_SIZE)
            pages.y += NARR_PITCH


def _cover(pages: _Pages, lines: tuple[tuple[str, float], ...]) -> None:
    pno = pages.new()
    y = 260.0
    for text, size in lines:
        rect = pymupdf.Rect(LEFT, y, LEFT + W, y + size * 2)
        pages.doc[pno].insert_textbox(rect, text, fontname=FONT, fontsize=size, align=CENTER)
        y += size * 2.5


def _furniture(doc: pymupdf.Document, report: Report, first: int) -> None:
    """The running header and the page-number footer on pages ``first`` on (0-based)."""
    m = doc.page_count
    for i in range(first, m):
        page = doc[i]
        page.insert_text((LEFT, HEADER_Y), report.header_left, fontname=FONT, fontsize=SIZE)
        right = LEFT + W - pymupdf.get_text_length(report.header_right, FONT, SIZE)
        page.insert_text((right, HEADER_Y), report.header_right, fontname=FONT, fontsize=SIZE)
        footer = report.footer.format(n=i + 1, m=m)
        x = LEFT + (W - pymupdf.get_text_length(footer, FONT, SIZE)) / 2
        page.insert_text((x, FOOTER_Y), footer, fontname=FONT, fontsize=SIZE)
        if report.header_rule:
            shape = page.new_shape()
            shape.draw_line((LEFT, HEADER_Y + 5), (LEFT + W, HEADER_Y + 5))
            shape.finish(color=(0, 0, 0), width=0.5)
            shape.commit()


def render(tables: list[Table], path: Path, report: Report | None = None) -> Path:
    """Draw the tables in order into a new PDF at ``path``; fills each ``Table.pages``.
    With ``report``: its cover and narrative pages first, its header and footer on every
    page after the cover."""
    doc = pymupdf.open()
    pages = _Pages(doc)
    if report is not None and report.cover:
        _cover(pages, report.cover)
    if report is not None and report.narrative:
        flow(pages, report.narrative, new_page=True)
    for t in tables:
        _place_table(pages, t)
    pages.finish()
    if report is not None:
        _furniture(doc, report, first=1 if report.cover else 0)
    doc.save(path)
    doc.close()
    return path


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
