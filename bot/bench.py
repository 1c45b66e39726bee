"""`gridbot bench`: generated group traffic through the router, SQLite durable (CONTRACTS §6).

90 % chatter, 10 % actionable (needs, bookings, signups, worker commands, help) across N simulated
groups. Closed loop by default (as fast as it goes, a window of messages in flight); `--rate R` offers
an open-loop load of R msg/s and reports the latency each message saw from arrival to commit.
Prints one JSON object: messages, seconds, msgs_per_s, p50_ms, p99_ms, rss_mb, cold_start_s, …"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time

from kernel.message import IncomingMessage

from bot.bench_traffic import bench_config, rss_mb, traffic


async def run_router(args: argparse.Namespace) -> dict[str, object]:
    from bot.app import open_core

    t0 = time.perf_counter()
    config = bench_config(args.groups)
    tmp = tempfile.mkdtemp(prefix="gridbot-bench-")
    url = args.db or f"sqlite+aiosqlite:///{tmp}/bench.db"
    core = await open_core(config, url)
    cold_start = time.perf_counter() - t0
    await core.text_ready()      # jieba loads in the background; the traffic starts once it is in
    text_ready = time.perf_counter() - t0
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
        "rss_mb": round(rss_mb(), 1), "cold_start_s": round(cold_start, 3),
        "text_ready_s": round(text_ready, 3), "replies_queued": replies,
        "database": url.split(":")[0],
    }


def main(args: argparse.Namespace) -> int:
    if args.mode == "wechaty":
        from bot.bench_wechaty import run_wechaty

        result = asyncio.run(run_wechaty(args))
    elif args.mode == "capacity":
        from bot.bench_capacity import run_capacity
        from kernel.config import SenderConfig

        result = asyncio.run(run_capacity(args, SenderConfig()))
    else:
        result = asyncio.run(run_router(args))
    print(json.dumps(result, ensure_ascii=False))
    return 0
