"""The whole service through the real wechaty stack: gRPC gateway simulator → wechaty → router →
outbox → wechaty → gRPC; the web server; restart after kill -9."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.channels.gateway_sim import GatewaySimulator
from kernel.config import Config
from kernel.message import ChatKind
from bot.service import sim_community, start_service
from models.db import make_engine, make_sessionmaker
from models.outbox import OutboxMessage

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def service(config: Config, db_url: str):  # type: ignore[no-untyped-def]
    running = await start_service(config, db_url=db_url, port=0, demo=True, tick_seconds=3600)
    try:
        yield running
    finally:
        await running.stop()


async def test_group_message_round_trip_through_wechaty(service) -> None:
    sim = service.simulator
    await sim.inject("wx_zhang", "@小助手 帮助", topic="网格1一家亲", mention_bot=True)
    sent = await sim.wait_sent(1, timeout=15)
    reply = sent[0]
    assert reply.chat_kind == ChatKind.GROUP and reply.chat_id == "网格1一家亲"
    assert reply.mention_ids == ("wx_zhang",) and "@张阿姨" in reply.text and "可以帮您" in reply.text

    # a private message is answered privately
    await sim.inject("wx_ma", "帮助")
    sent = await sim.wait_sent(2, timeout=15)
    assert sent[1].chat_kind == ChatKind.PRIVATE and sent[1].chat_id == "wx_ma"


async def test_redelivered_message_has_one_effect(service) -> None:
    sim = service.simulator
    await sim.inject("wx_zhang", "@小助手 帮助", topic="网格1一家亲", mention_bot=True, message_id="dup-1")
    await sim.inject("wx_zhang", "@小助手 帮助", topic="网格1一家亲", mention_bot=True, message_id="dup-1")
    await sim.wait_sent(1, timeout=15)
    await asyncio.sleep(1.5)
    assert len(sim.sent) == 1


async def test_stream_drop_reconnects_and_queued_replies_flow(config: Config, db_url: str) -> None:
    running = await start_service(config, db_url=db_url, port=0, demo=True, tick_seconds=3600)
    try:
        sim = running.simulator
        running.channel._backoff_initial = 0.2   # keep the test short
        sim.drop_stream()
        await asyncio.sleep(0.5)
        await sim.inject("wx_zhang", "@小助手 帮助", topic="网格1一家亲", mention_bot=True)
        sent = await sim.wait_sent(1, timeout=30)
        assert sent[0].chat_id == "网格1一家亲"
        await asyncio.sleep(1)
        assert len(sim.sent) == 1
    finally:
        await running.stop()


async def test_web_health_metrics_and_sandbox(service) -> None:
    base = f"http://127.0.0.1:{service.port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/healthz") as r:
            assert r.status == 200 and (await r.json())["channel"] is True
        async with http.get(base + "/sandbox") as r:
            page = await r.text()
            assert r.status == 200 and "网格1一家亲" in page and "张阿姨" in page
            assert r.headers["X-Frame-Options"] == "DENY" and "default-src 'self'" in r.headers["Content-Security-Policy"]
        token = page.split('data-csrf="')[1].split('"')[0]
        body = {"chat": "网格2一家亲", "sender": "wx_ma", "text": "帮助", "mention": True}
        async with http.post(base + "/sandbox/api/send", json=body) as r:
            assert r.status == 403                    # no CSRF token
        async with http.post(base + "/sandbox/api/send", json=body, headers={"X-CSRF-Token": token}) as r:
            assert r.status == 200
        sent = await service.simulator.wait_sent(1, timeout=15)
        assert sent[0].chat_id == "网格2一家亲" and sent[0].mention_ids == ("wx_ma",)
        for _ in range(50):   # the gateway has it; the sender marks it sent right after
            async with http.get(base + "/metrics") as r:
                text = await r.text()
            if 'gridbot_outbox_rows{status="sent"} 1.0' in text:
                break
            await asyncio.sleep(0.1)
        assert 'gridbot_outbox_rows{status="sent"} 1.0' in text and 'gridbot_outbox_rows{status="pending"} 0.0' in text
        assert 'gridbot_messages_total{outcome="handled"}' in text and 'gridbot_sends_total{result="sent"}' in text


def _config_file(tmp_path: Path) -> Path:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace("min_interval_s = 1.0", "min_interval_s = 0.05").replace("backoff_s = 2.0", "backoff_s = 0.2")
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def _outbox(url: str) -> list[OutboxMessage]:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as s:
            return list((await s.scalars(select(OutboxMessage))).all())
    finally:
        await engine.dispose()


async def test_kill_9_after_commit_before_send_delivers_once_on_restart(config: Config, tmp_path: Path) -> None:
    sim = GatewaySimulator(sim_community(config), token="tok-kill")
    await sim.start("127.0.0.1", 0)
    db = tmp_path / "kill.db"
    url = f"sqlite+aiosqlite:///{db}"
    env = {**os.environ, "WECHATY_PUPPET_SERVICE_ENDPOINT": sim.endpoint, "WECHATY_PUPPET_SERVICE_TOKEN": "tok-kill",
           "GRIDBOT_INSTANCE": "kill-test"}
    cmd = [sys.executable, "-m", "bot.cli", "run", "--config", str(_config_file(tmp_path)), "--db", url, "--port", "0"]

    async def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=tmp_path)
        for _ in range(300):
            if sim.connected_streams > 0:
                return proc
            await asyncio.sleep(0.1)
        proc.kill()
        raise AssertionError("service did not connect: " + proc.communicate()[0].decode(errors="replace")[-2000:])

    proc = await start()
    try:
        sim.fail_sends(10_000)                    # the gateway refuses every send: replies stay in the outbox
        await sim.inject("wx_zhang", "@小助手 帮助", topic="网格1一家亲", mention_bot=True, message_id="k1")
        for _ in range(200):
            rows = await _outbox(url) if db.exists() else []
            if rows:
                break
            await asyncio.sleep(0.1)
        assert len(rows) == 1 and rows[0].status == "pending"   # committed, not delivered
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        sim.drop_stream()
        assert sim.sent == []

        sim.fail_sends(0)
        proc = await start()
        sent = await sim.wait_sent(1, timeout=30)
        assert sent[0].chat_id == "网格1一家亲" and sent[0].mention_ids == ("wx_zhang",)
        # the gateway redelivers the same message after the reconnect: still one effect
        await sim.inject("wx_zhang", "@小助手 帮助", topic="网格1一家亲", mention_bot=True, message_id="k1")
        await asyncio.sleep(2)
        assert len(sim.sent) == 1
        rows = await _outbox(url)
        assert [r.status for r in rows] == ["sent"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        await sim.stop()
