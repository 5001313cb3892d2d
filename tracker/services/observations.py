"""Recording an observation: a dated piece of evidence bearing on one or more indicators."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.services import inputs
from tracker.services.clock import Clock
from tracker.services.lookup import find_indicator
from tracker.services.records import RecordedObservation
from tracker.storage.database import Database
from tracker.storage.models import Observation, ObservationIndicator
from tracker.vocabulary import Bearing


@dataclass(frozen=True)
class ObservationDraft:
    """What the analyst entered, as typed. `record_observation` checks every field."""

    bearings: list[tuple[str, str]]  # (indicator key, toward|away|none)
    summary: str
    event_date: str | None = None  # YYYY-MM-DD; today when not given
    quote: str | None = None
    note: str | None = None
    source_title: str | None = None
    source_publisher: str | None = None
    source_url: str | None = None
    source_date: str | None = None
    reliability: str | None = None
    credibility: str | int | None = None
    author: str | None = None
    set_slug: str | None = None


def record_observation(db: Database, draft: ObservationDraft, clock: Clock) -> RecordedObservation:
    """Check the draft, then write the observation and its links in one transaction."""
    today = clock.today()
    with inputs.checking("summary"):
        summary = inputs.required_text(draft.summary, "the observation's text")
    with inputs.checking("event_date"):
        event_date = (
            inputs.not_in_future(inputs.parse_date(draft.event_date, "date"), today, "the date")
            if draft.event_date is not None
            else today
        )
    with inputs.checking("source_date"):
        source_date = (
            inputs.not_in_future(
                inputs.parse_date(draft.source_date, "source date"), today, "the source date"
            )
            if draft.source_date
            else None
        )
    with inputs.checking("reliability"):
        reliability = inputs.reliability_grade(draft.reliability)
    with inputs.checking("credibility"):
        credibility = inputs.credibility_grade(draft.credibility)
    with inputs.checking("author"):
        author = inputs.author(draft.author)
    with inputs.checking("quote"):
        quote = inputs.optional_text(draft.quote, "the quote")
    with inputs.checking("note"):
        note = inputs.optional_text(draft.note, "the note")
    with inputs.checking("source_title"):
        source_title = inputs.optional_text(draft.source_title, "the source title")
    with inputs.checking("source_publisher"):
        source_publisher = inputs.optional_text(draft.source_publisher, "the publisher")
    with inputs.checking("source_url"):
        source_url = inputs.optional_text(draft.source_url, "the URL")
    with inputs.checking("bearings"):
        bearings = _checked_bearings(draft.bearings)

    with db.writing() as session, inputs.checking("bearings"):
        indicators = [
            (find_indicator(session, key, draft.set_slug), bearing) for key, bearing in bearings
        ]
        observation = Observation(
            event_date=event_date,
            recorded_at=clock.now(),
            summary=summary,
            quote=quote,
            note=note,
            source_title=source_title,
            source_publisher=source_publisher,
            source_url=source_url,
            source_date=source_date,
            unsourced=source_title is None and source_publisher is None and source_url is None,
            reliability=reliability,
            credibility=credibility,
            author=author,
        )
        session.add(observation)
        session.flush()
        assert observation.id is not None
        for indicator, bearing in indicators:
            assert indicator.id is not None
            session.add(
                ObservationIndicator(
                    observation_id=observation.id,
                    indicator_id=indicator.id,
                    bearing=bearing.value,
                    event_date=event_date,
                )
            )
        return RecordedObservation(
            id=observation.uuid,
            event_date=event_date,
            recorded_at=observation.recorded_at,
            unsourced=observation.unsourced,
            indicator_keys=tuple(indicator.key for indicator, _ in indicators),
        )


def _checked_bearings(raw: list[tuple[str, str]]) -> list[tuple[str, Bearing]]:
    if not raw:
        raise inputs.InputError("name at least one indicator the observation bears on")
    checked: dict[str, Bearing] = {}
    for key, bearing_text in raw:
        key = key.strip()
        bearing = inputs.choice(bearing_text, Bearing, f"the bearing on '{key}'")
        if key in checked and checked[key] is not bearing:
            raise inputs.InputError(
                f"indicator '{key}' is given twice with different bearings "
                f"({checked[key].value} and {bearing.value})"
            )
        checked[key] = bearing
    return list(checked.items())
