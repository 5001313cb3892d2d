"""Retracting an observation: it stays on the record, marked retracted, with the reason why."""

from __future__ import annotations

from sqlmodel import select

from tracker.services import inputs
from tracker.services.clock import Clock
from tracker.services.lookup import find_observation
from tracker.services.records import RecordedRetraction
from tracker.storage.database import Database
from tracker.storage.models import Retraction


def retract_observation(
    db: Database, observation_ref: str, reason: str, clock: Clock, author: str | None = None
) -> RecordedRetraction:
    """Record that an observation should no longer count, in one transaction. Nothing is deleted:
    assessments that cited it keep their citation, and as-of views before today still count it."""
    with inputs.checking("reason"):
        checked_reason = inputs.required_text(reason, "the reason for retracting")
    with inputs.checking("author"):
        checked_author = inputs.author(author)
    with db.writing() as session:
        with inputs.checking("observation"):
            observation = find_observation(session, observation_ref)
        earlier = session.exec(
            select(Retraction).where(Retraction.observation_id == observation.id)
        ).first()
        if earlier is not None:
            raise inputs.InputError(
                f"observation {observation.uuid} was already retracted on "
                f"{earlier.recorded_at.date().isoformat()} by {earlier.author}: {earlier.reason}",
                field="observation",
            )
        assert observation.id is not None
        retraction = Retraction(
            observation_id=observation.id,
            reason=checked_reason,
            author=checked_author,
            recorded_at=clock.now(),
        )
        session.add(retraction)
        session.flush()
        return RecordedRetraction(
            id=retraction.uuid,
            observation_id=observation.uuid,
            recorded_at=retraction.recorded_at,
        )
