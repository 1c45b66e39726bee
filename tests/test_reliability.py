"""Reliability: kill -9 in the middle of traffic, a gateway that stops answering, two instances on one
database, and the wechaty benchmark's fake puppet round trip.

Each test prints what it measured (run with -s to see it): the numbers go into the issue report."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.gateway_sim import GatewaySimulator
from kernel.config import Config, SenderConfig
from kernel.message import ChatKind, IncomingMessage, OutgoingMessage
from bot.service import sim_community, start_service
from bot.wechaty_shim import AT_SEPARATOR
from models.db import make_engine, make_sessionmaker, transaction
from models.messages import message_digest
from models.outbox import OutboxMessage, OutboxStatus, Priority, enqueue

ROOT = Path(__file__).resolve().parents[1]
EVENT_TITLE = "反诈讲座"


# ------------------------------------------------------------------ shared helpers


def fast_config_file(tmp_path: Path) -> Path:
    """The demo community with a fast sender (the anti-ban spacing would make the test minutes long)."""
    text_ = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    # reply_burst 0: the burst allowance spaces replies 0.2 s apart, slower than this interval
    text_ = (text_.replace("min_interval_s = 1.0", "min_interval_s = 0.01").replace("jitter_s = 0.6", "jitter_s = 0.0")
             .replace("backoff_s = 2.0", "backoff_s = 0.2").replace("reply_burst = 3", "reply_burst = 0")
             # this traffic is hundreds of messages a minute per group: every reply counted here must be
             # written, so the reply budget (tests/test_flood.py) is off
             .replace("replies_per_person = 5", "replies_per_person = 0")
             .replace("replies_per_group = 20", "replies_per_group = 0")
             # each outbox row is matched to one gateway message here: no merged replies
             .replace("coalesce_max = 5", "coalesce_max = 1"))
    path = tmp_path / "config.toml"
    path.write_text(text_, encoding="utf-8")
    return path


def wire_text(sim: GatewaySimulator, row: OutboxMessage) -> str:
    """What the gateway receives for an outbox row: wechaty's room.say() prefixes "@name" per mention."""
    if row.chat_kind == ChatKind.GROUP and row.mentions:
        names = [f"@{sim._names[m]}" for m in row.mentions if m in sim._names]
        if names:
            return AT_SEPARATOR.join(names) + " " + row.text
    return row.text


def delivery_balance(sim: GatewaySimulator, rows: list[OutboxMessage]) -> tuple[Counter[Any], Counter[Any]]:
    """(rows never delivered, deliveries beyond one per row), both keyed by (kind, chat, wire text)."""
    expected = Counter((r.chat_kind, r.chat_id, wire_text(sim, r)) for r in rows)
    got = Counter((str(s.chat_kind), s.chat_id, s.text) for s in sim.sent)
    return expected - got, got - expected


