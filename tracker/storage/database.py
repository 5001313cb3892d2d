"""Choosing, opening and migrating the database, and handing out sessions.

One `Database` per process (or per app), made by `open_database`. Services open a session per
unit of work from it: `db.reading()` for queries, `db.writing()` for one write transaction.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlmodel import Session

from tracker.errors import StorageFailure, TrackerError

DATABASE_ENV = "TRACKER_DB"
APP_NAME = "tracker"
DEFAULT_FILE_NAME = "tracker.sqlite3"

# The newest migration this code knows. A test checks it against the migrations folder; keeping
# it here lets an up-to-date database open without importing Alembic at all.
SCHEMA_REVISION = "0005"

# Milliseconds a writer waits for another writer before giving up.
BUSY_TIMEOUT_MS = 15_000

# Seconds to wait for a PostgreSQL server to answer before saying it cannot be reached.
CONNECT_TIMEOUT_S = 10

# The key of the PostgreSQL advisory lock every write transaction takes first: writers queue
# one at a time, as they do on SQLite, so a check made inside a write ("is this still the
# latest assessment?") holds until the commit on both engines.
WRITE_LOCK_KEY = 0x7472_6163_6B65_72  # "tracker"


class DatabaseError(TrackerError):
    """The database cannot be opened or used as asked."""


class DamagedDatabase(StorageFailure):
    """The file is a tracker database, but SQLite finds it damaged."""


class ServerUnreachable(StorageFailure):
    """The database server did not answer: down, restarting, or the network is. Trying again
    later may work, unlike a wrong password or database name (`DatabaseError`)."""


def default_database_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / DEFAULT_FILE_NAME


def resolve_database_url(value: str | None) -> tuple[URL, bool]:
    """Turn what the user gave (`--db`, `TRACKER_DB`, or nothing) into a SQLAlchemy URL.

    A value with "://" is taken as a URL; anything else is a path to a SQLite file. Returns the
    URL and whether it is the default location (whose folder we may create).
    """
    value = (value or "").strip() or os.environ.get(DATABASE_ENV, "").strip()
    if not value:
        return _sqlite_url(default_database_path()), True
    if "://" in value:
        try:
            url = make_url(value)
        except (ArgumentError, ValueError) as exc:
            raise DatabaseError(
                f"'{_without_password(value)}' is not a database URL or a file path"
            ) from exc
        return _with_our_driver(url), False
    return _sqlite_url(Path(value).expanduser()), False


def _with_our_driver(url: URL) -> URL:
    """`postgresql://` and `postgres://` (as psql writes them) mean psycopg 3, the driver
    tracker ships with; SQLAlchemy would otherwise look for psycopg2."""
    if url.drivername in {"postgresql", "postgres"}:
        return url.set(drivername="postgresql+psycopg")
    return url


def _without_password(value: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", value)


def _sqlite_url(path: Path) -> URL:
    return URL.create("sqlite+pysqlite", database=str(path.absolute()))


@dataclass(frozen=True)
class Database:
    engine: Engine
    # The same pool, but transactions begin by taking the write lock (see _use_explicit_begin).
    _writer: Engine

    @property
    def url(self) -> URL:
        return self.engine.url

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @property
    def read_only(self) -> bool:
        """Opened read-only: this user may not write the file or its folder."""
        return self.url.query.get("mode") == "ro"

    def describe(self) -> str:
        """Where the data is, for messages: the file path, or the URL without its password."""
        if self.is_sqlite:
            path = self.url.database or ""
            if path.startswith("file:"):  # opened read-only, as a URI
                path = unquote(path.removeprefix("file:"))
            return path or "an in-memory database"
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def reading(self) -> Iterator[Session]:
        try:
            with Session(self.engine, expire_on_commit=False) as session:
                yield session
        except SQLAlchemyError as exc:
            raise StorageFailure(_explain(exc, f"could not read {self.describe()}")) from exc

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        try:
            with Session(self._writer, expire_on_commit=False) as session, session.begin():
                yield session
        except SQLAlchemyError as exc:
            message = _explain(exc, f"could not write to {self.describe()}")
            raise StorageFailure(f"{message}; nothing was recorded") from exc

    def close(self) -> None:
        self.engine.dispose()


def open_database(value: str | None = None, *, must_exist: bool = False) -> Database:
    """Open (creating if needed) the database the user chose, migrated to the current schema.

    A SQLite file this user cannot write (or in a folder they cannot write) is opened read-only:
    it can be read, a write is refused, and nothing is left beside it."""
    url, is_default = resolve_database_url(value)
    read_only = False
    if url.get_backend_name() == "sqlite":
        _check_sqlite_location(url, create_folder=is_default and not must_exist)
        if must_exist and not Path(str(url.database)).exists():
            raise DatabaseError(f"there is no database at {url.database}")
        read_only = _cannot_write(Path(str(url.database)))
        if read_only:
            url = _read_only_url(url)
    backend = url.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise DatabaseError(
            f"cannot use database '{url.render_as_string()}': tracker works with SQLite files "
            "and PostgreSQL (postgresql://user:password@host/database)"
        )
    try:
        engine = create_engine(url, **_engine_options(url))
    except (ArgumentError, ImportError) as exc:
        raise DatabaseError(f"cannot use database '{url.render_as_string()}': {exc}") from exc
    if backend == "sqlite":
        _configure_sqlite(engine)
        writer = engine.execution_options(write=True)
    else:
        event.listen(engine, "begin", _take_postgresql_write_lock)
        # Writers see every commit made before they got the lock; readers see one snapshot.
        writer = engine.execution_options(write=True, isolation_level="READ COMMITTED")
    database = Database(engine=engine, _writer=writer)
    try:
        upgrade_schema(database)
        if database.is_sqlite and not read_only:
            _use_write_ahead_log(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        message = _explain(exc, f"cannot open database {database.describe()}")
        if _is_damage(exc):
            raise DamagedDatabase(message) from exc
        if _is_unreachable(exc):
            raise ServerUnreachable(message) from exc
        raise DatabaseError(message) from exc
    except BaseException:
        engine.dispose()
        raise
    return database


def _engine_options(url: URL) -> dict[str, Any]:
    if url.get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000}}
    connect_args: dict[str, Any] = {"application_name": APP_NAME}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    return {
        "connect_args": connect_args,
        # A shared server restarts; a pooled connection it dropped is replaced, not reported.
        "pool_pre_ping": True,
        # A screen's read sees one moment of the record, as a SQLite read transaction does.
        "isolation_level": "REPEATABLE READ",
    }


def _cannot_write(path: Path) -> bool:
    """An existing file that this user may read but not change, or whose folder they may not
    change (SQLite's write-ahead log keeps its -wal and -shm files beside the database)."""
    if not path.exists():
        return False
    return not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK)


