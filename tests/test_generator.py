"""The benchmarks' scale generator (benchmarks/generate.py), at a small size on both engines: the
same seed gives the same records, and what it writes holds together as tracker's own writes do."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from tests.conftest import (
    REPO,
    DbTarget,
    MakeTarget,
    database_contents,
    query_tuples,
    row_counts,
    tracker_env,
)
from tests.test_month_counts import assert_counts_follow, assert_triggers_as_migrated
from tracker.services.clock import FixedClock
from tracker.services.observation_log import ObservationQuery, search_observations
from tracker.services.status import status_as_of

SMALL = ["--sets", "3", "--indicators", "30", "--observations", "3000", "--assessments", "300"]


def generate(target: DbTarget, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks.generate", "--db", str(target), *SMALL, *args],
        cwd=REPO,
        env=tracker_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_same_seed_gives_the_same_records_and_another_seed_others(
    engine: str, _targets: MakeTarget, tmp_path: Path
) -> None:
    folders = [tmp_path / name for name in ("a", "b", "c")]
    for folder in folders:
        folder.mkdir()
    made = [_targets(engine, folder) for folder in folders]
    try:
        for target, seed in zip(made, ("7", "7", "8"), strict=True):
            result = generate(target, tmp_path, "--seed", seed)
            assert result.returncode == 0, result.stderr
            assert "3,000 observation" in result.stdout, result.stdout
        first, again, other = (database_contents(target) for target in made)
        assert first == again
        assert first["observation"] != other["observation"]
    finally:
        for target in made:
            target.drop()


def test_what_it_writes_holds_together(db_target: DbTarget, tmp_path: Path) -> None:
    result = generate(db_target, tmp_path)
    assert result.returncode == 0, result.stderr
    counts = row_counts(db_target)
    assert counts["indicator_set"] == 3 and counts["indicator"] == 30
    assert counts["observation"] == 3000 and counts["retraction"] == 15
    assert counts["assessment"] == 300
    # Many-indicator observations, every one bearing on something.
    assert 3000 < counts["observation_indicator"] < 4 * 3000
    (unlinked,) = query_tuples(
        db_target,
        "SELECT count(*) FROM observation o WHERE NOT EXISTS "
        "(SELECT 1 FROM observation_indicator l WHERE l.observation_id = o.id)",
    )
    assert unlinked == (0,)
    # Bearings copy their observation's date; an observation's bearings are all in one set.
    assert query_tuples(
        db_target,
        "SELECT count(*) FROM observation_indicator l JOIN observation o "
        "ON o.id = l.observation_id WHERE l.event_date <> o.event_date",
    ) == [(0,)]
    assert query_tuples(
        db_target,
        "SELECT count(*) FROM (SELECT l.observation_id FROM observation_indicator l JOIN "
        "indicator i ON i.id = l.indicator_id GROUP BY l.observation_id "
        "HAVING count(DISTINCT i.set_id) > 1) x",
    ) == [(0,)]
    # Three years of dates.
    ((first, last),) = query_tuples(
        db_target, "SELECT min(event_date), max(event_date) FROM observation"
    )
    assert (date.fromisoformat(str(last)) - date.fromisoformat(str(first))).days > 2 * 365
    # Each indicator's assessments: a baseline first, each later one superseding the one
    # recorded just before it, citing observations of that indicator from before its date.
    chains = query_tuples(
        db_target,
        "SELECT indicator_id, id, supersedes_id, effective_on FROM assessment "
        "ORDER BY indicator_id, recorded_at, id",
    )
    previous: dict[object, object] = {}
    for indicator_id, assessment_id, supersedes_id, _ in chains:
        assert supersedes_id == previous.get(indicator_id), (indicator_id, assessment_id)
        previous[indicator_id] = assessment_id
    assert len(previous) == 30
    assert query_tuples(
        db_target,
        "SELECT count(*) FROM assessment_evidence e JOIN assessment a ON a.id = e.assessment_id "
        "JOIN observation o ON o.id = e.observation_id WHERE o.event_date > a.effective_on "
        "OR NOT EXISTS (SELECT 1 FROM observation_indicator l WHERE "
        "l.observation_id = o.id AND l.indicator_id = a.indicator_id)",
    ) == [(0,)]
    # Retractions come after what they retract.
    assert query_tuples(
        db_target,
        "SELECT count(*) FROM retraction r JOIN observation o ON o.id = r.observation_id "
        "WHERE r.recorded_at <= o.recorded_at",
    ) == [(0,)]

    db = db_target.open()
    try:
        # Counted by month in one go at the end, and counted as they come from then on.
        assert_counts_follow(db)
        assert_triggers_as_migrated(db)
        board = status_as_of(db, FixedClock(datetime(2026, 11, 2, 12, tzinfo=UTC)))
        assert len(board.indicators) == 30
        assert all(row.status is not None for row in board.indicators)  # each has a baseline
        assert len({row.set_slug for row in board.indicators}) == 3
        # The search index covers every observation, written in one go at the end.
        everything = search_observations(db, ObservationQuery(text="the"), limit=1).total
        (with_the,) = query_tuples(
            db_target,
            "SELECT count(*) FROM observation WHERE "
            + " OR ".join(
                f"lower(coalesce({column}, '')) LIKE '% the %' "
                f"OR lower(coalesce({column}, '')) LIKE 'the %'"
                for column in ("summary", "quote", "note", "source_title", "source_publisher")
            ),
        )
        assert everything >= with_the[0] > 1000
    finally:
        db.close()


def test_it_refuses_a_database_that_holds_records_and_writes_nothing(
    cli_db: DbTarget, tmp_path: Path
) -> None:
    before = database_contents(cli_db)
    result = generate(cli_db, tmp_path)
    assert result.returncode == 1
    assert "already holds indicator sets: use a new database" in result.stderr
    assert "Traceback" not in result.stderr
    assert database_contents(cli_db) == before