def reader_engine(url: str) -> AsyncEngine:
    """For watching a database another process writes: on SQLite a plain (deferred) reader — the
    service's engines BEGIN IMMEDIATE, which would make every poll take the write lock."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from models.db import normalise_url

    url = normalise_url(url)
    if url.startswith("sqlite"):
        return create_async_engine(url, connect_args={"timeout": 30})
    return make_engine(url)


async def read_rows(engine: AsyncEngine, model: Any) -> list[Any]:
    async with make_sessionmaker(engine)() as s:
        return list((await s.scalars(select(model))).all())


async def count(engine: AsyncEngine, sql: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar() or 0)


# ------------------------------------------------------------------ 1. kill -9 mid-traffic


@dataclass
class Planned:
    id: str
    sender: str
    topic: str
    text: str
    kind: str          # need | booking | signup | query | chatter
    mention: bool = False


NEED_WHAT = ["电梯又坏了", "楼道灯不亮了", "水管漏水了", "门禁坏了打不开", "下水道堵了"]
BOOK_ROOMS = ["自习室", "健身房", "青年创客坊"]      # per-seat rooms: many people per slot
CHATTER = ["大家早上好", "👍👍👍", "今天的菜好便宜啊", "收到", "[图片]", "谢谢网格员", "哈哈哈哈", "好的好的",
           "孩子作业太多了", "下雨了记得收衣服", "谁家的猫跑出来了", "🌹🌹", "今天天气真好", "刚买的橘子很甜"]


def kill_traffic(config: Config, n: int = 1000, seed: int = 11) -> tuple[list[Planned], list[tuple[str, str, str]]]:
    """n messages from 400 residents in the three grid groups: needs with a unique marker in their text,
    bookings and signups from distinct residents (so "exactly once" is countable), queries, chatter."""
    rng = random.Random(seed)
    grids = config.grids
    people: list[tuple[str, str, str]] = []   # (id, name, topic)
    for i in range(1, 401):
        g = grids[i % len(grids)]
        people.append((f"r{i:03d}", f"居民{i:03d}", g.group))
    free = list(people)
    rng.shuffle(free)
    plan: list[Planned] = []
    needs = bookings = 0
    for k in range(n):
        roll = rng.random()
        mid = f"kill-{k:04d}"
        if roll < 0.15:
            pid, _name, topic = rng.choice(people)
            grid = config.grid_by_topic(topic)
            b = rng.choice(grid.buildings)
            needs += 1
            what = rng.choice(NEED_WHAT)
            if needs % 2:
                plan.append(Planned(mid, pid, topic, f"报修 {b}栋{what}(编号{needs:04d})", "need"))
            else:
                # 报修 makes it a need whatever the classifier thinks of the rest
                plan.append(Planned(mid, pid, topic, f"报修 {b}栋{what}(编号{needs:04d})", "need", mention=True))
        elif roll < 0.25 and free:
            pid, _name, topic = free.pop()
            bookings += 1
            room = BOOK_ROOMS[bookings % 3]
            day = ("明天", "后天")[bookings % 2]
            hour = 9 + bookings % 11
            plan.append(Planned(mid, pid, topic, f"预约 {room} {day}{hour}点到{hour + 1}点", "booking"))
        elif roll < 0.40 and free:
            pid, _name, topic = free.pop()
            plan.append(Planned(mid, pid, topic, f"报名 {EVENT_TITLE} {rng.randint(1, 3)}人", "signup"))
        elif roll < 0.45:
            pid, _name, topic = rng.choice(people)
            q = rng.choice(["我的预约", "我的报名", "帮助"])
            plan.append(Planned(mid, pid, topic, q, "query", mention=q == "帮助"))
        else:
            pid, _name, topic = rng.choice(people)
            plan.append(Planned(mid, pid, topic, rng.choice(CHATTER), "chatter"))
    return plan, people


async def _wait_for(predicate, timeout: float, what: str, interval: float = 0.2):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await asyncio.sleep(interval)


async def test_kill_9_mid_traffic_every_effect_once_every_reply_once(config: Config, db_url: str,
                                                                       tmp_path: Path) -> None:
    """1,000 messages, SIGKILL part-way, restart, the gateway redelivers all 1,000 with the same ids:
    each need / booking / signup exists once, every outbox row is sent, and the gateway received each
    committed reply once (a send in flight at the kill may arrive twice: counted and bounded by 1)."""
    from models.booking import Booking
    from models.events import Signup
    from models.needs import Need

    t_start = time.monotonic()
    plan, people = kill_traffic(config)
    sim = GatewaySimulator(sim_community(config), token="tok-kill9")
    for pid, name, topic in people:
        sim.add_contact(pid, name, topic=topic)
    await sim.start("127.0.0.1", 0)
    env = {**os.environ, "WECHATY_PUPPET_SERVICE_ENDPOINT": sim.endpoint, "WECHATY_PUPPET_SERVICE_TOKEN": "tok-kill9",
           "GRIDBOT_INSTANCE": "kill9-test"}
    cmd = [sys.executable, "-m", "bot.cli", "run", "--config", str(fast_config_file(tmp_path)), "--db", db_url,
           "--port", "0"]
    log_path = tmp_path / "service.log"
    logs = open(log_path, "ab")
    engine = reader_engine(db_url)

    async def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(cmd, env=env, stdout=logs, stderr=subprocess.STDOUT, cwd=tmp_path)

        async def connected() -> bool:
            if proc.poll() is not None:
                raise AssertionError("service exited: " + log_path.read_text(errors="replace")[-3000:])
            return sim.connected_streams > 0
        await _wait_for(connected, 60, "the service to connect to the gateway")
        return proc

    def processed_sql(ids: str = "") -> str:
        return "SELECT count(*) FROM processed_messages" + ids

    proc = await start()
    try:
        # a worker publishes the event the residents sign up for
        await sim.inject("wx_wang", f"发布活动 {EVENT_TITLE} 后天下午3点 社区广场 名额600 群 网格1,网格2,网格3",
                         message_id="kill-publish")
        await sim.wait_sent(1, timeout=30)
        for m in plan:
            await sim.inject(m.sender, m.text, topic=m.topic, mention_bot=m.mention, message_id=m.id)
        # kill once a good part is committed and replies are flowing
        # kill with about 40 % of the actionable messages committed (on SQLite the sender has then
        # hardly started: it gets the write lock once the burst is over; on PostgreSQL it keeps up)
        await _wait_for(lambda: _at_least(engine, processed_sql(), 200), 60, "200 messages processed", 0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        t_kill = time.monotonic()
        processed_at_kill = await count(engine, processed_sql())
        sent_at_kill = len(sim.sent)
        sim.drop_stream()
        await _wait_for(lambda: _true(sim.connected_streams == 0), 10, "the dead stream to close")

        proc = await start()
        # the gateway redelivers everything it had not seen acknowledged: all of it, same ids
        for m in plan:
            await sim.inject(m.sender, m.text, topic=m.topic, mention_bot=m.mention, message_id=m.id)
        await sim.inject("wx_zhang", "帮助", topic="网格1一家亲", mention_bot=True, message_id="kill-sentinel")

        async def settled() -> bool:
            sentinel = message_digest(config.bot_id, "kill-sentinel")    # dedup rows keep only a digest
            if await count(engine, processed_sql(f" WHERE message_id = '{sentinel}'")) == 0:
                return False
            if await count(engine, "SELECT count(*) FROM outbox WHERE status = 'pending'") != 0:
                return False
            # quiet for 3 s: a batch whose commit failed (a lock timeout under the race) is replayed with
            # backoff and may finish after the sentinel
            rows, now = await count(engine, "SELECT count(*) FROM outbox"), time.monotonic()
            if quiet.get("rows") != rows:
                quiet.update(rows=rows, since=now)
            return now - quiet["since"] >= 3.0
        quiet: dict[str, float] = {}
        t_restart = time.monotonic()
        await _wait_for(settled, 120, "every message processed and every reply sent", 0.25)
        t_settled = time.monotonic()
        await asyncio.sleep(1.0)   # anything still in flight would show up now
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        logs.close()
        await sim.stop()

    try:
        needs = await read_rows(engine, Need)
        bookings = await read_rows(engine, Booking)
        signups = await read_rows(engine, Signup)
        rows = await read_rows(engine, OutboxMessage)
    finally:
        await engine.dispose()

    # every need message became exactly one need (markers are unique per message)
    markers = Counter(m.group(1) for n in needs if (m := re.search(r"编号(\d{4})", n.text)))
    need_msgs = [m for m in plan if m.kind == "need"]
    assert len(markers) == len(need_msgs), f"{len(need_msgs) - len(markers)} need messages left no need"
    assert all(c == 1 for c in markers.values()), {k: c for k, c in markers.items() if c > 1}
    assert len(needs) == len(need_msgs)

    # bookings and signups come from distinct residents: at most one each, and every confirmed one
    # belongs to a message whose committed reply carried its code
    booking_people = Counter(b.person_id for b in bookings)
    assert all(c == 1 for c in booking_people.values()), booking_people.most_common(3)
    booked = [m for m in plan if m.kind == "booking"]
    assert len(bookings) == len(booked), f"{len(booked)} booking messages, {len(bookings)} bookings"
    signup_people = Counter(s.contact_id for s in signups)
    assert all(c == 1 for c in signup_people.values()), signup_people.most_common(3)
    assert len(signups) == len([m for m in plan if m.kind == "signup"])
    reply_text = "\n".join(r.text for r in rows)
    assert all(b.code in reply_text for b in bookings)
    assert all(n.code in reply_text for n in needs if n.merged_into is None)   # a merged one cites its parent

    # every outbox row sent; the gateway got each once (+ at most one send in flight at the kill)
    assert Counter(r.status for r in rows) == Counter({OutboxStatus.SENT: len(rows)})
    missing, extra = delivery_balance(sim, rows)
    assert not missing, f"committed but never delivered: {list(missing)[:3]}"
    in_flight_dupes = sum(extra.values())
    assert in_flight_dupes <= 1, f"delivered twice: {list(extra)[:3]}"
    print(f"\n[kill -9] {db_url.split(':')[0]}: {len(plan)} messages, killed after {processed_at_kill} processed "
          f"and {sent_at_kill} sent; afterwards {len(needs)} needs, {len(bookings)} bookings, {len(signups)} signups, "
          f"{len(rows)} outbox rows all sent, in-flight duplicates {in_flight_dupes}, "
          f"{time.monotonic() - t_start:.1f}s (to kill {t_kill - t_start:.1f}s, restart {t_restart - t_kill:.1f}s, "
          f"redelivery settled {t_settled - t_restart:.1f}s)")


async def _at_least(engine: AsyncEngine, sql: str, n: int) -> bool:
    try:
        return await count(engine, sql) >= n
    except Exception:   # the table appears when the service has migrated the database
        return False


async def _true(value: bool) -> bool:
    return value


# ------------------------------------------------------------------ 2. the gateway stops answering


async def test_gateway_silent_for_60s_detected_reconnected_replies_once(config: Config, tmp_path: Path,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    """The gateway hangs every call and the event stream for 60 s. With the service's own supervisor
    settings (ding every 10 s, 10 s to answer) the loss is noticed within 30 s; after the release the
    channel reconnects with backoff; replies committed meanwhile go out afterwards, each exactly once —
    including those whose send was hanging when the gateway froze."""
    import dataclasses

    caplog.set_level(logging.INFO, logger="gridbot.wechaty")
    cfg = dataclasses.replace(config, sender=SenderConfig(min_interval_s=0.05, jitter_s=0.0, reply_burst=3,
                                                          max_attempts=8, backoff_s=0.5))
    running = await start_service(cfg, db_url=f"sqlite+aiosqlite:///{tmp_path / 'gw.db'}", port=0, demo=True,
                                  tick_seconds=3600)
    sim, channel, core = running.simulator, running.channel, running.core
    try:
        await sim.inject("wx_zhang", "帮助", topic="网格1一家亲", mention_bot=True, message_id="gw-warm")
        await sim.wait_sent(1, timeout=20)
        room_id = next(r for r, topic, _ in sim_community(cfg).groups if topic == "网格2一家亲")

        t0 = time.monotonic()
        sim.set_unresponsive(True)
        # messages received just before the freeze: their replies are committed while the gateway hangs
        now = core.clock.now()
        for i, (who, text_) in enumerate([("wx_ma", "帮助"), ("wx_lin", "我的预约"), ("wx_qian", "我的报名")]):
            await core.dispatcher.submit(IncomingMessage(
                id=f"gw-before-{i}", account=cfg.bot_id, channel="wechaty", sender_id=who, sender_name=who,
                text=f"@小助手 {text_}", at=now, group_id=room_id, group_topic="网格2一家亲", mentions_bot=True))
        async with transaction(core.sessions) as s:      # and a scheduled push falls due meanwhile
            await enqueue(s, key="gw-push-1", account=cfg.bot_id, chat_kind=ChatKind.GROUP, chat_id="网格3一家亲",
                          text="【通知】本周六上午9点社区广场义诊,欢迎参加。", now=now, priority=Priority.NOTICE)
        core.wake_sender()
        # a resident writes while the gateway is frozen (a real gateway redelivers it later)
        await sim.inject("wx_yang", "帮助", topic="网格3一家亲", mention_bot=True, message_id="gw-during")

        await _wait_for(lambda: _true(not channel.is_ready()), 35, "the supervisor to notice", 0.1)
        detected = time.monotonic() - t0
        assert detected <= 30, detected
        await asyncio.sleep(max(0.0, 60 - (time.monotonic() - t0)))
        sim.set_unresponsive(False)
        t_release = time.monotonic()
        await _wait_for(lambda: _true(channel.is_ready()), 60, "the channel to reconnect", 0.1)
        reconnected = time.monotonic() - t_release
        await sim.inject("wx_yang", "帮助", topic="网格3一家亲", mention_bot=True, message_id="gw-during")

        async def all_sent() -> bool:
            async with core.sessions() as s:
                rows = list((await s.scalars(select(OutboxMessage))).all())
            return len(rows) >= 6 and all(r.status == OutboxStatus.SENT for r in rows)
        await _wait_for(all_sent, 60, "every queued reply to go out", 0.2)
        delivered_after = time.monotonic() - t_release
        await asyncio.sleep(1.5)
        async with core.sessions() as s:
            rows = list((await s.scalars(select(OutboxMessage))).all())
    finally:
        await running.stop()

    missing, extra = delivery_balance(sim, rows)
    assert not missing and not extra, (missing, extra)
    assert len(rows) == 6                      # warm-up, three before, the push, the one during the freeze
    assert {r.key.split(":")[2] for r in rows if r.key.startswith("msg:")} == {
        "gw-warm", "gw-before-0", "gw-before-1", "gw-before-2", "gw-during"}
    logged = caplog.text
    assert "no dong within 10s" in logged
    delays = [float(d) for d in re.findall(r"next try in ([\d.]+)s", logged)]
    assert delays == sorted(delays) and (len(delays) < 2 or delays[1] == 2 * delays[0]), delays
    assert channel.reconnects >= 1
    print(f"\n[gateway loss] detected after {detected:.1f}s; reconnected {reconnected:.1f}s after release "
          f"(backoff {delays}); queued replies all delivered {delivered_after:.1f}s after release; "
          f"{len(rows)} rows, duplicates 0")


# ------------------------------------------------------------------ 3. two instances on one PostgreSQL


class SharedChannel:
    """One WeChat account's transport as both instances see it: records every delivery."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, OutgoingMessage]] = []

    def for_instance(self, instance: str) -> "InstanceView":
        return InstanceView(self, instance)


