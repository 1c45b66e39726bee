"""The router: every incoming message passes here, once.

1. Cheap checks without the database: the bot's own messages, non-text, unknown groups, empty or huge
   text, who the sender is (in-memory directory), and which route matches (stage order, then the order
   the capability registered them). Chatter matches nothing and never touches the database.
2. A matched message is processed in a transaction together with its dedup record and its outbox rows.
   Messages arriving together share one transaction (group commit). A message counts as handled only
   once that transaction commits. The batch first runs without savepoints (they cost two statements
   a message); if any message fails, or passes after writing more than its dedup row, the whole batch
   is rolled back and run again with one savepoint per message, so one bad message rolls back alone.
   A message that only answers a pending question is first checked against the open questions in a
   read-only session: without one it is dropped before any write transaction (chatter like "👍").
3. When that commit fails because the database cannot be written (down, locked, disk full), the batch is
   kept in memory (bounded, `max_waiting`) and replayed with backoff until it commits: nothing received is
   dropped, the replies go out once it is stored, and `write_health()` (shown by /healthz) says so meanwhile.
4. Each message's replies pass the reply budget (bot/flood.py): a flood is read and recorded, not answered.
"""

from __future__ import annotations

import asyncio
import logging
import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.flood import Ledger, ReplyBudget, ReplyGate
from kernel import metrics
from handlers.base import PASS, Context, Route, Router, Stage, View
from kernel.clock import Clock
from kernel.config import Config
from kernel.identity import Directory
from kernel.logevent import log_event
from kernel.message import IncomingMessage, MessageKind
from kernel.text.normalize import clean, strip_mention
from kernel.text.knowledge import KnowledgeCache
from models import conversation
from models.db import flush_if_dirty, read_sessionmaker, write_counter
from models.messages import claim_message, unclaim_message
from texts.common import (
    ERROR_REPLY,
    NON_TEXT_REPLY,
    STILL_OPEN,
    TOO_LONG_REPLY,
    UNKNOWN_GROUP_REPLY,
)

log = logging.getLogger("gridbot.router")

MAX_TEXT = 1000          # longer than this, addressed: ask for something shorter; not addressed: ignore …
MAX_LONG_TEXT = 30_000   # … unless a long_text route (a 接龙 list, up to 500 lines) reads it
MAX_WAITING = 10_000     # messages kept in memory while the database cannot be written (≈ 2 KB each)
RETRY_FIRST_S, RETRY_MAX_S = 0.5, 10.0   # replaying a batch whose commit failed: backoff bounds


def database_unwritable(exc: BaseException) -> bool:
    """A failure of the database itself (down, locked, disk full, connection lost), worth replaying —
    as opposed to a bug, which replaying would only repeat."""
    if isinstance(exc, (sa_exc.IntegrityError, sa_exc.ProgrammingError, sa_exc.DataError)):
        return False
    return isinstance(exc, (sa_exc.DBAPIError, sa_exc.DisconnectionError, OSError, TimeoutError))


@dataclass
class WriteHealth:
    """The state of the router's commits, for /healthz."""

    failing_since: datetime | None = None
    failures: int = 0               # consecutive failed commits
    last_error: str | None = None
    dropped: int = 0                # messages refused because MAX_WAITING were already kept


@dataclass
class Planned:
    """A message that matched a route and waits for its transaction."""

    view: View
    routes: list[tuple[Route, Any]]
    done: asyncio.Future[str] | None = None


@dataclass
class Outcome:
    route: str | None          # the route that handled it, or None if ignored
    replies: list[str] = field(default_factory=list)


