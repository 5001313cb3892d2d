"""Time, passed in so tests can fix it.

Analysts think in their own calendar days: "today", "as of 10 December" are local dates. Moments
are stored in UTC; `start_of` turns a local day into the UTC moment it begins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo


class Clock:
    """The real clock, in the computer's own time zone."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return datetime.now().astimezone().date()

    def start_of(self, day: date) -> datetime:
        # A naive datetime's astimezone() applies the local zone's rules for that date (DST).
        return datetime.combine(day, time.min).astimezone(UTC)

    def day_of(self, moment: datetime) -> date:
        """The local calendar day a stored (UTC) moment fell on."""
        return moment.astimezone().date()


@dataclass(frozen=True)
class FixedClock(Clock):
    moment: datetime
    zone: tzinfo = UTC

    def now(self) -> datetime:
        return self.moment

    def today(self) -> date:
        return self.moment.astimezone(self.zone).date()

    def start_of(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.zone).astimezone(UTC)

    def day_of(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()
