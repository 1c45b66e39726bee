"""WeCom 智能机器人 (AI bot) over its long connection, with the official protocol's Python SDK
(`wecom-aibot-sdk`): the bot opens a WebSocket to WeCom, subscribes with bot id + secret, and receives the
messages that @ it in group chats and the messages of its single chats. No public URL, no callback crypto.

- Chats map to the config's groups through `[wecom] groups` (chat id → topic); an unmapped chat is handed to
  the router once (which answers "not registered") and logged with its chat id for the operator, later
  messages there are dropped. `[wecom] people` makes a WeCom user act as a person of the config.
- An answer (`reply_to` set, the message still remembered) goes back on the message's own `req_id` as a
  finished stream reply, so WeCom shows it as the answer to that message; everything else — pushes,
  reminders, escalations, and answers WeCom no longer accepts on the req_id — uses the proactive send
  (`aibot_send_msg`). Mentions are written `<@userid>`.
- The SDK keeps the heartbeat (a ping every `heartbeat_s`; two unanswered pings close the socket). Its own
  reconnect is switched off: it stops silently when the server closes the socket cleanly (a restart), so a
  supervisor here watches each connection and opens a fresh client with backoff. A second connection with the
  same bot id makes WeCom drop the older one (`disconnected_event`): this process then stays down and says so
  rather than knocking the other off in turn.
- A send returns only after WeCom acknowledged the frame: the outbox marks a row sent on that ack.
- A group the AI bot is not in can still get pushes through its group robot (`[wecom] webhooks`: topic →
  webhook URL), at most 20 messages a minute per robot as WeCom allows; more are retried later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections import OrderedDict, deque
from pathlib import Path
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

import aiohttp
from wecom_aibot_sdk import WSAuthFailureError, WSClient

from bot.channels.base import ChannelError, InOrderDelivery, MessageHandler, PermanentChannelError, connect_within
from kernel.clock import Clock
from kernel.message import ChatKind, IncomingMessage, Media, MessageKind, OutgoingMessage
from kernel.settings import WecomSettings

LOGGER_NAME = "gridbot.wecom"
DEFAULT_URL = "wss://openws.work.weixin.qq.com"
REQ_ID_GONE = {846605, 846608}      # invalid req_id / stream update expired: answer proactively instead
TRANSIENT = {-1, 45009, 45033}      # system busy, API frequency limits: retry later
_ERRCODE = re.compile(r"errcode=(-?\d+)")
_KINDS = {"text": MessageKind.TEXT, "mixed": MessageKind.TEXT, "voice": MessageKind.TEXT,
          "image": MessageKind.IMAGE, "file": MessageKind.FILE}
MAX_PICTURES = 9                    # pictures read from one mixed message (WeChat's own limit per send)
MAX_PICTURE_BYTES = 50 * 1024 * 1024
_REMEMBERED_FRAMES = 2000           # incoming frames kept to answer on their req_id
WEBHOOK_PER_MINUTE = 20             # WeCom's limit per group robot


class WecomAuthError(PermanentChannelError):
    """WeCom refused the bot id or secret."""


class _SdkLog:
    """The SDK's logger interface on top of `logging` (its debug lines carry message bodies: keep them at DEBUG)."""

    def __init__(self, log: logging.Logger) -> None:
        self._log = log

    def _emit(self, level: int, message: str, *args: Any) -> None:
        self._log.log(level, " ".join([message, *map(str, args)]))

    def debug(self, message: str, *args: Any) -> None:
        self._emit(logging.DEBUG, message, *args)

    def info(self, message: str, *args: Any) -> None:
        self._emit(logging.DEBUG, message, *args)     # connection chatter; the channel logs what matters

    def warn(self, message: str, *args: Any) -> None:
        self._emit(logging.INFO, message, *args)

    def error(self, message: str, *args: Any) -> None:
        self._emit(logging.WARNING, message, *args)


@dataclass(eq=False)
class _Connection:
    client: WSClient
    authed: asyncio.Event = field(default_factory=asyncio.Event)
    dead: asyncio.Event = field(default_factory=asyncio.Event)
    auth_error: str | None = None
    error: str | None = None
    replaced: bool = False          # WeCom dropped us for a newer connection with the same bot id


