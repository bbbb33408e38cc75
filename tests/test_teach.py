"""Clerks teach the catalogue: a correction of a field under a label the catalogue does not
know proposes that label (``jixiao labels --proposals``); ``jixiao labels --accept`` writes
it to the versioned taught catalogue; the next extraction reads the field by itself."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.layout.context import label_context
from extractor.pipeline import extract_document
from jixiao.cli import app
from jixiao.labels import proposals_of_store
from jixiao.settings import Settings
from jixiao.store import get_record, list_records, open_store, save_result
from jixiao.store.review import edit_record
from jixiao.taught import (
    TaughtFileError,
    TeachError,
    accept_label,
    load_taught,
    parse_target,
    taught_labels,
)
from schemas.catalogue import catalogue_version
from schemas.results import LabelContext
from tests.pdfgen import Style, form_table, render
from tests.pdfrename import rename
from tests.synthetic_forms import SMALL, self_eval

# Printed instead of the catalogue's labels: synonyms the catalogue does not know.
RENAMES = {"主管部门": "归口管理部门", "实际完成值": "指标完成情况", "上年结转资金": "以前年度结余"}


def _pdf(path: Path, seed: int, renames: dict[str, str] = RENAMES) -> Path:
    return render([rename(form_table(self_eval(seed, SMALL), Style()), renames)], path)


def _env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    url = f"sqlite:///{tmp_path / 's.db'}"
    taught = tmp_path / "taught-labels.json"
    monkeypatch.setenv("JIXIAO_DB_URL", url)
    monkeypatch.setenv("JIXIAO_CATALOGUE_FILE", str(taught))
    return url, taught


def _store(url: str, pdf: Path, settings: Settings) -> int:
    """Extract ``pdf`` with the taught labels into the store; the first record's id."""
    store = open_store(url)
    with store.session() as s:
        save_result(
            s, extract_document(pdf, settings.extract_options(), taught=taught_labels(settings))
        )
        rid = list_records(s)[0].id
    store.close()
    return rid


def _correct(url: str, rid: int, changes: dict[str, str]) -> None:
    store = open_store(url)
    with store.session() as s:
        row = get_record(s, rid)
        assert row is not None
        edit_record(s, rid, changes, reviewer="wang", reason="extraction_error",
                    expected_version=row.version)  # fmt: skip
    store.close()


def test_a_correction_teaches_the_next_extraction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, taught_file = _env(tmp_path, monkeypatch)
    settings = Settings(ocr=False)
    first = _pdf(tmp_path / "a.pdf", 1)
    # 1. The field is empty and its label is reported as unknown.
    res = extract_document(first, settings.extract_options(), taught=taught_labels(settings))
    rec = res.records[0]
    assert rec.record.department.text is None
    assert "归口管理部门" in {f.printed for f in rec.findings if f.code == "UNKNOWN_LABEL"}
    printed = "上海市工商业联合会"
    rid = _store(url, first, settings)
    # 2. The reviewer corrects it to the printed value; the label is proposed.
    _correct(url, rid, {"department": printed})
    out = CliRunner().invoke(app, ["labels", "--proposals"])
    assert out.exit_code == 0, out.output
    assert "1\t1\t归口管理部门 → key.department (主管部门)" in out.output
    # 3. Accepted by its number: the taught catalogue file, version 1.
    out = CliRunner().invoke(app, ["labels", "--accept", "1", "--by", "li"])
    assert out.exit_code == 0, out.output
    assert "taught 归口管理部门 → key.department" in out.output
    saved = json.loads(taught_file.read_text(encoding="utf-8"))
    assert saved["version"] == 1
    assert saved["labels"][0] | {"accepted_at": ""} == {
        "text": "归口管理部门", "category": "key", "field": "department",
        "accepted_by": "li", "accepted_at": "", "corrections": 1,
    }  # fmt: skip
    assert CliRunner().invoke(app, ["labels", "--proposals"]).output.startswith("no proposals")
    # 4. Another PDF printing that label: the field is read by itself, marked taught.
    taught = taught_labels(Settings())
    again = extract_document(_pdf(tmp_path / "b.pdf", 2), settings.extract_options(), taught=taught)
    dept = again.records[0].record.department
    assert dept.text == printed and dept.prov is not None
    assert dept.prov.label_match == "taught"
    assert "归口管理部门" not in {f.printed for f in again.records[0].findings}
    assert again.catalogue_version == catalogue_version(taught) != res.catalogue_version
    # The store keeps the version with the result.
    _store(url, tmp_path / "b.pdf", Settings(ocr=False))
    store = open_store(url)
    with store.session() as s:
        versions = {r.document.result["catalogue_version"] for r in list_records(s)}
    store.close()
    assert versions == {res.catalogue_version, again.catalogue_version}


