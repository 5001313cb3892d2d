"""The observation log: everything logged, newest first, with search and filters.

Rows come from the database a page at a time (see log_table.py); the count comes on its own,
so a search that matches half the record shows its newest rows before it is counted.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Header, Input, Select, Static

from tracker.errors import TrackerError
from tracker.interfaces.tui import texts
from tracker.interfaces.tui.screens.base import RecordScreen
from tracker.interfaces.tui.screens.key_footer import KeyFooter
from tracker.interfaces.tui.screens.log_table import LogTable, OpenableLogTable
from tracker.interfaces.wording import grading_code, one_line
from tracker.services import inputs
from tracker.services.observation_log import (
    LoggedObservation,
    LogKey,
    ObservationQuery,
    Toward,
    count_log,
    observation_authors,
    read_log,
)
from tracker.services.status import IndicatorChoice, indicator_choices, point_in_time
from tracker.vocabulary import INFORMATION_CREDIBILITY, SOURCE_RELIABILITY

SEARCH_DELAY = 0.25


class ObservationLogScreen(RecordScreen):
    AUTO_FOCUS = "#log"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back"),
        Binding("slash", "search", "Search", key_display="/", tooltip="Search the text"),
        Binding("ctrl+r", "clear_filters", "Clear filters", tooltip="Clear the search and filters"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_error: str | None = None
        self._search_timer: object = None
        self.summary_width = 40
        self.active_query = ObservationQuery()  # the search whose rows the table shows
        self.generation = 0  # bumped by each new search; counts of older ones are dropped

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        yield Input(placeholder='/ Search: words or "a phrase"', id="search")
        with Horizontal(id="log-filters"):
            yield Select([], prompt="Any indicator", id="filter-indicator")
            yield Input(placeholder="From YYYY-MM-DD", id="filter-since")
            yield Input(placeholder="To YYYY-MM-DD", id="filter-until")
            yield Select([], prompt="Any author", id="filter-author")
            yield Select(
                [(Text(f"{g} {w}"), g) for g, w in SOURCE_RELIABILITY.items()],
                prompt="Any reliability",
                id="filter-reliability",
            )
            yield Select(
                [(Text(f"{g} {w}"), str(g)) for g, w in INFORMATION_CREDIBILITY.items()],
                prompt="Any credibility",
                id="filter-credibility",
            )
        yield OpenableLogTable(self.read_page, self.cells, id="log")
        yield Static(id="log-status")
        with VerticalScroll(id="log-detail-scroll"):
            yield Static(id="log-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Observation log"
        app = self.tracker
        table = self.query_one("#log", LogTable)
        self.summary_width = max(20, self.size.width - 10 - 22 - 5 - 12 - 10 - 2 * 6 - 2)
        table.add_column("Date", width=10)
        table.add_column("Indicators", width=22)
        table.add_column("Grade", width=5)
        table.add_column("Author", width=12)
        table.add_column("Summary", width=self.summary_width)
        table.add_column("", width=10)

        def facets() -> tuple[list[IndicatorChoice], list[str]]:
            return indicator_choices(app.db), observation_authors(app.db)

        self.read_in_background(facets, self.show_facets, group="facets")
        self.query_one("#log", LogTable).focus()

    def show_facets(self, found: tuple[list[IndicatorChoice], list[str]]) -> None:
        indicators, authors = found
        with self.prevent(Select.Changed):
            self.query_one("#filter-indicator", Select).set_options(
                (Text(f"{i.title} ({i.key})"), f"{i.set_slug}/{i.key}") for i in indicators
            )
            self.query_one("#filter-author", Select).set_options((Text(a), a) for a in authors)

    # -- reading ------------------------------------------------------------------------------

    def current_query(self) -> ObservationQuery | None:
        """The search and filters as typed, or None (with the reason shown) if a date is bad."""

        def chosen(widget_id: str) -> str | None:
            value = self.query_one(f"#{widget_id}", Select).value
            return value if isinstance(value, str) else None

        def day(widget_id: str, what: str) -> date | None:
            typed = self.query_one(f"#{widget_id}", Input).value.strip()
            return inputs.parse_date(typed, what) if typed else None

        set_slug, _, key = (chosen("filter-indicator") or "").partition("/")
        credibility = chosen("filter-credibility")
        as_of = self.tracker.as_of
        try:
            since = day("filter-since", "the 'from' date")
            until = day("filter-until", "the 'to' date")
        except TrackerError as exc:
            self.query_error = str(exc)
            return None
        self.query_error = None
        return ObservationQuery(
            text=self.query_one("#search", Input).value,
            indicator_key=key or None,
            set_slug=set_slug or None,
            since=since,
            until=until,
            author=chosen("filter-author"),
            reliability=chosen("filter-reliability"),
            credibility=int(credibility) if credibility else None,
            as_of=point_in_time(self.tracker.clock, as_of) if as_of else None,
        )

    def reload(self) -> None:
        """Search again. A refresh (or a colleague's write) reads the rows again from the one
        under the cursor, so the analyst keeps their place; a new search starts at the top."""
        query = self.current_query()
        if query is None:
            self.show_status()
            return
        table = self.query_one("#log", LogTable)
        logged = table.highlighted()
        keep = logged.key if logged is not None and query == self.active_query else None
        self.active_query = query
        self.generation += 1
        generation, db = self.generation, self.tracker.db
        table.total = None
        table.start(keep)
        self.read_in_background(
            lambda: count_log(db, query),
            lambda total: self.show_total(total, generation),
            group="count",
        )

    def read_page(
        self, after: LogKey | None, toward: Toward, limit: int
    ) -> tuple[LoggedObservation, ...]:
        """The table's reader (in a thread): a page of the search last started."""
        return read_log(self.tracker.db, self.active_query, after=after, toward=toward, limit=limit)

    def cells(self, logged: LoggedObservation) -> list[Text]:
        entry = logged.entry
        return [
            Text(entry.event_date.isoformat()),
            Text(one_line(", ".join(key for key, _ in logged.bearings), 22)),
            Text(grading_code(entry.reliability, entry.credibility)),
            Text(one_line(entry.author, 12)),
            Text(one_line(entry.summary, self.summary_width)),
            Text("RETRACTED", style="bold red") if entry.retraction else Text(""),
        ]

    def show_total(self, total: int, generation: int) -> None:
        if generation == self.generation:
            self.query_one("#log", LogTable).set_total(total)

    @on(LogTable.WindowMoved, "#log")
    def show_status(self) -> None:
        status = self.query_one("#log-status", Static)
        table = self.query_one("#log", LogTable)
        if self.query_error:
            status.update(Text(self.query_error, style="bold red"))
        elif not table.entries and table.at_oldest:
            status.update(Text("No observation matches."))
        elif table.total is None:
            status.update(Text("Newest first · counting the matches…"))
        else:
            where = ""
            if table.first_index is not None and table.entries:
                first = table.first_index + 1
                where = f" · showing {first:,}–{first + len(table.entries) - 1:,}"
            status.update(Text(f"{table.total:,} observation(s), newest first{where}"))

    def highlighted(self) -> LoggedObservation | None:
        return self.query_one("#log", LogTable).highlighted()

    @on(LogTable.Highlighted, "#log")
    def show_detail(self) -> None:
        logged = self.highlighted()
        detail = self.query_one("#log-detail", Static)
        if logged is None:
            detail.update(Text(""))
            return
        detail.update(texts.observation(logged.entry, logged.bearings))

    # -- searching ----------------------------------------------------------------------------

    @on(Input.Changed, "#search")
    @on(Input.Changed, "#filter-since")
    @on(Input.Changed, "#filter-until")
    def typed(self) -> None:
        # Wait for a pause in typing, so each keystroke does not start a search.
        if self._search_timer is not None:
            self._search_timer.stop()  # type: ignore[attr-defined]
        self._search_timer = self.set_timer(SEARCH_DELAY, self.reload)

    @on(Input.Submitted)
    def submitted(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()  # type: ignore[attr-defined]
        self.reload()
        self.query_one("#log", LogTable).focus()

    @on(Select.Changed)
    def chose_filter(self) -> None:
        self.reload()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_filters(self) -> None:
        with self.prevent(Input.Changed, Select.Changed):
            for box in self.query(Input).results(Input):
                box.value = ""
            for choice in self.query(Select).results(Select):
                choice.clear()
        self.reload()

    def action_back(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_focus and search.value:
            search.value = ""
            return
        self.dismiss()

    @on(LogTable.Selected, "#log")
    def open_indicator(self) -> None:
        logged = self.highlighted()
        if logged is None or not logged.bearings:
            return
        from tracker.interfaces.tui.screens.indicator import IndicatorScreen

        self.app.push_screen(IndicatorScreen(logged.bearings[0][0], logged.set_slug))
