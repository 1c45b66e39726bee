"""Web inbox accounts: password hashing, user rules, session expiry, login throttling, demo users."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.web.auth import ensure_demo_users, identity_for
from models import inbox as M
from models.db import transaction
from tests.inbox_helpers import web  # noqa: F401  (fixture)


def test_passwords_are_scrypt_hashes_with_their_parameters_and_a_salt() -> None:
    stored = M.hash_password("correct horse")
    scheme, n, r, p, salt, digest = stored.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", 2 ** 15, 8, 1)
    assert M.verify_password("correct horse", stored) and not M.verify_password("correct horse!", stored)
    assert M.hash_password("correct horse") != stored                   # a fresh salt every time
    assert not M.needs_rehash(stored) and M.needs_rehash(M.hash_password("x", n=2 ** 10))
    assert not M.verify_password("x", "md5$abc") and not M.verify_password("x", "garbage")


async def test_create_user_rules_and_a_weak_old_hash_is_upgraded_at_login(harness) -> None:
    h = harness
    now = h.clock.now()
    async with transaction(h.core.sessions) as s:
        for args, code in ((("a b", "longenough", "admin", None), "bad_username"),
                           (("amy", "longenough", "boss", None), "bad_role"),
                           (("amy", "short", "admin", None), "weak_password"),
                           (("amy", "longenough", "worker", None), "ref_required")):
            with pytest.raises(M.InboxError) as exc:
                await M.create_user(s, *args, now=now)
            assert exc.value.code == code
        user = await M.create_user(s, "amy", "longenough", "worker", "2", name="艾米", now=now)
        with pytest.raises(M.InboxError) as exc:
            await M.create_user(s, "amy", "otherpassword", "admin", now=now)
        assert exc.value.code == "user_exists"
        person, scope, name = identity_for(h.config, h.core.directory, user)
        assert (person.id, person.grid, scope.grid, name) == ("web:amy", 2, 2, "艾米")
        user.password_hash = M.hash_password("longenough", n=2 ** 10)   # as stored by an older version
    async with transaction(h.core.sessions) as s:
        assert await M.authenticate(s, "amy", "wrong") is None
        assert await M.authenticate(s, "nobody", "longenough") is None
        assert (await M.authenticate(s, "amy", "longenough")) is not None
    async with h.core.sessions() as s:
        assert not M.needs_rehash((await M.get_user(s, "amy")).password_hash)


async def _status(user, path: str) -> int:  # type: ignore[no-untyped-def]
    async with user.http.get(user.base + path, allow_redirects=False) as r:
        return r.status


async def test_sessions_slide_while_used_and_end_when_idle_or_too_old(web) -> None:
    h = web.h
    wang = await web.user("wang")
    for _ in range(2):                       # used every 11 hours: still logged in after 22
        h.clock.advance(timedelta(hours=11))
        assert await _status(wang, "/inbox") == 200
    h.clock.advance(timedelta(hours=12, minutes=1))
    async with wang.http.get(web.base + "/inbox", allow_redirects=False) as r:
        assert r.status == 302                # idle too long
    li = await web.user("li")
    for _ in range(15):                       # busy all week (165 h) …
        h.clock.advance(timedelta(hours=11))
        assert await _status(li, "/inbox") == 200
    h.clock.advance(timedelta(hours=11))     # … but 7 days is the absolute limit
    async with li.http.get(web.base + "/inbox", allow_redirects=False) as r:
        assert r.status == 302
    async with h.core.sessions() as s:
        live = await s.scalar(select(func.count()).select_from(M.WebSession).where(M.WebSession.expires_at > h.clock.now()))
    assert live == 0


async def test_failed_logins_are_throttled_per_username(web) -> None:
    u = await web.user()
    for _ in range(5):
        assert (await u.login("wang", "guess")).status == 401
    r = await u.login("wang")                           # even the right password waits now
    assert r.status == 429 and "尝试次数过多" in await r.text()
    assert (await (await web.user()).login("zhao")).status == 303   # others at the same address are not locked out
    web.h.clock.advance(timedelta(minutes=16))
    assert (await u.login("wang")).status == 303


async def test_a_login_whose_grid_does_not_exist_is_refused_clearly(web) -> None:
    async with transaction(web.h.core.sessions) as s:
        await M.create_user(s, "ghost", "longenough", "worker", "9", now=web.h.clock.now())
    r = await (await web.user()).login("ghost", "longenough")
    assert r.status == 401 and "账号的配置有误" in await r.text()


async def test_demo_users_are_created_once(web) -> None:
    assert await ensure_demo_users(web.h.core) == ["li(李书记)", "wang(王网格员·网格1)", "zhao(赵网格员·网格2)",
                                                   "sun(孙网格员·网格3)", "cg(城管科)", "guest(只读访客)"]
    async with web.h.core.sessions() as s:
        users = await M.list_users(s)
    assert [(u.username, u.role, u.ref) for u in users] == [
        ("cg", "department", "城管科"), ("guest", "viewer", None), ("li", "admin", "wx_li"),
        ("sun", "worker", "wx_sun"), ("wang", "worker", "wx_wang"), ("zhao", "worker", "wx_zhao")]
