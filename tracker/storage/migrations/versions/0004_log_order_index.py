"""the observation log's order as one index; observations by author

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:00:00

The log lists observations newest first by (event_date, recorded_at, id) and pages through them
from the last row shown (keyset paging), so each page is one index range, however deep. The
index on event_date alone, a prefix of the new one, goes. The log's author filter, and the list
of authors it offers, read an index on author instead of every observation.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_observation_log_order", "observation", ["event_date", "recorded_at", "id"])
    op.drop_index("ix_observation_event_date", table_name="observation")
    op.create_index("ix_observation_author", "observation", ["author"])


def downgrade() -> None:
    op.drop_index("ix_observation_author", table_name="observation")
    op.create_index("ix_observation_event_date", "observation", ["event_date"])
    op.drop_index("ix_observation_log_order", table_name="observation")
