"""The scale generator: a desk's years of work, made up, reproducibly, in a new database.

    python -m benchmarks.generate --db FILE_OR_URL [--size desk|archive]
        [--sets N] [--indicators N] [--observations N] [--assessments N] [--seed N]

What it writes, all from one seed (the same seed gives the same rows):
- N sets, each with five to eight themes and its share of the indicators;
- observations over three years, busier in some weeks than others, of one to four sentences
  in the bundled set's vocabulary (benchmarks/corpus.py). Each bears on one to four indicators
  of one set; busy sets and indicators get more. Most are sourced and graded; some carry a
  quote or a note. One in two hundred is retracted;
- per indicator a baseline, then assessments over the years in the order they were recorded,
  each citing observations of that indicator from before its date, each superseding the last.

Rows go in through SQLAlchemy Core in large batches, not through the services: the services'
rules (one analyst, one write) are what the benchmarks measure, not what builds the data. The
database must be new or empty; its schema is made by tracker itself. The sentences are written
in a second process while the first inserts.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import multiprocessing
import random
import sys
import time
import uuid
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

from sqlalchemy import event, insert, select

from benchmarks.corpus import Corpus
from tracker.storage.bulk_rows import RowWriter
from tracker.storage.database import Database, open_database
from tracker.storage.fulltext import indexed_at_the_end
from tracker.storage.models import (
    Assessment,
    AssessmentEvidence,
    Indicator,
    IndicatorSet,
    Observation,
    ObservationIndicator,
    Retraction,
    Theme,
)
from tracker.storage.month_counts import counted_at_the_end

END = date(2026, 11, 1)
DAYS = 3 * 365
START = END - timedelta(days=DAYS - 1)
BATCH = 10_000


@dataclass(frozen=True)
class Size:
    sets: int
    indicators: int
    observations: int
    assessments: int


SIZES = {
    "desk": Size(sets=20, indicators=1_000, observations=100_000, assessments=10_000),
    "archive": Size(sets=20, indicators=1_000, observations=1_000_000, assessments=100_000),
}

NEGOTIATIONS = [
    "Russia–Ukraine peace talks",
    "Black Sea grain corridor",
    "Sudan ceasefire talks",
    "Armenia–Azerbaijan peace treaty",
    "Gaza ceasefire and hostages",
    "Kosovo–Serbia normalisation",
    "Ethiopia–Tigray implementation",
    "DR Congo–Rwanda framework",
    "Yemen truce roadmap",
    "Venezuela electoral talks",
    "Cyprus reunification",
    "Korean peninsula dialogue",
    "Libya unified government",
    "Colombia ELN talks",
    "Western Sahara process",
    "Myanmar transition talks",
    "Iran nuclear file",
    "Transnistria settlement",
    "Georgia–Abkhazia talks",
    "Nagorno-Karabakh returns",
]
THEMES = [
    ("talks", "Talks and process"),
    ("territory", "Territory and lines"),
    ("security", "Security guarantees"),
    ("sanctions", "Sanctions and relief"),
    ("humanitarian", "Humanitarian"),
    ("prisoners", "Prisoners and detainees"),
    ("energy", "Energy and infrastructure"),
    ("recovery", "Reconstruction and money"),
]
PUBLISHERS = [
    "Reuters", "AP", "AFP", "BBC", "Financial Times", "The Guardian", "Kyiv Independent",
    "Meduza", "TASS", "Interfax", "Al Jazeera", "Le Monde", "Der Spiegel", "Politico Europe",
    "The Economist", "Bloomberg", "New York Times", "Washington Post", "Ukrainska Pravda",
    "RBC", "Kommersant", "UN OCHA", "OSCE", "ICRC", "ISW", "Crisis Group", "Chatham House",
]  # fmt: skip
AUTHORS = ["ana", "bo", "chen", "dara", "eli", "farah", "gus", "hana", "ivo", "jun"]
RELIABILITY = ["A", "B", "C", "D", "E", "F"]


def generate(db: Database, size: Size, seed: int, *, say: Any = print) -> dict[str, int]:
    """Fill an empty tracker database; the counts written, per table."""
    with db.reading() as session:
        if session.exec(select(IndicatorSet.id).limit(1)).first() is not None:  # type: ignore[call-overload]
            raise SystemExit(f"{db.describe()} already holds indicator sets: use a new database")
    if db.is_sqlite:
        # For this run's connections only: a cache that holds the indexes being filled, and no
        # waiting for the disk at each batch (a generator that dies is simply run again). The
        # file keeps tracker's own settings.
        event.listen(db.engine, "connect", _bulk_loading)
        db.engine.dispose()
    rng = random.Random(seed)
    corpus_seed = rng.getrandbits(64)
    corpus = Corpus(random.Random(corpus_seed))
    counts: dict[str, int] = {}
    started = time.perf_counter()
    indicators = _structure(db, size, corpus, rng, counts)
    say(f"sets, themes, indicators: {time.perf_counter() - started:.1f} s")

    days = _observation_days(_day_weights(rng), size.observations)
    per_indicator = _observations(db, size, corpus_seed, indicators, days, counts, say)
    say(f"observations: {time.perf_counter() - started:.1f} s")
    _assessments(db, size, corpus, rng, indicators, per_indicator, counts)
    say(f"assessments: {time.perf_counter() - started:.1f} s")
    _retractions(db, size, corpus, rng, days, counts)
    say(f"retractions: {time.perf_counter() - started:.1f} s")
    return counts


def _bulk_loading(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA cache_size = -262144")
    cursor.execute("PRAGMA synchronous = OFF")
    cursor.close()


# -- sets, themes, indicators -------------------------------------------------------------------


@dataclass
class Indicators:
    ids: list[int]  # in set order
    set_of: list[int]  # position in `ids` -> set number
    by_set: list[list[int]]  # set number -> positions in `ids`
    set_weights: list[float]
    indicator_weights: list[list[float]]  # per set, per indicator in it


def _structure(
    db: Database, size: Size, corpus: Corpus, rng: random.Random, counts: dict[str, int]
) -> Indicators:
    loaded_at = datetime.combine(START, clock_time(9), tzinfo=UTC)
    sets, themes, indicators = [], [], []
    set_of: list[int] = []
    by_set: list[list[int]] = []
    theme_id = indicator_id = 0
    per_set = _spread(size.indicators, size.sets)
    for number in range(size.sets):
        set_id = number + 1
        title = NEGOTIATIONS[number % len(NEGOTIATIONS)]
        if number >= len(NEGOTIATIONS):
            title += f" ({number // len(NEGOTIATIONS) + 1})"
        sets.append(
            {
                "id": set_id,
                "slug": f"generated-{set_id:02d}",
                "title": title,
                "description": corpus.paragraph(rng, 2),
                "sources": [],
                "definition_file": "(made by benchmarks/generate.py)",
                "loaded_at": loaded_at,
                "loaded_by": "generator",
            }
        )
        chosen = rng.sample(THEMES, rng.randint(5, 8))
        set_themes = []
        for position, (key, theme_title) in enumerate(chosen):
            theme_id += 1
            set_themes.append(theme_id)
            themes.append(
                {
                    "id": theme_id,
                    "set_id": set_id,
                    "key": key,
                    "title": theme_title,
                    "position": position,
                }
            )
        positions = []
        for position in range(per_set[number]):
            indicator_id += 1
            positions.append(len(indicators))
            set_of.append(number)
            theme = set_themes[position % len(set_themes)]
            indicators.append(
                {
                    "id": indicator_id,
                    "set_id": set_id,
                    "theme_id": theme,
                    "key": f"{chosen[position % len(chosen)][0]}-{position + 1}",
                    "title": corpus.title(rng),
                    "question": corpus.title(rng, 12).rstrip(".") + "?",
                    "moved_when": corpus.paragraph(rng, 1),
                    "toward_means": corpus.title(rng, 10),
                    "away_means": corpus.title(rng, 10),
                    "actors": rng.sample(["Russia", "Ukraine", "US", "EU", "UN", "Turkey"], 2),
                    "sources": [],
                    "position": position,
                    "retired_at": None,
                }
            )
        by_set.append(positions)
    with db.writing() as session:
        for table, rows in (
            (IndicatorSet, sets),
            (Theme, themes),
            (Indicator, indicators),
        ):
            session.connection().execute(insert(table.__table__), rows)
            counts[table.__tablename__] = len(rows)  # type: ignore[attr-defined]
    # Some negotiations, and some indicators in each, are far busier than others.
    set_weights = [1 / (n + 1) ** 0.8 for n in range(size.sets)]
    rng.shuffle(set_weights)
    indicator_weights = []
    for positions in by_set:
        weights = [1 / (n + 1) ** 0.8 for n in range(len(positions))]
        rng.shuffle(weights)
        indicator_weights.append(weights)
    return Indicators(
        ids=[row["id"] for row in indicators],
        set_of=set_of,
        by_set=by_set,
        set_weights=set_weights,
        indicator_weights=indicator_weights,
    )


def _spread(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if n < total % parts else 0) for n in range(parts)]


def _day_weights(rng: random.Random) -> list[float]:
    """How busy each day is: a weekday/weekend rhythm and bursts around rounds of talks."""
    weights = []
    burst = 0.0
    for day in range(DAYS):
        if rng.random() < 0.02:
            burst = rng.uniform(1.5, 4.0)
        burst = max(0.0, burst * 0.85)
        weekend = (START + timedelta(days=day)).weekday() >= 5
        weights.append((0.4 if weekend else 1.0) * (1.0 + burst))
    return weights


# -- observations, in a second process ----------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    corpus_seed: int  # the sentences every batch draws on
    first_id: int
    count: int
    days: tuple[int, ...]  # each observation's day, as an offset from START, in id order
    indicators: Indicators


def _observation_days(day_weights: list[float], count: int) -> list[int]:
    """Each observation's day (from START), in id order: ids rise with the event date, the
    n-th of M falling on the day by which n/M of the three years' weight has gone by."""
    cumulative = list(itertools.accumulate(day_weights))
    total = cumulative[-1]
    return [bisect.bisect_left(cumulative, (n + 0.5) * total / count) for n in range(count)]


