"""`tracker import`: a `RecordFile` merged into the database, all of it or none of it.

Records are matched by UUID. One already held and identical is skipped, so importing twice
changes nothing; one held with different content is a conflict, and a conflict stops the whole
import before anything is written. Sets, themes and indicators are matched by slug and key:
missing ones are added, and the wording of ones already held is kept (definitions change through
`tracker seed`, not through imports). Records loaded from the definition files (author "seed")
carry UUIDs derived from the set, so two desks that seeded the same set hold the same records,
loaded at different times: those differing only in when they were loaded are the same record.

What an assessment supersedes is linked once every assessment of the file is in (it may come
later in the file, or be held here already), and must be an assessment of the same indicator.
A record with no `supersedes` (made, or exported, before tracker kept it) agrees with any.

An archive brings a million observations. The file is checked whole before the database is
opened (`check_record_file`), keeping only what the import needs of all of it (which UUIDs it
holds, which it cites); its records are then gone through in order a batch at a time: the records
held here among a batch are looked up together, and new rows are written thousands at a time
(`bulk_rows`), not as one table object each. All in the one write transaction: a problem found
late still leaves nothing written. Into tables that hold nothing yet, the secondary indexes are
built once at the end, as the search index is (`bulk_rows.indexes_built_at_the_end`); so are
the bearings' month counts when many observations come (`month_counts.counted_at_the_end`).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from typing import Any

from sqlalchemy import Connection, Select, Table, bindparam, func, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from tracker.services import inputs
from tracker.services.record_export import (
    OBSERVATION_FIELDS,
    Names,
    assessment_rows,
    bearings_where,
    evidence_where,
    exported_assessment,
    exported_briefing,
    exported_observation,
    exported_retraction,
    observation_rows,
    retraction_rows,
)
from tracker.services.record_file import (
    ASSESSMENT_FIELDS,
    CheckedRecord,
    ExportedAssessment,
    ExportedBearing,
    ExportedBriefing,
    ExportedObservation,
    ExportedRetraction,
    ExportedSet,
    Progress,
    RecordFacts,
    RecordFile,
    collecting_cycles_at_the_end,
    no_progress,
    record_of,
)
from tracker.services.seeding import SEED_AUTHOR
from tracker.storage.bulk_rows import RowWriter, ids_after, indexes_built_at_the_end, last_id
from tracker.storage.database import Database
from tracker.storage.fulltext import indexed_at_the_end
from tracker.storage.models import (
    Assessment,
    AssessmentEvidence,
    Indicator,
    IndicatorSet,
    IssuedBriefing,
    Observation,
    ObservationIndicator,
    Retraction,
    Theme,
)
from tracker.storage.month_counts import counted_at_the_end

# Conflicts listed in the message; the rest are counted.
SHOWN_CONFLICTS = 5
# Rows written per statement, and values asked about per query (well under what either engine
# takes as parameters of one statement).
ROWS_PER_WRITE = 5_000
VALUES_PER_QUERY = 500


@dataclass
class ImportReport:
    added: dict[str, int] = field(default_factory=dict)
    already_held: int = 0
    definitions_kept: int = 0  # sets, themes or indicators held with other wording

    def add(self, kind: str) -> None:
        self.added[kind] = self.added.get(kind, 0) + 1


class ImportConflict(inputs.InputError):
    """The file and the database disagree about records with the same identity."""


def import_record(
    db: Database, record: RecordFile | CheckedRecord, progress: Progress = no_progress
) -> ImportReport:
    """Merge `record` (read whole, or checked by `check_record_file`) into the database."""
    checked = record if isinstance(record, CheckedRecord) else CheckedRecord.held(record)
    facts = checked.facts
    report = ImportReport()
    conflicts: list[str] = []
    with collecting_cycles_at_the_end(), db.writing() as session:
        for exported in facts.sets:
            _merge_set(session, exported, report)
        session.flush()
        names = Names.read(session)
        _check_references(facts, names)
        connection = session.connection()
        with (
            _bulk_writing(connection),
            indexes_built_at_the_end(connection, _empty(connection, _LOADED_TABLES)),
        ):
            merge = _Merge(connection, names, report, conflicts, facts)
            merge.observations(checked.rows("observations"), progress)
            merge.retractions(checked.all("retractions"))
            merge.assessments(checked.rows("assessments"), progress)
            merge.supersessions()
            merge.briefings(checked.all("issued_briefings"))
            # Before the indexes are built: a refused import need not build them.
            _refuse_conflicts(conflicts)
    return report


def _refuse_conflicts(conflicts: list[str]) -> None:
    if conflicts:
        shown = "; ".join(conflicts[:SHOWN_CONFLICTS])
        more = len(conflicts) - SHOWN_CONFLICTS
        raise ImportConflict(
            f"{len(conflicts)} record(s) in the file differ from the same record here: "
            f"{shown}{f'; and {more} more' if more > 0 else ''}. Nothing was imported"
        )


# The tables an archive brings most rows to: when they hold none yet, their secondary indexes
# are built after the rows are in.
_LOADED_TABLES = (
    Observation.__table__,
    ObservationIndicator.__table__,
    Assessment.__table__,
    AssessmentEvidence.__table__,
)


def _empty(connection: Connection, tables: Sequence[Table]) -> list[Table]:
    return [table for table in tables if _row_count(connection, table) == 0]


def _row_count(connection: Connection, table: Table) -> int:
    return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _where_in(
    connection: Connection, query: Select[Any], column: Any, values: Collection[Any]
) -> Iterator[Any]:
    """The rows of `query` whose `column` (selected under its own name) is one of `values`:
    asked a few hundred at a time, or, when the table holds fewer rows than that (a new
    database holds none), read whole."""
    if not values:
        return
    held = _row_count(connection, column.table)
    if held <= len(values):
        wanted = values if isinstance(values, set | dict) else set(values)
        key = column.key
        yield from (row for row in connection.execute(query) if getattr(row, key) in wanted)
        return
    yield from _in_chunks(connection, query, column, values)


def _in_chunks(
    connection: Connection, query: Select[Any], column: Any, values: Collection[Any]
) -> Iterator[Any]:
    """The rows of `query` whose `column` is one of `values`, asked a few hundred at a time."""
    listed = list(values)
    for start in range(0, len(listed), VALUES_PER_QUERY):
        chunk = listed[start : start + VALUES_PER_QUERY]
        yield from connection.execute(query.where(column.in_(chunk)))


def _count_held(connection: Connection, column: Any, values: set[str]) -> int:
    """How many of `values` `column` holds."""
    query = select(column)
    return sum(1 for _ in _where_in(connection, query, column, values))


@contextmanager
def _bulk_writing(connection: Connection) -> Iterator[None]:
    """SQLite keeps 2 MB of the file in memory by default: writing an archive's indexes then
    reads most pages back from the disk cache, page by page, several times over. For the
    import it keeps up to 256 MB, and goes back to what it kept before."""
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size = {-256 * 1024}")
    try:
        yield
    finally:
        # Not to hide why an import failed: the setting is only this connection's memory.
        with suppress(SQLAlchemyError):
            connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


@contextmanager
def _indexing_many(adding: int, held: int, connection: Connection) -> Iterator[None]:
    """Observations are indexed for search, and their bearings counted by month, row by row as
    they are written, unless they are many beside those held: then the index is rebuilt, and
    the bearings counted, once, at the end, which costs a fraction of doing it one by one
    (SQLite; see `indexed_at_the_end` and `counted_at_the_end`)."""
    if adding and adding * 4 >= held:
        with indexed_at_the_end(connection), counted_at_the_end(connection):
            yield
    else:
        yield


def _merge_set(session: Session, exported: ExportedSet, report: ImportReport) -> None:
    held = session.exec(select(IndicatorSet).where(IndicatorSet.slug == exported.slug)).first()
    if held is None:
        held = IndicatorSet(
            slug=exported.slug,
            title=exported.title,
            description=exported.description,
            sources=exported.sources,
            definition_file=exported.definition_file,
            loaded_at=exported.loaded_at,
            loaded_by=exported.loaded_by,
        )
        session.add(held)
        session.flush()
        report.add("sets")
    elif (held.title, held.description, held.sources) != (
        exported.title,
        exported.description,
        exported.sources,
    ):
        report.definitions_kept += 1
    themes = {t.key: t for t in session.exec(select(Theme).where(Theme.set_id == held.id)).all()}
    for theme in exported.themes:
        if theme.key not in themes:
            themes[theme.key] = Theme(
                set_id=held.id or 0, key=theme.key, title=theme.title, position=theme.position
            )
            session.add(themes[theme.key])
            report.add("themes")
        elif themes[theme.key].title != theme.title:
            report.definitions_kept += 1
    session.flush()
    indicators = {
        i.key: i for i in session.exec(select(Indicator).where(Indicator.set_id == held.id)).all()
    }
    for indicator in exported.indicators:
        if indicator.theme not in themes:
            raise inputs.InputError(
                f"indicator '{indicator.key}' of set '{exported.slug}' names a theme "
                f"'{indicator.theme}' the file does not define; nothing was imported"
            )
        values = indicator.model_dump(exclude={"key", "theme"})
        if indicator.key not in indicators:
            session.add(
                Indicator(
                    set_id=held.id or 0,
                    theme_id=themes[indicator.theme].id or 0,
                    key=indicator.key,
                    **values,
                )
            )
            report.add("indicators")
        elif any(getattr(indicators[indicator.key], k) != v for k, v in values.items()):
            report.definitions_kept += 1


def _check_references(facts: RecordFacts, names: Names) -> None:
    """Every set and indicator a record names exists, in the file or here."""
    known = names.indicator_ids
    for slug, key in chain(facts.bearing_indicators, facts.assessed_indicators):
        if (slug, key) not in known:
            raise inputs.InputError(
                f"the file refers to indicator '{key}' of set '{slug}', which neither the file "
                "nor this database defines; nothing was imported"
            )
    for slug in facts.briefing_sets:
        _set_id(names, slug)


def _set_id(names: Names, slug: str) -> int:
    set_id = names.set_ids.get(slug)
    if set_id is None:
        raise inputs.InputError(
            f"the file refers to set '{slug}', which neither the file nor this database "
            "defines; nothing was imported"
        )
    return set_id


# Where a plain row of an observation (`CheckedRecord.rows`) holds its UUID, its event date and
# its bearings; the values before its bearings are the columns `OBSERVATION_FIELDS` names.
_UUID, _EVENT_DATE, _BEARINGS = 0, 1, len(OBSERVATION_FIELDS)
# ... and of an assessment: its evidence, and the values that are columns of its table.
_EVIDENCE = list(ExportedAssessment.model_fields).index("evidence")
_ASSESSMENT_VALUES = [list(ExportedAssessment.model_fields).index(n) for n in ASSESSMENT_FIELDS]


@dataclass
class _Merge:
    """One import's merging of records into the open write transaction, and what it found."""

    connection: Connection
    names: Names
    report: ImportReport
    conflicts: list[str]
    facts: RecordFacts
    # The ids of the observations the file cites or retracts, by UUID, as they become known
    # (of an archive's million, the few that are referred to).
    observation_ids: dict[str, int] = field(default_factory=dict)
    # The assessments added, id by UUID: what each supersedes is linked in a second pass.
    added_assessments: dict[str, int] = field(default_factory=dict)
    # Each assessment of the file, for that pass: its UUID, indicator id and what it supersedes.
    assessed: list[tuple[str, int, str | None]] = field(default_factory=list)
    # The event date of each bearing of the observations written that assessments cite, by
    # (observation id, indicator id): an assessment may cite only what bore on its indicator
    # by its date.
    cited_bearings: dict[tuple[int, int], date] = field(default_factory=dict)

    def observations(self, batches: Iterable[list[tuple[Any, ...]]], progress: Progress) -> None:
        table = Observation.__table__
        total = self.facts.counts.get("observations", 0)
        held_before = _row_count(self.connection, table)
        adding = total
        if held_before and adding * 4 >= held_before:
            adding -= _count_held(self.connection, table.c.uuid, self.facts.observations)
        referred = self.facts.cited | self.facts.retracted
        writer = _ObservationWriter(
            self.connection, self.names, self.observation_ids, referred, self.facts.cited
        )
        writer.cited_bearings = self.cited_bearings
        done = 0
        with _indexing_many(adding, held_before, self.connection):
            for rows in batches:
                progress("observations", done, total)
                done += len(rows)
                held, held_bearings = (
                    self.held_observations([row[_UUID] for row in rows])
                    if held_before
                    else ({}, {})
                )
                self.observation_ids.update(
                    (uuid, row.id) for uuid, row in held.items() if uuid in referred
                )
                for row in rows:
                    held_row = held.get(row[_UUID])
                    if held_row is None:
                        writer.add(row)
                        self.report.add("observations")
                    else:
                        exported = record_of("observations", row)
                        bearings = held_bearings.get(held_row.id, [])
                        self.held_observation(held_row, bearings, exported, writer)
            writer.write()
        progress("observations", total, total)

    def held_observations(
        self, uuids: list[str]
    ) -> tuple[dict[str, Any], dict[int, list[ExportedBearing]]]:
        """The rows of the observations held here among `uuids`, by UUID, and their bearings."""
        table = Observation.__table__
        query = observation_rows().order_by(None)
        held = {row.uuid: row for row in _in_chunks(self.connection, query, table.c.uuid, uuids)}
        held_ids = [row.id for row in held.values()]
        bearings: dict[int, list[ExportedBearing]] = {}
        for start in range(0, len(held_ids), VALUES_PER_QUERY):
            chunk = held_ids[start : start + VALUES_PER_QUERY]
            condition = col(ObservationIndicator.observation_id).in_(chunk)
            bearings.update(bearings_where(self.connection, self.names, condition))
        return held, bearings

    def held_observation(
        self,
        held: Any,
        held_bearings: list[ExportedBearing],
        exported: ExportedObservation,
        writer: _ObservationWriter,
    ) -> None:
        """The same observation, compared set by set: an export of one set carries only that set's
        bearings, so a set on one side only is not a difference. Bearings the file has on a set
        the observation has none on here are added."""
        held_sets = {b.set for b in held_bearings}
        file_sets = {b.set for b in exported.bearings}
        shared = held_sets & file_sets
        held_view = exported_observation(held, [b for b in held_bearings if b.set in shared])
        # In the order the held ones are read: a file written by hand may list them in another.
        file_view = exported.model_copy(
            update={
                "bearings": sorted(
                    (b for b in exported.bearings if b.set in shared),
                    key=lambda b: (b.set, b.indicator),
                )
            }
        )
        same_record = held_view.model_dump(exclude={"recorded_at"}) == file_view.model_dump(
            exclude={"recorded_at"}
        )
        seeded = held.author == exported.author == SEED_AUTHOR
        if held_view != file_view and not (seeded and same_record):
            self.compare(held_view, file_view)
            return
        added = [b for b in exported.bearings if b.set not in held_sets]
        writer.add_bearings(
            held.id, [(b.set, b.indicator, b.bearing) for b in added], held.event_date
        )
        if added:
            self.report.add("bearings")
        self.report.already_held += 1

    def find_observations(self, uuids: set[str]) -> None:
        """Learn the ids of the observations named that are held here but not in the file."""
        unknown = uuids - self.observation_ids.keys()
        query = select(Observation.uuid, Observation.id)
        for uuid, observation_id in _where_in(self.connection, query, Observation.uuid, unknown):
            self.observation_ids[uuid] = observation_id

    def retractions(self, retractions: list[ExportedRetraction]) -> None:
        table = Retraction.__table__
        held = {
            row.uuid: row
            for row in _where_in(
                self.connection,
                retraction_rows().order_by(None),
                table.c.uuid,
                [r.uuid for r in retractions],
            )
        }
        self.find_observations({r.observation for r in retractions})
        withdrawn = {
            self.observation_ids[r.observation]
            for r in retractions
            if r.observation in self.observation_ids
        }
        earlier = dict(
            _where_in(
                self.connection,
                select(table.c.observation_id, table.c.uuid),
                table.c.observation_id,
                withdrawn,
            )
        )
        rows = []
        for retraction in retractions:
            row = held.get(retraction.uuid)
            if row is not None:
                self.compare(exported_retraction(row), retraction)
                continue
            observation_id = self.observation_ids.get(retraction.observation)
            if observation_id is None:
                raise inputs.InputError(
                    f"retraction {retraction.uuid} withdraws observation "
                    f"{retraction.observation}, which neither the file nor this database holds; "
                    "nothing was imported"
                )
            if observation_id in earlier:
                self.conflicts.append(
                    f"observation {retraction.observation} is retracted in both, by different "
                    f"retractions ({earlier[observation_id]} here, {retraction.uuid} in the file)"
                )
                continue
            rows.append(
                [
                    observation_id,
                    retraction.uuid,
                    retraction.reason,
                    retraction.author,
                    retraction.recorded_at,
                ]
            )
            self.report.add("retractions")
        columns = ("observation_id", "uuid", "reason", "author", "recorded_at")
        _write(self.connection, table, columns, rows)

    def assessments(self, batches: Iterable[list[tuple[Any, ...]]], progress: Progress) -> None:
        total = self.facts.counts.get("assessments", 0)
        held_before = _row_count(self.connection, Assessment.__table__)
        writer = _AssessmentWriter(self.connection, self.observation_ids, self.added_assessments)
        done = 0
        for rows in batches:
            progress("assessments", done, total)
            done += len(rows)
            held, held_evidence = (
                self.held_assessments([row[_UUID] for row in rows]) if held_before else ({}, {})
            )
            self.find_observations({uuid for row in rows for uuid in row[_EVIDENCE]})
            dates = self.bearing_dates([row for row in rows if row[_UUID] not in held])
            for row in rows:
                exported: ExportedAssessment = record_of("assessments", row)
                indicator_id = self.names.indicator_ids[(exported.set, exported.indicator)]
                self.assessed.append((exported.uuid, indicator_id, exported.supersedes))
                held_row = held.get(exported.uuid)
                if held_row is not None:
                    self.held_assessment(held_row, held_evidence.get(held_row.id, []), exported)
                    continue
                self.check_evidence(exported, indicator_id, dates)
                writer.add(row, indicator_id)
                self.report.add("assessments")
        writer.write()
        progress("assessments", total, total)

    def held_assessments(self, uuids: list[str]) -> tuple[dict[str, Any], dict[int, list[str]]]:
        """The rows of the assessments held here among `uuids`, by UUID, and the UUIDs of the
        observations each cites."""
        table = Assessment.__table__
        query = assessment_rows().order_by(None)
        held = {row.uuid: row for row in _in_chunks(self.connection, query, table.c.uuid, uuids)}
        held_ids = [row.id for row in held.values()]
        evidence: dict[int, list[str]] = {}
        for start in range(0, len(held_ids), VALUES_PER_QUERY):
            condition = col(Assessment.id).in_(held_ids[start : start + VALUES_PER_QUERY])
            evidence.update(evidence_where(self.connection, condition))
        return held, evidence

    def bearing_dates(self, rows: list[tuple[Any, ...]]) -> dict[tuple[int, int], date]:
        """The event date of each bearing of the observations these assessments (plain rows)
        cite, by (observation id, indicator id): kept as those this import wrote were written,
        and read for the others."""
        others = {
            self.observation_ids[uuid]
            for row in rows
            for uuid in row[_EVIDENCE]
            if uuid in self.observation_ids
        } - self.written_cited
        query = select(
            ObservationIndicator.observation_id,
            ObservationIndicator.indicator_id,
            ObservationIndicator.event_date,
        )
        dates = self.cited_bearings
        if others:
            dates = dict(dates)
            for observation_id, indicator_id, event_date in _in_chunks(
                self.connection, query, ObservationIndicator.observation_id, others
            ):
                dates[(observation_id, indicator_id)] = event_date
        return dates

    @functools.cached_property
    def written_cited(self) -> set[int]:
        """The ids of the observations this import wrote that assessments cite (known once
        the observations are in)."""
        return {observation_id for observation_id, _ in self.cited_bearings}

    def check_evidence(
        self,
        exported: ExportedAssessment,
        indicator_id: int,
        dates: dict[tuple[int, int], date],
    ) -> None:
        """The rules the app keeps when an analyst cites evidence hold for imported ones."""
        missing = [uuid for uuid in exported.evidence if uuid not in self.observation_ids]
        if missing:
            raise inputs.InputError(
                f"assessment {exported.uuid} cites observation {missing[0]}, which neither "
                "the file nor this database holds; nothing was imported"
            )
        for uuid in exported.evidence:
            event_date = dates.get((self.observation_ids[uuid], indicator_id))
            if event_date is None or event_date > exported.effective_on:
                problem = (
                    "does not bear on its indicator" if event_date is None else "is dated after it"
                )
                raise inputs.InputError(
                    f"assessment {exported.uuid} cites observation {uuid}, which {problem}; "
                    "nothing was imported"
                )

    def held_assessment(self, held: Any, evidence: list[str], exported: ExportedAssessment) -> None:
        held_view = exported_assessment(held, self.names, evidence)
        if held_view.supersedes is None or exported.supersedes is None:
            # One side was recorded, or exported, before tracker kept what an assessment
            # supersedes: not knowing is no disagreement. The record held stays as it is.
            held_view = held_view.model_copy(update={"supersedes": exported.supersedes})
        self.compare(held_view, exported)

    def supersessions(self) -> None:
        """Link each added assessment to the one it supersedes, now that all of the file's are
        written. Every `supersedes` in the file is checked, those of records already held too:
        a file that names an assessment nobody has, or another indicator's, is refused."""
        found = {
            uuid: (self.added_assessments[uuid], indicator_id)
            for uuid, indicator_id, _ in self.assessed
            if uuid in self.added_assessments
        }
        named = {s for _, _, s in self.assessed if s is not None} - found.keys()
        query = select(Assessment.uuid, Assessment.id, Assessment.indicator_id)
        found.update(
            (uuid, (assessment_id, indicator_id))
            for uuid, assessment_id, indicator_id in _where_in(
                self.connection, query, Assessment.uuid, named
            )
        )
        links = []
        for uuid, indicator_id, supersedes in self.assessed:
            if supersedes is None:
                continue
            if supersedes not in found:
                raise inputs.InputError(
                    f"assessment {uuid} supersedes assessment {supersedes}, "
                    "which neither the file nor this database holds; nothing was imported"
                )
            superseded_id, superseded_indicator = found[supersedes]
            if superseded_indicator != indicator_id:
                slug, key = self.names.indicators[superseded_indicator]
                _, assessed_key = self.names.indicators[indicator_id]
                raise inputs.InputError(
                    f"assessment {uuid} of indicator '{assessed_key}' supersedes "
                    f"assessment {supersedes}, which assesses another indicator "
                    f"('{key}' of set '{slug}'); nothing was imported"
                )
            added = self.added_assessments.get(uuid)
            if added is not None:
                links.append({"linked": added, "superseded": superseded_id})
        if links:
            table = Assessment.__table__
            self.connection.execute(
                update(table)
                .where(table.c.id == bindparam("linked"))
                .values(supersedes_id=bindparam("superseded")),
                links,
            )

    def briefings(self, briefings: list[ExportedBriefing]) -> None:
        table = IssuedBriefing.__table__
        held = {
            row.uuid: row
            for row in _where_in(
                self.connection, select(table), table.c.uuid, [b.uuid for b in briefings]
            )
        }
        rows = []
        for briefing in briefings:
            row = held.get(briefing.uuid)
            if row is not None:
                self.compare(exported_briefing(row, self.names), briefing)
                continue
            rows.append(
                [
                    _set_id(self.names, briefing.set),
                    briefing.uuid,
                    briefing.period_start,
                    briefing.period_end,
                    briefing.author,
                    briefing.issued_at,
                ]
            )
            self.report.add("issued briefings")
        columns = ("set_id", "uuid", "period_start", "period_end", "author", "issued_at")
        _write(self.connection, table, columns, rows)

    def compare(self, held: object, exported: object) -> None:
        """The same record, or a conflict; records both loaded from the definitions count as the
        same whenever they were loaded."""
        if held == exported:
            self.report.already_held += 1
            return
        seeded = getattr(exported, "author", None) == getattr(held, "author", None) == SEED_AUTHOR
        if seeded and held.model_dump(exclude={"recorded_at"}) == exported.model_dump(  # type: ignore[attr-defined]
            exclude={"recorded_at"}
        ):
            self.report.already_held += 1
            return
        kind = type(exported).__name__.removeprefix("Exported").lower()
        different = [
            name
            for name in type(exported).model_fields  # type: ignore[attr-defined]
            if getattr(held, name) != getattr(exported, name)
        ]
        self.conflicts.append(
            f"{kind} {getattr(exported, 'uuid', '')} differs in {', '.join(different)}"
        )


