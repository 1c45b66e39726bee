"""The production WeChat channel: python-wechaty + wechaty-puppet-service to a gateway.

Python is only a gRPC client here; the gateway ("puppet service") holds the WeChat or
WeCom session. This module keeps wechaty thin and supervised:

- each connection is a fresh `Wechaty` with a fresh puppet and its own object pools;
  wechaty's own `Wechaty.start()` is not used because it swallows errors (prints them,
  sleeps 60 s and recurses, or stops the event loop) — the same steps are run here
  (`init_puppet`, `init_puppet_event_bridge`, `puppet.start()`) so failures surface;
- a supervisor notices a dead gateway (the event stream ended, which makes
  `puppet.start()` return quietly, or a `ding` not answered by a `dong` in time),
  tears the connection down and reconnects with exponential backoff;
- every gateway call has a timeout; sends raise `ChannelError` while disconnected so the
  outbox retries them later, and `PermanentChannelError` for unknown groups/contacts.

Incoming messages are handed to the handler one at a time, in the order wechaty has
loaded them.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from pathlib import Path
from urllib.parse import quote, urlsplit

import aiohttp
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from grpclib.const import Status
from grpclib.exceptions import GRPCError

from bot.channels.base import ChannelError, InOrderDelivery, MessageHandler, PermanentChannelError, connect_within
from kernel.clock import Clock
from kernel.message import ChatKind, IncomingMessage, Media, MessageKind, OutgoingMessage
from bot.wechaty_shim import (
    FileBox,
    Message,
    MessageType,
    PuppetOptions,
    PuppetService,
    Room,
    Wechaty,
    WechatyOptions,
    isolate_user_pools,
    map_message_type,
    reset_wechaty_globals,
)

LOGGER_NAME = "gridbot.wechaty"

_KINDS: dict[Any, MessageKind] = {
    MessageType.MESSAGE_TYPE_TEXT: MessageKind.TEXT,
    MessageType.MESSAGE_TYPE_IMAGE: MessageKind.IMAGE,
    MessageType.MESSAGE_TYPE_EMOTICON: MessageKind.STICKER,
    MessageType.MESSAGE_TYPE_AUDIO: MessageKind.VOICE,     # no transcription through the puppet API
}
MAX_MEDIA_BYTES = 50 * 1024 * 1024   # never hold more than this of one picture in memory (photos.max_mb ≤ 50)
_TS_TYPE_MAX = 15  # highest TypeScript MessageType the client's mapping table knows (Video)
_PERMANENT_STATUSES = {Status.NOT_FOUND, Status.INVALID_ARGUMENT}
_MISSING_ATTEMPTS = 2     # tries of a send whose contact or room the gateway has no payload for
_MISSING_PAUSE = 0.5
_AUTH_STATUSES = {Status.UNAUTHENTICATED, Status.PERMISSION_DENIED}

# Collects the ids of texts the gateway accepted during one `send()`: wechaty reloads the
# sent message afterwards, and a failure *there* must not make the outbox send it twice.
_send_receipt: ContextVar[list[str] | None] = ContextVar("gridbot_wechaty_send_receipt", default=None)


def _where(out: OutgoingMessage) -> str:
    """For logs and errors: a group by its topic, never the id of a private chat (a 树洞 sender)."""
    return f"group {out.chat_id}" if out.chat_kind is ChatKind.GROUP else "a private chat"


class GatewayAuthError(PermanentChannelError):
    """The gateway rejected the token."""


class _GatewayPuppet(PuppetService):
    """wechaty-puppet-service's client with the fixes this channel needs."""

    def __init__(self, options: PuppetOptions, *, stop_timeout: float) -> None:
        super().__init__(options)
        self._stop_timeout = stop_timeout

    async def message_send_text(
        self, conversation_id: str, message: str, mention_ids: list[str] | None = None
    ) -> str:
        message_id = await super().message_send_text(conversation_id, message, mention_ids)
        receipt = _send_receipt.get()
        if receipt is not None:
            receipt.append(message_id or "")
        return message_id

    async def message_payload(self, message_id: str) -> Any:
        # Upstream indexes a 16-entry table with the wire type: newer types (Post = 16…)
        # would raise IndexError and lose the message; read them as "unknown" instead.
        response = await self.puppet_stub.message_payload(id=message_id)
        if not 0 <= int(response.type) <= _TS_TYPE_MAX:
            response.type = 0
        return map_message_type(response)

    async def stop(self) -> None:
        # Upstream awaits the Stop call with no timeout (hangs forever on a dead gateway)
        # and then closes the channel; bound the call and always close. Idempotent.
        stub = self._puppet_stub
        try:
            if stub is not None:
                await asyncio.wait_for(stub.stop(), self._stop_timeout)
        except Exception as exc:  # noqa: BLE001 — the gateway may be gone; closing is what matters
            logging.getLogger(LOGGER_NAME).info("gateway Stop call failed: %s", _describe(exc))
        finally:
            self.close()

    def close(self) -> None:
        """Drop the connection without telling the gateway (it is not answering anyway)."""
        self._event_stream.remove_all_listeners()
        # wechaty's handlers still loading a message fail once the channel is closed; pyee
        # raises from an event loop callback when nobody listens for 'error'.
        self._event_stream.on("error", _ignore_after_close)
        self._puppet_stub = None
        channel, self.channel = self.channel, None
        if channel is not None:
            channel.close()


