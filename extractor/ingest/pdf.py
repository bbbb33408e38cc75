"""PyMuPDF at the edge: a PDF becomes pages of text lines and table cells with boxes.

Table grids come from ``Page.find_tables(use_layout=False)`` (ruling lines): on the golden
PDFs it finds the same tables as the layout model at ~40 ms/page instead of ~600 ms/page
(see ``benchmarks/README.md``). ``Table.extract()`` text is not used: it reorders characters
that sit on a different baseline (``39 46\\n.`` for ``39.46``), so each cell's text is rebuilt
from the page's characters whose centres fall inside the cell's box, line by line.
"""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pymupdf

from extractor.ingest.chars import _Char, assemble_lines
from extractor.ingest.furniture import furniture_boxes, margin_texts, running_signatures
from extractor.ingest.guards import garbled_text, page_over_limits, render_dpi
from extractor.ingest.hashing import file_sha256
from extractor.ingest.pdf_tables import geom_table, in_reading_order, page_rulings, text_geoms
from extractor.ingest.text_grid import GridGeom
from schemas.document_errors import ErrorCode
from schemas.errors import (
    CorruptPdfError,
    EmptyPdfError,
    EncryptedPdfError,
    InputError,
    NotAPdfError,
    TooLargeError,
)
from schemas.grid import (
    BBox,
    Cell,
    DocumentGrid,
    PageGrid,
    Table,
    TextLine,
    line_id,
    slot_cell,
    table_id,
)
from schemas.options import IngestOptions
from schemas.sanitise import clean_text, display_path

if TYPE_CHECKING:
    from extractor.ingest.ocr import OcrEngine

pymupdf.TOOLS.mupdf_display_errors(False)
pymupdf.TOOLS.mupdf_display_warnings(False)


def _describe_magic(head: bytes) -> str:
    sigs = {
        b"\x89PNG": "a PNG image",
        b"\xff\xd8\xff": "a JPEG image",
        b"PK\x03\x04": "a ZIP archive (or an Office file)",
        b"GIF8": "a GIF image",
        b"\xd0\xcf\x11\xe0": "an old Office document",
    }
    for sig, what in sigs.items():
        if head.startswith(sig):
            return what
    if not head:
        return "an empty file"
    return "not a PDF"


def open_pdf(path: Path, options: IngestOptions) -> pymupdf.Document:
    """Open a PDF or raise an ``InputError`` with a one-line reason."""
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a PDF")
    size_mb = path.stat().st_size / 1e6
    if size_mb > options.max_file_mb:
        raise TooLargeError(
            f"{path}: {size_mb:.0f} MB is over the limit of {options.max_file_mb:.0f} MB "
            "(raise JIXIAO_MAX_FILE_MB to accept it)"
        )
    with path.open("rb") as f:
        head = f.read(1024)
    if b"%PDF-" not in head:
        raise NotAPdfError(f"{path}: not a PDF ({_describe_magic(head)})")
    try:
        if display_path(path) != str(path):  # a name MuPDF cannot open (not UTF-8)
            doc = pymupdf.open(stream=path.read_bytes(), filetype="pdf")
        else:
            doc = pymupdf.open(path, filetype="pdf")
    except Exception as e:  # PyMuPDF raises several types for broken files
        raise CorruptPdfError(f"{path}: corrupt PDF, cannot be opened ({e})") from e
    if doc.needs_pass and not doc.authenticate(""):
        doc.close()
        raise EncryptedPdfError(f"{path}: encrypted PDF, a password is needed to read it")
    try:
        n = doc.page_count
    except Exception as e:
        doc.close()
        raise CorruptPdfError(f"{path}: corrupt PDF, page tree unreadable ({e})") from e
    if n == 0 and doc.is_repaired:
        doc.close()
        raise CorruptPdfError(f"{path}: corrupt or truncated PDF, no page could be recovered")
    if n == 0:
        doc.close()
        raise EmptyPdfError(f"{path}: the PDF has no pages")
    if n > options.max_pages:
        doc.close()
        raise TooLargeError(
            f"{path}: {n} pages is over the limit of {options.max_pages} "
            "(raise JIXIAO_MAX_PAGES to accept it)"
        )
    return doc


