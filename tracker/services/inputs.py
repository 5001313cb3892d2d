"""Checks on what an analyst typed, each failing with a message written for them."""

from __future__ import annotations

import getpass
import os
from datetime import date
from enum import StrEnum
from typing import TypeVar

from tracker.errors import TrackerError
from tracker.vocabulary import INFORMATION_CREDIBILITY, SOURCE_RELIABILITY

AUTHOR_ENV = "TRACKER_AUTHOR"


class InputError(TrackerError):
    """What the analyst gave cannot be recorded as it is. Nothing was written."""


def default_author() -> str:
    """TRACKER_AUTHOR, else the login name."""
    author = os.environ.get(AUTHOR_ENV, "").strip()
    if author:
        return author
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        # No login name (some containers): still attributable to this account.
        return f"uid-{os.getuid()}" if hasattr(os, "getuid") else "unknown"


def required_text(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InputError(f"{what} is empty; write something")
    return text


def optional_text(value: str | None) -> str | None:
    text = (value or "").strip()
    return text or None


def parse_date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"{what} '{value}' is not a date; write it as YYYY-MM-DD") from None


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
    grade = optional_text(value)
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
    try:
        grade = int(value)
    except ValueError:
        grade = 0
    if grade not in INFORMATION_CREDIBILITY:
        raise InputError(
            f"information credibility '{value}' is not an Admiralty grade: 1 (confirmed) "
            "to 6 (cannot be judged)"
        )
    return grade
