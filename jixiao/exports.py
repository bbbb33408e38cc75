"""Exports of a store (or of one batch): JSONL, CSV, Excel, Parquet and a summary report.

``export_store(store, out_dir, batch=None)`` writes, in one streaming pass over the records
(memory stays flat however large the store):

- ``records.jsonl``: one line per record: the golden-shape record (findings and provenance
  included) with ``schema_version``, ids, source, document status and review status;
- ``records.csv``, ``indicators.csv``, ``findings.csv``: flat tables (UTF-8 with BOM, so
  Excel opens Chinese text correctly);
- ``results.xlsx``: the same three tables as sheets ``records``, ``indicators``,
  ``findings``;
- ``records.parquet``, ``indicators.parquet``, ``findings.parquet`` (the schema version is
  also in the file metadata, key ``jixiao.schema_version``);
- ``summary.md``: documents by status, jobs by state (for a batch), records by grade and by
  review status, findings by code, top departments by anomalies (error + warning findings);
- ``summary.png``: the same as four bar charts.

Every row carries ``schema_version`` (``EXPORT_SCHEMA_VERSION``): it changes whenever a
column is added, removed or changes meaning. Values are the records' current data, with
reviewers' corrections. Text that a spreadsheet would run as a formula (starting with ``=``
or ``@``, or ``-``/``+`` followed by something that is not a number) is written with a
leading ``'`` in CSV and as plain text (never a formula) in Excel.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select

from jixiao.store import Document, RecordRow, Store, job_counts
from jixiao.store.repo import _batch_documents

EXPORT_SCHEMA_VERSION = "1"
SCHEMA_KEY = b"jixiao.schema_version"

_FUND_ROWS = ("total", "current_year", "carryover", "other")
_FUND_COLS = (
    "initial_budget",
    "full_year_budget",
    "executed",
    "weight",
    "execution_rate",
    "score",
)
_DECL_FUNDS = ("total", "annual_request", "fiscal", "current_year", "carryover", "other")
_TEXT = (
    "money_unit",
    "project_leader",
    "contact_phone",
    "project_nature",
    "project_category",
    "plan_start",
    "plan_end",
    "goal_expected",
    "goal_actual",
    "goal_overall",
    "goal_annual",
    "total_weight",
    "total_score",
    "grade",
)

# (column, parquet type): "int" or "str"
RECORD_COLUMNS: list[tuple[str, str]] = [
    ("schema_version", "str"),
    ("record_id", "int"),
    ("document_id", "int"),
    ("ordinal", "int"),
    ("source", "str"),
    ("sha256", "str"),
    ("document_status", "str"),
    ("form_type", "str"),
    ("year", "int"),
    ("project_name", "str"),
    ("department", "str"),
    ("implementing_unit", "str"),
    *[(name, "str") for name in _TEXT],
    *[(f"funds_{r}_{c}", "str") for r in _FUND_ROWS for c in _FUND_COLS],
    *[(f"funds_{k}", "str") for k in _DECL_FUNDS],
    ("pages", "str"),
    ("n_indicators", "int"),
    ("n_errors", "int"),
    ("n_warnings", "int"),
    ("finding_codes", "str"),
    ("review_status", "str"),
    ("version", "int"),
]
INDICATOR_COLUMNS: list[tuple[str, str]] = [
    ("schema_version", "str"),
    ("record_id", "int"),
    ("document_id", "int"),
    ("ordinal", "int"),
    ("indicator", "int"),
    ("form_type", "str"),
    ("project_name", "str"),
    ("department", "str"),
    *[
        (k, "str")
        for k in (
            "level1",
            "level2",
            "name",
            "target",
            "actual",
            "weight",
            "score",
            "deviation_reason",
        )
    ],
]
FINDING_COLUMNS: list[tuple[str, str]] = [
    ("schema_version", "str"),
    ("record_id", "int"),
    ("document_id", "int"),
    ("ordinal", "int"),
    ("project_name", "str"),
    ("department", "str"),
    *[
        (k, "str")
        for k in (
            "code",
            "severity",
            "field",
            "message",
            "message_zh",
            "printed",
            "expected",
            "cells",
            "rule_set",
        )
    ],
]
TABLES = {
    "records": RECORD_COLUMNS,
    "indicators": INDICATOR_COLUMNS,
    "findings": FINDING_COLUMNS,
}
EXCEL_MAX_ROWS = 1_048_575  # one header row


def _s(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _export_query() -> Select[Any]:
    """Record columns and their document's path/sha256/status: plain rows, no ORM objects
    (nothing piles up in the session's identity map, the documents' full results are not
    loaded)."""
    return select(
        RecordRow.id,
        RecordRow.document_id,
        RecordRow.ordinal,
        RecordRow.data,
        RecordRow.n_errors,
        RecordRow.n_warnings,
        RecordRow.finding_codes,
        RecordRow.review_status,
        RecordRow.version,
        Document.path,
        Document.sha256,
        Document.status,
    ).join(Document, RecordRow.document_id == Document.id)


def flatten(row: Any) -> dict[str, Any]:
    """One ``records`` row of the exports, from a row of ``_export_query``."""
    doc = row
    d = row.data
    out: dict[str, Any] = {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "record_id": row.id,
        "document_id": row.document_id,
        "ordinal": row.ordinal,
        "source": doc.path,
        "sha256": doc.sha256,
        "document_status": doc.status,
        "form_type": d.get("form_type"),
        "year": d["year"] if isinstance(d.get("year"), int) else None,
        "project_name": d.get("project_name"),
        "department": d.get("department"),
        "implementing_unit": d.get("implementing_unit"),
    }
    for name in _TEXT:
        out[name] = _s(d.get(name))
    funds = d.get("funds") or {}
    for r in _FUND_ROWS:
        sub = funds.get(r)
        for c in _FUND_COLS:
            out[f"funds_{r}_{c}"] = _s(sub.get(c)) if isinstance(sub, dict) else None
    for k in _DECL_FUNDS:
        v = funds.get(k)
        out[f"funds_{k}"] = None if isinstance(v, dict) else _s(v)
    out["pages"] = ";".join(str(p) for p in d.get("pages") or [])
    out["n_indicators"] = len(d.get("indicators") or [])
    out["n_errors"] = row.n_errors
    out["n_warnings"] = row.n_warnings
    out["finding_codes"] = ";".join(row.finding_codes or [])
    out["review_status"] = row.review_status
    out["version"] = row.version
    return out


def indicator_rows(row: Any) -> Iterator[dict[str, Any]]:
    d = row.data
    for i, ind in enumerate(d.get("indicators") or []):
        out: dict[str, Any] = {
            "schema_version": EXPORT_SCHEMA_VERSION,
            "record_id": row.id,
            "document_id": row.document_id,
            "ordinal": row.ordinal,
            "indicator": i,
            "form_type": d.get("form_type"),
            "project_name": d.get("project_name"),
            "department": d.get("department"),
        }
        for k, _t in INDICATOR_COLUMNS[8:]:
            out[k] = _s(ind.get(k))
        yield out


def finding_rows(row: Any) -> Iterator[dict[str, Any]]:
    d = row.data
    for f in d.get("findings") or []:
        out: dict[str, Any] = {
            "schema_version": EXPORT_SCHEMA_VERSION,
            "record_id": row.id,
            "document_id": row.document_id,
            "ordinal": row.ordinal,
            "project_name": d.get("project_name"),
            "department": d.get("department"),
        }
        for k, _t in FINDING_COLUMNS[6:]:
            v = f.get(k)
            out[k] = ";".join(v) if isinstance(v, list) else _s(v)
        yield out


_SIGNED_NUMBER = re.compile(r"^[-+]\s*[\d.,]+\s*%?$")


def spreadsheet_safe(v: Any) -> Any:
    """A leading ``'`` on text a spreadsheet would read as a formula (CSV only): text
    starting with ``=``, ``@``, a tab or CR, or with ``-``/``+`` not followed by a plain
    number (``-`` alone, ``-5``, ``+3.5%`` stay as printed)."""
    if not isinstance(v, str) or not v:
        return v
    if v[0] in "=@\t\r":
        return "'" + v
    if v[0] in "-+" and len(v) > 1 and not _SIGNED_NUMBER.match(v):
        return "'" + v
    return v


# -- writers ----------------------------------------------------------------------------------


class _Csv:
    def __init__(self, path: Path, columns: list[tuple[str, str]]) -> None:
        self._f = path.open("w", encoding="utf-8-sig", newline="")
        self._w = csv.writer(self._f)
        self._w.writerow([c for c, _ in columns])
        self._cols = [c for c, _ in columns]

    def write(self, row: dict[str, Any]) -> None:
        self._w.writerow([spreadsheet_safe(row.get(c)) for c in self._cols])

    def close(self) -> None:
        self._f.close()


class _Parquet:
    def __init__(self, path: Path, columns: list[tuple[str, str]]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa = pa
        self.schema = pa.schema(
            [pa.field(c, pa.int64() if t == "int" else pa.string()) for c, t in columns],
            metadata={SCHEMA_KEY: EXPORT_SCHEMA_VERSION.encode()},
        )
        self._w = pq.ParquetWriter(str(path), self.schema, compression="zstd")
        self._buf: list[dict[str, Any]] = []

    def write(self, row: dict[str, Any]) -> None:
        self._buf.append(row)
        if len(self._buf) >= 500:
            self._flush()

    def _flush(self) -> None:
        if self._buf:
            self._w.write_table(self._pa.Table.from_pylist(self._buf, schema=self.schema))
            self._buf = []

    def close(self) -> None:
        self._flush()
        self._w.close()


class _Excel:
    def __init__(self, path: Path) -> None:
        from openpyxl import Workbook

        self.path = path
        self.wb = Workbook(write_only=True)
        self.wb.properties.keywords = f"jixiao schema_version={EXPORT_SCHEMA_VERSION}"
        self.sheets: dict[str, Any] = {}
        self.rows: Counter[str] = Counter()
        self.dropped: Counter[str] = Counter()
        for name, columns in TABLES.items():
            ws = self.wb.create_sheet(name)
            ws.append([c for c, _ in columns])
            self.sheets[name] = (ws, [c for c, _ in columns])

    def write(self, table: str, row: dict[str, Any]) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        ws, cols = self.sheets[table]
        if self.rows[table] >= EXCEL_MAX_ROWS:
            self.dropped[table] += 1
            return
        cells = []
        for c in cols:
            v = row.get(c)
            if isinstance(v, str):
                v = ILLEGAL_CHARACTERS_RE.sub("", v)[:32767]
                cell = WriteOnlyCell(ws, value=v)
                cell.data_type = "s"  # never a formula
                cells.append(cell)
            else:
                cells.append(v)
        ws.append(cells)
        self.rows[table] += 1

    def close(self) -> None:
        self.wb.save(self.path)


@dataclass
class Summary:
    """Counts gathered while exporting (what ``summary.md`` and ``summary.png`` show)."""

    batch: str | None = None
    documents: Counter[str] = field(default_factory=Counter)
    pages: Counter[str] = field(default_factory=Counter)
    jobs: dict[str, int] = field(default_factory=dict)
    records: int = 0
    grades: Counter[str] = field(default_factory=Counter)
    review: Counter[str] = field(default_factory=Counter)
    codes: Counter[tuple[str, str]] = field(default_factory=Counter)
    code_records: Counter[str] = field(default_factory=Counter)
    dept_records: Counter[str] = field(default_factory=Counter)
    dept_flagged: Counter[str] = field(default_factory=Counter)
    dept_errors: Counter[str] = field(default_factory=Counter)
    dept_warnings: Counter[str] = field(default_factory=Counter)
    excel_dropped: dict[str, int] = field(default_factory=dict)

    def add(self, row: Any) -> None:
        d = row.data
        self.records += 1
        self.grades[d.get("grade") or "(none)"] += 1
        self.review[row.review_status] += 1
        for code in row.finding_codes or []:
            self.code_records[code] += 1
        for f in d.get("findings") or []:
            self.codes[(f.get("code", "?"), f.get("severity", "?"))] += 1
        dept = d.get("department") or "(none)"
        self.dept_records[dept] += 1
        if row.n_errors or row.n_warnings:
            self.dept_flagged[dept] += 1
        self.dept_errors[dept] += row.n_errors
        self.dept_warnings[dept] += row.n_warnings

    def top_departments(self, n: int = 10) -> list[str]:
        anomalies = {k: self.dept_errors[k] + self.dept_warnings[k] for k in self.dept_records}
        ranked = sorted(anomalies, key=lambda k: (-anomalies[k], -self.dept_flagged[k], k))
        return [k for k in ranked if anomalies[k]][:n]


def export_store(store: Store, out_dir: Path, *, batch: str | None = None) -> dict[str, Path]:
    """Write every export of the store (or of one batch's documents) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "records.jsonl": out_dir / "records.jsonl",
        **{f"{t}.csv": out_dir / f"{t}.csv" for t in TABLES},
        "results.xlsx": out_dir / "results.xlsx",
        **{f"{t}.parquet": out_dir / f"{t}.parquet" for t in TABLES},
        "summary.md": out_dir / "summary.md",
        "summary.png": out_dir / "summary.png",
    }
    summary = Summary(batch=batch)
    csvs = {t: _Csv(paths[f"{t}.csv"], cols) for t, cols in TABLES.items()}
    parquets = {t: _Parquet(paths[f"{t}.parquet"], cols) for t, cols in TABLES.items()}
    excel = _Excel(paths["results.xlsx"])
    try:
        with paths["records.jsonl"].open("w", encoding="utf-8") as jsonl, store.session() as s:
            dq = select(Document.status, Document.page_count)
            rq = _export_query()
            if batch is not None:
                dq = dq.where(Document.id.in_(_batch_documents(batch)))
                rq = rq.where(RecordRow.document_id.in_(_batch_documents(batch)))
                summary.jobs = job_counts(s, batch)
            for status, pages in s.execute(dq):
                summary.documents[status] += 1
                summary.pages[status] += pages or 0
            rq = rq.order_by(RecordRow.document_id, RecordRow.ordinal)
            for row in s.execute(rq.execution_options(yield_per=50)):
                doc = row
                summary.add(row)
                flat = flatten(row)
                line = {
                    "schema_version": EXPORT_SCHEMA_VERSION,
                    "record_id": row.id,
                    "document_id": row.document_id,
                    "ordinal": row.ordinal,
                    "source": doc.path,
                    "sha256": doc.sha256,
                    "document_status": doc.status,
                    "review_status": row.review_status,
                    "version": row.version,
                    "record": row.data,
                }
                jsonl.write(json.dumps(line, ensure_ascii=False) + "\n")
                tables = {
                    "records": [flat],
                    "indicators": indicator_rows(row),
                    "findings": finding_rows(row),
                }
                for t, rows in tables.items():
                    for r in rows:
                        csvs[t].write(r)
                        parquets[t].write(r)
                        excel.write(t, r)
    finally:
        for c in csvs.values():
            c.close()
        for p in parquets.values():
            p.close()
        excel.close()
    summary.excel_dropped = dict(excel.dropped)
    paths["summary.md"].write_text(summary_markdown(summary), encoding="utf-8")
    summary_chart(summary, paths["summary.png"])
    return paths


