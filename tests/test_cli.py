"""The command line as an analyst runs it: a separate process on a real database (each test on
both engines, but those about SQLite files and the default data folder)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from tests.conftest import Cli, DbTarget, database_contents, run_tracker, tracker_env
from tracker.services.history import AssessmentEntry, indicator_history
from tracker.storage.models import Assessment

FIRST_SIGNALS = {"miami-talks", "european-unity", "kyiv-firmness", "india-statement"}
REQUIRED_FIELDS = {
    "set", "key", "title", "theme", "status", "direction", "confidence",
    "assessed_on", "observation_count", "last_observation_on",
}  # fmt: skip


def _status(cli: Cli, *args: str) -> dict[str, dict[str, object]]:
    result = cli("status", "--json", *args)
    assert result.returncode == 0, result.stderr
    return {row["key"]: row for row in json.loads(result.stdout)}


def test_status_json_on_a_new_database_lists_the_seeded_set(
    db_target: DbTarget, tmp_path: Path
) -> None:
    result = run_tracker("--db", str(db_target), "status", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) >= 16
    assert {row["key"] for row in rows} >= FIRST_SIGNALS
    assert all(row.keys() >= REQUIRED_FIELDS for row in rows)
    assert {row["status"] for row in rows} <= {"moved", "unmoved"}
    assert "New database" in result.stderr


@pytest.mark.sqlite_only("the default database is a SQLite file in the user's data folder")
def test_the_bare_command_opens_on_a_seeded_default_database(tmp_path: Path) -> None:
    result = run_tracker(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Russia–Ukraine peace talks" in result.stdout
    assert "miami-talks" in result.stdout
    assert (tmp_path / "xdg-data" / "tracker" / "tracker.sqlite3").exists()


@pytest.mark.sqlite_only("TRACKER_DB naming a file that does not exist yet creates it")
def test_tracker_db_variable_chooses_the_file(tmp_path: Path) -> None:
    chosen = tmp_path / "from-env.sqlite3"
    result = run_tracker("status", cwd=tmp_path, env=tracker_env(tmp_path, TRACKER_DB=str(chosen)))
    assert result.returncode == 0, result.stderr
    assert chosen.exists()


def test_tracker_db_variable_chooses_the_database(cli_db: DbTarget, tmp_path: Path) -> None:
    env = tracker_env(tmp_path, TRACKER_DB=str(cli_db))
    observed = run_tracker(
        "observe", "territory", "--text", "Chosen by TRACKER_DB", cwd=tmp_path, env=env
    )
    assert observed.returncode == 0, observed.stderr
    assert "New database" not in observed.stderr  # the seeded one chosen, not a new default
    assert any("Chosen by TRACKER_DB" in row for row in database_contents(cli_db)["observation"])
    assert not (tmp_path / "xdg-data" / "tracker" / "tracker.sqlite3").exists()


def test_observe_and_mark_today_change_today_but_not_yesterday(cli: Cli) -> None:
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    before = _status(cli)["miami-talks"]

    observed = cli(
        "observe", "miami-talks", "--text", "Umerov: talks were productive",
        "--source", "Ukrinform", "--url", "https://example.org/a",
        "--reliability", "B", "--credibility", "2", "--bearing", "toward",
    )  # fmt: skip
    assert observed.returncode == 0, observed.stderr
    observation_id = observed.stdout.strip()
    marked = cli(
        "mark", "miami-talks", "moved", "--direction", "toward", "--confidence", "medium",
        "--why", "Both sides call the revised draft a basis", "--evidence", observation_id,
    )  # fmt: skip
    assert marked.returncode == 0, marked.stderr

    now = _status(cli)["miami-talks"]
    assert (now["status"], now["direction"]) == ("moved", "toward")
    assert now["assessed_on"] == date.today().isoformat()
    assert now["observation_count"] == before["observation_count"] + 1
    then = _status(cli, "--as-of", yesterday)["miami-talks"]
    assert (then["status"], then["direction"]) == ("unmoved", None)
    assert then["assessed_on"] == before["assessed_on"]
    assert then["observation_count"] == before["observation_count"]


def test_observe_prints_the_id_and_history_shows_everything(cli: Cli) -> None:
    observed = cli(
        "observe", "territory:away", "kyiv-firmness:toward",
        "--text", "Kyiv refuses to leave Donbas", "--quote", "We will not withdraw",
        "--source", "Address", "--author", "olena",
    )  # fmt: skip
    assert observed.returncode == 0, observed.stderr
    observation_id = observed.stdout.strip()
    assert len(observation_id) == 36
    assert "territory, kyiv-firmness" in observed.stderr

    history = cli("history", "kyiv-firmness")
    assert history.returncode == 0, history.stderr
    assert observation_id in history.stdout
    assert "Kyiv refuses to leave Donbas" in history.stdout
    assert "bearing toward" in history.stdout and "by olena" in history.stdout
    observations = history.stdout[history.stdout.index("Observations (") :]
    assert observations.index(observation_id) < observations.index("by seed")  # newest first


def test_author_defaults_to_tracker_author(cli: Cli) -> None:
    observed = cli("observe", "territory", "--text", "x", TRACKER_AUTHOR="desk-lead")
    assert observed.returncode == 0, observed.stderr
    assert "by desk-lead" in cli("history", "territory").stdout


def test_observe_without_source_says_it_is_unsourced(cli: Cli) -> None:
    observed = cli("observe", "territory", "--text", "Heard in the corridor")
    assert observed.returncode == 0
    assert "unsourced" in observed.stderr
    assert "Source: unsourced" in cli("history", "territory").stdout


def test_hostile_text_prints_literally(cli: Cli) -> None:
    hostile = (
        'Zelensky: "no" — لا نتنازل 🕊️ [bold red]BOLD[/] [link=http://x]y[/link] '
        "<script>alert(1)</script> :fire: *a* `b` | # &amp;"
    )
    long_tail = "Ж" * 10_000
    observed = cli("observe", "territory", "--text", hostile + long_tail, "--quote", hostile)
    assert observed.returncode == 0, observed.stderr
    shown = cli("history", "territory")
    assert shown.returncode == 0, shown.stderr
    assert hostile in shown.stdout
    assert shown.stdout.count("Ж") == 10_000
    assert "\x1b" not in shown.stdout  # no styling escapes leak into a pipe


def test_json_and_ids_are_not_wrapped_on_a_narrow_terminal(cli: Cli) -> None:
    observed = cli("observe", "territory", "--text", "x", COLUMNS="12")
    assert len(observed.stdout.strip()) == 36
    result = cli("status", "--json", COLUMNS="20")
    assert result.returncode == 0, result.stderr
    titles = {row["key"]: row["title"] for row in json.loads(result.stdout)}
    assert titles["miami-talks"] == "US–Ukraine follow-up talks in Miami"


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run_tracker("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("status", "observe", "mark", "history", "seed"):
        assert command in result.stdout


def test_retract_keeps_the_observation_and_marks_it(cli: Cli) -> None:
    observed = cli("observe", "miami-talks", "--text", "A story later withdrawn", "--source", "X")
    observation_id = observed.stdout.strip()
    result = cli("retract", observation_id[:8], "--why", "The outlet withdrew it")
    assert result.returncode == 0, result.stderr
    assert f"Retracted observation {observation_id}" in result.stderr
    history = cli("history", "miami-talks")
    assert "A story later withdrawn" in history.stdout
    assert "RETRACTED" in history.stdout and "The outlet withdrew it" in history.stdout


def test_retracting_twice_is_refused_and_writes_nothing(cli: Cli) -> None:
    observed = cli("observe", "miami-talks", "--text", "Withdrawn twice?")
    observation_id = observed.stdout.strip()
    assert cli("retract", observation_id, "--why", "first").returncode == 0
    before = database_contents(cli.target)
    again = cli("retract", observation_id, "--why", "second")
    assert again.returncode == 2
    assert "already retracted" in again.stderr and "first" in again.stderr
    assert "Traceback" not in again.stderr
    assert database_contents(cli.target) == before


def test_retract_needs_a_reason(cli: Cli) -> None:
    observation_id = cli("observe", "miami-talks", "--text", "x").stdout.strip()
    before = database_contents(cli.target)
    result = cli("retract", observation_id, "--why", "  ")
    assert result.returncode == 2
    assert "reason for retracting is empty" in result.stderr
    assert database_contents(cli.target) == before


# --- marking over a colleague's assessment (--supersedes, --force) --------------------------

MARKED_MEANWHILE = 3
RACE_ROUNDS = 10
# A racer: `python -c RACER READY GO tracker-args...`. It imports the whole command line, says
# it is ready, waits for GO, then runs `tracker` as `python -m tracker` would.
RACER = """
import pathlib, runpy, sys, time
import tracker.interfaces.cli.main
ready, go = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
sys.argv = ["tracker", *sys.argv[3:]]
ready.touch()
while not go.exists():
    time.sleep(0.001)
