"""Which days a briefing covers, and the record of briefings the desk has issued.

A period is a run of whole local days, both ends included. By default it is the seven days to
today; `since_last` starts it the day after the last issued briefing of the set ended, so issuing
every week covers every day exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from tracker.services import inputs
from tracker.services.clock import Clock
from tracker.services.lookup import find_set
from tracker.storage.database import Database
from tracker.storage.models import IndicatorSet, IssuedBriefing

DEFAULT_DAYS = 7


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def day_before(self) -> date:
        """The day whose picture the briefing compares against."""
        return self.start - timedelta(days=1)


@dataclass(frozen=True)
class IssuedEntry:
    id: str
    set_slug: str
    period: Period
    author: str
    issued_at: datetime


@dataclass(frozen=True)
class BriefingScope:
    """What a briefing covers: one set, one period, and the issued briefing it follows (when
    the period was chosen with `since_last`)."""

    set_slug: str
    period: Period
    follows: IssuedEntry | None = None


def briefing_scope(
    db: Database,
    clock: Clock,
    set_slug: str | None = None,
    since: date | str | None = None,
    until: date | str | None = None,
    since_last: bool = False,
) -> BriefingScope:
    """The set and period asked for, checked: dates typed as YYYY-MM-DD, none in the future,
    the start not after the end."""
    today = clock.today()
    if since is not None and since_last:
        raise inputs.InputError("give either a start date or 'since the last briefing', not both")
    with inputs.checking("until"):
        end = _day(until, "the end date", today) if until is not None else today
    with db.reading() as session:
        with inputs.checking("set"):
            indicator_set = briefing_set(session, set_slug)
        follows = None
        if since_last:
            follows = _last_issued(session, indicator_set)
            if follows is None:
                raise inputs.InputError(
                    f"no briefing of '{indicator_set.slug}' has been issued yet, so there is no "
                    "'since the last briefing'; give a start date, or issue this one",
                    field="since",
                )
            start = follows.period.end + timedelta(days=1)
            if start > end:
                raise inputs.InputError(
                    f"the last briefing already covers up to {follows.period.end.isoformat()}; "
                    f"the next one starts on {start.isoformat()}, and can end no earlier "
                    "(what was recorded since the last one, whatever its date, will be in it)",
                    field="since",
                )
        else:
            with inputs.checking("since"):
                start = (
                    _day(since, "the start date", today)
                    if since is not None
                    else end - timedelta(days=DEFAULT_DAYS - 1)
                )
        if start > end:
            raise inputs.InputError(
                f"the period starts on {start.isoformat()}, after it ends on {end.isoformat()}",
                field="since",
            )
        # However the period was chosen, a briefing issued up to the day before it is the one
        # it follows: what was recorded after that one is news, so both ways give the same.
        follows = follows or _issued_ending(session, indicator_set, start - timedelta(days=1))
    return BriefingScope(set_slug=indicator_set.slug, period=Period(start, end), follows=follows)


def briefing_set(session: Session, slug: str | None) -> IndicatorSet:
    """The set named, or the only one loaded: a briefing is about one negotiation."""
    named = find_set(session, slug)
    if named is not None:
        return named
    sets = session.exec(select(IndicatorSet).order_by(IndicatorSet.slug)).all()
    if not sets:
        raise inputs.InputError("no indicator set is loaded; run 'tracker seed' first")
    if len(sets) > 1:
        slugs = ", ".join(s.slug for s in sets)
        raise inputs.InputError(f"several indicator sets are loaded ({slugs}); say which set")
    return sets[0]


def issuer(author: str | None) -> str:
    """Who issues a briefing: checked before anything is written, file or record."""
    with inputs.checking("author"):
        return inputs.author(author)


def issue_briefing(
    db: Database,
    scope: BriefingScope,
    issued_at: datetime,
    author: str | None = None,
) -> IssuedEntry:
    """Record the briefing as issued, so the next `since_last` starts the day after it ends.

    `issued_at` is when the issued briefing was generated: anything recorded after it is late
    news for the next one."""
    checked_author = issuer(author)
    with db.writing() as session:
        indicator_set = briefing_set(session, scope.set_slug)
        assert indicator_set.id is not None
        issued = IssuedBriefing(
            set_id=indicator_set.id,
            period_start=scope.period.start,
            period_end=scope.period.end,
            author=checked_author,
            issued_at=issued_at,
        )
        session.add(issued)
        session.flush()
        return _entry(issued, indicator_set.slug)


def _last_issued(session: Session, indicator_set: IndicatorSet) -> IssuedEntry | None:
    # The one that reaches furthest, not the one issued most recently: re-issuing an old week
    # must not send the next briefing back in time.
    issued = session.exec(
        select(IssuedBriefing)
        .where(IssuedBriefing.set_id == indicator_set.id)
        .order_by(
            col(IssuedBriefing.period_end).desc(),
            col(IssuedBriefing.issued_at).desc(),
            col(IssuedBriefing.id).desc(),
        )
        .limit(1)
    ).first()
    return _entry(issued, indicator_set.slug) if issued is not None else None


def _issued_ending(session: Session, indicator_set: IndicatorSet, day: date) -> IssuedEntry | None:
    issued = session.exec(
        select(IssuedBriefing)
        .where(IssuedBriefing.set_id == indicator_set.id, IssuedBriefing.period_end == day)
        .order_by(col(IssuedBriefing.issued_at).desc(), col(IssuedBriefing.id).desc())
        .limit(1)
    ).first()
    return _entry(issued, indicator_set.slug) if issued is not None else None


def _entry(issued: IssuedBriefing, set_slug: str) -> IssuedEntry:
    return IssuedEntry(
        id=issued.uuid,
        set_slug=set_slug,
        period=Period(issued.period_start, issued.period_end),
        author=issued.author,
        issued_at=issued.issued_at,
    )


def _day(value: date | str, what: str, today: date) -> date:
    day = inputs.parse_date(value, what) if isinstance(value, str) else value
    return inputs.not_in_future(day, today, what)
