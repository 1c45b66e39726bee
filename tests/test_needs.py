"""Needs in chat: intake, merge, the worker's commands, rating, tree holes, refusals."""

from __future__ import annotations

import re

from sqlalchemy import select

from models.needs import Need, NeedEvent, Status, Suggestion
from models.outbox import OutboxMessage

G1, G2 = "网格1一家亲", "网格2一家亲"
CODE = re.compile(r"D\d{8}-\d{4}")
FOLLOW = re.compile(r"H-[A-Z0-9]{5}-[A-Z0-9]{5}")


def code_of(text: str) -> str:
    m = CODE.search(text)
    assert m, text
    return m.group(0)


def to(out, chat: str):  # type: ignore[no-untyped-def]
    return [d for d in out if d.to == chat]


async def need(h, code: str) -> Need:  # type: ignore[no-untyped-def]
    async with h.core.sessions() as s:
        return (await s.scalars(select(Need).where(Need.code == code))).one()


async def events(h, code: str) -> list[NeedEvent]:  # type: ignore[no-untyped-def]
    async with h.core.sessions() as s:
        n = (await s.scalars(select(Need).where(Need.code == code))).one()
        return list((await s.scalars(select(NeedEvent).where(NeedEvent.need_id == n.id)
                                     .order_by(NeedEvent.id))).all())


async def test_a_residents_need_is_acknowledged_in_the_group_with_a_code(harness) -> None:
    h = harness   # Monday 2026-11-23 09:00
    out = await h.say(G1, "wx_zhang", "@小助手 3栋楼道灯坏了,我电话13812345678", name="张阿姨")
    group = to(out, G1)
    assert len(group) == 1 and group[0].mentions == ("wx_zhang",)
    text = group[0].text
    assert code_of(text) == "D20261123-0001"
    assert "维修" in text and "王网格员" in text and "11:00" in text   # 2 working hours
    assert "13812345678" not in text
    # the grid worker hears of it privately, and nobody else
    assert [d.to for d in out] == [G1, "私聊:wx_wang"]
    assert "接单 D20261123-0001" in out[1].text
    n = await need(h, "D20261123-0001")
    assert (n.status, n.category, n.building, n.grid, n.requester, n.assignee) == (
        Status.DISPATCHED, "repair", 3, 1, "wx_zhang", "wx_wang")
    assert [e.action for e in await events(h, n.code)] == ["create", "dispatch"]
    # the next one that day gets the next number
    out = await h.say(G2, "wx_ma", "@小助手 8栋门口垃圾桶满出来了")
    assert code_of(out[0].text) == "D20261123-0002" and "环境卫生" in out[0].text and "赵网格员" in out[0].text


async def test_obvious_words_work_without_at_and_grid_comes_from_the_building(harness) -> None:
    h = harness
    out = await h.say(G1, "wx_zhang", "报修 8栋电梯按钮失灵")      # raised in grid 1, about a grid-2 building
    assert len(to(out, G1)) == 1 and "赵网格员" in out[0].text
    n = await need(h, code_of(out[0].text))
    assert (n.grid, n.building, n.assignee, n.chat) == (2, 8, "wx_zhao", G1)
    # 建议/反映 only when the rest is a demand; chatter that starts with 建议 stays chatter
    assert await h.say(G1, "wx_zhang", "建议大家出门带伞") == []
    out = await h.say(G1, "wx_zhang", "#诉求 希望社区多办几期书法课")
    assert "文体教育" in out[0].text


async def test_a_duplicate_is_merged_and_its_resident_follows_the_need(harness) -> None:
    h = harness
    first = code_of((await h.say(G2, "wx_ma", "@小助手 8栋门口的下水道堵了,臭得很"))[0].text)
    out = await h.say(G2, "wx_yang", "@小助手 8栋门口下水道堵住了,臭死了")
    assert len(out) == 1 and out[0].to == G2 and out[0].mentions == ("wx_yang",)
    assert first in out[0].text and "已有邻居反映" in out[0].text    # no second dispatch to the worker
    async with h.core.sessions() as s:
        rows = (await s.scalars(select(Need).order_by(Need.id))).all()
    assert [(r.status, r.merged_into) for r in rows] == [(Status.DISPATCHED, None), (Status.MERGED, first)]
    # a different problem in the same building is not merged
    out = await h.say(G2, "wx_lin", "@小助手 8栋电梯坏了")
    assert "已有邻居反映" not in out[0].text and code_of(out[0].text) != first

    # the worker's reply reaches both residents; 办结 asks both to rate; each rating is their own
    await h.say("私聊", "wx_zhao", f"接单 {first}")
    out = await h.say("私聊", "wx_zhao", f"回复 {first} 已联系物业")
    assert to(out, G2)[0].mentions == ("wx_ma", "wx_yang")
    out = await h.say("私聊", "wx_zhao", f"办结 {first} 已疏通")
    assert to(out, G2)[0].mentions == ("wx_ma", "wx_yang") and "1 满意" in to(out, G2)[0].text
    out = await h.say(G2, "wx_yang", "3 还是有味道")
    assert "重新打开" in out[0].text
    assert "不满意" in to(out, "私聊:wx_zhao")[0].text      # the worker hears the resident's words
    parent = await need(h, first)
    assert parent.status == Status.DISPATCHED and parent.reopen_count == 1


