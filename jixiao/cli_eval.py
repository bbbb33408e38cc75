"""``jixiao eval``: evaluate one mode (or compare several) against golden answer keys."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer
from rich.console import Console

from jixiao.cli_common import progress_bar
from jixiao.settings import Settings, load_settings
from schemas.options import Mode

if TYPE_CHECKING:
    from evals.compare import ModeRun
    from extractor.llm.asker import Asker

# Opens the model for the evaluation (the endpoint, started if embedded) and yields a
# factory of a fresh asker per document (``jixiao.cli._model`` bound to its mode).
ModelContext = Callable[[Settings], contextlib.AbstractContextManager[Callable[[], "Asker | None"]]]


def run_eval(
    golden_dir: Path,
    variant: Literal["digital", "scan", "all"],
    modes: Sequence[Mode],
    model: ModelContext,
    *,
    compare: bool,
    limit: int,
    quiet: bool,
    json_out: Path | None,
    check: bool,
) -> None:
    """Run ``modes`` over the golden cases, print the report (or the comparison), write it
    as JSON, and say which bars are not met (exit 1 with ``check``)."""
    from evals import load_golden
    from jixiao.evalrun import run_mode

    settings = load_settings()
    cases = load_golden(golden_dir, variant)
    if limit:
        cases = cases[:limit]
    if not cases:
        raise typer.BadParameter(f"no NAME.pdf with NAME.golden.json under {golden_dir}")
    out = Console(width=None if sys.stdout.isatty() else 160)
    runs = []
    with model(settings) as asker_for, progress_bar(quiet) as progress:
        for m in modes:
            task = progress.add_task(f"evaluating ({m})", total=len(cases))
            runs.append(
                run_mode(
                    cases,
                    settings,
                    m,
                    (lambda: None) if m is Mode.layout else asker_for,
                    lambda task=task: progress.advance(task),  # type: ignore[misc]
                )
            )
    failures, payload = _compared(runs, out) if compare else _reported(runs[0], modes[0], out)
    if json_out is not None:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(
            json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    if failures:
        out.print("[red]below the bars:[/]")
        for f in failures:
            out.print(f"  - {f}", highlight=False, markup=False)
        if check:
            raise typer.Exit(code=1)
    else:
        out.print("[green]all bars met[/]")


def _compared(runs: list[ModeRun], out: Console) -> tuple[list[str], dict[str, object]]:
    from evals.compare import check_modes, modes_to_json, render_modes

    out.print(render_modes(runs))
    return check_modes(runs), modes_to_json(runs)


def _reported(run: ModeRun, mode: str, out: Console) -> tuple[list[str], dict[str, object]]:
    from evals import check_bars, render_table, report_to_json
    from evals.compare import unanswered_failures

    report = run.report
    for table in render_table(report):
        out.print(table)
    out.print(f"mode {mode}: {report.throughput.seconds_per_record or 0:.2f} s per record")
    failures = check_bars(report) + unanswered_failures(run)
    if run.ungrounded:
        failures.append(f"{len(run.ungrounded)} ungrounded values in the output")
    return failures, report_to_json(report)
