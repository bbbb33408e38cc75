"""Golden-set evaluation: compare extractor output with the hand-made answer keys."""

from evals.golden import (
    AnomalyReport,
    Bars,
    DocumentReport,
    EvalReport,
    ExtractOutcome,
    FieldScore,
    GoldenCase,
    Mismatch,
    RecordPair,
    RecordRef,
    Throughput,
    bars_for,
    check_bars,
    evaluate,
    evaluate_predictions,
    load_golden,
    values_equal,
)
from evals.report import render_table, report_to_json

__all__ = [
    "AnomalyReport",
    "Bars",
    "DocumentReport",
    "EvalReport",
    "ExtractOutcome",
    "FieldScore",
    "GoldenCase",
    "Mismatch",
    "RecordPair",
    "RecordRef",
    "Throughput",
    "bars_for",
    "check_bars",
    "evaluate",
    "evaluate_predictions",
    "load_golden",
    "render_table",
    "report_to_json",
    "values_equal",
]