runpy.run_module("tracker", run_name="__main__", alter_sys=True)
"""


def _latest(target: DbTarget, key: str) -> AssessmentEntry:
    database = target.open()
    try:
        return indicator_history(database, key).assessments[0]
    finally:
        database.close()


def _supersedes(target: DbTarget, assessment_id: str) -> str | None:
    """What the assessment's row records as superseded, by id."""
    database = target.open()
    try:
        with database.reading() as session:
            row = session.exec(select(Assessment).where(Assessment.uuid == assessment_id)).one()
            if row.supersedes_id is None:
                return None
            return session.get_one(Assessment, row.supersedes_id).uuid
    finally:
        database.close()


def _error_line(result: subprocess.CompletedProcess[str], status: int) -> str:
    """Refused: the exit status, nothing on stdout, one error line on stderr (returned)."""
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("tracker: error: "), result.stderr
    return lines[0]


def test_mark_stating_the_latest_assessment_is_recorded_superseding_it(cli: Cli) -> None:
    seen = _latest(cli.target, "territory").id
    marked = cli("mark", "territory", "unmoved", "--why", "Still fixed.", "--supersedes", seen[:8])
    assert marked.returncode == 0, marked.stderr
    recorded = marked.stdout.strip()
    assert _supersedes(cli.target, recorded) == seen
    assert _latest(cli.target, "territory").id == recorded


