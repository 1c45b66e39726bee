"""Who has an open question, answered from memory (models/conversation.OpenIndex): chatter like "👍" is
dropped without a query only when nobody asked that person anything — never when a question is open,
whichever process asked it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models import conversation as C
from models.db import make_engine, make_sessionmaker, migrate, read_sessionmaker, transaction

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


async def _ask(url: str, person: str, at: datetime) -> None:
    """A question asked by another process (its own engine) on the same database."""
    engine = make_engine(url)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            await C.ask(session, scope="1号楼群", person_id=person, kind="need.rating", data={}, now=at)
    finally:
        await engine.dispose()


async def _open(engine, person: str, at: datetime) -> int:  # type: ignore[no-untyped-def]
    async with read_sessionmaker(engine)() as session:
        return len(await C.awaiting(session, "1号楼群", person, at))


async def test_questions_asked_here_elsewhere_and_expired(db_url: str) -> None:
    await migrate(db_url)
    engine = make_engine(db_url)
    try:
        assert await _open(engine, "wx_a", NOW) == 0          # the index is read: nobody was asked
        async with transaction(make_sessionmaker(engine)) as session:
            await C.ask(session, scope="1号楼群", person_id="wx_a", kind="need.rating", data={}, now=NOW)
        assert await _open(engine, "wx_a", NOW) == 1          # asked in this process: at once
        await _ask(db_url, "wx_b", NOW)
        # asked by another process: seen once the index is read again (at most INDEX_REFRESH later)
        assert await _open(engine, "wx_b", NOW + C.INDEX_REFRESH) == 1
        assert await _open(engine, "wx_a", NOW + C.DEFAULT_TTL + timedelta(seconds=1)) == 0   # expired
    finally:
        await engine.dispose()


async def test_a_database_shared_by_several_processes_is_always_asked(db_url: str) -> None:
    await migrate(db_url)
    engine = make_engine(db_url)
    C.shared_database(engine)
    try:
        assert await _open(engine, "wx_b", NOW) == 0
        await _ask(db_url, "wx_b", NOW)
        assert await _open(engine, "wx_b", NOW) == 1          # at once, not after the next re-read
    finally:
        await engine.dispose()
