"""Printing for people: tables and text that show analysts' words exactly as they wrote them.

The consoles never interpret markup or emoji codes, so text such as `[bold red]` or `:fire:`
pasted from the web prints literally.

Rich is imported on first need, not with this module: `observe` and `mark` print one plain line
each, and loading Rich would be a tenth of their start-up.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console


@cache
def _stdout() -> Console:
    from rich.console import Console

    return Console(markup=False, emoji=False, highlight=False, soft_wrap=False)


@cache
def _stderr() -> Console:
    from rich.console import Console

    return Console(file=sys.stderr, markup=False, emoji=False, highlight=False, soft_wrap=True)


def show(renderable: Any) -> None:
    """A table or view for the person at the terminal, on stdout."""
    _stdout().print(renderable)


def data(text: str) -> None:
    """Output for scripts (JSON, ids): written as is, never wrapped to the terminal's width."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def say(message: str) -> None:
    """A line for the person at the terminal, kept off stdout so scripts can read the result."""
    if message.isprintable():
        # What the console would write for it: no style, no wrapping (soft_wrap), and nothing
        # it strips or expands (control characters, tabs), so Rich need not be loaded.
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
    else:
        _stderr().print(message)


def error(message: str) -> None:
    _stderr().print(f"tracker: error: {message}", style="bold red")


@contextmanager
def progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A bar on the terminal for long work, told (what, done, total); nothing when piped."""
    if not sys.stderr.isatty():
        yield lambda _what, _done, _total: None
        return
    from rich.progress import Progress

    with Progress(console=_stderr(), transient=True) as bar:
        tasks: dict[str, Any] = {}

        def advance(what: str, done: int, total: int) -> None:
            if what not in tasks:
                tasks[what] = bar.add_task(what.capitalize(), total=total)
            bar.update(tasks[what], completed=done, total=total)

        yield advance


def plain(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)
