"""Shared fixtures: real SQLite files in tmp_path, a fixed clock, and the command line run as a
process the way an analyst runs it."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracker.services.clock import FixedClock
from tracker.services.seeding import seed_if_empty
from tracker.storage.database import Database, open_database

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"
BUNDLED_SET = REPO / "indicators" / "russia-ukraine-2025-12.toml"
SET_SLUG = "russia-ukraine-2025-12"
# Just after the second article: every seeded date is in the past.
FIXED_NOW = datetime(2025, 12, 22, 9, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(FIXED_NOW)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "tracker.sqlite3"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = open_database(str(db_path))
    yield database
    database.close()


@pytest.fixture
def seeded_db(db: Database, clock: FixedClock) -> Database:
    seed_if_empty(db, clock)
    return db


def database_contents(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, read with the sqlite3 module: for 'nothing was written'."""
    connection = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return {
            table: sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
            for table in tables
        }
    finally:
        connection.close()


def row_counts(path: Path) -> dict[str, int]:
    return {table: len(rows) for table, rows in database_contents(path).items()}


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


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database seeded once by the command line; tests take copies of it."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.sqlite3"
    result = run_tracker("--db", str(path), "status", "--json", cwd=folder)
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def cli_db(seeded_template: Path, tmp_path: Path) -> Path:
    """A seeded SQLite file of this test's own."""
    path = tmp_path / "desk.sqlite3"
    shutil.copyfile(seeded_template, path)
    return path


class Cli:
    """`tracker --db <this test's file> ...`, run as a process."""

    def __init__(self, db_path: Path, tmp_path: Path) -> None:
        self.db_path = db_path
        self.tmp_path = tmp_path

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return run_tracker(
            "--db",
            str(self.db_path),
            *args,
            cwd=self.tmp_path,
            env=tracker_env(self.tmp_path, **env),
        )


@pytest.fixture
def cli(cli_db: Path, tmp_path: Path) -> Cli:
    return Cli(cli_db, tmp_path)
