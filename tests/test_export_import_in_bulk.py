"""What export and import do differently to handle an archive, checked on a small desk: the file
written a few thousand records at a time is pydantic's own text, byte for byte; and an
observation whose bearings a file lists in another order is the same observation. Streamed, in
batches of a few records: the export is the whole record's text, the file read a batch at a
time holds the records read whole and is refused with the same message, before any database
is opened."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SET_SLUG
from tracker.services import record_export, record_file
from tracker.services.clock import FixedClock
from tracker.services.inputs import InputError
from tracker.services.observations import ObservationDraft, record_observation
from tracker.services.record_export import export_record, exporting_record
from tracker.services.record_file import check_record_file, read_record_file
from tracker.services.record_import import import_record
from tracker.services.retractions import retract_observation
from tracker.storage.database import Database, open_database


def _two_bearings(db: Database, clock: FixedClock) -> str:
    recorded = record_observation(
        db,
        ObservationDraft(
            bearings=[("miami-talks", "toward"), ("kyiv-firmness", "away")],
            summary="“Quoted” — a leak 🕊️ from the \\ talks,\nin two lines",
            event_date="2025-12-21",
            author="Zoë",
        ),
        clock,
    )
    return recorded.id


def test_the_file_written_in_pieces_is_what_pydantic_writes_whole(
    seeded_db: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _two_bearings(seeded_db, clock)
    monkeypatch.setattr(record_file, "_RECORDS_PER_PIECE", 3)
    record = export_record(seeded_db)
    assert len(record.observations) > 3 * 2

    assert record.to_json() == record.model_dump_json(indent=2) + "\n"
    assert "".join(record.json_parts()) == record.to_json()


def test_bearings_listed_in_another_order_are_the_same_observation(
    seeded_db: Database, clock: FixedClock
) -> None:
    uuid = _two_bearings(seeded_db, clock)
    document = json.loads(export_record(seeded_db).to_json())
    (listed,) = [o for o in document["observations"] if o["uuid"] == uuid]
    listed["bearings"].reverse()

    report = import_record(seeded_db, read_record_file(json.dumps(document), "reordered.json"))

    assert report.added == {}


# --- streamed: written as read, and read a batch at a time ----------------------------------


def _small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of a few records, so that a test's desk spans many of them."""
    monkeypatch.setattr(record_file, "_RECORDS_PER_PIECE", 3)
    monkeypatch.setattr(record_export, "ROWS_AT_A_TIME", 7)
    monkeypatch.setattr(record_file, "_CHARS_PER_BATCH", 3_000)


def _blocks(text: str, size: int = 1_000) -> Callable[[], Iterator[str]]:
    return lambda: iter([text[at : at + size] for at in range(0, len(text), size)])


@pytest.mark.parametrize("set_slug", [None, SET_SLUG])
def test_a_streamed_export_is_what_pydantic_writes_of_the_whole_record(
    seeded_db: Database,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    set_slug: str | None,
) -> None:
    _two_bearings(seeded_db, clock)
    _small_batches(monkeypatch)
    whole = export_record(seeded_db, set_slug)
    assert len(whole.observations) > 2 * record_export.ROWS_AT_A_TIME

    with exporting_record(seeded_db, set_slug) as export:
        streamed = b"".join(export.json_pieces()).decode()
        totals = export.totals()

    assert streamed == whole.model_dump_json(indent=2) + "\n"
    assert totals["observations"] == len(whole.observations)
    assert totals["assessments"] == len(whole.assessments)


def test_a_file_checked_a_batch_at_a_time_holds_the_records_read_whole(
    seeded_db: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _two_bearings(seeded_db, clock)
    _small_batches(monkeypatch)
    text = export_record(seeded_db).to_json()
    whole = read_record_file(text, "desk.json")

    with check_record_file(_blocks(text), "desk.json") as checked:
        for section in record_file.SECTIONS:
            assert checked.all(section) == getattr(whole, section), section
        assert checked.facts.counts["observations"] == len(whole.observations)


def _refusal(read: Callable[[], object]) -> str:
    with pytest.raises(InputError) as refused:
        read()
    return str(refused.value)


def _mangle_last(document: dict[str, Any]) -> None:
    document["observations"][-1]["credibility"] = 7


def _mangle_first_and_last(document: dict[str, Any]) -> None:
    document["observations"][0]["summary"] = ""
    document["observations"][-1]["summary"] = 42
    document["assessments"][-1]["status"] = "sideways"
    document["observations"][5]["colour"] = "red"


def _same_uuid_far_apart(document: dict[str, Any]) -> None:
    document["observations"][-1]["uuid"] = document["observations"][0]["uuid"]


def _retracted_twice(document: dict[str, Any]) -> None:
    document["retractions"].append(
        dict(document["retractions"][0], uuid="00000000-0000-4000-8000-0000000000ee")
    )


@pytest.mark.parametrize(
    "mangle", [_mangle_last, _mangle_first_and_last, _same_uuid_far_apart, _retracted_twice]
)
def test_a_bad_record_anywhere_is_refused_as_when_read_whole(
    seeded_db: Database,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    mangle: Callable[[dict[str, Any]], None],
) -> None:
    observation = _two_bearings(seeded_db, clock)
    retract_observation(seeded_db, observation, "Withdrawn.", clock, "analyst")
    _small_batches(monkeypatch)
    document = json.loads(export_record(seeded_db).to_json())
    mangle(document)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"

    expected = _refusal(lambda: read_record_file(text, "bad.json"))
    assert _refusal(lambda: check_record_file(_blocks(text), "bad.json")) == expected


@pytest.mark.parametrize("keep", [1, 500, -2, -40])
def test_a_file_cut_short_is_refused_as_when_read_whole(
    seeded_db: Database, monkeypatch: pytest.MonkeyPatch, keep: int
) -> None:
    _small_batches(monkeypatch)
    text = export_record(seeded_db).to_json()[:keep]

    expected = _refusal(lambda: read_record_file(text, "cut.json"))
    assert _refusal(lambda: check_record_file(_blocks(text), "cut.json")) == expected


def test_a_bad_record_at_the_end_of_a_large_file_writes_nothing(
    seeded_db: Database, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file's last record is found wrong after the first batches were checked: nothing
    reaches the database, which is not even made."""
    _two_bearings(seeded_db, clock)
    _small_batches(monkeypatch)
    document = json.loads(export_record(seeded_db).to_json())
    document["issued_briefings"] = [
        {
            "uuid": "00000000-0000-4000-8000-0000000000ab",
            "set": SET_SLUG,
            "period_start": "2025-12-22",
            "period_end": "2025-12-21",
            "author": "lead",
            "issued_at": "2025-12-22T10:00:00Z",
        }
    ]
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    target = tmp_path / "new.sqlite3"

    message = _refusal(lambda: check_record_file(_blocks(text), "late.json"))

    assert "issued_briefings[0]: the period starts after it ends" in message
    assert not target.exists()


def test_a_streamed_import_round_trips_and_a_second_one_changes_nothing(
    seeded_db: Database, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _two_bearings(seeded_db, clock)
    _small_batches(monkeypatch)
    text = export_record(seeded_db).to_json()
    copy = open_database(str(tmp_path / "copy.sqlite3"))
    try:
        with check_record_file(_blocks(text), "desk.json") as checked:
            first = import_record(copy, checked)
        assert export_record(copy).to_json() == text
        with check_record_file(_blocks(text), "desk.json") as checked:
            again = import_record(copy, checked)
        assert first.added["observations"] == text.count('"summary"')
        assert again.added == {}
        assert export_record(copy).to_json() == text
    finally:
        copy.close()
