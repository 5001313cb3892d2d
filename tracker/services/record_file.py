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

import functools
import gc
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
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


def counted(
    items: Iterable[T], what: str, progress: Progress, total: int | None = None, every: int = 500
) -> Iterator[T]:
    """The items, telling `progress` every so often how many have been handled; `total` is
    how many there are, when `items` cannot say (rows read as they come)."""
    total = len(items) if total is None else total  # type: ignore[arg-type]
    for done, item in enumerate(items):
        if done % every == 0:
            progress(what, done, total)
        yield item
    progress(what, total, total)


T = TypeVar("T")
R = TypeVar("R", bound=BaseModel)


# Objects made in a block of `collecting_cycles_at_the_end` beyond which they are set aside
# when it ends (a test's import makes a few thousand; an archive's, tens of millions).
_SET_ASIDE_BEYOND = 1_000_000


@contextmanager
def collecting_cycles_at_the_end() -> Iterator[None]:
    """For making or reading hundreds of thousands of records. Python's cycle collector, run
    every few hundred allocations, walks every live object again each time: half of reading a
    large export went to it, though records hold no cycles. It is held off for the block.

    Turned back on, it would walk everything the block made three times over before leaving it
    alone (seconds, for an archive). When that is much, it is set aside instead (`gc.freeze`):
    still freed as usual once unused, never walked. The price is that a reference cycle that
    became garbage during the block is never collected: a session's few objects, once."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_count()[0] > _SET_ASIDE_BEYOND:
                gc.freeze()
            gc.enable()


def built(model: type[R], fields: dict[str, Any]) -> R:
    """`model.model_construct(**fields)` where `fields` names every field of `model`, as an
    export's records do: the same record, without model_construct's bookkeeping of defaults,
    which costs more than reading the row (a second for each 50,000 records). Like
    model_construct it checks nothing, so only for values the database or the format already
    vouch for. The models are frozen, so the records of a model share one set of field names."""
    record = model.__new__(model)
    object.__setattr__(record, "__dict__", fields)
    object.__setattr__(record, "__pydantic_fields_set__", _all_fields(model))
    object.__setattr__(record, "__pydantic_extra__", None)
    object.__setattr__(record, "__pydantic_private__", None)
    return record


_FIELD_NAMES: dict[type[BaseModel], set[str]] = {}


def _all_fields(model: type[BaseModel]) -> set[str]:
    names = _FIELD_NAMES.get(model)
    if names is None:
        names = _FIELD_NAMES[model] = set(model.model_fields)
    return names


# A large import checks millions of fields: these are written to cost little on the text
# nearly all of them hold.


def _analyst_text(value: str) -> str:
    """What the app would accept: something written, and no invisible control characters."""
    if not value.isprintable():
        _no_control_characters(value)
    if not value or value.isspace():
        raise ValueError("is empty")
    return value


def _no_control_characters(value: str) -> str:
    # Control characters are never printable; most text is, and needs no closer look.
    if not value.isprintable():
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
# Checked when there is text: None needs no check.
OptionalText = Annotated[str, AfterValidator(_no_control_characters)] | None
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


# The fields of an exported assessment that are columns of the assessment table, named alike
# there (the others name the indicator, the evidence and what it supersedes).
ASSESSMENT_FIELDS = (
    "uuid",
    "status",
    "direction",
    "confidence",
    "rationale",
    "author",
    "effective_on",
    "recorded_at",
)


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
            # Most bear on one indicator and cite one observation: nothing to name twice.
            if len(o.bearings) > 1:
                _once(
                    f"bearing of observation {o.uuid}", [(b.set, b.indicator) for b in o.bearings]
                )
        _once("retraction", [r.uuid for r in self.retractions])
        _once("retracted observation", [r.observation for r in self.retractions])
        _once("assessment", [a.uuid for a in self.assessments])
        for a in self.assessments:
            if len(a.evidence) > 1:
                _once(f"evidence of assessment {a.uuid}", a.evidence)
        _once("issued briefing", [b.uuid for b in self.issued_briefings])
        return self

    def to_json(self) -> str:
        # Joined as UTF-8 and decoded once: the text of an archive, with its curly quotes, takes
        # two bytes a character as a str, and its pieces would be held as well as the whole.
        return b"".join(self._json_pieces()).decode()

    def json_parts(self) -> Iterator[str]:
        """`to_json()` in pieces of a few thousand records, to write one after the other."""
        for piece in self._json_pieces():
            yield piece.decode()

    def _json_pieces(self) -> Iterator[bytes]:
        """The text of `model_dump_json(indent=2)` and a newline, as UTF-8, in pieces: pydantic
        writing an archive's million records in one piece took twice as long."""
        names = list(type(self).model_fields)
        yield b"{\n"
        for n, name in enumerate(names):
            yield f'  "{name}": '.encode()
            yield from _json_one_level_in(getattr(self, name), _field_adapter(name))
            yield b",\n" if n < len(names) - 1 else b"\n"
        yield b"}\n"


