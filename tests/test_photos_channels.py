"""随手拍 through the wechaty channel against the gRPC gateway simulator: an image message arrives with its
bytes (fetched through the puppet's file API), a voice note arrives as a voice message, and a message
with a photo (办结 with a picture) is sent as a file, then its text."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image

from bot.channels.gateway_sim import GatewaySimulator
from bot.sample_media import sample_jpeg
from kernel.message import ChatKind, MessageKind, OutgoingMessage
from tests.test_gateway_channel import COMMUNITY, GROUP_1, EchoBot, make_channel


@pytest.fixture
async def sim() -> AsyncIterator[GatewaySimulator]:
    simulator = GatewaySimulator(COMMUNITY)
    await simulator.start()
    yield simulator
    await simulator.stop()


async def test_image_message_carries_its_picture(sim: GatewaySimulator) -> None:
    channel, bot = make_channel(sim), EchoBot()
    await channel.start(bot)
    try:
        photo = sample_jpeg("drain")
        await sim.inject("wx_zhang", "", topic=GROUP_1, kind=MessageKind.IMAGE, data=photo)
        (first,) = await bot.wait_received(1)
        await sim.inject("wx_zhang", "", topic=GROUP_1, kind=MessageKind.IMAGE)       # the gateway has no file
        second = (await bot.wait_received(2))[1]
        await sim.inject("wx_li", "", kind=MessageKind.VOICE)
        voice = (await bot.wait_received(3))[2]
    finally:
        await channel.stop()
    assert first.kind is MessageKind.IMAGE and first.text == ""
    assert len(first.media) == 1 and first.media[0].data == photo and first.media[0].kind == "image"
    assert second.kind is MessageKind.IMAGE and second.media == ()     # still delivered, without bytes
    assert voice.kind is MessageKind.VOICE and voice.is_private


async def test_message_with_a_photo_is_sent_as_a_file_then_text(sim: GatewaySimulator, tmp_path: Path) -> None:
    channel, bot = make_channel(sim), EchoBot()
    await channel.start(bot)
    path = tmp_path / "fixed.jpg"
    path.write_bytes(sample_jpeg("fixed"))
    try:
        await channel.send(OutgoingMessage("k1", ChatKind.PRIVATE, "wx_li", "📷 这是办结现场照片", image=str(path)))
        picture, words = await sim.wait_sent(2)
    finally:
        await channel.stop()
    assert picture.chat_id == "wx_li" and picture.image == path.read_bytes()
    assert Image.open(io.BytesIO(picture.image)).format == "JPEG"
    assert words.text == "📷 这是办结现场照片" and words.image == b""
