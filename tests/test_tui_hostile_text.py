"""Text pasted from the web shows literally everywhere the app shows it, and is stored whole."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.text import Text as RichText
from sqlalchemy import text
from textual import events
from textual.content import Content
from textual.widgets import TextArea

from tests.conftest import DbTarget, query_rows
from tests.tui_support import screen_text, settle
from tracker.interfaces.tui.app import make_app
from tracker.interfaces.tui.screens.board import literal_markup
from tracker.interfaces.wording import one_line
from tracker.services.assessments import AssessmentDraft, assess_indicator
from tracker.services.clock import FixedClock
from tracker.services.observations import ObservationDraft, record_observation
from tracker.services.retractions import retract_observation
from tracker.storage.database import Database

MARKUP = "[bold red]not bold[/bold red] [link=https://evil.example]click[/link]"
SCRIPT = "<script>alert(1)</script>"
RTL = "وقف إطلاق النار"  # ceasefire, in Arabic
EMOJI = "🕊️🇺🇦"
QUOTES = "\"double\" 'single' “curly” `back`"
MARKDOWN = "# heading *star* _under_ | pipe |"
HOSTILE = f"{MARKUP} {SCRIPT} {RTL} {EMOJI} {QUOTES} {MARKDOWN}"
# A 10 kB paragraph, as pasted from a long article.
LONG = ("Delegations met again; " * 470)[:10_240] + " END-OF-PARAGRAPH"


@pytest.fixture
def hostile_db(seeded_db: Database, clock: FixedClock) -> tuple[Database, str]:
    recorded = record_observation(
        seeded_db,
        ObservationDraft(
            bearings=[("miami-talks", "toward")],
            summary=f"{HOSTILE}\n{LONG}",
            quote=HOSTILE,
            note=HOSTILE,
            source_title=f"title {HOSTILE}",
            source_publisher=f"publisher {MARKUP}",
            source_url=f"https://example.org/?q={SCRIPT}",
            reliability="B",
            credibility="2",
            author=f"author {MARKUP}",
            event_date="2025-12-21",
        ),
        clock,
    )
    assess_indicator(
        seeded_db,
        AssessmentDraft(
            indicator_key="miami-talks",
            status="moved",
            direction="toward",
            rationale=f"because {HOSTILE}",
            evidence=[recorded.id],
            author=f"assessor {MARKUP}",
        ),
        clock,
    )
    return seeded_db, recorded.id


def _assert_literal(shown: str) -> None:
    assert "[bold red]not bold[/bold red]" in shown
    assert "[link=https://evil.example]click[/link]" in shown
    assert SCRIPT in shown


def test_hostile_text_shows_literally_on_every_screen(
    hostile_db: tuple[Database, str], clock: FixedClock
) -> None:
    db, observation_id = hostile_db

    async def scenario() -> None:
        app = make_app(db, clock, poll_seconds=None)
        async with app.run_test(size=(200, 60)) as pilot:
            await settle(pilot)
            # The board's detail line shows the latest rationale.
            board = screen_text(app)
            assert "because [bold red]not bold[/bold red]" in board

            await pilot.press("enter")  # the first indicator is miami-talks
            await settle(pilot)
            file_tab = screen_text(app)
            assert "because [bold red]not bold[/bold red]" in file_tab
            assert "assessor [bold red]not bold[/bold red]" in file_tab

            await pilot.press("2")
            await settle(pilot)
            observations = screen_text(app)
            _assert_literal(observations)
            assert RTL in observations
            assert "author [bold red]not bold[/bold red]" in observations

            await pilot.press("escape", "l")
            await settle(pilot)
            log = screen_text(app)
            _assert_literal(log)

            # The briefing draws the Markdown file; what the analyst typed stays text there too.
            await pilot.press("escape", "b")
            await settle(pilot)
            # Jump to the theme of miami-talks from the contents list.
            app.screen.query_one("#briefing-contents").focus()
            await pilot.press("home", "down", "down", "down", "enter")
            await settle(pilot)
            briefing = screen_text(app)
            assert "Talks and process" in briefing
            assert "because [bold red]not bold[/bold red]" in briefing
            assert "# heading *star* _under_ | pipe |" in briefing
            assert "assessor [bold red]not bold[/bold red]" in briefing

    asyncio.run(scenario())
    # Nothing was cut on the way in.
    with db.engine.connect() as connection:
        summary = connection.execute(
            text("SELECT summary FROM observation WHERE uuid = :id"), {"id": observation_id}
        ).scalar_one()
    assert summary.endswith("END-OF-PARAGRAPH") and HOSTILE in summary


def test_pasted_hostile_paragraph_is_stored_whole(
    seeded_db: Database, db_target: DbTarget, clock: FixedClock
) -> None:
    pasted = f"{HOSTILE}\n{LONG}"

    async def scenario() -> None:
        app = make_app(seeded_db, clock, poll_seconds=None)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("o")
            await settle(pilot)
            summary = app.screen.query_one("#summary", TextArea)
            assert summary.has_focus
            # What the terminal sends when the analyst pastes (to the app, which hands it on).
            app.post_message(events.Paste(pasted))
            await settle(pilot)
            await pilot.press("tab")
            assert app.screen.query_one("#quote", TextArea).has_focus
            app.post_message(events.Paste(HOSTILE))
            await settle(pilot)
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert type(app.screen).__name__ == "BoardScreen"

    asyncio.run(scenario())
    stored = query_rows(db_target, "SELECT summary, quote FROM observation WHERE author != 'seed'")
    assert [(row["summary"], row["quote"]) for row in stored] == [(pasted.strip(), HOSTILE)]


def test_hostile_retraction_reason_shows_literally(
    hostile_db: tuple[Database, str], clock: FixedClock
) -> None:
    db, observation_id = hostile_db
    retract_observation(db, observation_id, f"reason {MARKUP}", clock)

    async def scenario() -> None:
        app = make_app(db, clock, poll_seconds=None)
        async with app.run_test(size=(200, 60)) as pilot:
            await settle(pilot)
            await pilot.press("enter", "2")
            await settle(pilot)
            shown = screen_text(app)
            assert "RETRACTED" in shown
            assert "reason [bold red]not bold[/bold red]" in shown

    asyncio.run(scenario())


@pytest.mark.parametrize("title", [MARKUP, "\\[escaped] trailing\\", "a\\\\[b]", "[/]", "plain"])
def test_palette_titles_from_definition_files_show_literally(title: str) -> None:
    # The command palette parses its entries as markup; titles come from editable files.
    assert Content.from_markup(literal_markup(title)).plain == title


def _cut_by_rich(text: str, width: int) -> str:
    """`one_line` as it was before counting characters: everything measured by Rich."""
    flat = " ⏎ ".join(part.strip() for part in text.splitlines() if part.strip())
    cell = RichText(flat[: 4 * width])
    if len(flat) <= 4 * width and cell.cell_len <= width:
        return flat
    cell.truncate(width - 1)
    return cell.plain + "…"


# Characters of one cell, of two, of none, and controls, mixed: the column cut must be the same.
MIXED = [*"abc  –’“”…⏎日本👍🏽שלוםمرحبا", "\u200d", "\u0301", "\ufe0f", "\t", "\n"]


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(st.text(st.sampled_from(MIXED), max_size=120), st.text(max_size=120)),
    width=st.integers(min_value=2, max_value=40),
)
def test_one_line_cuts_any_text_as_rich_measures_it(text: str, width: int) -> None:
    """Table cells count characters where each takes one cell; whatever the text, the cut is
    the one Rich's measuring makes, and never wider than the column."""
    line = one_line(text, width)
    assert line == _cut_by_rich(text, width)
    assert RichText(line).cell_len <= width
    assert "\n" not in line and "\r" not in line
