"""The weekly briefing: where every indicator stood before the period and at its end, what was
assessed in it and why, what was observed, what was retracted, and what went quiet.

The rules, all from the record, so the same database and period always give the same briefing:

- Status at the start is the board as of the day before the period; at the end, the board as of
  its last day (the rules of `status_as_of`).
- An assessment or observation belongs to the period when it is dated in it. One dated earlier
  but recorded during the period is included too, marked *late*: the last briefing could not
  have reported it. When the period follows an issued briefing (`since_last`), "during" starts
  when that briefing was issued, if that was earlier, so nothing recorded after it is missed.
- An observation counts as retracted when the retraction was recorded by the end of the period.
- An indicator is quiet when no unretracted observation is dated in the period.
- An indicator *moved* in the period when its latest assessment dated in the period says moved.
- Every observation mentioned gets one reference number, in order of first mention, so that
  every statement in every format points to the same numbered source.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from tracker.services.briefing_periods import BriefingScope, IssuedEntry, Period, briefing_set
from tracker.services.clock import Clock
from tracker.services.history import ObservationEntry, observation_entry
from tracker.services.status import IndicatorStatus, status_as_of
from tracker.storage.database import Database
from tracker.storage.models import (
    Assessment,
    AssessmentEvidence,
    Indicator,
    Observation,
    ObservationIndicator,
    Retraction,
    Theme,
)

# The charts look back this many weeks, ending on the period's last day.
CHART_WEEKS = 12


@dataclass(frozen=True)
class StatusAt:
    status: str | None  # None: not assessed by then
    direction: str | None
    confidence: str | None
    assessed_on: date | None

    @property
    def label(self) -> str:
        """'moved toward', 'unmoved', 'not assessed': one word for comparisons and tables."""
        if self.status is None:
            return "not assessed"
        return f"moved {self.direction}" if self.status == "moved" else "unmoved"


NOT_ASSESSED = StatusAt(None, None, None, None)


@dataclass(frozen=True)
class PeriodAssessment:
    id: str
    status: str
    direction: str | None
    confidence: str
    rationale: str
    author: str
    effective_on: date
    recorded_at: datetime
    late: bool
    evidence: tuple[int, ...]  # reference numbers


@dataclass(frozen=True)
class PeriodObservation:
    reference: int
    bearing: str
    late: bool
    retracted: bool


@dataclass(frozen=True)
class PeriodRetraction:
    reference: int
    reason: str
    author: str
    recorded_at: datetime


@dataclass(frozen=True)
class IndicatorBrief:
    key: str
    title: str
    start: StatusAt
    end: StatusAt
    assessments: tuple[PeriodAssessment, ...]  # oldest first
    observations: tuple[PeriodObservation, ...]  # oldest first
    retractions: tuple[PeriodRetraction, ...]
    last_observed_on: date | None  # by the end of the period
    weekly: tuple[StatusAt, ...]  # status at the end of each chart week, oldest first

    @property
    def changed(self) -> bool:
        return self.start.label != self.end.label

    @property
    def moved(self) -> str | None:
        """The direction it moved in the period (from the latest assessment dated in it)."""
        dated = [a for a in self.assessments if not a.late]
        if dated and dated[-1].status == "moved":
            return dated[-1].direction
        return None

    @property
    def new_observation_count(self) -> int:
        """Unretracted observations dated in the period."""
        return sum(1 for o in self.observations if not o.retracted and not o.late)

    @property
    def late_assessment_count(self) -> int:
        return sum(1 for a in self.assessments if a.late)

    @property
    def late_observation_count(self) -> int:
        return sum(1 for o in self.observations if not o.retracted and o.late)

    @property
    def quiet(self) -> bool:
        return self.new_observation_count == 0

    @property
    def has_news(self) -> bool:
        return bool(self.assessments or self.observations or self.retractions or self.changed)


@dataclass(frozen=True)
class ThemeBrief:
    key: str
    title: str
    indicators: tuple[IndicatorBrief, ...]
    weekly_observations: tuple[int, ...]  # observations dated in each chart week, oldest first


@dataclass(frozen=True)
class Reference:
    number: int
    observation: ObservationEntry


@dataclass(frozen=True)
class BriefingCounts:
    indicators: int
    moved: int
    moved_toward: int
    moved_away: int
    changed: int
    assessments: int
    late_assessments: int
    new_observations: int
    late_observations: int
    observed_indicators: int
    retractions: int
    quiet: int
    end_toward: int
    end_away: int
    end_unmoved: int
    end_not_assessed: int


@dataclass(frozen=True)
class Briefing:
    set_slug: str
    set_title: str
    period: Period
    follows: IssuedEntry | None
    generated_at: datetime
    weeks: tuple[date, ...]  # the last day of each chart week, oldest first
    themes: tuple[ThemeBrief, ...]
    references: tuple[Reference, ...]
    counts: BriefingCounts

    @property
    def indicators(self) -> list[IndicatorBrief]:
        return [indicator for theme in self.themes for indicator in theme.indicators]

    def reference(self, number: int) -> ObservationEntry:
        return self.references[number - 1].observation


def build_briefing(
    db: Database, clock: Clock, scope: BriefingScope, generated_at: datetime | None = None
) -> Briefing:
    """The briefing for a checked scope (see `briefing_scope`)."""
    period = scope.period
    end_board = status_as_of(db, clock, period.end, scope.set_slug)
    start_board = status_as_of(db, clock, period.day_before, scope.set_slug)
    opened = clock.start_of(period.start)
    window = _Window(
        period=period,
        opened=opened,
        closed=clock.start_of(period.end + timedelta(days=1)),
        # After an issued briefing, "late" starts when it was issued: what was recorded after
        # it, however dated, is news to its readers.
        late_from=min(opened, scope.follows.issued_at) if scope.follows else opened,
    )
    weeks = tuple(period.end - timedelta(weeks=i) for i in reversed(range(CHART_WEEKS)))
    with db.reading() as session:
        indicator_set = briefing_set(session, scope.set_slug)
        indicators = session.exec(
            select(Indicator).where(Indicator.set_id == indicator_set.id)
        ).all()
        ids = {indicator.key: indicator.id for indicator in indicators}
        themes = session.exec(
            select(Theme).where(Theme.set_id == indicator_set.id).order_by(Theme.position)
        ).all()
        facts = _PeriodFacts.read(session, [i for i in ids.values() if i is not None], window)
        weekly_counts = _weekly_observations(session, indicator_set.id, weeks, window.closed)

    numbering = _Numbering(facts)
    start_statuses = {s.key: _status_at(s) for s in start_board.indicators}
    theme_briefs = []
    for theme in themes:
        on_board = [s for s in end_board.indicators if s.theme_key == theme.key]
        if not on_board:
            continue
        briefs = tuple(
            _indicator_brief(
                status,
                ids[status.key],
                start_statuses.get(status.key, NOT_ASSESSED),
                facts,
                numbering,
                weeks,
            )
            for status in on_board
        )
        theme_briefs.append(
            ThemeBrief(
                key=theme.key,
                title=theme.title,
                indicators=briefs,
                weekly_observations=tuple(weekly_counts.get((theme.id, week), 0) for week in weeks),
            )
        )
    return Briefing(
        set_slug=indicator_set.slug,
        set_title=indicator_set.title,
        period=period,
        follows=scope.follows,
        generated_at=generated_at or clock.now(),
        weeks=weeks,
        themes=tuple(theme_briefs),
        references=numbering.references(),
        counts=_counts(theme_briefs),
    )


@dataclass(frozen=True)
class _Window:
    period: Period
    opened: datetime  # the UTC moment the period's first day began
    closed: datetime  # the UTC moment its last day ended
    late_from: datetime  # entries dated before the period are late if recorded from here on

    def recorded_late(self, moment: datetime) -> bool:
        return self.late_from <= moment < self.closed

    def retracted_by_end(self, retraction: Retraction | None) -> bool:
        return retraction is not None and retraction.recorded_at < self.closed


@dataclass
class _PeriodFacts:
    """Everything the period holds for a set's indicators, read in a few queries."""

    history: dict[int, list[tuple[date, datetime, int, str, str | None, str | None]]]
    assessments: dict[int, list[PeriodAssessment]]
    evidence: dict[str, list[int]]  # assessment uuid -> observation ids
    observations: dict[int, list[tuple[int, str, bool, bool]]]  # id, bearing, late, retracted
    retractions: dict[int, list[tuple[int, Retraction]]]
    entries: dict[int, ObservationEntry]

    @classmethod
    def read(cls, session: Session, indicator_ids: list[int], window: _Window) -> _PeriodFacts:
        facts = cls(defaultdict(list), defaultdict(list), {}, defaultdict(list), {}, {})
        facts._read_assessments(session, indicator_ids, window)
        facts._read_observations(session, indicator_ids, window)
        facts._read_retractions(session, indicator_ids, window)
        cited = {i for ids in facts.evidence.values() for i in ids} - facts.entries.keys()
        facts._read_entries(session, cited, window)
        return facts

    def _read_assessments(self, session: Session, indicator_ids: list[int], w: _Window) -> None:
        rows = session.exec(
            select(Assessment)
            .where(
                col(Assessment.indicator_id).in_(indicator_ids),
                Assessment.effective_on <= w.period.end,
            )
            .order_by(Assessment.effective_on, col(Assessment.recorded_at), col(Assessment.id))
        ).all()
        in_period = []
        for a in rows:
            self.history[a.indicator_id].append(
                (a.effective_on, a.recorded_at, a.id or 0, a.uuid, a.status, a.direction)
            )
            dated_in = a.effective_on >= w.period.start
            if dated_in or w.recorded_late(a.recorded_at):
                in_period.append((a, not dated_in))
        if in_period:
            cited = session.exec(
                select(AssessmentEvidence.assessment_id, AssessmentEvidence.observation_id)
                .where(col(AssessmentEvidence.assessment_id).in_([a.id for a, _ in in_period]))
                .order_by(AssessmentEvidence.observation_id)
            ).all()
            by_assessment: dict[int, list[int]] = defaultdict(list)
            for assessment_id, observation_id in cited:
                by_assessment[assessment_id].append(observation_id)
            for a, late in in_period:
                self.evidence[a.uuid] = by_assessment.get(a.id or 0, [])
                self.assessments[a.indicator_id].append(
                    PeriodAssessment(
                        id=a.uuid,
                        status=a.status,
                        direction=a.direction,
                        confidence=a.confidence,
                        rationale=a.rationale,
                        author=a.author,
                        effective_on=a.effective_on,
                        recorded_at=a.recorded_at,
                        late=late,
                        evidence=(),  # numbered later, in document order
                    )
                )

    def _read_observations(self, session: Session, indicator_ids: list[int], w: _Window) -> None:
        link = ObservationIndicator
        rows = session.exec(
            select(Observation, link.indicator_id, link.bearing, Retraction)
            .join(link, col(link.observation_id) == Observation.id)
            .outerjoin(Retraction, col(Retraction.observation_id) == Observation.id)
            .where(
                col(link.indicator_id).in_(indicator_ids),
                or_(
                    and_(link.event_date >= w.period.start, link.event_date <= w.period.end),
                    and_(
                        link.event_date < w.period.start,
                        col(Observation.recorded_at) >= w.late_from,
                        col(Observation.recorded_at) < w.closed,
                    ),
                ),
            )
            .order_by(Observation.event_date, col(Observation.recorded_at), col(Observation.id))
        ).all()
        for observation, indicator_id, bearing, retraction in rows:
            assert observation.id is not None
            retracted = w.retracted_by_end(retraction)
            self._keep(observation, retraction if retracted else None)
            late = observation.event_date < w.period.start
            self.observations[indicator_id].append((observation.id, bearing, late, retracted))

    def _read_retractions(self, session: Session, indicator_ids: list[int], w: _Window) -> None:
        link = ObservationIndicator
        rows = session.exec(
            select(Retraction, Observation, link.indicator_id)
            .join(Observation, col(Observation.id) == Retraction.observation_id)
            .join(link, col(link.observation_id) == Observation.id)
            .where(
                col(link.indicator_id).in_(indicator_ids),
                col(Retraction.recorded_at) >= w.opened,
                col(Retraction.recorded_at) < w.closed,
            )
            .order_by(col(Retraction.recorded_at), col(Retraction.id))
        ).all()
        for retraction, observation, indicator_id in rows:
            assert observation.id is not None
            self._keep(observation, retraction)
            self.retractions.setdefault(indicator_id, []).append((observation.id, retraction))

    def _read_entries(self, session: Session, ids: set[int], w: _Window) -> None:
        if not ids:
            return
        rows = session.exec(
            select(Observation, Retraction)
            .outerjoin(Retraction, col(Retraction.observation_id) == Observation.id)
            .where(col(Observation.id).in_(ids))
        ).all()
        for observation, retraction in rows:
            self._keep(observation, retraction if w.retracted_by_end(retraction) else None)

    def _keep(self, observation: Observation, retraction: Retraction | None) -> None:
        assert observation.id is not None
        if observation.id not in self.entries:
            self.entries[observation.id] = observation_entry(observation, None, retraction)