@dataclass
class InstanceView:
    """The Channel one instance's sender uses."""

    shared: SharedChannel
    instance: str
    name: str = "shared"

    async def start(self, on_message) -> None:  # type: ignore[no-untyped-def]
        pass

    async def stop(self) -> None:
        pass

    def is_ready(self) -> bool:
        return True

    async def send(self, out: OutgoingMessage) -> None:
        # a gateway round trip. 20 ms: one sender alone would need 2 s for the 100 — longer than the
        # other's 1 s idle wait after losing a claim race, so both really take part
        await asyncio.sleep(0.02)
        self.shared.sent.append((self.instance, out))


async def test_two_instances_on_one_postgresql_deliver_each_push_once(config: Config, db_url: str) -> None:
    """Two processes' worth of Core (engine, dispatcher, sender) on one database, each with its own
    OutboxSender running its real loop: 100 queued pushes, each delivered exactly once."""
    if not db_url.startswith("postgresql"):
        pytest.skip("two instances share one PostgreSQL (GRIDBOT_TEST_PG=1); SQLite is one process per file")
    import dataclasses

    from bot.app import open_core

    cfg = dataclasses.replace(config, sender=SenderConfig(min_interval_s=0.0, jitter_s=0.0, reply_burst=0))
    a = await open_core(cfg, db_url, warm_up=False)
    b = await open_core(cfg, db_url, run_migrations=False, warm_up=False)
    shared = SharedChannel()
    senders = [a.attach_channel(shared.for_instance("host-a"), instance="host-a"),   # type: ignore[arg-type]
               b.attach_channel(shared.for_instance("host-b"), instance="host-b")]   # type: ignore[arg-type]
    try:
        async with transaction(a.sessions) as s:
            for i in range(100):
                await enqueue(s, key=f"push:weekly:{i}", account=cfg.bot_id, chat_kind=ChatKind.GROUP,
                              chat_id=f"网格{i % 3 + 1}一家亲", text=f"本周活动 {i}", now=a.clock.now(),
                              priority=Priority.NOTICE)
        loops = [asyncio.create_task(s.run()) for s in senders]
        for s in senders:
            s.wake()

        async def done() -> bool:
            return len(shared.sent) >= 100
        await _wait_for(done, 60, "100 deliveries", 0.05)
        await asyncio.sleep(1.5)          # a second delivery of anything would show up now
        for s in senders:
            await s.stop()
        for t in loops:
            t.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        async with a.sessions() as s:
            statuses = Counter((await s.scalars(select(OutboxMessage.status))).all())
    finally:
        await a.close()
        await b.close()

    keys = Counter(out.key for _, out in shared.sent)
    assert sorted(keys) == sorted(f"push:weekly:{i}" for i in range(100))
    assert set(keys.values()) == {1}
    assert statuses == Counter({OutboxStatus.SENT: 100})
    by_instance = Counter(inst for inst, _ in shared.sent)
    assert by_instance["host-a"] > 0 and by_instance["host-b"] > 0, by_instance   # both really worked
    print(f"\n[two instances] 100 pushes, each once; host-a sent {by_instance['host-a']}, "
          f"host-b {by_instance['host-b']}")


