"""Where the router's time goes: SQL statements per message kind and CPU per statement (issue 16).

    nice .venv/bin/python -m bot.bench_stats [--messages 6000] [--groups 2000] [--per-kind 200]

Prints one JSON object:
- `per_kind`: each kind of bench message (chatter, need, booking, signup, help, worker, inquiry) run
  one by one through `Dispatcher.handle` on a fresh SQLite file: statements per message, split into `sql`
  (SELECT/INSERT/UPDATE/DELETE) and `control` (BEGIN/COMMIT/SAVEPOINT/RELEASE), and process CPU µs per
  message (all threads: the event loop and aiosqlite's);
- `mixed`: the bench's mixed traffic through group commit (`submit`): statements, process CPU, CPU per
  statement and msg/s.
A benchmark, not a test: the numbers move with the machine's load; compare medians of alternated runs."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
import time
from collections import Counter
from typing import Any

from sqlalchemy import event

from bot.bench_traffic import bench_config, traffic

KINDS = [("worker", re.compile(r"^待办")), ("booking", re.compile(r"预约")), ("signup", re.compile(r"报名")),
         ("help", re.compile(r"帮助")), ("inquiry", re.compile(r"几点")), ("need", re.compile(r"@小助手|报修"))]
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


def kind_of(text: str) -> str:
    for name, pattern in KINDS:
        if pattern.search(text):
            return name
    return "chatter"


class Counting:
    def __init__(self, engine: Any) -> None:
        self.sql = 0
        self.control = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._count)

    def _count(self, _conn, _cursor, statement: str, *_args: Any) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(CONTROL):
            self.control += 1
        else:
            self.sql += 1

    def total(self) -> int:
        return self.sql + self.control


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from bot.app import open_core

    config = bench_config(args.groups)
    msgs = traffic(config, args.messages, args.groups)
    by_kind: dict[str, list[Any]] = {}
    for m in msgs:
        by_kind.setdefault(kind_of(m.text or ""), []).append(m)

    # Per kind, one by one (each message its own transaction, as `handle` does).
    tmp = tempfile.mkdtemp(prefix="gridbot-stats-")
    core = await open_core(config, f"sqlite+aiosqlite:///{tmp}/kinds.db")
    core.dispatcher.budget = None   # count the work, not the flood guard's holding back
    counting = Counting(core.engine)
    per_kind: dict[str, Any] = {}
    for name in sorted(by_kind):
        sample = by_kind[name][:args.per_kind]
        sql0, ctl0, cpu0 = counting.sql, counting.control, time.process_time()
        routes: Counter[str] = Counter()
        for m in sample:
            outcome = await core.dispatcher.handle(m)
            routes[outcome.route or "-"] += 1
        cpu = time.process_time() - cpu0
        n = len(sample)
        per_kind[name] = {"n": n, "sql": round((counting.sql - sql0) / n, 2),
                          "control": round((counting.control - ctl0) / n, 2),
                          "cpu_us": round(cpu / n * 1e6), "routes": dict(routes.most_common(3))}
    await core.close()

    # Mixed traffic through group commit, as `gridbot bench` runs it.
    core = await open_core(config, f"sqlite+aiosqlite:///{tmp}/mixed.db")
    counting = Counting(core.engine)
    window = asyncio.Semaphore(256)

    async def bounded(m: Any) -> None:
        async with window:
            await core.dispatcher.submit(m)
    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(bounded(m) for m in msgs))
    cpu, seconds = time.process_time() - cpu0, time.perf_counter() - t0
    await core.close()
    return {"messages": len(msgs), "per_kind": per_kind,
            "mixed": {"msgs_per_s": round(len(msgs) / seconds, 1), "cpu_s": round(cpu, 3),
                      "statements": counting.total(), "sql": counting.sql, "control": counting.control,
                      "cpu_us_per_statement": round(cpu / max(1, counting.total()) * 1e6),
                      "cpu_us_per_message": round(cpu / len(msgs) * 1e6)}}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=6000)
    p.add_argument("--groups", type=int, default=2000)
    p.add_argument("--per-kind", type=int, default=200)
    print(json.dumps(asyncio.run(run(p.parse_args())), ensure_ascii=False))


if __name__ == "__main__":
    main()
