"""`gridbot bench --mode capacity`: how much traffic one account can answer under the anti-ban send policy.

One WeChat account sends about one message a second (`[sender] min_interval_s` plus jitter), so above
some incoming rate replies queue without bound, whatever the CPU. This runs the real OutboxSender with the
real RateLimiter and `[sender]` settings against a real database, in simulated time (the limiter's clock and
sleep are virtual, so ten minutes of traffic take seconds): Poisson arrivals across groups of uneven
activity (Zipf: a few busy groups, many quiet ones), a share of them needing a reply, and for every offered
rate the reply latency from arrival to send — once with replies to one group merged under load
(`coalesce_max`) and once without. The capacity is the highest rate whose reply p99 stays ≤ the target."""

from __future__ import annotations

import argparse
import logging
import random
import tempfile
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from bot.sender import OutboxSender, RateLimiter
from kernel.clock import ManualClock
from kernel.config import SenderConfig
from kernel.message import ChatKind, OutgoingMessage
from bot.app import migrate_database
from models.db import make_engine, make_sessionmaker, transaction
from models.outbox import Priority, enqueue

START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
RATES = (1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30)


class VirtualTime:
    """The limiter's monotonic clock and sleep, and the database clock, all on one simulated timeline.
    Sleeping is where arrivals happen: every arrival due by the new time is queued before the sleep returns."""

    def __init__(self, clock: ManualClock) -> None:
        self.t = 0.0
        self.clock = clock
        self.on_advance: list = []

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        await self.advance_to(self.t + max(0.0, seconds))

    async def advance_to(self, t: float) -> None:
        self.t = max(self.t, t)
        self.clock.set(START + timedelta(seconds=self.t))
        for hook in self.on_advance:
            await hook()


class Stopwatch:
    """The channel: records when each resident's reply went (a merged message answers several)."""

    name = "capacity"

    def __init__(self, vt: VirtualTime) -> None:
        self.vt = vt
        self.sent_at: dict[str, float] = {}
        self.sends = 0

    async def start(self, on_message) -> None:  # type: ignore[no-untyped-def]
        pass

    async def stop(self) -> None:
        pass

    def is_ready(self) -> bool:
        return True

    async def send(self, out: OutgoingMessage) -> None:
        self.sends += 1
        for who in out.mentions:
            self.sent_at[who] = self.vt.t


def arrivals(rate: float, seconds: float, groups: int, reply_ratio: float, seed: int) -> list[tuple[float, str]]:
    """(time, group) of every incoming message that gets a reply."""
    rng = random.Random(seed)
    weights = [1 / k for k in range(1, groups + 1)]
    out, t = [], 0.0
    while True:
        t += rng.expovariate(rate)
        if t >= seconds:
            return out
        if rng.random() < reply_ratio:
            out.append((t, f"网格{rng.choices(range(1, groups + 1), weights)[0]}一家亲"))


async def one_run(url: str, cfg: SenderConfig, rate: float, args: argparse.Namespace, tag: str) -> dict[str, object]:
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    clock = ManualClock(START)
    vt = VirtualTime(clock)
    channel = Stopwatch(vt)
    sender = OutboxSender(sessions, channel, clock, cfg, tag, tag,
                          limiter=RateLimiter(cfg, rng=random.Random(args.seed), monotonic=vt.monotonic,
                                              sleep=vt.sleep))
    due = arrivals(rate, args.seconds, args.groups, args.reply_ratio, args.seed)
    queued: dict[str, float] = {}
    nxt = 0

    async def arrive() -> None:
        nonlocal nxt
        batch = []
        while nxt < len(due) and due[nxt][0] <= vt.t:
            batch.append((f"{tag}-{nxt}", *due[nxt]))
            nxt += 1
        if not batch:
            return
        async with transaction(sessions) as session:
            for who, at, group in batch:
                await enqueue(session, key=f"r:{who}", account=tag, chat_kind=ChatKind.GROUP, chat_id=group,
                              text=f"收到,已登记。({who})", mentions=(who,), priority=Priority.REPLY,
                              now=START + timedelta(seconds=at))
                queued[who] = at
        sender.wake()

    vt.on_advance.append(arrive)
    horizon = args.seconds * 3            # past the offered traffic: let the queue drain (or show it cannot)
    while vt.t < horizon and (nxt < len(due) or len(channel.sent_at) < len(queued)):
        await sender.pump()
        if nxt < len(due):
            await vt.advance_to(due[nxt][0])
        elif len(channel.sent_at) < len(queued):
            await vt.advance_to(vt.t + 1.0)
    await engine.dispose()
    waits = sorted(channel.sent_at.get(who, horizon) - at for who, at in queued.items())
    if not waits:
        return {"rate": rate, "replies": 0}
    return {"rate": rate, "replies": len(waits), "sends": channel.sends,
            "p50_s": round(waits[len(waits) // 2], 1), "p99_s": round(waits[max(0, int(len(waits) * 0.99) - 1)], 1),
            "max_s": round(waits[-1], 1), "unsent_at_end": len(queued) - len(channel.sent_at)}


async def run_capacity(args: argparse.Namespace, policy: SenderConfig) -> dict[str, object]:
    sender_log = logging.getLogger("gridbot.sender")
    level = sender_log.level
    sender_log.setLevel(logging.WARNING)     # thousands of simulated sends; the caller's level comes back after
    try:
        return await _capacity(args, policy)
    finally:
        sender_log.setLevel(level)


async def _capacity(args: argparse.Namespace, policy: SenderConfig) -> dict[str, object]:
    tmp = tempfile.mkdtemp(prefix="gridbot-capacity-")
    results: dict[str, list[dict[str, object]]] = {}
    capacity: dict[str, float] = {}
    for label, cfg in (("merged", policy), ("one_per_reply", replace(policy, coalesce_max=1))):
        rows = []
        for rate in RATES:
            url = args.db or f"sqlite+aiosqlite:///{tmp}/{label}-{rate}.db"   # one --db: runs apart by account
            await migrate_database(url)
            row = await one_run(url, cfg, rate, args, f"{label}{rate}")
            rows.append(row)
            if row.get("p99_s", 0) <= args.target_s:          # type: ignore[operator]
                capacity[label] = rate
            else:
                break                                          # latency only grows from here
        results[label] = rows
    return {"mode": "capacity", "simulated_seconds": args.seconds, "groups": args.groups,
            "reply_ratio": args.reply_ratio, "target_p99_s": args.target_s,
            "policy": {"min_interval_s": policy.min_interval_s, "jitter_s": policy.jitter_s,
                       "reply_burst": policy.reply_burst, "coalesce_max": policy.coalesce_max},
            "capacity_msgs_per_s": capacity, "runs": results}
