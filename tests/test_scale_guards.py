"""Guards on the work tracker does at a desk's scale, counted, never timed: the board's status asks
the same few queries on a record of 3,000 observations as on one of 100,000 (made by the scale
generator, benchmarks/generate.py), and SQLite answers each from an index rather than by
reading a large table through."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from tests.conftest import REPO, tracker_env
from tracker.services import status
from tracker.services.clock import FixedClock
from tracker.services.observation_log import PAGE_SIZE, LogKey, ObservationQuery, read_log
from tracker.services.status import status_as_of
from tracker.storage.database import Database, open_database
from tracker.storage.models import Indicator, ObservationIndicator

NOW = FixedClock(datetime(2026, 11, 2, 12, tzinfo=UTC))
TWO_YEARS_BACK = date(2024, 11, 1)
# Tables that grow with the record: reading one through is what the guards forbid.
LARGE = (
    "observation",
    "observation_indicator",
    "assessment",
    "assessment_evidence",
    "indicator_month_count",
)
_FULL_READ = re.compile(
    rf"^SCAN ({'|'.join(LARGE)})\b(?! USING (?:INTEGER PRIMARY KEY|INDEX \S+ \())"
)
_INDEX_WALK = re.compile(r"^SCAN \w+ USING (?:COVERING )?INDEX \S+$")


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small record and a desk's, made once."""
    folder = tmp_path_factory.mktemp("scale")
    made = {}
    for name, size in (("small", ["--observations", "3000", "--assessments", "2000"]),
                       ("desk", ["--size", "desk"])):  # fmt: skip
        path = folder / f"{name}.sqlite3"
        result = subprocess.run(
            [sys.executable, "-m", "benchmarks.generate", "--db", str(path), *size],
            cwd=REPO,
            env=tracker_env(folder),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        made[name] = path
    return made


@contextmanager
def statements(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the block sends to the database, with its parameters."""
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def full_reads(db: Database, sent: list[tuple[str, Any]]) -> list[str]:
    """The lines of SQLite's query plans that read a large table through."""
    found = []
    with db.engine.connect() as connection:
        for statement, parameters in sent:
            if not statement.lstrip().upper().startswith("SELECT"):
                continue
            plan = [row[-1].strip() for row in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", parameters
            )]  # fmt: skip
            # Walking an index in the order asked for, with a LIMIT and nothing to sort, stops
            # after that many rows: a page, not a full read.
            walk = " LIMIT " in statement.upper() and not any("TEMP B-TREE" in p for p in plan)
            found += [
                line
                for line in plan
                if _FULL_READ.search(line) and not (walk and _INDEX_WALK.search(line))
            ]
    return found


# A page of the observation log, read as the app reads it: from the top, from the bottom, from a
# row in the middle of three years, and the busiest indicator's own.
MIDDLE = LogKey(date(2025, 6, 1), datetime(2025, 6, 1, 12, tzinfo=UTC), 10**12)
Action = Callable[[Database, str], object]  # given the busiest indicator of generated-01
# Each case, and the most statements it may send.
CASES: dict[str, tuple[Action, int]] = {
    "status of every set today": (lambda db, _: status_as_of(db, NOW), 3),
    "status of every set two years back": (
        lambda db, _: status_as_of(db, NOW, TWO_YEARS_BACK),
        3,
    ),
    "status of one set": (lambda db, _: status_as_of(db, NOW, None, "generated-03"), 3),
    "the log's newest page": (lambda db, _: read_log(db, ObservationQuery()), 3),
    "the log's oldest page": (lambda db, _: read_log(db, ObservationQuery(), toward="newer"), 3),
    "a page in the middle": (lambda db, _: read_log(db, ObservationQuery(), after=MIDDLE), 3),
    "a page above the middle": (
        lambda db, _: read_log(db, ObservationQuery(), after=MIDDLE, toward="newer"),
        3,
    ),
    "an indicator's middle page": (
        lambda db, key: read_log(
            db, ObservationQuery(indicator_key=key, set_slug="generated-01"), after=MIDDLE
        ),
        5,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_same_queries_whatever_the_size_each_from_an_index(
    case: str, records: dict[str, Path]
) -> None:
    action, most = CASES[case]
    counted = {}
    for name, path in records.items():
        db = open_database(str(path))
        try:
            with db.engine.connect() as connection:
                busiest = connection.exec_driver_sql(
                    "SELECT i.key FROM indicator i JOIN indicator_set s ON s.id = i.set_id"
                    " JOIN observation_indicator b ON b.indicator_id = i.id"
                    " WHERE s.slug = 'generated-01' GROUP BY i.id ORDER BY count(*) DESC LIMIT 1"
                ).scalar_one()
            with statements(db) as sent:
                result = action(db, busiest)
            if isinstance(result, tuple):  # a page: it must have found rows to say anything
                assert 0 < len(result) <= PAGE_SIZE, (name, case)
            counted[name] = len(sent)
            assert full_reads(db, sent) == [], (name, case)
        finally:
            db.close()
    assert counted["small"] == counted["desk"] <= most, counted


def test_the_guard_sees_a_full_read(records: dict[str, Path]) -> None:
    """The check above would catch a query that counts by reading the table through."""
    db = open_database(str(records["small"]))
    try:
        with statements(db) as sent, db.engine.connect() as connection:
            connection.exec_driver_sql(
                "SELECT indicator_id, count(*) FROM observation_indicator WHERE bearing = 'away' "
                "GROUP BY indicator_id"
            ).all()
        assert full_reads(db, sent)
        # A LIMIT does not excuse a read that must sort every row before it can stop.
        with statements(db) as sent, db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT id FROM observation ORDER BY summary LIMIT 10").all()
        assert full_reads(db, sent)
    finally:
        db.close()


def _days_to_compare(how_many_between: int) -> list[date]:
    """The first, second and last day of every month of the generated years (and a month
    either side), and some days between."""
    days: set[date] = set()
    month = date(2023, 10, 1)
    while month <= NOW.today():
        following = (month + timedelta(days=31)).replace(day=1)
        days.update({month, month + timedelta(days=1), following - timedelta(days=1)})
        month = following
    span = (NOW.today() - date(2023, 10, 1)).days
    picks = random.Random(5)
    days.update(
        date(2023, 10, 1) + timedelta(picks.randrange(span)) for _ in range(how_many_between)
    )
    return sorted(day for day in days if day <= NOW.today())


# Every month's edges and 60 days between on the small record; a third of the edges on the
# desk's, where each count by every bearing costs more.
@pytest.mark.parametrize(("name", "between", "step"), [("small", 60, 1), ("desk", 0, 3)])
def test_the_board_counts_what_stepping_through_every_bearing_counts(
    name: str, between: int, step: int, records: dict[str, Path]
) -> None:
    """Each indicator's observations up to a day, counted from the counts kept per month
    (migration 0005), are those the board counted before, by stepping through every bearing up
    to the day, on every kind of day; and the counts kept are the bearings counted by month."""
    db = open_database(str(records[name]))
    try:
        with db.engine.connect() as connection:
            kept = connection.exec_driver_sql(
                "SELECT indicator_id, month, observations FROM indicator_month_count"
            ).all()
            bearings = connection.exec_driver_sql(
                "SELECT indicator_id, event_date FROM observation_indicator"
            )
            by_month = Counter((i, date.fromisoformat(day).replace(day=1)) for i, day in bearings)
            assert {(i, date.fromisoformat(month)): n for i, month, n in kept} == by_month
            for day in _days_to_compare(between)[::step]:
                every_bearing = status._count_links(
                    Indicator.id, ObservationIndicator.event_date <= day
                )
                counts = select(Indicator.id, status._count_up_to(day), every_bearing)
                rows = connection.execute(counts).all()
                assert [row for row in rows if row[1] != row[2]] == [], day
                assert rows
        assert sum(count for _, _, count in rows) > 0
    finally:
        db.close()
