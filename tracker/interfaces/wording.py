"""How the record reads to an analyst, shared by the command line and the terminal app.

Everything returned is plain `rich.text.Text` or `str` built from the analyst's text as it is:
nothing here is ever parsed as markup.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rich.cells import get_character_cell_size as character_cells
from rich.text import Text

from tracker.services.history import ObservationEntry
from tracker.vocabulary import INFORMATION_CREDIBILITY, SOURCE_RELIABILITY

# Status must read without colour: the word and an arrow carry it, colour only helps.
STATUS_STYLE = {"toward": "green", "away": "red", None: ""}


def status_words(status: str | None, direction: str | None) -> str:
    """'▲ moved toward', '▼ moved away', '· unmoved' or 'not assessed'."""
    if status is None:
        return "not assessed"
    if status == "unmoved":
        return "· unmoved"
    arrow = "▲" if direction == "toward" else "▼"
    return f"{arrow} moved {direction}"


def status_label(status: str | None, direction: str | None) -> Text:
    style = "dim" if status is None else STATUS_STYLE.get(direction, "")
    return Text(status_words(status, direction), style=style)


def grading(reliability: str | None, credibility: int | None) -> str:
    if reliability is None and credibility is None:
        return "ungraded"
    code = f"{reliability or '?'}{credibility or '?'}"
    words = [
        SOURCE_RELIABILITY.get(reliability or "", "reliability not graded"),
        INFORMATION_CREDIBILITY.get(credibility or 0, "credibility not graded"),
    ]
    return f"{code} ({'; '.join(words)})"


def grading_code(reliability: str | None, credibility: int | None) -> str:
    """'B2', 'F?', or '—' when ungraded: for narrow columns."""
    if reliability is None and credibility is None:
        return "—"
    return f"{reliability or '?'}{credibility or '?'}"


def source_line(observation: ObservationEntry) -> str:
    if observation.unsourced:
        return "unsourced"
    parts = [
        observation.source_title,
        observation.source_publisher,
        iso(observation.source_date),
        observation.source_url,
    ]
    return ", ".join(part for part in parts if part)


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def moment(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")


def one_cell_each(text: str) -> bool:
    """Whether every character of the text takes one cell on a terminal, as Rich measures
    them: none wide (CJK, emoji), none of no width (joiners, combining marks, controls).
    Checking each is many times quicker than Rich's measuring and cutting by graphemes."""
    return text.isprintable() and all(character_cells(c) == 1 for c in text)


def one_line(text: str, width: int) -> str:
    """The text on a single line of at most `width` cells' worth of characters, cut with '…'.

    Line breaks become '⏎ ' so a pasted paragraph cannot break a table row."""
    flat = " ⏎ ".join(part.strip() for part in text.splitlines() if part.strip())
    if width <= 1:
        return flat[:width]
    # Only the start can show: no more of a long paragraph is measured than could fit.
    head = flat[: 4 * width]
    if one_cell_each(head):  # counting characters is measuring them
        return flat if len(flat) <= width else head[: width - 1] + "…"
    cell = Text(head)
    if len(head) == len(flat) and cell.cell_len <= width:
        return flat
    cell.truncate(width - 1)
    return cell.plain + "…"
