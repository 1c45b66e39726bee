"""Scheduled work. Schedules and deadlines live in our tables; APScheduler only fires a periodic tick,
and each tick asks every job what is due at `clock.now()`. The simulator calls tick() itself while it
moves simulated time, so the same code runs in tests, in `gridbot simulate` and in the service.

A job's messages go through the outbox with a key the job derives from what it is doing (e.g.
"need-clock:D20261121-0007:escalate:1"): a second tick, a restart or a second instance cannot send it
twice, because the key is claimed in the same transaction as the change."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kernel.clock import Clock
from kernel.config import Config
from kernel.identity import Directory
from kernel.message import ChatKind
from models.db import transaction
from models.outbox import Outbox, Priority
from scheduler.leader import Leadership

log = logging.getLogger("gridbot.scheduler")


@dataclass
class TickContext:
    """What a scheduled job works with: its transaction, the tick's time, and `out`, an Outbox that
    insists on explicit delivery keys (a job may run again, or on a second instance)."""

    session: AsyncSession
    now: datetime
    config: Config
    directory: Directory
    account: str
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    out: Outbox = field(init=False)

    def __post_init__(self) -> None:
        self.out = Outbox(self.session, account=self.account, now=self.now, origin=None, config=self.config)

    @property
    def queued(self) -> int:
        return self.out.queued

    async def send(self, chat_kind: ChatKind, chat_id: str, text: str, *, key: str,
                   mentions: tuple[str, ...] = (), priority: Priority = Priority.NOTICE,
                   not_before: datetime | None = None) -> bool:
        """Queue a message under a unique key; False if that key was already claimed."""
        if chat_kind == ChatKind.GROUP:
            return await self.out.group(chat_id, text, key=key, mentions=mentions, priority=priority,
                                        not_before=not_before)
        return await self.out.private(chat_id, text, key=key, priority=priority, not_before=not_before)


Job = Callable[[TickContext], Awaitable[None]]


class Ticker:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock, config: Config,
                 directory: Directory, jobs: list[tuple[str, Job]],
                 on_queued: Callable[[], None] = lambda: None) -> None:
        self.sessions = sessions
        self.clock = clock
        self.config = config
        self.directory = directory
        self.jobs = jobs
        self.on_queued = on_queued
        self._scheduler: AsyncIOScheduler | None = None
        self._ticking: asyncio.Task[Any] | None = None   # the scheduled tick in progress, if any
        # Several processes on one PostgreSQL: only the lock's holder ticks (scheduler/leader.py).
        self.leader: Leadership | None = None

    async def tick(self) -> int:
        """Run every job once for the current time; each job in its own transaction. A process that does
        not lead the scheduler (another one does) skips the tick."""
        if self.leader is not None and not await self.leader.held():
            return 0
        now = self.clock.now()
        queued = 0
        for name, job in self.jobs:
            try:
                async with transaction(self.sessions) as session:
                    tc = TickContext(session, now, self.config, self.directory, self.config.bot_id)
                    await job(tc)
                queued += tc.queued
                for fn in tc.after_commit:
                    fn()
            except Exception:
                log.exception("scheduled job %s failed at %s; it will run again next tick", name, now)
        if queued:
            self.on_queued()
        return queued

    def start(self, every_seconds: float = 15.0) -> None:
        # coalesce + max_instances=1: after a pause, one catch-up tick, never a pile of them (FACTS.md).
        self._scheduler = AsyncIOScheduler(timezone=self.config.timezone)
        self._scheduler.add_job(self._scheduled_tick, IntervalTrigger(seconds=every_seconds), id="tick",
                                coalesce=True, max_instances=1, misfire_grace_time=None)
        self._scheduler.start()

    async def _scheduled_tick(self) -> None:
        self._ticking = asyncio.current_task()
        try:
            await self.tick()
        finally:
            self._ticking = None

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    async def finish(self, timeout: float = 5.0) -> None:
        """Stop firing, and let a tick in progress commit (or cancel it after `timeout`): a shutdown in the
        middle of a tick must not close the database under it. (APScheduler's shutdown cancels a running
        job: pause first, wait, then shut down.)"""
        if self._scheduler is not None:
            self._scheduler.pause()
        task = self._ticking
        if task is not None and not task.done():
            await asyncio.wait({task}, timeout=timeout)
        self.stop()
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self.leader is not None:
            await self.leader.release()
