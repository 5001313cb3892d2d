"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 18:24:19.249381
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import tracker.storage.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indicator_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("definition_file", sa.Text(), nullable=False),
        sa.Column("loaded_at", tracker.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_set")),
        sa.UniqueConstraint("slug", name=op.f("uq_indicator_set_slug")),
    )
    op.create_table(
        "observation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", tracker.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source_title", sa.Text(), nullable=True),
        sa.Column("source_publisher", sa.Text(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column("source_date", sa.Date(), nullable=True),
        sa.Column("unsourced", sa.Boolean(), nullable=False),
        sa.Column("reliability", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=True),
        sa.Column("credibility", sa.Integer(), nullable=True),
        sa.Column("author", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "reliability IN ('A', 'B', 'C', 'D', 'E', 'F')",
            name=op.f("ck_observation_reliability_grade"),
        ),
        sa.CheckConstraint(
            "credibility BETWEEN 1 AND 6", name=op.f("ck_observation_credibility_grade")
        ),
        sa.CheckConstraint("length(summary) > 0", name=op.f("ck_observation_summary_not_empty")),
        sa.CheckConstraint(
            "unsourced OR source_title IS NOT NULL OR source_publisher IS NOT NULL"
            " OR source_url IS NOT NULL",
            name=op.f("ck_observation_sourced_or_marked_unsourced"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_observation")),
        sa.UniqueConstraint("uuid", name=op.f("uq_observation_uuid")),
    )
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_observation_event_date"), ["event_date"], unique=False)

    op.create_table(
        "retraction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("observation_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("recorded_at", tracker.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(reason) > 0", name=op.f("ck_retraction_reason_not_empty")),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["observation.id"],
            name=op.f("fk_retraction_observation_id_observation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retraction")),
        sa.UniqueConstraint("observation_id", name=op.f("uq_retraction_observation_id")),
        sa.UniqueConstraint("uuid", name=op.f("uq_retraction_uuid")),
    )
    op.create_table(
        "theme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_id"], ["indicator_set.id"], name=op.f("fk_theme_set_id_indicator_set")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theme")),
        sa.UniqueConstraint("set_id", "key", name="uq_theme_set_key"),
    )
    op.create_table(
        "indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("set_id", sa.Integer(), nullable=False),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("moved_when", sa.Text(), nullable=False),
        sa.Column("toward_means", sa.Text(), nullable=False),
        sa.Column("away_means", sa.Text(), nullable=False),
        sa.Column("actors", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired_at", tracker.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["set_id"], ["indicator_set.id"], name=op.f("fk_indicator_set_id_indicator_set")
        ),
        sa.ForeignKeyConstraint(
            ["theme_id"], ["theme.id"], name=op.f("fk_indicator_theme_id_theme")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator")),
        sa.UniqueConstraint("set_id", "key", name="uq_indicator_set_key"),
    )
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_indicator_theme_id"), ["theme_id"], unique=False)

    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("direction", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
        sa.Column("confidence", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", tracker.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(status = 'moved' AND direction IN ('toward', 'away'))"
            " OR (status = 'unmoved' AND direction IS NULL)",
            name=op.f("ck_assessment_direction_when_moved"),
        ),
        sa.CheckConstraint(
            "confidence IN ('low', 'medium', 'high')", name=op.f("ck_assessment_confidence_value")
        ),
        sa.CheckConstraint(
            "status IN ('moved', 'unmoved')", name=op.f("ck_assessment_status_value")
        ),
        sa.CheckConstraint("length(rationale) > 0", name=op.f("ck_assessment_rationale_not_empty")),
        sa.ForeignKeyConstraint(
            ["indicator_id"], ["indicator.id"], name=op.f("fk_assessment_indicator_id_indicator")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
        sa.UniqueConstraint("uuid", name=op.f("uq_assessment_uuid")),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessment_indicator_effective",
            ["indicator_id", "effective_on", "recorded_at", "id"],
            unique=False,
        )

    op.create_table(
        "observation_indicator",
        sa.Column("observation_id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("bearing", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.CheckConstraint(
            "bearing IN ('toward', 'away', 'none')",
            name=op.f("ck_observation_indicator_bearing_value"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["indicator.id"],
            name=op.f("fk_observation_indicator_indicator_id_indicator"),
        ),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["observation.id"],
            name=op.f("fk_observation_indicator_observation_id_observation"),
        ),
        sa.PrimaryKeyConstraint(
            "observation_id", "indicator_id", name=op.f("pk_observation_indicator")
        ),
    )
    with op.batch_alter_table("observation_indicator", schema=None) as batch_op:
        batch_op.create_index(
            "ix_observation_indicator_indicator_date", ["indicator_id", "event_date"], unique=False
        )

    op.create_table(
        "assessment_evidence",
        sa.Column("assessment_id", sa.Integer(), nullable=False),
        sa.Column("observation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessment.id"],
            name=op.f("fk_assessment_evidence_assessment_id_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["observation_id"],
            ["observation.id"],
            name=op.f("fk_assessment_evidence_observation_id_observation"),
        ),
        sa.PrimaryKeyConstraint(
            "assessment_id", "observation_id", name=op.f("pk_assessment_evidence")
        ),
    )
    with op.batch_alter_table("assessment_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assessment_evidence_observation_id"), ["observation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("assessment_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_evidence_observation_id"))

    op.drop_table("assessment_evidence")
    with op.batch_alter_table("observation_indicator", schema=None) as batch_op:
        batch_op.drop_index("ix_observation_indicator_indicator_date")

    op.drop_table("observation_indicator")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_indicator_effective")

    op.drop_table("assessment")
    with op.batch_alter_table("indicator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_indicator_theme_id"))

    op.drop_table("indicator")
    op.drop_table("theme")
    op.drop_table("retraction")
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_observation_event_date"))

    op.drop_table("observation")
    op.drop_table("indicator_set")
