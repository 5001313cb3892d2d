"""`tracker seed` with indicator-set files: a bad file is refused with one message naming the
file, the place and the problem, exit status 2 and the database exactly as it was; a good file
loads idempotently, updating wording and retiring (never deleting) what the file dropped."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, make_url

from tests.conftest import BUNDLED_SET, SET_SLUG, Cli, DbTarget, database_contents, row_counts
from tracker.services.seeding import seeded_uuid

ORIGINAL = BUNDLED_SET.read_text(encoding="utf-8")


def mangled(old: str, new: str, text: str = ORIGINAL) -> str:
    """The text with exactly one occurrence of `old` replaced."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    changed = text.replace(old, new)
    assert changed != text
    return changed


def line_of(text: str, needle: str, after: int = 0) -> int:
    """The 1-based number of the first line after line `after` that contains `needle`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if number > after and needle in line:
            return number
    raise AssertionError(f"{needle!r} not found after line {after}")


def whole_line(start: str) -> str:
    """The full line of the bundled file that starts with `start`, with its newline."""
    return next(line for line in ORIGINAL.splitlines() if line.startswith(start)) + "\n"


def write_set(folder: Path, text: str) -> Path:
    """Written under the bundled file's name, so only the content differs from it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / BUNDLED_SET.name
    path.write_text(text, encoding="utf-8")
    return path


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one error line of a bad-input refusal (exit 2, nothing on stdout, no traceback)."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("tracker: error: "), result.stderr
    return lines[0]


def _after_key(key: str, needle: str) -> Callable[[str], int]:
    return lambda text: line_of(text, needle, after=line_of(text, f'key = "{key}"'))


