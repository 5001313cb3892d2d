"""Lists longer than the app holds at once: the observation log and an indicator's observations
over a generated record of 700 observations (benchmarks/generate.py). The table keeps a window
of at most two pages; scrolling through it from end to end meets every observation once, in
order, and Home and End reach the two ends of the whole list."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import TabbedContent

from benchmarks.app_session import settle
from tests.conftest import REPO, tracker_env
from tracker.interfaces.tui.app import make_app
from tracker.interfaces.tui.screens.indicator import IndicatorScreen
from tracker.interfaces.tui.screens.log_table import WINDOW, LogTable
from tracker.interfaces.tui.screens.observation_log import ObservationLogScreen
from tracker.services.clock import FixedClock
from tracker.services.observation_log import PAGE_SIZE
from tracker.storage.database import open_database

pytestmark = pytest.mark.sqlite_only("a generated SQLite record, made once for the module")

NOW = FixedClock(datetime(2026, 11, 2, 12, tzinfo=UTC))
OBSERVATIONS = 700
LOG_ORDER = "ORDER BY o.event_date DESC, o.recorded_at DESC, o.id DESC"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("long")
    path = folder / "long.sqlite3"
    command = [sys.executable, "-m", "benchmarks.generate", "--db", str(path), "--sets", "1"]
    command += ["--indicators", "2", "--observations", str(OBSERVATIONS), "--assessments", "30"]
    result = subprocess.run(
        command, cwd=REPO, env=tracker_env(folder), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def record(generated: Path, tmp_path: Path) -> Path:
    path = tmp_path / "record.sqlite3"
    shutil.copyfile(generated, path)
    return path


def query_tuples(path: Path, query: str, *params: object) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(query, params).fetchall()
    finally:
        connection.close()


def run(path: Path, scenario: Callable[[Pilot[None]], Awaitable[None]]) -> None:
    db = open_database(str(path))
    app = make_app(db, NOW, poll_seconds=None)

    async def main() -> None:
        async with app.run_test(size=(120, 50)) as pilot:
            await settle(pilot)
            await scenario(pilot)

    try:
        asyncio.run(main())
    finally:
        db.close()


async def press(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


def shown(table: LogTable) -> list[str]:
    return table.row_keys()


def cursor_line(table: LogTable) -> str:
    """The line of the screen the table draws its cursor on, which must be in view."""
    in_view = table.scrollable_content_region.height - 1  # less the header
    line = table.cursor_row - round(table.scroll_y)
    assert 0 <= line < in_view, "the cursor is out of view"
    return table.render_line(1 + line).text


async def scroll_through(
    pilot: Pilot[None], table: LogTable, expected: list[str], *, back: bool = True
) -> None:
    """Page down from the top to the last row (and up again), checking at every step that the
    highlighted row is the one that position holds and that the window stayed small."""
    assert table.highlighted() is not None
    walks = [("pagedown", expected[-1])] + ([("pageup", expected[0])] if back else [])
    for key, end in walks:
        visited = []
        for _ in range(len(expected)):
            logged = table.highlighted()
            assert logged is not None
            assert table.first_index is not None
            position = table.first_index + table.cursor_row
            assert expected[position] == logged.entry.id, position
            drawn = cursor_line(table)
            assert drawn.startswith(f" {logged.entry.event_date.isoformat()} "), drawn
            assert logged.entry.summary[:8] in drawn, (drawn, logged.entry.summary)
            assert table.row_count <= WINDOW
            assert (
                shown(table) == expected[table.first_index : table.first_index + len(shown(table))]
            )
            visited.append(position)
            if logged.entry.id == end:
                break
            await press(pilot, key)
        else:
            pytest.fail(f"{key} never reached the end of the list")
        steps = visited if key == "pagedown" else visited[::-1]
        assert steps == sorted(set(steps)), "the cursor went back or stood still"


def test_the_log_pages_from_end_to_end_holding_two_pages_at_most(record: Path) -> None:
    expected = [u for (u,) in query_tuples(record, f"SELECT o.uuid FROM observation o {LOG_ORDER}")]
    assert len(expected) == OBSERVATIONS

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "l")
        screen = pilot.app.screen
        assert isinstance(screen, ObservationLogScreen)
        table = screen.query_one("#log", LogTable)
        assert shown(table) == expected[:PAGE_SIZE]
        status = str(screen.query_one("#log-status").render())
        assert f"{OBSERVATIONS:,} observation(s), newest first · showing 1–{PAGE_SIZE}" in status

        await press(pilot, "end")
        assert shown(table) == expected[-PAGE_SIZE:]
        assert table.highlighted().entry.id == expected[-1]  # type: ignore[union-attr]
        status = str(screen.query_one("#log-status").render())
        assert f"showing {OBSERVATIONS - PAGE_SIZE + 1}–{OBSERVATIONS:,}" in status
        await press(pilot, "home")
        assert shown(table) == expected[:PAGE_SIZE]
        assert table.cursor_row == 0

        await scroll_through(pilot, table, expected)

    run(record, scenario)


def test_an_indicator_pages_its_observations_and_counts_them_all(record: Path) -> None:
    ((key, indicator_id),) = query_tuples(
        record, "SELECT key, id FROM indicator ORDER BY position LIMIT 1"
    )
    expected = [
        u
        for (u,) in query_tuples(
            record,
            "SELECT o.uuid FROM observation o JOIN observation_indicator b"
            f" ON b.observation_id = o.id WHERE b.indicator_id = ? {LOG_ORDER}",
            indicator_id,
        )
    ]
    assert len(expected) > WINDOW, "the first indicator should have more than the window holds"

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "enter", "2")
        screen = pilot.app.screen
        assert isinstance(screen, IndicatorScreen) and screen.key == key
        table = screen.query_one("#indicator-observations", LogTable)
        assert shown(table) == expected[:PAGE_SIZE]
        label = screen.query_one(TabbedContent).get_tab("observations").label
        assert f"Observations ({len(expected):,})" == str(label)
        await press(pilot, "end")
        assert shown(table) == expected[-PAGE_SIZE:]
        await press(pilot, "home")
        await scroll_through(pilot, table, expected, back=False)

    run(record, scenario)
