"""What the record holds for a briefing's period, read in a few queries: the assessments and
observations that belong to it, the retractions recorded in it, and the weekly history the charts
draw. `briefing.py` turns these into the briefing; the rules of which record belongs are here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from tracker.services.briefing_periods import BriefingScope, Period
from tracker.services.clock import Clock
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
    def retractions_from(self) -> datetime:
        """The last briefing reported retractions recorded up to its period's end, or up to its
        issue if that came first: the rest are this one's."""
        return min(self.opened, self.issued_at) if self.issued_at else self.opened

    def retracted_by_end(self, retraction: Retraction | None) -> Retraction | None:
        return retraction if retraction and retraction.recorded_at < self.closed else None


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


@dataclass
class PeriodFacts:
    history: dict[int, list[HistoryPoint]] = field(default_factory=lambda: defaultdict(list))
    # Per indicator: the period's assessments (oldest first), and whether each is late.
    assessments: dict[int, list[tuple[Assessment, bool]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    evidence: dict[int, list[int]] = field(default_factory=dict)  # assessment id -> observations
    observations: dict[int, list[LinkedObservation]] = field(
        default_factory=lambda: defaultdict(list)
    )
    retractions: dict[int, list[Retraction]] = field(default_factory=lambda: defaultdict(list))
    # Every observation mentioned, with its retraction if recorded by the end of the period.
    entries: dict[int, tuple[Observation, Retraction | None]] = field(default_factory=dict)

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
            select(Assessment)
            .where(
                col(Assessment.indicator_id).in_(indicator_ids),
                Assessment.effective_on <= w.period.end,
            )
            .order_by(Assessment.effective_on, col(Assessment.recorded_at), col(Assessment.id))
        ).all()
        for a in rows:
            assert a.id is not None
            self.history[a.indicator_id].append(
                HistoryPoint(a.effective_on, a.recorded_at, a.id, a.status, a.direction)
            )
            late = w.is_late(a.effective_on, a.recorded_at, a.author)
            if a.effective_on >= w.period.start or late:
                self.assessments[a.indicator_id].append((a, late))
                self.evidence[a.id] = []
        if self.evidence:
            cited = session.exec(
                select(AssessmentEvidence.assessment_id, AssessmentEvidence.observation_id)
                .where(col(AssessmentEvidence.assessment_id).in_(list(self.evidence)))
                .order_by(AssessmentEvidence.observation_id)
            ).all()
            for assessment_id, observation_id in cited:
                self.evidence[assessment_id].append(observation_id)

    def _read_observations(
        self, session: Session, indicator_ids: list[int], w: PeriodWindow
    ) -> None:
        link = ObservationIndicator
        rows = session.exec(
            select(Observation, link.indicator_id, link.bearing, Retraction)
            .join(link, col(link.observation_id) == Observation.id)
            .outerjoin(Retraction, col(Retraction.observation_id) == Observation.id)
            .where(
                col(link.indicator_id).in_(indicator_ids),
                or_(
                    and_(link.event_date >= w.period.start, link.event_date <= w.period.end),
                    w.late_clause(
                        link.event_date, col(Observation.recorded_at), col(Observation.author)
                    ),
                ),
            )
            .order_by(Observation.event_date, col(Observation.recorded_at), col(Observation.id))
        ).all()
        for observation, indicator_id, bearing, retraction in rows:
            assert observation.id is not None
            retracted = w.retracted_by_end(retraction)
            self.entries.setdefault(observation.id, (observation, retracted))
            late = observation.event_date < w.period.start
            self.observations[indicator_id].append(
                LinkedObservation(observation.id, bearing, late, retracted is not None)
            )

    def _read_retractions(
        self, session: Session, indicator_ids: list[int], w: PeriodWindow
    ) -> None:
        link = ObservationIndicator
        rows = session.exec(
            select(Retraction, Observation, link.indicator_id)
            .join(Observation, col(Observation.id) == Retraction.observation_id)
            .join(link, col(link.observation_id) == Observation.id)
            .where(
                col(link.indicator_id).in_(indicator_ids),
                col(Retraction.recorded_at) >= w.retractions_from,
                col(Retraction.recorded_at) < w.closed,
            )
            .order_by(col(Retraction.recorded_at), col(Retraction.id))
        ).all()
        for retraction, observation, indicator_id in rows:
            assert observation.id is not None
            self.entries.setdefault(observation.id, (observation, retraction))
            self.retractions[indicator_id].append(retraction)

    def _read_entries(self, session: Session, ids: set[int], w: PeriodWindow) -> None:
        if not ids:
            return
        rows = session.exec(
            select(Observation, Retraction)
            .outerjoin(Retraction, col(Retraction.observation_id) == Observation.id)
            .where(col(Observation.id).in_(ids))
        ).all()
        for observation, retraction in rows:
            assert observation.id is not None
            self.entries.setdefault(observation.id, (observation, w.retracted_by_end(retraction)))


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