async def test_worker_accepts_replies_resolves_and_the_resident_rates(harness) -> None:
    h = harness
    code = code_of((await h.say(G2, "wx_ma", "@小助手 8栋门口的下水道堵了,臭得很"))[0].text)
    await h.advance("3m")
    out = await h.say("私聊", "wx_zhao", "待办")
    assert code in out[0].text and "待签收" in out[0].text
    out = await h.say("私聊", "wx_zhao", f"接单 {code.lower()}")                   # codes are case-insensitive
    assert out[0].to == "私聊:wx_zhao" and "已接单" in out[0].text
    out = await h.say("私聊", "wx_zhao", f"回复:{code} 已联系物业,20分钟内到场疏通")  # colon works too
    group = to(out, G2)
    assert len(group) == 1 and group[0].mentions == ("wx_ma",) and "20分钟内到场疏通" in group[0].text
    out = await h.say(G2, "wx_ma", f"查 {code}")
    assert "办理中" in out[0].text and "20分钟内到场疏通" in out[0].text
    await h.advance("40m")
    out = await h.say("私聊", "wx_zhao", f"办结 {code} 已疏通,路面已冲洗")
    assert "已请居民评价" in to(out, "私聊:wx_zhao")[0].text
    ask = to(out, G2)[0]
    assert ask.mentions == ("wx_ma",) and "已疏通" in ask.text and "1 满意" in ask.text
    out = await h.say(G2, "wx_ma", "@小助手 基本满意,就是来得有点慢")
    assert len(out) == 1 and "基本满意" in out[0].text and "已关闭" in out[0].text
    n = await need(h, code)
    assert (n.status, n.satisfaction, n.rating_note) == (Status.CLOSED, "basic", "就是来得有点慢")
    assert n.acknowledged_by == "wx_zhao" and n.closed_at is not None
    trail = [(e.action, e.from_status, e.to_status) for e in await events(h, code)]
    assert trail == [("create", None, "received"), ("dispatch", "received", "dispatched"),
                     ("accept", "dispatched", "accepted"), ("reply", "accepted", "in_progress"),
                     ("resolve", "in_progress", "resolved"), ("visit", "resolved", "visiting"),
                     ("rate", "visiting", "closed")]
    # 办结 on a closed need says why not
    out = await h.say("私聊", "wx_zhao", f"办结 {code} 再来一次")
    assert "已关闭" in out[0].text and "不能办结" in out[0].text


async def test_a_bare_digit_is_a_rating_only_after_the_bot_asked(harness) -> None:
    h = harness
    assert await h.say(G1, "wx_zhang", "1") == []        # nothing was asked
    code = code_of((await h.say(G1, "wx_zhang", "@小助手 3栋电梯坏了"))[0].text)
    await h.say("私聊", "wx_wang", f"办结 {code} 已修好")      # 办结 straight away: accepted on the way
    out = await h.say(G1, "wx_zhang", "1")
    assert "满意" in out[0].text and (await need(h, code)).satisfaction == "satisfied"
    assert await h.say(G1, "wx_zhang", "1") == []        # asked once, answered once


async def test_residents_and_others_are_refused_staff_commands(harness) -> None:
    h = harness
    code = code_of((await h.say(G1, "wx_zhang", "@小助手 3栋电梯坏了"))[0].text)
    out = await h.say(G1, "wx_ma", f"接单 {code}")
    assert len(out) == 1 and "只有网格员" in out[0].text and out[0].mentions == ("wx_ma",)
    # a worker of another grid may not take it; the admin may
    out = await h.say("私聊", "wx_sun", f"接单 {code}")
    assert "王网格员" in out[0].text and "不能接单" in out[0].text
    assert (await need(h, code)).status == Status.DISPATCHED
    out = await h.say("私聊", "wx_li", f"接单 {code}")
    assert "已接单" in out[0].text and (await need(h, code)).assignee == "wx_li"
    # chatter that happens to start with a command word is not answered at all
    assert await h.say(G1, "wx_ma", "回复 一下大家,明天停水") == []
    # a missing argument is answered with the exact form
    out = await h.say("私聊", "wx_wang", "接单")
    assert "接单 诉求编号" in out[0].text
    out = await h.say("私聊", "wx_wang", f"退单 {code}")
    assert "原因" in out[0].text


