"""来电来访: a worker or admin registers a need taken by phone or at the counter; it is the same need, with
the same notices, as one raised in chat, and it says where it came from."""

from __future__ import annotations

import io

import openpyxl

from models import needs as N
from tests.inbox_helpers import codes_in, need, outbox, web  # noqa: F401  (web is a fixture)

PHONE = "13912345678"


async def test_a_worker_registers_a_phone_call_and_the_grid_worker_is_told(web) -> None:
    h = web.h
    li = await web.user("li")
    status, html = await li.get("/inbox/intake")
    assert status == 200 and "来电来访登记" in html and 'name="caller_phone"' in html
    status, html = await li.post("/inbox/intake", {
        "source": "phone", "text": "楼道灯坏了一个星期了", "building": "7", "room": "2单元602",
        "caller_name": "刘大爷", "caller_phone": PHONE})
    assert status == 200 and "已登记诉求 D" in html
    code = codes_in((await li.get("/inbox"))[1])[0]
    n = await need(h, code)
    # the same intake as chat: classified (no category chosen), routed by building to grid 2's worker
    assert n.source == N.Source.PHONE and n.category == "repair" and n.grid == 2 and n.assignee == "wx_zhao"
    assert n.status == N.Status.DISPATCHED and n.requester is None and n.requester_name == "刘大爷"
    assert n.caller_phone == PHONE and "7栋2单元602" in n.text
    notice = [m for m in await outbox(h) if m.chat_id == "wx_zhao"]
    assert len(notice) == 1 and code in notice[0].text and f"刘大爷(来电登记 {PHONE})" in notice[0].text

    # the worker who holds it sees where it came from, and the number to call back
    zhao = await web.user("zhao")
    status, html = await zhao.get("/inbox")
    assert code in html and '<span class="tag taken">来电</span>' in html
    status, html = await zhao.get(f"/inbox/needs/{code}")
    assert "刘大爷(来电)" in html and PHONE in html
    # a read-only viewer sees the need, the number masked
    guest = await web.user("guest")
    status, html = await guest.get(f"/inbox/needs/{code}")
    assert status == 200 and "139****5678" in html and PHONE not in html


async def test_an_urgent_counter_visit_alerts_the_staff_group_with_the_phone_masked(web) -> None:
    h = web.h
    wang = await web.user("wang")
    await wang.get("/inbox/intake")
    status, _ = await wang.post("/inbox/intake", {
        "source": "counter", "text": "3栋有老人摔倒了", "category": "safety", "urgent": "1",
        "caller_name": "邻居小陈", "caller_phone": PHONE}, follow=False)
    assert status == 303
    msgs = await outbox(h)
    group = [m for m in msgs if m.chat_id == h.config.staff_group]
    assert len(group) == 1 and "紧急" in group[0].text and "139****5678" in group[0].text
    assert PHONE not in group[0].text
    assert any(m.chat_id == "wx_wang" and PHONE in m.text for m in msgs)
    code = codes_in((await wang.get("/inbox"))[1])[0]
    n = await need(h, code)
    assert n.source == N.Source.COUNTER and n.urgent and n.category == "safety" and n.building == 3
    async with h.core.sessions() as s:
        first = (await N.events_of(s, n))[0]
    assert first.actor == "wx_wang" and first.note == "来访登记"

    # a second caller about the same thing joins the open need, as in chat (no second alert)
    status, html = await wang.post("/inbox/intake", {"source": "phone", "text": "3栋有老人摔倒了", "category": "safety",
                                                     "urgent": "1"})
    assert status == 200 and "已合并办理" in html and code in html
    assert len([m for m in await outbox(h) if m.chat_id == h.config.staff_group]) == 1


async def test_bad_input_is_answered_in_chinese_and_nothing_is_created(web) -> None:
    h = web.h
    wang = await web.user("wang")
    await wang.get("/inbox/intake")
    cases = [({"text": " "}, "请填写诉求内容"), ({"text": "x" * 1001}, "太长"),
             ({"text": "灯坏了", "building": "七栋楼"}, "楼栋号须为数字"),
             ({"text": "灯坏了", "building": "99"}, "没有 99 栋"),
             ({"text": "灯坏了", "caller_phone": "12345"}, "联系电话格式不对"),
             ({"text": "灯坏了", "category": "alien"}, "没有这个诉求类别"),
             ({"text": "灯坏了", "source": "group"}, "请选择「来电」或「来访」")]
    for data, words in cases:
        status, html = await wang.post("/inbox/intake", data)
        assert status == 400 and words in html, (data, status)
        assert 'name="text"' in html                      # the form is shown again, filled in
    status, html = await wang.post("/inbox/intake", {"text": "灯坏了"}, csrf=False)
    assert status == 403
    async with h.core.sessions() as s:
        assert await N.count_needs(s) == 0
    assert await outbox(h) == []


async def test_viewers_and_departments_cannot_register(web) -> None:
    for username in ("guest", "cg"):
        u = await web.user(username)
        status, html = await u.get("/inbox/intake")
        assert status == 403 and "不能使用这个页面" in html
        status, _ = await u.post("/inbox/intake", {"text": "灯坏了", "_csrf": u.csrf or ""}, csrf=False)
        assert status == 403
        status, data = await u.api("POST", "/api/intake", json={"text": "灯坏了"},
                                   headers={"X-CSRF-Token": u.csrf or ""})
        assert status == 403 and data["error"] == "forbidden"
    async with web.h.core.sessions() as s:
        assert await N.count_needs(s) == 0


async def test_the_api_registers_a_need_and_the_ledger_names_its_channel(web) -> None:
    h = web.h
    api = await web.user()
    status, data = await api.api("POST", "/api/token", json={"username": "wang", "password": "demo"})
    api.token = data["token"]
    status, data = await api.api("POST", "/api/intake", json={"text": "2栋门口垃圾没人收"})
    assert status == 201 and data["need"]["source"] == "phone" and data["need"]["source_name"] == "来电"
    assert data["need"]["category"] == "environment" and data["message"].startswith("已登记诉求")
    code = data["need"]["code"]
    status, data = await api.api("POST", "/api/intake", json={"text": "", "building": 3})
    assert status == 400 and data["message"] == "请填写诉求内容。"
    status, data = await api.api("POST", "/api/intake", json=["not", "an", "object"])
    assert status == 400
    status, data = await api.api("POST", "/api/intake", json={"text": "灯坏了", "building": {"x": 1}})
    assert status == 400 and "楼栋" in data["message"]
    assert any(m.chat_id == "wx_wang" and code in m.text for m in await outbox(h))

    li = await web.user("li")
    async with li.http.get(web.base + "/inbox/export/needs.xlsx") as r:
        book = openpyxl.load_workbook(io.BytesIO(await r.read()))
    sheet = book.active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(r for r in rows if "渠道" in r)
    line = next(r for r in rows if code in r)
    assert line[header.index("渠道")] == "来电"
