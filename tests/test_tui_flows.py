"""The terminal app driven the way an analyst drives it: keys pressed, fields typed, then the
database read back to see what was (and was not) written.

Each test builds the app on its own seeded SQLite file and a fixed clock (today is 2025-12-22),
runs it headless with Textual's pilot, and waits for the app's worker threads after every step
that reads or writes the record.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual import events
from textual.command import CommandPalette
from textual.keys import _character_to_key
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, SelectionList, Static, TextArea
from textual.widgets._footer import FooterKey

from tests.conftest import (
    FIXED_NOW,
    SET_SLUG,
    DbTarget,
    database_contents,
    query_rows,
    query_tuples,
    row_counts,
    run_tracker,
    tracker_env,
)
from tracker.interfaces.tui.app import TrackerApp, make_app
from tracker.interfaces.tui.screens.assessment_form import AssessmentFormScreen
from tracker.interfaces.tui.screens.board import BoardScreen
from tracker.interfaces.tui.screens.confirm import ConfirmDialog
from tracker.interfaces.tui.screens.indicator import IndicatorScreen
from tracker.interfaces.tui.screens.log_table import LogTable
from tracker.interfaces.tui.screens.observation_form import BearingRow, ObservationFormScreen
from tracker.interfaces.tui.screens.observation_log import ObservationLogScreen
from tracker.services.assessments import AssessmentDraft, assess_indicator
from tracker.services.clock import FixedClock
from tracker.services.observations import ObservationDraft, record_observation
from tracker.services.status import status_as_of
from tracker.storage.database import Database, open_database

AUTHOR = "tui-analyst"
TODAY = FIXED_NOW.date()
SIZE = (120, 40)

Scenario = Callable[[Pilot[None]], Awaitable[None]]


# -- running the app ----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _author(monkeypatch: pytest.MonkeyPatch) -> None:
    """The forms fill the author from TRACKER_AUTHOR: make it known, whoever runs the tests."""
    monkeypatch.setenv("TRACKER_AUTHOR", AUTHOR)


@pytest.fixture
def desk(seeded_db: Database, clock: FixedClock, db_target: DbTarget) -> Desk:
    return Desk(seeded_db, clock, db_target)


class Desk:
    """A seeded database, the fixed clock, and a way to run the app over them."""

    def __init__(self, db: Database, clock: FixedClock, target: DbTarget) -> None:
        self.db = db
        self.clock = clock
        self.path = target

    def run(self, scenario: Scenario, *, poll_seconds: float | None = None) -> TrackerApp:
        app = make_app(self.db, self.clock, poll_seconds=poll_seconds)

        async def main() -> None:
            async with app.run_test(size=SIZE) as pilot:
                await after_change(pilot)
                await scenario(pilot)

        asyncio.run(main())
        return app

    def sql(self, query: str, *params: object) -> list[tuple[Any, ...]]:
        return query_tuples(self.path, query, *params)


async def settle(pilot: Pilot[None]) -> None:
    """Let every read and write the last key started finish, and the screen catch up. (The
    pilot already waited for the key itself; with no worker running there is nothing more.)"""
    while any(not worker.is_finished for worker in pilot.app.workers):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def after_change(pilot: Pilot[None]) -> None:
    """After changing a widget directly (as a click would), let its messages run, then settle."""
    await pilot.pause()
    await settle(pilot)


async def press(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def type_text(pilot: Pilot[None], text: str) -> None:
    """Type `text` into the focused widget: one key event per character, as a terminal sends
    them when someone types quickly, without the pilot's wait for idle after every one."""
    app = pilot.app
    assert app._driver is not None
    for character in text:
        key = character if character.isalnum() else _character_to_key(character)
        event = events.Key(key, character)
        event.set_sender(app)
        app._driver.send_message(event)
    await pilot.pause()
    await after_change(pilot)


async def retype_end(pilot: Pilot[None], backspaces: int, text: str) -> None:
    """In the focused Input: to the end, rub out the last characters, type new ones."""
    await press(pilot, "end", *["backspace"] * backspaces)
    await type_text(pilot, text)


async def clear_input(pilot: Pilot[None]) -> None:
    """Empty the focused Input as a user would: to the end, then delete everything left."""
    await press(pilot, "end", "ctrl+u")


def screen_name(pilot: Pilot[None]) -> str:
    return type(pilot.app.screen).__name__


def focused_id(pilot: Pilot[None]) -> str | None:
    focused = pilot.app.focused
    return focused.id if focused is not None else None


def plain(content: object) -> str:
    """What a Rich renderable (Text, Table) reads as on a wide terminal."""
    console = Console(width=200, record=True, file=io.StringIO(), color_system=None)
    console.print(content)
    return console.export_text()


def static_text(pilot: Pilot[None], selector: str) -> str:
    return plain(pilot.app.screen.query_one(selector, Static).content)


def table_rows(pilot: Pilot[None], selector: str) -> list[str]:
    table = pilot.app.screen.query_one(selector)
    if isinstance(table, LogTable):
        return table.row_keys()
    assert isinstance(table, DataTable)
    return [str(row.key.value) for row in table.ordered_rows]


def cell(pilot: Pilot[None], selector: str, row_key: str, column: int) -> str:
    table = pilot.app.screen.query_one(selector)
    if isinstance(table, LogTable):
        return table.cell_texts(row_key)[column]
    assert isinstance(table, DataTable)
    value = table.get_row(row_key)[column]
    return value.plain if hasattr(value, "plain") else str(value)


def board_indicators(pilot: Pilot[None]) -> list[str]:
    return [key for key in table_rows(pilot, "#board") if not key.startswith("theme:")]


def notifications(pilot: Pilot[None]) -> list[str]:
    return [f"{n.title}: {n.message}" for n in pilot.app._notifications]


def error_line(pilot: Pilot[None], field: str) -> Static:
    return pilot.app.screen.query_one(f"#error-{field}", Static)


