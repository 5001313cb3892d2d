"""Plain data the services hand back: safe to keep after the session has closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class RecordedObservation:
    id: str
    event_date: date
    recorded_at: datetime
    unsourced: bool
    indicator_keys: tuple[str, ...]


@dataclass(frozen=True)
class RecordedAssessment:
    id: str
    indicator_key: str
    status: str
    direction: str | None
    effective_on: date
    recorded_at: datetime
    supersedes: str | None = None  # the id of the indicator's latest assessment before it


@dataclass(frozen=True)
class RecordedRetraction:
    id: str
    observation_id: str
    recorded_at: datetime
