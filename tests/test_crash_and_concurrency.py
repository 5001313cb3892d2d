"""Nothing acknowledged is lost: a writer killed with SIGKILL at random moments, over and over,
and two writers on one file at once."""

from __future__ import annotations

import itertools
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.conftest import REPO, tracker_env

KILLS = 50
WRITES_EACH = 2000


def writer(db_path: Path, count: int, tag: str, tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.writer_process", str(db_path), str(count), tag],
        cwd=REPO,
        env=tracker_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def intact(db_path: Path, acknowledged: list[str], tag: str) -> None:
    connection = sqlite3.connect(db_path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        rows = dict(
            connection.execute(
                "SELECT o.uuid, (SELECT count(*) FROM observation_indicator l "
                "WHERE l.observation_id = o.id) FROM observation o WHERE o.author = ?",
                (tag,),
            ).fetchall()
        )
    finally:
        connection.close()
    missing = [uuid for uuid in acknowledged if uuid not in rows]
    assert not missing, f"{len(missing)} acknowledged observations lost, e.g. {missing[:3]}"
    # Whatever was written, acknowledged or not, was written whole: both bearings.
    assert set(rows.values()) <= {2}


def test_a_writer_killed_at_random_loses_nothing_it_acknowledged(
    cli_db: Path, tmp_path: Path
) -> None:
    rng = random.Random(20251222)
    acknowledged: list[str] = []
    for _ in range(KILLS):
        process = writer(cli_db, 10_000, "killed", tmp_path)
        assert process.stdout is not None
        # Kill in the middle of writing: after the first acknowledged write, at a random moment
        # over the next half second (a few hundred writes at most), inside or between commits.
        lines = [process.stdout.readline()]
        reader = threading.Thread(target=lines.extend, args=(process.stdout,))
        reader.start()
        time.sleep(rng.uniform(0, 0.5))
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        reader.join(timeout=30)
        acknowledged.extend(line.strip() for line in lines if line.strip())
    assert len(acknowledged) > KILLS  # the kills did land in the middle of writing
    intact(cli_db, acknowledged, "killed")


def test_two_writers_at_once_lose_nothing_and_see_no_lock_error(
    cli_db: Path, tmp_path: Path
) -> None:
    processes = {tag: writer(cli_db, WRITES_EACH, tag, tmp_path) for tag in ("app", "cli")}
    outputs = {tag: process.communicate(timeout=300) for tag, process in processes.items()}
    for tag, (stdout, stderr) in outputs.items():
        assert processes[tag].returncode == 0, stderr
        assert "locked" not in stderr
        ids = stdout.split()
        assert len(ids) == WRITES_EACH
        intact(cli_db, ids, tag)
    # They really wrote at the same time: in the order rows were written, each writer's rows
    # come both before and after the other's (in bursts, as the lock passes: 10 to 80 turns
    # have been seen), not one run after the other.
    connection = sqlite3.connect(cli_db)
    try:
        order = [
            author
            for (author,) in connection.execute(
                "SELECT author FROM observation WHERE author IN ('app', 'cli') ORDER BY id"
            )
        ]
    finally:
        connection.close()
    turns = sum(1 for before, after in itertools.pairwise(order) if before != after)
    assert turns >= 3, turns
