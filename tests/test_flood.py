"""Flood and fairness (issue 11 §4): one resident, or one busy group, cannot make the bot answer more than
the reply budget; the messages are still read and recorded; an urgent alert is never delayed by a flood."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.flood import ReplyBudget
from bot.sender import OutboxSender, RateLimiter
from kernel.config import SenderConfig
from kernel.message import ChatKind, IncomingMessage
from models.messages import ProcessedMessage
from models.needs import Need
from models.outbox import OutboxMessage, Priority
from texts.common import FLOOD_GROUP, FLOOD_PERSON
from tests.test_sender import FakeTime, RecordingChannel

GROUP = "网格1一家亲"


@pytest.fixture
async def harness(harness):  # type: ignore[no-untyped-def]
    """The chat harness with the reply budget on (simulations run without it: script time is frozen)."""
    harness.core.dispatcher.budget = ReplyBudget(harness.config.sender)
    return harness


def _msg(h, n: int, sender: str, text: str, *, group: str | None = GROUP) -> IncomingMessage:
    return IncomingMessage(id=f"f{n}", account=h.config.bot_id, channel="test", sender_id=sender,
                           sender_name=sender, text=text, at=h.clock.now(), group_id=group, group_topic=group,
                           mentions_bot=group is not None)


async def _rows(h) -> list[OutboxMessage]:
    async with h.core.sessions() as s:
        return list((await s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


def _to(rows, sender: str, group: str | None = GROUP) -> list[OutboxMessage]:
    """The replies a person got: @-mentions in the group, or private messages."""
    if group is None:
        return [r for r in rows if r.chat_kind == ChatKind.PRIVATE and r.chat_id == sender]
    return [r for r in rows if r.chat_kind == ChatKind.GROUP and r.chat_id == group and sender in r.mentions]


async def test_flood_of_150_in_40s_gets_budget_and_one_notice_and_urgent_alert_goes_first(harness) -> None:
    h = harness
    flood = []
    for i in range(150):
        text = f"@小助手 报修 1栋{i + 2}楼楼道灯不亮" if i % 10 == 0 else "@小助手 帮助"
        flood.append(_msg(h, i, "wx_zhang", text))
    for i, msg in enumerate(flood):
        if i == 75:   # meanwhile, another resident in the same group
            await h.core.dispatcher.handle(_msg(h, 999, "wx_ma", "@小助手 3栋楼下有人晕倒了,快来人"))
        await h.core.dispatcher.handle(msg)
        h.clock.advance(timedelta(seconds=40 / 150))

    rows = await _rows(h)
    zhang = _to(rows, "wx_zhang")
    assert len(zhang) == 5 + 1 and [r.text for r in zhang].count(FLOOD_PERSON) == 1
    assert zhang[-1].text == FLOOD_PERSON
    # Every message was read and recorded; every repair report was filed, answered or not.
    async with h.core.sessions() as s:
        seen = await s.scalar(select(func.count()).select_from(ProcessedMessage))
        filed = await s.scalar(select(func.count()).select_from(Need).where(Need.requester == "wx_zhang"))
    assert seen == 151 and filed == 15

    # The sender, under the anti-ban policy, sends the urgent alerts and the urgent acknowledgement first.
    ft = FakeTime()
    cfg = SenderConfig(min_interval_s=1.0, jitter_s=0.5, reply_burst=3)
    channel = RecordingChannel(ft)
    sender = OutboxSender(h.core.sessions, channel, h.clock, cfg, h.config.bot_id, "t",
                          limiter=RateLimiter(cfg, monotonic=ft.monotonic, sleep=ft.sleep))
    while await sender.deliver_due(rate_limited=True):
        pass
    sent = [o for _, o in channel.sent]
    assert len(sent) == len(rows)
    urgent = [r.key for r in rows if r.priority == Priority.URGENT]
    ack = next(r for r in rows if r.chat_id == GROUP and "wx_ma" in r.mentions)
    assert ack.priority == Priority.URGENT and len(urgent) >= 2   # the acknowledgement and the worker's alert
    assert {o.key for o in sent[:len(urgent)]} == set(urgent)
    assert any(o.chat_kind == ChatKind.PRIVATE and o.chat_id == "wx_wang" for o in sent[:len(urgent)])


async def test_500_private_messages_make_one_budget_per_window_not_501_replies(harness) -> None:
    h = harness
    for i in range(500):   # one every half second: 250 s, five windows of a minute
        await h.core.dispatcher.handle(_msg(h, i, "wx_lin", "帮助", group=None))
        h.clock.advance(timedelta(seconds=0.5))
    replies = _to(await _rows(h), "wx_lin", group=None)
    assert len(replies) == 5 * (5 + 1)
    assert [r.text for r in replies].count(FLOOD_PERSON) == 5


async def test_a_busy_group_gets_its_budget_then_one_group_notice(harness) -> None:
    h = harness
    for i in range(30):   # thirty different residents, one question each, within a minute
        await h.core.dispatcher.handle(_msg(h, i, f"wx_r{i}", "@小助手 帮助"))
        h.clock.advance(timedelta(seconds=1))
    rows = [r for r in await _rows(h) if r.chat_id == GROUP]
    assert len(rows) == 20 + 1 and rows[-1].text == FLOOD_GROUP
    h.clock.advance(timedelta(seconds=60))       # the window has passed: answered again
    await h.core.dispatcher.handle(_msg(h, 100, "wx_r0", "@小助手 帮助"))
    assert len([r for r in await _rows(h) if r.chat_id == GROUP]) == 22


async def test_staff_are_not_budgeted(harness) -> None:
    h = harness
    for i in range(12):
        await h.core.dispatcher.handle(_msg(h, i, "wx_wang", "待办", group=None))
    assert len(_to(await _rows(h), "wx_wang", group=None)) == 12


def test_budget_memory_is_bounded_and_forgets_expired_windows_first() -> None:
    from datetime import datetime, timezone

    budget = ReplyBudget(SenderConfig(), max_windows=100)
    t0 = datetime(2026, 12, 3, tzinfo=timezone.utc)
    ledger = budget.ledger(t0)
    ledger.spend("p:old")
    ledger.commit()
    for i in range(150):
        ledger = budget.ledger(t0 + timedelta(seconds=61))
        ledger.spend(f"p:{i}")
        ledger.commit()
    assert len(budget) == 100 and "p:old" not in budget._windows and "p:149" in budget._windows


async def test_an_urgent_alert_committed_during_a_long_send_run_goes_next(harness) -> None:
    """The service loop holds a batch of claimed rows; an urgent row committed meanwhile overtakes them."""
    from models.db import transaction
    from models.outbox import enqueue

    h = harness
    ft = FakeTime()
    cfg = SenderConfig(min_interval_s=1.0, jitter_s=0.5, reply_burst=3, coalesce_max=1)   # one message per row here

    async def queue(key: str, priority: Priority) -> None:
        async with transaction(h.core.sessions) as s:
            await enqueue(s, key=key, account=h.config.bot_id, chat_kind=ChatKind.GROUP, chat_id=GROUP,
                          text=key, now=h.clock.now(), priority=priority)

    class AlertMidway(RecordingChannel):
        async def send(self, out) -> None:  # type: ignore[no-untyped-def]
            await super().send(out)
            if len(self.sent) == 5:
                await queue("urgent", Priority.URGENT)
                sender.wake()           # what the router's commit does

    for i in range(30):
        await queue(f"reply{i}", Priority.REPLY)
    channel = AlertMidway(ft)
    sender = OutboxSender(h.core.sessions, channel, h.clock, cfg, h.config.bot_id, "t",
                          limiter=RateLimiter(cfg, monotonic=ft.monotonic, sleep=ft.sleep))
    assert await sender.pump() == 31
    keys = [o.key for _, o in channel.sent]
    assert keys.index("urgent") == 5 and len(set(keys)) == 31
