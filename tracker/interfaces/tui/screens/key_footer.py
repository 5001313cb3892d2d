"""The footer every screen shows its keys in."""

from __future__ import annotations

from collections.abc import Hashable

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    """Textual's footer, laid out again only when the keys it shows change. Textual's own
    lays itself out again each time a screen's bindings are refreshed or focus moves, and
    each time mounts and styles every key anew: tens of milliseconds a key, paid on every
    cursor move by screens whose keys depend on the row under the cursor."""

    def __init__(self) -> None:
        super().__init__()
        self._laid_out: Hashable = None

    def bindings_changed(self, screen: Screen[object]) -> None:
        keys = self.keys_shown(screen)
        if self._bindings_ready and keys == self._laid_out:
            return
        super().bindings_changed(screen)
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._laid_out = keys

    def keys_shown(self, screen: Screen[object]) -> Hashable:
        """Everything the footer's layout is made from (see `Footer.compose`)."""
        return tuple(
            (
                key,
                binding.key,
                binding.action,
                binding.description,
                binding.show,
                binding.key_display,
                binding.group,
                enabled,
                tooltip,
            )
            for key, (_node, binding, enabled, tooltip) in screen.active_bindings.items()
        )
