"""`gridbot bench --mode wechaty`: the router benchmark's traffic through the real wechaty stack.

Both sides run on the same in-process fake puppet (no gRPC, no gateway: what is measured is the
Python side), one after the other in one process, on the same generated traffic (bot/bench.py):

- bare:    a plain wechaty echo bot — `bot.on('message')`: if the bot is mentioned in a room,
           `room.say(text, mention_ids=[talker])`. The floor any wechaty bot pays.
- gridbot: wechaty → gridbot's WechatyChannel (its listeners, conversion to IncomingMessage and
           in-order delivery loop, unchanged) → the service's intake (bot/service.py: a task per message,
           so that messages arriving meanwhile join the router's group commit) → Dispatcher.submit
           (dedup + handler + outbox in one transaction) → OutboxSender → WechatyChannel.send →
           wechaty `room.say`. The anti-ban rate limit is set to 0 here: it is a policy, not a cost.

Closed loop by default (256 messages unhandled at most); `--rate R` offers R msg/s open loop (then
compare CPU and latencies, not wall time): `--rate 100` gives the reply latency, arrival to the send
through the real sender with the rate limit off (issue 16: p99 ≤ 1 s), on SQLite or, with --db,
PostgreSQL. Prints one JSON object: per side msgs_per_s, us_per_msg, cpu_us_per_msg, p50/p99 from
arrival to committed, replies and reply p50/p99 from arrival to the puppet's message_send_text;
cost_ratio (wall) and cpu_ratio of gridbot against the bare bot; any "database is locked" logged on
the way (`locked_errors`, must be 0).

WechatyChannel takes the fake puppet through its `puppet_factory` argument.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import logging
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from pyee import AsyncIOEventEmitter

from bot.bench_traffic import bench_config, rss_mb, traffic
from kernel.config import Config, SenderConfig
from kernel.message import IncomingMessage
from bot.wechaty_shim import (
    MessageType,
    PuppetOptions,
    Wechaty,
    WechatyOptions,
    reset_wechaty_globals,
)
from wechaty_puppet import Puppet
from wechaty_puppet.schemas.event import EventDongPayload, EventLoginPayload, EventMessagePayload
from wechaty_puppet.schemas.types import ContactPayload, ContactType, MessagePayload, RoomMemberPayload, RoomPayload

MENTION_SEPARATOR = "\u2005"   # what WeChat puts after "@name"


# --------------------------------------------------------------------------- the fake puppet


@dataclasses.dataclass(frozen=True, slots=True)
class FakeSent:
    conversation_id: str
    text: str
    mention_ids: tuple[str, ...]
    message_id: str
    at: float   # perf_counter


class FakePuppet(Puppet):
    """An in-process wechaty puppet: enough of the interface for "room message in → @-reply out".

    `start()` emits `login` and then blocks until `stop()`, like a gateway's event stream; a sent
    text is stored so that wechaty's reload of it (`message_payload(id)`) resolves, and, like real
    gateways, echoed back as a message event (`echo_sent`)."""

    def __init__(self, bot_id: str, bot_name: str, *, echo_sent: bool = True) -> None:
        super().__init__(PuppetOptions(), name="gridbot-fake-puppet")
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.echo_sent = echo_sent
        self.login_user_id: str | None = None
        self._events = AsyncIOEventEmitter()
        self._names: dict[str, str] = {bot_id: bot_name}
        self._rooms: dict[str, tuple[str, list[str]]] = {}   # room id -> (topic, member ids)
        self._messages: dict[str, MessagePayload] = {}
        self._ids = itertools.count(1)
        self._stopped = asyncio.Event()
        self.sent: list[FakeSent] = []
        self.on_sent: Callable[[FakeSent], None] | None = None

    # ---- the simulated world
    def add_contact(self, contact_id: str, name: str) -> None:
        self._names[contact_id] = name

    def add_room(self, room_id: str, topic: str, member_ids: list[str] | None = None) -> None:
        self._rooms[room_id] = (topic, [self.bot_id, *(member_ids or [])])

    def inject(self, message_id: str, sender_id: str, text: str, *, room_id: str = "",
               mention_bot: bool = False, timestamp_ms: int = 0) -> None:
        """A person sends a text (in a room, or privately when room_id is empty)."""
        self._messages[message_id] = MessagePayload(
            id=message_id, text=text, timestamp=timestamp_ms, type=MessageType.MESSAGE_TYPE_TEXT,
            from_id=sender_id, room_id=room_id, to_id="" if room_id else self.bot_id,
            mention_ids=[self.bot_id] if mention_bot else [])
        self._events.emit("message", EventMessagePayload(message_id=message_id))

    # ---- Puppet interface
    def on(self, event_name: str, caller: Any) -> None:
        self._events.on(event_name, caller)

    def listener_count(self, event_name: str) -> int:
        return len(self._events.listeners(event_name))

    async def start(self) -> None:
        self._stopped.clear()
        self.login_user_id = self.bot_id
        self._events.emit("login", EventLoginPayload(contact_id=self.bot_id))
        await self._stopped.wait()

    async def stop(self) -> None:
        self.close()

    def close(self) -> None:
        self._stopped.set()

    def self_id(self) -> str:
        if not self.login_user_id:
            raise RuntimeError("not logged in")
        return self.login_user_id

    async def ding(self, data: str | None = None) -> None:
        self._events.emit("dong", EventDongPayload(data=data))

    async def contact_payload(self, contact_id: str) -> ContactPayload:
        return ContactPayload(id=contact_id, name=self._names.get(contact_id, contact_id),
                              type=ContactType.CONTACT_TYPE_PERSONAL, friend=True)

    async def contact_list(self) -> list[str]:
        return list(self._names)

    async def room_search(self, query: Any = None) -> list[str]:
        return list(self._rooms)

    async def room_list(self) -> list[str]:
        return list(self._rooms)

    async def room_payload(self, room_id: str) -> RoomPayload:
        topic, members = self._rooms[room_id]
        return RoomPayload(id=room_id, topic=topic, owner_id=self.bot_id, admin_ids=[self.bot_id],
                           member_ids=list(members))

    async def room_members(self, room_id: str) -> list[str]:
        return list(self._rooms[room_id][1])

    async def room_member_payload(self, room_id: str, contact_id: str) -> RoomMemberPayload:
        return RoomMemberPayload(id=contact_id, name=self._names.get(contact_id, contact_id))

    async def message_payload(self, message_id: str) -> MessagePayload:
        return self._messages[message_id]

    async def message_send_text(self, conversation_id: str, message: str,
                                mention_ids: list[str] | None = None) -> str:
        message_id = f"fake-sent-{next(self._ids)}"
        room = conversation_id in self._rooms
        self._messages[message_id] = MessagePayload(
            id=message_id, text=message, type=MessageType.MESSAGE_TYPE_TEXT, from_id=self.bot_id,
            room_id=conversation_id if room else "", to_id="" if room else conversation_id,
            mention_ids=list(mention_ids or []))
        record = FakeSent(conversation_id, message, tuple(mention_ids or ()), message_id, time.perf_counter())
        self.sent.append(record)
        if self.on_sent is not None:
            self.on_sent(record)
        if self.echo_sent:
            self._events.emit("message", EventMessagePayload(message_id=message_id))
        return message_id


def fake_community(config: Config) -> FakePuppet:
    """Every grid group and the staff group of the (bench) config, the staff by name."""
    puppet = FakePuppet(config.bot_id, config.bot_name)
    for topic in [g.group for g in config.grids] + [config.staff_group]:
        puppet.add_room(room_id_of(topic), topic)
    for w in (*config.workers, *config.admins):
        puppet.add_contact(w.id, w.name)
    return puppet


def room_id_of(topic: str) -> str:
    return f"room-{topic}@chatroom"


# --------------------------------------------------------------------------- gridbot's channel on it


def injected_wechaty_channel(config: Config, clock: Any, puppet: Puppet, **kwargs: Any) -> Any:
    """gridbot's production WechatyChannel (listeners, conversion, delivery loop, supervisor, send),
    connected to `puppet` in-process through its `puppet_factory`."""
    from bot.channels.wechaty_channel import WechatyChannel

    return WechatyChannel(endpoint="in-process", token="bench", puppet_factory=lambda: puppet,
                          account=config.bot_id, bot_name=config.bot_name, clock=clock, **kwargs)


# --------------------------------------------------------------------------- measuring


@dataclasses.dataclass
class _Run:
    name: str
    injected: dict[str, float] = dataclasses.field(default_factory=dict)   # message id -> inject time
    done: dict[str, float] = dataclasses.field(default_factory=dict)       # message id -> handled time
    replied: dict[str, float] = dataclasses.field(default_factory=dict)    # message id -> reply sent time
    seconds: float = 0.0
    cpu_seconds: float = 0.0   # process CPU (all threads: aiosqlite's too) — less sensitive to a busy machine
    sends: int = 0
    mark: Callable[[str], None] = lambda _id: None   # set by _drive: "this message is handled"
    wire: list[FakeSent] = dataclasses.field(default_factory=list)   # what reached the puppet

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.done[m] - self.injected[m] for m in self.done)
        rep = sorted(self.replied[m] - self.injected[m] for m in self.replied if m in self.injected)
        n = len(self.injected)
        return {
            "messages": n, "seconds": round(self.seconds, 3), "msgs_per_s": round(n / self.seconds, 1),
            "us_per_msg": round(self.seconds / n * 1e6, 1), "cpu_us_per_msg": round(self.cpu_seconds / n * 1e6, 1),
            "p50_ms": _ms(_pct(lat, 0.5)), "p99_ms": _ms(_pct(lat, 0.99)),
            "replies": self.sends, "reply_p50_ms": _ms(_pct(rep, 0.5)), "reply_p99_ms": _ms(_pct(rep, 0.99)),
        }


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if q == 0.5:
        return statistics.median(values)
    return values[max(0, int(len(values) * q) - 1)]


def _ms(v: float | None) -> float | None:
    return None if v is None else round(v * 1000, 3)


def _wire_text(msg: IncomingMessage) -> str:
    # WeChat writes "@小助手\u2005…" when someone picks the bot from the @ list.
    if msg.mentions_bot and msg.text.startswith("@"):
        name, _, rest = msg.text[1:].partition(" ")
        return f"@{name}{MENTION_SEPARATOR}{rest}"
    return msg.text


async def run_bare(config: Config, msgs: list[IncomingMessage], window: int = 256, rate: float = 0) -> _Run:
    """The floor: wechaty alone, echoing every message that @-mentions the bot."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    reset_wechaty_globals()
    run = _Run("bare")
    puppet = fake_community(config)
    bot = Wechaty(WechatyOptions(puppet=puppet, puppet_options=PuppetOptions(), port=0,
                                 scheduler=AsyncIOScheduler()))

    async def on_message(msg: Any) -> None:
        try:
            room = msg.room()
            if room is not None and msg.talker().contact_id != puppet.bot_id and await msg.mention_self():
                await room.say(msg.text(), mention_ids=[msg.talker().contact_id])
                run.replied[msg.message_id] = time.perf_counter()
                run.sends += 1
        finally:
            run.mark(msg.message_id)

    bot.on("message", on_message)
    run.wire = puppet.sent
    task = await _start_bot(bot)
    await _drive(puppet, msgs, run, window, _nothing, rate)
    await puppet.stop()
    await asyncio.gather(task, return_exceptions=True)
    return run


