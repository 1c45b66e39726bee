"""Booking function rooms in chat: what residents and staff see, and what the database holds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from models.booking import Booking, Status, WaitlistEntry

GROUP = "网格1一家亲"
STAFF_GROUP = "锦城社区工作群"


def local(h, text: str) -> datetime:   # type: ignore[no-untyped-def]
    return datetime.fromisoformat(text).replace(tzinfo=h.config.timezone)


async def booking(h, code: str) -> Booking:  # type: ignore[no-untyped-def]
    async with h.core.sessions() as s:
        return (await s.scalars(select(Booking).where(Booking.code == code))).one()


async def all_bookings(h) -> list[Booking]:  # type: ignore[no-untyped-def]
    async with h.core.sessions() as s:
        return list((await s.scalars(select(Booking).order_by(Booking.id))).all())


def one(out):  # type: ignore[no-untyped-def]
    assert len(out) == 1, [d.text for d in out]
    return out[0]


# The clock stands at Monday 2026-11-23 09:00 (Asia/Shanghai). Each phrase is booked in the study room
# (20 seats) by a different resident; the bot must echo exactly this reading and store exactly this span.
PHRASES: list[tuple[str, str, str, str]] = [
    # (what the resident typed, the echo, start, end)
    ("明天下午3点到5点", "明天(11月24日 周二)下午 15:00–17:00", "2026-11-24 15:00", "2026-11-24 17:00"),
    ("后天14:00-16:00", "后天(11月25日 周三)下午 14:00–16:00", "2026-11-25 14:00", "2026-11-25 16:00"),
    ("周六上午", "11月28日(周六)上午 09:00–12:00", "2026-11-28 09:00", "2026-11-28 12:00"),
    ("下周三晚上7点半到9点", "12月2日(周三)晚上 19:30–21:00", "2026-12-02 19:30", "2026-12-02 21:00"),
    ("今晚7点到9点", "今天(11月23日 周一)晚上 19:00–21:00", "2026-11-23 19:00", "2026-11-23 21:00"),
    ("明早9点 两个小时", "明天(11月24日 周二)上午 09:00–11:00", "2026-11-24 09:00", "2026-11-24 11:00"),
    ("周日上午10点 一个半小时", "11月29日(周日)上午 10:00–11:30", "2026-11-29 10:00", "2026-11-29 11:30"),
    ("后天晚上七点 一个小时", "后天(11月25日 周三)晚上 19:00–20:00", "2026-11-25 19:00", "2026-11-25 20:00"),
    ("11月27日14:30到16:30", "11月27日(周五)下午 14:30–16:30", "2026-11-27 14:30", "2026-11-27 16:30"),
    ("12月1日上午9点到11点", "12月1日(周二)上午 09:00–11:00", "2026-12-01 09:00", "2026-12-01 11:00"),
    ("大后天下午2点到4点", "11月26日(周四)下午 14:00–16:00", "2026-11-26 14:00", "2026-11-26 16:00"),
    ("这周五下午三点到五点", "11月27日(周五)下午 15:00–17:00", "2026-11-27 15:00", "2026-11-27 17:00"),
    ("3点到5点", "今天(11月23日 周一)下午 15:00–17:00", "2026-11-23 15:00", "2026-11-23 17:00"),
    ("下午4点", "今天(11月23日 周一)下午 16:00–17:00", "2026-11-23 16:00", "2026-11-23 17:00"),
    ("明天中午12点到1点半", "明天(11月24日 周二)中午 12:00–13:30", "2026-11-24 12:00", "2026-11-24 13:30"),
    ("28号下午2点到5点", "11月28日(周六)下午 14:00–17:00", "2026-11-28 14:00", "2026-11-28 17:00"),
    ("下周一上午10点到12点", "11月30日(周一)上午 10:00–12:00", "2026-11-30 10:00", "2026-11-30 12:00"),
    ("明天晚上8点到9点半", "明天(11月24日 周二)晚上 20:00–21:30", "2026-11-24 20:00", "2026-11-24 21:30"),
    ("12/2 14:00-15:00", "12月2日(周三)下午 14:00–15:00", "2026-12-02 14:00", "2026-12-02 15:00"),
    ("星期四早上9点到10点", "11月26日(周四)上午 09:00–10:00", "2026-11-26 09:00", "2026-11-26 10:00"),
]


async def test_twenty_time_phrasings_are_read_echoed_and_stored(harness) -> None:
    h = harness
    wrong = []
    for i, (phrase, echo, start, end) in enumerate(PHRASES):
        out = await h.say("私聊", f"wx_r{i}", f"预约 自习室 {phrase}")
        text = one(out).text
        code = h.last_code
        if "已预约" not in text or echo not in text or code is None:
            wrong.append((phrase, text))
            continue
        b = await booking(h, code)
        if (b.start_at, b.end_at) != (local(h, start), local(h, end)) or b.room_name != "自习室":
            wrong.append((phrase, f"stored {b.start_at}–{b.end_at}"))
    assert not wrong, wrong
    assert [b.code for b in await all_bookings(h)] == [f"B{101 + i}" for i in range(len(PHRASES))]


async def test_plain_chinese_booking_forms_in_a_group_and_privately(harness) -> None:
    h = harness
    out = await h.say(GROUP, "wx_ma", "@小助手 我想订周六上午的自习室两个座")
    d = one(out)
    assert d.to == GROUP and d.mentions == ("wx_ma",)
    assert "自习室 11月28日(周六)上午 09:00–12:00,2个座位" in d.text and "B101" in d.text
    assert (await booking(h, "B101")).party_size == 2
    out = await h.say(GROUP, "wx_lin", "@小助手 帮我约后天晚上七点的乒乓球室一个小时")
    assert "乒乓球室 后天(11月25日 周三)晚上 19:00–20:00" in one(out).text
    out = await h.say(GROUP, "wx_qian", "预约今晚7点到9点的自习室")        # a command word: no @ needed
    assert "自习室 今天(11月23日 周一)晚上 19:00–21:00" in one(out).text
    out = await h.say("私聊", "wx_yang", "琴房 明天下午3点到4点 预约")     # alias, in private, any order
    assert "钢琴房 明天(11月24日 周二)下午 15:00–16:00" in one(out).text
    # Plain language without @ in a group is not for the bot; nor is chatter naming a room or a time.
    assert await h.say(GROUP, "wx_zhang", "我想订周六上午的自习室") == []
    assert await h.say(GROUP, "wx_zhang", "钢琴房明天有空吗") == []
    assert await h.say(GROUP, "wx_zhang", "昨天在自习室看书,下午3点才走") == []
    assert await h.say(GROUP, "wx_zhang", "预约了明天的体检") == []
    assert len(await all_bookings(h)) == 4


async def test_availability_then_book_what_was_discussed(harness) -> None:
    h = harness
    await h.set_clock("2026-11-24 08:50")
    out = await h.say(GROUP, "wx_lin", "@小助手 今天下午两点到五点自习室还有座吗")
    text = one(out).text
    assert "自习室 今天(11月24日 周二)下午 14:00–17:00 还有 20 个空座" in text
    out = await h.say(GROUP, "wx_lin", "@小助手 那帮我订一个座")
    text = one(out).text
    assert "已预约: 自习室 今天(11月24日 周二)下午 14:00–17:00,1个座位" in text and "B101" in text
    out = await h.say(GROUP, "wx_ma", "@小助手 今天下午两点到五点自习室还有座吗")
    assert "还有 19 个空座" in one(out).text
    # A whole room: free stretches of the day, with the buffer around existing bookings.
    await h.say("私聊", "wx_zhang", "预约 钢琴房 明天下午3点到5点")
    out = await h.say("私聊", "wx_qian", "钢琴房明天有空吗")
    assert "钢琴房 明天(11月25日 周三) 08:30–21:30 可以约的时段: 08:30–14:50、17:10–21:30" in one(out).text
    out = await h.say("私聊", "wx_qian", "今晚还有哪些房间空")
    text = one(out).text
    assert text.startswith("今天(11月24日 周二)晚上 19:00–21:00 还能约的房间")
    assert "自习室(空座20个)" in text and "亲子活动室(仅 19:00–20:30)" in text


async def test_conflict_refused_with_alternatives_then_picked_by_number(harness) -> None:
    h = harness
    await h.say(GROUP, "wx_zhang", "预约 钢琴房 明天下午3点到5点")
    out = await h.say("私聊", "wx_ma", "预约 钢琴房 明天下午4点到5点")
    text = one(out).text
    assert "钢琴房 明天(11月24日 周二)下午 16:00–17:00 已经有人约了" in text
    assert "1. 明天(11月24日 周二)下午 17:30–18:30" in text and "回复「排队」" in text
    assert "wx_zhang" not in text and "B101" not in text           # who booked it is nobody else's business
    out = await h.say("私聊", "wx_ma", "1")
    assert "已预约: 钢琴房 明天(11月24日 周二)下午 17:30–18:30" in one(out).text
    b = await booking(h, h.last_code)
    assert b.person_id == "wx_ma" and b.start_at == local(h, "2026-11-24 17:30")
    # Inside the 10-minute buffer: a different explanation, and the nearest slots.
    out = await h.say("私聊", "wx_lin", "预约 钢琴房 明天下午5点到6点")
    assert "离得太近(两次之间需间隔10分钟)" in one(out).text
    # A full study room: seats, not a conflict.
    for i in range(10):
        await h.say("私聊", f"wx_s{i}", "预约 自习室 明天上午9点到11点 两个座")
    out = await h.say("私聊", "wx_lin", "预约 自习室 明天上午10点到11点")
    assert "自习室 明天(11月24日 周二)上午 10:00–11:00 座位已满" in one(out).text
    out = await h.say("私聊", "wx_lin", "预约 自习室 明天上午11点到12点")
    assert "已预约" in one(out).text


async def test_weekly_quota_refusal(harness) -> None:
    h = harness
    assert "已预约" in one(await h.say("私聊", "wx_zhang", "预约 钢琴房 明天下午3点到5点")).text
    assert "已预约" in one(await h.say("私聊", "wx_zhang", "预约 钢琴房 后天下午3点到5点")).text
    out = await h.say("私聊", "wx_zhang", "预约 钢琴房 周五上午10点到11点")
    text = one(out).text
    assert text.startswith("钢琴房 11月27日(周五)上午 10:00–11:00: ")
    assert "您本周在钢琴房已约了4小时,每人每周最多4小时,本周额度已用完" in text
    # Next week is a new week; another resident is not affected.
    assert "已预约" in one(await h.say("私聊", "wx_zhang", "预约 钢琴房 下周一上午10点到11点")).text
    assert "已预约" in one(await h.say("私聊", "wx_ma", "预约 钢琴房 周五上午10点到11点")).text
    # Cancelling gives the hours back.
    await h.say("私聊", "wx_zhang", "取消 B101")
    assert "已预约" in one(await h.say("私聊", "wx_zhang", "预约 钢琴房 周五下午2点到3点")).text


async def test_approval_flow_pending_staff_approves_resident_told(harness) -> None:
    h = harness
    out = await h.say("私聊", "wx_qian", "下周三下午两点到四点借会议室开业委会")
    assert len(out) == 2
    mine, staff = out
    assert mine.to == "私聊:wx_qian" and "已提交申请: 会议室 12月2日(周三)下午 14:00–16:00" in mine.text
    assert "用途: 开业委会" in mine.text and "审批" in mine.text
    assert staff.to == STAFF_GROUP and "B101" in staff.text and "通过 B101" in staff.text
    assert (await booking(h, "B101")).status == Status.PENDING
    # The slot is held while pending.
    out = await h.say("私聊", "wx_ma", "预约 会议室 下周三下午3点到4点")
    assert "已经有人约了" in one(out).text
    # A resident cannot approve; staff can.
    out = await h.say(GROUP, "wx_zhang", "通过 B101")
    assert "只有网格员和社区工作人员" in one(out).text
    out = await h.say(STAFF_GROUP, "wx_li", "通过 B101")
    assert len(out) == 2
    assert out[0].to == STAFF_GROUP and "已通过 B101" in out[0].text
    assert out[1].to == "私聊:wx_qian" and "已通过审批" in out[1].text and "12月2日(周三)下午 14:00–16:00" in out[1].text
    assert (await booking(h, "B101")).status == Status.CONFIRMED
    assert "不在待审批状态" in one(await h.say(STAFF_GROUP, "wx_li", "通过 B101")).text
    # Rejection needs a reason, and the resident hears it (in the group where they asked, with @).
    await h.say(GROUP, "wx_ma", "@小助手 预约 多功能厅 后天晚上7点到9点 广场舞排练")
    code = h.last_code
    assert "请写上拒绝原因" in one(await h.say("私聊", "wx_wang", f"拒绝 {code}")).text
    out = await h.say("私聊", "wx_wang", f"拒绝 {code} 当晚已安排消防演练")
    assert out[1].to == GROUP and out[1].mentions == ("wx_ma",)
    assert "未通过审批,原因: 当晚已安排消防演练" in out[1].text
    assert (await booking(h, code)).status == Status.REJECTED


async def test_no_show_is_released_and_the_waiting_resident_promoted(harness) -> None:
    h = harness                                                        # Monday 09:00
    await h.say(GROUP, "wx_zhang", "预约 钢琴房 今天上午10点到12点")
    out = await h.say("私聊", "wx_ma", "预约 钢琴房 今天上午10点到12点")
    assert "已经有人约了" in one(out).text
    out = await h.say("私聊", "wx_ma", "排队")
    assert "已登记候补: 钢琴房 今天(11月23日 周一)上午 10:00–12:00,您排第1位" in one(out).text
    assert await h.set_clock("2026-11-23 10:14") == []                 # still within the grace period
    out = await h.advance("1m")                                        # 10:15: released, offered
    assert [d.to for d in out] == [GROUP, "私聊:wx_ma"]
    assert "开始后15分钟内没有签到,已自动释放" in out[0].text and out[0].mentions == ("wx_zhang",)
    assert "您候补的 钢琴房 有空位了: 今天(11月23日 周一)上午 10:15–12:00" in out[1].text
    assert out[1].at == "2026-11-23T10:15:00+08:00"
    assert (await booking(h, "B101")).status == Status.NO_SHOW
    offered = await booking(h, "B102")
    assert offered.status == Status.OFFERED and offered.person_id == "wx_ma"
    out = await h.say("私聊", "wx_ma", "是")
    assert "已预约: 钢琴房 今天(11月23日 周一)上午 10:15–12:00" in one(out).text
    assert (await booking(h, "B102")).status == Status.CONFIRMED
    out = await h.say("私聊", "wx_ma", "签到")
    assert "签到成功" in one(out).text and "B102" in out[0].text
    assert await h.set_clock("2026-11-23 10:45") == []                 # checked in: not released
    assert (await booking(h, "B102")).status == Status.CHECKED_IN


async def test_unanswered_offer_passes_to_the_next_in_line(harness) -> None:
    h = harness
    await h.say("私聊", "wx_zhang", "预约 钢琴房 今天上午10点到12点")
    for who in ("wx_ma", "wx_lin"):
        await h.say("私聊", who, "预约 钢琴房 今天上午10点到12点")
        await h.say("私聊", who, "排队")
    out = await h.say("私聊", "wx_zhang", "取消 B101")
    assert "已取消 B101" in one(out).text
    out = await h.advance("1m")
    assert [d.to for d in out] == ["私聊:wx_ma"] and "有空位了" in out[0].text
    assert await h.advance("9m") == []
    out = await h.advance("1m")                                        # 10 minutes without an answer
    assert [d.to for d in out] == ["私聊:wx_ma", "私聊:wx_lin"]
    assert "已顺延给下一位" in out[0].text and "有空位了" in out[1].text
    out = await h.say("私聊", "wx_lin", "不要")
    assert "已放弃" in one(out).text
    async with h.core.sessions() as s:
        states = {w.person_id: w.status for w in (await s.scalars(select(WaitlistEntry))).all()}
    assert states == {"wx_ma": "passed", "wx_lin": "passed"}


async def test_reminder_at_the_right_simulated_time_exactly_once(harness) -> None:
    h = harness                                                        # Monday 09:00
    await h.say(GROUP, "wx_zhang", "预约 钢琴房 今天下午3点到4点")
    await h.say("私聊", "wx_ma", "预约 瑜伽室 今天下午3点到4点")
    assert await h.set_clock("2026-11-23 13:58") == []
    out = await h.advance("3m")
    assert [(d.at, d.to, d.mentions) for d in out] == [
        ("2026-11-23T14:00:00+08:00", GROUP, ("wx_zhang",)),
        ("2026-11-23T14:00:00+08:00", "私聊:wx_ma", ()),
    ]
    assert "预约提醒: 钢琴房 今天(11月23日 周一)下午 15:00–16:00" in out[0].text and "签到 B101" in out[0].text
    assert await h.advance("1m") == [] and await h.set_clock("2026-11-23 14:40") == []   # once only
    # Booked inside the reminder window: the confirmation is the reminder.
    await h.say("私聊", "wx_lin", "预约 乒乓球室 今天下午3点到4点")
    assert await h.advance("1m") == [] and await h.set_clock("2026-11-23 14:58") == []


async def test_check_in_rules(harness) -> None:
    h = harness
    await h.say("私聊", "wx_zhang", "预约 钢琴房 今天下午3点到4点")
    out = await h.say("私聊", "wx_zhang", "签到 B101")
    assert "还没到签到时间" in one(out).text and "14:30" in out[0].text
    assert "不是您的预约" in one(await h.say("私聊", "wx_ma", "签到 B101")).text
    await h.set_clock("2026-11-23 14:40")
    out = await h.say(STAFF_GROUP, "wx_wang", "签到 b101")              # staff, any case
    assert "已为 wx_zhang 签到" in one(out).text
    assert "已经签到过了" in one(await h.say("私聊", "wx_zhang", "签到 B101")).text


async def test_bad_input_gets_a_clear_answer(harness) -> None:
    h = harness                                                        # Monday 09:00
    cases = [
        ("预约 钢琴房 昨天下午3点", "已经过去了"),
        ("预约 钢琴房 今天早上8点", "已经过去了"),
        ("预约 钢琴房 2月30日下午3点", "没有这个日期"),
        ("预约 钢琴房 明天下午5点到3点", "结束时间早于开始时间"),
        ("预约 钢琴房 明天晚上9点到11点", "开放时间是 08:30-21:30"),
        ("预约 钢琴房 明天下午1点到5点", "每次最多约2小时"),
        ("预约 瑜伽室 明天下午3点到3点半", "每次至少约1小时"),
        ("预约 钢琴房 12月25日下午3点", "最多提前14天预约"),
        ("预约 书画室 下周一下午3点到4点", "每周一不开放"),
        ("预约 游泳池 明天下午3点", "没有「游泳池」这个房间。可预约的房间: 钢琴房、自习室"),
        ("预约 乒乓球室 明天下午3点到4点 10个人", "最多容纳4人,您说的是10人"),
        ("预约 自习室 明天下午3点到4点 30个座", "共20个座位"),
        ("取消 B999", "没有找到预约 B999"),
        ("预约", "预约 钢琴房 明天下午3点到5点"),
        ("预约 每周二晚上7点 多功能厅 舞蹈队", "每周固定预约需由网格员或社区工作人员办理"),
    ]
    wrong = []
    for text, expected in cases:
        out = await h.say("私聊", "wx_zhang", text)
        if len(out) != 1 or expected not in out[0].text:
            wrong.append((text, [d.text for d in out]))
    assert not wrong, wrong
    assert await all_bookings(h) == []
    # Someone else's booking.
    await h.say("私聊", "wx_ma", "预约 钢琴房 明天下午3点到4点")
    out = await h.say("私聊", "wx_zhang", "取消 B101")
    assert "B101 不是您的预约" in one(out).text
    assert (await booking(h, "B101")).status == Status.CONFIRMED


async def test_ambiguous_room_and_time_ask_and_wait(harness) -> None:
    h = harness
    out = await h.say("私聊", "wx_zhang", "预约 钢琴房还是瑜伽室 明天下午3点到4点")
    assert "1. 钢琴房" in one(out).text and "2. 瑜伽室" in out[0].text
    out = await h.say("私聊", "wx_zhang", "2")
    assert "已预约: 瑜伽室 明天(11月24日 周二)下午 15:00–16:00" in one(out).text
    # 健身房 opens 06:30: "7点" may be morning or evening — asked, not guessed.
    out = await h.say("私聊", "wx_ma", "预约 健身房 明天7点")
    text = one(out).text
    assert "1. 明天(11月24日 周二)早上 07:00–08:00" in text and "2. 明天(11月24日 周二)晚上 19:00–20:00" in text
    assert len(await all_bookings(h)) == 1                             # nothing booked while asking
    out = await h.say("私聊", "wx_ma", "2")
    assert "已预约: 健身房 明天(11月24日 周二)晚上 19:00–20:00" in one(out).text
    out = await h.say("私聊", "wx_ma", "改到 B102 后天7点")                 # moving it is asked the same way
    assert "要改到哪个时间" in one(out).text and "2. 后天(11月25日 周三)晚上 19:00–20:00" in out[0].text
    await h.say("私聊", "wx_lin", "预约 健身房 明天7点")
    assert "这次就不约了" in one(await h.say("私聊", "wx_lin", "不是")).text
    assert len(await all_bookings(h)) == 2
    # Missing pieces are asked for and completed by the next message.
    out = await h.say("私聊", "wx_lin", "预约 钢琴房")
    assert "请问钢琴房要约什么时间" in one(out).text
    out = await h.say("私聊", "wx_lin", "后天上午10点到11点")
    assert "已预约: 钢琴房 后天(11月25日 周三)上午 10:00–11:00" in one(out).text
    out = await h.say("私聊", "wx_qian", "帮我订明天下午3点到4点")
    assert "时间我记下了: 明天(11月24日 周二)下午 15:00–16:00。请问要预约哪个房间" in one(out).text
    out = await h.say("私聊", "wx_qian", "乒乓球室")
    assert "已预约: 乒乓球室 明天(11月24日 周二)下午 15:00–16:00" in one(out).text
    # A part of day longer than the room allows: free stretches are offered.
    out = await h.say("私聊", "wx_yang", "预约 钢琴房 周六下午")
    text = one(out).text
    assert "钢琴房每次最长2小时" in text and "1. 11月28日(周六)下午 14:00–16:00" in text
    out = await h.say("私聊", "wx_yang", "1")
    assert "已预约: 钢琴房 11月28日(周六)下午 14:00–16:00" in one(out).text


async def test_my_bookings_cancel_and_change(harness) -> None:
    h = harness
    assert "没有待使用的预约" in one(await h.say("私聊", "wx_yang", "我的预约")).text
    await h.say("私聊", "wx_yang", "预约 亲子活动室 周日上午10点 一个半小时")
    await h.say("私聊", "wx_yang", "预约 自习室 明天上午9点到11点 两个座")
    out = await h.say("私聊", "wx_yang", "我的预约")
    text = one(out).text
    assert "您的预约(2个)" in text
    assert text.index("B102 自习室 明天(11月24日 周二)上午 09:00–11:00,2个座位 [已预约]") < \
        text.index("B101 亲子活动室 11月29日(周日)上午 10:00–11:30 [已预约]")
    out = await h.say("私聊", "wx_yang", "改到 B101 周日下午3点")
    assert "已改期 ✅ B101: 亲子活动室 11月29日(周日)下午 15:00–16:30" in one(out).text   # length kept
    out = await h.say("私聊", "wx_yang", "B102 改到明天下午2点到4点")
    assert "B102: 自习室 明天(11月24日 周二)下午 14:00–16:00" in one(out).text
    out = await h.say("私聊", "wx_yang", "改到 B101 周日晚上9点")
    assert "开放时间是 08:30-20:30" in one(out).text
    assert "已取消 B102" in one(await h.say("私聊", "wx_yang", "取消 B102")).text
    assert "已取消" in one(await h.say("私聊", "wx_yang", "取消 B102")).text
    out = await h.say("私聊", "wx_yang", "我的预约")
    assert "B102" not in one(out).text and "B101" in out[0].text


async def test_block_cancels_and_notifies_the_affected(harness) -> None:
    h = harness
    await h.say(GROUP, "wx_zhang", "预约 钢琴房 明天下午3点到5点")
    await h.say("私聊", "wx_ma", "预约 钢琴房 后天下午3点到4点")
    out = await h.say(STAFF_GROUP, "wx_li", "封闭 钢琴房 明天 全天 维修")
    assert [d.to for d in out] == [GROUP, STAFF_GROUP]
    assert out[0].mentions == ("wx_zhang",) and "因维修暂停开放,您的预约 B101" in out[0].text
    assert "已封闭 钢琴房 明天(11月24日 周二) 全天(维修)" in out[1].text and "B101" in out[1].text
    assert (await booking(h, "B101")).status == Status.CANCELLED
    assert (await booking(h, "B102")).status == Status.CONFIRMED
    out = await h.say("私聊", "wx_lin", "预约 钢琴房 明天上午10点到11点")
    assert "暂停开放(维修)" in one(out).text and "后天" in out[0].text        # the next days are offered
    assert "只有网格员和社区工作人员" in one(await h.say("私聊", "wx_lin", "封闭 钢琴房 明天 全天 维修")).text


async def test_recurring_weekly_for_staff_with_conflicts_reported(harness) -> None:
    h = harness
    await h.say("私聊", "wx_ma", "@小助手 预约 多功能厅 12月1日晚上7点到8点 合唱排练")
    await h.say(STAFF_GROUP, "wx_li", f"通过 {h.last_code}")
    out = await h.say(STAFF_GROUP, "wx_li", "每周二晚上7点到9点 多功能厅 舞蹈队")
    text = one(out).text
    assert "已创建每周固定预约「舞蹈队」: 多功能厅 每周二" in text and "共 7 次" in text
    assert "以下 1 次未能预约" in text and "12月1日(周二)晚上 19:00–21:00" in text
    rows = [b for b in await all_bookings(h) if b.purpose == "舞蹈队"]
    assert len(rows) == 7 and all(b.status == Status.CONFIRMED and not b.requires_checkin for b in rows)
    assert len({b.series for b in rows}) == 1


async def test_staff_day_list_and_pending_list(harness) -> None:
    h = harness
    await h.say("私聊", "wx_zhang", "预约 钢琴房 今天下午3点到4点")
    await h.say("私聊", "wx_ma", "预约 自习室 今天下午3点到5点 2个座")
    await h.say("私聊", "wx_qian", "预约 会议室 明天上午9点到10点 楼组长会")
    out = await h.say(STAFF_GROUP, "wx_wang", "今日预约")
    text = one(out).text
    assert "今天(11月23日 周一) 预约一览" in text
    assert "【钢琴房】15:00–16:00 wx_zhang" in text and "【自习室】15:00–17:00 wx_ma,2个座位" in text
    out = await h.say(STAFF_GROUP, "wx_wang", "审批")
    assert "B103 会议室 明天(11月24日 周二)上午 09:00–10:00 申请人 wx_qian(楼组长会)" in one(out).text
    assert "只有网格员" in one(await h.say(GROUP, "wx_zhang", "今日预约")).text


async def test_export_bookings(harness) -> None:
    from bot.export import export_rows, render

    h = harness
    await h.say("私聊", "wx_zhang", "预约 钢琴房 明天下午3点到5点")
    async with h.core.sessions() as s:
        kind, rows = await export_rows(s, h.config, "bookings")
    assert rows[0]["code"] == "B101" and rows[0]["room"] == "钢琴房" and rows[0]["person"] == "wx_zhang"
    assert rows[0]["start"].isoformat() == "2026-11-24T15:00:00+08:00" and rows[0]["party_size"] == 1
    assert rows[0]["status"] == "confirmed"
    csv = render(kind, rows, "csv", h.config).decode("utf-8-sig")
    assert csv.splitlines()[0].startswith("预约号,功能室,预约人ID,预约人,开始时间,结束时间,人数/座位,状态")
