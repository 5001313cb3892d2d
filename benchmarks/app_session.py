"""An analyst's session in the app, timed step by step: `python -m benchmarks.app_session --db X`.

It runs tracker's app headless (Textual's pilot: every screen is laid out and rendered, only
not written to a terminal), presses keys as an analyst would, and prints one JSON object:
- board_s: the board shown with its data;
- indicator_s: an indicator's file opened, its observations listed (the one with the most
  observations, up to `--indicator-size`), and how many it has;
- log_s: the observation log opened, its newest page shown; log_end_s: End pressed, the
  oldest page shown; page_down_s: each Page Down from the top through several windows;
- search_s: a search typed into the log, its first page shown;
- peak_rss_mb: the process's peak resident memory after all of it;
- pilot_waiting_s, settle_waiting_s: what a step costs that does nothing, with a key pressed
  and without (the pilot's own polling, in 20 ms sleeps: to be taken off each step's time);
- cpu_s: each step's processor time, every thread's, by name.
Each step is timed from the key press until every read it started has finished and the
screen is drawn again.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)


def busiest_indicator(path: Path, at_most: int) -> tuple[str, str, int]:
    """The indicator with the most observations, up to `at_most`: (key, set slug, count)."""
    connection = sqlite3.connect(path)
    try:
        row = connection.execute(
            "SELECT i.key, s.slug, count(*) AS n FROM observation_indicator b"
            " JOIN indicator i ON i.id = b.indicator_id JOIN indicator_set s ON s.id = i.set_id"
            " GROUP BY b.indicator_id HAVING n <= ? ORDER BY n DESC LIMIT 1",
            (at_most,),
        ).fetchone()
        return str(row[0]), str(row[1]), int(row[2])
    finally:
        connection.close()


async def settle(pilot: Any, *, within_s: float = 60.0) -> None:
    """Until every read the app started has finished (a read made stale by a newer one is
    cancelled, which counts) and the screen has caught up. Also used by the tests."""
    give_up = time.perf_counter() + within_s
    while time.perf_counter() < give_up:
        await pilot.pause()
        if all(worker.is_finished for worker in pilot.app.workers):
            await pilot.pause()
            if all(worker.is_finished for worker in pilot.app.workers):
                return
        await asyncio.sleep(0.001)
    raise TimeoutError(f"the app was still reading after {within_s} s")


CPU: dict[str, float] = {}  # each step's processor time (every thread), by the step's name


async def _timed(pilot: Any, *keys: str, step: str = "") -> float:
    started, busy = time.perf_counter(), time.process_time()
    if keys:
        await pilot.press(*keys)
    await settle(pilot)
    if step:
        CPU[step] = CPU.get(step, 0.0) + time.process_time() - busy
    return time.perf_counter() - started


async def _pilot_waiting(pilot: Any, *keys: str) -> float:
    """What a step costs when it does nothing (pressing a key bound to nothing, or none):
    the pilot's own polling, which sleeps in 20 ms steps until the app is idle. It is part
    of every step's time, and not of the app's."""
    times = [await _timed(pilot, *keys) for _ in range(7)]
    return sorted(times)[len(times) // 2]


def session(path: Path, search: str, indicator_size: int, page_downs: int) -> dict[str, Any]:
    from textual.widgets import Input

    from tracker.interfaces.tui.app import make_app
    from tracker.interfaces.tui.screens.indicator import IndicatorScreen
    from tracker.interfaces.tui.screens.log_table import LogTable
    from tracker.services.clock import FixedClock
    from tracker.storage.database import open_database

    key, set_slug, count = busiest_indicator(path, indicator_size)
    db = open_database(str(path))
    app = make_app(db, FixedClock(NOW), poll_seconds=None)
    figures: dict[str, Any] = {"indicator_observations": count}

    async def run() -> None:
        started = time.perf_counter()
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(pilot)
            figures["board_s"] = time.perf_counter() - started
            figures["pilot_waiting_s"] = await _pilot_waiting(pilot, "f19")
            figures["settle_waiting_s"] = await _pilot_waiting(pilot)

            started, busy = time.perf_counter(), time.process_time()
            app.push_screen(IndicatorScreen(key, set_slug))
            await settle(pilot)
            figures["indicator_s"] = time.perf_counter() - started
            CPU["indicator"] = time.process_time() - busy
            figures["indicator_tab_s"] = await _timed(pilot, "2", step="indicator_tab")
            listed = app.screen.query_one("#indicator-observations", LogTable)
            assert listed.row_count > 0, "the indicator's observations were not listed"
            await _timed(pilot, "escape")

            figures["log_s"] = await _timed(pilot, "l", step="log")
            table = app.screen.query_one("#log", LogTable)
            figures["log_end_s"] = await _timed(pilot, "end", step="log_end")
            assert table.at_oldest
            await _timed(pilot, "home")
            figures["page_down_s"] = [
                await _timed(pilot, "pagedown", step="page_down") for _ in range(page_downs)
            ]
            figures["page_down_reached_row"] = (table.first_index or 0) + table.cursor_row

            await _timed(pilot, "slash")
            box = app.screen.query_one("#search", Input)
            started = time.perf_counter()
            box.value = search
            await pilot.press("enter")
            await settle(pilot)
            figures["search_s"] = time.perf_counter() - started
            figures["search_rows"] = table.row_count

    try:
        asyncio.run(run())
    finally:
        db.close()
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["cpu_s"] = CPU
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.app_session")
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--search", default="security guarantees")
    parser.add_argument("--indicator-size", type=int, default=10_000)
    parser.add_argument("--page-downs", type=int, default=40)
    arguments = parser.parse_args()
    figures = session(
        arguments.db, arguments.search, arguments.indicator_size, arguments.page_downs
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