def _ignore(_message_id: str) -> None:
    return None


async def _nothing() -> None:
    return None


async def _drive(puppet: FakePuppet, msgs: list[IncomingMessage], run: _Run, window: int,
                 finished: Callable[[], Awaitable[None]], rate: float = 0) -> None:
    """Inject every message — closed loop (at most `window` unhandled) or, with `rate`, on a fixed
    schedule of `rate` msg/s whatever the bot's speed — then wait for `finished`."""
    slots = asyncio.Semaphore(window)
    all_done = asyncio.Event()

    def handled(message_id: str) -> None:
        if message_id in run.done or message_id not in run.injected:
            return
        run.done[message_id] = time.perf_counter()
        if not rate:
            slots.release()
        if len(run.done) == len(msgs):
            all_done.set()

    run.mark = handled
    started = time.perf_counter()
    cpu_started = time.process_time()
    try:
        for i, msg in enumerate(msgs):
            if rate:
                delay = started + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            else:
                await slots.acquire()
            run.injected[msg.id] = time.perf_counter()
            puppet.inject(msg.id, msg.sender_id, _wire_text(msg), room_id=room_id_of(msg.group_topic or ""),
                          mention_bot=msg.mentions_bot)
        await all_done.wait()
        await finished()
        run.seconds = time.perf_counter() - started
        run.cpu_seconds = time.process_time() - cpu_started
    finally:
        run.mark = _ignore


