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


# ---- WeCom AI bot: image and mixed messages (pictures downloaded and decrypted by the SDK), voice ----------

from bot.channels.wecom_channel import WecomChannel  # noqa: E402
from bot.channels.wecom_sim import WecomSimulator  # noqa: E402
from kernel.message import IncomingMessage  # noqa: E402
from tests.test_wecom_channel import COMMUNITY as WECOM, SECRET, _channel, _wait  # noqa: E402


@pytest.fixture
async def wecom() -> AsyncIterator[WecomSimulator]:
    s = WecomSimulator(WECOM, secret=SECRET)
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


async def test_wecom_image_mixed_and_voice_messages(wecom: WecomSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    pictures = {"https://wecom.example/a": sample_jpeg("a"), "https://wecom.example/b": sample_jpeg("b")}
    asked: list[tuple[str, str]] = []

    async def download(self: WecomChannel, url: str, aeskey: str) -> bytes:   # stands for the SDK's download_file
        asked.append((url, aeskey))
        return pictures[url]
    monkeypatch.setattr(WecomChannel, "_download", download)
    inbox: list[IncomingMessage] = []

    async def on_message(msg: IncomingMessage) -> None:
        inbox.append(msg)
    channel = _channel(wecom)
    await channel.start(on_message)
    try:
        await wecom.inject("zhang", "", msgtype="image", payload={"url": "https://wecom.example/a", "aeskey": "K1"})
        await _wait(lambda: len(inbox) == 1)
        await wecom.inject("zhang", "", topic="网格1一家亲", mention_bot=True, msgtype="mixed", payload={"msg_item": [
            {"msgtype": "text", "text": {"content": "@小助手 3栋门口垃圾没人收"}},
            {"msgtype": "image", "image": {"url": "https://wecom.example/b", "aeskey": "K2"}}]})
        await _wait(lambda: len(inbox) == 2)
        await wecom.inject("zhang", "", msgtype="voice", payload={"content": "5栋电梯坏了"})
        await wecom.inject("zhang", "", msgtype="voice", payload={"content": ""})
        await _wait(lambda: len(inbox) == 4)
    finally:
        await channel.stop()
    image, mixed, heard, unheard = inbox
    assert image.kind is MessageKind.IMAGE and image.media[0].data == pictures["https://wecom.example/a"]
    assert mixed.kind is MessageKind.TEXT and mixed.text.endswith("3栋门口垃圾没人收")
    assert [m.data for m in mixed.media] == [pictures["https://wecom.example/b"]]
    assert asked == [("https://wecom.example/a", "K1"), ("https://wecom.example/b", "K2")]
    assert heard.kind is MessageKind.TEXT and heard.heard and heard.text == "5栋电梯坏了"
    assert unheard.kind is MessageKind.VOICE and not unheard.heard


async def test_wecom_sends_a_photo_as_uploaded_media_then_the_text(wecom: WecomSimulator, tmp_path: Path) -> None:
    path = tmp_path / "fixed.jpg"
    path.write_bytes(sample_jpeg("fixed", size=(2000, 1500)))
    channel = _channel(wecom)

    async def ignore(_msg: IncomingMessage) -> None:
        return None
    await channel.start(ignore)
    try:
        await channel.send(OutgoingMessage("k1", ChatKind.PRIVATE, "zhang", "📷 这是办结现场照片", image=str(path)))
        picture, words = await wecom.wait_sent(2)
    finally:
        await channel.stop()
    assert picture.chat_id == "zhang" and picture.image == path.read_bytes() and picture.text == ""
    assert words.text.endswith("这是办结现场照片") and words.image == b""
