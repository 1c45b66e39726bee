#!/usr/bin/env python
"""Benchmark of list reads at scale: GET /inbox and the JSON API's first and deep pages, offset and cursor.

    nice .venv/bin/python scripts/bench_api_pages.py [--needs 100000] [--requests 10] [--db URL]

Seeds N needs (as scripts/bench_inbox.py does, status=all so every need is listed) and prints one JSON
object of client-side round-trip times (median / p95 ms, as admin): GET /inbox (and its Server-Timing,
the handler's own time with the rendering); GET /api/needs first page;
the deep page by `offset` (90 % into the list); the deep page by cursor (`after=`, a cursor from 90 % into
the list; skipped when the server has no cursor paging). A benchmark, not a test."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def summary(values: list[float]) -> dict[str, float]:
    values = sorted(values)
    return {"median_ms": round(statistics.median(values), 1), "p95_ms": round(values[max(0, int(len(values) * 0.95) - 1)], 1)}


async def timed(http, url: str, count: int, headers: dict[str, str] | None = None,  # type: ignore[no-untyped-def]
                server: list[float] | None = None) -> tuple[list[float], object]:
    """Round trips of `count` GETs (after two that warm caches up); the handler's own Server-Timing
    into `server` when given."""
    times, body = [], None
    for i in range(count + 2):
        t0 = time.perf_counter()
        async with http.get(url, headers=headers or {}) as r:
            raw = await r.read()
            status = r.status
            timing = r.headers.get("Server-Timing", "")
        if i >= 2:
            times.append((time.perf_counter() - t0) * 1000)
            if server is not None and "dur=" in timing:
                server.append(float(timing.split("dur=")[1]))
        body = (status, raw)
    return times, body


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--needs", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()

    import aiohttp
    from aiohttp.test_utils import TestServer
    from bench_inbox import seed

    from bot.app import open_core
    from bot.web.app import make_app
    from bot.web.auth import ensure_demo_users
    from kernel.config import load_config

    config = load_config(ROOT / "config.example.toml")
    tmp = tempfile.TemporaryDirectory()
    url = args.db or f"sqlite+aiosqlite:///{Path(tmp.name) / 'bench.db'}"
    core = await open_core(config, url, warm_up=False)
    try:
        t0 = time.perf_counter()
        await seed(core, args.needs, 0.2)
        results: dict[str, object] = {"needs": args.needs, "database": url.split(":")[0],
                                      "seed_s": round(time.perf_counter() - t0, 1), "requests": args.requests}
        await ensure_demo_users(core)
        server = TestServer(make_app(core))
        await server.start_server()
        base = str(server.make_url("")).rstrip("/")
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(base + "/inbox/login") as r:
                html = await r.text()
            csrf = html.split('name="_csrf" value="')[1].split('"')[0]
            async with http.post(base + "/inbox/login", data={"_csrf": csrf, "username": "li", "password": "demo"}) as r:
                assert r.status == 200, r.status
            server_ms: list[float] = []
            times, _ = await timed(http, base + "/inbox", args.requests, server=server_ms)
            results["inbox_get"] = summary(times)
            if server_ms:
                results["inbox_get_server"] = summary(server_ms)
        async with aiohttp.ClientSession() as http:
            async with http.post(base + "/api/token", json={"username": "li", "password": "demo"}) as r:
                token = (await r.json())["token"]
            auth = {"Authorization": f"Bearer {token}"}
            times, _ = await timed(http, base + "/api/needs?status=all&limit=100", args.requests, auth)
            results["api_first_page"] = summary(times)
            deep = int(args.needs * 0.9)
            times, (status, raw) = await timed(http, base + f"/api/needs?status=all&limit=100&offset={deep}",
                                               args.requests, auth)
            assert status == 200 and len(json.loads(raw)["needs"]) == 100
            results["api_deep_page_offset"] = summary(times)
            # a cursor 90 % into the list (newest first: a need id near the oldest end)
            times, (status, raw) = await timed(http, base + "/api/needs?status=all&limit=100&after=", 1, auth)
            if status == 200 and "next" in json.loads(raw):
                cursor = str(args.needs - deep)
                times, (status, raw) = await timed(
                    http, base + f"/api/needs?status=all&limit=100&after={cursor}", args.requests, auth)
                assert status == 200 and len(json.loads(raw)["needs"]) == 100, raw[:200]
                results["api_deep_page_cursor"] = summary(times)
        await server.close()
        print(json.dumps(results, ensure_ascii=False))
    finally:
        await core.close()
        tmp.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
