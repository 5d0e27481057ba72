"""Progress shown while a command works: a bar for work that can be counted (replications, runs, simulated
hours), a spinner for one long step (reading a scenario and its network). Both are drawn on standard error and
vanish when the work is done.

They are shown only to a person at a terminal: when standard output and standard error are both terminals
and the command was not asked for JSON. Output that is piped, redirected, captured by a test or read by a
program (`--json`: exactly one JSON object on stdout) is left exactly as it was without them."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

Tell = Callable[[float, float], None]
"""Told how far the work has come: the work done and the work in all (in one unit: runs, simulated hours)."""


def _is_terminal(stream: Any) -> bool:
    """A stream that is an open terminal (a closed or replaced stream is not)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def wanted(as_json: bool = False, streams: tuple[Any, ...] | None = None) -> bool:
    """Whether to show progress: never for JSON output, else only when every stream (by default standard output
    and standard error) is a terminal."""
    if as_json:
        return False
    return all(_is_terminal(s) for s in (streams if streams is not None else (sys.stdout, sys.stderr)))


def _stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def _ignore(done: float, total: float) -> None:
    """A Tell that shows nothing."""


@contextmanager
def bar(show: bool, description: str, total: float | None = None, console: Console | None = None) -> Iterator[Tell]:
    """A progress bar while the block runs, moved by the Tell it gives (work done, work in all); without
    `show`, a Tell that does nothing, so the work is written once for both. `total` None: the bar pulses until
    the first Tell."""
    if not show:
        yield _ignore
        return
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                  console=console or _stderr(), transient=True) as progress:
        task = progress.add_task(description, total=total)

        def tell(done: float, total: float) -> None:
            progress.update(task, completed=done, total=total)

        yield tell


@contextmanager
def status(show: bool, message: str, console: Console | None = None) -> Iterator[None]:
    """A spinner with a message while one long step runs; nothing without `show`."""
    if not show:
        yield
        return
    with (console or _stderr()).status(message):
        yield
