"""What the two forms share: saving off the UI thread, messages beside the field at fault, and
asking before a changed form is thrown away."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, SelectionList, Static, TextArea

from tracker.errors import TrackerError
from tracker.interfaces.tui.screens.base import TrackerScreen
from tracker.services.inputs import InputError, default_author


def field_error(field: str) -> Static:
    """The line under a field where its problem is shown; empty (and hidden) when all is well."""
    return Static(id=f"error-{field}", classes="field-error")


def author_field() -> ComposeResult:
    """Who is recording this, prefilled as the command line would fill it."""
    with Vertical():
        yield Label("Author")
        yield Input(value=default_author(), id="author")
        yield field_error("author")


def form_ending() -> ComposeResult:
    """The form-wide error line, then Save and Cancel."""
    yield field_error("form")
    with Horizontal(classes="form-buttons"):
        yield Button("Save (Ctrl+S)", variant="primary", id="save")
        yield Button("Cancel (Esc)", id="cancel")


class FormScreen(TrackerScreen):
    IS_FORM: ClassVar[bool] = True  # how the app tells a form without importing this module
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True, id="save"),
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._initial: object = None
        self._saving = False
        self._saved = False

    def values(self) -> object:
        """Everything typed or chosen, to tell whether the form was changed."""
        return [
            widget.text
            if isinstance(widget, TextArea)
            else list(widget.selected)
            if isinstance(widget, SelectionList)
            else widget.value
            for widget in self.query("Input, TextArea, Select, SelectionList")
            if isinstance(widget, Input | TextArea | Select | SelectionList)
            and not self.filled_in_later(widget)
        ]

    def filled_in_later(self, widget: Widget) -> bool:
        """Widgets a form adds once its data has loaded; `values` must not depend on when."""
        return False

    def on_mount(self) -> None:
        # Textual also runs a subclass's own on_mount (first): no super() call is needed.
        # The baseline is the form as composed, before any load or keystroke can change it.
        self._initial = self.values()
        self.load()

    def load(self) -> None:
        """Read what the form offers (indicators, observations) off the UI thread."""

    def is_changed(self) -> bool:
        return self.values() != self._initial

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"save", "cancel"} and self._saving:
            return False  # wait for the write to finish: it says itself how it went
        return not (action == "save" and self._saved)

    # -- saving -------------------------------------------------------------------------------

    def save_in_background(self, write: Callable[[], Any], saved: Callable[[Any], None]) -> None:
        """Run `write` (one service call, one transaction) in a thread. On bad input, show the
        message beside its field; nothing was written. On success, `saved` runs on the UI thread
        after the commit, so "Saved" is only ever said of what is in the database."""
        if self._saving:
            return
        self._saving = True
        self.clear_errors()

        def work() -> None:
            try:
                result = write()
            except TrackerError as exc:
                self._saving = False
                self.app.call_from_thread(self.show_failure, exc)
            else:
                self._saved = True
                if isinstance(getattr(result, "id", None), str):
                    self.tracker.note_own(result.id)
                self.app.call_from_thread(self.close_after_saving, saved, result)

        self.run_worker(work, thread=True, exclusive=True, group="save", exit_on_error=False)

    def close_after_saving(self, saved: Callable[[Any], None], result: Any) -> None:
        # A dialog may have opened over the form while it saved: close it, not the form alone.
        while self.app.screen is not self and len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        saved(result)

    def load_in_background(self, read: Callable[[], Any], show: Callable[[Any], None]) -> None:
        """Read in a thread; if it fails, say so on the form (saving will say it again)."""

        def work() -> None:
            try:
                result = read()
            except TrackerError as exc:
                self.app.call_from_thread(self.show_failure, exc)
            else:
                self.app.call_from_thread(show, result)

        self.run_worker(work, thread=True, group="read", exit_on_error=False)

    def clear_errors(self) -> None:
        for line in self.query(".field-error").results(Static):
            line.update(Text(""))
            line.remove_class("-shown")

    def show_failure(self, exc: TrackerError) -> None:
        field = exc.field if isinstance(exc, InputError) else None
        matches = self.query(f"#error-{field}") if field else None
        line = matches.first(Static) if matches else self.query_one("#error-form", Static)
        line.update(Text(str(exc)))
        line.add_class("-shown")
        self.notify(str(exc), title="Not saved", severity="error", markup=False)
        target = self.query(f"#{field}") if field else None
        if target:
            target.first().focus()

    # -- leaving ------------------------------------------------------------------------------

    def action_cancel(self) -> None:
        if not self.is_changed():
            self.dismiss(None)
            return
        from tracker.interfaces.tui.screens.confirm import ConfirmDialog

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmDialog("Discard what you typed? Nothing has been saved.", "Discard", "Keep"),
            answered,
        )

    @on(Button.Pressed, "#save")
    def save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel")
    def cancel_pressed(self) -> None:
        self.action_cancel()

    def action_save(self) -> None:
        raise NotImplementedError
