"""What the record holds for a briefing's period, read in a few queries: the assessments and
observations that belong to it, the retractions recorded in it, and the weekly history the charts
draw. `briefing.py` turns these into the briefing; the rules of which record belongs are here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from tracker.services.briefing_periods import BriefingScope, Period
from tracker.services.clock import Clock
from tracker.services.history import ObservationEntry, RetractionEntry
from tracker.services.seeding import SEED_AUTHOR
from tracker.storage.models import (
    Assessment,
    AssessmentEvidence,
    Indicator,
    Observation,
    ObservationIndicator,
    Retraction,
)


@dataclass(frozen=True)
class PeriodWindow:
    """The period as moments, and which records dated before it are late news."""

    period: Period
    opened: datetime  # the UTC moment the period's first day began
    closed: datetime  # the UTC moment its last day ended
    # The briefing issued up to the day before the period, if any: when, and from which day.
    issued_at: datetime | None = None
    issued_from: date | None = None

    @classmethod
    def of(cls, scope: BriefingScope, clock: Clock) -> PeriodWindow:
        follows = scope.follows
        return cls(
            period=scope.period,
            opened=clock.start_of(scope.period.start),
            closed=clock.start_of(scope.period.end + timedelta(days=1)),
            issued_at=follows.issued_at if follows else None,
            issued_from=follows.period.start if follows else None,
        )

    def is_late(self, dated: date, recorded_at: datetime, author: str) -> bool:
        """Dated before the period, recorded by its end, and not reported before: recorded
        during the period (unless the last briefing, issued later, had it in its own period) or
        after the last briefing was issued."""
        if dated >= self.period.start or recorded_at >= self.closed or author == SEED_AUTHOR:
            return False
        in_period = recorded_at >= self.opened
        if self.issued_at is None or self.issued_from is None:
            return in_period
        return recorded_at >= self.issued_at or (in_period and dated < self.issued_from)

    def late_clause(self, dated: Any, recorded_at: Any, author: Any) -> Any:
        """`is_late` as SQL, over the given columns."""
        in_period = recorded_at >= self.opened
        if self.issued_at is not None and self.issued_from is not None:
            in_period = or_(
                recorded_at >= self.issued_at, and_(in_period, dated < self.issued_from)
            )
        return and_(
            dated < self.period.start, recorded_at < self.closed, author != SEED_AUTHOR, in_period
        )

    @property
    def late_from(self) -> datetime:
        """Nothing recorded before this moment is late (`is_late`): a bound an index can use."""
        return min(self.opened, self.issued_at) if self.issued_at else self.opened

    @property
    def retractions_from(self) -> datetime:
        """The last briefing reported retractions recorded up to its period's end, or up to its
        issue if that came first: the rest are this one's."""
        return min(self.opened, self.issued_at) if self.issued_at else self.opened


class HistoryPoint(NamedTuple):
    """One assessment, as the charts need it, in the order that decides the latest."""

    effective_on: date
    recorded_at: datetime
    id: int
    status: str
    direction: str | None


class LinkedObservation(NamedTuple):
    observation_id: int
    bearing: str
    late: bool
    retracted: bool


class PeriodAssessmentRow(NamedTuple):
    """An assessment of the period, as read: only what the briefing shows."""

    id: int
    uuid: str
    indicator_id: int
    status: str
    direction: str | None
    confidence: str
    rationale: str
    author: str
    effective_on: date
    recorded_at: datetime


class RetractionRow(NamedTuple):
    observation_id: int
    reason: str
    author: str
    recorded_at: datetime


# The columns an observation's entry is made from, in `_entry`'s order, then its retraction's.
_OBSERVATION_COLUMNS = (
    Observation.id,
    Observation.uuid,
    Observation.event_date,
    Observation.recorded_at,
    Observation.summary,
    Observation.quote,
    Observation.note,
    Observation.source_title,
    Observation.source_publisher,
    Observation.source_url,
    Observation.source_date,
    Observation.unsourced,
    Observation.reliability,
    Observation.credibility,
    Observation.author,
    Retraction.reason,
    Retraction.author,
    Retraction.recorded_at,
)
_RETRACTION_AT = len(_OBSERVATION_COLUMNS) - 3
# Keeps each IN (...) list well inside every engine's limit on bound parameters.
_BATCH = 900


