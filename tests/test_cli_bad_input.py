"""Bad input at the command line: exit status 2, one clear line on stderr, nothing on stdout,
no traceback, and the database exactly as it was."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta

import pytest

from tests.conftest import Cli, DbTarget, database_contents

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def assert_refused(
    result: subprocess.CompletedProcess[str],
    target: DbTarget,
    before: dict[str, list[tuple[object, ...]]],
    *words: str,
) -> None:
    """Refused as bad input: status 2, one specific error line, and nothing written."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("tracker: error: "), result.stderr
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"
    assert database_contents(target) == before


def _tomorrow() -> date:
    return date.today() + timedelta(days=1)


def _observe_ok(cli: Cli, *args: str) -> str:
    """A setup write that must succeed; returns the observation id printed on stdout."""
    result = cli("observe", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


# --- observe --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param(["miami-talk"], id="unknown-alone"),
        pytest.param(["miami-talks", "miami-talk"], id="good-key-then-unknown"),
        pytest.param(["miami-talk", "miami-talks"], id="unknown-then-good-key"),
    ],
)
def test_observe_refuses_unknown_key_and_suggests_closest(
    cli: Cli, cli_db: DbTarget, keys: list[str]
) -> None:
    before = database_contents(cli_db)
    result = cli("observe", *keys, "--text", "Talks held.")
    assert_refused(
        result, cli_db, before, "no indicator with key 'miami-talk'", "did you mean 'miami-talks'"
    )


@pytest.mark.parametrize(
    "text_args",
    [
        pytest.param(["--text", ""], id="empty"),
        pytest.param(["--text", "   \t  "], id="whitespace-only"),
    ],
)
def test_observe_refuses_empty_text(cli: Cli, cli_db: DbTarget, text_args: list[str]) -> None:
    before = database_contents(cli_db)
    result = cli("observe", "miami-talks", *text_args)
    assert_refused(result, cli_db, before, "observation's text is empty")


@pytest.mark.parametrize("value", ["2025-13-01", "yesterday", "12/05/2025"])
def test_observe_refuses_malformed_date(cli: Cli, cli_db: DbTarget, value: str) -> None:
    before = database_contents(cli_db)
    result = cli("observe", "miami-talks", "--text", "Talks held.", "--date", value)
    assert_refused(result, cli_db, before, f"'{value}' is not a date", "YYYY-MM-DD")


def test_observe_refuses_future_date(cli: Cli, cli_db: DbTarget) -> None:
    before = database_contents(cli_db)
    tomorrow = _tomorrow().isoformat()
    result = cli("observe", "miami-talks", "--text", "Talks held.", "--date", tomorrow)
    assert_refused(result, cli_db, before, f"date {tomorrow} is in the future")


@pytest.mark.parametrize("grade", ["G", "AB"])
def test_observe_refuses_unknown_reliability_grade(cli: Cli, cli_db: DbTarget, grade: str) -> None:
    before = database_contents(cli_db)
    result = cli("observe", "miami-talks", "--text", "Talks held.", "--reliability", grade)
    assert_refused(result, cli_db, before, f"reliability '{grade}'", "A (completely", "to F")


@pytest.mark.parametrize("grade", ["0", "7", "x"])
def test_observe_refuses_unknown_credibility_grade(cli: Cli, cli_db: DbTarget, grade: str) -> None:
    before = database_contents(cli_db)
    result = cli("observe", "miami-talks", "--text", "Talks held.", "--credibility", grade)
    assert_refused(result, cli_db, before, f"credibility '{grade}'", "1 (confirmed)", "to 6")


@pytest.mark.parametrize(
    "key_args",
    [
        pytest.param(["miami-talks", "--bearing", "sideways"], id="option"),
        pytest.param(["miami-talks:sideways"], id="key-suffix"),
    ],
)
def test_observe_refuses_unknown_bearing(cli: Cli, cli_db: DbTarget, key_args: list[str]) -> None:
    before = database_contents(cli_db)
    result = cli("observe", *key_args, "--text", "Talks held.")
    assert_refused(
        result,
        cli_db,
        before,
        "bearing on 'miami-talks' must be toward, away or none, not 'sideways'",
    )


def test_observe_refuses_same_key_with_two_bearings(cli: Cli, cli_db: DbTarget) -> None:
    before = database_contents(cli_db)
    result = cli("observe", "miami-talks:toward", "miami-talks:away", "--text", "Talks held.")
    assert_refused(
        result, cli_db, before, "'miami-talks' is given twice", "different bearings", "toward"
    )


