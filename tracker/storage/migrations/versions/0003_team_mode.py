"""team mode: what an assessment supersedes, who loaded a set, full-text search of observations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 12:00:00

The search index is each engine's own: an FTS5 table kept by triggers on SQLite, a generated
tsvector column with a GIN index on PostgreSQL. Both see the same five text fields, split into
words at anything that is not a letter or a digit, case ignored, accents kept.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOREIGN_KEY = "fk_assessment_supersedes_id_assessment"
SEARCHED = ["summary", "quote", "note", "source_title", "source_publisher"]

# PostgreSQL's parser keeps "reuters.com", "e-mail" and "2025-12-02" as single tokens (with
# parts), and drops what looks like a tag ("<per Umerov>"); FTS5 splits them all into words.
# Turning these characters into spaces first splits them on both.
_JOINERS = ".-/_@:'’+#%&=~<>"


def upgrade() -> None:
    op.add_column("indicator_set", sa.Column("loaded_by", sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # Not batch mode: rebuilding the table would drop the one assessment_evidence refers to.
        op.execute(
            "ALTER TABLE assessment ADD COLUMN supersedes_id INTEGER "
            f"CONSTRAINT {FOREIGN_KEY} REFERENCES assessment (id)"
        )
        _sqlite_search()
    else:
        op.add_column("assessment", sa.Column("supersedes_id", sa.Integer(), nullable=True))
        op.create_foreign_key(FOREIGN_KEY, "assessment", "assessment", ["supersedes_id"], ["id"])
        _postgresql_search()


def _sqlite_search() -> None:
    columns = ", ".join(SEARCHED)
    new_values = ", ".join(f"new.{c}" for c in SEARCHED)
    old_values = ", ".join(f"old.{c}" for c in SEARCHED)
    op.execute(
        f"CREATE VIRTUAL TABLE observation_search USING fts5({columns}, content='observation',"
        " content_rowid='id', tokenize='unicode61 remove_diacritics 0')"
    )
    op.execute(
        "CREATE TRIGGER observation_search_insert AFTER INSERT ON observation BEGIN "
        f"INSERT INTO observation_search(rowid, {columns}) VALUES (new.id, {new_values}); END"
    )
    # Observations are never changed or deleted; should anything do it, the index follows.
    op.execute(
        "CREATE TRIGGER observation_search_delete AFTER DELETE ON observation BEGIN "
        f"INSERT INTO observation_search(observation_search, rowid, {columns}) "
        f"VALUES ('delete', old.id, {old_values}); END"
    )
    op.execute(
        "CREATE TRIGGER observation_search_update AFTER UPDATE ON observation BEGIN "
        f"INSERT INTO observation_search(observation_search, rowid, {columns}) "
        f"VALUES ('delete', old.id, {old_values}); "
        f"INSERT INTO observation_search(rowid, {columns}) VALUES (new.id, {new_values}); END"
    )
    op.execute("INSERT INTO observation_search(observation_search) VALUES ('rebuild')")


def _postgresql_search() -> None:
    text = " || ' ' || ".join(f"coalesce({c}, '')" for c in SEARCHED)
    joiners = _JOINERS.replace("'", "''")
    op.execute(
        "ALTER TABLE observation ADD COLUMN search tsvector GENERATED ALWAYS AS "
        f"(to_tsvector('simple', translate({text}, '{joiners}', '{' ' * len(_JOINERS)}'))) STORED"
    )
    op.execute("CREATE INDEX ix_observation_search ON observation USING gin (search)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER observation_search_{trigger}")
        op.execute("DROP TABLE observation_search")
    else:
        op.execute("DROP INDEX ix_observation_search")
        op.execute("ALTER TABLE observation DROP COLUMN search")
    with op.batch_alter_table("indicator_set", schema=None) as batch_op:
        batch_op.drop_column("loaded_by")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_constraint(FOREIGN_KEY, type_="foreignkey")
        batch_op.drop_column("supersedes_id")
