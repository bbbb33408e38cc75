"""The drawing layer of the synthetic test PDFs (``tests/pdfgen`` builds forms on it).

- ``Table``/``Row``/``Cell`` and ``render``: tables with merged cells (a cell covers an x
  range of its own and ``rowspan`` rows), title lines above each table, several tables per
  page or each on a new page, page breaks (forced before a row or on overflow) that split
  merged cells, an optional repeated header row on the continuation page, and rulings left
  open at the break (no bottom border before it, no top border after it) the way Excel/WPS
  exports print them. ``Table.rules``: "all" (every cell ruled), "none" (whitespace alone
  separates the columns) or "light" (only full-width rules over the first row, under the
  last and under chosen rows, as Word exports print forms). A merged cell's text is
  vertically centred in its span, as Word/WPS print it.
- ``Table.lead``/``Table.note``: narrative paragraphs just above a table (so it starts
  mid-page) and a 注 line under it.
- ``Report``: a cover page, narrative pages, and a running header line and a
  "第 N 页 共 M 页" footer on every page after the cover.

Text is placed with ``insert_textbox`` in the built-in CJK font ``china-s`` (every
character, ASCII included, one em wide), wrapped here character by character: ingestion
joins a cell's lines with no separator, so a wrapped value reads back unchanged as long as
it has no spaces. Rulings are one path each, as exports draw them (one path for a whole
page would make PyMuPDF's table finder box every table on it together).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

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
    else:
        pages.y += 6  # below what is printed above (a table, its note)
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
