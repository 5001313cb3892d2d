"""issued briefings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import tracker.storage.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "issued_briefing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("issued_at", tracker.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "period_start <= period_end", name=op.f("ck_issued_briefing_period_in_order")
        ),
        sa.ForeignKeyConstraint(
            ["set_id"], ["indicator_set.id"], name=op.f("fk_issued_briefing_set_id_indicator_set")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_briefing")),
        sa.UniqueConstraint("uuid", name=op.f("uq_issued_briefing_uuid")),
    )
    with op.batch_alter_table("issued_briefing", schema=None) as batch_op:
        batch_op.create_index("ix_issued_briefing_set_end", ["set_id", "period_end"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("issued_briefing", schema=None) as batch_op:
        batch_op.drop_index("ix_issued_briefing_set_end")
    op.drop_table("issued_briefing")
