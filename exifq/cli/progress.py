"""Progress bars on stderr (shown only on a terminal): bytes uploaded, then items finished."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)


def stderr_console() -> Console:
    """Messages on stderr as written: no markup (file names may hold brackets), no colouring
    of numbers, no wrapping (a resume command stays one line to copy)."""
    return Console(stderr=True, markup=False, highlight=False, soft_wrap=True)


def upload_bar(console: Console) -> Progress:
    """Bytes of the request body sent so far."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
    )
    return Progress(*columns, console=console, disable=not console.is_terminal, transient=True)


def items_bar(console: Console) -> Progress:
    """Items done of the total, with how many of them completed and how many failed."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("[green]{task.fields[ok]} completed[/] [red]{task.fields[failed]} failed"),
        TimeElapsedColumn(),
    )
    # stdout is left alone: rich would send what is printed there to the bar's stderr, wrapped.
    return Progress(
        *columns, console=console, disable=not console.is_terminal, redirect_stdout=False
    )


def show_counts(progress: Progress, task: TaskID, body: dict) -> None:
    """Move the items bar to the counts of a batch or similarity job's status body."""
    completed, failed = int(body.get("completed") or 0), int(body.get("failed") or 0)
    total = body.get("total")
    progress.update(task, total=total, completed=completed + failed, ok=completed, failed=failed)


class UploadProgress:
    """Feeds the upload bar from a streamed body's ``on_progress`` calls (bytes sent so far)."""

    def __init__(self, bar: Progress, files: int) -> None:
        self.bar, self.files = bar, files
        self.task = bar.add_task(f"uploading {files} files", total=None)
        self.total: int | None = None

    def start(self, total: int) -> None:
        self.total = total
        self.bar.update(self.task, total=total)

    def __call__(self, sent: int) -> None:
        self.bar.update(self.task, completed=sent)
        if self.total is not None and sent >= self.total:
            waiting = f"sent {self.files} files; the server is storing them"
            self.bar.update(self.task, description=waiting)
