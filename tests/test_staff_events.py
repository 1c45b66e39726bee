"""活动 and 预约审批 on the staff web: the same model operations and the same notices as the chat commands
(发布活动 / 改活动 / 取消活动, 通过 / 拒绝 B101); a read-only viewer reads with names masked and cannot act;
bad input gets a Chinese answer on the form. Also the duplicate-publish question, on the web and in chat."""

from __future__ import annotations

from sqlalchemy import func, select

from models import booking as bk
from models.events import Event
from tests.inbox_helpers import outbox, web  # noqa: F401  (web is a fixture)

G1, G2 = "网格1一家亲", "网格2一家亲"
STAFF_GROUP = "锦城社区工作群"
CUT = {"title": "剪纸课", "starts_at": "2026-11-28T10:00", "ends_at": "12:00", "place": "书画室", "capacity": "2",
       "groups": G1}


async def _events(h) -> list[Event]:
    async with h.core.sessions() as s:
        return list((await s.scalars(select(Event).order_by(Event.id))).all())


async def _booking(h, code: str) -> bk.Booking:
    async with h.core.sessions() as s:
        return await bk.get_booking(s, code)


async def _messages_to(h, chat_id: str) -> list[str]:
    return [m.text for m in await outbox(h) if m.chat_id == chat_id]


async def test_a_worker_publishes_edits_and_cancels_and_residents_are_told_as_in_chat(web) -> None:
    h = web.h
    wang = await web.user("wang")
    status, html = await wang.get("/inbox/activities")
    assert status == 200 and "发布新活动" in html and 'href="/inbox/activities"' in html
    assert f'value="{G1}" checked' in html and f'value="{G2}" checked' not in html   # a worker's own grid
    status, html = await wang.post("/inbox/activities", CUT)
    assert status == 200 and "活动已发布: 剪纸课(编号 E101)" in html
    assert "功能室「书画室」已为活动预约" in html
    [event] = await _events(h)
    assert event.room_booking and event.created_by == "wx_wang"
    room_code = event.room_booking
    assert (await _booking(h, room_code)).status == bk.Status.CONFIRMED
    notices = await h.advance("1m")                  # the scheduler posts the notice, as after 发布活动
    assert [d.to for d in notices] == [G1] and "剪纸课" in notices[0].text and "E101" in notices[0].text

    await h.say(G1, "wx_zhang", "报名 剪纸", name="张阿姨")
    await h.say("私聊", "wx_ma", "报名 剪纸", name="马阿姨")
    out = await h.say(G1, "wx_lin", "报名 剪纸", name="林同学")
    assert "候补第1位" in out[0].text
    status, html = await wang.get("/inbox/activities")
    assert "已报2" in html and "剩余0" in html and "候补1组(1人)" in html
    status, html = await wang.get("/inbox/activities/E101")
    assert status == 200 and "张阿姨" in html and "马阿姨" in html and "候补第1位" in html
    assert "报名成功" in html and "发布活动" in html and "王网格员" in html      # the trail
    assert room_code in html

    # a read-only viewer sees the roster with names masked, and no forms
    guest = await web.user("guest")
    status, html = await guest.get("/inbox/activities/E101")
    assert status == 200 and "张*姨" in html and "张阿姨" not in html and "林*学" in html
    assert "/edit" not in html and "/cancel" not in html

    # edit: more places moves the waiting list up; the people signed up hear it as after 改活动
    edit = dict(CUT, capacity="3")
    del edit["groups"]
    status, html = await wang.post("/inbox/activities/E101/edit", edit)
    assert status == 200 and "已修改「剪纸课」(E101): 名额" in html and "已从候补递补1组" in html
    assert any("候补转为正式报名" in t for t in await _messages_to(h, G1))
    assert any("名额调整为3人" in t for t in await _messages_to(h, "wx_ma"))
    status, html = await wang.post("/inbox/activities/E101/edit", edit)
    assert status == 400 and "没有需要修改的内容" in html

    # cancel: everyone is told, the function room is freed
    status, html = await wang.post("/inbox/activities/E101/cancel", {"reason": "老师生病"})
    assert status == 200 and "已取消「剪纸课」(E101),已通知3位报名者" in html
    assert f"功能室预约 {room_code} 已一并取消" in html
    assert any("【活动取消】" in t and "老师生病" in t for t in await _messages_to(h, G1))
    assert any("取消了" in t for t in await _messages_to(h, "wx_ma"))
    assert (await _booking(h, room_code)).status == bk.Status.CANCELLED
    assert (await _events(h))[0].status == "cancelled"
    status, html = await wang.post("/inbox/activities/E101/cancel", {"reason": "again"})
    assert status == 409 and "已取消" in html
    status, html = await wang.get("/inbox/activities")
    assert "E101" not in html                                   # only upcoming events are listed
    # … and the messages reach the chat through the sender, like any notice
    delivered = await h.advance("1m")
    assert any(d.to == "私聊:wx_ma" and "【活动取消】" in d.text for d in delivered)
    assert any(d.to == G1 and "【活动取消】" in d.text and set(d.mentions) == {"wx_zhang", "wx_lin"} for d in delivered)


