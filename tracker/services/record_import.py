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
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from tracker.services import inputs
from tracker.services.record_export import (
    Names,
    bearings_where,
    evidence_of,
    exported_assessment,
    exported_briefing,
    exported_observation,
    exported_retraction,
)
from tracker.services.record_file import (
    ExportedAssessment,
    ExportedBriefing,
    ExportedObservation,
    ExportedRetraction,
    ExportedSet,
    Progress,
    RecordFile,
    counted,
    no_progress,
)
from tracker.services.seeding import SEED_AUTHOR
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

# Conflicts listed in the message; the rest are counted.
SHOWN_CONFLICTS = 5


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
    db: Database, record: RecordFile, progress: Progress = no_progress
) -> ImportReport:
    report = ImportReport()
    conflicts: list[str] = []
    with db.writing() as session:
        for exported in record.sets:
            _merge_set(session, exported, report)
        session.flush()
        names = Names.read(session)
        _check_references(record, names)
        merge = _Merge(session, names, _IdsByUuid.read(session, record), report, conflicts)
        for observation in counted(record.observations, "observations", progress):
            merge.observation(observation)
        session.flush()
        # Read again: the observations just added are cited by what follows.
        merge.names = Names.read(session)
        merge.ids = _IdsByUuid.read(session, record)
        for retraction in record.retractions:
            merge.retraction(retraction)
        for assessment in counted(record.assessments, "assessments", progress):
            merge.assessment(assessment)
        session.flush()
        merge.supersessions(record.assessments)
        for briefing in record.issued_briefings:
            merge.briefing(briefing)
        if conflicts:
            shown = "; ".join(conflicts[:SHOWN_CONFLICTS])
            more = len(conflicts) - SHOWN_CONFLICTS
            raise ImportConflict(
                f"{len(conflicts)} record(s) in the file differ from the same record here: "
                f"{shown}{f'; and {more} more' if more > 0 else ''}. Nothing was imported"
            )
    return report


@dataclass
class _IdsByUuid:
    observations: dict[str, int]
    observation_rows: dict[str, Observation]
    retractions: dict[str, Retraction]
    assessments: dict[str, Assessment]
    briefings: dict[str, IssuedBriefing]

    @classmethod
    def read(cls, session: Session, record: RecordFile) -> _IdsByUuid:
        wanted = {o.uuid for o in record.observations} | {r.observation for r in record.retractions}
        wanted |= {uuid for a in record.assessments for uuid in a.evidence}
        observations = session.exec(
            select(Observation).where(col(Observation.uuid).in_(wanted))
        ).all()
        return cls(
            observations={o.uuid: o.id or 0 for o in observations},
            observation_rows={o.uuid: o for o in observations},
            retractions=_by_uuid(session, Retraction, [r.uuid for r in record.retractions]),
            assessments=_by_uuid(session, Assessment, [a.uuid for a in record.assessments]),
            briefings=_by_uuid(session, IssuedBriefing, [b.uuid for b in record.issued_briefings]),
        )


def _by_uuid(session: Session, model: type, uuids: list[str]) -> dict:  # type: ignore[type-arg]
    rows = session.exec(select(model).where(col(model.uuid).in_(uuids))).all()  # type: ignore[attr-defined]
    return {row.uuid: row for row in rows}


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


def _check_references(record: RecordFile, names: Names) -> None:
    """Every set and indicator a record names exists, in the file or here."""
    known = set(names.indicators.values())
    named = [(b.set, b.indicator) for o in record.observations for b in o.bearings]
    named += [(a.set, a.indicator) for a in record.assessments]
    for slug, key in named:
        if (slug, key) not in known:
            raise inputs.InputError(
                f"the file refers to indicator '{key}' of set '{slug}', which neither the file "
                "nor this database defines; nothing was imported"
            )
    for briefing in record.issued_briefings:
        _set_id(names, briefing.set)


