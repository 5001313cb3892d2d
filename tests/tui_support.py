"""Helpers for driving the terminal app in tests: build it on a test database, wait for it, read
what it shows."""

from __future__ import annotations

import html
import re

from textual.app import App
from textual.pilot import Pilot

_TAG = re.compile(r"<[^>]+>")


async def settle(pilot: Pilot[None]) -> None:
    """Wait until every database read or write the app started has finished and been drawn."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def screen_text(app: App[None]) -> str:
    """The characters on the screen now, as a user would read them (from an SVG screenshot)."""
    svg = app.export_screenshot()
    text = html.unescape(_TAG.sub("", svg)).replace("\xa0", " ")
    return text
