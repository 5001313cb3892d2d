"""`tracker export`: the whole record, or one set's part of it, as a `RecordFile`.

The records are built without validation (`model_construct`): they come from the database,
whose constraints already hold, and an export must never fail on what the desk recorded.

Each record is turned into its exported form by one function here; the importer uses the same
functions to tell whether a record it already holds is the one in the file.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from tracker.services.lookup import find_set
from tracker.services.record_file import (
    RECORD_FILE_VERSION,
    ExportedAssessment,
    ExportedBearing,
    ExportedBriefing,
    ExportedIndicator,
    ExportedObservation,
    ExportedRetraction,
    ExportedSet,
    ExportedTheme,
    Progress,
    RecordFile,
    counted,
    no_progress,
)
from tracker.storage.database import Database
from tracker.storage.models import (
    Assessment,
    AssessmentEvidence,
    Indicator,
    IndicatorSet,
    IssuedBriefing,
    Observation,
    ObservationIndicator,
    Retraction,
    Theme,
)


@dataclass(frozen=True)
class Names:
    """How records refer to sets and indicators in the file: by slug and key, not by id."""

    set_slugs: dict[int, str]
    indicators: dict[int, tuple[str, str]]  # indicator id -> (set slug, key)
    observation_uuids: dict[int, str]
    # For what an assessment supersedes: by id in the database, by UUID in the file.
    assessment_uuids: dict[int, str]

    @classmethod
    def read(cls, session: Session) -> Names:
        set_slugs = {s.id or 0: s.slug for s in session.exec(select(IndicatorSet)).all()}
        indicators = {
            i.id or 0: (set_slugs[i.set_id], i.key) for i in session.exec(select(Indicator)).all()
        }
        observations = dict(session.exec(select(Observation.id, Observation.uuid)).all())
        assessments = dict(session.exec(select(Assessment.id, Assessment.uuid)).all())
        return cls(
            set_slugs,
            indicators,
            {k or 0: v for k, v in observations.items()},
            {k or 0: v for k, v in assessments.items()},
        )


def export_record(
    db: Database, set_slug: str | None = None, progress: Progress = no_progress
) -> RecordFile:
    with db.reading() as session:
        if not db.is_sqlite:
            # One snapshot for every query, as SQLite's read transaction already is: a record
            # committed meanwhile must not appear in one list and be missing from another.
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        chosen = find_set(session, set_slug)
        names = Names.read(session)
        sets = session.exec(
            select(IndicatorSet)
            .where(True if chosen is None else col(IndicatorSet.id) == chosen.id)
            .order_by(IndicatorSet.slug)
        ).all()
        set_ids = [s.id for s in sets]
        in_sets = {i for i, (slug, _) in names.indicators.items() if slug in {s.slug for s in sets}}
        bearings = bearings_where(
            session, names, col(ObservationIndicator.indicator_id).in_(in_sets)
        )
        observations = session.exec(
            select(Observation)
            .where(col(Observation.id).in_(list(bearings)))
            .order_by(Observation.event_date, col(Observation.recorded_at), Observation.uuid)
        ).all()
        retractions = session.exec(
            select(Retraction)
            .where(col(Retraction.observation_id).in_(list(bearings)))
            .order_by(col(Retraction.recorded_at), Retraction.uuid)
        ).all()
        assessments = session.exec(
            select(Assessment)
            .where(col(Assessment.indicator_id).in_(in_sets))
            .order_by(Assessment.effective_on, col(Assessment.recorded_at), Assessment.uuid)
        ).all()
        evidence = evidence_of(session, [a.id or 0 for a in assessments], names)
        briefings = session.exec(
            select(IssuedBriefing)
            .where(col(IssuedBriefing.set_id).in_(set_ids))
            .order_by(IssuedBriefing.period_end, col(IssuedBriefing.issued_at), IssuedBriefing.uuid)
        ).all()
        return RecordFile.model_construct(
            tracker_export=RECORD_FILE_VERSION,
            sets=[exported_set(session, s) for s in sets],
            observations=[
                exported_observation(o, bearings[o.id or 0])
                for o in counted(observations, "observations", progress)
            ],
            retractions=[exported_retraction(r, names) for r in retractions],
            assessments=[
                exported_assessment(a, names, evidence.get(a.id or 0, [])) for a in assessments
            ],
            issued_briefings=[exported_briefing(b, names) for b in briefings],
        )


def bearings_where(
    session: Session, names: Names, condition: Any
) -> dict[int, list[ExportedBearing]]:
    """The bearings of the observations links matching `condition`, per observation, in order."""
    found: dict[int, list[ExportedBearing]] = defaultdict(list)
    for link in session.exec(select(ObservationIndicator).where(condition)).all():
        slug, key = names.indicators[link.indicator_id]
        found[link.observation_id].append(
            ExportedBearing.model_construct(set=slug, indicator=key, bearing=link.bearing)  # type: ignore[arg-type]
        )
    return {o: sorted(links, key=lambda b: (b.set, b.indicator)) for o, links in found.items()}


def evidence_of(session: Session, assessment_ids: list[int], names: Names) -> dict[int, list[str]]:
    cited: dict[int, list[str]] = defaultdict(list)
    for assessment_id, observation_id in session.exec(
        select(AssessmentEvidence.assessment_id, AssessmentEvidence.observation_id).where(
            col(AssessmentEvidence.assessment_id).in_(assessment_ids)
        )
    ).all():
        cited[assessment_id].append(names.observation_uuids[observation_id])
    return {a: sorted(uuids) for a, uuids in cited.items()}


def exported_set(session: Session, indicator_set: IndicatorSet) -> ExportedSet:
    themes = session.exec(
        select(Theme).where(Theme.set_id == indicator_set.id).order_by(Theme.position, Theme.key)
    ).all()
    theme_keys = {t.id: t.key for t in themes}
    indicators = session.exec(
        select(Indicator)
        .where(Indicator.set_id == indicator_set.id)
        .order_by(Indicator.position, Indicator.key)
    ).all()
    return ExportedSet.model_construct(
        slug=indicator_set.slug,
        title=indicator_set.title,
        description=indicator_set.description,
        sources=indicator_set.sources,
        definition_file=indicator_set.definition_file,
        loaded_at=indicator_set.loaded_at,
        loaded_by=indicator_set.loaded_by,
        themes=[
            ExportedTheme.model_construct(key=t.key, title=t.title, position=t.position)
            for t in themes
        ],
        indicators=[
            ExportedIndicator.model_construct(
                key=i.key,
                theme=theme_keys[i.theme_id],
                title=i.title,
                question=i.question,
                moved_when=i.moved_when,
                toward_means=i.toward_means,
                away_means=i.away_means,
                actors=i.actors,
                sources=i.sources,
                position=i.position,
                retired_at=i.retired_at,
            )
            for i in indicators
        ],
    )


def exported_observation(o: Observation, bearings: list[ExportedBearing]) -> ExportedObservation:
    return ExportedObservation.model_construct(
        uuid=o.uuid,
        event_date=o.event_date,
        recorded_at=o.recorded_at,
        summary=o.summary,
        quote=o.quote,
        note=o.note,
        source_title=o.source_title,
        source_publisher=o.source_publisher,
        source_url=o.source_url,
        source_date=o.source_date,
        unsourced=o.unsourced,
        reliability=o.reliability,  # type: ignore[arg-type]
        credibility=o.credibility,
        author=o.author,
        bearings=bearings,
    )


def exported_retraction(r: Retraction, names: Names) -> ExportedRetraction:
    return ExportedRetraction.model_construct(
        uuid=r.uuid,
        observation=names.observation_uuids[r.observation_id],
        reason=r.reason,
        author=r.author,
        recorded_at=r.recorded_at,
    )


def exported_assessment(a: Assessment, names: Names, evidence: list[str]) -> ExportedAssessment:
    slug, key = names.indicators[a.indicator_id]
    return ExportedAssessment.model_construct(
        uuid=a.uuid,
        set=slug,
        indicator=key,
        status=a.status,  # type: ignore[arg-type]
        direction=a.direction,  # type: ignore[arg-type]
        confidence=a.confidence,  # type: ignore[arg-type]
        rationale=a.rationale,
        author=a.author,
        effective_on=a.effective_on,
        recorded_at=a.recorded_at,
        evidence=evidence,
        supersedes=None if a.supersedes_id is None else names.assessment_uuids[a.supersedes_id],
    )


def exported_briefing(b: IssuedBriefing, names: Names) -> ExportedBriefing:
    return ExportedBriefing.model_construct(
        uuid=b.uuid,
        set=names.set_slugs[b.set_id],
        period_start=b.period_start,
        period_end=b.period_end,
        author=b.author,
        issued_at=b.issued_at,
    )
