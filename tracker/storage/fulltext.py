"""Full-text search of observations with each engine's own index (made by migration 0003):
FTS5 on SQLite, a tsvector column with a GIN index on PostgreSQL.

A search is a list of `SearchTerm`s, all of which must match. The terms arrive already split
into words (letters and digits), so no character the analyst typed reaches either engine's
query syntax.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Engine, func, literal_column, select, text
from sqlmodel import col

from tracker.storage.models import Observation

# What the index is made of, for schema comparisons: not tables of the model.
SEARCH_TABLE = "observation_search"
SEARCH_COLUMN = "search"
_INSERT_TRIGGER = f"{SEARCH_TABLE}_insert"


@dataclass(frozen=True)
class SearchTerm:
    words: tuple[str, ...]  # one word, or a phrase: the words next to each other, in order
    prefix: bool = False  # the last word may go on ("negot" finds "negotiations")


def observation_matches(engine: Engine, terms: list[SearchTerm]) -> ColumnElement[bool]:
    """A condition on `Observation` that holds when its text matches every term."""
    if engine.dialect.name == "sqlite":
        query = " ".join(_fts5_term(term) for term in terms)
        matching = (
            select(literal_column("rowid"))
            .select_from(text(SEARCH_TABLE))
            .where(literal_column(SEARCH_TABLE).op("MATCH")(query))
        )
        return col(Observation.id).in_(matching)
    query = " & ".join(_tsquery_term(term) for term in terms)
    return literal_column(f"observation.{SEARCH_COLUMN}").op("@@")(func.to_tsquery("simple", query))


def _fts5_term(term: SearchTerm) -> str:
    # A quoted string is a phrase to FTS5; the words hold no quote, but double any to be sure.
    phrase = " ".join(term.words).replace('"', '""')
    return f'"{phrase}"' + ("*" if term.prefix else "")


def _tsquery_term(term: SearchTerm) -> str:
    lexemes = [f"'{word.replace(chr(39), chr(39) * 2)}'" for word in term.words]
    if term.prefix:
        lexemes[-1] += ":*"
    return "(" + " <-> ".join(lexemes) + ")"


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
