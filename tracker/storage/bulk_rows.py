"""Writing many rows of one table at once, for imports of an archive's size.

SQLAlchemy Core's executemany works each row's parameters through general-purpose code: for an
archive's million observations and their bearings, that cost about as much as the database's
own writing. Here a batch goes to the driver as it is (`exec_driver_sql`), in the statement and
with the conversions SQLAlchemy itself would use for the engine: the insert is compiled by
SQLAlchemy, and each value passes through its column type's bind processor (a day is text on
SQLite; a moment is stored as UTC).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Date, Table, func, insert, select


class RowWriter:
    """Inserts rows of `table`, each given as a list of the values of `columns`, in order."""

    def __init__(self, connection: Connection, table: Table, columns: Sequence[str]) -> None:
        dialect = connection.dialect
        # Inline: no RETURNING of the new row's key, which a single row's insert would have.
        compiled = insert(table).inline().compile(dialect=dialect, column_keys=list(columns))
        self.connection = connection
        self.sql = str(compiled)
        self.columns = tuple(columns)
        # PostgreSQL's driver takes parameters by name; SQLite's by position, in the order of
        # the table's columns, which `columns` may not follow.
        self.by_name = compiled.positiontup is None
        order = [] if self.by_name else [self.columns.index(n) for n in compiled.positiontup]
        self.reordered = None if order == list(range(len(order))) else order
        # On PostgreSQL, many rows a statement: the driver's executemany sends one statement
        # a row, and the triggers that run once a statement (`month_counts`) would run for
        # each. The rows' placeholders are the compiled one's, casts and all, by position.
        self.many: tuple[str, str, list[int]] | None = None
        head, values = self.sql.split(" VALUES ", 1)
        names = _NAMED.findall(values)
        if self.by_name and sorted(names) == sorted(self.columns):
            row = _NAMED.sub("%s", values)
            self.many = (head + " VALUES ", row, [self.columns.index(n) for n in names])
        self.processors: list[tuple[int, Callable[[Any], Any]]] = []
        for i, name in enumerate(self.columns):
            kind = table.c[name].type
            process = kind.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                # An archive's millions of days fall on a thousand or so: each is converted once.
                self.processors.append(
                    (i, _remembered(process) if isinstance(kind, Date) else process)
                )

    def write(self, rows: Sequence[list[Any]]) -> None:
        """Write `rows` (their values are converted in place)."""
        if not rows:
            return
        for values in rows:
            for i, process in self.processors:
                values[i] = process(values[i])
        params: list[Any]
        if self.many is not None:
            self._write_many(rows, *self.many)
            return
        if self.by_name:
            params = [dict(zip(self.columns, values, strict=True)) for values in rows]
        elif self.reordered is None:
            params = [tuple(values) for values in rows]
        else:
            params = [tuple(values[i] for i in self.reordered) for values in rows]
        self.connection.exec_driver_sql(self.sql, params)

    def _write_many(self, rows: Sequence[list[Any]], head: str, row: str, order: list[int]) -> None:
        per_statement = max(1, min(_ROWS_PER_STATEMENT, _MOST_PARAMETERS // len(order)))
        statements: dict[int, str] = {}
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            sql = statements.get(len(chunk))
            if sql is None:
                sql = statements[len(chunk)] = head + ", ".join([row] * len(chunk))
            params = [values[i] for values in chunk for i in order]
            self.connection.exec_driver_sql(sql, tuple(params))


# A named placeholder of the driver's ("%(name)s"), as SQLAlchemy compiles it for PostgreSQL.
_NAMED = re.compile(r"%\((\w+)\)s")
# Rows in one statement on PostgreSQL, and the parameters its protocol allows in one.
_ROWS_PER_STATEMENT = 1_000
_MOST_PARAMETERS = 65_535


def _remembered(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    done: dict[Any, Any] = {}

    def remembered(value: Any) -> Any:
        converted = done.get(value, done)
        if converted is done:
            converted = done[value] = process(value)
        return converted

    return remembered


def last_id(connection: Connection, table: Table) -> int | None:
    """The highest id in `table`: the rows written after are those with a higher one."""
    return connection.execute(select(func.max(table.c.id))).scalar_one()


def ids_after(connection: Connection, table: Table, after: int | None) -> dict[str, int]:
    """The id of each row of `table` with an id above `after` (all, for None), by UUID."""
    query = select(table.c.uuid, table.c.id)
    if after is not None:
        query = query.where(table.c.id > after)
    return dict(connection.execute(query).all())


@contextmanager
def indexes_built_at_the_end(connection: Connection, tables: Sequence[Table]) -> Iterator[None]:
    """For loading very many rows into `tables` inside one write transaction: their secondary
    indexes (not those of keys and unique columns) are dropped for the block and built when it
    ends, in the same transaction. Kept up to date row by row, the indexes of an archive's
    million observations cost more than the rows; built at once, each is one sort. Should the
    block fail, rolling the transaction back restores them. For tables that hold no rows yet:
    readers then find them empty until the commit, indexes or not."""
    indexes = [index for table in tables for index in sorted(table.indexes, key=_index_name)]
    for index in indexes:
        index.drop(connection)
    yield
    for index in indexes:
        index.create(connection)


def _index_name(index: Any) -> str:
    return str(index.name)
