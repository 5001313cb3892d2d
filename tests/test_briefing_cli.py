"""`tracker brief` as an analyst runs it: a separate process on a seeded database (each test
runs on both engines).

The process uses the real clock, so every period here is given by explicit dates in December
2025 (where the seeded record lies), or is checked against today's date.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date, timedelta

import pytest

from tests.conftest import SET_SLUG, Cli, database_contents
from tracker.services.clock import Clock
from tracker.services.observations import ObservationDraft, record_observation
from tracker.storage.database import open_database

SEEDED_WEEK = ("--since", "2025-12-16", "--until", "2025-12-22")


def brief_ok(cli: Cli, *args: str) -> subprocess.CompletedProcess[str]:
    result = cli("brief", *args)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def test_markdown_goes_to_standard_output_by_default(cli: Cli) -> None:
    before = database_contents(cli.target)
    result = brief_ok(cli, *SEEDED_WEEK)
    lines = result.stdout.splitlines()
    assert lines[0] == "# Briefing: Russia–Ukraine peace talks, December 2025"
    assert lines[2].startswith("**16–22 December 2025** (7 days) · generated ")
    for heading in ("## Summary", "## Where things stand", "## Talks and process", "## Sources"):
        assert heading in lines
    assert "2 of 22 indicators moved this week (16–22 December 2025):" in result.stdout
    assert result.stderr == ""
    assert database_contents(cli.target) == before  # a briefing not issued records nothing


def test_an_html_file_name_chooses_html(cli: Cli) -> None:
    result = brief_ok(cli, *SEEDED_WEEK, "-o", "week.html")
    page = (cli.tmp_path / "week.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 2
    assert "<script" not in page
    assert result.stdout == ""
    assert (
        f"Wrote the html briefing of {SET_SLUG}, 2025-12-16 to 2025-12-22, to week.html."
        in result.stderr
    )
    assert [p.name for p in cli.tmp_path.iterdir() if p.name.startswith(".week.html")] == []


def test_json_format_on_standard_output_defaults_to_the_seven_days_to_today(cli: Cli) -> None:
    result = brief_ok(cli, "--format", "json")
    document = json.loads(result.stdout)
    today = date.today()
    assert document["period"] == {
        "start": (today - timedelta(days=6)).isoformat(),
        "end": today.isoformat(),
        "days": 7,
    }
    assert document["set"]["slug"] == SET_SLUG
    assert document["follows"] is None
    assert document["counts"]["indicators"] == 22


def test_issue_records_the_briefing_and_since_last_starts_the_day_after(cli: Cli) -> None:
    before = database_contents(cli.target)
    issued = brief_ok(cli, *SEEDED_WEEK, "--issue", "--author", "Desk lead", "-o", "week.md")
    assert "the next --since-last starts on 2025-12-23" in issued.stderr
    assert (cli.tmp_path / "week.md").read_text(encoding="utf-8").startswith("# Briefing: ")
    after = database_contents(cli.target)
    changed = {table for table in after if after[table] != before.get(table)}
    assert changed == {"issued_briefing"}
    assert len(after["issued_briefing"]) == len(before["issued_briefing"]) + 1

    # Logged after the issue, dated in the issued week: the next briefing must carry it.
    database = open_database(str(cli.target))
    try:
        record_observation(
            database,
            ObservationDraft(
                bearings=[("escalation-warnings", "away")],
                summary="Logged after the briefing was issued",
                event_date="2025-12-22",
                author="ana",
            ),
            Clock(),
        )
    finally:
        database.close()

    following = json.loads(brief_ok(cli, "--since-last", "--format", "json").stdout)
    assert following["period"] == {
        "start": "2025-12-23",
        "end": date.today().isoformat(),
        "days": (date.today() - date(2025, 12, 23)).days + 1,
    }
    assert following["compared_with"] == "2025-12-22"
    assert following["follows"]["period"] == {"start": "2025-12-16", "end": "2025-12-22", "days": 7}
    assert following["follows"]["issued_by"] == "Desk lead"
    (logged,) = [r for r in following["references"] if r["summary"].startswith("Logged after")]
    assert logged["event_date"] == "2025-12-22"
    theme = next(t for t in following["themes"] if t["key"] == "military")
    warnings = next(i for i in theme["indicators"] if i["key"] == "escalation-warnings")
    listed = [o for o in warnings["observations"] if o["reference"] == logged["number"]]
    assert [(o["late"], o["retracted"]) for o in listed] == [(True, False)]


def _tomorrow() -> str:
    return (date.today() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--since", "2025-13-01", "-o", "week.md"],
            "the start date '2025-13-01' is not a date; write it as YYYY-MM-DD",
            id="bad-date",
        ),
        pytest.param(
            ["--until", _tomorrow(), "-o", "week.md"],
            f"the end date {_tomorrow()} is in the future",
            id="future-until",
        ),
        pytest.param(
            ["--since", "2025-12-22", "--until", "2025-12-16", "-o", "week.md"],
            "the period starts on 2025-12-22, after it ends on 2025-12-16",
            id="start-after-end",
        ),
        pytest.param(
            ["--since", "2025-12-16", "--since-last", "-o", "week.md"],
            "give either a start date or 'since the last briefing', not both",
            id="since-and-since-last",
        ),
        pytest.param(
            ["--since-last", "--issue", "-o", "week.md"],
            f"no briefing of '{SET_SLUG}' has been issued yet",
            id="since-last-before-any-issue",
        ),
        pytest.param(
            [*SEEDED_WEEK, "--issue", "-o", "missing/week.md"],
            "the folder missing does not exist",
            id="missing-folder",
        ),
        pytest.param(
            [*SEEDED_WEEK, "--issue", "-o", "."],
            "it is a folder",
            id="output-is-a-folder",
        ),
        pytest.param(
            ["--set", "nowhere", "-o", "week.md"],
            "no indicator set 'nowhere'",
            id="unknown-set",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    cli: Cli, args: list[str], message: str
) -> None:
    before = database_contents(cli.target)
    files_before = sorted(p.name for p in cli.tmp_path.iterdir())
    result = cli("brief", *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("tracker: error: "), result.stderr
    assert message in lines[0]
    assert database_contents(cli.target) == before
    assert sorted(p.name for p in cli.tmp_path.iterdir()) == files_before


def test_an_unknown_format_gets_the_usage_message(cli: Cli) -> None:
    result = cli("brief", *SEEDED_WEEK, "--format", "pdf", "-o", "week.pdf")
    assert result.returncode == 2
    assert "--format" in result.stderr and "pdf" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (cli.tmp_path / "week.pdf").exists()


def test_a_refused_issue_writes_no_briefing_file(cli: Cli) -> None:
    # Issuing with an empty author is refused; the briefing must not be written either, and an
    # earlier file of the same name must survive.
    earlier = cli.tmp_path / "week.md"
    earlier.write_text("last week's briefing\n", encoding="utf-8")
    before = database_contents(cli.target)
    result = cli("brief", *SEEDED_WEEK, "--issue", "--author", "", "-o", "week.md")
    assert result.returncode == 2
    assert "the author is empty" in result.stderr
    assert database_contents(cli.target) == before
    assert earlier.read_text(encoding="utf-8") == "last week's briefing\n"