async def highlight(pilot: Pilot[None], key: str) -> None:
    """Put the board's cursor on the indicator `key`, as clicking its row would."""
    screen = pilot.app.screen
    assert isinstance(screen, BoardScreen)
    table = screen.query_one("#board", DataTable)
    rows = table_rows(pilot, "#board")
    assert key in rows, f"{key} is not on the board: {rows}"
    table.focus()
    table.move_cursor(row=rows.index(key), animate=False)
    await after_change(pilot)
    assert screen.highlighted_key() == key


async def choose(pilot: Pilot[None], target: Select[Any], value: str) -> None:
    """Focus a Select, open its menu with Enter, arrow to `value` and press Enter, as a user
    choosing with the keyboard does."""
    from textual.widgets._select import SelectOverlay

    target.focus()
    await press(pilot, "enter")
    assert target.expanded, f"{target} did not open its menu"
    overlay = target.query_one(SelectOverlay)
    values = [option_value for _prompt, option_value in target._options]
    assert value in values, f"{value!r} is not offered by {target}: {values}"
    start = overlay.highlighted if overlay.highlighted is not None else -1
    steps = values.index(value) - start
    await press(pilot, *(["down"] * steps if steps > 0 else ["up"] * -steps), "enter")
    assert target.value == value


# -- reading the record back ----------------------------------------------------------------------


def indicator_keys_by_theme(desk: Desk) -> list[tuple[str, str, str]]:
    """(theme key, theme title, indicator key) in the set's order, straight from the tables."""
    return [
        (theme_key, theme_title, key)
        for theme_key, theme_title, key in desk.sql(
            "SELECT theme.key, theme.title, indicator.key FROM indicator "
            "JOIN theme ON theme.id = indicator.theme_id "
            "WHERE indicator.retired_at IS NULL ORDER BY theme.position, indicator.position"
        )
    ]


def newest_observation(desk: Desk) -> dict[str, Any]:
    (row,) = query_rows(desk.path, "SELECT * FROM observation ORDER BY id DESC LIMIT 1")
    row.pop("search", None)  # PostgreSQL's search index column
    return row


def links_of(desk: Desk, observation_id: int) -> dict[str, tuple[str, str]]:
    return {
        key: (bearing, event_date)
        for key, bearing, event_date in desk.sql(
            "SELECT indicator.key, observation_indicator.bearing, observation_indicator.event_date "
            "FROM observation_indicator JOIN indicator ON indicator.id = "
            "observation_indicator.indicator_id WHERE observation_id = ?",
            observation_id,
        )
    }


def observations_on(desk: Desk, key: str) -> list[tuple[int, str, str]]:
    """(row id, uuid, summary) of the observations bearing on `key`, newest first."""
    return desk.sql(
        "SELECT observation.id, observation.uuid, observation.summary FROM observation "
        "JOIN observation_indicator ON observation_indicator.observation_id = observation.id "
        "JOIN indicator ON indicator.id = observation_indicator.indicator_id "
        "WHERE indicator.key = ? ORDER BY observation.event_date DESC, observation.id DESC",
        key,
    )


