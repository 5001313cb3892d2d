"""The domain operations, driven directly: no command line, no terminal app."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlmodel import select

from tests.conftest import BUNDLED_SET, FIXED_NOW, SET_SLUG, database_contents, row_counts
from tracker.definitions.reader import LoadedDefinition, read_definition_file
from tracker.services.assessments import AssessmentDraft, assess_indicator
from tracker.services.clock import FixedClock
from tracker.services.history import indicator_history
from tracker.services.inputs import InputError
from tracker.services.observations import ObservationDraft, record_observation
from tracker.services.seeding import load_definitions, read_definitions, seed_if_empty
from tracker.services.status import IndicatorStatus, status_as_of
from tracker.storage.database import Database
from tracker.storage.models import Observation, Retraction

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
        self, db: Database, db_path: Path, clock: FixedClock
    ) -> None:
        first = seed_if_empty(db, clock)
        assert first is not None and first.indicators_added >= 16
        assert first.baselines_added == first.indicators_added
        counts = row_counts(db_path)
        assert seed_if_empty(db, clock) is None
        assert row_counts(db_path) == counts

    def test_loading_the_same_file_again_changes_nothing(
        self, seeded_db: Database, db_path: Path, clock: FixedClock
    ) -> None:
        before = database_contents(db_path)
        report = load_definitions(seeded_db, read_definitions([BUNDLED_SET]), clock)
        assert report.changes == 0
        assert database_contents(db_path) == before

    def test_reworded_indicator_is_updated_and_its_history_kept(
        self, seeded_db: Database, db_path: Path, tmp_path: Path, clock: FixedClock
    ) -> None:
        _observe(seeded_db, clock, "kyiv-firmness")
        _mark(seeded_db, clock, "kyiv-firmness", status="moved", direction="away")
        before = database_contents(db_path)
        text = BUNDLED_SET.read_text(encoding="utf-8")
        old_title = read_definition_file(BUNDLED_SET).definition.indicators[0].title
        edited = tmp_path / BUNDLED_SET.name
        edited.write_text(text.replace(f'title = "{old_title}"', 'title = "Miami, reworded"', 1))

        report = load_definitions(seeded_db, read_definitions([edited]), clock)

        assert report.indicators_updated == 1 and report.changes == 1
        assert indicator_history(seeded_db, "miami-talks").title == "Miami, reworded"
        after = database_contents(db_path)
        for table in ("observation", "observation_indicator", "assessment", "assessment_evidence"):
            assert after[table] == before[table], table

    def test_edited_baselines_and_seeded_observations_are_kept_and_reported(
        self, seeded_db: Database, db_path: Path, tmp_path: Path, clock: FixedClock
    ) -> None:
        definition = read_definition_file(BUNDLED_SET).definition
        rationale = definition.indicators[0].baseline.rationale
        summary = definition.observations[0].summary
        text = BUNDLED_SET.read_text(encoding="utf-8")
        edited_text = text.replace(rationale, "Rewritten later.", 1).replace(summary, "New.", 1)
        assert edited_text.count("Rewritten later.") == 1 and edited_text.count("New.") == 1
        edited = tmp_path / BUNDLED_SET.name
        edited.write_text(edited_text, encoding="utf-8")
        before = database_contents(db_path)

        report = load_definitions(seeded_db, read_definitions([edited]), clock)

        assert (report.changes, report.edits_kept_out) == (0, 2)
        assert database_contents(db_path) == before

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
        db_path: Path,
        clock: FixedClock,
        field: str,
        value: str,
        message: str,
    ) -> None:
        before = database_contents(db_path)
        with pytest.raises(InputError, match=message):
            _observe(seeded_db, clock, "territory", **{field: value})
        assert database_contents(db_path) == before

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
        self, seeded_db: Database, db_path: Path, clock: FixedClock
    ) -> None:
        before = database_contents(db_path)
        with pytest.raises(InputError, match="did you mean 'territory'"):
            _observe(seeded_db, clock, "kyiv-firmness", "teritory")
        assert database_contents(db_path) == before


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
