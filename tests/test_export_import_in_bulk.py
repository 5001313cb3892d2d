"""What export and import do differently to handle an archive, checked on a small desk: the file
written a few thousand records at a time is pydantic's own text, byte for byte; and an
observation whose bearings a file lists in another order is the same observation."""

from __future__ import annotations

import json

import pytest

from tracker.services import record_file
from tracker.services.clock import FixedClock
from tracker.services.observations import ObservationDraft, record_observation
from tracker.services.record_export import export_record
from tracker.services.record_file import read_record_file
from tracker.services.record_import import import_record
from tracker.storage.database import Database


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
