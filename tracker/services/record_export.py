"""`tracker export`: the whole record, or one set's part of it, as a `RecordFile`.

The records are built without validation (`built`, a quicker `model_construct`): they come from
the database, whose constraints already hold, and an export must never fail on what the desk
recorded. The large tables are read as plain rows, a batch at a time, each joined to the UUIDs
it refers to: an archive holds a million observations.

Each record is turned into its exported form by one function here, from a row or a table
object alike; the importer uses the same functions to tell whether a record it already holds is
the one in the file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Select, and_, exists, func, true
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from tracker.services.lookup import find_set
from tracker.services.record_file import (
    ASSESSMENT_FIELDS,
    RECORD_FILE_VERSION,
    ExportedAssessment,
    ExportedBearing,
    ExportedBriefing,
    ExportedIndicator,
    ExportedObservation,
    ExportedRetraction,
    ExportedSet,
    ExportedTheme,
    Progress,
    RecordFile,
    built,
    collecting_cycles_at_the_end,
    no_progress,
    record_json_pieces,
)
from tracker.storage.database import Database
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

# Rows fetched at a time from the large tables (a server-side cursor on PostgreSQL).
ROWS_AT_A_TIME = 5_000

# The fields of the exported records that are columns of their tables, named alike there.
OBSERVATION_FIELDS = tuple(name for name in ExportedObservation.model_fields if name != "bearings")
RETRACTION_FIELDS = ("uuid", "reason", "author", "recorded_at")


@dataclass(frozen=True)
class Names:
    """How records refer to sets and indicators in the file: by slug and key, not by id."""

    set_slugs: dict[int, str]
    indicators: dict[int, tuple[str, str]]  # indicator id -> (set slug, key)
    set_ids: dict[str, int] = field(init=False)
    indicator_ids: dict[tuple[str, str], int] = field(init=False)
    # Bearings are frozen records, and there are a few thousand different ones among the
    # million bearings of an archive: each is made once and shared.
    _bearings: dict[tuple[int, str], ExportedBearing] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "set_ids", {slug: i for i, slug in self.set_slugs.items()})
        object.__setattr__(self, "indicator_ids", {n: i for i, n in self.indicators.items()})
        object.__setattr__(self, "_bearings", {})

    @classmethod
    def read(cls, session: Session) -> Names:
        set_slugs = dict(session.exec(select(IndicatorSet.id, IndicatorSet.slug)).all())
        indicators = {
            indicator_id: (set_slugs[set_id], key)
            for indicator_id, set_id, key in session.exec(
                select(Indicator.id, Indicator.set_id, Indicator.key)
            ).all()
        }
        return cls(set_slugs, indicators)

    def bearing(self, indicator_id: int, bearing: str) -> ExportedBearing:
        made = self._bearings.get((indicator_id, bearing))
        if made is None:
            slug, key = self.indicators[indicator_id]
            made = built(ExportedBearing, {"set": slug, "indicator": key, "bearing": bearing})
            self._bearings[(indicator_id, bearing)] = made
        return made


def export_record(
    db: Database, set_slug: str | None = None, progress: Progress = no_progress
) -> RecordFile:
    """The whole export in memory (for small records, and tests): see `exporting_record`."""
    with exporting_record(db, set_slug, progress) as export:
        return RecordFile.model_construct(
            tracker_export=RECORD_FILE_VERSION,
            sets=export.sets,
            observations=[o for batch in export.observations() for o in batch],
            retractions=export.retractions(),
            assessments=[a for batch in export.assessments() for a in batch],
            issued_briefings=export.issued_briefings,
        )


@dataclass
class RecordExport:
    """An export being read: the sets and issued briefings (a few), and the observations and
    assessments read a batch at a time, when asked, within the read's one snapshot."""

    connection: Connection
    names: Names
    sets: list[ExportedSet]
    issued_briefings: list[ExportedBriefing]
    # The ids of the indicators of the sets exported; None for all.
    in_sets: Select[Any] | None
    progress: Progress
    counts: dict[str, int] = field(default_factory=dict)

    def json_pieces(self) -> Iterator[bytes]:
        """The file's text, as UTF-8, a few thousand records at a time: `RecordFile.to_json()`."""
        return record_json_pieces(
            RECORD_FILE_VERSION,
            {
                "sets": [self.sets],
                "observations": self.observations(),
                "retractions": [self.retractions()],
                "assessments": self.assessments(),
                "issued_briefings": [self.issued_briefings],
            },
        )

    def observations(self) -> Iterator[list[ExportedObservation]]:
        """The observations bearing on the sets, in the file's order, a batch at a time, each
        with its bearings on the sets."""
        observations = observation_rows()
        if self.in_sets is not None:
            observations = observations.where(col(Observation.id).in_(self._observed()))
        total = self.connection.execute(
            select(func.count(func.distinct(ObservationIndicator.observation_id))).where(
                self._of_the_sets(ObservationIndicator.indicator_id)
            )
        ).scalar_one()
        done = 0
        for rows in _in_batches(self.connection, observations):
            self.progress("observations", done, total)
            bearings = bearings_where(
                self.connection,
                self.names,
                and_(
                    col(ObservationIndicator.observation_id).in_([row.id for row in rows]),
                    self._of_the_sets(ObservationIndicator.indicator_id),
                ),
            )
            batch = list(_with_bearings(rows, bearings))
            done += len(batch)
            yield batch
        self.counts["observations"] = done
        self.progress("observations", total, total)

    def retractions(self) -> list[ExportedRetraction]:
        """The retractions of the observations exported (a few)."""
        table = ObservationIndicator.__table__
        query = retraction_rows().where(
            exists()
            .where(table.c.observation_id == Retraction.__table__.c.observation_id)
            .where(self._of_the_sets(table.c.indicator_id))
        )
        found = [exported_retraction(r) for r in self.connection.execute(query)]
        self.counts["retractions"] = len(found)
        return found

    def assessments(self) -> Iterator[list[ExportedAssessment]]:
        query = assessment_rows().where(self._of_the_sets(Assessment.indicator_id))
        done = 0
        for rows in _in_batches(self.connection, query):
            evidence = evidence_where(
                self.connection, col(AssessmentEvidence.assessment_id).in_([a.id for a in rows])
            )
            yield [exported_assessment(a, self.names, evidence.get(a.id, [])) for a in rows]
            done += len(rows)
        self.counts["assessments"] = done

    def totals(self) -> dict[str, int]:
        """How many records of each kind the export holds (those not read are counted)."""
        if "assessments" not in self.counts:
            query = select(func.count()).where(self._of_the_sets(Assessment.indicator_id))
            self.counts["assessments"] = self.connection.execute(query).scalar_one()
        return dict(self.counts)

    def _of_the_sets(self, indicator_id: Any) -> Any:
        # Everything: no condition, so each table is read straight through.
        return true() if self.in_sets is None else col(indicator_id).in_(self.in_sets)

    def _observed(self) -> Any:
        """The ids of the observations with a bearing on the sets."""
        return select(ObservationIndicator.observation_id).where(
            self._of_the_sets(ObservationIndicator.indicator_id)
        )