@dataclass(eq=False)
class _Session:
    """One connection to the gateway: a Wechaty, its puppet and the event-stream task."""

    bot: Wechaty
    puppet: _GatewayPuppet
    scheduler: AsyncIOScheduler
    logged_in: asyncio.Event = field(default_factory=asyncio.Event)
    stream_task: asyncio.Task[None] | None = None
    self_id: str = ""
    qrcode: str | None = None  # the gateway wants this QR code scanned to log in
    rooms: dict[str, str] = field(default_factory=dict)  # topic -> room id
    rooms_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    dongs: list[asyncio.Future[None]] = field(default_factory=list)


CONTACT_POOL_MAX = 20_000   # ≈ 15 MB of wechaty Contact objects (≈ 0.74 KB each)


class _RecentContacts(dict):  # type: ignore[type-arg]
    """wechaty's Contact._pool, bounded: `Contact.load` (`in`, then `[]`, else a new object stored with
    `[]=`) keeps every sender ever seen until a reconnect — ≈ 440 MB for a district of 600k members
    (issue 16). Here a hit moves a contact to the young end and storing one past `limit` forgets the
    least recently seen; a forgotten contact is simply loaded again (and its payload re-read) when it
    next speaks. Objects still referenced by a message in flight are unaffected."""

    def __init__(self, limit: int = CONTACT_POOL_MAX) -> None:
        super().__init__()
        self.limit = limit

    def __getitem__(self, key: str) -> object:
        value = super().pop(key)
        super().__setitem__(key, value)
        return value

    def __setitem__(self, key: str, value: object) -> None:
        super().pop(key, None)
        super().__setitem__(key, value)
        while len(self) > self.limit:
            del self[next(iter(self))]


