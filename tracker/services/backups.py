"""`tracker backup` and `tracker check`: a consistent copy of the desk's SQLite file, and
SQLite's own integrity check of it."""

from __future__ import annotations

from pathlib import Path

from tracker.services import inputs
from tracker.services.clock import Clock
from tracker.storage.database import Database
from tracker.storage.maintenance import backup_sqlite, integrity_problems


def back_up(db: Database, clock: Clock, target: Path | None = None) -> Path:
    """Copy the database to `target`, or beside it as NAME-backup-YYYYMMDD-HHMMSS.sqlite3.
    Never replaces a file that is there."""
    if not db.is_sqlite:
        raise inputs.InputError(
            f"{db.describe()} is not a SQLite file; back up a PostgreSQL database with its own "
            "tools (pg_dump)"
        )
    if target is None:
        source = Path(db.describe())
        stamp = clock.now().astimezone().strftime("%Y%m%d-%H%M%S")
        target = source.with_name(f"{source.stem}-backup-{stamp}{source.suffix or '.sqlite3'}")
    target = target.expanduser()
    if target.is_dir():
        raise inputs.InputError(f"{target} is a folder; give a file name for the backup")
    if target.exists():
        raise inputs.InputError(f"{target} already exists; a backup never replaces a file")
    if not target.parent.is_dir():
        raise inputs.InputError(f"the folder {target.parent} does not exist")
    backup_sqlite(db, target)
    return target


def check_database(db: Database) -> list[str]:
    if not db.is_sqlite:
        raise inputs.InputError(
            f"{db.describe()} is not a SQLite file; check a PostgreSQL database with its own "
            "tools (amcheck, pg_dump)"
        )
    return integrity_problems(db)
