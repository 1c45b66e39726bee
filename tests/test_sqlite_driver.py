"""SQLite statements run on the event loop (models/sqlite_driver.py, issue 16) without ever making it
wait: another process holding the write lock (a backup, the sqlite3 shell) does not freeze the bot, and a
long transaction lets other tasks run between its statements."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.exc import OperationalError

from models import sqlite_driver
from models.db import make_engine, make_sessionmaker, read_sessionmaker, transaction

META = MetaData()
T = Table("t", META, Column("id", Integer, primary_key=True), Column("who", String(20)))


@pytest.fixture
async def db(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "driver.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.run_sync(META.create_all)
    try:
        yield path, make_sessionmaker(engine), read_sessionmaker(engine)
    finally:
        await engine.dispose()


async def test_a_writer_waits_for_another_process_without_freezing_the_loop(db) -> None:
    path, writes, reads = db
    other = sqlite3.connect(path, isolation_level=None)   # the sqlite3 shell, in "BEGIN IMMEDIATE"
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t (who) VALUES ('shell')")

    async def write() -> None:
        async with transaction(writes) as s:
            await s.execute(insert(T).values(who="bot"))

    writer = asyncio.create_task(write())
    async with reads() as s:            # the loop is free meanwhile: a page still reads
        assert (await s.scalars(select(T.c.who))).all() == []
    assert not writer.done()            # still waiting for the other process, not failed
    other.execute("COMMIT")
    other.close()
    await asyncio.wait_for(writer, 10)
    async with reads() as s:
        assert (await s.scalars(select(T.c.who).order_by(T.c.id))).all() == ["shell", "bot"]


async def test_a_lock_held_too_long_elsewhere_fails_the_write_politely_for_the_caller(db, monkeypatch) -> None:
    path, writes, _ = db
    monkeypatch.setattr(sqlite_driver, "BUSY_WAIT_S", 0.2)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="database is locked"):   # the router replays on this
            async with transaction(writes) as s:
                await s.execute(insert(T).values(who="bot"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    async with transaction(writes) as s:   # and the write lock was handed on
        await s.execute(insert(T).values(who="later"))


async def test_a_long_transaction_lets_other_tasks_run_between_its_statements(db, monkeypatch) -> None:
    _, writes, reads = db
    monkeypatch.setattr(sqlite_driver, "YIELD_S", 0.0)     # a turn for the loop at every statement
    turns = 0
    stop = asyncio.Event()

    async def other_task() -> None:
        nonlocal turns
        while not stop.is_set():
            turns += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(other_task())
    await asyncio.sleep(0)
    seen = 0
    async with transaction(writes) as s:
        for i in range(50):
            await s.execute(insert(T).values(who=f"w{i}"))
        seen = turns
    stop.set()
    await ticker
    assert seen > 10
    async with reads() as s:
        assert await s.scalar(select(func.count()).select_from(T)) == 50
