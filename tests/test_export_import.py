"""Export and import: a round trip gives identical bytes, importing twice changes nothing, a
merge keeps both desks' records, and a conflict writes nothing."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from tests.conftest import (
    BUNDLED_SET,
    SET_SLUG,
    Cli,
    DbTarget,
    database_contents,
    run_tracker,
    tracker_env,
)
from tracker.services.assessments import AssessmentDraft, assess_indicator
from tracker.services.briefing_periods import briefing_scope, issue_briefing
from tracker.services.clock import FixedClock
from tracker.services.inputs import InputError
from tracker.services.observations import ObservationDraft, record_observation
from tracker.services.record_export import export_record
from tracker.services.record_file import RecordFile, read_record_file
from tracker.services.record_import import ImportConflict, import_record
from tracker.services.retractions import retract_observation
from tracker.services.seeding import load_definitions, read_definitions, seed_if_empty, seeded_uuid
from tracker.services.status import status_as_of
from tracker.storage.database import Database, open_database
from tracker.storage.models import Indicator, IndicatorSet, Observation, ObservationIndicator

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "*bold* _it_ [link](http://x) # heading | pipe `code`",
    "وقف إطلاق النار",
    "🕊️🇺🇦 \"quoted\" 'single'",
    "line one\nline two\n\n- a list item",
]


def fill(db: Database, seed: int, start: datetime) -> None:
    """Observations with varied text, bearings and grades; assessments citing them; a
    retraction; an issued briefing. Reproducible from `seed`."""
    rng = random.Random(seed)
    keys = [s.key for s in status_as_of(db, FixedClock(start)).indicators]
    recorded: list[tuple[str, str]] = []
    for n in range(40):
        clock = FixedClock(start + timedelta(hours=7 * n, microseconds=rng.randrange(10**6)))
        chosen = rng.sample(keys, rng.randint(1, 3))
        text = rng.choice(HOSTILE) + f" #{n} " + "word " * rng.randint(0, 60)
        observation = record_observation(
            db,
            ObservationDraft(
                bearings=[(key, rng.choice(["toward", "away", "none"])) for key in chosen],
                summary=text,
                event_date=(clock.today() - timedelta(days=rng.randint(0, 20))).isoformat(),
                quote=rng.choice([None, *HOSTILE]),
                note=rng.choice([None, "A caveat"]),
                source_title=rng.choice([None, "Wire story"]),
                source_publisher=rng.choice([None, "Example Wire"]),
                source_url=rng.choice([None, "https://example.org/a?b=1&c=<2>"]),
                reliability=rng.choice([None, "A", "C", "F"]),
                credibility=rng.choice([None, "1", "4"]),
                author=rng.choice(["ana", "ben", "Zoë 🕊️"]),
            ),
            clock,
        )
        recorded.append((observation.id, chosen[0]))
        if n % 5 == 4:
            direction = rng.choice(["toward", "away"])
            assess_indicator(
                db,
                AssessmentDraft(
                    indicator_key=chosen[0],
                    status="moved",
                    direction=direction,
                    rationale=rng.choice(HOSTILE),
                    evidence=[observation.id],
                    author="ana",
                    effective_on=observation.event_date.isoformat(),
                ),
                clock,
            )
    last = FixedClock(start + timedelta(days=13))
    retract_observation(db, recorded[3][0], "The outlet withdrew it", last, "ben")
    issue_briefing(db, briefing_scope(db, last), last.now(), "lead")


@pytest.fixture
def filled_db(seeded_db: Database) -> Database:
    fill(seeded_db, seed=1, start=datetime(2025, 12, 22, 10, tzinfo=UTC))
    return seeded_db


def empty_database(path: Path) -> Database:
    return open_database(str(path))


def test_a_round_trip_into_a_new_database_gives_identical_bytes(
    filled_db: Database, tmp_path: Path
) -> None:
    exported = export_record(filled_db).to_json()
    copy = empty_database(tmp_path / "copy.sqlite3")
    try:
        report = import_record(copy, read_record_file(exported, "export.json"))
        assert report.added["observations"] == 60  # 20 seeded and 40 made here
        assert export_record(copy).to_json() == exported
    finally:
        copy.close()


def test_importing_twice_changes_nothing(filled_db: Database, tmp_path: Path) -> None:
    record = export_record(filled_db)
    path = tmp_path / "copy.sqlite3"
    copy = empty_database(path)
    try:
        import_record(copy, record)
        after_first = database_contents(path)
        report = import_record(copy, record)
        assert report.added == {}
        assert report.already_held == (
            len(record.observations)
            + len(record.assessments)
            + len(record.retractions)
            + len(record.issued_briefings)
        )
        assert database_contents(path) == after_first
    finally:
        copy.close()


def test_a_merge_keeps_both_desks_records_and_seeded_ones_once(
    filled_db: Database, tmp_path: Path
) -> None:
    # A second desk seeded the same set a day later and recorded its own work.
    path = tmp_path / "team.sqlite3"
    team = empty_database(path)
    try:
        seed_if_empty(team, FixedClock(datetime(2025, 12, 23, 8, tzinfo=UTC)))
        fill(team, seed=2, start=datetime(2025, 12, 24, 10, tzinfo=UTC))
        ours, theirs = export_record(filled_db), export_record(team)

        report = import_record(team, ours)
        assert report.added["observations"] == 40  # the seeded 20 are the same records
        merged = export_record(team)
        uuids = {o.uuid for o in merged.observations}
        assert uuids == {o.uuid for o in ours.observations} | {o.uuid for o in theirs.observations}
        assert len(merged.observations) == 20 + 40 + 40
        assert {a.uuid for a in merged.assessments} >= {a.uuid for a in ours.assessments}
        assert len(merged.issued_briefings) == 2
    finally:
        team.close()


def test_a_conflicting_record_is_reported_and_nothing_is_written(
    filled_db: Database, tmp_path: Path
) -> None:
    record = export_record(filled_db)
    path = tmp_path / "copy.sqlite3"
    copy = empty_database(path)
    try:
        import_record(copy, record)
        before = database_contents(path)
        document = json.loads(record.to_json())
        changed = document["observations"][25]
        changed["summary"] = "Edited somewhere else"
        # New records in the same file must not be written either.
        extra = dict(document["observations"][26], uuid="00000000-0000-4000-8000-000000000001")
        document["observations"].append(extra)
        mangled = read_record_file(json.dumps(document), "edited.json")
        with pytest.raises(ImportConflict) as refused:
            import_record(copy, mangled)
        message = str(refused.value)
        assert f"observation {changed['uuid']} differs in summary" in message
        assert message.endswith("Nothing was imported")
        assert database_contents(path) == before
    finally:
        copy.close()


def test_export_of_one_set_holds_only_that_set(filled_db: Database) -> None:
    everything = export_record(filled_db)
    (only,) = export_record(filled_db, "russia-ukraine-2025-12").sets
    assert only.slug == "russia-ukraine-2025-12"
    assert isinstance(everything, RecordFile) and len(everything.sets) == 1


def test_the_command_line_exports_and_imports_into_a_new_database_without_seeding_it(
    cli: Cli, tmp_path: Path
) -> None:
    observed = cli("observe", "miami-talks", "--text", "<b>Seen</b> in Miami", "--source", "Wire")
    assert observed.returncode == 0, observed.stderr
    exported = cli("export", "-o", str(tmp_path / "desk.json"))
    assert exported.returncode == 0, exported.stderr
    assert "Exported 1 set(s), 21 observation(s)" in exported.stderr

    target = tmp_path / "new.sqlite3"
    imported = run_tracker(
        "--db", str(target), "import", str(tmp_path / "desk.json"),
        cwd=tmp_path, env=tracker_env(tmp_path),
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    assert "New database" not in imported.stderr  # not seeded before the import
    assert "21 observations" in imported.stderr
    again = run_tracker("--db", str(target), "export", cwd=tmp_path, env=tracker_env(tmp_path))
    assert again.returncode == 0, again.stderr
    assert again.stdout == (tmp_path / "desk.json").read_text(encoding="utf-8")


def test_export_schema_describes_the_file(tmp_path: Path) -> None:
    result = run_tracker("export", "--schema", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema["properties"]["tracker_export"]["enum"] == [1, 2]
    assert set(schema["required"]) == {
        "tracker_export",
        "sets",
        "observations",
        "retractions",
        "assessments",
        "issued_briefings",
    }


def test_a_seeded_database_takes_its_own_export_back_through_the_command_line(
    cli_db: DbTarget, tmp_path: Path
) -> None:
    first = tmp_path / "first.json"
    result = run_tracker("--db", str(cli_db), "export", "-o", str(first), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    before = database_contents(cli_db)
    # Importing a database's own export into it (as into a copy of it) adds nothing.
    result = run_tracker("--db", str(cli_db), "import", str(first), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "nothing new added" in result.stderr
    assert database_contents(cli_db) == before
    assert date.fromisoformat(json.loads(first.read_text())["observations"][0]["event_date"])


def test_csv_export_has_a_row_per_observation_and_defuses_formulas(cli: Cli) -> None:
    formula = '=HYPERLINK("http://evil.example","click")'
    observed = cli("observe", "miami-talks", "--text", formula, "--source", "@wire")
    assert observed.returncode == 0, observed.stderr
    result = cli("export", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][:4] == ["id", "event_date", "recorded_at", "summary"]
    assert len(rows) == 1 + 21
    (ours,) = [row for row in rows if observed.stdout.strip() == row[0]]
    assert ours[3] == "'" + formula
    assert ours[6] == "'@wire"
    assert ours[14] == "russia-ukraine-2025-12/miami-talks:none"


def test_export_and_import_show_progress_on_a_terminal(cli_db: DbTarget, tmp_path: Path) -> None:
    def on_a_terminal(*args: str) -> str:
        """Run tracker with its standard error on a pseudo-terminal; what it drew there."""
        leader, follower = os.openpty()
        try:
            result = subprocess.run(
                [sys.executable, "-m", "tracker", *args],
                cwd=tmp_path,
                env=tracker_env(tmp_path),
                stdout=subprocess.DEVNULL,
                stderr=follower,
                timeout=120,
            )
            os.close(follower)
            drawn = b""
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                drawn += chunk
        finally:
            os.close(leader)
        assert result.returncode == 0, drawn
        return drawn.decode("utf-8", "replace")

    exported = tmp_path / "desk.json"
    assert "Observations" in on_a_terminal("--db", str(cli_db), "export", "-o", str(exported))
    drawn = on_a_terminal("--db", str(tmp_path / "new.sqlite3"), "import", str(exported))
    assert "Observations" in drawn and "Assessments" in drawn and "━" in drawn


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"indicator": "enforcement"}, "does not bear on its indicator"),
        ({"effective_on": "2024-01-01"}, "is dated after it"),
    ],
)
def test_an_imported_assessment_keeps_the_rules_for_evidence(
    filled_db: Database, tmp_path: Path, change: dict[str, str], problem: str
) -> None:
    document = json.loads(export_record(filled_db).to_json())
    cited = next(a for a in document["assessments"] if a["evidence"])
    cited.update(change)
    path = tmp_path / "copy.sqlite3"
    copy = empty_database(path)
    try:
        before = database_contents(path)
        with pytest.raises(InputError) as refused:
            import_record(copy, read_record_file(json.dumps(document), "edited.json"))
        assert f"cites observation {cited['evidence'][0]}, which {problem}" in str(refused.value)
        assert database_contents(path) == before
    finally:
        copy.close()


def test_exports_of_two_sets_merge_into_one_observation_with_both_bearings(
    seeded_db: Database, tmp_path: Path
) -> None:
    text = BUNDLED_SET.read_text(encoding="utf-8")
    other = tmp_path / "other.toml"
    other.write_text(text.replace(f'slug = "{SET_SLUG}"', 'slug = "other-talks"', 1))
    clock = FixedClock(datetime(2025, 12, 22, 10, tzinfo=UTC))
    load_definitions(seeded_db, read_definitions([other]), clock)
    both = record_observation(
        seeded_db,
        ObservationDraft(
            bearings=[("territory", "away"), ("miami-talks", "toward")],
            summary="Bears on both sets",
            source_publisher="Wire",
            author="ana",
            set_slug=SET_SLUG,
        ),
        clock,
    )
    record_observation(
        seeded_db,
        ObservationDraft(
            bearings=[("miami-talks", "away")],
            summary="On the other set",
            source_publisher="Wire",
            author="ana",
            set_slug="other-talks",
        ),
        clock,
    )
    # Link the first observation to the other set too, as an analyst would on a shared desk.
    with seeded_db.writing() as session:
        other_set = session.exec(
            select(IndicatorSet).where(IndicatorSet.slug == "other-talks")
        ).one()
        indicator = session.exec(
            select(Indicator).where(Indicator.set_id == other_set.id, Indicator.key == "territory")
        ).one()
        observation = session.exec(select(Observation).where(Observation.uuid == both.id)).one()
        session.add(
            ObservationIndicator(
                observation_id=observation.id or 0,
                indicator_id=indicator.id or 0,
                bearing="none",
                event_date=observation.event_date,
            )
        )
    first, second = export_record(seeded_db, SET_SLUG), export_record(seeded_db, "other-talks")
    whole = export_record(seeded_db).to_json()

    path = tmp_path / "merged.sqlite3"
    merged = empty_database(path)
    try:
        import_record(merged, first)
        report = import_record(merged, second)
        assert report.added.get("bearings") == 1
        assert export_record(merged).to_json() == whole
        again = import_record(merged, read_record_file(whole, "whole.json"))
        assert again.added == {}
    finally:
        merged.close()


def test_a_control_character_in_an_imported_field_is_named_where_it_is(
    filled_db: Database, tmp_path: Path
) -> None:
    document = json.loads(export_record(filled_db).to_json())
    document["observations"][7]["note"] = "ring \x07 the bell"
    with pytest.raises(InputError) as refused:
        read_record_file(json.dumps(document), "bell.json")
    assert "observations[7].note: contains an invisible control character (U+0007" in str(
        refused.value
    )


# --- what an assessment supersedes, who loaded a set (export format version 2) ----------------


@dataclass(frozen=True)
class Marks:
    """Assessments made through the service, which records what each supersedes."""

    first: str  # miami-talks, effective 20 December: supersedes the seeded baseline
    second: str  # miami-talks, effective 21 December: supersedes `first`
    backdated: str  # miami-talks, effective 10 December: supersedes `second`, the latest
    territory: str  # another indicator's


def mark(db: Database, key: str, effective_on: str, clock: FixedClock) -> str:
    return assess_indicator(
        db,
        AssessmentDraft(
            indicator_key=key,
            status="unmoved",
            rationale=f"Nothing yet, as of {effective_on}",
            author="ana",
            effective_on=effective_on,
        ),
        clock,
    ).id


def make_marks(db: Database, clock: FixedClock) -> Marks:
    return Marks(
        first=mark(db, "miami-talks", "2025-12-20", clock),
        second=mark(db, "miami-talks", "2025-12-21", clock),
        backdated=mark(db, "miami-talks", "2025-12-10", clock),
        territory=mark(db, "territory", "2025-12-21", clock),
    )


def test_what_each_assessment_supersedes_survives_a_round_trip(
    db: Database, tmp_path: Path, clock: FixedClock
) -> None:
    source = empty_database(tmp_path / "source.sqlite3")
    try:
        seed_if_empty(source, clock)
        marks = make_marks(source, clock)
        exported = export_record(source).to_json()
    finally:
        source.close()
    document = json.loads(exported)
    supersedes = {a["uuid"]: a["supersedes"] for a in document["assessments"]}
    assert supersedes[marks.first] == seeded_uuid(SET_SLUG, "baseline", "miami-talks")
    assert supersedes[marks.second] == marks.first
    assert supersedes[marks.backdated] == marks.second
    assert supersedes[seeded_uuid(SET_SLUG, "baseline", "territory")] is None
    # The backdated one comes first in the file, before the one it supersedes is imported.
    order = list(supersedes)
    assert order.index(marks.backdated) < order.index(marks.second)

    import_record(db, read_record_file(exported, "desk.json"))
    assert export_record(db).to_json() == exported


def test_a_version_1_file_still_imports_and_agrees_with_what_is_held(
    seeded_db: Database, db_target: DbTarget, tmp_path: Path, clock: FixedClock
) -> None:
    make_marks(seeded_db, clock)
    current = export_record(seeded_db).to_json()
    document = json.loads(current)
    # As tracker wrote it before version 2.
    document["tracker_export"] = 1
    for exported_set in document["sets"]:
        del exported_set["loaded_by"]
    for assessment in document["assessments"]:
        del assessment["supersedes"]
    old = read_record_file(json.dumps(document), "old.json")
    assert [s.loaded_by for s in old.sets] == [None]
    assert {a.supersedes for a in old.assessments} == {None}

    copy = empty_database(tmp_path / "copy.sqlite3")
    try:
        import_record(copy, old)
        copied = export_record(copy)
        assert copied.tracker_export == 2
        assert [s.loaded_by for s in copied.sets] == [None]
        assert {a.supersedes for a in copied.assessments} == {None}
        # A newer export of the same records: knowing what they supersede is no conflict.
        report = import_record(copy, read_record_file(current, "new.json"))
        assert report.added == {}
        assert report.already_held == len(copied.observations) + len(copied.assessments)
    finally:
        copy.close()

    # And the other way: held records that know, an old file that does not.
    before = database_contents(db_target)
    report = import_record(seeded_db, old)
    assert report.added == {}
    assert database_contents(db_target) == before


def test_each_version_has_exactly_its_own_fields(seeded_db: Database, clock: FixedClock) -> None:
    make_marks(seeded_db, clock)
    current = export_record(seeded_db).to_json()

    def refused(document: dict[str, Any]) -> str:
        with pytest.raises(InputError) as refusal:
            read_record_file(json.dumps(document), "edited.json")
        return str(refusal.value)

    version_1_with_new_fields = dict(json.loads(current), tracker_export=1)
    assert "assessments[0]: supersedes is not part of version 1 of the export format" in refused(
        version_1_with_new_fields
    )
    version_2_without = json.loads(current)
    del version_2_without["sets"][0]["loaded_by"]
    assert "sets[0]: loaded_by is required (null when not known)" in refused(version_2_without)
    itself = json.loads(current)
    itself["assessments"][-1]["supersedes"] = itself["assessments"][-1]["uuid"]
    assert "an assessment cannot supersede itself" in refused(itself)


NOBODYS = "00000000-0000-4000-8000-0000000000ff"


@pytest.mark.parametrize(
    ("superseded", "problem"),
    [
        ("nobody's", f"supersedes assessment {NOBODYS}, which neither the file nor this "),
        ("territory", "which assesses another indicator ('territory' of set "),
    ],
)
def test_an_assessment_superseding_one_it_cannot_is_refused_and_nothing_is_written(
    seeded_db: Database, db_target: DbTarget, clock: FixedClock, superseded: str, problem: str
) -> None:
    marks = make_marks(seeded_db, clock)
    document = json.loads(export_record(seeded_db).to_json())
    (changed,) = [a for a in document["assessments"] if a["uuid"] == marks.second]
    # A record new here, so that it would be written were it not refused.
    changed["uuid"] = "00000000-0000-4000-8000-000000000002"
    changed["supersedes"] = NOBODYS if superseded == "nobody's" else marks.territory
    before = database_contents(db_target)
    with pytest.raises(InputError) as refusal:
        import_record(seeded_db, read_record_file(json.dumps(document), "edited.json"))
    message = str(refusal.value)
    assert message.startswith(f"assessment {changed['uuid']} ")
    assert problem in message
    assert message.endswith("nothing was imported") and "\n" not in message
    assert database_contents(db_target) == before


def test_a_held_assessment_superseding_another_one_is_a_conflict(
    seeded_db: Database, db_target: DbTarget, clock: FixedClock
) -> None:
    marks = make_marks(seeded_db, clock)
    document = json.loads(export_record(seeded_db).to_json())
    (changed,) = [a for a in document["assessments"] if a["uuid"] == marks.second]
    changed["supersedes"] = seeded_uuid(SET_SLUG, "baseline", "miami-talks")
    before = database_contents(db_target)
    with pytest.raises(ImportConflict) as refusal:
        import_record(seeded_db, read_record_file(json.dumps(document), "edited.json"))
    assert f"assessment {marks.second} differs in supersedes" in str(refusal.value)
    assert database_contents(db_target) == before


def test_who_loaded_a_set_is_exported(
    db: Database, tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_AUTHOR", "Olena")
    seed_if_empty(db, clock)
    assert [s.loaded_by for s in export_record(db).sets] == ["Olena"]
    # Loading the same file again changes nothing, so it leaves who loaded it as it was.
    load_definitions(db, read_definitions([BUNDLED_SET]), clock, author="Taras")
    assert [s.loaded_by for s in export_record(db).sets] == ["Olena"]
    # An edited one is loaded by whoever loads it, and the copy keeps who that was.
    edited = tmp_path / BUNDLED_SET.name
    title = 'title = "Russia–Ukraine peace talks, December 2025"'
    edited.write_text(
        BUNDLED_SET.read_text(encoding="utf-8").replace(title, 'title = "Talks"', 1),
        encoding="utf-8",
    )
    load_definitions(db, read_definitions([edited]), clock, author="Taras")
    exported = export_record(db)
    assert [s.loaded_by for s in exported.sets] == ["Taras"]
    copy = empty_database(tmp_path / "copy.sqlite3")
    try:
        import_record(copy, read_record_file(exported.to_json(), "desk.json"))
        assert [s.loaded_by for s in export_record(copy).sets] == ["Taras"]
    finally:
        copy.close()
