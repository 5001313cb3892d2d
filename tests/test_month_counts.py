"""The observations counted per indicator and month (migration 0005) are the database's own
work: whatever writes, changes or removes bearings, on either engine, the table holds exactly
the bearings counted by month, and the board's totals built on it are the plain counts."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from alembic import command
from sqlalchemy import Connection, text

from tests.conftest import DbTarget
from tracker.services.clock import FixedClock
from tracker.services.observations import ObservationDraft, record_observation
from tracker.services.record_export import export_record
from tracker.services.record_file import check_record_file
from tracker.services.record_import import import_record
from tracker.services.seeding import seed_if_empty
from tracker.services.status import status_as_of
from tracker.storage import month_counts
from tracker.storage.database import Database, open_database
from tracker.storage.migrations.runner import alembic_config, upgrade_to_head

# Either side of two month ends and a year end, and a leap day.
DAYS = ["2023-12-31", "2024-01-01", "2024-02-29", "2024-03-01", "2025-11-30", "2025-12-01"]

# For copying bearings `b` to indicator `i`: leaves out the observations that bear on it already.
NOT_YET_BORNE = (
    "NOT EXISTS (SELECT 1 FROM observation_indicator o"
    " WHERE o.observation_id = b.observation_id AND o.indicator_id = i.id)"
)


def kept_counts(connection: Connection) -> dict[tuple[int, date], int]:
    rows = connection.execute(
        text("SELECT indicator_id, month, observations FROM indicator_month_count")
    )
    return {(indicator, _day(month)): count for indicator, month, count in rows}


def recounted(connection: Connection) -> dict[tuple[int, date], int]:
    """The bearings counted by month here, in Python, not by either engine's date functions."""
    rows = connection.execute(text("SELECT indicator_id, event_date FROM observation_indicator"))
    return dict(Counter((indicator, _day(day).replace(day=1)) for indicator, day in rows))


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def assert_counts_follow(db: Database) -> None:
    with db.engine.connect() as connection:
        assert kept_counts(connection) == recounted(connection)


def test_month_counts_follow_every_write_to_the_bearings(
    seeded_db: Database, clock: FixedClock
) -> None:
    _observe(seeded_db, clock, DAYS, "Seen on", also=("european-unity", "away"))
    assert_counts_follow(seeded_db)
    with seeded_db.engine.connect() as connection:
        assert len(kept_counts(connection)) >= 2 * 5  # a month per day, less the shared one
    # Writes no service makes, as an import or an analyst's own SQL could: many rows in one
    # statement, a bearing moved to another day or indicator, bearings deleted.
    with seeded_db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO observation_indicator (observation_id, indicator_id, bearing,"
                " event_date) SELECT b.observation_id, i.id, 'none', b.event_date"
                " FROM observation_indicator b JOIN indicator i ON i.key = 'kyiv-firmness'"
                " WHERE b.indicator_id = (SELECT id FROM indicator WHERE key = 'miami-talks')"
                f" AND {NOT_YET_BORNE}"
            )
        )
    assert_counts_follow(seeded_db)
    with seeded_db.engine.begin() as connection:
        connection.execute(
            text("UPDATE observation_indicator SET event_date = :day WHERE event_date = :before"),
            {"day": date(2024, 3, 31), "before": date(2024, 2, 29)},
        )
        connection.execute(
            text(
                "UPDATE observation_indicator SET indicator_id ="
                " (SELECT id FROM indicator WHERE key = 'civilian-toll')"
                " WHERE event_date = :day AND indicator_id ="
                " (SELECT id FROM indicator WHERE key = 'kyiv-firmness')"
            ),
            {"day": date(2025, 12, 1)},
        )
        # Not the month or the indicator: nothing to count differently.
        connection.execute(text("UPDATE observation_indicator SET bearing = 'none'"))
    assert_counts_follow(seeded_db)
    with seeded_db.engine.begin() as connection:
        connection.execute(
            text("DELETE FROM observation_indicator WHERE event_date >= :day"),
            {"day": date(2024, 3, 1)},
        )
    assert_counts_follow(seeded_db)
    with seeded_db.engine.begin() as connection:
        connection.execute(text("DELETE FROM observation_indicator"))
        assert kept_counts(connection) == {}


