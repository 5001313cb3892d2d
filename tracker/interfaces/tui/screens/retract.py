"""Retracting an observation: it stays on the record, marked retracted, with the reason."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tracker.errors import TrackerError
from tracker.interfaces.wording import one_line
from tracker.services.history import ObservationEntry
from tracker.services.retractions import retract_observation

if TYPE_CHECKING:
    from tracker.interfaces.tui.app import TrackerApp


class RetractDialog(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, observation: ObservationEntry) -> None:
        super().__init__()
        self.observation = observation

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            question = Text("Retract this observation? It stays on the record, marked retracted.\n")
            question.append(
                f"{self.observation.event_date.isoformat()} "
                f"{one_line(self.observation.summary, 160)}",
                style="italic",
            )
            yield Static(question, classes="dialog-question")
            yield Input(placeholder="Why is it retracted? (required)", id="retract-reason")
            yield Static(id="retract-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Retract", variant="error", id="retract")
                yield Button("Cancel (Esc)", id="cancel")

    @on(Input.Submitted, "#retract-reason")
    @on(Button.Pressed, "#retract")
    def retract(self) -> None:
        self.save(self.query_one("#retract-reason", Input).value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def save(self, reason: str) -> None:
        app = cast("TrackerApp", self.app)
        try:
            recorded = retract_observation(app.db, self.observation.id, reason, app.clock)
        except TrackerError as exc:
            self.app.call_from_thread(self.show_error, str(exc))
            return
        app.note_own(recorded.id)
        self.app.call_from_thread(self.saved, recorded.id)

    def show_error(self, message: str) -> None:
        line = self.query_one("#retract-error", Static)
        line.update(Text(message))
        line.add_class("-shown")

    def saved(self, retraction_id: str) -> None:
        app = cast("TrackerApp", self.app)
        self.dismiss(True)
        app.notify(f"Retracted observation {self.observation.id[:8]}. Saved.", markup=False)
        app.note_saved(retraction_id)