class _Numbering:
    """Reference numbers, given in the order the document first mentions each observation."""

    def __init__(self, facts: _PeriodFacts) -> None:
        self._facts = facts
        self._numbers: dict[int, int] = {}

    def number(self, observation_id: int) -> int:
        return self._numbers.setdefault(observation_id, len(self._numbers) + 1)

    def references(self) -> tuple[Reference, ...]:
        return tuple(
            Reference(number, self._facts.entries[observation_id])
            for observation_id, number in self._numbers.items()
        )


def _indicator_brief(
    status: IndicatorStatus,
    indicator_id: int | None,
    start: StatusAt,
    facts: _PeriodFacts,
    numbering: _Numbering,
    weeks: tuple[date, ...],
) -> IndicatorBrief:
    assert indicator_id is not None
    assessments = tuple(
        replace(a, evidence=tuple(numbering.number(i) for i in facts.evidence[a.id]))
        for a in facts.assessments.get(indicator_id, [])
    )
    observations = tuple(
        PeriodObservation(numbering.number(i), bearing, late, retracted)
        for i, bearing, late, retracted in facts.observations.get(indicator_id, [])
    )
    retractions = tuple(
        PeriodRetraction(numbering.number(i), r.reason, r.author, r.recorded_at)
        for i, r in facts.retractions.get(indicator_id, [])
    )
    return IndicatorBrief(
        key=status.key,
        title=status.title,
        start=start,
        end=_status_at(status),
        assessments=assessments,
        observations=observations,
        retractions=retractions,
        last_observed_on=status.last_observation_on,
        weekly=_weekly_statuses(facts.history.get(indicator_id, []), weeks),
    )


