"""Rendering an ``EvalReport``: rich tables for people, a JSON dict for CI artifacts."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from evals.bars import Bars, bars_for, check_bars
from evals.scores import GROUPS, EvalReport, FieldScore

JSON_SCHEMA_VERSION = 1


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.2%}"


def _status(score: FieldScore | None, bar: float | None) -> str:
    if bar is None or score is None or score.accuracy is None:
        return ""
    return "[green]ok[/]" if score.accuracy >= bar else "[red]FAIL[/]"


def _clip(s: str | None, n: int = 40) -> str:
    if s is None:
        return "∅"
    return s if len(s) <= n else s[: n - 1] + "…"


def _summary(report: EvalReport, bars: Bars) -> Table:
    t = Table(title=f"Golden-set accuracy ({report.variant})", title_justify="left")
    for col, justify in (
        ("measure", "left"),
        ("correct", "right"),
        ("total", "right"),
        ("value", "right"),
        ("bar", "right"),
        ("", "left"),
    ):
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    for g in GROUPS:
        sc = report.groups.get(g, FieldScore())
        bar = getattr(bars, g)
        t.add_row(
            g,
            str(sc.correct),
            str(sc.total),
            _pct(sc.accuracy),
            _pct(bar) if bar is not None else "",
            _status(sc, bar),
        )
    for f, sc in report.indicator_fields.items():
        bar = bars.indicator_fields.get(f)
        t.add_row(
            f"  indicators.{f}",
            str(sc.correct),
            str(sc.total),
            _pct(sc.accuracy),
            _pct(bar) if bar is not None else "",
            _status(sc, bar),
        )
    t.add_section()
    ok = report.missed == 0 and report.invented == 0
    t.add_row(
        "records found",
        str(report.found),
        str(report.expected_records),
        f"missed {report.missed}, invented {report.invented}",
        "all, none extra",
        "[green]ok[/]" if ok else "[red]FAIL[/]",
    )
    a = report.anomalies
    recall_ok = bars.anomaly_recall is None or a.recall is None or a.recall >= bars.anomaly_recall
    t.add_row(
        "anomaly recall",
        str(a.detected),
        str(a.anomalous_records),
        _pct(a.recall),
        _pct(bars.anomaly_recall) if bars.anomaly_recall is not None else "",
        "[green]ok[/]" if recall_ok else "[red]FAIL[/]",
    )
    fa_ok = bars.max_false_alarms is None or len(a.false_alarms) <= bars.max_false_alarms
    t.add_row(
        "errors on clean records",
        str(len(a.false_alarms)),
        str(a.clean_records),
        "",
        f"≤ {bars.max_false_alarms}" if bars.max_false_alarms is not None else "",
        "[green]ok[/]" if fa_ok else "[red]FAIL[/]",
    )
    t.add_row(
        "warnings on clean records",
        str(a.warnings_on_clean),
        str(a.clean_records),
        f"on {a.clean_records_with_warnings} records",
        "info",
        "",
    )
    tp = report.throughput
    t.add_section()
    t.add_row("seconds", f"{tp.total_seconds:.2f}", "", "", "", "")
    t.add_row("pages", "" if tp.pages is None else str(tp.pages), "", "", "", "")
    t.add_row(
        "seconds / record",
        "" if tp.seconds_per_record is None else f"{tp.seconds_per_record:.3f}",
        "",
        "",
        "",
        "",
    )
    if tp.seconds_per_page is not None:
        t.add_row("seconds / page", f"{tp.seconds_per_page:.3f}", "", "", "", "")
    return t


def _documents(report: EvalReport) -> Table:
    t = Table(title="Per document", title_justify="left")
    t.add_column("pdf")
    t.add_column("variant")
    for c in ("expected", "found", "missed", "invented"):
        t.add_column(c, justify="right")
    for g in GROUPS:
        t.add_column(g, justify="right")
    t.add_column("s", justify="right")
    t.add_column("error")
    for d in report.documents:
        t.add_row(
            d.pdf,
            d.variant,
            str(d.expected_records),
            str(d.found),
            str(d.missed),
            str(d.invented),
            *(_pct(d.groups[g].accuracy) if g in d.groups else "–" for g in GROUPS),
            f"{d.seconds:.2f}",
            _clip(d.error, 60) if d.error else "",
        )
    return t


def _mismatches(report: EvalReport, cap: int) -> Table:
    total = len(report.mismatches)
    shown = report.mismatches[:cap]
    caption = f"showing {len(shown)} of {total}" + (
        "; full list in the JSON report" if total > cap else ""
    )
    t = Table(title="Mismatches", title_justify="left", caption=caption)
    for c in ("pdf", "rec", "field", "expected", "got", "kind"):
        t.add_column(c)
    for m in shown:
        rec = "–" if m.record is None else str(m.record)
        if m.predicted_record is not None and m.predicted_record != m.record:
            rec += f"→{m.predicted_record}"
        t.add_row(m.pdf, rec, m.field, _clip(m.expected), _clip(m.got), m.kind)
    return t


def render_table(
    report: EvalReport, bars: Bars | None = None, *, max_mismatches: int = 25
) -> list[Table]:
    """Summary (groups, indicator fields, records, anomalies, throughput), per-document
    lines, and the first ``max_mismatches`` mismatches (0 leaves that table out)."""
    bars = bars if bars is not None else bars_for(report.variant)
    tables = [_summary(report, bars), _documents(report)]
    if max_mismatches > 0 and report.mismatches:
        tables.append(_mismatches(report, max_mismatches))
    return tables


def report_to_json(report: EvalReport, bars: Bars | None = None) -> dict[str, Any]:
    """Stable JSON-ready dict: the full report (every mismatch), the bars and their failures."""
    bars = bars if bars is not None else bars_for(report.variant)
    failures = check_bars(report, bars)
    out: dict[str, Any] = {"schema_version": JSON_SCHEMA_VERSION}
    out.update(report.model_dump(mode="json"))
    out["bars"] = bars.model_dump(mode="json")
    out["failures"] = failures
    out["passed"] = not failures
    return out