def changed_tables(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {table: after[table] - before[table] for table in after if after[table] != before[table]}


# -- 1. open ---------------------------------------------------------------------------------------


def test_board_lists_every_indicator_grouped_by_theme_and_enter_opens_it(desk: Desk) -> None:
    expected = indicator_keys_by_theme(desk)
    assert len(expected) == 22
    expected_rows: list[str] = []
    for theme_key, _title, key in expected:
        if f"theme:{theme_key}" not in expected_rows:
            expected_rows.append(f"theme:{theme_key}")
        expected_rows.append(key)
    titles = {theme_key: title for theme_key, title, _ in expected}

    async def scenario(pilot: Pilot[None]) -> None:
        assert screen_name(pilot) == "BoardScreen"
        assert table_rows(pilot, "#board") == expected_rows
        for theme_key, title in titles.items():
            assert cell(pilot, "#board", f"theme:{theme_key}", 1) == title
        assert "of 22 moved" in static_text(pilot, "#board-summary")

        # The cursor starts on the first indicator; one down is the second.
        screen = pilot.app.screen
        assert isinstance(screen, BoardScreen)
        assert screen.highlighted_key() == expected[0][2]
        await press(pilot, "down")
        second = expected[1][2]
        assert screen.highlighted_key() == second

        await press(pilot, "enter")
        opened = pilot.app.screen
        assert isinstance(opened, IndicatorScreen)
        assert opened.key == second
        assert f"{second} ·" in static_text(pilot, "#definition")

        await press(pilot, "escape")
        assert pilot.app.screen is screen
        assert len(board_indicators(pilot)) == 22
        assert screen.highlighted_key() == second

    before = database_contents(desk.path)
    desk.run(scenario)
    assert database_contents(desk.path) == before


# -- 2. filter -------------------------------------------------------------------------------------


def test_filter_narrows_board_by_title_key_or_theme(desk: Desk) -> None:
    rows = desk.sql(
        "SELECT indicator.key, indicator.title, theme.key, theme.title FROM indicator "
        "JOIN theme ON theme.id = indicator.theme_id ORDER BY theme.position, indicator.position"
    )

    def matching(words: str) -> list[str]:
        return [
            key
            for key, *texts in rows
            if all(w in " ".join([key, *texts]).casefold() for w in words.casefold().split())
        ]

    async def scenario(pilot: Pilot[None]) -> None:
        # By title, by key only, by theme only, and two words in any order.
        for words in ["europe", "firmn", "humani", "talk miami"]:
            await press(pilot, "slash")
            assert focused_id(pilot) == "filter"
            await type_text(pilot, words)
            expected = matching(words)
            assert expected, words
            assert board_indicators(pilot) == expected, words
            assert f"showing {len(expected)} of 22" in static_text(pilot, "#board-summary")
            # Escape empties the filter and gives the table back every indicator.
            await press(pilot, "escape")
            assert pilot.app.screen.query_one("#filter", Input).value == ""
            assert focused_id(pilot) == "board"
            assert len(board_indicators(pilot)) == 22

        await press(pilot, "slash")
        await type_text(pilot, "zzz")
        assert board_indicators(pilot) == []
        await press(pilot, "escape")

    desk.run(scenario)


def test_status_filter_cycles_to_moved_toward_only(desk: Desk, clock: FixedClock) -> None:
    board = status_as_of(desk.db, clock).indicators
    toward = [i.key for i in board if i.status == "moved" and i.direction == "toward"]
    away = [i.key for i in board if i.status == "moved" and i.direction == "away"]
    moved = [i.key for i in board if i.status == "moved"]
    unmoved = [i.key for i in board if i.status == "unmoved"]
    assert toward and away and unmoved  # the seeded set has each kind

    async def scenario(pilot: Pilot[None]) -> None:
        status_filter = pilot.app.screen.query_one("#status-filter", Select)
        for value, expected in [
            ("toward", toward),
            ("away", away),
            ("moved", moved),
            ("unmoved", unmoved),
        ]:
            await press(pilot, "f")
            assert status_filter.value == value
            assert board_indicators(pilot) == expected, value
        # Text and status filters combine.
        await press(pilot, "slash")
        await type_text(pilot, "europe")
        europe = {
            key
            for (key,) in desk.sql(
                "SELECT indicator.key FROM indicator JOIN theme ON theme.id = indicator.theme_id "
                "WHERE lower(indicator.key || ' ' || indicator.title || ' ' || theme.key || ' ' "
                "|| theme.title) LIKE '%europe%'"
            )
        }
        assert board_indicators(pilot) == [k for k in unmoved if k in europe]
        await press(pilot, "escape")
        # Round the cycle back to everything.
        for _ in range(3):
            await press(pilot, "f")
        assert status_filter.value == "all"
        assert len(board_indicators(pilot)) == 22

    desk.run(scenario)


# -- 3. log an observation ------------------------------------------------------------------------


def test_log_observation_saves_every_field(desk: Desk) -> None:
    before = row_counts(desk.path)
    summary = "[b]Z[/b]"  # markup-like text is kept as typed

    async def scenario(pilot: Pilot[None]) -> None:
        await highlight(pilot, "territory")
        board = pilot.app.screen
        await press(pilot, "o")
        form = pilot.app.screen
        assert isinstance(form, ObservationFormScreen)
        assert focused_id(pilot) == "summary"
        # The indicator highlighted on the board is already chosen.
        first_row = form.query(BearingRow).first()
        assert first_row.query_one(".bearing-indicator", Select).value == "territory"

        # Tab walks from the summary to the quote to the dates.
        await type_text(pilot, summary)
        await press(pilot, "tab")
        assert focused_id(pilot) == "quote"
        await type_text(pilot, "Buffer.")
        await press(pilot, "tab")
        assert focused_id(pilot) == "event_date"
        assert form.query_one("#event_date", Input).value == TODAY.isoformat()
        await retype_end(pilot, 1, "0")
        await press(pilot, "tab")
        assert focused_id(pilot) == "author"
        assert form.query_one("#author", Input).value == AUTHOR

        # The source, field by field (as clicking into each would).
        for field, text in [
            ("source_title", "Wire"),
            ("source_publisher", "Ex"),
            ("source_url", "e.x/t"),
            ("source_date", "2025-12-21"),
            ("note", "Caveat."),
        ]:
            form.query_one(f"#{field}").focus()
            await type_text(pilot, text)
        await choose(pilot, form.query_one("#reliability", Select), "B")
        await choose(pilot, form.query_one("#credibility", Select), "3")
        await choose(pilot, first_row.query_one(".bearing-way", Select), "away")

        # A second indicator, through the "+ Add indicator" button.
        form.query_one("#add-bearing").focus()
        await press(pilot, "enter")
        rows = list(form.query(BearingRow))
        assert len(rows) == 2
        second = rows[1]
        assert pilot.app.focused is second.query_one(".bearing-indicator", Select)
        second.query_one(".bearing-indicator", Select).value = "phased-approach"
        await after_change(pilot)
        await choose(pilot, second.query_one(".bearing-way", Select), "toward")

        await press(pilot, "ctrl+s")
        assert pilot.app.screen is board
        assert any("Saved observation" in n for n in notifications(pilot)), notifications(pilot)
        assert isinstance(board, BoardScreen)
        assert board.highlighted_key() == "territory"
        assert cell(pilot, "#board", "territory", 3) == "2025-12-20"

    desk.run(scenario)

    assert changed_tables(before, row_counts(desk.path)) == {
        "observation": 1,
        "observation_indicator": 2,
    }
    saved = newest_observation(desk)
    recorded_at = saved.pop("recorded_at")
    assert "2025-12-22" in recorded_at and "09:30" in recorded_at, recorded_at
    saved_id = saved.pop("id")
    saved.pop("uuid")
    assert saved == {
        "event_date": "2025-12-20",
        "summary": summary,
        "quote": "Buffer.",
        "note": "Caveat.",
        "source_title": "Wire",
        "source_publisher": "Ex",
        "source_url": "e.x/t",
        "source_date": "2025-12-21",
        "unsourced": 0,
        "reliability": "B",
        "credibility": 3,
        "author": AUTHOR,
    }
    assert links_of(desk, saved_id) == {
        "territory": ("away", "2025-12-20"),
        "phased-approach": ("toward", "2025-12-20"),
    }


def test_log_observation_from_indicator_screen_preselects_it_and_returns_there(
    desk: Desk,
) -> None:
    before = row_counts(desk.path)
    seen_before = len(observations_on(desk, "enforcement"))

    async def scenario(pilot: Pilot[None]) -> None:
        await highlight(pilot, "enforcement")
        await press(pilot, "enter")
        indicator = pilot.app.screen
        assert isinstance(indicator, IndicatorScreen)
        await press(pilot, "o")
        form = pilot.app.screen
        assert isinstance(form, ObservationFormScreen)
        rows = list(form.query(BearingRow))
        assert [r.query_one(".bearing-indicator", Select).value for r in rows] == ["enforcement"]
        await type_text(pilot, "Quiet.")
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is indicator
        assert any("Saved observation" in n for n in notifications(pilot))
        listed = indicator.query_one("#indicator-observations", LogTable).entries
        assert len(listed) == seen_before + 1
        assert listed[0].entry.summary == "Quiet."

    desk.run(scenario)

    assert changed_tables(before, row_counts(desk.path)) == {
        "observation": 1,
        "observation_indicator": 1,
    }
    saved = newest_observation(desk)
    assert saved["summary"] == "Quiet."
    assert saved["event_date"] == TODAY.isoformat()
    assert saved["unsourced"] == 1
    assert saved["quote"] is None
    assert saved["reliability"] is None and saved["credibility"] is None
    assert saved["author"] == AUTHOR
    assert links_of(desk, saved["id"]) == {"enforcement": ("none", TODAY.isoformat())}


# -- 4. cancel -------------------------------------------------------------------------------------


def test_cancel_leaves_unchanged_form_at_once_and_asks_before_discarding(desk: Desk) -> None:
    before = database_contents(desk.path)

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "o")
        assert screen_name(pilot) == "ObservationFormScreen"
        await press(pilot, "escape")
        assert screen_name(pilot) == "BoardScreen"

        await press(pilot, "o")
        form = pilot.app.screen
        await type_text(pilot, "half")
        await press(pilot, "escape")
        assert screen_name(pilot) == "ConfirmDialog"
        await press(pilot, "n")
        assert pilot.app.screen is form
        assert form.query_one("#summary", TextArea).text == "half"

        await press(pilot, "escape")
        assert screen_name(pilot) == "ConfirmDialog"
        await press(pilot, "y")
        assert screen_name(pilot) == "BoardScreen"

        # The assessment form asks the same way.
        await press(pilot, "m")
        assert screen_name(pilot) == "AssessmentFormScreen"
        pilot.app.screen.query_one("#rationale", TextArea).focus()
        await type_text(pilot, "hmm")
        await press(pilot, "escape")
        assert screen_name(pilot) == "ConfirmDialog"
        await press(pilot, "y")
        assert screen_name(pilot) == "BoardScreen"

    desk.run(scenario)
    assert database_contents(desk.path) == before


