"""`tracker backup` copies a database that is being written to, consistently; `tracker check`
reports damage."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO, Cli, database_contents, row_counts, tracker_env


def start_writer(db_path: Path, count: int, tag: str, tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.writer_process", str(db_path), str(count), tag],
        cwd=REPO,
        env=tracker_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_backup_taken_while_another_process_writes_is_whole(
    cli: Cli, cli_db: Path, tmp_path: Path
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


def test_a_backup_goes_beside_the_database_by_default_and_never_replaces_a_file(
    cli: Cli, cli_db: Path
) -> None:
    result = cli("backup")
    assert result.returncode == 0, result.stderr
    written = Path(result.stdout.strip())
    assert written.parent == cli_db.parent
    assert written.name.startswith("desk-backup-") and written.suffix == ".sqlite3"
    assert database_contents(written) == database_contents(cli_db)

    before = written.read_bytes()
    again = cli("backup", str(written))
    assert again.returncode == 2
    assert "already exists; a backup never replaces a file" in again.stderr
    assert written.read_bytes() == before


def test_a_backup_into_a_missing_folder_is_refused(cli: Cli, tmp_path: Path) -> None:
    result = cli("backup", str(tmp_path / "nowhere" / "copy.sqlite3"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert not (tmp_path / "nowhere").exists()


def test_check_passes_a_sound_database_and_reports_a_damaged_one(
    cli: Cli, cli_db: Path, tmp_path: Path
) -> None:
    sound = cli("check")
    assert sound.returncode == 0, sound.stderr
    assert "integrity check passed" in sound.stderr

    # Damage an index page in the middle of the file, leaving the header intact.
    connection = sqlite3.connect(cli_db)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = connection.execute("PRAGMA page_size").fetchone()[0]
    root = connection.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'ix_observation_event_date'"
    ).fetchone()[0]
    connection.close()
    with open(cli_db, "r+b") as file:
        file.seek((root - 1) * page_size + 8)
        file.write(b"\xff" * 64)
    damaged = cli("check")
    assert damaged.returncode == 1
    assert "is damaged" in damaged.stderr
    assert "Traceback" not in damaged.stderr


def test_backup_and_check_of_a_database_that_is_not_there_say_so_and_create_nothing(
    tmp_path: Path,
) -> None:
    from tests.conftest import run_tracker

    missing = tmp_path / "typo.sqlite3"
    for command in (["check"], ["backup", str(tmp_path / "copy.sqlite3")]):
        result = run_tracker("--db", str(missing), *command, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert f"there is no database at {missing}" in result.stderr
    assert not missing.exists() and not (tmp_path / "copy.sqlite3").exists()


def test_a_read_only_database_with_a_write_ahead_log_beside_it_is_read_whole(
    cli_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another account is writing the file (its -wal is there): a reader who may not write
    still sees every committed write, and leaves nothing behind."""
    from tracker.services.observation_log import ObservationQuery, search_observations
    from tracker.storage import database as storage

    writer = sqlite3.connect(cli_db)
    writer.execute("PRAGMA wal_autocheckpoint = 0")
    writer.execute(
        "UPDATE observation SET summary = 'Only in the log' WHERE id = (SELECT min(id) FROM "
        "observation)"
    )
    writer.commit()  # in the -wal, not yet in the file
    try:
        assert Path(f"{cli_db}-wal").stat().st_size > 0
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
