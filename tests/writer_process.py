"""A writer for the crash and concurrency tests: records observations one at a time through the
service the app and the command line use, and prints each id once the write is acknowledged.

    python -m tests.writer_process DB COUNT TAG [--mark-every N] [--start-after FILE]

DB is what `--db` takes: a SQLite file or a PostgreSQL URL. Each line printed is
`observation ID` or `assessment ID`. With --mark-every N, every Nth observation is followed by a
mark of `territory` citing it (through the assessment service). With --start-after FILE, the
writer opens the database, prints `ready`, and waits for FILE to exist before its first write,
so that several writers can be let go at the same moment.

`write_to_file` is the same writer for a process forked from one that has already imported
tracker (multiprocessing's forkserver): it appends each line to a file instead. The kill test
starts fifty writers, and a writer that need not import tracker each time starts in
milliseconds instead of most of a second.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tracker.services.assessments import AssessmentDraft, assess_indicator
from tracker.services.clock import Clock
from tracker.services.observations import ObservationDraft, record_observation
from tracker.storage.database import open_database

MARKED = "territory"


def say(line: str) -> None:
    """One line in one write, so that a kill leaves a whole line or none of it."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("count", type=int)
    parser.add_argument("tag")
    parser.add_argument("--mark-every", type=int, default=0)
    parser.add_argument("--start-after", type=Path)
    arguments = parser.parse_args()
    write(
        arguments.db,
        arguments.count,
        arguments.tag,
        mark_every=arguments.mark_every,
        start_after=arguments.start_after,
    )


def write_to_file(out: Path, db: str, count: int, tag: str, mark_every: int = 0) -> None:
    """`write`, saying each line by appending it to `out` in one write."""
    descriptor = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        write(
            db,
            count,
            tag,
            mark_every=mark_every,
            say=lambda line: os.write(descriptor, (line + "\n").encode()),
        )
    finally:
        os.close(descriptor)


def write(
    db_argument: str,
    count: int,
    tag: str,
    *,
    mark_every: int = 0,
    start_after: Path | None = None,
    say: Callable[[str], object] = say,
) -> None:
    db = open_database(db_argument)
    clock = Clock()
    if start_after is not None:
        say("ready")
        while not start_after.exists():
            time.sleep(0.001)
    for n in range(count):
        recorded = record_observation(
            db,
            ObservationDraft(
                bearings=[("miami-talks", "toward"), (MARKED, "away")],
                summary=f"{tag} {n} " + "Delegations met again. " * 20,
                source_publisher="Wire",
                author=tag,
            ),
            clock,
        )
        # Only now, after the commit, is the write acknowledged.
        say(f"observation {recorded.id}")
        if mark_every and n % mark_every == 0:
            marked = assess_indicator(
                db,
                AssessmentDraft(
                    indicator_key=MARKED,
                    status="moved",
                    direction="away",
                    rationale=f"{tag} {n}: the delegations met again.",
                    evidence=[recorded.id],
                    author=tag,
                ),
                clock,
            )
            say(f"assessment {marked.id}")
    db.close()


if __name__ == "__main__":
    main()
