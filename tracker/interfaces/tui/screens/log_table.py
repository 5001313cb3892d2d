"""A table over a list of observations too long to load: the observation log, and an indicator's
observations. It holds a window of at most `WINDOW` rows read from the database. When the cursor
nears an edge of the window, the next page beyond it is read (from the last row shown, one index
range however deep) and the far end of the window let go, so the table stays small and quick to
draw however long the list. Home and End go to the two ends of the whole list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable
from textual.worker import get_current_worker

from tracker.errors import TrackerError
from tracker.services.observation_log import PAGE_SIZE, LoggedObservation, LogKey, Toward

# Rows kept at once: two pages, so the rows around the cursor are always there.
WINDOW = 2 * PAGE_SIZE
# Read the next page when the cursor comes this close to an edge of the window.
LOOKAHEAD = 20

# Reads up to so many rows next to a key of the list (see `read_log`); runs in a thread.
Reader = Callable[[LogKey | None, Toward, int], tuple[LoggedObservation, ...]]
Cells = Callable[[LoggedObservation], list[Text]]


def just_above(key: LogKey) -> LogKey:
    """A key that sorts right above `key`, so that reading "older than it" starts at `key`."""
    return LogKey(key.event_date, key.recorded_at, key.id + 1)


class LogTable(DataTable[Any]):
    """Rows of observations, read a page at a time by `reader` and drawn by `cells`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home,ctrl+home", "first", "Newest", show=False),
        Binding("end,ctrl+end", "last", "Oldest", show=False),
    ]

    class WindowMoved(Message):
        """The rows held changed: the screen says where they are in the list."""

        def __init__(self, table: LogTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> LogTable:
            return self.table

    def __init__(self, reader: Reader, cells: Cells, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.reader = reader
        self.cells = cells
        self.entries: list[LoggedObservation] = []
        self.at_newest = True  # nothing newer than the first row held
        self.at_oldest = True  # nothing older than the last row held
        # Where the first row held sits in the whole list (0 = the newest), when known.
        self.first_index: int | None = 0
        self.total: int | None = None
        self._generation = 0  # each new read of the whole window; older reads are dropped
        self._reading_edge = False
        self._drawing = False  # each row added moves the cursor to where it was: not a move

    # -- filling ------------------------------------------------------------------------------

    def start(self, keep: LogKey | None = None) -> None:
        """Read the window again and drop any page still being read for the old one. With
        `keep` (a refresh), the cursor stays on that row: a window at the top of the list is
        read again from the top, so what arrived above shows; a window further down is read
        from `keep`'s row, and what is above it comes as the cursor goes up."""
        self._generation += 1
        generation = self._generation
        if keep is None or self.at_newest:
            limit = max(PAGE_SIZE, len(self.entries)) if keep is not None else PAGE_SIZE
            self._read(
                lambda: self.reader(None, "older", limit),
                lambda rows: self._replace(rows, generation, limit, keep=keep, from_top=True),
            )
            return
        after = just_above(keep)
        self._read(
            lambda: self.reader(after, "older", PAGE_SIZE),
            lambda rows: self._replace(rows, generation, PAGE_SIZE, keep=keep, from_top=False),
        )

    def action_first(self) -> None:
        if self.at_newest:
            self.move_cursor(row=0, animate=False)
            return
        self.start()

    def action_last(self) -> None:
        if self.at_oldest:
            self.move_cursor(row=max(0, self.row_count - 1), animate=False)
            return
        self._generation += 1
        generation = self._generation
        self._read(
            lambda: self.reader(None, "newer", PAGE_SIZE),
            lambda rows: self._show_oldest(rows, generation),
        )

    def _show_oldest(self, rows: tuple[LoggedObservation, ...], generation: int) -> None:
        if generation != self._generation:
            return
        self.entries = list(rows)
        self.at_oldest = True
        self.at_newest = len(rows) < PAGE_SIZE
        self.first_index = None if self.total is None else max(0, self.total - len(rows))
        self._redraw(cursor=len(rows) - 1)

    def _replace(
        self,
        rows: tuple[LoggedObservation, ...],
        generation: int,
        asked: int,
        *,
        keep: LogKey | None,
        from_top: bool,
    ) -> None:
        if generation != self._generation:
            return
        if not from_top and not rows:  # the kept row's place is gone: start from the top
            self.start()
            return
        self.entries = list(rows)
        self.at_newest = from_top
        self.at_oldest = len(rows) < asked
        if from_top:
            self.first_index = 0
        keys = [logged.key for logged in rows]
        self._redraw(cursor=keys.index(keep) if keep in keys else 0)

    def set_total(self, total: int) -> None:
        """The count of the whole list, read apart from the rows (it can take longer)."""
        self.total = total
        if self.at_oldest and self.first_index is None:
            self.first_index = max(0, total - len(self.entries))
        self.post_message(self.WindowMoved(self))

    # -- moving through the list --------------------------------------------------------------

    def watch_cursor_coordinate(self, old: Coordinate, new: Coordinate) -> None:
        super().watch_cursor_coordinate(old, new)
        self.reach_edge()

    def reach_edge(self) -> None:
        """Read the page beyond the nearer edge of the window, if the cursor is close to it."""
        if self._reading_edge or self._drawing or not self.entries:
            return
        row = self.cursor_row
        generation = self._generation
        if row >= len(self.entries) - LOOKAHEAD and not self.at_oldest:
            after = self.entries[-1].key
            toward: Toward = "older"
        elif row < LOOKAHEAD and not self.at_newest:
            after = self.entries[0].key
            toward = "newer"
        else:
            return
        self._reading_edge = True
        self._read(
            lambda: self.reader(after, toward, PAGE_SIZE),
            lambda rows: self._extend(rows, toward, after, generation),
            group="edge",
        )

    def _extend(
        self, rows: tuple[LoggedObservation, ...], toward: Toward, after: LogKey, generation: int
    ) -> None:
        self._reading_edge = False
        edge = self.entries[-1].key if toward == "older" else self.entries[0].key
        if generation != self._generation or not self.entries or edge != after:
            return  # the window was read again meanwhile
        cursor, scroll = self.cursor_row, self.scroll_y
        if toward == "older":
            self.at_oldest = len(rows) < PAGE_SIZE
            entries = self.entries + list(rows)
            dropped = max(0, len(entries) - WINDOW)
            self.entries = entries[dropped:]
            self.at_newest = self.at_newest and dropped == 0
            if self.first_index is not None:
                self.first_index += dropped
            shift = -dropped
        else:
            self.at_newest = len(rows) < PAGE_SIZE
            entries = list(rows) + self.entries
            self.entries = entries[:WINDOW]
            self.at_oldest = self.at_oldest and len(entries) <= WINDOW
            if self.first_index is not None:
                self.first_index = max(0, self.first_index - len(rows))
            shift = len(rows)
        self._redraw(cursor=cursor + shift, scroll_y=scroll + shift)
        self.reach_edge()  # the cursor may already be near the new edge (a long key repeat)

    # -- drawing ------------------------------------------------------------------------------

    def _redraw(self, *, cursor: int, scroll_y: float | None = None) -> None:
        self._drawing = True
        try:
            self.clear()
            for logged in self.entries:
                self.add_row(*self.cells(logged), key=logged.entry.id)
        finally:
            self._drawing = False
        if self.entries:
            cursor = min(max(cursor, 0), len(self.entries) - 1)
            # Both at once and without scrolling to it: the rows the analyst was looking at
            # stay where they were on the screen.
            with self.prevent(self.RowHighlighted):
                self.move_cursor(row=cursor, animate=False, scroll=scroll_y is None)
            if scroll_y is not None:
                # Once the table has measured its new rows, or the scroll would be clipped.
                self.call_after_refresh(self.scroll_to, y=scroll_y, animate=False, immediate=True)
        self.post_message(self.WindowMoved(self))
        self.post_message(
            self.RowHighlighted(self, self.cursor_row, self._row_key(self.cursor_row))
        )

    def _row_key(self, row: int) -> Any:
        return self.coordinate_to_cell_key(Coordinate(row, 0)).row_key if self.entries else None

    def highlighted(self) -> LoggedObservation | None:
        if not self.entries or self.cursor_row >= len(self.entries):
            return None
        return self.entries[self.cursor_row]

    def _read(
        self,
        read: Callable[[], tuple[LoggedObservation, ...]],
        show: Callable[[tuple[LoggedObservation, ...]], None],
        *,
        group: str = "window",
    ) -> None:
        def work() -> None:
            try:
                rows = read()
            except TrackerError as exc:
                self.app.call_from_thread(self.notify, str(exc), severity="error", markup=False)
                if group == "edge":
                    self._reading_edge = False
                return
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(show, rows)

        self.run_worker(work, thread=True, exclusive=True, group=group, exit_on_error=False)


class OpenableLogTable(LogTable):
    """A log table whose rows open something on Enter, as the footer says."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Open")]