# -- 5. validate -----------------------------------------------------------------------------------


def assert_refused(pilot: Pilot[None], form: Any, field: str, message: str) -> None:
    """The form is still open, the line under `field` (and only that one) shows the message,
    and the cursor is back in the field at fault."""
    assert pilot.app.screen is form, f"the form closed; now on {screen_name(pilot)}"
    line = error_line(pilot, field)
    assert line.has_class("-shown"), f"no error shown under {field}"
    assert line.display
    assert message in plain(line.content), plain(line.content)
    shown = [w.id for w in form.query(".field-error").results(Static) if w.has_class("-shown")]
    assert shown == [f"error-{field}"]
    assert any("Not saved" in n for n in notifications(pilot))


def test_log_observation_refuses_bad_input_writes_nothing_then_saves_corrected(
    desk: Desk,
) -> None:
    before = database_contents(desk.path)
    counts = row_counts(desk.path)

    async def scenario(pilot: Pilot[None]) -> None:
        await highlight(pilot, "miami-talks")
        await press(pilot, "o")
        form = pilot.app.screen
        assert isinstance(form, ObservationFormScreen)
        date_box = form.query_one("#event_date", Input)

        # Nothing typed.
        await press(pilot, "ctrl+s")
        assert_refused(pilot, form, "summary", "empty")
        assert focused_id(pilot) == "summary"
        # Only blanks.
        await type_text(pilot, "   ")
        await press(pilot, "ctrl+s")
        assert_refused(pilot, form, "summary", "empty")

        await type_text(pilot, "Talks.")
        date_box.focus()
        for ending, typed, message in [
            ("32", "2025-12-32", "'2025-12-32' is not a date; write it as YYYY-MM-DD"),
            ("3x", "2025-12-3x", "'2025-12-3x' is not a date"),
            ("23", "2025-12-23", "2025-12-23 is in the future"),
        ]:
            await retype_end(pilot, 2, ending)
            await press(pilot, "ctrl+s")
            assert_refused(pilot, form, "event_date", message)
            assert focused_id(pilot) == "event_date"
            assert date_box.value == typed  # still there to correct
            assert form.query_one("#summary", TextArea).text == "   Talks."

        # No indicator to bear on.
        await retype_end(pilot, 1, "1")
        assert date_box.value == "2025-12-21"
        form.query_one(".bearing-remove").focus()
        await press(pilot, "enter")
        assert list(form.query(BearingRow)) == []
        await press(pilot, "ctrl+s")
        assert_refused(pilot, form, "bearings", "at least one indicator")

        assert database_contents(desk.path) == before

        # Corrected: the indicator back, and it saves.
        form.query_one("#add-bearing").focus()
        await press(pilot, "enter")
        [row] = form.query(BearingRow)
        row.query_one(".bearing-indicator", Select).value = "miami-talks"
        await after_change(pilot)
        await press(pilot, "ctrl+s")
        assert screen_name(pilot) == "BoardScreen"

    desk.run(scenario)
    assert changed_tables(counts, row_counts(desk.path)) == {
        "observation": 1,
        "observation_indicator": 1,
    }
    saved = newest_observation(desk)
    assert (saved["summary"], saved["event_date"]) == ("Talks.", "2025-12-21")
    assert links_of(desk, saved["id"]) == {"miami-talks": ("none", "2025-12-21")}


# -- 6. mark ---------------------------------------------------------------------------------------


