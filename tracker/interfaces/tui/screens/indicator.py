"""An indicator's file: what it watches, how it has been assessed, and the evidence on it."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Header, Static, TabbedContent, TabPane

from tracker.interfaces.tui import texts
from tracker.interfaces.tui.screens.base import RecordScreen
from tracker.interfaces.tui.screens.key_footer import KeyFooter
from tracker.interfaces.tui.screens.log_table import LogTable
from tracker.interfaces.wording import grading_code, one_line
from tracker.services.history import IndicatorHistory, ObservationEntry, indicator_history
from tracker.services.observation_log import (
    LoggedObservation,
    LogKey,
    ObservationQuery,
    Toward,
    count_log,
    read_log,
)
from tracker.services.status import point_in_time

# Assessments laid out at first, and added by each press of e.
ASSESSMENTS_SHOWN = 20


class IndicatorScreen(RecordScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to the board"),
        Binding("o", "log_observation", "Observe", tooltip="Log an observation", id="observe"),
        Binding("m", "mark", "Mark", tooltip="Mark moved or unmoved", id="mark"),
        Binding("x", "retract", "Retract", tooltip="Retract the chosen observation", id="retract"),
        Binding("e", "earlier", "Earlier", tooltip="Show earlier assessments", show=False),
        Binding("1", "show_tab('file')", "File", tooltip="The file: definition and assessments"),
        Binding(
            "2",
            "show_tab('observations')",
            "Observations",
            tooltip="Observations on this indicator",
        ),
    ]

    def __init__(self, key: str, set_slug: str | None) -> None:
        super().__init__()
        self.key = key
        self.set_slug = set_slug
        self.history: IndicatorHistory | None = None
        self.observation_query = ObservationQuery(indicator_key=key, set_slug=set_slug)
        self.summary_width = 40
        self.assessments_shown = ASSESSMENTS_SHOWN

    def on_mount(self) -> None:
        table = self.query_one("#indicator-observations", LogTable)
        self.summary_width = max(20, self.size.width - 10 - 10 - 5 - 12 - 2 * 5 - 4)
        table.add_column("Date", width=10)
        table.add_column("Bearing", width=10)
        table.add_column("Grade", width=5)
        table.add_column("Summary", width=self.summary_width)
        table.add_column("", width=12)

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        with TabbedContent(initial="file"):
            with TabPane("File", id="file"), VerticalScroll(id="file-scroll"):
                yield Static(id="definition", classes="panel")
                yield Static(id="timeline", classes="panel")
            with TabPane("Observations", id="observations"), Vertical():
                yield LogTable(self.read_page, self.cells, id="indicator-observations")
                with VerticalScroll(id="observation-detail-scroll"):
                    yield Static(id="observation-detail")
        yield KeyFooter()

    def reload(self) -> None:
        """Read the file, and the observations again from the one under the cursor (the
        analyst keeps their place), with their count apart: thousands are only paged."""
        app = self.tracker
        moment = point_in_time(app.clock, app.as_of) if app.as_of else None
        self.observation_query = ObservationQuery(
            indicator_key=self.key, set_slug=self.set_slug, as_of=moment
        )
        self.read_in_background(
            lambda: indicator_history(
                app.db, self.key, self.set_slug, moment, with_observations=False
            ),
            self.show_history,
        )
        table = self.query_one("#indicator-observations", LogTable)
        logged = table.highlighted()
        table.total = None
        table.start(logged.key if logged is not None else None)
        query = self.observation_query
        self.read_in_background(
            lambda: count_log(app.db, query),
            lambda total: self.show_count(total, query),
            group="count",
        )

    def read_page(
        self, after: LogKey | None, toward: Toward, limit: int
    ) -> tuple[LoggedObservation, ...]:
        """The table's reader (in a thread)."""
        return read_log(
            self.tracker.db, self.observation_query, after=after, toward=toward, limit=limit
        )

    def cells(self, logged: LoggedObservation) -> list[Text]:
        entry = logged.entry
        retracted = entry.retraction is not None
        return [
            Text(entry.event_date.isoformat()),
            texts.bearing(self.bearing_of(logged)),
            Text(grading_code(entry.reliability, entry.credibility)),
            Text(one_line(entry.summary, self.summary_width), style="strike" if retracted else ""),
            Text("RETRACTED", style="bold red") if retracted else Text(""),
        ]

    def bearing_of(self, logged: LoggedObservation) -> str | None:
        return next((bearing for key, bearing in logged.bearings if key == self.key), None)

    def show_count(self, total: int, query: ObservationQuery) -> None:
        if query != self.observation_query:
            return
        self.query_one("#indicator-observations", LogTable).set_total(total)
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("observations").label = f"Observations ({total:,})"

    def show_history(self, history: IndicatorHistory) -> None:
        self.history = history
        self.title = f"{history.title}"
        self.query_one("#definition", Static).update(texts.definition(history))
        self.query_one("#timeline", Static).update(texts.timeline(history, self.assessments_shown))
        self.refresh_bindings()

    def highlighted_observation(self) -> ObservationEntry | None:
        logged = self.query_one("#indicator-observations", LogTable).highlighted()
        if logged is None:
            return None
        return replace(logged.entry, bearing=self.bearing_of(logged))

    @on(LogTable.Highlighted, "#indicator-observations")
    @on(LogTable.WindowMoved, "#indicator-observations")
    def show_observation(self) -> None:
        table = self.query_one("#indicator-observations", LogTable)
        entry = self.highlighted_observation()
        detail = self.query_one("#observation-detail", Static)
        if entry is not None:
            detail.update(texts.observation(entry))
        elif table.at_oldest and table.at_newest:
            detail.update(Text("Nothing observed on this indicator yet. Press o to log something."))
        self.refresh_bindings()

    @on(TabbedContent.TabActivated)
    def tab_changed(self) -> None:
        self.refresh_bindings()

    # -- actions ------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_earlier(self) -> None:
        if self.history is not None and len(self.history.assessments) > self.assessments_shown:
            self.assessments_shown += ASSESSMENTS_SHOWN
            self.query_one("#timeline", Static).update(
                texts.timeline(self.history, self.assessments_shown)
            )

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "observations":
            self.query_one("#indicator-observations", LogTable).focus()

    def action_log_observation(self) -> None:
        from tracker.interfaces.tui.screens.observation_form import ObservationFormScreen

        self.app.push_screen(ObservationFormScreen([self.key], self.set_slug))

    def action_mark(self) -> None:
        from tracker.interfaces.tui.screens.assessment_form import AssessmentFormScreen

        self.app.push_screen(AssessmentFormScreen(self.key, self.set_slug))

    def action_retract(self) -> None:
        entry = self.highlighted_observation()
        if entry is None:
            return
        from tracker.interfaces.tui.screens.retract import RetractDialog

        self.app.push_screen(RetractDialog(entry))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        writes = {"log_observation", "mark", "retract"}
        if action in writes and (self.tracker.read_only or self.is_retired()):
            return None  # shown dimmed: the past, and a retired indicator, are read-only
        if action == "retract":
            on_tab = self.query_one(TabbedContent).active == "observations"
            entry = self.highlighted_observation() if on_tab else None
            return entry is not None and entry.retraction is None
        return True

    def is_retired(self) -> bool:
        return self.history is not None and self.history.retired_at is not None
