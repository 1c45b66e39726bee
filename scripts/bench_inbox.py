#!/usr/bin/env python
"""Benchmark of the web inbox: seed N needs (default 10,000) and time GET /inbox.

    .venv/bin/python scripts/bench_inbox.py [--needs 10000] [--open-share 1.0] [--db URL] [--requests 30]

Prints one JSON object: the median and p95 server time of GET /inbox (the handler's own Server-Timing
header: session check, the list query with its counts, rendering) and the client-side round trip, for
the admin (whole community) and a grid worker. The needs are inserted with Core executemany (the
inbox's reads are what is measured, not intake); --open-share says how many are still open."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEXTS = ["楼道灯不亮了", "门口垃圾桶满出来了", "电梯又停了", "下水道堵了,一股臭味", "楼上漏水到我家",
         "有人占道摆摊", "小区路灯坏了好几天", "独居老人想预约上门理发", "想报名四点半课堂", "楼下车位被占了",
         "门禁刷不开", "广场舞声音太大", "绿化带没人修剪", "快递柜坏了", "楼道里堆满杂物"]
CATEGORIES = ["repair", "environment", "safety", "elderly", "childcare", "property", "neighbor", "convenience"]


async def seed(core, n: int, open_share: float) -> None:  # type: ignore[no-untyped-def]
    from models import needs as N

    rng = random.Random(7)
    now = core.clock.now()
    config = core.config
    rows = []
    for i in range(n):
        building = rng.randint(1, 15)
        grid = config.grid_of_building(building).number
        created = now - timedelta(minutes=rng.randint(1, 60 * 24 * 180))
        is_open = rng.random() < open_share
        urgent = rng.random() < 0.03
        status = rng.choice(["dispatched", "accepted", "in_progress"]) if is_open else "closed"
        due = created + timedelta(minutes=5 if urgent else 120) if status == "dispatched" else None
        worker = config.grids[grid - 1].worker
        rows.append({
            "code": f"D{created.astimezone(config.timezone):%Y%m%d}-{i:05d}", "status": status, "source": "group",
            "category": rng.choice(CATEGORIES), "urgent": urgent, "building": building, "grid": grid,
            "text": f"{building}栋{rng.choice(TEXTS)}", "tokens": [], "requester": "wx_zhang", "requester_name": "张阿姨",
            "chat": config.grids[grid - 1].group, "assignee": worker, "assignee_name": worker, "department": None,
            "created_at": created, "updated_at": created, "response_due_at": due, "clock_kind": "respond" if due else None,
            "clock_no": 1, "due_at": due, "level": 0, "resolve_level": 0, "overdue": bool(due and due < now),
            "resolve_due_at": created + timedelta(minutes=15) if urgent and is_open else None,
            "reopen_count": 0, "satisfaction": None if is_open else "satisfied",
            "closed_at": None if is_open else created + timedelta(days=1)})
    async with core.sessions() as session, session.begin():
        for start in range(0, n, 2000):
            await session.execute(N.Need.__table__.insert(), rows[start:start + 2000])
    if core.engine.dialect.name == "postgresql":
        # what autovacuum does soon after a bulk load (statistics, the visibility map that lets an
        # index-only scan skip the table): measure the steady state, not the minute after the load
        from sqlalchemy import text

        async with core.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE needs"))


async def timed_gets(http, url: str, count: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    server, client = [], []
    for i in range(count + 3):
        t0 = time.perf_counter()
        async with http.get(url) as r:
            await r.read()
            assert r.status == 200, r.status
            dur = float(r.headers["Server-Timing"].split("dur=")[1])
        if i >= 3:                           # the first few warm caches up
            server.append(dur)
            client.append((time.perf_counter() - t0) * 1000)
    return server, client


def summary(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {"median_ms": round(statistics.median(values), 1), "p95_ms": round(values[int(len(values) * 0.95) - 1], 1)}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--needs", type=int, default=10_000)
    parser.add_argument("--open-share", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--db", default=None, help="database URL (default: a fresh temporary SQLite file)")
    args = parser.parse_args()

    import aiohttp
    from aiohttp.test_utils import TestServer

    from bot.app import open_core
    from kernel.config import load_config
    from bot.web.app import make_app
    from bot.web.auth import ensure_demo_users

    config = load_config(ROOT / "config.example.toml")
    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite+aiosqlite:///{Path(tmp.name) / 'bench.db'}"
    core = await open_core(config, url, warm_up=False)
    try:
        t0 = time.perf_counter()
        await seed(core, args.needs, args.open_share)
        seeded_s = time.perf_counter() - t0
        await ensure_demo_users(core)
        server = TestServer(make_app(core))
        await server.start_server()
        base = str(server.make_url("")).rstrip("/")
        results: dict[str, object] = {"needs": args.needs, "open_share": args.open_share, "requests": args.requests,
                                      "database": url.split(":")[0], "seed_s": round(seeded_s, 2)}
        for username in ("li", "wang"):
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                async with http.get(base + "/inbox/login") as r:
                    html = await r.text()
                token = html.split('name="_csrf" value="')[1].split('"')[0]
                async with http.post(base + "/inbox/login", data={"_csrf": token, "username": username,
                                                                  "password": "demo"}) as r:
                    assert r.status == 200 and str(r.url).endswith("/inbox"), r.status
                server_ms, client_ms = await timed_gets(http, base + "/inbox", args.requests)
                results[f"inbox_{username}_server"] = summary(server_ms)
                results[f"inbox_{username}_client"] = summary(client_ms)
        await server.close()
        print(json.dumps(results, ensure_ascii=False))
    finally:
        await core.close()
        tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
