"""The tables. Observations, retractions and assessments are append-only by convention of the
services; the constraints here hold whatever code writes to them.

Identifiers: every table has an integer primary key for joins; observations, retractions and
assessments also carry a UUID that never changes, for export, import and team use.
"""

from __future__ import annotations

import uuid as uuid_module
from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict
from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from tracker.storage.types import UTCDateTime
from tracker.vocabulary import (
    SOURCE_RELIABILITY,
    Bearing,
    Confidence,
    Direction,
    Status,
    values,
)

# Named constraints make migrations reproducible on both engines (Alembic batch mode on SQLite
# needs names to drop or alter a constraint).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata

# Each table's pydantic validator and serializer are built when first used, not on import.
# `table=True` models do not validate, and tracker never serializes a row with pydantic, so
# they are rarely if ever built; building them all on import was about 30 million
# instructions of every command's start-up (measured with cachegrind on `tracker observe`).
_BUILT_WHEN_USED = ConfigDict(defer_build=True)


def new_uuid() -> str:
    return str(uuid_module.uuid4())


def _one_of(column: str, allowed: list[str]) -> str:
    quoted = ", ".join(f"'{value}'" for value in allowed)
    return f"{column} IN ({quoted})"


def _utc_column(*, nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable))


class IndicatorSet(SQLModel, table=True):
    __tablename__ = "indicator_set"
    model_config = _BUILT_WHEN_USED

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=100, unique=True)
    title: str = Field(sa_type=Text)
    description: str = Field(sa_type=Text)
    # The articles and reports the set was built from: [{id, title, publisher, date, file}].
    sources: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    definition_file: str = Field(sa_type=Text)
    loaded_at: datetime = _utc_column()
    # Who last loaded the definition file (None when loaded before tracker kept this).
    loaded_by: str | None = Field(default=None, sa_type=Text)


class Theme(SQLModel, table=True):
    __tablename__ = "theme"
    model_config = _BUILT_WHEN_USED
    __table_args__ = (UniqueConstraint("set_id", "key", name="uq_theme_set_key"),)

    id: int | None = Field(default=None, primary_key=True)
    set_id: int = Field(foreign_key="indicator_set.id")
    key: str = Field(max_length=100)
    title: str = Field(sa_type=Text)
    position: int


class Indicator(SQLModel, table=True):
    __tablename__ = "indicator"
    model_config = _BUILT_WHEN_USED
    __table_args__ = (UniqueConstraint("set_id", "key", name="uq_indicator_set_key"),)

    id: int | None = Field(default=None, primary_key=True)
    set_id: int = Field(foreign_key="indicator_set.id")
    theme_id: int = Field(foreign_key="theme.id", index=True)
    key: str = Field(max_length=100)
    title: str = Field(sa_type=Text)
    question: str = Field(sa_type=Text)
    moved_when: str = Field(sa_type=Text)
    toward_means: str = Field(sa_type=Text)
    away_means: str = Field(sa_type=Text)
    actors: list[str] = Field(default_factory=list, sa_type=JSON)
    # Where the indicator comes from: [{source, quote}], source naming one of the set's sources.
    sources: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    position: int
    # Set when the indicator disappears from its definition file; retired indicators keep
    # their history and are hidden by default.
    retired_at: datetime | None = _utc_column(nullable=True)


