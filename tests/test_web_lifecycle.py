"""The staff web's lifecycle (issue 12 point 6): the live feed's poller belongs to the app (cleanup_ctx),
and shutting the server down ends open live pages at once instead of waiting out the shutdown timeout."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp.test_utils import TestServer

from bot.web.app import make_app
from bot.web.auth import ensure_demo_users
from bot.web.inbox import NOTIFIER
from bot.web.keys import CORE
from models import inbox as M
from tests.inbox_helpers import WebUser, new_need


async def test_shutdown_ends_open_live_pages_and_stops_the_poller(harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(M, "SCRYPT_N", 2 ** 10)
    await ensure_demo_users(harness.core)
    app = make_app(harness.core)
    assert app[CORE] is harness.core
    notifier = app[NOTIFIER]
    notifier.interval = 0.1
    server = TestServer(app)
    await server.start_server()
    wang = WebUser(str(server.make_url("")).rstrip("/"))
    try:
        assert (await wang.login("wang")).status == 303
        async with wang.http.get(wang.base + "/inbox/events") as stream:
            assert stream.status == 200 and (await stream.content.readline()).startswith(b"retry:")
            await new_need(harness, "2栋电梯困人了", building=2, urgent=True)
            seen = b""
            while b"event: need" not in seen:               # the poller is running and feeds the page
                seen += await asyncio.wait_for(stream.content.readline(), 5)
            poller = notifier._task
            assert poller is not None and not poller.done()
            started = time.monotonic()
            await asyncio.wait_for(server.close(), 10)        # the default shutdown timeout is 60 s
            assert time.monotonic() - started < 5
            assert poller.done() and notifier._task is None and not notifier.subscribers
            rest = await asyncio.wait_for(stream.content.read(), 5)
            assert b"event: need" not in rest                 # the stream simply ended
    finally:
        await wang.close()
        await server.close()