def _read_only_url(url: URL) -> URL:
    """Open the file for reading only. With a write-ahead log beside it (someone else is
    writing it, or left it so), SQLite reads the log too. Without one, the file is read as it
    is ("immutable"): SQLite would otherwise try to create -wal and -shm files it cannot
    remove, and the file would stay unwritable even once it was made writable."""
    path = Path(str(url.database)).absolute()
    query = {"mode": "ro", "uri": "true"}
    if not Path(f"{path}-wal").exists():
        query["immutable"] = "1"
    # A URI: '?', '#' and '%' in the path must not read as its query, fragment or escapes.
    return url.set(database=f"file:{quote(str(path))}", query=query)


def _check_sqlite_location(url: URL, *, create_folder: bool) -> None:
    path = Path(str(url.database))
    if create_folder:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.parent.is_dir():
        raise DatabaseError(f"cannot open database {path}: the folder {path.parent} does not exist")
    if path.is_dir():
        raise DatabaseError(f"cannot open database {path}: it is a folder, not a file")


def _configure_sqlite(engine: Engine) -> None:
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", _use_explicit_begin)


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    # Leave transaction control to SQLAlchemy's "begin" event below: pysqlite's own implicit
    # BEGIN is deferred and would let two writers deadlock into SQLITE_BUSY.
    dbapi_connection.isolation_level = None
    # SQLite's own lower() knows only ASCII; searching "Маямі" must find "МАЯМІ" as PostgreSQL's
    # does, so the same query means the same on both engines.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        # FULL: a write acknowledged to the user survives power loss, not just a crash.
        cursor.execute("PRAGMA synchronous = FULL")
        # 32 MiB of pages per connection instead of 2: a search or a page of the log on a
        # large record reads pages scattered through the file, and re-reading them from the
        # operating system was most of a first search's time (measured at 1M observations).
        cursor.execute("PRAGMA cache_size = -32768")
    finally:
        cursor.close()


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _use_write_ahead_log(engine: Engine) -> None:
    """Readers never block the writer, and the writer never blocks readers.

    The mode is stored in the file, so it is set once, after the file is known to be ours: a
    foreign or newer database is refused without a byte of it changed.
    """
    # Outside any transaction (SQLite refuses the change inside one), so not via connect().
    connection = engine.raw_connection()
    try:
        connection.cursor().execute("PRAGMA journal_mode = WAL")
    finally:
        connection.close()


