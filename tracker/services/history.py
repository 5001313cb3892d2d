"""An indicator's file: its definition, its assessments and its observations, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from tracker.services.lookup import find_indicator
from tracker.services.status import PointInTime
from tracker.storage.database import Database
from tracker.storage.models import (
    Assessment,
    AssessmentEvidence,
    Indicator,
    IndicatorSet,
    Observation,
    ObservationIndicator,
    Retraction,
    Theme,
)


@dataclass(frozen=True)
class CitedSource:
    source_title: str
    source_date: str | None
    source_file: str | None
    quote: str


@dataclass(frozen=True)
class AssessmentEntry:
    id: str
    status: str
    direction: str | None
    confidence: str
    rationale: str
    author: str
    effective_on: date
    recorded_at: datetime
    evidence: tuple[str, ...]
    # The id of the indicator's latest assessment when this one was recorded, if known.
    supersedes: str | None = None


@dataclass(frozen=True)
class RetractionEntry:
    reason: str
    author: str
    recorded_at: datetime


@dataclass(frozen=True)
class ObservationEntry:
    id: str
    event_date: date
    recorded_at: datetime
    bearing: str | None  # on the indicator whose file lists it; None in the observation log
    summary: str
    quote: str | None
    note: str | None
    source_title: str | None
    source_publisher: str | None
    source_url: str | None
    source_date: date | None
    unsourced: bool
    reliability: str | None
    credibility: int | None
    author: str
    retraction: RetractionEntry | None


@dataclass(frozen=True)
class IndicatorHistory:
    set_slug: str
    set_title: str
    theme_title: str
    key: str
    title: str
    question: str
    moved_when: str
    toward_means: str
    away_means: str
    actors: tuple[str, ...]
    citations: tuple[CitedSource, ...]
    retired_at: datetime | None
    assessments: tuple[AssessmentEntry, ...]
    # Every observation on it, newest first; empty when not asked for (`with_observations`).
    observations: tuple[ObservationEntry, ...]
    # The observations its assessments cite as evidence, by id.
    cited: dict[str, ObservationEntry]


def indicator_history(
    db: Database,
    key: str,
    set_slug: str | None = None,
    as_of: PointInTime | None = None,
    *,
    with_observations: bool = True,
) -> IndicatorHistory:
    """The whole file, or the file as it stood at `as_of` (the rules of `status_as_of`). An
    indicator may have tens of thousands of observations: a screen pages through them with
    the observation log's `read_log` instead, and asks for the file without them."""
    with db.reading() as session:
        indicator = find_indicator(session, key, set_slug, allow_retired=True)
        indicator_set = session.get_one(IndicatorSet, indicator.set_id)
        theme = session.get_one(Theme, indicator.theme_id)
        assessments = _assessments(session, indicator, as_of)
        observations = _observations(session, indicator, as_of) if with_observations else ()
        cited_ids = {uuid for a in assessments for uuid in a.evidence}
        listed = {o.id: o for o in observations if o.id in cited_ids}
        return IndicatorHistory(
            set_slug=indicator_set.slug,
            set_title=indicator_set.title,
            theme_title=theme.title,
            key=indicator.key,
            title=indicator.title,
            question=indicator.question,
            moved_when=indicator.moved_when,
            toward_means=indicator.toward_means,
            away_means=indicator.away_means,
            actors=tuple(indicator.actors),
            citations=_citations(indicator, indicator_set),
            retired_at=indicator.retired_at,
            assessments=assessments,
            observations=observations,
            cited=listed if with_observations else _cited(session, indicator, cited_ids, as_of),
        )


def _citations(indicator: Indicator, indicator_set: IndicatorSet) -> tuple[CitedSource, ...]:
    sources: dict[str, dict[str, Any]] = {s["id"]: s for s in indicator_set.sources}
    citations = []
    for cited in indicator.sources:
        source = sources.get(cited["source"], {})
        citations.append(
            CitedSource(
                source_title=source.get("title", cited["source"]),
                source_date=source.get("date"),
                source_file=source.get("file"),
                quote=cited["quote"],
            )
        )
    return tuple(citations)