_BEARING_COLUMNS = ("observation_id", "indicator_id", "bearing", "event_date")


def _observations(
    db: Database,
    size: Size,
    corpus_seed: int,
    indicators: Indicators,
    days: list[int],
    counts: dict[str, int],
    say: Any,
) -> list[tuple[array[int], array[int]]]:
    """Write the observations and their bearings; per indicator, (observation ids, days)."""
    jobs = [
        _Job(
            corpus_seed=corpus_seed,
            first_id=first + 1,
            count=min(BATCH, size.observations - first),
            days=tuple(days[first : first + BATCH]),
            indicators=indicators,
        )
        for first in range(0, size.observations, BATCH)
    ]
    per_indicator: list[tuple[array[int], array[int]]] = [
        (array("q"), array("l")) for _ in indicators.ids
    ]
    counts["observation"] = counts["observation_indicator"] = 0
    context = multiprocessing.get_context("spawn")
    # One transaction: a generator stopped half-way leaves an empty database, not half a one.
    with context.Pool(1) as pool, db.writing() as session:
        connection = session.connection()
        # The bearings go as tracker's import writes them: on PostgreSQL, thousands of rows a
        # statement, so the month counts' trigger runs once for each statement, not each row.
        bearing_rows = RowWriter(connection, ObservationIndicator.__table__, _BEARING_COLUMNS)
        with indexed_at_the_end(connection), counted_at_the_end(connection):
            for done, (observations, links) in enumerate(pool.imap(_write_batch, jobs), 1):
                connection.execute(insert(Observation.__table__), observations)
                bearing_rows.write([[link[c] for c in _BEARING_COLUMNS] for link in links])
                counts["observation"] += len(observations)
                counts["observation_indicator"] += len(links)
                for link in links:
                    ids, link_days = per_indicator[link["indicator_id"] - 1]
                    ids.append(link["observation_id"])
                    link_days.append((link["event_date"] - START).days)
                if done % 10 == 0:
                    say(f"  {counts['observation']:,} observations")
            say("  indexing them for search")
    return per_indicator


