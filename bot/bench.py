"""`gridbot bench`: generated group traffic through the router, SQLite durable (CONTRACTS §6).

90 % chatter, 10 % actionable (needs, bookings, signups, worker commands, help) across N simulated
groups. Closed loop by default (as fast as it goes, a window of messages in flight); `--rate R` offers
an open-loop load of R msg/s and reports the latency each message saw from arrival to commit.
Prints one JSON object: messages, seconds, msgs_per_s, p50_ms, p99_ms, rss_mb, cold_start_s, …"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

from kernel.config import Config, parse_config
from kernel.message import IncomingMessage

ROOT = Path(__file__).resolve().parents[1]

CHATTER = [
    "大家早上好", "👍👍👍", "今天的菜好便宜啊", "明天要降温了,大家多穿点", "收到", "[图片]", "谢谢网格员",
    "哈哈哈哈", "有人知道快递柜怎么开吗", "楼下超市今天打折", "晚上一起跳广场舞吗", "好的好的", "[视频]",
    "孩子作业太多了", "下雨了记得收衣服", "谁家的猫跑出来了", "🌹🌹", "今天天气真好", "刚买的橘子很甜",
]
ACTIONABLE = [
    "@小助手 {b}栋电梯又坏了,困了好久", "@小助手 {b}号楼门口垃圾堆了三天没人清", "报修 {b}栋楼道灯不亮",
    "预约 钢琴房 明天下午3点到5点", "我的预约", "报名 反诈讲座 2人", "我的报名", "@小助手 帮助",
    "@小助手 {b}栋有人在楼道飞线充电", "@小助手 健身房几点关门",
]


def bench_config(groups: int) -> Config:
    """The demo community scaled to `groups` grids, each with its own family group and worker."""
    example = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    head = example.split("# -------------------------------------------------------------------- grids and people")[0]
    rooms = example[example.index("\n[[rooms]]\n"):example.index("\n[needs]\n")]   # capability sections: defaults
    parts = [head]
    for i in range(1, groups + 1):
        parts.append(f'[[grids]]\nnumber = {i}\ngroup = "网格{i}一家亲"\nbuildings = [{i}]\nworker = "w{i}"\n')
        parts.append(f'[[workers]]\nid = "w{i}"\nname = "网格员{i}"\ngrid = {i}\n')
    parts.append('[[admins]]\nid = "wx_li"\nname = "李书记"\n')
    parts.append('[[departments]]\nname = "城管科"\ncontact_id = "wx_cg"\nack_minutes = 30\n')
    parts.append(rooms)
    return parse_config("\n".join(parts), ROOT / "bench.toml")


def traffic(config: Config, n: int, groups: int, seed: int = 7) -> list[IncomingMessage]:
    rng = random.Random(seed)
    now = datetime.now(config.timezone)
    msgs = []
    for i in range(n):
        g = rng.randint(1, groups)
        person = f"r{g}_{rng.randint(1, 300)}"
        if rng.random() < 0.10:
            text = rng.choice(ACTIONABLE).format(b=g)
            if rng.random() < 0.1:
                person, text = f"w{g}", "待办"
        else:
            text = rng.choice(CHATTER)
        topic = f"网格{g}一家亲"
        msgs.append(IncomingMessage(id=f"bench-{i}", account=config.bot_id, channel="bench", sender_id=person,
                                    sender_name="居民", text=text, at=now, group_id=topic, group_topic=topic,
                                    mentions_bot=text.startswith("@")))
    return msgs


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run_router(args: argparse.Namespace) -> dict[str, object]:
    from bot.app import open_core

    t0 = time.perf_counter()
    config = bench_config(args.groups)
    tmp = tempfile.mkdtemp(prefix="gridbot-bench-")
    url = args.db or f"sqlite+aiosqlite:///{tmp}/bench.db"
    core = await open_core(config, url)
    cold_start = time.perf_counter() - t0
    msgs = traffic(config, args.messages, args.groups)
    latencies: list[float] = []

    async def one(msg: IncomingMessage) -> None:
        started = time.perf_counter()
        await core.dispatcher.submit(msg)
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    if args.rate > 0:
        # open loop: arrivals on a fixed schedule, whatever the bot's speed
        tasks = []
        for i, msg in enumerate(msgs):
            due = started + i / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(msg)))
        await asyncio.gather(*tasks)
    else:
        window = asyncio.Semaphore(256)

        async def bounded(msg: IncomingMessage) -> None:
            async with window:
                await one(msg)
        await asyncio.gather(*(bounded(m) for m in msgs))
    seconds = time.perf_counter() - started
    from sqlalchemy import func, select

    from models.outbox import OutboxMessage

    async with core.sessions() as session:
        replies = await session.scalar(select(func.count()).select_from(OutboxMessage))
    await core.close()
    latencies.sort()
    return {
        "mode": "router", "messages": len(msgs), "groups": args.groups, "offered_rate": args.rate or None,
        "seconds": round(seconds, 3), "msgs_per_s": round(len(msgs) / seconds, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 3),
        "rss_mb": round(rss_mb(), 1), "cold_start_s": round(cold_start, 3), "replies_queued": replies,
        "database": url.split(":")[0],
    }


def main(args: argparse.Namespace) -> int:
    if args.mode == "wechaty":
        from bot.bench_wechaty import run_wechaty

        result = asyncio.run(run_wechaty(args))
    else:
        result = asyncio.run(run_router(args))
    print(json.dumps(result, ensure_ascii=False))
    return 0
