"""The export file: everything a desk recorded, as versioned JSON (`tracker export`, `import`).

The models below are the schema; `tracker export --schema` prints it as JSON Schema. Version 1:

- `tracker_export`: 1.
- `sets`: each indicator set with its themes and indicators (retired ones too, with `retired_at`).
- `observations`: each with the indicators it bears on (`set`, `indicator` key, `bearing`).
- `retractions`, `assessments` (with `evidence`: observation UUIDs), `issued_briefings`.

Records are identified by their UUIDs; sets by slug, themes and indicators by key within a set.
Moments are UTC, days are `YYYY-MM-DD`. Lists are in a fixed order, so the same record always
exports to the same bytes. A reader refuses unknown fields and mistyped values, so a file that
parses is one tracker can load whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from tracker.services import inputs

RECORD_FILE_VERSION = 1

# Told how far a long export or import has got: (what, done, of how many).
Progress = Callable[[str, int, int], None]


def no_progress(_what: str, _done: int, _total: int) -> None:
    return None


def counted(items: Sequence[T], what: str, progress: Progress, every: int = 500) -> Iterator[T]:
    """The items, telling `progress` every so often how many have been handled."""
    total = len(items)
    for done, item in enumerate(items):
        if done % every == 0:
            progress(what, done, total)
        yield item
    progress(what, total, total)


T = TypeVar("T")
Text = Annotated[str, StringConstraints(min_length=1)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Uuid = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
]
Bearing = Literal["toward", "away", "none"]
Direction = Literal["toward", "away"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ExportedTheme(_Record):
    key: Key
    title: Text
    position: int


class ExportedIndicator(_Record):
    key: Key
    theme: Key
    title: Text
    question: str
    moved_when: str
    toward_means: str
    away_means: str
    actors: list[str]
    sources: list[dict[str, Any]]
    position: int
    retired_at: AwareDatetime | None


class ExportedSet(_Record):
    slug: Key
    title: Text
    description: str
    sources: list[dict[str, Any]]
    definition_file: str
    loaded_at: AwareDatetime
    themes: list[ExportedTheme]
    indicators: list[ExportedIndicator]


class ExportedBearing(_Record):
    set: Key
    indicator: Key
    bearing: Bearing


class ExportedObservation(_Record):
    uuid: Uuid
    event_date: date
    recorded_at: AwareDatetime
    summary: Text
    quote: str | None
    note: str | None
    source_title: str | None
    source_publisher: str | None
    source_url: str | None
    source_date: date | None
    unsourced: bool
    reliability: Literal["A", "B", "C", "D", "E", "F"] | None
    credibility: Annotated[int, Field(ge=1, le=6)] | None
    author: Text
    bearings: Annotated[list[ExportedBearing], Field(min_length=1)]

    @model_validator(mode="after")
    def _sourced(self) -> ExportedObservation:
        if not (self.unsourced or self.source_title or self.source_publisher or self.source_url):
            raise ValueError("a source (title, publisher or URL) is required unless unsourced")
        return self


class ExportedRetraction(_Record):
    uuid: Uuid
    observation: Uuid
    reason: Text
    author: Text
    recorded_at: AwareDatetime


class ExportedAssessment(_Record):
    uuid: Uuid
    set: Key
    indicator: Key
    status: Literal["moved", "unmoved"]
    direction: Direction | None
    confidence: Literal["low", "medium", "high"]
    rationale: Text
    author: Text
    effective_on: date
    recorded_at: AwareDatetime
    evidence: list[Uuid]

    @model_validator(mode="after")
    def _direction_when_moved(self) -> ExportedAssessment:
        if (self.status == "moved") != (self.direction is not None):
            raise ValueError("a direction is required when moved, and only then")
        return self


class ExportedBriefing(_Record):
    uuid: Uuid
    set: Key
    period_start: date
    period_end: date
    author: Text
    issued_at: AwareDatetime

    @model_validator(mode="after")
    def _in_order(self) -> ExportedBriefing:
        if self.period_start > self.period_end:
            raise ValueError("the period starts after it ends")
        return self


class RecordFile(_Record):
    tracker_export: Literal[1]
    sets: list[ExportedSet]
    observations: list[ExportedObservation]
    retractions: list[ExportedRetraction]
    assessments: list[ExportedAssessment]
    issued_briefings: list[ExportedBriefing]

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"


def read_record_file(text: str, name: str) -> RecordFile:
    """The file checked whole, or an InputError saying what is wrong and where."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise inputs.InputError(
            f"{name} is not a tracker export: it is not JSON, or it is cut short "
            f"({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(raw, dict) or "tracker_export" not in raw:
        raise inputs.InputError(f"{name} is not a tracker export (no 'tracker_export' version)")
    version = raw["tracker_export"]
    if version != RECORD_FILE_VERSION:
        raise inputs.InputError(
            f"{name} is a tracker export of version {version!r}; this tracker reads version "
            f"{RECORD_FILE_VERSION}"
        )
    try:
        return RecordFile.model_validate_json(text)
    except ValidationError as exc:
        problems = [_problem(error) for error in exc.errors()[:3]]
        more = len(exc.errors()) - len(problems)
        listing = "; ".join(problems) + (f"; and {more} more" if more > 0 else "")
        raise inputs.InputError(f"{name} does not match the export format: {listing}") from None


def _problem(error: Any) -> str:
    where = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
    ).lstrip(".")
    return f"{where or 'the file'}: {error['msg']}"


def record_file_schema() -> str:
    return json.dumps(RecordFile.model_json_schema(), indent=2, ensure_ascii=False)
