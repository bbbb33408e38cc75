"""Thin command line: every command calls tested functions and prints their results."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress

from jixiao import __version__
from jixiao.cli_common import progress_bar as _progress
from jixiao.cli_common import say as _say
from jixiao.output import render
from jixiao.settings import Settings, load_settings
from schemas.document_errors import ErrorCode
from schemas.errors import JixiaoError
from schemas.options import Mode
from schemas.results import DocumentResult
from schemas.sanitise import display_path, mask_url, safe_text

if TYPE_CHECKING:
    from extractor.llm.asker import Asker

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    help="jixiao (绩效): checked data from PDFs of fiscal project performance forms.",
)
# Exit status of `extract` when a model mode was asked and the model left questions unanswered
# (the results are still printed): 1 is a failed document, 2 an error before any result.
EXIT_MODEL = 3


class Fmt(StrEnum):
    golden = "golden"
    json = "json"
    table = "table"


class Variant(StrEnum):
    digital = "digital"
    scan = "scan"
    all = "all"


@app.command()
def extract(
    files: Annotated[list[Path], typer.Argument(help="PDF files to extract")],
    fmt: Annotated[
        Fmt | None,
        typer.Option(
            "--format",
            "-f",
            help="table (a readable summary per record with its findings; the default on a "
            "terminal), golden (FORMAT.md shape; the default otherwise) or json (full result)",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="write the output here instead of stdout")
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="no progress bar, no summary")
    ] = False,
    mode: Annotated[
        Mode,
        typer.Option(
            help="layout (deterministic), llm (model reads labels), hybrid (model where layout "
            "fails); with llm/hybrid the exit status is 3 when the model left a question "
            "unanswered (endpoint dead, refused, too slow), the results still printed"
        ),
    ] = Mode.layout,
) -> None:
    """Extract and check every form in each PDF. One bad file never stops the others."""
    from jixiao.output import golden_document, unanswered_lines
    from jixiao.summary_table import document_lines

    settings = load_settings()
    if fmt is None:
        fmt = Fmt.table if out is None and sys.stdout.isatty() else Fmt.golden
    docs: list[dict[str, object]] = []
    lines: list[str] = []
    failed = 0
    unanswered: list[tuple[str, DocumentResult]] = []
    with _model(settings, mode) as asker_for, _progress(quiet) as progress:
        for f, result in _extract_each(files, settings, mode, asker_for, progress):
            name = display_path(f.name)
            if result.llm is not None and result.llm.failed_questions:
                unanswered.append((name, result))
            if fmt is Fmt.table:
                lines += document_lines(golden_document(result), result.seconds)
            else:
                docs.append(render(result, fmt.value))
            failed += _say_document(name, result, quiet or fmt is Fmt.table)
    if fmt is Fmt.table:
        text = safe_text("\n".join(lines))
    else:
        payload = docs[0] if len(docs) == 1 else docs
        text = safe_text(json.dumps(payload, ensure_ascii=False, indent=2))
    _write(text, out)
    for line in unanswered_lines(unanswered) if unanswered else []:
        _say(line, style="red")
    if failed or unanswered:
        raise typer.Exit(code=1 if failed else EXIT_MODEL)


def _write(text: str, out: Path | None) -> None:
    """``text`` and a newline to ``out``, or to stdout when None."""
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")


def _say_document(name: str, result: DocumentResult, quiet: bool) -> int:
    """A document's errors (model errors are said once, at the end) and, unless ``quiet``,
    its one-line summary; 1 when it failed."""
    for e in result.errors:
        if not (result.llm and result.llm.failed_questions and e.code is ErrorCode.MODEL):
            _say(f"{name}: {e}", style="yellow")
    if result.status.value == "failed":
        return 1
    if not quiet:
        n_err = sum(1 for r in result.records for x in r.findings if x.severity == "error")
        _say(
            f"{name}: {result.status.value}, {len(result.records)} records, "
            f"{result.page_count} pages, {n_err} error findings, {result.seconds:.2f} s"
        )
    return 0


def _extract_each(
    files: list[Path],
    settings: Settings,
    mode: Mode,
    asker_for: Callable[[], Asker | None],
    progress: Progress,
) -> Iterator[tuple[Path, DocumentResult]]:
    """Each file's result, the progress bar counting pages: a document's pages when it is
    done, its scanned pages one by one as OCR reads them."""
    from extractor.pipeline import extract_document
    from jixiao.summary_table import PageCountingOcr, page_count
    from jixiao.taught import taught_labels

    taught = taught_labels(settings)
    counts = [page_count(f) for f in files]
    task = progress.add_task("pages", total=sum(counts) or None)
    done = 0
    for f, n in zip(files, counts, strict=True):
        progress.update(task, description=f.name)
        seen = [0]

        def on_page(n: int = n, seen: list[int] = seen) -> None:
            if seen[0] < n:
                seen[0] += 1
                progress.advance(task)

        ocr = PageCountingOcr(settings, on_page) if settings.ocr else None
        try:
            result = extract_document(
                f,
                settings.extract_options(),
                mode=mode,
                asker=asker_for(),
                ocr=ocr,
                taught=taught,
            )
        except Exception as crash:  # one document's crash never loses the others' output
            result = _crashed(f, crash)
        done += n
        progress.update(task, completed=done)
        yield f, result


def _crashed(path: Path, e: Exception) -> DocumentResult:
    """A document whose extraction raised: failed, with one error saying why."""
    why = f"extraction failed: {type(e).__name__}: {e}"
    return DocumentResult.failed(str(path), ErrorCode.FAILED, why)


@app.command("eval")
def eval_cmd(
    golden_dir: Annotated[
        Path, typer.Argument(help="folder of NAME.pdf / NAME.scan.pdf with NAME.golden.json")
    ],
    variant: Annotated[Variant, typer.Option(help="which PDFs to run")] = Variant.digital,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="write the report as JSON here")
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="exit 1 when a bar is not met")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    mode: Annotated[Mode, typer.Option(help="extraction mode to evaluate")] = Mode.layout,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="run layout, llm and hybrid side by side; --check then fails when hybrid is "
            "worse than layout on any field group or any mode lets an ungrounded value through",
        ),
    ] = False,
    limit: Annotated[int, typer.Option(help="evaluate only the first N PDFs (0 = all)")] = 0,
    modes_opt: Annotated[
        str, typer.Option("--modes", help="with --compare: the modes, comma-separated")
    ] = "layout,llm,hybrid",
) -> None:
    """Field accuracy, record detection and anomaly recall against golden answer keys."""
    from jixiao.cli_eval import run_eval

    modes = [Mode(m.strip()) for m in modes_opt.split(",") if m.strip()] if compare else [mode]
    model_mode = next((m for m in modes if m is not Mode.layout), Mode.layout)
    run_eval(
        golden_dir,
        variant.value,
        list(modes),
        lambda settings: _model(settings, model_mode),
        compare=compare,
        limit=limit,
        quiet=quiet,
        json_out=json_out,
        check=check,
    )


@contextlib.contextmanager
def _model(settings: Settings, mode: Mode) -> Iterator[Callable[[], Asker | None]]:
    """For llm/hybrid: the endpoint (started if embedded) and a fresh asker per document
    (each document gets its own ledger; answers are shared through the cache)."""
    if mode is Mode.layout:
        yield lambda: None
        return
    from jixiao.model_client import build_asker, build_client, served

    with served(settings) as ep:
        client = build_client(settings, base_url=ep.url)
        yield lambda: build_asker(settings, client, endpoint=ep)


from jixiao.cli_labels import labels_cmd  # noqa: E402
from jixiao.cli_model import model_app  # noqa: E402

app.command("labels")(labels_cmd)
app.add_typer(model_app, name="model")


review_app = typer.Typer(
    help="The review screen (Streamlit): clerks check, correct and approve records."
)
app.add_typer(review_app, name="review")


@review_app.callback(invoke_without_command=True)
def review(
    ctx: typer.Context,
    db: Annotated[
        str | None, typer.Option("--db", help="store URL (default JIXIAO_DB_URL)")
    ] = None,
    port: Annotated[int, typer.Option(help="port of the app")] = 8501,
    address: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
) -> None:
    """Start the review app on a store (SQLite by default; a postgresql+psycopg:// URL works)."""
    if ctx.invoked_subcommand is not None:
        return
    import signal
    import subprocess

    from jixiao.review_launch import app_env, review_settings, streamlit_argv
    from jixiao.reviewers import load_reviewers
    from jixiao.store import open_store

    settings = review_settings(load_settings(**({"db_url": db} if db else {})))
    open_store(settings.db_url).close()  # migrations applied; a bad URL fails here, clearly
    if not load_reviewers(settings.reviewers_file):
        _say(
            f"no reviewers in {settings.reviewers_file}: add one with "
            "`jixiao review add-reviewer NAME` (file: JIXIAO_REVIEWERS_FILE)",
            style="yellow",
        )
    _say(f"review app on http://{address}:{port} (store {mask_url(settings.db_url)}; Ctrl-C stops)")
    proc = subprocess.Popen(streamlit_argv(port, address), env=app_env(settings.db_url))
    # Stopping jixiao (Ctrl-C or SIGTERM) stops the app too.
    previous = signal.signal(signal.SIGTERM, lambda *_: proc.terminate())
    try:
        raise typer.Exit(code=proc.wait())
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait(timeout=10)
    finally:
        signal.signal(signal.SIGTERM, previous)


@review_app.command("add-reviewer")
def add_reviewer_cmd(
    name: Annotated[str, typer.Argument(help="the reviewer's login name")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """Add a reviewer (or set a new password): the password is prompted for and only its
    salted scrypt hash is written to JIXIAO_REVIEWERS_FILE."""
    from jixiao.review_launch import review_settings
    from jixiao.reviewers import add_reviewer

    settings = review_settings(load_settings())
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    add_reviewer(settings.reviewers_file, name, password)
    _say(f"reviewer {name} saved in {settings.reviewers_file}")


@review_app.command("export-golden")
def export_golden_cmd(
    out_dir: Annotated[Path, typer.Argument(help="folder for NAME.golden.json and NAME.pdf")],
    db: Annotated[
        str | None, typer.Option("--db", help="store URL (default JIXIAO_DB_URL)")
    ] = None,
) -> None:
    """Write approved documents as golden answer keys (for `jixiao eval OUT_DIR`)."""
    from jixiao.golden_export import approved_records, golden_export, write_golden
    from jixiao.store import open_store

    settings = load_settings(**({"db_url": db} if db else {}))
    with open_store(settings.db_url) as store, store.session() as s:
        approved, counts = approved_records(s)
    export = golden_export(approved, counts)
    for path in write_golden(export, out_dir):
        _say(f"wrote {path}")
    for pdf, why in export.skipped.items():
        _say(f"skipped {pdf}: {why}", style="yellow")
    if not export.files:
        _say("no document has all its records approved: nothing written", style="yellow")


@app.command()
def batch(
    archive: Annotated[Path, typer.Argument(help="folder of PDFs and zip files (nested)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="RESULTS folder: log and exports")],
    db: Annotated[
        str | None, typer.Option("--db", help="store URL (default JIXIAO_DB_URL)")
    ] = None,
    workers: Annotated[int, typer.Option(help="processes on this machine", min=1)] = 1,
    mode: Annotated[Mode, typer.Option(help="extraction mode")] = Mode.layout,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address (tcp://host:8786): run on that cluster"),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--batch", help="ledger name of this batch (default: the archive's path)"),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Extract every PDF of an archive into the store: resumable (rerun after a crash
    finishes what is left), deduplicated by content, parallel, exported into RESULTS."""
    from jixiao.cli_batch import run_batch_cmd

    run_batch_cmd(archive, out, db, workers, mode, scheduler, name, quiet)


@app.command("export")
def export_cmd(
    out: Annotated[Path, typer.Option("--out", "-o", help="folder for the exports")],
    db: Annotated[
        str | None, typer.Option("--db", help="store URL (default JIXIAO_DB_URL)")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--batch", help="only this batch's documents (default: all)")
    ] = None,
    headers: Annotated[
        str,
        typer.Option(help="column titles of the CSV files and the workbook: keys or zh (中文)"),
    ] = "keys",
) -> None:
    """Export a store (records, indicators, findings as JSONL/CSV/Excel/Parquet, and a
    summary as Markdown and PNG), at any time."""
    from jixiao.exports import export_store
    from jixiao.store import open_store

    if headers not in ("keys", "zh"):
        raise typer.BadParameter("use keys or zh", param_hint="--headers")
    settings = load_settings(**({"db_url": db} if db else {}))
    with open_store(settings.db_url) as store:
        paths = export_store(store, out, batch=name, headers=headers)
    for p in paths.values():
        typer.echo(str(p))


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)


def main() -> None:
    try:
        app()
    except JixiaoError as e:
        _say(f"error: {e}", style="red")
        sys.exit(2)


if __name__ == "__main__":
    main()