async def test_publishing_the_same_event_twice_asks_first_on_the_web(web) -> None:
    h = web.h
    li = await web.user("li")
    status, html = await li.get("/inbox/activities")
    assert all(f'value="{g.group}" checked' in html for g in h.config.grids)   # an admin: every grid
    status, _ = await li.post("/inbox/activities", CUT, follow=False)
    assert status == 303
    status, html = await li.post("/inbox/activities", CUT)
    assert status == 409 and "已经有一个相同的活动 「剪纸课」(E101)" in html and 'name="confirm_duplicate"' in html
    assert 'value="剪纸课"' in html                            # the form keeps what was typed
    assert len(await _events(h)) == 1
    status, html = await li.post("/inbox/activities", dict(CUT, confirm_duplicate="1"))
    assert status == 200 and "编号 E102" in html
    assert len(await _events(h)) == 2
    # a different time is a different event: no question
    status, html = await li.post("/inbox/activities", dict(CUT, starts_at="2026-11-29T10:00"))
    assert status == 200 and "编号 E103" in html


async def test_publishing_the_same_event_twice_asks_first_in_chat(web) -> None:
    h = web.h
    command = "发布活动 反诈讲座 11月27日14:30 会议室 名额30 群 网格1"
    out = await h.say("私聊", "wx_wang", command)
    assert "E101" in out[0].text
    out = await h.say("私聊", "wx_wang", command)
    assert len(out) == 1 and "已经发布过相同的活动「反诈讲座」(E101)" in out[0].text and "确认发布" in out[0].text
    assert len(await _events(h)) == 1
    await h.say("私聊", "wx_wang", "好的")                    # not an answer to this question
    assert len(await _events(h)) == 1
    out = await h.say("私聊", "wx_wang", "确认发布")
    assert "活动已发布" in out[0].text and "E102" in out[0].text
    assert len(await _events(h)) == 2
    out = await h.say("私聊", "wx_wang", "确认发布")             # the question was answered once
    assert len(await _events(h)) == 2
    # the web sees the chat's event as a duplicate too
    wang = await web.user("wang")
    await wang.get("/inbox/activities")
    status, html = await wang.post("/inbox/activities", {"title": "反诈讲座", "starts_at": "2026-11-27T14:30",
                                                          "place": "会议室", "capacity": "30", "groups": G1})
    assert status == 409 and "已经有一个相同的活动" in html


async def test_bad_event_input_is_answered_on_the_form(web) -> None:
    h = web.h
    wang = await web.user("wang")
    await wang.get("/inbox/activities")
    cases = [({"title": " "}, "请填写活动标题"), ({"title": "x" * 61}, "最多60个字"),
             ({"place": ""}, "请填写活动地点"), ({"starts_at": ""}, "请填写开始时间"),
             ({"starts_at": "明天下午"}, "开始时间看不懂"), ({"starts_at": "2026-11-20T10:00"}, "活动时间已经过去了"),
             ({"starts_at": "2029-11-20T10:00"}, "一年多以后"), ({"starts_at": "0001-01-01T00:00"}, "开始时间看不懂"),
             ({"starts_at": "9999-12-31T23:59"}, "开始时间看不懂"), ({"deadline": "0001-01-01T00:00"}, "截止时间看不懂"),
             ({"ends_at": "09:00"}, "结束时间要晚于开始时间"), ({"ends_at": "下午"}, "结束时间看不懂"),
             ({"capacity": "很多"}, "名额请填1到10000"), ({"capacity": "0"}, "名额要在1到10000之间"),
             ({"capacity": "99999999999999999999"}, "名额要在1到10000之间"),
             ({"per_signup_limit": "-2"}, "每户限报人数要在1到"), ({"fee": "很贵"}, "费用请写"),
             ({"fee": "99999元"}, "费用要在0到"), ({"deadline": "2026-11-29T10:00"}, "截止时间晚于活动开始"),
             ({"groups": ""}, "请至少选择一个要通知的群"), ({"groups": "别的群"}, "没有这个群")]
    for change, words in cases:
        status, html = await wang.post("/inbox/activities", dict(CUT, **change))
        assert status == 400 and words in html, (change, status)
        assert 'name="title"' in html
    status, html = await wang.post("/inbox/activities", CUT, csrf=False)
    assert status == 403
    assert await _events(h) == [] and await outbox(h) == []
    # editing with bad input leaves the event as it was
    await wang.post("/inbox/activities", CUT)
    status, html = await wang.post("/inbox/activities/E101/edit", dict(CUT, capacity="abc"))
    assert status == 400 and "名额请填" in html
    status, html = await wang.post("/inbox/activities/E999/edit", CUT)
    assert status == 404 and "没有找到活动 E999" in html
    status, html = await wang.get("/inbox/activities/E999")
    assert status == 404
    status, html = await wang.get("/inbox/activities/%3Cscript%3E")
    assert status == 404 and "<script>" not in html
    assert (await _events(h))[0].capacity == 2


