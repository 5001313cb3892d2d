"""Choosing the date the desk looks at: a past date shows the record as it stood then."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tracker.errors import TrackerError
from tracker.services import inputs


class AsOfDialog(ModalScreen[date | None | bool]):
    """Dismisses with the date chosen, None for today, or False when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: date | None, today: date) -> None:
        super().__init__()
        self.current = current
        self.today = today

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(
                Text(
                    "Show the record as it stood at the end of a past day (YYYY-MM-DD).\n"
                    "Leave it empty for today. Past dates are read-only."
                ),
                classes="dialog-question",
            )
            yield Input(
                value=self.current.isoformat() if self.current else "",
                placeholder=f"e.g. {self.today.isoformat()}",
                id="as-of-date",
            )
            yield Static(id="as-of-error", classes="field-error")

    @on(Input.Submitted, "#as-of-date")
    def choose(self, event: Input.Submitted) -> None:
        typed = event.value.strip()
        if not typed:
            self.dismiss(None)
            return
        try:
            day = inputs.not_in_future(
                inputs.parse_date(typed, "the as-of date"), self.today, "the as-of date"
            )
        except TrackerError as exc:
            self.query_one("#as-of-error", Static).update(Text(str(exc)))
            self.query_one("#as-of-error", Static).add_class("-shown")
            return
        self.dismiss(day)

    def action_cancel(self) -> None:
        self.dismiss(False)
