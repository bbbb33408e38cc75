"""The table extractors ``bench_tables.py`` compares, each turning one PDF into its tables as
matrices of cell texts (rows of strings, ``""`` for an empty or covered cell).

The libraries are optional (``pip install -e '.[bench]'``) and imported only inside their
function, so each is loaded in the measuring process of its own method alone:
``import pymupdf4llm`` switches PyMuPDF's layout model on for the whole process, and
img2table and camelot bring OpenCV.
"""

from __future__ import annotations

import importlib.util
import logging
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _table_metrics import Table


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _matrix(rows: list[list[Any]]) -> Table:
    return [[_text(c) for c in row] for row in rows]


def ours(path: Path) -> list[Table]:
    """The cells of ``extractor.ingest.pdf.ingest``: each cell's text at its first row and
    column, the slots a merged cell covers left empty."""
    from extractor.ingest.pdf import ingest
    from jixiao.settings import Settings

    out: list[Table] = []
    for page in ingest(path, Settings().ingest_options()).pages:
        for t in page.tables:
            m = [[""] * t.n_cols for _ in range(t.n_rows)]
            for c in t.cells:
                m[c.row - 1][c.col - 1] = c.text
            out.append(m)
    return out


def _pymupdf_text(path: Path, layout: bool) -> list[Table]:
    import pymupdf

    out: list[Table] = []
    with pymupdf.open(path) as doc:
        for page in doc:
            for tab in page.find_tables(strategy="text", use_layout=layout).tables:
                out.append(_matrix(tab.extract()))
    return out


def pymupdf_text(path: Path) -> list[Table]:
    """``Page.find_tables(strategy="text")`` with PyMuPDF's layout model off."""
    return _pymupdf_text(path, layout=False)


def pymupdf_text_layout(path: Path) -> list[Table]:
    """The same with ``use_layout=True``, its default when ``pymupdf_layout`` is installed:
    only text-strategy tables inside a table box of the layout model are kept."""
    return _pymupdf_text(path, layout=True)


def pdfplumber_text(path: Path) -> list[Table]:
    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    ts = {"vertical_strategy": "text", "horizontal_strategy": "text"}
    out: list[Table] = []
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            out += [_matrix(t) for t in page.extract_tables(ts)]
    return out


def camelot_stream(path: Path) -> list[Table]:
    import camelot

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "No tables found on page-N"
        found = camelot.read_pdf(str(path), flavor="stream", pages="all")
    return [_matrix(t.df.values.tolist()) for t in found]


def img2table_borderless(path: Path) -> list[Table]:
    """img2table finds tables on the page image (200 dpi) and fills them from the text layer
    (no OCR); a merged cell is repeated over its slots, kept once here."""
    from img2table.document import PDF

    found = PDF(str(path)).extract_tables(
        ocr=None, borderless_tables=True, implicit_rows=True, implicit_columns=True
    )
    out: list[Table] = []
    for page in sorted(found):
        for t in found[page]:
            rows = list(t.content.values())
            m: Table = []
            for r, row in enumerate(rows):
                line = []
                for c, cell in enumerate(row):
                    left = row[c - 1].bbox if c else None
                    above = rows[r - 1][c].bbox if r and c < len(rows[r - 1]) else None
                    line.append("" if cell.bbox in (left, above) else _text(cell.value))
                m.append(line)
            out.append(m)
    return out


_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_TAG = re.compile(r"<[^>]+>")


def markdown_tables(md: str) -> list[Table]:
    """The pipe tables of a markdown text as matrices: runs of lines starting with ``|``,
    the ``|---|`` separator dropped, HTML tags (``<br>``) and ``**`` bold marks removed."""
    out: list[Table] = []
    current: Table = []
    for line in [*md.splitlines(), ""]:
        s = line.strip()
        if s.startswith("|"):
            if not _SEPARATOR.match(s):
                inner = s[1:-1] if s.endswith("|") and len(s) > 1 else s[1:]
                cells = inner.split("|")  # empty leading cells stay: columns keep their place
                current.append([_TAG.sub("", c).replace("**", "").strip() for c in cells])
            continue
        if current:
            out.append(current)
            current = []
    return out


def pymupdf4llm_md(path: Path) -> list[Table]:
    """``pymupdf4llm.to_markdown`` (OCR off: the PDFs are digital), tables parsed back."""
    import pymupdf4llm

    chunks = pymupdf4llm.to_markdown(str(path), page_chunks=True, use_ocr=False)
    return [t for chunk in chunks for t in markdown_tables(chunk["text"])]


@dataclass(frozen=True)
class Method:
    name: str
    label: str
    module: str | None  # the optional module it needs; None: always there
    package: str  # what to pip install for it
    run: Callable[[Path], list[Table]]

    def missing(self) -> bool:
        return self.module is not None and importlib.util.find_spec(self.module) is None


METHODS = [
    Method("ours", "ours (ingest)", None, "jixiao", ours),
    Method("pymupdf_text", 'PyMuPDF find_tables("text")', None, "pymupdf", pymupdf_text),
    Method(
        "pymupdf_text_layout",
        'PyMuPDF find_tables("text"), layout model',
        "pymupdf.layout",
        "pymupdf-layout",
        pymupdf_text_layout,
    ),
    Method("pdfplumber", "pdfplumber text", "pdfplumber", "pdfplumber", pdfplumber_text),
    Method("camelot", "camelot stream", "camelot", "camelot-py", camelot_stream),
    Method("img2table", "img2table borderless", "img2table", "img2table", img2table_borderless),
    Method("pymupdf4llm", "pymupdf4llm markdown", "pymupdf4llm", "pymupdf4llm", pymupdf4llm_md),
]
BY_NAME = {m.name: m for m in METHODS}
