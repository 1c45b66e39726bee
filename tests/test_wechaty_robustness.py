"""What the official npm gateway showed the wechaty channel must survive: a group renamed to a grid's topic
while connected, "not found" reported as gRPC UNKNOWN "no payload found", and a mention of a stranger."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest

from bot.channels.base import PermanentChannelError
from bot.channels.gateway_sim import GatewaySimulator, SimCommunity
from bot.channels.wechaty_channel import WechatyChannel
from kernel.clock import SystemClock
from kernel.message import ChatKind, IncomingMessage, OutgoingMessage

COMMUNITY = SimCommunity(
    bot_id="wx_bot", bot_name="小助手",
    groups=[("r1@chatroom", "网格1一家亲", [("wx_zhang", "张阿姨")]),
            ("r9@chatroom", "新建的群", [("wx_liu", "刘大爷")])],
)


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


@pytest.fixture(params=[False, True], ids=["sim", "npm-errors"])
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[GatewaySimulator]:
    simulator = GatewaySimulator(COMMUNITY, npm_errors=request.param)
    await simulator.start()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def connected(sim: GatewaySimulator) -> AsyncIterator[tuple[WechatyChannel, list[IncomingMessage]]]:
    received: list[IncomingMessage] = []

    async def on_message(msg: IncomingMessage) -> None:
        received.append(msg)

    channel = WechatyChannel(account="wx_bot", endpoint=sim.endpoint, token=sim.token, bot_name="小助手",
                             clock=SystemClock(), ding_interval=0.5, ding_timeout=1.0, call_timeout=2.0,
                             backoff_initial=0.1, backoff_max=0.4, start_timeout=3.0)
    await channel.start(on_message)
    yield channel, received
    await channel.stop()


async def test_a_group_renamed_to_a_grid_topic_is_served_under_its_new_name(
        sim: GatewaySimulator, connected: tuple[WechatyChannel, list[IncomingMessage]]) -> None:
    channel, received = connected
    await sim.inject("wx_liu", "有人吗", topic="新建的群", mention_bot=True)
    await eventually(lambda: len(received) == 1)
    assert received[0].group_topic == "新建的群"          # wechaty now holds this room's payload in its cache

    sim.rename("新建的群", "网格3一家亲", changer_id="wx_liu")
    await eventually(lambda: channel._session is not None and "网格3一家亲" in channel._session.rooms)
    await sim.inject("wx_liu", "路灯坏了", topic="网格3一家亲", mention_bot=True)
    await eventually(lambda: len(received) == 2)
    assert received[1].group_topic == "网格3一家亲"

    await channel.send(OutgoingMessage("k1", ChatKind.GROUP, "网格3一家亲", "收到", mentions=("wx_liu",)))
    assert [(s.chat_id, s.conversation_id) for s in await sim.wait_sent(1)] == [("网格3一家亲", "r9@chatroom")]
    with pytest.raises(PermanentChannelError):
        await channel.send(OutgoingMessage("k2", ChatKind.GROUP, "新建的群", "旧群名"))


async def test_an_unknown_contact_is_permanent_after_one_more_try(
        sim: GatewaySimulator, connected: tuple[WechatyChannel, list[IncomingMessage]]) -> None:
    channel, _ = connected
    before = sim.calls.get("ContactPayload", 0)
    with pytest.raises(PermanentChannelError):
        await channel.send(OutgoingMessage("k1", ChatKind.PRIVATE, "wx_ghost", "您的诉求已受理"))
    assert sim.calls.get("ContactPayload", 0) - before == 2 and sim.sent == []


async def test_a_mention_of_a_stranger_is_dropped_and_the_message_still_goes(
        sim: GatewaySimulator, connected: tuple[WechatyChannel, list[IncomingMessage]]) -> None:
    channel, _ = connected
    await channel.send(OutgoingMessage("k1", ChatKind.GROUP, "网格1一家亲", "通知", mentions=("wx_zhang", "wx_ghost")))
    (sent,) = await sim.wait_sent(1)
    assert sent.mention_ids == ("wx_zhang",) and sent.text == "@张阿姨 通知"
