"""Many residents at once for the last places: the event row lock keeps the count exact.

Each message is handled in its own transaction (Dispatcher.handle), all started together, so on
PostgreSQL they really overlap on a pool of connections; on SQLite BEGIN IMMEDIATE serialises them."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy import func, select

from kernel.message import IncomingMessage
from models.events import Signup

G1 = "网格1一家亲"


def _msg(h, i: int, text: str) -> IncomingMessage:
    return IncomingMessage(id=f"rush-{i}", account=h.config.bot_id, channel="test", sender_id=f"wx_r{i:03d}",
                           sender_name=f"居民{i:03d}", text=text, at=h.clock.now(), group_id=G1, group_topic=G1)


async def _rush(h, *, capacity: int, taken: int, people: int) -> tuple[list[Signup], float]:
    await h.say("私聊", "wx_wang", f"发布活动 剪纸课 11月28日10:00 书画室 名额{capacity} 群 网格1")
    for i in range(0, taken, 10):    # fill all but the last places first (a signup takes at most 10)
        await h.say(G1, f"wx_pre{i}", f"报名 E101 {min(10, taken - i)}人", name=f"先到{i}")
    started = time.perf_counter()
    outcomes = await asyncio.gather(*(h.core.dispatcher.handle(_msg(h, i, "报名 剪纸课")) for i in range(people)))
    elapsed = time.perf_counter() - started
    assert all(o.route == "events.sign_up" for o in outcomes)
    texts = [o.replies[0] for o in outcomes]
    assert sum("已报名" in t for t in texts) == capacity - taken
    assert sum("候补" in t for t in texts) == people - (capacity - taken)
    async with h.core.sessions() as s:
        rows = list((await s.scalars(select(Signup).where(Signup.name.like("居民%")).order_by(Signup.seq))).all())
        held = await s.scalar(select(func.sum(Signup.party_size)).where(Signup.status == "confirmed"))
    assert held == capacity
    return rows, elapsed


async def test_200_concurrent_signups_for_the_last_10_places(harness, db_url) -> None:
    if not db_url.startswith("postgresql"):
        return   # the SQLite variant below; this one needs real row locks (GRIDBOT_TEST_PG=1)
    rows, elapsed = await _rush(harness, capacity=30, taken=20, people=200)
    confirmed = [r for r in rows if r.status == "confirmed"]
    waiting = [r for r in rows if r.status == "waiting"]
    assert len(confirmed) == 10 and len(waiting) == 190
    assert len({r.seq for r in rows}) == 200            # one place in the queue each
    assert max(r.seq for r in confirmed) < min(r.seq for r in waiting)   # first come, first served
    print(f"200 concurrent signups on PostgreSQL: {elapsed:.2f}s")


async def test_concurrent_signups_for_the_last_places_on_any_backend(harness) -> None:
    rows, elapsed = await _rush(harness, capacity=25, taken=20, people=30)
    assert sum(r.status == "confirmed" for r in rows) == 5 and sum(r.status == "waiting" for r in rows) == 25
    assert len({r.seq for r in rows}) == 30
    print(f"30 concurrent signups: {elapsed:.2f}s")
