"""Time, passed in so tests can fix it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime


class Clock:
    """The real clock. `today` is the analyst's local calendar date."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return datetime.now().astimezone().date()


@dataclass(frozen=True)
class FixedClock(Clock):
    moment: datetime

    def now(self) -> datetime:
        return self.moment

    def today(self) -> date:
        return self.moment.date()
