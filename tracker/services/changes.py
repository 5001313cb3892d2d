"""Noticing that the record changed, by this process or another (the command line, a colleague's
app on the same database), without re-reading it; and saying what was recorded, by whom.

Row ids only grow, so "since" is the newest id of each kind seen. They also commit in the order
they were taken: every write transaction takes the database's write lock before its first insert
and holds it to its commit (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL), so no
write can commit a smaller id after a larger one was seen. That keeps each look a handful of
index lookups, whatever the size of the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from tracker.storage.database import Database
from tracker.storage.models import (
    Assessment,
    Indicator,
    IndicatorSet,
    IssuedBriefing,
    Observation,
    ObservationIndicator,
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


@dataclass(frozen=True)
class Newest:
    """The newest row id of each kind of record: where "since" starts."""

    observation: int = 0
    assessment: int = 0
    retraction: int = 0


@dataclass(frozen=True)
class NewRecord:
    kind: str  # "observation", "assessment" or "retraction"
    id: str  # the record's uuid
    author: str
    recorded_at: datetime
    # What it says, in one line: the indicator keys an observation bears on and its summary,
    # an indicator's new status, or the retracted observation's summary.
    about: str


def newest(db: Database) -> Newest:
    with db.reading() as session:
        return Newest(*_newest_ids(session))


def recorded_since(db: Database, since: Newest, limit: int = 50) -> tuple[list[NewRecord], Newest]:
    """What was recorded after `since`, oldest first (at most `limit` of each kind), and the
    newest ids now, for the next call."""
    with db.reading() as session:
        now = Newest(*_newest_ids(session))
        records: list[NewRecord] = []
        observations = session.exec(
            select(Observation)
            .where(col(Observation.id) > since.observation)
            .order_by(col(Observation.id))
            .limit(limit)
        ).all()
        keys: dict[int, list[str]] = {}
        for observation_id, key in session.exec(
            select(ObservationIndicator.observation_id, Indicator.key)
            .join(Indicator, col(Indicator.id) == ObservationIndicator.indicator_id)
            .where(col(ObservationIndicator.observation_id).in_([o.id for o in observations]))
            .order_by(Indicator.position)
        ).all():
            keys.setdefault(observation_id, []).append(key)
        records += [
            NewRecord(
                "observation",
                o.uuid,
                o.author,
                o.recorded_at,
                f"{', '.join(keys.get(o.id or 0, []))}: {o.summary}",
            )
            for o in observations
        ]
        for assessment, key in session.exec(
            select(Assessment, Indicator.key)
            .join(Indicator, col(Indicator.id) == Assessment.indicator_id)
            .where(col(Assessment.id) > since.assessment)
            .order_by(col(Assessment.id))
            .limit(limit)
        ).all():
            direction = f" {assessment.direction}" if assessment.direction else ""
            records.append(
                NewRecord(
                    "assessment",
                    assessment.uuid,
                    assessment.author,
                    assessment.recorded_at,
                    f"{key} {assessment.status}{direction}",
                )
            )
        for retraction, summary in session.exec(
            select(Retraction, Observation.summary)
            .join(Observation, col(Observation.id) == Retraction.observation_id)
            .where(col(Retraction.id) > since.retraction)
            .order_by(col(Retraction.id))
            .limit(limit)
        ).all():
            records.append(
                NewRecord(
                    "retraction",
                    retraction.uuid,
                    retraction.author,
                    retraction.recorded_at,
                    summary,
                )
            )
    records.sort(key=lambda record: record.recorded_at)
    return records, now


def _newest_ids(session: Session) -> tuple[int, int, int]:
    row = session.exec(
        select(
            select(func.coalesce(func.max(Observation.id), 0)).scalar_subquery(),
            select(func.coalesce(func.max(Assessment.id), 0)).scalar_subquery(),
            select(func.coalesce(func.max(Retraction.id), 0)).scalar_subquery(),
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])
