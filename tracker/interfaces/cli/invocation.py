"""What every command shares: the database the user chose, and how failures end the process.

Exit status: 0 done; 2 bad input (nothing written); 1 the database failed underneath us;
3 `tracker mark --supersedes`: a colleague marked the indicator since the assessment named.

No Typer here: `observe` and `mark` run through this without loading the full command line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tracker.errors import StorageFailure, TrackerError
from tracker.interfaces.cli import output
from tracker.services.clock import Clock
from tracker.services.seeding import open_desk_database

if TYPE_CHECKING:
    from tracker.storage.database import Database

BAD_INPUT = 2
DATABASE_FAILURE = 1
MARKED_MEANWHILE = 3


class Invocation:
    """The database the user chose (`--db`), opened on first need, and the clock."""

    def __init__(self, db_value: str | None, clock: Clock | None = None) -> None:
        self.db_value = db_value
        self.clock = clock or Clock()
        self._database: Database | None = None

    def database(self, *, seed_if_new: bool = True, must_exist: bool = False) -> Database:
        if self._database is None:
            self._database, report = open_desk_database(
                self.db_value, self.clock, seed_if_new=seed_if_new, must_exist=must_exist
            )
            if report is not None:
                # Only a new database's first command gets here; it alone pays for Rich.
                from tracker.interfaces.cli.render import seed_summary

                output.say("New database: " + seed_summary(report, self._database.describe()))
        return self._database

    def close(self) -> None:
        if self._database is not None:
            self._database.close()


@contextmanager
def reporting_errors() -> Iterator[None]:
    """Bad input: one clear line and exit status 2. A failing database: exit status 1. Never a
    traceback, and in both cases nothing of the command was recorded."""
    try:
        yield
    except StorageFailure as exc:
        output.error(str(exc))
        raise SystemExit(DATABASE_FAILURE) from None
    except TrackerError as exc:
        output.error(str(exc))
        raise SystemExit(BAD_INPUT) from None
