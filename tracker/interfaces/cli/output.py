"""Printing for people: tables and text that show analysts' words exactly as they wrote them.

The consoles never interpret markup or emoji codes, so text such as `[bold red]` or `:fire:`
pasted from the web prints literally.
"""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console

stdout = Console(markup=False, emoji=False, highlight=False, soft_wrap=False)
stderr = Console(file=sys.stderr, markup=False, emoji=False, highlight=False, soft_wrap=True)


def data(text: str) -> None:
    """Output for scripts (JSON, ids): written as is, never wrapped to the terminal's width."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def say(message: str) -> None:
    """A line for the person at the terminal, kept off stdout so scripts can read the result."""
    stderr.print(message)


def error(message: str) -> None:
    stderr.print(f"tracker: error: {message}", style="bold red")


def plain(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)
