"""The weekly briefing: where every indicator stood before the period and at its end, what was
assessed in it and why, what was observed, what was retracted, and what went quiet.

The rules, all from the record, so the same database and period always give the same briefing:

- Status at the start is the board as of the day before the period; at the end, the board as of
  its last day (the rules of `status_as_of`). An indicator *moved* in the period when it ends it
  moved and its status differs from the start; it *changed* when an assessed status differs; it
  was *first assessed* when it had no status at the start.
- An assessment or observation belongs to the period when it is dated in it. One dated earlier
  but recorded during the period is included too, marked *late*: the last briefing could not
  have reported it. When an issued briefing ended the day before the period, what was recorded
  after it was issued is late too, and what it already reported is not repeated. Records loaded
  from the definition files (baselines and seeded observations) are never late: they are the
  starting point, not news.
- Recorded and retracted days are the analyst's local days, as the period is.
- An observation counts as retracted when the retraction was recorded by the end of the period.
- An indicator is quiet when no unretracted observation is dated in the period.
- Every observation mentioned gets one reference number, in order of first mention, so that
  every statement in every format points to the same numbered source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import select

from tracker.services.briefing_facts import (
    PeriodFacts,
    PeriodWindow,
    weekly_observations,
    weekly_statuses,
)
from tracker.services.briefing_periods import BriefingScope, IssuedEntry, Period, briefing_set
from tracker.services.clock import Clock
from tracker.services.history import ObservationEntry
from tracker.services.status import IndicatorStatus, status_as_of
from tracker.storage.database import Database
from tracker.storage.models import Indicator, Theme

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
    recorded_on: date  # the analyst's local day
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
    recorded_on: date


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
    def differs(self) -> bool:
        """Its status at the end is not what it was at the start."""
        return self.start.label != self.end.label

    @property
    def changed(self) -> bool:
        return self.differs and self.start.status is not None

    @property
    def first_assessed(self) -> bool:
        return self.start.status is None and self.end.status is not None

    @property
    def moved(self) -> str | None:
        """The direction it moved in, when it ends the period moved and did not start it so."""
        return self.end.direction if self.differs and self.end.status == "moved" else None

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
        return bool(self.assessments or self.observations or self.retractions or self.differs)


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
    recorded_on: date  # local days, as the period's
    retracted_on: date | None


@dataclass(frozen=True)
class BriefingCounts:
    indicators: int
    moved: int
    moved_toward: int
    moved_away: int
    changed: int
    first_assessed: int
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
    weekly_observations: tuple[int, ...]  # observations dated in each chart week, all themes
    themes: tuple[ThemeBrief, ...]
    references: tuple[Reference, ...]
    counts: BriefingCounts

    @property
    def indicators(self) -> list[IndicatorBrief]:
        return [indicator for theme in self.themes for indicator in theme.indicators]

    def reference(self, number: int) -> Reference:
        return self.references[number - 1]


def build_briefing(
    db: Database, clock: Clock, scope: BriefingScope, generated_at: datetime | None = None
) -> Briefing:
    """The briefing for a checked scope (see `briefing_scope`)."""
    period = scope.period
    end_board = status_as_of(db, clock, period.end, scope.set_slug, with_totals=False)
    start_board = status_as_of(db, clock, period.day_before, scope.set_slug, with_totals=False)
    window = PeriodWindow.of(scope, clock)
    weeks = tuple(period.end - timedelta(weeks=i) for i in reversed(range(CHART_WEEKS)))
    with db.reading() as session:
        indicator_set = briefing_set(session, scope.set_slug)
        ids = {
            key: indicator_id
            for key, indicator_id in session.exec(
                select(Indicator.key, Indicator.id).where(Indicator.set_id == indicator_set.id)
            ).all()
            if indicator_id is not None
        }
        themes = session.exec(
            select(Theme).where(Theme.set_id == indicator_set.id).order_by(Theme.position)
        ).all()
        facts = PeriodFacts.read(session, list(ids.values()), window)
        weekly = weekly_observations(session, indicator_set.id, weeks, window.closed)

    writer = _BriefWriter(facts, clock, weeks)
    start_statuses = {s.key: _status_at(s) for s in start_board.indicators}
    theme_briefs = []
    for theme in themes:
        on_board = [s for s in end_board.indicators if s.theme_key == theme.key]
        if on_board:
            theme_briefs.append(
                ThemeBrief(
                    key=theme.key,
                    title=theme.title,
                    indicators=tuple(
                        writer.indicator(s, ids[s.key], start_statuses.get(s.key, NOT_ASSESSED))
                        for s in on_board
                    ),
                    weekly_observations=tuple(
                        weekly.by_theme.get((theme.id or 0, week), 0) for week in weeks
                    ),
                )
            )
    return Briefing(
        set_slug=indicator_set.slug,
        set_title=indicator_set.title,
        period=period,
        follows=scope.follows,
        generated_at=generated_at or clock.now(),
        weeks=weeks,
        weekly_observations=tuple(weekly.total.get(week, 0) for week in weeks),
        themes=tuple(theme_briefs),
        references=writer.references(),
        counts=_counts(theme_briefs),
    )


class _BriefWriter:
    """Turns the period's facts into indicator briefs, numbering each observation the first
    time the document mentions it."""

    def __init__(self, facts: PeriodFacts, clock: Clock, weeks: tuple[date, ...]) -> None:
        self._facts = facts
        self._clock = clock
        self._weeks = weeks
        self._numbers: dict[int, int] = {}

    def number(self, observation_id: int) -> int:
        return self._numbers.setdefault(observation_id, len(self._numbers) + 1)

    def indicator(
        self, status: IndicatorStatus, indicator_id: int, start: StatusAt
    ) -> IndicatorBrief:
        facts = self._facts
        day_of = self._clock.day_of
        assessments = tuple(
            PeriodAssessment(
                id=a.uuid,
                status=a.status,
                direction=a.direction,
                confidence=a.confidence,
                rationale=a.rationale,
                author=a.author,
                effective_on=a.effective_on,
                recorded_at=a.recorded_at,
                recorded_on=day_of(a.recorded_at),
                late=late,
                evidence=tuple(self.number(i) for i in facts.evidence[a.id]),
            )
            for a, late in facts.assessments.get(indicator_id, [])
        )
        observations = tuple(
            PeriodObservation(self.number(o.observation_id), o.bearing, o.late, o.retracted)
            for o in facts.observations.get(indicator_id, [])
        )
        retractions = tuple(
            PeriodRetraction(
                self.number(r.observation_id),
                r.reason,
                r.author,
                r.recorded_at,
                day_of(r.recorded_at),
            )
            for r in facts.retractions.get(indicator_id, [])
        )
        weekly = tuple(
            StatusAt(point.status, point.direction, None, point.effective_on)
            if point is not None
            else NOT_ASSESSED
            for point in weekly_statuses(facts.history.get(indicator_id, []), self._weeks)
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
            weekly=weekly,
        )

    def references(self) -> tuple[Reference, ...]:
        day_of = self._clock.day_of
        entries = self._facts.entries
        references = []
        for observation_id, number in self._numbers.items():
            entry = entries[observation_id]
            references.append(
                Reference(
                    number=number,
                    observation=entry,
                    recorded_on=day_of(entry.recorded_at),
                    retracted_on=day_of(entry.retraction.recorded_at) if entry.retraction else None,
                )
            )
        return tuple(references)


def _status_at(status: IndicatorStatus) -> StatusAt:
    return StatusAt(status.status, status.direction, status.confidence, status.assessed_on)


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
        first_assessed=sum(1 for i in indicators if i.first_assessed),
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
