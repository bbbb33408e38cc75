"""``jixiao labels``: unknown labels, label proposals from corrections, teaching them."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from jixiao.settings import load_settings


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return "unknown"


def labels_cmd(
    files: Annotated[
        list[Path] | None, typer.Argument(help="PDFs to read (none: every record of the store)")
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="store URL (default JIXIAO_DB_URL)")
    ] = None,
    proposals: Annotated[
        bool,
        typer.Option(
            "--proposals",
            help="list labels proposed by reviewers' corrections (numbered, with counts)",
        ),
    ] = False,
    accept: Annotated[
        list[str] | None,
        typer.Option(
            "--accept",
            help="teach a label: TEXT=category.field, or a number of --proposals (repeatable)",
        ),
    ] = None,
    accept_all_min: Annotated[
        int | None,
        typer.Option("--accept-all-min", help="teach every proposal with at least N corrections"),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", help="who accepts (default: the login name)")
    ] = None,
) -> None:
    """The printed labels the label catalogue does not know, with how many records print
    them; with --proposals, the labels reviewers' corrections propose as synonyms; with
    --accept, teach labels to the catalogue (JIXIAO_CATALOGUE_FILE, versioned)."""
    from jixiao.labels import format_counts, labels_of_pdfs, labels_of_store, proposals_of_store
    from jixiao.proposals import format_proposals
    from jixiao.taught import taught_labels

    settings = load_settings(**({"db_url": db} if db else {}))
    if not (proposals or accept or accept_all_min is not None):
        counts = labels_of_pdfs(files, settings) if files else labels_of_store(settings.db_url)
        typer.echo(format_counts(counts))
        return
    if files:
        raise typer.BadParameter("proposals come from the store's corrections: give no PDF")
    found = proposals_of_store(settings.db_url, taught_labels(settings))
    if proposals:
        typer.echo(format_proposals(found))
    if accept or accept_all_min is not None:
        from jixiao.taught import accept_specs

        lines = accept_specs(settings, found, accept or [], accept_all_min, by or _user())
        for line in lines:
            typer.echo(line)
