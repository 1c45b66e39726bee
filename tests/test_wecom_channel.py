"""The WeCom AI-bot channel: the real `wecom-aibot-sdk` client against the local long-connection simulator,
first through `gridbot run` as an operator starts it, then the channel's own promises (reconnect, heartbeat,
takeover, answers that come too late, unmapped chats)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.channels.base import ChannelError, PermanentChannelError
from bot.channels.wecom_channel import WecomAuthError, WecomChannel
from bot.channels.wecom_sim import WecomCommunity, WecomSimulator
from bot.service import sim_wecom_community, start_service
from kernel.clock import SystemClock
from kernel.config import Config
from kernel.message import ChatKind, IncomingMessage, OutgoingMessage
from kernel.settings import WecomSettings
from tests.ops_helpers import GRIDBOT, ROOT, assert_fault, env, gridbot

NEED_CODE = re.compile(r"D\d{8}-\d{4}")
SECRET = "s3cret-for-tests"


@pytest.fixture
async def wecom(config: Config) -> AsyncIterator[WecomSimulator]:
    sim = WecomSimulator(sim_wecom_community(config), secret=SECRET)
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


async def _wait(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def test_gridbot_run_answers_an_at_message_in_a_mapped_group_and_a_single_chat(
        wecom: WecomSimulator, tmp_path: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        *GRIDBOT, "run", "--port", "0", "--db", str(tmp_path / "w.db"), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=env(WECOM_BOT_ID="wx_bot", WECOM_BOT_SECRET=SECRET, WECOM_WS_URL=wecom.url))
    try:
        await wecom.wait_connected(timeout=120)
        # 张阿姨 is WeCom user "zhangayi" ([wecom] users); the grid's worker 王网格员 is "wangwg" ([wecom] people)
        asked = await wecom.inject("zhangayi", "3栋楼道灯坏了,晚上看不见", topic="网格1一家亲", mention_bot=True)
        sent = await wecom.wait_sent(1, timeout=30)
        answer = next(s for s in sent if s.chat_kind is ChatKind.GROUP)
        assert answer.chat_id == "网格1一家亲" and NEED_CODE.search(answer.text)
        assert answer.text.startswith("<@zhangayi>") and answer.mention_ids == ("zhangayi",)
        assert asked in wecom.answered                      # in reply to that very message, not a new post
        code = NEED_CODE.search(answer.text).group(0)       # type: ignore[union-attr]
        # the worker's alert goes out proactively to the worker's own WeCom single chat
        sent = await wecom.wait_sent(2, timeout=30)
        alert = next(s for s in sent if s.chat_kind is ChatKind.PRIVATE)
        assert alert.chat_id == "wangwg" and code in alert.text

        before = len(wecom.sent)
        asked = await wecom.inject("zhangayi", f"查 {code}")        # single chat
        sent = await wecom.wait_sent(before + 1, timeout=30)
        assert sent[-1].chat_kind is ChatKind.PRIVATE and sent[-1].chat_id == "zhangayi" and code in sent[-1].text
        assert asked in wecom.answered and "<@" not in sent[-1].text
    finally:
        proc.terminate()
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert b"Traceback" not in out + err, err.decode()


def test_a_wrong_secret_is_one_paragraph_naming_the_variables(config: Config, tmp_path: Path) -> None:
    async def serve_and_run() -> object:
        sim = WecomSimulator(sim_wecom_community(config), secret=SECRET)
        await sim.start()
        try:
            return await asyncio.to_thread(gridbot, "run", "--port", "0", "--db", str(tmp_path / "x.db"),
                                           cwd=tmp_path, WECOM_BOT_ID="wx_bot", WECOM_BOT_SECRET="wrong",
                                           WECOM_WS_URL=sim.url)
        finally:
            await sim.stop()

    proc = asyncio.run(serve_and_run())
    assert_fault(proc, "WECOM_BOT_SECRET", "WECOM_BOT_ID", "invalid bot_id or secret")   # type: ignore[arg-type]


@pytest.mark.parametrize("only", [{"WECOM_BOT_ID": "wx_bot"}, {"WECHATY_PUPPET_SERVICE_ENDPOINT": "127.0.0.1:1"}])
def test_half_of_a_channel_in_the_environment_refuses_to_start(only: dict[str, str], tmp_path: Path) -> None:
    proc = gridbot("run", "--port", "0", "--db", str(tmp_path / "h.db"), cwd=tmp_path, **only)
    missing = "WECOM_BOT_SECRET" if "WECOM_BOT_ID" in only else "WECHATY_PUPPET_SERVICE_TOKEN"
    assert_fault(proc, missing)


async def test_service_reconnects_after_the_server_restarts(
        config: Config, db_url: str, wecom: WecomSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECOM_BOT_ID", "wx_bot")
    monkeypatch.setenv("WECOM_BOT_SECRET", SECRET)
    monkeypatch.setenv("WECOM_WS_URL", wecom.url)
    running = await start_service(config, db_url=db_url, port=0, demo=False, tick_seconds=3600)
    try:
        channel = running.channel
        assert isinstance(channel, WecomChannel) and channel.is_ready()
        await wecom.stop()                       # the server goes away (clean close: the SDK alone would not notice)
        await _wait(lambda: not channel.is_ready())
        await wecom.start(port=wecom.port)
        await _wait(channel.is_ready)
        assert channel.reconnects == 1
        await wecom.inject("zhangayi", "帮助", topic="网格2一家亲", mention_bot=True)
        sent = await wecom.wait_sent(1, timeout=30)
        assert sent[0].chat_id == "网格2一家亲" and sent[0].text.startswith("<@zhangayi>")
    finally:
        await running.stop()


async def test_an_unmapped_chat_hears_not_registered_once(
        config: Config, db_url: str, wecom: WecomSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECOM_BOT_ID", "wx_bot")
    monkeypatch.setenv("WECOM_BOT_SECRET", SECRET)
    monkeypatch.setenv("WECOM_WS_URL", wecom.url)
    running = await start_service(config, db_url=db_url, port=0, demo=False, tick_seconds=3600)
    try:
        await wecom.inject("zhangayi", "帮助", chat_id="wr-somewhere-else", mention_bot=True)
        sent = await wecom.wait_sent(1, timeout=30)
        assert "还没有登记" in sent[0].text and sent[0].chat_id == "wr-somewhere-else"
        await wecom.inject("zhangayi", "帮助", chat_id="wr-somewhere-else", mention_bot=True)
        await wecom.inject("zhangayi", "帮助", topic="网格1一家亲", mention_bot=True)   # handled after the one above
        sent = await wecom.wait_sent(2, timeout=30)
        assert [s.chat_id for s in sent] == ["wr-somewhere-else", "网格1一家亲"]
    finally:
        await running.stop()


async def test_an_at_addressed_jielong_list_signs_people_up(
        config: Config, db_url: str, wecom: WecomSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECOM_BOT_ID", "wx_bot")
    monkeypatch.setenv("WECOM_BOT_SECRET", SECRET)
    monkeypatch.setenv("WECOM_WS_URL", wecom.url)
    running = await start_service(config, db_url=db_url, port=0, demo=False, tick_seconds=3600)
    try:
        await wecom.inject("wx_li", "发布活动 中秋做花灯 明天14:00 亲子活动室 名额12")     # 李书记, single chat
        await wecom.wait_sent(1, timeout=30)
        # WeCom never shows the AI bot an un-addressed 接龙 re-post; one that @s the bot is read as a list
        await wecom.inject("zhangayi", "#接龙\n中秋花灯\n1. 张阿姨\n2. 李华 2人", topic="网格1一家亲", mention_bot=True)
        sent = await wecom.wait_sent(2, timeout=30)
        answer = [s for s in sent if s.chat_id == "网格1一家亲"]
        assert answer and "接龙已登记" in answer[0].text and "李*(2人)" in answer[0].text and "李华" not in answer[0].text, [s.text for s in sent]
    finally:
        await running.stop()


async def test_demo_on_the_wecom_simulator_serves_the_sandbox(config: Config, db_url: str) -> None:
    running = await start_service(config, db_url=db_url, port=0, demo=True, demo_channel="wecom", tick_seconds=3600)
    try:
        assert isinstance(running.simulator, WecomSimulator)
        base = f"http://127.0.0.1:{running.port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/sandbox") as r:
                token = (await r.text()).split('data-csrf="')[1].split('"')[0]
            async with http.post(base + "/sandbox/api/send", headers={"X-CSRF-Token": token},
                                 json={"chat": "网格1一家亲", "sender": "wx_zhang", "text": "帮助", "mention": True}) as r:
                assert r.status == 200, await r.text()
        sent = await running.simulator.wait_sent(1, timeout=30)
        assert sent[0].chat_id == "网格1一家亲" and "可以帮您" in sent[0].text and sent[0].mention_ids == ("wx_zhang",)
        assert "没有 @ 我的消息我收不到" in sent[0].text          # the help says what this channel cannot hear
    finally:
        await running.stop()


# ---- the channel alone ---------------------------------------------------------------------------------------

COMMUNITY = WecomCommunity("bot1", "小助手", chats={"wrg1": "网格1一家亲"}, users={"zhang": "张阿姨", "wang": "王"})
SETTINGS = WecomSettings(groups={"wrg1": "网格1一家亲"}, people={"wang": "wx_wang"})


@pytest.fixture
async def sim() -> AsyncIterator[WecomSimulator]:
    s = WecomSimulator(COMMUNITY, secret=SECRET)
    await s.start()
    try:
        yield s
    finally:
        await s.stop()


def _channel(sim: WecomSimulator, secret: str = SECRET, **kw: float) -> WecomChannel:
    timings = {"heartbeat_s": 0.2, "check_interval": 0.05, "backoff_initial": 0.05, "call_timeout": 3.0,
               "start_timeout": 3.0} | kw
    return WecomChannel(bot_id="bot1", secret=secret, settings=SETTINGS, account="wx_bot", clock=SystemClock(),
                        ws_url=sim.url, **timings)


async def _started(sim: WecomSimulator, inbox: list[IncomingMessage], **kw: float) -> WecomChannel:
    async def on_message(msg: IncomingMessage) -> None:
        inbox.append(msg)
    channel = _channel(sim, **kw)
    await channel.start(on_message)
    return channel


async def test_incoming_message_carries_the_mapped_person_group_and_mention(sim: WecomSimulator) -> None:
    inbox: list[IncomingMessage] = []
    channel = await _started(sim, inbox)
    try:
        await sim.inject("wang", "本周值班表", topic="网格1一家亲", mention_bot=True)
        await sim.inject("zhang", "你好")
        await _wait(lambda: len(inbox) == 2)
        group, single = inbox
        assert (group.sender_id, group.group_topic, group.group_id, group.mentions_bot) == \
            ("wx_wang", "网格1一家亲", "wrg1", True)
        assert group.text == "@小助手 本周值班表" and group.channel == "wecom" and group.account == "wx_bot"
        assert single.is_private and single.sender_id == "zhang" and single.sender_name == "zhang"
    finally:
        await channel.stop()


async def test_a_reply_too_late_for_its_message_is_sent_to_the_chat_instead(sim: WecomSimulator) -> None:
    inbox: list[IncomingMessage] = []
    channel = await _started(sim, inbox)
    try:
        asked = await sim.inject("zhang", "帮助", topic="网格1一家亲", mention_bot=True)
        await _wait(lambda: len(inbox) == 1)
        await sim.stop()                                   # the restarted server no longer knows that req_id
        await sim.start(port=sim.port)
        await _wait(channel.is_ready)
        await channel.send(OutgoingMessage("k1", ChatKind.GROUP, "网格1一家亲", "在的", mentions=("zhang",),
                                           reply_to=asked))
        assert sim.answered == [] and [(s.chat_id, s.text) for s in sim.sent] == [("网格1一家亲", "<@zhang> 在的")]
        # a worker named by config id is reached as their WeCom user
        await channel.send(OutgoingMessage("k2", ChatKind.PRIVATE, "wx_wang", "新诉求"))
        assert sim.sent[-1].chat_id == "wang"
    finally:
        await channel.stop()


async def test_send_errors_are_classified_for_the_outbox(sim: WecomSimulator) -> None:
    channel = await _started(sim, [])
    try:
        sim.fail_sends(1)
        with pytest.raises(ChannelError) as busy:
            await channel.send(OutgoingMessage("k1", ChatKind.GROUP, "网格1一家亲", "推送"))
        assert not isinstance(busy.value, PermanentChannelError)
        with pytest.raises(PermanentChannelError):     # a group the [wecom] table does not map
            await channel.send(OutgoingMessage("k2", ChatKind.GROUP, "网格9一家亲", "推送"))
        with pytest.raises(PermanentChannelError):     # a user WeCom does not know
            await channel.send(OutgoingMessage("k3", ChatKind.PRIVATE, "nobody", "私信"))
        await channel.send(OutgoingMessage("k4", ChatKind.GROUP, "网格1一家亲", "推送"))
        assert [s.text for s in sim.sent] == ["推送"]
    finally:
        await channel.stop()


async def test_a_server_that_stops_answering_heartbeats_is_left_for_a_new_connection(sim: WecomSimulator) -> None:
    inbox: list[IncomingMessage] = []
    channel = await _started(sim, inbox)
    try:
        sim.answer_pings(False)
        await _wait(lambda: channel.reconnects >= 1 or not channel.is_ready())
        sim.answer_pings(True)
        await _wait(lambda: channel.reconnects >= 1 and channel.is_ready())
        await sim.inject("zhang", "还在吗")
        await _wait(lambda: len(inbox) == 1)
    finally:
        await channel.stop()


async def test_a_second_process_with_the_same_bot_takes_over_and_the_first_stays_down(sim: WecomSimulator) -> None:
    first_inbox: list[IncomingMessage] = []
    second_inbox: list[IncomingMessage] = []
    first = await _started(sim, first_inbox)
    second = await _started(sim, second_inbox)
    try:
        await _wait(lambda: not first.is_ready())
        assert first._supervisor is not None
        await asyncio.wait_for(first._supervisor, 5)       # it gave up instead of knocking the second one off
        assert second.is_ready() and sim.connections == 2
        await sim.inject("zhang", "你好")
        await _wait(lambda: len(second_inbox) == 1)
        assert first_inbox == []
    finally:
        await first.stop()
        await second.stop()


async def test_wrong_secret_fails_start_at_once(sim: WecomSimulator) -> None:
    channel = _channel(sim, secret="wrong")
    with pytest.raises(WecomAuthError, match="invalid bot_id or secret"):
        await channel.start(lambda msg: asyncio.sleep(0))
    assert sim.auth_attempts == 1 and not channel.is_ready()


async def test_a_group_without_the_bot_gets_pushes_through_its_robot_webhook_20_a_minute(sim: WecomSimulator) -> None:
    from aiohttp import web

    posted: list[dict[str, object]] = []

    async def robot(request: web.Request) -> web.Response:
        if request.query.get("key") != "k2":
            return web.json_response({"errcode": 93000, "errmsg": "invalid webhook url"})
        posted.append(await request.json())
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    app = web.Application()
    app.router.add_post("/cgi-bin/webhook/send", robot)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}/cgi-bin/webhook/send"
    settings = WecomSettings(groups={"wrg1": "网格1一家亲"},
                             webhooks={"网格2一家亲": base + "?key=k2", "网格3一家亲": base + "?key=gone"})
    channel = WecomChannel(bot_id="bot1", secret=SECRET, settings=settings, account="wx_bot", clock=SystemClock(),
                           ws_url=sim.url, heartbeat_s=0.2, check_interval=0.05)
    await channel.start(lambda msg: asyncio.sleep(0))
    try:
        for i in range(20):
            await channel.send(OutgoingMessage(f"p{i}", ChatKind.GROUP, "网格2一家亲", f"停水通知 {i}"))
        assert posted[0] == {"msgtype": "markdown", "markdown": {"content": "停水通知 0"}} and len(posted) == 20
        with pytest.raises(ChannelError) as limited:                      # the 21st within the minute: later
            await channel.send(OutgoingMessage("p20", ChatKind.GROUP, "网格2一家亲", "停水通知 20"))
        assert not isinstance(limited.value, PermanentChannelError) and len(posted) == 20
        with pytest.raises(PermanentChannelError):                        # a deleted robot: give up
            await channel.send(OutgoingMessage("p21", ChatKind.GROUP, "网格3一家亲", "通知"))
        await channel.send(OutgoingMessage("p22", ChatKind.GROUP, "网格1一家亲", "通知"))   # mapped: the AI bot
        assert [s.chat_id for s in sim.sent] == ["网格1一家亲"]
    finally:
        await channel.stop()
        await runner.cleanup()
