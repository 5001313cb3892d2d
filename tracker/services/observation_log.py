"""The observation log: everything logged, across indicators, newest first, searched and filtered.

Text search finds observations whose summary, quote, note or source title or publisher hold
every word of the search, ignoring case: `umerov miami` (both words, anywhere), `"joint
statement"` (those words next to each other, in order), `negot*` (a word starting so). Words
are letters and digits; everything else separates them, so `Kyiv's` is the phrase "kyiv s". The
engine's own full-text index answers (see tracker/storage/fulltext.py). Results come a page at a
time, so the log never loads the whole record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, exists, func
from sqlmodel import col, select

from tracker.services.history import ObservationEntry, observation_entry
from tracker.services.lookup import find_indicator
from tracker.services.status import PointInTime
from tracker.storage.database import Database
from tracker.storage.fulltext import SearchTerm, observation_matches
from tracker.storage.models import (
    Indicator,
    IndicatorSet,
    Observation,
    ObservationIndicator,
    Retraction,
)

PAGE_SIZE = 200


@dataclass(frozen=True)
class ObservationQuery:
    text: str = ""
    indicator_key: str | None = None
    set_slug: str | None = None
    since: date | None = None
    until: date | None = None
    author: str | None = None
    reliability: str | None = None
    credibility: int | None = None
    # The record as it stood then: observations dated after it are left out, and retractions
    # recorded after it not yet shown (the rules of `status_as_of`).
    as_of: PointInTime | None = None


@dataclass(frozen=True)
class LoggedObservation:
    entry: ObservationEntry
    bearings: tuple[tuple[str, str], ...]  # (indicator key, bearing), in the set's order
    set_slug: str | None  # the set of the indicators it bears on


@dataclass(frozen=True)
class ObservationPage:
    total: int  # how many match, of which `entries` is the page asked for
    offset: int
    entries: tuple[LoggedObservation, ...]


_TERM = re.compile(r'"([^"]*)"(\*?)|(\S+)')
_WORD = re.compile(r"[^\W_]+")


def search_terms(text: str) -> list[SearchTerm]:
    """The words, "quoted phrases" and prefixes* of a search, lower-cased. A term with no
    letter or digit in it (a lone `%`) searches for nothing and is dropped."""
    terms: list[SearchTerm] = []
    for phrase, phrase_star, bare in _TERM.findall(text):
        words = tuple(_WORD.findall((phrase or bare).lower()))
        if words:
            prefix = bool(phrase_star) or bare.endswith("*")
            terms.append(SearchTerm(words, prefix=prefix))
    return terms


def search_observations(
    db: Database, query: ObservationQuery, *, offset: int = 0, limit: int = PAGE_SIZE
) -> ObservationPage:
    with db.reading() as session:
        conditions = _conditions(db, query)
        if query.indicator_key:
            indicator = find_indicator(
                session, query.indicator_key, query.set_slug, allow_retired=True
            )
            conditions.append(
                exists().where(
                    ObservationIndicator.observation_id == Observation.id,
                    ObservationIndicator.indicator_id == indicator.id,
                )
            )
        total = session.exec(
            select(func.count()).select_from(Observation).where(and_(True, *conditions))
        ).one()
        retracted = col(Retraction.observation_id) == Observation.id
        if query.as_of is not None:
            retracted = retracted & (col(Retraction.recorded_at) < query.as_of.cutoff)
        rows = session.exec(
            select(Observation, Retraction)
            .outerjoin(Retraction, retracted)
            .where(and_(True, *conditions))
            .order_by(
                col(Observation.event_date).desc(),
                col(Observation.recorded_at).desc(),
                col(Observation.id).desc(),
            )
            .offset(offset)
            .limit(limit)
        ).all()
        bearings: dict[int, list[tuple[str, str]]] = {}
        sets: dict[int, str] = {}
        if rows:
            links = session.exec(
                select(
                    ObservationIndicator.observation_id,
                    Indicator.key,
                    ObservationIndicator.bearing,
                    IndicatorSet.slug,
                )
                .join(Indicator, col(Indicator.id) == ObservationIndicator.indicator_id)
                .join(IndicatorSet, col(IndicatorSet.id) == Indicator.set_id)
                .where(col(ObservationIndicator.observation_id).in_([o.id for o, _ in rows]))
                .order_by(Indicator.set_id, Indicator.position)
            ).all()
            for observation_id, key, bearing, set_slug in links:
                bearings.setdefault(observation_id, []).append((key, bearing))
                sets.setdefault(observation_id, set_slug)
    return ObservationPage(
        total=total,
        offset=offset,
        entries=tuple(
            LoggedObservation(
                entry=observation_entry(o, None, r),
                bearings=tuple(bearings.get(o.id or 0, ())),
                set_slug=sets.get(o.id or 0),
            )
            for o, r in rows
        ),
    )


def _conditions(db: Database, query: ObservationQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if terms := search_terms(query.text):
        conditions.append(observation_matches(db.engine, terms))
    if query.since:
        conditions.append(col(Observation.event_date) >= query.since)
    if query.until:
        conditions.append(col(Observation.event_date) <= query.until)
    if query.as_of is not None:
        conditions.append(col(Observation.event_date) <= query.as_of.day)
    if query.author:
        conditions.append(col(Observation.author) == query.author)
    if query.reliability:
        conditions.append(col(Observation.reliability) == query.reliability)
    if query.credibility:
        conditions.append(col(Observation.credibility) == query.credibility)
    return conditions


def observation_authors(db: Database) -> list[str]:
    with db.reading() as session:
        return list(
            session.exec(select(Observation.author).distinct().order_by(Observation.author)).all()
        )
