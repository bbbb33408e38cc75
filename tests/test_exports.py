"""Exports of a store: JSONL, CSV, Excel (3 sheets), Parquet, each with the schema version,
and the summary as Markdown and PNG. The figures are checked against the store itself."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from extractor.pipeline import extract_document
from jixiao.cli import app
from jixiao.export_columns import FINDING_COLUMNS, INDICATOR_COLUMNS, RECORD_COLUMNS
from jixiao.exports import export_store, spreadsheet_safe
from jixiao.store import JobSpec, Store, add_jobs, finish_job, list_jobs, open_store, save_result
from schemas.results import DocumentResult
from schemas.values import Value
from schemas.version import EXPORT_SCHEMA_VERSION

REPO = Path(__file__).resolve().parents[1]
FORMULA = '=HYPERLINK("http://example.invalid","click")'
_NONE = Value()


@pytest.fixture(scope="module")
def results() -> list[DocumentResult]:
    se = extract_document(REPO / "samples" / "sample-self-eval.pdf")
    td = extract_document(REPO / "samples" / "sample-target-decl.pdf")
    # A project name that a spreadsheet would run as a formula.
    se.records[0].record.project_name.text = FORMULA
    return [se, td]


@pytest.fixture
def store(tmp_path: Path, results: list[DocumentResult]) -> Store:
    st = open_store(f"sqlite:///{tmp_path / 'j.db'}")
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"nope")
    with st.session() as s:
        ids = [save_result(s, r) for r in results]
        save_result(s, extract_document(bad))
        add_jobs(s, "only-decl", [JobSpec("decl.pdf", results[1].sha256)])
        finish_job(s, list_jobs(s, "only-decl")[0].id, "done", document_id=ids[1])
    yield st  # type: ignore[misc]
    st.close()


def _csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese text right
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_every_export_carries_the_same_rows(
    store: Store, results: list[DocumentResult], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    paths = export_store(store, out)
    n_records = sum(len(r.records) for r in results)
    n_indicators = sum(len(rr.record.indicators) for r in results for rr in r.records)
    n_findings = sum(len(rr.findings) for r in results for rr in r.records)
    assert n_findings > 0

    lines = [json.loads(x) for x in paths["records.jsonl"].read_text("utf-8").splitlines()]
    assert len(lines) == n_records
    assert {x["schema_version"] for x in lines} == {EXPORT_SCHEMA_VERSION}
    assert lines[0]["record"]["project_name"] == FORMULA
    assert lines[0]["record"]["provenance"] and "findings" in lines[0]["record"]

    recs = _csv(paths["records.csv"])
    inds = _csv(paths["indicators.csv"])
    finds = _csv(paths["findings.csv"])
    assert (len(recs), len(inds), len(finds)) == (n_records, n_indicators, n_findings)
    assert list(recs[0]) == [c for c, _ in RECORD_COLUMNS]
    assert list(inds[0]) == [c for c, _ in INDICATOR_COLUMNS]
    assert list(finds[0]) == [c for c, _ in FINDING_COLUMNS]
    for rows in (recs, inds, finds):
        assert {r["schema_version"] for r in rows} == {EXPORT_SCHEMA_VERSION}
    assert recs[0]["project_name"] == "'" + FORMULA  # defused in CSV
    se_total = results[0].records[1].record.funds.total  # type: ignore[union-attr]
    assert recs[1]["funds_total_executed"] == se_total.executed.text
    assert recs[5]["form_type"] == "target_declaration" and recs[5]["funds_total"]
    first_ind = results[0].records[0].record.indicators[0]
    assert inds[0]["name"] == first_ind.name.text and inds[0]["indicator"] == "0"
    codes = Counter(f["code"] for f in finds)
    assert codes == Counter(f.code for r in results for rr in r.records for f in rr.findings)

    wb = load_workbook(paths["results.xlsx"])
    assert wb.sheetnames == ["records", "indicators", "findings"]
    for name, n in (("records", n_records), ("indicators", n_indicators), ("findings", n_findings)):
        ws = wb[name]
        assert ws.max_row == n + 1
        assert ws.cell(1, 1).value == "schema_version"
        assert {ws.cell(r, 1).value for r in range(2, n + 2)} == {EXPORT_SCHEMA_VERSION}
    name_col = [c for c, _ in RECORD_COLUMNS].index("project_name") + 1
    cell = wb["records"].cell(2, name_col)
    assert cell.value == "'" + FORMULA and cell.data_type == "s"  # text, never a formula
    # amounts are numbers with a number format: a clerk can sum them
    amount_col = [c for c, _ in RECORD_COLUMNS].index("funds_total_full_year_budget") + 1
    amounts = [wb["records"].cell(r, amount_col) for r in range(2, n_records + 2)]
    numeric = [c for c in amounts if isinstance(c.value, (int, float))]
    assert numeric and all(c.number_format.startswith("#,##0") for c in numeric)

    for table, n in (
        ("records", n_records),
        ("indicators", n_indicators),
        ("findings", n_findings),
    ):
        t = pq.read_table(paths[f"{table}.parquet"])
        assert t.num_rows == n
        assert t.schema.metadata[b"jixiao.schema_version"] == EXPORT_SCHEMA_VERSION.encode()
        assert set(t.column("schema_version").to_pylist()) == {EXPORT_SCHEMA_VERSION}
    recs_pq = pq.read_table(paths["records.parquet"])
    assert str(recs_pq.schema.field("year").type) == "int64"
    assert recs_pq.column("project_name").to_pylist()[0] == FORMULA


def test_summary_counts_match_the_store(
    store: Store, results: list[DocumentResult], tmp_path: Path
) -> None:
    paths = export_store(store, tmp_path / "out")
    md = paths["summary.md"].read_text("utf-8")
    assert f"schema_version: {EXPORT_SCHEMA_VERSION}" in md
    assert "| ok | 2 | 12 |" in md and "| failed | 1 | 0 |" in md
    grades = Counter(
        (getattr(rr.record, "grade", None) or _NONE).text or "(none)"
        for r in results
        for rr in r.records
    )
    for grade, n in grades.items():
        assert f"| {grade} | {n} |" in md
    anomalies: Counter[str] = Counter()
    for r in results:
        for rr in r.records:
            anomalies[rr.record.department.text or "(none)"] += sum(
                f.severity in ("error", "warning") for f in rr.findings
            )
    top = max(anomalies, key=lambda k: anomalies[k])
    section = md.split("## Top departments by anomalies", 1)[1]
    first_row = [ln for ln in section.splitlines() if ln.startswith("| ") and "---" not in ln][1]
    assert first_row.startswith(f"| {top} |")
    r9 = sum(f.code == "R9" for r in results for rr in r.records for f in rr.findings)
    assert f"| R9 | error | {r9} |" in md
    png = paths["summary.png"].read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_export_of_one_batch_and_the_cli(
    store: Store, results: list[DocumentResult], tmp_path: Path
) -> None:
    paths = export_store(store, tmp_path / "b", batch="only-decl")
    lines = paths["records.jsonl"].read_text("utf-8").splitlines()
    assert len(lines) == len(results[1].records)
    assert "| done | 1 |" in paths["summary.md"].read_text("utf-8")
    res = CliRunner().invoke(
        app, ["export", "--db", store.url, "--out", str(tmp_path / "cli"), "--batch", "only-decl"]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "cli" / "results.xlsx").is_file()
    assert (tmp_path / "cli" / "records.jsonl").read_text("utf-8").splitlines() == lines


def test_spreadsheet_safe() -> None:
    assert spreadsheet_safe("=1+1") == "'=1+1"
    assert spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_safe("-cmd|' /C calc'!A0") == "'-cmd|' /C calc'!A0"
    assert spreadsheet_safe("+A1") == "'+A1"
    for kept in ("-", "-5", "- 3.5%", "+12.5%", "100", "优", "", None, 3):
        assert spreadsheet_safe(kept) == kept


def test_number_cells_and_the_guard() -> None:
    from jixiao.exports import number_cell

    assert number_cell("1,234.50") == (1234.5, "#,##0.00")
    assert number_cell("91") == (91.0, "#,##0")
    assert number_cell("100%") == (1.0, "0%")
    assert number_cell("95.5%") == (0.955, "0.0%")
    for text in ("大于80条", "1.2.3", "", "-", "=1+1", None):
        assert number_cell(text) is None
    assert spreadsheet_safe("a\x00b\x1bc") == "abc"  # control characters dropped
    assert spreadsheet_safe("\x01=cmd") == "'=cmd"  # and then the formula guard


def test_exports_are_atomic(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that dies half way leaves the previous exports whole and no part files."""
    from jixiao import exports

    out = tmp_path / "out"
    paths = export_store(store, out)
    before = {n: p.read_bytes() for n, p in paths.items()}
    calls = {"n": 0}
    real = exports._Csv.write

    def dying(self, row):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt
        real(self, row)

    monkeypatch.setattr(exports._Csv, "write", dying)
    with pytest.raises(KeyboardInterrupt):
        export_store(store, out)
    assert {n: p.read_bytes() for n, p in paths.items()} == before
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths.values())


def test_chinese_headers_and_review_status_filter(store: Store, tmp_path: Path) -> None:
    paths = export_store(store, tmp_path / "zh", headers="zh", review_status="new")
    head = paths["records.csv"].read_text("utf-8-sig").splitlines()[0].split(",")
    assert head[:2] == ["导出版本", "记录编号"]
    assert "年度资金总额·全年执行数" in head and "项目名称" in head
    wb = load_workbook(paths["results.xlsx"])
    assert wb["records"].cell(1, 2).value == "记录编号"
    for ws in wb.worksheets:  # every column title in Chinese (codes such as sha256 aside)
        titles = [c.value for c in ws[1]]
        assert not [t for t in titles if re.search(r"[a-z]{3,}", str(t))], titles
    none = export_store(store, tmp_path / "none", review_status="approved")
    assert len(_csv(none["records.csv"])) == 0
