"""Marking an indicator moved or unmoved: an assessment, with its reason and evidence.

Two analysts may mark the same indicator at once. Each assessment records the one it
supersedes (the indicator's latest when it was written). An analyst who says which assessment
they saw as the latest (`AssessmentDraft.supersedes`) is stopped with `MarkedMeanwhile` when a
colleague's has come since, and nothing is written, unless they insist (`force`). The check
and the write are one write transaction, and writers take turns (see storage.database), so two
marks made at the same moment cannot both pass it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from tracker.errors import TrackerError
from tracker.services import inputs
from tracker.services.clock import Clock
from tracker.services.lookup import MIN_ID_PREFIX, find_indicator, find_observation
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
    # The assessment the analyst saw as the indicator's latest: its id or a prefix, or
    # NO_ASSESSMENT when they saw it unassessed. None: not stated, so not checked.
    supersedes: str | None = None
    # Record it even if a newer assessment came since the one they saw.
    force: bool = False


NO_ASSESSMENT = "none"


@dataclass(frozen=True)
class LatestAssessment:
    """The indicator's latest assessment, as the analyst should see it before overruling it."""

    id: str
    status: str
    direction: str | None
    confidence: str
    rationale: str
    author: str
    effective_on: date
    recorded_at: datetime


class MarkedMeanwhile(TrackerError):
    """The indicator was marked since the assessment the analyst saw; nothing was recorded."""

    def __init__(self, indicator_key: str, seen: str | None, latest: LatestAssessment) -> None:
        self.indicator_key = indicator_key
        self.seen = seen
        self.latest = latest
        direction = f" {latest.direction}" if latest.direction else ""
        saw = f"assessment {seen[:8]}" if seen else "no assessment"
        super().__init__(
            f"'{indicator_key}' was marked {latest.status}{direction} by {latest.author} "
            f"(assessment {latest.id[:8]}, recorded {latest.recorded_at:%Y-%m-%d %H:%M} UTC, "
            f"effective {latest.effective_on.isoformat()}) since you saw {saw}; "
            "nothing was recorded"
        )


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
        latest = _latest(session, indicator.id)
        if draft.supersedes is not None:
            with inputs.checking("supersedes"):
                seen = _seen(session, indicator, draft.supersedes)
            if (latest.uuid if latest else None) != seen and not draft.force:
                assert latest is not None  # what they saw exists, so there is a latest
                raise MarkedMeanwhile(indicator.key, seen, _shown(latest))
        assessment = Assessment(
            indicator_id=indicator.id,
            status=status.value,
            direction=direction.value if direction else None,
            confidence=confidence.value,
            rationale=rationale,
            author=author,
            effective_on=effective_on,
            recorded_at=_after_the_others(session, indicator.id, effective_on, clock.now()),
            supersedes_id=latest.id if latest else None,
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
            supersedes=latest.uuid if latest else None,
        )


def _after_the_others(session: Session, indicator_id: int, day: date, now: datetime) -> datetime:
    """When this assessment is recorded: now, or just after the last one recorded for the same
    indicator and day if that one's time is later. On a shared database each analyst's clock
    stamps their own records; a clock running ahead must not keep a later assessment from
    becoming the current one (the latest recorded wins among those of one day)."""
    last = session.exec(
        select(func.max(Assessment.recorded_at)).where(
            Assessment.indicator_id == indicator_id, Assessment.effective_on == day
        )
    ).one()
    return max(now, last + timedelta(microseconds=1)) if last is not None else now


def _latest(session: Session, indicator_id: int) -> Assessment | None:
    """The indicator's current status: the latest effective, the last recorded on a tie."""
    return session.exec(
        select(Assessment)
        .where(Assessment.indicator_id == indicator_id)
        .order_by(
            col(Assessment.effective_on).desc(),
            col(Assessment.recorded_at).desc(),
            col(Assessment.id).desc(),
        )
        .limit(1)
    ).first()


def _seen(session: Session, indicator: Indicator, seen_ref: str) -> str | None:
    """The id of the assessment the analyst says they saw as the latest (None: none)."""
    seen_ref = seen_ref.strip().lower()
    if seen_ref == NO_ASSESSMENT:
        return None
    if len(seen_ref) < MIN_ID_PREFIX:
        raise inputs.InputError(
            f"assessment id '{seen_ref}' is too short; give at least {MIN_ID_PREFIX} "
            f"characters, or '{NO_ASSESSMENT}'"
        )
    known = session.exec(
        select(Assessment.uuid).where(
            Assessment.indicator_id == indicator.id,
            col(Assessment.uuid).startswith(seen_ref, autoescape=True),
        )
    ).all()
    if not known:
        raise inputs.InputError(f"'{indicator.key}' has no assessment with id '{seen_ref}'")
    if len(known) > 1:
        raise inputs.InputError(f"assessment id '{seen_ref}' is ambiguous; give more of it")
    return known[0]


def _shown(assessment: Assessment) -> LatestAssessment:
    return LatestAssessment(
        id=assessment.uuid,
        status=assessment.status,
        direction=assessment.direction,
        confidence=assessment.confidence,
        rationale=assessment.rationale,
        author=assessment.author,
        effective_on=assessment.effective_on,
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
