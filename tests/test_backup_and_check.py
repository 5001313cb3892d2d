"""`tracker backup` copies a database that is being written to, consistently; `tracker check`
reports damage."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import (
    REPO,
    Cli,
    DbTarget,
    database_contents,
    row_counts,
    run_tracker,
    tracker_env,
)
from tests.postgres_server import PostgresServer


def start_writer(db: DbTarget, count: int, tag: str, tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.writer_process", str(db), str(count), tag],
        cwd=REPO,
        env=tracker_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.sqlite_only("a backup is a copy of the SQLite file, taken with SQLite's backup API")
def test_a_backup_taken_while_another_process_writes_is_whole(
    cli: Cli, cli_db: DbTarget, tmp_path: Path
) -> None:
    writer = start_writer(cli_db, 400, "busy", tmp_path)
    assert writer.stdout is not None
    for _ in range(20):  # let it get going
        writer.stdout.readline()
    copies = []
    for n in range(3):
        target = tmp_path / f"copy-{n}.sqlite3"
        result = cli("backup", str(target))
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == str(target)
        copies.append(target)
        time.sleep(0.2)
    writer.wait(timeout=120)
    assert writer.returncode == 0, writer.stderr.read() if writer.stderr else ""
    sizes = []
    for copy in copies:
        connection = sqlite3.connect(copy)
        try:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
            # Each observation came with both of its bearings: no half-written record.
            assert connection.execute(
                "SELECT count(*) FROM observation o WHERE o.author = 'busy' AND "
                "(SELECT count(*) FROM observation_indicator l WHERE l.observation_id = o.id) != 2"
            ).fetchone() == (0,)
            sizes.append(connection.execute("SELECT count(*) FROM observation").fetchone()[0])
        finally:
            connection.close()
    assert sizes == sorted(sizes) and sizes[0] > 20
    assert row_counts(cli_db)["observation"] == 20 + 400


@pytest.mark.sqlite_only("a backup is a SQLite file, written beside the database's own file")
def test_a_backup_goes_beside_the_database_by_default_and_never_replaces_a_file(
    cli: Cli, cli_db: DbTarget
) -> None:
    assert cli_db.path is not None
    result = cli("backup")
    assert result.returncode == 0, result.stderr
    written = Path(result.stdout.strip())
    assert written.parent == cli_db.path.parent
    assert written.name.startswith("desk-backup-") and written.suffix == ".sqlite3"
    assert database_contents(written) == database_contents(cli_db)

    before = written.read_bytes()
    again = cli("backup", str(written))
    assert again.returncode == 2
    assert "already exists; a backup never replaces a file" in again.stderr
    assert written.read_bytes() == before


@pytest.mark.sqlite_only("about the folder a SQLite backup file is written to")
def test_a_backup_into_a_missing_folder_is_refused(cli: Cli, tmp_path: Path) -> None:
    result = cli("backup", str(tmp_path / "nowhere" / "copy.sqlite3"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.sqlite_only("damages pages of the SQLite file; the check is SQLite's own")
def test_check_passes_a_sound_database_and_reports_a_damaged_one(
    cli: Cli, cli_db: DbTarget, tmp_path: Path
) -> None:
    assert cli_db.path is not None
    sound = cli("check")
    assert sound.returncode == 0, sound.stderr
    assert "integrity check passed" in sound.stderr

    # Damage an index page in the middle of the file, leaving the header intact.
    connection = sqlite3.connect(cli_db.path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    root = connection.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'ix_observation_log_order'"
    ).fetchone()[0]
    connection.close()
    with open(cli_db.path, "r+b") as file:
        file.seek((root - 1) * page_size + 8)
        file.write(b"\xff" * 64)
    damaged = cli("check")
    assert damaged.returncode == 1
    assert "is damaged" in damaged.stderr
    assert "Traceback" not in damaged.stderr


def test_backup_and_check_of_a_database_that_is_not_there_say_so_and_create_nothing(
    db_target: DbTarget, tmp_path: Path
) -> None:
    if db_target.engine == "sqlite":
        missing = str(tmp_path / "typo.sqlite3")
        told = f"there is no database at {missing}"
    else:
        assert db_target.server is not None
        missing = db_target.server.url("typo")
        told = "there is no database 'typo' on that server"
    for command in (["check"], ["backup", str(tmp_path / "copy.sqlite3")]):
        result = run_tracker("--db", missing, *command, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert told in result.stderr
    assert not (tmp_path / "copy.sqlite3").exists()
    if db_target.engine == "sqlite":
        assert not Path(missing).exists()
    else:
        assert db_target.server is not None
        assert "typo" not in server_databases(db_target.server)


def test_backup_and_check_work_on_sqlite_and_on_postgresql_refuse_naming_its_tools(
    cli: Cli, cli_db: DbTarget, tmp_path: Path
) -> None:
    """Both are SQLite's own (its backup API, its integrity check): on a PostgreSQL database
    they refuse with exit status 2 and one line, write nothing and change nothing. On SQLite
    the same commands do their work (the tests above)."""
    copy = tmp_path / "copy.sqlite3"
    before, files = database_contents(cli_db), sorted(tmp_path.iterdir())
    backup, beside, check = cli("backup", str(copy)), cli("backup"), cli("check")
    if cli_db.engine == "sqlite":
        assert backup.returncode == 0, backup.stderr
        assert backup.stdout.strip() == str(copy)
        assert database_contents(copy) == before
        assert beside.returncode == 0, beside.stderr
        assert check.returncode == 0, check.stderr
        assert "integrity check passed" in check.stderr
        return

    shown = make_url(str(cli_db)).render_as_string(hide_password=True)
    assert refusal(backup, cli_db) == (
        f"tracker: error: {shown} is not a SQLite file; back up a PostgreSQL database with its "
        "own tools (pg_dump)"
    )
    assert refusal(check, cli_db) == (
        f"tracker: error: {shown} is not a SQLite file; check a PostgreSQL database with its "
        "own tools (amcheck, pg_dump)"
    )
    # With no PATH, or one in a missing folder, the same: the engine is looked at first.
    missing = cli("backup", str(tmp_path / "no-such-folder" / "copy.sqlite3"))
    for refused in (beside, missing):
        assert refusal(refused, cli_db) == refusal(backup, cli_db)
    assert sorted(tmp_path.iterdir()) == files
    assert database_contents(cli_db) == before


def refusal(result: subprocess.CompletedProcess[str], target: DbTarget) -> str:
    """The one line of a refusal: exit status 2, nothing on stdout, no traceback, and the
    server's password nowhere."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr, result.stderr
    assert target.server is not None and target.server.password not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def server_databases(server: PostgresServer) -> set[str]:
    with psycopg.connect(
        host=server.host,
        port=server.port,
        user=server.user,
        password=server.password,
        dbname="postgres",
        connect_timeout=10,
    ) as connection:
        return {row[0] for row in connection.execute("SELECT datname FROM pg_database")}


@pytest.mark.sqlite_only("about SQLite's write-ahead log file and a file this user cannot write")
def test_a_read_only_database_with_a_write_ahead_log_beside_it_is_read_whole(
    cli_db: DbTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another account is writing the file (its -wal is there): a reader who may not write
    still sees every committed write, and leaves nothing behind."""
    from tracker.services.observation_log import ObservationQuery, search_observations
    from tracker.storage import database as storage

    assert cli_db.path is not None
    writer = sqlite3.connect(cli_db.path)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute(
        "UPDATE observation SET summary = 'Only in the log' WHERE id = (SELECT min(id) FROM "
        "observation)"
    )
    writer.commit()  # in the -wal, not yet in the file
    try:
        assert Path(f"{cli_db.path}-wal").stat().st_size > 0
        monkeypatch.setattr(storage, "_cannot_write", lambda _path: True)
        reader = storage.open_database(str(cli_db))
        try:
            assert reader.read_only
            page = search_observations(reader, ObservationQuery(text="Only in the log"))
            assert page.total == 1
        finally:
            reader.close()
    finally:
        writer.close()