_CORPUS: dict[int, Corpus] = {}  # in the process that writes the sentences, made once


def _write_batch(job: _Job) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    # Each batch's own generator, so the rows do not depend on which process writes them.
    rng = random.Random(f"{job.corpus_seed}:{job.first_id}")
    if job.corpus_seed not in _CORPUS:
        _CORPUS[job.corpus_seed] = Corpus(random.Random(job.corpus_seed))
    corpus = _CORPUS[job.corpus_seed]
    observations: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    sizes = (1, 2, 3, 4)
    size_weights = (50, 30, 15, 5)
    bearings = ("toward", "away", "none")
    set_numbers = range(len(job.indicators.by_set))
    for n in range(job.count):
        observation_id = job.first_id + n
        day = START + timedelta(days=job.days[n])
        recorded = datetime.combine(day, clock_time(0), tzinfo=UTC) + timedelta(
            seconds=rng.randrange(3 * 86_400)
        )
        unsourced = rng.random() < 0.03
        publisher = None if unsourced else rng.choice(PUBLISHERS)
        observations.append(
            {
                "id": observation_id,
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "event_date": day,
                "recorded_at": recorded,
                "summary": corpus.paragraph(rng, rng.choice(sizes)),
                "quote": f"“{rng.choice(corpus.sentences)}”" if rng.random() < 0.3 else None,
                "note": corpus.paragraph(rng, 1) if rng.random() < 0.1 else None,
                "source_title": None if unsourced else corpus.title(rng, rng.randint(4, 9)),
                "source_publisher": publisher,
                "source_url": (
                    f"https://news.example/{observation_id}"
                    if publisher and rng.random() < 0.5
                    else None
                ),
                "source_date": None if unsourced else day,
                "unsourced": unsourced,
                "reliability": None if unsourced else rng.choice(RELIABILITY),
                "credibility": None if unsourced else rng.randint(1, 6),
                "author": rng.choice(AUTHORS),
            }
        )
        set_number = rng.choices(set_numbers, job.indicators.set_weights)[0]
        positions = job.indicators.by_set[set_number]
        weights = job.indicators.indicator_weights[set_number]
        wanted = min(rng.choices(sizes, size_weights)[0], len(positions))
        chosen: set[int] = set()
        while len(chosen) < wanted:
            chosen.add(rng.choices(positions, weights)[0])
        for position in sorted(chosen):
            links.append(
                {
                    "observation_id": observation_id,
                    "indicator_id": job.indicators.ids[position],
                    "bearing": rng.choice(bearings),
                    "event_date": day,
                }
            )
    return observations, links


