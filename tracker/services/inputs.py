"""Checks on what an analyst typed, each failing with a message written for them."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from typing import TypeVar

from tracker.errors import TrackerError
from tracker.vocabulary import INFORMATION_CREDIBILITY, SOURCE_RELIABILITY

AUTHOR_ENV = "TRACKER_AUTHOR"


class InputError(TrackerError):
    """What the analyst gave cannot be recorded as it is. Nothing was written.

    `field` names the part of the draft at fault (its attribute name), so a form can show the
    message beside the right box; None when the problem is not one field's.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@contextmanager
def checking(field: str) -> Iterator[None]:
    """Attribute any InputError raised inside the block to `field` of the draft."""
    try:
        yield
    except InputError as exc:
        if exc.field is None:
            exc.field = field
        raise


def default_author() -> str:
    """TRACKER_AUTHOR, else the login name."""
    author = os.environ.get(AUTHOR_ENV, "").strip()
    if author:
        return author
    # Imported here: it loads the terminal modules, which a set TRACKER_AUTHOR never needs.
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        # No login name (some containers): still attributable to this account.
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"


# Control characters other than tab and newline: invisible, and PostgreSQL refuses NUL outright.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def author(given: str | None) -> str:
    """The author as given, or the default when none was given (an empty name is refused)."""
    return required_text(default_author() if given is None else given, "the author")


def required_text(value: str | None, what: str) -> str:
    text = optional_text(value, what)
    if text is None:
        raise InputError(f"{what} is empty; write something")
    return text


def optional_text(value: str | None, what: str = "the text") -> str | None:
    text = (value or "").strip()
    control = _CONTROL.search(text)
    if control is not None:
        raise InputError(
            f"{what} contains an invisible control character "
            f"(U+{ord(control.group()):04X} at character {control.start() + 1}); remove it"
        )
    return text or None


def parse_date(value: str, what: str) -> date:
    text = value.strip()
    try:
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise InputError(f"{what} '{value}' is not a date; write it as YYYY-MM-DD")


def not_in_future(day: date, today: date, what: str) -> date:
    if day > today:
        raise InputError(f"{what} {day.isoformat()} is in the future (today is {today})")
    return day


E = TypeVar("E", bound=StrEnum)


def choice(value: str, enum: type[E], what: str) -> E:
    try:
        return enum(value.strip().lower())
    except ValueError:
        names = [member.value for member in enum]
        allowed = ", ".join(names[:-1]) + f" or {names[-1]}"
        raise InputError(f"{what} must be {allowed}, not '{value}'") from None


def reliability_grade(value: str | None) -> str | None:
    grade = optional_text(value, "source reliability")
    if grade is None:
        return None
    if grade.upper() not in SOURCE_RELIABILITY:
        raise InputError(
            f"source reliability '{grade}' is not an Admiralty grade: A (completely reliable) "
            "to F (cannot be judged)"
        )
    return grade.upper()


def credibility_grade(value: str | int | None) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    grade = int(text) if text.isascii() and text.isdigit() else 0
    if grade not in INFORMATION_CREDIBILITY:
        raise InputError(
            f"information credibility '{value}' is not an Admiralty grade: 1 (confirmed) "
            "to 6 (cannot be judged)"
        )
    return grade
