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

from tracker.storage import month_counts

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = month_counts.TABLE
EVENTS = month_counts.EVENTS


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
    for statement in month_counts.trigger_statements(dialect):
        op.execute(statement)
    op.execute(month_counts.count_all(dialect))


def downgrade() -> None:
    on_sqlite = op.get_bind().dialect.name == "sqlite"
    for event in EVENTS:
        op.execute(
            f"DROP TRIGGER {TABLE}_{event}" + ("" if on_sqlite else " ON observation_indicator")
        )
    if not on_sqlite:
        op.execute(f"DROP FUNCTION {month_counts.POSTGRESQL_FUNCTION}()")
    op.drop_table(TABLE)