def test_mark_moved_saves_assessment_with_evidence(desk: Desk) -> None:
    before = row_counts(desk.path)
    evidence = observations_on(desk, "enforcement")
    assert len(evidence) == 1
    evidence_id, evidence_uuid, _ = evidence[0]
    indicator_id = desk.sql("SELECT id FROM indicator WHERE key = 'enforcement'")[0][0]

    async def scenario(pilot: Pilot[None]) -> None:
        await highlight(pilot, "enforcement")
        board = pilot.app.screen
        await press(pilot, "m")
        form = pilot.app.screen
        assert isinstance(form, AssessmentFormScreen)
        assert focused_id(pilot) == "status"
        await choose(pilot, form.query_one("#status", Select), "moved")
        await choose(pilot, form.query_one("#direction", Select), "toward")
        await choose(pilot, form.query_one("#confidence", Select), "high")
        await press(pilot, "tab")
        assert focused_id(pilot) == "rationale"
        await type_text(pilot, "Agreed.")
        evidence_list = form.query_one("#evidence", SelectionList)
        # Each observation of the indicator is offered once.
        offered = [
            evidence_list.get_option_at_index(i).value for i in range(evidence_list.option_count)
        ]
        assert offered == [evidence_uuid]
        evidence_list.focus()
        await press(pilot, "down", "space")
        assert form.query_one("#evidence", SelectionList).selected == [evidence_uuid]
        await press(pilot, "ctrl+s")

        assert pilot.app.screen is board
        assert any("Saved: enforcement moved toward" in n for n in notifications(pilot))
        assert "moved toward" in cell(pilot, "#board", "enforcement", 0)

    desk.run(scenario)

    assert changed_tables(before, row_counts(desk.path)) == {
        "assessment": 1,
        "assessment_evidence": 1,
    }
    [row] = desk.sql(
        "SELECT id, indicator_id, status, direction, confidence, rationale, author, effective_on,"
        " recorded_at FROM assessment ORDER BY id DESC LIMIT 1"
    )
    assessment_id, *fields, recorded_at = row
    assert fields == [
        indicator_id,
        "moved",
        "toward",
        "high",
        "Agreed.",
        AUTHOR,
        TODAY.isoformat(),
    ]
    assert "2025-12-22" in recorded_at and "09:30" in recorded_at
    assert desk.sql("SELECT assessment_id, observation_id FROM assessment_evidence") == [
        (assessment_id, evidence_id)
    ]


def test_mark_unmoved_saves_without_direction(desk: Desk) -> None:
    before = row_counts(desk.path)

    async def scenario(pilot: Pilot[None]) -> None:
        await highlight(pilot, "security-guarantees")
        await press(pilot, "enter")
        indicator = pilot.app.screen
        await press(pilot, "m")
        form = pilot.app.screen
        assert isinstance(form, AssessmentFormScreen)
        await choose(pilot, form.query_one("#status", Select), "unmoved")
        assert form.query_one("#direction", Select).disabled
        form.query_one("#rationale", TextArea).focus()
        await type_text(pilot, "Stalled.")
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is indicator
        assert "unmoved" in static_text(pilot, "#timeline").split("\n\n")[1]

    desk.run(scenario)
    assert changed_tables(before, row_counts(desk.path)) == {"assessment": 1}
    assert desk.sql(
        "SELECT indicator.key, status, direction, confidence, rationale FROM assessment "
        "JOIN indicator ON indicator.id = assessment.indicator_id ORDER BY assessment.id DESC "
        "LIMIT 1"
    ) == [
        (
            "security-guarantees",
            "unmoved",
            None,
            "medium",
            "Stalled.",
        )
    ]


def test_mark_refuses_missing_status_reason_or_direction_and_writes_nothing(desk: Desk) -> None:
    before = database_contents(desk.path)

    async def scenario(pilot: Pilot[None]) -> None:
        await highlight(pilot, "enforcement")
        await press(pilot, "m")
        form = pilot.app.screen
        assert isinstance(form, AssessmentFormScreen)

        await press(pilot, "ctrl+s")
        assert_refused(pilot, form, "status", "status must be moved or unmoved")

        # Unmoved with no reason.
        await choose(pilot, form.query_one("#status", Select), "unmoved")
        await press(pilot, "ctrl+s")
        assert_refused(pilot, form, "rationale", "empty")
        assert focused_id(pilot) == "rationale"

        # Moved with a reason but no direction.
        await type_text(pilot, "Why.")
        await choose(pilot, form.query_one("#status", Select), "moved")
        assert not form.query_one("#direction", Select).disabled
        await press(pilot, "ctrl+s")
        assert_refused(pilot, form, "direction", "a moved indicator needs a direction")
        assert focused_id(pilot) == "direction"

        await press(pilot, "escape")
        assert screen_name(pilot) == "ConfirmDialog"
        await press(pilot, "y")
        assert screen_name(pilot) == "BoardScreen"

    desk.run(scenario)
    assert database_contents(desk.path) == before


# -- 7. retract ------------------------------------------------------------------------------------


def retract_offered(pilot: Pilot[None]) -> bool:
    """Whether the footer offers the Retract key (it is left out where there is nothing to
    retract)."""
    keys = [key for key in pilot.app.screen.query(FooterKey) if key.action == "retract"]
    return any(not key.has_class("-disabled") for key in keys)


