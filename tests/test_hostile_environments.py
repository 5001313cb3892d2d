"""Hostile files and environments (issue 5, point 6): a damaged database, a read-only file or
folder, a folder that does not exist, and indicator-set files with one field mangled. Each is met
with one clear `tracker: error:` line, a non-zero exit status, no traceback and no change to any
data. (Import files have their own tests in test_import_bad_files.py.)

The command line runs as a process, as an analyst runs it. File permissions mean nothing to
root, so when the tests run as root (as in CI) the read-only cases run tracker as the
unprivileged user 65534 ("nobody") in a folder of their own under the system temp folder.

Damage, permissions and folders are about SQLite files: those tests are `sqlite_only`, and the
ones that make their own file ask for `engine` only so that the mark keeps them to the SQLite
run. The mangled indicator-set files run on both engines."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import (
    BUNDLED_SET,
    FIXED_NOW,
    Cli,
    DbTarget,
    MakeTarget,
    database_contents,
    run_tracker,
    tracker_env,
)
from tracker.errors import TrackerError
from tracker.services.clock import FixedClock
from tracker.services.seeding import load_definitions, read_definitions

ORIGINAL = BUNDLED_SET.read_text(encoding="utf-8")


def one_error_line(result: subprocess.CompletedProcess[str], status: int | None = None) -> str:
    """The refusal's one line: non-zero exit (or exactly `status`), nothing on stdout, no
    traceback anywhere, one line on stderr starting `tracker: error:`."""
    shown = (result.returncode, result.stdout, result.stderr)
    if status is None:
        assert result.returncode != 0, shown
    else:
        assert result.returncode == status, shown
    assert "Traceback" not in result.stderr + result.stdout, shown
    assert result.stdout == "", shown
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, shown
    assert lines[0].startswith("tracker: error: "), shown
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def folder_files(folder: Path) -> dict[str, str]:
    """Every file under `folder` (relative name -> digest): for 'nothing created or changed'."""
    return {
        str(path.relative_to(folder)): digest(path) for path in folder.rglob("*") if path.is_file()
    }


def all_paths(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


def sqlite_file(path: Path) -> DbTarget:
    return DbTarget("sqlite", str(path), path=path)


@pytest.fixture
def seeded_file(cli_db: DbTarget) -> Path:
    """A seeded database file of the test's own, for the tests about SQLite files."""
    assert cli_db.path is not None, "a test about SQLite files is marked sqlite_only"
    return cli_db.path


# --- 1. A damaged database ---------------------------------------------------------------------


def _copy_checkpointed(template: Path, target: Path) -> tuple[int, int]:
    """Copy the database, make sure everything is in the main file, and return the page size
    and the root page of the `indicator` table (which every command below reads)."""
    shutil.copyfile(template, target)
    with contextlib.closing(sqlite3.connect(target)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        root = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = 'indicator'"
        ).fetchone()[0]
    for suffix in ("-wal", "-shm"):
        assert not Path(f"{target}{suffix}").exists(), "the copy still has a side file"
    return page_size, root


def damage_indicator_page(template: Path, target: Path) -> None:
    """A valid SQLite header, but the indicator table's b-tree root page overwritten."""
    page_size, root = _copy_checkpointed(template, target)
    data = bytearray(target.read_bytes())
    offset = (root - 1) * page_size
    data[offset : offset + page_size] = b"\xff" * page_size
    target.write_bytes(bytes(data))


def damage_cell_contents(template: Path, target: Path) -> None:
    """The indicator root page keeps its page header; the cells after it are scrambled."""
    page_size, root = _copy_checkpointed(template, target)
    data = bytearray(target.read_bytes())
    offset = (root - 1) * page_size + 8
    data[offset : offset + page_size - 8] = bytes((i * 37 + 11) % 256 for i in range(page_size - 8))
    target.write_bytes(bytes(data))