def test_mark_over_a_newer_assessment_exits_3_naming_it_and_writes_nothing(cli: Cli) -> None:
    seen = _latest(cli.target, "territory").id
    colleague = cli(
        "mark", "territory", "moved", "--direction", "toward", "--why", "Moscow softened.",
        TRACKER_AUTHOR="olena",
    )  # fmt: skip
    assert colleague.returncode == 0, colleague.stderr
    newer = colleague.stdout.strip()
    before = database_contents(cli.target)

    stale = cli(
        "mark", "territory", "moved", "--direction", "away", "--why", "Moscow hardened.",
        "--supersedes", seen[:8],
    )  # fmt: skip
    line = _error_line(stale, MARKED_MEANWHILE)
    assert "'territory' was marked moved toward by olena (assessment " + newer[:8] in line
    assert f"since you saw assessment {seen[:8]}; nothing was recorded" in line
    assert "tracker history territory" in line
    assert f"--supersedes {newer[:8]}" in line and "--force" in line
    assert database_contents(cli.target) == before

    # Seen unassessed ('none'), though it has assessments: stopped the same way.
    unseen = cli("mark", "territory", "unmoved", "--why", "Quiet.", "--supersedes", "none")
    line = _error_line(unseen, MARKED_MEANWHILE)
    assert f"by olena (assessment {newer[:8]}" in line and "since you saw no assessment" in line
    assert database_contents(cli.target) == before

    forced = cli(
        "mark", "territory", "moved", "--direction", "away", "--why", "Moscow hardened.",
        "--supersedes", seen[:8], "--force",
    )  # fmt: skip
    assert forced.returncode == 0, forced.stderr
    recorded = forced.stdout.strip()
    # It supersedes what was the latest when it was written: the colleague's, not the one seen.
    assert _supersedes(cli.target, recorded) == newer
    after = database_contents(cli.target)
    assert {table for table in after if after[table] != before[table]} == {"assessment"}
    (added,) = set(after["assessment"]) - set(before["assessment"])
    assert recorded in added and "test-analyst" in added


