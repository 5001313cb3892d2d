"""The export file: everything a desk recorded, as versioned JSON (`tracker export`, `import`).

The models below are the schema; `tracker export --schema` prints it as JSON Schema. Version 2:

- `tracker_export`: 2.
- `sets`: each indicator set with its themes and indicators (retired ones too, with `retired_at`),
  and `loaded_by`: who last loaded its definition file.
- `observations`: each with the indicators it bears on (`set`, `indicator` key, `bearing`).
- `retractions`, `assessments` (with `evidence`: observation UUIDs, and `supersedes`: the UUID of
  the indicator's latest assessment when this one was recorded), `issued_briefings`.

`loaded_by` and `supersedes` are null where nobody knows: the first assessment of an indicator,
and records made before tracker kept them. Version 1 is version 2 without those two fields; this
tracker still reads it, taking both as null, and writes version 2.

Records are identified by their UUIDs; sets by slug, themes and indicators by key within a set.
Moments are UTC, days are `YYYY-MM-DD`. Lists are in a fixed order, so the same record always
exports to the same bytes. A reader refuses unknown fields and mistyped values, so a file that
parses is one tracker can load whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from tracker.services import inputs

RECORD_FILE_VERSION = 2
# The versions this tracker reads: each is the one before plus fields (see `_added_in`).
READABLE_VERSIONS = (1, 2)

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


def _analyst_text(value: str) -> str:
    """What the app would accept: something written, and no invisible control characters."""
    _no_control_characters(value)
    if not value.strip():
        raise ValueError("is empty")
    return value


def _no_control_characters(value: str | None) -> str | None:
    if value is not None:
        try:
            inputs.optional_text(value)
        except inputs.InputError as exc:
            # A ValueError, so the message says where in the file: which record, which field.
            raise ValueError(str(exc).removeprefix("the text ")) from None
    return value


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError("is not a moment that can be written in UTC") from None


Text = Annotated[str, AfterValidator(_analyst_text)]
OptionalText = Annotated[str | None, AfterValidator(_no_control_characters)]
Moment = Annotated[AwareDatetime, AfterValidator(_utc)]
Position = Annotated[int, Field(ge=-(2**31), lt=2**31)]
# Slugs and keys as the definition files write them.
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=100)]
Uuid = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
]
Bearing = Literal["toward", "away", "none"]
Direction = Literal["toward", "away"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _added_in(
    record: BaseModel, info: ValidationInfo, version: int, names: tuple[str, ...]
) -> None:
    """Fields new in `version` are unknown to older files and required in newer ones, as every
    other field is: the model can only give them a default (None) so that older files parse.
    The file's version comes in the validation context (`read_record_file` puts it there)."""
    file_version = (info.context or {}).get("version", RECORD_FILE_VERSION)
    for name in names:
        given = name in record.model_fields_set
        if given and file_version < version:
            raise ValueError(f"{name} is not part of version {file_version} of the export format")
        if not given and file_version >= version:
            raise ValueError(f"{name} is required (null when not known)")


class ExportedTheme(_Record):
    key: Key
    title: Text
    position: Position


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
    position: Position
    retired_at: Moment | None


class ExportedSet(_Record):
    slug: Key
    title: Text
    description: str
    sources: list[dict[str, Any]]
    definition_file: str
    loaded_at: Moment
    # Added in version 2; the description is what `--schema` readers see.
    loaded_by: Text | None = Field(
        default=None,
        description="Who last loaded the definition file; null when not known. Version 2 "
        "requires it, version 1 does not have it.",
    )
    themes: list[ExportedTheme]
    indicators: list[ExportedIndicator]

    @model_validator(mode="after")
    def _version_fields(self, info: ValidationInfo) -> ExportedSet:
        _added_in(self, info, 2, ("loaded_by",))
        return self


class ExportedBearing(_Record):
    set: Key
    indicator: Key
    bearing: Bearing


