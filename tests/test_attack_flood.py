"""Attack round (issue 13): one resident typing "着火了" sixty times in twelve seconds. Every message is
still read and filed, the worker still hears of each new need — but someone else's real urgent alert,
sent a moment later, goes out after the flooder's first few, not after all of them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.flood import URGENT_PER_PERSON
from bot.sender import OutboxSender, RateLimiter
from kernel.config import SenderConfig
from models.needs import Need
from models.outbox import Priority
from tests.test_flood import GROUP, _msg, _rows, harness  # noqa: F401  (harness: the budgeted one)
from tests.test_sender import FakeTime, RecordingChannel


async def test_a_flood_of_urgent_words_cannot_queue_ahead_of_someone_elses_urgent_alert(harness) -> None:
    h = harness
    for i in range(60):
        await h.core.dispatcher.handle(_msg(h, i, "wx_zhang", f"@小助手 {i % 5 + 1}栋{i + 2}楼着火了 快来人"))
        h.clock.advance(timedelta(seconds=0.2))
    await h.core.dispatcher.handle(_msg(h, 999, "wx_ma", "@小助手 3栋楼下有人晕倒了,快来人"))
    rows = await _rows(h)
    async with h.core.sessions() as s:
        filed = await s.scalar(select(func.count()).select_from(Need).where(Need.requester == "wx_zhang"))
    assert filed == 60                                                   # all read and filed
    flooder_alerts = [r for r in rows if r.chat_id == "wx_wang" and "晕倒" not in r.text]
    assert len(flooder_alerts) > URGENT_PER_PERSON                       # the worker hears of every new one
    assert len([r for r in rows if r.chat_id == GROUP and "wx_zhang" in r.mentions]) < 10   # not 60 acks

    ft = FakeTime()
    cfg = SenderConfig(min_interval_s=1.0, jitter_s=0.5, reply_burst=3)
    channel = RecordingChannel(ft)
    sender = OutboxSender(h.core.sessions, channel, h.clock, cfg, h.config.bot_id, "t",
                          limiter=RateLimiter(cfg, monotonic=ft.monotonic, sleep=ft.sleep))
    while await sender.deliver_due(rate_limited=True):
        pass
    sent = [o for _, o in channel.sent]
    assert len(sent) == len(rows)
    ma = [i for i, o in enumerate(sent) if "晕倒" in o.text or "wx_ma" in o.mentions]
    assert len(ma) == 3 and max(ma) < 3 * (URGENT_PER_PERSON + 1)        # ack, worker, staff group: early
    urgent = {r.key for r in rows if r.priority == Priority.URGENT}
    assert all(o.key in urgent for o in sent[:max(ma) + 1])
