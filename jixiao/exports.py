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
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select

from jixiao.store import Document, RecordRow, Store, job_counts
from jixiao.store.repo import _batch_documents
from jixiao.summary import EXPORT_SCHEMA_VERSION, Summary, summary_chart, summary_markdown
from schemas.fields import (
    FUND_COLUMNS,
    FUND_ROWS,
    HEADER_TEXT_FIELDS,
    SELF_GOAL_FIELDS,
    SELF_INDICATOR_FIELDS,
    TARGET_FUND_KEYS,
    TARGET_GOAL_FIELDS,
    TARGET_HEADER_EXTRA,
    TOTALS_FIELDS,
)

SCHEMA_KEY = b"jixiao.schema_version"

# Header columns written as stored; the other text fields of both forms go through ``_s``.
_IDENTITY = ("project_name", "department", "implementing_unit")
_TEXT = (
    *(name for name in HEADER_TEXT_FIELDS if name not in _IDENTITY),
    *TARGET_HEADER_EXTRA,
    *SELF_GOAL_FIELDS,
    *TARGET_GOAL_FIELDS,
    *TOTALS_FIELDS,
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
    *[(name, "str") for name in _IDENTITY],
    *[(name, "str") for name in _TEXT],
    *[(f"funds_{r}_{c}", "str") for r in FUND_ROWS for c in FUND_COLUMNS],
    *[(f"funds_{k}", "str") for k in TARGET_FUND_KEYS],
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
    *[(k, "str") for k in SELF_INDICATOR_FIELDS],
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


def _record_ids(row: Any) -> dict[str, Any]:
    """The columns that start every table's row: schema version and the record's ids."""
    return {
        "schema_version": EXPORT_SCHEMA_VERSION,
        "record_id": row.id,
        "document_id": row.document_id,
        "ordinal": row.ordinal,
    }


def _record_source(row: Any) -> dict[str, Any]:
    """``_record_ids`` and the record's document: path, sha256, status."""
    return {
        **_record_ids(row),
        "source": row.path,
        "sha256": row.sha256,
        "document_status": row.status,
    }


def flatten(row: Any) -> dict[str, Any]:
    """One ``records`` row of the exports, from a row of ``_export_query``."""
    d = row.data
    out: dict[str, Any] = {
        **_record_source(row),
        "form_type": d.get("form_type"),
        "year": d["year"] if isinstance(d.get("year"), int) else None,
        **{name: d.get(name) for name in _IDENTITY},
    }
    for name in _TEXT:
        out[name] = _s(d.get(name))
    funds = d.get("funds") or {}
    for r in FUND_ROWS:
        sub = funds.get(r)
        for c in FUND_COLUMNS:
            out[f"funds_{r}_{c}"] = _s(sub.get(c)) if isinstance(sub, dict) else None
    for k in TARGET_FUND_KEYS:
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
            **_record_ids(row),
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
            **_record_ids(row),
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
                summary.add(row)
                flat = flatten(row)
                line = {
                    **_record_source(row),
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
