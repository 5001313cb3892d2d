"""The database layer: migrations agree with the models, SQLite is configured for safety, and
time is stored as UTC."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import select

from tracker.errors import TrackerError
from tracker.storage.database import SCHEMA_REVISION, Database, open_database
from tracker.storage.fulltext import is_search_index
from tracker.storage.migrations.runner import head_revision
from tracker.storage.models import IndicatorSet, metadata


def test_migrations_create_exactly_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                # The full-text index is the engine's own (an FTS5 table, a tsvector column).
                "include_name": lambda name, kind, _parent: not is_search_index(name or ""),
            },
        )
        assert compare_metadata(context, metadata) == []


def test_schema_revision_constant_is_the_newest_migration() -> None:
    assert head_revision() == SCHEMA_REVISION


def test_opening_a_new_file_creates_and_migrates_it(db_path: Path) -> None:
    assert not db_path.exists()
    database = open_database(str(db_path))
    database.close()
    connection = sqlite3.connect(db_path)
    version = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    connection.close()
    assert version == (SCHEMA_REVISION,)


def test_sqlite_connections_enforce_foreign_keys_wal_and_wait_for_writers(db: Database) -> None:
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL


def test_write_transactions_take_the_write_lock_at_begin(db: Database, db_path: Path) -> None:
    other = sqlite3.connect(db_path, timeout=0)
    try:
        with db.writing() as session:
            session.exec(select(IndicatorSet.id)).all()
            # Even before this transaction writes anything, another writer must wait.
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()


def test_moments_come_back_as_the_same_utc_instant(db: Database) -> None:
    kyiv_evening = datetime(2025, 12, 19, 21, 15, tzinfo=timezone(timedelta(hours=2)))
    with db.writing() as session:
        session.add(
            IndicatorSet(
                slug="s", title="t", description="d", definition_file="f", loaded_at=kyiv_evening
            )
        )
    with db.reading() as session:
        loaded = session.exec(select(IndicatorSet)).one().loaded_at
    assert loaded == kyiv_evening
    assert loaded.tzinfo == UTC
    assert loaded.hour == 19


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"), db.writing() as session:
        session.add(
            IndicatorSet(
                slug="s",
                title="t",
                description="d",
                definition_file="f",
                loaded_at=datetime(2025, 12, 19, 12, 0),
            )
        )


def test_a_database_from_a_newer_tracker_is_refused_untouched(db_path: Path) -> None:
    open_database(str(db_path)).close()
    connection = sqlite3.connect(db_path)
    connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.commit()
    connection.close()
    before = db_path.read_bytes()

    with pytest.raises(TrackerError, match="newer version of tracker"):
        open_database(str(db_path))
    assert db_path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Minutes of the Miami meeting\n" * 200)
    before = notes.read_bytes()
    with pytest.raises(TrackerError, match="not a tracker database"):
        open_database(str(notes))
    assert notes.read_bytes() == before


def test_another_programs_database_is_refused_untouched(tmp_path: Path) -> None:
    other = tmp_path / "other-app.sqlite3"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE contacts (name TEXT)")
    connection.commit()
    connection.close()
    before = other.read_bytes()
    with pytest.raises(TrackerError, match=r"contacts.*not a tracker database"):
        open_database(str(other))
    assert other.read_bytes() == before


def test_a_missing_folder_is_refused_not_created(tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "desk.sqlite3"
    with pytest.raises(TrackerError, match="does not exist"):
        open_database(str(target))
    assert not target.parent.exists()


def test_default_database_lives_in_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRACKER_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    database = open_database(None)
    database.close()
    assert Path(database.describe()) == tmp_path / "data" / "tracker" / "tracker.sqlite3"
    assert Path(database.describe()).exists()


def test_tracker_db_environment_variable_chooses_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "from-env.sqlite3"))
    database = open_database(None)
    database.close()
    assert (tmp_path / "from-env.sqlite3").exists()


def test_a_sqlalchemy_url_is_accepted(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'by-url.sqlite3'}")
    database.close()
    assert (tmp_path / "by-url.sqlite3").exists()
