"""The analysts' words that every layer shares: statuses, directions, grades.

A leaf module: it imports nothing from tracker, so storage, definitions and services can all
use it without bending the direction of imports.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    MOVED = "moved"
    UNMOVED = "unmoved"


class Direction(StrEnum):
    """Which way a moved indicator went: toward a settlement or away from one."""

    TOWARD = "toward"
    AWAY = "away"


class Bearing(StrEnum):
    """How one observation bears on one indicator."""

    TOWARD = "toward"
    AWAY = "away"
    NONE = "none"


class Confidence(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


# The Admiralty (NATO) grading: how far the source is trusted, and how far this piece of
# information is believed, judged separately.
SOURCE_RELIABILITY: dict[str, str] = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}

INFORMATION_CREDIBILITY: dict[int, str] = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}


def values(enum: type[StrEnum]) -> list[str]:
    return [member.value for member in enum]
