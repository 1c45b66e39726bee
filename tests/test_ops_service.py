"""`gridbot run` as an operator runs it: what it prints, what it refuses, who may read /metrics, and a stop
on SIGTERM within seconds while a live inbox stream is open."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import aiohttp
import pytest

from kernel import metrics
from bot.app import open_core
from bot.channels.gateway_sim import GatewaySimulator
from bot.service import sim_community, start_service
from bot.web.auth import demo_accounts_present, ensure_demo_users
from kernel.config import Config
from scheduler.ticker import Ticker
from tests.ops_helpers import GRIDBOT, ROOT, assert_fault, env, gridbot

PASSWORD = "long-enough-pw"


async def _gateway(config: Config) -> GatewaySimulator:
    sim = GatewaySimulator(sim_community(config), token="tok")
    await sim.start("127.0.0.1", 0)
    return sim


async def _read_banner(proc: asyncio.subprocess.Process) -> list[str]:
    lines: list[str] = []
    while not any("/metrics" in line for line in lines):
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=120)   # type: ignore[union-attr]
        if not line:
            raise AssertionError("service ended: " + "\n".join(lines) + (await proc.stderr.read()).decode())  # type: ignore[union-attr]
        lines.append(line.decode().rstrip())
    return lines


async def test_run_on_a_clean_database_prints_where_things_are_has_no_sandbox_and_stops_with_a_live_stream(
        config: Config, tmp_path: Path) -> None:
    db = tmp_path / "clean.db"
    added = gridbot("user", "add", "wang", "worker", "wx_wang", "--password-stdin", "--db", str(db),
                    cwd=tmp_path, stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    sim = await _gateway(config)
    proc = await asyncio.create_subprocess_exec(
        *GRIDBOT, "run", "--port", "0", "--db", str(db), cwd=ROOT, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env(WECHATY_PUPPET_SERVICE_ENDPOINT=sim.endpoint, WECHATY_PUPPET_SERVICE_TOKEN="tok"))
    try:
        banner = await _read_banner(proc)
        base = banner[0].split(": ", 1)[1].rstrip("/")
        assert any(line.endswith(base + "/inbox") for line in banner)
        assert any(line.endswith(base + "/healthz") for line in banner)
        assert not any("sandbox" in line for line in banner)
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/sandbox") as r:
                assert r.status == 404
            async with http.post(base + "/sandbox/api/send", json={"chat": "网格1一家亲", "sender": "wx_zhang",
                                                                  "text": "帮助"}) as r:
                assert r.status in (403, 404, 405)
            async with http.get(base + "/") as r:
                assert "/sandbox" not in await r.text()
            async with http.get(base + "/metrics") as r:        # from this machine: served
                assert r.status == 200 and 'gridbot_channel_up{channel="wechaty"} 1.0' in await r.text()
            async with http.get(base + "/metrics", headers={"X-Forwarded-For": "203.0.113.9"}) as r:
                assert r.status == 403                          # relayed by a proxy: from outside
            async with http.post(base + "/api/token", json={"username": "wang", "password": PASSWORD}) as r:
                token = (await r.json())["token"]
            stream = await http.get(base + "/inbox/events", headers={"Authorization": f"Bearer {token}"},
                                    timeout=aiohttp.ClientTimeout(total=60))
            assert stream.status == 200
            assert b"connected" in await asyncio.wait_for(stream.content.readline(), 10) + \
                await asyncio.wait_for(stream.content.readline(), 10)
            pressed = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            rest = await asyncio.wait_for(stream.content.read(), 15)     # the stream ends, it is not cut off later
            code = await asyncio.wait_for(proc.wait(), 15)
            took = time.monotonic() - pressed
            stream.release()
        assert b"keep-alive" not in rest
        err = (await proc.stderr.read()).decode()              # type: ignore[union-attr]
        assert code == 0 and "Traceback" not in err, err
        assert took < 15, f"stopped in {took:.1f}s"     # (aiohttp alone would wait 60 s for the stream)
        assert "base_url" in err and "survey links" in err     # links would point at a loopback address
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await sim.stop()


async def test_run_refuses_a_database_with_the_demo_accounts(config: Config, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    core = await open_core(config, url, warm_up=False)
    try:
        await ensure_demo_users(core)
    finally:
        await core.close()
    proc = await asyncio.to_thread(gridbot, "run", "--port", "0", "--db", url, cwd=tmp_path,
                                   WECHATY_PUPPET_SERVICE_ENDPOINT="127.0.0.1:9", WECHATY_PUPPET_SERVICE_TOKEN="t")
    assert_fault(proc, "拒绝启动", "演示账号", "li", "guest", "gridbot user passwd", "Refusing to start")

    # The operator follows the advice: new passwords for some, the others disabled.
    for name in ("li", "wang"):
        done = await asyncio.to_thread(gridbot, "user", "passwd", name, "--password-stdin", "--db", url,
                                       cwd=tmp_path, stdin=PASSWORD + "\n")
        assert done.returncode == 0, done.stderr
    for name in ("zhao", "sun", "cg", "guest"):
        done = await asyncio.to_thread(gridbot, "user", "disable", name, "--db", url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    core = await open_core(config, url, warm_up=False)
    try:
        assert await demo_accounts_present(core) == []
    finally:
        await core.close()


async def test_metrics_with_a_token_help_on_every_metric_latency_on_the_real_path_and_channel_down(
        config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDBOT_METRICS_TOKEN", "s3cret-scrape")
    running = await start_service(config, db_url=f"sqlite+aiosqlite:///{tmp_path / 'm.db'}", port=0, demo=True,
                                  tick_seconds=3600)
    base = f"http://127.0.0.1:{running.port}"
    before = metrics.LATENCY.collect()[0]
    count_before = next(s.value for s in before.samples if s.name == "gridbot_message_seconds_count")
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/metrics") as r:
                assert r.status == 401                          # even from this machine, once a token is set
            async with http.get(base + "/metrics", headers={"Authorization": "Bearer wrong"}) as r:
                assert r.status == 401
            await running.simulator.inject("wx_zhang", "@小助手 帮助", topic="网格1一家亲", mention_bot=True)
            await running.simulator.wait_sent(1, timeout=15)
            auth = {"Authorization": "Bearer s3cret-scrape"}
            async with http.get(base + "/metrics", headers=auth) as r:
                assert r.status == 200
                text = await r.text()
            for name in ("gridbot_messages_total", "gridbot_routes_total", "gridbot_message_seconds",
                         "gridbot_sends_total", "gridbot_escalations_total", "gridbot_logins_total",
                         "gridbot_outbox_rows", "gridbot_outbox_oldest_pending_seconds", "gridbot_channel_up",
                         "gridbot_database_up", "process_resident_memory_bytes", "process_cpu_seconds_total"):
                assert f"# HELP {name} " in text, name
            names = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")}
            helped = {line.split()[2] for line in text.splitlines() if line.startswith("# HELP")}
            assert names == helped
            count = float(next(line.split()[1] for line in text.splitlines()
                               if line.startswith("gridbot_message_seconds_count")))
            assert count >= count_before + 1                    # recorded by Dispatcher.submit, the service path
            assert "gridbot_database_up 1.0" in text and 'gridbot_channel_up{channel="wechaty"} 1.0' in text

            await running.simulator.stop()                      # the gateway goes away
            for _ in range(100):
                async with http.get(base + "/metrics", headers=auth) as r:
                    text = await r.text()
                if 'gridbot_channel_up{channel="wechaty"} 0.0' in text:
                    break
                await asyncio.sleep(0.1)
            assert 'gridbot_channel_up{channel="wechaty"} 0.0' in text
            async with http.get(base + "/healthz") as r:
                assert r.status == 503
    finally:
        running.simulator = None          # stopped above
        await running.stop()


async def test_stop_lets_a_scheduler_tick_in_progress_commit(config: Config, tmp_path: Path) -> None:
    from models.db import make_engine, make_sessionmaker
    from kernel.clock import SystemClock
    from kernel.identity import Directory

    entered, finished = asyncio.Event(), []

    async def slow(tc) -> None:  # type: ignore[no-untyped-def]
        entered.set()
        await asyncio.sleep(0.5)
        finished.append(tc.now)

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 't.db'}")
    ticker = Ticker(make_sessionmaker(engine), SystemClock(), config, Directory(config), [("slow", slow)])
    try:
        ticker.start(every_seconds=0.05)
        await asyncio.wait_for(entered.wait(), 10)
        await ticker.finish(timeout=5)
        assert len(finished) == 1            # the tick ran to its end before finish() returned
    finally:
        ticker.stop()
        await engine.dispose()