async def test_transfer_to_a_department_and_hand_back(harness) -> None:
    h = harness
    code = code_of((await h.say(G1, "wx_zhang", "@小助手 3栋楼下有人占道摆摊,没人管"))[0].text)
    out = await h.say("私聊", "wx_wang", f"转派 {code} 城管科 占道经营需执法")
    dept = to(out, "私聊:wx_cg")
    assert len(dept) == 1 and "签收 " + code in dept[0].text and "占道经营需执法" in dept[0].text
    assert "09:30" in to(out, "私聊:wx_wang")[0].text         # 城管科 ack_minutes = 30
    out = await h.say("私聊", "wx_mz", f"签收 {code}")         # another department
    assert "城管科" in out[0].text and (await need(h, code)).status == Status.DISPATCHED
    out = await h.say("私聊", "wx_cg", f"退单 {code} 不属于城管职责,是物业管理范围")
    assert "退回王网格员" in out[0].text
    back = to(out, "私聊:wx_wang")
    assert len(back) == 1 and "物业管理范围" in back[0].text
    n = await need(h, code)
    assert (n.status, n.department, n.assignee) == (Status.DISPATCHED, None, "wx_wang")
    ev = (await events(h, code))[-1]
    assert (ev.action, ev.actor, ev.note) == ("return", "wx_cg", "不属于城管职责,是物业管理范围")
    out = await h.say("私聊", "wx_wang", f"转派 {code} 房管局")
    assert "城管科" in out[0].text and "民政科" in out[0].text    # names what would work


async def test_tree_hole_keeps_no_trace_of_the_sender(harness) -> None:
    h = harness
    out = await h.say("私聊", "wx_lin", "树洞 12栋楼上邻居每天半夜蹦迪,不好意思当面说")
    assert out[0].to == "私聊:wx_lin" and "匿名" in out[0].text
    follow = FOLLOW.search(out[0].text).group(0)     # the resident holds the random follow-up code only
    assert CODE.search(out[0].text) is None
    worker = to(out, "私聊:wx_sun")
    assert len(worker) == 1 and "wx_lin" not in worker[0].text and "林" not in worker[0].text
    code = code_of(worker[0].text)                    # staff work with the need code
    out = await h.say("私聊", "wx_sun", f"回复 {code} 已上门提醒")
    assert [d.to for d in out] == ["私聊:wx_sun"]               # nobody to send it to
    out = await h.say("私聊", "wx_lin", f"查 {follow}")         # the code is the key
    assert "已上门提醒" in out[0].text
    out = await h.say("私聊", "wx_qian", f"查 {follow}")
    assert "已上门提醒" in out[0].text
    out = await h.say("私聊", "wx_qian", f"查 {code}")          # the sequential code reads nothing
    assert "没有找到" in out[0].text and "已上门提醒" not in out[0].text
    await h.say("私聊", "wx_sun", f"办结 {code} 已调解")
    out = await h.say("私聊", "wx_qian", f"满意 {code}")         # nor rates it
    assert "已关闭" not in out[0].text
    out = await h.say("私聊", "wx_lin", f"满意 {follow}")
    assert "已关闭" in out[0].text
    async with h.core.sessions() as s:
        n = (await s.scalars(select(Need).where(Need.code == code))).one()
        assert (n.requester, n.requester_name, n.chat, n.grid, n.source) == (None, None, None, 3, "tree_hole")
        evs = (await s.scalars(select(NeedEvent).where(NeedEvent.need_id == n.id))).all()
        rows = [*(str(vars(e)) for e in evs), str(vars(n))]
        assert not any("wx_lin" in r or "林同学" in r for r in rows)
        assert {e.actor for e in evs} <= {None, "wx_sun"}
        # once delivered, the outbox keeps nothing addressed to the 树洞 sender
        sent = (await s.scalars(select(OutboxMessage))).all()
        assert not [m for m in sent if "wx_lin" in (m.chat_id + m.text + str(m.mentions))]
    # in a group, 树洞 is not stored at all
    out = await h.say(G1, "wx_zhang", "树洞 我家隔壁天天吵架")
    assert "私聊" in out[0].text
    async with h.core.sessions() as s:
        assert len((await s.scalars(select(Need))).all()) == 1


