"""Modes side by side: layout, llm and hybrid accuracy per field group on the same cases.

Two rules are checked (issue: the LLM path must never make things worse or unverified):
- hybrid is no worse than layout on any field group or indicator field;
- no ungrounded value survives in any mode (``ungrounded`` counts values that an independent
  re-grounding of the finished output rejects).
"""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, Field
from rich.table import Table

from evals.scores import GROUPS, EvalReport, FieldScore
from schemas.options import Mode


class ModeRun(BaseModel):
    mode: Mode
    report: EvalReport
    ungrounded: list[str] = Field(default_factory=list)  # audit failures, one line each
    model_calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_seconds: float = 0.0
    questions: int = 0  # questions the mode asked the model (cache hits included)
    failed_questions: int = 0  # of them, left without an answer
    unanswered: dict[str, int] = Field(default_factory=dict)  # reason -> questions
    model_errors: list[str] = Field(default_factory=list)  # distinct errors, first few


def _rows(report: EvalReport) -> list[tuple[str, FieldScore]]:
    rows = [(g, report.groups.get(g, FieldScore())) for g in GROUPS]
    rows += [(f"indicators.{f}", sc) for f, sc in report.indicator_fields.items()]
    return rows


def unanswered_failures(run: ModeRun) -> list[str]:
    """A model mode that answered fewer questions than it asked fails (a dead model must not
    pass as a model that had nothing to add)."""
    if not run.failed_questions:
        return []
    why = ", ".join(f"{n} {reason}" for reason, n in sorted(run.unanswered.items()))
    first = f"; {run.model_errors[0]}" if run.model_errors else ""
    return [
        f"{run.mode}: the model answered {run.questions - run.failed_questions} of "
        f"{run.questions} questions ({why}){first}"
    ]


def check_modes(
    runs: list[ModeRun], *, base: Mode = Mode.layout, better: Mode = Mode.hybrid
) -> list[str]:
    """Failures: ``better`` below ``base`` on any row, or any ungrounded value in any mode."""
    by_mode = {r.mode: r for r in runs}
    failures: list[str] = []
    for r in runs:
        failures += unanswered_failures(r)
        if r.ungrounded:
            failures.append(
                f"{r.mode}: {len(r.ungrounded)} ungrounded values in the output, "
                f"e.g. {r.ungrounded[0]}"
            )
    if base in by_mode and better in by_mode:
        b = dict(_rows(by_mode[base].report))
        for name, sc in _rows(by_mode[better].report):
            ref = b.get(name)
            if ref is None or ref.accuracy is None or sc.accuracy is None:
                continue
            if sc.accuracy < ref.accuracy:
                failures.append(
                    f"{better} worse than {base} on {name}: {sc.accuracy:.2%} < {ref.accuracy:.2%}"
                )
        bm, hm = by_mode[base].report, by_mode[better].report
        worse = worse_records(bm, hm)
        if worse:
            failures.append(f"{better} worse than {base} on {len(worse)} records, e.g. {worse[0]}")
        if hm.missed > bm.missed or hm.invented > bm.invented:
            failures.append(
                f"{better} finds records worse than {base}: missed {hm.missed} vs {bm.missed}, "
                f"invented {hm.invented} vs {bm.invented}"
            )
    return failures


def worse_records(base: EvalReport, other: EvalReport) -> list[str]:
    """Expected records with more wrong cells in ``other`` than in ``base`` (``pdf#N``); a
    record ``base`` missed is wrong in every field there, so ``other`` cannot be worse."""

    def wrong(r: EvalReport) -> Counter[str]:
        return Counter(f"{m.pdf}#{m.record}" for m in r.mismatches if m.record is not None)

    missed = {f"{m.pdf}#{m.record}" for m in base.mismatches if m.kind == "missed_record"}
    b, o = wrong(base), wrong(other)
    return sorted(k for k, n in o.items() if n > b.get(k, 0) and k not in missed)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.2%}"


def render_modes(runs: list[ModeRun]) -> Table:
    t = Table(title="Accuracy per field group by mode", title_justify="left")
    t.add_column("measure")
    for r in runs:
        t.add_column(r.mode, justify="right")
    names = [n for n, _ in _rows(runs[0].report)]
    per_mode = [dict(_rows(r.report)) for r in runs]
    for n in names:
        t.add_row(n, *(_pct(m.get(n, FieldScore()).accuracy) for m in per_mode))
    t.add_section()
    t.add_row("records found", *(f"{r.report.found}/{r.report.expected_records}" for r in runs))
    t.add_row("anomaly recall", *(_pct(r.report.anomalies.recall) for r in runs))
    t.add_row("ungrounded values", *(str(len(r.ungrounded)) for r in runs))
    t.add_row("model calls", *(str(r.model_calls) for r in runs))
    t.add_row(
        "questions answered", *(f"{r.questions - r.failed_questions}/{r.questions}" for r in runs)
    )
    t.add_row("cache hits", *(str(r.cache_hits) for r in runs))
    t.add_row("tokens in / out", *(f"{r.prompt_tokens} / {r.completion_tokens}" for r in runs))
    t.add_row(
        "s / record",
        *(f"{r.report.throughput.seconds_per_record or 0:.2f}" for r in runs),
    )
    return t


def modes_to_json(runs: list[ModeRun]) -> dict[str, object]:
    from evals.report import report_to_json

    return {
        "modes": {
            r.mode: {
                "report": report_to_json(r.report),
                "ungrounded": r.ungrounded,
                "model_calls": r.model_calls,
                "cache_hits": r.cache_hits,
                "prompt_tokens": r.prompt_tokens,
                "completion_tokens": r.completion_tokens,
                "model_seconds": r.model_seconds,
                "questions": r.questions,
                "failed_questions": r.failed_questions,
                "unanswered": r.unanswered,
            }
            for r in runs
        },
        "failures": check_modes(runs),
    }
