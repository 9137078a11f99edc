"""Progress reporting of long commands: a small protocol, a rich progress bar and a silent sink."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class ProgressSink(Protocol):
    def begin(self, total: int | None) -> None:
        """The amount of work is known (None: unknown, such as a follow for a duration)."""

    def advance(self, done: int) -> None: ...


class Silent:
    def begin(self, total: int | None) -> None:
        pass

    def advance(self, done: int) -> None:
        pass


class Bar:
    """A rich progress bar on stderr; a context manager."""

    def __init__(self, description: str, console: Console) -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.task: TaskID = self.progress.add_task(description, total=None)

    def __enter__(self) -> Bar:
        self.progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def begin(self, total: int | None) -> None:
        self.progress.update(self.task, total=total)

    def advance(self, done: int) -> None:
        self.progress.advance(self.task, done)
