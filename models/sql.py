"""Small SQL helpers that must behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import TextClause

# The dialect `insert(…).on_conflict_do_nothing()` constructs have inherit_cache=False: SQLAlchemy
# compiles them afresh on every execution (≈ 0.3 ms each, 2–5 per message — issue 16). A TextClause is
# cached by its text, so the statement is built once per (dialect, table, columns, rows) and only bound
# parameters change. Both SQLite (≥ 3.24) and PostgreSQL spell the clause the same.
_STATEMENTS: dict[tuple[str, str, tuple[str, ...], int], TextClause] = {}
_CACHED_ROWS = 16          # bigger batches (a push's 500 rows) are rare: built each time, not kept


def _statement(dialect: Dialect, table: Table, columns: tuple[str, ...], rows: int) -> TextClause:
    key = (dialect.name, table.fullname, columns, rows)
    stmt = _STATEMENTS.get(key)
    if stmt is not None:
        return stmt
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    values = ", ".join("(" + ", ".join(f":p{i}_{j}" for j in range(len(columns))) + ")" for i in range(rows))
    stmt = text(f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) VALUES {values} "
                "ON CONFLICT DO NOTHING").bindparams(
        *[bindparam(f"p{i}_{j}", type_=table.c[c].type) for i in range(rows) for j, c in enumerate(columns)])
    if rows <= _CACHED_ROWS:
        _STATEMENTS[key] = stmt
    return stmt


def _with_defaults(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """Python-side column defaults, as a Core insert would fill them (a text statement does not)."""
    missing = [c for c in table.columns if c.name not in row and c.default is not None]
    if not missing:
        return row
    row = dict(row)
    for c in missing:
        default = c.default
        if default.is_scalar:    # type: ignore[union-attr]
            row[c.name] = default.arg    # type: ignore[union-attr]
        elif default.is_callable:   # type: ignore[union-attr]
            row[c.name] = default.arg(None)    # type: ignore[union-attr]
    return row


async def insert_ignore(session: AsyncSession, table: Table, values: dict[str, Any] | list[dict[str, Any]]) -> int:
    """INSERT … ON CONFLICT DO NOTHING; returns how many rows went in.

    The claim primitive: a unique key taken by exactly one transaction, even across processes,
    without aborting the surrounding transaction (an IntegrityError would, on PostgreSQL).
    Several rows go in one statement (all rows must name the same columns)."""
    rows = [values] if isinstance(values, dict) else values
    if not rows:
        return 0
    rows = [_with_defaults(table, r) for r in rows]
    columns = tuple(rows[0])
    if any(tuple(r) != columns for r in rows[1:]):
        raise ValueError("insert_ignore: every row must name the same columns in the same order")
    bind = session.get_bind()
    stmt = _statement(bind.dialect, table, columns, len(rows))
    params = {f"p{i}_{j}": r[c] for i, r in enumerate(rows) for j, c in enumerate(columns)}
    result = await session.execute(stmt, params)
    return result.rowcount or 0
