"""Events and 接龙 signups, end to end through the chat harness: who is told what, where, and what the
database holds afterwards."""

from __future__ import annotations

from sqlalchemy import select

from models.events import Event, Signup
from texts.events import mask_name

G1, G2, G3 = "网格1一家亲", "网格2一家亲", "网格3一家亲"


async def _signups(h, event_id: int = 1) -> dict[str, Signup]:
    async with h.core.sessions() as s:
        rows = (await s.scalars(select(Signup).where(Signup.event_id == event_id).order_by(Signup.seq))).all()
    return {r.name: r for r in rows}


async def _event(h, event_id: int = 1) -> Event:
    async with h.core.sessions() as s:
        return await s.get(Event, event_id)


async def _publish(h, text: str, who: str = "wx_li") -> list:
    out = await h.say("私聊", who, text)
    out += await h.advance("1m")
    return out


LAMP = "发布活动 中秋做花灯 11月28日14:00 亲子活动室 名额12 截止 11月27日20:00 每户限3人 备注 5岁以上儿童由家长陪同"


# ---------------------------------------------------------------- publishing

async def test_admin_publish_notices_every_grid_exactly_once(harness) -> None:
    h = harness
    out = await h.say("私聊", "wx_li", LAMP)
    assert len(out) == 1 and out[0].to == "私聊:wx_li"
    assert "E101" in out[0].text and "网格1一家亲、网格2一家亲、网格3一家亲" in out[0].text
    assert "亲子活动室" in out[0].text and "已为活动预约" in out[0].text       # the room is booked (B code)
    notices = await h.advance("1m")
    assert sorted(d.to for d in notices) == [G1, G2, G3]
    n = notices[0].text
    for part in ("中秋做花灯", "E101", "11月28日(周六) 14:00", "亲子活动室", "剩余12", "每户限3人", "5岁以上", "截止",
                 "报名 中秋做花灯 2人", "+1"):
        assert part in n, part
    assert await h.advance("5m") == []          # never posted twice
    # a worker's event goes to their own grid by default; the next code is E102
    out = await _publish(h, "发布活动 反诈讲座 11月27日14:30 多功能厅 名额30 截止 11月27日12:00", who="wx_sun")
    assert "E102" in out[0].text and [d.to for d in out[1:]] == [G3]


async def test_publish_is_for_staff_and_bad_input_is_explained(harness) -> None:
    h = harness
    out = await h.say("私聊", "wx_zhang", LAMP)
    assert len(out) == 1 and "只有网格员" in out[0].text
    out = await h.say("私聊", "wx_wang", "发布活动 花灯 明天下午3点 书画室")
    assert "名额" in out[0].text
    out = await h.say("私聊", "wx_wang", "发布活动")
    assert "发布活动 反诈讲座" in out[0].text
    out = await h.say("私聊", "wx_wang", "发布活动 花灯 11月28日14:00 书画室 名额10 截止 11月29日12:00")
    assert "截止时间晚于" in out[0].text
    async with h.core.sessions() as s:
        assert (await s.scalars(select(Event))).all() == []


# ---------------------------------------------------------------- the ways residents sign up