async def _start_bot(bot: Wechaty) -> asyncio.Task[None]:
    logged_in = asyncio.Event()
    bot.on("login", lambda *_: logged_in.set())
    task = asyncio.create_task(bot.start(), name="bench-bare-wechaty")
    await asyncio.wait_for(logged_in.wait(), 10)
    return task


async def run_gridbot(config: Config, msgs: list[IncomingMessage], db_url: str, *, window: int = 256,
                      rate: float = 0) -> tuple[_Run, dict[str, Any]]:
    """wechaty → WechatyChannel → the service's intake → dispatcher → outbox → sender →
    WechatyChannel.send → room.say."""
    from sqlalchemy import func, select

    from bot.app import open_core
    from bot.service import intake
    from models.outbox import OutboxMessage, OutboxStatus

    reset_wechaty_globals()
    run = _Run("gridbot")
    # The anti-ban spacing is a policy (≥ 1 s between sends), not a cost: off for the measurement.
    config = dataclasses.replace(config, sender=SenderConfig(min_interval_s=0.0, jitter_s=0.0, reply_burst=0,
                                                             max_attempts=8, backoff_s=0.2))
    t0 = time.perf_counter()
    core = await open_core(config, db_url)
    cold_start = time.perf_counter() - t0
    await core.text_ready()      # jieba loads in the background: measure traffic once it is in
    puppet = fake_community(config)
    run.wire = puppet.sent
    channel = injected_wechaty_channel(config, core.clock, puppet)
    sender = core.attach_channel(channel, instance="bench-wechaty")
    original_send = channel.send

    async def send(out: Any) -> None:
        await original_send(out)
        # outbox keys of replies are msg:<account>:<message id>:<n>
        parts = out.key.split(":")
        if len(parts) >= 4 and parts[0] == "msg":
            message_id = ":".join(parts[2:-1])
            run.replied.setdefault(message_id, time.perf_counter())
        run.sends += 1

    channel.send = send   # type: ignore[method-assign]

    inflight: set[asyncio.Task[None]] = set()
    on_message = intake(core, inflight, on_done=lambda msg: run.mark(msg.id))   # what `gridbot run` hands it

    async def outbox_empty() -> None:
        while True:
            async with core.reads() as session:   # a poll must not queue for the write lock
                pending = await session.scalar(select(func.count()).select_from(OutboxMessage)
                                               .where(OutboxMessage.status == OutboxStatus.PENDING))
            if not pending:
                return
            sender.wake()
            await asyncio.sleep(0.02)

    await channel.start(on_message)
    sender_task = asyncio.create_task(sender.run(), name="bench-outbox-sender")
    try:
        await _drive(puppet, msgs, run, window, outbox_empty, rate)
        async with core.sessions() as session:
            queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
    finally:
        await asyncio.gather(*inflight, return_exceptions=True)
        await sender.stop()
        sender_task.cancel()
        await asyncio.gather(sender_task, return_exceptions=True)
        await channel.stop()
        await core.close()
    return run, {"cold_start_s": round(cold_start, 3), "replies_queued": queued,
                 "database": db_url.split(":")[0]}