@contextmanager
def exporting_record(
    db: Database, set_slug: str | None = None, progress: Progress = no_progress
) -> Iterator[RecordExport]:
    """The whole record, or one set's part of it, to be read within the block, a batch at a
    time: an export of an archive need never hold more than a batch of its million records."""
    with collecting_cycles_at_the_end(), db.reading() as session:
        if not db.is_sqlite:
            # One snapshot for every query, as SQLite's read transaction already is: a record
            # committed meanwhile must not appear in one list and be missing from another.
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        chosen = find_set(session, set_slug)
        names = Names.read(session)
        sets = session.exec(
            select(IndicatorSet)
            .where(True if chosen is None else col(IndicatorSet.id) == chosen.id)
            .order_by(IndicatorSet.slug)
        ).all()
        in_sets = select(Indicator.id).where(col(Indicator.set_id).in_([s.id for s in sets]))

        briefings = session.exec(
            select(IssuedBriefing)
            .where(col(IssuedBriefing.set_id).in_([s.id for s in sets]))
            .order_by(IssuedBriefing.period_end, col(IssuedBriefing.issued_at), IssuedBriefing.uuid)
        ).all()
        export = RecordExport(
            connection=session.connection(),
            names=names,
            sets=[exported_set(session, s) for s in sets],
            issued_briefings=[exported_briefing(b, names) for b in briefings],
            in_sets=None if chosen is None else in_sets,
            progress=progress,
        )
        export.counts.update(sets=len(export.sets), issued_briefings=len(briefings))
        yield export


def _in_batches(connection: Connection, query: Select[Any]) -> Iterator[Sequence[Any]]:
    result = connection.execute(query.execution_options(yield_per=ROWS_AT_A_TIME))
    yield from result.partitions()


def _streamed(connection: Connection, query: Select[Any]) -> Iterator[Any]:
    yield from connection.execute(query.execution_options(yield_per=ROWS_AT_A_TIME))


def observation_rows() -> Select[Any]:
    """Observations as rows of their exported fields and then their id, in the file's order."""
    table = Observation.__table__
    return select(*(table.c[name] for name in OBSERVATION_FIELDS), table.c.id).order_by(
        table.c.event_date, table.c.recorded_at, table.c.uuid
    )


def _with_bearings(
    rows: Iterable[Any], bearings: dict[int, list[ExportedBearing]]
) -> Iterator[ExportedObservation]:
    for row in rows:
        found = bearings.get(row.id)
        # One with no bearing on the sets exported is not theirs (the query may not say).
        if found is not None:
            yield exported_observation(row, found)


def retraction_rows() -> Select[Any]:
    """Retractions as rows with the UUID of the observation each withdraws (`observation`)."""
    table = Retraction.__table__
    return (
        select(
            table.c.observation_id,
            *(table.c[name] for name in RETRACTION_FIELDS),
            Observation.__table__.c.uuid.label("observation"),
        )
        .join_from(table, Observation.__table__)
        .order_by(table.c.recorded_at, table.c.uuid)
    )


