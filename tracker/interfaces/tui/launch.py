"""Starting the app. Its first board is read in a thread while Textual loads: the query waits
in SQLite's C code for much of its time, so on a second core it costs the start-up nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from tracker.services.status import status_as_of

if TYPE_CHECKING:
    from tracker.services.clock import Clock
    from tracker.storage.database import Database


def run_app(db: Database, clock: Clock) -> None:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="first-board") as pool:
        first_board = pool.submit(status_as_of, db, clock, None, with_totals=False)
        from tracker.interfaces.tui.app import make_app

        make_app(db, clock, first_board=first_board).run()
