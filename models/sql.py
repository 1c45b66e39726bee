"""Small SQL helpers that must behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_ignore(session: AsyncSession, table: Table, values: dict[str, Any] | list[dict[str, Any]]) -> int:
    """INSERT … ON CONFLICT DO NOTHING; returns how many rows went in.

    The claim primitive: a unique key taken by exactly one transaction, even across processes,
    without aborting the surrounding transaction (an IntegrityError would, on PostgreSQL)."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = await session.execute(insert(table).values(values).on_conflict_do_nothing())
    return result.rowcount or 0
