"""Needs clocks in simulated time: 督办 ladders, department 签收 limits, AB岗, working hours, 回访 expiry."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from kernel.workhours import add_working_minutes, on_duty, working_minutes_between
from kernel.config import Hours
from models.needs import Need, NeedEvent, Status
from tests.test_needs import G1, code_of, need, to

TZ = ZoneInfo("Asia/Shanghai")
STAFF_GROUP = "锦城社区工作群"


def at(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=TZ)


async def test_urgent_need_escalates_up_the_ladder_when_nobody_responds(harness) -> None:
    h = harness   # Monday 09:00, 王网格员 on duty
    out = await h.say(G1, "wx_zhang", "@小助手 3栋有人被困在电梯里了!")
    code = code_of(out[0].text)
    assert "紧急" in out[0].text and "09:05" in out[0].text
    assert {d.to for d in out} == {G1, "私聊:wx_wang", STAFF_GROUP}        # alerted at once; no backup (on duty)
    assert await h.advance("4m") == []
    out = await h.advance("1m")                                            # 09:05: 督办 level 1
    assert sorted(d.to for d in out) == ["私聊:wx_wang", "私聊:wx_zhao"]
    assert all("督办" in d.text and code in d.text for d in out)
    n = await need(h, code)
    assert n.overdue and n.level == 1
    out = await h.advance("5m")                                            # 09:10: the admin
    assert [d.to for d in out] == ["私聊:wx_li"]
    out = await h.advance("5m")                                            # 09:15: staff group, and 15-min handling clock
    assert sorted(d.to for d in out) == ["私聊:wx_li", STAFF_GROUP]
    assert any("未办结" in d.text for d in out)
    # (a jump runs one tick: anything due fires then, one level a tick)
    out = await h.set_clock("2026-11-23 09:45")                            # each level once; then quiet
    assert [d.to for d in out] == [STAFF_GROUP] and "未办结" in out[0].text
    assert await h.set_clock("2026-11-23 12:00") == []
    assert await h.advance("2m") == []
    async with h.core.sessions() as s:
        n = (await s.scalars(select(Need).where(Need.code == code))).one()
        escalations = (await s.scalars(select(NeedEvent).where(
            NeedEvent.need_id == n.id, NeedEvent.action == "escalate"))).all()
    assert len(escalations) == 5
    # accepting late still works, and is not counted as a timely response
    out = await h.say("私聊", "wx_zhao", f"接单 {code}")                    # the backup takes it over
    assert "已接单" in out[0].text
    n = await need(h, code)
    assert n.assignee == "wx_zhao" and n.acknowledged_at > n.response_due_at


async def test_a_timely_accept_stops_the_clock(harness) -> None:
    h = harness
    code = code_of((await h.say(G1, "wx_zhang", "@小助手 3栋有人被困在电梯里了!"))[0].text)
    await h.advance("2m")
    await h.say("私聊", "wx_wang", f"接单 {code}")
    assert await h.advance("4m") == []
    await h.say("私聊", "wx_wang", f"办结 {code} 已救出")
    assert await h.set_clock("2026-11-23 09:20") == []
    assert await h.set_clock("2026-11-23 10:20") == []
    n = await need(h, code)
    assert not n.overdue and n.acknowledged_at <= n.response_due_at


async def test_off_duty_worker_means_the_backup_hears_at_once(harness) -> None:
    h = harness
    await h.set_clock("2026-11-23 22:10")      # 王网格员 on duty 08:30-21:30
    out = await h.say(G1, "wx_zhang", "@小助手 2栋楼道冒烟了,好像着火了")
    assert {d.to for d in out} == {G1, "私聊:wx_wang", "私聊:wx_zhao", STAFF_GROUP}
    assert "AB岗" in to(out, "私聊:wx_zhao")[0].text


async def test_department_missing_its_sign_limit_escalates(harness) -> None:
    h = harness
    code = code_of((await h.say(G1, "wx_zhang", "@小助手 3栋楼下有人占道摆摊,没人管"))[0].text)
    await h.say("私聊", "wx_wang", f"转派 {code} 城管科")       # 城管科: 30 minutes
    assert await h.set_clock("2026-11-23 09:29") == []
    out = await h.advance("1m")
    assert sorted(d.to for d in out) == ["私聊:wx_cg", "私聊:wx_li"]
    assert all("签收" in d.text and "督办" in d.text for d in out)
    assert (await need(h, code)).overdue
    out = await h.set_clock("2026-11-23 10:00")
    assert [d.to for d in out] == [STAFF_GROUP]
    out = await h.say("私聊", "wx_cg", f"签收 {code}")
    assert "已签收" in out[0].text
    assert await h.set_clock("2026-11-23 10:30") == []
    assert await h.set_clock("2026-11-23 13:00") == []
    n = await need(h, code)
    assert (n.status, n.department) == (Status.ACCEPTED, "城管科")


async def test_normal_need_clock_counts_working_hours(harness) -> None:
    h = harness
    await h.set_clock("2026-11-27 16:30")      # a Friday
    out = await h.say(G1, "wx_zhang", "@小助手 3栋楼道灯坏了")
    assert "11月30日09:30" in out[0].text        # Monday: 1 h on Friday + 1 h on Monday
    for when in ("2026-11-28 10:00", "2026-11-29 18:00", "2026-11-30 09:29"):
        assert await h.set_clock(when) == []     # the weekend: nothing is late
    out = await h.set_clock("2026-11-30 09:30")
    assert sorted(d.to for d in out) == ["私聊:wx_wang", "私聊:wx_zhao"]


async def test_hand_back_keeps_the_clock_running(harness) -> None:
    h = harness
    code = code_of((await h.say(G1, "wx_zhang", "@小助手 3栋有人被困在电梯里了!"))[0].text)
    await h.say("私聊", "wx_wang", f"接单 {code}")
    await h.advance("10m")
    out = await h.say("私聊", "wx_wang", f"退单 {code} 我在外地培训,赶不回来")
    assert "退回李书记" in out[0].text and "赶不回来" in to(out, "私聊:wx_li")[0].text
    n = await need(h, code)
    assert n.due_at == n.response_due_at and n.status == Status.DISPATCHED   # no new deadline
    out = await h.advance("5m")
    assert STAFF_GROUP in {d.to for d in out}


async def test_unrated_needs_close_after_three_days(harness) -> None:
    h = harness
    code = code_of((await h.say(G1, "wx_zhang", "@小助手 3栋楼道灯坏了"))[0].text)
    await h.say("私聊", "wx_wang", f"办结 {code} 已换灯泡")
    await h.set_clock("2026-11-26 08:59")
    assert (await need(h, code)).status == Status.VISITING
    await h.set_clock("2026-11-26 09:00")
    n = await need(h, code)
    assert n.status == Status.CLOSED and n.satisfaction is None


def test_working_minutes_follow_the_chinese_calendar() -> None:
    office = Hours(*(datetime.strptime(x, "%H:%M").time() for x in ("08:30", "17:30")))
    assert add_working_minutes(at("2026-11-24 19:40"), 120, TZ, office) == at("2026-11-25 10:30")
    assert add_working_minutes(at("2026-11-27 16:30"), 120, TZ, office) == at("2026-11-30 09:30")
    # National Day week: 10-01..10-07 off; Saturday 10-10 is a make-up working day (调休)
    assert add_working_minutes(at("2026-09-30 17:00"), 60, TZ, office) == at("2026-10-08 09:00")
    assert add_working_minutes(at("2026-10-09 17:00"), 60, TZ, office) == at("2026-10-10 09:00")
    assert add_working_minutes(at("2026-11-24 17:30"), 0, TZ, office) == at("2026-11-24 17:30")
    assert working_minutes_between(at("2026-11-27 16:30"), at("2026-11-30 09:30"), TZ, office) == 120
    assert on_duty(Hours(*(datetime.strptime(x, "%H:%M").time() for x in ("20:00", "08:00"))),
                   at("2026-11-24 02:00"), TZ)
    assert not on_duty(office, at("2026-11-24 18:00"), TZ)