# --- mark -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "words"),
    [
        pytest.param(
            ["miami-talks", "moved", "--why", "Agreed text."],
            ["moved indicator needs a direction", "toward or away"],
            id="moved-without-direction",
        ),
        pytest.param(
            ["miami-talks", "unmoved", "--why", "No news.", "--direction", "toward"],
            ["unmoved indicator has no direction"],
            id="unmoved-with-direction",
        ),
        pytest.param(
            ["miami-talks", "sideways", "--why", "Hm."],
            ["status must be moved or unmoved, not 'sideways'"],
            id="unknown-status",
        ),
        pytest.param(
            ["miami-talks", "moved", "--direction", "up", "--why", "Agreed text."],
            ["direction must be toward or away, not 'up'"],
            id="unknown-direction",
        ),
        pytest.param(
            ["miami-talks", "moved", "--direction", "toward", "--why", "  \t "],
            ["reason (why) is empty"],
            id="whitespace-why",
        ),
        pytest.param(
            ["miami-talks", "unmoved", "--why", "No news.", "--confidence", "certain"],
            ["confidence must be low, medium or high, not 'certain'"],
            id="unknown-confidence",
        ),
        pytest.param(
            ["miami-talk", "unmoved", "--why", "No news."],
            ["no indicator with key 'miami-talk'", "did you mean 'miami-talks'"],
            id="unknown-key",
        ),
        pytest.param(
            ["miami-talks", "unmoved", "--why", "No news.", "--date", "2025-13-01"],
            ["'2025-13-01' is not a date", "YYYY-MM-DD"],
            id="malformed-date",
        ),
        pytest.param(
            ["miami-talks", "unmoved", "--why", "No news.", "--evidence", UNKNOWN_ID],
            [f"no observation with id '{UNKNOWN_ID}'"],
            id="unknown-evidence",
        ),
        pytest.param(
            ["miami-talks", "unmoved", "--why", "No news.", "--evidence", "abc"],
            ["observation id 'abc' is too short", "at least 6 characters"],
            id="evidence-prefix-too-short",
        ),
    ],
)
def test_mark_refuses_bad_input(
    cli: Cli, cli_db: DbTarget, args: list[str], words: list[str]
) -> None:
    before = database_contents(cli_db)
    assert_refused(cli("mark", *args), cli_db, before, *words)


def test_mark_refuses_future_date(cli: Cli, cli_db: DbTarget) -> None:
    before = database_contents(cli_db)
    tomorrow = _tomorrow().isoformat()
    result = cli("mark", "miami-talks", "unmoved", "--why", "No news.", "--date", tomorrow)
    assert_refused(result, cli_db, before, f"date {tomorrow} is in the future")


def test_mark_refuses_evidence_that_does_not_bear_on_the_indicator(
    cli: Cli, cli_db: DbTarget
) -> None:
    other = _observe_ok(cli, "territory", "--text", "Moscow restates demands.")
    before = database_contents(cli_db)
    result = cli("mark", "miami-talks", "unmoved", "--why", "No news.", "--evidence", other)
    assert_refused(result, cli_db, before, f"observation {other} does not bear on 'miami-talks'")


def test_mark_refuses_evidence_dated_after_the_assessment(cli: Cli, cli_db: DbTarget) -> None:
    later = _observe_ok(cli, "miami-talks", "--text", "Round ends.", "--date", "2025-12-10")
    before = database_contents(cli_db)
    result = cli(
        "mark", "miami-talks", "unmoved", "--why", "No news.",
        "--date", "2025-12-08", "--evidence", later[:8],
    )  # fmt: skip
    assert_refused(
        result, cli_db, before, f"observation {later} is dated 2025-12-10", "date 2025-12-08"
    )


# --- status and history ---------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2025-13-01", "last week"])
def test_status_refuses_malformed_as_of(cli: Cli, cli_db: DbTarget, value: str) -> None:
    before = database_contents(cli_db)
    result = cli("status", "--as-of", value)
    assert_refused(result, cli_db, before, f"the as-of date '{value}' is not a date", "YYYY-MM-DD")


def test_status_refuses_future_as_of(cli: Cli, cli_db: DbTarget) -> None:
    before = database_contents(cli_db)
    tomorrow = _tomorrow().isoformat()
    result = cli("status", "--as-of", tomorrow)
    assert_refused(result, cli_db, before, f"as-of date {tomorrow} is in the future")


def test_status_refuses_unknown_set_naming_it(cli: Cli, cli_db: DbTarget) -> None:
    before = database_contents(cli_db)
    result = cli("status", "--set", "russia-ukraine-2025")
    assert_refused(
        result,
        cli_db,
        before,
        "no indicator set 'russia-ukraine-2025'",
        "did you mean 'russia-ukraine-2025-12'",
    )


def test_history_refuses_unknown_key_and_suggests_closest(cli: Cli, cli_db: DbTarget) -> None:
    before = database_contents(cli_db)
    result = cli("history", "miami-talk")
    assert_refused(
        result, cli_db, before, "no indicator with key 'miami-talk'", "did you mean 'miami-talks'"
    )


@pytest.mark.parametrize(
    ("args", "option"),
    [
        pytest.param(["observe", "miami-talks"], "--text", id="observe-without-text"),
        pytest.param(
            ["mark", "miami-talks", "moved", "--direction", "toward"],
            "--why",
            id="mark-without-why",
        ),
    ],
)
def test_a_missing_required_option_is_named(
    cli: Cli, cli_db: DbTarget, args: list[str], option: str
) -> None:
    before = database_contents(cli_db)
    result = cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert f"Missing option '{option}'" in result.stderr
    assert database_contents(cli_db) == before
