"""The command line as an analyst runs it: a separate process on a real SQLite file."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

from tests.conftest import Cli, database_contents, run_tracker, tracker_env

FIRST_SIGNALS = {"miami-talks", "european-unity", "kyiv-firmness", "india-statement"}
REQUIRED_FIELDS = {
    "set", "key", "title", "theme", "status", "direction", "confidence",
    "assessed_on", "observation_count", "last_observation_on",
}  # fmt: skip


def _status(cli: Cli, *args: str) -> dict[str, dict[str, object]]:
    result = cli("status", "--json", *args)
    assert result.returncode == 0, result.stderr
    return {row["key"]: row for row in json.loads(result.stdout)}


def test_status_json_on_a_new_file_lists_the_seeded_set(tmp_path: Path) -> None:
    new_file = tmp_path / "new.sqlite3"
    result = run_tracker("--db", str(new_file), "status", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) >= 16
    assert {row["key"] for row in rows} >= FIRST_SIGNALS
    assert all(row.keys() >= REQUIRED_FIELDS for row in rows)
    assert {row["status"] for row in rows} <= {"moved", "unmoved"}
    assert "New database" in result.stderr


def test_the_bare_command_opens_on_a_seeded_default_database(tmp_path: Path) -> None:
    result = run_tracker(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Russia–Ukraine peace talks" in result.stdout
    assert "miami-talks" in result.stdout
    assert (tmp_path / "xdg-data" / "tracker" / "tracker.sqlite3").exists()


def test_tracker_db_variable_chooses_the_database(tmp_path: Path) -> None:
    chosen = tmp_path / "from-env.sqlite3"
    result = run_tracker("status", cwd=tmp_path, env=tracker_env(tmp_path, TRACKER_DB=str(chosen)))
    assert result.returncode == 0, result.stderr
    assert chosen.exists()


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
    before = database_contents(cli.db_path)
    again = cli("retract", observation_id, "--why", "second")
    assert again.returncode == 2
    assert "already retracted" in again.stderr and "first" in again.stderr
    assert "Traceback" not in again.stderr
    assert database_contents(cli.db_path) == before


def test_retract_needs_a_reason(cli: Cli) -> None:
    observation_id = cli("observe", "miami-talks", "--text", "x").stdout.strip()
    before = database_contents(cli.db_path)
    result = cli("retract", observation_id, "--why", "  ")
    assert result.returncode == 2
    assert "reason for retracting is empty" in result.stderr
    assert database_contents(cli.db_path) == before
