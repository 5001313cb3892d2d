"""Where to write the briefing, and as what: Markdown or a self-contained HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, RadioButton, RadioSet, Static

SUFFIXES = {"md": ".md", "html": ".html"}


class ExportDialog(ModalScreen[tuple[Path, str] | None]):
    """Dismisses with (file, format), or None when cancelled. An existing file is only
    replaced after the analyst says so."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "export", "Export", priority=True),
    ]

    AUTO_FOCUS = "#export-path"

    def __init__(self, suggested: Path) -> None:
        super().__init__()
        self.suggested = suggested  # without a suffix: the format chooses it

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(
                Text("Export the briefing. Enter in the file name, or Ctrl+S, writes the file."),
                classes="dialog-question",
            )
            with RadioSet(id="export-format"):
                yield RadioButton("Markdown (.md)", value=True, id="format-md")
                yield RadioButton("HTML page with charts (.html)", id="format-html")
            yield Label("File")
            yield Input(value=str(self.suggested) + SUFFIXES["md"], id="export-path")
            yield Static(id="export-error", classes="field-error")

    @property
    def chosen_format(self) -> str:
        pressed = self.query_one("#export-format", RadioSet).pressed_button
        return "html" if pressed is not None and pressed.id == "format-html" else "md"

    @on(RadioSet.Changed, "#export-format")
    def format_changed(self) -> None:
        path_input = self.query_one("#export-path", Input)
        path = Path(path_input.value.strip() or str(self.suggested))
        if path.suffix.lower() in {".md", ".html", ".htm", ".markdown"}:
            path_input.value = str(path.with_suffix(SUFFIXES[self.chosen_format]))

    @on(Input.Submitted, "#export-path")
    def submitted(self) -> None:
        self.action_export()

    def action_export(self) -> None:
        typed = self.query_one("#export-path", Input).value.strip()
        if not typed:
            self._error("give a file to write the briefing to")
            return
        path = Path(typed).expanduser()
        if not path.is_absolute():
            path = Path.cwd() / path
        if path.is_dir():
            self._error(f"{path} is a folder; give a file name")
            return
        if not path.parent.is_dir():
            self._error(f"the folder {path.parent} does not exist")
            return
        if path.exists():
            self._confirm_replace(path)
            return
        self.dismiss((path, self.chosen_format))

    def _confirm_replace(self, path: Path) -> None:
        from tracker.interfaces.tui.screens.confirm import ConfirmDialog

        def answered(replace: bool | None) -> None:
            if replace:
                self.dismiss((path, self.chosen_format))

        self.app.push_screen(
            ConfirmDialog(f"{path} exists. Replace it?", "Replace", "Keep it"), answered
        )

    def _error(self, message: str) -> None:
        error = self.query_one("#export-error", Static)
        error.update(Text(message))
        error.add_class("-shown")

    def action_cancel(self) -> None:
        self.dismiss(None)
