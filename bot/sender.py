"""Delivers outbox rows through the channel: most urgent first, an anti-ban rate limit with jitter on every
send, retries with backoff.

Write transactions are few (issue 16: two per row starved SQLite): one transaction claims a batch of
rows, and each sent row is marked by one small transaction before the next send, so a crash resends at
most the one send in flight, whatever the rate limit (a shared mark for back-to-back sends let a kill -9
resend a whole burst). Rows are held in memory in priority order, and the batch is claimed
afresh whenever the router has committed new rows, so an urgent alert queued behind a long push (or a
flood's replies) goes out with the very next send.

Under load one account's send rate is the ceiling (≈ 0.8 messages/s under the anti-ban policy). When the
rate limit makes the next reply wait anyway, the replies already waiting for the same group go as one
message that @-mentions each resident (`[sender] coalesce_max`): a busy group gets its answers in one
send instead of a queue that grows without bound. Urgent rows and pushes are never merged."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time as _time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel import metrics
from bot.channels.base import Channel, ChannelError, PermanentChannelError
from kernel.clock import Clock
from kernel.config import SenderConfig
from kernel.logevent import log_event
from kernel.message import ChatKind, OutgoingMessage
from models.db import transaction
from models.outbox import OutboxMessage, Priority, claim_due, mark_failed, mark_sent, release_claims

log = logging.getLogger("gridbot.sender")


class RateLimiter:
    """At least `min_interval` (+ jitter) between sends; replies to residents may use a small burst
    allowance so that a question asked during a long push is still answered within seconds."""

    def __init__(self, cfg: SenderConfig, *, rng: random.Random | None = None,
                 monotonic: Callable[[], float] = _time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.cfg = cfg
        self.rng = rng or random.Random()
        self.monotonic = monotonic
        self.sleep = sleep
        self.tokens = float(cfg.reply_burst)
        self.last = -1e9

    def delay_for(self, priority: int) -> float:
        now = self.monotonic()
        elapsed = now - self.last
        if self.cfg.min_interval_s > 0:
            self.tokens = min(self.cfg.reply_burst, self.tokens + elapsed / self.cfg.min_interval_s)
        if priority <= Priority.REPLY and self.tokens >= 1:
            return max(0.0, 0.2 - elapsed)   # a short gap even in a burst: never machine-gun a group
        gap = self.cfg.min_interval_s + self.rng.uniform(0, self.cfg.jitter_s)
        return max(0.0, gap - elapsed)

    def pressed(self) -> bool:
        """The reply burst is spent: the next reply waits a full interval (never without a rate limit)."""
        if self.cfg.min_interval_s <= 0:
            return False
        elapsed = self.monotonic() - self.last
        return min(self.cfg.reply_burst, self.tokens + elapsed / self.cfg.min_interval_s) < 1

    async def wait(self, priority: int) -> None:
        delay = self.delay_for(priority)
        if delay > 0:
            await self.sleep(delay)
        if priority <= Priority.REPLY and self.tokens >= 1:
            self.tokens -= 1
        self.last = self.monotonic()


CLAIM_EVERY_S = 0.1    # re-claim on new rows at most this often (an urgent row waits at most this long)
BATCH = 20             # rows claimed at once by the service loop
MERGED_CHARS = 1500    # a merged message stays well under WeChat's and WeCom's text limits
PART_BREAK = "\n——————\n"


class OutboxSender:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], channel: Channel, clock: Clock,
                 cfg: SenderConfig, account: str | tuple[str, ...], instance: str, *,
                 limiter: RateLimiter | None = None) -> None:
        self.sessions = sessions
        self.channel = channel
        self.clock = clock
        self.cfg = cfg
        self.account = account
        self.instance = instance
        self.limiter = limiter or RateLimiter(cfg)
        self._wake = asyncio.Event()
        self._fresh = True                 # rows were committed since our last claim
        self._stopping = False
        self._held: list[OutboxMessage] = []   # claimed, not yet sent, most urgent first
        self._done: list[int] = []             # sent, not yet marked
        self._claimed_at = -1e9
        self.failing_since: float | None = None   # monotonic time the first of consecutive failed rounds began
        # Called with the rows the sender gave up on (the app reroutes undeliverable urgent alerts).
        self.on_given_up: Callable[[list[OutboxMessage]], Awaitable[None]] | None = None

    def wake(self) -> None:
        self._fresh = True
        self._wake.set()

    async def run(self) -> None:
        """The service loop: deliver what is due, sleep until woken or a second has passed."""
        while not self._stopping:
            try:
                sent = await self.pump(batch=BATCH)
                self.failing_since = None
            except Exception:
                log.exception("outbox delivery round failed; retrying shortly")
                self.failing_since = self.failing_since or self.limiter.monotonic()
                self._held = []        # claim again once the database answers
                sent = 0
            if sent == 0:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=1.0)
                except TimeoutError:
                    pass

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        async with transaction(self.sessions) as session:
            await mark_sent(session, self._done, self.clock.now())
            await release_claims(session, self.instance)
        self._done, self._held = [], []

    async def deliver_due(self, *, batch: int = 50, rate_limited: bool = False) -> int:
        """Claim up to `batch` due rows, most urgent first, and send them. Returns how many went."""
        if not self.channel.is_ready():
            return 0
        await self._claim(batch)
        sent = 0
        while self._held:
            row = self._held.pop(0)
            if rate_limited:
                await self.limiter.wait(row.priority)
            if await self._send([row]):
                sent += 1
        await self._flush()
        return sent

    async def pump(self, *, batch: int = BATCH) -> int:
        """Send until nothing is due, under the rate limit; claim again when the held rows run out, when
        the router committed new rows (they may outrank what we hold), or before our lease runs out."""
        sent = 0
        while not self._stopping and self.channel.is_ready():
            if not self._held or self._should_reclaim():
                await self._claim(batch)
            if not self._held:
                break
            await self.limiter.wait(self._held[0].priority)
            if self._should_reclaim():           # committed while we waited: maybe something more urgent
                await self._claim(batch)
                if not self._held:
                    break
            if await self._send(self._next_rows()):
                sent += 1
            await self._flush()       # before the next send: a crash resends at most the one in flight
        await self._flush()
        return sent

    def _should_reclaim(self) -> bool:
        since = self.limiter.monotonic() - self._claimed_at
        return (self._fresh and since >= CLAIM_EVERY_S) or since >= 60

    async def _claim(self, batch: int) -> None:
        """One write transaction: mark what was sent, take the most urgent due rows (ours included)."""
        self._fresh = False
        async with transaction(self.sessions) as session:
            await mark_sent(session, self._done, self.clock.now())
            self._held = await claim_due(session, account=self.account, worker=self.instance,
                                         now=self.clock.now(), limit=batch)
        self._done = []
        self._claimed_at = self.limiter.monotonic()

    async def _flush(self) -> None:
        if self._done:
            async with transaction(self.sessions) as session:
                await mark_sent(session, self._done, self.clock.now())
            self._done = []

    async def drain(self) -> int:
        """Send everything due now, without the rate limit (simulated time: the simulator and tests)."""
        total = 0
        while (n := await self.deliver_due(batch=100)) > 0:
            total += n
        return total

    async def _given_up(self, rows: list[OutboxMessage]) -> None:
        if self.on_given_up is None:
            return
        try:
            await self.on_given_up(rows)
        except Exception:      # the failure is already recorded; a reroute that fails must not stop sending
            log.exception("outbox: could not reroute a message the channel gave up on")

    def _next_rows(self) -> list[OutboxMessage]:
        """The head row, and with it the replies held for the same group when the rate limit would make
        them wait a turn each (the reply burst is spent): those go as one message."""
        head = self._held.pop(0)
        if self.cfg.coalesce_max <= 1 or not _mergeable(head) or not self.limiter.pressed():
            return [head]
        rows, size = [head], len(head.text)
        for row in list(self._held):
            if len(rows) >= self.cfg.coalesce_max:
                break
            if (_mergeable(row) and (row.account, row.chat_id) == (head.account, head.chat_id)
                    and size + len(PART_BREAK) + len(row.text) <= MERGED_CHARS):
                rows.append(row)
                size += len(PART_BREAK) + len(row.text)
                self._held.remove(row)
        return rows

    async def _send(self, rows: list[OutboxMessage]) -> bool:
        """Send one row, or several merged (same group): all are marked alike."""
        row = rows[0]
        where = {"row": row.id, "kind": row.key.split(":", 1)[0], "chat": row.chat_kind, "priority": row.priority}
        if len(rows) > 1:
            where["merged"] = len(rows)
        try:
            await self.channel.send(_merged(rows))
        except PermanentChannelError as exc:
            error = _redacted(exc, row)
            log_event(log, "outbox.failed", log_level=logging.ERROR, **where, attempts=row.attempts + 1, error=error)
            metrics.SENDS.labels("failed").inc()
            async with transaction(self.sessions) as session:
                for r in rows:
                    await mark_failed(session, r.id, self.clock.now(), error, retry_at=None)
            await self._given_up(rows)
            return False
        except (ChannelError, TimeoutError, OSError) as exc:
            attempts = row.attempts + 1
            give_up = attempts >= self.cfg.max_attempts
            delay = min(600.0, self.cfg.backoff_s * (2 ** row.attempts))
            error = _redacted(exc, row)
            log_event(log, "outbox.failed" if give_up else "outbox.retry",
                      log_level=logging.ERROR if give_up else logging.WARNING, **where, attempts=attempts, error=error)
            metrics.SENDS.labels("failed" if give_up else "retry").inc()
            async with transaction(self.sessions) as session:
                for r in rows:
                    await mark_failed(session, r.id, self.clock.now(), error,
                                      retry_at=None if give_up else self.clock.now() + timedelta(seconds=delay))
            if give_up:
                await self._given_up(rows)
            return False
        metrics.SENDS.labels("sent").inc()
        log_event(log, "outbox.sent", **where, attempts=row.attempts + 1)
        self._done.extend(r.id for r in rows)   # marked by the caller's flush, before the next send
        return True


def _mergeable(row: OutboxMessage) -> bool:
    return row.chat_kind == ChatKind.GROUP and row.priority == Priority.REPLY and not row.image


def _merged(rows: list[OutboxMessage]) -> OutgoingMessage:
    """One message for the rows: their texts in order, each resident @-mentioned once."""
    if len(rows) == 1:
        return rows[0].to_outgoing()
    first = rows[0].to_outgoing()
    mentions = tuple(dict.fromkeys(m for r in rows for m in r.mentions))
    return dataclasses.replace(first, text=PART_BREAK.join(r.text for r in rows), mentions=mentions,
                               reply_to=None)


def _redacted(exc: BaseException, row: OutboxMessage) -> str:
    """The error as logged and stored: never the id of a private chat (a 树洞 sender's WeChat id)."""
    text = str(exc) or type(exc).__name__
    if row.chat_kind == ChatKind.PRIVATE and row.chat_id:
        text = text.replace(row.chat_id, "<private>")
    return text[:500]
