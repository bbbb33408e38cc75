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

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select

from jixiao.export_columns import (
    FINDING_FIELDS,
    FUND_PATHS,
    IDENTITY,
    SELF_INDICATOR_FIELDS,
    TABLES,
    TEXT,
    header_names,
)
from jixiao.export_writers import (
    EXCEL_MAX_ROWS,
    SCHEMA_KEY,
    _Csv,
    _discard,
    _Excel,
    _Parquet,
    _part,
    _publish,
    number_cell,
    spreadsheet_safe,
)
from jixiao.store import Document, RecordRow, Store, job_counts
from jixiao.store.repo import _batch_documents
from jixiao.summary import Summary, summary_chart, summary_markdown
from schemas.paths import column_of, get_value
from schemas.version import EXPORT_SCHEMA_VERSION


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
        **{name: d.get(name) for name in IDENTITY},
    }
    for name in TEXT:
        out[name] = _s(d.get(name))
    for path in FUND_PATHS:  # a path of the other form's funds finds an object, or nothing
        v = get_value(d, path)
        out[column_of(path)] = None if isinstance(v, dict) else _s(v)
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
        for k in SELF_INDICATOR_FIELDS:
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
        for k in FINDING_FIELDS:
            v = f.get(k)
            out[k] = ";".join(v) if isinstance(v, list) else _s(v)
        yield out


def _paths(out_dir: Path) -> dict[str, Path]:
    return {
        "records.jsonl": out_dir / "records.jsonl",
        **{f"{t}.csv": out_dir / f"{t}.csv" for t in TABLES},
        "results.xlsx": out_dir / "results.xlsx",
        **{f"{t}.parquet": out_dir / f"{t}.parquet" for t in TABLES},
        "summary.md": out_dir / "summary.md",
        "summary.png": out_dir / "summary.png",
    }


def export_store(
    store: Store,
    out_dir: Path,
    *,
    batch: str | None = None,
    review_status: str | None = None,
    headers: str = "keys",
) -> dict[str, Path]:
    """Write every export of the store (or of one batch's documents, or only the records of
    one review status) into ``out_dir``. ``headers``: ``keys`` (field keys) or ``zh``
    (Chinese column names) for the CSV files and the workbook.

    Each file is written under a temporary name in ``out_dir`` and renamed into place once
    every file is complete: a run killed half way leaves the previous exports as they were.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = _paths(out_dir)
    summary = Summary(batch=batch)
    csvs: dict[str, _Csv] = {}
    parquets: dict[str, _Parquet] = {}
    excel: _Excel | None = None
    try:
        csvs = {t: _Csv(paths[f"{t}.csv"], cols, headers) for t, cols in TABLES.items()}
        parquets = {t: _Parquet(paths[f"{t}.parquet"], cols) for t, cols in TABLES.items()}
        excel = _Excel(paths["results.xlsx"], headers)
        _stream(store, paths, summary, csvs, parquets, excel, batch, review_status)
        summary.excel_dropped = dict(excel.dropped)
        _part(paths["summary.md"]).write_text(summary_markdown(summary), encoding="utf-8")
        summary_chart(summary, _part(paths["summary.png"]))
    except BaseException:
        _close_all(csvs, parquets, excel)
        _discard(list(paths.values()))
        raise
    _publish(list(paths.values()))
    return paths


def _close_all(csvs: dict[str, _Csv], parquets: dict[str, _Parquet], excel: _Excel | None) -> None:
    for c in csvs.values():
        with contextlib.suppress(Exception):
            c.close()
    for p in parquets.values():
        with contextlib.suppress(Exception):
            p.close()
    if excel is not None:
        with contextlib.suppress(Exception):
            excel.close()


def _stream(
    store: Store,
    paths: dict[str, Path],
    summary: Summary,
    csvs: dict[str, _Csv],
    parquets: dict[str, _Parquet],
    excel: _Excel,
    batch: str | None,
    review_status: str | None,
) -> None:
    """One pass over the records into every writer; closes the writers (parts complete)."""
    with _part(paths["records.jsonl"]).open("w", encoding="utf-8") as jsonl, store.session() as s:
        dq = select(Document.status, Document.page_count)
        rq = _export_query()
        if batch is not None:
            dq = dq.where(Document.id.in_(_batch_documents(batch)))
            rq = rq.where(RecordRow.document_id.in_(_batch_documents(batch)))
            summary.jobs = job_counts(s, batch)
        if review_status is not None:
            rq = rq.where(RecordRow.review_status == review_status)
        for status, pages in s.execute(dq):
            summary.documents[status] += 1
            summary.pages[status] += pages or 0
        rq = rq.order_by(RecordRow.document_id, RecordRow.ordinal)
        for row in s.execute(rq.execution_options(yield_per=50)):
            summary.add(row)
            line = {
                **_record_source(row),
                "review_status": row.review_status,
                "version": row.version,
                "record": row.data,
            }
            jsonl.write(json.dumps(line, ensure_ascii=False) + "\n")
            tables = {
                "records": [flatten(row)],
                "indicators": indicator_rows(row),
                "findings": finding_rows(row),
            }
            for t, rows in tables.items():
                for r in rows:
                    csvs[t].write(r)
                    parquets[t].write(r)
                    excel.write(t, r)
    for c in csvs.values():
        c.close()
    for p in parquets.values():
        p.close()
    excel.close()


def export_bytes(
    store: Store, *, review_status: str | None = "approved", headers: str = "zh"
) -> dict[str, bytes]:
    """The workbook and the CSV tables of ``export_store`` as bytes (the review screen's
    download buttons): ``results.xlsx``, ``records.csv``, ``indicators.csv``,
    ``findings.csv``."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="jixiao-export-") as tmp:
        paths = export_store(store, Path(tmp), review_status=review_status, headers=headers)
        names = ("results.xlsx", *(f"{t}.csv" for t in TABLES))
        return {n: paths[n].read_bytes() for n in names}


__all__ = [
    "EXCEL_MAX_ROWS",
    "SCHEMA_KEY",
    "TABLES",
    "export_bytes",
    "export_store",
    "flatten",
    "header_names",
    "number_cell",
    "spreadsheet_safe",
]
