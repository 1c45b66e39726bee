"""Attacks on the web inbox (issue 11 point 6), each reproduced against the real app on SQLite and PostgreSQL:
guessing passwords around the throttle, open redirects, sessions and tokens that outlive a logout, cookies
without Secure behind TLS, probing need codes, and charts that show more than the user may see."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from datetime import timedelta

import pytest

from bot.web import throttle as TH
from models import inbox as M
from models import needs as N
from models.db import transaction
from tests.inbox_helpers import WebUser, new_need, web  # noqa: F401  (web is a fixture)

G2 = "网格2一家亲"


async def _api_login(web, username: str, password: str = "demo") -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    u = await web.user()
    return await u.api("POST", "/api/token", json={"username": username, "password": password})


# ---------------------------------------------------------------- the login throttle

async def test_one_throttle_for_page_and_api_whatever_the_spelling_of_the_name(web) -> None:
    u = await web.user()
    for spelling in ("wang", " wang", "WANG "):                 # the page …
        assert (await u.login(spelling, "guess")).status == 401
    for spelling in ("ｗａｎｇ", "\twang"):                    # … and the API count together
        assert (await _api_login(web, spelling, "guess"))[0] == 401
    r = await u.login("wang")                                   # even the right password waits now
    assert r.status == 429 and "尝试次数过多" in await r.text()
    status, data = await _api_login(web, "Wang")
    assert status == 429 and data["error"] == "throttled"
    assert (await (await web.user()).login("zhao")).status == 303   # colleagues at the same address are not locked out
    web.h.clock.advance(timedelta(minutes=16))
    assert (await _api_login(web, "wang"))[0] == 200


async def test_forty_parallel_tries_check_at_most_five_passwords_and_none_fails(web, monkeypatch) -> None:
    checked = 0
    authenticate = M.authenticate

    async def counting(session, username, password):  # type: ignore[no-untyped-def]
        nonlocal checked
        checked += 1
        return await authenticate(session, username, password)

    monkeypatch.setattr(M, "authenticate", counting)
    users = [await web.user() for _ in range(40)]
    results = await asyncio.gather(*(u.api("POST", "/api/token", json={"username": "wang", "password": f"guess{i}"})
                                     for i, u in enumerate(users)))
    statuses = sorted(status for status, _ in results)
    assert checked <= 5 and statuses.count(401) == checked and statuses.count(429) == 40 - checked
    assert 500 not in statuses


def test_a_spray_of_names_cannot_flush_a_guessed_users_count_and_memory_stays_bounded() -> None:
    from datetime import datetime, timezone

    now = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
    t = TH.Throttle()
    for _ in range(5):
        assert t.begin("wang", "203.0.113.9", now).wait == 0      # five wrong passwords
    refused = 0
    for i in range(50_000):                                        # then 50,000 random names from a botnet
        refused += t.begin(f"user{i}", f"10.{i // 65536}.{i // 256 % 256}.{i % 256}", now).wait > 0
    assert len(t) <= t.capacity and refused >= 50_000 - t.ceiling
    assert t.begin("wang", "198.51.100.7", now).wait > 0           # wang is still locked, from anywhere
    later = now + t.window
    ticket = t.begin("wang", "198.51.100.7", later)                # the window passes: logins work again
    assert ticket.wait == 0
    t.succeeded(ticket)


# ---------------------------------------------------------------- redirects after login

EVIL_NEXT = ["/%09/evil.example/x", "//evil.example/x", "/%5C%5Cevil.example", "%5C%5Cevil.example",
             "https://evil.example/x", "/%0d%0aLocation:%20https://evil.example", "javascript:alert(1)"]


@pytest.mark.parametrize("evil", EVIL_NEXT)
async def test_login_sends_only_to_a_path_of_this_site(web, evil: str) -> None:
    u = WebUser(web.base)
    try:
        r = await u.http.get(f"{web.base}/inbox/login?next={evil}")
        token = re.search(r'name="_csrf" value="([^"]+)"', await r.text()).group(1)  # type: ignore[union-attr]
        r = await u.http.post(f"{web.base}/inbox/login?next={evil}", allow_redirects=False,
                              data={"_csrf": token, "username": "wang", "password": "demo"})
        assert r.status == 303 and r.headers["Location"] == "/inbox"
        r = await u.http.get(f"{web.base}/inbox/login?next={evil}", allow_redirects=False)   # already logged in
        assert r.status == 302 and r.headers["Location"] == "/inbox"
        r = await u.http.get(f"{web.base}/inbox/login?next=/inbox/charts%3Fdays%3D7", allow_redirects=False)
        assert r.headers["Location"] == "/inbox/charts?days=7"                               # a real path still works
    finally:
        await u.close()


# ---------------------------------------------------------------- logout, streams and tokens

async def _next_event(resp, timeout: float = 5.0) -> str:  # type: ignore[no-untyped-def]
    async def read() -> str:
        while True:
            line = (await resp.content.readline()).decode()
            if line.startswith("event: "):
                return line[7:].strip()
            if not line:
                return "<closed>"
    return await asyncio.wait_for(read(), timeout)


async def test_logout_ends_the_sessions_live_streams_and_the_users_api_tokens(web) -> None:
    h = web.h
    wang = await web.user("wang")
    status, data = await wang.api("POST", "/api/token", json={"username": "wang", "password": "demo"})
    script = await web.user()
    script.token = data["token"]
    zhao = await web.user("zhao")
    async with wang.http.get(web.base + "/inbox/events") as page_stream, \
            script.http.get(web.base + "/inbox/events", headers={"Authorization": f"Bearer {script.token}"}) as api_stream, \
            zhao.http.get(web.base + "/inbox/events") as other_stream:
        assert page_stream.status == api_stream.status == 200
        await asyncio.sleep(0.3)                                  # the poller has its starting point
        await new_need(h, "2栋电梯困人了", building=2, urgent=True)
        assert await _next_event(page_stream) == "need" and await _next_event(api_stream) == "need"
        status, _ = await wang.post("/inbox/logout", follow=False)
        assert status == 303
        assert await _next_event(page_stream) == "expired" and await _next_event(page_stream) == "<closed>"
        assert await _next_event(api_stream) == "expired" and await _next_event(api_stream) == "<closed>"
        await new_need(h, "8栋水管爆了", building=8, chat=G2, requester="wx_ma", name="马阿姨")
        assert await _next_event(other_stream) == "need"           # another user's stream goes on
    assert (await script.api("GET", "/api/needs"))[0] == 401
    async with wang.http.get(web.base + "/inbox", allow_redirects=False) as r:
        assert r.status == 302 and "/inbox/login" in r.headers["Location"]


async def test_api_tokens_are_short_lived_configurable_and_revocable(web, monkeypatch) -> None:
    h = web.h
    status, data = await _api_login(web, "wang")
    client = await web.user()
    client.token = data["token"]
    h.clock.advance(timedelta(hours=11, minutes=59))
    assert (await client.api("GET", "/api/needs"))[0] == 200
    h.clock.advance(timedelta(minutes=2))                         # 12 hours by default
    assert (await client.api("GET", "/api/needs"))[0] == 401

    config = dataclasses.replace(h.core.config, web=dataclasses.replace(h.core.config.web, api_token_hours=2))
    monkeypatch.setattr(h.core, "config", config)
    status, data = await _api_login(web, "wang")
    assert status == 200
    client.token = data["token"]
    h.clock.advance(timedelta(hours=2, minutes=1))
    assert (await client.api("GET", "/api/needs"))[0] == 401

    status, data = await _api_login(web, "wang")
    client.token = data["token"]
    page = await web.user("wang")
    async with transaction(h.core.sessions) as s:                 # `gridbot user revoke wang`
        assert await M.revoke_all(s, "wang") == 2
    assert (await client.api("GET", "/api/needs"))[0] == 401
    assert (await page.get("/inbox", allow_redirects=False))[0] == 302


async def test_user_revoke_command_ends_every_session(web, capsys) -> None:
    import argparse

    from bot.user_cli import run

    h = web.h
    page = await web.user("wang")
    args = argparse.Namespace(user_command="revoke", username="wang", db=h.core.db_url)
    assert await run(h.core.config, args) == 0
    assert "1 sessions and tokens ended: wang" in capsys.readouterr().out
    assert (await page.get("/inbox", allow_redirects=False))[0] == 302


# ---------------------------------------------------------------- cookies

async def test_the_session_cookie_is_secure_when_the_public_address_is_https(web, monkeypatch) -> None:
    h = web.h
    u = await web.user()
    r = await u.login("wang")
    plain = r.headers.getall("Set-Cookie")
    sid = next(c for c in plain if c.startswith("gb_sid="))
    assert "HttpOnly" in sid and "SameSite=Lax" in sid and "Secure" not in sid     # http://…: a test install

    web_settings = dataclasses.replace(h.core.config.web, base_url="https://grid.example.org")
    monkeypatch.setattr(h.core, "config", dataclasses.replace(h.core.config, web=web_settings))
    u = await web.user()            # (its cookie jar keeps Secure cookies off plain http: we send it by hand)
    async with u.http.get(web.base + "/inbox/login") as r:
        pre = next(c for c in r.headers.getall("Set-Cookie") if c.startswith("gb_pre="))
        token = re.search(r'name="_csrf" value="([^"]+)"', await r.text()).group(1)  # type: ignore[union-attr]
    async with u.http.post(web.base + "/inbox/login", allow_redirects=False,
                           headers={"Cookie": pre.split(";")[0]},
                           data={"_csrf": token, "username": "wang", "password": "demo"}) as r:
        assert r.status == 303
        sid = next(c for c in r.headers.getall("Set-Cookie") if c.startswith("gb_sid="))
    assert "Secure" in sid and "HttpOnly" in sid and "SameSite=Lax" in sid and "Secure" in pre


# ---------------------------------------------------------------- probing need codes

async def test_a_need_out_of_scope_looks_exactly_like_one_that_does_not_exist(web) -> None:
    h = web.h
    theirs = await new_need(h, "8栋水管爆了", building=8, chat=G2, requester="wx_ma", name="马阿姨")
    missing = "D20261123-0099"
    for username in ("wang", "cg"):
        u = await web.user(username)
        got = [await u.get(f"/inbox/needs/{code}") for code in (theirs, missing)]
        assert got[0][0] == got[1][0] == 404
        assert got[0][1].replace(theirs, "CODE") == got[1][1].replace(missing, "CODE")
        posted = [await u.post(f"/inbox/needs/{code}/accept") for code in (theirs, missing)]
        assert posted[0][0] == posted[1][0] == 404
        assert posted[0][1].replace(theirs, "CODE") == posted[1][1].replace(missing, "CODE")
        _, data = await u.api("POST", "/api/token", json={"username": username, "password": "demo"})
        u.token = data["token"]
        for method, path in (("GET", "/api/needs/{}"), ("POST", "/api/needs/{}/actions")):
            a, b = [await u.api(method, path.format(code), json={"action": "accept"}) for code in (theirs, missing)]
            assert a[0] == b[0] == 404
            assert json.dumps(a[1], ensure_ascii=False).replace(theirs, "CODE") == \
                json.dumps(b[1], ensure_ascii=False).replace(missing, "CODE")
    assert (await (await web.user("zhao")).get(f"/inbox/needs/{theirs}"))[0] == 200   # its own worker reads it


# ---------------------------------------------------------------- charts

async def test_a_departments_charts_count_only_its_needs_and_nobody_sees_tree_hole_words(web) -> None:
    h = web.h
    handed = await new_need(h, "小区门口占道经营摊贩很多", building=3, category="environment")
    await new_need(h, "8栋水管爆了漏水严重", building=8, chat=G2, requester="wx_ma", name="马阿姨")
    await new_need(h, "丈夫酗酒家暴天天打骂", building=4, source=N.Source.TREE_HOLE, chat=None,
                   requester=None, name=None)
    admin = h.core.directory.get("wx_li")
    async with transaction(h.core.sessions) as s:
        await N.transfer(s, h.clock.now(), h.config, handed, admin, "城管科")

    cg = await web.user("cg")
    status, html = await cg.get("/inbox/charts")
    assert status == 200 and "城管科" in html
    assert re.search(r"<b>1</b><span>受理</span>", html)          # one need was handed to it, not three
    assert "摊贩" in html or "占道" in html
    assert "水管" not in html and "漏水" not in html                # another grid's words
    _, data = await cg.api("POST", "/api/token", json={"username": "cg", "password": "demo"})
    cg.token = data["token"]
    status, data = await cg.api("GET", "/api/stats")
    assert status == 200 and data["received"] == 1
    for username in ("li", "wang", "guest", "cg"):
        status, html = await (await web.user(username)).get("/inbox/charts")
        assert status == 200 and "家暴" not in html and "酗酒" not in html and "打骂" not in html
