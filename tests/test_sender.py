"""The outbox sender: rate limit with jitter, replies before pushes, retries, giving up, exactly once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.channels.base import ChannelError, PermanentChannelError
from kernel.config import SenderConfig
from kernel.message import ChatKind, OutgoingMessage
from bot.sender import OutboxSender, RateLimiter
from models.db import transaction
from models.outbox import OutboxMessage, Priority, enqueue


class FakeTime:
    def __init__(self) -> None:
        self.t = 1000.0

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds


class RecordingChannel:
    name = "recording"

    def __init__(self, time: FakeTime | None = None) -> None:
        self.sent: list[tuple[float, OutgoingMessage]] = []
        self.failures: list[Exception] = []
        self.time = time

    async def start(self, on_message) -> None:  # type: ignore[no-untyped-def]
        pass

    async def stop(self) -> None:
        pass

    def is_ready(self) -> bool:
        return True

    async def send(self, out: OutgoingMessage) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((self.time.t if self.time else 0.0, out))


async def _queue(h, n: int, priority: Priority, prefix: str) -> None:
    async with transaction(h.core.sessions) as s:
        for i in range(n):
            await enqueue(s, key=f"{prefix}{i}", account=h.config.bot_id, chat_kind=ChatKind.GROUP,
                          chat_id=f"群{i}", text=f"{prefix}{i}", now=h.clock.now(), priority=priority)


async def test_push_to_many_groups_is_spaced_and_a_reply_overtakes_it(harness) -> None:
    h = harness
    ft = FakeTime()
    cfg = SenderConfig(min_interval_s=1.0, jitter_s=0.5, reply_burst=3)
    channel = RecordingChannel(ft)
    sender = OutboxSender(h.core.sessions, channel, h.clock, cfg, h.config.bot_id, "t",
                          limiter=RateLimiter(cfg, monotonic=ft.monotonic, sleep=ft.sleep))
    await _queue(h, 60, Priority.NOTICE, "push")
    for _ in range(5):                                            # the push has started…
        await sender.deliver_due(batch=1, rate_limited=True)
    await _queue(h, 1, Priority.REPLY, "reply")                  # …when a resident asks something
    while await sender.deliver_due(batch=1, rate_limited=True):
        pass
    times = [t for t, _ in channel.sent]
    texts = [o.text for _, o in channel.sent]
    assert len(texts) == 61 and texts.index("reply0") == 5      # the very next send after the running batch
    push_gaps = [b - a for (a, oa), (b, ob) in zip(channel.sent, channel.sent[1:])
                 if oa.text.startswith("push") and ob.text.startswith("push")]
    assert min(push_gaps) >= 1.0 and max(push_gaps) <= 1.5     # ≥ 1 s apart, with jitter
    assert len({round(g, 3) for g in push_gaps}) > 10            # the jitter really varies
    assert times[-1] - times[0] >= 59


async def test_transient_failure_is_retried_with_backoff_then_sent_once(harness) -> None:
    h = harness
    channel = RecordingChannel()
    channel.failures = [ChannelError("gateway down"), ChannelError("still down")]
    sender = OutboxSender(h.core.sessions, channel, h.clock, SenderConfig(backoff_s=2.0), h.config.bot_id, "t")
    await _queue(h, 1, Priority.REPLY, "r")
    assert await sender.drain() == 0                 # first attempt failed; next one is 2 s later
    h.clock.advance(timedelta(seconds=2))
    assert await sender.drain() == 0                 # second failed; next 4 s later
    h.clock.advance(timedelta(seconds=3))
    assert await sender.drain() == 0                 # not due yet
    h.clock.advance(timedelta(seconds=1))
    assert await sender.drain() == 1
    h.clock.advance(timedelta(minutes=10))
    assert await sender.drain() == 0                 # delivered rows never go again
    assert [o.text for _, o in channel.sent] == ["r0"]
    async with h.core.sessions() as s:
        row = await s.scalar(select(OutboxMessage))
    assert row.status == "sent" and row.attempts == 3


async def test_permanent_failure_and_too_many_attempts_give_up(harness) -> None:
    h = harness
    channel = RecordingChannel()
    channel.failures = [PermanentChannelError("no such group")] + [ChannelError("x")] * 3
    sender = OutboxSender(h.core.sessions, channel, h.clock, SenderConfig(max_attempts=3, backoff_s=1),
                          h.config.bot_id, "t")
    await _queue(h, 2, Priority.REPLY, "p")
    for _ in range(6):
        await sender.drain()
        h.clock.advance(timedelta(minutes=1))
    async with h.core.sessions() as s:
        rows = {r.key: r for r in (await s.scalars(select(OutboxMessage))).all()}
    assert rows["p0"].status == "failed" and "no such group" in rows["p0"].last_error
    assert rows["p1"].status == "failed" and rows["p1"].attempts == 3
    assert channel.sent == []


async def test_two_senders_never_send_the_same_row(harness) -> None:
    import asyncio

    h = harness
    channel = RecordingChannel()
    a = OutboxSender(h.core.sessions, channel, h.clock, SenderConfig(), h.config.bot_id, "a")
    b = OutboxSender(h.core.sessions, channel, h.clock, SenderConfig(), h.config.bot_id, "b")
    await _queue(h, 40, Priority.NOTICE, "n")
    await asyncio.gather(a.drain(), b.drain())
    keys = [o.key for _, o in channel.sent]
    assert sorted(keys) == sorted(f"n{i}" for i in range(40))


async def _replies(h, chat: str, people: list[str], *, priority: Priority = Priority.REPLY) -> None:
    async with transaction(h.core.sessions) as s:
        for who in people:
            await enqueue(s, key=f"r:{chat}:{who}", account=h.config.bot_id, chat_kind=ChatKind.GROUP, chat_id=chat,
                          text=f"回复{who}", mentions=(who,), now=h.clock.now(), priority=priority)


async def test_under_load_replies_waiting_for_one_group_go_as_one_message(harness) -> None:
    h = harness
    ft = FakeTime()
    cfg = SenderConfig(min_interval_s=1.0, jitter_s=0.0, reply_burst=2, coalesce_max=5)
    channel = RecordingChannel(ft)
    sender = OutboxSender(h.core.sessions, channel, h.clock, cfg, h.config.bot_id, "t",
                          limiter=RateLimiter(cfg, monotonic=ft.monotonic, sleep=ft.sleep))
    await _replies(h, "网格1一家亲", [f"wx_{i}" for i in range(9)])
    await _replies(h, "网格2一家亲", ["wx_b1", "wx_b2"])
    await _replies(h, "网格1一家亲", ["wx_alarm"], priority=Priority.URGENT)
    await sender.pump()
    sent = [o for _, o in channel.sent]
    assert sent[0].text == "回复wx_alarm" and sent[0].mentions == ("wx_alarm",)    # urgent: first and alone
    delivered = [(o.chat_id, m) for o in sent for m in o.mentions]
    assert sorted(delivered) == sorted([("网格1一家亲", f"wx_{i}") for i in range(9)]
                                       + [("网格2一家亲", "wx_b1"), ("网格2一家亲", "wx_b2"), ("网格1一家亲", "wx_alarm")])
    assert len(sent) < 12 and max(len(o.mentions) for o in sent) == 5              # merged, at most 5 a message
    for o in sent:                                                                  # each resident's answer is there
        assert all(f"回复{m}" in o.text for m in o.mentions) and o.text.count("回复") == len(o.mentions)
    async with h.core.sessions() as s:
        statuses = (await s.scalars(select(OutboxMessage.status))).all()
    assert set(statuses) == {"sent"} and len(statuses) == 12


async def test_light_traffic_and_coalesce_max_1_keep_one_message_per_reply(harness) -> None:
    h = harness
    for cfg, n in ((SenderConfig(min_interval_s=1.0, jitter_s=0.0, reply_burst=3), 3),     # within the burst
                   (SenderConfig(min_interval_s=1.0, jitter_s=0.0, reply_burst=0, coalesce_max=1), 6)):
        ft = FakeTime()
        channel = RecordingChannel(ft)
        sender = OutboxSender(h.core.sessions, channel, h.clock, cfg, h.config.bot_id, f"t{n}",
                              limiter=RateLimiter(cfg, monotonic=ft.monotonic, sleep=ft.sleep))
        await _replies(h, f"群{n}", [f"wx_{n}_{i}" for i in range(n)])
        await sender.pump()
        assert [len(o.mentions) for _, o in channel.sent] == [1] * n
