"""A table over a list of observations too long to load: the observation log, and an indicator's
observations. It holds a window of at most `WINDOW` rows read from the database. When the cursor
(or, scrolling with the mouse, the rows in view) nears an edge of the window, the next page
beyond it is read (from the last row held, one index range however deep) and the far end of the
window let go. Home and End go to the two ends of the whole list.

It draws only the rows in view, each when it is first shown (Textual's line API), so moving
the window or opening the table costs the same whether the list holds 400 rows or 4: a
DataTable would add, style and measure every row held each time the window moves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tracker.interfaces.tui.screens.base import read_in_background
from tracker.interfaces.wording import one_cell_each
from tracker.services.observation_log import PAGE_SIZE, LoggedObservation, LogKey, Toward

# Rows kept at once: two pages, so the rows around the cursor are always there.
WINDOW = 2 * PAGE_SIZE
# Read the next page when the cursor comes this close to an edge of the window.
LOOKAHEAD = 20
# Spaces on each side of a cell's text, as a DataTable has them.
PADDING = 1

# Reads up to so many rows next to a key of the list (see `read_log`); runs in a thread.
Reader = Callable[[LogKey | None, Toward, int], tuple[LoggedObservation, ...]]
Cells = Callable[[LoggedObservation], list[Text]]


def just_above(key: LogKey) -> LogKey:
    """A key that sorts right above `key`, so that reading "older than it" starts at `key`."""
    return LogKey(key.event_date, key.recorded_at, key.id + 1)


@dataclass(frozen=True)
class Column:
    label: str
    width: int


class TableMessage(Message):
    """Something about a log table; the screen asks the table for the rest."""

    def __init__(self, table: LogTable) -> None:
        super().__init__()
        self.table = table

    @property
    def control(self) -> LogTable:
        return self.table


class LogTable(ScrollView, can_focus=True):
    """Rows of observations, read a page at a time by `reader` and drawn by `cells`, with a
    row cursor. The header stays in view; the rows scroll beneath it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Cursor up", show=False),
        Binding("down", "cursor_down", "Cursor down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first", "Newest", show=False),
        Binding("end,ctrl+end", "last", "Oldest", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "log-table--header",
        "log-table--cursor",
        "log-table--even-row",
    }

    # The look of Textual's DataTable, so the app's tables read alike.
    DEFAULT_CSS = """
    LogTable {
        background: $surface;
        color: $foreground;
        height: auto;
        max-height: 100%;
        &:focus {
            background-tint: $foreground 5%;
            & > .log-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .log-table--header {
                background-tint: $foreground 5%;
            }
        }
        &:dark > .log-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .log-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .log-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .log-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .log-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    class WindowMoved(TableMessage):
        """The rows held changed: the screen says where they are in the list."""

    class Highlighted(TableMessage):
        """The cursor is on another row (or on none, the list being empty)."""

    class Selected(TableMessage):
        """Enter, or a click, on the highlighted row."""

    def __init__(self, reader: Reader, cells: Cells, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reader = reader
        self.cells = cells
        self.columns: list[Column] = []
        self.entries: list[LoggedObservation] = []
        self.cursor_row = 0
        self.at_newest = True  # nothing newer than the first row held
        self.at_oldest = True  # nothing older than the last row held
        # Where the first row held sits in the whole list (0 = the newest), when known.
        self.first_index: int | None = 0
        self.total: int | None = None
        self._generation = 0  # each new read of the whole window; older reads are dropped
        self._reading_edge = False
        # Rows drawn, by (observation id, zebra stripe, cursor on it, focused).
        self._drawn: LRUCache[tuple[str, bool, bool, bool], Strip] = LRUCache(256)
        self._styles: dict[tuple[str | None, bool, bool], Style] = {}

    def add_column(self, label: str, *, width: int) -> None:
        self.columns.append(Column(label, width))
        self._resize()

    @property
    def row_count(self) -> int:
        return len(self.entries)

    def row_keys(self) -> list[str]:
        """The observations held, by id, in the order shown."""
        return [logged.entry.id for logged in self.entries]

    def cell_texts(self, observation_id: str) -> list[str]:
        """What each column says for an observation held."""
        logged = next(row for row in self.entries if row.entry.id == observation_id)
        return [cell.plain for cell in self.cells(logged)]

    def highlighted(self) -> LoggedObservation | None:
        if not self.entries or self.cursor_row >= len(self.entries):
            return None
        return self.entries[self.cursor_row]

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
            self.move_cursor(0)
            return
        self.start()

    def action_last(self) -> None:
        if self.at_oldest:
            self.move_cursor(len(self.entries) - 1)
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
        self._show_window(cursor=len(rows) - 1, scroll_y=None)

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
        self._show_window(cursor=keys.index(keep) if keep in keys else 0, scroll_y=None)

    def set_total(self, total: int) -> None:
        """The count of the whole list, read apart from the rows (it can take longer)."""
        self.total = total
        if self.at_oldest and self.first_index is None:
            self.first_index = max(0, total - len(self.entries))
        self.post_message(self.WindowMoved(self))

    # -- moving through the list --------------------------------------------------------------

    def move_cursor(self, row: int, *, scroll: bool = True) -> None:
        """Put the cursor on a row held (clamped to them), in view unless `scroll` is False."""
        row = min(max(row, 0), max(len(self.entries) - 1, 0))
        moved = row != self.cursor_row
        self.cursor_row = row
        if scroll:
            self._scroll_to_cursor()
        if moved:
            self.refresh()
            self.post_message(self.Highlighted(self))
        self.reach_edge()

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_page_down(self) -> None:
        # The rows in view move up by a page and the cursor with them, as in a DataTable.
        page = self._rows_in_view()
        self.scroll_to(y=self.scroll_y + page, animate=False, immediate=True)
        self.move_cursor(self.cursor_row + page)

    def action_page_up(self) -> None:
        page = self._rows_in_view()
        self.scroll_to(y=self.scroll_y - page, animate=False, immediate=True)
        self.move_cursor(self.cursor_row - page)

    def action_select_cursor(self) -> None:
        if self.highlighted() is not None:
            self.post_message(self.Selected(self))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self.reach_edge()  # scrolling with the mouse leaves the cursor behind

    def reach_edge(self) -> None:
        """Read the page beyond the nearer edge of the window, if the cursor, or the rows in
        view when the cursor is out of view, are close to it."""
        if self._reading_edge or not self.entries:
            return
        top = round(self.scroll_y)
        bottom = top + self._rows_in_view() - 1
        near = self.cursor_row if top <= self.cursor_row <= bottom else None
        low, high = (near, near) if near is not None else (top, bottom)
        generation = self._generation
        if high >= len(self.entries) - LOOKAHEAD and not self.at_oldest:
            after = self.entries[-1].key
            toward: Toward = "older"
        elif low < LOOKAHEAD and not self.at_newest:
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
        # The same rows stay where they were on the screen, the cursor on the same one.
        self._show_window(cursor=self.cursor_row + shift, scroll_y=self.scroll_y + shift)

    def _show_window(self, *, cursor: int, scroll_y: float | None) -> None:
        before = self.highlighted()
        self._resize()
        self.cursor_row = min(max(cursor, 0), max(len(self.entries) - 1, 0))
        if scroll_y is None:
            self._scroll_to_cursor()
        else:
            self.scroll_to(y=scroll_y, animate=False, immediate=True)
        self.refresh()
        self.post_message(self.WindowMoved(self))
        if self.highlighted() is not before:
            self.post_message(self.Highlighted(self))
        self.reach_edge()  # the cursor may already be near the new edge (a long key repeat)

    def _rows_in_view(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)  # less the header

    def _scroll_to_cursor(self) -> None:
        top, view = round(self.scroll_y), self._rows_in_view()
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + view:
            self.scroll_to(y=self.cursor_row - view + 1, animate=False, immediate=True)

    def _resize(self) -> None:
        width = sum(column.width + 2 * PADDING for column in self.columns)
        self._drawn.clear()
        # One line more than the rows: the header's, which stays in view as they scroll.
        self.virtual_size = Size(width, len(self.entries) + 1)

    # -- the mouse ----------------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:
            return
        row = round(self.scroll_y) + offset.y - 1
        if row >= len(self.entries):
            return
        event.stop()
        self.move_cursor(row)
        self.action_select_cursor()

    # -- drawing ------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._drawn.clear()
        self._styles.clear()

    def _on_resize(self, _: events.Resize) -> None:
        self._drawn.clear()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        if y == 0:
            style = self._style("log-table--header")
            line = self._line([Text(column.label) for column in self.columns], style)
        else:
            row = scroll_y + y - 1
            if row >= len(self.entries):
                return Strip.blank(width, self.rich_style)
            style = self._row_style(row)
            line = self._row(row, style)
        # A row's colours reach the right edge, as a DataTable's do.
        return line.crop_extend(scroll_x, scroll_x + width, style)

    def _row_style(self, row: int) -> Style:
        # Striped as a DataTable stripes: the first row, and every other one, shaded.
        style = self._style("log-table--even-row" if row % 2 == 0 else None)
        if row == self.cursor_row:
            style += self._style("log-table--cursor", alone=True)
        return style

    def _row(self, row: int, style: Style) -> Strip:
        logged = self.entries[row]
        key = (logged.entry.id, row % 2 == 0, row == self.cursor_row, self.has_focus)
        line = self._drawn.get(key)
        if line is None:
            line = self._drawn[key] = self._line(self.cells(logged), style)
        return line

    def _style(self, component: str | None, *, alone: bool = False) -> Style:
        """The table's style with a component's over it (or the component's alone), kept
        until the styles change: rows are drawn many at a time."""
        key = (component, alone, self.has_focus)
        style = self._styles.get(key)
        if style is None:
            style = Style() if alone else self.rich_style
            if component is not None:
                style += self.get_component_rich_style(component)
            self._styles[key] = style
        return style

    def _line(self, cells: list[Text], style: Style) -> Strip:
        segments = [
            segment
            for column, cell in zip(self.columns, cells, strict=False)
            for segment in self._cell(cell, column.width)
        ]
        width = sum(column.width + 2 * PADDING for column in self.columns)
        return Strip(Segment.apply_style(segments, style), width).simplify()

    def _cell(self, cell: Text, width: int) -> list[Segment]:
        """A cell's text cut or padded to its column's width, a space each side."""
        plain = cell.plain
        if not cell.spans and one_cell_each(plain):
            # One cell per character: cut and padded by counting, without measuring.
            if len(plain) > width:
                plain = plain[: width - 1] + "…" if width > 1 else plain[:width]
            style = self.app.console.get_style(cell.style) if cell.style else None
            return [Segment(f"{' ' * PADDING}{plain.ljust(width)}{' ' * PADDING}", style)]
        text = cell.copy()
        text.no_wrap = True
        text.truncate(width, overflow="ellipsis", pad=True)
        text.pad(PADDING)
        return list(text.render(self.app.console))

    def _read(
        self,
        read: Callable[[], tuple[LoggedObservation, ...]],
        show: Callable[[tuple[LoggedObservation, ...]], None],
        *,
        group: str = "window",
    ) -> None:
        failed = self._edge_read_failed if group == "edge" else None
        read_in_background(self, read, show, group=group, failed=failed)

    def _edge_read_failed(self) -> None:
        self._reading_edge = False


class OpenableLogTable(LogTable):
    """A log table whose rows open something on Enter, as the footer says."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Open")]