async def test_every_way_residents_sign_up(harness) -> None:
    h = harness
    await _publish(h, LAMP)
    out = await h.say(G1, "wx_zhang", "报名 花灯 2人", name="张阿姨")
    assert out[0].to == G1 and out[0].mentions == ("wx_zhang",) and "已报名「中秋做花灯」(E101),2人" in out[0].text
    out = await h.say(G2, "wx_ma", "@小助手 中秋做花灯我报名,两个大人一个小孩", name="马阿姨")
    assert "3人" in out[0].text and "剩余名额7个" in out[0].text
    out = await h.say(G1, "wx_lin", "+1", name="林同学")
    assert "已报名" in out[0].text and out[0].mentions == ("wx_lin",)
    out = await h.say(G2, "wx_yang", "我也去", name="杨女士")
    assert "已报名" in out[0].text
    out = await h.say(G3, "wx_qian", "算我一个!", name="钱奶奶")
    assert "已报名" in out[0].text
    out = await h.say(G1, "wx_zhang", "接龙 王芳 2人", name="张阿姨")
    assert "王*已报名" in out[0].text and out[0].mentions == ("wx_zhang",)   # names masked in the group
    rows = await _signups(h)
    assert {n: (r.party_size, r.status, r.contact_id) for n, r in rows.items()} == {
        "张阿姨": (2, "confirmed", "wx_zhang"), "马阿姨": (3, "confirmed", "wx_ma"),
        "林同学": (1, "confirmed", "wx_lin"), "杨女士": (1, "confirmed", "wx_yang"),
        "钱奶奶": (1, "confirmed", "wx_qian"), "王芳": (2, "confirmed", None)}
    assert rows["王芳"].added_by == "wx_zhang" and rows["马阿姨"].group_topic == G2
    # 我的报名 lists one's own and the people one named
    out = await h.say("私聊", "wx_zhang", "我的报名")
    assert "中秋做花灯(E101) 2人 已报名" in out[0].text and "王芳" in out[0].text


async def test_another_event_by_plain_words_with_companions(harness) -> None:
    h = harness
    await _publish(h, "发布活动 反诈讲座 11月27日14:30 多功能厅 名额30 截止 11月27日12:00 群 网格3", who="wx_sun")
    out = await h.say(G3, "wx_qian", "@小助手 报名反诈讲座,带我老伴一起", name="钱奶奶")
    assert "已报名「反诈讲座」(E101),2人" in out[0].text


async def test_plus_one_needs_a_recent_notice(harness) -> None:
    h = harness
    # no event at all: silence in the group; addressed or in private, a word
    assert await h.say(G1, "wx_zhang", "+1") == []
    out = await h.say(G1, "wx_zhang", "@小助手 +1")
    assert "不知道您要报哪个活动" in out[0].text and "目前没有可报名的活动" in out[0].text
    out = await h.say("私聊", "wx_zhang", "+1")
    assert "不知道" in out[0].text
    await _publish(h, "发布活动 反诈讲座 11月27日14:30 多功能厅 名额30 群 网格3", who="wx_sun")
    # the notice went to grid 3 only: "+1" in grid 1 is still chatter
    assert await h.say(G1, "wx_zhang", "+1") == []
    # chatter that looks like +1 is left alone
    assert await h.say(G3, "wx_xu", "+1天") == []
    assert await h.say(G3, "wx_xu", "我也去看看") == []
    # a day later the notice is stale (plus_one_hours = 24): "+1" is chatter again
    await h.set_clock("2026-11-24 09:02")
    assert await h.say(G3, "wx_xu", "+1") == []
    assert await _signups(h) == {}


# ---------------------------------------------------------------- 接龙 lists

HEADER = "#接龙\n中秋花灯\n例 张三 2人\n"


async def test_a_list_reposted_by_five_people_counts_five(harness) -> None:
    h = harness
    await _publish(h, LAMP)
    lines = ["1. 冯女士", "2. 何大爷 2人", "3.许先生", "4、周阿姨", "5 吴老师"]
    posters = [("wx_feng", "冯女士"), ("wx_he", "何大爷"), ("wx_xu", "许先生"), ("wx_zhou", "周阿姨"), ("wx_wu", "吴老师")]
    replies = []
    for i, (cid, name) in enumerate(posters, 1):
        out = await h.say(G3, cid, HEADER + "\n".join(lines[:i]), name=name)
        replies.append(out)
        assert len(out) == 1 and out[0].mentions == (cid,) and f"{mask_name(name)}(" in out[0].text
    # somebody re-posts the same list again: nothing new, nothing said
    assert await h.say(G3, "wx_feng", HEADER + "\n".join(lines), name="冯女士") == []
    rows = await _signups(h)
    assert len(rows) == 5
    assert {n: (r.contact_id, r.party_size) for n, r in rows.items()} == {
        "冯女士": ("wx_feng", 1), "何大爷": ("wx_he", 2), "许先生": ("wx_xu", 1), "周阿姨": ("wx_zhou", 1),
        "吴老师": ("wx_wu", 1)}


