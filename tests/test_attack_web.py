"""Attack round (issue 13) on the web: a disabled account hears nothing more — its open live lists (page
and API token alike) end at once, even while needs keep arriving; the admin page is how it is disabled."""

from __future__ import annotations

import asyncio

from tests.inbox_helpers import new_need, web  # noqa: F401  (web is a fixture)
from tests.test_web_hardening import _next_event


async def test_disabling_an_account_ends_its_live_streams_at_once(web) -> None:
    h = web.h
    wang = await web.user("wang")
    status, data = await wang.api("POST", "/api/token", json={"username": "wang", "password": "demo"})
    script = await web.user()
    script.token = data["token"]
    li, zhao = await web.user("li"), await web.user("zhao")
    await li.get("/inbox/admin/staff")
    async with wang.http.get(web.base + "/inbox/events") as page_stream, \
            script.http.get(web.base + "/inbox/events", headers={"Authorization": f"Bearer {script.token}"}) as api_stream, \
            zhao.http.get(web.base + "/inbox/events") as other_stream:
        await asyncio.sleep(0.3)
        await new_need(h, "2栋电梯困人了", building=2, urgent=True)
        assert await _next_event(page_stream) == "need" and await _next_event(api_stream) == "need"
        status, _ = await li.post("/inbox/admin/staff/users/wang/active", {"active": "0"}, follow=False)
        assert status == 303
        await new_need(h, "3栋有人晕倒了", building=3, urgent=True)
        for stream in (page_stream, api_stream):
            assert await asyncio.wait_for(_next_event(stream), 5) == "expired"
            assert await asyncio.wait_for(_next_event(stream), 5) == "<closed>"
        assert await _next_event(other_stream) == "need"             # others' lists go on
    assert (await script.api("GET", "/api/needs"))[0] == 401
    assert (await wang.get("/inbox", allow_redirects=False))[0] == 302


async def test_a_busy_stream_rechecks_its_session_even_when_events_never_pause(web, monkeypatch) -> None:
    """Disabled elsewhere (`gridbot user disable`, another process): no "ended" reaches this process, and
    with needs arriving every few seconds the idle check never comes — the stream still ends."""
    from bot.web import inbox as I
    from models import staff as ST
    from models.db import transaction
    h = web.h
    monkeypatch.setattr(I, "STREAM_RECHECK_S", 0.0)              # every event re-checks (15 s in service)
    wang = await web.user("wang")
    async with wang.http.get(web.base + "/inbox/events") as stream:
        await asyncio.sleep(0.3)
        await new_need(h, "2栋电梯困人了", building=2, urgent=True)
        assert await _next_event(stream) == "need"
        async with transaction(h.core.sessions) as s:
            await ST.set_account_active(s, h.clock.now(), "wang", False, actor="cli")
        await new_need(h, "3栋有人晕倒了", building=3, urgent=True)
        assert await asyncio.wait_for(_next_event(stream), 5) == "expired"


async def test_a_read_only_viewer_reads_no_household_phone_or_name_even_in_a_tree_hole(web) -> None:
    """The viewer sees what happened where (the building), not who or which door: "12栋***"."""
    import re
    h = web.h
    out = await h.say("私聊", "wx_lin", "树洞 他又喝醉了打我,我在12栋302,不敢回家 电话13812345678")
    tree = next(re.search(r"D\d{8}-\d{4}", d.text).group(0) for d in out if d.to != "私聊:wx_lin")
    code = await new_need(h, "3号楼2单元401室漏水,找张桂芳13912345678", building=3)
    guest, li = await web.user("guest"), await web.user("li")
    for path in ("/inbox", f"/inbox/needs/{tree}", f"/inbox/needs/{code}"):
        status, html = await guest.get(path)
        assert status == 200
        for secret in ("12栋302", "401室", "13812345678", "13912345678", "张桂芳"):
            assert secret not in html, (path, secret)
    _, html = await guest.get(f"/inbox/needs/{tree}")
    assert "12栋***" in html and "喝醉" in html                      # what and where, still readable
    _, html = await li.get(f"/inbox/needs/{tree}")
    assert "12栋302" in html                                         # staff who act see the door


async def test_the_printed_monthly_report_lists_an_overdue_tree_hole_without_its_door(web) -> None:
    from datetime import date

    from models import monthly_report as MR
    h = web.h
    await h.set_clock("2026-11-20 10:00")
    await h.say("私聊", "wx_lin", "树洞 楼上张桂芳13812345678家天天打孩子,在12栋302,我不敢说")
    await h.set_clock("2026-12-02 10:00")
    async with h.core.sessions() as s:
        r = await MR.monthly_report(s, h.config, date(2026, 11, 1), h.clock.now())
    text = "".join(o.text for o in r.overdue)
    assert "打孩子" in text and "12栋***" in text
    for secret in ("12栋302", "13812345678", "张桂芳"):
        assert secret not in text
