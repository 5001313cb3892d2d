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
import operator
import pickle
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
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
        return record_json_pieces(
            self.tracker_export, {name: [getattr(self, name)] for name in SECTIONS}
        )


# The record file's lists, in the order of its fields.
SECTIONS = ("sets", "observations", "retractions", "assessments", "issued_briefings")


def record_json_pieces(
    version: int, sections: dict[str, Iterable[Sequence[Any]]]
) -> Iterator[bytes]:
    """The text of `RecordFile.model_dump_json(indent=2)` and a newline, as UTF-8, in pieces,
    from each list given as batches of its records, read as they come: an export need never
    hold more than a batch. (pydantic writing an archive's million records in one piece also
    took twice as long.)"""
    yield b'{\n  "tracker_export": '
    yield _field_adapter("tracker_export").dump_json(version)
    for name in SECTIONS:
        yield f',\n  "{name}": '.encode()
        yield from _json_list_one_level_in(sections[name], _field_adapter(name))
    yield b"\n}\n"


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


def _json_list_one_level_in(
    batches: Iterable[Sequence[Any]], adapter: TypeAdapter[Any]
) -> Iterator[bytes]:
    """A list as pydantic writes it inside the file's object, a few thousand records at a
    time: "[\\n  {...},\\n  {...}\\n]" written whole is "[", the records without their brackets
    one level further in, "]"."""
    started = False
    for batch in batches:
        for start in range(0, len(batch), _RECORDS_PER_PIECE):
            written = adapter.dump_json(batch[start : start + _RECORDS_PER_PIECE], indent=2)
            yield (b",\n  " if started else b"[\n  ") + written[2:-2].replace(b"\n", b"\n  ")
            started = True
    yield b"\n  ]" if started else b"[]"


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


# --- reading a large file a batch at a time ------------------------------------------------
#
# `read_record_file` checks a file held whole in memory: for an archive, 8 GB. `check_record_file`
# reads the file as tracker writes it (`record_json_pieces`: two spaces a level) a batch of
# records at a time, checks each batch with the same models, and keeps only what the import
# needs of the whole file (which UUIDs it holds, which it cites) and the checked records,
# pickled to a temporary file the import then reads back. A file laid out otherwise (written
# by hand or by another tool), or one that is not JSON, is read whole by `read_record_file`,
# so its message is the one it always had; so is a record's, found a batch at a time.

# The file's layout as tracker writes it, where nothing but JSON whitespace separates tokens.
_WS = "[ \t\n\r]*"
_HEADER = re.compile(
    _WS + r"\{" + _WS + r'"tracker_export"' + _WS + ":" + _WS + r"(0|[1-9][0-9]{0,8})" + _WS + ","
)
_SECTION_START = re.compile(_WS + r'"([a-z_]+)"' + _WS + ":" + _WS + r"\[")
_EMPTY_LIST_END = re.compile(_WS + r"\]")
_AFTER_SECTION = re.compile(_WS + r"([,}])")
_ONLY_WHITESPACE = re.compile(_WS + r"\Z")
# Between two records of a list of the file, and after its last: records are at four spaces,
# their lists two, and JSON strings hold no line breaks, so these are found nowhere else.
_BETWEEN_RECORDS = "\n    },\n    {"
_LIST_END = "\n  ]"
# Characters of records checked at a time: a few thousand observations.
_CHARS_PER_BATCH = 1 << 21
# Errors listed in a "does not match the export format" message; the rest are counted.
_SHOWN_PROBLEMS = 3


class _ReadWhole(Exception):
    """The file is not laid out as tracker writes it, or is not JSON: read it whole."""