async def test_list_lines_for_others_continuations_and_the_english_client(harness) -> None:
    h = harness
    await _publish(h, LAMP)
    # two new lines: the one with the poster's name is theirs, the other is someone they added
    out = await h.say(G1, "wx_zhang", "#接龙\n中秋花灯\n1. 张阿姨\n2. 王芳 2人", name="张阿姨")
    assert "张*姨(1人)" in out[0].text and "王*(2人)" in out[0].text
    # a list too long for one message: the rest comes as numbered lines only
    out = await h.say(G2, "wx_ma", "#接龙\n中秋花灯\n1. 张阿姨\n2. 王芳 2人\n3. 马阿姨", name="马阿姨")
    out += await h.say(G2, "wx_ma", "4. 马先生\n5. 马奶奶", name="马阿姨")
    assert "马*生(1人)" in out[1].text
    # the English client's Group Note; the title is fuzzy-matched
    out = await h.say(G3, "wx_lily", "#Group Note\n中秋做花灯活动\n1. 张阿姨\n2. Lily", name="Lily")
    assert "L**y(1人)" in out[0].text
    # someone already in adds one line under another name: a person they sign up, not a second self
    out = await h.say(G1, "wx_zhang", "#接龙\n中秋花灯\n1. 张阿姨\n2. 王芳 2人\n3. 小芳", name="张阿姨")
    assert "小*(1人)" in out[0].text
    rows = await _signups(h)
    assert rows["张阿姨"].contact_id == "wx_zhang" and rows["王芳"].contact_id is None
    assert rows["马阿姨"].contact_id == "wx_ma" and rows["马先生"].contact_id is None
    assert rows["Lily"].contact_id == "wx_lily" and rows["小芳"].contact_id is None
    assert rows["小芳"].added_by == "wx_zhang"
    assert len(rows) == 7
    # numbered lines from someone who posted no list are not a signup
    assert await h.say(G1, "wx_lin", "1. 先交物业费\n2. 再办门禁卡") == []


async def test_a_list_for_an_unknown_event(harness) -> None:
    h = harness
    out = await h.say(G1, "wx_zhang", "#接龙\n广场舞培训\n1. 张阿姨 2人")
    assert "没找到「广场舞培训」这个活动" in out[0].text
    assert await h.say(G1, "wx_ma", "#接龙\n广场舞培训\n1. 张阿姨 2人\n2. 马阿姨") == []   # said once is enough
    # a group buy is the neighbours' own list: not an event, nothing to say (issue 13 §3)
    assert await h.say(G1, "wx_zhang", "#接龙\n团购橙子\n1. 张阿姨 2箱") == []
    # staff are asked whether to create it; publishing then imports the list
    out = await h.say(G1, "wx_wang", "#接龙\n亲子阅读\n1. 张阿姨\n2. 马阿姨 2人")
    assert "要创建吗" in out[0].text and "发布活动 亲子阅读" in out[0].text
    out = await h.say("私聊", "wx_wang", "发布活动 亲子阅读 11月28日10:00 书画室 名额10")
    assert "已导入之前接龙里的2组报名" in out[0].text
    rows = await _signups(h)
    assert {n: r.party_size for n, r in rows.items()} == {"张阿姨": 1, "马阿姨": 2}


# ---------------------------------------------------------------- capacity, waitlist, promotion