class _LockedErrors(logging.Handler):
    """Counts log records that mention SQLite's "database is locked" (a message or a send that failed)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage() + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        if "database is locked" in text:
            self.count += 1


async def run_wechaty(args: argparse.Namespace) -> dict[str, Any]:
    """Both bots on the same traffic; with --rate an open-loop load (then compare latencies and CPU,
    not wall time)."""
    groups = args.groups
    rate = float(getattr(args, "rate", 0) or 0)
    config = bench_config(groups)
    msgs = traffic(config, args.messages, groups)
    tmp = tempfile.mkdtemp(prefix="gridbot-bench-wechaty-")
    locked = _LockedErrors()
    logging.getLogger().addHandler(locked)
    try:
        bare = await run_bare(config, msgs, rate=rate)
        grid, extra = await run_gridbot(config, msgs, args.db or f"sqlite+aiosqlite:///{tmp}/bench.db", rate=rate)
    finally:
        logging.getLogger().removeHandler(locked)
    result: dict[str, Any] = {
        "mode": "wechaty", "messages": len(msgs), "groups": groups, "offered_rate": rate or None,
        "bare": bare.summary(), "gridbot": {**grid.summary(), **extra},
        # what one message costs gridbot, relative to a bare wechaty bot on the same traffic
        "cost_ratio": round(grid.seconds / bare.seconds, 3),
        "cpu_ratio": round(grid.cpu_seconds / bare.cpu_seconds, 3),
        "target_ratio": 1.25,
        "locked_errors": locked.count,
    }
    result["rss_mb"] = round(rss_mb(), 1)
    result["at"] = datetime.now().isoformat(timespec="seconds")
    return result
