"""Loading indicator-set definitions into the database (`tracker seed`).

Loading is idempotent: wording is updated in place, indicators missing from a file are retired
(never deleted), and observations and assessments already recorded are never touched. The
file's seeded observations and baseline assessments get UUIDs derived from the set and their
names, so a second load recognises them and adds nothing.

A set records when its definition was last loaded and by whom (`loaded_at`, `loaded_by`): both
change when the load changes the set, so they say who brought in the wording it has.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from tracker.services import inputs
from tracker.services.clock import Clock
from tracker.storage.database import Database, open_database
from tracker.storage.models import (
    Assessment,
    Indicator,
    IndicatorSet,
    Observation,
    ObservationIndicator,
    Theme,
)

if TYPE_CHECKING:
    from tracker.definitions.reader import LoadedDefinition
    from tracker.definitions.schema import IndicatorDefinition, IndicatorSetDefinition

SEED_AUTHOR = "seed"
# Fixed forever: the UUIDs of seeded records are derived from it.
_SEED_NAMESPACE = uuid.UUID("7f0c3a52-6b1e-4c55-9a34-0d7a2b9e8f10")


def seeded_uuid(set_slug: str, kind: str, name: str) -> str:
    return str(uuid.uuid5(_SEED_NAMESPACE, f"{set_slug}/{kind}/{name}"))


@dataclass
class SeedReport:
    files: list[str] = field(default_factory=list)
    sets_added: int = 0
    sets_updated: int = 0
    themes_added: int = 0
    themes_updated: int = 0
    indicators_added: int = 0
    indicators_updated: int = 0
    indicators_retired: int = 0
    indicators_restored: int = 0
    baselines_added: int = 0
    observations_added: int = 0
    # Baselines and seeded observations whose wording in the file no longer matches what was
    # recorded. They are history, so the file's edits are not applied; the report says so.
    edits_kept_out: int = field(default=0, metadata={"change": False})

    def counts(self) -> dict[str, int]:
        """The changes made, by kind."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "files" and f.metadata.get("change", True)
        }

    @property
    def changes(self) -> int:
        return sum(self.counts().values())


def read_definitions(paths: list[Path] | None = None) -> list[LoadedDefinition]:
    """Read and check every file (the bundled sets when none are named) before anything is
    written; refuse the lot on one bad file."""
    # Imported here: every command opens the database through this module, and only a load
    # reads the files (the reader and its schema are a good part of `tracker observe`'s start).
    from tracker.definitions.bundled import bundled_definition_files
    from tracker.definitions.reader import DefinitionError, read_definition_file

    loaded = [read_definition_file(path) for path in (paths or bundled_definition_files())]
    first_file: dict[str, LoadedDefinition] = {}
    for item in loaded:
        slug = item.definition.set.slug
        if slug in first_file:
            raise DefinitionError(
                f"{item.path}: set '{slug}' is also defined in {first_file[slug].path}; "
                "load one file per set"
            )
        first_file[slug] = item
    return loaded


def load_definitions(
    db: Database, loaded: list[LoadedDefinition], clock: Clock, author: str | None = None
) -> SeedReport:
    """Load the files in one transaction; `author` (default: $TRACKER_AUTHOR or the login name,
    as for every record) is who loaded them."""
    loaded_by = inputs.author(author)
    report = SeedReport(files=[str(item.path) for item in loaded])
    with db.writing() as session:
        for item in loaded:
            _load_set(session, item, clock, loaded_by, report)
    return report


def open_desk_database(
    db_value: str | None, clock: Clock, *, seed_if_new: bool = True, must_exist: bool = False
) -> tuple[Database, SeedReport | None]:
    """Open (creating and migrating if needed) the database the user chose (`--db`, else
    TRACKER_DB, else the default file). A database with no sets is loaded with the bundled ones
    unless `seed_if_new` is off. Returns the database and what was loaded, if anything."""
    database = open_database(db_value, must_exist=must_exist)
    if not seed_if_new:
        return database, None
    try:
        return database, seed_if_empty(database, clock)
    except BaseException:
        database.close()
        raise


def seed_if_empty(db: Database, clock: Clock) -> SeedReport | None:
    """Load the bundled sets into a database that holds none: a new database's first use."""
    with db.reading() as session:
        if session.exec(select(IndicatorSet.id).limit(1)).first() is not None:
            return None
    loaded = read_definitions()
    # The analyst whose first use this is loaded them.
    loaded_by = inputs.author(None)
    report = SeedReport(files=[str(item.path) for item in loaded])
    with db.writing() as session:
        # Checked again under the write lock: another process may have seeded meanwhile.
        if session.exec(select(IndicatorSet.id).limit(1)).first() is not None:
            return None
        for item in loaded:
            _load_set(session, item, clock, loaded_by, report)
    return report


