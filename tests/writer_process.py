"""A writer for the crash and concurrency tests: records observations one at a time through the
service the app and the command line use, and prints each id once the write is acknowledged.

    python -m tests.writer_process DB COUNT TAG
"""

from __future__ import annotations

import sys

from tracker.services.clock import Clock
from tracker.services.observations import ObservationDraft, record_observation
from tracker.storage.database import open_database


def main() -> None:
    path, count, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    db = open_database(path)
    clock = Clock()
    for n in range(count):
        recorded = record_observation(
            db,
            ObservationDraft(
                bearings=[("miami-talks", "toward"), ("territory", "away")],
                summary=f"{tag} {n} " + "Delegations met again. " * 20,
                source_publisher="Wire",
                author=tag,
            ),
            clock,
        )
        # Only now, after the commit, is the write acknowledged.
        print(recorded.id, flush=True)
    db.close()


if __name__ == "__main__":
    main()