class Dispatcher:
    def __init__(self, config: Config, sessions: async_sessionmaker[AsyncSession], clock: Clock,
                 directory: Directory, routers: Sequence[Router],
                 on_committed: Callable[[], None] = lambda: None, max_batch: int = 64,
                 knowledge: KnowledgeCache | None = None,
                 max_waiting: int = MAX_WAITING, retry_first_s: float = RETRY_FIRST_S) -> None:
        self.config = config
        self.sessions = sessions
        self.clock = clock
        self.directory = directory
        self.knowledge = knowledge          # the FAQ in force; None: the config's
        self.on_committed = on_committed
        self.max_batch = max_batch
        self.max_waiting = max_waiting
        self.retry_first_s = retry_first_s
        self.budget: ReplyBudget | None = ReplyBudget(config.sender)   # None: no reply budget (simulations)
        self.health = WriteHealth()
        self._retry: list[Planned] = []     # a batch whose commit failed, replayed first
        routes = [r for router in routers for r in router.routes]
        self.routes = sorted(routes, key=lambda r: r.stage)   # stable: registration order within a stage
        # The routes plan() tries, decided once: by (addressed, too long) — not per message and route.
        self._tried = {(addressed, too_long): [
            r for r in self.routes
            if not r.media and (r.long_text or not too_long)
            and (addressed or r.stage not in (Stage.INTENT, Stage.FALLBACK))
            and not (addressed and r.stage == Stage.PASSIVE)]
            for addressed in (False, True) for too_long in (False, True)}
        bind = getattr(sessions, "kw", {}).get("bind")
        self.reads = read_sessionmaker(bind, short=True) if bind is not None else None
        self._queue: asyncio.Queue[Planned] | None = None
        self._worker: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ planning (no database)

    def plan(self, msg: IncomingMessage) -> Planned | None:
        """Decide, without the database, whether and how this message concerns the bot."""
        if msg.sender_id == msg.account:
            return None                                   # our own message echoed back
        # Display names are typed by anyone: no control characters (PostgreSQL refuses NUL), bounded.
        name = clean(msg.sender_name or "").replace("\n", " ")[:32] or msg.sender_id
        if name != msg.sender_name:
            msg = replace(msg, sender_name=name)
        private = msg.is_private
        text, mentioned = strip_mention(clean(msg.text or ""), self.config.bot_name)
        addressed = private or msg.mentions_bot or mentioned
        sender = self.directory.resolve(msg.sender_id, msg.sender_name)
        grid = self.config.grid_by_topic(msg.group_topic)
        view = View(msg, text, addressed, sender, grid, self.config,
                    knowledge=self.knowledge.base if self.knowledge is not None else None)

        if not private and not self.config.is_known_group(msg.group_topic):
            return self._canned(view, "router.unknown_group",
                                UNKNOWN_GROUP_REPLY.format(community=self.config.community)) if addressed else None
        if msg.kind != MessageKind.TEXT:
            # A photo, a voice note, a file: only the routes that read attachments (handlers/photos.py).
            media = [(r, a) for r in self.routes if r.media and (a := r.match(view)) is not None]
            if media:
                return Planned(view, media)
            return self._canned(view, "router.non_text", NON_TEXT_REPLY) if private else None
        too_long = len(text) > MAX_TEXT
        if len(text) > MAX_LONG_TEXT:
            return self._too_long(view)

        matched: list[tuple[Route, Any]] = []
        for route in self._tried[(bool(addressed), too_long)]:
            try:
                args = route.match(view)
            except Exception as exc:     # a faulty matcher costs its own route, not the message
                log_event(log, "router.matcher_failed", log_level=logging.ERROR, route=route.name,
                          error=type(exc).__name__)
                continue
            if args is not None:
                matched.append((route, args))
        if too_long and not matched:
            return self._too_long(view)
        return Planned(view, matched) if matched else None

    def _too_long(self, view: View) -> Planned | None:
        if not view.addressed:
            return None
        return self._canned(view, "router.too_long", TOO_LONG_REPLY.format(limit=MAX_TEXT))

    def _canned(self, view: View, name: str, text: str) -> Planned:
        async def say(ctx: Context, _args: Any) -> None:
            await ctx.reply(text)
        return Planned(view, [(Route(name, Stage.FALLBACK, lambda v: True, say), True)])

    # ------------------------------------------------------------------ processing

    async def handle(self, msg: IncomingMessage) -> Outcome:
        """Process one message now, in its own transaction (simulator, tests, sandbox)."""
        started = _time.perf_counter()
        planned = self.plan(msg)
        if planned is None or not await self._worth_writing(planned):
            metrics.MESSAGES.labels("ignored").inc()
            return Outcome(None)
        outcomes = await self._process([planned])
        metrics.LATENCY.observe(_time.perf_counter() - started)
        return outcomes[0]

    async def submit(self, msg: IncomingMessage) -> str | None:
        """Queue a message for group commit; resolves to the handling route once committed."""
        planned = self.plan(msg)
        if planned is None or not await self._worth_writing(planned):
            metrics.MESSAGES.labels("ignored").inc()
            return None
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._drain(), name="router-group-commit")
        if self.waiting() >= self.max_waiting:
            self.health.dropped += 1
            metrics.MESSAGES.labels("error").inc()
            log_event(log, "router.dropped", log_level=logging.ERROR, waiting=self.waiting(),
                      reason="database unwritable and the in-memory spool is full")
            return None
        planned.done = asyncio.get_running_loop().create_future()
        started = _time.perf_counter()
        await self._queue.put(planned)
        route = await planned.done
        metrics.LATENCY.observe(_time.perf_counter() - started)
        return route

    async def _worth_writing(self, planned: Planned) -> bool:
        """A message every matched route of which only answers an open question ("👍", "谢谢" after a
        rating request): look for such a question in a read-only session — no write lock, no dedup row —
        and drop the message when there is none, as the write transaction would have found too."""
        if self.reads is None or not all(r.answers for r, _ in planned.routes):
            return True
        view = planned.view
        kinds = {k for r, _ in planned.routes for k in r.answers}
        try:
            async with self.reads() as session:
                questions = await conversation.awaiting(session, view.scope, view.sender.id, self.clock.now())
        except Exception:   # a read failing here decides nothing: let the write path see it
            return True
        return any(q.kind in kinds for q in questions)

    def waiting(self) -> int:
        """Messages received and not yet committed (queued, or kept for replay)."""
        return (self._queue.qsize() if self._queue else 0) + len(self._retry)

    def write_health(self) -> dict[str, Any]:
        h = self.health
        return {"ok": h.failing_since is None, "failing_since": h.failing_since.isoformat() if h.failing_since else None,
                "failures": h.failures, "last_error": h.last_error, "waiting": self.waiting(), "dropped": h.dropped}

    async def _drain(self) -> None:
        assert self._queue is not None
        delay = self.retry_first_s
        while True:
            batch, self._retry = self._retry or [await self._queue.get()], []
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                outcomes = await self._process(batch)
            except Exception as exc:
                if database_unwritable(exc):   # keep the batch and replay it: nothing received is lost
                    self._retry = batch
                    self._failed(exc, len(batch), delay)
                    await asyncio.sleep(delay)
                    delay = min(RETRY_MAX_S, delay * 2)
                    continue
                log.exception("batch of %d failed", len(batch))   # a bug: replaying would only repeat it
                for p in batch:
                    if p.done and not p.done.done():
                        p.done.set_exception(exc)
                continue
            if self.health.failing_since is not None:
                log_event(log, "database.writable", failures=self.health.failures, replayed=len(batch))
                self.health = WriteHealth(dropped=self.health.dropped)
            delay = self.retry_first_s
            for p, o in zip(batch, outcomes):
                if p.done and not p.done.done():
                    p.done.set_result(o.route or "")

    def _failed(self, exc: BaseException, kept: int, delay: float) -> None:
        h = self.health
        if h.failing_since is None:
            h.failing_since = self.clock.now()
        h.failures += 1
        h.last_error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        log_event(log, "database.unwritable", log_level=logging.ERROR if h.failures == 1 else logging.WARNING,
                  kept=kept, waiting=self.waiting(), failures=h.failures, retry_in_s=delay, error=h.last_error)

    async def close(self) -> None:
        if self._worker:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
            self._worker = None

    async def _process(self, batch: list[Planned]) -> list[Outcome]:
        try:
            return await self._process_fast(batch)
        except _Replay:
            pass
        for planned in batch:
            planned.view.remember_awaiting(None)   # loaded in the rolled-back transaction
        return await self._process_safe(batch)

    async def _process_fast(self, batch: list[Planned]) -> list[Outcome]:
        """The batch without savepoints; raises _Replay (after rolling everything back) when a message
        failed or passed after writing, so _process_safe can isolate it."""
        now = self.clock.now()
        outcomes: list[Outcome] = []
        ledger = self.budget.ledger(now) if self.budget is not None else None
        after_commit: list[Callable[[], None]] = [ledger.commit] if ledger is not None else []
        try:
            async with self.sessions() as session:
                async with session.begin():
                    writes = await write_counter(session)
                    for planned in batch:
                        before = writes()
                        try:
                            outcome = await self._run_one(session, planned, now, ledger, after_commit)
                            await flush_if_dirty(session)
                        except _NothingToDo:
                            await flush_if_dirty(session)
                            if writes() - before > 1:
                                raise _Replay from None   # it wrote more than its dedup row: undo needs a savepoint
                            msg = planned.view.msg
                            await unclaim_message(session, msg.account, msg.id)
                            metrics.MESSAGES.labels("ignored").inc()
                            outcome = Outcome(None)
                        outcomes.append(outcome)
        except _Replay:
            raise
        except Exception as exc:
            if database_unwritable(exc):
                raise                  # the savepoints would not help: the caller replays the batch
            raise _Replay from exc     # a failing message: run the batch again, each in a savepoint
        for fn in after_commit:
            fn()
        self.on_committed()
        return outcomes

    async def _process_safe(self, batch: list[Planned]) -> list[Outcome]:
        now = self.clock.now()
        outcomes: list[Outcome] = []
        ledger = self.budget.ledger(now) if self.budget is not None else None
        after_commit: list[Callable[[], None]] = [ledger.commit] if ledger is not None else []
        failed: list[Planned] = []
        async with self.sessions() as session:
            async with session.begin():
                for planned in batch:
                    try:
                        async with session.begin_nested():
                            outcome = await self._run_one(session, planned, now, ledger, after_commit)
                    except _NothingToDo:
                        metrics.MESSAGES.labels("ignored").inc()
                        outcome = Outcome(None)
                    except Exception:
                        log.exception("route %s failed on a %s message; the sender gets an apology", planned.routes[0][0].name,
                                      "private" if planned.view.msg.is_private else "group")
                        metrics.MESSAGES.labels("error").inc()
                        failed.append(planned)
                        outcome = Outcome("router.error", [ERROR_REPLY])
                    outcomes.append(outcome)
                for planned in failed:
                    # Record it as seen, with an apology, so a poisonous message is not retried forever.
                    async with session.begin_nested():
                        await self._apologise(session, planned, now)
        for fn in after_commit:
            fn()
        self.on_committed()
        return outcomes

    async def _run_one(self, session: AsyncSession, planned: Planned, now: Any, ledger: Ledger | None,
                       after_commit: list[Callable[[], None]]) -> Outcome:
        view = planned.view
        msg = view.msg
        if not await claim_message(session, msg.account, msg.id, planned.routes[0][0].name, now):
            metrics.MESSAGES.labels("duplicate").inc()
            return Outcome("router.duplicate")
        ctx = Context(view, session, self.clock, self.directory, now, after_commit=after_commit)
        ctx.out.defer = True    # this message's replies: one multi-row INSERT (flushed below)
        if ledger is None:
            outcome = await self._dispatch(ctx, planned)
            await ctx.out.flush()
            return outcome
        gate = ReplyGate(ledger, sender_id=msg.sender_id, sender_role=view.sender.role,
                         group=None if msg.is_private else (msg.group_topic or msg.group_id or ""))
        ctx.out.withhold = gate.withhold
        ctx.out.urgent_floor = gate.urgent_floor
        outcome = await self._dispatch(ctx, planned)
        await gate.settle(ctx.out)
        await ctx.out.flush()
        return outcome

    async def _dispatch(self, ctx: Context, planned: Planned) -> Outcome:
        view = planned.view
        candidates = await self._candidates(ctx, planned.routes)
        for route, args, question in candidates:
            if route.roles is not None and view.sender.role not in route.roles:
                await ctx.reply(route.refusal)
                metrics.MESSAGES.labels("refused").inc()
                return Outcome(route.name, ctx.sent)
            ctx.question = question
            ctx.privately = route.private
            result = await route.handle(ctx, args)
            if result is PASS:
                continue
            if question is not None:
                await self._still_open(ctx, question, candidates)
            metrics.MESSAGES.labels("handled").inc()
            metrics.ROUTES.labels(route.name).inc()
            return Outcome(route.name, ctx.sent)
        # Every candidate passed on closer look: nothing written but the dedup row; undo even that.
        raise _NothingToDo

    @staticmethod
    async def _candidates(ctx: Context, routes: list[tuple[Route, Any]]) -> list[tuple[Route, Any, Any]]:
        """The matched routes in dispatch order. In the follow-up stage, a route that answers questions
        is tried once per open question of a kind it answers, newest question first — so an answer goes
        to the newest question it fits and never to a question of another kind, and with no open
        question it is not tried at all; follow-ups that need no question come after."""
        if not any(r.answers for r, _ in routes):
            return [(r, a, None) for r, a in routes]
        awaiting = await ctx.awaiting()
        ordered: list[tuple[Route, Any, Any]] = [(r, a, None) for r, a in routes if r.stage < Stage.FOLLOW_UP]
        ordered += [(r, a, q) for q in awaiting for r, a in routes if q.kind in r.answers]
        ordered += [(r, a, None) for r, a in routes if r.stage == Stage.FOLLOW_UP and not r.answers]
        ordered += [(r, a, None) for r, a in routes if r.stage > Stage.FOLLOW_UP]
        return ordered

    @staticmethod
    async def _still_open(ctx: Context, answered: Any, candidates: list[tuple[Route, Any, Any]]) -> None:
        """The answer fitted an older question of another kind too: say, once, that that one still waits."""
        open_ids = {q.id for q in await ctx.awaiting()}
        older = [(r, q) for r, _, q in candidates if q is not None and q.kind != answered.kind
                 and q.id in open_ids and r.label and not q.data.get("reminded")]
        if older:
            route, question = older[0]
            question.data = {**question.data, "reminded": True}
            await ctx.reply(STILL_OPEN.format(what=route.label))

    async def _apologise(self, session: AsyncSession, planned: Planned, now: Any) -> None:
        msg = planned.view.msg
        if await claim_message(session, msg.account, msg.id, "router.error", now) and planned.view.addressed:
            ctx = Context(planned.view, session, self.clock, self.directory, now)
            await ctx.reply(ERROR_REPLY)


class _NothingToDo(Exception):
    pass


class _Replay(Exception):
    """The savepoint-free run of a batch cannot isolate a message: run it again with savepoints."""