async def test_full_waitlist_and_cancellation_promotes_the_first_that_fits(harness) -> None:
    h = harness
    await _publish(h, "发布活动 剪纸课 11月28日10:00 书画室 名额5 群 网格1", who="wx_wang")
    await h.say(G1, "wx_a", "报名 剪纸 3人", name="阿A")
    await h.say(G1, "wx_b", "报名 剪纸 2人", name="阿B")
    out = await h.say(G1, "wx_c", "报名 剪纸 2人", name="阿C")
    assert "名额已满" in out[0].text and "候补第1位" in out[0].text
    out = await h.say(G1, "wx_d", "报名 剪纸", name="阿D")
    assert "候补第2位" in out[0].text
    # 阿B (2) cancels: 阿C (2) fits and moves up, and is told with an @ in the group
    out = await h.say(G1, "wx_b", "取消报名 剪纸", name="阿B")
    assert out[0].mentions == ("wx_b",) and "已取消您的报名" in out[0].text
    assert len(out) == 2 and out[1].to == G1 and out[1].mentions == ("wx_c",) and "候补转为正式报名" in out[1].text
    # 阿A (3) cancels: 3 free; 阿D (1) moves up
    out = await h.say(G1, "wx_a", "取消报名", name="阿A")
    assert [d.mentions for d in out] == [("wx_a",), ("wx_d",)]
    rows = await _signups(h)
    assert {n: r.status for n, r in rows.items()} == {"阿A": "cancelled", "阿B": "cancelled", "阿C": "confirmed",
                                                       "阿D": "confirmed"}
    # signing up again after cancelling is a fresh signup at the end of the line
    out = await h.say(G1, "wx_b", "报名 剪纸 2人", name="阿B")
    assert "已报名" in out[0].text


async def test_offers_must_be_confirmed_in_time_or_pass_on(harness) -> None:
    h = harness
    await _publish(h, "发布活动 书法体验 11月28日10:00 书画室 名额1 确认2小时 群 网格1", who="wx_wang")
    await h.say(G1, "wx_a", "报名 书法", name="阿A")
    await h.say(G1, "wx_b", "报名 书法", name="阿B")
    await h.say(G1, "wx_c", "报名 书法", name="阿C")
    out = await h.say(G1, "wx_a", "取消报名 书法", name="阿A")
    assert out[1].mentions == ("wx_b",) and "确认 E101" in out[1].text
    out = await h.set_clock("2026-11-23 11:01")
    lapsed = [d for d in out if "已过确认时间" in d.text]
    offered = [d for d in out if "确认 E101" in d.text and "保留" in d.text]
    assert [d.mentions for d in lapsed] == [("wx_b",)] and [d.mentions for d in offered] == [("wx_c",)]
    out = await h.say(G1, "wx_b", "确认 E101", name="阿B")
    assert "已过确认时间" in out[0].text
    out = await h.say(G1, "wx_c", "确认 E101", name="阿C")
    assert "已确认" in out[0].text
    rows = await _signups(h)
    assert {n: r.status for n, r in rows.items()} == {"阿A": "cancelled", "阿B": "expired", "阿C": "confirmed"}


# ---------------------------------------------------------------- bad input

async def test_bad_input_from_residents(harness) -> None:
    h = harness
    await _publish(h, LAMP)
    out = await h.say(G1, "wx_zhang", "报名 花灯 0人", name="张阿姨")
    assert "人数请写1到3之间" in out[0].text
    out = await h.say(G1, "wx_zhang", "报名 花灯 50人")
    assert "每户限3人" in out[0].text
    out = await h.say(G1, "wx_zhang", "报名 瑜伽")
    assert "没找到「瑜伽」这个活动" in out[0].text and "中秋做花灯(E101)" in out[0].text
    out = await h.say(G1, "wx_zhang", "取消报名 花灯")
    assert "没有报名「中秋做花灯」" in out[0].text
    await h.say(G1, "wx_zhang", "报名 花灯 2人", name="张阿姨")
    out = await h.say(G1, "wx_zhang", "报名 花灯 3人", name="张阿姨")
    assert "已经报名「中秋做花灯」(E101)了(2人)" in out[0].text and "改成3人" in out[0].text
    out = await h.say(G1, "wx_zhang", "改成3人")
    assert "已改为3人" in out[0].text
    out = await h.say(G1, "wx_zhang", "+1")
    assert "不用重复报名" in out[0].text
    assert (await _signups(h))["张阿姨"].party_size == 3
    # chatter about signing up is not a signup
    assert await h.say(G1, "wx_ma", "报名了吗?") == []
    assert await h.say(G1, "wx_ma", "大家中秋快乐") == []