# -- assessments and retractions ----------------------------------------------------------------


def _assessments(
    db: Database,
    size: Size,
    corpus: Corpus,
    rng: random.Random,
    indicators: Indicators,
    per_indicator: list[tuple[array[int], array[int]]],
    counts: dict[str, int],
) -> None:
    """A baseline per indicator, then the rest shared out by how busy each indicator is."""
    activity = [len(ids) + 1 for ids, _ in per_indicator]
    later = max(0, size.assessments - len(indicators.ids))
    shares = [0] * len(indicators.ids)
    for position in rng.choices(range(len(indicators.ids)), activity, k=later):
        shares[position] += 1
    assessment_id = 0
    rows: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    statuses = ("moved", "unmoved")
    for position, indicator_id in enumerate(indicators.ids):
        ids, days = per_indicator[position]
        previous: int | None = None
        offsets = sorted(rng.randrange(1, DAYS) for _ in range(shares[position]))
        for number, offset in enumerate([0, *offsets]):
            assessment_id += 1
            status = "unmoved" if number == 0 else rng.choice(statuses)
            effective = START + timedelta(days=offset)
            rows.append(
                {
                    "id": assessment_id,
                    "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "indicator_id": indicator_id,
                    "status": status,
                    "direction": rng.choice(("toward", "away")) if status == "moved" else None,
                    "confidence": rng.choice(("low", "medium", "high")),
                    "rationale": "Baseline." if number == 0 else corpus.paragraph(rng, 2),
                    "author": "generator" if number == 0 else rng.choice(AUTHORS),
                    "effective_on": effective,
                    "recorded_at": datetime.combine(effective, clock_time(17), tzinfo=UTC)
                    + timedelta(seconds=number),
                    "supersedes_id": previous,
                }
            )
            previous = assessment_id
            seen = bisect.bisect_right(days, offset)
            if number and seen:
                for cited in set(rng.choices(ids[max(0, seen - 50) : seen], k=rng.randint(1, 3))):
                    evidence.append({"assessment_id": assessment_id, "observation_id": cited})
    with db.writing() as session:
        for batch in _batches(rows):
            session.connection().execute(insert(Assessment.__table__), batch)
        for batch in _batches(evidence):
            session.connection().execute(insert(AssessmentEvidence.__table__), batch)
    counts["assessment"] = len(rows)
    counts["assessment_evidence"] = len(evidence)