# ------------------------------------------------------------------ 4. the wechaty benchmark's round trip


async def test_wechaty_bench_fake_puppet_round_trip(tmp_path: Path) -> None:
    """`gridbot bench --mode wechaty` drives real wechaty objects on an in-process fake puppet: the
    bare echo bot answers every @-mention, and gridbot's WechatyChannel path answers through
    wechaty's room.say with the @-prefix, every outbox row delivered."""
    from bot.bench_traffic import bench_config, traffic
    from bot.bench_wechaty import room_id_of, run_bare, run_gridbot

    config = bench_config(20)
    msgs = traffic(config, 300, 20, seed=3)
    bare = await run_bare(config, msgs, window=64)
    assert len(bare.done) == len(msgs)
    assert bare.sends == sum(1 for m in msgs if m.mentions_bot)
    assert all(w.text.startswith("@") and w.mention_ids for w in bare.wire)

    run, extra = await run_gridbot(config, msgs, f"sqlite+aiosqlite:///{tmp_path / 'b.db'}", window=64)
    assert len(run.done) == len(msgs)
    assert extra["replies_queued"] > 0 and run.sends == extra["replies_queued"]
    replied = {m.id for m in msgs if m.id in run.replied}
    assert {m.id for m in msgs if m.text.startswith("@小助手 帮助")} <= replied
    help_reply = next(w for w in run.wire if "可以帮您" in w.text)
    assert help_reply.conversation_id.startswith("room-") and help_reply.text.startswith(f"@{help_reply.mention_ids[0]} ")
    summary = run.summary()
    assert summary["msgs_per_s"] > 0 and summary["p50_ms"] is not None
    assert room_id_of("网格1一家亲") == "room-网格1一家亲@chatroom"
