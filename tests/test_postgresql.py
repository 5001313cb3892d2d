"""What only a shared PostgreSQL database has: a server to reach, and a desk moving onto it.

Everything else runs on PostgreSQL through the engine-parametrized fixtures of conftest.py.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from tests.conftest import DbTarget, database_contents, run_tracker, tracker_env
from tests.postgres_server import PostgresServer
from tracker.services.observation_log import ObservationQuery, search_observations
from tracker.storage.database import SCHEMA_REVISION, open_database
from tracker.storage.migrations.runner import alembic_config


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _refused(url: str, tmp_path: Path, status: int = 2) -> str:
    """Run commands against `url`: each must fail with one clear line and the exit status: 1
    when the server did not answer (try again later), 2 when the settings are wrong."""
    for args in (["status"], ["observe", "miami-talks", "--text", "x"], ["app"]):
        result = run_tracker("--db", url, *args, cwd=tmp_path)
        assert result.returncode == status, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr


def test_a_server_that_is_not_running_is_named_clearly(tmp_path: Path) -> None:
    url = f"postgresql://desk:secret@127.0.0.1:{_closed_port()}/tracker"
    message = _refused(url, tmp_path, status=1)
    assert "nothing answers there: is the server running" in message
    assert "secret" not in message and "desk:***@127.0.0.1" in message


def test_a_wrong_password_is_named_clearly(postgres: PostgresServer, tmp_path: Path) -> None:
    postgres.create_database("wrong_password")
    try:
        url = postgres.url("wrong_password", password="not-the-password")
        message = _refused(url, tmp_path)
        assert f"the server refused user '{postgres.user}': wrong password" in message
        assert "not-the-password" not in message
        assert database_contents(postgres.url("wrong_password")) == {}
    finally:
        postgres.drop_database("wrong_password")


def test_a_missing_database_is_named_clearly(postgres: PostgresServer, tmp_path: Path) -> None:
    message = _refused(postgres.url("no_such_desk"), tmp_path)
    assert "there is no database 'no_such_desk' on that server; create it first" in message


def test_an_unknown_host_is_named_clearly(tmp_path: Path) -> None:
    message = _refused("postgresql://desk@no-such-host.invalid/tracker", tmp_path)
    assert "that host name is unknown" in message


def test_plain_postgresql_urls_work_as_psql_writes_them(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    """`postgresql://` and `postgres://` (no driver named) mean the driver tracker ships with."""
    postgres.create_database("plain_url")
    try:
        for scheme in ("postgresql", "postgres"):
            url = postgres.url("plain_url").replace("postgresql+psycopg", scheme)
            env = tracker_env(tmp_path, TRACKER_DB=url)
            result = run_tracker("status", "--json", cwd=tmp_path, env=env)
            assert result.returncode == 0, result.stderr
            assert len(json.loads(result.stdout)) == 22
    finally:
        postgres.drop_database("plain_url")


def test_a_second_schema_database_is_upgraded_with_nothing_lost(postgres: PostgresServer) -> None:
    """Migrations upgrade a PostgreSQL database as they do a SQLite file: the rows stay, the new
    columns are unknown for old records, and old observations are in the search index."""
    postgres.create_database("schema_0002")
    url = postgres.url("schema_0002")
    try:
        engine = create_engine(url)
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), "0002")
            connection.execute(
                text(
                    "INSERT INTO observation (uuid, event_date, recorded_at, summary, unsourced,"
                    " author) VALUES ('00000000-0000-4000-8000-000000000001', '2025-12-05',"
                    " '2025-12-05 10:00:00+00', 'Envoys met at Mar-a-Lago; talks productive',"
                    " true, 'ana')"
                )
            )
        engine.dispose()
        before = database_contents(url)

        db = open_database(url)
        try:
            after = database_contents(url)
            assert after["alembic_version"] == [(SCHEMA_REVISION,)]
            [row] = after["observation"]
            assert row[: len(before["observation"][0])] == before["observation"][0]
            found = search_observations(db, ObservationQuery(text="lago productive"))
            assert [e.entry.id for e in found.entries] == ["00000000-0000-4000-8000-000000000001"]
        finally:
            db.close()
    finally:
        postgres.drop_database("schema_0002")


@pytest.mark.postgresql_only("the desk's database is a PostgreSQL one")
def test_moving_a_personal_file_to_the_desk_adds_nothing_twice(
    db_target: DbTarget, tmp_path: Path
) -> None:
    """README, Setting up a desk: export from a personal SQLite file, import into the desk's
    PostgreSQL database; a second import, and a colleague's file sharing the seed, add nothing
    twice."""
    desk = str(db_target)

    def tracker(*args: str, db: str) -> str:
        result = run_tracker("--db", db, *args, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return result.stdout

    mine, theirs = str(tmp_path / "mine.sqlite3"), str(tmp_path / "theirs.sqlite3")
    for personal, who in ((mine, "ana"), (theirs, "bo")):
        tracker("observe", "miami-talks", "--text", f"{who}'s note", db=personal)
        tracker("mark", "miami-talks", "moved", "--direction", "toward", "--why", who, db=personal)
    tracker("export", "-o", str(tmp_path / "mine.json"), db=mine)
    tracker("export", "-o", str(tmp_path / "theirs.json"), db=theirs)

    tracker("import", str(tmp_path / "mine.json"), db=desk)
    once = database_contents(db_target)
    tracker("import", str(tmp_path / "mine.json"), db=desk)
    assert database_contents(db_target) == once
    tracker("import", str(tmp_path / "theirs.json"), db=desk)

    exported = json.loads(tracker("export", db=desk))
    summaries = sorted(o["summary"] for o in exported["observations"] if o["author"] != "seed")
    assert summaries == ["ana's note", "bo's note"]
    # The seed both files share is there once.
    seeded = [o for o in exported["observations"] if o["author"] == "seed"]
    assert len(seeded) == len({o["uuid"] for o in seeded}) == 20
    reasons = sorted(a["rationale"] for a in exported["assessments"] if a["author"] != "seed")
    assert reasons == ["ana", "bo"]


def test_a_database_that_cannot_fold_cyrillic_case_is_refused_while_empty(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    """With character type C, PostgreSQL lower-cases only ASCII: search would miss "МАЯМІ"
    asked as "маямі". Refused, with the way to create it right, and left empty."""
    with postgres.connect("postgres") as admin:
        admin.execute(
            "CREATE DATABASE ascii_only TEMPLATE template0 ENCODING 'UTF8' "
            "LC_COLLATE 'C' LC_CTYPE 'C'"
        )
    try:
        url = postgres.url("ascii_only")
        message = _refused(url, tmp_path)
        assert "character type C" in message and "--locale C.UTF-8" in message
        assert database_contents(url) == {}
    finally:
        postgres.drop_database("ascii_only")
