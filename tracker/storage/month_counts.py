"""The observations counted per indicator and month (`indicator_month_count`), kept by triggers
on the bearings (`observation_indicator`) that migration 0005 made.

The SQL lives here, not in the migration alone, because a bulk load sets SQLite's insert
trigger aside and must put back exactly the trigger the migration made (`counted_at_the_end`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

TABLE = "indicator_month_count"
EVENTS = ("insert", "delete", "update")
POSTGRESQL_FUNCTION = f"{TABLE}_follow"
_SQLITE_INSERT_TRIGGER = f"{TABLE}_insert"


def month(dialect: str, day: str) -> str:
    """SQL for the first day of the month of `day` (a date column or expression)."""
    if dialect == "sqlite":
        return f"date({day}, 'start of month')"
    # From a timestamp without time zone: the session's zone cannot move the day.
    return f"date_trunc('month', {day}::timestamp)::date"


def count_all(dialect: str) -> str:
    """The statement that counts every bearing into the (empty) table."""
    by_month = month(dialect, "event_date")
    return (
        f"INSERT INTO {TABLE} (indicator_id, month, observations)"
        f" SELECT indicator_id, {by_month}, count(*) FROM observation_indicator"
        f" GROUP BY indicator_id, {by_month}"
    )


def trigger_statements(dialect: str) -> list[str]:
    """The statements that make the triggers keeping the counts, in order."""
    if dialect == "sqlite":
        return list(_sqlite_triggers().values())
    return _postgresql_triggers()


def _sqlite_triggers() -> dict[str, str]:
    """Each trigger's statement, by its name."""
    new_month, old_month = month("sqlite", "new.event_date"), month("sqlite", "old.event_date")
    add = (
        f"INSERT INTO {TABLE} (indicator_id, month, observations)"
        f" VALUES (new.indicator_id, {new_month}, 1)"
        " ON CONFLICT (indicator_id, month) DO UPDATE SET observations = observations + 1;"
    )
    # The month's last bearing takes its row with it; otherwise one fewer.
    this_month = f"indicator_id = old.indicator_id AND month = {old_month}"
    take_away = (
        f"DELETE FROM {TABLE} WHERE {this_month} AND observations = 1;"
        f" UPDATE {TABLE} SET observations = observations - 1 WHERE {this_month};"
    )
    return {
        _SQLITE_INSERT_TRIGGER: (
            f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON observation_indicator BEGIN {add} END"
        ),
        # Bearings are never changed or deleted; should anything do it, the counts follow.
        f"{TABLE}_delete": (
            f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON observation_indicator"
            f" BEGIN {take_away} END"
        ),
        f"{TABLE}_update": (
            f"CREATE TRIGGER {TABLE}_update AFTER UPDATE OF indicator_id, event_date"
            " ON observation_indicator"
            " WHEN old.indicator_id IS NOT new.indicator_id OR old.event_date IS NOT new.event_date"
            f" BEGIN {take_away} {add} END"
        ),
    }


def _postgresql_triggers() -> list[str]:
    def changed(rows: str) -> str:
        by_month = month("postgresql", "event_date")
        return (
            f"(SELECT indicator_id, {by_month} AS month, count(*) AS n FROM {rows}"
            f" GROUP BY indicator_id, {by_month})"
        )

    matching = "c.indicator_id = gone.indicator_id AND c.month = gone.month"
    function = f"""
        CREATE FUNCTION {POSTGRESQL_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP IN ('DELETE', 'UPDATE') THEN
                DELETE FROM {TABLE} c USING {changed("old_rows")} gone
                    WHERE {matching} AND c.observations = gone.n;
                UPDATE {TABLE} c SET observations = c.observations - gone.n
                    FROM {changed("old_rows")} gone WHERE {matching};
            END IF;
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                INSERT INTO {TABLE} AS c (indicator_id, month, observations)
                    SELECT * FROM {changed("new_rows")} added
                    ON CONFLICT (indicator_id, month)
                    DO UPDATE SET observations = c.observations + excluded.observations;
            END IF;
            RETURN NULL;
        END
        $$
        """
    # PostgreSQL gives a trigger its changed rows as a table only for one event at a time.
    referencing = {
        "insert": "NEW TABLE AS new_rows",
        "delete": "OLD TABLE AS old_rows",
        "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }
    return [function] + [
        f"CREATE TRIGGER {TABLE}_{event} AFTER {event.upper()} ON observation_indicator"
        f" REFERENCING {referencing[event]} FOR EACH STATEMENT"
        f" EXECUTE FUNCTION {POSTGRESQL_FUNCTION}()"
        for event in EVENTS
    ]


@contextmanager
def counted_at_the_end(connection: Connection) -> Iterator[None]:
    """For writing very many bearings inside one write transaction, which holds the write lock
    throughout. SQLite's insert trigger, run for each row, cost an archive's import an eighth
    more time; so it is set aside for the block, and when the block ends it is made again as
    the migration made it and the counts are counted afresh in one statement (about a second
    for 1,750,000 bearings), in the same transaction: no reader sees the counts behind, and
    should the block fail, rolling back restores the trigger.

    PostgreSQL's triggers run once for each statement, adding up the rows it wrote: the bulk
    writer inserts thousands of rows a statement (`bulk_rows.RowWriter`), so they stay."""
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql(f"DROP TRIGGER {_SQLITE_INSERT_TRIGGER}")
    yield
    connection.exec_driver_sql(_sqlite_triggers()[_SQLITE_INSERT_TRIGGER])
    connection.exec_driver_sql(f"DELETE FROM {TABLE}")
    connection.exec_driver_sql(count_all("sqlite"))