def test_column_headers_and_fund_rows_are_proposed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, _ = _env(tmp_path, monkeypatch)
    settings = Settings(ocr=False)
    res = extract_document(_pdf(tmp_path / "a.pdf", 1), settings.extract_options())
    rec = res.records[0].record
    assert all(i.actual.text is None for i in rec.indicators)  # 指标完成情况 is unknown
    assert rec.funds.carryover.executed.text is None  # 以前年度结余 is unknown
    rid = _store(url, tmp_path / "a.pdf", settings)
    ind = self_eval(1, SMALL).indicators
    _correct(url, rid, {
        "indicators.0.actual": ind[0].actual or "", "indicators.1.actual": ind[1].actual or "",
        "funds.carryover.executed": "0.00",
    })  # fmt: skip
    got = {(p.text, p.target): p.count for p in proposals_of_store(url)}
    assert got == {
        ("指标完成情况", "indicator_columns.actual"): 2,
        ("以前年度结余", "fund_rows.carryover"): 1,
    }
    out = CliRunner().invoke(app, ["labels", "--accept-all-min", "2", "--by", "wang"])
    assert out.exit_code == 0 and out.output.count("taught ") == 1, out.output
    res = extract_document(
        tmp_path / "a.pdf", settings.extract_options(), taught=taught_labels(Settings())
    )
    actual = [i.actual for i in res.records[0].record.indicators]
    assert [a.text for a in actual] == [i.actual for i in ind]
    assert {a.prov.label_match for a in actual if a.prov} == {"taught"}
    assert res.records[0].record.funds.carryover.executed.text is None  # not accepted


def _ctx() -> LabelContext:
    """A key-value row under an unknown label, and a funds grid with an unknown column."""
    cells = {
        "p1.t1.r1.c1": "项目名称", "p1.t1.r1.c2": "甲项目",
        "p1.t1.r2.c1": "归口管理部门", "p1.t1.r2.c2": "市财政局",
        "p1.t1.r2.c3": "实施单位", "p1.t1.r2.c4": "市财政局",
        "p1.t1.r3.c1": "", "p1.t1.r3.c2": "年初预算数", "p1.t1.r3.c3": "资金实际支付数",
        "p1.t1.r3.c4": "执行率",
        "p1.t1.r4.c1": "年度资金总额", "p1.t1.r4.c2": "40.00", "p1.t1.r4.c3": "36.00",
        "p1.t1.r4.c4": "90.00%",
        "p1.t1.r5.c1": "当年财政拨款", "p1.t1.r5.c2": "40.00", "p1.t1.r5.c3": "36.00",
    }  # fmt: skip
    return label_context(cells)


def test_label_context_keeps_cells_named_by_unknown_labels_only() -> None:
    ctx = _ctx()
    assert ctx.row_label == {"p1.t1.r2.c2": "p1.t1.r2.c1"}  # not 实施单位's value (known)
    assert ctx.column_header == {"p1.t1.r4.c3": "p1.t1.r3.c3", "p1.t1.r5.c3": "p1.t1.r3.c3"}
    assert ctx.texts["p1.t1.r3.c3"] == "资金实际支付数" and "p1.t1.r1.c2" not in ctx.texts


def test_the_proposal_rule() -> None:
    from jixiao.proposals import propose

    ctx = _ctx()
    data = {"pages": [1], "provenance": {"funds.total.full_year_budget": {"cell_ids": ["p1.t1.r4.c2"]}}}  # fmt: skip
    # Row label: the whole text of one cell, named by an unknown label.
    assert propose("department", "市财政局", data, ctx) == [("归口管理部门", "key", "department")]
    assert propose("department", " 市财政局 ", data, ctx)  # whitespace does not count
    # Not one cell's whole text, another page, a field the catalogue does not label: none.
    assert propose("department", "市财政", data, ctx) == []
    assert propose("department", "市财政局", data | {"pages": [2]}, ctx) == []
    assert propose("year", "市财政局", data, ctx) == []
    # Column header, in the row the record's funds.total already cites (not 当年财政拨款's).
    assert propose("funds.total.executed", "36.00", data, ctx) == [
        ("资金实际支付数", "fund_columns", "executed")
    ]
    other = {"pages": [1], "provenance": {"funds.total.weight": {"cell_ids": ["p1.t1.r9.c2"]}}}
    assert propose("funds.total.executed", "36.00", other, ctx) == []


