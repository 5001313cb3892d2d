"""The analyst's terminal app: one `TrackerApp` over one database, built by `make_app`.

The app keeps only what is shared by every screen: the database, the clock, and the date the
desk is looking at (`as_of`; None means today, and only today can be written to). Screens read
through the services in worker threads, so the database never freezes the screen.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable
from concurrent.futures import Future
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker

from tracker.errors import TrackerError
from tracker.interfaces.tui import texts
from tracker.services.changes import Newest, NewRecord, newest, record_version, recorded_since
from tracker.services.clock import Clock

if TYPE_CHECKING:
    from tracker.services.status import StatusBoard
    from tracker.storage.database import Database

# How often the app asks whether another process (the command line, a colleague) wrote.
POLL_SECONDS = 2.0
# Records named one by one in the "recorded by others" notice.
SHOWN_NEWS = 5
# Set to 1 to quit as soon as the board is painted with data: how start-up is measured
# (benchmarks/__main__.py).
EXIT_WHEN_READY = "TRACKER_EXIT_WHEN_READY"


class TrackerApp(App[None]):
    CSS_PATH = "tracker.tcss"
    TITLE = "tracker"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", key_display="?", tooltip="Help: every key"),
        Binding("a", "as_of", "As of…", tooltip="Show the record as of a past date (read-only)"),
        Binding("t", "today", "Today", tooltip="Back to today"),
        Binding("l", "observation_log", "Log", tooltip="Observation log: search everything"),
        Binding("b", "briefing", "Briefing", tooltip="The briefing for the last seven days"),
        Binding("r", "reload", "Refresh", show=False, tooltip="Refresh from the database"),
        Binding("q", "quit", "Quit", tooltip="Quit tracker"),
    ]

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        poll_seconds: float | None = POLL_SECONDS,
        as_of: date | None = None,
        first_board: Future[StatusBoard] | None = None,
    ) -> None:
        super().__init__()
        self._first_board = first_board
        self._frozen = False  # start-up's objects set apart from the collector (`board_shown`)
        self.db = db
        self.clock = clock
        self.as_of: date | None = as_of
        self._poll_seconds = poll_seconds
        self._known_version: tuple[object, ...] | None = None
        # What others recorded is told as it arrives; what this app saved is not news to it.
        self._seen: Newest | None = None
        self._own: set[str] = set()
        self._polling: Worker[None] | None = None

    # -- the date the desk is looking at ------------------------------------------------------

    @property
    def read_only(self) -> bool:
        """Looking at the past: nothing can be written until the analyst returns to today."""
        return self.as_of is not None

    def viewing_day(self) -> date:
        return self.as_of or self.clock.today()

    def set_as_of(self, day: date | None) -> None:
        self.as_of = None if day is None or day >= self.clock.today() else day
        self.refresh_bindings()
        self.reload_screens()
        if self.as_of is None:
            self.notify("Back to today: the board is live and can be written to.")
        else:
            self.notify(
                f"Showing the record as of {self.as_of.isoformat()}, read-only. "
                "Press t to return to today."
            )

    # -- actions shared by every screen ---------------------------------------------------------

    def on_mount(self) -> None:
        from tracker.interfaces.tui.screens.board import BoardScreen

        self.push_screen(BoardScreen())
        if self._poll_seconds:
            # The first look, at once and beside the board's first read, is where "since"
            # starts: anything written after it is reloaded and told, however soon it comes.
            self._poll()
            self.set_interval(self._poll_seconds, self._poll)

    def action_help(self) -> None:
        from tracker.interfaces.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_as_of(self) -> None:
        from tracker.interfaces.tui.screens.as_of import AsOfDialog

        def chosen(day: date | bool | None) -> None:
            if day is not False:
                self.set_as_of(day if isinstance(day, date) else None)

        self.push_screen(AsOfDialog(self.as_of, self.clock.today()), chosen)

    def action_today(self) -> None:
        if self.as_of is not None:
            self.set_as_of(None)

    def action_observation_log(self) -> None:
        from tracker.interfaces.tui.screens.observation_log import ObservationLogScreen

        if not isinstance(self.screen, ObservationLogScreen):
            self.push_screen(ObservationLogScreen())

    def action_briefing(self) -> None:
        from tracker.interfaces.tui.screens.briefing import BriefingScreen

        if not isinstance(self.screen, BriefingScreen):
            self.push_screen(BriefingScreen(getattr(self.screen, "set_slug", None)))

    def action_reload(self) -> None:
        self.reload_screens()
        self._poll()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        busy = {"as_of", "today", "observation_log", "briefing"}
        if action in busy and self._in_the_middle_of_something():
            return False  # finish or cancel what is open first
        if action == "today":
            return self.as_of is not None
        return True

    def _in_the_middle_of_something(self) -> bool:
        """A form or a dialog is open (the command palette on top does not count)."""
        from textual.command import CommandPalette
        from textual.screen import ModalScreen

        screens = [s for s in self.screen_stack if not isinstance(s, CommandPalette)]
        # Asked as the app starts: the forms' module (and its text editor) can load later.
        return bool(screens) and (
            isinstance(screens[-1], ModalScreen) or getattr(screens[-1], "IS_FORM", False)
        )

    async def action_quit(self) -> None:
        from tracker.interfaces.tui.screens.confirm import ConfirmDialog
        from tracker.interfaces.tui.screens.form import FormScreen

        unsaved = any(isinstance(s, FormScreen) and s.is_changed() for s in self.screen_stack)
        if not unsaved:
            self.exit()
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.exit()

        self.push_screen(
            ConfirmDialog(
                "Quit and discard what you typed? It has not been saved.", "Quit", "Stay"
            ),
            answered,
        )

    def reload_screens(self) -> None:
        """Re-read the record on the screen in front now; the others when they come back."""
        for screen in self.screen_stack:
            reload = getattr(screen, "reload", None)
            if reload is None:
                continue
            if screen is self.screen:
                getattr(screen, "show_as_of", lambda: None)()
                reload()
            else:
                screen.set_class(True, "-stale")

    def take_first_board(self) -> StatusBoard | None:
        """Today's board if it was read as the app started (see launch.py), once: a later
        read is a refresh and reads again."""
        first, self._first_board = self._first_board, None
        return first.result() if first is not None and self.as_of is None else None

    def board_shown(self) -> None:
        """The board has its data: once this frame is painted, the app is ready for keys."""
        if os.environ.get(EXIT_WHEN_READY) == "1":
            self.call_after_refresh(self.exit)
        if not self._frozen:
            # What start-up made (Textual, SQLAlchemy, the styles) lives as long as the app:
            # set apart from the collector, each of its passes is short. Searching the archive,
            # its passes over them were the slowest 1% of searches (p99 57-106 ms, 21-36 ms
            # with them set apart).
            self._frozen = True
            self.call_after_refresh(gc.freeze)

    # -- changes written by another process -------------------------------------------------

    def _poll(self) -> None:
        # One look at a time; a slow one (a busy server) is let finish, not cancelled.
        if self._polling is None or self._polling.is_finished:
            self._polling = self._look_for_changes()

    @work(thread=True, group="changes", exit_on_error=False)
    def _look_for_changes(self) -> None:
        try:
            version = record_version(self.db)
            if self._seen is None or self._known_version is None:
                self._known_version, self._seen = version, newest(self.db)
            elif version != self._known_version:
                news, self._seen = recorded_since(self.db, self._seen)
                self.call_from_thread(self._tell, news)
                self.call_from_thread(self.reload_screens)
                self._known_version = version
        except TrackerError:
            return  # a busy or vanished database is reported by the next real read

    def _tell(self, news: list[NewRecord]) -> None:
        """Say who recorded what since the last look, one line each (a few at most)."""
        news = [record for record in news if record.id not in self._own]
        if not news:
            return
        lines = [texts.news_line(record) for record in news[:SHOWN_NEWS]]
        if len(news) > SHOWN_NEWS:
            lines.append(f"… and {len(news) - SHOWN_NEWS} more (press l for the log)")
        self.notify("\n".join(lines), title="Recorded by others", markup=False, timeout=12)

    def note_own(self, record_id: str) -> None:
        """A record this app wrote: never told as news. Called by the thread that wrote it, as
        soon as the write returns, so a poll running meanwhile knows it too."""
        self._own.add(record_id)

    def note_saved(self, record_id: str | None = None) -> None:
        """Our own write: refresh now. The next poll sees the change too and reloads once more,
        but does not tell it as someone else's (`note_own`); and a colleague's write landing
        just after ours is not lost in it."""
        if record_id is not None:
            self.note_own(record_id)
        self.reload_screens()

    # -- the command palette: every binding of the screen in front, and the app's own -----------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            # The screen's and the app's own actions; not a widget's cursor keys.
            if not isinstance(active.node, Screen | App):
                continue
            if not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            if not active.enabled:
                continue
            key = binding.key_display or binding.key
            yield SystemCommand(
                binding.tooltip or binding.description,
                f"key: {key}",
                partial(active.node.run_action, binding.action),
            )
        yield from getattr(screen, "palette_commands", lambda: ())()


def make_app(
    db: Database,
    clock: Clock | None = None,
    *,
    poll_seconds: float | None = POLL_SECONDS,
    as_of: date | None = None,
    first_board: Future[StatusBoard] | None = None,
) -> TrackerApp:
    """The app over an open database. Tests pass a temporary database and a fixed clock."""
    return TrackerApp(
        db, clock or Clock(), poll_seconds=poll_seconds, as_of=as_of, first_board=first_board
    )
