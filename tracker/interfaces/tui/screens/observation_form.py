"""Logging an observation: what was seen, its source and grading, and what it bears on."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Header, Input, Label, Select, TextArea

from tracker.interfaces.tui.screens.form import FormScreen, author_field, field_error, form_ending
from tracker.interfaces.tui.screens.key_footer import KeyFooter
from tracker.services.observations import ObservationDraft, record_observation
from tracker.services.records import RecordedObservation
from tracker.services.status import IndicatorStatus, status_as_of
from tracker.vocabulary import INFORMATION_CREDIBILITY, SOURCE_RELIABILITY, Bearing

BEARINGS = [
    (Text("▲ toward"), Bearing.TOWARD.value),
    (Text("▼ away"), Bearing.AWAY.value),
    (Text("· none"), Bearing.NONE.value),
]


class BearingRow(Horizontal):
    """One indicator the observation bears on, and which way."""

    def __init__(self, indicators: list[IndicatorStatus], key: str | None) -> None:
        super().__init__(classes="bearing-row")
        self.indicators = indicators
        self.key = key

    def compose(self) -> ComposeResult:
        yield Select(
            [(Text(f"{i.title} ({i.key})"), i.key) for i in self.indicators],
            prompt="Indicator…",
            value=self.key if self.key else Select.NULL,
            classes="bearing-indicator",
        )
        yield Select(BEARINGS, value=Bearing.NONE.value, allow_blank=False, classes="bearing-way")
        yield Button("✕", classes="bearing-remove", tooltip="Remove this indicator")

    def bearing(self) -> tuple[str, str] | None:
        key = self.query_one(".bearing-indicator", Select).value
        way = self.query_one(".bearing-way", Select).value
        return (str(key), str(way)) if isinstance(key, str) else None


class ObservationFormScreen(FormScreen):
    def __init__(self, keys: list[str], set_slug: str | None) -> None:
        super().__init__()
        self.keys = keys
        self.set_slug = set_slug
        self.indicators: list[IndicatorStatus] = []

    def compose(self) -> ComposeResult:
        today = self.tracker.clock.today().isoformat()
        yield Header(show_clock=False, icon="◆")
        with VerticalScroll(id="form"):
            yield Label("What did you observe? (required)")
            yield TextArea(id="summary", soft_wrap=True, tab_behavior="focus")
            yield field_error("summary")
            yield Label("Verbatim quote (optional)")
            yield TextArea(id="quote", soft_wrap=True, tab_behavior="focus", classes="short")
            yield field_error("quote")
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label("Event date (when it happened)")
                    yield Input(value=today, placeholder="YYYY-MM-DD", id="event_date")
                    yield field_error("event_date")
                yield from author_field()
            with Horizontal(classes="form-row"):
                with Vertical(classes="wide"):
                    yield Label("Source title (leave source fields empty for unsourced)")
                    yield Input(id="source_title")
                    yield field_error("source_title")
                with Vertical():
                    yield Label("Source date")
                    yield Input(placeholder="YYYY-MM-DD", id="source_date")
                    yield field_error("source_date")
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label("Publisher")
                    yield Input(id="source_publisher")
                    yield field_error("source_publisher")
                with Vertical():
                    yield Label("URL")
                    yield Input(id="source_url")
                    yield field_error("source_url")
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label("Source reliability")
                    yield Select(
                        [(Text(f"{g} — {w}"), g) for g, w in SOURCE_RELIABILITY.items()],
                        prompt="not graded",
                        id="reliability",
                    )
                    yield field_error("reliability")
                with Vertical():
                    yield Label("Information credibility")
                    yield Select(
                        [(Text(f"{g} — {w}"), str(g)) for g, w in INFORMATION_CREDIBILITY.items()],
                        prompt="not graded",
                        id="credibility",
                    )
                    yield field_error("credibility")
            yield Label("Your note on the evidence: caveats, context (optional)")
            yield TextArea(id="note", soft_wrap=True, tab_behavior="focus", classes="short")
            yield field_error("note")
            yield Label("Bears on (indicator and bearing: toward or away from a settlement)")
            yield Vertical(id="bearings")
            yield Button("+ Add indicator", id="add-bearing")
            yield field_error("bearings")
            yield from form_ending()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Log an observation"
        self.query_one("#summary", TextArea).focus()

    def load(self) -> None:
        app = self.tracker
        self.load_in_background(
            lambda: (
                status_as_of(app.db, app.clock, None, self.set_slug, with_totals=False).indicators
            ),
            self.show_indicators,
        )

    def show_indicators(self, indicators: list[IndicatorStatus]) -> None:
        self.indicators = indicators
        rows = self.query_one("#bearings", Vertical)
        rows.mount_all(BearingRow(indicators, key) for key in (self.keys or [None]))

    def filled_in_later(self, widget: Widget) -> bool:
        return any(isinstance(node, BearingRow) for node in widget.ancestors)

    def values(self) -> object:
        rows = list(self.query(BearingRow))
        bearings = (
            [b for row in rows if (b := row.bearing()) is not None]
            if rows
            else [(key, Bearing.NONE.value) for key in self.keys]
        )
        return [super().values(), bearings]

    @on(Button.Pressed, "#add-bearing")
    def add_bearing(self) -> None:
        row = BearingRow(self.indicators, None)
        self.query_one("#bearings", Vertical).mount(row)
        row.call_after_refresh(lambda: row.query_one(".bearing-indicator", Select).focus())

    @on(Button.Pressed, ".bearing-remove")
    def remove_bearing(self, event: Button.Pressed) -> None:
        if event.button.parent is not None:
            event.button.parent.remove()

    def action_save(self) -> None:
        def text(widget_id: str) -> str:
            return self.query_one(f"#{widget_id}", Input).value

        def chosen(widget_id: str) -> str | None:
            value = self.query_one(f"#{widget_id}", Select).value
            return value if isinstance(value, str) else None

        draft = ObservationDraft(
            bearings=[b for row in self.query(BearingRow) if (b := row.bearing()) is not None],
            summary=self.query_one("#summary", TextArea).text,
            quote=self.query_one("#quote", TextArea).text,
            event_date=text("event_date"),
            source_title=text("source_title"),
            source_publisher=text("source_publisher"),
            source_url=text("source_url"),
            source_date=text("source_date"),
            note=self.query_one("#note", TextArea).text,
            reliability=chosen("reliability"),
            credibility=chosen("credibility"),
            author=text("author"),
            set_slug=self.set_slug,
        )
        app = self.tracker
        self.save_in_background(lambda: record_observation(app.db, draft, app.clock), self.saved)

    def saved(self, recorded: RecordedObservation) -> None:
        app = self.tracker
        self.dismiss(recorded)
        unsourced = " It is marked unsourced." if recorded.unsourced else ""
        app.notify(
            f"Saved observation {recorded.id[:8]} of {recorded.event_date.isoformat()} on "
            f"{', '.join(recorded.indicator_keys)}.{unsourced}",
            title="Saved",
            markup=False,
        )
        app.note_saved(recorded.id)
