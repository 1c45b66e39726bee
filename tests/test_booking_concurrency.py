"""No double booking under concurrency: many transactions racing for one slot at once.

PostgreSQL (GRIDBOT_TEST_PG=1): 200 attempts, each in its own transaction on its own connection, at
most 10 at a time (the engine's pool): the room row lock (SELECT … FOR UPDATE) lets exactly one win.
SQLite: a smaller race; BEGIN IMMEDIATE serialises the writers."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from models import booking as ops
from models.booking import HOLDING, Booking


def _pg(h) -> bool:  # type: ignore[no-untyped-def]
    return h.core.db_url.startswith("postgresql")


def at(h, day: int, hour: int, minute: int = 0) -> datetime:  # type: ignore[no-untyped-def]
    return datetime(2026, 11, day, hour, minute, tzinfo=h.config.timezone)


async def _race(h, spans: list[tuple[datetime, datetime]], room: str, *, party: int = 1,  # type: ignore[no-untyped-def]
                limit: int = 10) -> list[str]:
    async with h.core.sessions() as s, s.begin():
        await ops.sync_rooms(s, h.config)        # what the service does at start
    gate = asyncio.Semaphore(limit)
    now = h.clock.now()

    async def attempt(i: int, start: datetime, end: datetime) -> str:
        async with gate:
            try:
                async with h.core.sessions() as s, s.begin():
                    b = await ops.create_booking(s, now, h.config, room=room, person_id=f"wx_c{i}",
                                                 person_name=f"居民{i}", start=start, end=end, party_size=party,
                                                 suggest=False)
                    return b.code
            except ops.BookingError as exc:
                return exc.code

    return list(await asyncio.gather(*(attempt(i, s, e) for i, (s, e) in enumerate(spans))))


async def _held(h, room: str) -> list[Booking]:  # type: ignore[no-untyped-def]
    async with h.core.sessions() as s:
        return list((await s.scalars(select(Booking).where(Booking.room_name == room,
                                                           Booking.status.in_(HOLDING)))).all())


async def test_200_concurrent_attempts_on_one_slot_postgresql(harness) -> None:
    h = harness
    if not _pg(h):
        pytest.skip("the 200-way race runs against PostgreSQL (GRIDBOT_TEST_PG=1)")
    results = await _race(h, [(at(h, 24, 15), at(h, 24, 17))] * 200, "钢琴房")
    winners = [r for r in results if r.startswith("B")]
    assert len(winners) == 1 and winners == ["B101"]
    assert results.count("conflict") == 199
    assert len(await _held(h, "钢琴房")) == 1


async def test_concurrent_attempts_on_one_slot_sqlite(harness) -> None:
    h = harness
    if _pg(h):
        pytest.skip("the PostgreSQL variant is the 200-way race")
    results = await _race(h, [(at(h, 24, 15), at(h, 24, 17))] * 20, "钢琴房", limit=5)
    assert sum(r.startswith("B") for r in results) == 1
    assert results.count("conflict") == 19
    assert len(await _held(h, "钢琴房")) == 1


async def test_concurrent_seats_never_oversold(harness) -> None:
    h = harness
    n = 60 if _pg(h) else 30
    results = await _race(h, [(at(h, 24, 14), at(h, 24, 17))] * n, "自习室")   # 20 seats
    assert sum(r.startswith("B") for r in results) == 20
    assert results.count("seats_full") == n - 20


async def test_concurrent_overlapping_requests_keep_the_buffer(harness) -> None:
    """Different, overlapping times at once: whatever wins, no two held bookings come closer than the
    room's buffer (10 minutes for the piano room)."""
    h = harness
    rng = random.Random(7)
    spans = []
    for _ in range(80 if _pg(h) else 30):
        start = at(h, 24, 9) + timedelta(minutes=5 * rng.randrange(0, 120))
        spans.append((start, start + timedelta(minutes=rng.choice([30, 45, 60, 90]))))
    results = await _race(h, spans, "钢琴房")
    held = sorted(await _held(h, "钢琴房"), key=lambda b: b.start_at)
    assert len(held) == sum(r.startswith("B") for r in results) >= 2
    for a, b in zip(held, held[1:]):
        assert b.start_at >= a.end_at + timedelta(minutes=10), (a.code, b.code)