@pytest.mark.parametrize("force", [False, True], ids=["checked", "forced"])
@pytest.mark.parametrize(
    ("reference", "message"),
    [
        pytest.param(
            lambda target: "50ff4",
            "assessment id '50ff4' is too short; give at least 6 characters, or 'none'",
            id="too-short",
        ),
        pytest.param(
            lambda target: "00000000",
            "'territory' has no assessment with id '00000000'",
            id="unknown",
        ),
        pytest.param(
            lambda target: _latest(target, "miami-talks").id,
            "'territory' has no assessment with id '",
            id="another-indicators",
        ),
    ],
)
def test_mark_refuses_a_bad_supersedes_id_and_writes_nothing(
    cli: Cli,
    reference: Callable[[DbTarget], str],
    message: str,
    force: bool,
) -> None:
    typed = reference(cli.target)
    before = database_contents(cli.target)
    result = cli(
        "mark", "territory", "unmoved", "--why", "Quiet.", "--supersedes", typed,
        *(["--force"] if force else []),
    )  # fmt: skip
    line = _error_line(result, 2)
    assert message in line
    assert database_contents(cli.target) == before


def test_two_analysts_racing_to_mark_one_indicator_exactly_one_wins(
    cli: Cli, tmp_path: Path
) -> None:
    """Two `tracker mark` processes state the same latest assessment and are let go at the same
    moment: one is recorded, the other exits 3 naming it, having written nothing. Ten times."""
    for round_number in range(RACE_ROUNDS):
        seen = _latest(cli.target, "kyiv-firmness").id
        before = database_contents(cli.target)
        folder = tmp_path / f"round-{round_number}"
        folder.mkdir()
        go = folder / "go"
        authors = ("ana", "bo")
        racers = [
            subprocess.Popen(
                [
                    sys.executable, "-c", RACER, str(folder / author), str(go),
                    "--db", str(cli.target), "mark", "kyiv-firmness", "moved",
                    "--direction", "toward", "--why", f"Round {round_number}, seen by {author}.",
                    "--supersedes", seen,
                ],
                cwd=tmp_path,
                env=tracker_env(tmp_path, TRACKER_AUTHOR=author),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
            )
            for author in authors
        ]  # fmt: skip
        deadline = time.monotonic() + 120
        while not all((folder / author).exists() for author in authors):
            assert time.monotonic() < deadline, "the racers never got ready"
            assert all(racer.poll() is None for racer in racers), [r.communicate() for r in racers]
            time.sleep(0.01)
        go.touch()
        results = [
            subprocess.CompletedProcess(racer.args, racer.wait(timeout=120), *racer.communicate())
            for racer in racers
        ]

        statuses = sorted(result.returncode for result in results)
        assert statuses == [0, MARKED_MEANWHILE], (round_number, results)
        winner = next(n for n, result in enumerate(results) if result.returncode == 0)
        won, lost = results[winner], results[1 - winner]
        recorded = won.stdout.strip()
        line = _error_line(lost, MARKED_MEANWHILE)
        assert f"by {authors[winner]} (assessment {recorded[:8]}" in line, line
        assert f"since you saw assessment {seen[:8]}; nothing was recorded" in line
        # The loser wrote nothing: the one new row is the winner's, superseding what both saw.
        after = database_contents(cli.target)
        assert {table for table in after if after[table] != before[table]} == {"assessment"}
        assert set(before["assessment"]) <= set(after["assessment"])
        (added,) = set(after["assessment"]) - set(before["assessment"])
        assert recorded in added and authors[winner] in added
        assert _supersedes(cli.target, recorded) == seen


def test_the_quick_path_knows_every_option_of_observe_and_mark() -> None:
    """`tracker observe` and `mark` are parsed without Typer when they can be (cli/quick.py):
    its tables must name every option of the Typer commands, each setting the same parameter,
    or a renamed option would be refused by one path and taken by the other."""
    import typer.main

    from tracker.interfaces.cli import quick
    from tracker.interfaces.cli.commands import app

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    tables = {
        "observe": (quick._OBSERVE_VALUES, {}, {}),
        "mark": (quick._MARK_VALUES, quick._MARK_REPEATED, quick._MARK_FLAGS),
    }
    for name, (values, repeated, flags) in tables.items():
        options = [p for p in commands[name].params if p.param_type_name == "option"]
        assert {o: p.name for p in options if not p.is_flag and not p.multiple
                for o in p.opts} == values, name  # fmt: skip
        assert {o: p.name for p in options if p.multiple for o in p.opts} == repeated, name
        assert {o: p.name for p in options if p.is_flag for o in p.opts
                if o != "--help"} == flags, name  # fmt: skip
