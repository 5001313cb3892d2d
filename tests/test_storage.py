"""The database layer: migrations agree with the models, each engine is configured for safety,
writers take turns, and time is stored as UTC. Every test runs on both engines except those
about SQLite files themselves."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from psycopg import sql
from sqlalchemy import Index, text
from sqlmodel import select

from tests.conftest import DbTarget, database_contents
from tracker.errors import TrackerError
from tracker.storage.database import SCHEMA_REVISION, Database, open_database
from tracker.storage.fulltext import is_search_index
from tracker.storage.migrations.runner import head_revision
from tracker.storage.models import IndicatorSet, metadata


def _not_search_index(obj: Any, name: str | None, kind: str, _reflected: bool, _to: Any) -> bool:
    """Leave out the full-text index, which is the engine's own (an FTS5 table on SQLite; a
    tsvector column and its GIN index on PostgreSQL)."""
    if kind == "index" and isinstance(obj, Index):
        return not any(is_search_index(column.name) for column in obj.columns)
    return not is_search_index(name or "")


def test_migrations_create_exactly_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, _kind, _parent: not is_search_index(name or ""),
                "include_object": _not_search_index,
            },
        )
        assert compare_metadata(context, metadata) == []


def test_schema_revision_constant_is_the_newest_migration() -> None:
    assert head_revision() == SCHEMA_REVISION


def test_opening_a_new_database_creates_and_migrates_it(db_target: DbTarget) -> None:
    if db_target.path is not None:
        assert not db_target.path.exists()
    database = db_target.open()
    database.close()
    if db_target.path is not None:
        assert db_target.path.exists()
    assert database_contents(db_target)["alembic_version"] == [(SCHEMA_REVISION,)]


@pytest.mark.sqlite_only("SQLite's own settings (PRAGMAs) on each connection")
def test_sqlite_connections_enforce_foreign_keys_wal_and_wait_for_writers(db: Database) -> None:
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL


def test_foreign_keys_are_enforced(db: Database, db_target: DbTarget) -> None:
    before = database_contents(db_target)
    with pytest.raises(TrackerError, match=r"(?i)foreign key"), db.writing() as session:
        session.execute(
            text(
                "INSERT INTO theme (set_id, key, title, position) "
                "VALUES (4242, 'orphan', 'Orphan', 1)"
            )
        )
    assert database_contents(db_target) == before


@pytest.mark.sqlite_only("BEGIN IMMEDIATE: SQLite's own write lock, seen from a raw connection")
def test_write_transactions_take_the_write_lock_at_begin(db: Database, db_target: DbTarget) -> None:
    assert db_target.path is not None
    other = sqlite3.connect(db_target.path, timeout=0)
    try:
        with db.writing() as session:
            session.exec(select(IndicatorSet.id)).all()
            # Even before this transaction writes anything, another writer must wait.
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
    finally:
        other.close()


def test_a_second_writer_waits_until_the_first_commits(db: Database, db_target: DbTarget) -> None:
    """Writers take turns from the start of their transaction, on both engines (on
    PostgreSQL by an advisory lock): a check made inside a write holds until its commit."""
    other = db_target.open()
    entered = threading.Event()
    failures: list[BaseException] = []

    def second_writer() -> None:
        try:
            with other.writing() as session:
                session.exec(select(IndicatorSet.id)).all()
                entered.set()
        except BaseException as exc:  # reported by the test thread
            failures.append(exc)
            entered.set()

    try:
        with db.writing() as session:
            # Before this transaction writes anything, the other writer must already wait.
            session.exec(select(IndicatorSet.id)).all()
            thread = threading.Thread(target=second_writer)
            thread.start()
            assert not entered.wait(timeout=1.5), failures
        # Once the first commits, the second goes on.
        assert entered.wait(timeout=30)
        thread.join(timeout=30)
        assert failures == []
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


def _untouched_form(target: DbTarget) -> object:
    """What 'untouched' compares: the file's bytes, or every row on the server read around
    tracker (which would refuse to open the database)."""
    if target.path is not None:
        return target.path.read_bytes()
    assert target.server is not None and target.name is not None
    with target.server.connect(target.name) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' ORDER BY table_name"
            )
        ]
        return {
            name: sorted(
                connection.execute(
                    sql.SQL("SELECT * FROM {}").format(sql.Identifier(name))
                ).fetchall(),
                key=repr,
            )
            for name in tables
        }


def _execute_around_tracker(target: DbTarget, statement: str) -> None:
    if target.path is not None:
        connection = sqlite3.connect(target.path)
        try:
            connection.execute(statement)
            connection.commit()
        finally:
            connection.close()
        return
    assert target.server is not None and target.name is not None
    with target.server.connect(target.name) as connection:
        connection.execute(statement)  # type: ignore[arg-type]


def test_a_database_from_a_newer_tracker_is_refused_untouched(db_target: DbTarget) -> None:
    db_target.open().close()
    _execute_around_tracker(db_target, "UPDATE alembic_version SET version_num = '9999'")
    before = _untouched_form(db_target)

    with pytest.raises(TrackerError, match="newer version of tracker"):
        db_target.open()
    assert _untouched_form(db_target) == before


@pytest.mark.sqlite_only("a file that is not a SQLite database at all")
def test_a_file_that_is_not_a_database_is_refused_untouched(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Minutes of the Miami meeting\n" * 200)
    before = notes.read_bytes()
    with pytest.raises(TrackerError, match="not a tracker database"):
        open_database(str(notes))
    assert notes.read_bytes() == before


def test_another_programs_database_is_refused_untouched(db_target: DbTarget) -> None:
    _execute_around_tracker(db_target, "CREATE TABLE contacts (name TEXT)")
    before = _untouched_form(db_target)
    with pytest.raises(TrackerError, match=r"contacts.*not a tracker database"):
        db_target.open()
    assert _untouched_form(db_target) == before


@pytest.mark.sqlite_only("a file path whose folder is missing")
def test_a_missing_folder_is_refused_not_created(tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "desk.sqlite3"
    with pytest.raises(TrackerError, match="does not exist"):
        open_database(str(target))
    assert not target.parent.exists()


@pytest.mark.sqlite_only("the default database is a SQLite file in the user's data folder")
def test_default_database_lives_in_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRACKER_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    database = open_database(None)
    database.close()
    assert Path(database.describe()) == tmp_path / "data" / "tracker" / "tracker.sqlite3"
    assert Path(database.describe()).exists()


@pytest.mark.sqlite_only("TRACKER_DB naming a file that does not exist yet creates it")
def test_tracker_db_environment_variable_chooses_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "from-env.sqlite3"))
    database = open_database(None)
    database.close()
    assert (tmp_path / "from-env.sqlite3").exists()


def test_tracker_db_environment_variable_chooses_the_database(
    db_target: DbTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_DB", str(db_target))
    database = open_database(None)
    try:
        assert database.engine.dialect.name == db_target.engine
        with database.writing() as session:
            session.add(
                IndicatorSet(
                    slug="via-env",
                    title="t",
                    description="d",
                    definition_file="f",
                    loaded_at=datetime(2025, 12, 22, tzinfo=UTC),
                )
            )
    finally:
        database.close()
    assert [row[1] for row in database_contents(db_target)["indicator_set"]] == ["via-env"]


@pytest.mark.sqlite_only("a sqlite:/// URL names a file")
def test_a_sqlalchemy_url_is_accepted(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'by-url.sqlite3'}")
    database.close()
    assert (tmp_path / "by-url.sqlite3").exists()