def test_retract_observation_records_reason_and_keeps_it(desk: Desk) -> None:
    before = row_counts(desk.path)
    contents = database_contents(desk.path)
    [(observation_id, observation_uuid, _)] = observations_on(desk, "enforcement")
    reason = "Fake [i]"

    async def scenario(pilot: Pilot[None]) -> None:
        await highlight(pilot, "enforcement")
        await press(pilot, "enter")
        indicator = pilot.app.screen
        assert isinstance(indicator, IndicatorScreen)
        # On the File tab there is no observation chosen to retract, and the footer says so.
        assert not retract_offered(pilot)
        await press(pilot, "x")
        assert pilot.app.screen is indicator
        await press(pilot, "2")
        assert focused_id(pilot) == "indicator-observations"
        assert retract_offered(pilot)
        await press(pilot, "x")
        dialog = pilot.app.screen
        assert screen_name(pilot) == "RetractDialog"
        assert focused_id(pilot) == "retract-reason"

        # No reason: refused, in words the analyst can see, and nothing written.
        await type_text(pilot, "  ")
        await press(pilot, "enter")
        assert pilot.app.screen is dialog
        error = dialog.query_one("#retract-error", Static)
        assert "the reason for retracting is empty" in plain(error.content)
        assert error.display, "the retract error line stays hidden (display: none)"
        assert database_contents(desk.path) == contents

        await type_text(pilot, reason)
        await press(pilot, "enter")
        assert pilot.app.screen is indicator
        assert any("Retracted observation" in n for n in notifications(pilot))
        assert cell(pilot, "#indicator-observations", observation_uuid, 4) == "RETRACTED"
        assert "Retracted" in static_text(pilot, "#observation-detail")
        assert reason in static_text(pilot, "#observation-detail")
        # Already retracted: x does nothing more, and the footer no longer offers it.
        assert not retract_offered(pilot)
        await press(pilot, "x")
        assert pilot.app.screen is indicator

    desk.run(scenario)
    assert changed_tables(before, row_counts(desk.path)) == {"retraction": 1}
    # The reason as typed (after the blanks of the first try, which are not kept).
    assert desk.sql("SELECT observation_id, reason, author FROM retraction") == [
        (observation_id, reason, AUTHOR)
    ]
    assert desk.sql("SELECT uuid FROM observation WHERE id = ?", observation_id) == [
        (observation_uuid,)
    ]


# -- 8. as-of --------------------------------------------------------------------------------------


def test_as_of_shows_the_past_read_only_and_t_returns_to_today(
    desk: Desk, clock: FixedClock
) -> None:
    from tracker.interfaces.wording import status_label

    past = date(2025, 12, 10)
    then = status_as_of(desk.db, clock, past).indicators
    now = status_as_of(desk.db, clock).indicators
    # The seeded record differs between the two dates, so the test can tell them apart.
    assert [(i.key, i.status) for i in then] != [(i.key, i.status) for i in now]
    before = database_contents(desk.path)

    def expected_cells(items: list[Any]) -> dict[str, tuple[str, str]]:
        return {
            i.key: (
                status_label(i.status, i.direction).plain,
                i.last_observation_on.isoformat() if i.last_observation_on else "never",
            )
            for i in items
        }

    def shown_cells(pilot: Pilot[None]) -> dict[str, tuple[str, str]]:
        return {
            key: (cell(pilot, "#board", key, 0), cell(pilot, "#board", key, 3))
            for key in board_indicators(pilot)
        }

    async def scenario(pilot: Pilot[None]) -> None:
        board = pilot.app.screen
        await press(pilot, "a")
        assert screen_name(pilot) == "AsOfDialog"
        await type_text(pilot, past.isoformat())
        await press(pilot, "enter")
        assert pilot.app.screen is board
        assert pilot.app.as_of == past
        assert shown_cells(pilot) == expected_cells(then)
        assert board.has_class("-read-only")
        assert "READ-ONLY" in board.sub_title

        await highlight(pilot, "enforcement")
        for key in ("o", "m"):
            await press(pilot, key)
            assert pilot.app.screen is board, f"{key} opened {screen_name(pilot)} in the past"

        # The indicator screen is read-only too.
        await press(pilot, "enter")
        indicator = pilot.app.screen
        assert isinstance(indicator, IndicatorScreen)
        assert indicator.has_class("-read-only")
        await press(pilot, "2")
        for key in ("o", "m", "x"):
            await press(pilot, key)
            assert pilot.app.screen is indicator, f"{key} opened {screen_name(pilot)} in the past"
        await press(pilot, "escape")
        assert pilot.app.screen is board

        await press(pilot, "t")
        assert pilot.app.as_of is None
        assert shown_cells(pilot) == expected_cells(now)
        # What the header says right after t (checked below, once writing is tried).
        header_after_t = (board.sub_title, board.has_class("-read-only"))
        await press(pilot, "o")
        assert screen_name(pilot) == "ObservationFormScreen"
        await press(pilot, "escape")
        assert pilot.app.screen is board
        # Back to today, the board must no longer say it is read-only.
        assert header_after_t == (f"as of today {TODAY.isoformat()}", False), header_after_t

    desk.run(scenario)
    assert database_contents(desk.path) == before


def test_as_of_refuses_bad_or_future_date_in_the_dialog(desk: Desk) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "a")
        dialog = pilot.app.screen
        assert screen_name(pilot) == "AsOfDialog"
        error = dialog.query_one("#as-of-error", Static)
        await type_text(pilot, "2025-02-30")
        for ending, message in [
            ("", "'2025-02-30' is not a date"),
            ("2x", "'2025-02-2x' is not a date"),
            ("12-23", "2025-12-23 is in the future"),
        ]:
            if ending:
                await retype_end(pilot, len(ending), ending)
            await press(pilot, "enter")
            assert pilot.app.screen is dialog
            assert pilot.app.as_of is None
            assert message in plain(error.content), plain(error.content)
        # The analyst must be able to see the message.
        assert error.display, "the as-of error line stays hidden (display: none)"
        await press(pilot, "escape")
        assert screen_name(pilot) == "BoardScreen"
        assert pilot.app.as_of is None

    desk.run(scenario)


# -- 9. search -------------------------------------------------------------------------------------