def _status_at(status: IndicatorStatus) -> StatusAt:
    return StatusAt(status.status, status.direction, status.confidence, status.assessed_on)


def _weekly_statuses(
    history: list[tuple[date, datetime, int, str, str | None, str | None]], weeks: tuple[date, ...]
) -> tuple[StatusAt, ...]:
    """The status at the end of each week, from the indicator's assessments in the order that
    decides the latest (effective date, then recorded time, then id)."""
    statuses = []
    for week_end in weeks:
        latest = None
        for entry in history:
            if entry[0] > week_end:
                break
            latest = entry
        statuses.append(
            StatusAt(latest[4], latest[5], None, latest[0]) if latest is not None else NOT_ASSESSED
        )
    return tuple(statuses)


def _weekly_observations(
    session: Session, set_id: int | None, weeks: tuple[date, ...], closed: datetime
) -> dict[tuple[int, date], int]:
    """Per theme and chart week: how many observations dated in that week bear on the theme
    (one observation bearing on two of a theme's indicators counts once)."""
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
    counts: dict[tuple[int, date], int] = defaultdict(int)
    for theme_id, _observation_id, event_date in rows:
        week_end = weeks[-1] - timedelta(weeks=(weeks[-1] - event_date).days // 7)
        counts[(theme_id, week_end)] += 1
    return counts


def _counts(themes: list[ThemeBrief]) -> BriefingCounts:
    indicators = [i for theme in themes for i in theme.indicators]
    moved = [i.moved for i in indicators if i.moved]
    period_assessments = [a for i in indicators for a in i.assessments]
    period_observations = {
        o.reference: o for i in indicators for o in i.observations if not o.retracted
    }
    ends = [i.end for i in indicators]
    return BriefingCounts(
        indicators=len(indicators),
        moved=len(moved),
        moved_toward=moved.count("toward"),
        moved_away=moved.count("away"),
        changed=sum(1 for i in indicators if i.changed),
        assessments=sum(1 for a in period_assessments if not a.late),
        late_assessments=sum(1 for a in period_assessments if a.late),
        new_observations=sum(1 for o in period_observations.values() if not o.late),
        late_observations=sum(1 for o in period_observations.values() if o.late),
        observed_indicators=sum(1 for i in indicators if not i.quiet),
        retractions=len({r.reference for i in indicators for r in i.retractions}),
        quiet=sum(1 for i in indicators if i.quiet),
        end_toward=sum(1 for s in ends if s.status == "moved" and s.direction == "toward"),
        end_away=sum(1 for s in ends if s.status == "moved" and s.direction == "away"),
        end_unmoved=sum(1 for s in ends if s.status == "unmoved"),
        end_not_assessed=sum(1 for s in ends if s.status is None),
    )
