"""Marking an indicator moved or unmoved, with the reason and the evidence for it."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
    Header,
    Input,
    Label,
    Select,
    SelectionList,
    Static,
    TextArea,
)

from tracker.errors import TrackerError
from tracker.interfaces.tui import texts
from tracker.interfaces.tui.screens.form import FormScreen, author_field, field_error, form_ending
from tracker.interfaces.tui.screens.key_footer import KeyFooter
from tracker.interfaces.wording import grading_code, moment, one_line
from tracker.services.assessments import (
    NO_ASSESSMENT,
    AssessmentDraft,
    MarkedMeanwhile,
    assess_indicator,
)
from tracker.services.history import IndicatorHistory, indicator_history
from tracker.services.observation_log import LoggedObservation, ObservationQuery, read_log
from tracker.services.records import RecordedAssessment
from tracker.vocabulary import Confidence, Direction, Status

# Observations offered as evidence, newest first: an indicator observed for years has thousands.
EVIDENCE_OFFERED = 200


class AssessmentFormScreen(FormScreen):
    def __init__(self, key: str, set_slug: str | None) -> None:
        super().__init__()
        self.key = key
        self.set_slug = set_slug
        # The latest assessment shown above the form: what this analyst's supersedes. Should a
        # colleague's come first, saving shows theirs and asks (see `show_failure`).
        self.seen_latest: str | None = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="◆")
        with VerticalScroll(id="form"):
            yield Static(id="current-assessment", classes="panel")
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label("Status")
                    yield Select(
                        [
                            (Text("moved"), Status.MOVED.value),
                            (Text("unmoved"), Status.UNMOVED.value),
                        ],
                        prompt="choose…",
                        id="status",
                    )
                    yield field_error("status")
                with Vertical():
                    yield Label("Direction (when moved)")
                    yield Select(
                        [
                            (Text("▲ toward a settlement"), Direction.TOWARD.value),
                            (Text("▼ away from one"), Direction.AWAY.value),
                        ],
                        prompt="choose…",
                        id="direction",
                    )
                    yield field_error("direction")
                with Vertical():
                    yield Label("Confidence")
                    yield Select(
                        [(Text(c.value), c.value) for c in Confidence],
                        value=Confidence.MEDIUM.value,
                        allow_blank=False,
                        id="confidence",
                    )
                    yield field_error("confidence")
            yield Label("Why? (required)")
            yield TextArea(id="rationale", soft_wrap=True, tab_behavior="focus")
            yield field_error("rationale")
            with Horizontal(classes="form-row"):
                with Vertical():
                    yield Label("Effective date")
                    yield Input(value=self.tracker.clock.today().isoformat(), id="effective_on")
                    yield field_error("effective_on")
                yield from author_field()
            yield Label(
                "Evidence (space to tick observations of this indicator)", id="evidence-label"
            )
            yield SelectionList[str](id="evidence")
            yield field_error("evidence")
            yield field_error("indicator_key")
            yield from form_ending()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "Mark moved or unmoved"
        self.query_one("#status", Select).focus()

    def load(self) -> None:
        app = self.tracker
        recent = ObservationQuery(indicator_key=self.key, set_slug=self.set_slug)

        def read() -> tuple[IndicatorHistory, tuple[LoggedObservation, ...]]:
            history = indicator_history(app.db, self.key, self.set_slug, with_observations=False)
            return history, read_log(app.db, recent, limit=EVIDENCE_OFFERED)

        self.load_in_background(read, lambda found: self.show_history(*found))

    def show_history(
        self, history: IndicatorHistory, recent: tuple[LoggedObservation, ...]
    ) -> None:
        self.sub_title = f"{history.title} ({history.key})"
        if self.seen_latest is None:  # later loads show a colleague's, already named to them
            self.seen_latest = history.assessments[0].id if history.assessments else NO_ASSESSMENT
        current = Text().append("Now: ", style="bold")
        if history.assessments:
            current.append_text(texts.assessment(history.assessments[0], history.cited))
        else:
            current.append("not assessed yet.")
        self.query_one("#current-assessment", Static).update(current)
        evidence = self.query_one("#evidence", SelectionList)
        if evidence.option_count:
            return  # reloaded to show a colleague's assessment: the ticks stay as they were
        if len(recent) == EVIDENCE_OFFERED:
            self.query_one("#evidence-label", Label).update(
                f"Evidence (space to tick; the newest {EVIDENCE_OFFERED} observations of this "
                "indicator: cite older ones with tracker mark --evidence)"
            )
        for logged in recent:
            entry = logged.entry
            if entry.retraction is not None:
                continue  # retracted evidence cannot be cited
            bearing = next((b for key, b in logged.bearings if key == history.key), None)
            label = Text(f"{entry.event_date.isoformat()} ")
            label.append_text(texts.bearing(bearing))
            label.append(f" {grading_code(entry.reliability, entry.credibility)} ")
            label.append(one_line(entry.summary, 160))
            evidence.add_option((label, entry.id))

    @on(Select.Changed, "#status")
    def status_changed(self, event: Select.Changed) -> None:
        direction = self.query_one("#direction", Select)
        direction.disabled = event.value == Status.UNMOVED.value
        if direction.disabled:
            direction.clear()

    def action_save(self) -> None:
        status = self.query_one("#status", Select).value
        direction = self.query_one("#direction", Select).value
        draft = AssessmentDraft(
            indicator_key=self.key,
            status=status if isinstance(status, str) else "",
            direction=direction if isinstance(direction, str) else None,
            confidence=str(self.query_one("#confidence", Select).value),
            rationale=self.query_one("#rationale", TextArea).text,
            effective_on=self.query_one("#effective_on", Input).value,
            author=self.query_one("#author", Input).value,
            evidence=list(self.query_one("#evidence", SelectionList).selected),
            set_slug=self.set_slug,
            supersedes=self.seen_latest,
        )
        self.write(draft)

    def write(self, draft: AssessmentDraft) -> None:
        app = self.tracker
        self.save_in_background(lambda: assess_indicator(app.db, draft, app.clock), self.saved)

    def show_failure(self, exc: TrackerError) -> None:
        if not isinstance(exc, MarkedMeanwhile):
            super().show_failure(exc)
            return
        from tracker.interfaces.tui.screens.confirm import ConfirmDialog

        # Theirs is now what this analyst has seen: shown above the form, and what a second
        # save supersedes.
        self.seen_latest = exc.latest.id
        self.load()
        latest = exc.latest
        direction = f" {latest.direction}" if latest.direction else ""
        question = (
            f"{latest.author} marked this indicator {latest.status}{direction} "
            f"({latest.confidence} confidence, effective {latest.effective_on.isoformat()}) "
            f"at {moment(latest.recorded_at)}, after the assessment you saw:\n\n"
            f"“{one_line(latest.rationale, 400)}”\n\nRecord yours anyway, after theirs?"
        )

        def answered(record: bool | None) -> None:
            if record:
                self.action_save()
            else:
                self.notify(
                    "Not saved. Their assessment is now shown above the form; change yours, "
                    "or save again to record it after theirs.",
                    title="Marked meanwhile",
                    markup=False,
                )

        self.app.push_screen(ConfirmDialog(question, "Record mine", "Not yet"), answered)

    def saved(self, recorded: RecordedAssessment) -> None:
        app = self.tracker
        self.dismiss(recorded)
        direction = f" {recorded.direction}" if recorded.direction else ""
        app.notify(
            f"Saved: {recorded.indicator_key} {recorded.status}{direction} as of "
            f"{recorded.effective_on.isoformat()}.",
            title="Saved",
            markup=False,
        )
        app.note_saved(recorded.id)
