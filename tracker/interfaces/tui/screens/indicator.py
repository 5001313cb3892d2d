"""An indicator's file: what it watches, how it has been assessed, and the evidence on it."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from tracker.interfaces.tui import texts
from tracker.interfaces.tui.screens.base import RecordScreen
from tracker.interfaces.wording import grading_code, one_line
from tracker.services.history import IndicatorHistory, ObservationEntry, indicator_history
from tracker.services.status import point_in_time


class IndicatorScreen(RecordScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", tooltip="Back to the board"),
        Binding("o", "log_observation", "Observe", tooltip="Log an observation", id="observe"),
        Binding("m", "mark", "Mark", tooltip="Mark moved or unmoved", id="mark"),
        Binding("x", "retract", "Retract", tooltip="Retract the chosen observation", id="retract"),
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

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        with TabbedContent(initial="file"):
            with TabPane("File", id="file"), VerticalScroll(id="file-scroll"):
                yield Static(id="definition", classes="panel")
                yield Static(id="timeline", classes="panel")
            with TabPane("Observations", id="observations"), Vertical():
                yield DataTable(id="indicator-observations", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="observation-detail-scroll"):
                    yield Static(id="observation-detail")
        yield Footer()

    def reload(self) -> None:
        app = self.tracker
        moment = point_in_time(app.clock, app.as_of) if app.as_of else None
        self.read_in_background(
            lambda: indicator_history(app.db, self.key, self.set_slug, moment), self.show_history
        )

    def show_history(self, history: IndicatorHistory) -> None:
        self.history = history
        self.title = f"{history.title}"
        self.query_one("#definition", Static).update(texts.definition(history))
        self.query_one("#timeline", Static).update(texts.timeline(history))
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("observations").label = f"Observations ({len(history.observations)})"

        table = self.query_one("#indicator-observations", DataTable)
        selected = self.highlighted_observation()
        table.clear(columns=True)
        summary_width = max(20, self.size.width - 10 - 10 - 5 - 12 - 2 * 5 - 4)
        table.add_column("Date", width=10)
        table.add_column("Bearing", width=10)
        table.add_column("Grade", width=5)
        table.add_column("Summary", width=summary_width)
        table.add_column("", width=12)
        for entry in history.observations:
            flag = Text("RETRACTED", style="bold red") if entry.retraction else Text("")
            table.add_row(
                Text(entry.event_date.isoformat()),
                texts.bearing(entry.bearing),
                Text(grading_code(entry.reliability, entry.credibility)),
                Text(one_line(entry.summary, summary_width), style="strike" if flag else ""),
                flag,
                key=entry.id,
            )
        ids = [o.id for o in history.observations]
        if selected is not None and selected.id in ids:
            table.move_cursor(row=ids.index(selected.id), animate=False)
        self.show_observation()
        self.refresh_bindings()

    def highlighted_observation(self) -> ObservationEntry | None:
        table = self.query_one("#indicator-observations", DataTable)
        if self.history is None or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((o for o in self.history.observations if o.id == key), None)

    @on(DataTable.RowHighlighted, "#indicator-observations")
    def show_observation(self) -> None:
        entry = self.highlighted_observation()
        detail = self.query_one("#observation-detail", Static)
        if entry is None:
            detail.update(Text("Nothing observed on this indicator yet. Press o to log something."))
        else:
            detail.update(texts.observation(entry))
        self.refresh_bindings()

    @on(TabbedContent.TabActivated)
    def tab_changed(self) -> None:
        self.refresh_bindings()

    # -- actions ------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "observations":
            self.query_one("#indicator-observations", DataTable).focus()

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
