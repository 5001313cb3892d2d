"""Full-text search of observations with each engine's own index (made by migration 0003):
FTS5 on SQLite, a tsvector column with a GIN index on PostgreSQL.

A search is a list of `SearchTerm`s, all of which must match. The terms arrive already split
into words (letters and digits), so no character the analyst typed reaches either engine's
query syntax.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Engine, func, literal_column, select, text
from sqlmodel import col

from tracker.storage.models import Observation

# What the index is made of, for schema comparisons: not tables of the model.
SEARCH_TABLE = "observation_search"
SEARCH_COLUMN = "search"
_INSERT_TRIGGER = f"{SEARCH_TABLE}_insert"
# The words of SQLite's index, read through FTS5's own vocabulary table. It lives in the
# connection's temporary schema, so the database file never holds it.
_VOCABULARY = f"{SEARCH_TABLE}_vocabulary"
# A prefix that starts more words than this is left to FTS5 to expand (see `index_search`).
_MOST_WORDS_SPELLED_OUT = 200
# Rowid ranges one `IndexSearch.among` asks FTS5 about, at most, and the gap between two ids
# below which one range holds both: seeking costs about what stepping over that many does.
_MOST_RANGES = 8
_SEEK_GAP = 256


@dataclass(frozen=True)
class SearchTerm:
    words: tuple[str, ...]  # one word, or a phrase: the words next to each other, in order
    prefix: bool = False  # the last word may go on ("negot" finds "negotiations")


def observation_matches(engine: Engine, terms: list[SearchTerm]) -> ColumnElement[bool]:
    """A condition on `Observation` that holds when its text matches every term."""
    if engine.dialect.name == "sqlite":
        return _rowid_among_matches(" AND ".join(_fts5_term(term) for term in terms))
    query = " & ".join(_tsquery_term(term) for term in terms)
    return literal_column(f"observation.{SEARCH_COLUMN}").op("@@")(func.to_tsquery("simple", query))


def _rowid_among_matches(query: str) -> ColumnElement[bool]:
    matching = (
        select(literal_column("rowid"))
        .select_from(text(SEARCH_TABLE))
        .where(literal_column(SEARCH_TABLE).op("MATCH")(query))
    )
    return col(Observation.id).in_(matching)


def _fts5_term(term: SearchTerm, completions: Sequence[str] | None = None) -> str:
    """A term in FTS5's syntax: a quoted phrase, `*` after it for a prefix; or, given the words
    the prefix starts, those phrases OR-ed (the same matches)."""
    if completions:
        phrases = [_fts5_phrase((*term.words[:-1], word)) for word in completions]
        return phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")"
    return _fts5_phrase(term.words) + ("*" if term.prefix else "")


def _fts5_phrase(words: Sequence[str]) -> str:
    # A quoted string is a phrase to FTS5; the words hold no quote, but double any to be sure.
    return '"' + " ".join(words).replace('"', '""') + '"'


def _tsquery_term(term: SearchTerm) -> str:
    lexemes = [f"'{word.replace(chr(39), chr(39) * 2)}'" for word in term.words]
    if term.prefix:
        lexemes[-1] += ":*"
    return "(" + " <-> ".join(lexemes) + ")"


@dataclass(frozen=True)
class IndexSearch:
    """A search asked of SQLite's FTS5 index directly, by rowid (the observation's id), for
    plans that need more than "is it among the matches": FTS5 walks its matches in rowid order
    from any rowid and stops when told, and counts them without reading the table."""

    connection: Connection
    query: str  # in FTS5's syntax

    def condition(self) -> ColumnElement[bool]:
        """A condition on `Observation` that holds when its text matches."""
        return _rowid_among_matches(self.query)

    def count(self, *, at_most: int | None = None) -> int:
        """How many observations match (one row of the index per observation), counting no
        further than `at_most` when given."""
        matching = f"SELECT 1 FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH ?"
        if at_most is None:
            statement, parameters = f"SELECT count(*) FROM ({matching})", (self.query,)
        else:
            statement = f"SELECT count(*) FROM ({matching} LIMIT ?)"
            parameters = (self.query, at_most)
        return int(self.connection.exec_driver_sql(statement, parameters).scalar_one())

    def rowids(self, *, beyond: int | None, descending: bool, limit: int) -> list[int]:
        """Up to `limit` matches in rowid order, from just below `beyond` down (descending) or
        just above it up; from the end when `beyond` is None."""
        order, bound = ("DESC", "<") if descending else ("ASC", ">")
        where = "" if beyond is None else f" AND rowid {bound} ?"
        parameters = (self.query,) + (() if beyond is None else (beyond,)) + (limit,)
        found = self.connection.exec_driver_sql(
            f"SELECT rowid FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH ?{where}"
            f" ORDER BY rowid {order} LIMIT ?",
            parameters,
        )
        return [rowid for (rowid,) in found]

    def among(self, ids: Sequence[int]) -> set[int]:
        """Those of `ids` that match. FTS5 finds the matches in a rowid range by seeking, so the
        ids are asked as a few ranges, split at their widest gaps."""
        wanted = sorted(set(ids))
        if not wanted:
            return set()
        gaps = [at for at in range(1, len(wanted)) if wanted[at] - wanted[at - 1] > _SEEK_GAP]
        gaps.sort(key=lambda at: wanted[at] - wanted[at - 1])
        cuts = sorted(gaps[-(_MOST_RANGES - 1) :])
        ranges = [
            (wanted[start], wanted[end - 1])
            for start, end in zip([0, *cuts], [*cuts, len(wanted)], strict=True)
        ]
        one = (
            f"SELECT rowid FROM {SEARCH_TABLE}"
            f" WHERE {SEARCH_TABLE} MATCH ? AND rowid BETWEEN ? AND ?"
        )
        found = self.connection.exec_driver_sql(
            " UNION ALL ".join([one] * len(ranges)),
            tuple(value for low, high in ranges for value in (self.query, low, high)),
        )
        return {rowid for (rowid,) in found}.intersection(wanted)


def index_search(connection: Connection, terms: list[SearchTerm]) -> IndexSearch:
    """The search for SQLite's index, ready to ask. A prefix (`ukra*`) is spelled out as the
    words of the index it starts (`ukraine OR ukrainian OR ukrainska`): FTS5 answers a prefix
    by first merging the lists of every word it starts, whatever is asked of it (45 ms for
    `ukra*` on a million observations, even for the first 200 matches), but walks OR-ed words
    as it does one word. Looking the words up costs a fraction of a millisecond each."""
    parts = []
    for term in terms:
        completions = _completions(connection, term.words[-1]) if term.prefix else None
        parts.append(_fts5_term(term, completions))
    return IndexSearch(connection, " AND ".join(parts))


def _completions(connection: Connection, prefix: str) -> list[str] | None:
    """The words of the index that start with `prefix`, in order; None when there are too many
    to be worth spelling out, or when the prefix is not plain ASCII (the index folds case by
    its own rules, which for ASCII are Python's)."""
    if not (prefix.isascii() and prefix.isalnum()):
        return None
    # Made in the read's own transaction, so it goes when the read ends (about 0.1 ms).
    connection.exec_driver_sql(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{_VOCABULARY}"
        f" USING fts5vocab(main, {SEARCH_TABLE}, instance)"
    )
    # One step per word: the first word at or after the probe. (A range over the "instance"
    # table would read every occurrence of every word in it.) A word never holds "\0", so
    # word + "\0" comes just after it.
    next_word = f"SELECT term FROM temp.{_VOCABULARY} WHERE term >= ? LIMIT 1"
    words: list[str] = []
    probe = prefix
    while len(words) <= _MOST_WORDS_SPELLED_OUT:
        word = connection.exec_driver_sql(next_word, (probe,)).scalar()
        if word is None or not word.startswith(prefix):
            return words or None
        words.append(word)
        probe = word + "\0"
    return None


def is_search_index(name: str) -> bool:
    """Whether a table or column belongs to the search index rather than to the model."""
    return name in (SEARCH_COLUMN, SEARCH_TABLE) or name.startswith(f"{SEARCH_TABLE}_")


@contextmanager
def indexed_at_the_end(connection: Connection) -> Iterator[None]:
    """For inserting very many observations inside one write transaction. SQLite's index,
    kept up to date row by row, costs about nine times what indexing them all at once does
    (3.9 s against 0.4 + 0.4 s for 50,000), so the insert trigger is set aside for the block
    and the index rebuilt when it ends, in the same transaction: no reader ever sees the index
    behind. Should the block fail, rolling the transaction back restores the trigger.
    PostgreSQL's index column follows each row by itself."""
    if connection.dialect.name != "sqlite":
        yield
        return
    create = connection.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
        {"name": _INSERT_TRIGGER},
    ).scalar_one()
    connection.exec_driver_sql(f"DROP TRIGGER {_INSERT_TRIGGER}")
    yield
    connection.exec_driver_sql(create)
    connection.exec_driver_sql(f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}) VALUES ('rebuild')")
