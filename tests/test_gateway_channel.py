"""WechatyChannel through the real wechaty + puppet-service client against GatewaySimulator."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta, timezone

import pytest

from bot.channels.base import ChannelError, PermanentChannelError
from bot.channels.gateway_sim import GatewaySimulator, SimCommunity
from bot.channels.wechaty_channel import GatewayAuthError, WechatyChannel
from kernel.clock import SystemClock
from kernel.message import ChatKind, IncomingMessage, MessageKind, OutgoingMessage

GROUP_1 = "网格1一家亲"
GROUP_2 = "网格2一家亲"
COMMUNITY = SimCommunity(
    bot_id="wx_bot",
    bot_name="小助手",
    groups=[
        ("r1@chatroom", GROUP_1, [("wx_zhang", "张阿姨"), ("wx_wang", "王网格员")]),
        ("r2@chatroom", GROUP_2, [("wx_liu", "刘大爷")]),
    ],
    contacts=[("wx_li", "李书记")],
)


class EchoBot:
    """Records what arrives and answers like the router would: @sender in groups."""

    def __init__(self) -> None:
        self.channel: WechatyChannel | None = None
        self.received: list[IncomingMessage] = []
        self._arrived = asyncio.Condition()

    async def __call__(self, msg: IncomingMessage) -> None:
        async with self._arrived:
            self.received.append(msg)
            self._arrived.notify_all()
        if self.channel is None or msg.kind is not MessageKind.TEXT:
            return
        if msg.group_topic is not None:
            text = msg.text.removeprefix(f"@{COMMUNITY.bot_name}").strip()
            out = OutgoingMessage(f"reply-{msg.id}", ChatKind.GROUP, msg.group_topic, f"收到：{text}",
                                  mentions=(msg.sender_id,))
        else:
            out = OutgoingMessage(f"reply-{msg.id}", ChatKind.PRIVATE, msg.sender_id, f"私聊收到：{msg.text}")
        await self.channel.send(out)

    async def wait_received(self, n: int, timeout: float = 3.0) -> list[IncomingMessage]:
        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(lambda: len(self.received) >= n), timeout)
            return list(self.received)


@pytest.fixture
async def sim() -> AsyncIterator[GatewaySimulator]:
    simulator = GatewaySimulator(COMMUNITY)
    await simulator.start()
    yield simulator
    await simulator.stop()


def make_channel(sim: GatewaySimulator, *, token: str | None = None) -> WechatyChannel:
    return WechatyChannel(
        account=COMMUNITY.bot_id, endpoint=sim.endpoint, token=token or sim.token, bot_name=COMMUNITY.bot_name,
        clock=SystemClock(), ding_interval=0.2, ding_timeout=0.4, call_timeout=1.0,
        backoff_initial=0.1, backoff_max=0.4, start_timeout=2.0,
    )


@pytest.fixture
async def connected(sim: GatewaySimulator) -> AsyncIterator[tuple[WechatyChannel, EchoBot]]:
    channel = make_channel(sim)
    bot = EchoBot()
    bot.channel = channel
    await channel.start(bot)
    yield channel, bot
    await channel.stop()


async def eventually(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


async def raises_channel_error(call: Callable[[], Awaitable[None]]) -> ChannelError:
    with pytest.raises(ChannelError) as info:
        await call()
    return info.value


async def test_group_message_round_trip(sim: GatewaySimulator, connected: tuple[WechatyChannel, EchoBot]) -> None:
    channel, bot = connected
    assert channel.is_ready()
    message_id = await sim.inject("wx_zhang", "3栋电梯又坏了", topic=GROUP_1, mention_bot=True)

    (msg,) = await bot.wait_received(1)
    assert msg.id == message_id
    assert (msg.account, msg.channel) == ("wx_bot", "wechaty")
    assert (msg.sender_id, msg.sender_name) == ("wx_zhang", "张阿姨")
    assert (msg.group_id, msg.group_topic) == ("r1@chatroom", GROUP_1)
    assert msg.mentions_bot and not msg.is_private
    assert msg.text.startswith("@小助手") and msg.text.endswith("3栋电梯又坏了")
    assert msg.kind is MessageKind.TEXT
    assert abs(msg.at - datetime.now(timezone.utc)) < timedelta(seconds=5)

    (reply,) = await sim.wait_sent(1)
    assert (reply.chat_kind, reply.chat_id, reply.conversation_id) == (ChatKind.GROUP, GROUP_1, "r1@chatroom")
    assert reply.mention_ids == ("wx_zhang",)
    assert reply.text.startswith("@张阿姨") and reply.text.endswith("收到：3栋电梯又坏了")

    # The gateway echoes the bot's own message back; the channel must not deliver it.
    await asyncio.sleep(0.2)
    assert len(bot.received) == 1


async def test_plain_group_message_does_not_mention_bot(
    sim: GatewaySimulator, connected: tuple[WechatyChannel, EchoBot]
) -> None:
    _, bot = connected
    await sim.inject("wx_liu", "今天天气不错", topic=GROUP_2)
    (msg,) = await bot.wait_received(1)
    assert not msg.mentions_bot and msg.text == "今天天气不错" and msg.group_topic == GROUP_2


async def test_private_round_trip(sim: GatewaySimulator, connected: tuple[WechatyChannel, EchoBot]) -> None:
    _, bot = connected
    await sim.inject("wx_li", "树洞 想给楼里老人装扶手")
    (msg,) = await bot.wait_received(1)
    assert msg.is_private and msg.group_id is None and msg.sender_name == "李书记"
    assert not msg.mentions_bot

    (reply,) = await sim.wait_sent(1)
    assert (reply.chat_kind, reply.chat_id) == (ChatKind.PRIVATE, "wx_li")
    assert reply.text == "私聊收到：树洞 想给楼里老人装扶手" and reply.mention_ids == ()


async def test_non_text_kinds(sim: GatewaySimulator, connected: tuple[WechatyChannel, EchoBot]) -> None:
    _, bot = connected
    await sim.inject("wx_zhang", "", topic=GROUP_1, kind=MessageKind.IMAGE)
    await bot.wait_received(1)
    await sim.inject("wx_zhang", "", topic=GROUP_1, kind=MessageKind.STICKER)
    await bot.wait_received(2)
    await sim.inject("wx_li", "", kind=MessageKind.OTHER)
    received = await bot.wait_received(3)
    assert [m.kind for m in received] == [MessageKind.IMAGE, MessageKind.STICKER, MessageKind.OTHER]
    assert all(m.text == "" for m in received)
    assert sim.sent == []


async def test_repeated_message_event_is_delivered_once(
    sim: GatewaySimulator, connected: tuple[WechatyChannel, EchoBot]
) -> None:
    _, bot = connected
    first = await sim.inject("wx_zhang", "报名 花灯 2人", topic=GROUP_1, message_id="dup-1")
    again = await sim.inject("wx_zhang", "报名 花灯 2人", topic=GROUP_1, message_id="dup-1")
    await sim.inject("wx_zhang", "下一条", topic=GROUP_1)
    received = await bot.wait_received(2)
    await asyncio.sleep(0.2)
    assert first == again == "dup-1"
    assert [m.id for m in bot.received].count("dup-1") == 1 and len(received) == 2


async def test_many_messages_arrive_in_order(sim: GatewaySimulator, connected: tuple[WechatyChannel, EchoBot]) -> None:
    _, bot = connected
    for i in range(20):
        await sim.inject("wx_zhang", f"第{i}条", topic=GROUP_1)
        await bot.wait_received(i + 1)
    sent = await sim.wait_sent(20)
    assert [s.text.rsplit("：", 1)[1] for s in sent] == [f"第{i}条" for i in range(20)]


async def test_unknown_group_or_contact_is_permanent(
    sim: GatewaySimulator, connected: tuple[WechatyChannel, EchoBot]
) -> None:
    channel, _ = connected
    error = await raises_channel_error(
        lambda: channel.send(OutgoingMessage("k1", ChatKind.GROUP, "网格9一家亲", "hi")))
    assert isinstance(error, PermanentChannelError)
    error = await raises_channel_error(
        lambda: channel.send(OutgoingMessage("k2", ChatKind.PRIVATE, "wx_nobody", "hi")))
    assert isinstance(error, PermanentChannelError)
    # A topic must match exactly, not as a substring.
    error = await raises_channel_error(lambda: channel.send(OutgoingMessage("k3", ChatKind.GROUP, "网格1", "hi")))
    assert isinstance(error, PermanentChannelError)
    assert sim.sent == []


async def test_unknown_mention_is_dropped_not_fatal(
    sim: GatewaySimulator, connected: tuple[WechatyChannel, EchoBot]
) -> None:
    channel, _ = connected
    await channel.send(OutgoingMessage("k1", ChatKind.GROUP, GROUP_2, "通知", mentions=("wx_liu", "wx_ghost")))
    (sent,) = await sim.wait_sent(1)
    assert sent.mention_ids == ("wx_liu",) and sent.text == "@刘大爷 通知"


async def test_failed_send_is_retryable(sim: GatewaySimulator, connected: tuple[WechatyChannel, EchoBot]) -> None:
    channel, _ = connected
    sim.fail_sends(1)
    out = OutgoingMessage("k1", ChatKind.GROUP, GROUP_1, "停水通知")
    error = await raises_channel_error(lambda: channel.send(out))
    assert not isinstance(error, PermanentChannelError) and "UNAVAILABLE" in str(error)
    await channel.send(out)
    assert [s.text for s in await sim.wait_sent(1)] == ["停水通知"]


async def test_wrong_token_fails_clearly(sim: GatewaySimulator) -> None:
    channel = make_channel(sim, token="not-the-token")
    with pytest.raises(GatewayAuthError, match="rejected the token"):
        await channel.start(EchoBot())
    assert not channel.is_ready()
    await channel.stop()
    assert sim.connected_streams == 0


async def test_unreachable_gateway_fails_after_start_timeout() -> None:
    channel = WechatyChannel(
        account="wx_bot", endpoint="127.0.0.1:9", token="t", bot_name="小助手", clock=SystemClock(),
        backoff_initial=0.1, backoff_max=0.2, start_timeout=0.5,
    )
    with pytest.raises(ChannelError, match="unreachable"):
        await channel.start(EchoBot())


async def test_dropped_stream_reconnects(sim: GatewaySimulator, connected: tuple[WechatyChannel, EchoBot]) -> None:
    channel, bot = connected
    await sim.inject("wx_zhang", "断线前", topic=GROUP_1)
    await sim.wait_sent(1)

    sim.drop_stream()
    await eventually(lambda: channel.reconnects == 1 and channel.is_ready())

    await sim.inject("wx_zhang", "断线后", topic=GROUP_1, mention_bot=True)
    received = await bot.wait_received(2)
    assert received[1].mentions_bot and received[1].text.endswith("断线后")
    sent = await sim.wait_sent(2)
    await asyncio.sleep(0.3)
    assert [s.text for s in sim.sent] == ["@张阿姨 收到：断线前", "@张阿姨 收到：断线后"]
    assert len(sent) == 2 and len(bot.received) == 2


async def test_gateway_restart_reconnects(sim: GatewaySimulator, connected: tuple[WechatyChannel, EchoBot]) -> None:
    channel, bot = connected
    port = int(sim.endpoint.rsplit(":", 1)[1])
    await sim.stop()
    await eventually(lambda: not channel.is_ready(), timeout=2.0)
    error = await raises_channel_error(lambda: channel.send(OutgoingMessage("k1", ChatKind.PRIVATE, "wx_li", "hi")))
    assert not isinstance(error, PermanentChannelError)
    await asyncio.sleep(0.5)  # refused reconnects back off meanwhile

    await sim.start(port=port)
    await eventually(lambda: channel.reconnects == 1 and channel.is_ready(), timeout=3.0)
    await sim.inject("wx_liu", "重启后", topic=GROUP_2)
    await bot.wait_received(1)
    assert [s.text for s in await sim.wait_sent(1)] == ["@刘大爷 收到：重启后"]


async def test_unresponsive_gateway_detected_by_ding(
    sim: GatewaySimulator, connected: tuple[WechatyChannel, EchoBot], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gridbot.wechaty")
    channel, bot = connected
    sim.set_unresponsive(True)
    await eventually(lambda: not channel.is_ready(), timeout=2.0)

    error = await raises_channel_error(
        lambda: channel.send(OutgoingMessage("k1", ChatKind.GROUP, GROUP_1, "停电通知")))
    assert not isinstance(error, PermanentChannelError)

    await asyncio.sleep(2.0)  # reconnect attempts against the hung gateway time out meanwhile
    assert not channel.is_ready()

    sim.set_unresponsive(False)
    await eventually(lambda: channel.reconnects >= 1 and channel.is_ready(), timeout=5.0)
    await channel.send(OutgoingMessage("k1", ChatKind.GROUP, GROUP_1, "停电通知"))
    await sim.inject("wx_liu", "恢复了吗", topic=GROUP_2, mention_bot=True)
    await bot.wait_received(1)
    sent = await sim.wait_sent(2)
    assert [s.text for s in sent] == ["停电通知", "@刘大爷 收到：恢复了吗"]

    steps = [r.getMessage() for r in caplog.records if r.name == "gridbot.wechaty"]
    assert any("connection lost: no dong" in step for step in steps)
    assert any("reconnect to gateway failed" in step for step in steps)
    assert any("reconnected to gateway" in step for step in steps)


async def test_stop_leaves_no_tasks(sim: GatewaySimulator) -> None:
    before = asyncio.all_tasks()
    channel = make_channel(sim)
    await channel.start(EchoBot())
    await sim.inject("wx_zhang", "你好", topic=GROUP_1)
    await asyncio.sleep(0.3)  # at least one ding cycle
    await channel.stop()
    assert not channel.is_ready()
    # Nothing of the channel's (nor the simulator's per-connection handlers) outlives stop().
    await eventually(lambda: not [t for t in asyncio.all_tasks() - before if not t.done()], timeout=1.0)
    assert sim.connected_streams == 0


async def test_two_channels_in_one_process(sim: GatewaySimulator) -> None:
    """Globals are reset and pools isolated: a second bot after the first still gets messages."""
    for _ in range(2):
        channel = make_channel(sim)
        bot = EchoBot()
        bot.channel = channel
        await channel.start(bot)
        await sim.inject("wx_zhang", "在吗", topic=GROUP_1, mention_bot=True)
        (msg,) = await bot.wait_received(1)
        assert msg.group_topic == GROUP_1
        await channel.stop()
    assert len(await sim.wait_sent(2)) == 2


async def test_login_waits_for_qr_scan(caplog: pytest.LogCaptureFixture) -> None:
    sim = GatewaySimulator(COMMUNITY, logged_in=False)
    await sim.start()
    channel = make_channel(sim)
    bot = EchoBot()
    bot.channel = channel
    try:
        start = asyncio.create_task(channel.start(bot))
        await asyncio.sleep(1.3)  # past call_timeout: a QR code waiting to be scanned extends the login wait
        assert not start.done() and not channel.is_ready()
        assert any(sim.qrcode.split("/")[-1] in r.getMessage() for r in caplog.records if r.name == "gridbot.wechaty")

        await sim.confirm_scan()
        await asyncio.wait_for(start, 2.0)
        assert channel.is_ready() and channel.reconnects == 0
        await sim.inject("wx_zhang", "扫码后", topic=GROUP_1)
        assert [s.text for s in await sim.wait_sent(1)] == ["@张阿姨 收到：扫码后"]
    finally:
        await channel.stop()
        await sim.stop()


async def test_reload_failure_after_send_is_not_a_failed_send(
    sim: GatewaySimulator, connected: tuple[WechatyChannel, EchoBot], caplog: pytest.LogCaptureFixture
) -> None:
    """wechaty reloads what it sent; if only that fails, the outbox must not send it again."""
    channel, _ = connected
    sim.hide_sent_payloads()
    await channel.send(OutgoingMessage("k1", ChatKind.GROUP, GROUP_1, "明天停水", mentions=("wx_wang",)))
    await channel.send(OutgoingMessage("k2", ChatKind.PRIVATE, "wx_li", "已转派"))
    assert [s.text for s in sim.sent] == ["@王网格员 明天停水", "已转派"]
    assert sum("gateway accepted message" in r.getMessage() for r in caplog.records) == 2


async def test_mention_prefix_is_not_doubled(sim: GatewaySimulator, connected: tuple[WechatyChannel, EchoBot]) -> None:
    _, bot = connected
    await sim.inject("wx_zhang", "@小助手 帮助", topic=GROUP_1, mention_bot=True)
    await sim.inject("wx_zhang", "帮助", topic=GROUP_1, mention_bot=True)
    first, second = await bot.wait_received(2)
    assert first.text == "@小助手 帮助" and second.text == "@小助手\u2005帮助"
    assert first.mentions_bot and second.mentions_bot
