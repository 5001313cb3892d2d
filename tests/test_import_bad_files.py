"""`tracker import` with hostile files: each is refused with exit status 2, one clear
`tracker: error:` line naming the problem, no traceback, and the target database exactly as it
was (a seeded one, and a new one where none exists yet), on SQLite and on PostgreSQL. Then
hypothesis mangles one node of a real export at a time, and the importer either loads it whole
(and a second import changes nothing) or refuses it with an InputError, leaving the database as
it was.

`IMPORT_EXAMPLES=2000 pytest tests/test_import_bad_files.py -k mangled` searches harder."""

from __future__ import annotations

import copy
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from tests.conftest import (
    FIXED_NOW,
    SET_SLUG,
    DbTarget,
    MakeTarget,
    database_contents,
    run_tracker,
    tracker_env,
)
from tracker.services.assessments import AssessmentDraft, assess_indicator
from tracker.services.briefing_periods import BriefingScope, Period, issue_briefing
from tracker.services.clock import FixedClock
from tracker.services.inputs import InputError
from tracker.services.observations import ObservationDraft, record_observation
from tracker.services.record_export import export_record
from tracker.services.record_file import RECORD_FILE_VERSION, read_record_file
from tracker.services.record_import import import_record
from tracker.services.retractions import retract_observation

# --- a real export: the seeded desk plus records of our own -----------------------------------


class RichExport:
    """An export of the seeded database plus observations, an assessment citing one, a
    retraction and an issued briefing recorded through the services. `places` names where our
    own records sit in it (list indexes and UUIDs), for the cases and their messages."""

    def __init__(self, text: str, data: dict[str, Any], places: dict[str, Any]) -> None:
        self.text = text
        self.data = data
        self.places = places

    def __repr__(self) -> str:  # short, in hypothesis's report of a failing example
        return f"RichExport({len(self.text)} characters, places={self.places})"


def _index(records: list[dict[str, Any]], uuid_: str) -> int:
    return next(i for i, record in enumerate(records) if record["uuid"] == uuid_)


@pytest.fixture(scope="module")
def rich_exports(
    _targets: MakeTarget, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], RichExport]:
    """The rich export of each engine, made once: from a copy of the seeded database that
    the tests' own (`cli_db`) are copies of, so the seeded records in it are theirs."""
    made: dict[str, RichExport] = {}

    def of(engine: str) -> RichExport:
        if engine not in made:
            target = _targets(engine, tmp_path_factory.mktemp("rich"), start="first_run")
            try:
                made[engine] = _rich_export(target)
            finally:
                target.drop()
        return made[engine]

    return of


@pytest.fixture
def rich_export(engine: str, rich_exports: Callable[[str], RichExport]) -> RichExport:
    return rich_exports(engine)