def test_several_labels_for_one_value_propose_nothing() -> None:
    from jixiao.proposals import propose

    ctx = label_context({
        "p1.t1.r1.c1": "归口部门", "p1.t1.r1.c2": "市财政局",
        "p1.t1.r2.c1": "牵头处室", "p1.t1.r2.c2": "市财政局",
    })  # fmt: skip
    assert propose("department", "市财政局", {"pages": [1]}, ctx) == []


def test_the_taught_file_is_versioned(tmp_path: Path) -> None:
    path = tmp_path / "t" / "taught.json"
    assert load_taught(path).version == 0 and not load_taught(path).labels  # no file yet
    a = accept_label(path, "归口管理部门", "key", "department", by="wang", corrections=2)
    b = accept_label(path, "资金实际支付数", "fund_columns", "executed", by="li")
    assert (a.added, a.version, b.version) == (True, 1, 2)
    again = accept_label(path, "归口管理部门", "key", "department", by="li")
    assert not again.added and again.version == 2 and "taught already" in again.notes[0]
    taught = load_taught(path)
    assert [(lb.text, lb.accepted_by, lb.corrections) for lb in taught.labels] == [
        ("归口管理部门", "wang", 2), ("资金实际支付数", "li", 0),
    ]  # fmt: skip
    assert [x.source for x in taught.learned()] == ["taught", "taught"]
    assert catalogue_version(taught.learned()) != catalogue_version()


@pytest.mark.parametrize(
    ("text", "target", "why"),
    [
        ("主管部门", "key.implementing_unit", "already reads '主管部门' as key.department"),
        ("归口管理部门", "key.nonsense", "no field 'nonsense' in category key"),
        ("归口管理部门", "nocat.department", "no label category 'nocat'"),
        ("归口管理部门", "key.project_leader", "taught already as key.department"),
    ],
)
def test_refusals(tmp_path: Path, text: str, target: str, why: str) -> None:
    path = tmp_path / "taught.json"
    accept_label(path, "归口管理部门", "key", "department", by="wang")
    category, field = target.split(".")
    with pytest.raises(TeachError, match=why):
        accept_label(path, text, category, field, by="wang")
    assert load_taught(path).version == 1  # nothing written
    with pytest.raises(TeachError, match=re.escape("TEXT=category.field")):
        parse_target("归口管理部门")


def test_refusals_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _env(tmp_path, monkeypatch)
    run = CliRunner().invoke
    out = run(app, ["labels", "--accept", "主管部门=key.implementing_unit"])
    assert out.exit_code != 0 and "already reads" in str(out.exception)
    out = run(app, ["labels", "--accept", "3"])
    assert out.exit_code != 0 and "no proposal 3" in str(out.exception)
    out = run(app, ["labels", "--accept", "归口管理部门=key.department", "--by", "wang"])
    assert out.exit_code == 0 and "version 1" in out.output


def test_a_broken_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "taught.json"
    for text in ("{not json", '{"version": -1, "labels": []}', '{"labels": [{"text": "x"}]}',
                 '{"version": 1, "labels": [{"text": "x", "category": "key", "field": "nope"}]}'):  # fmt: skip
        path.write_text(text, encoding="utf-8")
        with pytest.raises(TaughtFileError, match=re.escape(f"taught catalogue {path} is broken")):
            load_taught(path)
    path.write_bytes(b"\xff\xfe{")
    with pytest.raises(TaughtFileError, match="cannot be read"):
        load_taught(path)
    path.write_text("{not json", encoding="utf-8")
    out = CliRunner().invoke(
        app, ["extract", str(tmp_path / "x.pdf")], env={"JIXIAO_CATALOGUE_FILE": str(path)}
    )
    assert isinstance(out.exception, TaughtFileError)


def test_a_batch_extracts_again_what_an_older_catalogue_read(tmp_path: Path) -> None:
    from jixiao.batch import BatchConfig, run_batch

    url = f"sqlite:///{tmp_path / 'j.db'}"
    settings = Settings(ocr=False, catalogue_file=tmp_path / "taught.json")
    archive = tmp_path / "archive"
    archive.mkdir()
    _pdf(archive / "a.pdf", 1)

    def run(name: str) -> tuple[int, int]:
        config = BatchConfig(archive, tmp_path / name, url, batch=name, export=False)
        report = run_batch(config, settings)
        return report.processed, report.duplicates

    assert run("b1") == (1, 0)
    assert run("b2") == (0, 1)  # same catalogue: the stored result stands
    accept_label(settings.catalogue_file, "归口管理部门", "key", "department", by="wang")
    assert run("b3") == (1, 0)  # a label was taught since: read again, with it
    with open_store(url) as store, store.session() as s:
        (row,) = list_records(s)
        assert row.department == "上海市工商业联合会"
        assert row.data["provenance"]["department"]["label_match"] == "taught"