def test_upgrading_to_month_counts_counts_the_bearings_already_there(
    db_target: DbTarget, clock: FixedClock
) -> None:
    """A database of schema 0004 with bearings in it: migration 0005 counts them, and from
    then on the triggers keep the counts. (Downgrading takes the table and triggers away.)"""
    db = db_target.open()
    try:
        seed_if_empty(db, clock)
        start = date(2025, 9, 28)
        for offset in range(0, 80, 3):
            record_observation(
                db,
                ObservationDraft(
                    bearings=[("miami-talks", "toward"), ("territory", "away")],
                    summary="Seen.",
                    event_date=(start + timedelta(days=offset)).isoformat(),
                    author="ana",
                ),
                clock,
            )
        with db._writer.begin() as connection:
            command.downgrade(alembic_config(connection), "0004")
            # Written while there was nothing to count them.
            connection.execute(
                text(
                    "INSERT INTO observation_indicator (observation_id, indicator_id, bearing,"
                    " event_date) SELECT b.observation_id, i.id, 'none', b.event_date"
                    " FROM observation_indicator b JOIN indicator i ON i.key = 'reconstruction'"
                    " WHERE b.indicator_id = (SELECT id FROM indicator WHERE key = 'territory')"
                    f" AND {NOT_YET_BORNE}"
                )
            )
            uncounted = connection.execute(
                text(
                    "SELECT count(*) FROM observation_indicator WHERE indicator_id ="
                    " (SELECT id FROM indicator WHERE key = 'reconstruction')"
                )
            ).scalar_one()
            assert uncounted > 0
        upgrade_to_head(db._writer)
        assert_counts_follow(db)
        record_observation(
            db,
            ObservationDraft(
                bearings=[("reconstruction", "toward")],
                summary="Seen after.",
                event_date="2025-11-02",
                author="ana",
            ),
            clock,
        )
        assert_counts_follow(db)
        with db.engine.connect() as connection:
            plain = dict(
                connection.execute(
                    text(
                        "SELECT i.key, count(b.indicator_id) FROM indicator i"
                        " LEFT JOIN observation_indicator b"
                        " ON b.indicator_id = i.id AND b.event_date <= :day GROUP BY i.key"
                    ),
                    {"day": date(2025, 11, 15)},
                ).all()
            )
        after = status_as_of(db, clock, "2025-11-15").indicators
        assert {i.key: i.observation_count for i in after} == plain
        assert plain["reconstruction"] > 1
    finally:
        db.close()


def _triggers(db: Database) -> dict[str, object]:
    """The triggers on the bearings, by name, each as the engine states its definition."""
    if db.engine.dialect.name == "sqlite":
        query = (
            "SELECT name, sql FROM sqlite_master"
            " WHERE type = 'trigger' AND tbl_name = 'observation_indicator'"
        )
    else:
        query = (
            "SELECT tgname, (pg_get_triggerdef(oid), tgenabled) FROM pg_trigger"
            " WHERE tgrelid = 'observation_indicator'::regclass AND NOT tgisinternal"
        )
    with db.engine.connect() as connection:
        return {name: definition for name, definition in connection.execute(text(query))}


def assert_triggers_as_migrated(db: Database) -> None:
    """The counting triggers are there, as migration 0005 makes them (SQLite keeps the very
    text of each; PostgreSQL its own rendering), and on."""
    triggers = _triggers(db)
    if db.engine.dialect.name == "sqlite":
        assert sorted(triggers.values()) == sorted(month_counts.trigger_statements("sqlite"))
        return
    assert sorted(triggers) == [
        f"{month_counts.TABLE}_{event}" for event in sorted(month_counts.EVENTS)
    ]
    for name, (definition, enabled) in triggers.items():
        assert enabled == "O"
        assert definition.endswith(
            f"FOR EACH STATEMENT EXECUTE FUNCTION {month_counts.POSTGRESQL_FUNCTION}()"
        ), (name, definition)


def _observe(
    db: Database,
    clock: FixedClock,
    days: list[str],
    summary: str,
    *,
    also: tuple[str, str] = ("territory", "away"),
) -> None:
    for day in days:
        record_observation(
            db,
            ObservationDraft(
                bearings=[("miami-talks", "toward"), also],
                summary=f"{summary} {day}.",
                event_date=day,
                author="ana",
            ),
            clock,
        )


def test_a_bulk_import_counts_the_bearings_and_puts_the_triggers_back(
    seeded_db: Database, clock: FixedClock, tmp_path: Path
) -> None:
    """An import of many observations sets the counting aside and counts once at the end:
    into a new database and into one that holds records already (on either engine), the
    counts are the bearings counted by month, and the triggers are the migration's again."""
    source = open_database(str(tmp_path / "source.sqlite3"))
    try:
        seed_if_empty(source, clock)
        _observe(source, clock, DAYS, "Seen in the file on")
        checked_text = export_record(source).to_json()
        made_by_migration = _triggers(source)
        new = open_database(str(tmp_path / "new.sqlite3"))
        try:
            with check_record_file(lambda: iter([checked_text]), "f") as checked:
                import_record(new, checked)
            assert_counts_follow(new)
            assert _triggers(new) == made_by_migration
            assert_triggers_as_migrated(new)
        finally:
            new.close()
    finally:
        source.close()

    # Held here already: one observation of the desk's own, in a month the file's share.
    _observe(seeded_db, clock, ["2024-01-15"], "Seen here on")
    migrated = _triggers(seeded_db)
    assert len(migrated) == 3
    with check_record_file(lambda: iter([checked_text]), "f") as checked:
        report = import_record(seeded_db, checked)
    assert report.added["observations"] == len(DAYS)
    assert_counts_follow(seeded_db)
    assert _triggers(seeded_db) == migrated
    assert_triggers_as_migrated(seeded_db)
    # The counting is there again: a write after the import is counted.
    _observe(seeded_db, clock, ["2024-01-16", "2025-12-02"], "Seen after on")
    assert_counts_follow(seeded_db)
    with check_record_file(lambda: iter([checked_text]), "f") as checked:
        again = import_record(seeded_db, checked)
    assert again.added == {}
    assert_counts_follow(seeded_db)