def _rich_export(target: DbTarget) -> RichExport:
    clock = FixedClock(FIXED_NOW)
    db = target.open()
    try:
        sourced = record_observation(
            db,
            ObservationDraft(
                bearings=[("miami-talks", "toward")],
                summary="Delegations agree a revised 20-point framework in Florida.",
                event_date="2025-12-20",
                quote="a revised framework",
                source_title="Talks in Florida",
                source_publisher="Wire service",
                source_url="https://example.org/florida",
                source_date="2025-12-20",
                reliability="B",
                credibility=2,
                author="analyst-a",
            ),
            clock,
        )
        unsourced = record_observation(
            db,
            ObservationDraft(
                bearings=[("miami-talks", "none"), ("kyiv-firmness", "away")],
                summary="A contact says Kyiv may soften its position on territory.",
                event_date="2025-12-21",
                author="analyst-b",
            ),
            clock,
        )
        withdrawn = record_observation(
            db,
            ObservationDraft(
                bearings=[("kyiv-firmness", "toward")],
                summary="Misreported: Kyiv rejects the framework outright.",
                event_date="2025-12-21",
                source_title="A rumour",
                author="analyst-a",
            ),
            clock,
        )
        assessment = assess_indicator(
            db,
            AssessmentDraft(
                indicator_key="miami-talks",
                status="moved",
                direction="toward",
                confidence="high",
                rationale="A jointly endorsed revised framework.",
                evidence=[sourced.id],
                effective_on="2025-12-21",
                author="analyst-a",
            ),
            clock,
        )
        retraction = retract_observation(
            db, withdrawn.id, "The report was corrected.", clock, "analyst-b"
        )
        briefing = issue_briefing(
            db,
            BriefingScope(SET_SLUG, Period(date(2025, 12, 15), date(2025, 12, 21))),
            FIXED_NOW,
            "lead",
        )
        text = export_record(db).to_json()
    finally:
        db.close()
    data = json.loads(text)
    observations = data["observations"]
    places = {
        "a": _index(observations, sourced.id),
        "b": _index(observations, unsourced.id),
        "c": _index(observations, withdrawn.id),
        "ass": _index(data["assessments"], assessment.id),
        "ret": _index(data["retractions"], retraction.id),
        "brief": _index(data["issued_briefings"], briefing.id),
        "a_uuid": sourced.id,
        "b_uuid": unsourced.id,
        "c_uuid": withdrawn.id,
        "ass_uuid": assessment.id,
        "ret_uuid": retraction.id,
    }
    assert data["retractions"] and data["issued_briefings"]
    assert FRESH not in text
    assert data["assessments"][places["ass"]]["evidence"] == [sourced.id]
    return RichExport(text=text, data=data, places=places)


