"""Scheduled pushes: staff notices by command, quiet hours, holidays, missed slots after an outage,
exactly once across two instances, the anti-ban rate limit, and the weekly digest."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time as _time
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.app import open_core
from bot.channels.scripted import ScriptChannel
from kernel.clock import ManualClock
from kernel.config import GridConfig
from kernel.message import ChatKind, OutgoingMessage
from bot.sender import OutboxSender, RateLimiter
from models import pushes as P
from models.db import transaction
from models.outbox import OutboxMessage, Priority, enqueue

TZ = ZoneInfo("Asia/Shanghai")


def at(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=TZ)


async def runs(h, push_id: int) -> list[tuple[str, str, str | None]]:  # type: ignore[no-untyped-def]
    async with h.core.sessions() as s:
        return [(r.slot.astimezone(TZ).strftime("%m-%d %H:%M"), r.status, r.reason)
                for r in await P.runs_of(s, push_id)]


def notices(out):  # type: ignore[no-untyped-def]
    return [d for d in out if d.text.startswith("【社区通知】")]


async def test_staff_schedule_a_weekly_notice_list_pause_resume_send_now_cancel(harness) -> None:
    h = harness
    out = await h.say("私聊", "wx_wang", "定时通知 每周一 09:00 群 网格1,网格2 本周三上午社区义诊,请相互转告")
    assert len(out) == 1
    reply = out[0].text
    assert "已设定定时通知 P" in reply and "每周一 09:00" in reply and "11月30日(周一) 09:00" in reply
    assert "网格1、网格2" in reply
    code = reply.split("定时通知 ")[1].split(":")[0]
    push_id = int(code[1:])

    await h.advance("1m")          # the first tick also sets up the weekly digest (Monday 09:00)
    out = await h.say("锦城社区工作群", "wx_li", "推送列表")
    assert code in out[0].text and "本周三上午社区义诊" in out[0].text and "本周活动" in out[0].text

    out = await h.set_clock("2026-11-30 09:00")
    sent = notices(out)
    assert sorted(d.to for d in sent) == ["网格1一家亲", "网格2一家亲"]
    assert sent[0].text == "【社区通知】本周三上午社区义诊,请相互转告"

    out = await h.say("私聊", "wx_wang", f"暂停推送 {code}")
    assert "已暂停" in out[0].text
    assert notices(await h.set_clock("2026-12-07 09:00")) == []
    out = await h.say("私聊", "wx_wang", f"暂停推送 {code}")
    assert "已经是暂停状态" in out[0].text
    out = await h.say("私聊", "wx_wang", f"恢复推送 {code.lower()}")
    assert "已恢复" in out[0].text and "12月14日(周一) 09:00" in out[0].text

    out = await h.say("私聊", "wx_wang", f"立即推送 {code}")
    assert "1分钟内" in out[0].text
    out = await h.advance("1m")
    assert sorted(d.to for d in notices(out)) == ["网格1一家亲", "网格2一家亲"]

    out = await h.say("私聊", "wx_wang", f"取消推送 {code}")
    assert "已取消" in out[0].text
    assert notices(await h.set_clock("2026-12-14 09:00")) == []
    out = await h.say("私聊", "wx_wang", f"恢复推送 {code}")
    assert "已取消" in out[0].text and "不能再操作" in out[0].text
    statuses = [s for _, s, _ in await runs(h, push_id)]
    assert statuses == ["sent", "skipped", "sent"]   # 11-30, the paused Monday (recorded), the manual one


async def test_notice_commands_refuse_residents_and_explain_bad_input(harness) -> None:
    h = harness
    out = await h.say("网格1一家亲", "wx_zhang", "定时通知 每天 18:00 群 网格1 广场舞")
    assert "只有网格员" in out[0].text
    out = await h.say("私聊", "wx_wang", "定时通知")
    assert "定时通知的写法" in out[0].text
    out = await h.say("私聊", "wx_wang", "定时通知 过几天 群 网格1 停水通知")
    assert "没看懂通知的时间" in out[0].text
    out = await h.say("私聊", "wx_wang", "定时通知 明天 09:00 群 网格9 停水通知")
    assert "没有找到群「网格9」" in out[0].text
    out = await h.say("私聊", "wx_wang", "定时通知 明天 09:00 群 网格1")
    assert "请写上通知内容" in out[0].text
    out = await h.say("私聊", "wx_wang", "暂停推送")
    assert "暂停推送 P3" in out[0].text
    out = await h.say("私聊", "wx_wang", "取消推送 P999")
    assert "没有找到推送 P999" in out[0].text
    # a one-off without 群: all grid groups, time read by the Chinese time parser
    out = await h.say("私聊", "wx_wang", "定时通知 明天上午9点 明天上午停水,请提前储水")
    assert "全部网格群" in out[0].text and "明天 09:00" in out[0].text
    out = await h.set_clock("2026-11-24 09:00")
    assert sorted(d.to for d in notices(out)) == ["网格1一家亲", "网格2一家亲", "网格3一家亲"]
    assert notices(out)[0].text == "【社区通知】明天上午停水,请提前储水"


async def test_quiet_hours_move_a_push_to_the_morning_unless_urgent(harness) -> None:
    h = harness
    out = await h.say("私聊", "wx_wang", "定时通知 明天 03:00 群 网格1 垃圾分类宣传")
    assert "免打扰时段" in out[0].text and "08:00" in out[0].text
    await h.say("私聊", "wx_wang", "定时通知 明天 03:00 群 网格2 紧急 今晨燃气管道抢修,请勿使用明火")
    out = await h.set_clock("2026-11-24 03:00")
    assert [(d.to, d.at) for d in notices(out)] == [("网格2一家亲", "2026-11-24T03:00:00+08:00")]
    out = await h.say("私聊", "wx_wang", "推送列表")
    assert "顺延至 11月24日(周二) 08:00" in out[0].text and "免打扰时段" in out[0].text
    assert notices(await h.set_clock("2026-11-24 07:59")) == []
    out = await h.set_clock("2026-11-24 08:00")
    assert [(d.to, d.at) for d in notices(out)] == [("网格1一家亲", "2026-11-24T08:00:00+08:00")]
    # 立即推送 in the evening: told when it will go, and how to force it
    await h.say("私聊", "wx_wang", "定时通知 每天 18:00 群 网格3 晚间提醒")
    await h.set_clock("2026-11-24 22:00")
    out = await h.say("私聊", "wx_wang", "推送列表")
    pid = next(line.split()[0] for line in out[0].text.splitlines() if "晚间提醒" in line)
    out = await h.say("私聊", "wx_wang", f"立即推送 {pid}")
    assert "免打扰时段" in out[0].text and "紧急" in out[0].text
    assert notices(await h.advance("2m")) == []
    out = await h.say("私聊", "wx_wang", f"立即推送 {pid} 紧急")
    assert "1分钟内" in out[0].text
    assert [d.to for d in notices(await h.advance("1m"))] == ["网格3一家亲"]


async def test_missed_slots_after_an_outage_follow_the_grace_rule(harness) -> None:
    h = harness
    async with transaction(h.core.sessions) as s:
        sched = await P.create_schedule(s, h.clock.now(), TZ, kind=P.PushKind.NOTICE, title="每日提醒", text="每日提醒",
                                        when=P.parse_recurrence("每天 10:00"), created_by="wx_wang",
                                        groups=["网格1一家亲"])
        pid = sched.id
    # 1. the service was down 09:00–11:30: the 10:00 push goes late, once (1.5 h < 2 h grace)
    out = await h.set_clock("2026-11-23 11:30")
    assert [(d.to, d.at) for d in notices(out)] == [("网格1一家亲", "2026-11-23T11:30:00+08:00")]
    # 2. down for three days, back at 12:30: two older slots superseded, the latest 2.5 h late → skipped
    out = await h.set_clock("2026-11-26 12:30")
    assert notices(out) == []
    assert await runs(h, pid) == [
        ("11-23 10:00", "sent", None),
        ("11-24 10:00", "skipped", "停机期间错过,已有更新的一次"),
        ("11-25 10:00", "skipped", "停机期间错过,已有更新的一次"),
        ("11-26 10:00", "skipped", "停机错过: 应于 11月26日(周四) 10:00 发送,已超过宽限 120 分钟"),
    ]
    # 3. down overnight, back at 10:40: sent once, not replayed for every missed day
    out = await h.set_clock("2026-11-28 10:40")
    assert len(notices(out)) == 1
    assert (await runs(h, pid))[-2:] == [("11-27 10:00", "skipped", "停机期间错过,已有更新的一次"),
                                         ("11-28 10:00", "sent", None)]
    # 4. normal operation the next day; a second tick in the same minute sends nothing more
    out = await h.set_clock("2026-11-29 10:00")
    assert len(notices(out)) == 1
    await h.core.ticker.tick()
    assert notices(await h.advance("1m")) == []


async def test_two_instances_on_one_database_send_each_push_exactly_once(config, db_url) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(at("2026-11-23 09:00"))
    a = await open_core(config, db_url, clock)
    b = await open_core(config, db_url, clock, run_migrations=False)
    try:
        chan_a, chan_b = ScriptChannel(clock, TZ), ScriptChannel(clock, TZ)
        a.attach_channel(chan_a, instance="a")
        b.attach_channel(chan_b, instance="b")
        async with transaction(a.sessions) as s:
            for i in range(100):
                when = P.When("once", once_at=at("2026-11-23 09:01") + timedelta(seconds=6 * i))
                await P.create_schedule(s, clock.now(), TZ, kind=P.PushKind.NOTICE, title=f"n{i}", text=f"通知{i}",
                                        when=when, created_by="test", groups=["网格1一家亲", "网格2一家亲"])
        for _ in range(12):
            clock.advance(timedelta(minutes=1))
            await asyncio.gather(a.ticker.tick(), b.ticker.tick(), a.ticker.tick())
            await asyncio.gather(a.sender.drain(), b.sender.drain())
        delivered = Counter((d.to, d.text) for d in chan_a.delivered + chan_b.delivered if "通知" in d.text)
        print(f"\ntwo instances: a sent {len(chan_a.delivered)}, b sent {len(chan_b.delivered)}")
        assert len(delivered) == 200 and set(delivered.values()) == {1}
        async with a.sessions() as s:
            assert await s.scalar(select(func.count()).select_from(P.PushRun).where(P.PushRun.status == "sent")) == 100
            assert await s.scalar(select(func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.key.like("push:%"))) == 200
    finally:
        await a.close()
        await b.close()


class _FakeTime:
    def __init__(self) -> None:
        self.t = 0.0

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, delay: float) -> None:
        self.t += delay
        await asyncio.sleep(0)


class _RecordingChannel:
    name = "recording"

    def __init__(self, fake: _FakeTime) -> None:
        self.fake = fake
        self.sent: list[tuple[float, OutgoingMessage]] = []
        self.on_send = None

    async def start(self, on_message) -> None:  # type: ignore[no-untyped-def]
        pass

    async def stop(self) -> None:
        pass

    def is_ready(self) -> bool:
        return True

    async def send(self, out: OutgoingMessage) -> None:
        self.sent.append((self.fake.t, out))
        if self.on_send is not None:
            await self.on_send(len(self.sent))


def _many_groups(config, n: int):  # type: ignore[no-untyped-def]
    grids = tuple(GridConfig(i, f"测试{i}群", (), "wx_wang") for i in range(1, n + 1))
    return dataclasses.replace(config, grids=grids)


async def test_a_300_group_push_respects_the_interval_and_a_reply_overtakes_it(config, db_url) -> None:  # type: ignore[no-untyped-def]
    cfg = _many_groups(config, 300)
    clock = ManualClock(at("2026-11-23 09:00"))
    core = await open_core(cfg, db_url, clock)
    try:
        async with transaction(core.sessions) as s:
            await P.create_schedule(s, clock.now(), TZ, kind=P.PushKind.NOTICE, title="大推送", text="全体通知",
                                    when=P.When("now", once_at=clock.now()), created_by="test")
        assert await core.ticker.tick() >= 300
        fake = _FakeTime()
        limiter = RateLimiter(cfg.sender, rng=random.Random(7), monotonic=fake.monotonic, sleep=fake.sleep)
        channel = _RecordingChannel(fake)
        sender = OutboxSender(core.sessions, channel, clock, cfg.sender, cfg.bot_id, "rl", limiter=limiter)
        queued_at: list[int] = []

        async def resident_asks(n: int) -> None:
            if n == 101:          # a resident's question arrives in the middle of the push (and of a batch)
                async with transaction(core.sessions) as s:
                    await enqueue(s, key="reply:1", account=cfg.bot_id, chat_kind=ChatKind.GROUP, chat_id="测试7群",
                                  text="您好,已收到", now=clock.now(), mentions=("wx_zhang",), priority=Priority.REPLY)
                sender.wake()     # as the router does after every commit
                queued_at.append(n)
        async def on_send(n: int) -> None:
            await resident_asks(n)
            if n == 301:
                await sender.stop()
        channel.on_send = on_send
        # the service loop itself (small claimed batches, rate-limited), on fake time
        await asyncio.wait_for(sender.run(), timeout=120)
        sent = channel.sent
        assert len(sent) == 301
        reply_pos = next(i for i, (_, m) in enumerate(sent, 1) if m.key == "reply:1")
        # the reply goes out with the very next send (a woken sender claims again before its next send),
        # not after the ~200 notices still queued
        assert reply_pos - queued_at[0] == 1, reply_pos
        gaps = [sent[i][0] - sent[i - 1][0] for i in range(1, len(sent))
                if sent[i][1].key != "reply:1"]
        assert min(gaps) >= cfg.sender.min_interval_s           # ≥ 1 s between notices, always
        assert max(gaps) <= cfg.sender.min_interval_s + cfg.sender.jitter_s + 1e-9
        reply_wait = sent[reply_pos - 1][0] - sent[queued_at[0] - 1][0]
        assert reply_wait <= cfg.sender.min_interval_s + cfg.sender.jitter_s
        total = sent[-1][0] - sent[0][0]
        assert 300 * cfg.sender.min_interval_s <= total <= 300 * (cfg.sender.min_interval_s + cfg.sender.jitter_s)
        print(f"\n300-group push: {total:.0f} s simulated; reply sent {reply_pos - queued_at[0]} sends "
              f"({reply_wait:.1f} s) after it was queued")
    finally:
        await core.close()


async def test_planning_a_push_to_2000_groups_is_fast(config, db_url) -> None:  # type: ignore[no-untyped-def]
    cfg = _many_groups(config, 2000)
    clock = ManualClock(at("2026-11-23 09:00"))
    core = await open_core(cfg, db_url, clock)
    try:
        async with transaction(core.sessions) as s:
            await P.create_schedule(s, clock.now(), TZ, kind=P.PushKind.NOTICE, title="全区通知", text="全区通知",
                                    when=P.When("now", once_at=clock.now()), created_by="test")
        from scheduler.pushes import run_pushes
        from scheduler.ticker import TickContext

        cpu0, wall0 = _time.process_time(), _time.perf_counter()
        async with transaction(core.sessions) as s:
            tc = TickContext(s, clock.now(), cfg, core.directory, cfg.bot_id)
            await run_pushes(tc)
        cpu, wall = _time.process_time() - cpu0, _time.perf_counter() - wall0
        assert tc.queued == 2000
        print(f"\nplanning a 2000-group push: {cpu:.2f} s CPU, {wall:.2f} s wall ({core.engine.dialect.name})")
        assert cpu <= 3.0          # target ≤ 1 s (measured well below on both backends); slack for slow CI
    finally:
        await core.close()


def test_weekly_digest_composer() -> None:
    from texts.surveys import DigestItem, compose_digest

    items = [DigestItem("反诈讲座", at("2026-11-27 14:30"), "多功能厅", "E101", 12),
             DigestItem("包饺子", at("2026-11-25 09:30"), "党群服务中心", "E102", 0),
             DigestItem("书法课", at("2026-11-28 19:00"), "书画室", None, None, "29.9元")]
    text = compose_digest(items, start=at("2026-11-23 09:00").date(), end=at("2026-11-29 09:00").date(), tz=TZ,
                          bot="小助手")
    assert text is not None
    lines = text.splitlines()
    assert lines[0] == "【本周活动】11月23日—11月29日"
    assert lines[1] == "· 11月25日 周三 09:30 包饺子 @党群服务中心(已满,可候补)"
    assert lines[2] == "· 11月27日 周五 14:30 反诈讲座 @多功能厅(余12个名额)"
    assert lines[3] == "· 11月28日 周六 19:00 书法课 @书画室(29.9元)"
    assert "报名 包饺子" in lines[4]
    assert compose_digest([], start=at("2026-11-23 09:00").date(), end=at("2026-11-29 09:00").date(), tz=TZ,
                          bot="小助手") is None


async def test_weekly_digest_goes_to_the_groups_with_events_on_monday_morning(harness) -> None:
    try:
        from models.events import EventSpec, publish_event
    except ImportError:
        return
    h = harness
    async with transaction(h.core.sessions) as s:
        await publish_event(s, h.clock.now(), EventSpec("反诈讲座", at("2026-12-02 14:30"), "多功能厅", 30),
                            created_by="wx_sun", groups=["网格1一家亲", "网格2一家亲"])
        await publish_event(s, h.clock.now(), EventSpec("跨年晚会", at("2026-12-31 19:00"), "多功能厅", 80),
                            created_by="wx_sun", groups=["网格3一家亲"])
    await h.advance("1m")
    out = await h.set_clock("2026-11-30 09:00")
    digests = [d for d in out if d.text.startswith("【本周活动】")]
    assert sorted(d.to for d in digests) == ["网格1一家亲", "网格2一家亲"]     # 网格3's event is next month
    assert "12月2日 周三 14:30 反诈讲座 @多功能厅" in digests[0].text
    out = await h.set_clock("2026-12-07 09:00")
    assert [d for d in out if d.text.startswith("【本周活动】")] == []          # nothing ahead: skipped, silent
