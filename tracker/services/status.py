"""Where every indicator stands on a date.

The status on a date is the latest assessment effective on or before it (ties broken by the
order they were recorded). Observations count when their event date is on or before it and they
had not been retracted by the end of it. Everything is computed from the record, so asking
again gives the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, case, func, null, or_
from sqlmodel import col, select

from tracker.services import inputs
from tracker.services.clock import Clock
from tracker.services.lookup import find_set
from tracker.storage.database import Database
from tracker.storage.models import (
    Assessment,
    Indicator,
    IndicatorSet,
    ObservationIndicator,
    Retraction,
    Theme,
    indicator_month_count,
)

# The board's "recent" window, and how long without an observation makes an indicator quiet.
RECENT_DAYS = 7
QUIET_DAYS = 14


@dataclass(frozen=True)
class PointInTime:
    """A local day, and the UTC moment it ended: what had been recorded by then counts."""

    day: date
    cutoff: datetime


def point_in_time(clock: Clock, as_of: date | str | None = None) -> PointInTime:
    """The day asked for (YYYY-MM-DD as typed, or today when not given), never in the future."""
    today = clock.today()
    if isinstance(as_of, str):
        as_of = inputs.parse_date(as_of, "the as-of date")
    day = inputs.not_in_future(as_of, today, "the as-of date") if as_of else today
    # Records made before the analyst's next local midnight existed on that day.
    return PointInTime(day=day, cutoff=clock.start_of(day + timedelta(days=1)))


@dataclass(frozen=True)
class IndicatorStatus:
    set_slug: str
    set_title: str
    theme_key: str
    theme_title: str
    key: str
    title: str
    status: str | None  # None: not yet assessed on that date
    direction: str | None
    confidence: str | None
    assessed_on: date | None
    assessed_by: str | None
    rationale: str | None
    observation_count: int | None  # None when not counted (`with_totals=False`)
    last_observation_on: date | None
    recent_observation_count: int  # observed in the RECENT_DAYS ending on the board's date
    assessment_id: str | None = None  # the assessment the status comes from

    def days_since_assessed(self, as_of: date) -> int | None:
        return (as_of - self.assessed_on).days if self.assessed_on else None

    def is_quiet(self, as_of: date) -> bool:
        """Nothing observed in the last QUIET_DAYS (or ever)."""
        last = self.last_observation_on
        return last is None or (as_of - last).days >= QUIET_DAYS


@dataclass(frozen=True)
class StatusBoard:
    as_of: date
    indicators: list[IndicatorStatus]


def status_as_of(
    db: Database,
    clock: Clock,
    as_of: date | str | None = None,
    set_slug: str | None = None,
    *,
    with_totals: bool = True,
) -> StatusBoard:
    """The board on `as_of` (a date, or YYYY-MM-DD as typed; today when not given). Counting
    every observation of every indicator is most of its cost on a large record: the app's
    board, which does not show that total, asks `with_totals=False`."""
    moment = point_in_time(clock, as_of)
    day, cutoff = moment.day, moment.cutoff
    recent_from = day - timedelta(days=RECENT_DAYS - 1)

    # Each part is a lookup in, or a range of, one index per indicator; nothing ranks all the
    # assessments or reads all the bearings through. The latest assessment is the last entry
    # of the indicator's (effective_on, recorded_at, id) range. The total up to the day adds
    # the counts kept per month to the bearings of the day's own month: stepping through every
    # bearing up to the day instead was 99 ms of the board's 116 ms at 1,750,000.
    latest = (
        select(Assessment.id)
        .where(Assessment.indicator_id == Indicator.id, Assessment.effective_on <= day)
        .order_by(
            col(Assessment.effective_on).desc(),
            col(Assessment.recorded_at).desc(),
            col(Assessment.id).desc(),
        )
        .limit(1)
        .correlate(Indicator)
        .scalar_subquery()
    )
    withdrawn_by_then = select(Retraction.observation_id).where(Retraction.recorded_at < cutoff)
    # Observations counted as logged up to the day, less those retracted by then (few: found
    # from the retractions, not by checking every observation).
    logged = _count_up_to(day)
    logged_recently = _count_links(
        Indicator.id,
        ObservationIndicator.event_date.between(recent_from, day),  # type: ignore[attr-defined]
    )
    withdrawn = (
        select(
            ObservationIndicator.indicator_id,
            func.count().label("count"),
            func.sum(case((ObservationIndicator.event_date >= recent_from, 1), else_=0)).label(
                "recent"
            ),
        )
        .where(
            col(ObservationIndicator.observation_id).in_(withdrawn_by_then),
            ObservationIndicator.event_date <= day,
        )
        .group_by(ObservationIndicator.indicator_id)
        .subquery()
    )
    last_observed = (
        select(ObservationIndicator.event_date)
        .where(
            ObservationIndicator.indicator_id == Indicator.id,
            ObservationIndicator.event_date <= day,
            col(ObservationIndicator.observation_id).not_in(withdrawn_by_then),
        )
        .order_by(col(ObservationIndicator.event_date).desc())
        .limit(1)
        .correlate(Indicator)
        .scalar_subquery()
    )
    query = (
        select(
            IndicatorSet.slug,
            IndicatorSet.title,
            Theme.key,
            Theme.title,
            Indicator.key,
            Indicator.title,
            Assessment.status,
            Assessment.direction,
            Assessment.confidence,
            Assessment.effective_on,
            Assessment.author,
            Assessment.rationale,
            (logged - func.coalesce(withdrawn.c.count, 0)) if with_totals else null(),
            last_observed,
            logged_recently - func.coalesce(withdrawn.c.recent, 0),
            Assessment.uuid,
        )
        .join(Theme, col(Theme.id) == Indicator.theme_id)
        .join(IndicatorSet, col(IndicatorSet.id) == Indicator.set_id)
        .outerjoin(Assessment, col(Assessment.id) == latest)
        .outerjoin(withdrawn, withdrawn.c.indicator_id == Indicator.id)
        # Retired indicators drop out from the day they were retired, not before.
        .where(or_(col(Indicator.retired_at).is_(None), col(Indicator.retired_at) >= cutoff))
        .order_by(IndicatorSet.slug, Theme.position, Indicator.position)
    )
    with db.reading() as session:
        indicator_set = find_set(session, set_slug)
        if indicator_set is not None:
            query = query.where(Indicator.set_id == indicator_set.id)
        rows = session.exec(query).all()
    return StatusBoard(
        as_of=day,
        indicators=[
            IndicatorStatus(
                set_slug=row[0],
                set_title=row[1],
                theme_key=row[2],
                theme_title=row[3],
                key=row[4],
                title=row[5],
                status=row[6],
                direction=row[7],
                confidence=row[8],
                assessed_on=row[9],
                assessed_by=row[10],
                rationale=row[11],
                observation_count=(row[12] or 0) if with_totals else None,
                last_observation_on=row[13],
                recent_observation_count=row[14] or 0,
                assessment_id=row[15],
            )
            for row in rows
        ],
    )


def _count_up_to(day: date) -> ColumnElement[int]:
    """How many of the indicator's observations are dated on or before `day`: the kept counts
    of the full months before the day's month, and the bearings of its first days."""
    first_of_month = day.replace(day=1)
    months = indicator_month_count.c
    full_months = (
        select(func.coalesce(func.sum(months.observations), 0))
        .where(months.indicator_id == Indicator.id, months.month < first_of_month)
        .correlate(Indicator)
        .scalar_subquery()
    )
    this_month = _count_links(
        Indicator.id,
        ObservationIndicator.event_date.between(first_of_month, day),  # type: ignore[attr-defined]
    )
    return full_months + this_month


def _count_links(indicator_id: Any, *conditions: ColumnElement[bool]) -> ScalarSelect[int]:
    """How many of the indicator's observations meet the conditions: one range of the
    (indicator_id, event_date) index."""
    return (
        select(func.count())
        .select_from(ObservationIndicator)
        .where(ObservationIndicator.indicator_id == indicator_id, *conditions)
        .correlate(Indicator)
        .scalar_subquery()
    )


@dataclass(frozen=True)
class IndicatorChoice:
    set_slug: str
    key: str
    title: str


def indicator_choices(db: Database) -> list[IndicatorChoice]:
    """The indicators on today's board, in its order, without where they stand: what a filter
    offers to choose from."""
    with db.reading() as session:
        rows = session.exec(
            select(IndicatorSet.slug, Indicator.key, Indicator.title)
            .join(Theme, col(Theme.id) == Indicator.theme_id)
            .join(IndicatorSet, col(IndicatorSet.id) == Indicator.set_id)
            .where(col(Indicator.retired_at).is_(None))
            .order_by(IndicatorSet.slug, Theme.position, Indicator.position)
        ).all()
    return [IndicatorChoice(*row) for row in rows]
