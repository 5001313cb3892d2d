"""The board: every indicator of the set, grouped by theme, and where each stands."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.widgets import DataTable, Header, Input, Select, Static

from tracker.interfaces.tui.screens.base import RecordScreen, RowTable
from tracker.interfaces.tui.screens.key_footer import KeyFooter
from tracker.interfaces.wording import one_line, status_label
from tracker.services.status import (
    QUIET_DAYS,
    RECENT_DAYS,
    IndicatorStatus,
    StatusBoard,
    status_as_of,
)

# What the status filter offers, and which indicators each keeps.
STATUS_FILTERS: dict[str, str] = {
    "all": "All statuses",
    "toward": "▲ Moved toward",
    "away": "▼ Moved away",
    "moved": "Moved (either way)",
    "unmoved": "· Unmoved",
    "unassessed": "Not assessed",
    "quiet": f"⚠ Quiet {QUIET_DAYS}+ days",
}
# Below this width the key column gives its room to the title.
WIDE = 110
QUIET_MARK = "⚠ "


def literal_markup(text: str) -> str:
    """Text that Textual's markup parser shows as it is (only "[" opens a tag)."""
    return text.replace("[", "\\[")


def keeps(item: IndicatorStatus, status_filter: str, as_of_day: date) -> bool:
    match status_filter:
        case "toward" | "away":
            return item.status == "moved" and item.direction == status_filter
        case "moved" | "unmoved":
            return item.status == status_filter
        case "unassessed":
            return item.status is None
        case "quiet":
            return item.is_quiet(as_of_day)
    return True


def matches(item: IndicatorStatus, words: list[str]) -> bool:
    haystack = f"{item.title} {item.key} {item.theme_title} {item.theme_key}".casefold()
    return all(word in haystack for word in words)


