"""The floor for "app ready": a bare Textual app that imports what tracker's app imports (textual,
sqlmodel, typer) and paints a 20-row DataTable, then quits once that frame is painted, as tracker
does with TRACKER_EXIT_WHEN_READY=1. Run as a process: `python -m benchmarks.bare_app`."""

from __future__ import annotations

import sqlmodel  # noqa: F401  # imported only to cost what tracker's app pays for it
import typer  # noqa: F401
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable()
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Status", "Indicator", "Last obs.", "7d", "Assessed")
        for n in range(20):
            table.add_row("· Unmoved", f"Indicator number {n}", "2026-11-01", "3", f"{n}d")
        self.call_after_refresh(self.exit)


if __name__ == "__main__":
    BareApp().run()
