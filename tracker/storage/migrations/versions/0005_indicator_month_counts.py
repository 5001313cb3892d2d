"""observations per indicator and month, kept by triggers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 06:00:00

The board counts each indicator's observations up to its date. Stepping through every bearing
up to the day cost 99 ms of the board's 116 ms at 1,750,000 bearings; with the count of each
full month kept here, only the days of the last month are stepped through.

The counts are the database's own work, so every way of writing bearings keeps them: the
services, imports, the scale generator, an analyst's own SQL. On SQLite, triggers for each
row; on PostgreSQL, triggers for each statement that add up the rows it changed (a statement
that inserts many rows, as this migration's own count or COPY does, updates each indicator's
month once, not once per row). A month whose last bearing
goes loses its row, so the table is always exactly the bearings counted by month.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "indicator_month_count"
EVENTS = ("insert", "delete", "update")
_POSTGRESQL_FUNCTION = f"{TABLE}_follow"


def _month(dialect: str, day: str) -> str:
    """SQL for the first day of the month of `day` (a date column or expression)."""
    if dialect == "sqlite":
        return f"date({day}, 'start of month')"
    # From a timestamp without time zone: the session's zone cannot move the day.
    return f"date_trunc('month', {day}::timestamp)::date"


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        TABLE,
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("observations", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "observations > 0", name=op.f("ck_indicator_month_count_observations_positive")
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_indicator_month_count_indicator_id_indicator"),
        ),
        sa.PrimaryKeyConstraint("indicator_id", "month", name=op.f("pk_indicator_month_count")),
        sqlite_with_rowid=False,
    )
    # The triggers first: on PostgreSQL creating one locks out other writers of the bearings
    # until this transaction ends, so none can slip in between the count and the triggers.
    # (On SQLite the migration holds the write lock throughout.)
    if dialect == "sqlite":
        _sqlite_triggers()
    else:
        _postgresql_triggers()
    month = _month(dialect, "event_date")
    op.execute(
        f"INSERT INTO {TABLE} (indicator_id, month, observations)"
        f" SELECT indicator_id, {month}, count(*) FROM observation_indicator"
        f" GROUP BY indicator_id, {month}"
    )


def _sqlite_triggers() -> None:
    new_month, old_month = _month("sqlite", "new.event_date"), _month("sqlite", "old.event_date")
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
    op.execute(
        f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON observation_indicator BEGIN {add} END"
    )
    # Bearings are never changed or deleted; should anything do it, the counts follow.
    op.execute(
        f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON observation_indicator BEGIN {take_away} END"
    )
    op.execute(
        f"CREATE TRIGGER {TABLE}_update AFTER UPDATE OF indicator_id, event_date"
        " ON observation_indicator"
        " WHEN old.indicator_id IS NOT new.indicator_id OR old.event_date IS NOT new.event_date"
        f" BEGIN {take_away} {add} END"
    )


def _postgresql_triggers() -> None:
    def changed(rows: str) -> str:
        month = _month("postgresql", "event_date")
        return (
            f"(SELECT indicator_id, {month} AS month, count(*) AS n FROM {rows}"
            f" GROUP BY indicator_id, {month})"
        )

    matching = "c.indicator_id = gone.indicator_id AND c.month = gone.month"
    op.execute(
        f"""
        CREATE FUNCTION {_POSTGRESQL_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
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
    )
    # PostgreSQL gives a trigger its changed rows as a table only for one event at a time.
    referencing = {
        "insert": "NEW TABLE AS new_rows",
        "delete": "OLD TABLE AS old_rows",
        "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }
    for event in EVENTS:
        op.execute(
            f"CREATE TRIGGER {TABLE}_{event} AFTER {event.upper()} ON observation_indicator"
            f" REFERENCING {referencing[event]} FOR EACH STATEMENT"
            f" EXECUTE FUNCTION {_POSTGRESQL_FUNCTION}()"
        )


def downgrade() -> None:
    on_sqlite = op.get_bind().dialect.name == "sqlite"
    for event in EVENTS:
        op.execute(
            f"DROP TRIGGER {TABLE}_{event}" + ("" if on_sqlite else " ON observation_indicator")
        )
    if not on_sqlite:
        op.execute(f"DROP FUNCTION {_POSTGRESQL_FUNCTION}()")
    op.drop_table(TABLE)