@dataclass
class RecordFacts:
    """What an import needs to know of the whole file before it writes: the records it holds
    are then gone through a batch at a time."""

    version: int
    sets: list[ExportedSet]
    counts: dict[str, int] = field(default_factory=dict)
    observations: set[str] = field(default_factory=set)  # their UUIDs
    cited: set[str] = field(default_factory=set)  # observations assessments cite
    retracted: set[str] = field(default_factory=set)  # observations retractions withdraw
    # The indicators named by bearings, then by assessments, each once, in the file's order.
    bearing_indicators: dict[tuple[str, str], None] = field(default_factory=dict)
    assessed_indicators: dict[tuple[str, str], None] = field(default_factory=dict)
    briefing_sets: list[str] = field(default_factory=list)
    # What appears twice, by the order `RecordFile._each_record_once` checks in.
    twice: dict[int, str] = field(default_factory=dict)

    def take(self, section: str, records: Sequence[Any]) -> None:
        """Learn what matters of a batch of `section`'s records, in the file's order."""
        self.counts[section] = self.counts.get(section, 0) + len(records)
        getattr(self, f"_take_{section}")(records)

    def _twice(self, rank: int, what: str, key: object) -> None:
        shown = "/".join(key) if isinstance(key, tuple) else key
        self.twice.setdefault(rank, f"the {what} {shown} appears twice")

    def _take_sets(self, records: Sequence[ExportedSet]) -> None:
        self.sets.extend(records)

    def _take_observations(self, records: Sequence[ExportedObservation]) -> None:
        held, named = self.observations, self.bearing_indicators
        for o in records:
            if o.uuid in held:
                self._twice(1, "observation", o.uuid)
            held.add(o.uuid)
            for b in o.bearings:
                named[(b.set, b.indicator)] = None
            if len(o.bearings) > 1:
                pairs = [(b.set, b.indicator) for b in o.bearings]
                if len(set(pairs)) < len(pairs):
                    self._twice(2, f"bearing of observation {o.uuid}", _first_repeat(pairs))

    def _take_retractions(self, records: Sequence[ExportedRetraction]) -> None:
        for r in records:
            if r.observation in self.retracted:
                self._twice(4, "retracted observation", r.observation)
            self.retracted.add(r.observation)
        self._once_each(3, "retraction", [r.uuid for r in records])

    def _take_assessments(self, records: Sequence[ExportedAssessment]) -> None:
        for a in records:
            self.assessed_indicators[(a.set, a.indicator)] = None
            self.cited.update(a.evidence)
            if len(a.evidence) > 1 and len(set(a.evidence)) < len(a.evidence):
                self._twice(6, f"evidence of assessment {a.uuid}", _first_repeat(a.evidence))
        self._once_each(5, "assessment", [a.uuid for a in records])

    def _take_issued_briefings(self, records: Sequence[ExportedBriefing]) -> None:
        self.briefing_sets.extend(b.set for b in records)
        self._once_each(7, "issued briefing", [b.uuid for b in records])

    _seen: dict[int, set[str]] = field(default_factory=dict)

    def _once_each(self, rank: int, what: str, uuids: list[str]) -> None:
        seen = self._seen.setdefault(rank, set())
        for uuid in uuids:
            if uuid in seen:
                self._twice(rank, what, uuid)
            seen.add(uuid)

    def first_named_twice(self) -> str | None:
        """What `RecordFile._each_record_once` would say of the file, or None."""
        try:
            _sets_each_once(self.sets)
        except ValueError as exc:
            return str(exc)
        return self.twice[min(self.twice)] if self.twice else None


def _first_repeat(keys: Sequence[Any]) -> Any:
    seen: set[Any] = set()
    for key in keys:
        if key in seen:
            return key
        seen.add(key)
    return None


def _sets_each_once(sets: Sequence[ExportedSet]) -> None:
    _once("set", [s.slug for s in sets])
    for s in sets:
        _once(f"theme of set '{s.slug}'", [t.key for t in s.themes])
        _once(f"indicator of set '{s.slug}'", [i.key for i in s.indicators])


class CheckedRecord:
    """A record file that has been checked whole: what the import needs to know of it
    (`facts`), and its records a batch at a time, as plain rows (`rows`: the values of the
    model's fields, in order, bearings as tuples too) or as records (`records`)."""

    def __init__(
        self,
        facts: RecordFacts,
        rows: Callable[[str], Iterator[list[tuple[Any, ...]]]],
        spill: _Spill | None = None,
    ) -> None:
        self.facts = facts
        self._rows = rows
        self._spill = spill

    @classmethod
    def held(cls, record: RecordFile, batch: int = 5_000) -> CheckedRecord:
        """A record already in memory (read whole, or made by an export)."""
        facts = RecordFacts(record.tracker_export, [])
        for section in SECTIONS:
            facts.take(section, getattr(record, section))

        def rows(section: str) -> Iterator[list[tuple[Any, ...]]]:
            records = getattr(record, section)
            for start in range(0, len(records), batch):
                yield _plain(section, records[start : start + batch])

        return cls(facts, rows)

    def rows(self, section: str) -> Iterator[list[tuple[Any, ...]]]:
        if section == "sets":
            return iter([_plain(section, self.facts.sets)])
        return self._rows(section)

    def records(self, section: str) -> Iterator[list[Any]]:
        model = _SECTION_MODELS[section]
        return (_rebuilt(model, rows) for rows in self.rows(section))

    def all(self, section: str) -> list[Any]:
        return [record for batch in self.records(section) for record in batch]

    def close(self) -> None:
        if self._spill is not None:
            self._spill.close()

    def __enter__(self) -> CheckedRecord:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def record_of(section: str, row: tuple[Any, ...]) -> Any:
    """One of `section`'s records from its plain row (see `CheckedRecord.rows`)."""
    return _rebuilt(_SECTION_MODELS[section], [row])[0]