def _write(
    connection: Connection, table: Table, columns: Sequence[str], rows: list[list[Any]]
) -> None:
    writer = RowWriter(connection, table, columns)
    for start in range(0, len(rows), ROWS_PER_WRITE):
        writer.write(rows[start : start + ROWS_PER_WRITE])


def _write_with_ids(
    writer: RowWriter, table: Table, rows: list[list[Any]], uuids: list[str]
) -> dict[str, int]:
    """Write rows that each carry a UUID, and learn the id each was given: those above the
    highest id before. Should an id have been handed out below it (never by tracker), that row
    is looked up by its UUID."""
    before = last_id(writer.connection, table)
    writer.write(rows)
    written = ids_after(writer.connection, table, before)
    missing = [uuid for uuid in uuids if uuid not in written]
    if missing:
        query = select(table.c.uuid, table.c.id)
        written.update(_where_in(writer.connection, query, table.c.uuid, missing))
    return written


_BEARING_COLUMNS = ("observation_id", "indicator_id", "bearing", "event_date")


@dataclass
class _ObservationWriter:
    """New observations (plain rows) and bearings, written a batch at a time; the ids of
    those written that the file refers to are added to `ids`."""

    connection: Connection
    names: Names
    ids: dict[str, int]
    referred: set[str]
    # The UUIDs of the observations assessments cite, and where to keep their bearings' dates.
    cited: set[str]
    cited_bearings: dict[tuple[int, int], date] = field(default_factory=dict)
    waiting: list[tuple[Any, ...]] = field(default_factory=list)
    bearings: list[list[Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.observation_rows = RowWriter(
            self.connection, Observation.__table__, OBSERVATION_FIELDS
        )
        self.bearing_rows = RowWriter(
            self.connection, ObservationIndicator.__table__, _BEARING_COLUMNS
        )

    def add(self, row: tuple[Any, ...]) -> None:
        self.waiting.append(row)
        if len(self.waiting) >= ROWS_PER_WRITE:
            self.write()

    def add_bearings(
        self, observation_id: int, bearings: Iterable[tuple[str, str, str]], event_date: date
    ) -> None:
        indicator_ids = self.names.indicator_ids
        self.bearings.extend(
            [observation_id, indicator_ids[(slug, key)], bearing, event_date]
            for slug, key, bearing in bearings
        )

    def write(self) -> None:
        if self.waiting:
            rows = [list(row[:_BEARINGS]) for row in self.waiting]
            uuids = [row[_UUID] for row in self.waiting]
            written = _write_with_ids(self.observation_rows, Observation.__table__, rows, uuids)
            indicator_ids = self.names.indicator_ids
            for row in self.waiting:
                uuid, event_date = row[_UUID], row[_EVENT_DATE]
                observation_id = written[uuid]
                self.add_bearings(observation_id, row[_BEARINGS], event_date)
                if uuid in self.referred:
                    self.ids[uuid] = observation_id
                if uuid in self.cited:
                    for slug, key, _ in row[_BEARINGS]:
                        self.cited_bearings[(observation_id, indicator_ids[(slug, key)])] = (
                            event_date
                        )
            self.waiting.clear()
        self.bearing_rows.write(self.bearings)
        self.bearings.clear()


_ASSESSMENT_COLUMNS = ("indicator_id", *ASSESSMENT_FIELDS)


@dataclass
class _AssessmentWriter:
    """New assessments (plain rows) and the evidence they cite, written a batch at a time; the
    ids of the assessments written are added to `ids`. What each supersedes is linked
    afterwards."""

    connection: Connection
    observation_ids: dict[str, int]
    ids: dict[str, int]
    waiting: list[tuple[tuple[Any, ...], int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.assessment_rows = RowWriter(self.connection, Assessment.__table__, _ASSESSMENT_COLUMNS)
        self.evidence_rows = RowWriter(
            self.connection, AssessmentEvidence.__table__, ("assessment_id", "observation_id")
        )

    def add(self, row: tuple[Any, ...], indicator_id: int) -> None:
        self.waiting.append((row, indicator_id))
        if len(self.waiting) >= ROWS_PER_WRITE:
            self.write()

    def write(self) -> None:
        if not self.waiting:
            return
        rows = [
            [indicator_id, *(row[i] for i in _ASSESSMENT_VALUES)]
            for row, indicator_id in self.waiting
        ]
        uuids = [row[_UUID] for row, _ in self.waiting]
        written = _write_with_ids(self.assessment_rows, Assessment.__table__, rows, uuids)
        self.ids.update(written)
        evidence = [
            [written[row[_UUID]], self.observation_ids[uuid]]
            for row, _ in self.waiting
            for uuid in row[_EVIDENCE]
        ]
        for start in range(0, len(evidence), ROWS_PER_WRITE):
            self.evidence_rows.write(evidence[start : start + ROWS_PER_WRITE])
        self.waiting.clear()
