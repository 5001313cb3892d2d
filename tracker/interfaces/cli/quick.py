"""The quick path for the daily logging: `tracker observe` and `tracker mark` without Typer.

An analyst logs many observations a day, and each `tracker observe` is a new process; loading
Typer, Click and Rich (and the modules of every other command) costs about a third of one. So
`run_quickly` parses a plain, complete `observe` or `mark` itself and runs the same code as the
Typer command (`recording`). Anything else — `--help`, any other command, a missing argument,
an unknown or repeated option, `--`, an argument starting with `-`, shell completion — is left
to Typer, which then handles it exactly as it always has: every message about what was typed
comes from Typer alone. What is accepted here is parsed as Click parses it.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO, cast

from tracker.interfaces.cli import recording
from tracker.interfaces.cli.invocation import Invocation

# The options of `observe` and `mark` in commands.py, each with the parameter it sets. An option
# added there and not here only sends the command lines that use it to Typer; one renamed or
# removed there must go here too.
_OBSERVE_VALUES = {
    "--text": "text",
    "--date": "on",
    "--quote": "quote",
    "--source": "source",
    "--publisher": "publisher",
    "--url": "url",
    "--reliability": "reliability",
    "--credibility": "credibility",
    "--bearing": "bearing",
    "--note": "note",
    "--author": "author",
    "--set": "set_slug",
}
_MARK_VALUES = {
    "--why": "why",
    "--direction": "direction",
    "--confidence": "confidence",
    "--date": "on",
    "--author": "author",
    "--set": "set_slug",
    "--supersedes": "supersedes",
}
_MARK_REPEATED = {"--evidence": "evidence"}
_MARK_FLAGS = {"--force": "force"}

# Typer's exit status when interrupted (Ctrl-C).
_INTERRUPTED = 130


def _parse(
    args: list[str], values: dict[str, str], repeated: dict[str, str], flags: dict[str, str]
) -> tuple[list[str], dict[str, Any]] | None:
    """The positional arguments and the options given (by parameter name), with options
    anywhere among the arguments, `--name value` or `--name=value`, as Click reads them; None
    for anything this does not handle."""
    positional: list[str] = []
    given: dict[str, Any] = {}
    position = 0
    while position < len(args):
        arg = args[position]
        position += 1
        if not arg.startswith("-"):
            positional.append(arg)
            continue
        name, equals, attached = arg.partition("=")
        if name in flags and not equals and flags[name] not in given:
            given[flags[name]] = True
            continue
        if name not in values and name not in repeated:
            return None
        if equals:
            value = attached
        elif position < len(args):
            # Click takes the next argument as the value, whatever it looks like.
            value = args[position]
            position += 1
        else:
            return None
        if name in repeated:
            given.setdefault(repeated[name], []).append(value)
        elif values[name] in given:
            return None  # given twice: Typer says what it makes of that
        else:
            given[values[name]] = value
    return positional, given


def _observe(args: list[str]) -> Callable[[Invocation], None] | None:
    parsed = _parse(args, _OBSERVE_VALUES, {}, {})
    if parsed is None:
        return None
    keys, given = parsed
    if not keys or "text" not in given:
        return None
    return lambda invocation: recording.observe(invocation, keys, **given)


def _mark(args: list[str]) -> Callable[[Invocation], None] | None:
    parsed = _parse(args, _MARK_VALUES, _MARK_REPEATED, _MARK_FLAGS)
    if parsed is None:
        return None
    positional, given = parsed
    if len(positional) != 2 or "why" not in given:
        return None
    return lambda invocation: recording.mark(invocation, *positional, **given)


_COMMANDS = {"observe": _observe, "mark": _mark}


def run_quickly(args: list[str]) -> bool:
    """Run `tracker ARGS` here if it is a plain observe or mark; False: Typer's to run."""
    if any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ):
        return False  # a shell asking Typer to complete a command line
    db_value: str | None = None
    position = 0
    # Before the command only --db (Click stops the group's options at the command's name).
    while position < len(args) and args[position].startswith("-"):
        name, equals, attached = args[position].partition("=")
        if name != "--db" or db_value is not None:
            return False
        if equals:
            db_value, position = attached, position + 1
        elif position + 1 < len(args):
            db_value, position = args[position + 1], position + 2
        else:
            return False
    if position >= len(args) or args[position] not in _COMMANDS:
        return False
    command = _COMMANDS[args[position]](args[position + 1 :])
    if command is None:
        return False
    _run(command, Invocation(db_value=db_value))
    return True


def _run(command: Callable[[Invocation], None], invocation: Invocation) -> None:
    """Run the command, ending as a Typer command would on an interruption or a closed pipe."""
    try:
        try:
            command(invocation)
        finally:
            invocation.close()
    except KeyboardInterrupt:
        sys.exit(_INTERRUPTED)
    except EOFError:
        sys.stderr.write("\nAborted!\n")
        sys.stderr.flush()
        sys.exit(1)
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            raise
        # The reader went away (`tracker observe ... | head -c0`): exit 1, without Python's
        # complaint about the unflushed pipe at shutdown.
        sys.stdout = cast(TextIO, _QuietOnBrokenPipe(sys.stdout))
        sys.stderr = cast(TextIO, _QuietOnBrokenPipe(sys.stderr))
        sys.exit(1)


class _QuietOnBrokenPipe:
    """A stream whose flush ignores a closed pipe (what Click does in the same case)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