class BoardScreen(RecordScreen):
    AUTO_FOCUS = "#board"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "log_observation", "Observe", tooltip="Log an observation", id="observe"),
        Binding("m", "mark", "Mark", tooltip="Mark moved or unmoved", id="mark"),
        Binding(
            "slash", "filter", "Filter", key_display="/", tooltip="Filter by title, key, theme"
        ),
        Binding(
            "f",
            "next_status_filter",
            "Status filter",
            tooltip="Cycle the status filter",
            show=False,
        ),
        Binding("s", "next_set", "Next set", tooltip="Next indicator set", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.board: StatusBoard | None = None
        self.set_slug: str | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        with Horizontal(id="board-controls"):
            yield Input(placeholder="/ Filter by title, key or theme", id="filter")
            yield Select(
                [(Text(label), value) for value, label in STATUS_FILTERS.items()],
                value="all",
                allow_blank=False,
                id="status-filter",
            )
            yield Select([], prompt="Set", id="set-choice", classes="-hidden")
        yield RowTable(id="board", cursor_type="row", zebra_stripes=True)
        yield Static(id="board-detail")
        yield Static(id="board-summary")
        yield KeyFooter()

    # -- reading ------------------------------------------------------------------------------

    def reload(self) -> None:
        app = self.tracker
        self.read_in_background(
            lambda: (
                app.take_first_board()
                or status_as_of(app.db, app.clock, app.viewing_day(), with_totals=False)
            ),
            self.show_board,
        )

    def show_board(self, board: StatusBoard) -> None:
        self.board = board
        slugs = list(dict.fromkeys(item.set_slug for item in board.indicators))
        if self.set_slug not in slugs:
            self.set_slug = slugs[0] if slugs else None
        choice = self.query_one("#set-choice", Select)
        choice.set_class(len(slugs) < 2, "-hidden")
        if len(slugs) > 1:
            titles = {item.set_slug: item.set_title for item in board.indicators}
            with self.prevent(Select.Changed):
                choice.set_options((Text(titles[slug]), slug) for slug in slugs)
                choice.value = self.set_slug
        self.refresh_bindings()
        self.fill_table()
        self.tracker.board_shown()

    def in_set(self) -> list[IndicatorStatus]:
        if self.board is None:
            return []
        return [item for item in self.board.indicators if item.set_slug == self.set_slug]

    def shown(self) -> list[IndicatorStatus]:
        if self.board is None:
            return []
        words = self.query_one("#filter", Input).value.casefold().split()
        status_filter = self.query_one("#status-filter", Select).value
        return [
            item
            for item in self.in_set()
            if matches(item, words) and keeps(item, str(status_filter), self.board.as_of)
        ]

    # -- drawing ------------------------------------------------------------------------------

    def fill_table(self) -> None:
        table = self.query_one("#board", DataTable)
        selected = self.highlighted_key()
        wide = self.size.width >= WIDE
        table.clear(columns=True)
        fixed = 14 + 11 + 4 + 8 + (24 if wide else 0) + 2 * (6 if wide else 5) + 2
        title_width = max(16, self.size.width - fixed)
        table.add_column("Status", key="status", width=14)
        table.add_column("Indicator", key="title", width=title_width)
        if wide:
            table.add_column("Key", key="key", width=24)
        table.add_column("Last obs.", key="last", width=11)
        table.add_column(Text(f"{RECENT_DAYS}d", justify="right"), key="recent", width=4)
        table.add_column(Text("Assessed", justify="right"), key="assessed", width=8)

        assert self.board is not None or not self.in_set()
        day = self.board.as_of if self.board else self.tracker.viewing_day()
        theme = None
        shown = self.shown()
        for item in shown:
            if item.theme_key != theme:
                theme = item.theme_key
                cells: list[object] = [
                    Text(""),
                    Text(one_line(item.theme_title, title_width), "bold"),
                ]
                cells += [Text("")] * (len(table.columns) - 2)
                table.add_row(*cells, key=f"theme:{item.theme_key}")
            table.add_row(*self.row(item, day, title_width, wide), key=item.key)
        self.show_summary(shown, day)
        self.restore_cursor(selected)

    def row(self, item: IndicatorStatus, day: date, title_width: int, wide: bool) -> list[object]:
        quiet = item.is_quiet(day)
        title = Text().append(QUIET_MARK if quiet else "  ", style="bold yellow" if quiet else "")
        title.append(one_line(item.title, title_width - 2))
        last = item.last_observation_on.isoformat() if item.last_observation_on else "never"
        since = item.days_since_assessed(day)
        cells: list[object] = [status_label(item.status, item.direction), title]
        if wide:
            cells.append(Text(item.key, style="dim"))
        cells += [
            Text(last, style="yellow" if quiet else ""),
            Text(str(item.recent_observation_count or "·"), justify="right"),
            Text(f"{since}d" if since is not None else "—", justify="right"),
        ]
        return cells

    def show_summary(self, shown: list[IndicatorStatus], day: date) -> None:
        items = self.in_set()
        toward = sum(1 for i in items if i.status == "moved" and i.direction == "toward")
        away = sum(1 for i in items if i.status == "moved" and i.direction == "away")
        quiet = sum(1 for i in items if i.is_quiet(day))
        self.title = items[0].set_title if items else "No indicator set loaded (run: tracker seed)"
        summary = Text(
            f"{toward + away} of {len(items)} moved ({toward} toward, {away} away) · "
            f"{QUIET_MARK}{quiet} quiet (nothing observed for {QUIET_DAYS}+ days)"
        )
        if len(shown) != len(items):
            summary.append(f" · showing {len(shown)} of {len(items)}", style="bold")
        self.query_one("#board-summary", Static).update(summary)
        self.show_detail()

    def highlighted_key(self) -> str | None:
        table = self.query_one("#board", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return key if key and not key.startswith("theme:") else None

    def restore_cursor(self, key: str | None) -> None:
        table = self.query_one("#board", DataTable)
        if table.row_count == 0:
            return
        rows = [row.key.value for row in table.ordered_rows]
        target = key if key in rows else next((r for r in rows if not r.startswith("theme:")), None)
        if target is not None:
            table.move_cursor(row=rows.index(target), animate=False)

    @on(DataTable.RowHighlighted, "#board")
    def show_detail(self) -> None:
        detail = self.query_one("#board-detail", Static)
        key = self.highlighted_key()
        item = next((i for i in self.in_set() if i.key == key), None)
        if item is None:
            detail.update(Text(""))
            return
        text = Text().append(item.title, style="bold")
        text.append(f"  {item.key}", style="dim")
        text.append("\n")
        if item.status is None:
            text.append("Not assessed yet.")
        else:
            text.append_text(status_label(item.status, item.direction))
            text.append(
                f" ({item.confidence} confidence) since {item.assessed_on} by {item.assessed_by}: "
            )
            text.append(one_line(item.rationale or "", 400))
        detail.update(text)

    # -- actions ------------------------------------------------------------------------------

    def on_resize(self, _event: Resize) -> None:
        if self.board is not None:
            self.fill_table()

    @on(Input.Changed, "#filter")
    @on(Select.Changed, "#status-filter")
    def refilter(self) -> None:
        self.fill_table()

    @on(Select.Changed, "#set-choice")
    def choose_set(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.set_slug:
            self.set_slug = event.value
            self.fill_table()

    def key_escape(self) -> None:
        box = self.query_one("#filter", Input)
        if box.has_focus or box.value:
            box.value = ""
            self.query_one("#board", DataTable).focus()

    def key_down(self) -> None:
        if self.query_one("#filter", Input).has_focus:
            self.query_one("#board", DataTable).focus()

    @on(Input.Submitted, "#filter")
    def leave_filter(self) -> None:
        self.query_one("#board", DataTable).focus()

    @on(DataTable.RowSelected, "#board")
    def open_highlighted(self) -> None:
        key = self.highlighted_key()
        if key is not None:
            self.open_key(key, self.set_slug)

    def action_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_next_status_filter(self) -> None:
        choice = self.query_one("#status-filter", Select)
        values = list(STATUS_FILTERS)
        choice.value = values[(values.index(str(choice.value)) + 1) % len(values)]

    def action_next_set(self) -> None:
        slugs = list(dict.fromkeys(i.set_slug for i in self.board.indicators)) if self.board else []
        if len(slugs) > 1:
            self.query_one("#set-choice", Select).value = slugs[
                (slugs.index(self.set_slug) + 1) % len(slugs) if self.set_slug in slugs else 0
            ]

    def action_log_observation(self) -> None:
        from tracker.interfaces.tui.screens.observation_form import ObservationFormScreen

        key = self.highlighted_key()
        self.app.push_screen(ObservationFormScreen([key] if key else [], self.set_slug))

    def action_mark(self) -> None:
        key = self.highlighted_key()
        if key is None:
            self.notify("Choose an indicator to mark first.", severity="warning")
            return
        from tracker.interfaces.tui.screens.assessment_form import AssessmentFormScreen

        self.app.push_screen(AssessmentFormScreen(key, self.set_slug))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"log_observation", "mark"} and self.tracker.read_only:
            return None  # shown dimmed: the past is read-only
        if action == "next_set":
            slugs = {i.set_slug for i in self.board.indicators} if self.board else set()
            return len(slugs) > 1
        return True

    def palette_commands(self) -> Iterable[SystemCommand]:
        for item in self.in_set():
            # The palette reads titles as markup: what came from a definition file is escaped.
            yield SystemCommand(
                literal_markup(f"Open: {item.title}"),
                literal_markup(f"{item.key} · {item.theme_title}"),
                partial(self.open_key, item.key, item.set_slug),
            )

    def open_key(self, key: str, set_slug: str | None) -> None:
        from tracker.interfaces.tui.screens.indicator import IndicatorScreen

        self.app.push_screen(IndicatorScreen(key, set_slug))
