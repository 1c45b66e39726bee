"""The wechaty channel against the official npm gateway: wechaty-puppet-service's PuppetServer in front of
wechaty-puppet-mock (pinned by tests/npm_gateway/package-lock.json; `npm ci` runs on first use). The unmodified
Python client logs in, hears an @-message, replies with a mention, survives a rename, an unknown contact and a
gateway restart, and names a wrong token."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.channels.base import PermanentChannelError
from bot.channels.wechaty_channel import GatewayAuthError, WechatyChannel
from kernel.clock import SystemClock
from kernel.message import ChatKind, IncomingMessage, OutgoingMessage
from tests.ops_helpers import free_port

HERE = Path(__file__).resolve().parent / "npm_gateway"
TOKEN = "puppet_mock_gridbot"

pytestmark = pytest.mark.skipif(shutil.which("npm") is None, reason="node/npm not installed")


@pytest.fixture(scope="module")
def node_modules() -> Path:
    if not (HERE / "node_modules" / "wechaty-puppet-service").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, capture_output=True,
                       timeout=600)
    return HERE / "node_modules"


class NpmGateway:
    """The node process: commands as JSON lines on stdin, what the bot sent as JSON lines on stdout."""

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.log = log
        self.sent: list[dict[str, Any]] = []
        self.proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Condition()
        self._logged_in = asyncio.Event()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    async def start(self) -> None:
        self._logged_in.clear()
        env = {**os.environ, "WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_SERVER": "true"}
        with self.log.open("ab") as err:
            self.proc = await asyncio.create_subprocess_exec(
                "node", "gateway.mjs", str(self.port), TOKEN, cwd=HERE, env=env, stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE, stderr=err)
        self._reader = asyncio.create_task(self._read(self.proc))
        await self._wait(lambda: self._listening, 60)

    _listening = False

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        while line := await proc.stdout.readline():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            async with self._changed:
                if "listening" in event:
                    self._listening = True
                if "sent" in event:
                    self.sent.append(event["sent"])
                self._changed.notify_all()

    async def _wait(self, predicate, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(predicate), timeout)

    async def wait_sent(self, n: int) -> list[dict[str, Any]]:
        await self._wait(lambda: len(self.sent) >= n)
        return list(self.sent)

    async def command(self, **cmd: Any) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(cmd, ensure_ascii=False) + "\n").encode())
        await self.proc.stdin.drain()

    async def stop(self) -> None:
        proc, self.proc = self.proc, None
        self._listening = False
        if proc is not None and proc.returncode is None:
            proc.kill()
            await proc.wait()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


@pytest.fixture
async def gateway(node_modules: Path, tmp_path: Path) -> AsyncIterator[NpmGateway]:
    gw = NpmGateway(free_port(), tmp_path / "gateway.log")
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


def _channel(gateway: NpmGateway, token: str = TOKEN) -> WechatyChannel:
    return WechatyChannel(account="wx_bot", endpoint=gateway.endpoint, token=token, bot_name="小助手",
                          clock=SystemClock(), ding_interval=1.0, ding_timeout=3.0, call_timeout=5.0,
                          backoff_initial=0.2, backoff_max=1.0, start_timeout=30.0)


async def _eventually(predicate, timeout: float = 20) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def test_the_channel_works_through_the_official_npm_gateway(gateway: NpmGateway) -> None:
    received: list[IncomingMessage] = []

    async def on_message(msg: IncomingMessage) -> None:
        received.append(msg)

    channel = _channel(gateway)
    await channel.start(on_message)
    try:
        # login, an @-message, the reply with a mention
        await gateway.command(say={"from": "wx_zhang", "room": "r1@chatroom", "text": "@小助手 路灯坏了",
                                   "mention": ["wx_bot"]})
        await _eventually(lambda: len(received) == 1)
        msg = received[0]
        assert (msg.sender_id, msg.group_topic, msg.mentions_bot) == ("wx_zhang", "网格1一家亲", True)
        await channel.send(OutgoingMessage("k1", ChatKind.GROUP, "网格1一家亲", "收到", mentions=("wx_zhang",)))
        assert (await gateway.wait_sent(1))[0] == {"conversationId": "r1@chatroom", "text": "@张阿姨 收到",
                                                   "mentionIdList": ["wx_zhang"]}

        # an unknown contact: UNKNOWN "no payload found" — permanent; as a mention it is dropped
        with pytest.raises(PermanentChannelError, match="no payload"):
            await channel.send(OutgoingMessage("k2", ChatKind.PRIVATE, "wx_ghost", "您的诉求已受理"))
        await channel.send(OutgoingMessage("k3", ChatKind.GROUP, "网格1一家亲", "通知", mentions=("wx_zhang", "wx_ghost")))
        assert (await gateway.wait_sent(2))[1]["mentionIdList"] == ["wx_zhang"]

        # a group the bot has seen is renamed to a grid's topic: served under the new name at once
        await gateway.command(say={"from": "wx_liu", "room": "r9@chatroom", "text": "@小助手 有人吗",
                                   "mention": ["wx_bot"]})
        await _eventually(lambda: len(received) == 2)
        assert received[1].group_topic == "新建的群"
        await gateway.command(topic={"room": "r9@chatroom", "text": "网格3一家亲", "by": "wx_liu"})
        await _eventually(lambda: channel._session is not None and "网格3一家亲" in channel._session.rooms)
        await gateway.command(say={"from": "wx_liu", "room": "r9@chatroom", "text": "@小助手 路灯坏了",
                                   "mention": ["wx_bot"]})
        await _eventually(lambda: len(received) == 3)
        assert received[2].group_topic == "网格3一家亲"

        # the gateway process dies and comes back on its port: the channel reconnects and hears again
        await gateway.stop()
        await _eventually(lambda: not channel.is_ready())
        await gateway.start()
        await _eventually(channel.is_ready, 60)
        await gateway.command(say={"from": "wx_zhang", "room": "r1@chatroom", "text": "@小助手 还在吗",
                                   "mention": ["wx_bot"]})
        await _eventually(lambda: len(received) == 4, 30)
        await channel.send(OutgoingMessage("k4", ChatKind.GROUP, "网格1一家亲", "在", mentions=("wx_zhang",)))
        assert (await gateway.wait_sent(3))[-1]["text"] == "@张阿姨 在"
    finally:
        await channel.stop()


async def test_a_wrong_token_is_named(gateway: NpmGateway) -> None:
    channel = _channel(gateway, token="puppet_mock_wrong")
    with pytest.raises(GatewayAuthError):
        await channel.start(lambda msg: asyncio.sleep(0))
