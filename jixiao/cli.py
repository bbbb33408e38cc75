"""Thin command line: every command calls tested functions and prints their results."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from jixiao import __version__
from jixiao.errors import JixiaoError
from jixiao.output import render
from jixiao.settings import load_settings

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    help="jixiao (绩效): checked data from PDFs of fiscal project performance forms.",
)
err = Console(stderr=True)


class Fmt(StrEnum):
    golden = "golden"
    json = "json"


class Variant(StrEnum):
    digital = "digital"
    scan = "scan"
    all = "all"


def _progress(quiet: bool) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
        transient=True,
    )


@app.command()
def extract(
    files: Annotated[list[Path], typer.Argument(help="PDF files to extract")],
    fmt: Annotated[Fmt, typer.Option("--format", "-f", help="golden (FORMAT.md shape) or json (full result)")] = Fmt.golden,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="write JSON here instead of stdout")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar, no summary")] = False,
) -> None:
    """Extract and check every form in each PDF. One bad file never stops the others."""
    from extractor.pipeline import extract_document

    settings = load_settings()
    docs = []
    failed = 0
    with _progress(quiet) as progress:
        task = progress.add_task("extracting", total=len(files))
        for f in files:
            result = extract_document(f, settings)
            docs.append(render(result, fmt.value))
            for e in result.errors:
                err.print(f"[yellow]{f.name}[/]: {e}", highlight=False, soft_wrap=True)
            if result.status.value == "failed":
                failed += 1
            elif not quiet:
                n_err = sum(1 for r in result.records for x in r.findings if x.severity == "error")
                err.print(
                    f"{f.name}: {result.status.value}, {len(result.records)} records, "
                    f"{result.page_count} pages, {n_err} error findings, {result.seconds:.2f} s",
                    highlight=False,
                )
            progress.advance(task)
    payload = docs[0] if len(docs) == 1 else docs
    text = json.dumps(payload, ensure_ascii=False, indent=2)
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")
    if failed:
        raise typer.Exit(code=1)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    try:
        app()
    except JixiaoError as e:
        err.print(f"[red]error[/]: {e}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
