"""What the screens that show the record share: reading it off the UI thread, and the as-of line."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import DataTable
from textual.worker import Worker, get_current_worker

from tracker.errors import TrackerError

if TYPE_CHECKING:
    from tracker.interfaces.tui.app import TrackerApp

T = TypeVar("T")


class RowTable(DataTable[Any]):
    """A table of rows where Enter opens the row, and the footer says so."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Open")]


class TrackerScreen(Screen[Any]):
    """A screen of this app: it can reach the database, the clock and the as-of date."""

    @property
    def tracker(self) -> TrackerApp:
        return cast("TrackerApp", self.app)


class RecordScreen(TrackerScreen):
    """A screen showing part of the record. `reload()` re-reads it; a screen left behind while
    the record changed is marked stale and re-reads when it comes back to the front."""

    def reload(self) -> None:
        raise NotImplementedError

    def on_mount(self) -> None:
        self.show_as_of()
        self.reload()

    def on_screen_resume(self) -> None:
        self.show_as_of()
        if self.has_class("-stale"):
            self.remove_class("-stale")
            self.reload()

    def show_as_of(self) -> None:
        app = self.tracker
        self.set_class(app.read_only, "-read-only")
        if app.as_of is None:
            self.sub_title = f"as of today {app.clock.today().isoformat()}"
        else:
            self.sub_title = f"READ-ONLY as of {app.as_of.isoformat()} (t: today)"

    def read_in_background(
        self, read: Callable[[], T], show: Callable[[T], None], *, group: str = "read"
    ) -> Worker[None]:
        return read_in_background(self, read, show, group=group)


def read_in_background(
    node: DOMNode,
    read: Callable[[], T],
    show: Callable[[T], None],
    *,
    group: str = "read",
    failed: Callable[[], None] | None = None,
) -> Worker[None]:
    """Run `read` (a service call) in a thread; hand its result to `show` on the UI thread, or
    say why it failed (and call `failed`). A newer read of the same group on the same node
    cancels an older one, so a fast typist sees the last."""

    def work() -> None:
        try:
            result = read()
        except TrackerError as exc:
            node.app.call_from_thread(node.notify, str(exc), severity="error", markup=False)
            if failed is not None:
                node.app.call_from_thread(failed)
            return
        if not get_current_worker().is_cancelled:
            node.app.call_from_thread(show, result)

    return node.run_worker(work, thread=True, exclusive=True, group=group, exit_on_error=False)