def _assessments(
    session: Session, indicator: Indicator, as_of: PointInTime | None
) -> tuple[AssessmentEntry, ...]:
    query = select(Assessment).where(Assessment.indicator_id == indicator.id)
    if as_of is not None:
        query = query.where(Assessment.effective_on <= as_of.day)
    assessments = session.exec(
        query.order_by(
            col(Assessment.effective_on).desc(),
            col(Assessment.recorded_at).desc(),
            col(Assessment.id).desc(),
        )
    ).all()
    evidence: dict[int, list[str]] = {}
    if assessments:
        rows = session.exec(
            select(AssessmentEvidence.assessment_id, Observation.uuid)
            .join(Observation, col(Observation.id) == AssessmentEvidence.observation_id)
            .where(col(AssessmentEvidence.assessment_id).in_([a.id for a in assessments]))
            .order_by(Observation.uuid)
        ).all()
        for assessment_id, observation_uuid in rows:
            evidence.setdefault(assessment_id, []).append(observation_uuid)
    superseded = {a.supersedes_id for a in assessments} - {None}
    uuids = dict(
        session.exec(
            select(Assessment.id, Assessment.uuid).where(col(Assessment.id).in_(superseded))
        ).all()
        if superseded
        else []
    )
    return tuple(
        AssessmentEntry(
            id=a.uuid,
            status=a.status,
            direction=a.direction,
            confidence=a.confidence,
            rationale=a.rationale,
            author=a.author,
            effective_on=a.effective_on,
            recorded_at=a.recorded_at,
            evidence=tuple(evidence.get(a.id or 0, ())),
            supersedes=uuids.get(a.supersedes_id) if a.supersedes_id else None,
        )
        for a in assessments
    )


def _observations(
    session: Session, indicator: Indicator, as_of: PointInTime | None
) -> tuple[ObservationEntry, ...]:
    retracted_on = col(Retraction.observation_id) == Observation.id
    query = select(Observation, ObservationIndicator.bearing, Retraction).join(
        ObservationIndicator, col(ObservationIndicator.observation_id) == Observation.id
    )
    if as_of is None:
        query = query.outerjoin(Retraction, retracted_on)
    else:
        # A retraction recorded after that day had not happened yet.
        query = query.outerjoin(
            Retraction, retracted_on & (col(Retraction.recorded_at) < as_of.cutoff)
        ).where(ObservationIndicator.event_date <= as_of.day)
    rows = session.exec(
        query.where(ObservationIndicator.indicator_id == indicator.id).order_by(
            col(Observation.event_date).desc(),
            col(Observation.recorded_at).desc(),
            col(Observation.id).desc(),
        )
    ).all()
    return tuple(observation_entry(o, bearing, r) for o, bearing, r in rows)


def _cited(
    session: Session, indicator: Indicator, uuids: set[str], as_of: PointInTime | None
) -> dict[str, ObservationEntry]:
    if not uuids:
        return {}
    retracted_on = col(Retraction.observation_id) == Observation.id
    if as_of is not None:
        retracted_on = retracted_on & (col(Retraction.recorded_at) < as_of.cutoff)
    rows = session.exec(
        select(Observation, ObservationIndicator.bearing, Retraction)
        .join(
            ObservationIndicator,
            (col(ObservationIndicator.observation_id) == Observation.id)
            & (col(ObservationIndicator.indicator_id) == indicator.id),
        )
        .outerjoin(Retraction, retracted_on)
        .where(col(Observation.uuid).in_(uuids))
        .where(True if as_of is None else col(ObservationIndicator.event_date) <= as_of.day)
    ).all()
    return {o.uuid: observation_entry(o, bearing, r) for o, bearing, r in rows}


def observation_entry(
    o: Observation, bearing: str | None, retraction: Retraction | None
) -> ObservationEntry:
    return ObservationEntry(
        id=o.uuid,
        event_date=o.event_date,
        recorded_at=o.recorded_at,
        bearing=bearing,
        summary=o.summary,
        quote=o.quote,
        note=o.note,
        source_title=o.source_title,
        source_publisher=o.source_publisher,
        source_url=o.source_url,
        source_date=o.source_date,
        unsourced=o.unsourced,
        reliability=o.reliability,
        credibility=o.credibility,
        author=o.author,
        retraction=(
            RetractionEntry(
                reason=retraction.reason,
                author=retraction.author,
                recorded_at=retraction.recorded_at,
            )
            if retraction is not None
            else None
        ),
    )
