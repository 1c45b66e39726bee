"""The H5 survey page with aiohttp's test client: a plain form, CSRF, household dedup, the personal
link shared with the chat path (the same model operation, so one answer per person holds across both)."""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.web.keys import CORE
from bot.web.survey_h5 import setup_routes
from models import surveys as S
from tests.test_surveys import MONTHLY, answer_rows, load


async def _client(h) -> TestClient:  # type: ignore[no-untyped-def]
    app = web.Application()
    app[CORE] = h.core
    setup_routes(app)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


def _csrf(page: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', page)
    assert m, page
    return m.group(1)


async def test_h5_form_answer_household_dedup_and_csrf(harness) -> None:
    h = harness
    await load(h, MONTHLY.replace('cron = "每月1日 10:00"', 'at = "2026-11-23 09:30"'))
    await h.set_clock("2026-11-23 09:30")
    client = await _client(h)
    try:
        resp = await client.get("/s/S1?g=2")
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/html")
        page = await resp.text()
        assert "月度需求问卷" in page and 'name="building"' in page and 'name="q2" value="4"' in page
        assert 'type="checkbox"' in page and "若选2,请直接跳到第5题" in page
        assert "<script" not in page and "cdn" not in page.lower() and 'name="viewport"' in page
        csrf = _csrf(page)

        good = {"csrf": csrf, "g": "2", "name": "马阿姨", "building": "7", "room": "602", "q1": "2", "q2": ["1", "4"],
                "q3": "2", "q5": "4"}

        def form(values: dict) -> list[tuple[str, str]]:
            out = []
            for k, v in values.items():
                out += [(k, x) for x in v] if isinstance(v, list) else [(k, v)]
            return out

        # missing answer to a required question: the form comes back with the error and her answers kept
        bad = dict(good)
        del bad["q5"]
        resp = await client.post("/s/S1", data=form(bad))
        page = await resp.text()
        assert resp.status == 400 and "第5题" in page and 'value="602"' in page
        assert 'name="q1" value="2" checked' in page

        # a forged token (or another site's POST without our cookie) is refused
        resp = await client.post("/s/S1", data=form({**good, "csrf": "1764000000.deadbeef"}))
        assert resp.status == 403 and "页面已过期" in await resp.text()
        async with TestClient(TestServer(client.app)) as stranger:   # no cookie
            resp = await stranger.post("/s/S1", data=form(good))
            assert resp.status == 403

        resp = await client.post("/s/S1", data=form(good))
        assert resp.status == 200 and "提交成功" in await resp.text()
        rows = await answer_rows(h)
        assert [(r.channel, r.group_topic, r.building, r.room, r.person_name, r.person_id) for r in rows] == [
            ("h5", "网格2一家亲", 7, "602", "马阿姨", None)]
        async with h.core.sessions() as s:
            got = (await s.scalars(select(S.SurveyAnswer).order_by(S.SurveyAnswer.question_number))).all()
        assert [(a.question_number, a.choices, a.rating) for a in got] == [
            (1, [2], None), (2, [1, 4], None), (3, [2], None), (5, None, 4)]

        # the same home again (another family member): one per household, said politely
        resp = await client.post("/s/S1", data=form({**good, "name": "马先生"}))
        assert resp.status == 409 and "已经填写过" in await resp.text()

        # a personal link from the private chat: counts for that person, shared with the chat path
        out = await h.say("私聊", "wx_lin", "问卷 S1")
        link = re.search(r"/s/S1\?t=(\S+)", out[0].text)
        assert link
        await h.say("私聊", "wx_lin", "退出")
        resp = await client.get(f"/s/S1?t={link.group(1)}")
        page = await resp.text()
        assert "本人身份" in page and 'name="name"' not in page
        resp = await client.post("/s/S1", data=form({"csrf": _csrf(page), "t": link.group(1), "q1": "1",
                                                     "q2": "3", "q3": "1", "q4": "楼道灯坏了", "q5": "5"}))
        assert resp.status == 200
        out = await h.say("私聊", "wx_lin", "问卷 S1")
        assert "已经填写过" in out[0].text
        resp = await client.get(f"/s/S1?t={link.group(1)}")
        assert "已经填写过" in await resp.text()
        # a tampered personal token is just a group link (asks for name and home)
        resp = await client.get("/s/S1?t=d3hfemhhbmc.0000000000000000")
        assert 'name="name"' in await resp.text()

        assert (await client.get("/s/S99")).status == 404
        await h.set_clock("2026-12-01 09:31")            # closed after 7 days
        resp = await client.get("/s/S1")
        assert "已经结束" in await resp.text()
    finally:
        await client.close()
