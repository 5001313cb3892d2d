"""The `tracker` entry point: `python -m tracker` and the installed `tracker` script.

`tracker observe` and `tracker mark`, typed many times a day, start on the quick path (see
`quick`); every other command line goes to the Typer app in `commands`.
"""

from __future__ import annotations

import sys

from tracker.interfaces.cli.quick import run_quickly


def run() -> None:
    if run_quickly(sys.argv[1:]):
        return
    # Imported here: Typer, Rich and every command's services are what the quick path skips.
    from tracker.interfaces.cli.commands import app

    app()