def _chars(
    page: pymupdf.Page, notes: list[str] | None = None
) -> tuple[list[_Char], list[tuple[BBox, str]]]:
    """Every character on the page, and every text line (bbox, text) in reading order.

    The text is valid Unicode: a glyph the font maps to a lone surrogate or NUL (a broken
    or hostile ToUnicode map) becomes U+FFFD, and ``notes`` (when given) gets one line
    saying how many were replaced."""
    raw: dict[str, Any] = page.get_text("rawdict", flags=pymupdf.TEXTFLAGS_RAWDICT)
    replaced = 0
    chars: list[_Char] = []
    lines: list[tuple[BBox, str]] = []
    for block in raw.get("blocks", []):
        for line in block.get("lines", []):
            if line.get("dir", (1, 0)) != (1, 0) and abs(line.get("dir", (1, 0))[0]) < 0.9:
                continue  # rotated text: not part of these forms' grids
            text, bad = _line_chars(line, chars)
            replaced += bad
            t = "".join(text).strip()
            if t:
                lines.append((tuple(line["bbox"]), t))
    if replaced and notes is not None:
        notes.append(
            f"text layer maps {replaced} glyph{'s' if replaced > 1 else ''} to invalid "
            "Unicode (lone surrogate or NUL; broken ToUnicode map): shown as U+FFFD"
        )
    return chars, lines


def _line_chars(line: dict[str, Any], chars: list[_Char]) -> tuple[list[str], int]:
    """The characters of one text line of a ``rawdict``: appended to ``chars``, returned as
    text, with how many glyphs were replaced by U+FFFD (invalid Unicode)."""
    text: list[str] = []
    replaced = 0
    for span in line.get("spans", []):
        size = float(span.get("size", 10.0))
        for ch in span.get("chars", []):
            x0, y0, x1, y1 = ch["bbox"]
            c = ch["c"]
            if len(c) != 1 or c == "\x00" or "\ud800" <= c <= "\udfff":
                c, bad = clean_text(c)
                replaced += bad
            chars.append(_Char(c, (x0 + x1) / 2, (y0 + y1) / 2, x0, x1, ch["origin"][1], size))
            text.append(c)
    return text, replaced


def _edges(values: list[float], tol: float = 1.0) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def _table_cells(tab: Any, page_no: int, t_index: int, chars: list[_Char]) -> list[Cell]:
    rows = tab.rows
    xs = _edges([c[0] for r in rows for c in r.cells if c is not None] + [tab.bbox[2]])
    ys = _edges([r.bbox[1] for r in rows] + [tab.bbox[3]])
    by_y = sorted(chars, key=lambda c: c.cy)
    keys = [c.cy for c in by_y]
    cells: list[Cell] = []
    for i, r in enumerate(rows):
        for j, bb in enumerate(r.cells):
            if bb is None:
                continue
            x0, y0, x1, y1 = bb
            lo = bisect.bisect_left(keys, y0)
            hi = bisect.bisect_right(keys, y1)
            inside = [c for c in by_y[lo:hi] if x0 <= c.cx <= x1]
            lines = assemble_lines(inside)
            col_span = max(1, sum(1 for x in xs if x0 + 1 < x < x1 - 1) + 1)
            row_span = max(1, sum(1 for y in ys if y0 + 1 < y < y1 - 1) + 1)
            slots = (i, j, i + row_span - 1, j + col_span - 1)
            box = (round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2))
            cells.append(slot_cell(page_no, t_index, slots, box, lines))
    return cells


def _inside_any(bbox: BBox, boxes: list[BBox]) -> bool:
    cx, cy = (bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2
    return any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in boxes)


