"""The observation log: everything logged, across indicators, newest first, searched and filtered.

Text search finds observations whose summary, quote, note or source title or publisher hold
every word of the search, ignoring case: `umerov miami` (both words, anywhere), `"joint
statement"` (those words next to each other, in order), `negot*` (a word starting so). Words
are letters and digits; everything else separates them, so `Kyiv's` is the phrase "kyiv s". The
engine's own full-text index answers (see tracker/storage/fulltext.py). Results come a page at a
time, each page from the last row shown (`read_log`), so the log never loads the whole record
and the last page costs what the first does. On SQLite, a page of a word search is put together
from the matches nearest it rather than by sorting them all (`_NearestMatches`): a common word
matches most of a million observations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, String, and_, exists, func, literal, or_, tuple_, type_coerce
from sqlmodel import Session, col, select

from tracker.services.history import ObservationEntry, observation_entry
from tracker.services.lookup import find_indicator
from tracker.services.status import PointInTime
from tracker.storage.database import Database
from tracker.storage.fulltext import IndexSearch, SearchTerm, index_search, observation_matches
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


@dataclass(frozen=True, order=True)
class LogKey:
    """Where an observation stands in the log: the log lists the largest first."""

    event_date: date
    recorded_at: datetime
    id: int


# Which way from a row the next page lies: down the log (older) or up it (newer).
Toward = Literal["older", "newer"]


@dataclass(frozen=True)
class LoggedObservation:
    entry: ObservationEntry
    bearings: tuple[tuple[str, str], ...]  # (indicator key, bearing), in the set's order
    set_slug: str | None  # the set of the indicators it bears on
    key: LogKey


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
    """The matches counted, and the page of them starting at `offset`. Reaching a deep page
    this way steps over every row before it: the app pages with `read_log` instead."""
    with db.reading() as session:
        log = _Log(session, db, query)
        total = log.count()
        entries = _logged(session, log.page(None, "older", limit, offset=offset))
    return ObservationPage(total=total, offset=offset, entries=entries)


def read_log(
    db: Database,
    query: ObservationQuery,
    *,
    after: LogKey | None = None,
    toward: Toward = "older",
    limit: int = PAGE_SIZE,
) -> tuple[LoggedObservation, ...]:
    """Up to `limit` matches next to `after` in the log, always listed newest first: those just
    below it (`toward="older"`) or just above it (`"newer"`). Without `after`, the newest page,
    or the oldest one toward "newer". Each page is one range of an index, however deep."""
    with db.reading() as session:
        return _logged(session, _Log(session, db, query).page(after, toward, limit))


def count_log(db: Database, query: ObservationQuery) -> int:
    """How many observations match."""
    with db.reading() as session:
        return _Log(session, db, query).count()


class _Log:
    """The selects behind a search of the log. With an indicator chosen, the log runs from that
    indicator's bearings, in their (indicator, date) index, so a rarely observed indicator does
    not walk the whole log to fill a page. A search for words on SQLite is planned apart (see
    `_NearestMatches`)."""

    def __init__(self, session: Session, db: Database, query: ObservationQuery) -> None:
        self.session = session
        self.query = query
        self.indicator_id: int | None = None
        if query.indicator_key:
            indicator = find_indicator(
                session, query.indicator_key, query.set_slug, allow_retired=True
            )
            self.indicator_id = indicator.id
        terms = search_terms(query.text)
        # The index asked directly: on SQLite, for any words.
        self.search = index_search(session.connection(), terms) if terms and db.is_sqlite else None
        self.words: list[ColumnElement[bool]] = []
        if self.search is not None:
            self.words.append(self.search.condition())
        elif terms:
            self.words.append(observation_matches(db.engine, terms))
        self.days = _day_conditions(query)
        self.others = _other_conditions(query)

    def count(self) -> int:
        if self.search is not None and self.indicator_id is None and not self.days + self.others:
            # The index counts its own matches many times faster than the table can be joined.
            return self.search.count()
        return self.session.exec(
            self._from_bearings(select(func.count()).select_from(Observation))
        ).one()

    def page(
        self, after: LogKey | None, toward: Toward, limit: int, *, offset: int = 0
    ) -> list[tuple[Observation, Retraction | None]]:
        """The `limit` matches next to `after` (skipping the first `offset`), newest first."""
        wanted, search = offset + limit, self.search
        if (
            search is not None
            and limit > 0
            and wanted <= _NearestMatches.MOST_WANTED
            and not self._bearings_first(search, wanted)
        ):
            ids = _NearestMatches(self, search, after, toward).ids(wanted)
            if ids is not None:
                return self._rows(ids[offset:], newest_first=toward == "older")
        return self._page_in_one_select(after, toward, limit, offset)

    def _bearings_first(self, search: IndexSearch, wanted: int) -> bool:
        """With an indicator chosen, whether the one select, which runs from its bearings,
        costs less than examining the matches (`_NearestMatches`): SQLite lists the matches
        once, then reads bearings in the log's order until the page is full, while examining
        reads matches until enough of them bear on the indicator."""
        if self.indicator_id is None:
            return False
        connection = self.session.connection()
        observations = connection.execute(select(func.max(Observation.id))).scalar() or 1
        bearings = connection.execute(
            select(func.count()).where(col(ObservationIndicator.indicator_id) == self.indicator_id)
        ).scalar_one()
        # The matches, from how far the newest few reach down the ids.
        sample = search.rowids(beyond=None, descending=True, limit=_MATCHES_SAMPLE)
        matches = len(sample)
        if matches == _MATCHES_SAMPLE:
            matches = matches * observations // max(sample[0] - sample[-1], 1)
        # Examining reads matches until enough bear on the indicator, then the log's index
        # down to the farthest of them; costs in entries of the log's index read.
        examined = min(matches, wanted * observations / max(bearings, 1))
        if examined > _NearestMatches.BUDGET:
            return True
        reach = wanted * observations / max(matches, 1) * observations / max(bearings, 1)
        examining = _NearestMatches.LOOKUP_IN_INDEX_ENTRIES * examined + min(observations, reach)
        read = min(bearings, wanted * observations / max(matches, 1))
        from_bearings = _LISTED_IN_INDEX_ENTRIES * matches + _BEARING_IN_INDEX_ENTRIES * read
        return from_bearings < examining

    def _page_in_one_select(
        self, after: LogKey | None, toward: Toward, limit: int, offset: int
    ) -> list[tuple[Observation, Retraction | None]]:
        order = self.newest_first() if toward == "older" else self.oldest_first()
        rows = self._from_bearings(self._with_retraction())
        if after is not None:
            here = tuple_(*self.key_columns())
            there = tuple_(literal(after.event_date), literal(after.recorded_at), literal(after.id))
            rows = rows.where(here < there if toward == "older" else here > there)
        found = list(self.session.exec(rows.order_by(*order).offset(offset).limit(limit)).all())
        if toward == "newer":
            found.reverse()
        return found

    def _rows(
        self, ids: list[int], *, newest_first: bool
    ) -> list[tuple[Observation, Retraction | None]]:
        """The observations of `ids`, in that order (reversed unless `newest_first`)."""
        if not ids:
            return []
        found = self.session.exec(self._with_retraction().where(col(Observation.id).in_(ids))).all()
        place = {id_: at for at, id_ in enumerate(ids)}
        found = sorted(found, key=lambda row: place[row[0].id or 0])
        return found if newest_first else found[::-1]

    def _with_retraction(self) -> Any:
        retracted = col(Retraction.observation_id) == Observation.id
        if self.query.as_of is not None:
            retracted = retracted & (col(Retraction.recorded_at) < self.query.as_of.cutoff)
        return select(Observation, Retraction).outerjoin(Retraction, retracted)

    def _from_bearings(self, statement: Any) -> Any:
        conditions = and_(True, *self.words, *self.days, *self.others)
        if self.indicator_id is None:
            return statement.where(conditions)
        return statement.join(
            ObservationIndicator,
            (col(ObservationIndicator.observation_id) == Observation.id)
            & (col(ObservationIndicator.indicator_id) == self.indicator_id),
        ).where(conditions)

    def key_columns(self) -> tuple[Any, Any, Any]:
        # The same date either way (a bearing copies its observation's), read from the index
        # the select runs along.
        day = ObservationIndicator.event_date if self.indicator_id else Observation.event_date
        return col(day), col(Observation.recorded_at), col(Observation.id)

    def newest_first(self) -> list[Any]:
        return [column.desc() for column in self.key_columns()]

    def oldest_first(self) -> list[Any]:
        return [column.asc() for column in self.key_columns()]


# Where an observation stands in the log as SQLite holds it: (event_date, recorded_at) as the
# text they are stored as, and the id. Python orders these tuples exactly as SQLite orders the
# columns (text byte by byte; the text is ASCII), so keys read back can be compared here.
_StoredKey = tuple[str, str, int]

# Matches read to tell how common the words are.
_MATCHES_SAMPLE = 512
# What the one select costs SQLite, in entries of the log's index read (a tenth of a
# microsecond each): listing a match of the full-text index; reading a bearing and its
# observation. Measured on a million observations.
_LISTED_IN_INDEX_ENTRIES = 3
_BEARING_IN_INDEX_ENTRIES = 20
# Observations read to find an id typical of a place in the log.
_TYPICAL = 32
# Rowids below the smallest and above the largest there can be.
_BOTTOM = -(2**63)
_TOP = 2**63 - 1


class _NearestMatches:
    """The matches of a word search next to a place in the log, on SQLite, without reading
    every match. FTS5 hands out matches in rowid (id) order only, the log runs in (event_date,
    recorded_at, id) order, and ids rise with recorded_at, which runs a little behind the date:
    the two orders nearly agree, and two steps make up the difference exactly.

    1. Examine the matches nearest the place in id order, a batch at a time: read each one's
       place in the log, and the other filters, from the table, and keep those on the page's
       side of the place. Every match with an id in the interval walked is then known.
    2. Once `wanted` are kept, the farthest of the nearest `wanted` (the mark) bounds the page.
       An observation with an id outside the interval may still lie in the log between the
       place and the mark (it was logged long after the day it happened, say): the log's own
       index, read from the place to the mark, lists those, and FTS5 says which match.

    With few matches, examining them all costs least and step 2 is not needed; when that would
    cost more than reading the log's index from the place to the mark (or to the end of the
    dates asked for), step 2 runs. When neither pays (the filters keep almost none of the
    matches), `ids` returns None and the caller asks the database in one select."""

    # Reading an observation by id costs about what reading this many entries of the log's
    # index does (more when its page is not in memory).
    LOOKUP_IN_INDEX_ENTRIES = 60
    # Matches examined before giving up on this plan: a few milliseconds per thousand.
    BUDGET = 4_000
    # Reading this many entries of the log's index costs too little to avoid.
    SHORT_SCAN = 15_000
    # More observations out of id order than this between the place and the mark, and the one
    # select does better.
    MOST_STRAGGLERS = 20_000
    # Matches examined in the first batch beyond the page: the few the place or the filters
    # turn away then rarely cost a second batch.
    SPARE = 16
    # The most matches examined at once (each a parameter of one select).
    LARGEST_BATCH = 8_192
    # Deeper than this (`search_observations` with a large offset), the one select.
    MOST_WANTED = 2_000

    def __init__(
        self, log: _Log, search: IndexSearch, after: LogKey | None, toward: Toward
    ) -> None:
        self.log = log
        self.search = search
        self.after = after
        self.older = toward == "older"
        self.connection = log.session.connection()
        self.kept: list[_StoredKey] = []
        self.examined = 0
        query = log.query
        # Whether the page starts somewhere other than an end of the log, and whether the dates
        # asked for end it before the other end.
        until = query.until is not None or query.as_of is not None
        self.placed = after is not None or (until if self.older else query.since is not None)
        self.bounded = query.since is not None if self.older else until
        # Every match with an id in [low, high] has been examined. The interval starts empty
        # at the place, grows first away from it (down the ids for older rows) and then, when
        # no match is left that way, the other way: none is left that way from an end.
        self.low, self.high = _TOP + 1, _TOP
        self.away_done = False
        self.back_done = not self.placed
        self.place = 0  # the id the interval starts from
        self.ends: tuple[int, int] | None = None
        self.far: int | None = None

    def ids(self, wanted: int) -> list[int] | None:
        """The ids of the `wanted` matches nearest the place, nearest first; None when the one
        select would do better."""
        first, last = self._ends()
        if self.placed:
            nearest = self._row_at_end(nearest=True)
            if nearest is None:
                return []
            self.place = nearest
            self.low, self.high = (nearest + 1, nearest) if self.older else (nearest, nearest - 1)
        else:
            self.place = last if self.older else first
            if not self.older:
                self.low, self.high = _BOTTOM, _BOTTOM - 1
        budget = max(self.BUDGET, 4 * wanted)
        batch = wanted + wanted // 4 + self.SPARE
        batches = 0
        while not (self.away_done and self.back_done):
            room = budget - self.examined
            # Not before a first batch: until then every observation would be out of place.
            if batches and self._scan_pays(wanted, room):
                break
            if room <= 0:
                if self._mark(wanted) is None:
                    return None  # the filters keep too few of the matches
                break
            self._examine_batch(min(batch, room, self.LARGEST_BATCH))
            batches += 1
            batch = self._next_batch(wanted, batch, budget - self.examined)
        else:
            return [id_ for *_, id_ in self._nearest(wanted)]
        if not self._examine_stragglers(wanted):
            return None
        return [id_ for *_, id_ in self._nearest(wanted)]

    def _nearest(self, wanted: int) -> list[_StoredKey]:
        return sorted(self.kept, reverse=self.older)[:wanted]

    def _mark(self, wanted: int) -> _StoredKey | None:
        """The farthest of the `wanted` nearest matches kept, once that many are kept."""
        return self._nearest(wanted)[-1] if len(self.kept) >= wanted else None

    def _examine_batch(self, size: int) -> None:
        down = self.older != self.away_done
        if down:
            beyond = self.low if self.low <= _TOP else None
        else:
            beyond = self.high if self.high >= _BOTTOM else None
        found = self.search.rowids(beyond=beyond, descending=down, limit=size)
        self.examined += len(found)
        self.kept += self._examine(found)
        last = len(found) < size
        if down:
            self.low = _BOTTOM if last else found[-1]
        else:
            self.high = _TOP if last else found[-1]
        if last and self.away_done:
            self.back_done = True
        elif last:
            self.away_done = True

    def _next_batch(self, wanted: int, batch: int, room: int) -> int:
        need = wanted - len(self.kept)
        if need <= 0:
            return room  # the rest, as `_scan_pays` found examining it cheaper
        if not self.kept:
            return batch * 4
        return min(batch * 8, int(need * self.examined / len(self.kept) * 1.25) + 16)

    def _scan_pays(self, wanted: int, room: int) -> bool:
        """Whether to stop examining matches and read the log's index instead: from the place
        to the mark once there is one (only observations out of id order come back from it), or
        else to the far end of the dates asked for (all not yet examined come back)."""
        mark = self._mark(wanted)
        if mark is None:
            return abs(self.place - self._far_end()) <= self.SHORT_SCAN
        entries = abs(self.place - mark[2])
        if entries <= self.SHORT_SCAN:
            return True
        first, last = self._ends()
        walked = min(self.high, last) - max(self.low, first) + 1
        left = max(0, min(self.low, last + 1) - first) + max(0, last - max(self.high, first - 1))
        matches_left = self.examined * left / max(walked, 1)
        return matches_left > room or entries <= matches_left * self.LOOKUP_IN_INDEX_ENTRIES

    def _far_end(self) -> int:
        """The id of the observation farthest from the place on the dates asked for."""
        if self.far is None:
            first, last = self._ends()
            end = first if self.older else last
            self.far = (self._row_at_end(nearest=False) or self.place) if self.bounded else end
        return self.far

    def _ends(self) -> tuple[int, int]:
        """The smallest and largest id in the log."""
        if self.ends is None:
            # Apart, each is one step down the table's tree; together, a read of it all.
            first, last = self.connection.execute(
                select(
                    select(func.min(Observation.id)).scalar_subquery(),
                    select(func.max(Observation.id)).scalar_subquery(),
                )
            ).one()
            self.ends = (first or 0, last or 0)
        return self.ends

    def _row_at_end(self, *, nearest: bool) -> int | None:
        """An id typical of the observations nearest the place (or farthest from it) among
        those on the page's side of it, on the dates asked for: the median of the first few
        in the log's index, so that one logged long after its day does not lead astray."""
        key = tuple(_log_key_columns())
        order = [column.desc() if self.older == nearest else column.asc() for column in key]
        statement = select(col(Observation.id)).where(*self.log.days, *self._beyond_place())
        ids = sorted(self.connection.execute(statement.order_by(*order).limit(_TYPICAL)).scalars())
        return ids[len(ids) // 2] if ids else None

    def _beyond_place(self) -> list[ColumnElement[bool]]:
        if self.after is None:
            return []
        here = tuple_(*_log_key_columns())
        there = tuple_(
            literal(self.after.event_date, col(Observation.event_date).type),
            literal(self.after.recorded_at, col(Observation.recorded_at).type),
            literal(self.after.id),
        )
        return [here < there if self.older else here > there]

    def _examine_stragglers(self, wanted: int) -> bool:
        """Step 2: examine the observations between the place and the mark (or the end) whose
        ids lie outside the interval. False when there are too many for this plan."""
        mark = self._mark(wanted)
        # (The interval is not empty: it holds the first batch.)
        outside: list[ColumnElement[bool]] = []
        if self.low > _BOTTOM:
            outside.append(_unindexed_id() < self.low)
        if self.high < _TOP:
            outside.append(_unindexed_id() > self.high)
        if not outside:
            return True
        day, moment = _stored_key_columns()
        # Read from the log's index alone, which holds the id too.
        between = [*self.log.days, *self._beyond_place()]
        if mark is not None:
            stored = tuple_(day, moment, col(Observation.id))
            bound = tuple_(literal(mark[0], String), literal(mark[1], String), literal(mark[2]))
            between.append(stored > bound if self.older else stored < bound)
        rows = self.connection.execute(
            select(day, moment, col(Observation.id)).where(*between, or_(*outside))
        )
        stragglers: list[_StoredKey] = [(day, moment, id_) for day, moment, id_ in rows]
        if len(stragglers) > self.MOST_STRAGGLERS:
            return False
        matching = self.search.among([id_ for *_, id_ in stragglers])
        stragglers = sorted((key for key in stragglers if key[2] in matching), reverse=self.older)
        # Nearest first, a page's worth at a time, until the rest lie beyond the mark.
        for start in range(0, len(stragglers), wanted):
            mark = self._mark(wanted)
            if mark is not None and self._nearer(mark, stragglers[start]):
                break
            self.kept += self._examine([id_ for *_, id_ in stragglers[start : start + wanted]])
        return True

    def _nearer(self, key: _StoredKey, other: _StoredKey) -> bool:
        """Whether `key` lies nearer the place than `other` (both on the page's side)."""
        return key > other if self.older else key < other

    def _examine(self, ids: Sequence[int]) -> list[_StoredKey]:
        """Those of `ids` that pass every filter and lie on the page's side of the place,
        with their places in the log."""
        if not ids:
            return []
        day, moment = _stored_key_columns()
        statement = select(day, moment, col(Observation.id)).where(
            col(Observation.id).in_(ids),
            *self.log.days,
            *self.log.others,
            *self._beyond_place(),
        )
        if self.log.indicator_id is not None:
            statement = statement.where(
                exists().where(
                    col(ObservationIndicator.observation_id) == Observation.id,
                    col(ObservationIndicator.indicator_id) == self.log.indicator_id,
                )
            )
        return [(day, moment, id_) for day, moment, id_ in self.connection.execute(statement)]


def _log_key_columns() -> tuple[Any, Any, Any]:
    return col(Observation.event_date), col(Observation.recorded_at), col(Observation.id)


def _stored_key_columns() -> tuple[Any, Any]:
    """event_date and recorded_at as the text SQLite holds (see `_StoredKey`)."""
    return (
        type_coerce(col(Observation.event_date), String),
        type_coerce(col(Observation.recorded_at), String),
    )


def _unindexed_id() -> Any:
    # "+ 0" keeps SQLite reading the log's index (which holds the id) rather than the table
    # for a range of ids.
    return col(Observation.id) + 0


def _logged(
    session: Session, rows: Sequence[tuple[Observation, Retraction | None]]
) -> tuple[LoggedObservation, ...]:
    """The page's observations with the indicators each bears on, in their sets' order."""
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
    return tuple(
        LoggedObservation(
            entry=observation_entry(o, None, r),
            bearings=tuple(bearings.get(o.id or 0, ())),
            set_slug=sets.get(o.id or 0),
            key=LogKey(o.event_date, o.recorded_at, o.id or 0),
        )
        for o, r in rows
    )


def _day_conditions(query: ObservationQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.since:
        conditions.append(col(Observation.event_date) >= query.since)
    if query.until:
        conditions.append(col(Observation.event_date) <= query.until)
    if query.as_of is not None:
        conditions.append(col(Observation.event_date) <= query.as_of.day)
    return conditions


def _other_conditions(query: ObservationQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.author:
        conditions.append(col(Observation.author) == query.author)
    if query.reliability:
        conditions.append(col(Observation.reliability) == query.reliability)
    if query.credibility:
        conditions.append(col(Observation.credibility) == query.credibility)
    return conditions


def observation_authors(db: Database) -> list[str]:
    """Everyone who logged an observation, in order. Each is the first entry of the author
    index after the last: a few lookups per analyst, where DISTINCT would read every
    observation (over a second at a million)."""
    authors: list[str] = []
    with db.reading() as session:
        while True:
            following = select(func.min(Observation.author))
            if authors:
                following = following.where(col(Observation.author) > authors[-1])
            author = session.exec(following).one()
            if author is None:
                return authors
            authors.append(author)
