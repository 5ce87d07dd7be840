"""A rich progress bar for long work, or nothing when output is not wanted."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress


class Progress:
    """Context manager; `advance(n)` moves the bar."""

    def __init__(self, *, total: int, label: str, enabled: bool) -> None:
        self._bar = (
            RichProgress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                         console=Console(stderr=True))
            if enabled and total
            else None
        )
        self._task = self._bar.add_task(label, total=total) if self._bar else None

    def __enter__(self) -> Progress:
        if self._bar:
            self._bar.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._bar:
            self._bar.stop()

    def advance(self, n: int) -> None:
        """Record n more items done."""
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, n)