def _set_id(names: Names, slug: str) -> int:
    for set_id, held in names.set_slugs.items():
        if held == slug:
            return set_id
    raise inputs.InputError(
        f"the file refers to set '{slug}', which neither the file nor this database defines; "
        "nothing was imported"
    )


def _indicator_id(names: Names, slug: str, key: str) -> int:
    for indicator_id, named in names.indicators.items():
        if named == (slug, key):
            return indicator_id
    raise AssertionError("checked by _check_references")


@dataclass
class _Merge:
    """One import's merging of records into the open write session, and what it found."""

    session: Session
    names: Names
    ids: _IdsByUuid
    report: ImportReport
    conflicts: list[str]
    # The assessments added, by UUID: what each supersedes is linked in a second pass.
    added_assessments: dict[str, Assessment] = field(default_factory=dict)

    def observation(self, exported: ExportedObservation) -> None:
        held = self.ids.observation_rows.get(exported.uuid)
        if held is not None:
            self.held_observation(held, exported)
            return
        observation = Observation(**exported.model_dump(exclude={"bearings"}))
        self.session.add(observation)
        self.session.flush()
        self.ids.observations[exported.uuid] = observation.id or 0
        for bearing in exported.bearings:
            self.session.add(
                ObservationIndicator(
                    observation_id=observation.id or 0,
                    indicator_id=_indicator_id(self.names, bearing.set, bearing.indicator),
                    bearing=bearing.bearing,
                    event_date=exported.event_date,
                )
            )
        self.report.add("observations")

    def retraction(self, retraction: ExportedRetraction) -> None:
        held = self.ids.retractions.get(retraction.uuid)
        if held is not None:
            self.compare(exported_retraction(held, self.names), retraction)
            return
        observation_id = self.ids.observations.get(retraction.observation)
        if observation_id is None:
            raise inputs.InputError(
                f"retraction {retraction.uuid} withdraws observation "
                f"{retraction.observation}, which neither the file nor this database holds; "
                "nothing was imported"
            )
        earlier = self.session.exec(
            select(Retraction).where(Retraction.observation_id == observation_id)
        ).first()
        if earlier is not None:
            self.conflicts.append(
                f"observation {retraction.observation} is retracted in both, by different "
                f"retractions ({earlier.uuid} here, {retraction.uuid} in the file)"
            )
            return
        self.session.add(
            Retraction(
                observation_id=observation_id, **retraction.model_dump(exclude={"observation"})
            )
        )
        self.report.add("retractions")

    def briefing(self, briefing: ExportedBriefing) -> None:
        held = self.ids.briefings.get(briefing.uuid)
        if held is not None:
            self.compare(exported_briefing(held, self.names), briefing)
            return
        set_id = _set_id(self.names, briefing.set)
        self.session.add(IssuedBriefing(set_id=set_id, **briefing.model_dump(exclude={"set"})))
        self.report.add("issued briefings")

    def held_observation(self, held: Observation, exported: ExportedObservation) -> None:
        """The same observation, compared set by set: an export of one set carries only that set's
        bearings, so a set on one side only is not a difference. Bearings the file has on a set
        the observation has none on here are added."""
        held_bearings = bearings_where(
            self.session, self.names, col(ObservationIndicator.observation_id) == held.id
        ).get(held.id or 0, [])
        held_sets = {b.set for b in held_bearings}
        file_sets = {b.set for b in exported.bearings}
        shared = held_sets & file_sets
        held_view = exported_observation(held, [b for b in held_bearings if b.set in shared])
        file_view = exported.model_copy(
            update={"bearings": [b for b in exported.bearings if b.set in shared]}
        )
        same_record = held_view.model_dump(exclude={"recorded_at"}) == file_view.model_dump(
            exclude={"recorded_at"}
        )
        seeded = held.author == exported.author == SEED_AUTHOR
        if held_view != file_view and not (seeded and same_record):
            self.compare(held_view, file_view)
            return
        added = [b for b in exported.bearings if b.set not in held_sets]
        for bearing in added:
            self.session.add(
                ObservationIndicator(
                    observation_id=held.id or 0,
                    indicator_id=_indicator_id(self.names, bearing.set, bearing.indicator),
                    bearing=bearing.bearing,
                    event_date=held.event_date,
                )
            )
        if added:
            self.report.add("bearings")
        self.report.already_held += 1

    def assessment(self, exported: ExportedAssessment) -> None:
        held = self.ids.assessments.get(exported.uuid)
        if held is not None:
            evidence = evidence_of(self.session, [held.id or 0], self.names).get(held.id or 0, [])
            held_view = exported_assessment(held, self.names, evidence)
            if held_view.supersedes is None or exported.supersedes is None:
                # One side was recorded, or exported, before tracker kept what an assessment
                # supersedes: not knowing is no disagreement. The record held stays as it is.
                held_view = held_view.model_copy(update={"supersedes": exported.supersedes})
            self.compare(held_view, exported)
            return
        missing = [uuid for uuid in exported.evidence if uuid not in self.ids.observations]
        if missing:
            raise inputs.InputError(
                f"assessment {exported.uuid} cites observation {missing[0]}, which neither the "
                "file nor this database holds; nothing was imported"
            )
        indicator_id = _indicator_id(self.names, exported.set, exported.indicator)
        for uuid in exported.evidence:
            # The rules the app keeps when an analyst cites evidence hold for imported ones too.
            link = self.session.exec(
                select(ObservationIndicator).where(
                    ObservationIndicator.observation_id == self.ids.observations[uuid],
                    ObservationIndicator.indicator_id == indicator_id,
                )
            ).first()
            if link is None or link.event_date > exported.effective_on:
                problem = "does not bear on its indicator" if link is None else "is dated after it"
                raise inputs.InputError(
                    f"assessment {exported.uuid} cites observation {uuid}, which {problem}; "
                    "nothing was imported"
                )
        assessment = Assessment(
            indicator_id=indicator_id,
            # Linked by `supersessions`: what it supersedes may not be written yet.
            **exported.model_dump(exclude={"set", "indicator", "evidence", "supersedes"}),
        )
        self.session.add(assessment)
        self.session.flush()
        self.added_assessments[exported.uuid] = assessment
        for uuid in exported.evidence:
            self.session.add(
                AssessmentEvidence(
                    assessment_id=assessment.id or 0, observation_id=self.ids.observations[uuid]
                )
            )
        self.report.add("assessments")

    def supersessions(self, assessments: list[ExportedAssessment]) -> None:
        """Link each added assessment to the one it supersedes, now that all of the file's are
        written. Every `supersedes` in the file is checked, those of records already held too:
        a file that names an assessment nobody has, or another indicator's, is refused."""
        named = {a.supersedes for a in assessments if a.supersedes is not None}
        found = {
            uuid: (assessment_id or 0, indicator_id)
            for assessment_id, uuid, indicator_id in self.session.exec(
                select(Assessment.id, Assessment.uuid, Assessment.indicator_id).where(
                    col(Assessment.uuid).in_(named)
                )
            ).all()
        }
        for exported in assessments:
            if exported.supersedes is None:
                continue
            if exported.supersedes not in found:
                raise inputs.InputError(
                    f"assessment {exported.uuid} supersedes assessment {exported.supersedes}, "
                    "which neither the file nor this database holds; nothing was imported"
                )
            superseded_id, indicator_id = found[exported.supersedes]
            if indicator_id != _indicator_id(self.names, exported.set, exported.indicator):
                slug, key = self.names.indicators[indicator_id]
                raise inputs.InputError(
                    f"assessment {exported.uuid} of indicator '{exported.indicator}' supersedes "
                    f"assessment {exported.supersedes}, which assesses another indicator "
                    f"('{key}' of set '{slug}'); nothing was imported"
                )
            added = self.added_assessments.get(exported.uuid)
            if added is not None:
                added.supersedes_id = superseded_id

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
