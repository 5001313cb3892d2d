"""Property: the status on any date equals a plain recomputation from the assessment history
(the latest assessment effective on or before that date, later-recorded winning ties), on each
engine, with a new database for every example."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import MakeTarget
from tracker.services.assessments import AssessmentDraft, assess_indicator
from tracker.services.clock import FixedClock
from tracker.services.observations import ObservationDraft, record_observation
from tracker.services.seeding import load_definitions, read_definitions
from tracker.services.status import status_as_of

START = date(2025, 12, 1)
BASELINE_DAY = 3
NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)

MINI_SET = f"""
[set]
slug = "mini"
title = "Mini"
description = "One indicator."
[[sources]]
id = "art"
title = "Article"
date = {START + timedelta(days=BASELINE_DAY)}
[[themes]]
key = "talks"
title = "Talks"
[[indicators]]
key = "watch"
theme = "talks"
title = "Watched"
question = "Q?"
moved_when = "M"
toward = "T"
away = "A"
actors = ["X"]
sources = [{{ source = "art", quote = "q" }}]
[indicators.baseline]
status = "unmoved"
confidence = "low"
date = {START + timedelta(days=BASELINE_DAY)}
rationale = "Baseline."
"""


@dataclass(frozen=True)
class Mark:
    day: int
    status: str
    direction: str | None
    confidence: str
    minutes_later: int  # recorded this long after the previous write; 0 = the same instant


marks = st.builds(
    Mark,
    day=st.integers(0, 30),
    status=st.sampled_from(["moved", "unmoved"]),
    direction=st.sampled_from(["toward", "away"]),
    confidence=st.sampled_from(["low", "medium", "high"]),
    minutes_later=st.integers(0, 3),
).map(
    lambda m: (
        m if m.status == "moved" else Mark(m.day, m.status, None, m.confidence, m.minutes_later)
    )
)


@settings(max_examples=40, deadline=None)
@given(
    history=st.lists(marks, max_size=8),
    observation_days=st.lists(st.integers(0, 30), max_size=5),
    asked=st.lists(st.integers(-2, 40), min_size=1, max_size=6),
)
def test_status_as_of_matches_a_plain_recomputation(
    engine: str,
    _targets: MakeTarget,
    tmp_path_factory: pytest.TempPathFactory,
    history: list[Mark],
    observation_days: list[int],
    asked: list[int],
) -> None:
    # Session-scoped makers only: a function-scoped database would be shared by the examples.
    folder = tmp_path_factory.mktemp("example")
    definition = Path(folder) / "mini.toml"
    definition.write_text(MINI_SET, encoding="utf-8")
    target = _targets(engine, folder, start="schema")
    try:
        db = target.open()
        try:
            moment = NOW - timedelta(days=1)
            load_definitions(db, read_definitions([definition]), FixedClock(moment))
            # (effective day, recorded at, order written, status, direction, confidence)
            expected = [(BASELINE_DAY, moment, 0, "unmoved", None, "low")]
            for order, mark in enumerate(history, start=1):
                moment += timedelta(minutes=mark.minutes_later)
                assess_indicator(
                    db,
                    AssessmentDraft(
                        indicator_key="watch",
                        status=mark.status,
                        direction=mark.direction,
                        confidence=mark.confidence,
                        rationale="Because.",
                        effective_on=(START + timedelta(days=mark.day)).isoformat(),
                        author="ana",
                    ),
                    FixedClock(moment),
                )
                expected.append(
                    (mark.day, moment, order, mark.status, mark.direction, mark.confidence)
                )
            for day in observation_days:
                record_observation(
                    db,
                    ObservationDraft(
                        bearings=[("watch", "none")],
                        summary="Seen.",
                        event_date=(START + timedelta(days=day)).isoformat(),
                        author="ana",
                    ),
                    FixedClock(NOW),
                )

            for offset in asked:
                on = START + timedelta(days=offset)
                (item,) = status_as_of(db, FixedClock(NOW), on).indicators
                effective = [e for e in expected if e[0] <= offset]
                latest = max(effective, key=lambda e: (e[0], e[1], e[2])) if effective else None
                seen = [d for d in observation_days if d <= offset]
                assert (item.status, item.direction, item.confidence) == (
                    (latest[3], latest[4], latest[5]) if latest else (None, None, None)
                )
                assert item.assessed_on == (START + timedelta(days=latest[0]) if latest else None)
                assert item.observation_count == len(seen)
                assert item.last_observation_on == (
                    START + timedelta(days=max(seen)) if seen else None
                )
        finally:
            db.close()
    finally:
        target.drop()