def created(target: DbTarget) -> bool:
    """Whether tracker made the new database: its SQLite file, or tables in the PostgreSQL
    database (which the fixture makes, empty). Read without tracker, which would make them."""
    if target.path is not None:
        return target.path.exists()
    engine = create_engine(make_url(str(target)))
    try:
        with engine.connect() as connection:
            return bool(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def holds_no_records(target: DbTarget) -> bool:
    return all(
        not rows for table, rows in database_contents(target).items() if table != "alembic_version"
    )


# --- the command line ---------------------------------------------------------------------------


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    """The one error line of a bad-input refusal (exit 2, nothing on stdout, no traceback)."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("tracker: error: "), result.stderr
    return lines[0]


def import_into(
    targets: list[DbTarget], file: Path, cwd: Path
) -> list[subprocess.CompletedProcess[str]]:
    """`tracker --db TARGET import FILE` for each target, run side by side."""
    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        return list(
            pool.map(
                lambda target: run_tracker("--db", str(target), "import", str(file), cwd=cwd),
                targets,
            )
        )


# Starting Python and importing tracker takes most of a second per process; the hostile-file
# cases run dozens of imports. This server imports tracker once, then forks a new process for
# each command, which runs the real entry point (`tracker.interfaces.cli.main.run`, as
# `python -m tracker` does) with its own arguments, environment, working folder, stdout and
# stderr, and exits with its own status. A Python exception escaping the command prints a
# traceback and exits 1, as the interpreter would. The test below checks it against run_tracker.
FORK_SERVER = """
import json, os, sys, traceback
from tracker.interfaces.cli.main import run

for line in sys.stdin:
    job = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.chdir(job["cwd"])
            os.environ.clear()
            os.environ.update(job["env"])
            null = os.open(os.devnull, os.O_RDONLY)
            out = os.open(job["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            err = os.open(job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(null, 0)
            os.dup2(out, 1)
            os.dup2(err, 2)
            sys.argv = ["tracker", *job["args"]]
            try:
                run()
                code = 0
            except SystemExit as exc:
                if exc.code is None or isinstance(exc.code, int):
                    code = exc.code or 0
                else:
                    print(exc.code, file=sys.stderr)
            except BaseException:
                traceback.print_exc()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    print(os.waitstatus_to_exitcode(status), flush=True)
"""


class ForkedTracker:
    """`tracker ARGS...` run as its own process, forked from one that imported tracker."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.jobs = 0
        self.server = subprocess.Popen(
            [sys.executable, "-c", FORK_SERVER],
            cwd=folder,
            env=tracker_env(folder),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def __call__(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        assert self.server.stdin is not None and self.server.stdout is not None
        self.jobs += 1
        out, err = (self.folder / f"{self.jobs}.{name}" for name in ("out", "err"))
        job = {
            "args": list(args),
            "cwd": str(cwd),
            "env": tracker_env(cwd),
            "stdout": str(out),
            "stderr": str(err),
        }
        self.server.stdin.write(json.dumps(job) + "\n")
        self.server.stdin.flush()
        status = self.server.stdout.readline()
        assert status, "the fork server has died"
        return subprocess.CompletedProcess(
            ["tracker", *args],
            int(status),
            out.read_text(encoding="utf-8"),
            err.read_text(encoding="utf-8"),
        )

    def close(self) -> None:
        assert self.server.stdin is not None
        self.server.stdin.close()
        self.server.wait(timeout=30)


Runner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def forked_tracker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    if not hasattr(os, "fork"):
        yield run_tracker
        return
    server = ForkedTracker(tmp_path_factory.mktemp("fork-server"))
    yield server
    server.close()


Builder = Callable[[Path, RichExport], Path]


def text_file(text: str) -> Builder:
    def build(folder: Path, _export: RichExport) -> Path:
        path = folder / "incoming.json"
        path.write_text(text, encoding="utf-8")
        return path

    return build


def bytes_file(content: bytes) -> Builder:
    def build(folder: Path, _export: RichExport) -> Path:
        path = folder / "incoming.json"
        path.write_bytes(content)
        return path

    return build


def cut_export(fraction: float | None = None, keep: int | None = None) -> Builder:
    """The real export cut short: at a fraction of its length, or keeping `keep` characters
    (negative: dropping that many from the end)."""

    def build(folder: Path, export: RichExport) -> Path:
        text = export.text
        end = int(len(text) * fraction) if fraction is not None else keep
        cut = text[:end]
        assert cut.strip() != text.strip()
        path = folder / "incoming.json"
        path.write_text(cut, encoding="utf-8")
        return path

    return build


def mangled(change: Callable[[dict[str, Any], dict[str, Any]], None]) -> Builder:
    """The real export with `change(data, places)` applied."""

    def build(folder: Path, export: RichExport) -> Path:
        data = copy.deepcopy(export.data)
        change(data, export.places)
        path = folder / "incoming.json"
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path

    return build


def a_folder(folder: Path, _export: RichExport) -> Path:
    path = folder / "exports.json"
    path.mkdir()
    return path


def whole(value: Any) -> Builder:
    """A JSON file holding just `value`."""
    return text_file(json.dumps(value))


def _obs(
    key: str, field: str, value: Any = ...
) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    """Set (or, with no value, delete) a field of one of our observations."""

    def change(data: dict[str, Any], places: dict[str, Any]) -> None:
        record = data["observations"][places[key]]
        if value is ...:
            del record[field]
        else:
            record[field] = value

    return change


def _record(
    section: str, key: str, **fields: Any
) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    def change(data: dict[str, Any], places: dict[str, Any]) -> None:
        data[section][places[key]].update(fields)

    return change


FRESH = "00000000-0000-4000-8000-0000000000ff"


def _set_top(field: str, value: Any = ...) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    def change(data: dict[str, Any], _places: dict[str, Any]) -> None:
        if value is ...:
            del data[field]
        else:
            data[field] = value

    return change


def _cite_unknown(data: dict[str, Any], places: dict[str, Any]) -> None:
    data["assessments"][places["ass"]]["evidence"] = [FRESH]


def _bear_on_unknown(data: dict[str, Any], places: dict[str, Any]) -> None:
    data["observations"][places["a"]]["bearings"][0]["indicator"] = "no-such-indicator"


def _retract_unknown(data: dict[str, Any], places: dict[str, Any]) -> None:
    data["retractions"][places["ret"]]["observation"] = FRESH


def _duplicate_observation(data: dict[str, Any], places: dict[str, Any]) -> None:
    data["observations"][places["b"]]["uuid"] = places["a_uuid"]


def _duplicate_bearing(data: dict[str, Any], places: dict[str, Any]) -> None:
    bearings = data["observations"][places["b"]]["bearings"]
    bearings.append(dict(bearings[0]))


def _duplicate_evidence(data: dict[str, Any], places: dict[str, Any]) -> None:
    evidence = data["assessments"][places["ass"]]["evidence"]
    evidence.append(evidence[0])


def _duplicate_assessment(data: dict[str, Any], places: dict[str, Any]) -> None:
    data["assessments"].append(dict(data["assessments"][places["ass"]], rationale="Other."))


def _duplicate_indicator(data: dict[str, Any], _places: dict[str, Any]) -> None:
    indicators = data["sets"][0]["indicators"]
    indicators[1]["key"] = indicators[0]["key"]


def _huge_position(data: dict[str, Any], _places: dict[str, Any]) -> None:
    data["sets"][0]["indicators"][0]["position"] = 2**70


@dataclass(frozen=True)
class Case:
    build: Builder
    # Words the error line must hold; "{a}", "{a_uuid}" and so on are filled from `places`.
    words: tuple[str, ...]
    # Whether the problem can only be found once the database is open: a new database may then
    # be created (migrated, holding no records) before the refusal.
    reaches_database: bool = False


# A version this tracker does not read: the one after the version it writes.
NEWER_VERSION = RECORD_FILE_VERSION + 1
NOT_JSON = ("incoming.json is not a tracker export", "not JSON, or it is cut short")
NO_VERSION = ("incoming.json is not a tracker export", "no 'tracker_export' version")
FORMAT = ("incoming.json does not match the export format",)

CASES: dict[str, Case] = {
    # The file itself.
    "missing-file": Case(
        lambda folder, _e: folder / "absent.json", ("there is no file", "absent.json")
    ),
    "folder": Case(a_folder, ("exports.json is a folder, not a file",)),
    "empty-file": Case(text_file(""), NOT_JSON),
    "binary": Case(bytes_file(bytes(range(256)) * 4), ("incoming.json is not a text file",)),
    "latin-1": Case(
        bytes_file('{"tracker_export": 1, "note": "Kyiv café"}'.encode("latin-1")),
        ("incoming.json is not a text file (not UTF-8)",),
    ),
    "plain-text": Case(text_file("Observations for the week:\n- talks in Miami\n"), NOT_JSON),
    "json-array": Case(whole([]), NO_VERSION),
    "json-array-of-export": Case(whole([{"tracker_export": 1}]), NO_VERSION),
    "json-null": Case(whole(None), NO_VERSION),
    "deeply-nested": Case(
        text_file('{"tracker_export": 1, "sets": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("incoming.json",),
    ),
    "huge-number-literal": Case(
        text_file('{"tracker_export": 1, "sets": [' + "9" * 5000 + "]}"), ("incoming.json",)
    ),
    # Cut short.
    "cut-after-1-char": Case(cut_export(keep=1), NOT_JSON),
    "cut-at-half": Case(cut_export(0.5), NOT_JSON),
    "cut-at-90-percent": Case(cut_export(0.9), NOT_JSON),
    "cut-before-last-brace": Case(cut_export(keep=-2), NOT_JSON),
    # The version.
    "version-missing": Case(mangled(_set_top("tracker_export")), NO_VERSION),
    "version-newer": Case(
        mangled(_set_top("tracker_export", NEWER_VERSION)),
        (f"of version {NEWER_VERSION}", "this tracker reads version 1"),
    ),
    "version-string": Case(
        mangled(_set_top("tracker_export", "1")), ('of version "1"', "reads version 1")
    ),
    "version-null": Case(mangled(_set_top("tracker_export", None)), ("version", "reads version 1")),
    "version-true": Case(mangled(_set_top("tracker_export", True)), ("of version true",)),
    "unknown-top-level-field": Case(
        mangled(_set_top("comments", "from the Kyiv desk")),
        (*FORMAT, "comments: Extra inputs are not permitted"),
    ),
    # One record.
    "required-field-missing": Case(
        mangled(_obs("a", "summary")), (*FORMAT, "observations[{a}].summary: Field required")
    ),
    "unknown-record-field": Case(
        mangled(_obs("a", "colour", "red")),
        (*FORMAT, "observations[{a}].colour: Extra inputs are not permitted"),
    ),
    "string-for-int": Case(
        mangled(_obs("a", "credibility", "2")),
        (*FORMAT, "observations[{a}].credibility", "integer"),
    ),
    "int-for-string": Case(
        mangled(_obs("a", "summary", 42)), (*FORMAT, "observations[{a}].summary", "string")
    ),
    "bad-date": Case(
        mangled(_obs("a", "event_date", "2025-13-01")),
        (*FORMAT, "observations[{a}].event_date", "date"),
    ),
    "naive-datetime": Case(
        mangled(_obs("a", "recorded_at", "2025-12-22T09:30:00")),
        (*FORMAT, "observations[{a}].recorded_at", "timezone"),
    ),
    "bad-uuid": Case(
        mangled(_obs("a", "uuid", "not-a-uuid")), (*FORMAT, "observations[{a}].uuid", "pattern")
    ),
    "unknown-bearing": Case(
        mangled(
            lambda data, places: data["observations"][places["a"]]["bearings"][0].update(
                bearing="sideways"
            )
        ),
        (*FORMAT, "observations[{a}].bearings[0].bearing", "'toward', 'away' or 'none'"),
    ),
    "reliability-Z": Case(
        mangled(_obs("a", "reliability", "Z")), (*FORMAT, "observations[{a}].reliability")
    ),
    "credibility-7": Case(
        mangled(_obs("a", "credibility", 7)),
        (*FORMAT, "observations[{a}].credibility", "less than or equal to 6"),
    ),
    "empty-summary": Case(
        mangled(_obs("a", "summary", "")),
        (*FORMAT, "observations[{a}].summary: is empty"),
    ),
    # The app refuses a summary of spaces as empty; an import must not bring one in either.
    "blank-summary": Case(mangled(_obs("a", "summary", "   ")), (*FORMAT, "observations[{a}]")),
    "moved-without-direction": Case(
        mangled(_record("assessments", "ass", direction=None)),
        (*FORMAT, "assessments[{ass}]", "direction is required when moved"),
    ),
    "unmoved-with-direction": Case(
        mangled(_record("assessments", "ass", status="unmoved", direction="away")),
        (*FORMAT, "assessments[{ass}]", "direction is required when moved, and only then"),
    ),
    "briefing-starts-after-it-ends": Case(
        mangled(
            _record("issued_briefings", "brief", period_start="2025-12-22", period_end="2025-12-21")
        ),
        (*FORMAT, "issued_briefings[{brief}]", "the period starts after it ends"),
    ),
    "no-source-not-unsourced": Case(
        mangled(
            lambda data, places: data["observations"][places["a"]].update(
                source_title=None, source_publisher=None, source_url=None, unsourced=False
            )
        ),
        (*FORMAT, "observations[{a}]", "a source (title, publisher or URL) is required"),
    ),
    "no-bearings": Case(
        mangled(_obs("a", "bearings", [])),
        (*FORMAT, "observations[{a}].bearings", "at least 1 item"),
    ),
    "extreme-datetime": Case(
        mangled(_obs("a", "recorded_at", "0001-01-01T00:00:00+05:00")),
        ("observation", "recorded_at"),
        reaches_database=True,
    ),
    # References that lead nowhere.
    "cites-unknown-observation": Case(
        mangled(_cite_unknown),
        (f"assessment {{ass_uuid}} cites observation {FRESH}", "nothing was imported"),
        reaches_database=True,
    ),
    "bears-on-unknown-indicator": Case(
        mangled(_bear_on_unknown),
        (f"indicator 'no-such-indicator' of set '{SET_SLUG}'", "nothing was imported"),
        reaches_database=True,
    ),
    "retracts-unknown-observation": Case(
        mangled(_retract_unknown),
        (f"retraction {{ret_uuid}} withdraws observation {FRESH}", "nothing was imported"),
        reaches_database=True,
    ),
    # The same record twice in one file: bad input, not a database failure.
    "observation-uuid-twice": Case(
        mangled(_duplicate_observation), ("{a_uuid}",), reaches_database=True
    ),
    "bearing-twice": Case(
        mangled(_duplicate_bearing), ("the bearing of observation", "appears twice")
    ),
    "evidence-twice": Case(mangled(_duplicate_evidence), ("{a_uuid}",), reaches_database=True),
    "assessment-uuid-twice": Case(
        mangled(_duplicate_assessment), ("{ass_uuid}",), reaches_database=True
    ),
    "indicator-key-twice": Case(
        mangled(_duplicate_indicator), ("indicator",), reaches_database=True
    ),
    "position-too-large": Case(mangled(_huge_position), ("position",), reaches_database=True),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_import_file_is_refused_and_nothing_is_written(
    name: str,
    rich_export: RichExport,
    cli_db: DbTarget,
    db_target: DbTarget,
    tmp_path: Path,
    forked_tracker: Runner,
) -> None:
    case = CASES[name]
    file = case.build(tmp_path, rich_export)
    new_db = db_target  # where none exists yet (on PostgreSQL, a database with no tables)
    before = database_contents(cli_db)

    into_seeded, into_new = (
        forked_tracker("--db", str(target), "import", str(file), cwd=tmp_path)
        for target in (cli_db, new_db)
    )

    for result in (into_seeded, into_new):
        line = refusal(result)
        for word in case.words:
            expected = word.format(**rich_export.places)
            assert expected in line, f"{expected!r} not in {line!r}"
    assert database_contents(cli_db) == before
    if case.reaches_database:
        # The file is read whole before the database is opened; a problem found only against
        # the database leaves a new database behind, migrated but holding no records.
        assert not created(new_db) or holds_no_records(new_db)
    else:
        assert not created(new_db), "a refused file still created the database"


@pytest.mark.parametrize(
    "name", ["missing-file", "cut-at-half", "credibility-7", "bears-on-unknown-indicator"]
)
def test_the_fork_server_answers_as_a_fresh_process_does(
    name: str,
    rich_export: RichExport,
    cli_db: DbTarget,
    tmp_path: Path,
    forked_tracker: Runner,
) -> None:
    """The harness of the cases above: the same status, stdout and stderr as `run_tracker`."""
    file = CASES[name].build(tmp_path, rich_export)
    args = ("--db", str(cli_db), "import", str(file))
    fresh = run_tracker(*args, cwd=tmp_path)
    forked = forked_tracker(*args, cwd=tmp_path)
    assert (forked.returncode, forked.stdout, forked.stderr) == (
        fresh.returncode,
        fresh.stdout,
        fresh.stderr,
    )
    assert fresh.returncode == 2


def test_the_unmangled_export_imports_and_a_second_import_changes_nothing(
    rich_export: RichExport, cli_db: DbTarget, db_target: DbTarget, tmp_path: Path
) -> None:
    """The control for the cases above: the file they mangle is a good one."""
    file = text_file(rich_export.text)(tmp_path, rich_export)
    new_db = db_target  # where none exists yet
    for result in import_into([cli_db, new_db], file, tmp_path):
        assert result.returncode == 0, result.stderr
    after = [database_contents(target) for target in (cli_db, new_db)]
    for result in import_into([cli_db, new_db], file, tmp_path):
        assert result.returncode == 0, result.stderr
        assert "nothing new added" in result.stderr
    assert [database_contents(target) for target in (cli_db, new_db)] == after


def test_conflicting_records_are_listed_and_nothing_is_imported(
    rich_export: RichExport, cli_db: DbTarget, tmp_path: Path
) -> None:
    db = cli_db.open()
    try:
        import_record(db, read_record_file(rich_export.text, "rich.json"))
    finally:
        db.close()
    places = rich_export.places

    def change(data: dict[str, Any], places: dict[str, Any]) -> None:
        data["observations"][places["a"]]["summary"] = "Delegations fail to agree in Florida."
        data["assessments"][places["ass"]]["rationale"] = "Another reason."
        # A record that is new would be added, were it not for the conflicts.
        fresh = dict(data["observations"][places["b"]], uuid=FRESH, summary="New here.")
        data["observations"].append(fresh)

    file = mangled(change)(tmp_path, rich_export)
    before = database_contents(cli_db)

    (result,) = import_into([cli_db], file, tmp_path)

    line = refusal(result)
    for expected in (
        "2 record(s) in the file differ from the same record here",
        f"observation {places['a_uuid']} differs in summary",
        f"assessment {places['ass_uuid']} differs in rationale",
        "Nothing was imported",
    ):
        assert expected in line, f"{expected!r} not in {line!r}"
    assert FRESH not in line
    assert database_contents(cli_db) == before


def test_a_second_retraction_of_a_retracted_observation_is_a_conflict(
    rich_export: RichExport, cli_db: DbTarget, tmp_path: Path
) -> None:
    db = cli_db.open()
    try:
        import_record(db, read_record_file(rich_export.text, "rich.json"))
    finally:
        db.close()
    file = mangled(_record("retractions", "ret", uuid=FRESH, reason="Another reason."))(
        tmp_path, rich_export
    )
    before = database_contents(cli_db)

    (result,) = import_into([cli_db], file, tmp_path)

    line = refusal(result)
    places = rich_export.places
    assert f"observation {places['c_uuid']} is retracted in both" in line
    assert f"{places['ret_uuid']} here, {FRESH} in the file" in line
    assert "Nothing was imported" in line
    assert database_contents(cli_db) == before


# --- property: one field mangled anywhere in a real export --------------------------------------

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
# Values a field of the format might plausibly hold, right or wrong for the field they land in.
PLAUSIBLE = st.sampled_from(
    [
        "",
        " ",
        "toward",
        "away",
        "none",
        "moved",
        "unmoved",
        "low",
        "high",
        "A",
        "F",
        "Z",
        "seed",
        SET_SLUG,
        "miami-talks",
        "kyiv-firmness",
        "no-such-indicator",
        "2025-12-20",
        "2025-13-01",
        "1970-01-01",
        "2025-12-20T10:00:00",
        "2025-12-20T10:00:00Z",
        "2025-12-20T10:00:00+05:30",
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        FRESH,
        0,
        -1,
        1,
        6,
        7,
        2**63,
        2**70,
        -(2**70),
        [],
        {},
    ]
)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for child in value.values() for leaf in _leaves(child)]
    if isinstance(value, list):
        return [leaf for child in value for leaf in _leaves(child)]
    return [value]


def _values_named(node: Any, name: object) -> list[Any]:
    """Every value held under the field `name` anywhere in `node`."""
    found: list[Any] = []
    if isinstance(node, dict):
        for key, child in node.items():
            if key == name:
                found.append(child)
            found.extend(_values_named(child, name))
    elif isinstance(node, list):
        for child in node:
            found.extend(_values_named(child, name))
    return found


def _child_keys(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return sorted(node)
    if isinstance(node, list):
        return list(range(len(node)))
    return []


class Mangled:
    def __init__(self, text: str, path: list[Any], change: str) -> None:
        self.text = text
        self.path = path
        self.change = change

    def __repr__(self) -> str:  # what hypothesis reports for a failing example
        return f"{self.path}: {self.change}"


@st.composite
def mangled_exports(draw: st.DrawFn, data: dict[str, Any]) -> Mangled:
    """The export with one node (a field, a record, a section) deleted or replaced."""
    # Walk down to a leaf, choosing a child at every level, then mangle the node at a depth
    # along that walk: each section, record and field gets a fair chance.
    walk: list[Any] = []
    node: Any = data
    while keys := _child_keys(node):
        key = draw(st.sampled_from(keys))
        walk.append(key)
        node = node[key]
    depth = draw(st.one_of(st.just(len(walk)), st.integers(1, len(walk))))
    path = walk[:depth]
    document = copy.deepcopy(data)
    parent: Any = document
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    action = draw(st.sampled_from(["delete", "other-type", "plausible", "from-the-file"]))
    if action == "delete":
        del parent[last]
        change = "deleted"
    else:
        original = parent[last]
        if action == "other-type":
            value = draw(JSON_VALUES.filter(lambda v: type(v) is not type(original)))
        elif action == "plausible":
            value = draw(PLAUSIBLE)
        else:
            # What the same field holds elsewhere in the file (another record's UUID, another
            # indicator's key), or for an item of a list, another item of it (a record twice).
            same_kind = list(parent) if isinstance(parent, list) else _values_named(data, last)
            value = copy.deepcopy(draw(st.sampled_from(same_kind or _leaves(data))))
        parent[last] = value
        change = f"set to {value!r}"
    return Mangled(json.dumps(document, indent=2) + "\n", path, change)


Contents = dict[str, list[tuple[object, ...]]]


@dataclass
class Lent:
    target: DbTarget
    before: Contents  # what it holds: what its template holds
    unchanged: bool = False  # set once the example has found it as it was


class SpareDatabases:
    """Databases for hypothesis's examples, each holding what its template holds. One an
    example left as it found it (a refused import, checked) goes to the next example; one it
    changed, or that saw a failure, is dropped. Making a database costs about a third of a
    second on PostgreSQL, and most examples are refused."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.spare: dict[tuple[str, str], tuple[DbTarget, Contents]] = {}
        self.made = itertools.count(1)

    @contextmanager
    def lend(self, key: tuple[str, str], make: Callable[[Path], DbTarget]) -> Iterator[Lent]:
        spare = self.spare.pop(key, None)
        if spare is None:
            folder = self.folder / str(next(self.made))
            folder.mkdir()
            target = make(folder)
            spare = (target, database_contents(target))
        lent = Lent(*spare)
        try:
            yield lent
        finally:
            if lent.unchanged:
                self.spare[key] = spare
            else:
                lent.target.drop()

    def drop(self) -> None:
        for target, _ in self.spare.values():
            target.drop()
        self.spare.clear()


@pytest.fixture(scope="module")
def spare_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SpareDatabases]:
    spares = SpareDatabases(tmp_path_factory.mktemp("spares"))
    yield spares
    spares.drop()


# The fixtures are the same for every example: the engine, its export and its templates.
@settings(
    max_examples=int(os.environ.get("IMPORT_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), target=st.sampled_from(["seeded", "empty"]))
def test_a_mangled_export_imports_whole_or_is_refused_with_nothing_written(
    data: st.DataObject,
    target: str,
    engine: str,
    rich_export: RichExport,
    _targets: MakeTarget,
    spare_databases: SpareDatabases,
) -> None:
    mangling = data.draw(mangled_exports(rich_export.data), label="mangled")
    text, change = mangling.text, repr(mangling)

    def make(folder: Path) -> DbTarget:
        if target == "seeded":
            return _targets(engine, folder, start="first_run")
        return _targets(engine, folder, start="schema")

    with spare_databases.lend((engine, target), make) as lent:
        copied, before = lent.target, lent.before
        db = copied.open()
        try:
            try:
                import_record(db, read_record_file(text, "mangled.json"))
            except InputError as exc:
                message = str(exc)
                assert message and "\n" not in message, (change, message)
                assert database_contents(copied) == before, change
                lent.unchanged = True
                return
            imported = database_contents(copied)
            again = import_record(db, read_record_file(text, "mangled.json"))
            assert again.added == {}, (change, again)
            assert database_contents(copied) == imported, change
        finally:
            db.close()


def test_mangling_reaches_every_section(rich_export: RichExport) -> None:
    """The generator is not stuck on one corner of the file."""
    seen: set[str] = set()

    @settings(max_examples=200, deadline=None, database=None)
    @given(mangled_exports(rich_export.data))
    def collect(mangling: Mangled) -> None:
        seen.add(mangling.path[0])

    collect()
    assert {"sets", "observations", "retractions", "assessments", "issued_briefings"} <= seen
