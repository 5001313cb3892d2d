"""A database written by the first schema (tracker as of issue 3, kept in tests/fixtures/) opens
in this tracker, upgraded on the spot, with every record as it was."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

from tests.conftest import REPO, database_contents, run_tracker
from tracker.services.observation_log import ObservationQuery, search_observations
from tracker.storage.database import SCHEMA_REVISION, open_database

FIRST_SCHEMA = REPO / "tests" / "fixtures" / "schema-0001.sqlite3"


def test_a_first_schema_database_is_upgraded_on_open_with_nothing_lost(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    shutil.copyfile(FIRST_SCHEMA, path)
    before = database_contents(path)
    assert before["alembic_version"] == [("0001",)]

    result = run_tracker("--db", str(path), "status", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    after = database_contents(path)
    assert after["alembic_version"] == [(SCHEMA_REVISION,)]
    assert after["issued_briefing"] == []
    # Columns added since (what an assessment supersedes, who loaded a set) are unknown, not
    # made up, for records written before tracker kept them.
    added = {"assessment": 1, "indicator_set": 1}
    for table, rows in before.items():
        if table != "alembic_version":
            width = len(rows[0]) if rows else 0
            assert [row[:width] for row in after[table]] == rows, table
            assert all(row[width:] == (None,) * added.get(table, 0) for row in after[table])

    # The observations per indicator and month are counted from the bearings already there.
    counted = Counter((row[1], str(row[3])[:7] + "-01") for row in after["observation_indicator"])
    assert counted
    assert {(row[0], row[1]): row[2] for row in after["indicator_month_count"]} == counted

    # And the old records work with the new features.
    status = {row["key"]: row for row in json.loads(result.stdout)}
    assert (status["miami-talks"]["status"], status["miami-talks"]["direction"]) == (
        "moved",
        "toward",
    )
    brief = run_tracker(
        "--db", str(path), "brief", "--since", "2025-12-15", "--until", "2025-12-21",
        "--format", "json", cwd=tmp_path,
    )  # fmt: skip
    assert brief.returncode == 0, brief.stderr
    summaries = [r["summary"] for r in json.loads(brief.stdout)["references"]]
    assert any(s.startswith("Made by schema 0001") for s in summaries)
    # The old observations are in the new search index.
    db = open_database(str(path))
    try:
        found = search_observations(db, ObservationQuery(text='"made by schema"'))
        assert [e.entry.summary[:20] for e in found.entries] == ["Made by schema 0001:"]
    finally:
        db.close()
