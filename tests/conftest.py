"""Shared fixtures: real databases on both engines, a fixed clock, and the command line run as a
process the way an analyst runs it.

Every test that asks for a database (`db`, `seeded_db`, `db_target`, `cli_db`, `cli`) runs once
per engine: on a SQLite file in tmp_path, and on its own database in a PostgreSQL server the
session starts from the machine's packages (tests/postgres_server.py). Choose engines with
`--engine sqlite` / `--engine postgresql` or TRACKER_TEST_ENGINES; both by default. Without
PostgreSQL installed, its half is skipped, except under CI, where that is a failure. A test
about SQLite files themselves (permissions, backups, damage) is marked `sqlite_only`.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import pytest
from sqlalchemy import create_engine, inspect, select, table, text

from tests.postgres_server import PostgresServer, postgres_binaries
from tracker.services.clock import FixedClock
from tracker.services.seeding import seed_if_empty
from tracker.storage.database import Database, open_database, resolve_database_url
from tracker.storage.fulltext import is_search_index

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"
BUNDLED_SET = REPO / "indicators" / "russia-ukraine-2025-12.toml"
SET_SLUG = "russia-ukraine-2025-12"
# Just after the second article: every seeded date is in the past.
FIXED_NOW = datetime(2025, 12, 22, 9, 30, tzinfo=UTC)


ENGINES = ("sqlite", "postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--engine",
        action="append",
        choices=ENGINES,
        help="Run the database tests on this engine (repeat for both; default: both, or "
        "TRACKER_TEST_ENGINES=sqlite,postgresql).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only(reason): the test is about SQLite files, so runs on SQLite only"
    )
    config.addinivalue_line(
        "markers", "postgresql_only(reason): the test is about a PostgreSQL server"
    )


def _engines(config: pytest.Config) -> list[str]:
    chosen = config.getoption("--engine") or [
        name.strip()
        for name in os.environ.get("TRACKER_TEST_ENGINES", ",".join(ENGINES)).split(",")
        if name.strip()
    ]
    unknown = set(chosen) - set(ENGINES)
    if unknown:
        raise pytest.UsageError(f"unknown engine(s) {sorted(unknown)}; choose from {ENGINES}")
    return list(dict.fromkeys(chosen))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "engine" in metafunc.fixturenames:
        engines = _engines(metafunc.config)
        for only in ("sqlite", "postgresql"):
            if metafunc.definition.get_closest_marker(f"{only}_only"):
                engines = [name for name in engines if name == only]
        metafunc.parametrize("engine", engines)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One throwaway server per test process, started when the first test needs it."""
    if postgres_binaries() is None:
        message = "PostgreSQL is not installed here (apt-get install postgresql; .ci/run does it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    server = PostgresServer.start()
    yield server
    server.stop()


_database_names = itertools.count(1)


@dataclass
class DbTarget:
    """Where a test's database lives: a SQLite file, or a database on the test server.
    `str(target)` is what `--db` and `TRACKER_DB` take."""

    engine: str
    arg: str
    path: Path | None = None  # the SQLite file
    server: PostgresServer | None = None
    name: str | None = None  # the PostgreSQL database

    def __str__(self) -> str:
        return self.arg

    def open(self) -> Database:
        return open_database(self.arg)

    def drop(self) -> None:
        if self.server is not None and self.name is not None:
            self.server.drop_database(self.name)


MakeTarget = Callable[..., DbTarget]

# How a test's database starts. "new": nothing there yet (no SQLite file; a PostgreSQL database
# with no tables). "schema": the current schema and no rows. "first_run": as an analyst's first
# `tracker` leaves it, seeded by the command line with the real clock. "seeded": the bundled set
# loaded in-process at FIXED_NOW, as `seeded_db` gives it.
Start = Literal["new", "schema", "first_run", "seeded"]