def _use_explicit_begin(connection: Any) -> None:
    if connection.get_execution_options().get("write"):
        # Take the write lock up front, so a second writer waits (busy_timeout) instead of
        # failing half-way through its transaction.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


def _take_postgresql_write_lock(connection: Any) -> None:
    if connection.get_execution_options().get("write"):
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {BUSY_TIMEOUT_MS}")
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


def upgrade_schema(database: Database) -> None:
    """Create or upgrade the schema to SCHEMA_REVISION.

    Refuses a database from a newer tracker, and one that holds some other program's tables.
    """
    with database.engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        current = (
            connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            if "alembic_version" in tables
            else None
        )
    if current == SCHEMA_REVISION:
        return
    if current is None and tables:
        listed = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise DatabaseError(
            f"{database.describe()} already holds other data (tables: {listed}) and is not a "
            "tracker database; choose a new file or an empty database. Nothing was changed."
        )
    if current is None and database.is_postgresql:
        _check_postgresql_text_handling(database)
    from tracker.storage.migrations.runner import upgrade_to_head

    upgrade_to_head(database._writer)


def _check_postgresql_text_handling(database: Database) -> None:
    """Analysts write in Ukrainian and Russian as well as English. A PostgreSQL database that
    is not UTF-8, or whose character type is "C", cannot hold that text or lower-cases only
    ASCII letters, so search would miss "МАЯМІ" when asked for "маямі". Refused while the
    database is still empty."""
    with database.engine.connect() as connection:
        encoding, folds = connection.execute(
            text(
                "SELECT pg_encoding_to_char(encoding), lower('ÉCLAIR МАЯМІ') = 'éclair маямі'"
                " FROM pg_database WHERE datname = current_database()"
            )
        ).one()
    if encoding != "UTF8" or not folds:
        raise DatabaseError(
            f"{database.describe()} is not set up for text in every language (encoding "
            f"{encoding}{'' if folds else ', character type C'}); create the database with "
            "--encoding UTF8 --locale C.UTF-8 (README: Setting up a desk). Nothing was changed."
        )


def _explain(exc: SQLAlchemyError, what_failed: str) -> str:
    cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    # The driver's own words, first line only: never the SQL statement or its parameters.
    reason = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    if "file is not a database" in reason or "file is encrypted" in reason:
        reason = "the file is not a tracker database (not SQLite, or damaged)"
    elif "readonly database" in reason:
        reason = "the database is read-only here (the file, or its folder, cannot be written)"
    elif _is_damage(exc):
        reason = (
            "the file reads as damaged (if another account is writing it, try again; "
            "otherwise restore it from a backup or an export)"
        )
    elif type(cause).__module__.startswith("psycopg"):
        reason = _postgresql_reason(str(cause)) or reason
    return f"{what_failed}: {reason}"


def _postgresql_reason(words: str) -> str | None:
    """What libpq said, in the words of someone setting up a desk."""
    if match := re.search(r'database "(.*)" does not exist', words):
        return (
            f"there is no database '{match[1]}' on that server; create it first "
            "(README: Setting up a desk)"
        )
    if match := re.search(r'password authentication failed for user "(.*)"', words):
        return f"the server refused user '{match[1]}': wrong password, or no such user"
    if match := re.search(r'role "(.*)" does not exist', words):
        return f"the server has no user '{match[1]}'"
    if "no password supplied" in words:
        return "the server asks for a password; put it in the URL or in ~/.pgpass"
    if "Connection refused" in words or "No such file or directory" in words:
        return "nothing answers there: is the server running, and are the host and port right?"
    if "failed to resolve host" in words or "could not translate host name" in words:
        return "that host name is unknown"
    if "timeout expired" in words:
        return f"the server did not answer within {CONNECT_TIMEOUT_S} seconds"
    if "lock timeout" in words:
        return (
            f"another writer held the database for more than {BUSY_TIMEOUT_MS // 1000} seconds;"
            " try again"
        )
    if "server closed the connection" in words or "terminating connection" in words:
        return "the server closed the connection (restarted or stopped?); try again"
    if "permission denied" in words:
        return "this user may not do that on the server (ask for the desk's grants)"
    return None


def _is_unreachable(exc: SQLAlchemyError) -> bool:
    words = str(exc.orig if isinstance(exc, DBAPIError) else exc)
    return any(
        sign in words
        for sign in (
            "Connection refused",
            "No such file or directory",  # a local server's socket: not running
            "timeout expired",
            "server closed the connection",
        )
    )


def _is_damage(exc: SQLAlchemyError) -> bool:
    words = str(exc.orig if isinstance(exc, DBAPIError) else exc)
    return "malformed" in words or "database disk image" in words