async def test_a_requester_sees_status_and_others_do_not(harness) -> None:
    h = harness
    code = code_of((await h.say(G1, "wx_zhang", "@小助手 3栋电梯坏了", name="张阿姨"))[0].text)
    out = await h.say(G1, "wx_zhang", f"查 {code}")
    assert "待签收" in out[0].text
    out = await h.say(G1, "wx_ma", f"查 {code}")
    assert "没有找到" in out[0].text and "电梯" not in out[0].text   # as if no such code: no oracle
    out = await h.say("私聊", "wx_wang", f"查 {code}")
    assert "张阿姨" in out[0].text and "记录" in out[0].text      # staff see the trail
    out = await h.say("私聊", "wx_wang", "查 D20991231-0001")
    assert "没有找到" in out[0].text


async def test_passive_discovery_is_silent_and_stored_for_the_inbox(harness) -> None:
    h = harness
    assert await h.say(G1, "wx_zhang", "3栋电梯又坏了,烦死了") == []
    assert await h.say(G1, "wx_zhang", "大家早上好") == []
    async with h.core.sessions() as s:
        rows = (await s.scalars(select(Suggestion))).all()
        assert [(r.text, r.category, r.building, r.grid, r.status) for r in rows] == [
            ("3栋电梯又坏了,烦死了", "repair", 3, 1, "open")]
        assert (await s.scalars(select(Need))).all() == []
    # an urgent one reaches the worker privately, still nothing in the group
    out = await h.say(G1, "wx_ma", "2栋好像有煤气味,好重")
    assert [d.to for d in out] == ["私聊:wx_wang"]


async def test_passive_discovery_off_stores_nothing(config, db_url) -> None:
    from kernel.config import parse_config
    from tests.harness import Harness

    raw = config.path.read_text(encoding="utf-8").replace("passive_discovery = true", "passive_discovery = false")
    h = await Harness.create(parse_config(raw, config.path), db_url)
    try:
        assert await h.say(G1, "wx_zhang", "3栋电梯又坏了,烦死了") == []
        async with h.core.sessions() as s:
            assert (await s.scalars(select(Suggestion))).all() == []
    finally:
        await h.close()


async def test_group_replies_mask_phone_numbers(harness) -> None:
    h = harness
    out = await h.say(G1, "wx_zhang", "@小助手 3栋有人被困在电梯里了,联系我 139-1234-5678")
    staff = to(out, "锦城社区工作群")
    assert staff and all("1234-5678" not in d.text and "139****5678" in d.text for d in staff)
    assert "139-1234-5678" in to(out, "私聊:wx_wang")[0].text   # the worker needs the number


async def test_private_chat_needs_are_answered_privately_and_rated_there(harness) -> None:
    h = harness
    out = await h.say("私聊", "wx_qian", "11栋我家门口的下水道堵了", name="钱奶奶")
    assert [d.to for d in out] == ["私聊:wx_qian", "私聊:wx_sun"]
    code = code_of(out[0].text)
    n = await need(h, code)
    assert (n.requester, n.chat, n.grid, n.source) == ("wx_qian", None, 3, "private")
    out = await h.say("私聊", "wx_sun", f"回复 {code} 下午两点上门")
    assert to(out, "私聊:wx_qian")[0].text.endswith("下午两点上门")
    out = await h.say("私聊", "wx_sun", f"办结\u3000{code}\u3000已疏通")          # full-width spaces
    assert "1 满意" in to(out, "私聊:wx_qian")[0].text
    assert await h.say(G1, "wx_qian", "1") == []                                 # asked in private, not here
    out = await h.say("私聊", "wx_qian", "满意度调查是什么")
    assert "已关闭" not in " ".join(d.text for d in out)
    out = await h.say("私聊", "wx_qian", "不满意,还是堵")
    assert "重新打开" in out[0].text
    n = await need(h, code)
    assert (n.status, n.satisfaction, n.solved, n.assignee) == (Status.DISPATCHED, "dissatisfied", False, "wx_sun")


async def test_config_overrides_the_clocks(config, db_url) -> None:
    from kernel.config import parse_config
    from tests.harness import Harness

    raw = (config.path.read_text(encoding="utf-8")
           .replace("respond_minutes_urgent = 5 ", "respond_minutes_urgent = 10 ")
           .replace("merge_window_hours = 24", "merge_window_hours = 1"))
    h = await Harness.create(parse_config(raw, config.path), db_url)
    try:
        out = await h.say(G1, "wx_zhang", "@小助手 3栋有人被困在电梯里了")
        assert "09:10" in out[0].text
        assert await h.advance("9m") == []
        assert {d.to for d in await h.advance("1m")} == {"私聊:wx_wang", "私聊:wx_zhao"}
    finally:
        await h.close()


async def test_feedback_words_without_anything_to_rate_are_not_a_new_need(harness) -> None:
    h = harness
    out = await h.say(G1, "wx_zhang", "@小助手 基本满意,就是来得有点慢")
    assert all(not CODE.search(d.text) for d in out)
    async with h.core.sessions() as s:
        assert (await s.scalars(select(Need))).all() == []