def check_record_file(blocks: Callable[[], Iterable[str]], name: str) -> CheckedRecord:
    """The file checked whole, as `read_record_file` checks it and with its messages, read a
    block at a time: `blocks()` gives its text from the start, each time it is called."""
    spill = _Spill()
    try:
        with collecting_cycles_at_the_end():
            facts = _StreamedCheck(iter(blocks()), name, spill).run()
    except _ReadWhole:
        spill.close()
        text = "".join(blocks())
        return CheckedRecord.held(read_record_file(text, name))
    except BaseException:
        spill.close()
        raise
    return CheckedRecord(facts, spill.rows, spill)


class _Spill:
    """Checked records, pickled a batch at a time to a temporary file, and read back."""

    def __init__(self) -> None:
        # Closed by `close`, which the import's `CheckedRecord` calls.
        self.file = tempfile.TemporaryFile()  # noqa: SIM115
        self.where: dict[str, list[int]] = {section: [] for section in SECTIONS}

    def add(self, section: str, records: Sequence[Any]) -> None:
        self.where[section].append(self.file.tell())
        pickle.dump(_plain(section, records), self.file, protocol=pickle.HIGHEST_PROTOCOL)

    def rows(self, section: str) -> Iterator[list[tuple[Any, ...]]]:
        for offset in self.where[section]:
            self.file.seek(offset)
            yield pickle.load(self.file)

    def close(self) -> None:
        self.file.close()


def _plain(section: str, records: Sequence[Any]) -> list[tuple[Any, ...]]:
    """The records' values as tuples, in the order of their fields (bearings as tuples too):
    pickled many times quicker than the models."""
    values = _field_values(_SECTION_MODELS[section])
    rows = [values(record) for record in records]
    if section == "observations":
        last = len(ExportedObservation.model_fields) - 1  # bearings come last
        bearing = _field_values(ExportedBearing)
        rows = [(*row[:last], [bearing(b) for b in row[last]]) for row in rows]
    return rows


def _rebuilt(model: type[BaseModel], rows: list[tuple[Any, ...]]) -> list[Any]:
    """The records `_plain` made plain, as checked; built without checking them again."""
    names = tuple(model.model_fields)
    if model is not ExportedObservation:
        return [built(model, dict(zip(names, row, strict=True))) for row in rows]
    bearing_names = tuple(ExportedBearing.model_fields)
    # An archive's million bearings are a few thousand different ones: each is made once.
    bearings: dict[tuple[Any, ...], ExportedBearing] = {}
    records = []
    for row in rows:
        values = dict(zip(names, row, strict=True))
        listed = []
        for b in values["bearings"]:
            made = bearings.get(b)
            if made is None:
                made = bearings[b] = built(
                    ExportedBearing, dict(zip(bearing_names, b, strict=True))
                )
            listed.append(made)
        values["bearings"] = listed
        records.append(built(model, values))
    return records


def _field_values(model: type[BaseModel]) -> Callable[[Any], tuple[Any, ...]]:
    getter = operator.attrgetter(*model.model_fields)
    return getter  # type: ignore[no-any-return]


_SECTION_MODELS: dict[str, type[BaseModel]] = {
    "sets": ExportedSet,
    "observations": ExportedObservation,
    "retractions": ExportedRetraction,
    "assessments": ExportedAssessment,
    "issued_briefings": ExportedBriefing,
}


