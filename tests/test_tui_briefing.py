"""The briefing in the terminal app (issue 4, point 5), driven the way an analyst drives it: `b`
opens the briefing of the current period with the same content as the files, `p` changes the
period, `e` exports Markdown or HTML, `i` records it as issued; then the files written and the
database are read back.

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
from textual.keys import _character_to_key
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Checkbox, Input, RadioSet, Static

from tests.conftest import DbTarget, database_contents, query_tuples
from tests.tui_support import screen_text, settle
from tracker.interfaces.briefing.markdown import briefing_markdown
from tracker.interfaces.tui.app import TrackerApp, make_app
from tracker.interfaces.tui.screens.board import BoardScreen
from tracker.interfaces.tui.screens.briefing import BriefingScreen
from tracker.interfaces.tui.screens.briefing_export import ExportDialog
from tracker.interfaces.tui.screens.briefing_period import PeriodDialog
from tracker.interfaces.tui.screens.confirm import ConfirmDialog
from tracker.services.briefing import build_briefing
from tracker.services.briefing_periods import briefing_scope, issue_briefing
from tracker.services.clock import FixedClock
from tracker.storage.database import Database

AUTHOR = "tui-analyst"
SIZE = (120, 40)

Scenario = Callable[[Pilot[None]], Awaitable[None]]


@pytest.fixture(autouse=True)
def _author(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issuing records the author from TRACKER_AUTHOR: make it known, whoever runs the tests."""
    monkeypatch.setenv("TRACKER_AUTHOR", AUTHOR)


# -- running the app ------------------------------------------------------------------------------


def run_app(db: Database, clock: FixedClock, scenario: Scenario) -> TrackerApp:
    app = make_app(db, clock, poll_seconds=None)

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await scenario(pilot)

    asyncio.run(main())
    return app


