"""Copies and checks of a SQLite database file, done by SQLite itself.

A backup uses SQLite's online backup API on a live connection: it copies a consistent snapshot
even while other processes are writing (a file copy could catch a half-written page or miss the
write-ahead log). It is written beside its final name and renamed into place, so a backup that
exists is whole.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from tracker.errors import StorageFailure
from tracker.storage.database import Database, DatabaseError


def backup_sqlite(db: Database, target: Path) -> None:
    if not db.is_sqlite:
        raise DatabaseError(f"{db.describe()} is not a SQLite file; it has no SQLite backup")
    partial = target.with_name(f".{target.name}.part")
    try:
        source = db.engine.raw_connection()
        try:
            copy = sqlite3.connect(partial)
            try:
                source.driver_connection.backup(copy)  # type: ignore[union-attr]
            finally:
                copy.close()
        finally:
            source.close()
        if db.read_only and not _sound(partial):
            # Read without taking locks (see database._read_only_url): someone else wrote the
            # file meanwhile. The copy is thrown away rather than handed over torn.
            raise StorageFailure(
                f"{db.describe()} changed while it was being copied (another account is "
                "writing it); nothing was written; try again"
            )
        with open(partial, "rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
    except (OSError, sqlite3.Error, SQLAlchemyError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise StorageFailure(f"could not back up {db.describe()} to {target}: {reason}") from exc
    finally:
        partial.unlink(missing_ok=True)


def _sound(path: Path) -> bool:
    copy = sqlite3.connect(path)
    try:
        return copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    except sqlite3.DatabaseError:
        return False
    finally:
        copy.close()


def integrity_problems(db: Database) -> list[str]:
    """What SQLite's own checks find wrong: damaged pages or indexes, broken references.
    Empty when the database is sound."""
    if not db.is_sqlite:
        return []
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        found = [row[0] for row in cursor.execute("PRAGMA integrity_check").fetchall()]
        problems = [] if found == ["ok"] else found
        for table, rowid, parent, _ in cursor.execute("PRAGMA foreign_key_check").fetchall():
            problems.append(f"row {rowid} of {table} refers to a missing {parent}")
        return problems
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        connection.close()