class ExportedObservation(_Record):
    uuid: Uuid
    event_date: date
    recorded_at: Moment
    summary: Text
    quote: OptionalText
    note: OptionalText
    source_title: OptionalText
    source_publisher: OptionalText
    source_url: OptionalText
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
    recorded_at: Moment


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
    recorded_at: Moment
    evidence: list[Uuid]
    # Added in version 2. Another assessment of the same indicator (checked on import, where
    # the file and the database are both at hand).
    supersedes: Uuid | None = Field(
        default=None,
        description="The UUID of the indicator's latest assessment when this one was recorded; "
        "null for its first, and when not known. Version 2 requires it, version 1 does not "
        "have it.",
    )

    @model_validator(mode="after")
    def _direction_when_moved(self) -> ExportedAssessment:
        if (self.status == "moved") != (self.direction is not None):
            raise ValueError("a direction is required when moved, and only then")
        return self

    @model_validator(mode="after")
    def _supersedes_another(self, info: ValidationInfo) -> ExportedAssessment:
        _added_in(self, info, 2, ("supersedes",))
        if self.supersedes == self.uuid:
            raise ValueError("an assessment cannot supersede itself")
        return self


class ExportedBriefing(_Record):
    uuid: Uuid
    set: Key
    period_start: date
    period_end: date
    author: Text
    issued_at: Moment

    @model_validator(mode="after")
    def _in_order(self) -> ExportedBriefing:
        if self.period_start > self.period_end:
            raise ValueError("the period starts after it ends")
        return self


class RecordFile(_Record):
    tracker_export: Literal[1, 2]
    sets: list[ExportedSet]
    observations: list[ExportedObservation]
    retractions: list[ExportedRetraction]
    assessments: list[ExportedAssessment]
    issued_briefings: list[ExportedBriefing]

    @model_validator(mode="after")
    def _each_record_once(self) -> RecordFile:
        _once("set", [s.slug for s in self.sets])
        for s in self.sets:
            _once(f"theme of set '{s.slug}'", [t.key for t in s.themes])
            _once(f"indicator of set '{s.slug}'", [i.key for i in s.indicators])
        _once("observation", [o.uuid for o in self.observations])
        for o in self.observations:
            _once(f"bearing of observation {o.uuid}", [(b.set, b.indicator) for b in o.bearings])
        _once("retraction", [r.uuid for r in self.retractions])
        _once("retracted observation", [r.observation for r in self.retractions])
        _once("assessment", [a.uuid for a in self.assessments])
        for a in self.assessments:
            _once(f"evidence of assessment {a.uuid}", a.evidence)
        _once("issued briefing", [b.uuid for b in self.issued_briefings])
        return self

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"


def _once(what: str, keys: Sequence[object]) -> None:
    seen: set[object] = set()
    for key in keys:
        if key in seen:
            shown = "/".join(key) if isinstance(key, tuple) else key
            raise ValueError(f"the {what} {shown} appears twice")
        seen.add(key)


def read_record_file(text: str, name: str) -> RecordFile:
    """The file checked whole, or an InputError saying what is wrong and where."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise inputs.InputError(
            f"{name} is not a tracker export: it is not JSON, or it is cut short "
            f"({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    except (RecursionError, ValueError):
        # Nested too deep, or a number too long to read: nothing tracker ever writes.
        raise inputs.InputError(f"{name} is not a tracker export: it is not valid JSON") from None
    if not isinstance(raw, dict) or "tracker_export" not in raw:
        raise inputs.InputError(f"{name} is not a tracker export (no 'tracker_export' version)")
    version = raw["tracker_export"]
    if type(version) is not int or version not in READABLE_VERSIONS:
        readable = " or ".join(str(v) for v in READABLE_VERSIONS)
        raise inputs.InputError(
            f"{name} is a tracker export of version {json.dumps(version)[:40]}; this tracker "
            f"reads version {readable}"
        )
    try:
        # The version decides which fields a record must have, and which it must not.
        return RecordFile.model_validate_json(text, context={"version": version})
    except ValidationError as exc:
        problems = [_problem(error) for error in exc.errors()[:3]]
        more = len(exc.errors()) - len(problems)
        listing = "; ".join(problems) + (f"; and {more} more" if more > 0 else "")
        raise inputs.InputError(f"{name} does not match the export format: {listing}") from None


def _problem(error: Any) -> str:
    where = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
    ).lstrip(".")
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where or 'the file'}: {message}"


def record_file_schema() -> str:
    return json.dumps(RecordFile.model_json_schema(), indent=2, ensure_ascii=False)