async def press(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def type_text(pilot: Pilot[None], text: str) -> None:
    """Type `text` into the focused widget, one key event per character."""
    app = pilot.app
    assert app._driver is not None
    for character in text:
        key = character if character.isalnum() else _character_to_key(character)
        event = events.Key(key, character)
        event.set_sender(app)
        app._driver.send_message(event)
    await pilot.pause()
    await settle(pilot)


async def retype(pilot: Pilot[None], text: str) -> None:
    """Empty the focused Input as a user would (to the end, delete everything), then type."""
    await press(pilot, "end", "ctrl+u")
    await type_text(pilot, text)


def plain(content: object) -> str:
    console = Console(width=200, record=True, file=io.StringIO(), color_system=None)
    console.print(content)
    return console.export_text()


def static_text(pilot: Pilot[None], selector: str) -> str:
    return plain(pilot.app.screen.query_one(selector, Static).content)


def notifications(pilot: Pilot[None]) -> list[str]:
    return [f"{n.title}: {n.message}" for n in pilot.app._notifications]


def focused_id(pilot: Pilot[None]) -> str | None:
    focused = pilot.app.focused
    return focused.id if focused is not None else None


def text_in(pilot: Pilot[None], widget: Widget) -> str:
    """The characters on the screen now inside `widget`'s region, row by row: what a reader
    sees there, without the columns beside it."""
    app = pilot.app
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        record=True,
        color_system=None,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(app.screen._compositor.render_update(full=True))
    rows = console.export_text().splitlines()
    region = widget.region
    return "\n".join(row[region.x : region.right] for row in rows[region.y : region.bottom])


def words(text: str) -> str:
    """Text with every run of white space made one space: wrapping on screen does not count."""
    return " ".join(text.split())


# -- the briefing screen --------------------------------------------------------------------------


async def open_briefing(pilot: Pilot[None]) -> BriefingScreen:
    await press(pilot, "b")
    screen = pilot.app.screen
    assert isinstance(screen, BriefingScreen)
    assert screen.shown is not None, "the briefing was not read"
    return screen


def shown_source(pilot: Pilot[None]) -> str:
    """The Markdown the briefing screen draws."""
    screen = pilot.app.screen
    assert isinstance(screen, BriefingScreen) and screen.shown is not None
    return screen.shown.markdown


def period_line(pilot: Pilot[None]) -> str:
    return static_text(pilot, "#briefing-period")


def expected_markdown(
    db: Database,
    clock: FixedClock,
    since: date | None = None,
    until: date | None = None,
) -> str:
    """The briefing as `tracker brief` writes it, straight from the services."""
    scope = briefing_scope(db, clock, None, since, until)
    return briefing_markdown(build_briefing(db, clock, scope))


def summary_lines(markdown: str) -> list[str]:
    """The lines of the summary paragraph: what is under '## Summary' up to the next heading."""
    section = markdown.split("\n## Summary\n", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.strip()]


def issued_rows(target: DbTarget) -> list[tuple[Any, ...]]:
    return query_tuples(target, "SELECT period_start, period_end, author FROM issued_briefing")


# -- 1. open: the same content as the files; 5. escape back ---------------------------------------


def test_b_shows_the_last_seven_days_as_the_files_do_and_escape_returns_to_the_board(
    seeded_db: Database, clock: FixedClock, db_target: DbTarget
) -> None:
    markdown = expected_markdown(seeded_db, clock)
    summary = summary_lines(markdown)
    assert summary[0].startswith("2 of 22 indicators moved this week (16–22 December 2025)")
    before = database_contents(db_target)

    async def scenario(pilot: Pilot[None]) -> None:
        board = pilot.app.screen
        assert isinstance(board, BoardScreen)
        screen = await open_briefing(pilot)
        assert screen.shown is not None
        period = screen.shown.scope.period
        assert (period.start, period.end) == (date(2025, 12, 16), date(2025, 12, 22))
        assert "16–22 December 2025  (7 days, compared with 2025-12-15)" in period_line(pilot)
        # The screen draws the Markdown file's text. The clock is fixed, so even the
        # 'generated' line is the same: nothing needs leaving out.
        assert shown_source(pilot) == markdown
        # And the summary's numbers are on the screen, sentence by sentence, as a reader sees
        # them (wrapped to the document's width, beside the contents list).
        on_screen = words(text_in(pilot, screen.query_one("#briefing")))
        for line in summary:
            assert words(line) in on_screen, line

        await press(pilot, "escape")
        assert pilot.app.screen is board
        assert "of 22 moved" in static_text(pilot, "#board-summary")

    run_app(seeded_db, clock, scenario)
    assert database_contents(db_target) == before


# -- 2. change the period -------------------------------------------------------------------------


def test_p_changes_the_period_and_bad_dates_are_refused_in_the_dialog(
    seeded_db: Database, clock: FixedClock, db_target: DbTarget
) -> None:
    chosen = expected_markdown(seeded_db, clock, date(2025, 12, 15), date(2025, 12, 21))
    before = database_contents(db_target)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_briefing(pilot)
        await choose_period(pilot, "2025-12-15", "2025-12-21")
        assert pilot.app.screen is screen
        assert "15–21 December 2025  (7 days, compared with 2025-12-14)" in period_line(pilot)
        assert shown_source(pilot) == chosen
        assert "**15–21 December 2025** (7 days)" in chosen
        assert "15–21 December 2025 (7 days)" in words(screen_text(pilot.app))

        # The dialog opens on the period shown; each bad date is refused there, in words.
        await press(pilot, "p")
        dialog = pilot.app.screen
        assert isinstance(dialog, PeriodDialog)
        since = dialog.query_one("#period-since", Input)
        until = dialog.query_one("#period-until", Input)
        assert (since.value, until.value) == ("2025-12-15", "2025-12-21")
        for field, typed, error in [
            (since, "2025-13-01", "the start date '2025-13-01' is not a date; write it as"),
            (since, "2025-12-22", "the start date is after the end date"),
            (until, "2026-01-01", "the end date 2026-01-01 is after today (2025-12-22)"),
        ]:
            field.focus()
            await retype(pilot, typed)
            await press(pilot, "enter")
            assert pilot.app.screen is dialog, typed
            assert error in static_text(pilot, "#period-error"), typed
        # Escape cancels: the briefing is as it was.
        await press(pilot, "escape")
        assert pilot.app.screen is screen
        assert "15–21 December 2025" in period_line(pilot)
        assert shown_source(pilot) == chosen

    run_app(seeded_db, clock, scenario)
    assert database_contents(db_target) == before


async def choose_period(pilot: Pilot[None], since: str, until: str) -> None:
    """`p`, type the dates into the From and To fields, Enter."""
    await press(pilot, "p")
    assert isinstance(pilot.app.screen, PeriodDialog)
    assert focused_id(pilot) == "period-since"
    await type_text(pilot, since)
    await press(pilot, "tab")
    assert focused_id(pilot) == "period-until"
    await type_text(pilot, until)
    await press(pilot, "enter")


# -- 3. export ------------------------------------------------------------------------------------


async def export_to(pilot: Pilot[None], path: Path, output_format: str = "md") -> ExportDialog:
    """`e`, choose the format with the keyboard, type the file, Enter. Returns the dialog."""
    await press(pilot, "e")
    dialog = pilot.app.screen
    assert isinstance(dialog, ExportDialog)
    if output_format == "html":
        dialog.query_one("#export-format", RadioSet).focus()
        await press(pilot, "down", "enter")
    assert dialog.chosen_format == output_format
    dialog.query_one("#export-path", Input).focus()
    await retype(pilot, str(path))
    await press(pilot, "enter")
    return dialog


def test_e_exports_html_and_markdown_of_the_period_shown_asking_before_replacing_a_file(
    seeded_db: Database, clock: FixedClock, db_target: DbTarget, tmp_path: Path
) -> None:
    chosen = expected_markdown(seeded_db, clock, date(2025, 12, 15), date(2025, 12, 21))
    html_file = tmp_path / "week.html"
    md_file = tmp_path / "week.md"
    md_file.write_text("the desk's earlier notes\n", encoding="utf-8")
    missing = tmp_path / "no-such-folder" / "week.md"
    before = database_contents(db_target)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_briefing(pilot)
        await choose_period(pilot, "2025-12-15", "2025-12-21")
        assert "15–21 December 2025" in period_line(pilot)

        await export_to(pilot, html_file, "html")
        assert pilot.app.screen is screen
        assert any(f"Saved the briefing to {html_file}" in n for n in notifications(pilot))
        page = html_file.read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>")
        assert "15–21 December 2025" in page
        assert "16–22 December 2025" not in page

        # Onto an existing file: asked first; "n" keeps it and stays in the dialog.
        dialog = await export_to(pilot, md_file, "md")
        question = pilot.app.screen
        assert isinstance(question, ConfirmDialog)
        assert f"{md_file} exists. Replace it?" in question.question
        await press(pilot, "n")
        assert pilot.app.screen is dialog
        assert md_file.read_text(encoding="utf-8") == "the desk's earlier notes\n"

        # Into a folder that does not exist: said so in the dialog, nothing written.
        await retype(pilot, str(missing))
        await press(pilot, "enter")
        assert pilot.app.screen is dialog
        assert f"the folder {missing.parent} does not exist" in static_text(pilot, "#export-error")
        assert not missing.parent.exists()
        written = [p.name for p in tmp_path.iterdir() if not p.name.startswith("tracker.sqlite3")]
        assert sorted(written) == ["week.html", "week.md"]

        # Back to the existing file, and "y" this time: replaced.
        await retype(pilot, str(md_file))
        await press(pilot, "enter")
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await press(pilot, "y")
        assert pilot.app.screen is screen
        assert any(f"Saved the briefing to {md_file}" in n for n in notifications(pilot))

    run_app(seeded_db, clock, scenario)

    # The Markdown file is the briefing shown, and what `tracker brief` writes for the period.
    assert md_file.read_text(encoding="utf-8") == chosen
    assert database_contents(db_target) == before


# -- 4. issue -------------------------------------------------------------------------------------


def test_i_records_the_briefing_as_issued_after_asking(
    seeded_db: Database, clock: FixedClock, db_target: DbTarget
) -> None:
    before = database_contents(db_target)
    assert issued_rows(db_target) == []

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_briefing(pilot)

        await press(pilot, "i")
        question = pilot.app.screen
        assert isinstance(question, ConfirmDialog)
        assert "16–22 December 2025" in question.question
        assert "will start on 2025-12-23" in question.question
        await press(pilot, "n")
        assert pilot.app.screen is screen
        assert database_contents(db_target) == before

        await press(pilot, "i")
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await press(pilot, "y")
        assert pilot.app.screen is screen
        assert any(
            "Recorded as issued. The next briefing since the last one starts on 2025-12-23" in n
            for n in notifications(pilot)
        ), notifications(pilot)
        assert "16–22 December 2025" in period_line(pilot)
        # What was just issued is not offered for issuing again.
        await press(pilot, "i")
        assert pilot.app.screen is screen

    run_app(seeded_db, clock, scenario)
    after = database_contents(db_target)
    assert issued_rows(db_target) == [("2025-12-16", "2025-12-22", AUTHOR)]
    assert {t: rows for t, rows in after.items() if t != "issued_briefing"} == {
        t: rows for t, rows in before.items() if t != "issued_briefing"
    }


def test_since_the_last_briefing_is_refused_when_it_already_reaches_today(
    seeded_db: Database, clock: FixedClock, db_target: DbTarget
) -> None:
    issue_briefing(seeded_db, briefing_scope(seeded_db, clock), clock.now())  # 16–22 December
    markdown = expected_markdown(seeded_db, clock)
    before = database_contents(db_target)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_briefing(pilot)
        await press(pilot, "p")
        dialog = pilot.app.screen
        assert isinstance(dialog, PeriodDialog)
        checkbox = dialog.query_one("#since-last", Checkbox)
        checkbox.focus()
        await press(pilot, "space")
        assert checkbox.value
        assert dialog.query_one("#period-since", Input).disabled
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is screen
        assert any(
            "the last briefing already covers up to 2025-12-22; the next one starts on 2025-12-23"
            in n
            for n in notifications(pilot)
        ), notifications(pilot)
        # Nothing else changes: the briefing shown, and the line saying which it is.
        assert shown_source(pilot) == markdown
        assert "16–22 December 2025" in period_line(pilot)

    run_app(seeded_db, clock, scenario)
    assert database_contents(db_target) == before


def test_i_does_nothing_when_looking_at_a_past_date(
    seeded_db: Database, clock: FixedClock, db_target: DbTarget
) -> None:
    markdown = expected_markdown(seeded_db, clock, until=date(2025, 12, 10))
    before = database_contents(db_target)

    async def scenario(pilot: Pilot[None]) -> None:
        await press(pilot, "a")
        await type_text(pilot, "2025-12-10")
        await press(pilot, "enter")
        app = pilot.app
        assert isinstance(app, TrackerApp)
        assert app.as_of == date(2025, 12, 10) and app.read_only
        screen = await open_briefing(pilot)
        assert "4–10 December 2025" in period_line(pilot)
        assert shown_source(pilot) == markdown

        await press(pilot, "i")  # not offered: the past is read-only
        assert pilot.app.screen is screen
        assert not any("Recorded as issued" in n for n in notifications(pilot))

    run_app(seeded_db, clock, scenario)
    assert database_contents(db_target) == before


def test_issuing_a_briefing_since_the_last_one_keeps_showing_it(
    seeded_db: Database, clock: FixedClock, db_target: DbTarget
) -> None:
    week_before = briefing_scope(seeded_db, clock, since="2025-12-09", until="2025-12-15")
    issue_briefing(seeded_db, week_before, clock.now())

    async def scenario(pilot: Pilot[None]) -> None:
        screen = await open_briefing(pilot)
        await press(pilot, "p")
        dialog = pilot.app.screen
        assert isinstance(dialog, PeriodDialog)
        dialog.query_one("#since-last", Checkbox).value = True
        await press(pilot, "ctrl+s")
        assert pilot.app.screen is screen
        assert "16–22 December 2025" in period_line(pilot)
        assert "since the briefing issued by" in period_line(pilot)

        await press(pilot, "i")
        assert isinstance(pilot.app.screen, ConfirmDialog)
        await press(pilot, "y")
        assert pilot.app.screen is screen
        # The re-read after issuing shows the issued week, not "nothing since the last one".
        assert not any("already covers" in n for n in notifications(pilot)), notifications(pilot)
        assert "16–22 December 2025" in period_line(pilot)

    run_app(seeded_db, clock, scenario)
    assert [row[:2] for row in issued_rows(db_target)] == [
        ("2025-12-09", "2025-12-15"),
        ("2025-12-16", "2025-12-22"),
    ]
