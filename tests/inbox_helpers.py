"""Helpers for the web inbox tests: a logged-in HTTP user against the real app (make_app on the
harness's core, so time is the harness's simulated clock), and needs created through models.needs."""

from __future__ import annotations

import re
from typing import Any

from types import SimpleNamespace

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from sqlalchemy import select

from bot.web.app import make_app
from bot.web.auth import ensure_demo_users
from bot.web.inbox import NOTIFIER
from models import inbox as M
from models import needs as N
from models.db import transaction
from models.outbox import OutboxMessage

CSRF_RE = re.compile(r'name="_csrf" value="([^"]+)"')


class WebUser:
    def __init__(self, base: str) -> None:
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf: str | None = None
        self.token: str | None = None   # bearer token for the API, when used

    async def login(self, username: str, password: str = "demo") -> aiohttp.ClientResponse:
        r = await self.http.get(self.base + "/inbox/login")
        token = CSRF_RE.search(await r.text()).group(1)  # type: ignore[union-attr]
        r = await self.http.post(self.base + "/inbox/login", data={"_csrf": token, "username": username,
                                                                   "password": password}, allow_redirects=False)
        if r.status == 303:
            await self.get("/inbox")          # picks up the session's CSRF token
        return r

    async def get(self, path: str, **kw: Any) -> tuple[int, str]:
        async with self.http.get(self.base + path, **kw) as r:
            text = await r.text()
            m = re.search(r'data-csrf="([^"]*)"', text)
            if m and m.group(1):
                self.csrf = m.group(1)
            return r.status, text

    async def post(self, path: str, data: dict[str, str] | None = None, *, csrf: bool = True,
                   follow: bool = True) -> tuple[int, str]:
        data = dict(data or {})
        if csrf and self.csrf:
            data["_csrf"] = self.csrf
        async with self.http.post(self.base + path, data=data, allow_redirects=follow) as r:
            return r.status, await r.text()

    async def api(self, method: str, path: str, **kw: Any) -> tuple[int, Any]:
        headers = dict(kw.pop("headers", {}))
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        async with self.http.request(method, self.base + path, headers=headers, **kw) as r:
            return r.status, await r.json()

    async def close(self) -> None:
        await self.http.close()


async def new_need(h: Any, text: str, *, building: int | None, urgent: bool = False, category: str = "repair",
                   requester: str | None = "wx_zhang", name: str | None = "张阿姨", chat: str | None = "网格1一家亲",
                   source: N.Source = N.Source.GROUP, merge: bool = False) -> str:
    """A need as the chat intake makes it (the same operation), without depending on the classifier."""
    async with transaction(h.core.sessions) as s:
        grid = h.config.grid_by_topic(chat).number if chat and h.config.grid_by_topic(chat) else None
        intake = await N.create_need(s, h.clock.now(), h.config, text=text, category=category, urgent=urgent,
                                     building=building, source=source, requester=requester, requester_name=name,
                                     chat=chat, chat_grid=grid, merge=merge)
        return intake.need.code


async def need(h: Any, code: str) -> N.Need:
    async with h.core.sessions() as s:
        return await N.get_need(s, code)


async def outbox(h: Any) -> list[OutboxMessage]:
    async with h.core.sessions() as s:
        return list((await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


def codes_in(html: str) -> list[str]:
    """Need codes in list order (each row links its need page once)."""
    return re.findall(r'<a class="need[^"]*" href="/inbox/needs/(D\d{8}-\d{4})"', html)


@pytest.fixture
async def web(harness: Any, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The app on a real local port, demo users (password "demo"), a fast live-feed poll.
    scrypt's cost is lowered here for speed; test_inbox_auth checks the real parameters."""
    monkeypatch.setattr(M, "SCRYPT_N", 2 ** 10)
    await ensure_demo_users(harness.core)
    app = make_app(harness.core)
    app[NOTIFIER].interval = 0.1
    server = TestServer(app)
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    opened: list[WebUser] = []

    async def user(username: str | None = None) -> WebUser:
        u = WebUser(base)
        opened.append(u)
        if username is not None:
            r = await u.login(username)
            assert r.status == 303, await r.text()
        return u

    try:
        yield SimpleNamespace(h=harness, app=app, base=base, user=user)
    finally:
        for u in opened:
            await u.close()
        await server.close()