def test_observation_log_search_and_filters(desk: Desk) -> None:
    everything = desk.sql("SELECT uuid FROM observation")
    searched = ["summary", "quote", "note", "source_title", "source_publisher"]
    joined = " || ' ' || ".join(f"coalesce({column}, '')" for column in searched)
    with_word = desk.sql(f"SELECT uuid FROM observation WHERE lower({joined}) LIKE '%macron%'")
    assert 0 < len(with_word) < len(everything)
    civilian = [uuid for _, uuid, _ in observations_on(desk, "civilian-toll")]
    since = desk.sql("SELECT uuid FROM observation WHERE event_date >= '2025-12-15'")

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "l")
        log = pilot.app.screen
        assert isinstance(log, ObservationLogScreen)
        assert len(table_rows(pilot, "#log")) == len(everything)
        assert f"{len(everything)} observation(s)" in static_text(pilot, "#log-status")

        await press(pilot, "slash")
        assert focused_id(pilot) == "search"
        await type_text(pilot, "MACRON")
        await press(pilot, "enter")
        assert sorted(table_rows(pilot, "#log")) == sorted(u for (u,) in with_word)
        assert f"{len(with_word)} observation(s)" in static_text(pilot, "#log-status")

        await press(pilot, "slash")
        await clear_input(pilot)
        await type_text(pilot, "zzq")
        await press(pilot, "enter")
        assert table_rows(pilot, "#log") == []
        assert "No observation matches" in static_text(pilot, "#log-status")

        await press(pilot, "ctrl+r")
        assert len(table_rows(pilot, "#log")) == len(everything)

        # Filter by indicator, as a user choosing from the menu.
        log.query_one("#filter-indicator", Select).value = f"{SET_SLUG}/civilian-toll"
        await after_change(pilot)
        assert table_rows(pilot, "#log") == civilian

        await press(pilot, "ctrl+r")
        since_box = log.query_one("#filter-since", Input)
        since_box.focus()
        await type_text(pilot, "2025-12-15")
        await press(pilot, "enter")
        assert sorted(table_rows(pilot, "#log")) == sorted(u for (u,) in since)

        since_box.focus()
        await retype_end(pilot, 1, "x")
        await press(pilot, "enter")
        status = static_text(pilot, "#log-status")
        assert "'from' date '2025-12-1x' is not a date" in status

        await press(pilot, "ctrl+r")
        assert f"{len(everything)} observation(s)" in static_text(pilot, "#log-status")

        # A click on a row (the header is line 0) opens its indicator, as Enter does.
        second = log.query_one("#log", LogTable).entries[1]
        assert await pilot.click("#log", offset=(3, 2))
        await settle(pilot)
        assert screen_name(pilot) == "IndicatorScreen"
        assert getattr(pilot.app.screen, "key", None) == second.bearings[0][0]
        await press(pilot, "escape")
        assert log.query_one("#log", LogTable).highlighted() == second

        await press(pilot, "escape")
        assert screen_name(pilot) == "BoardScreen"

    desk.run(scenario)


# -- 10. refresh -----------------------------------------------------------------------------------


def test_refresh_shows_what_the_command_line_wrote(desk: Desk, tmp_path: Path) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        assert cell(pilot, "#board", "enforcement", 3) == "2025-12-15"
        result = await asyncio.to_thread(
            run_tracker,
            "--db",
            str(desk.path),
            "observe",
            "enforcement:toward",
            "--text",
            "Monitors named.",
            "--date",
            "2025-12-21",
            cwd=tmp_path,
            env=tracker_env(tmp_path),
        )
        assert result.returncode == 0, result.stderr
        await after_change(pilot)
        assert cell(pilot, "#board", "enforcement", 3) == "2025-12-15"  # not yet re-read
        await press(pilot, "r")
        assert cell(pilot, "#board", "enforcement", 3) == "2025-12-21"

    desk.run(scenario)


def _write_elsewhere(
    path: DbTarget, clock: FixedClock, key: str, day: str, author: str | None = None
) -> None:
    other = open_database(str(path))
    try:
        record_observation(
            other,
            ObservationDraft(
                bearings=[(key, "toward")],
                summary="Written by a colleague.",
                event_date=day,
                author=author,
            ),
            clock,
        )
    finally:
        other.close()


def test_refresh_rereads_indicator_screen_and_board_behind_it(
    desk: Desk, clock: FixedClock
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        board = pilot.app.screen
        await highlight(pilot, "enforcement")
        await press(pilot, "enter")
        indicator = pilot.app.screen
        assert isinstance(indicator, IndicatorScreen)
        count = len(table_rows(pilot, "#indicator-observations"))
        await asyncio.to_thread(_write_elsewhere, desk.path, clock, "enforcement", "2025-12-21")
        await press(pilot, "r")
        assert len(table_rows(pilot, "#indicator-observations")) == count + 1
        await press(pilot, "escape")
        assert pilot.app.screen is board
        assert cell(pilot, "#board", "enforcement", 3) == "2025-12-21"

    desk.run(scenario)


def test_polling_shows_change_from_elsewhere_without_a_key(desk: Desk, clock: FixedClock) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        assert cell(pilot, "#board", "enforcement", 3) == "2025-12-15"
        await pilot.pause(0.5)  # the first poll learns the record's version
        await asyncio.to_thread(_write_elsewhere, desk.path, clock, "enforcement", "2025-12-21")
        for _ in range(50):
            await pilot.pause(0.1)
            await pilot.app.workers.wait_for_complete()
            if cell(pilot, "#board", "enforcement", 3) == "2025-12-21":
                break
        assert cell(pilot, "#board", "enforcement", 3) == "2025-12-21"

    desk.run(scenario, poll_seconds=0.2)


# -- 11. help and palette --------------------------------------------------------------------------


def test_help_lists_the_keys(desk: Desk) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "question_mark")
        assert screen_name(pilot) == "HelpScreen"
        text = "\n".join(
            plain(w.content) for w in pilot.app.screen.query(".help-section").results(Static)
        )
        for words in ["Observe", "Mark", "Retract", "As of", "Filter", "Save", "Cancel", "Ctrl+p"]:
            assert words.casefold() in text.casefold(), words
        await press(pilot, "escape")
        assert screen_name(pilot) == "BoardScreen"

    desk.run(scenario)