async def test_ambiguous_words_ask_which_and_a_number_answers(harness) -> None:
    h = harness
    await _publish(h, "发布活动 反诈讲座 11月27日14:30 多功能厅 名额30 群 网格1", who="wx_wang")
    await _publish(h, "发布活动 健康讲座 11月28日14:30 会议室 名额20 群 网格1", who="wx_wang")
    out = await h.say(G1, "wx_zhang", "报名 讲座 2人")
    assert "哪一个" in out[0].text and "1. 反诈讲座(E101)" in out[0].text
    out = await h.say(G1, "wx_zhang", "2")
    assert "已报名「健康讲座」(E102),2人" in out[0].text


async def test_deadline_refuses_residents_but_staff_can_add(harness) -> None:
    h = harness
    await _publish(h, "发布活动 反诈讲座 11月27日14:30 多功能厅 名额30 截止 11月24日12:00 群 网格1", who="wx_wang")
    await h.set_clock("2026-11-24 12:30")
    out = await h.say(G1, "wx_zhang", "报名 反诈讲座")
    assert "报名已于11月24日(周二) 12:00截止" in out[0].text
    out = await h.say(G1, "wx_wang", "接龙 E101 张阿姨 2人")
    assert "张*姨已报名" in out[0].text
    assert (await _signups(h))["张阿姨"].party_size == 2


# ---------------------------------------------------------------- rosters, reminders, check-in, no-shows

async def test_roster_is_masked_and_throttled(harness) -> None:
    h = harness
    await _publish(h, "发布活动 剪纸课 11月28日10:00 书画室 名额20 群 网格1,网格2", who="wx_wang")
    for i, name in enumerate(["张三芳", "王芳", "李四"]):
        out = await h.say(G1, f"wx_{i}", "+1", name=name)
        assert all("#接龙" not in d.text for d in out)          # never after each signup
    out = await h.advance("10m")
    rosters = [d for d in out if d.text.startswith("#接龙")]
    assert sorted(d.to for d in rosters) == [G1, G2]
    text = rosters[0].text
    assert "1. 张*芳" in text and "2. 王*" in text and "3. 李*" in text and "王芳" not in text
    assert await h.advance("1m") == []
    assert await h.set_clock("2026-11-23 09:50") == []           # nothing changed: no roster
    await h.say(G2, "wx_9", "+1", name="赵六")
    out = await h.advance("9m")
    assert [d for d in out if d.text.startswith("#接龙")] == []  # at most one per 10 minutes
    out = await h.advance("2m")
    assert len([d for d in out if d.text.startswith("#接龙")]) == 2
    # staff see full names, privately
    out = await h.say(G1, "wx_wang", "名单 E101")
    assert out[0].to == "私聊:wx_wang" and "张三芳" in out[0].text


