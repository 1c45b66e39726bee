"""SQLite's write lock, fairly shared (issue 16 §2): reads never wait for it, writers queue first come,
first served in Python, and a transaction that ends in any way hands the lock on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.exc import OperationalError

from models.db import make_engine, make_sessionmaker, read_sessionmaker, transaction, write_queue

META = MetaData()
T = Table("t", META, Column("id", Integer, primary_key=True), Column("who", String(20)))


@pytest.fixture
async def dbs(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'lock.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(META.create_all)
    try:
        yield make_sessionmaker(engine), read_sessionmaker(engine), engine
    finally:
        await engine.dispose()


async def test_a_read_during_a_long_write_neither_waits_nor_fails(dbs) -> None:
    writes, reads, _ = dbs
    async with transaction(writes) as s:
        await s.execute(insert(T).values(who="before"))
    holding, done = asyncio.Event(), asyncio.Event()

    async def long_writer() -> None:
        async with transaction(writes) as s:
            await s.execute(insert(T).values(who="burst"))
            holding.set()
            await done.wait()           # the write lock is held until the read below has finished

    task = asyncio.create_task(long_writer())
    await holding.wait()
    async with reads() as s:            # an inbox GET in the middle of a burst
        rows = await asyncio.wait_for(s.scalars(select(T.c.who)), timeout=2)
        assert rows.all() == ["before"]  # a snapshot: the unfinished write is not seen
    done.set()
    await task


async def test_writers_are_served_first_come_first_served(dbs) -> None:
    writes, _, engine = dbs
    order: list[str] = []
    first_holds, release = asyncio.Event(), asyncio.Event()

    async def writer(name: str, hold: bool = False) -> None:
        async with transaction(writes) as s:
            await s.execute(insert(T).values(who=name))
            order.append(name)
            if hold:
                first_holds.set()
                await release.wait()

    tasks = [asyncio.create_task(writer("a", hold=True))]
    await first_holds.wait()
    for name in "bcdefgh":
        queued = write_queue(engine).waiting
        tasks.append(asyncio.create_task(writer(name)))
        while write_queue(engine).waiting == queued:   # it has reached the queue: now the next one comes
            await asyncio.sleep(0.001)
    release.set()
    await asyncio.gather(*tasks)
    assert order == list("abcdefgh")


async def test_a_failed_or_abandoned_transaction_hands_the_lock_on(dbs) -> None:
    writes, reads, _ = dbs
    with pytest.raises(RuntimeError):
        async with transaction(writes) as s:
            await s.execute(insert(T).values(who="x"))
            raise RuntimeError("handler bug")
    async with writes() as s:           # opened, written, closed without commit
        await s.execute(insert(T).values(who="y"))
    async with transaction(writes) as s:
        await asyncio.wait_for(s.execute(insert(T).values(who="z")), timeout=2)
    async with reads() as s:
        assert (await s.scalars(select(T.c.who))).all() == ["z"]


async def test_a_write_through_a_read_session_fails_at_once(dbs) -> None:
    _, reads, _ = dbs
    async with reads() as s:
        with pytest.raises(OperationalError, match="readonly"):
            await s.execute(insert(T).values(who="oops"))


async def test_a_second_write_transaction_in_the_same_task_fails_at_once_instead_of_hanging(dbs) -> None:
    writes, _, _ = dbs
    async with transaction(writes) as outer:
        await outer.execute(insert(T).values(who="outer"))
        with pytest.raises(OperationalError, match="second write transaction"):
            async with transaction(writes) as inner:
                await inner.execute(insert(T).values(who="inner"))
