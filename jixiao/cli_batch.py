"""``jixiao batch``: extract an archive into the store, with a progress bar and an end line."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from jixiao.cli_common import err, say
from jixiao.settings import load_settings
from schemas.options import Mode

if TYPE_CHECKING:
    from jixiao.batch.report import BatchReport


def run_batch_cmd(
    archive: Path,
    out: Path,
    db: str | None,
    workers: int,
    mode: Mode,
    scheduler: str | None,
    name: str | None,
    quiet: bool,
) -> None:
    """Run the batch (the model endpoint started for llm/hybrid), then say what it did;
    exit 1 when a source failed, 130 when interrupted."""
    from jixiao.batch.progress import RichProgress
    from jixiao.batch.run import BatchConfig, run_batch

    if not archive.exists():
        raise typer.BadParameter(f"{archive}: no such folder or file", param_hint="ARCHIVE")
    settings = load_settings(**({"db_url": db} if db else {}))
    config = BatchConfig(
        archive=archive,
        out=out,
        db_url=settings.db_url,
        workers=workers,
        mode=mode,
        scheduler=scheduler,
        batch=name,
    )
    with contextlib.ExitStack() as stack:
        if mode is not Mode.layout:
            from jixiao.model_client import endpoint

            config.llm_url = stack.enter_context(endpoint(settings))
        progress = stack.enter_context(RichProgress(err, quiet=quiet))
        try:
            report = run_batch(config, settings, progress)
        except KeyboardInterrupt:
            say("interrupted: run the same command again to finish the batch", style="yellow")
            raise typer.Exit(code=130) from None
    _say_report(report, out)
    if report.counts.get("failed", 0):
        raise typer.Exit(code=1)


def _say_report(report: BatchReport, out: Path) -> None:
    c = report.counts
    say(
        f"{report.processed} extracted ({report.pages} pages, {report.docs_per_s:.2f} docs/s, "
        f"{report.pages_per_s:.1f} pages/s), {report.duplicates} duplicates, "
        f"{report.refused} refused, {report.ignored} ignored"
        + (f", {report.unreadable} unreadable paths" if report.unreadable else "")
        + f"; ledger: {c.get('done', 0)} done, "
        f"{c.get('failed', 0)} failed, {c.get('skipped', 0)} skipped, "
        f"{c.get('duplicate', 0)} duplicate, {c.get('pending', 0)} pending"
    )
    say(f"log {report.log}; exports in {out} (summary.md, results.xlsx, *.csv, *.parquet)")
    if report.reviewed_kept:
        say(
            f"{report.reviewed_kept} reviewed records kept although the new extraction differs "
            "(not overwritten; flagged 'newer extraction differs' in jixiao review)",
            style="yellow",
        )