def _once(what: str, keys: Sequence[object]) -> None:
    if len(set(keys)) == len(keys):
        return
    seen: set[object] = set()
    for key in keys:
        if key in seen:
            shown = "/".join(key) if isinstance(key, tuple) else key
            raise ValueError(f"the {what} {shown} appears twice")
        seen.add(key)


# Records per piece of `RecordFile._json_pieces`.
_RECORDS_PER_PIECE = 2_000


@functools.cache
def _field_adapter(name: str) -> TypeAdapter[Any]:
    return TypeAdapter(RecordFile.model_fields[name].annotation)


def _json_one_level_in(value: Any, adapter: TypeAdapter[Any]) -> Iterator[bytes]:
    """`value` as pydantic writes it inside the file's object, lists a few thousand records at
    a time."""
    if not (isinstance(value, list) and value):
        yield adapter.dump_json(value, indent=2).replace(b"\n", b"\n  ")
        return
    yield b"[\n"
    for start in range(0, len(value), _RECORDS_PER_PIECE):
        written = adapter.dump_json(value[start : start + _RECORDS_PER_PIECE], indent=2)
        # "[\n  {...},\n  {...}\n]": the records without their brackets, one level further in.
        yield b"  " + written[2:-2].replace(b"\n", b"\n  ")
        yield b",\n" if start + _RECORDS_PER_PIECE < len(value) else b"\n  ]"


# How tracker starts every file it writes; the version is then known without reading the
# whole file twice.
_WRITTEN_VERSION = re.compile(r'\s*\{\s*"tracker_export"\s*:\s*([0-9]{1,9})\s*[,}]')


def read_record_file(text: str, name: str) -> RecordFile:
    """The file checked whole, or an InputError saying what is wrong and where."""
    with collecting_cycles_at_the_end():
        return _as_tracker_wrote_it(text) or _read_step_by_step(text, name)


def _as_tracker_wrote_it(text: str) -> RecordFile | None:
    """The file, when it starts as tracker writes it and is valid; None otherwise, and then
    `_read_step_by_step` finds what is wrong in the order it always has. Reading it as JSON
    first, only to learn its version, cost a fifth of an import.

    The result is the same: pydantic reads JSON as json.loads does (the same refusals: cut
    short, control characters, numbers too long; the last of two same keys counts), and a
    file whose version is given twice, differently, is left to the careful path."""
    written = _WRITTEN_VERSION.match(text)
    if written is None or int(written[1]) not in READABLE_VERSIONS:
        return None
    version = int(written[1])
    try:
        record = RecordFile.model_validate_json(text, context={"version": version})
    except ValidationError:
        return None
    return record if record.tracker_export == version else None


def _read_step_by_step(text: str, name: str) -> RecordFile:
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