class Observation(SQLModel, table=True):
    __tablename__ = "observation"
    model_config = _BUILT_WHEN_USED
    __table_args__ = (
        CheckConstraint("length(summary) > 0", name="summary_not_empty"),
        CheckConstraint(_one_of("reliability", list(SOURCE_RELIABILITY)), name="reliability_grade"),
        CheckConstraint("credibility BETWEEN 1 AND 6", name="credibility_grade"),
        CheckConstraint(
            "unsourced OR source_title IS NOT NULL OR source_publisher IS NOT NULL"
            " OR source_url IS NOT NULL",
            name="sourced_or_marked_unsourced",
        ),
        # The log's order, newest first; each page starts from the last row shown.
        Index("ix_observation_log_order", "event_date", "recorded_at", "id"),
        Index("ix_observation_author", "author"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, max_length=36, unique=True)
    event_date: date
    recorded_at: datetime = _utc_column()
    summary: str = Field(sa_type=Text)
    quote: str | None = Field(default=None, sa_type=Text)
    # An analyst's caveat on the evidence itself, e.g. a figure that contradicts another source.
    note: str | None = Field(default=None, sa_type=Text)
    source_title: str | None = Field(default=None, sa_type=Text)
    source_publisher: str | None = Field(default=None, sa_type=Text)
    source_url: str | None = Field(default=None, sa_type=Text)
    source_date: date | None = None
    unsourced: bool = False
    reliability: str | None = Field(default=None, max_length=1)
    credibility: int | None = None
    author: str = Field(sa_type=Text)


class ObservationIndicator(SQLModel, table=True):
    """Which indicators an observation bears on, and how.

    The event date is copied from the observation (which never changes) so that "observations
    of this indicator up to a date" is one index range scan.
    """

    __tablename__ = "observation_indicator"
    model_config = _BUILT_WHEN_USED
    __table_args__ = (
        CheckConstraint(_one_of("bearing", values(Bearing)), name="bearing_value"),
        Index("ix_observation_indicator_indicator_date", "indicator_id", "event_date"),
    )

    observation_id: int = Field(foreign_key="observation.id", primary_key=True)
    indicator_id: int = Field(foreign_key="indicator.id", primary_key=True)
    bearing: str = Field(max_length=10)
    event_date: date


# How many observations bear on an indicator, per calendar month of their event date.
#
# Kept by the database itself, with triggers on `observation_indicator` (migration 0005), so
# whatever writes bearings keeps it right. Counting an indicator's observations up to a day then
# reads the full months before that day's month here (a few dozen rows) and only the days of its
# own month from the bearings, instead of every bearing up to the day. A month with no bearings
# has no row.
#
# A plain table, not a model class: no code writes or loads its rows, only sums them, and a
# model class would cost every command's start-up more than it does. On SQLite migration 0005
# makes it a WITHOUT ROWID table, stored in key order, so an indicator's months are read
# together (3 ms for the board's 1,000 indicators, not 8); that is not declared here, as a
# SQLite option would load SQLite's dialect on every import, PostgreSQL or not.
indicator_month_count = Table(
    "indicator_month_count",
    metadata,
    Column("indicator_id", Integer, ForeignKey("indicator.id"), primary_key=True),
    Column("month", Date, primary_key=True),  # its first day
    Column("observations", Integer, nullable=False),
    CheckConstraint("observations > 0", name="observations_positive"),
)


class Retraction(SQLModel, table=True):
    """An observation withdrawn, with the reason. The observation itself is never deleted."""

    __tablename__ = "retraction"
    model_config = _BUILT_WHEN_USED
    __table_args__ = (CheckConstraint("length(reason) > 0", name="reason_not_empty"),)

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, max_length=36, unique=True)
    observation_id: int = Field(foreign_key="observation.id", unique=True)
    reason: str = Field(sa_type=Text)
    author: str = Field(sa_type=Text)
    recorded_at: datetime = _utc_column()


class Assessment(SQLModel, table=True):
    """An indicator's status as of its effective date. The latest one effective on or before a
    date is the status on that date."""

    __tablename__ = "assessment"
    model_config = _BUILT_WHEN_USED
    __table_args__ = (
        CheckConstraint(_one_of("status", values(Status)), name="status_value"),
        CheckConstraint(_one_of("confidence", values(Confidence)), name="confidence_value"),
        CheckConstraint(
            f"(status = 'moved' AND {_one_of('direction', values(Direction))})"
            " OR (status = 'unmoved' AND direction IS NULL)",
            name="direction_when_moved",
        ),
        CheckConstraint("length(rationale) > 0", name="rationale_not_empty"),
        Index(
            "ix_assessment_indicator_effective",
            "indicator_id",
            "effective_on",
            "recorded_at",
            "id",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, max_length=36, unique=True)
    indicator_id: int = Field(foreign_key="indicator.id")
    status: str = Field(max_length=10)
    direction: str | None = Field(default=None, max_length=10)
    confidence: str = Field(max_length=10)
    rationale: str = Field(sa_type=Text)
    author: str = Field(sa_type=Text)
    effective_on: date
    recorded_at: datetime = _utc_column()
    # The indicator's latest assessment when this one was recorded (None for the first, and
    # for assessments recorded before tracker kept this).
    supersedes_id: int | None = Field(default=None, foreign_key="assessment.id")


class AssessmentEvidence(SQLModel, table=True):
    """The observations an assessment cites."""

    __tablename__ = "assessment_evidence"
    model_config = _BUILT_WHEN_USED

    assessment_id: int = Field(foreign_key="assessment.id", primary_key=True)
    observation_id: int = Field(foreign_key="observation.id", primary_key=True, index=True)


class IssuedBriefing(SQLModel, table=True):
    """A briefing the desk sent out: the period it covered, so the next one can start where it
    ended (`tracker brief --since-last`)."""

    __tablename__ = "issued_briefing"
    model_config = _BUILT_WHEN_USED
    __table_args__ = (
        CheckConstraint("period_start <= period_end", name="period_in_order"),
        Index("ix_issued_briefing_set_end", "set_id", "period_end"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=new_uuid, max_length=36, unique=True)
    set_id: int = Field(foreign_key="indicator_set.id")
    period_start: date
    period_end: date
    author: str = Field(sa_type=Text)
    issued_at: datetime = _utc_column()
