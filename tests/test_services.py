"""The domain operations, driven directly: no command line, no terminal app."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import select

from tests.conftest import (
    BUNDLED_SET,
    FIXED_NOW,
    SET_SLUG,
    DbTarget,
    database_contents,
    row_counts,
)
from tracker.definitions.reader import LoadedDefinition, read_definition_file
from tracker.services.assessments import AssessmentDraft, MarkedMeanwhile, assess_indicator
from tracker.services.clock import FixedClock
from tracker.services.history import AssessmentEntry, indicator_history
from tracker.services.inputs import InputError
from tracker.services.observations import ObservationDraft, record_observation
from tracker.services.records import RecordedAssessment
from tracker.services.seeding import load_definitions, read_definitions, seed_if_empty
from tracker.services.status import IndicatorStatus, status_as_of
from tracker.storage.database import Database
from tracker.storage.models import Assessment, Indicator, Observation, Retraction

TODAY = FIXED_NOW.date()


def _status(db: Database, clock: FixedClock, key: str, day: date | None = None) -> IndicatorStatus:
    board = status_as_of(db, clock, day)
    return next(item for item in board.indicators if item.key == key)


def _observe(db: Database, clock: FixedClock, *keys: str, **fields: object) -> str:
    draft = ObservationDraft(bearings=[(k, "none") for k in keys], summary="Seen.", author="ana")
    return record_observation(db, replace(draft, **fields), clock).id  # type: ignore[arg-type]


def _without(loaded: LoadedDefinition, key: str) -> LoadedDefinition:
    """The same file with one indicator (and the seeded observations on it) taken out."""
    definition = loaded.definition
    smaller = definition.model_copy(
        update={
            "indicators": [i for i in definition.indicators if i.key != key],
            "observations": [o for o in definition.observations if key not in o.bears_on],
        }
    )
    return replace(loaded, definition=smaller)


def _retract(db: Database, observation_id: str, *, at: datetime) -> None:
    """No retraction service yet (it comes with the terminal app): write the row directly."""
    with db.writing() as session:
        observation = session.exec(
            select(Observation).where(Observation.uuid == observation_id)
        ).one()
        assert observation.id is not None
        session.add(
            Retraction(
                observation_id=observation.id, reason="Misquoted.", author="ana", recorded_at=at
            )
        )


def _mark(db: Database, clock: FixedClock, key: str, **fields: object) -> str:
    draft = AssessmentDraft(indicator_key=key, status="unmoved", rationale="Why.", author="ana")
    return assess_indicator(db, replace(draft, **fields), clock).id  # type: ignore[arg-type]


class TestSeeding:
    def test_a_new_database_is_seeded_once(
        self, db: Database, db_target: DbTarget, clock: FixedClock
    ) -> None:
        first = seed_if_empty(db, clock)
        assert first is not None and first.indicators_added >= 16
        assert first.baselines_added == first.indicators_added
        counts = row_counts(db_target)
        assert seed_if_empty(db, clock) is None
        assert row_counts(db_target) == counts

    def test_loading_the_same_file_again_changes_nothing(
        self, seeded_db: Database, db_target: DbTarget, clock: FixedClock
    ) -> None:
        before = database_contents(db_target)
        report = load_definitions(seeded_db, read_definitions([BUNDLED_SET]), clock)
        assert report.changes == 0
        assert database_contents(db_target) == before

    def test_reworded_indicator_is_updated_and_its_history_kept(
        self, seeded_db: Database, db_target: DbTarget, tmp_path: Path, clock: FixedClock
    ) -> None:
        _observe(seeded_db, clock, "kyiv-firmness")
        _mark(seeded_db, clock, "kyiv-firmness", status="moved", direction="away")
        before = database_contents(db_target)
        text = BUNDLED_SET.read_text(encoding="utf-8")
        old_title = read_definition_file(BUNDLED_SET).definition.indicators[0].title
        edited = tmp_path / BUNDLED_SET.name
        edited.write_text(text.replace(f'title = "{old_title}"', 'title = "Miami, reworded"', 1))

        report = load_definitions(seeded_db, read_definitions([edited]), clock)

        assert report.indicators_updated == 1 and report.changes == 1
        assert indicator_history(seeded_db, "miami-talks").title == "Miami, reworded"
        after = database_contents(db_target)
        for table in ("observation", "observation_indicator", "assessment", "assessment_evidence"):
            assert after[table] == before[table], table

    def test_edited_baselines_and_seeded_observations_are_kept_and_reported(
        self, seeded_db: Database, db_target: DbTarget, tmp_path: Path, clock: FixedClock
    ) -> None:
        definition = read_definition_file(BUNDLED_SET).definition
        rationale = definition.indicators[0].baseline.rationale
        summary = definition.observations[0].summary
        text = BUNDLED_SET.read_text(encoding="utf-8")
        edited_text = text.replace(rationale, "Rewritten later.", 1).replace(summary, "New.", 1)
        assert edited_text.count("Rewritten later.") == 1 and edited_text.count("New.") == 1
        edited = tmp_path / BUNDLED_SET.name
        edited.write_text(edited_text, encoding="utf-8")
        before = database_contents(db_target)

        report = load_definitions(seeded_db, read_definitions([edited]), clock)

        assert (report.changes, report.edits_kept_out) == (0, 2)
        assert database_contents(db_target) == before

    def test_dropped_indicator_is_retired_not_deleted_and_can_return(
        self, seeded_db: Database, tmp_path: Path, clock: FixedClock
    ) -> None:
        loaded = read_definition_file(BUNDLED_SET)
        report = load_definitions(seeded_db, [_without(loaded, "reconstruction")], clock)

        assert report.indicators_retired == 1
        assert "reconstruction" not in {i.key for i in status_as_of(seeded_db, clock).indicators}
        history = indicator_history(seeded_db, "reconstruction")
        assert history.retired_at is not None and history.assessments
        with pytest.raises(InputError, match="retired"):
            _observe(seeded_db, clock, "reconstruction")

        report = load_definitions(seeded_db, [loaded], clock)
        assert report.indicators_restored == 1
        assert indicator_history(seeded_db, "reconstruction").retired_at is None


class TestRecordingObservations:
    def test_observation_is_linked_to_each_indicator_with_its_bearing(
        self, seeded_db: Database, clock: FixedClock
    ) -> None:
        draft = ObservationDraft(
            bearings=[("territory", "away"), ("kyiv-firmness", "toward")],
            summary="Kyiv rejects withdrawal from Donetsk.",
            source_title="Statement",
            reliability="b",
            credibility="2",
            author="ana",
        )
        recorded = record_observation(seeded_db, draft, clock)
        assert recorded.event_date == TODAY and recorded.indicator_keys == (
            "territory",
            "kyiv-firmness",
        )
        territory = indicator_history(seeded_db, "territory").observations[0]
        firmness = indicator_history(seeded_db, "kyiv-firmness").observations[0]
        assert (territory.id, territory.bearing) == (recorded.id, "away")
        assert (firmness.id, firmness.bearing) == (recorded.id, "toward")
        assert (territory.reliability, territory.credibility) == ("B", 2)
        assert territory.recorded_at == FIXED_NOW

    def test_an_observation_without_source_is_explicitly_unsourced(
        self, seeded_db: Database, clock: FixedClock
    ) -> None:
        _observe(seeded_db, clock, "territory")
        entry = indicator_history(seeded_db, "territory").observations[0]
        assert entry.unsourced and entry.source_title is None

    def test_a_publisher_alone_is_a_source(self, seeded_db: Database, clock: FixedClock) -> None:
        _observe(seeded_db, clock, "territory", source_publisher="TASS")
        assert not indicator_history(seeded_db, "territory").observations[0].unsourced

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("summary", "Talks\x00 held", "control character"),
            ("quote", "bell\x07", "control character"),
            ("event_date", "20251207", "not a date"),
            ("event_date", "2025-W50-1", "not a date"),
            ("credibility", "２", "not an Admiralty grade"),
            ("reliability", "AB", "not an Admiralty grade"),
        ],
    )
    def test_malformed_fields_are_refused(
        self,
        seeded_db: Database,
        db_target: DbTarget,
        clock: FixedClock,
        field: str,
        value: str,
        message: str,
    ) -> None:
        before = database_contents(db_target)
        with pytest.raises(InputError, match=message):
            _observe(seeded_db, clock, "territory", **{field: value})
        assert database_contents(db_target) == before

    def test_a_retired_key_is_free_for_a_live_indicator_in_another_set(
        self, seeded_db: Database, tmp_path: Path, clock: FixedClock
    ) -> None:
        text = BUNDLED_SET.read_text(encoding="utf-8")
        other = tmp_path / "other.toml"
        other.write_text(text.replace(f'slug = "{SET_SLUG}"', 'slug = "other-talks"', 1))
        load_definitions(seeded_db, read_definitions([other]), clock)
        with pytest.raises(InputError, match="several sets"):
            _observe(seeded_db, clock, "territory")
        _observe(seeded_db, clock, "territory", set_slug="other-talks")

        load_definitions(seeded_db, [_without(read_definition_file(other), "territory")], clock)
        recorded = record_observation(
            seeded_db,
            ObservationDraft(bearings=[("territory", "away")], summary="Seen.", author="ana"),
            clock,
        )
        assert recorded.indicator_keys == ("territory",)
        with pytest.raises(InputError, match="retired"):
            _observe(seeded_db, clock, "territory", set_slug="other-talks")

    def test_long_and_hostile_text_is_stored_whole(
        self, seeded_db: Database, clock: FixedClock
    ) -> None:
        hostile = (
            'He said "no" — لا — 🕊️ [bold red]x[/] <script>alert(1)</script> **not bold** '
            + "ש" * 10_000
        )
        _observe(seeded_db, clock, "territory", summary=hostile, quote=hostile)
        entry = indicator_history(seeded_db, "territory").observations[0]
        assert entry.summary == hostile and entry.quote == hostile

    def test_nothing_is_written_when_one_key_is_unknown(
        self, seeded_db: Database, db_target: DbTarget, clock: FixedClock
    ) -> None:
        before = database_contents(db_target)
        with pytest.raises(InputError, match="did you mean 'territory'"):
            _observe(seeded_db, clock, "kyiv-firmness", "teritory")
        assert database_contents(db_target) == before


class TestAssessing:
    def test_mark_moved_requires_direction(self, seeded_db: Database, clock: FixedClock) -> None:
        with pytest.raises(InputError, match="needs a direction"):
            _mark(seeded_db, clock, "territory", status="moved")

    def test_mark_requires_a_reason(self, seeded_db: Database, clock: FixedClock) -> None:
        with pytest.raises(InputError, match="reason"):
            _mark(seeded_db, clock, "territory", rationale="   ")

    def test_evidence_is_recorded_by_id_prefix(
        self, seeded_db: Database, clock: FixedClock
    ) -> None:
        observation_id = _observe(seeded_db, clock, "territory")
        _mark(seeded_db, clock, "territory", evidence=[observation_id[:8]])
        assert indicator_history(seeded_db, "territory").assessments[0].evidence == (
            observation_id,
        )

    def test_retracted_evidence_cannot_be_cited(
        self, seeded_db: Database, clock: FixedClock
    ) -> None:
        observation_id = _observe(seeded_db, clock, "territory")
        _retract(seeded_db, observation_id, at=FIXED_NOW)
        with pytest.raises(InputError, match="retracted"):
            _mark(seeded_db, clock, "territory", evidence=[observation_id])

    def test_an_empty_author_is_refused_rather_than_replaced(
        self, seeded_db: Database, clock: FixedClock
    ) -> None:
        with pytest.raises(InputError, match="author is empty"):
            _mark(seeded_db, clock, "territory", author="")


class TestStatusAsOf:
    def test_baseline_before_the_mark_and_the_mark_after(
        self, seeded_db: Database, clock: FixedClock
    ) -> None:
        _mark(seeded_db, clock, "miami-talks", status="moved", direction="toward")
        assert _status(seeded_db, clock, "miami-talks").status == "moved"
        yesterday = _status(seeded_db, clock, "miami-talks", TODAY - timedelta(days=1))
        assert (yesterday.status, yesterday.assessed_by) == ("unmoved", "seed")

    def test_before_any_assessment_an_indicator_is_not_assessed(
        self, seeded_db: Database, clock: FixedClock
    ) -> None:
        early = _status(seeded_db, clock, "miami-talks", date(2025, 1, 1))
        assert early.status is None and early.observation_count == 0

    def test_a_back_dated_assessment_does_not_hide_a_later_one(
        self, seeded_db: Database, clock: FixedClock
    ) -> None:
        _mark(
            seeded_db,
            clock,
            "territory",
            status="moved",
            direction="away",
            effective_on="2025-12-21",
        )
        _mark(
            seeded_db,
            clock,
            "territory",
            status="moved",
            direction="toward",
            effective_on="2025-12-20",
        )
        assert _status(seeded_db, clock, "territory").direction == "away"
        assert _status(seeded_db, clock, "territory", date(2025, 12, 20)).direction == "toward"

    def test_same_day_assessments_the_later_recorded_wins(
        self, seeded_db: Database, clock: FixedClock
    ) -> None:
        _mark(seeded_db, clock, "territory", status="moved", direction="away")
        later = FixedClock(FIXED_NOW + timedelta(minutes=5))
        _mark(seeded_db, later, "territory", status="unmoved", confidence="high")
        current = _status(seeded_db, later, "territory")
        assert (current.status, current.confidence) == ("unmoved", "high")

    def test_observation_counts_follow_the_date(
        self, seeded_db: Database, clock: FixedClock
    ) -> None:
        base = _status(seeded_db, clock, "direct-talks")
        _observe(seeded_db, clock, "direct-talks", event_date="2025-12-21")
        assert (
            _status(seeded_db, clock, "direct-talks").observation_count
            == base.observation_count + 1
        )
        assert _status(seeded_db, clock, "direct-talks").last_observation_on == date(2025, 12, 21)
        assert _status(seeded_db, clock, "direct-talks", date(2025, 12, 20)) == base

    def test_a_past_board_is_unchanged_by_later_work(
        self, seeded_db: Database, clock: FixedClock
    ) -> None:
        past = status_as_of(seeded_db, clock, date(2025, 12, 20))
        _observe(seeded_db, clock, "territory", event_date="2025-12-21")
        _mark(
            seeded_db,
            clock,
            "territory",
            status="moved",
            direction="away",
            effective_on="2025-12-21",
        )
        assert status_as_of(seeded_db, clock, date(2025, 12, 20)) == past
        assert status_as_of(seeded_db, clock, date(2025, 12, 21)) != past

    def test_a_retracted_observation_stops_counting_from_the_day_it_was_retracted(
        self, seeded_db: Database, clock: FixedClock
    ) -> None:
        observation_id = _observe(seeded_db, clock, "direct-talks", event_date="2025-12-20")
        counted = _status(seeded_db, clock, "direct-talks").observation_count
        later = FixedClock(FIXED_NOW + timedelta(days=2))
        _retract(seeded_db, observation_id, at=later.now())
        assert _status(seeded_db, later, "direct-talks").observation_count == counted - 1
        assert _status(seeded_db, later, "direct-talks", TODAY).observation_count == counted

    def test_the_day_ends_at_the_analysts_local_midnight(self, seeded_db: Database) -> None:
        # 12:00 UTC on 21 December is already 02:00 on the 22nd in Kiribati (UTC+14).
        kiribati = FixedClock(
            datetime(2025, 12, 21, 12, 0, tzinfo=UTC), timezone(timedelta(hours=14))
        )
        assert kiribati.today() == date(2025, 12, 22)
        observation_id = _observe(seeded_db, kiribati, "direct-talks", event_date="2025-12-20")
        _retract(seeded_db, observation_id, at=kiribati.now())
        on_21st = _status(seeded_db, kiribati, "direct-talks", date(2025, 12, 21))
        on_22nd = _status(seeded_db, kiribati, "direct-talks", date(2025, 12, 22))
        assert on_21st.observation_count == on_22nd.observation_count + 1

    def test_a_retired_indicator_is_on_boards_before_its_retirement(
        self, seeded_db: Database, clock: FixedClock
    ) -> None:
        later = FixedClock(FIXED_NOW + timedelta(days=3))
        loaded = read_definition_file(BUNDLED_SET)
        load_definitions(seeded_db, [_without(loaded, "reconstruction")], later)
        keys_on = lambda day: {i.key for i in status_as_of(seeded_db, later, day).indicators}  # noqa: E731
        assert "reconstruction" in keys_on(TODAY)
        assert "reconstruction" not in keys_on(later.today())

    def test_a_future_date_is_refused(self, seeded_db: Database, clock: FixedClock) -> None:
        with pytest.raises(InputError, match="in the future"):
            status_as_of(seeded_db, clock, TODAY + timedelta(days=1))

    def test_status_can_be_limited_to_one_set(self, seeded_db: Database, clock: FixedClock) -> None:
        board = status_as_of(seeded_db, clock, set_slug=SET_SLUG)
        assert {item.set_slug for item in board.indicators} == {SET_SLUG}
        with pytest.raises(InputError, match="no indicator set 'nope'"):
            status_as_of(seeded_db, clock, set_slug="nope")


def _latest_assessment(db: Database, key: str) -> AssessmentEntry:
    return indicator_history(db, key).assessments[0]


def _supersedes(db: Database, assessment_id: str) -> str | None:
    """The id of the assessment this one records as superseded, read from its row."""
    with db.reading() as session:
        row = session.exec(select(Assessment).where(Assessment.uuid == assessment_id)).one()
        if row.supersedes_id is None:
            return None
        return session.get_one(Assessment, row.supersedes_id).uuid


def _unassessed_indicator(db: Database, key: str) -> None:
    """An indicator nobody has assessed yet: every loaded one comes with its baseline, so the
    row is written directly, beside miami-talks."""
    with db.writing() as session:
        model = session.exec(select(Indicator).where(Indicator.key == "miami-talks")).one()
        session.add(
            Indicator(
                **model.model_dump(exclude={"id", "key", "position"}),
                key=key,
                position=1000,
            )
        )


class TestConflictingMarks:
    """Two analysts marking the same indicator: the one who saw an older assessment is stopped
    (`MarkedMeanwhile`) and nothing is written, unless they insist (`force`). Every assessment
    records the indicator's latest when it was written as the one it supersedes."""

    def test_a_mark_records_the_latest_as_superseded_even_when_nothing_is_stated(
        self, seeded_db: Database, clock: FixedClock
    ) -> None:
        baseline = _latest_assessment(seeded_db, "territory").id
        first = assess_indicator(
            seeded_db,
            AssessmentDraft("territory", "moved", "Why.", direction="away", author="ana"),
            clock,
        )
        assert first.supersedes == baseline == _supersedes(seeded_db, first.id)
        second = _mark(seeded_db, clock, "territory")
        assert _supersedes(seeded_db, second) == first.id

    @pytest.mark.parametrize(
        "typed",
        [
            pytest.param(lambda uuid: uuid, id="full-id"),
            pytest.param(lambda uuid: uuid[:6], id="shortest-prefix"),
            pytest.param(lambda uuid: f"  {uuid[:8].upper()} ", id="prefix-upper-case-spaced"),
        ],
    )
    def test_stating_the_latest_records_the_mark(
        self, seeded_db: Database, clock: FixedClock, typed: Callable[[str], str]
    ) -> None:
        seen = _latest_assessment(seeded_db, "territory").id
        recorded = assess_indicator(
            seeded_db,
            AssessmentDraft(
                "territory", "unmoved", "Still fixed.", author="ana", supersedes=typed(seen)
            ),
            clock,
        )
        assert recorded.supersedes == seen == _supersedes(seeded_db, recorded.id)
        assert _latest_assessment(seeded_db, "territory").id == recorded.id

    def test_a_mark_made_meanwhile_stops_the_stale_one_and_nothing_is_written(
        self, seeded_db: Database, db_target: DbTarget, clock: FixedClock
    ) -> None:
        seen = _latest_assessment(seeded_db, "territory").id
        later = FixedClock(FIXED_NOW + timedelta(minutes=3))
        meanwhile = _mark(
            seeded_db, later, "territory", status="moved", direction="toward", author="bo"
        )
        before = database_contents(db_target)
        stale = AssessmentDraft(
            "territory", "moved", "Moscow softened.", direction="away", author="ana",
            supersedes=seen[:8],
        )  # fmt: skip

        with pytest.raises(MarkedMeanwhile) as stopped:
            assess_indicator(seeded_db, stale, FixedClock(FIXED_NOW + timedelta(minutes=5)))

        assert database_contents(db_target) == before
        latest = stopped.value.latest
        assert (stopped.value.indicator_key, stopped.value.seen) == ("territory", seen)
        assert (latest.id, latest.author, latest.status, latest.direction) == (
            meanwhile, "bo", "moved", "toward",
        )  # fmt: skip
        assert latest.recorded_at == later.now()
        message = str(stopped.value)
        assert message.startswith("'territory' was marked moved toward by bo ")
        assert f"(assessment {meanwhile[:8]}, recorded 2025-12-22 09:33 UTC" in message
        assert f"since you saw assessment {seen[:8]}; nothing was recorded" in message

    def test_force_records_it_superseding_the_latest_at_write_time(
        self, seeded_db: Database, clock: FixedClock
    ) -> None:
        seen = _latest_assessment(seeded_db, "territory").id
        meanwhile = _mark(seeded_db, clock, "territory", author="bo")
        forced = assess_indicator(
            seeded_db,
            AssessmentDraft(
                "territory",
                "moved",
                "Overruled.",
                direction="away",
                author="ana",
                supersedes=seen,
                force=True,
            ),
            clock,
        )
        # Not the one the analyst saw: the one it really overrules.
        assert forced.supersedes == meanwhile == _supersedes(seeded_db, forced.id)
        assert _latest_assessment(seeded_db, "territory").id == forced.id

    def test_none_is_a_view_of_an_unassessed_indicator(
        self, seeded_db: Database, db_target: DbTarget, clock: FixedClock
    ) -> None:
        # Seen unassessed, but it has its baseline: stopped, nothing written.
        baseline = _latest_assessment(seeded_db, "territory")
        before = database_contents(db_target)
        with pytest.raises(MarkedMeanwhile, match="since you saw no assessment") as stopped:
            _mark(seeded_db, clock, "territory", supersedes=" None ")
        assert stopped.value.seen is None
        assert (stopped.value.latest.id, stopped.value.latest.author) == (
            baseline.id,
            baseline.author,
        )
        assert database_contents(db_target) == before

        # Really unassessed: the first mark supersedes nothing. Then 'none' is stale.
        _unassessed_indicator(seeded_db, "fresh")
        first = _mark(seeded_db, clock, "fresh", supersedes="none")
        assert _supersedes(seeded_db, first) is None
        with pytest.raises(MarkedMeanwhile) as again:
            _mark(seeded_db, clock, "fresh", supersedes="none", author="bo")
        assert (again.value.latest.id, again.value.latest.author) == (first, "ana")

    @pytest.mark.parametrize("force", [False, True], ids=["checked", "forced"])
    @pytest.mark.parametrize(
        ("reference", "message"),
        [
            pytest.param(
                lambda db: "50ff4",
                "assessment id '50ff4' is too short; give at least 6 characters, or 'none'",
                id="too-short",
            ),
            pytest.param(
                lambda db: "00000000-0000-4000-8000-000000000000",
                "'territory' has no assessment with id '00000000-0000-4000-8000-000000000000'",
                id="unknown",
            ),
            pytest.param(
                lambda db: _latest_assessment(db, "miami-talks").id,
                "'territory' has no assessment with id '",
                id="another-indicators",
            ),
            pytest.param(
                lambda db: "abcdef", "assessment id 'abcdef' is ambiguous", id="ambiguous"
            ),
        ],
    )
    def test_a_bad_supersedes_reference_is_refused_and_nothing_is_written(
        self,
        seeded_db: Database,
        db_target: DbTarget,
        clock: FixedClock,
        reference: Callable[[Database], str],
        message: str,
        force: bool,
    ) -> None:
        # Two assessments of territory whose ids share a prefix, for the ambiguous one.
        for uuid in (
            "abcdef01-0000-4000-8000-000000000000",
            "abcdef02-0000-4000-8000-000000000000",
        ):
            _add_assessment(seeded_db, "territory", uuid)
        before = database_contents(db_target)
        with pytest.raises(InputError) as refused:
            _mark(seeded_db, clock, "territory", supersedes=reference(seeded_db), force=force)
        assert message in str(refused.value)
        assert refused.value.field == "supersedes"
        assert database_contents(db_target) == before

    def test_two_analysts_racing_to_mark_one_indicator_exactly_one_wins(
        self, seeded_db: Database, db_target: DbTarget, clock: FixedClock
    ) -> None:
        """Each round, two writers on their own connections state the same latest assessment
        and are let go together: one is recorded, the other is stopped naming it."""
        analysts = [db_target.open(), db_target.open()]
        try:
            for round_number in range(RACE_ROUNDS):
                seen = _latest_assessment(seeded_db, "kyiv-firmness").id
                before = row_counts(db_target)
                outcomes = _race(
                    [
                        (
                            analyst,
                            AssessmentDraft(
                                "kyiv-firmness",
                                "unmoved",
                                f"Round {round_number}.",
                                author=f"analyst-{n}",
                                supersedes=seen,
                            ),
                        )
                        for n, analyst in enumerate(analysts)
                    ],
                    clock,
                )

                won = [n for n, o in enumerate(outcomes) if isinstance(o, RecordedAssessment)]
                lost = [o for o in outcomes if isinstance(o, MarkedMeanwhile)]
                assert (len(won), len(lost)) == (1, 1), (round_number, outcomes)
                winner = outcomes[won[0]]
                assert isinstance(winner, RecordedAssessment)
                (loser,) = lost
                assert winner.supersedes == seen
                assert loser.seen == seen
                assert (loser.latest.id, loser.latest.author) == (winner.id, f"analyst-{won[0]}")
                assert _latest_assessment(seeded_db, "kyiv-firmness").id == winner.id
                after = row_counts(db_target)
                assert after == {**before, "assessment": before["assessment"] + 1}
        finally:
            for analyst in analysts:
                analyst.close()