class WechatyChannel:
    """Channel over a wechaty puppet-service gateway (see module doc).

    `account` is the bot's contact id from the config (stamped on every IncomingMessage);
    `bot_name` its WeChat display name. Supervisor settings: a `ding` every
    `ding_interval` s must be answered within `ding_timeout` s; reconnects back off from
    `backoff_initial` doubling to `backoff_max`; `call_timeout` bounds every gateway call
    (a send, loading an incoming message, the login) — except that the login waits up to
    `scan_timeout` s while the gateway shows a QR code to scan (logged at WARNING).
    `reconnects` counts reconnections.
    """

    name = "wechaty"

    def __init__(
        self,
        *,
        account: str,
        endpoint: str,
        token: str,
        bot_name: str,
        clock: Clock,
        logger: logging.Logger | None = None,
        ding_interval: float = 10.0,
        ding_timeout: float = 10.0,
        call_timeout: float = 10.0,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        start_timeout: float = 30.0,
        scan_timeout: float = 300.0,
        puppet_factory: Callable[[], Any] | None = None,
    ) -> None:
        if not endpoint:
            # Without an endpoint the client asks a public discovery service for one.
            raise ValueError("WechatyChannel needs a gateway endpoint (host:port)")
        self.account = account
        self.endpoint = endpoint
        self.bot_name = bot_name
        self._token = token
        self._clock = clock
        # An in-process puppet instead of the gRPC gateway (the benchmark's fake puppet).
        self._puppet_factory = puppet_factory
        self._log = logger or logging.getLogger(LOGGER_NAME)
        self._ding_interval = ding_interval
        self._ding_timeout = ding_timeout
        self._call_timeout = call_timeout
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._start_timeout = start_timeout
        self._scan_timeout = scan_timeout

        self._session: _Session | None = None
        self._ready = False
        self._supervisor: asyncio.Task[None] | None = None
        self._delivery: InOrderDelivery | None = None
        self.reconnects = 0

    # ---- Channel protocol ------------------------------------------------------------

    async def start(self, on_message: MessageHandler) -> None:
        """Connect and log in; return once logged in.

        Retries transient failures with backoff for up to `start_timeout` seconds, then
        raises ChannelError; a rejected token raises GatewayAuthError at once.
        """
        if self._supervisor is not None:
            raise RuntimeError("WechatyChannel already started")
        reset_wechaty_globals()
        self._delivery = self._delivery_for(on_message)
        try:
            session = await self._first_connect()
        except BaseException:
            await self._delivery.close()
            raise
        self._session = session
        self._ready = True
        self._supervisor = asyncio.create_task(self._supervise(), name="wechaty-supervisor")

    async def _first_connect(self) -> _Session:
        return await connect_within(self._connect, GatewayAuthError, start_timeout=self._start_timeout,
                                    backoff_initial=self._backoff_initial, backoff_max=self._backoff_max,
                                    log=self._log, what=f"gateway {self.endpoint}")

    async def stop(self) -> None:
        """Hand over messages already received, disconnect, and end every task started here."""
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            await asyncio.gather(supervisor, return_exceptions=True)
        if self._delivery is not None:
            # wechaty has marked queued ids as seen: a later connection would not get them
            # again. Still connected meanwhile, so replies sent by the handler go out.
            await self._delivery.drain(self._call_timeout)
        self._ready = False
        session, self._session = self._session, None
        if session is not None:
            await self._teardown(session)
        if self._delivery is not None:
            await self._delivery.close()
        self._log.info("wechaty channel stopped")

    def is_ready(self) -> bool:
        session = self._session
        return (
            self._ready
            and session is not None
            and session.stream_task is not None
            and not session.stream_task.done()
        )

    async def send(self, out: OutgoingMessage) -> None:
        session = self._session
        if session is None or not self.is_ready():
            raise ChannelError("not connected to the WeChat gateway")
        for attempt in range(1, _MISSING_ATTEMPTS + 1):
            receipt: list[str] = []
            token = _send_receipt.set(receipt)
            try:
                await asyncio.wait_for(self._send(session, out), self._call_timeout)
                return
            except ChannelError:
                raise
            except Exception as exc:
                if receipt:
                    # The gateway accepted the text; only wechaty's reload of it failed.
                    self._log.warning(
                        "send %s: gateway accepted message %s but wechaty failed afterwards: %s",
                        out.key, receipt[0], _describe(exc),
                    )
                    return
                if _missing(exc) and attempt < _MISSING_ATTEMPTS:
                    # The npm gateway says UNKNOWN "no payload found" for an unknown contact, but also while
                    # its cache is warming up: one more try after a pause, then it is permanent.
                    self._log.info("send %s: gateway has no payload yet; retrying once", out.key)
                    await asyncio.sleep(_MISSING_PAUSE)
                    continue
                raise _channel_error(exc, f"send {out.key} to {_where(out)}") from exc
            finally:
                _send_receipt.reset(token)

    # ---- sending ---------------------------------------------------------------------

    async def _send(self, session: _Session, out: OutgoingMessage) -> None:
        if out.chat_kind is ChatKind.GROUP:
            room = await self._room(session, out.chat_id)
            mention_ids = await self._known_contacts(session, out.mentions)
            # room.say() prefixes "@name" for each mention id itself.
            await room.say(out.text, mention_ids=mention_ids or None)
        else:
            contact = session.bot.Contact.load(out.chat_id)
            await contact.ready()
            if out.image:       # a photo (办结 with a picture) goes first, then its words
                await contact.say(_file_box_of(out.image))
            await contact.say(out.text)
        self._log.debug("sent %s to %s", out.key, _where(out))

    async def _room(self, session: _Session, topic: str) -> Room:
        room_id = session.rooms.get(topic)
        if room_id is None:
            async with session.rooms_lock:  # a burst of sends to new groups lists rooms once
                room_id = session.rooms.get(topic)
                if room_id is None:
                    await self._refresh_rooms(session)
                    room_id = session.rooms.get(topic)
            if room_id is None:
                raise PermanentChannelError(f"the bot is in no WeChat group with topic {topic!r}")
        room = session.bot.Room.load(room_id)
        await room.ready()
        return room

    async def _refresh_rooms(self, session: _Session) -> None:
        # Room.find(topic) matches substrings ("网格1" finds "网格11"): list all, match exactly.
        rooms = await session.bot.Room.find_all()
        topics: dict[str, str] = {}
        for room in rooms:
            topic = room.payload.topic
            if topic in topics and topics[topic] != room.room_id:
                self._log.warning("two WeChat groups share the topic %r; using %s", topic, topics[topic])
                continue
            topics[topic] = room.room_id
        session.rooms = topics
        self._log.info("loaded %d WeChat groups", len(topics))

    async def _known_contacts(self, session: _Session, contact_ids: Sequence[str]) -> list[str]:
        """Mention ids the gateway knows; an unknown one is dropped rather than failing the send."""
        known: list[str] = []
        for contact_id in contact_ids:
            try:
                await session.bot.Contact.load(contact_id).ready()
            except GRPCError as exc:
                if not _missing(exc):
                    raise
                self._log.warning("cannot mention a contact the gateway does not know; sending without it")
                continue
            known.append(contact_id)
        return known

    # ---- receiving -------------------------------------------------------------------

    async def _on_wechaty_message(self, session: _Session, msg: Message) -> None:
        try:
            incoming = await asyncio.wait_for(self._convert(session, msg), self._call_timeout)
        except Exception:
            self._log.exception("could not read wechaty message %s", msg.message_id)
            return
        if incoming is not None and self._delivery is not None:
            self._delivery.put(incoming)

    async def _convert(self, session: _Session, msg: Message) -> IncomingMessage | None:
        if not msg.payload.from_id:
            self._log.debug("dropping message %s without a sender (system notice)", msg.message_id)
            return None
        talker = msg.talker()
        # Gateways echo what the bot sent. login_user_id is set as soon as the login event
        # arrives, before wechaty's (async) login handlers run.
        if talker.contact_id in (session.puppet.login_user_id, self.account):
            return None
        room = msg.room()
        kind = _KINDS.get(msg.type(), MessageKind.OTHER)
        media: tuple[Media, ...] = ()
        if kind is MessageKind.IMAGE:
            media = await self._image(msg)
        elif kind is MessageKind.VOICE:
            media = (Media("voice"),)
        group_topic: str | None = None
        if room is not None:
            group_topic = room.payload.topic
            session.rooms.setdefault(group_topic, room.room_id)
        return IncomingMessage(
            id=msg.message_id,
            account=self.account,
            channel=self.name,
            sender_id=talker.contact_id,
            sender_name=talker.name,
            # Media messages carry XML in `text`; nothing a handler should read as chat.
            text=msg.text() if kind is MessageKind.TEXT else "",
            at=self._message_time(msg.payload.timestamp),
            group_id=room.room_id if room is not None else None,
            group_topic=group_topic,
            mentions_bot=await msg.mention_self() if room is not None else False,
            kind=kind,
            media=media,
        )

    async def _image(self, msg: Message) -> tuple[Media, ...]:
        """The picture of an image message, through the puppet's file API (the gateway downloads and
        decrypts it). A picture it cannot give stays an image message without bytes."""
        try:
            box = await msg.to_file_box()
            data = await _file_box_bytes(box)
        except Exception as exc:  # noqa: BLE001 — one unreadable picture must not lose the message
            self._log.warning("could not fetch the picture of message %s: %s", msg.message_id, _describe(exc))
            return ()
        if not data:
            return ()
        return (Media("image", data, "", str(getattr(box, "name", "") or "")),)

    def _message_time(self, timestamp: int) -> datetime:
        if not timestamp:
            return self._clock.now()
        seconds = timestamp / 1000 if timestamp > 10**11 else timestamp  # gateways send s or ms
        return datetime.fromtimestamp(seconds, timezone.utc)

    def _delivery_for(self, on_message: MessageHandler) -> InOrderDelivery:
        return InOrderDelivery(on_message, self._log, "wechaty-delivery")

    # ---- connection lifecycle --------------------------------------------------------

    async def _connect(self) -> _Session:
        if self._puppet_factory is not None:
            puppet = self._puppet_factory()
        else:
            await self._probe()
            self._log.info("connecting to gateway %s", self.endpoint)
            # Fresh PuppetOptions every time: WechatyOptions' default instance is shared by
            # all options objects and Wechaty() writes the token into it.
            options = PuppetOptions(token=self._token, end_point=self.endpoint)
            puppet = _GatewayPuppet(options, stop_timeout=min(self._call_timeout, 3.0))
        # Our own in-memory scheduler: the default one keeps a SQLite job store in the
        # cache dir. port=0: no Quart web server (that is only for wechaty plugins).
        scheduler = AsyncIOScheduler(logger=logging.getLogger(f"{LOGGER_NAME}.scheduler"))
        bot = Wechaty(WechatyOptions(
            puppet=puppet, puppet_options=PuppetOptions(token=self._token, end_point=self.endpoint),
            port=0, scheduler=scheduler,
        ))
        session = _Session(bot=bot, puppet=puppet, scheduler=scheduler)
        try:
            self._listen(session)
            await bot.init_puppet()
            isolate_user_pools(bot)
            bot.Contact._pool = _RecentContacts()   # bounded (ContactSelf keeps its own pool)
            await bot.init_puppet_event_bridge(bot.puppet)
            # Start + Event stream: runs until the gateway ends the stream.
            session.stream_task = asyncio.create_task(bot.puppet.start(), name="wechaty-event-stream")
            await self._wait_for_login(session)
        except BaseException:
            await self._teardown(session, graceful=False)
            raise
        self._log.info("logged in at gateway %s as %s", self.endpoint, session.self_id)
        return session

    async def _wait_for_login(self, session: _Session) -> None:
        assert session.stream_task is not None
        login = asyncio.ensure_future(session.logged_in.wait())
        try:
            waits = {session.stream_task, login}
            await asyncio.wait(waits, timeout=self._call_timeout, return_when=asyncio.FIRST_COMPLETED)
            if session.qrcode is not None and not session.logged_in.is_set() and not session.stream_task.done():
                # A person has to scan a QR code: give them time.
                await asyncio.wait(waits, timeout=self._scan_timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            login.cancel()
        if session.logged_in.is_set():
            return
        if session.stream_task.done() and session.stream_task.exception() is not None:
            raise _channel_error(session.stream_task.exception(), f"log in at gateway {self.endpoint}")
        if session.qrcode is not None:
            raise ChannelError(f"nobody scanned the login QR code within {self._scan_timeout:g}s")
        raise ChannelError(f"gateway {self.endpoint} sent no login within {self._call_timeout:g}s")

    def _listen(self, session: _Session) -> None:
        bot = session.bot

        async def on_login(contact: Any) -> None:
            session.self_id = contact.contact_id
            if session.self_id != self.account:
                self._log.warning(
                    "gateway logged in as %s but the configured account is %s", session.self_id, self.account
                )
            if contact.name != self.bot_name:
                # Residents type "@<WeChat name>": the configured name should match it.
                self._log.warning(
                    "the WeChat account is named %r but the configured bot name is %r", contact.name, self.bot_name
                )
            session.logged_in.set()

        async def on_message(msg: Message) -> None:
            await self._on_wechaty_message(session, msg)

        async def on_scan(qrcode: str, status: Any, _data: Any) -> None:
            if qrcode and qrcode != session.qrcode:
                self._log.warning(
                    "the gateway's WeChat account is logged out: scan this QR code with the bot's phone "
                    "to log in: https://wechaty.js.org/qrcode/%s", quote(qrcode, safe=""),
                )
            session.qrcode = qrcode or session.qrcode or ""
            self._log.info("login QR code status: %s", getattr(status, "name", status))

        def on_dong(_data: Any) -> None:
            # Any dong proves the gateway alive: some gateways do not echo the ding data.
            for waiter in session.dongs:
                if not waiter.done():
                    waiter.set_result(None)
            session.dongs.clear()

        async def on_room_topic(room: Room, new_topic: str, old_topic: str, *_rest: Any) -> None:
            # wechaty keeps the old topic in its cached payload: a group renamed *to* a grid's topic would be
            # refused service until the next reconnect. Correct the cache and our topic → room map now.
            room.payload.topic = new_topic
            if session.rooms.get(old_topic) == room.room_id:
                del session.rooms[old_topic]
            session.rooms[new_topic] = room.room_id
            self._log.info("WeChat group %s renamed from %r to %r", room.room_id, old_topic, new_topic)

        def on_error(payload: Any) -> None:
            # Without an 'error' listener pyee raises inside wechaty's event bridge.
            self._log.warning("wechaty error event: %s", payload)

        bot.on("login", on_login)
        bot.on("scan", on_scan)
        bot.on("message", on_message)
        bot.on("dong", on_dong)
        bot.on("room-topic", on_room_topic)
        bot.on("error", on_error)

    async def _probe(self) -> None:
        # The client checks the endpoint with a *blocking* telnet (3 s) before dialing;
        # an async probe first keeps a dead host from freezing the event loop.
        url = self.endpoint if "://" in self.endpoint else f"http://{self.endpoint}"
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        try:
            _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), self._call_timeout)
        except (OSError, TimeoutError) as exc:
            raise ChannelError(f"gateway {self.endpoint} unreachable: {_describe(exc)}") from exc
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    async def _supervise(self) -> None:
        delay = self._backoff_initial
        while True:
            session = self._session
            if session is None:
                try:
                    session = await self._connect()
                except Exception as exc:  # noqa: BLE001 — the supervisor must outlive any failure
                    if isinstance(exc, GatewayAuthError):
                        self._log.error("reconnect to gateway failed: %s; next try in %.1fs", exc, delay)
                    elif isinstance(exc, ChannelError):
                        self._log.warning("reconnect to gateway failed: %s; next try in %.1fs", exc, delay)
                    else:
                        self._log.exception("reconnect to gateway failed; next try in %.1fs", delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self._backoff_max)
                    continue
                self.reconnects += 1
                self._session = session
                self._ready = True
                self._log.info("reconnected to gateway %s (reconnect #%d)", self.endpoint, self.reconnects)
            reason, healthy, answering = await self._watch(session)
            self._ready = False
            self._log.warning("gateway %s connection lost: %s; tearing down", self.endpoint, reason)
            await self._teardown(session, graceful=answering)
            self._session = None
            if healthy:
                delay = self._backoff_initial
            self._log.info("reconnecting to gateway in %.1fs", delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._backoff_max)

    async def _watch(self, session: _Session) -> tuple[str, bool, bool]:
        """Watch one connection until it is dead.

        Returns (why, whether it ever answered a ding, whether the gateway may still
        answer calls: worth a polite Stop).
        """
        assert session.stream_task is not None
        stream = session.stream_task
        healthy = False
        while True:
            done, _ = await asyncio.wait({stream}, timeout=self._ding_interval)
            if done:
                return _stream_end_reason(stream), healthy, True
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            session.dongs.append(waiter)
            ding = asyncio.create_task(self._ding(session, waiter), name="wechaty-ding")
            try:
                done, _ = await asyncio.wait(
                    {ding, stream}, timeout=self._ding_timeout, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                if not ding.done():
                    ding.cancel()
                    await asyncio.gather(ding, return_exceptions=True)
            if ding not in done:
                if stream in done:
                    return _stream_end_reason(stream), healthy, True
                return f"no dong within {self._ding_timeout:g}s", healthy, False
            if ding.exception() is not None:
                return f"ding failed: {_describe(ding.exception())}", healthy, False
            healthy = True
            self._log.debug("gateway answered ding")

    @staticmethod
    async def _ding(session: _Session, waiter: asyncio.Future[None]) -> None:
        await session.puppet.ding(f"gridbot-{uuid.uuid4().hex[:8]}")
        await waiter

    async def _teardown(self, session: _Session, *, graceful: bool = True) -> None:
        """Close one connection (with a Stop call if `graceful`); safe to call twice."""
        if graceful:
            await session.puppet.stop()
        else:
            session.puppet.close()
        if session.stream_task is not None:
            session.stream_task.cancel()
            await asyncio.gather(session.stream_task, return_exceptions=True)
        if session.scheduler.running:
            session.scheduler.shutdown(wait=False)
        for waiter in session.dongs:
            waiter.cancel()
        session.dongs.clear()


async def _file_box_bytes(box: Any) -> bytes:
    """The bytes of a FileBox as gateways return it (base64 inline, or a URL to fetch), bounded."""
    if getattr(box, "base64", None):
        raw = box.base64
        if len(raw) > MAX_MEDIA_BYTES * 4 // 3 + 4:
            raise ValueError("picture too large to fetch")
        try:
            return base64.b64decode(raw, validate=False)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("picture is not valid base64") from exc
    for attr in ("buffer", "stream"):
        data = getattr(box, attr, None)
        if isinstance(data, (bytes, bytearray)):
            return bytes(data[:MAX_MEDIA_BYTES + 1])
    url = getattr(box, "remoteUrl", None)
    if url:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
            async with http.get(url, headers=getattr(box, "headers", None) or None) as resp:
                resp.raise_for_status()
                return await resp.content.read(MAX_MEDIA_BYTES + 1)
    return b""


def _file_box_of(path: str) -> Any:
    """A photo file as a FileBox the gateway accepts (base64 inline)."""
    data = Path(path).read_bytes()
    return FileBox.from_base64(base64.b64encode(data), name=Path(path).name)


def _ignore_after_close(exc: Any) -> None:
    logging.getLogger(LOGGER_NAME).debug("wechaty handler failed after disconnect: %s", exc)


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "no error"
    if isinstance(exc, GRPCError):
        return f"{exc.status.name}: {exc.message}"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _missing(exc: BaseException) -> bool:
    """The gateway does not know that contact, room or message: NOT_FOUND from gateways that say so, UNKNOWN
    "no payload found" from the official npm gateway (which maps every puppet error to UNKNOWN)."""
    if not isinstance(exc, GRPCError):
        return False
    return exc.status in _PERMANENT_STATUSES or (
        exc.status is Status.UNKNOWN and "no payload" in (exc.message or "").lower())


def _channel_error(exc: BaseException | None, what: str) -> ChannelError:
    if isinstance(exc, GRPCError):
        if exc.status in _AUTH_STATUSES:
            return GatewayAuthError(f"{what}: the gateway rejected the token ({_describe(exc)})")
        if _missing(exc):
            return PermanentChannelError(f"{what}: {_describe(exc)}")
    return ChannelError(f"{what}: {_describe(exc)}")


def _stream_end_reason(stream: asyncio.Task[None]) -> str:
    if stream.cancelled():
        return "event stream cancelled"
    exc = stream.exception()
    return f"event stream failed ({_describe(exc)})" if exc is not None else "gateway ended the event stream"