@pytest.fixture(scope="session")
def _targets(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> MakeTarget:
    """Makes a test's databases: new, or copies of a template made once per engine and start.
    Migrating and seeding a database costs far more than copying one (0.3 s against 0.02 s
    on PostgreSQL), and every test needs its own."""
    templates: dict[tuple[str, Start], DbTarget] = {}

    def template(engine: str, start: Start) -> DbTarget:
        if (engine, start) not in templates:
            folder = tmp_path_factory.mktemp("template")
            made = new(engine, folder)
            if start == "first_run":
                result = run_tracker("--db", str(made), "status", "--json", cwd=folder)
                assert result.returncode == 0, result.stderr
            else:
                database = made.open()
                try:
                    if start == "seeded":
                        seed_if_empty(database, FixedClock(FIXED_NOW))
                finally:
                    database.close()
            templates[engine, start] = made
        return templates[engine, start]

    def new(engine: str, folder: Path, *, start: Start = "new") -> DbTarget:
        source = None if start == "new" else template(engine, start)
        if engine == "sqlite":
            path = folder / ("desk.sqlite3" if start == "first_run" else "tracker.sqlite3")
            if source is not None:
                assert source.path is not None
                shutil.copyfile(source.path, path)
            return DbTarget("sqlite", str(path), path=path)
        server: PostgresServer = request.getfixturevalue("postgres")
        name = f"test_{os.getpid()}_{next(_database_names)}"
        server.create_database(name, template=None if source is None else source.name)
        return DbTarget("postgresql", server.url(name), server=server, name=name)

    return new


@pytest.fixture
def db_target(
    engine: str, _targets: MakeTarget, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[DbTarget]:
    """A database of this test's own, new and empty (on SQLite, not yet created). When the
    test also asks for `db` or `seeded_db`, this is the database they open, and it starts as
    they would leave it: migrated, and seeded at FIXED_NOW."""
    wanted = request.fixturenames
    start: Start = "seeded" if "seeded_db" in wanted else "schema" if "db" in wanted else "new"
    target = _targets(engine, tmp_path, start=start)
    yield target
    target.drop()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(FIXED_NOW)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A SQLite file of this test's own, for tests about SQLite files."""
    return tmp_path / "tracker.sqlite3"


@pytest.fixture
def db(db_target: DbTarget) -> Iterator[Database]:
    database = db_target.open()
    yield database
    database.close()


@pytest.fixture
def seeded_db(db: Database, clock: FixedClock) -> Database:
    # db_target copied it from a template seeded at FIXED_NOW.
    assert clock.now() == FIXED_NOW, "seeded_db is seeded at FIXED_NOW, not at this clock"
    assert seed_if_empty(db, clock) is None, "seeded_db's template was not seeded"
    return db


def database_contents(where: Path | DbTarget | str) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, read around tracker's own code: for 'nothing was written'.
    The search index is left out: it follows the observations."""
    if isinstance(where, DbTarget):
        where = where.path if where.path is not None else where.arg
    if isinstance(where, Path):
        return _sqlite_contents(where)
    # Not open_database: that would create or upgrade what it opens.
    engine = create_engine(resolve_database_url(where)[0])
    try:
        with engine.connect() as connection:
            names = sorted(inspect(connection).get_table_names())
            return {
                name: sorted(
                    (
                        tuple(row)
                        for row in connection.execute(select(text("*")).select_from(table(name)))
                    ),
                    key=repr,
                )
                for name in names
                if not is_search_index(name)
            }
    finally:
        engine.dispose()


def query_rows(where: DbTarget, query: str, *params: object) -> list[dict[str, object]]:
    """Rows of a SQL query (with `?` placeholders), read around tracker's own code, with values
    as SQLite gives them on both engines: dates and moments as text, JSON as text."""
    names, rows = _query(where, query, params)
    return [dict(zip(names, row, strict=True)) for row in rows]


def query_tuples(where: DbTarget, query: str, *params: object) -> list[tuple[object, ...]]:
    """As `query_rows`, as tuples (for columns of the same name from two tables)."""
    return _query(where, query, params)[1]


def _query(
    where: DbTarget, query: str, params: tuple[object, ...]
) -> tuple[list[str], list[tuple[object, ...]]]:
    if where.path is not None:
        connection = sqlite3.connect(where.path)
        try:
            cursor = connection.execute(query, params)
            names = [column[0] for column in cursor.description or []]
            return names, [tuple(row) for row in cursor.fetchall()]
        finally:
            connection.close()
    assert where.server is not None and where.name is not None
    with where.server.connect(where.name) as connection:
        statement = query.replace("%", "%%").replace("?", "%s")
        cursor = connection.execute(statement, params)  # type: ignore[arg-type]
        names = [column.name for column in cursor.description or []]
        return names, [tuple(_as_sqlite_gives(v) for v in row) for row in cursor.fetchall()]


def _as_sqlite_gives(value: object) -> object:
    if isinstance(value, datetime):
        return f"{value.astimezone(UTC).replace(tzinfo=None):%Y-%m-%d %H:%M:%S.%f}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value


def _sqlite_contents(path: Path) -> dict[str, list[tuple[object, ...]]]:
    connection = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
            if not is_search_index(row[0])
        ]
        return {
            table: sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
            for table in tables
        }
    finally:
        connection.close()


def row_counts(where: Path | DbTarget | str) -> dict[str, int]:
    return {table: len(rows) for table, rows in database_contents(where).items()}


# One Matplotlib config folder for the whole run (set by `_matplotlib_config`): each process
# gets a fresh HOME, and would otherwise rebuild Matplotlib's font cache every time.
_MPLCONFIGDIR: Path | None = None


@pytest.fixture(scope="session", autouse=True)
def _matplotlib_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    global _MPLCONFIGDIR
    _MPLCONFIGDIR = tmp_path_factory.mktemp("mplconfig")
    yield
    _MPLCONFIGDIR = None


def tracker_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"TRACKER_DB", "TRACKER_AUTHOR"}
    }
    env.update(
        {
            # Never touch the real user's data folder.
            "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
            "HOME": str(tmp_path / "home"),
            "TRACKER_AUTHOR": "test-analyst",
            "COLUMNS": "160",
            "PYTHONIOENCODING": "utf-8",
        }
    )
    if _MPLCONFIGDIR is not None:
        env["MPLCONFIGDIR"] = str(_MPLCONFIGDIR)
    env.update(extra)
    return env


def run_tracker(
    *args: str, cwd: Path, env: dict[str, str] | None = None, executable: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `tracker ARGS...` as a separate process, as an analyst would."""
    command = executable or [sys.executable, "-m", "tracker"]
    return subprocess.run(
        [*command, *args],
        cwd=cwd,
        env=env if env is not None else tracker_env(cwd),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


@pytest.fixture
def cli_db(engine: str, _targets: MakeTarget, tmp_path: Path) -> Iterator[DbTarget]:
    """A seeded database of this test's own."""
    target = _targets(engine, tmp_path, start="first_run")
    yield target
    target.drop()


class Cli:
    """`tracker --db <this test's database> ...`, run as a process."""

    def __init__(self, target: DbTarget, tmp_path: Path) -> None:
        self.target = target
        self.tmp_path = tmp_path

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return run_tracker(
            "--db",
            str(self.target),
            *args,
            cwd=self.tmp_path,
            env=tracker_env(self.tmp_path, **env),
        )


@pytest.fixture
def cli(cli_db: DbTarget, tmp_path: Path) -> Cli:
    return Cli(cli_db, tmp_path)