class WecomChannel:
    name = "wecom"

    def __init__(self, *, bot_id: str, secret: str, settings: WecomSettings, account: str, clock: Clock,
                 ws_url: str | None = None, heartbeat_s: float = 30.0, call_timeout: float = 10.0,
                 start_timeout: float = 30.0, backoff_initial: float = 1.0, backoff_max: float = 60.0,
                 check_interval: float = 1.0, logger: logging.Logger | None = None) -> None:
        self.bot_id = bot_id
        self._secret = secret
        self.url = ws_url or DEFAULT_URL
        self.account = account
        self._clock = clock
        self._chat_topic = dict(settings.groups)
        self._topic_chat = {topic: chat for chat, topic in settings.groups.items()}
        self._names = dict(settings.users)
        self._person_of = dict(settings.people)
        self._user_of = {person: user for user, person in settings.people.items()}
        self._webhooks = dict(settings.webhooks)
        self._webhook_sends: dict[str, deque[float]] = {}
        self._http: aiohttp.ClientSession | None = None
        self._heartbeat_s = heartbeat_s
        self._call_timeout = call_timeout
        self._start_timeout = start_timeout
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._check_interval = check_interval
        self._log = logger or logging.getLogger(LOGGER_NAME)
        self._sdk_log = _SdkLog(logging.getLogger(LOGGER_NAME + ".sdk"))
        self._conn: _Connection | None = None
        self._frames: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._unmapped: set[str] = set()
        self._supervisor: asyncio.Task[None] | None = None
        self._delivery: InOrderDelivery | None = None
        self._fetches: set[asyncio.Task[None]] = set()   # pictures being downloaded before delivery
        self.reconnects = 0

    # ---- Channel protocol ------------------------------------------------------------

    async def start(self, on_message: MessageHandler) -> None:
        """Connect and subscribe; retry transient failures for `start_timeout` s, then raise ChannelError.
        Wrong credentials raise WecomAuthError at once."""
        if self._supervisor is not None:
            raise RuntimeError("WecomChannel already started")
        self._delivery = InOrderDelivery(on_message, self._log, "wecom-delivery")
        try:
            self._conn = await self._first_connect()
        except BaseException:
            await self._delivery.close()
            raise
        self._supervisor = asyncio.create_task(self._supervise(), name="wecom-supervisor")

    async def stop(self) -> None:
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            await asyncio.gather(supervisor, return_exceptions=True)
        if self._fetches:                # pictures still downloading: let them finish (bounded)
            await asyncio.wait(set(self._fetches), timeout=self._call_timeout)
        if self._delivery is not None:   # hand over what was received; replies can still go out meanwhile
            await self._delivery.drain(self._call_timeout)
        conn, self._conn = self._conn, None
        if conn is not None:
            await self._close(conn)
        if self._delivery is not None:
            await self._delivery.close()
        if self._http is not None:
            await self._http.close()
            self._http = None
        self._log.info("WeCom channel stopped")

    def is_ready(self) -> bool:
        conn = self._conn
        return (conn is not None and conn.authed.is_set() and not conn.dead.is_set()
                and conn.client.is_connected)

    async def send(self, out: OutgoingMessage) -> None:
        content = self._content(out)
        if out.chat_kind is ChatKind.GROUP and out.chat_id not in self._topic_chat and out.chat_id in self._webhooks:
            await self._webhook(out, content)
            return
        conn = self._conn
        if conn is None or not self.is_ready():
            raise ChannelError("not connected to WeCom")
        chat = self._chat_of(out)
        if out.image:     # a photo (办结 with a picture) first: uploaded as temporary media, then sent
            await self._send_picture(conn, chat, out)
        frame = self._frames.get(out.reply_to) if out.reply_to else None
        if frame is not None:
            try:
                await self._call(conn.client.reply_stream(frame, uuid.uuid4().hex, content, finish=True),
                                 f"reply {out.key}")
                return
            except _ReqIdGone:
                self._frames.pop(out.reply_to or "", None)
                self._log.info("reply %s: WeCom no longer takes answers on that message; sending it instead",
                               out.key)
        await self._call(conn.client.send_message(chat, {"msgtype": "markdown", "markdown": {"content": content}}),
                         f"send {out.key}")

    # ---- sending ---------------------------------------------------------------------

    async def _send_picture(self, conn: _Connection, chat: str, out: OutgoingMessage) -> None:
        try:
            data = Path(out.image or "").read_bytes()
        except OSError as exc:
            raise PermanentChannelError(f"send {out.key}: the photo file is gone ({exc.strerror})") from exc
        try:
            uploaded = await asyncio.wait_for(conn.client.upload_media(data, type="image",
                                                                       filename=Path(out.image or "").name),
                                              max(self._call_timeout, 30.0))
        except Exception as exc:  # noqa: BLE001 — timeouts and the SDK's plain errors: retried by the outbox
            raise ChannelError(f"send {out.key}: uploading the photo failed: {exc}") from exc
        await self._call(conn.client.send_media_message(chat, "image", str(uploaded["media_id"])),
                         f"send {out.key} (photo)")

    def _chat_of(self, out: OutgoingMessage) -> str:
        if out.chat_kind is ChatKind.GROUP:
            # An unmapped chat is addressed by its chat id (the "not registered" answer goes there).
            chat = self._topic_chat.get(out.chat_id) or (out.chat_id if out.chat_id in self._unmapped else None)
            if chat is None:
                raise PermanentChannelError(f"no WeCom chat is mapped to group {out.chat_id!r} in [wecom] groups")
            return chat
        return self._user_of.get(out.chat_id, out.chat_id)

    def _content(self, out: OutgoingMessage) -> str:
        if out.chat_kind is not ChatKind.GROUP or not out.mentions:
            return out.text
        at = " ".join(f"<@{self._user_of.get(m, m)}>" for m in out.mentions)
        return f"{at} {out.text}"

    async def _webhook(self, out: OutgoingMessage, content: str) -> None:
        """A push through the group's robot webhook: WeCom answers {"errcode": 0} when it took the message."""
        url = self._webhooks[out.chat_id]
        sent = self._webhook_sends.setdefault(url, deque())
        now = time.monotonic()
        while sent and now - sent[0] >= 60:
            sent.popleft()
        if len(sent) >= WEBHOOK_PER_MINUTE:
            raise ChannelError(f"send {out.key}: the group robot of {out.chat_id} already sent "
                               f"{WEBHOOK_PER_MINUTE} messages this minute")
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._call_timeout))
        what = f"send {out.key} to {out.chat_id} by its group robot"
        try:
            async with self._http.post(url, json={"msgtype": "markdown", "markdown": {"content": content}}) as r:
                answer = await r.json(content_type=None)
                status = r.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise ChannelError(f"{what}: {type(exc).__name__}: {exc}") from exc
        sent.append(now)
        code = answer.get("errcode") if isinstance(answer, dict) else None
        if status == 200 and code == 0:
            return
        error = f"{what}: HTTP {status}, errcode={code}, errmsg={answer.get('errmsg') if isinstance(answer, dict) else ''}"
        if status >= 500 or code in TRANSIENT:
            raise ChannelError(error)
        raise PermanentChannelError(error)   # a wrong or deleted key, a robot removed from the group

    async def _call(self, call: Any, what: str) -> None:
        try:
            await asyncio.wait_for(call, self._call_timeout)
        except TimeoutError as exc:
            raise ChannelError(f"{what}: WeCom did not acknowledge within {self._call_timeout:g}s") from exc
        except Exception as exc:  # noqa: BLE001 — the SDK raises plain Exceptions carrying an errcode
            match = _ERRCODE.search(str(exc))
            if match is None:
                raise ChannelError(f"{what}: {exc}") from exc
            code = int(match.group(1))
            if code in REQ_ID_GONE:
                raise _ReqIdGone(str(exc)) from exc
            if code in TRANSIENT:
                raise ChannelError(f"{what}: {exc}") from exc
            raise PermanentChannelError(f"{what}: {exc}") from exc

    # ---- receiving -------------------------------------------------------------------

    def _on_frame(self, frame: dict[str, Any]) -> None:
        try:
            incoming = self._convert(frame)
        except (KeyError, TypeError, AttributeError, ValueError):
            self._log.warning("dropping a WeCom message in an unexpected shape")
            return
        if incoming is None or self._delivery is None:
            return
        pictures = _pictures(frame["body"])
        if pictures:
            # Pictures come as a URL to an AES-encrypted file: download and decrypt (the SDK's download_file)
            # before the message goes to the router, off the SDK's callback.
            task = asyncio.get_running_loop().create_task(self._with_pictures(incoming, pictures))
            self._fetches.add(task)
            task.add_done_callback(self._fetches.discard)
            return
        self._delivery.put(incoming)

    async def _with_pictures(self, incoming: IncomingMessage, pictures: list[tuple[str, str]]) -> None:
        media: list[Media] = []
        for url, aeskey in pictures[:MAX_PICTURES]:
            try:
                data = await asyncio.wait_for(self._download(url, aeskey), max(self._call_timeout, 30.0))
            except Exception as exc:  # noqa: BLE001 — one unreadable picture must not lose the message
                self._log.warning("could not fetch a picture of WeCom message %s: %s", incoming.id, exc)
                continue
            if data:
                media.append(Media("image", data[:MAX_PICTURE_BYTES + 1]))
        if self._delivery is not None:
            self._delivery.put(replace(incoming, media=tuple(media)))

    async def _download(self, url: str, aeskey: str) -> bytes:
        """One picture, downloaded and decrypted with its message's aeskey by the SDK."""
        conn = self._conn
        if conn is None:
            raise ChannelError("not connected to WeCom")
        result = await conn.client.download_file(url, aeskey or None)
        return bytes(result.get("buffer") or b"")

    def _convert(self, frame: dict[str, Any]) -> IncomingMessage | None:
        body = frame["body"]
        msg_id = str(body["msgid"])
        user = str(body["from"]["userid"])
        group = body.get("chattype") == "group"
        chat = str(body.get("chatid") or "") if group else ""
        topic = self._chat_topic.get(chat) if group else None
        if group and topic is None:
            if chat in self._unmapped:
                self._log.debug("dropping a message from unmapped WeCom chat %s", chat)
                return None
            self._unmapped.add(chat)   # answered "not registered" once; the operator learns the id
            self._log.warning("WeCom chat %s is not in [wecom] groups; add  %s = \"<group topic>\"  to the config "
                              "to serve it", chat, chat)
        self._remember(msg_id, frame)
        msgtype = body.get("msgtype", "")
        kind = _KINDS.get(msgtype, MessageKind.OTHER)
        person = self._person_of.get(user, user)
        text = _text(body) if kind is MessageKind.TEXT else ""
        heard = msgtype == "voice" and bool(text.strip())
        media: tuple[Media, ...] = ()
        if msgtype == "voice" and not heard:       # a voice note WeCom could not transcribe
            kind, media = MessageKind.VOICE, (Media("voice"),)
        elif kind is MessageKind.FILE:
            media = (Media("file", name=str((body.get("file") or {}).get("filename", ""))),)
        return IncomingMessage(
            id=msg_id, account=self.account, channel=self.name, sender_id=person,
            sender_name=self._names.get(user, user), text=text,
            at=self._time(body.get("create_time")), group_id=chat or None, group_topic=topic,
            mentions_bot=group,   # WeCom delivers group messages to the AI bot only when they @ it
            kind=kind, media=media, heard=heard)

    def _remember(self, msg_id: str, frame: dict[str, Any]) -> None:
        self._frames[msg_id] = frame
        while len(self._frames) > _REMEMBERED_FRAMES:
            self._frames.popitem(last=False)

    def _time(self, stamp: Any) -> datetime:
        if isinstance(stamp, (int, float)) and stamp > 0:
            return datetime.fromtimestamp(stamp / 1000 if stamp > 10**11 else stamp, timezone.utc)
        return self._clock.now()

    # ---- connection lifecycle --------------------------------------------------------

    async def _first_connect(self) -> _Connection:
        return await connect_within(self._connect, WecomAuthError, start_timeout=self._start_timeout,
                                    backoff_initial=self._backoff_initial, backoff_max=self._backoff_max,
                                    log=self._log, what="WeCom")

    async def _connect(self) -> _Connection:
        client = WSClient(self.bot_id, self._secret, ws_url=self.url,
                          heartbeat_interval=int(self._heartbeat_s * 1000), request_timeout=int(self._call_timeout * 1000),
                          max_reconnect_attempts=1, max_auth_failure_attempts=1, logger=self._sdk_log)
        conn = _Connection(client)

        def on_error(error: Exception) -> None:
            text = str(error)
            if text.startswith("Authentication failed") or isinstance(error, WSAuthFailureError):
                conn.auth_error = conn.auth_error or text
            conn.error = conn.error or text
            conn.dead.set()

        def on_replaced(_frame: Any) -> None:
            conn.replaced = True
            conn.dead.set()

        client.on("authenticated", conn.authed.set)
        client.on("disconnected", lambda _reason: conn.dead.set())
        client.on("error", on_error)
        client.on("event.disconnected_event", on_replaced)
        client.on("message", self._on_frame)
        waits = {asyncio.ensure_future(conn.authed.wait()), asyncio.ensure_future(conn.dead.wait())}
        try:
            await client.connect()
            await asyncio.wait(waits, timeout=self._call_timeout, return_when=asyncio.FIRST_COMPLETED)
        except BaseException:   # cancelled (stop() during a reconnect): leave no socket behind
            await asyncio.shield(self._close(conn))
            raise
        finally:
            for w in waits:
                w.cancel()
        if conn.authed.is_set() and not conn.dead.is_set():
            self._log.info("subscribed to WeCom at %s as bot %s", self.url, self.bot_id)
            return conn
        await self._close(conn)
        if conn.auth_error:
            raise WecomAuthError(conn.auth_error)
        raise ChannelError(conn.error or f"no subscription answer within {self._call_timeout:g}s")

    async def _supervise(self) -> None:
        delay = self._backoff_initial
        while True:
            conn = self._conn
            if conn is None:
                try:
                    conn = await self._connect()
                except WecomAuthError as exc:
                    self._log.error("WeCom refused the bot id or secret (%s); next try in %.0fs", exc, self._backoff_max)
                    await asyncio.sleep(self._backoff_max)
                    continue
                except ChannelError as exc:
                    self._log.warning("reconnect to WeCom failed: %s; next try in %.1fs", exc, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self._backoff_max)
                    continue
                self.reconnects += 1
                self._conn = conn
                delay = self._backoff_initial
                self._log.info("reconnected to WeCom (reconnect #%d)", self.reconnects)
            await self._watch(conn)
            self._conn = None
            await self._close(conn)
            if conn.replaced:
                self._log.error("another connection with bot id %s took over (a second gridbot, or another program "
                                "using this bot?): this process stays disconnected; stop the other one and restart "
                                "this one", self.bot_id)
                return
            self._log.warning("WeCom connection lost (%s); reconnecting in %.1fs", conn.error or "closed", delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._backoff_max)

    async def _watch(self, conn: _Connection) -> None:
        """Until the connection is dead: an SDK event said so, or the socket closed without one (the SDK
        reports nothing when the server closes cleanly, or when it closes after missed heartbeats)."""
        while not conn.dead.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(conn.dead.wait(), self._check_interval)
            if not conn.client.is_connected:
                conn.dead.set()

    async def _close(self, conn: _Connection) -> None:
        conn.dead.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(conn.client.disconnect(), self._call_timeout)


class _ReqIdGone(ChannelError):
    """WeCom no longer accepts an answer on that message's req_id."""


def _pictures(body: dict[str, Any]) -> list[tuple[str, str]]:
    """(url, aeskey) of an image message's picture or a mixed message's pictures."""
    msgtype = body.get("msgtype")
    if msgtype == "image":
        items = [body]
    elif msgtype == "mixed":
        items = [i for i in (body.get("mixed") or {}).get("msg_item") or [] if i.get("msgtype") == "image"]
    else:
        return []
    out = []
    for item in items:
        image = item.get("image") or {}
        if image.get("url"):
            out.append((str(image["url"]), str(image.get("aeskey") or "")))
    return out


def _text(body: dict[str, Any]) -> str:
    msgtype = body.get("msgtype")
    if msgtype == "text":
        return str(body["text"]["content"])
    if msgtype == "voice":   # WeCom transcribes voice messages for the AI bot
        return str((body.get("voice") or {}).get("content", ""))
    if msgtype == "mixed":   # text and pictures: the text parts
        items = (body.get("mixed") or {}).get("msg_item") or []
        return "\n".join(str(i["text"]["content"]) for i in items if i.get("msgtype") == "text")
    return ""
