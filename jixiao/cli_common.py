"""What the command modules share: the stderr console, one-line messages, the progress bar."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from schemas.sanitise import mask_secrets, safe_text

err = Console(stderr=True, soft_wrap=True)


def say(text: str, style: str | None = None) -> None:
    """One line on stderr; file names and messages are never read as rich markup, and
    never show a password (URLs are masked) or text stderr cannot encode."""
    err.print(
        safe_text(mask_secrets(text)), style=style, markup=False, highlight=False, soft_wrap=True
    )


def progress_bar(quiet: bool) -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
        transient=True,
    )
