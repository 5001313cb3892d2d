"""Reading one indicator-set file, or refusing it with one message that names the file, the
place (line and item) and the problem."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tracker.definitions.schema import IndicatorSetDefinition
from tracker.errors import TrackerError


class DefinitionError(TrackerError):
    """An indicator-set file that cannot be loaded. Nothing was written."""


@dataclass(frozen=True)
class LoadedDefinition:
    path: Path
    definition: IndicatorSetDefinition


def read_definition_file(path: Path) -> LoadedDefinition:
    try:
        raw_text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise DefinitionError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot read it: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw_text)
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(_toml_problem(path, raw_text, exc)) from None
    locator = _Locator(raw_text.splitlines())
    try:
        definition = IndicatorSetDefinition.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        error = _most_telling(errors)
        message, explained = _describe(error, errors)
        raise DefinitionError(
            f"{locator.place(path, tuple(error['loc']), data)}: {message}"
            + _more(len(errors) - explained)
        ) from None
    problem = _cross_reference_problem(definition, locator)
    if problem is not None:
        loc, message = problem
        raise DefinitionError(f"{locator.place(path, loc, data)}: {message}")
    return LoadedDefinition(path=path, definition=definition)


_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_DATE_LIKE = re.compile(r"=\s*(\d{4}-\d{2}-\d{2})\b")


def _toml_problem(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> str:
    """`file:line: not valid TOML: reason`, with the offending line quoted."""
    message = str(exc)
    position = _TOML_POSITION.search(message)
    if position is None:
        return f"{path}: not valid TOML: {message}"
    line_number = int(position.group(1))
    reason = _TOML_POSITION.sub("", message).strip()
    lines = text.splitlines()
    line = lines[line_number - 1].strip() if 0 < line_number <= len(lines) else ""
    date_like = _DATE_LIKE.search(line)
    if date_like is not None:
        try:
            date.fromisoformat(date_like.group(1))
        except ValueError:
            return f"{path}:{line_number}: '{date_like.group(1)}' is not a real date (YYYY-MM-DD)"
    shown = line if len(line) <= 80 else line[:77] + "..."
    return f"{path}:{line_number}: not valid TOML ({reason}, column {position.group(2)}): {shown}"


def _most_telling(errors: list[Any]) -> Any:
    """A misspelt field shows up as a missing field plus an unknown one; the unknown one is
    what the editor typed, so report it first."""
    ranked = {"extra_forbidden": 0, "missing": 2}
    return min(errors, key=lambda error: ranked.get(error["type"], 1))


def _describe(error: Any, errors: list[Any]) -> tuple[str, int]:
    """The message for one error, and how many of `errors` it accounts for."""
    field = _shown(error["loc"][-1]) if error["loc"] else "file"
    kind = error["type"]
    given = error.get("input")
    if kind == "extra_forbidden":
        missing = [
            str(other["loc"][-1])
            for other in errors
            if other["type"] == "missing" and other["loc"][:-1] == error["loc"][:-1]
        ]
        close = difflib.get_close_matches(str(field), missing, n=1)
        if close:
            # The misspelling also made the real field "missing": one problem, not two.
            return (
                f"'{field}' is not a field this file can have; did you mean '{_shown(close[0])}'?",
                2,
            )
        return f"'{field}' is not a field this file can have (misspelt?)", 1
    if kind == "missing":
        message = f"'{field}' is missing"
    elif kind.startswith(("date_", "datetime_")):
        message = f"'{field}' must be a date written YYYY-MM-DD, not {given!r}"
    elif kind == "string_pattern_mismatch" and field == "reliability":
        message = f"'{field}' must be one Admiralty reliability grade, A to F, not {given!r}"
    elif kind == "string_pattern_mismatch":
        message = (
            f"'{field}' must be a key of lower-case letters, digits and single hyphens, "
            f"not {given!r}"
        )
    elif kind == "enum":
        message = f"'{field}': {given!r} is not allowed; {error['msg'].lower()}"
    else:
        message = f"'{field}': " + str(error["msg"]).removeprefix("Value error, ")
    return message, 1


def _more(unexplained: int) -> str:
    if unexplained <= 0:
        return ""
    other = "problem" if unexplained == 1 else "problems"
    return f" (and {unexplained} other {other} in the file)"


def _duplicates(values: list[str]) -> set[str]:
    return {value for value, count in Counter(values).items() if count > 1}


def _cross_reference_problem(
    definition: IndicatorSetDefinition, locator: _Locator
) -> tuple[tuple[Any, ...], str] | None:
    """The first reference in the file that points nowhere, or a key used twice."""
    for section, keys, field in (
        ("sources", [s.id for s in definition.sources], "id"),
        ("themes", [t.key for t in definition.themes], "key"),
        ("indicators", [i.key for i in definition.indicators], "key"),
        ("observations", [o.ref for o in definition.observations], "ref"),
    ):
        for repeated in _duplicates(keys):
            first, second = [i for i, key in enumerate(keys) if key == repeated][:2]
            first_line = locator.line((section, first, field))
            where = f" (first used at line {first_line})" if first_line else ""
            return (section, second, field), f"duplicate {field} '{repeated}'{where}"

    source_ids = {source.id for source in definition.sources}
    theme_keys = {theme.key for theme in definition.themes}
    indicator_keys = {indicator.key for indicator in definition.indicators}
    for i, indicator in enumerate(definition.indicators):
        if indicator.theme not in theme_keys:
            return ("indicators", i, "theme"), (
                f"unknown theme '{indicator.theme}' (themes are: {', '.join(sorted(theme_keys))})"
            )
        for j, citation in enumerate(indicator.sources):
            if citation.source not in source_ids:
                return ("indicators", i, "sources", j, "source"), (
                    f"unknown source '{citation.source}'"
                )
    for i, observation in enumerate(definition.observations):
        if observation.source not in source_ids:
            return ("observations", i, "source"), f"unknown source '{observation.source}'"
        for key in observation.bears_on:
            if key not in indicator_keys:
                return ("observations", i, "bears_on"), f"unknown indicator '{key}'"
    return None


class _Locator:
    """Finds the line in the file a validation error points at.

    tomllib keeps no positions, so this reads the text: the n-th `[[section]]` header, then the
    field's `name =` line (or `[section.name]` sub-table) within that item.
    """

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def place(self, path: Path, loc: tuple[Any, ...], data: dict[str, Any]) -> str:
        line = self.line(loc)
        where = f"{path}:{line}" if line else str(path)
        return f"{where}: {self._item(loc, data)}"

    def _item(self, loc: tuple[Any, ...], data: dict[str, Any]) -> str:
        if len(loc) >= 2 and isinstance(loc[0], str) and isinstance(loc[1], int):
            section, index = loc[0], loc[1]
            entries = data.get(section)
            entry = entries[index] if isinstance(entries, list) and index < len(entries) else {}
            name = None
            if isinstance(entry, dict):
                name = entry.get("key") or entry.get("ref") or entry.get("id")
            singular = section.removesuffix("s")
            label = (
                f"{singular} '{_shown(name)}'"
                if isinstance(name, str)
                else f"{singular} #{index + 1}"
            )
            return f"in {label}"
        if loc:
            return f"in [{_shown(loc[0])}]"
        return "at the top level"

    def line(self, loc: tuple[Any, ...]) -> int | None:
        if not loc or not isinstance(loc[0], str):
            return None
        section = loc[0]
        if len(loc) >= 2 and isinstance(loc[1], int):
            start = self._nth_header(f"[[{section}]]", loc[1])
            rest = loc[2:]
        else:
            start = self._nth_header(f"[{section}]", 0)
            rest = loc[1:]
        if start is None:
            return None
        end = self._item_end(start)
        found = start
        prefix = section
        for part in rest:
            if not isinstance(part, str):
                break
            sub = self._find(rf"^\s*\[{re.escape(prefix)}\.{re.escape(part)}\]", found, end)
            key = self._find(rf"^\s*{re.escape(part)}\s*=", found, end)
            if sub is not None:
                found, prefix = sub, f"{prefix}.{part}"
            elif key is not None:
                found = key
                break
            else:
                break
        return found + 1

    def _nth_header(self, header: str, n: int) -> int | None:
        seen = 0
        for number, line in enumerate(self.lines):
            if line.strip().replace(" ", "") == header:
                if seen == n:
                    return number
                seen += 1
        return None

    def _item_end(self, start: int) -> int:
        for number in range(start + 1, len(self.lines)):
            if self.lines[number].lstrip().startswith("[["):
                return number
        return len(self.lines)

    def _find(self, pattern: str, start: int, end: int) -> int | None:
        regex = re.compile(pattern)
        for number in range(start, end):
            if regex.match(self.lines[number]):
                return number
        return None


def _shown(text: object) -> str:
    """Text from the file, quoted in a message: line breaks and other control characters are
    written as escapes, so one problem stays one line."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(text)
    )