def _retractions(
    db: Database,
    size: Size,
    corpus: Corpus,
    rng: random.Random,
    days: list[int],
    counts: dict[str, int],
) -> None:
    """One observation in two hundred withdrawn, days to weeks after it was logged."""
    chosen = sorted(rng.sample(range(1, size.observations + 1), size.observations // 200))
    rows = []
    for number, observation_id in enumerate(chosen, start=1):
        logged = START + timedelta(days=days[observation_id - 1])
        rows.append(
            {
                "id": number,
                "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "observation_id": observation_id,
                "reason": corpus.paragraph(rng, 1),
                "author": rng.choice(AUTHORS),
                "recorded_at": datetime.combine(logged, clock_time(12), tzinfo=UTC)
                + timedelta(days=rng.randint(4, 30)),
            }
        )
    with db.writing() as session:
        for batch in _batches(rows):
            session.connection().execute(insert(Retraction.__table__), batch)
    counts["retraction"] = len(rows)


def _batches(items: list[Any]) -> Iterator[list[Any]]:
    for first in range(0, len(items), BATCH):
        yield items[first : first + BATCH]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__)
    parser.add_argument("--db", required=True, help="a new SQLite file or PostgreSQL URL")
    parser.add_argument("--size", choices=sorted(SIZES), default="desk")
    parser.add_argument("--sets", type=int)
    parser.add_argument("--indicators", type=int)
    parser.add_argument("--observations", type=int)
    parser.add_argument("--assessments", type=int)
    parser.add_argument("--seed", type=int, default=20251222)
    arguments = parser.parse_args(argv)
    preset = SIZES[arguments.size]
    size = Size(
        sets=arguments.sets or preset.sets,
        indicators=arguments.indicators or preset.indicators,
        observations=arguments.observations
        if arguments.observations is not None
        else preset.observations,
        assessments=arguments.assessments
        if arguments.assessments is not None
        else preset.assessments,
    )
    if size.indicators < size.sets or size.sets < 1:
        parser.error("need at least one set, and an indicator per set")
    started = time.perf_counter()
    db = open_database(arguments.db)
    try:
        counts = generate(db, size, arguments.seed, say=lambda line: print(line, file=sys.stderr))
    finally:
        db.close()
    print(
        ", ".join(f"{count:,} {table}" for table, count in counts.items())
        + f" in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