# (old, new, where the problem is in the mangled text, words the problem must be told in,
#  whether it is a TOML syntax error, whose place tomllib gives as "line N, column M")
BAD_FILES = {
    "toml-syntax-error": (
        ' meeting in Florida"\n',
        " meeting in Florida\n",
        lambda text: line_of(text, "Russia meeting in Florida"),
        ["not valid TOML"],
        True,
    ),
    "required-field-missing": (
        whole_line('question = "Does Kyiv publicly put'),
        "",
        lambda text: line_of(text, 'key = "kyiv-firmness"') - 1,  # its [[indicators]] header
        ["indicator 'kyiv-firmness'", "'question' is missing"],
        False,
    ),
    "duplicate-indicator-key": (
        'key = "florida-meeting"',
        'key = "miami-talks"',
        lambda text: line_of(text, 'key = "miami-talks"', after=line_of(text, 'key = "miami-t')),
        ["duplicate key 'miami-talks'"],
        False,
    ),
    "unknown-theme": (
        'key = "direct-talks"\ntheme = "process"',
        'key = "direct-talks"\ntheme = "no-such-theme"',
        lambda text: line_of(text, 'theme = "no-such-theme"'),
        ["indicator 'direct-talks'", "unknown theme 'no-such-theme'", "process, security"],
        False,
    ),
    "impossible-date": (
        'date = 2025-12-05\nrationale = "As of 5 December the Miami',
        'date = 2025-12-45\nrationale = "As of 5 December the Miami',
        lambda text: line_of(text, "date = 2025-12-45"),
        ["'2025-12-45' is not a real date"],
        True,
    ),
    "date-in-words": (
        'date = 2025-12-05\nrationale = "As of 5 December the Miami',
        'date = "last week"\nrationale = "As of 5 December the Miami',
        lambda text: line_of(text, 'date = "last week"'),
        ["indicator 'miami-talks'", "'date' must be a date written YYYY-MM-DD", "'last week'"],
        False,
    ),
    "misspelt-required-field": (
        'question = "Is Moscow using',
        'qestion = "Is Moscow using',
        lambda text: line_of(text, "qestion = "),
        [
            "indicator 'escalation-warnings'",
            "'qestion' is not a field",
            "did you mean 'question'?",
        ],
        False,
    ),
    "misspelt-optional-field": (
        'note = "No specific warning, speaker',
        'noet = "No specific warning, speaker',
        lambda text: line_of(text, "noet = "),
        ["observation 'russian-escalation-warnings'", "'noet' is not a field"],
        False,
    ),
    "bearing-on-unknown-indicator": (
        'bears_on = { "escalation-warnings" = "away" }',
        'bears_on = { "escalation-warning" = "away" }',
        lambda text: line_of(text, '"escalation-warning" = "away"'),
        ["observation 'russian-escalation-warnings'", "unknown indicator 'escalation-warning'"],
        False,
    ),
    "unknown-reliability-grade": (
        'reliability = "F"\ncredibility = 4',
        'reliability = "Z"\ncredibility = 4',
        lambda text: line_of(text, 'reliability = "Z"'),
        ["observation 'military-cap-600k'", "'reliability'", "A to F"],
        False,
    ),
    "moved-baseline-without-direction": (
        'status = "unmoved"\nconfidence = "high"\ndate = 2025-12-19\nrationale = "As of 19 Dec',
        'status = "moved"\nconfidence = "high"\ndate = 2025-12-19\nrationale = "As of 19 Dec',
        _after_key("florida-meeting", "[indicators.baseline]"),
        ["indicator 'florida-meeting'", "moved baseline needs a direction"],
        False,
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_seed_refuses_bad_file_naming_file_place_and_problem(
    cli: Cli, cli_db: DbTarget, tmp_path: Path, case: str
) -> None:
    old, new, place, words, toml_error = BAD_FILES[case]
    text = mangled(old, new)
    bad_file = write_set(tmp_path / "bad", text)
    line = place(text)
    before = database_contents(cli_db)

    message = refusal(cli("seed", str(bad_file)))

    assert f"tracker: error: {bad_file}" in message
    places = [f"{bad_file}:{line}: "] + ([f"at line {line},"] if toml_error else [])
    assert any(p in message for p in places), f"line {line} not given as {places}: {message}"
    problem = message.replace(str(bad_file), "<file>")
    for word in words:
        assert word in problem, f"{word!r} not in {problem!r}"
    assert database_contents(cli_db) == before


def test_seed_of_bad_file_into_new_database_creates_nothing(
    db_target: DbTarget, tmp_path: Path
) -> None:
    bad_file = write_set(tmp_path / "bad", mangled('key = "florida-meeting"', 'key = "territory"'))
    fresh = Cli(db_target, tmp_path)

    message = refusal(fresh("seed", str(bad_file)))

    assert f"{bad_file}:" in message and "duplicate key 'territory'" in message
    if db_target.path is not None:
        assert not db_target.path.exists(), "a refused seed left a database file behind"
    else:
        assert table_names(db_target) == [], "a refused seed created tables"
    # The path is still free for a normal first use, which loads the bundled set.
    board = fresh("status", "--json")
    assert board.returncode == 0, board.stderr
    assert len(json.loads(board.stdout)) == ORIGINAL.count("[[indicators]]")


def test_seed_refuses_two_files_defining_the_same_set(
    cli: Cli, cli_db: DbTarget, tmp_path: Path
) -> None:
    reworded = mangled('title = "Ceasefire structure"', 'title = "Ceasefire terms"')
    first = write_set(tmp_path / "first", reworded)
    second = write_set(tmp_path / "second", ORIGINAL)
    before = database_contents(cli_db)

    message = refusal(cli("seed", str(first), str(second)))

    assert str(first) in message and str(second) in message
    assert f"set '{SET_SLUG}' is also defined in" in message
    assert database_contents(cli_db) == before


def test_seed_refuses_a_path_that_does_not_exist(
    cli: Cli, cli_db: DbTarget, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "set.toml"
    before = database_contents(cli_db)

    message = refusal(cli("seed", str(missing)))

    assert f"{missing}: no such file" in message
    assert database_contents(cli_db) == before


# --- good files: idempotent loading -----------------------------------------------------------


def test_seed_twice_with_bundled_sets_changes_nothing(cli: Cli, cli_db: DbTarget) -> None:
    counts, before = row_counts(cli_db), database_contents(cli_db)
    for _ in range(2):
        result = cli("seed")
        assert result.returncode == 0, result.stderr
        assert "no changes" in result.stderr
        assert row_counts(cli_db) == counts
    assert database_contents(cli_db) == before


@contextmanager
def reading_around_tracker(target: DbTarget) -> Iterator[Connection]:
    """A plain connection to the database, not through tracker (which would migrate it)."""
    url = f"sqlite:///{target.path}" if target.path is not None else make_url(str(target))
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def _indicator_rows(target: DbTarget) -> dict[str, dict[str, object]]:
    with reading_around_tracker(target) as connection:
        rows = connection.execute(text("SELECT * FROM indicator")).mappings().all()
    return {str(row["key"]): dict(row) for row in rows}


def table_names(target: DbTarget) -> list[str]:
    with reading_around_tracker(target) as connection:
        return inspect(connection).get_table_names()


def test_seed_with_reworded_title_updates_wording_not_history(
    cli: Cli, cli_db: DbTarget, tmp_path: Path
) -> None:
    new_title = "Ukraine follow-up talks in Miami and Florida"
    edited = write_set(
        tmp_path / "edited", mangled('talks in Miami"\n', 'talks in Miami and Florida"\n')
    )
    before, indicators_before = database_contents(cli_db), _indicator_rows(cli_db)

    result = cli("seed", str(edited))

    assert result.returncode == 0, result.stderr
    assert "1 indicator updated" in result.stderr
    shown = cli("history", "miami-talks")
    assert shown.returncode == 0, shown.stderr
    assert new_title in shown.stdout
    after, indicators_after = database_contents(cli_db), _indicator_rows(cli_db)
    for table in before.keys() - {"indicator"}:
        assert after[table] == before[table], f"seeding changed table {table}"
    changed = {key for key in indicators_before if indicators_after[key] != indicators_before[key]}
    assert changed == {"miami-talks"}


def test_seed_without_an_indicator_retires_it_and_keeps_its_history(
    cli: Cli, cli_db: DbTarget, tmp_path: Path
) -> None:
    start = ORIGINAL.index('[[indicators]]\nkey = "europe-china"')
    end = ORIGINAL.index("\n\n", ORIGINAL.index("[indicators.baseline]", start)) + 2
    block = ORIGINAL[start:end]
    assert block.count("[[indicators]]") == 1 and block.rstrip().endswith('thinly sourced."')
    text = mangled(block, "")
    text = mangled('"europe-china" = "none", ', "", text)  # its one seeded bearing
    assert "europe-china" not in text
    edited = write_set(tmp_path / "edited", text)
    before = database_contents(cli_db)

    result = cli("seed", str(edited))

    assert result.returncode == 0, result.stderr
    assert "1 indicator retired" in result.stderr
    board = cli("status", "--json")
    assert board.returncode == 0, board.stderr
    keys = {row["key"] for row in json.loads(board.stdout)}
    assert "europe-china" not in keys
    assert len(keys) == ORIGINAL.count("[[indicators]]") - 1
    shown = cli("history", "europe-china")
    assert shown.returncode == 0, shown.stderr
    assert "European outreach to China" in shown.stdout and "Retired" in shown.stdout
    assert seeded_uuid(SET_SLUG, "observation", "paris-beijing-outreach") in shown.stdout
    rows = _indicator_rows(cli_db)
    assert "europe-china" in rows and rows["europe-china"]["retired_at"] is not None
    after = database_contents(cli_db)
    for table in before.keys() - {"indicator"}:
        assert after[table] == before[table], f"seeding changed table {table}"
