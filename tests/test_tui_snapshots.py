"""Screenshots of the app on fixed data with a fixed clock, compared with the accepted ones in
tests/__snapshots__/. After a deliberate change of look: pytest --snapshot-update, then look at
every changed SVG before committing it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation
from textual.pilot import Pilot

from tests.tui_support import settle
from tracker.interfaces.tui.app import TrackerApp, make_app
from tracker.services.clock import FixedClock
from tracker.storage.database import Database

# Between the two seeded articles.
FIXED_PAST = date(2025, 12, 10)
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.fixture
def snapshot(request: pytest.FixtureRequest, snapshot: SnapshotAssertion, engine: str):
    """The same accepted picture for both engines: the engine is left out of its name."""
    location = PyTestLocation(request.node)
    location.nodename = (location.nodename or "").replace(f"[{engine}-", "[")
    location.testname = location.nodename
    return SnapshotAssertion(
        update_snapshots=snapshot.update_snapshots,
        extension_class=snapshot.extension_class,
        test_location=location,
        session=snapshot.session,
    )


@pytest.fixture
def app(seeded_db: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> TrackerApp:
    monkeypatch.setenv("TRACKER_AUTHOR", "analyst")
    tracker = make_app(seeded_db, clock, poll_seconds=None)
    tracker.theme = "textual-dark"
    return tracker


def pressing(*keys: str) -> Callable[[Pilot[None]], object]:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        # A blinking cursor is drawn or not depending on the moment of the picture (seen under
        # load): hold it steady.
        for widget in pilot.app.screen.query("Input, TextArea"):
            widget.cursor_blink = False  # type: ignore[attr-defined]
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES)
class TestBoard:
    def test_board(self, snap_compare, app: TrackerApp, size: tuple[int, int]) -> None:
        assert snap_compare(app, terminal_size=size, run_before=pressing())

    def test_board_as_of_a_past_date(
        self, snap_compare, app: TrackerApp, size: tuple[int, int]
    ) -> None:
        app.as_of = FIXED_PAST
        assert snap_compare(app, terminal_size=size, run_before=pressing())


@pytest.mark.parametrize("size", SIZES)
class TestIndicatorScreen:
    def test_file(self, snap_compare, app: TrackerApp, size: tuple[int, int]) -> None:
        assert snap_compare(app, terminal_size=size, run_before=pressing("enter"))

    def test_observations(self, snap_compare, app: TrackerApp, size: tuple[int, int]) -> None:
        assert snap_compare(app, terminal_size=size, run_before=pressing("enter", "2"))


@pytest.mark.parametrize("size", SIZES)
class TestForms:
    def test_observation_form(self, snap_compare, app: TrackerApp, size: tuple[int, int]) -> None:
        assert snap_compare(app, terminal_size=size, run_before=pressing("o"))

    def test_assessment_form(self, snap_compare, app: TrackerApp, size: tuple[int, int]) -> None:
        assert snap_compare(app, terminal_size=size, run_before=pressing("m"))
