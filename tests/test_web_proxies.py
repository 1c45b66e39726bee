"""Behind a reverse proxy every request reaches us from the proxy's address. With `[web] trusted_proxies`
the login throttle and the audit log see each client's own address; without it (or from any other peer) a
client's X-Forwarded-For is ignored, so it cannot pick an address to dodge the throttle."""

from __future__ import annotations

import dataclasses
import logging
import re

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bot.web.app import make_app
from bot.web.auth import ensure_demo_users
from models import inbox as M

CSRF_RE = re.compile(r'name="_csrf" value="([^"]+)"')
OFFICE, ATTACKER = "203.0.113.9", "198.51.100.7"


async def _server(h, monkeypatch, trusted: tuple[str, ...]) -> TestServer:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(M, "SCRYPT_N", 2 ** 10)
    web = dataclasses.replace(h.core.config.web, trusted_proxies=trusted)
    monkeypatch.setattr(h.core, "config", dataclasses.replace(h.core.config, web=web))
    await ensure_demo_users(h.core)
    server = TestServer(make_app(h.core))
    await server.start_server()
    return server


async def _login(server: TestServer, client: str, username: str, password: str) -> int:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     headers={"X-Forwarded-For": client}) as http:
        base = str(server.make_url("")).rstrip("/")
        async with http.get(base + "/inbox/login") as r:
            token = CSRF_RE.search(await r.text()).group(1)  # type: ignore[union-attr]
        async with http.post(base + "/inbox/login", allow_redirects=False,
                             data={"_csrf": token, "username": username, "password": password}) as r:
            if r.status == 303:
                async with http.get(base + "/inbox") as page:
                    assert page.status == 200
            return r.status


async def _guess_thirty_times(server: TestServer, client: str) -> list[int]:
    return [await _login(server, client, f"nobody{i % 6}", "guess") for i in range(30)]


async def test_behind_a_trusted_proxy_one_guesser_does_not_lock_out_the_office(harness, monkeypatch,
                                                                               caplog) -> None:
    caplog.set_level(logging.INFO, logger="gridbot.web")
    server = await _server(harness, monkeypatch, ("127.0.0.1",))
    try:
        assert set(await _guess_thirty_times(server, ATTACKER)) == {401}
        assert await _login(server, ATTACKER, "zhao", "demo") == 429      # the guesser's own address waits
        assert await _login(server, OFFICE, "zhao", "demo") == 303        # the office still logs in
        logins = [r.getMessage() for r in caplog.records if "web.login" in r.getMessage()]
        assert any("result=ok" in line and f"ip={OFFICE}" in line for line in logins)   # the log names the client
        assert not any("ip=127.0.0.1" in line for line in logins)
    finally:
        await server.close()


@pytest.mark.parametrize("trusted", [(), ("10.0.0.0/8",)])
async def test_an_untrusted_peer_cannot_choose_its_address(harness, monkeypatch, trusted) -> None:
    server = await _server(harness, monkeypatch, trusted)
    try:
        statuses = [await _login(server, f"198.51.100.{i}", f"nobody{i % 6}", "guess") for i in range(30)]
        assert set(statuses) == {401}
        # every try counted against the one real peer: rotating the header did not help
        assert await _login(server, OFFICE, "zhao", "demo") == 429
    finally:
        await server.close()
