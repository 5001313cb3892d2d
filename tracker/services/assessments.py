"""Marking an indicator moved or unmoved: an assessment, with its reason and evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from tracker.services import inputs
from tracker.services.clock import Clock
from tracker.services.lookup import find_indicator, find_observation
from tracker.services.records import RecordedAssessment
from tracker.storage.database import Database
from tracker.storage.models import (
    Assessment,
    AssessmentEvidence,
    Indicator,
    ObservationIndicator,
    Retraction,
)
from tracker.vocabulary import Confidence, Direction, Status


@dataclass(frozen=True)
class AssessmentDraft:
    """What the analyst entered, as typed. `assess_indicator` checks every field."""

    indicator_key: str
    status: str
    rationale: str
    direction: str | None = None
    confidence: str = Confidence.MEDIUM.value
    evidence: list[str] = field(default_factory=list)  # observation ids or id prefixes
    effective_on: str | None = None  # YYYY-MM-DD; today when not given
    author: str | None = None
    set_slug: str | None = None


def assess_indicator(db: Database, draft: AssessmentDraft, clock: Clock) -> RecordedAssessment:
    """Check the draft, then write the assessment and its evidence in one transaction."""
    today = clock.today()
    with inputs.checking("status"):
        status = inputs.choice(draft.status, Status, "status")
    with inputs.checking("direction"):
        direction = _checked_direction(status, draft.direction)
    with inputs.checking("confidence"):
        confidence = inputs.choice(draft.confidence, Confidence, "confidence")
    with inputs.checking("rationale"):
        rationale = inputs.required_text(draft.rationale, "the reason (why)")
    with inputs.checking("effective_on"):
        effective_on = (
            inputs.not_in_future(inputs.parse_date(draft.effective_on, "date"), today, "the date")
            if draft.effective_on is not None
            else today
        )
    with inputs.checking("author"):
        author = inputs.author(draft.author)

    with db.writing() as session:
        with inputs.checking("indicator_key"):
            indicator = find_indicator(session, draft.indicator_key, draft.set_slug)
        with inputs.checking("evidence"):
            evidence = [
                _checked_evidence(session, indicator, ref, effective_on) for ref in draft.evidence
            ]
        assert indicator.id is not None
        assessment = Assessment(
            indicator_id=indicator.id,
            status=status.value,
            direction=direction.value if direction else None,
            confidence=confidence.value,
            rationale=rationale,
            author=author,
            effective_on=effective_on,
            recorded_at=clock.now(),
        )
        session.add(assessment)
        session.flush()
        assert assessment.id is not None
        for observation_id in dict.fromkeys(evidence):
            session.add(
                AssessmentEvidence(assessment_id=assessment.id, observation_id=observation_id)
            )
        return RecordedAssessment(
            id=assessment.uuid,
            indicator_key=indicator.key,
            status=assessment.status,
            direction=assessment.direction,
            effective_on=effective_on,
            recorded_at=assessment.recorded_at,
        )


def _checked_direction(status: Status, raw: str | None) -> Direction | None:
    given = inputs.optional_text(raw, "direction")
    if status is Status.MOVED:
        if given is None:
            raise inputs.InputError(
                "a moved indicator needs a direction: toward or away (from a settlement)"
            )
        return inputs.choice(given, Direction, "direction")
    if given is not None:
        raise inputs.InputError("an unmoved indicator has no direction; leave it out")
    return None


def _checked_evidence(session: Session, indicator: Indicator, ref: str, effective_on: date) -> int:
    """The observation's row id, if it can be cited for this assessment."""
    observation = find_observation(session, ref)
    assert observation.id is not None
    bears = session.exec(
        select(ObservationIndicator.bearing).where(
            ObservationIndicator.observation_id == observation.id,
            ObservationIndicator.indicator_id == indicator.id,
        )
    ).first()
    if bears is None:
        raise inputs.InputError(
            f"observation {observation.uuid} does not bear on '{indicator.key}'; "
            "only observations logged against this indicator can be its evidence"
        )
    if session.exec(
        select(Retraction.id).where(Retraction.observation_id == observation.id)
    ).first():
        raise inputs.InputError(f"observation {observation.uuid} was retracted; cite another")
    if observation.event_date > effective_on:
        raise inputs.InputError(
            f"observation {observation.uuid} is dated {observation.event_date}, after the "
            f"assessment's date {effective_on}; evidence cannot come from after the judgement"
        )
    return observation.id
