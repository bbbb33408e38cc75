"""Pass/fail bars on an ``EvalReport``."""

from __future__ import annotations

from pydantic import BaseModel, Field

from evals.scores import GROUPS, EvalReport, FieldScore
from schemas.fields import SELF_INDICATOR_FIELDS

# Every indicator field of a self-evaluation but the free-text 偏差原因 has a bar.
BAR_INDICATOR_FIELDS = tuple(f for f in SELF_INDICATOR_FIELDS if f != "deviation_reason")


class Bars(BaseModel):
    """Minimum accuracies; a None bar is not checked. Groups with nothing measured pass."""

    header: float | None = 0.98
    goals: float | None = None
    funds: float | None = 0.98
    totals: float | None = 0.98
    indicators: float | None = None  # all indicator cells together
    indicator_fields: dict[str, float] = Field(
        default_factory=lambda: dict.fromkeys(BAR_INDICATOR_FIELDS, 0.95)
    )
    anomaly_recall: float | None = 0.90
    max_false_alarms: int | None = 0  # error findings on clean records
    max_missed_records: int | None = 0
    max_invented_records: int | None = 0

    @classmethod
    def scan(cls) -> Bars:
        """Bars for scanned PDFs (OCR): funds, totals and header ≥ 90 %, each indicator
        field ≥ 85 %; what OCR cannot excuse stays strict: every record found and none
        invented, anomaly recall ≥ 90 %, and no error finding on a clean record (a scan
        alone must never raise an error; low OCR confidence is a warning)."""
        return cls(
            header=0.90,
            funds=0.90,
            totals=0.90,
            indicator_fields=dict.fromkeys(BAR_INDICATOR_FIELDS, 0.85),
        )


def bars_for(variant: str) -> Bars:
    return Bars.scan() if variant == "scan" else Bars()


def check_bars(report: EvalReport, bars: Bars | None = None) -> list[str]:
    """Human-readable failures; an empty list means every bar is met."""
    bars = bars if bars is not None else bars_for(report.variant)
    failures: list[str] = []

    def acc(label: str, score: FieldScore | None, bar: float | None) -> None:
        if bar is None or score is None or score.accuracy is None:
            return
        if score.accuracy < bar:
            failures.append(
                f"{label} accuracy {score.accuracy:.2%} < {bar:.0%} ({score.correct}/{score.total})"
            )

    for g in GROUPS:
        acc(g, report.groups.get(g), getattr(bars, g))
    for f, bar in bars.indicator_fields.items():
        acc(f"indicators.{f}", report.indicator_fields.get(f), bar)
    a = report.anomalies
    if bars.anomaly_recall is not None and a.recall is not None and a.recall < bars.anomaly_recall:
        failures.append(
            f"anomaly recall {a.recall:.2%} < {bars.anomaly_recall:.0%} "
            f"({a.detected}/{a.anomalous_records})"
        )
    if bars.max_false_alarms is not None and len(a.false_alarms) > bars.max_false_alarms:
        names = ", ".join(f"{r.pdf}#{r.record}" for r in a.false_alarms[:5])
        failures.append(
            f"{len(a.false_alarms)} clean records carry error findings "
            f"(max {bars.max_false_alarms}): {names}"
        )
    if bars.max_missed_records is not None and report.missed > bars.max_missed_records:
        failures.append(
            f"{report.missed} of {report.expected_records} records missed "
            f"(max {bars.max_missed_records})"
        )
    if bars.max_invented_records is not None and report.invented > bars.max_invented_records:
        failures.append(f"{report.invented} records invented (max {bars.max_invented_records})")
    return failures
