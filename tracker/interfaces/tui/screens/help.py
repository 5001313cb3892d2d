"""`?`: every key of every screen, read from the bindings themselves so it cannot go stale."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "tracker keeps a desk's indicators of a negotiation. Log what you observe against the "
    "indicators it bears on (o); mark an indicator moved — toward or away from a settlement — "
    "or unmoved, with a reason and evidence (m). Press a to look at the record as it stood on a "
    "past date; t returns to today; b shows the week's briefing. Ctrl+P opens the command "
    "palette, where every action, every indicator and the colour themes can be found by name."
)


def key_name(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    return "+".join(part.capitalize() if len(part) > 1 else part for part in binding.key.split("+"))


def bindings_table(title: str, bindings: list[BindingType]) -> Table:
    table = Table(
        title=Text(title, style="bold"), title_justify="left", show_header=False, box=None
    )
    table.add_column(width=10, style="bold cyan", no_wrap=True)
    table.add_column()
    for binding in bindings:
        if isinstance(binding, Binding) and binding.description:
            description = binding.description
            if binding.tooltip:
                description += f" — {binding.tooltip}"
            table.add_row(Text(key_name(binding)), Text(description))
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", key_display="?"),
    ]

    def compose(self) -> ComposeResult:
        from tracker.interfaces.tui.app import TrackerApp
        from tracker.interfaces.tui.screens.board import BoardScreen
        from tracker.interfaces.tui.screens.form import FormScreen
        from tracker.interfaces.tui.screens.indicator import IndicatorScreen
        from tracker.interfaces.tui.screens.observation_log import ObservationLogScreen

        sections: list[tuple[str, list[BindingType]]] = [
            ("Everywhere", [*TrackerApp.BINDINGS, Binding("ctrl+p", "", "Command palette")]),
            ("Board", BoardScreen.BINDINGS),
            ("Indicator", IndicatorScreen.BINDINGS),
            ("Observation log", ObservationLogScreen.BINDINGS),
            ("Forms", FormScreen.BINDINGS),
        ]
        with VerticalScroll(classes="dialog help"):
            yield Static(Text("Keys", style="bold"), classes="help-title")
            yield Static(Text(INTRO), classes="help-intro")
            for title, bindings in sections:
                yield Static(bindings_table(title, bindings), classes="help-section")
            yield Static(
                Text("Arrows move, Enter opens, Tab moves between fields, the mouse works too."),
                classes="help-intro",
            )