def _closing_lines(
    verticals: list[tuple[float, float, float]], horizontals: list[tuple[float, float, float]]
) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Virtual borders where a table runs off or onto the page with no ruling line.

    A table continued from the previous page often has no top border (and one that goes on
    has no bottom border), so the ruling-line finder cannot close its first or last cells.
    Where vertical rulings start (or end) at the same height with no horizontal ruling
    there, a horizontal line across them is added for ``find_tables``.
    """
    if len(verticals) < 3:
        return []
    out = []
    for y in (min(v[1] for v in verticals), max(v[2] for v in verticals)):
        group = [v for v in verticals if abs(v[1] - y) < 1.5 or abs(v[2] - y) < 1.5]
        if len(group) < 3:
            continue
        x0, x1 = min(v[0] for v in group), max(v[0] for v in group)
        covered = any(
            abs(h[0] - y) < 1.5 and h[1] <= x0 + 2 and h[2] >= x1 - 2 for h in horizontals
        )
        if not covered:
            out.append(((x0, y), (x1, y)))
    return out


def _without_furniture(
    chars: list[_Char], raw_lines: list[tuple[BBox, str]], height: float, running: set[str]
) -> tuple[list[_Char], list[tuple[BBox, str]]]:
    """Running headers/footers and page numbers taken out: not rows, titles or values."""
    furniture = furniture_boxes(raw_lines, height, running)
    if not furniture:
        return chars, raw_lines
    kept = [c for c in chars if not _inside_any((c.x0, c.cy, c.x1, c.cy), furniture)]
    return kept, [(bb, t) for bb, t in raw_lines if bb not in furniture]


def _unread(
    page: pymupdf.Page, page_no: int, code: ErrorCode, why: str, *, needs_ocr: bool
) -> PageGrid:
    rect = page.rect
    grid = PageGrid(
        number=page_no,
        width=rect.width,
        height=rect.height,
        has_text_layer=False,
        needs_ocr=needs_ocr,
    )
    grid.add_error(code, why)
    return grid


PageText = tuple[list[_Char], list[tuple[BBox, str]], list[str]]  # chars, lines, notes


def read_text(page: pymupdf.Page) -> PageText:
    """A page's characters and text lines, with the notes on text that had to be cleaned."""
    notes: list[str] = []
    chars, raw_lines = _chars(page, notes)
    return chars, raw_lines, notes


def page_grid(
    page: pymupdf.Page,
    page_no: int,
    options: IngestOptions,
    running: set[str] | None = None,
    text: PageText | None = None,
) -> PageGrid:
    """One page as a grid. ``running``: signatures of the document's running headers and
    footers (``furniture.running_signatures``), left out with page numbers; ``text``: the
    page's ``read_text`` when it was read already."""
    refused = page_over_limits(page, options.limits)
    if refused:  # never rendered nor read: a clear error instead of hours or gigabytes
        return _unread(page, page_no, ErrorCode.PAGE_REFUSED, refused, needs_ocr=False)
    chars, raw_lines, notes = text if text is not None else read_text(page)
    chars, raw_lines = _without_furniture(chars, raw_lines, page.rect.height, running or set())
    n_text = sum(1 for c in chars if not c.c.isspace())
    garbled = garbled_text([c.c for c in chars])
    if garbled:
        # A broken font mapping turns the text layer into control characters, private-use
        # or unmapped glyphs: treat the page like a scan rather than read garbage.
        why = f"text layer unreadable ({garbled}); the page needs OCR"
        return _unread(page, page_no, ErrorCode.TEXT_GARBLED, why, needs_ocr=True)
    rect = page.rect
    grid = PageGrid(number=page_no, width=rect.width, height=rect.height)
    for note in notes:
        grid.add_error(ErrorCode.TEXT_REPAIRED, note)
    if n_text < options.min_text_chars:
        grid.has_text_layer = n_text > 0
        grid.needs_ocr = bool(page.get_images(full=False))
        if n_text == 0:
            return grid
    grid.tables = _tables(page, page_no, chars, options.table_layout_model)
    boxes = [t.bbox for t in grid.tables]
    k = 0
    for bb, line_text in raw_lines:
        if _inside_any(bb, boxes):
            continue
        k += 1
        grid.lines.append(TextLine(id=line_id(page_no, k), page=page_no, bbox=bb, text=line_text))
    return grid


def _tables(page: pymupdf.Page, page_no: int, chars: list[_Char], use_layout: bool) -> list[Table]:
    """The page's tables in reading order: PyMuPDF's ruled tables (``use_layout``: its
    layout model) and the grids of rule-light text (``text_geoms``)."""
    verticals, horizontals = page_rulings(page)
    try:
        found = page.find_tables(
            use_layout=use_layout,
            add_lines=_closing_lines(verticals, horizontals) or None,
        )
    except TypeError:  # older PyMuPDF without the layout model switch
        found = page.find_tables()
    ruled = [tab for tab in found.tables if tab.row_count > 0]
    geoms = text_geoms(chars, [tab.bbox for tab in ruled], horizontals)
    tables: list[Table] = []
    # Without text grids the ruled tables keep PyMuPDF's numbering (ids stay stable).
    order = in_reading_order(ruled, geoms) if geoms else found.tables
    for t_index, tab in enumerate(order, start=1):
        if isinstance(tab, GridGeom):
            tables.append(geom_table(tab, page_no, t_index, chars))
            continue
        if tab.row_count == 0:
            continue
        cells = _table_cells(tab, page_no, t_index, chars)
        tables.append(
            Table(
                id=table_id(page_no, t_index),
                page=page_no,
                index=t_index,
                bbox=tuple(round(v, 2) for v in tab.bbox),
                n_rows=tab.row_count,
                n_cols=tab.col_count,
                cells=cells,
            )
        )
    return tables


