"""Nothing acknowledged is lost: a writer killed with SIGKILL at random moments, over and over;
two writers on one database at once; and several writers let go at the same moment. On both
engines: a SQLite file, and a database on the test PostgreSQL server."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from tests.conftest import REPO, DbTarget, row_counts, tracker_env
from tests.test_month_counts import assert_counts_follow
from tests.writer_process import write_to_file

KILLS = 50
WRITES_EACH = 2000
WRITERS = 6
# Enough for the writers to take turns many times, yet short enough that a writer SQLite leaves
# waiting (its busy handler retries with no queue: some writers get the lock in long runs)
# never comes near the busy timeout, even on a loaded machine.
WRITERS_WRITES = 60
MARK_EVERY = 4
MARKED = "territory"


@dataclass
class Acknowledged:
    """What a writer printed: each id only after its write was committed."""

    observations: list[str] = field(default_factory=list)
    assessments: list[str] = field(default_factory=list)

    def take(self, lines: list[str]) -> None:
        for line in lines:
            if not line.endswith("\n"):
                continue  # cut short by the kill: not acknowledged
            kind, _, uuid = line.strip().partition(" ")
            if kind == "observation":
                self.observations.append(uuid)
            elif kind == "assessment":
                self.assessments.append(uuid)


def writer(
    target: DbTarget,
    count: int,
    tag: str,
    tmp_path: Path,
    *options: str,
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.writer_process", str(target), str(count), tag, *options],
        cwd=REPO,
        env=tracker_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def intact(target: DbTarget, acknowledged: Acknowledged, tag: str, *, exact: bool = False) -> None:
    """Every acknowledged write is there, and whatever was written (acknowledged or not) was
    written whole: each observation with both its bearings, each mark with its evidence. With
    `exact`, nothing is there that was not acknowledged either."""
    if target.path is not None:
        connection = sqlite3.connect(target.path)
        try:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        finally:
            connection.close()
    database = target.open()
    try:
        with database.engine.connect() as connection:
            observations = dict(
                connection.execute(
                    text(
                        "SELECT o.uuid, (SELECT count(*) FROM observation_indicator l "
                        "WHERE l.observation_id = o.id) FROM observation o WHERE o.author = :tag"
                    ),
                    {"tag": tag},
                ).all()
            )
            assessments = dict(
                connection.execute(
                    text(
                        "SELECT a.uuid, (SELECT count(*) FROM assessment_evidence e "
                        "WHERE e.assessment_id = a.id) FROM assessment a WHERE a.author = :tag"
                    ),
                    {"tag": tag},
                ).all()
            )
            # What the engine's foreign keys promise, checked around them on both engines.
            orphans = connection.execute(
                text(
                    "SELECT count(*) FROM observation_indicator l WHERE NOT EXISTS "
                    "(SELECT 1 FROM observation o WHERE o.id = l.observation_id) "
                    "OR NOT EXISTS (SELECT 1 FROM indicator i WHERE i.id = l.indicator_id)"
                )
            ).scalar_one()
            orphans += connection.execute(
                text(
                    "SELECT count(*) FROM assessment_evidence e WHERE NOT EXISTS "
                    "(SELECT 1 FROM assessment a WHERE a.id = e.assessment_id) "
                    "OR NOT EXISTS (SELECT 1 FROM observation o WHERE o.id = e.observation_id)"
                )
            ).scalar_one()
    finally:
        database.close()
    assert orphans == 0
    for kind, written, acked in (
        ("observations", observations, acknowledged.observations),
        ("assessments", assessments, acknowledged.assessments),
    ):
        missing = [uuid for uuid in acked if uuid not in written]
        assert not missing, f"{len(missing)} acknowledged {kind} lost, e.g. {missing[:3]}"
        assert len(set(acked)) == len(acked), f"an id of {kind} was acknowledged twice"
        if exact:
            assert len(written) == len(acked), (kind, len(written), len(acked))
    assert set(observations.values()) <= {2}
    assert set(assessments.values()) <= {1}


def writing_order(target: DbTarget, tags: list[str]) -> list[str]:
    """The authors of the observations the writers wrote, in the order they were written."""
    database = target.open()
    try:
        with database.engine.connect() as connection:
            return [
                author
                for (author,) in connection.execute(
                    text("SELECT author FROM observation ORDER BY id")
                )
                if author in tags
            ]
    finally:
        database.close()


def test_a_writer_killed_at_random_loses_nothing_it_acknowledged(
    cli_db: DbTarget, tmp_path: Path
) -> None:
    rng = random.Random(20251222)
    acknowledged = Acknowledged()
    # Each writer is a process of its own, forked from a server that has imported tracker.
    forks = multiprocessing.get_context("forkserver")
    forks.set_forkserver_preload(["tests.writer_process"])
    for kill in range(KILLS):
        said = tmp_path / f"said-{kill}"
        process = forks.Process(
            target=write_to_file, args=(said, str(cli_db), 10_000, "killed", MARK_EVERY)
        )
        process.start()
        # Kill in the middle of writing: after the first acknowledged write, at a random moment
        # over the next half second (a few hundred writes at most), inside or between commits.
        first_line_of(said, process)
        time.sleep(rng.uniform(0, 0.5))
        assert process.pid is not None
        os.kill(process.pid, signal.SIGKILL)
        process.join(timeout=30)
        assert process.exitcode == -signal.SIGKILL, process.exitcode
        acknowledged.take(said.read_text(encoding="utf-8").splitlines(keepends=True))
    assert len(acknowledged.observations) > KILLS  # the kills did land in the middle of writing
    assert acknowledged.assessments
    intact(cli_db, acknowledged, "killed")


def first_line_of(said: Path, process: multiprocessing.process.BaseProcess) -> None:
    """Wait until the writer has acknowledged its first write."""
    deadline = time.monotonic() + 60
    while not (said.exists() and "\n" in said.read_text(encoding="utf-8")):
        assert process.exitcode is None, f"the writer ended ({process.exitcode}) before writing"
        assert time.monotonic() < deadline, "the writer wrote nothing in a minute"
        time.sleep(0.001)


def test_two_writers_at_once_lose_nothing_and_see_no_lock_error(
    cli_db: DbTarget, tmp_path: Path
) -> None:
    processes = {tag: writer(cli_db, WRITES_EACH, tag, tmp_path) for tag in ("app", "cli")}
    outputs = {tag: process.communicate(timeout=300) for tag, process in processes.items()}
    for tag, (stdout, stderr) in outputs.items():
        assert processes[tag].returncode == 0, stderr
        assert "locked" not in stderr
        acknowledged = Acknowledged()
        acknowledged.take(stdout.splitlines(keepends=True))
        assert len(acknowledged.observations) == WRITES_EACH
        intact(cli_db, acknowledged, tag, exact=True)
    # They really wrote at the same time: in the order rows were written, each writer's rows
    # come both before and after the other's (in bursts, as the lock passes: 10 to 80 turns
    # have been seen), not one run after the other.
    order = writing_order(cli_db, ["app", "cli"])
    turns = sum(1 for before, after in itertools.pairwise(order) if before != after)
    assert turns >= 3, turns


def test_several_writers_let_go_at_once_lose_nothing(cli_db: DbTarget, tmp_path: Path) -> None:
    """Six analysts' processes log and mark at the same moment: every acknowledged write is
    there, the counts are exact, every observation has its bearings and every mark its
    evidence, and the marks took turns: each one superseded the one written just before it."""
    tags = [f"writer-{n}" for n in range(WRITERS)]
    marks_each = len(range(0, WRITERS_WRITES, MARK_EVERY))
    before = row_counts(cli_db)
    latest_before = _latest_assessment_id(cli_db)
    go = tmp_path / "go"
    processes = {
        tag: writer(
            cli_db,
            WRITERS_WRITES,
            tag,
            tmp_path,
            "--mark-every",
            str(MARK_EVERY),
            "--start-after",
            str(go),
        )
        for tag in tags
    }
    # Every writer has its database open; then all are let go at once.
    for tag, process in processes.items():
        assert process.stdout is not None
        assert process.stdout.readline() == "ready\n", (tag, process.communicate(timeout=30))
    go.touch()
    outputs = {tag: process.communicate(timeout=600) for tag, process in processes.items()}

    for tag, (stdout, stderr) in outputs.items():
        assert processes[tag].returncode == 0, (tag, stderr)
        assert "locked" not in stderr and "Traceback" not in stderr, (tag, stderr)
        acknowledged = Acknowledged()
        acknowledged.take(stdout.splitlines(keepends=True))
        assert len(acknowledged.observations) == WRITERS_WRITES, tag
        assert len(acknowledged.assessments) == marks_each, tag
        intact(cli_db, acknowledged, tag, exact=True)

    after = row_counts(cli_db)
    written = {table: after[table] - before[table] for table in after}
    # The counts kept per month follow the bearings (how many rows they gain depends on which
    # months already had some): exactly, though the writers wrote all at once.
    del written["indicator_month_count"]
    db = cli_db.open()
    try:
        assert_counts_follow(db)
    finally:
        db.close()
    assert written == {
        **{table: 0 for table in written},
        "observation": WRITERS * WRITERS_WRITES,
        "observation_indicator": 2 * WRITERS * WRITERS_WRITES,
        "assessment": WRITERS * marks_each,
        "assessment_evidence": WRITERS * marks_each,
    }

    # The marks queued one at a time: each records the one written just before it as what it
    # supersedes, so no two marks saw the same latest assessment.
    chain = _assessments_of(cli_db, tags)
    assert [supersedes for _, supersedes in chain] == [
        latest_before,
        *(assessment for assessment, _ in chain[:-1]),
    ]
    assert Counter(supersedes for _, supersedes in chain).most_common(1)[0][1] == 1

    # They really wrote at once: the writers' rows are interleaved, as the lock passes.
    order = writing_order(cli_db, tags)
    turns = sum(1 for before, after in itertools.pairwise(order) if before != after)
    assert turns >= WRITERS, turns


def _latest_assessment_id(target: DbTarget) -> int:
    database = target.open()
    try:
        with database.engine.connect() as connection:
            return connection.execute(
                text(
                    "SELECT a.id FROM assessment a JOIN indicator i ON i.id = a.indicator_id "
                    "WHERE i.key = :key "
                    "ORDER BY a.effective_on DESC, a.recorded_at DESC, a.id DESC LIMIT 1"
                ),
                {"key": MARKED},
            ).scalar_one()
    finally:
        database.close()


def _assessments_of(target: DbTarget, tags: list[str]) -> list[tuple[int, int | None]]:
    """(id, supersedes_id) of the writers' marks, in the order they were written."""
    database = target.open()
    try:
        with database.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, supersedes_id, author FROM assessment ORDER BY id")
            ).all()
    finally:
        database.close()
    return [(row[0], row[1]) for row in rows if row[2] in tags]
