"""Sequence counters (need codes D20261121-0007, booking codes B101): one statement per number."""

from __future__ import annotations

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import TextClause

_STATEMENTS: dict[tuple[str, str, str, str], TextClause] = {}


async def next_value(session: AsyncSession, table: Table, key_column: str, value_column: str, key: str,
                     start: int) -> int:
    """The counter row `key` incremented, created at `start` + 1 if missing. One upsert with RETURNING
    (SQLite ≥ 3.35, PostgreSQL) instead of an insert-ignore and an UPDATE; the conflict update takes the
    row's lock, so two transactions (or two processes on PostgreSQL) never get the same number. A text
    statement, built once per (dialect, table), so SQLAlchemy's compiled cache serves it."""
    dialect = session.get_bind().dialect
    cache_key = (dialect.name, table.fullname, key_column, value_column)
    stmt = _STATEMENTS.get(cache_key)
    if stmt is None:
        q = dialect.identifier_preparer.quote
        name = dialect.identifier_preparer.format_table(table)
        k, v = q(key_column), q(value_column)
        stmt = _STATEMENTS[cache_key] = text(
            f"INSERT INTO {name} ({k}, {v}) VALUES (:key, :first) "
            f"ON CONFLICT ({k}) DO UPDATE SET {v} = {name}.{v} + 1 RETURNING {v}")
    return int((await session.execute(stmt, {"key": key, "first": start + 1})).scalar_one())