# -- summary ----------------------------------------------------------------------------------


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(_md(c) for c in r) + " |" for r in rows]
    return out or ["(none)"]


def summary_markdown(s: Summary) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# jixiao summary",
        "",
        f"schema_version: {EXPORT_SCHEMA_VERSION} · generated {when}"
        + (f" · batch `{_md(s.batch)}`" if s.batch else " · whole store"),
        "",
        f"{sum(s.documents.values())} documents, {sum(s.pages.values())} pages, "
        f"{s.records} records.",
        "",
        "## Documents by status",
        "",
        *_table(
            ["status", "documents", "pages"],
            [[k, s.documents[k], s.pages[k]] for k in sorted(s.documents)],
        ),
    ]
    if s.jobs:
        lines += [
            "",
            "## Jobs by state (the batch ledger)",
            "",
            *_table(["state", "jobs"], [[k, v] for k, v in s.jobs.items() if v]),
        ]
    lines += [
        "",
        "## Records by grade",
        "",
        *_table(["grade", "records"], [[k, v] for k, v in sorted(s.grades.items())]),
        "",
        "## Records by review status",
        "",
        *_table(["review status", "records"], [[k, v] for k, v in sorted(s.review.items())]),
        "",
        "## Findings by code",
        "",
        *_table(
            ["code", "severity", "findings", "records"],
            [
                [code, sev, n, s.code_records[code]]
                for (code, sev), n in sorted(s.codes.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
        ),
        "",
        "## Top departments by anomalies",
        "",
        "Anomalies are error and warning findings.",
        "",
        *_table(
            ["department", "records", "records with anomalies", "errors", "warnings"],
            [
                [d, s.dept_records[d], s.dept_flagged[d], s.dept_errors[d], s.dept_warnings[d]]
                for d in s.top_departments()
            ],
        ),
    ]
    if s.excel_dropped:
        lines += [
            "",
            "**results.xlsx is incomplete** (a sheet holds at most 1,048,575 rows): "
            + ", ".join(f"{k}: {v} rows left out" for k, v in s.excel_dropped.items())
            + "; the CSV and Parquet files have every row.",
        ]
    return "\n".join(lines) + "\n"


def _cjk_font() -> str | None:
    """A font with Chinese glyphs for the chart: PyMuPDF's bundled Droid Sans Fallback,
    written once to the cache folder. None if it cannot be had (labels then lack glyphs)."""
    try:
        from matplotlib import font_manager

        from jixiao.settings import load_settings

        path = load_settings().cache_dir / "fonts" / "DroidSansFallback.ttf"
        if not path.is_file():
            import pymupdf

            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(pymupdf.Font("china-s").buffer)
            tmp.replace(path)
        font_manager.fontManager.addfont(str(path))
        return str(font_manager.FontProperties(fname=str(path)).get_name())
    except Exception:
        return None


def summary_chart(s: Summary, path: Path) -> None:
    """Four bar charts: documents by status, records by grade, findings by code, top
    departments by anomalies."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    cjk = _cjk_font()
    family = ["DejaVu Sans", *([cjk] if cjk else [])]
    with matplotlib.rc_context({"font.family": family, "axes.unicode_minus": False}):
        fig = Figure(figsize=(13, 9), dpi=100)
        FigureCanvasAgg(fig)
        axes = fig.subplots(2, 2)

        def bars(ax: Any, data: list[tuple[str, int]], title: str, horizontal: bool) -> None:
            ax.set_title(title)
            if not data:
                ax.text(0.5, 0.5, "none", ha="center", va="center", transform=ax.transAxes)
                ax.set_xticks([])
                ax.set_yticks([])
                return
            labels = [k for k, _ in data]
            values = [v for _, v in data]
            axis = ax.xaxis if horizontal else ax.yaxis
            axis.set_major_locator(MaxNLocator(integer=True))
            if horizontal:
                ax.barh(labels[::-1], values[::-1], color="#c0504d")
            else:
                ax.bar(labels, values, color="#4f81bd")
                for i, v in enumerate(values):
                    ax.text(i, v, str(v), ha="center", va="bottom")

        bars(axes[0][0], sorted(s.documents.items()), "Documents by status", False)
        bars(axes[0][1], sorted(s.grades.items()), "Records by grade", False)
        codes: Counter[str] = Counter()
        for (code, _sev), n in s.codes.items():
            codes[code] += n
        bars(axes[1][0], codes.most_common(12), "Findings by code", True)
        depts = [
            (d[:18] + ("…" if len(d) > 18 else ""), s.dept_errors[d] + s.dept_warnings[d])
            for d in s.top_departments()
        ]
        bars(axes[1][1], depts, "Top departments by anomalies (errors + warnings)", True)
        fig.suptitle(f"jixiao summary (schema_version {EXPORT_SCHEMA_VERSION})")
        fig.tight_layout()
        fig.savefig(str(path), metadata={"Description": f"schema_version={EXPORT_SCHEMA_VERSION}"})