RUNNING_SAMPLE = 12  # pages read for running headers and footers


def _running(doc: pymupdf.Document, read: dict[int, PageText]) -> set[str]:
    """Running header/footer signatures of a document, from up to ``RUNNING_SAMPLE`` pages
    spread over it (a damaged page counts as none). The pages read are kept in ``read``
    for their grids."""
    n = doc.page_count
    step = max(1, -(-n // RUNNING_SAMPLE))
    texts: list[list[tuple[str, float]]] = []
    for i in range(0, n, step):
        try:
            page = doc.load_page(i)
            read[i] = read_text(page)
            texts.append(margin_texts(read[i][1], page.rect.height))
        except Exception:  # a broken page is reported when it is read for its grid
            texts.append([])
    return running_signatures(texts)


def ingest(path: Path, options: IngestOptions, ocr: OcrEngine | None = None) -> DocumentGrid:
    """The whole document as grids. Raises ``InputError`` for unusable files.

    Pages without a usable text layer go through OCR (``scan_grid``) when ``JIXIAO_OCR``
    is on, with ``ocr`` or the process-wide RapidOCR engine (built on the first scan).
    """
    doc = open_pdf(path, options)
    try:
        read: dict[int, PageText] = {}
        running = _running(doc, read)
        pages = []
        for i in range(doc.page_count):
            try:
                pymupdf.TOOLS.reset_mupdf_warnings()
                page = doc.load_page(i)
                grid = page_grid(page, i + 1, options, running, read.pop(i, None))
                if grid.needs_ocr and options.ocr.enabled:
                    # Imported here: OpenCV and ONNX Runtime load only for scans.
                    from extractor.ingest.ocr import default_engine
                    from extractor.ingest.scan_grid import ocr_page_grid

                    engine = ocr if ocr is not None else default_engine(options.ocr)
                    o = options.ocr
                    budget = options.limits.max_render_megapixels
                    grid = ocr_page_grid(page, i + 1, o.dpi, engine, o.min_score, budget)
                damage = [w for w in pymupdf.TOOLS.mupdf_warnings().splitlines() if "error" in w]
                if damage:
                    # MuPDF read past damage (e.g. a content stream that does not inflate):
                    # what the page shows may be incomplete, so say so.
                    why = "damaged page content (" + "; ".join(sorted(set(damage))[:3]) + ")"
                    grid.add_error(ErrorCode.PAGE_DAMAGED, why)
                pages.append(grid)
            except InputError:
                raise
            except Exception as e:  # one broken page must not lose the others
                pg = PageGrid(number=i + 1, width=0, height=0, has_text_layer=False)
                pg.add_error(ErrorCode.PAGE_FAILED, f"ERROR: {e}")
                pages.append(pg)
        return DocumentGrid(
            path=str(path), sha256=file_sha256(path), page_count=doc.page_count, pages=pages
        )
    finally:
        doc.close()


def render_page(
    path: Path, page_no: int, dpi: int = 150, options: IngestOptions | None = None
) -> tuple[bytes, float]:
    """One page (1-based) as PNG bytes and the resolution it was rendered at. A page that
    would pass ``JIXIAO_MAX_RENDER_MEGAPIXELS`` at ``dpi`` is rendered at the resolution
    that fits (boxes in points scale by the returned dpi, not the one asked for); one over
    ``JIXIAO_MAX_PAGE_PT`` / the image limits is refused (``InputError``)."""
    options = options or IngestOptions()
    doc = open_pdf(path, options)
    try:
        page = doc.load_page(page_no - 1)
        refused = page_over_limits(page, options.limits)
        if refused:
            raise TooLargeError(f"{path}: page {page_no}: {refused}")
        used = render_dpi(page, dpi, options.limits.max_render_megapixels)
        zoom = used / 72
        pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom))
        return pix.tobytes("png"), float(used)
    finally:
        doc.close()


def render_png(
    path: Path, page_no: int, dpi: int = 150, options: IngestOptions | None = None
) -> bytes:
    """One page (1-based) as PNG bytes, for the review screen and vision models (see
    ``render_page``)."""
    return render_page(path, page_no, dpi, options)[0]
