"""Running the migrations from code, on a connection tracker already holds."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from tracker.errors import TrackerError

MIGRATIONS_FOLDER = Path(__file__).parent


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_FOLDER))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head() or ""


def upgrade_to_head(engine: Engine) -> None:
    """Upgrade in one transaction (the write lock is held throughout, so two processes opening
    a new database at once do not both create it)."""
    scripts = ScriptDirectory.from_config(alembic_config())
    with engine.begin() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
        known = {script.revision for script in scripts.walk_revisions()}
        if current is not None and current not in known:
            raise TrackerError(
                f"this database was written by a newer version of tracker (schema {current}); "
                f"this version knows schemas up to {scripts.get_current_head()}. "
                "Upgrade tracker to open it; the database was left as it was."
            )
        command.upgrade(alembic_config(connection), "head")