class _StreamedCheck:
    """One reading of a file laid out as tracker writes it (else `_ReadWhole`)."""

    def __init__(self, blocks: Iterator[str], name: str, spill: _Spill) -> None:
        self.blocks = blocks
        self.name = name
        self.spill = spill
        self.text = ""
        self.at = 0
        self.ended = False
        # The first few problems of each list, in order, and how many there are in all.
        self.problems: dict[str, list[str]] = {}
        self.problem_count = 0

    def run(self) -> RecordFacts:
        self.read_at_least(64)
        header = _HEADER.match(self.text, self.at)
        if header is None or int(header[1]) not in READABLE_VERSIONS:
            raise _ReadWhole
        self.at = header.end()
        facts = RecordFacts(int(header[1]), [])
        seen: set[str] = set()
        while True:
            self.read_at_least(64)
            start = _SECTION_START.match(self.text, self.at)
            if start is None or start[1] not in SECTIONS or start[1] in seen:
                raise _ReadWhole
            seen.add(start[1])
            self.at = start.end()
            self.check_list(start[1], facts)
            self.read_at_least(64)
            after = _AFTER_SECTION.match(self.text, self.at)
            if after is None:
                raise _ReadWhole
            self.at = after.end()
            if after[1] == "}":
                break
        if len(seen) < len(SECTIONS):
            raise _ReadWhole
        self.only_whitespace_follows()
        self.refuse_problems(facts)
        return facts

    def only_whitespace_follows(self) -> None:
        while True:
            self.read_at_least(_CHARS_PER_BATCH)
            if _ONLY_WHITESPACE.match(self.text, self.at) is None and (
                self.ended or self.text[self.at :].strip(" \t\n\r")
            ):
                raise _ReadWhole
            if self.ended:
                return
            self.at = len(self.text)

    def read_at_least(self, chars: int) -> None:
        """Have `chars` characters from `at` in `text`, unless the file ends first."""
        if len(self.text) - self.at >= chars or self.ended:
            return
        pieces = [self.text[self.at :]]
        held = len(pieces[0])
        while held < chars:
            block = next(self.blocks, None)
            if block is None:
                self.ended = True
                break
            pieces.append(block)
            held += len(block)
        self.text = "".join(pieces)
        self.at = 0

    def check_list(self, section: str, facts: RecordFacts) -> None:
        """Check the records of the list that starts at `at` (after its "["), a batch at a
        time, and leave `at` after its "]"."""
        self.read_at_least(64)
        empty = _EMPTY_LIST_END.match(self.text, self.at)
        if empty is not None:
            self.at = empty.end()
            return
        done = 0
        while True:
            self.read_at_least(_CHARS_PER_BATCH + len(_BETWEEN_RECORDS))
            batch, last = self.next_batch()
            done += self.check_batch(section, batch, done, facts)
            if last:
                return

    def next_batch(self) -> tuple[str, bool]:
        """The text of the next few thousand records, and whether they end the list."""
        while True:
            text, at = self.text, self.at
            end = text.find(_LIST_END, at)
            before = len(text) if end < 0 else end
            cut = text.rfind(_BETWEEN_RECORDS, at, min(at + _CHARS_PER_BATCH, before))
            if cut < 0:  # the list ends, or one record is longer than a batch
                cut = text.find(_BETWEEN_RECORDS, at, before)
            if cut >= 0:
                closed = cut + len("\n    }")
                self.at = closed + len(",")
                return text[at:closed], False
            if end >= 0:
                self.at = end + len(_LIST_END)
                return text[at:end], True
            if self.ended:
                raise _ReadWhole
            self.read_at_least(2 * (len(text) - at))

    def check_batch(self, section: str, batch: str, done: int, facts: RecordFacts) -> int:
        """Check a batch of `section`'s records, the `done`th record of it first; how many
        records it holds."""
        adapter = _field_adapter(section)
        try:
            records = adapter.validate_json(f"[{batch}]", context={"version": facts.version})
        except ValidationError as exc:
            errors = exc.errors()
            if any(e["type"] == "json_invalid" for e in errors) or not _is_json(f"[{batch}]"):
                raise _ReadWhole from None
            shown = self.problems.setdefault(section, [])
            for error in errors[: _SHOWN_PROBLEMS - len(shown)]:
                error["loc"] = (section, done + error["loc"][0], *error["loc"][1:])
                shown.append(_problem(error))
            self.problem_count += len(errors)
            return batch.count(_BETWEEN_RECORDS) + 1
        if not self.problem_count:
            facts.take(section, records)
            if section != "sets":
                self.spill.add(section, records)
        return len(records)

    def refuse_problems(self, facts: RecordFacts) -> None:
        """Refuse the file as `_read_step_by_step` would, had it read it whole."""
        if self.problem_count:
            listed = [p for section in SECTIONS for p in self.problems.get(section, [])]
            shown = listed[:_SHOWN_PROBLEMS]
            more = self.problem_count - len(shown)
            listing = "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
            raise inputs.InputError(f"{self.name} does not match the export format: {listing}")
        twice = facts.first_named_twice()
        if twice is not None:
            raise inputs.InputError(
                f"{self.name} does not match the export format: the file: {twice}"
            )


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


def record_file_schema() -> str:
    return json.dumps(RecordFile.model_json_schema(), indent=2, ensure_ascii=False)
