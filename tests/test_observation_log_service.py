"""The services behind the app's observation log, as-of indicator file and change detection."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tracker.services.changes import record_version
from tracker.services.clock import FixedClock
from tracker.services.history import indicator_history
from tracker.services.inputs import InputError
from tracker.services.observation_log import (
    ObservationQuery,
    search_observations,
    search_terms,
)
from tracker.services.observations import ObservationDraft, record_observation
from tracker.services.retractions import retract_observation
from tracker.services.status import point_in_time
from tracker.storage.database import Database, open_database
from tracker.storage.fulltext import SearchTerm


def _observe(db: Database, clock: FixedClock, summary: str, **fields: object) -> str:
    draft = ObservationDraft(
        bearings=[("miami-talks", "toward")],
        summary=summary,
        **fields,  # type: ignore[arg-type]
    )
    return record_observation(db, draft, clock).id


def test_search_terms_keep_quoted_phrases_whole() -> None:
    assert search_terms('Umerov "joint statement"  MIAMI negot* "peace pl"* % Kyiv’s') == [
        SearchTerm(("umerov",)),
        SearchTerm(("joint", "statement")),
        SearchTerm(("miami",)),
        SearchTerm(("negot",), prefix=True),
        SearchTerm(("peace", "pl"), prefix=True),
        SearchTerm(("kyiv", "s")),
    ]


def test_search_matches_every_word_in_any_text_field(
    seeded_db: Database, clock: FixedClock
) -> None:
    wanted = _observe(seeded_db, clock, "Umerov met envoys", quote="a Productive round")
    _observe(seeded_db, clock, "Umerov stayed home")
    page = search_observations(seeded_db, ObservationQuery(text="umerov PRODUCTIVE"))
    assert [logged.entry.id for logged in page.entries] == [wanted]
    assert page.total == 1
    assert page.entries[0].bearings == (("miami-talks", "toward"),)


def test_search_treats_percent_and_underscore_literally(
    seeded_db: Database, clock: FixedClock
) -> None:
    wanted = _observe(seeded_db, clock, "Turnout was 100% in_region")
    _observe(seeded_db, clock, "Turnout was 1000 in region")
    page = search_observations(seeded_db, ObservationQuery(text="100% in_"))
    assert [logged.entry.id for logged in page.entries] == [wanted]


def test_search_filters_combine(seeded_db: Database, clock: FixedClock) -> None:
    _observe(
        seeded_db, clock, "graded", reliability="B", credibility="2", event_date="2025-12-20",
        author="ana",
    )  # fmt: skip
    _observe(seeded_db, clock, "graded too", reliability="B", credibility="3", author="ana")
    _observe(seeded_db, clock, "by someone else", reliability="B", credibility="2", author="bo")
    query = ObservationQuery(reliability="B", credibility=2, since=date(2025, 12, 20), author="ana")
    page = search_observations(seeded_db, query)
    assert [logged.entry.summary for logged in page.entries] == ["graded"]
    later = ObservationQuery(reliability="B", credibility=2, since=date(2025, 12, 21), author="ana")
    assert search_observations(seeded_db, later).total == 0


def test_search_pages_newest_first(seeded_db: Database, clock: FixedClock) -> None:
    everything = search_observations(seeded_db, ObservationQuery(), limit=1000)
    first = search_observations(seeded_db, ObservationQuery(), limit=7)
    second = search_observations(seeded_db, ObservationQuery(), offset=7, limit=7)
    assert first.total == second.total == len(everything.entries) == 20
    assert [e.entry.id for e in first.entries + second.entries] == [
        e.entry.id for e in everything.entries[:14]
    ]
    dates = [e.entry.event_date for e in everything.entries]
    assert dates == sorted(dates, reverse=True)


def test_search_by_indicator(seeded_db: Database) -> None:
    page = search_observations(seeded_db, ObservationQuery(indicator_key="miami-talks"))
    history = indicator_history(seeded_db, "miami-talks")
    assert {e.entry.id for e in page.entries} == {o.id for o in history.observations}


def test_history_as_of_shows_only_what_was_known_that_day(
    seeded_db: Database, clock: FixedClock
) -> None:
    later = _observe(seeded_db, clock, "after the tenth", event_date="2025-12-21")
    earlier = _observe(seeded_db, clock, "before the tenth", event_date="2025-12-08")
    retract_observation(seeded_db, earlier, "withdrawn", clock)
    past = indicator_history(seeded_db, "miami-talks", as_of=point_in_time(clock, "2025-12-10"))
    shown = {o.id: o for o in past.observations}
    assert later not in shown
    # Retracted on 22 December: on the 10th it still counted.
    assert shown[earlier].retraction is None
    assert all(a.effective_on <= date(2025, 12, 10) for a in past.assessments)
    now = indicator_history(seeded_db, "miami-talks")
    assert {o.id: o for o in now.observations}[earlier].retraction is not None


def test_record_version_notices_a_write_from_another_connection(
    seeded_db: Database, db_path: Path, clock: FixedClock
) -> None:
    before = record_version(seeded_db)
    other = open_database(str(db_path))
    try:
        _observe(other, clock, "written by a colleague")
    finally:
        other.close()
    assert record_version(seeded_db) != before


def test_input_errors_name_the_field_at_fault(seeded_db: Database, clock: FixedClock) -> None:
    with pytest.raises(InputError) as caught:
        _observe(seeded_db, clock, "dated badly", event_date="2025-13-40")
    assert caught.value.field == "event_date"
    with pytest.raises(InputError) as caught:
        _observe(seeded_db, clock, "   ")
    assert caught.value.field == "summary"


def test_search_ignores_case_beyond_ascii(seeded_db: Database, clock: FixedClock) -> None:
    wanted = _observe(seeded_db, clock, "Переговори у МАЯМІ тривають")
    for typed in ["маямі", "Маямі", "ПЕРЕГОВОРИ"]:
        page = search_observations(seeded_db, ObservationQuery(text=typed))
        assert [logged.entry.id for logged in page.entries] == [wanted], typed


def test_log_as_of_a_date_follows_the_status_rules(seeded_db: Database, clock: FixedClock) -> None:
    later = _observe(seeded_db, clock, "dated after the day", event_date="2025-12-21")
    earlier = _observe(seeded_db, clock, "retracted after the day", event_date="2025-12-15")
    retract_observation(seeded_db, earlier, "withdrawn", clock)
    past = search_observations(
        seeded_db, ObservationQuery(as_of=point_in_time(clock, "2025-12-18"))
    )
    shown = {logged.entry.id: logged.entry for logged in past.entries}
    assert later not in shown
    assert shown[earlier].retraction is None
    assert all(entry.event_date <= date(2025, 12, 18) for entry in shown.values())
    now = search_observations(seeded_db, ObservationQuery(text="retracted after"))
    assert now.entries[0].entry.retraction is not None