def _assign(record: Any, values: dict[str, Any]) -> bool:
    """Set fields that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed = True
    return changed


def _load_set(
    session: Session, item: LoadedDefinition, clock: Clock, loaded_by: str, report: SeedReport
) -> None:
    definition = item.definition
    now = clock.now()
    values = {
        "title": definition.set.title,
        "description": definition.set.description,
        "sources": [s.model_dump(mode="json", exclude_none=True) for s in definition.sources],
        "definition_file": item.path.name,
    }
    indicator_set = session.exec(
        select(IndicatorSet).where(IndicatorSet.slug == definition.set.slug)
    ).first()
    if indicator_set is None:
        indicator_set = IndicatorSet(
            slug=definition.set.slug, loaded_at=now, loaded_by=loaded_by, **values
        )
        session.add(indicator_set)
        session.flush()
        report.sets_added += 1
    elif _assign(indicator_set, values):
        # Who and when go together: a load that changes nothing leaves both as they were.
        indicator_set.loaded_at = now
        indicator_set.loaded_by = loaded_by
        report.sets_updated += 1
    assert indicator_set.id is not None

    theme_ids = _load_themes(session, indicator_set.id, definition, report)
    indicators = _load_indicators(session, indicator_set.id, theme_ids, definition, now, report)
    _add_baselines(session, definition, indicators, now, report)
    _add_observations(session, definition, indicators, now, report)


def _load_themes(
    session: Session, set_id: int, definition: IndicatorSetDefinition, report: SeedReport
) -> dict[str, int]:
    existing = {t.key: t for t in session.exec(select(Theme).where(Theme.set_id == set_id))}
    ids: dict[str, int] = {}
    for position, theme_definition in enumerate(definition.themes):
        values = {"title": theme_definition.title, "position": position}
        theme = existing.get(theme_definition.key)
        if theme is None:
            theme = Theme(set_id=set_id, key=theme_definition.key, **values)
            session.add(theme)
            session.flush()
            report.themes_added += 1
        elif _assign(theme, values):
            report.themes_updated += 1
        assert theme.id is not None
        ids[theme.key] = theme.id
    # A theme dropped from the file stays: retired indicators may still belong to it.
    return ids


def _indicator_values(
    indicator_definition: IndicatorDefinition, theme_ids: dict[str, int], position: int
) -> dict[str, Any]:
    return {
        "theme_id": theme_ids[indicator_definition.theme],
        "title": indicator_definition.title,
        "question": indicator_definition.question,
        "moved_when": indicator_definition.moved_when,
        "toward_means": indicator_definition.toward,
        "away_means": indicator_definition.away,
        "actors": list(indicator_definition.actors),
        "sources": [c.model_dump(mode="json") for c in indicator_definition.sources],
        "position": position,
    }


def _load_indicators(
    session: Session,
    set_id: int,
    theme_ids: dict[str, int],
    definition: IndicatorSetDefinition,
    now: datetime,
    report: SeedReport,
) -> dict[str, Indicator]:
    existing = {i.key: i for i in session.exec(select(Indicator).where(Indicator.set_id == set_id))}
    in_file: dict[str, Indicator] = {}
    for position, indicator_definition in enumerate(definition.indicators):
        values = _indicator_values(indicator_definition, theme_ids, position)
        indicator = existing.get(indicator_definition.key)
        if indicator is None:
            indicator = Indicator(set_id=set_id, key=indicator_definition.key, **values)
            session.add(indicator)
            report.indicators_added += 1
        else:
            if indicator.retired_at is not None:
                indicator.retired_at = None
                report.indicators_restored += 1
            if _assign(indicator, values):
                report.indicators_updated += 1
        in_file[indicator_definition.key] = indicator
    for key, indicator in existing.items():
        if key not in in_file and indicator.retired_at is None:
            indicator.retired_at = now
            report.indicators_retired += 1
    session.flush()
    return in_file


def _differs(record: Any, values: dict[str, Any]) -> bool:
    return any(getattr(record, name) != value for name, value in values.items())


def _add_baselines(
    session: Session,
    definition: IndicatorSetDefinition,
    indicators: dict[str, Indicator],
    now: datetime,
    report: SeedReport,
) -> None:
    for indicator_definition in definition.indicators:
        baseline = indicator_definition.baseline
        values = {
            "status": baseline.status.value,
            "direction": baseline.direction.value if baseline.direction else None,
            "confidence": baseline.confidence.value,
            "rationale": baseline.rationale,
            "effective_on": baseline.date,
        }
        baseline_uuid = seeded_uuid(definition.set.slug, "baseline", indicator_definition.key)
        existing = session.exec(select(Assessment).where(Assessment.uuid == baseline_uuid)).first()
        if existing is not None:
            # Baselines are history: an edited file does not rewrite them, but says so.
            report.edits_kept_out += _differs(existing, values)
            continue
        indicator_id = indicators[indicator_definition.key].id
        assert indicator_id is not None
        session.add(
            Assessment(
                uuid=baseline_uuid,
                indicator_id=indicator_id,
                author=SEED_AUTHOR,
                recorded_at=now,
                **values,
            )
        )
        report.baselines_added += 1


def _add_observations(
    session: Session,
    definition: IndicatorSetDefinition,
    indicators: dict[str, Indicator],
    now: datetime,
    report: SeedReport,
) -> None:
    sources = {source.id: source for source in definition.sources}
    for seeded in definition.observations:
        source = sources[seeded.source]
        values = {
            "event_date": seeded.date,
            "summary": seeded.summary,
            "quote": seeded.quote,
            "note": seeded.note,
            "source_title": source.title,
            "source_publisher": source.publisher,
            "source_url": source.url,
            "source_date": source.date,
            "reliability": seeded.reliability,
            "credibility": seeded.credibility,
        }
        observation_uuid = seeded_uuid(definition.set.slug, "observation", seeded.ref)
        existing = session.exec(
            select(Observation).where(Observation.uuid == observation_uuid)
        ).first()
        if existing is not None:
            report.edits_kept_out += _differs(existing, values)
            continue
        observation = Observation(
            uuid=observation_uuid, recorded_at=now, author=SEED_AUTHOR, **values
        )
        session.add(observation)
        session.flush()
        assert observation.id is not None
        for key, bearing in seeded.bears_on.items():
            indicator_id = indicators[key].id
            assert indicator_id is not None
            session.add(
                ObservationIndicator(
                    observation_id=observation.id,
                    indicator_id=indicator_id,
                    bearing=bearing.value,
                    event_date=observation.event_date,
                )
            )
        report.observations_added += 1
