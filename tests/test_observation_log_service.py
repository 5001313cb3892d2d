"""The services behind the app's observation log, as-of indicator file and change detection."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from tests.conftest import BUNDLED_SET, FIXED_NOW, DbTarget
from tracker.definitions.reader import read_definition_file
from tracker.services import observation_log
from tracker.services.changes import record_version
from tracker.services.clock import FixedClock
from tracker.services.history import indicator_history
from tracker.services.inputs import InputError
from tracker.services.observation_log import (
    ObservationQuery,
    count_log,
    read_log,
    search_observations,
    search_terms,
)
from tracker.services.observations import ObservationDraft, record_observation
from tracker.services.retractions import retract_observation
from tracker.services.seeding import load_definitions
from tracker.services.status import point_in_time
from tracker.storage.database import Database
from tracker.storage.fulltext import SearchTerm


def _observe(db: Database, clock: FixedClock, summary: str, **fields: object) -> str:
    draft = ObservationDraft(
        bearings=[("miami-talks", "toward")],
        summary=summary,
        **fields,  # type: ignore[arg-type]
    )
    return record_observation(db, draft, clock).id


def test_search_terms_keep_quoted_phrases_whole() -> None:
    assert search_terms('Umerov "joint statement"  MIAMI negot* "peace pl"* % Kyiv’s') == [
        SearchTerm(("umerov",)),
        SearchTerm(("joint", "statement")),
        SearchTerm(("miami",)),
        SearchTerm(("negot",), prefix=True),
        SearchTerm(("peace", "pl"), prefix=True),
        SearchTerm(("kyiv", "s")),
    ]


def test_search_matches_every_word_in_any_text_field(
    seeded_db: Database, clock: FixedClock
) -> None:
    wanted = _observe(seeded_db, clock, "Umerov met envoys", quote="a Productive round")
    _observe(seeded_db, clock, "Umerov stayed home")
    page = search_observations(seeded_db, ObservationQuery(text="umerov PRODUCTIVE"))
    assert [logged.entry.id for logged in page.entries] == [wanted]
    assert page.total == 1
    assert page.entries[0].bearings == (("miami-talks", "toward"),)


def test_search_treats_percent_and_underscore_literally(
    seeded_db: Database, clock: FixedClock
) -> None:
    wanted = _observe(seeded_db, clock, "Turnout was 100% in_region")
    _observe(seeded_db, clock, "Turnout was 1000 in region")
    page = search_observations(seeded_db, ObservationQuery(text="100% in_"))
    assert [logged.entry.id for logged in page.entries] == [wanted]


def test_search_filters_combine(seeded_db: Database, clock: FixedClock) -> None:
    _observe(
        seeded_db, clock, "graded", reliability="B", credibility="2", event_date="2025-12-20",
        author="ana",
    )  # fmt: skip
    _observe(seeded_db, clock, "graded too", reliability="B", credibility="3", author="ana")
    _observe(seeded_db, clock, "by someone else", reliability="B", credibility="2", author="bo")
    query = ObservationQuery(reliability="B", credibility=2, since=date(2025, 12, 20), author="ana")
    page = search_observations(seeded_db, query)
    assert [logged.entry.summary for logged in page.entries] == ["graded"]
    later = ObservationQuery(reliability="B", credibility=2, since=date(2025, 12, 21), author="ana")
    assert search_observations(seeded_db, later).total == 0


def test_search_pages_newest_first(seeded_db: Database, clock: FixedClock) -> None:
    everything = search_observations(seeded_db, ObservationQuery(), limit=1000)
    first = search_observations(seeded_db, ObservationQuery(), limit=7)
    second = search_observations(seeded_db, ObservationQuery(), offset=7, limit=7)
    assert first.total == second.total == len(everything.entries) == 20
    assert [e.entry.id for e in first.entries + second.entries] == [
        e.entry.id for e in everything.entries[:14]
    ]
    dates = [e.entry.event_date for e in everything.entries]
    assert dates == sorted(dates, reverse=True)


def test_search_by_indicator(seeded_db: Database) -> None:
    page = search_observations(seeded_db, ObservationQuery(indicator_key="miami-talks"))
    history = indicator_history(seeded_db, "miami-talks")
    assert {e.entry.id for e in page.entries} == {o.id for o in history.observations}


def test_history_as_of_shows_only_what_was_known_that_day(
    seeded_db: Database, clock: FixedClock
) -> None:
    later = _observe(seeded_db, clock, "after the tenth", event_date="2025-12-21")
    earlier = _observe(seeded_db, clock, "before the tenth", event_date="2025-12-08")
    retract_observation(seeded_db, earlier, "withdrawn", clock)
    past = indicator_history(seeded_db, "miami-talks", as_of=point_in_time(clock, "2025-12-10"))
    shown = {o.id: o for o in past.observations}
    assert later not in shown
    # Retracted on 22 December: on the 10th it still counted.
    assert shown[earlier].retraction is None
    assert all(a.effective_on <= date(2025, 12, 10) for a in past.assessments)
    now = indicator_history(seeded_db, "miami-talks")
    assert {o.id: o for o in now.observations}[earlier].retraction is not None


def test_record_version_notices_a_write_from_another_connection(
    seeded_db: Database, db_target: DbTarget, clock: FixedClock
) -> None:
    before = record_version(seeded_db)
    other = db_target.open()
    try:
        _observe(other, clock, "written by a colleague")
    finally:
        other.close()
    assert record_version(seeded_db) != before


def test_input_errors_name_the_field_at_fault(seeded_db: Database, clock: FixedClock) -> None:
    with pytest.raises(InputError) as caught:
        _observe(seeded_db, clock, "dated badly", event_date="2025-13-40")
    assert caught.value.field == "event_date"
    with pytest.raises(InputError) as caught:
        _observe(seeded_db, clock, "   ")
    assert caught.value.field == "summary"


def test_search_ignores_case_beyond_ascii(seeded_db: Database, clock: FixedClock) -> None:
    wanted = _observe(seeded_db, clock, "Переговори у МАЯМІ тривають")
    for typed in ["маямі", "Маямі", "ПЕРЕГОВОРИ"]:
        page = search_observations(seeded_db, ObservationQuery(text=typed))
        assert [logged.entry.id for logged in page.entries] == [wanted], typed


def test_log_as_of_a_date_follows_the_status_rules(seeded_db: Database, clock: FixedClock) -> None:
    later = _observe(seeded_db, clock, "dated after the day", event_date="2025-12-21")
    earlier = _observe(seeded_db, clock, "retracted after the day", event_date="2025-12-15")
    retract_observation(seeded_db, earlier, "withdrawn", clock)
    past = search_observations(
        seeded_db, ObservationQuery(as_of=point_in_time(clock, "2025-12-18"))
    )
    shown = {logged.entry.id: logged.entry for logged in past.entries}
    assert later not in shown
    assert shown[earlier].retraction is None
    assert all(entry.event_date <= date(2025, 12, 18) for entry in shown.values())
    now = search_observations(seeded_db, ObservationQuery(text="retracted after"))
    assert now.entries[0].entry.retraction is not None


# --- full-text search: the same answers on both engines ----------------------------------------

# Recorded in this order, all on the same day at the same moment, so the log lists them newest
# first: in the reverse of this order.
CORPUS: dict[str, dict[str, str]] = {
    "productive": {
        "summary": "Umerov met Witkoff in Miami; talks were productive",
        "source_publisher": "Ukrinform",
    },
    "negotiations": {
        "summary": "Negotiations resumed after a pause",
        "quote": "The negotiators agreed to meet again",
    },
    "negotiated": {"summary": "A negotiated settlement is still far off"},
    "negative": {"summary": "The Kremlin gave a negative answer"},
    "joint-statement": {"summary": "Both sides issued a joint statement on prisoners"},
    "statement-joint": {"summary": "The statement was not joint: each side issued its own"},
    "cyrillic-uk": {"summary": "Переговори у МАЯМІ тривають", "note": "Умєров: «Конструктивно»"},
    "cyrillic-ru": {"summary": "ПЕРЕГОВОРЫ в Женеве", "source_title": "Коммерсантъ"},
    "kyivs-curly": {"summary": "Kyiv’s position hardened"},
    "kyivs-straight": {"summary": "Kyiv's delegation left early"},
    "domain": {
        "summary": "Wire report",
        "source_publisher": "reuters.com",
        "source_title": "talks-in-geneva_update 2025-12-02",
    },
    "joined": {"summary": "An e-mail from the U.S. envoy (envoy@state.gov) on the ceasefire-line"},
    "hostile": {
        "summary": 'He said "no" — [bold]NOT[/bold] AND/OR (near) C:\\path\\to\\file; '
        "DROP TABLE observation; --",
        "quote": "100% * & | ! ' \" \\ : ^ ~ <-> $$",
    },
}
EVERYTHING = "everything"  # no word to search for: the log unfiltered

SEARCHES: list[tuple[str, list[str] | str]] = [
    # Whole words, any case, in any of the searched fields; no stemming.
    ("umerov", ["productive"]),
    ("UMEROV productive", ["productive"]),
    ("ukrinform", ["productive"]),
    ("negotiation", []),
    ("talk", []),
    ("talks", ["domain", "productive"]),
    ("negotiators", ["negotiations"]),
    # Phrases: the words next to each other, in order.
    ('"joint statement"', ["joint-statement"]),
    ("joint statement", ["statement-joint", "joint-statement"]),
    ('"statement joint"', []),
    ('"JOINT statement" prisoners', ["joint-statement"]),
    ('"joint stat"*', ["joint-statement"]),
    # Prefixes.
    ("negot*", ["negotiated", "negotiations"]),
    ("NEGOT*", ["negotiated", "negotiations"]),
    ("nego* settle*", ["negotiated"]),
    ("neg*", ["negative", "negotiated", "negotiations"]),
    ("negot*ions", []),
    ("перегов*", ["cyrillic-ru", "cyrillic-uk"]),
    # Cyrillic, any case.
    ("маямі", ["cyrillic-uk"]),
    ("Маямі", ["cyrillic-uk"]),
    ("МАЯМІ", ["cyrillic-uk"]),
    ("ПЕРЕГОВОРИ", ["cyrillic-uk"]),
    ("переговоры", ["cyrillic-ru"]),
    ("умєров конструктивно", ["cyrillic-uk"]),
    ("коммерсантъ женеве", ["cyrillic-ru"]),
    # Words joined by punctuation are found one by one, and as the phrase they make.
    ("reuters", ["domain"]),
    ("reuters.com", ["domain"]),
    ("REUTERS.COM", ["domain"]),
    ("com", ["domain"]),
    ("geneva", ["domain"]),
    ("update", ["domain"]),
    ("2025", ["domain"]),
    ("2025-12-02", ["domain"]),
    ("kyiv", ["kyivs-straight", "kyivs-curly"]),
    ("Kyiv’s", ["kyivs-straight", "kyivs-curly"]),
    ("kyiv's position", ["kyivs-curly"]),
    ("kyivs", []),
    ("mail", ["joined"]),
    ("e-mail", ["joined"]),
    ("U.S.", ["joined"]),
    ("state", ["joined"]),
    ("envoy@state.gov", ["joined"]),
    ("ceasefire", ["joined"]),
    ("ceasefire-line", ["joined"]),
    # Hostile input: no character reaches either engine's query syntax. Operators are words...
    ("AND OR NOT NEAR", ["hostile"]),
    ("NOT umerov", []),
    ("umerov OR negotiations", []),
    ("NEAR(joint statement)", []),
    ("summary:umerov", []),
    ("umerov & miami", ["productive"]),
    ("umerov | nothing", []),
    ("!umerov", ["productive"]),
    ("-umerov", ["productive"]),
    ("^umerov", ["productive"]),
    ("(umerov)", ["productive"]),
    ("umerov:", ["productive"]),
    ("umerov:*", ["productive"]),
    ("*umerov*", ["productive"]),
    ('"joint statement', ["statement-joint", "joint-statement"]),
    ('""umerov""', ["productive"]),
    ("\\umerov\\", ["productive"]),
    ("C:\\path\\to\\file", ["hostile"]),
    ("'; DROP TABLE observation; --", ["hostile"]),
    ("' OR 1=1 --", []),
    ("umerov' OR '1'='1", []),
    ("100%", ["hostile"]),
    ("umerov\x00", ["productive"]),
    ("x" * 3000, []),
    ("umerov " * 500, ["productive"]),
    # ...and what holds no letter or digit searches for nothing: the log is not filtered.
    ('"', EVERYTHING),
    ('""', EVERYTHING),
    ("*", EVERYTHING),
    ("**", EVERYTHING),
    ('"*', EVERYTHING),
    ("(", EVERYTHING),
    ("()", EVERYTHING),
    (":", EVERYTHING),
    ("&|!", EVERYTHING),
    ("& | !", EVERYTHING),
    ("\\", EVERYTHING),
    ("\\\\", EVERYTHING),
    ("'", EVERYTHING),
    ("%", EVERYTHING),
    ("_", EVERYTHING),
    ("<->", EVERYTHING),
    ("$$", EVERYTHING),
    ("\x00", EVERYTHING),
    ("  ", EVERYTHING),
]


@pytest.fixture
def bare_db(db: Database, clock: FixedClock) -> Database:
    """The bundled set loaded without its seeded observations: only what a test records."""
    loaded = read_definition_file(BUNDLED_SET)
    bare = loaded.definition.model_copy(update={"observations": []})
    load_definitions(db, [replace(loaded, definition=bare)], clock)
    return db


def _record_corpus(db: Database, clock: FixedClock) -> dict[str, str]:
    """Records the corpus; returns observation id -> corpus key."""
    return {
        _observe(db, clock, fields.pop("summary"), author="corpus", **fields): key
        for key, fields in ((key, dict(fields)) for key, fields in CORPUS.items())
    }


def test_search_finds_the_same_observations_on_both_engines(
    bare_db: Database, clock: FixedClock
) -> None:
    """Every search is checked against the answer written out here, so each engine's index
    (FTS5 on SQLite, tsvector on PostgreSQL) must give exactly the same ids, newest first."""
    keys = _record_corpus(bare_db, clock)
    everything = search_observations(bare_db, ObservationQuery(), limit=1000)
    wrong = []
    for typed, expected in SEARCHES:
        page = search_observations(bare_db, ObservationQuery(text=typed), limit=1000)
        found = [keys[logged.entry.id] for logged in page.entries]
        if expected == EVERYTHING:
            ok = page.entries == everything.entries and page.total == everything.total
        else:
            ok = found == expected and page.total == len(expected)
        if not ok:
            wrong.append((typed[:40], expected if expected != EVERYTHING else "all", found))
    assert wrong == []
    # And nothing typed changed anything.
    assert search_observations(bare_db, ObservationQuery(), limit=1000) == everything


def test_search_pages_and_filters_combine_with_the_words(
    seeded_db: Database, clock: FixedClock
) -> None:
    # On the seeded record: its own observations must not get in the way.
    _record_corpus(seeded_db, clock)
    query = ObservationQuery(text="neg*", author="corpus")
    first = search_observations(seeded_db, query, limit=2)
    second = search_observations(seeded_db, query, offset=2, limit=2)
    assert (first.total, second.total) == (3, 3)
    assert [e.entry.summary for e in first.entries + second.entries] == [
        CORPUS[key]["summary"] for key in ("negative", "negotiated", "negotiations")
    ]
    assert search_observations(seeded_db, replace(query, text="negot*")).total == 2
    assert search_observations(seeded_db, replace(query, until=date(2025, 12, 21))).total == 0
    # Without the author filter, the seeded observations that match come too.
    everyone = search_observations(seeded_db, replace(query, author=None), limit=1000)
    assert everyone.total > 3
    assert {e.entry.id for e in first.entries + second.entries} < {
        e.entry.id for e in everyone.entries
    }


def test_words_between_angle_brackets_are_found(bare_db: Database, clock: FixedClock) -> None:
    # PostgreSQL's parser would read `<word ...>` as an HTML tag and index none of it.
    wanted = _observe(
        bare_db, clock, "Statement by <Moscow delegation> on <b>Odesa</b>", author="corpus"
    )
    for typed in ("moscow", "delegation", "odesa"):
        page = search_observations(bare_db, ObservationQuery(text=typed))
        assert [logged.entry.id for logged in page.entries] == [wanted], typed


# --- the log a page at a time ------------------------------------------------------------------

# How SQLite's plan for a word search (`_NearestMatches`) can be pushed down each of its paths on
# a few dozen observations: as shipped; reading the log's index as soon as it may; examining
# every match; and giving up for the one select, at its budget or at too many observations out
# of order. All but the first take it with an indicator chosen too.
PLANS: dict[str, dict[str, int]] = {
    "as shipped": {},
    "reads the index": {"SPARE": 0, "SHORT_SCAN": 10**9},
    "examines every match": {"SPARE": 0, "SHORT_SCAN": -1, "LOOKUP_IN_INDEX_ENTRIES": 0},
    "gives up at its budget": {"SPARE": 0, "SHORT_SCAN": -1, "BUDGET": 1},
    "gives up out of order": {"SPARE": 0, "SHORT_SCAN": 10**9, "MOST_STRAGGLERS": 0},
}


@pytest.mark.parametrize("plan", list(PLANS))
def test_read_log_pages_through_matches_in_the_log_order_both_ways(
    bare_db: Database, clock: FixedClock, plan: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of 3, older and newer, give every match once, in the log's order, whatever
    the plan: also when ids do not follow the order (observations logged days after the day
    they happened, or at a clock set back), which is where SQLite's plan must look beyond the
    matches nearest in id."""
    for name, value in PLANS[plan].items():
        monkeypatch.setattr(observation_log._NearestMatches, name, value)
    if PLANS[plan]:
        monkeypatch.setattr(observation_log._Log, "_bearings_first", lambda *_: False)
    recorded = []  # (event_date, recorded_at, uuid, words, author), in id order
    for n in range(40):
        words = [w for w, every in (("alpha", 2), ("beta", 3), ("gamma", 5)) if n % every == 0]
        words.append("delta")
        day = date(2025, 12, 1) + timedelta(days=n * 7 % 19)
        at = FixedClock(FIXED_NOW - timedelta(minutes=n * 11 % 17))
        author = ("ana", "bo")[n % 2 * (n % 7 != 0)]
        id_ = _observe(bare_db, at, " ".join(words), event_date=day.isoformat(), author=author)
        recorded.append((day, at.now(), id_, words, author))
    log_order = sorted(range(len(recorded)), key=lambda n: (*recorded[n][:2], n), reverse=True)

    def expected(words: list[str], author: str | None, since: date | None) -> list[str]:
        return [
            recorded[n][2]
            for n in log_order
            if set(words) <= set(recorded[n][3])
            and author in (None, recorded[n][4])
            and (since is None or recorded[n][0] >= since)
        ]

    cases: list[tuple[str, list[str], dict[str, Any]]] = [
        ("alpha", ["alpha"], {}),
        ("beta", ["beta"], {"indicator_key": "miami-talks"}),
        ("bet*", ["beta"], {}),
        ("alpha gamma", ["alpha", "gamma"], {}),
        ('"alpha beta"', ["alpha", "beta"], {}),
        ("alpha", ["alpha"], {"author": "ana"}),
        ("delta", ["delta"], {"author": "bo", "since": date(2025, 12, 9)}),
        ("zeta", ["zeta"], {}),
    ]
    for typed, words, filters in cases:
        query = ObservationQuery(text=typed, **filters)
        wanted = expected(words, filters.get("author"), filters.get("since"))
        assert count_log(bare_db, query) == len(wanted), typed
        older, page = [], read_log(bare_db, query, limit=3)
        while page:
            older += [logged.entry.id for logged in page]
            page = read_log(bare_db, query, after=page[-1].key, limit=3)
        assert older == wanted, (typed, plan)
        newer, page = [], read_log(bare_db, query, toward="newer", limit=3)
        while page:
            newer = [logged.entry.id for logged in page] + newer
            page = read_log(bare_db, query, after=page[0].key, toward="newer", limit=3)
        assert newer == wanted, (typed, plan)
        whole = search_observations(bare_db, query, offset=2, limit=5)
        assert [logged.entry.id for logged in whole.entries] == wanted[2:7], typed