def test_command_palette_finds_the_observation_log_and_indicators_by_name(desk: Desk) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "ctrl+p")
        assert isinstance(pilot.app.screen, CommandPalette)
        await type_text(pilot, "Observation log")
        await pilot.pause(0.3)  # the palette searches its providers in the background
        await press(pilot, "enter")
        assert screen_name(pilot) == "ObservationLogScreen"
        await press(pilot, "escape")
        assert screen_name(pilot) == "BoardScreen"

        await press(pilot, "ctrl+p")
        await type_text(pilot, "Enforce")
        await pilot.pause(0.3)
        await press(pilot, "enter")
        screen = pilot.app.screen
        assert isinstance(screen, IndicatorScreen)
        assert screen.key == "enforcement"

    desk.run(scenario)


def palette_offers(app: TrackerApp, screen: Any) -> set[str]:
    return {str(command.title) for command in app.get_system_commands(screen)}


def test_command_palette_offers_the_same_actions_while_it_is_open(desk: Desk) -> None:
    """The palette is a modal screen of its own: opening it must not hide the app's actions
    (As of, the observation log) that the board offers."""

    async def scenario(pilot: Pilot[None]) -> None:
        board = pilot.app.screen
        assert isinstance(pilot.app, TrackerApp)
        closed = palette_offers(pilot.app, board)
        await press(pilot, "ctrl+p")
        assert isinstance(pilot.app.screen, CommandPalette)
        opened = palette_offers(pilot.app, board)
        assert closed - opened == set()
        await press(pilot, "escape")

    desk.run(scenario)


# -- 12. a desk of several analysts ---------------------------------------------------------------


def _mark_elsewhere(target: DbTarget, clock: FixedClock, key: str, author: str) -> str:
    other = open_database(str(target))
    try:
        return assess_indicator(
            other,
            AssessmentDraft(
                indicator_key=key,
                status="moved",
                direction="toward",
                rationale="Ann's reading: guarantees agreed in principle.",
                author=author,
            ),
            clock,
        ).id
    finally:
        other.close()


def test_polling_names_who_recorded_what_and_not_our_own(desk: Desk, clock: FixedClock) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.pause(0.5)  # the first poll learns where the record stands
        await asyncio.to_thread(
            _write_elsewhere, desk.path, clock, "enforcement", "2025-12-21", "bo"
        )
        await asyncio.to_thread(_mark_elsewhere, desk.path, clock, "enforcement", "ann")
        wanted = [
            "bo logged enforcement: Written by a colleague.",
            "ann marked enforcement moved toward",
        ]
        told = ""
        for _ in range(50):
            await pilot.pause(0.1)
            await pilot.app.workers.wait_for_complete()
            # One notice per poll: the two writes may arrive in one or in two.
            told = "\n".join(n for n in notifications(pilot) if n.startswith("Recorded by"))
            shown = cell(pilot, "#board", "enforcement", 3) == "2025-12-21"
            if shown and all(line in told for line in wanted):
                break
        assert all(told.count(line) == 1 for line in wanted), notifications(pilot)
        assert cell(pilot, "#board", "enforcement", 3) == "2025-12-21"

        # What this app saves itself is not news to it.
        pilot.app.clear_notifications()
        await highlight(pilot, "enforcement")
        await press(pilot, "m")
        form = pilot.app.screen
        assert isinstance(form, AssessmentFormScreen)
        await choose(pilot, form.query_one("#status", Select), "unmoved")
        form.query_one("#rationale", TextArea).focus()
        await type_text(pilot, "Not yet.")
        await press(pilot, "ctrl+s")
        for _ in range(10):
            await pilot.pause(0.1)
            await pilot.app.workers.wait_for_complete()
        assert not any("Recorded by others" in n for n in notifications(pilot))

    desk.run(scenario, poll_seconds=0.2)


@pytest.mark.parametrize("answer", ["n", "y"])
def test_a_mark_made_meanwhile_is_shown_and_asked_about(
    desk: Desk, clock: FixedClock, answer: str
) -> None:
    theirs: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await highlight(pilot, "security-guarantees")
        await press(pilot, "m")
        form = pilot.app.screen
        assert isinstance(form, AssessmentFormScreen)
        seen = form.seen_latest
        await choose(pilot, form.query_one("#status", Select), "unmoved")
        form.query_one("#rationale", TextArea).focus()
        await type_text(pilot, "Still stalled, in my view.")
        # A colleague marks the same indicator while this analyst is still writing.
        theirs.append(
            await asyncio.to_thread(_mark_elsewhere, desk.path, clock, "security-guarantees", "ann")
        )
        before = database_contents(desk.path)
        await press(pilot, "ctrl+s")
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmDialog), screen_name(pilot)
        assert "ann marked this indicator moved toward" in dialog.question
        assert "Ann's reading: guarantees agreed in principle." in dialog.question
        assert database_contents(desk.path) == before  # nothing written while it asks
        await press(pilot, answer)
        if answer == "n":
            assert pilot.app.screen is form
            assert form.seen_latest == theirs[0] != seen
            assert "Ann's reading" in static_text(pilot, "#current-assessment")
            assert form.query_one("#rationale", TextArea).text == "Still stalled, in my view."
            assert database_contents(desk.path) == before
            # Having seen theirs, saving again records it after theirs without asking.
            await press(pilot, "ctrl+s")
        assert type(pilot.app.screen).__name__ == "BoardScreen"

    desk.run(scenario)
    [(rationale, author, supersedes)] = desk.sql(
        "SELECT a.rationale, a.author, s.uuid FROM assessment a "
        "JOIN assessment s ON s.id = a.supersedes_id ORDER BY a.id DESC LIMIT 1"
    )
    assert (rationale, author, supersedes) == ("Still stalled, in my view.", AUTHOR, theirs[0])