@dataclass
class PeriodFacts:
    """Plain rows, not ORM objects: a year of an archive's set is tens of thousands of
    observations, and the briefing only reads them."""

    history: dict[int, list[HistoryPoint]] = field(default_factory=lambda: defaultdict(list))
    # Per indicator: the period's assessments (oldest first), and whether each is late.
    assessments: dict[int, list[tuple[PeriodAssessmentRow, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    evidence: dict[int, list[int]] = field(default_factory=dict)  # assessment id -> observations
    observations: dict[int, list[LinkedObservation]] = field(
        default_factory=lambda: defaultdict(list)
    )
    retractions: dict[int, list[RetractionRow]] = field(default_factory=lambda: defaultdict(list))
    # Every observation mentioned, with its retraction if recorded by the end of the period.
    entries: dict[int, ObservationEntry] = field(default_factory=dict)

    @classmethod
    def read(cls, session: Session, indicator_ids: list[int], window: PeriodWindow) -> PeriodFacts:
        facts = cls()
        facts._read_assessments(session, indicator_ids, window)
        facts._read_observations(session, indicator_ids, window)
        facts._read_retractions(session, indicator_ids, window)
        cited = {i for ids in facts.evidence.values() for i in ids} - facts.entries.keys()
        facts._read_entries(session, cited, window)
        return facts

    def _read_assessments(
        self, session: Session, indicator_ids: list[int], w: PeriodWindow
    ) -> None:
        rows = session.exec(
            select(
                Assessment.id,
                Assessment.uuid,
                Assessment.indicator_id,
                Assessment.status,
                Assessment.direction,
                Assessment.confidence,
                Assessment.rationale,
                Assessment.author,
                Assessment.effective_on,
                Assessment.recorded_at,
            )
            .where(
                col(Assessment.indicator_id).in_(indicator_ids),
                Assessment.effective_on <= w.period.end,
            )
            .order_by(Assessment.effective_on, col(Assessment.recorded_at), col(Assessment.id))
        ).all()
        for row in rows:
            a = PeriodAssessmentRow(*row)
            self.history[a.indicator_id].append(
                HistoryPoint(a.effective_on, a.recorded_at, a.id, a.status, a.direction)
            )
            late = w.is_late(a.effective_on, a.recorded_at, a.author)
            if a.effective_on >= w.period.start or late:
                self.assessments[a.indicator_id].append((a, late))
                self.evidence[a.id] = []
        assessment_ids = list(self.evidence)
        for batch in _batches(assessment_ids):
            cited = session.exec(
                select(AssessmentEvidence.assessment_id, AssessmentEvidence.observation_id)
                .where(col(AssessmentEvidence.assessment_id).in_(batch))
                .order_by(AssessmentEvidence.observation_id)
            ).all()
            for assessment_id, observation_id in cited:
                self.evidence[assessment_id].append(observation_id)

    def _read_observations(
        self, session: Session, indicator_ids: list[int], w: PeriodWindow
    ) -> None:
        """Those dated in the period, then those dated before it that are late news.

        Each observation is dated once for all its indicators, so it belongs to the period
        (or is late) for all of them or for none: its links are read apart from its text, which
        is read once, however many of the set's indicators it bears on."""
        link = ObservationIndicator
        in_period = select(link.observation_id).where(
            col(link.indicator_id).in_(indicator_ids),
            link.event_date >= w.period.start,
            link.event_date <= w.period.end,
        )
        bearings: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for observation_id, indicator_id, bearing in session.exec(
            select(link.observation_id, link.indicator_id, link.bearing).where(
                col(link.indicator_id).in_(indicator_ids),
                link.event_date >= w.period.start,
                link.event_date <= w.period.end,
            )
        ).all():
            bearings[observation_id].append((indicator_id, bearing))
        # Dated before the period: found from the observations' own dates (few are late), so
        # the set's whole history of links is never walked.
        late_ids = select(Observation.id).where(
            Observation.event_date < w.period.start,
            col(Observation.recorded_at) >= w.late_from,
            w.late_clause(
                col(Observation.event_date),
                col(Observation.recorded_at),
                col(Observation.author),
            ),
        )
        late_rows = session.exec(
            select(link.indicator_id, link.bearing, *_OBSERVATION_COLUMNS)
            .join(Observation, col(Observation.id) == link.observation_id)
            .outerjoin(Retraction, col(Retraction.observation_id) == Observation.id)
            .where(
                col(link.indicator_id).in_(indicator_ids), col(link.observation_id).in_(late_ids)
            )
            .order_by(Observation.event_date, col(Observation.recorded_at), col(Observation.id))
        ).all()
        for indicator_id, bearing, *columns in late_rows:
            entry = self.entries.get(columns[0]) or self._entry(columns, w)
            self.observations[indicator_id].append(
                LinkedObservation(columns[0], bearing, True, entry.retraction is not None)
            )
        if not bearings:
            return
        rows = session.exec(
            select(*_OBSERVATION_COLUMNS)
            .outerjoin(Retraction, col(Retraction.observation_id) == Observation.id)
            .where(col(Observation.id).in_(in_period))
            .order_by(Observation.event_date, col(Observation.recorded_at), col(Observation.id))
        ).all()
        for columns in rows:
            entry = self._entry(columns, w)
            retracted = entry.retraction is not None
            for indicator_id, bearing in bearings[columns[0]]:
                self.observations[indicator_id].append(
                    LinkedObservation(columns[0], bearing, False, retracted)
                )

    def _entry(self, columns: Any, w: PeriodWindow, by_end: bool = True) -> ObservationEntry:
        """The observation's entry from its row, remembered; its retraction only when recorded
        by the end of the period (`by_end`), as the briefing tells it."""
        reason, author, recorded_at = columns[_RETRACTION_AT:]
        retraction = (
            RetractionEntry(reason=reason, author=author, recorded_at=recorded_at)
            if reason is not None and (not by_end or recorded_at < w.closed)
            else None
        )
        entry = ObservationEntry(
            id=columns[1],
            event_date=columns[2],
            recorded_at=columns[3],
            bearing=None,
            summary=columns[4],
            quote=columns[5],
            note=columns[6],
            source_title=columns[7],
            source_publisher=columns[8],
            source_url=columns[9],
            source_date=columns[10],
            unsourced=columns[11],
            reliability=columns[12],
            credibility=columns[13],
            author=columns[14],
            retraction=retraction,
        )
        self.entries[columns[0]] = entry
        return entry

    def _read_retractions(
        self, session: Session, indicator_ids: list[int], w: PeriodWindow
    ) -> None:
        link = ObservationIndicator
        recorded = (
            col(Retraction.recorded_at) >= w.retractions_from,
            col(Retraction.recorded_at) < w.closed,
        )
        # Found from the retractions (few), not from the set's links (many).
        retracted = select(Retraction.observation_id).where(*recorded)
        rows = session.exec(
            select(link.indicator_id, *_OBSERVATION_COLUMNS)
            .select_from(link)
            .join(Observation, col(Observation.id) == link.observation_id)
            .join(Retraction, col(Retraction.observation_id) == Observation.id)
            .where(
                col(link.indicator_id).in_(indicator_ids),
                col(link.observation_id).in_(retracted),
                *recorded,
            )
            .order_by(col(Retraction.recorded_at), col(Retraction.id))
        ).all()
        for indicator_id, *columns in rows:
            if columns[0] not in self.entries:
                self._entry(columns, w, by_end=False)
            reason, author, recorded_at = columns[_RETRACTION_AT:]
            self.retractions[indicator_id].append(
                RetractionRow(columns[0], reason, author, recorded_at)
            )

    def _read_entries(self, session: Session, ids: set[int], w: PeriodWindow) -> None:
        for batch in _batches(sorted(ids)):
            rows = session.exec(
                select(*_OBSERVATION_COLUMNS)
                .outerjoin(Retraction, col(Retraction.observation_id) == Observation.id)
                .where(col(Observation.id).in_(batch))
            ).all()
            for columns in rows:
                self._entry(columns, w)


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _BATCH):
        yield ids[start : start + _BATCH]


def weekly_statuses(
    history: list[HistoryPoint], weeks: tuple[date, ...]
) -> list[HistoryPoint | None]:
    """The assessment in force at the end of each week (None: not assessed by then)."""
    in_force: list[HistoryPoint | None] = []
    for week_end in weeks:
        latest = None
        for point in history:
            if point.effective_on > week_end:
                break
            latest = point
        in_force.append(latest)
    return in_force


@dataclass(frozen=True)
class WeeklyObservations:
    by_theme: dict[tuple[int, date], int]  # (theme id, week end) -> observations
    total: dict[date, int]  # week end -> observations, each counted once


def weekly_observations(
    session: Session, set_id: int | None, weeks: tuple[date, ...], closed: datetime
) -> WeeklyObservations:
    """Observations dated in each chart week and not retracted by the period's end: per theme
    (one bearing on two of a theme's indicators counts once there), and in all."""
    first_day = weeks[0] - timedelta(days=6)
    link = ObservationIndicator
    retracted = select(Retraction.observation_id).where(col(Retraction.recorded_at) < closed)
    rows = session.exec(
        select(Indicator.theme_id, link.observation_id, link.event_date)
        .join(Indicator, col(Indicator.id) == link.indicator_id)
        .where(
            Indicator.set_id == set_id,
            link.event_date >= first_day,
            link.event_date <= weeks[-1],
            col(link.observation_id).not_in(retracted),
        )
        .distinct()
    ).all()
    by_theme: dict[tuple[int, date], int] = defaultdict(int)
    seen: dict[date, set[int]] = defaultdict(set)
    for theme_id, observation_id, event_date in rows:
        week_end = weeks[-1] - timedelta(weeks=(weeks[-1] - event_date).days // 7)
        by_theme[(theme_id, week_end)] += 1
        seen[week_end].add(observation_id)
    return WeeklyObservations(
        by_theme=dict(by_theme), total={week: len(ids) for week, ids in seen.items()}
    )
