"""Which process runs the scheduled jobs when several share one PostgreSQL database (one process per account,
DESIGN.md "Scale"): the one holding a session-level advisory lock. Every process asks before each tick; the
holder keeps its lock on a connection of its own, and when it dies (or its connection does) PostgreSQL lets
the lock go and the next process to tick takes over. So a job runs in one process at a time, and its keyed
outbox claims (ticker.py) still stop a message being queued twice if two ever overlapped.

SQLite has no leader: several processes on one file are not a supported deployment; the keyed claims alone
make a repeated tick harmless."""

from __future__ import annotations

import logging

from sqlalchemy import NullPool, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from kernel.logevent import log_event
from models.db import normalise_url

log = logging.getLogger("gridbot.scheduler")

LOCK_KEY = 0x67726964_7363686E   # "gridschn": advisory locks are per database, so one deployment each


class Leadership:
    """The scheduler's lock for one process. `held()` before each tick: True while this process leads."""

    def __init__(self, url: str, name: str) -> None:
        # A connection of its own, never pooled: closing it must end the session, and with it the lock.
        self._engine: AsyncEngine = create_async_engine(normalise_url(url), poolclass=NullPool, hide_parameters=True)
        self._conn: AsyncConnection | None = None
        self.name = name

    @property
    def leading(self) -> bool:
        return self._conn is not None

    async def held(self) -> bool:
        if self._conn is not None:
            try:
                await self._conn.execute(text("SELECT 1"))    # still our session, so still our lock
                return True
            except Exception as exc:
                log_event(log, "scheduler.leader_lost", log_level=logging.WARNING, instance=self.name,
                          error=type(exc).__name__)
                await self._drop()
        try:
            conn = await self._engine.connect()
        except Exception as exc:
            log_event(log, "scheduler.leader_unreachable", log_level=logging.WARNING, error=type(exc).__name__)
            return False
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")   # never idle in a transaction
            got = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}))
        except Exception as exc:      # the database is away: nobody ticks until it is back
            log_event(log, "scheduler.leader_unreachable", log_level=logging.WARNING, error=type(exc).__name__)
            await conn.invalidate()
            return False
        if not got:
            await conn.close()
            return False
        self._conn = conn
        log_event(log, "scheduler.leader", instance=self.name)
        return True

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except Exception:
                await conn.invalidate()

    async def release(self) -> None:
        """On shutdown: let another process lead at once."""
        await self._drop()
        await self._engine.dispose()


def leadership_for(url: str, name: str) -> Leadership | None:
    """The scheduler lock for a PostgreSQL database; None for SQLite (every tick runs)."""
    return Leadership(url, name) if normalise_url(url).startswith("postgresql") else None
