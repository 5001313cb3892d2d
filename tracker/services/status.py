"""Where every indicator stands on a date.

The status on a date is the latest assessment effective on or before it (ties broken by the
order they were recorded). Observations count when their event date is on or before it and they
had not been retracted by the end of it. Everything is computed from the record, so asking
again gives the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, or_
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
)


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
    observation_count: int
    last_observation_on: date | None


@dataclass(frozen=True)
class StatusBoard:
    as_of: date
    indicators: list[IndicatorStatus]


def status_as_of(
    db: Database, clock: Clock, as_of: date | str | None = None, set_slug: str | None = None
) -> StatusBoard:
    """The board on `as_of` (a date, or YYYY-MM-DD as typed; today when not given)."""
    today = clock.today()
    if isinstance(as_of, str):
        as_of = inputs.parse_date(as_of, "the as-of date")
    day = inputs.not_in_future(as_of, today, "the as-of date") if as_of else today
    # Records made before the analyst's next local midnight existed on that day.
    cutoff = clock.start_of(day + timedelta(days=1))

    ranked = (
        select(
            Assessment.indicator_id,
            Assessment.status,
            Assessment.direction,
            Assessment.confidence,
            Assessment.effective_on,
            Assessment.author,
            Assessment.rationale,
            func.row_number()
            .over(
                partition_by=Assessment.indicator_id,
                order_by=(
                    col(Assessment.effective_on).desc(),
                    col(Assessment.recorded_at).desc(),
                    col(Assessment.id).desc(),
                ),
            )
            .label("rank"),
        )
        .where(Assessment.effective_on <= day)
        .subquery()
    )
    retracted = select(Retraction.observation_id).where(Retraction.recorded_at < cutoff)
    counts = (
        select(
            ObservationIndicator.indicator_id,
            func.count().label("observation_count"),
            func.max(ObservationIndicator.event_date).label("last_observation_on"),
        )
        .where(
            ObservationIndicator.event_date <= day,
            col(ObservationIndicator.observation_id).not_in(retracted),
        )
        .group_by(ObservationIndicator.indicator_id)
        .subquery()
    )
    query = (
        select(
            IndicatorSet.slug,
            IndicatorSet.title,
            Theme.key,
            Theme.title,
            Indicator.key,
            Indicator.title,
            ranked.c.status,
            ranked.c.direction,
            ranked.c.confidence,
            ranked.c.effective_on,
            ranked.c.author,
            ranked.c.rationale,
            counts.c.observation_count,
            counts.c.last_observation_on,
        )
        .join(Theme, col(Theme.id) == Indicator.theme_id)
        .join(IndicatorSet, col(IndicatorSet.id) == Indicator.set_id)
        .outerjoin(ranked, (ranked.c.indicator_id == Indicator.id) & (ranked.c.rank == 1))
        .outerjoin(counts, counts.c.indicator_id == Indicator.id)
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
                observation_count=row[12] or 0,
                last_observation_on=row[13],
            )
            for row in rows
        ],
    )
