"""Choosing the days a briefing covers: from and to dates, or since the last issued briefing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from tracker.errors import TrackerError
from tracker.interfaces.tui.screens.briefing import PeriodChoice
from tracker.services import inputs
from tracker.services.briefing_periods import DEFAULT_DAYS


class PeriodDialog(ModalScreen[PeriodChoice | None]):
    """Dismisses with the period chosen, or None when cancelled. Dates are checked here; what
    needs the record (is there a last briefing?) is checked when the briefing is read."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "choose", "Show", priority=True),
    ]

    AUTO_FOCUS = "#period-since, #period-until"

    def __init__(self, current: PeriodChoice, today: date, as_of: date | None = None) -> None:
        super().__init__()
        self.current = current
        # Looking at the record as of a past day, the briefing can reach no further than it.
        self.today = as_of or today
        self.limit = f"the day you are looking at ({as_of})" if as_of else f"today ({today})"

    def compose(self) -> ComposeResult:
        default_start = self.today - timedelta(days=DEFAULT_DAYS - 1)
        with Vertical(classes="dialog"):
            yield Static(
                Text(
                    "The days the briefing covers, both included (YYYY-MM-DD). Leave the dates "
                    f"empty for the {DEFAULT_DAYS} days to {self.today.isoformat()}. "
                    "Enter in a date, or Ctrl+S, shows it."
                ),
                classes="dialog-question",
            )
            yield Label("From")
            yield Input(
                value=self.current.since.isoformat() if self.current.since else "",
                placeholder=f"e.g. {default_start.isoformat()}",
                id="period-since",
                disabled=self.current.since_last,
            )
            yield Label("To")
            yield Input(
                value=self.current.until.isoformat() if self.current.until else "",
                placeholder=f"e.g. {self.today.isoformat()}",
                id="period-until",
            )
            yield Checkbox(
                "Since the last issued briefing", self.current.since_last, id="since-last"
            )
            yield Static(id="period-error", classes="field-error")

    @on(Checkbox.Changed, "#since-last")
    def since_last_changed(self, event: Checkbox.Changed) -> None:
        self.query_one("#period-since", Input).disabled = event.value

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_choose()

    def action_choose(self) -> None:
        since_last = self.query_one("#since-last", Checkbox).value
        try:
            since = None if since_last else self._day("#period-since", "the start date")
            until = self._day("#period-until", "the end date")
            if since and since > (until or self.today):
                raise inputs.InputError("the start date is after the end date")
        except TrackerError as exc:
            error = self.query_one("#period-error", Static)
            error.update(Text(str(exc)))
            error.add_class("-shown")
            return
        self.dismiss(PeriodChoice(since=since, until=until, since_last=since_last))

    def _day(self, selector: str, what: str) -> date | None:
        typed = self.query_one(selector, Input).value.strip()
        if not typed:
            return None
        day = inputs.parse_date(typed, what)
        if day > self.today:
            raise inputs.InputError(f"{what} {day.isoformat()} is after {self.limit}")
        return day

    def action_cancel(self) -> None:
        self.dismiss(None)