def truncate_to_half(template: Path, target: Path) -> None:
    _copy_checkpointed(template, target)
    data = target.read_bytes()
    assert data.startswith(b"SQLite format 3\x00")
    target.write_bytes(data[: len(data) // 2])


DAMAGE = {
    "indicator-page-overwritten": damage_indicator_page,
    "indicator-cells-scrambled": damage_cell_contents,
    "truncated-to-half": truncate_to_half,
}

# Each command, with an output file where it can write one: a refusal must not leave one.
COMMANDS = {
    "status": ["status"],
    "observe": [
        "observe",
        "miami-talks:toward",
        "--text",
        "Talks resumed.",
        "--date",
        "2025-12-20",
    ],
    "brief": ["brief", "-o", "briefing.md"],
    "export": ["export", "-o", "export.json"],
}


@pytest.mark.sqlite_only("damages the pages of a SQLite file")
@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_database_is_refused_untouched(
    seeded_file: Path, tmp_path: Path, damage: str, command: str
) -> None:
    desk = tmp_path / "desk"
    desk.mkdir()
    damaged = desk / "desk.sqlite3"
    DAMAGE[damage](seeded_file, damaged)
    before = folder_files(tmp_path)

    result = run_tracker(
        "--db", str(damaged), *COMMANDS[command], cwd=tmp_path, env=tracker_env(tmp_path)
    )

    line = one_error_line(result)
    assert str(damaged) in line, line
    assert re.search(r"malformed|damaged|corrupt|not a tracker database", line), line
    # Not a byte of the file changed, and nothing was written beside it or elsewhere (no
    # briefing, no export, no -wal/-shm left behind).
    assert folder_files(tmp_path) == before


@pytest.mark.sqlite_only("a file that is not a SQLite database, given as one")
def test_a_text_file_named_as_database_is_refused_by_a_write(
    db_target: DbTarget, tmp_path: Path
) -> None:
    """test_storage opens one in-process; here the command line says it in one line."""
    fake = db_target.path
    assert fake is not None
    fake.write_text("Notes for the Monday briefing\n" * 200, encoding="utf-8")
    before = folder_files(tmp_path)

    result = Cli(db_target, tmp_path)(*COMMANDS["observe"])

    line = one_error_line(result, status=2)
    assert f"{fake}: the file is not a tracker database" in line, line
    assert folder_files(tmp_path) == before


# --- 2. Read-only files and folders ------------------------------------------------------------

NOBODY = 65534


def _unprivileged_prefix() -> list[str] | None:
    if shutil.which("setpriv"):
        return [
            str(shutil.which("setpriv")),
            f"--reuid={NOBODY}",
            f"--regid={NOBODY}",
            "--clear-groups",
        ]
    if shutil.which("runuser"):
        return [str(shutil.which("runuser")), "-u", "nobody", "--"]
    return None


def _restore_permissions(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir() and not path.is_symlink():
            path.chmod(0o777)


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder of this test's own that the unprivileged user can use (pytest's tmp_path is
    0700 under root)."""
    folder = Path(tempfile.mkdtemp(prefix="tracker-hostile-"))
    folder.chmod(0o777)
    try:
        yield folder
    finally:
        _restore_permissions(folder)
        shutil.rmtree(folder, ignore_errors=True)


class AsUser:
    """Runs `tracker --db DB ...` as a user whom file permissions bind: this user when not
    root, else user 65534."""

    def __init__(self, prefix: list[str], folder: Path) -> None:
        self.prefix = prefix
        self.folder = folder
        self.root = os.geteuid() == 0

    def own(self, *paths: Path) -> None:
        """Make the paths the running user's own, as an analyst's files are."""
        if self.root:
            for path in paths:
                os.chown(path, NOBODY, NOBODY)

    def __call__(self, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
        # Matplotlib's cache, in a folder the user can write.
        env = tracker_env(self.folder, MPLCONFIGDIR=str(self.folder / "mplconfig"))
        return run_tracker(
            "--db",
            str(db),
            *args,
            cwd=self.folder,
            env=env,
            executable=[*self.prefix, sys.executable, "-m", "tracker"],
        )


@pytest.fixture(scope="module")
def unprivileged_prefix() -> list[str]:
    """What runs a command as a user whom file permissions bind: nothing when not root, else
    user 65534, once checked able to run this Python with tracker installed."""
    if os.geteuid() != 0:
        return []
    prefix = _unprivileged_prefix()
    if prefix is None:
        pytest.skip("running as root, and neither setpriv nor runuser is here to drop privileges")
    folder = Path(tempfile.mkdtemp(prefix="tracker-probe-"))
    try:
        folder.chmod(0o777)
        probe = subprocess.run(
            [*prefix, sys.executable, "-c", "import tracker.interfaces.cli.main"],
            cwd=folder,
            env=tracker_env(folder),
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if probe.returncode != 0:
        pytest.skip(
            f"running as root, and user {NOBODY} cannot run {sys.executable} with tracker "
            f"installed (is the virtual environment readable by all?): {probe.stderr.strip()}"
        )
    return prefix


@pytest.fixture
def as_user(unprivileged_prefix: list[str], shared_folder: Path) -> AsUser:
    return AsUser(unprivileged_prefix, shared_folder)


def contents_of_copy(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row, read from a copy: opening the file itself, as root, would put root's own
    -wal and -shm files beside it."""
    with tempfile.TemporaryDirectory() as folder:
        copied = Path(folder) / db.name
        shutil.copyfile(db, copied)
        wal = Path(f"{db}-wal")
        if wal.exists():
            shutil.copyfile(wal, Path(f"{copied}-wal"))
        return database_contents(copied)


def _writable_desk(as_user: AsUser, template: Path, name: str) -> tuple[Path, Path]:
    folder = as_user.folder / name
    folder.mkdir()
    folder.chmod(0o777)
    db = folder / "desk.sqlite3"
    shutil.copyfile(template, db)
    db.chmod(0o644)
    as_user.own(folder, db)
    return folder, db


@pytest.mark.sqlite_only("the permissions of a SQLite file")
def test_read_only_database_file_can_be_read(seeded_file: Path, as_user: AsUser) -> None:
    _, db = _writable_desk(as_user, seeded_file, "desk")
    db.chmod(0o444)
    before = digest(db)

    result = as_user(db, "status", "--json")

    assert result.returncode == 0, result.stderr
    assert '"key": "miami-talks"' in result.stdout
    assert "Traceback" not in result.stderr
    assert digest(db) == before


@pytest.mark.sqlite_only("the permissions of a SQLite file")
def test_read_only_database_file_refuses_a_write_untouched(
    seeded_file: Path, as_user: AsUser
) -> None:
    _, db = _writable_desk(as_user, seeded_file, "desk")
    db.chmod(0o444)
    before, contents = digest(db), contents_of_copy(db)

    line = one_error_line(as_user(db, *COMMANDS["observe"]))

    assert str(db) in line, line
    assert re.search(r"read-?only", line), line
    assert "nothing was recorded" in line, line
    assert digest(db) == before
    assert contents_of_copy(db) == contents


@pytest.mark.sqlite_only("the permissions of a SQLite file and its -wal and -shm files")
def test_reading_a_read_only_database_does_not_stop_later_writes(
    seeded_file: Path, as_user: AsUser
) -> None:
    """An analyst looks at a database they cannot write, then is given write access: writing
    must then work. (A read that leaves read-only -wal/-shm files beside the database keeps
    it unwritable: 'attempt to write a readonly database' although the file is writable.)"""
    _, db = _writable_desk(as_user, seeded_file, "desk")
    db.chmod(0o444)
    looked = as_user(db, "status")
    assert looked.returncode == 0, looked.stderr

    db.chmod(0o644)
    result = as_user(db, *COMMANDS["observe"])

    assert result.returncode == 0, result.stderr
    assert "Recorded observation of 2025-12-20 on miami-talks" in result.stderr


@pytest.mark.sqlite_only("a SQLite file in a folder that cannot take its -wal and -shm files")
@pytest.mark.parametrize("command", ["status", "observe"])
def test_database_in_a_read_only_folder_is_refused_untouched(
    seeded_file: Path, as_user: AsUser, command: str
) -> None:
    """SQLite's write-ahead log needs -wal and -shm files beside the database, which a
    read-only folder cannot take: even a read is refused (today: 'cannot open database ...:
    attempt to write a readonly database', exit 2). A write must be."""
    folder, db = _writable_desk(as_user, seeded_file, "desk")
    folder.chmod(0o555)
    before, contents = folder_files(folder), contents_of_copy(db)
    args = ["status", "--json"] if command == "status" else COMMANDS[command]

    result = as_user(db, *args)

    if command == "status" and result.returncode == 0:
        assert '"key": "miami-talks"' in result.stdout
        assert "Traceback" not in result.stderr
    else:
        line = one_error_line(result)
        assert str(db) in line, line
    assert folder_files(folder) == before
    assert contents_of_copy(db) == contents


@pytest.mark.sqlite_only("a new SQLite file in a folder that cannot take it")
@pytest.mark.parametrize("command", ["status", "observe", "seed"])
def test_new_database_in_a_read_only_folder_creates_nothing(
    engine: str, as_user: AsUser, command: str
) -> None:
    folder = as_user.folder / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    as_user.own(folder)
    db = folder / "desk.sqlite3"

    line = one_error_line(as_user(db, *COMMANDS.get(command, [command])))

    assert str(db) in line, line
    assert list(folder.iterdir()) == []


# --- 3. A folder that does not exist -----------------------------------------------------------


@pytest.fixture(scope="module")
def export_file(tmp_path_factory: pytest.TempPathFactory, _targets: MakeTarget) -> Path:
    folder = tmp_path_factory.mktemp("export")
    path = folder / "export.json"
    seeded = _targets("sqlite", folder, start="first_run")
    result = run_tracker(
        "--db", str(seeded), "export", "-o", str(path), cwd=folder, env=tracker_env(folder)
    )
    assert result.returncode == 0, result.stderr
    return path


MISSING_FOLDER_COMMANDS = {
    **COMMANDS,
    "import": ["import", "{export}"],
    "backup": ["backup"],
}


@pytest.mark.sqlite_only("a SQLite file in a folder that does not exist")
@pytest.mark.parametrize("command", sorted(MISSING_FOLDER_COMMANDS))
def test_database_in_a_missing_folder_is_refused_and_nothing_created(
    engine: str, tmp_path: Path, export_file: Path, command: str
) -> None:
    missing = tmp_path / "no-such-folder" / "desk"
    db = missing / "desk.sqlite3"
    args = [arg.replace("{export}", str(export_file)) for arg in MISSING_FOLDER_COMMANDS[command]]
    before = all_paths(tmp_path)

    line = one_error_line(Cli(sqlite_file(db), tmp_path)(*args), status=2)

    assert f"the folder {missing} does not exist" in line, line
    assert all_paths(tmp_path) == before


@pytest.mark.sqlite_only("a SQLite file in a folder that does not exist")
def test_tracker_db_variable_naming_a_missing_folder_is_refused(
    engine: str, tmp_path: Path
) -> None:
    db = tmp_path / "gone" / "desk.sqlite3"
    before = all_paths(tmp_path)

    result = run_tracker("status", cwd=tmp_path, env=tracker_env(tmp_path, TRACKER_DB=str(db)))

    line = one_error_line(result, status=2)
    assert f"the folder {db.parent} does not exist" in line, line
    assert all_paths(tmp_path) == before


# --- 4. Indicator-set files with one field mangled ---------------------------------------------

BUNDLED_DATA = tomllib.loads(ORIGINAL)
# Written as sub-tables in the bundled file ([indicators.baseline]); other tables go inline.
SUB_TABLES = {"baseline"}
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def toml_string(text: str) -> str:
    escaped = "".join(
        _ESCAPES.get(char)
        or (f"\\u{ord(char):04X}" if ord(char) < 0x20 or ord(char) == 0x7F else char)
        for char in text
    )
    return f'"{escaped}"'


def toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else toml_string(key)


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    raise TypeError(f"no TOML for {value!r}")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _table_body(table: dict[str, Any], prefix: str) -> list[str]:
    """`key = value` lines, then the sub-tables the bundled file writes as [prefix.key]."""
    lines = [
        f"{toml_key(k)} = {toml_value(v)}"
        for k, v in table.items()
        if not (k in SUB_TABLES and isinstance(v, dict))
    ]
    for key, value in table.items():
        if key in SUB_TABLES and isinstance(value, dict):
            lines += [f"[{prefix}.{toml_key(key)}]", *_table_body(value, f"{prefix}.{key}")]
    return lines


def toml_text(data: dict[str, Any]) -> str:
    """The same layout as the bundled file: [set], [[sources]], [[themes]], [[indicators]]
    with [indicators.baseline], [[observations]] with inline bears_on."""
    lines = [
        f"{toml_key(k)} = {toml_value(v)}"
        for k, v in data.items()
        if not isinstance(v, dict) and not _is_table_array(v)
    ]
    for key, value in data.items():
        name = toml_key(key)
        if isinstance(value, dict):
            lines += ["", f"[{name}]", *_table_body(value, name)]
        elif _is_table_array(value):
            for item in value:
                lines += ["", f"[[{name}]]", *_table_body(item, name)]
    return "\n".join(lines) + "\n"


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path to every table entry and array item in the file (the tables themselves too)."""
    children: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        children = list(value.items())
    elif isinstance(value, list):
        children = list(enumerate(value))
    found = []
    for key, child in children:
        found.append((*prefix, key))
        found += _paths(child, (*prefix, key))
    return found


FIELD_PATHS = _paths(BUNDLED_DATA)
OTHER_VALUES: list[Any] = [
    0,
    -7,
    10**20,
    2.5,
    float("nan"),
    True,
    date(2025, 12, 5),
    datetime(2025, 12, 5, 10, 30),
    time(7, 30),
    "",
    " ",
    "process",
    "moved",
    [],
    ["seed-000"],
    [{"source": "seed-000"}],
    {},
    {"key": "x"},
]


class Mangled:
    """The bundled set with one field mangled; shown by what was done to it."""

    def __init__(self, data: dict[str, Any], what: str) -> None:
        self.data = data
        self.what = what

    def __repr__(self) -> str:
        return f"<bundled set, {self.what}>"


@st.composite
def mangled_definitions(draw: st.DrawFn) -> Mangled:
    """The bundled set with exactly one field deleted, renamed, retyped, emptied or replaced
    by random text."""
    path = draw(st.sampled_from(FIELD_PATHS))
    data = copy.deepcopy(BUNDLED_DATA)
    parent: Any = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    old = parent[last]
    how = draw(st.sampled_from(["delete", "rename", "retype", "empty", "text"]))
    if how == "rename" and isinstance(last, str):
        new_key = draw(st.text(min_size=1, max_size=12))
        parent[new_key] = parent.pop(last)
        return Mangled(data, f"{path} renamed to {new_key!r}")
    if how in {"delete", "rename"}:
        del parent[last]
        return Mangled(data, f"{path} deleted")
    if how == "retype":
        new = draw(st.sampled_from([v for v in OTHER_VALUES if type(v) is not type(old)]))
    elif how == "empty":
        new = type(old)() if isinstance(old, str | list | dict) else ""
    else:
        new = draw(st.text(max_size=40))
    parent[last] = new
    return Mangled(data, f"{path} set to {new!r}")


@pytest.fixture
def seeded_copies(engine: str, _targets: MakeTarget) -> Callable[[Path], DbTarget]:
    """Per example, a database seeded in-process with the bundled set (a copy of a template)."""
    return lambda folder: _targets(engine, folder, start="seeded")


def seed_in_process(text: str, seeded_copy: Callable[[Path], DbTarget]) -> None:
    """`tracker seed FILE` through its services, on a copy of a seeded database: the file
    loads, or it is refused with one line naming it and the database is as it was. (A file
    refused as it is read never reaches a database: the copy is made only for one that reads.)"""
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        definition = folder / BUNDLED_SET.name
        definition.write_text(text, encoding="utf-8")
        try:
            loaded = read_definitions([definition])
        except TrackerError as exc:
            refused_in_one_line_naming(definition, exc)
            return
        target = seeded_copy(folder)
        try:
            before = database_contents(target)
            try:
                database = target.open()
                try:
                    load_definitions(database, loaded, FixedClock(FIXED_NOW))
                finally:
                    database.close()
                event("loaded")
            except TrackerError as exc:
                refused_in_one_line_naming(definition, exc)
                assert database_contents(target) == before
        finally:
            target.drop()


def refused_in_one_line_naming(definition: Path, exc: TrackerError) -> None:
    event(f"refused: {type(exc).__name__}")
    message = str(exc)
    assert str(definition) in message, message
    assert "\n" not in message and "\r" not in message, message


def test_the_test_writer_reproduces_the_bundled_set() -> None:
    text = toml_text(BUNDLED_DATA)
    assert tomllib.loads(text) == BUNDLED_DATA
    with tempfile.TemporaryDirectory() as folder:
        written = Path(folder) / BUNDLED_SET.name
        written.write_text(text, encoding="utf-8")
        [loaded] = read_definitions([written])
        [bundled] = read_definitions([BUNDLED_SET])
        assert loaded.definition == bundled.definition


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mangled=mangled_definitions())
def test_a_definition_with_one_field_mangled_loads_or_is_refused_cleanly(
    seeded_copies: Callable[[Path], DbTarget], mangled: Mangled
) -> None:
    seed_in_process(toml_text(mangled.data), seeded_copies)


_SETTING = re.compile(r"^(\s*[A-Za-z_\"-][^=\[]*?=\s*)(.+)$")
SETTING_LINES = [n for n, line in enumerate(ORIGINAL.splitlines()) if _SETTING.match(line)]
GARBAGE = ["", "nope", '"unterminated', "[1, 2", "{ x = }", "2025-13-01", "12:61", "1e", "= 1"]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    number=st.sampled_from(SETTING_LINES),
    how=st.sampled_from(["delete", "duplicate", "garbage", "text"]),
    garbage=st.sampled_from(GARBAGE),
    text=st.text(max_size=30),
)
def test_a_definition_with_one_line_mangled_loads_or_is_refused_cleanly(
    seeded_copies: Callable[[Path], DbTarget], number: int, how: str, garbage: str, text: str
) -> None:
    """The same, on the text: a `key = value` line deleted, repeated, or its value replaced by
    something that may not even be TOML."""
    lines = ORIGINAL.splitlines(keepends=True)
    line = lines[number]
    match = _SETTING.match(line.rstrip("\n"))
    assert match is not None
    if how == "delete":
        lines[number] = ""
    elif how == "duplicate":
        lines[number] = line + line
    else:
        lines[number] = match.group(1) + (garbage if how == "garbage" else text) + "\n"
    seed_in_process("".join(lines), seeded_copies)


def _renamed(data: dict[str, Any], where: tuple[Any, ...], old: str, new: str) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    table: Any = changed
    for part in where:
        table = table[part]
    table[new] = table.pop(old)
    return changed


def _replaced(data: dict[str, Any], where: tuple[Any, ...], new: Any) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    table: Any = changed
    for part in where[:-1]:
        table = table[part]
    table[where[-1]] = new
    return changed


LINE_BREAK_CASES = {
    # A quoted TOML key may hold any character; the message must still be one line.
    "field-name-with-line-break": _renamed(BUNDLED_DATA, ("indicators", 0), "title", "tit\nle"),
    "section-name-with-carriage-return": _renamed(BUNDLED_DATA, (), "set", "set\r"),
    "indicator-key-with-line-break": _replaced(
        BUNDLED_DATA, ("indicators", 0, "key"), "miami\ntalks"
    ),
}


@pytest.mark.parametrize("case", sorted(LINE_BREAK_CASES))
def test_a_refusal_quoting_a_line_break_from_the_file_stays_one_line(
    tmp_path: Path, case: str
) -> None:
    definition = tmp_path / BUNDLED_SET.name
    definition.write_text(toml_text(LINE_BREAK_CASES[case]), encoding="utf-8")

    with pytest.raises(TrackerError) as refused:
        read_definitions([definition])

    message = str(refused.value)
    assert message.startswith(str(definition)), message
    assert message.splitlines() == [message], f"more than one line: {message!r}"


def _after(text: str, anchor: str, old: str, new: str) -> str:
    """`text` with the first `old` after `anchor` replaced by `new`."""
    start = text.index(anchor)
    at = text.index(old, start)
    return text[:at] + new + text[at + len(old) :]


SET_TABLE = re.search(r"\[set\]\n(?:[^\n]+\n)+", ORIGINAL)
assert SET_TABLE is not None
CLI_CASES = {
    # (mangled text, words the one line must hold)
    "set-table-missing": (
        ORIGINAL.replace(SET_TABLE.group(0), ""),
        ["'set' is missing"],
    ),
    "actors-emptied": (
        _after(
            ORIGINAL, 'key = "miami-talks"', 'actors = ["United States", "Ukraine"]', "actors = []"
        ),
        ["indicator 'miami-talks'", "'actors'"],
    ),
    "theme-made-a-number": (
        _after(ORIGINAL, 'key = "florida-meeting"', 'theme = "process"', "theme = 7"),
        ["indicator 'florida-meeting'", "'theme'"],
    ),
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_seed_of_a_mangled_definition_file_is_refused_by_the_command_line(
    cli: Cli, cli_db: DbTarget, tmp_path: Path, case: str
) -> None:
    text, words = CLI_CASES[case]
    definition = tmp_path / "sets" / BUNDLED_SET.name
    definition.parent.mkdir()
    definition.write_text(text, encoding="utf-8")
    # On SQLite, not a byte of the file changes either.
    before = digest(cli_db.path) if cli_db.path is not None else None
    contents = database_contents(cli_db)

    line = one_error_line(cli("seed", str(definition)), status=2)

    assert line.startswith(f"tracker: error: {definition}"), line
    for word in words:
        assert word in line, (word, line)
    if cli_db.path is not None:
        assert digest(cli_db.path) == before
    assert database_contents(cli_db) == contents