def _race(
    writers: list[tuple[Database, AssessmentDraft]], clock: FixedClock
) -> list[RecordedAssessment | Exception | None]:
    """Each draft marked on its own connection, in its own thread, all let go at once."""
    start = threading.Barrier(len(writers))
    outcomes: list[RecordedAssessment | Exception | None] = [None] * len(writers)

    def mark(n: int, db: Database, draft: AssessmentDraft) -> None:
        start.wait(timeout=30)
        try:
            outcomes[n] = assess_indicator(db, draft, clock)
        except Exception as exc:  # for the test to look at
            outcomes[n] = exc

    threads = [
        threading.Thread(target=mark, args=(n, db, draft)) for n, (db, draft) in enumerate(writers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


RACE_ROUNDS = 10


def _add_assessment(db: Database, key: str, uuid: str) -> None:
    """An old assessment of `key` with a chosen id, written directly."""
    with db.writing() as session:
        indicator = session.exec(select(Indicator).where(Indicator.key == key)).one()
        session.add(
            Assessment(
                uuid=uuid,
                indicator_id=indicator.id,
                status="unmoved",
                confidence="low",
                rationale="An old view.",
                author="old",
                effective_on=date(2025, 1, 1),
                recorded_at=datetime(2025, 1, 1, tzinfo=UTC),
            )
        )