async def test_a_viewer_or_department_cannot_act(web) -> None:
    h = web.h
    li = await web.user("li")
    await li.get("/inbox/activities")
    await li.post("/inbox/activities", CUT)
    await h.say("私聊", "wx_qian", "下周三下午两点到四点借会议室开业委会")
    for username in ("guest", "cg"):
        u = await web.user(username)
        status, html = await u.get("/inbox/activities")
        assert status == 200 and "剪纸课" in html and "发布新活动" not in html
        status, html = await u.get("/inbox/bookings")
        assert status == 200 and "B102" in html and "/approve" not in html
        for path, data in (("/inbox/activities", CUT), ("/inbox/activities/E101/cancel", {"reason": "x"}),
                           ("/inbox/activities/E101/edit", dict(CUT, capacity="5")),
                           ("/inbox/bookings/B102/approve", {}), ("/inbox/bookings/B102/reject", {"reason": "x"})):
            status, html = await u.post(path, data)
            assert status == 403, (username, path)
    status, _ = await li.post("/inbox/bookings/B102/approve", {}, csrf=False)
    assert status == 403
    [event] = await _events(h)
    assert event.status == "open" and event.capacity == 2 and len(await _events(h)) == 1
    assert (await _booking(h, "B102")).status == bk.Status.PENDING


async def test_staff_approve_and_reject_bookings_and_the_resident_is_told(web) -> None:
    h = web.h
    await h.say("私聊", "wx_qian", "下周三下午两点到四点借会议室开业委会", name="钱先生")
    await h.say(G1, "wx_ma", "@小助手 预约 多功能厅 后天晚上7点到9点 广场舞排练", name="马阿姨")
    li = await web.user("li")
    status, html = await li.get("/inbox/bookings")
    assert status == 200 and "待审批 2 件" in html and "B101" in html and "B102" in html
    assert "钱先生" in html and "开业委会" in html
    guest = await web.user("guest")
    status, html = await guest.get("/inbox/bookings")
    assert status == 200 and "钱*生" in html and "钱先生" not in html

    status, html = await li.post("/inbox/bookings/B101/approve", {})
    assert status == 200 and "已通过 B101" in html and "已通知 钱先生" in html and "待审批 1 件" in html
    assert (await _booking(h, "B101")).status == bk.Status.CONFIRMED
    told = await _messages_to(h, "wx_qian")
    assert any("已通过审批" in t and "B101" in t for t in told)
    status, html = await li.post("/inbox/bookings/B101/approve", {})
    assert status == 409 and "不在待审批状态" in html

    # a rejection needs a reason; the resident hears it in the group where they asked
    status, html = await li.post("/inbox/bookings/B102/reject", {"reason": "  "})
    assert status == 400 and "请填写拒绝原因" in html
    assert (await _booking(h, "B102")).status == bk.Status.PENDING
    status, html = await li.post("/inbox/bookings/B102/reject", {"reason": "当晚已安排消防演练", "from": "detail"})
    assert status == 200 and "已拒绝 B102" in html and "当晚已安排消防演练" in html
    group = [m for m in await outbox(h) if m.chat_id == G1 and "B102" in m.text and "未通过审批" in m.text]
    assert len(group) == 1 and "当晚已安排消防演练" in group[0].text and "wx_ma" in group[0].mentions
    status, html = await li.get("/inbox/bookings/B102")
    assert "审批未通过" in html and "当晚已安排消防演练" in html and "未通过" in html
    status, html = await li.post("/inbox/bookings/B999/approve", {})
    assert status == 404 and "B999" in html
    status, html = await li.get("/inbox/bookings/B999")
    assert status == 404 and "没有找到预约 B999" in html

    # the day's bookings per room
    status, html = await li.get("/inbox/bookings?day=2026-12-02")
    assert "会议室" in html and "B101" in html and "14:00–16:00" in html and "已预约" in html
    for bad in ("yesterday", "0001-01-01", "9999-12-31"):
        status, html = await li.get(f"/inbox/bookings?day={bad}")
        assert status == 400 and "日期看不懂" in html
    # the trail
    status, html = await li.get("/inbox/bookings/B101")
    assert status == 200 and "提交预约申请" in html and "审批通过" in html
