"""Database failures lose nothing (issue 11 §8): while the database refuses writes, received messages are
kept and replayed, /healthz says so, and each resident gets exactly one answer once it is stored."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from bot.web.app import make_app
from kernel.message import IncomingMessage

GROUP = "网格1一家亲"


def _msg(h, n: int, sender: str, text: str) -> IncomingMessage:
    return IncomingMessage(id=f"d{n}", account=h.config.bot_id, channel="test", sender_id=sender, sender_name=sender,
                           text=text, at=h.clock.now(), group_id=GROUP, group_topic=GROUP, mentions_bot=True)


@contextmanager
def unwritable(engine) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """The database refuses every write ("disk full"), as long as the block lasts; reads still work."""
    def refuse(conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            raise OperationalError(statement, None, Exception("database or disk is full"))

    event.listen(engine.sync_engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", refuse)


async def _until(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    async def wait() -> None:
        while not predicate():
            await asyncio.sleep(0.01)
    await asyncio.wait_for(wait(), timeout)


async def test_messages_during_a_write_outage_are_kept_replayed_and_answered_once(harness) -> None:
    h = harness
    d = h.core.dispatcher
    d.retry_first_s = 0.05
    client = TestClient(TestServer(make_app(h.core)))
    await client.start_server()
    try:
        with unwritable(h.core.engine):
            tasks = [asyncio.create_task(d.submit(_msg(h, 1, "wx_zhang", "@小助手 3栋电梯坏了,困了好久"))),
                     asyncio.create_task(d.submit(_msg(h, 2, "wx_ma", "@小助手 帮助")))]
            await _until(lambda: d.health.failures >= 3)
            r = await client.get("/healthz")
            health = await r.json()
            assert r.status == 503 and health["status"] == "degraded" and health["database"] is True
            assert health["writes"]["ok"] is False and health["writes"]["waiting"] == 2
            assert "disk is full" in health["writes"]["last_error"]
            assert not any(t.done() for t in tasks)     # kept, not failed and not dropped
        routes = await asyncio.wait_for(asyncio.gather(*tasks), 20)
        assert routes[0].startswith("needs.") and routes[1] == "help.show_help"
        await h.sim.flush()
        told = [(m.to, m.text) for m in h.channel.delivered if m.to == GROUP]
        assert len([t for t in told if "电梯" in t[1] or "D2026" in t[1]]) >= 1
        assert len(told) == 2                          # one answer each, once
        r = await client.get("/healthz")
        health = await r.json()
        assert health["writes"] == {"ok": True, "failing_since": None, "failures": 0, "last_error": None,
                                    "waiting": 0, "dropped": 0}
    finally:
        await client.close()


async def test_the_spool_is_bounded_and_says_what_it_refused(harness) -> None:
    h = harness
    d = h.core.dispatcher
    d.retry_first_s = 0.05
    d.max_waiting = 3
    with unwritable(h.core.engine):
        kept = [asyncio.create_task(d.submit(_msg(h, i, f"wx_r{i}", "@小助手 帮助"))) for i in range(3)]
        await _until(lambda: d.health.failures >= 1 and d.waiting() == 3)
        assert await d.submit(_msg(h, 9, "wx_r9", "@小助手 帮助")) is None
        assert d.write_health()["dropped"] == 1
    assert await asyncio.wait_for(asyncio.gather(*kept), 20) == ["help.show_help"] * 3
