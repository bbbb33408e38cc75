"""Golden-set evaluation library: predictions built from the real answer keys, then perturbed."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.table import Table

from evals import (
    Bars,
    ExtractOutcome,
    GoldenCase,
    check_bars,
    evaluate,
    evaluate_predictions,
    load_golden,
    render_table,
    report_to_json,
    values_equal,
)
from evals.golden import indicator_fields_for, scalar_fields
from schemas.fields import SELF_INDICATOR_FIELDS
from tests.conftest import GOLDEN, golden_required

Records = list[dict[str, Any]]


@pytest.fixture(scope="module")
def cases() -> list[GoldenCase]:
    golden_required()
    found = load_golden(GOLDEN, "digital")
    if not found:
        pytest.skip(f"no digital golden cases in {GOLDEN}")
    return found


def _identical(cases: list[GoldenCase], with_findings: bool = True) -> list[Records]:
    """Deep copies of the answer keys; anomalous records get a warning finding."""
    out = []
    for c in cases:
        recs = copy.deepcopy(c.records)
        for r in recs:
            r["findings"] = (
                [{"code": "T", "severity": "warning", "message": "x"}]
                if with_findings and r.get("source_anomalies")
                else []
            )
        out.append(recs)
    return out


def _self_eval_case(cases: list[GoldenCase], min_records: int = 3) -> int:
    for k, c in enumerate(cases):
        if (
            len(c.records) >= min_records
            and c.records[0]["form_type"] == "self_evaluation"
            and len(c.records[0]["indicators"]) >= 4
        ):
            return k
    pytest.skip("no self-evaluation case large enough")


# ------------------------------------------------------------------ comparison


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ("25.00", "25", True),
        ("4,063,014.30", "4063014.3", True),
        ("100%", "100", True),
        ("１００", "100", True),
        (2023, "2023", True),
        (None, None, True),
        ("", None, True),
        ("  ", None, True),
        ("上海市 工商业\n联合会", "上海市工商业联合会", True),
        ("=3.00(次)", "=3.00（次）", True),
        ("-", None, False),
        ("25.00", "25.01", False),
        ("=3.00(次)", "3.00(次)", False),
        ("优", None, False),
    ],
)
def test_values_equal(a: Any, b: Any, equal: bool) -> None:
    assert values_equal(a, b) is equal
    assert values_equal(b, a) is equal


# ------------------------------------------------------------------ loading


@pytest.mark.golden
def test_load_golden_pairs_by_stem() -> None:
    golden_required()
    keys = sorted(GOLDEN.glob("*.golden.json"))
    digital = load_golden(GOLDEN, "digital")
    scan = load_golden(GOLDEN, "scan")
    both = load_golden(GOLDEN, "all")
    assert len(both) == len(digital) + len(scan)
    assert len(digital) == sum(
        (GOLDEN / k.name.replace(".golden.json", ".pdf")).is_file() for k in keys
    )
    for c in digital:
        assert c.variant == "digital" and c.pdf.name == f"{c.name}.pdf"
        assert c.golden_path is not None and c.golden_path.name == f"{c.name}.golden.json"
        assert c.records == json.loads(c.golden_path.read_text(encoding="utf-8"))["records"]
    for c in scan:
        assert c.variant == "scan" and c.pdf.name == f"{c.name}.scan.pdf"


# ------------------------------------------------------------------ scoring


@pytest.mark.golden
def test_identical_predictions_score_everything(cases: list[GoldenCase]) -> None:
    preds = _identical(cases)
    report = evaluate_predictions(zip(cases, preds, strict=True))
    n = sum(len(c.records) for c in cases)
    assert (report.expected_records, report.found, report.missed, report.invented) == (n, n, 0, 0)
    for name, score in report.groups.items():
        assert score.accuracy in (1.0, None), name
        assert score.correct == score.total
    assert report.groups["header"].total > 0 and report.groups["funds"].total > 0
    for name, score in report.indicator_fields.items():
        assert score.accuracy == 1.0, name
    assert report.mismatches == []
    assert report.anomalies.recall in (1.0, None)
    assert report.anomalies.false_alarms == []
    assert check_bars(report, Bars()) == []


@pytest.mark.golden
def test_denominators_follow_the_form_types(cases: list[GoldenCase]) -> None:
    report = evaluate_predictions(zip(cases, _identical(cases), strict=True))
    recs = [r for c in cases for r in c.records]
    for group in ("header", "goals", "funds", "totals"):
        want = sum(1 for r in recs for g, _ in scalar_fields(r["form_type"]) if g == group)
        assert report.groups[group].total == want
    want_ind = sum(len(r["indicators"]) * len(indicator_fields_for(r["form_type"])) for r in recs)
    assert report.groups["indicators"].total == want_ind


@pytest.mark.golden
def test_one_funds_value_changed(cases: list[GoldenCase]) -> None:
    preds = _identical(cases)
    k = _self_eval_case(cases, 1)
    rec = preds[k][0]
    before = rec["funds"]["total"]["executed"]
    rec["funds"]["total"]["executed"] = "987654.32"
    report = evaluate_predictions(zip(cases, preds, strict=True))
    funds = report.groups["funds"]
    assert funds.correct == funds.total - 1
    assert funds.accuracy == pytest.approx(1 - 1 / funds.total)
    assert report.groups["header"].accuracy == 1.0
    [m] = report.mismatches
    assert (m.pdf, m.record, m.field, m.expected, m.got, m.kind) == (
        cases[k].pdf.name,
        0,
        "funds.total.executed",
        before,
        "987654.32",
        "wrong",
    )
    assert (
        report.fields["funds.total.executed"].correct
        == report.fields["funds.total.executed"].total - 1
    )


@pytest.mark.golden
def test_number_formatting_differences_are_equal(cases: list[GoldenCase]) -> None:
    preds = _identical(cases)
    changed = 0
    for recs in preds:
        for r in recs:
            for row in r["indicators"]:
                w = row.get("weight")
                if isinstance(w, str) and w.endswith(".00"):
                    row["weight"] = w[: -len(".00")]  # "25.00" -> "25"
                    changed += 1
            funds = r["funds"]
            cells = funds.values() if r["form_type"] == "self_evaluation" else [funds]
            for cell in cells:
                for key, v in cell.items():
                    if isinstance(v, str) and "," in v:
                        cell[key] = v.replace(",", "")  # "4,063,014.30" -> "4063014.30"
                        changed += 1
            r["project_name"] = f"  {r['project_name']} "
    assert changed > 0
    report = evaluate_predictions(zip(cases, preds, strict=True))
    assert report.mismatches == []
    assert all(s.accuracy in (1.0, None) for s in report.groups.values())


@pytest.mark.golden
def test_dropped_record_is_missed_and_the_rest_still_align(cases: list[GoldenCase]) -> None:
    preds = _identical(cases)
    k = _self_eval_case(cases, 3)
    dropped = cases[k].records[1]
    del preds[k][1]
    report = evaluate_predictions(zip(cases, preds, strict=True))
    doc = report.documents[k]
    assert (doc.found, doc.missed, doc.invented) == (len(cases[k].records) - 1, 1, 0)
    assert (report.missed, report.invented) == (1, 0)
    pairs = [(p.expected, p.predicted) for p in doc.alignment]
    assert pairs == [(0, 0), (1, None)] + [(i, i - 1) for i in range(2, len(cases[k].records))]
    # every field of the missed record is wrong, nothing else is
    for group in ("header", "goals", "funds", "totals"):
        n = sum(1 for g, _ in scalar_fields(dropped["form_type"]) if g == group)
        assert report.groups[group].total - report.groups[group].correct == n
    ind = report.groups["indicators"]
    assert ind.total - ind.correct == len(dropped["indicators"]) * len(SELF_INDICATOR_FIELDS)
    assert [m.kind for m in report.mismatches] == ["missed_record"]
    assert report.mismatches[0].record == 1
    assert any("missed" in f for f in check_bars(report, Bars()))


@pytest.mark.golden
def test_extra_records_are_invented(cases: list[GoldenCase]) -> None:
    preds = _identical(cases)
    k = _self_eval_case(cases, 2)
    dup = copy.deepcopy(preds[k][0])
    preds[k].insert(1, dup)  # the same table emitted twice
    preds[k].append(
        {"form_type": "self_evaluation", "project_name": "完全不相干的虚构项目", "indicators": []}
    )
    report = evaluate_predictions(zip(cases, preds, strict=True))
    doc = report.documents[k]
    assert (doc.found, doc.missed, doc.invented) == (len(cases[k].records), 0, 2)
    assert report.invented == 2
    assert all(s.accuracy in (1.0, None) for s in report.groups.values())
    invented = sorted(m.predicted_record for m in report.mismatches if m.kind == "invented_record")
    assert invented[0] in (0, 1) and invented[1] == len(preds[k]) - 1  # either twin may match
    assert any("invented" in f for f in check_bars(report, Bars()))


@pytest.mark.golden
def test_dropped_indicator_row_does_not_shift_later_rows(cases: list[GoldenCase]) -> None:
    preds = _identical(cases)
    k = _self_eval_case(cases, 1)
    rows = preds[k][0]["indicators"]
    n_rows = len(rows)
    del rows[1]
    report = evaluate_predictions(zip(cases, preds, strict=True))
    ind = report.groups["indicators"]
    assert ind.total - ind.correct == len(SELF_INDICATOR_FIELDS)
    for f in SELF_INDICATOR_FIELDS:
        sc = report.indicator_fields[f]
        assert sc.total - sc.correct == 1, f
    [m] = report.mismatches
    assert (m.record, m.field, m.kind) == (0, "indicators[1]", "missed_indicator")
    assert n_rows >= 4 and report.found == report.expected_records


@pytest.mark.golden
def test_invented_indicator_row_adds_to_the_denominator(cases: list[GoldenCase]) -> None:
    base = evaluate_predictions(zip(cases, _identical(cases), strict=True))
    preds = _identical(cases)
    k = _self_eval_case(cases, 1)
    preds[k][0]["indicators"].insert(
        2, dict.fromkeys(SELF_INDICATOR_FIELDS, "凭空多出的一行") | {"weight": "5", "score": "5"}
    )
    report = evaluate_predictions(zip(cases, preds, strict=True))
    ind = report.groups["indicators"]
    assert ind.total == base.groups["indicators"].total + len(SELF_INDICATOR_FIELDS)
    assert ind.total - ind.correct == len(SELF_INDICATOR_FIELDS)
    [m] = report.mismatches
    assert (m.field, m.kind) == ("indicators[pred:2]", "invented_indicator")


@pytest.mark.golden
def test_changed_indicator_value_is_reported_at_its_row(cases: list[GoldenCase]) -> None:
    preds = _identical(cases)
    k = _self_eval_case(cases, 1)
    rows = preds[k][0]["indicators"]
    del rows[0]
    rows[-1]["score"] = "0.5"  # last row still aligns to the last expected row
    report = evaluate_predictions(zip(cases, preds, strict=True))
    wrong = [m for m in report.mismatches if m.kind == "wrong"]
    assert [m.field for m in wrong] == [
        f"indicators[{len(cases[k].records[0]['indicators']) - 1}].score"
    ]


@pytest.mark.golden
def test_anomaly_recall_and_false_alarms(cases: list[GoldenCase]) -> None:
    preds = _identical(cases)
    anomalous = [
        (i, j)
        for i, c in enumerate(cases)
        for j, r in enumerate(c.records)
        if r["source_anomalies"]
    ]
    clean = [
        (i, j)
        for i, c in enumerate(cases)
        for j, r in enumerate(c.records)
        if not r["source_anomalies"]
    ]
    if len(anomalous) < 2 or len(clean) < 2:
        pytest.skip("golden set needs anomalous and clean records")
    # one anomalous record carries only an info finding: not detected
    i, j = anomalous[0]
    preds[i][j]["findings"] = [{"code": "I", "severity": "info", "message": "x"}]
    # one clean record carries an error: a false alarm; another only warnings: information
    i, j = clean[0]
    preds[i][j]["findings"] = [{"code": "R1", "severity": "error", "message": "x"}]
    i2, j2 = clean[1]
    preds[i2][j2]["findings"] = [
        {"code": "W", "severity": "warning", "message": "x"},
        {"code": "W2", "severity": "WARNING", "message": "y"},
    ]
    report = evaluate_predictions(zip(cases, preds, strict=True))
    a = report.anomalies
    assert a.anomalous_records == len(anomalous)
    assert a.detected == len(anomalous) - 1
    assert a.recall == pytest.approx((len(anomalous) - 1) / len(anomalous))
    assert [(r.pdf, r.record) for r in a.undetected] == [
        (cases[anomalous[0][0]].pdf.name, anomalous[0][1])
    ]
    assert a.clean_records == len(clean)
    assert [(r.pdf, r.record, r.detail) for r in a.false_alarms] == [(cases[i].pdf.name, j, ["R1"])]
    assert (a.warnings_on_clean, a.clean_records_with_warnings) == (2, 1)
    failures = check_bars(report, Bars(anomaly_recall=1.0))
    assert any("anomaly recall" in f for f in failures)
    assert any("clean records carry error" in f for f in failures)
    assert check_bars(report, Bars(anomaly_recall=None, max_false_alarms=1)) == []


@pytest.mark.golden
def test_missed_anomalous_record_counts_as_undetected(cases: list[GoldenCase]) -> None:
    preds = _identical(cases)
    spot = next(
        (
            (i, j)
            for i, c in enumerate(cases)
            for j, r in enumerate(c.records)
            if r["source_anomalies"]
        ),
        None,
    )
    if spot is None:
        pytest.skip("no anomalous record")
    i, j = spot
    del preds[i][j]
    report = evaluate_predictions(zip(cases, preds, strict=True))
    assert report.anomalies.detected == report.anomalies.anomalous_records - 1


@pytest.mark.golden
def test_check_bars_reports_accuracy_failures(cases: list[GoldenCase]) -> None:
    preds = _identical(cases)
    k = _self_eval_case(cases, 1)
    preds[k][0]["funds"]["total"]["score"] = "99"
    preds[k][0]["indicators"][0]["name"] = "完全错误的名称"
    report = evaluate_predictions(zip(cases, preds, strict=True))
    assert check_bars(report, Bars()) == []  # one cell each is within the default bars
    strict = Bars(funds=1.0, indicator_fields={"name": 1.0})
    failures = check_bars(report, strict)
    assert len(failures) == 2
    assert failures[0].startswith("funds accuracy") and failures[1].startswith("indicators.name")
    scan = Bars.scan()
    assert (scan.funds, scan.totals, scan.indicator_fields["score"]) == (0.90, 0.90, 0.85)


@pytest.mark.golden
def test_evaluate_survives_extractor_errors(cases: list[GoldenCase]) -> None:
    by_pdf = {c.pdf: copy.deepcopy(c.records) for c in cases}
    bad = cases[0].pdf
    flaky = cases[-1].pdf if len(cases) > 1 else None

    def extract(pdf: Path) -> ExtractOutcome:
        if pdf == bad:
            raise RuntimeError("boom")
        if pdf == flaky:
            return ExtractOutcome(records=by_pdf[pdf], error="encrypted", seconds=0.5)
        return ExtractOutcome(records=by_pdf[pdf], seconds=1.0, pages=3)

    report = evaluate(cases, extract)
    assert len(report.documents) == len(cases)
    lost = len(cases[0].records) + (len(cases[-1].records) if flaky else 0)
    assert report.missed == lost and report.found == report.expected_records - lost
    assert report.documents[0].error == "RuntimeError: boom"
    assert report.errors[0].startswith(cases[0].name)
    assert report.throughput.pages is None  # not every document gave its page count
    assert report.throughput.total_seconds >= (len(cases) - 2) * 1.0
    assert report.throughput.seconds_per_record == pytest.approx(
        report.throughput.total_seconds / report.expected_records
    )


@pytest.mark.golden
def test_throughput_with_pages(cases: list[GoldenCase]) -> None:
    pairs = [
        (c, ExtractOutcome(records=copy.deepcopy(c.records), seconds=2.0, pages=4)) for c in cases
    ]
    tp = evaluate_predictions(pairs).throughput
    assert (tp.documents, tp.total_seconds, tp.pages) == (
        len(cases),
        2.0 * len(cases),
        4 * len(cases),
    )
    assert tp.seconds_per_page == pytest.approx(0.5)


# ------------------------------------------------------------------ rendering


@pytest.mark.golden
def test_report_json_and_tables(cases: list[GoldenCase]) -> None:
    preds = _identical(cases)
    k = _self_eval_case(cases, 1)
    for row in preds[k][0]["indicators"]:
        row["target"] = "changed"
    report = evaluate_predictions(zip(cases, preds, strict=True))
    data = report_to_json(report)
    json.dumps(data, ensure_ascii=False)  # serialisable
    for key in (
        "schema_version",
        "variant",
        "documents",
        "expected_records",
        "found",
        "missed",
        "invented",
        "groups",
        "indicator_fields",
        "fields",
        "anomalies",
        "throughput",
        "errors",
        "mismatches",
        "bars",
        "failures",
        "passed",
    ):
        assert key in data, key
    assert data["groups"]["funds"]["accuracy"] == 1.0
    assert data["anomalies"]["false_alarm_count"] == 0
    assert len(data["mismatches"]) == len(preds[k][0]["indicators"])
    tables = render_table(report, max_mismatches=2)
    assert all(isinstance(t, Table) for t in tables) and len(tables) == 3
    console = Console(record=True, width=200)
    for t in tables:
        console.print(t)
    text = console.export_text()
    assert "showing 2 of" in text and "anomaly recall" in text and cases[k].pdf.name in text


@pytest.mark.golden
def test_garbled_names_still_align(cases: list[GoldenCase]) -> None:
    preds = _identical(cases)
    k = _self_eval_case(cases, 3)
    preds[k][1]["project_name"] = None  # name unreadable, indicators intact
    rows = preds[k][0]["indicators"]
    rows[1]["name"] = rows[1]["name"] + "（OCR噪声）"  # one row's name garbled
    report = evaluate_predictions(zip(cases, preds, strict=True))
    assert (report.missed, report.invented) == (0, 0)
    wrong = [(m.record, m.field) for m in report.mismatches]
    assert wrong == [(0, "indicators[1].name"), (1, "project_name")]


@pytest.mark.golden
def test_malformed_predictions_do_not_crash(cases: list[GoldenCase]) -> None:
    preds: list[Records] = [
        [{"project_name": r["project_name"], "funds": None, "indicators": None, "findings": None}]
        for c in cases
        for r in c.records[:1]
    ]
    report = evaluate_predictions(zip(cases, preds, strict=True))
    assert report.found == len(cases) and report.invented == 0
    assert (report.groups["funds"].accuracy or 0) < 0.05  # only golden nulls agree
    assert check_bars(report, Bars())