async def test_reminders_check_in_attendance_and_no_shows(harness) -> None:
    h = harness
    await _publish(h, "发布活动 剪纸课 11月25日10:00 书画室 名额20 29.9元 群 网格1", who="wx_wang")
    await h.say(G1, "wx_zhang", "报名 剪纸 2人", name="张阿姨")
    await h.say("私聊", "wx_ma", "报名 剪纸", name="马阿姨")
    await h.say(G1, "wx_lin", "+1", name="林同学")
    out = await h.set_clock("2026-11-24 17:59")
    assert [d for d in out if "明天的活动提醒" in d.text] == []
    out = await h.advance("1m")
    day = [d for d in out if "明天的活动提醒" in d.text]
    assert {(d.to, d.mentions) for d in day} == {(G1, ("wx_zhang", "wx_lin")), ("私聊:wx_ma", ())}
    assert "29.9元" in day[0].text and all(d.at.startswith("2026-11-24T18:00") for d in day)
    out = await h.set_clock("2026-11-25 08:58")
    out += await h.advance("3m")
    hour = [d for d in out if "还有1小时开始" in d.text]
    assert len(hour) == 2 and all(d.at.startswith("2026-11-25T09:00") for d in hour)
    assert await h.advance("5m") == [] or True
    out = await h.say(G1, "wx_zhang", "签到 E101", name="张阿姨")
    assert "签到成功" in out[0].text
    out = await h.say(G1, "wx_zhang", "签到 e101", name="张阿姨")
    assert "已经签到过" in out[0].text
    out = await h.say(G1, "wx_wang", "签到 E101 马阿姨 赵六")
    assert "马阿姨" in out[0].text and "名单上没有: 赵六" in out[0].text
    # after the event: 林同学 did not come; the publisher gets the numbers
    out = await h.set_clock("2026-11-25 13:01")
    summary = [d for d in out if d.to == "私聊:wx_wang"]
    assert summary and "未到1组: 林同学" in summary[0].text
    out = await h.say("私聊", "wx_wang", "爽约 林同学")
    assert "林同学: 1次" in out[0].text
    rows = await _signups(h)
    assert rows["林同学"].no_show and not rows["张阿姨"].no_show and rows["马阿姨"].checked_in_at is not None


async def test_no_show_policy_blocks_low_fee_signups(config, db_url) -> None:
    import dataclasses

    from tests.harness import Harness

    cfg = dataclasses.replace(config, events=dataclasses.replace(config.events, no_show_block=1))
    h = await Harness.create(cfg, db_url)
    try:
        await _publish(h, "发布活动 剪纸课 11月23日10:00 书画室 名额20 群 网格1", who="wx_wang")
        await h.say(G1, "wx_lin", "+1", name="林同学")
        await h.say(G1, "wx_zhang", "+1", name="张阿姨")
        await h.set_clock("2026-11-23 09:30")
        await h.say(G1, "wx_zhang", "签到 E101", name="张阿姨")
        await h.set_clock("2026-11-23 14:00")
        await _publish(h, "发布活动 瑜伽课 11月26日10:00 瑜伽室 名额20 29.9元 群 网格1", who="wx_wang")
        await _publish(h, "发布活动 读书会 11月26日15:00 书画室 名额20 免费 群 网格1", who="wx_wang")
        out = await h.say(G1, "wx_lin", "报名 瑜伽", name="林同学")
        assert "未到场" in out[0].text and "低偿" in out[0].text
        out = await h.say(G1, "wx_lin", "报名 读书会", name="林同学")
        assert "已报名" in out[0].text
        out = await h.say(G1, "wx_zhang", "报名 瑜伽", name="张阿姨")
        assert "已报名" in out[0].text
    finally:
        await h.close()


# ---------------------------------------------------------------- staff edits and cancellations