def assessment_rows() -> Select[Any]:
    """Assessments as rows with the UUID of the one each supersedes (`supersedes`)."""
    table = Assessment.__table__
    superseded = aliased(table)
    return (
        select(
            table.c.id,
            table.c.indicator_id,
            *(table.c[name] for name in ASSESSMENT_FIELDS),
            superseded.c.uuid.label("supersedes"),
        )
        .outerjoin_from(table, superseded, table.c.supersedes_id == superseded.c.id)
        .order_by(table.c.effective_on, table.c.recorded_at, table.c.uuid)
    )


def bearings_where(
    connection: Connection, names: Names, condition: Any
) -> dict[int, list[ExportedBearing]]:
    """The bearings of the observations links matching `condition`, per observation, in order."""
    found: dict[int, list[ExportedBearing]] = defaultdict(list)
    query = select(
        ObservationIndicator.observation_id,
        ObservationIndicator.indicator_id,
        ObservationIndicator.bearing,
    ).where(condition)
    for observation_id, indicator_id, bearing in _streamed(connection, query):
        found[observation_id].append(names.bearing(indicator_id, bearing))
    for links in found.values():
        if len(links) > 1:
            links.sort(key=lambda b: (b.set, b.indicator))
    return found


def evidence_where(connection: Connection, condition: Any) -> dict[int, list[str]]:
    """The UUIDs of the observations cited by the assessments matching `condition`, sorted,
    per assessment id."""
    cited: dict[int, list[str]] = defaultdict(list)
    query = (
        select(AssessmentEvidence.assessment_id, Observation.uuid)
        .join_from(AssessmentEvidence, Observation)
        .join_from(AssessmentEvidence, Assessment)
        .where(condition)
    )
    for assessment_id, uuid in _streamed(connection, query):
        cited[assessment_id].append(uuid)
    for uuids in cited.values():
        uuids.sort()
    return cited


def exported_set(session: Session, indicator_set: IndicatorSet) -> ExportedSet:
    themes = session.exec(
        select(Theme).where(Theme.set_id == indicator_set.id).order_by(Theme.position, Theme.key)
    ).all()
    theme_keys = {t.id: t.key for t in themes}
    indicators = session.exec(
        select(Indicator)
        .where(Indicator.set_id == indicator_set.id)
        .order_by(Indicator.position, Indicator.key)
    ).all()
    return ExportedSet.model_construct(
        slug=indicator_set.slug,
        title=indicator_set.title,
        description=indicator_set.description,
        sources=indicator_set.sources,
        definition_file=indicator_set.definition_file,
        loaded_at=indicator_set.loaded_at,
        loaded_by=indicator_set.loaded_by,
        themes=[
            ExportedTheme.model_construct(key=t.key, title=t.title, position=t.position)
            for t in themes
        ],
        indicators=[
            ExportedIndicator.model_construct(
                key=i.key,
                theme=theme_keys[i.theme_id],
                title=i.title,
                question=i.question,
                moved_when=i.moved_when,
                toward_means=i.toward_means,
                away_means=i.away_means,
                actors=i.actors,
                sources=i.sources,
                position=i.position,
                retired_at=i.retired_at,
            )
            for i in indicators
        ],
    )


# Each record's fields in the model's order: pydantic writes a record's fields in the order of
# its values, and `built` takes them as given.


def exported_observation(row: Any, bearings: list[ExportedBearing]) -> ExportedObservation:
    """From an observation's row as `observation_rows` reads it: its exported fields first, in
    order (an export reads a million of them)."""
    values = dict(zip(OBSERVATION_FIELDS, row, strict=False))
    values["bearings"] = bearings
    return built(ExportedObservation, values)


def exported_retraction(row: Any) -> ExportedRetraction:
    """From a retraction's row with the withdrawn observation's UUID (`retraction_rows`)."""
    return built(
        ExportedRetraction,
        {
            "uuid": row.uuid,
            "observation": row.observation,
            "reason": row.reason,
            "author": row.author,
            "recorded_at": row.recorded_at,
        },
    )


def exported_assessment(row: Any, names: Names, evidence: list[str]) -> ExportedAssessment:
    """From an assessment's row with the superseded one's UUID (`assessment_rows`)."""
    slug, key = names.indicators[row.indicator_id]
    return built(
        ExportedAssessment,
        {
            "uuid": row.uuid,
            "set": slug,
            "indicator": key,
            "status": row.status,
            "direction": row.direction,
            "confidence": row.confidence,
            "rationale": row.rationale,
            "author": row.author,
            "effective_on": row.effective_on,
            "recorded_at": row.recorded_at,
            "evidence": evidence,
            "supersedes": row.supersedes,
        },
    )


def exported_briefing(b: IssuedBriefing, names: Names) -> ExportedBriefing:
    return ExportedBriefing.model_construct(
        uuid=b.uuid,
        set=names.set_slugs[b.set_id],
        period_start=b.period_start,
        period_end=b.period_end,
        author=b.author,
        issued_at=b.issued_at,
    )
