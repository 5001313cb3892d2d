"""Noticing that the record changed, by this process or another (the command line, a colleague's
app on the same database), without re-reading it."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select

from tracker.storage.database import Database
from tracker.storage.models import (
    Assessment,
    Indicator,
    IndicatorSet,
    IssuedBriefing,
    Observation,
    Retraction,
)


def record_version(db: Database) -> tuple[object, ...]:
    """A value that differs whenever anything was recorded, retracted, seeded or retired since it
    was last asked. Records are append-only, so the newest id of each kind tells."""
    with db.reading() as session:
        return tuple(
            session.exec(
                select(
                    select(func.max(Observation.id)).scalar_subquery(),
                    select(func.max(Assessment.id)).scalar_subquery(),
                    select(func.max(Retraction.id)).scalar_subquery(),
                    select(func.max(col(IndicatorSet.loaded_at))).scalar_subquery(),
                    select(func.count(col(Indicator.retired_at))).scalar_subquery(),
                    select(func.count(col(Indicator.id))).scalar_subquery(),
                    select(func.max(IssuedBriefing.id)).scalar_subquery(),
                )
            ).one()
        )