async def test_edit_and_cancel_tell_everyone_signed_up(harness) -> None:
    h = harness
    await _publish(h, "发布活动 剪纸课 11月28日10:00 书画室 名额2 群 网格1", who="wx_wang")
    await h.say(G1, "wx_zhang", "报名 剪纸", name="张阿姨")
    await h.say("私聊", "wx_ma", "报名 剪纸", name="马阿姨")
    out = await h.say(G1, "wx_lin", "报名 剪纸", name="林同学")
    assert "候补第1位" in out[0].text
    # more places: the waiting list moves up and the others hear about the new capacity
    out = await h.say("私聊", "wx_wang", "改活动 E101 名额3")
    assert any(d.mentions == ("wx_lin",) and "候补转为正式报名" in d.text for d in out)
    assert any(d.to == "私聊:wx_ma" and "名额调整为3人" in d.text for d in out)
    assert "从候补递补1组" in out[-1].text
    # a new time: the group hears it, with the people signed up there @-ed; private signups privately
    out = await h.say("私聊", "wx_wang", "改活动 E101 时间 11月29日15:00")
    group = [d for d in out if d.to == G1]
    assert len(group) == 1 and set(group[0].mentions) == {"wx_zhang", "wx_lin"} and "11月29日(周日) 15:00" in group[0].text
    assert any(d.to == "私聊:wx_ma" for d in out) and "已通知3位" in out[-1].text
    out = await h.say("私聊", "wx_wang", "改活动 E101 名额1")
    assert "名额不能少于3" in out[0].text
    out = await h.say("私聊", "wx_wang", "取消活动 E101 老师生病")
    assert any(d.to == G1 and "【活动取消】" in d.text and "老师生病" in d.text for d in out)
    assert any(d.to == "私聊:wx_ma" and "取消了" in d.text for d in out)
    out = await h.say(G1, "wx_zhao", "报名 剪纸")
    assert "没找到" in out[0].text or "已取消" in out[0].text
    out = await h.say("私聊", "wx_wang", "移除报名 E101 张阿姨")
    assert out   # polite, whatever the state
    assert (await _event(h)).status == "cancelled"


async def test_staff_removal_promotes_and_events_list(harness) -> None:
    h = harness
    await _publish(h, "发布活动 剪纸课 11月28日10:00 书画室 名额1 群 网格1", who="wx_wang")
    await h.say(G1, "wx_zhang", "报名 剪纸", name="张阿姨")
    await h.say(G1, "wx_lin", "报名 剪纸", name="林同学")
    out = await h.say("私聊", "wx_wang", "移除报名 E101 张阿姨")
    assert "已将张阿姨移出" in out[-1].text and any(d.mentions == ("wx_lin",) for d in out)
    assert (await _signups(h))["张阿姨"].status == "removed"
    out = await h.say(G2, "wx_ma", "活动列表")
    assert "剪纸课(E101)" in out[0].text and "剩余0个名额" in out[0].text
    out = await h.say(G1, "wx_zhang", "名单 E101")
    assert "只有网格员" in out[0].text


async def test_function_room_booking_follows_the_event(harness) -> None:
    h = harness
    out = await h.say("私聊", "wx_wang", "发布活动 剪纸课 11月28日10:00-12:00 书画室 名额10 群 网格1")
    assert "功能室「书画室」已为活动预约" in out[0].text
    code = (await _event(h)).room_booking
    assert code and code.startswith("B")
    # the room is taken for residents now
    out = await h.say("私聊", "wx_zhang", "预约 书画室 11月28日上午10点到11点")
    assert code not in out[0].text
    out = await h.say("私聊", "wx_wang", "取消活动 E101 场地维修")
    assert f"功能室预约 {code} 已一并取消" in out[-1].text
    # a second event in a room already taken still publishes, with a warning
    await h.say("私聊", "wx_wang", "发布活动 书法课 11月28日10:00 书画室 名额10 群 网格1")
    out = await h.say("私聊", "wx_wang", "发布活动 国画课 11月28日10:30 书画室 名额10 群 网格1")
    assert "E103" in out[0].text and "没能自动预约" in out[0].text


# ---------------------------------------------------------------- export

