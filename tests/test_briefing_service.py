"""The weekly briefing as a service: which days it covers, what belongs to them, and the counts.

Everything runs on the seeded database (seeded on 22 December 2025) with fixed clocks in January
2026, so the period under test holds only what each test records in it. The default period is
the seven days to Monday 12 January 2026: 6–12 January.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from tests.conftest import BUNDLED_SET, SET_SLUG, DbTarget, database_contents
from tracker.interfaces.briefing.html import briefing_html
from tracker.interfaces.briefing.json_document import briefing_json
from tracker.interfaces.briefing.markdown import briefing_markdown
from tracker.services.assessments import AssessmentDraft, assess_indicator
from tracker.services.briefing import (
    Briefing,
    BriefingCounts,
    IndicatorBrief,
    PeriodObservation,
    PeriodRetraction,
    build_briefing,
)
from tracker.services.briefing_periods import (
    BriefingScope,
    Period,
    briefing_scope,
    issue_briefing,
)
from tracker.services.clock import FixedClock
from tracker.services.inputs import InputError
from tracker.services.observations import ObservationDraft, record_observation
from tracker.services.retractions import retract_observation
from tracker.services.seeding import load_definitions, read_definitions, seed_if_empty
from tracker.storage.database import Database

TODAY = date(2026, 1, 12)
FIRST_DAY = date(2026, 1, 6)
DAY_BEFORE = date(2026, 1, 5)
GENERATED = datetime(2026, 1, 12, 18, 0, tzinfo=UTC)


def at(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> FixedClock:
    """A clock stopped at that moment, UTC (the analyst's days are UTC days too)."""
    return FixedClock(datetime.combine(day, time(hour, minute, second), tzinfo=UTC))


def observe(db: Database, clock: FixedClock, *bearings: str, **fields: object) -> str:
    """Record an observation; each bearing is KEY:toward|away|none. Returns its id."""
    draft = ObservationDraft(
        bearings=[tuple(b.split(":")) for b in bearings],  # type: ignore[misc]
        summary="Seen.",
        source_publisher="Wire",
        reliability="B",
        credibility="2",
        author="ana",
    )
    return record_observation(db, replace(draft, **fields), clock).id  # type: ignore[arg-type]


def mark(db: Database, clock: FixedClock, key: str, status: str, **fields: object) -> str:
    """Assess an indicator: status is 'unmoved', 'toward' or 'away'. Returns its id."""
    moved = status != "unmoved"
    draft = AssessmentDraft(
        indicator_key=key,
        status="moved" if moved else "unmoved",
        direction=status if moved else None,
        rationale="Because.",
        author="ana",
    )
    return assess_indicator(db, replace(draft, **fields), clock).id  # type: ignore[arg-type]


def brief(db: Database, clock: FixedClock, **scope: object) -> Briefing:
    return build_briefing(db, clock, briefing_scope(db, clock, **scope))  # type: ignore[arg-type]


def indicator(briefing: Briefing, key: str) -> IndicatorBrief:
    return next(i for i in briefing.indicators if i.key == key)


def summaries(briefing: Briefing, brief_of: IndicatorBrief) -> list[str]:
    return [briefing.reference(o.reference).observation.summary for o in brief_of.observations]


def load_second_set(db: Database, tmp_path: Path, clock: FixedClock) -> None:
    text = BUNDLED_SET.read_text(encoding="utf-8")
    other = tmp_path / "other.toml"
    other.write_text(text.replace(f'slug = "{SET_SLUG}"', 'slug = "other-talks"', 1))
    load_definitions(db, read_definitions([other]), clock)


class TestChoosingThePeriod:
    def test_the_default_period_is_the_seven_days_to_today(self, seeded_db: Database) -> None:
        scope = briefing_scope(seeded_db, at(TODAY))
        assert scope == BriefingScope(SET_SLUG, Period(FIRST_DAY, TODAY), follows=None)
        assert scope.period.days == 7
        assert scope.period.day_before == DAY_BEFORE

    def test_until_alone_ends_the_seven_days_on_that_day(self, seeded_db: Database) -> None:
        scope = briefing_scope(seeded_db, at(TODAY), until="2026-01-04")
        assert scope.period == Period(date(2025, 12, 29), date(2026, 1, 4))

    def test_since_and_until_are_read_as_calendar_days(self, seeded_db: Database) -> None:
        typed = briefing_scope(seeded_db, at(TODAY), since="2025-12-20", until=" 2026-01-02 ")
        assert typed.period == Period(date(2025, 12, 20), date(2026, 1, 2))
        assert typed.period.days == 14
        given = briefing_scope(seeded_db, at(TODAY), since=date(2025, 12, 20), until=TODAY)
        assert given.period == Period(date(2025, 12, 20), TODAY)

    def test_a_period_may_be_a_single_day(self, seeded_db: Database) -> None:
        scope = briefing_scope(seeded_db, at(TODAY), since="2026-01-12")
        assert scope.period == Period(TODAY, TODAY)
        assert scope.period.days == 1

    def test_today_is_the_analysts_local_day(self, seeded_db: Database) -> None:
        # 23:30 UTC on the 12th is already the 13th two hours east of Greenwich.
        clock = FixedClock(datetime(2026, 1, 12, 23, 30, tzinfo=UTC), timezone(timedelta(hours=2)))
        assert briefing_scope(seeded_db, clock).period == Period(
            date(2026, 1, 7), date(2026, 1, 13)
        )

    @pytest.mark.parametrize("typed", ["2026-13-01", "2026-02-30", "2026-1-5", "last monday", ""])
    @pytest.mark.parametrize(("option", "what"), [("since", "start"), ("until", "end")])
    def test_a_date_not_written_as_yyyy_mm_dd_is_refused(
        self, seeded_db: Database, option: str, what: str, typed: str
    ) -> None:
        with pytest.raises(InputError) as refused:
            briefing_scope(seeded_db, at(TODAY), **{option: typed})  # type: ignore[arg-type]
        assert str(refused.value) == (
            f"the {what} date '{typed}' is not a date; write it as YYYY-MM-DD"
        )
        assert refused.value.field == option

    @pytest.mark.parametrize(("option", "what"), [("since", "start"), ("until", "end")])
    def test_a_date_in_the_future_is_refused(
        self, seeded_db: Database, option: str, what: str
    ) -> None:
        with pytest.raises(InputError) as refused:
            briefing_scope(seeded_db, at(TODAY), **{option: "2026-01-13"})  # type: ignore[arg-type]
        assert str(refused.value) == (
            f"the {what} date 2026-01-13 is in the future (today is 2026-01-12)"
        )
        assert refused.value.field == option

    def test_a_start_after_the_end_is_refused(self, seeded_db: Database) -> None:
        with pytest.raises(InputError) as refused:
            briefing_scope(seeded_db, at(TODAY), since="2026-01-10", until="2026-01-05")
        assert str(refused.value) == "the period starts on 2026-01-10, after it ends on 2026-01-05"
        assert refused.value.field == "since"

    def test_a_start_date_and_since_last_together_are_refused(self, seeded_db: Database) -> None:
        with pytest.raises(InputError, match="either a start date or 'since the last briefing'"):
            briefing_scope(seeded_db, at(TODAY), since="2026-01-01", since_last=True)

    def test_an_unknown_set_is_refused_with_the_sets_there_are(self, seeded_db: Database) -> None:
        with pytest.raises(InputError) as refused:
            briefing_scope(seeded_db, at(TODAY), set_slug="russia-ukraine")
        message = str(refused.value)
        assert message.startswith("no indicator set 'russia-ukraine'")
        assert SET_SLUG in message
        assert refused.value.field == "set"

    def test_with_several_sets_loaded_the_set_must_be_named(
        self, seeded_db: Database, tmp_path: Path
    ) -> None:
        load_second_set(seeded_db, tmp_path, at(DAY_BEFORE))
        with pytest.raises(InputError) as refused:
            briefing_scope(seeded_db, at(TODAY))
        assert str(refused.value) == (
            f"several indicator sets are loaded (other-talks, {SET_SLUG}); say which set"
        )
        assert briefing_scope(seeded_db, at(TODAY), set_slug="other-talks").set_slug == (
            "other-talks"
        )

    def test_with_no_set_loaded_the_message_says_to_seed(self, db: Database) -> None:
        with pytest.raises(InputError, match="no indicator set is loaded; run 'tracker seed'"):
            briefing_scope(db, at(TODAY))

    def test_choosing_and_building_a_briefing_write_nothing(
        self, seeded_db: Database, db_target: DbTarget
    ) -> None:
        observe(seeded_db, at(date(2026, 1, 7)), "territory:away")
        before = database_contents(db_target)
        brief(seeded_db, at(TODAY))
        with pytest.raises(InputError):
            briefing_scope(seeded_db, at(TODAY), since_last=True)
        assert database_contents(db_target) == before


class TestPeriodBoundaries:
    def test_an_assessment_effective_on_the_first_day_is_in_the_period_and_changes_the_status(
        self, seeded_db: Database
    ) -> None:
        mark(seeded_db, at(FIRST_DAY, 10), "miami-talks", "toward", effective_on="2026-01-06")
        miami = indicator(brief(seeded_db, at(TODAY)), "miami-talks")
        assert miami.start.label == "unmoved"
        assert miami.end.label == "moved toward"
        assert [(a.effective_on, a.late) for a in miami.assessments] == [(FIRST_DAY, False)]
        assert miami.moved == "toward"
        assert miami.changed

    def test_an_assessment_effective_the_day_before_is_the_starting_status_and_not_listed(
        self, seeded_db: Database
    ) -> None:
        mark(seeded_db, at(DAY_BEFORE, 10), "miami-talks", "toward", effective_on="2026-01-05")
        briefing = brief(seeded_db, at(TODAY))
        miami = indicator(briefing, "miami-talks")
        assert miami.start.label == "moved toward"
        assert miami.end.label == "moved toward"
        assert miami.assessments == ()
        assert miami.moved is None
        assert not miami.changed
        assert briefing.counts.moved == 0

    def test_an_assessment_effective_on_the_last_day_is_in_the_period(
        self, seeded_db: Database
    ) -> None:
        mark(seeded_db, at(TODAY, 8), "miami-talks", "away", effective_on="2026-01-12")
        miami = indicator(brief(seeded_db, at(TODAY, 9)), "miami-talks")
        assert [a.effective_on for a in miami.assessments] == [TODAY]
        assert miami.end.label == "moved away"
        assert miami.moved == "away"

    def test_an_assessment_effective_after_the_last_day_is_left_out(
        self, seeded_db: Database
    ) -> None:
        mark(seeded_db, at(date(2026, 1, 13)), "miami-talks", "toward", effective_on="2026-01-13")
        miami = indicator(
            brief(seeded_db, at(date(2026, 1, 14)), until="2026-01-12"), "miami-talks"
        )
        assert miami.assessments == ()
        assert miami.end.label == "unmoved"
        assert miami.moved is None

    def test_observations_dated_on_the_first_and_last_days_are_in_the_period(
        self, seeded_db: Database
    ) -> None:
        for day in (DAY_BEFORE, FIRST_DAY, TODAY, date(2026, 1, 13)):
            observe(
                seeded_db, at(day), "escalation-warnings:away", summary=f"Dated {day.isoformat()}"
            )
        briefing = brief(seeded_db, at(date(2026, 1, 13)), until="2026-01-12")
        warnings = indicator(briefing, "escalation-warnings")
        assert summaries(briefing, warnings) == ["Dated 2026-01-06", "Dated 2026-01-12"]
        assert warnings.new_observation_count == 2
        assert not warnings.quiet

    def test_late_entries_are_those_recorded_from_the_first_moment_to_the_last(
        self, seeded_db: Database
    ) -> None:
        moments = {
            "recorded a second before the period": at(DAY_BEFORE, 23, 59, 59),
            "recorded at its first moment": at(FIRST_DAY, 0),
            "recorded at its last second": at(TODAY, 23, 59, 59),
            "recorded a day after": at(date(2026, 1, 13), 0),
        }
        for summary, clock in moments.items():
            observe(
                seeded_db,
                clock,
                "escalation-warnings:away",
                summary=summary,
                event_date="2026-01-01",
            )
        briefing = brief(seeded_db, at(date(2026, 1, 13), 12), until="2026-01-12")
        warnings = indicator(briefing, "escalation-warnings")
        assert summaries(briefing, warnings) == [
            "recorded at its first moment",
            "recorded at its last second",
        ]
        assert all(o.late for o in warnings.observations)

    def test_the_period_runs_over_the_analysts_local_days(self, seeded_db: Database) -> None:
        ten_east = timezone(timedelta(hours=10))
        # 14:00 UTC on the 5th is already the 6th in that zone: recorded during the period.
        observe(
            seeded_db,
            FixedClock(datetime(2026, 1, 5, 14, 0, tzinfo=UTC), ten_east),
            "escalation-warnings:away",
            summary="after local midnight",
            event_date="2026-01-01",
        )
        observe(
            seeded_db,
            FixedClock(datetime(2026, 1, 5, 13, 30, tzinfo=UTC), ten_east),
            "escalation-warnings:away",
            summary="before local midnight",
            event_date="2026-01-01",
        )
        local = FixedClock(datetime(2026, 1, 12, 3, 0, tzinfo=UTC), ten_east)
        briefing = brief(seeded_db, local)
        assert briefing.period == Period(FIRST_DAY, TODAY)
        warnings = indicator(briefing, "escalation-warnings")
        assert summaries(briefing, warnings) == ["after local midnight"]

    def test_an_indicator_moved_when_it_ends_moved_and_did_not_start_so(
        self, seeded_db: Database
    ) -> None:
        mark(seeded_db, at(date(2026, 1, 7)), "nato-alignment", "away")
        mark(seeded_db, at(date(2026, 1, 9)), "nato-alignment", "unmoved")
        mark(seeded_db, at(date(2026, 1, 7)), "territory", "unmoved")
        mark(seeded_db, at(date(2026, 1, 9)), "territory", "toward")
        # Marked moved away again, as it already stood: a re-affirmation, not a move.
        mark(seeded_db, at(date(2026, 1, 3)), "kyiv-firmness", "away")
        mark(seeded_db, at(date(2026, 1, 8)), "kyiv-firmness", "away")
        briefing = brief(seeded_db, at(TODAY))
        nato, territory = indicator(briefing, "nato-alignment"), indicator(briefing, "territory")
        kyiv = indicator(briefing, "kyiv-firmness")
        assert [a.status for a in nato.assessments] == ["moved", "unmoved"]
        assert nato.moved is None
        assert not nato.changed
        assert territory.moved == "toward"
        assert [a.status for a in kyiv.assessments] == ["moved"]
        assert (kyiv.moved, kyiv.changed) == (None, False)
        assert (briefing.counts.moved, briefing.counts.changed) == (1, 1)


class TestLateEntries:
    def test_a_back_dated_assessment_is_listed_late_and_is_not_a_move(
        self, seeded_db: Database
    ) -> None:
        mark(seeded_db, at(date(2026, 1, 8)), "miami-talks", "toward", effective_on="2026-01-02")
        briefing = brief(seeded_db, at(TODAY))
        miami = indicator(briefing, "miami-talks")
        assert [(a.effective_on, a.late) for a in miami.assessments] == [(date(2026, 1, 2), True)]
        # It changes the picture of the past it belongs to: the start, not the period.
        assert miami.start.label == "moved toward"
        assert miami.end.label == "moved toward"
        assert not miami.changed
        assert miami.moved is None
        assert (briefing.counts.moved, briefing.counts.assessments) == (0, 0)
        assert briefing.counts.late_assessments == 1
        markdown = briefing_markdown(briefing)
        assert "No indicator of 22 moved this week" in markdown
        assert "1 assessment dated before the period was recorded during it" in markdown
        assert "(late: dated 2026-01-02, recorded 2026-01-08)" in markdown

    def test_a_late_assessment_does_not_hide_a_move_dated_in_the_period(
        self, seeded_db: Database
    ) -> None:
        mark(seeded_db, at(date(2026, 1, 7)), "miami-talks", "toward")
        mark(seeded_db, at(date(2026, 1, 9)), "miami-talks", "away", effective_on="2026-01-03")
        miami = indicator(brief(seeded_db, at(TODAY)), "miami-talks")
        assert [a.late for a in miami.assessments] == [True, False]  # oldest date first
        assert miami.moved == "toward"
        assert miami.start.label == "moved away"

    def test_a_back_dated_observation_is_listed_late_and_leaves_the_indicator_quiet(
        self, seeded_db: Database
    ) -> None:
        observe(
            seeded_db, at(date(2026, 1, 8)), "escalation-warnings:away", event_date="2026-01-02"
        )
        briefing = brief(seeded_db, at(TODAY))
        warnings = indicator(briefing, "escalation-warnings")
        assert warnings.observations == (PeriodObservation(1, "away", late=True, retracted=False),)
        assert warnings.quiet
        assert (warnings.new_observation_count, warnings.late_observation_count) == (0, 1)
        counts = briefing.counts
        assert (counts.new_observations, counts.late_observations) == (0, 1)
        assert counts.quiet == 22
        assert counts.observed_indicators == 0

    def test_entries_recorded_after_an_issued_briefing_are_in_the_next_since_last_briefing(
        self, seeded_db: Database
    ) -> None:
        issue_briefing(seeded_db, briefing_scope(seeded_db, at(TODAY)), at(TODAY, 17).now(), "lead")
        after = at(date(2026, 1, 14), 9)
        observe(
            seeded_db,
            after,
            "escalation-warnings:away",
            summary="Dated in the issued week",
            event_date="2026-01-10",
        )
        mark(seeded_db, after, "kyiv-firmness", "away", effective_on="2026-01-11")

        following = brief(seeded_db, at(date(2026, 1, 19)), since_last=True)
        assert following.period == Period(date(2026, 1, 13), date(2026, 1, 19))
        warnings = indicator(following, "escalation-warnings")
        assert summaries(following, warnings) == ["Dated in the issued week"]
        assert [o.late for o in warnings.observations] == [True]
        kyiv = indicator(following, "kyiv-firmness")
        assert [(a.effective_on, a.late) for a in kyiv.assessments] == [(date(2026, 1, 11), True)]
        assert kyiv.moved is None
        assert kyiv.start.label == "moved away"
        # Built again, the issued week now holds them as its own (dated in it, not late).
        again = brief(seeded_db, at(date(2026, 1, 19)), since="2026-01-06", until="2026-01-12")
        assert [o.late for o in indicator(again, "escalation-warnings").observations] == [False]
        assert indicator(again, "kyiv-firmness").moved == "away"

    def test_entries_recorded_after_an_issue_on_its_last_day_are_in_the_next_briefing(
        self, seeded_db: Database
    ) -> None:
        # The usual case: the default period ends today, the briefing is issued in the morning,
        # and analysts keep logging that afternoon. What they log after the issue cannot have
        # been reported by it, so the next --since-last briefing must carry it (marked late).
        issue_briefing(
            seeded_db, briefing_scope(seeded_db, at(TODAY, 9)), at(TODAY, 9).now(), "lead"
        )
        afternoon = at(TODAY, 15)
        observe(seeded_db, afternoon, "escalation-warnings:away", summary="Logged after the issue")
        observe(
            seeded_db,
            afternoon,
            "escalation-warnings:away",
            summary="Back-dated after the issue",
            event_date="2026-01-10",
        )
        following = brief(seeded_db, at(date(2026, 1, 19)), since_last=True)
        assert following.period.start == date(2026, 1, 13)
        assert sorted(summaries(following, indicator(following, "escalation-warnings"))) == [
            "Back-dated after the issue",
            "Logged after the issue",
        ]

    def test_a_retraction_recorded_after_an_issue_on_its_last_day_is_in_the_next_briefing(
        self, seeded_db: Database
    ) -> None:
        reported = observe(
            seeded_db, at(date(2026, 1, 8)), "escalation-warnings:away", summary="Reported"
        )
        issue_briefing(
            seeded_db, briefing_scope(seeded_db, at(TODAY, 9)), at(TODAY, 9).now(), "lead"
        )
        retract_observation(seeded_db, reported, "Withdrawn", at(TODAY, 15), "ben")
        following = brief(seeded_db, at(date(2026, 1, 19)), since_last=True)
        warnings = indicator(following, "escalation-warnings")
        assert [r.reason for r in warnings.retractions] == ["Withdrawn"]
        assert following.counts.retractions == 1

    def test_the_week_after_an_issued_briefing_is_the_same_however_it_is_chosen(
        self, seeded_db: Database
    ) -> None:
        issue_briefing(
            seeded_db, briefing_scope(seeded_db, at(TODAY, 9)), at(TODAY, 9).now(), "lead"
        )
        observe(seeded_db, at(TODAY, 15), "escalation-warnings:away", summary="After the issue")
        later = at(date(2026, 1, 19))
        by_default = brief(seeded_db, later)
        since_last = brief(seeded_db, later, since_last=True)
        assert (
            by_default.period == since_last.period == Period(date(2026, 1, 13), date(2026, 1, 19))
        )
        assert by_default.follows == since_last.follows is not None
        assert briefing_markdown(by_default) == briefing_markdown(since_last)
        assert summaries(by_default, indicator(by_default, "escalation-warnings")) == [
            "After the issue"
        ]

    def test_what_a_briefing_issued_after_its_period_reported_is_not_repeated(
        self, seeded_db: Database
    ) -> None:
        day = {n: date(2026, 1, n) for n in range(2, 20)}
        observe(seeded_db, at(day[13]), "escalation-warnings:away", summary="In the last one",
                event_date="2026-01-10")  # fmt: skip
        observe(seeded_db, at(day[13]), "escalation-warnings:away", summary="Older, late",
                event_date="2026-01-02")  # fmt: skip
        issued_on = at(day[14], 10)
        issue_briefing(
            seeded_db, briefing_scope(seeded_db, issued_on, until="2026-01-12"), issued_on.now()
        )
        observe(seeded_db, at(day[14], 15), "escalation-warnings:away", summary="After the issue",
                event_date="2026-01-11")  # fmt: skip
        following = brief(seeded_db, at(day[19]), since_last=True)
        listed = indicator(following, "escalation-warnings")
        assert sorted(summaries(following, listed)) == ["After the issue", "Older, late"]
        assert all(o.late for o in listed.observations)

    def test_records_loaded_from_the_definition_files_are_never_late(self, db: Database) -> None:
        # A desk set up today: the seed's baselines and observations are dated weeks back but
        # recorded now. They are where the record starts, not news.
        seed_if_empty(db, at(TODAY))
        briefing = brief(db, at(TODAY))
        assert (briefing.counts.late_assessments, briefing.counts.late_observations) == (0, 0)
        assert not any(i.assessments or i.observations for i in briefing.indicators)
        assert "late" not in briefing_markdown(briefing)

    def test_recorded_days_are_the_analysts_local_days(self, seeded_db: Database) -> None:
        zone = timezone(timedelta(hours=10))
        # 01:00 on 6 January in the analyst's zone is still 5 January in UTC.
        early = FixedClock(datetime(2026, 1, 6, 1, 0, tzinfo=zone), zone)
        observe(
            seeded_db, early, "escalation-warnings:away", summary="Early", event_date="2026-01-02"
        )
        mark(seeded_db, early, "escalation-warnings", "away", effective_on="2026-01-03")
        briefing = brief(seeded_db, FixedClock(datetime(2026, 1, 12, 12, tzinfo=zone), zone))
        warnings = indicator(briefing, "escalation-warnings")
        assert [a.recorded_on for a in warnings.assessments] == [date(2026, 1, 6)]
        (listed,) = warnings.observations
        assert listed.late and briefing.reference(listed.reference).recorded_on == date(2026, 1, 6)
        markdown = briefing_markdown(briefing)
        assert "late: dated 2026-01-02, recorded 2026-01-06" in markdown
        assert "late: dated 2026-01-03, recorded 2026-01-06" in markdown
        assert "recorded 2026-01-05" not in markdown


class TestSinceTheLastBriefing:
    def test_since_last_is_refused_before_any_briefing_is_issued(
        self, seeded_db: Database, db_target: DbTarget
    ) -> None:
        with pytest.raises(InputError) as refused:
            briefing_scope(seeded_db, at(TODAY), since_last=True)
        assert str(refused.value).startswith(
            f"no briefing of '{SET_SLUG}' has been issued yet, so there is no "
            "'since the last briefing'"
        )
        assert refused.value.field == "since"
        assert database_contents(db_target)["issued_briefing"] == []

    def test_since_last_starts_the_day_after_the_issued_period_and_ends_today(
        self, seeded_db: Database, db_target: DbTarget
    ) -> None:
        issued = issue_briefing(
            seeded_db, briefing_scope(seeded_db, at(TODAY)), at(TODAY, 17).now(), "lead"
        )
        assert issued.period == Period(FIRST_DAY, TODAY)
        assert (issued.author, issued.issued_at) == ("lead", at(TODAY, 17).now())
        (row,) = database_contents(db_target)["issued_briefing"]
        # Dates come back as text from SQLite and as dates from PostgreSQL: compare them as ISO.
        assert (row[1], str(row[3]), str(row[4]), row[5]) == (
            issued.id,
            "2026-01-06",
            "2026-01-12",
            "lead",
        )

        scope = briefing_scope(seeded_db, at(date(2026, 1, 20)), since_last=True)
        assert scope == BriefingScope(
            SET_SLUG, Period(date(2026, 1, 13), date(2026, 1, 20)), issued
        )
        assert build_briefing(seeded_db, at(date(2026, 1, 20)), scope).follows == issued

    def test_since_last_can_end_on_an_earlier_day(self, seeded_db: Database) -> None:
        issue_briefing(seeded_db, briefing_scope(seeded_db, at(TODAY)), at(TODAY, 17).now(), "lead")
        scope = briefing_scope(
            seeded_db, at(date(2026, 1, 20)), since_last=True, until="2026-01-15"
        )
        assert scope.period == Period(date(2026, 1, 13), date(2026, 1, 15))

    def test_since_last_is_refused_when_the_last_briefing_already_reaches_today(
        self, seeded_db: Database
    ) -> None:
        issue_briefing(
            seeded_db, briefing_scope(seeded_db, at(TODAY, 9)), at(TODAY, 9).now(), "lead"
        )
        with pytest.raises(InputError) as refused:
            briefing_scope(seeded_db, at(TODAY, 17), since_last=True)
        assert str(refused.value).startswith(
            "the last briefing already covers up to 2026-01-12; the next one starts on 2026-01-13"
        )
        assert refused.value.field == "since"
        tomorrow = briefing_scope(seeded_db, at(date(2026, 1, 13)), since_last=True)
        assert tomorrow.period == Period(date(2026, 1, 13), date(2026, 1, 13))

    def test_reissuing_an_older_week_does_not_send_since_last_back(
        self, seeded_db: Database
    ) -> None:
        issue_briefing(seeded_db, briefing_scope(seeded_db, at(TODAY)), at(TODAY, 17).now(), "lead")
        older = briefing_scope(seeded_db, at(date(2026, 1, 13)), until="2026-01-05")
        issue_briefing(seeded_db, older, at(date(2026, 1, 13)).now(), "lead")
        scope = briefing_scope(seeded_db, at(date(2026, 1, 20)), since_last=True)
        assert scope.period.start == date(2026, 1, 13)

    def test_each_set_has_its_own_last_briefing(self, seeded_db: Database, tmp_path: Path) -> None:
        load_second_set(seeded_db, tmp_path, at(DAY_BEFORE))
        scope = briefing_scope(seeded_db, at(TODAY), set_slug=SET_SLUG)
        issue_briefing(seeded_db, scope, at(TODAY, 17).now(), "lead")
        with pytest.raises(InputError, match="no briefing of 'other-talks' has been issued yet"):
            briefing_scope(seeded_db, at(date(2026, 1, 20)), "other-talks", since_last=True)
        ours = briefing_scope(seeded_db, at(date(2026, 1, 20)), SET_SLUG, since_last=True)
        assert ours.period.start == date(2026, 1, 13)

    def test_issuing_with_an_empty_author_is_refused_and_records_nothing(
        self, seeded_db: Database, db_target: DbTarget
    ) -> None:
        before = database_contents(db_target)
        with pytest.raises(InputError, match="the author is empty"):
            issue_briefing(seeded_db, briefing_scope(seeded_db, at(TODAY)), at(TODAY).now(), "  ")
        assert database_contents(db_target) == before


class TestRetractedEvidence:
    def _cited(self, db: Database, *, event_date: str) -> str:
        """An observation on miami-talks, cited by a move dated 8 January."""
        recorded = at(min(date.fromisoformat(event_date), date(2026, 1, 7)))
        observation = observe(
            db, recorded, "miami-talks:toward", summary="Umerov: productive", event_date=event_date
        )
        mark(db, at(date(2026, 1, 8)), "miami-talks", "toward", evidence=[observation])
        return observation

    def test_evidence_retracted_later_in_the_period_shows_the_retraction(
        self, seeded_db: Database
    ) -> None:
        observation = self._cited(seeded_db, event_date="2026-01-07")
        retract_observation(
            seeded_db, observation, "The outlet withdrew it", at(date(2026, 1, 10)), "ben"
        )
        briefing = brief(seeded_db, at(TODAY))
        miami = indicator(briefing, "miami-talks")

        (number,) = miami.assessments[0].evidence
        reference = briefing.reference(number).observation
        assert reference.id == observation
        assert reference.retraction is not None
        assert (reference.retraction.reason, reference.retraction.author) == (
            "The outlet withdrew it",
            "ben",
        )
        assert miami.observations == (
            PeriodObservation(number, "toward", late=False, retracted=True),
        )
        assert miami.retractions == (
            PeriodRetraction(
                number,
                "The outlet withdrew it",
                "ben",
                at(date(2026, 1, 10)).now(),
                date(2026, 1, 10),
            ),
        )
        # A retracted observation is not new evidence; the assessment made on it still stands.
        assert miami.new_observation_count == 0
        assert miami.quiet
        assert miami.moved == "toward"
        counts = briefing.counts
        assert (counts.retractions, counts.new_observations, counts.quiet) == (1, 0, 22)
        document = json.loads(briefing_json(briefing))
        assert (
            document["references"][number - 1]["retraction"]["reason"] == "The outlet withdrew it"
        )
        assert "**Retracted** 2026-01-10 by ben: The outlet withdrew it" in briefing_markdown(
            briefing
        )

    def test_a_retraction_recorded_after_the_period_does_not_show(
        self, seeded_db: Database
    ) -> None:
        observation = self._cited(seeded_db, event_date="2026-01-07")
        retract_observation(seeded_db, observation, "Withdrawn", at(date(2026, 1, 14)), "ben")
        briefing = brief(seeded_db, at(date(2026, 1, 15)), since="2026-01-06", until="2026-01-12")
        miami = indicator(briefing, "miami-talks")
        (number,) = miami.assessments[0].evidence
        assert briefing.reference(number).observation.retraction is None
        assert miami.observations == (
            PeriodObservation(number, "toward", late=False, retracted=False),
        )
        assert miami.retractions == ()
        assert not miami.quiet
        assert (briefing.counts.retractions, briefing.counts.new_observations) == (0, 1)
        assert json.loads(briefing_json(briefing))["references"][number - 1]["retraction"] is None
        assert "Retracted" not in briefing_markdown(briefing)

    @pytest.mark.parametrize(
        ("retracted_on", "shown"), [(date(2026, 1, 9), True), (date(2026, 1, 14), False)]
    )
    def test_cited_evidence_from_before_the_period_shows_a_retraction_made_by_its_end(
        self, seeded_db: Database, retracted_on: date, shown: bool
    ) -> None:
        observation = self._cited(seeded_db, event_date="2025-12-30")
        retract_observation(seeded_db, observation, "Withdrawn", at(retracted_on), "ben")
        briefing = brief(seeded_db, at(date(2026, 1, 15)), since="2026-01-06", until="2026-01-12")
        miami = indicator(briefing, "miami-talks")
        (number,) = miami.assessments[0].evidence
        assert (briefing.reference(number).observation.retraction is not None) is shown
        assert miami.observations == ()  # dated and recorded before the period
        assert [r.reference for r in miami.retractions] == ([number] if shown else [])
        assert briefing.counts.retractions == int(shown)

    def test_retractions_in_the_period_are_listed_and_counted_once_per_observation(
        self, seeded_db: Database
    ) -> None:
        older = observe(
            seeded_db,
            at(date(2025, 12, 30)),
            "european-unity:away",
            "european-hedging:away",
            summary="Two leaders object",
        )
        recent = observe(seeded_db, at(date(2026, 1, 7)), "territory:away", summary="Map leaked")
        retract_observation(seeded_db, older, "Only one leader", at(date(2026, 1, 9)), "ben")
        retract_observation(seeded_db, recent, "Fake map", at(date(2026, 1, 10)), "ana")
        briefing = brief(seeded_db, at(TODAY))
        for key in ("european-unity", "european-hedging"):
            listed = indicator(briefing, key)
            assert [
                (briefing.reference(r.reference).observation.summary, r.reason)
                for r in listed.retractions
            ] == [("Two leaders object", "Only one leader")]
            assert listed.observations == ()
        territory = indicator(briefing, "territory")
        assert [r.reason for r in territory.retractions] == ["Fake map"]
        assert territory.quiet
        assert briefing.counts.retractions == 2
        assert briefing.counts.new_observations == 0
        assert "2 observations were retracted." in briefing_markdown(briefing)


class TestCounts:
    def test_the_counts_and_the_summary_match_what_was_recorded(self, seeded_db: Database) -> None:
        jan = {day: at(date(2026, 1, day)) for day in range(6, 13)}
        mark(seeded_db, jan[7], "florida-meeting", "toward")
        mark(seeded_db, jan[8], "trade-offs", "toward")
        mark(seeded_db, jan[9], "territory", "away")
        mark(seeded_db, jan[9], "security-guarantees", "unmoved")  # was moved toward
        mark(seeded_db, jan[7], "nato-alignment", "away")
        mark(seeded_db, jan[10], "nato-alignment", "unmoved")
        mark(seeded_db, jan[8], "kyiv-firmness", "away", effective_on="2026-01-02")  # late
        observe(seeded_db, jan[7], "florida-meeting:toward", "direct-talks:none")
        observe(seeded_db, jan[9], "territory:away")
        observe(seeded_db, jan[9], "civilian-toll:away", event_date="2026-01-01")  # late
        withdrawn = observe(seeded_db, jan[10], "europe-china:none")
        retract_observation(seeded_db, withdrawn, "Wrong country", jan[11], "ben")

        briefing = brief(seeded_db, at(TODAY))
        assert briefing.counts == BriefingCounts(
            indicators=22,
            moved=3,
            moved_toward=2,
            moved_away=1,
            changed=4,
            first_assessed=0,
            assessments=6,
            late_assessments=1,
            new_observations=2,
            late_observations=1,
            observed_indicators=3,
            retractions=1,
            quiet=19,
            end_toward=2,
            end_away=3,
            end_unmoved=17,
            end_not_assessed=0,
        )
        assert [i.key for i in briefing.indicators if not i.quiet] == [
            "florida-meeting",
            "direct-talks",
            "territory",
        ]
        markdown = briefing_markdown(briefing)
        assert (
            "3 of 22 indicators moved this week (6–12 January 2026):\n"
            "2 toward a settlement (US–Russia meeting in Florida and Breakthrough test: from "
            "declarations to trade-offs) and 1 away from one (Territorial demands and concessions)."
        ) in markdown
        assert "Compared with 5 January 2026, 4 indicators changed status." in markdown
        assert "Analysts made 6 assessments and logged 2 new observations;" in markdown
        assert "3 indicators were observed and 19 were quiet." in markdown
        assert (
            "At the end of the period 2 stood moved toward a settlement, 3 moved away, "
            "17 unmoved and 0 not yet assessed."
        ) in markdown
        assert json.loads(briefing_json(briefing))["counts"] == briefing.counts.__dict__

    def test_an_empty_week_has_nothing_moved_and_everything_quiet(
        self, seeded_db: Database
    ) -> None:
        briefing = brief(seeded_db, at(TODAY))
        counts = briefing.counts
        assert (counts.moved, counts.changed, counts.assessments) == (0, 0, 0)
        assert (counts.quiet, counts.observed_indicators) == (22, 0)
        assert briefing.references == ()
        assert not any(i.has_news for i in briefing.indicators)
        assert "No observation is cited in this period." in briefing_markdown(briefing)

    def test_the_chart_weeks_end_on_the_last_day_and_follow_the_record(
        self, seeded_db: Database
    ) -> None:
        mark(seeded_db, at(date(2026, 1, 8)), "miami-talks", "toward")
        observe(seeded_db, at(date(2026, 1, 8)), "miami-talks:toward", "florida-meeting:none")
        briefing = brief(seeded_db, at(TODAY))
        assert len(briefing.weeks) == 12
        assert briefing.weeks[-1] == TODAY
        assert all(b - a == timedelta(weeks=1) for a, b in itertools.pairwise(briefing.weeks))
        weekly = [s.label for s in indicator(briefing, "miami-talks").weekly]
        # Baseline effective 5 December; the move on 8 January.
        assert weekly[-1] == "moved toward"
        assert weekly[-2:-7:-1] == ["unmoved"] * 5  # weeks ending 5 Jan back to 8 Dec
        assert weekly[:-6] == ["not assessed"] * 6
        process = next(t for t in briefing.themes if t.key == "process")
        # One observation bearing on two of the theme's indicators counts once.
        assert process.weekly_observations[-1] == 1


class TestDeterminism:
    def test_the_same_record_and_period_always_give_the_same_documents(
        self, seeded_db: Database
    ) -> None:
        evidence = observe(seeded_db, at(date(2026, 1, 7)), "territory:away", summary="Map")
        mark(seeded_db, at(date(2026, 1, 8)), "territory", "away", evidence=[evidence])
        observe(seeded_db, at(date(2026, 1, 9)), "miami-talks:toward", event_date="2026-01-01")
        retract_observation(seeded_db, evidence, "Fake map", at(date(2026, 1, 10)), "ben")

        first = build_briefing(
            seeded_db, at(TODAY, 17), briefing_scope(seeded_db, at(TODAY, 17)), GENERATED
        )
        later = at(date(2026, 2, 1))
        second = build_briefing(
            seeded_db,
            later,
            briefing_scope(seeded_db, later, since="2026-01-06", until="2026-01-12"),
            GENERATED,
        )
        assert first == second
        assert briefing_markdown(first) == briefing_markdown(second)
        assert briefing_json(first) == briefing_json(second)
        assert briefing_html(first) == briefing_html(second)

    def test_records_read_in_small_batches_give_the_same_briefing(
        self, seeded_db: Database, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Evidence and cited observations are read in batches of ids (a year holds thousands):
        where the batches split changes nothing."""
        old = observe(
            seeded_db, at(date(2025, 12, 20)), "territory:away", "civilian-toll:away", summary="Old"
        )
        evidence = [
            observe(
                seeded_db, at(date(2026, 1, 7)), "territory:away", "miami-talks:toward", summary=n
            )
            for n in ("Map 1", "Map 2", "Map 3")
        ]
        mark(seeded_db, at(date(2026, 1, 8)), "territory", "away", evidence=[*evidence, old])
        mark(seeded_db, at(date(2026, 1, 9)), "miami-talks", "toward", evidence=evidence[:2])
        mark(seeded_db, at(date(2026, 1, 9)), "civilian-toll", "unmoved", evidence=[old])
        retract_observation(seeded_db, old, "Fake map", at(date(2026, 1, 10)), "ben")
        whole = brief(seeded_db, at(TODAY, 17))
        monkeypatch.setattr("tracker.services.briefing_facts._BATCH", 1)
        in_ones = brief(seeded_db, at(TODAY, 17))
        assert in_ones == whole
        assert len(indicator(whole, "territory").assessments[0].evidence) == 4

    def test_the_generation_time_is_the_clocks_unless_given(self, seeded_db: Database) -> None:
        clock = at(TODAY, 17)
        scope = briefing_scope(seeded_db, clock)
        assert build_briefing(seeded_db, clock, scope).generated_at == clock.now()
        assert build_briefing(seeded_db, clock, scope, GENERATED).generated_at == GENERATED


class TestChartWeeks:
    def test_a_weeks_total_counts_an_observation_on_two_themes_once(
        self, seeded_db: Database
    ) -> None:
        observe(seeded_db, at(date(2026, 1, 8)), "territory:away", "civilian-toll:away")
        briefing = brief(seeded_db, at(TODAY))
        by_theme = {t.key: t.weekly_observations[-1] for t in briefing.themes}
        assert sum(by_theme.values()) == 2
        assert briefing.weekly_observations[-1] == 1
