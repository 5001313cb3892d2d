"""What an indicator-set file must hold, as validating models.

The file is TOML (see indicators/*.toml for a full example). Field names here are the names in
the file; `extra="forbid"` makes a misspelt field an error instead of silently ignored text.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from tracker.vocabulary import Bearing, Confidence, Direction, Status

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=100),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Reliability = Annotated[str, StringConstraints(pattern=r"^[A-F]$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SetInfo(_Strict):
    slug: Slug
    title: Text
    description: Text


class SourceDefinition(_Strict):
    """An article or report the set was built from."""

    id: Slug
    title: Text
    publisher: Text | None = None
    date: date
    file: Text | None = None
    url: Text | None = None


class ThemeDefinition(_Strict):
    key: Slug
    title: Text


class Citation(_Strict):
    """A sentence an indicator rests on, quoted from one of the set's sources."""

    source: Slug
    quote: Text


class BaselineDefinition(_Strict):
    status: Status
    direction: Direction | None = None
    confidence: Confidence
    date: date
    rationale: Text

    @model_validator(mode="after")
    def _direction_only_when_moved(self) -> Self:
        if self.status is Status.MOVED and self.direction is None:
            raise ValueError("a moved baseline needs a direction (toward or away)")
        if self.status is Status.UNMOVED and self.direction is not None:
            raise ValueError("an unmoved baseline has no direction")
        return self


class IndicatorDefinition(_Strict):
    key: Slug
    theme: Slug
    title: Text
    question: Text
    moved_when: Text
    toward: Text
    away: Text
    actors: list[Text] = Field(min_length=1)
    sources: list[Citation] = Field(min_length=1)
    baseline: BaselineDefinition


class ObservationDefinition(_Strict):
    """A dated fact reported by a source, seeded once as an observation.

    `ref` names it within the set, so loading the file again recognises it.
    """

    ref: Slug
    date: date
    summary: Text
    quote: Text | None = None
    note: Text | None = None
    source: Slug
    reliability: Reliability | None = None
    credibility: int | None = Field(default=None, ge=1, le=6)
    bears_on: dict[Slug, Bearing] = Field(min_length=1)


class IndicatorSetDefinition(_Strict):
    set: SetInfo
    sources: list[SourceDefinition] = Field(min_length=1)
    themes: list[ThemeDefinition] = Field(min_length=1)
    indicators: list[IndicatorDefinition] = Field(min_length=1)
    observations: list[ObservationDefinition] = Field(default_factory=list)