async def test_export_signups(harness) -> None:
    from bot.export import export_rows, render

    h = harness
    await _publish(h, "发布活动 剪纸课 11月28日10:00 书画室 名额2 群 网格1", who="wx_wang")
    await h.say(G1, "wx_zhang", "报名 剪纸", name="张阿姨")
    await h.say(G1, "wx_zhang", "接龙 王芳", name="张阿姨")
    await h.say(G1, "wx_lin", "报名 剪纸 2人", name="林同学")
    async with h.core.sessions() as s:
        kind, rows = await export_rows(s, h.config, "signups")
    assert [(r["event"], r["person"], r["party_size"], r["status"], r["position"]) for r in rows] == [
        ("E101", "张阿姨", 1, "confirmed", 1), ("E101", "王芳", 1, "confirmed", 2), ("E101", "林同学", 2, "waiting", 1)]
    csv = render(kind, rows, "csv", h.config).decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("活动编号,活动,活动时间") and "王芳" in csv and "候补" in csv
    assert render(kind, rows, "xlsx", h.config)[:2] == b"PK"


async def test_notices_wait_for_the_end_of_quiet_hours(harness) -> None:
    h = harness
    await h.set_clock("2026-11-23 22:00")
    out = await h.say("私聊", "wx_wang", "发布活动 剪纸课 11月28日10:00 书画室 名额10 群 网格1")
    assert "E101" in out[0].text
    assert await h.advance("2m") == []
    out = await h.set_clock("2026-11-24 08:00")
    assert [d.to for d in out] == [G1] and out[0].text.startswith("【活动报名】")


async def test_someone_named_by_another_can_claim_and_cancel(harness) -> None:
    h = harness
    await _publish(h, "发布活动 剪纸课 11月28日10:00 书画室 名额10 群 网格1", who="wx_wang")
    await h.say(G1, "wx_zhang", "接龙 王芳 2人", name="张阿姨")
    out = await h.say(G1, "wx_wf", "取消报名 剪纸", name="王芳")
    assert "已取消" in out[0].text
    out = await h.say(G1, "wx_wf", "报名 剪纸", name="王芳")
    assert "已报名" in out[0].text
    out = await h.say(G1, "wx_zhang", "接龙 王芳 2人", name="张阿姨")
    assert "王*已经报名" in out[0].text
    rows = await _signups(h)
    assert len(rows) == 1 and rows["王芳"].contact_id == "wx_wf" and rows["王芳"].party_size == 1


async def test_plain_words_in_a_group_without_the_bot_named(harness) -> None:
    h = harness
    await _publish(h, "发布活动 读书会 11月28日10:00 书画室 名额10 群 网格1", who="wx_wang")
    await _publish(h, "发布活动 包饺子 11月29日10:00 会议室 名额10 群 网格1", who="wx_wang")
    out = await h.say(G1, "wx_a", "读书会我参加", name="阿A")
    assert "已报名「读书会」(E101),1人" in out[0].text
    out = await h.say(G1, "wx_b", "包饺子算我们家一个,3口人", name="阿B")
    assert "已报名「包饺子」(E102),3人" in out[0].text
    out = await h.say(G1, "wx_c", "包饺子还能报吗?想带我妈去", name="阿C")
    assert "还有7个名额" in out[0].text and "报名 包饺子 2人" in out[0].text
    out = await h.say(G1, "wx_d", "接龙 3 阿D 2人", name="阿D")
    assert "阿*(2人)" in out[0].text
    out = await h.say(G1, "wx_e", "接龙 1.阿E 2.阿F 3.阿G", name="阿E")
    assert "阿*(1人)、阿*(1人)、阿*(1人)" in out[0].text
    out = await h.say(G1, "wx_h", "+1+1", name="阿H")
    assert "2人" in out[0].text
    # talk that only sounds like it stays unanswered
    for text in ["我参加了昨天的读书会,很有收获", "周末我们都去公园", "读书会截止了吗", "我报了名的", "我参加工作30年了"]:
        assert await h.say(G1, "wx_z", text) == [], text
    rows = await _signups(h, 2)
    assert {n: (r.party_size, r.contact_id) for n, r in rows.items()} == {
        "阿B": (3, "wx_b"), "阿D": (2, "wx_d"), "阿E": (1, "wx_e"), "阿F": (1, None), "阿G": (1, None),
        "阿H": (2, "wx_h")}
