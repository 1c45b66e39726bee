"""A local WeCom 智能机器人 long-connection server: the real `wecom-aibot-sdk` client connects to it.

It speaks the JSON-over-WebSocket protocol of `wss://openws.work.weixin.qq.com` as the SDK and the WeCom
developer docs (智能机器人长连接) describe it:

- the client's first frame is `aibot_subscribe` with `bot_id` and `secret`; the answer carries the same
  `req_id` and `errcode` 0, or an error code (here 40001 "invalid secret") and the client gives up;
- `ping` frames are answered with errcode 0 (the SDK closes the connection after two unanswered pings);
- a message reaches the bot as `aibot_msg_callback` with a fresh `req_id`; the bot answers it with
  `aibot_respond_msg` on that `req_id` (a `stream` or `markdown` body) and gets an ack frame back;
- `aibot_send_msg` is the proactive send to a chat id (group) or a user id (single chat);
- a second connection for the same bot takes over: the old one gets `disconnected_event` and is closed.

Mentions are written `<@userid>` in markdown, as in WeCom's markdown messages. As with the AI bot itself,
only messages that @ the bot in a group, and single-chat messages, are delivered: `inject()` models a
resident doing exactly that. The interface (`inject`, `sent`, `wait_sent`, `subscribe`) matches the wechaty
gateway simulator's, so the demo sandbox drives either.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from bot.channels.gateway_sim import SentRecord
from kernel.clock import Clock, SystemClock
from kernel.message import ChatKind

log = logging.getLogger("gridbot.wecom_sim")

AUTH_FAILED = 40001          # what the simulator answers a wrong bot id or secret with
UNKNOWN_CHAT = 93006         # proactive send to a chat or user the bot cannot reach
INVALID_REQ_ID = 846605      # a reply to a req_id the server does not know (too late, or never sent)
BUSY = -1                    # WeCom's "system busy, retry"

_MENTION = re.compile(r"<@([^>\s]+)>")


@dataclass(frozen=True, slots=True)
class WecomCommunity:
    """The simulated enterprise: group chats (chat id → name shown in the sandbox, the config's topic),
    users (user id → name), and `aliases` (a config person id → that person's WeCom user id) so that the
    sandbox, which speaks config ids, can type as anyone."""

    bot_id: str
    bot_name: str
    chats: Mapping[str, str] = field(default_factory=dict)
    users: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)


class WecomSimulator:
    def __init__(self, community: WecomCommunity, *, secret: str, clock: Clock | None = None) -> None:
        self.community = community
        self.secret = secret
        self._clock = clock or SystemClock()
        self._topic_chat = {topic: chat for chat, topic in community.chats.items()}
        self._server: Server | None = None
        self._port: int | None = None
        self._active: ServerConnection | None = None      # the authenticated connection, if any
        self._pending: list[dict[str, Any]] = []          # callbacks waiting for a connection
        self._open_req_ids: dict[str, dict[str, Any]] = {}  # callback req_id → its body (replies go here)
        self._ids = itertools.count(1)
        self._prefix = uuid.uuid4().hex[:6]
        self._failing_sends = 0
        self._answer_pings = True
        self._uploads: dict[str, dict[str, Any]] = {}    # upload id → chunks being uploaded
        self._media: dict[str, bytes] = {}               # media id → an uploaded picture
        self.sent: list[SentRecord] = []
        self.answered: list[str] = []                     # msgids answered on their own req_id (in-thread)
        self.auth_attempts = 0
        self.connections = 0
        self._sent_changed = asyncio.Condition()
        self._authed = asyncio.Condition()
        self._subscribers: set[asyncio.Queue[SentRecord]] = set()

    # ---- lifecycle -----------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen (0 = any free port); a stopped simulator restarts on its old port (`port=self.port`)."""
        if self._server is not None:
            raise RuntimeError("WeCom simulator already started")
        self._server = await serve(self._serve, host, port, ping_interval=None)
        self._port = int(next(iter(self._server.sockets)).getsockname()[1])
        log.info("WeCom simulator listening on %s", self.url)
        return self._port

    async def stop(self) -> None:
        """Stop like a server going away for maintenance: close every connection (code 1001)."""
        server, self._server = self._server, None
        if server is None:
            return
        self._active = None
        self._open_req_ids.clear()     # a restarted server does not know old req_ids
        server.close()
        await server.wait_closed()
        log.info("WeCom simulator stopped")

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("WeCom simulator not started")
        return self._port

    @property
    def url(self) -> str:
        """For WECOM_WS_URL."""
        return f"ws://127.0.0.1:{self.port}"

    @property
    def connected(self) -> bool:
        return self._active is not None

    async def wait_connected(self, timeout: float = 10.0) -> None:
        async with self._authed:
            await asyncio.wait_for(self._authed.wait_for(lambda: self._active is not None), timeout)

    # ---- residents talk ------------------------------------------------------------

    async def inject(self, sender_id: str, text: str, *, topic: str | None = None, mention_bot: bool = False,
                     chat_id: str | None = None, message_id: str | None = None,
                     msgtype: str = "text", payload: dict[str, Any] | None = None) -> str:
        """`sender_id` (a WeCom user id, or a config person id listed in `aliases`) @-mentions the bot in a
        group (by `topic`, or by raw `chat_id` — also one no config maps) or writes to it in a single chat.
        A group message that does not @ the bot never reaches an AI bot: it is dropped here too.
        `msgtype` + `payload`: another kind of message, e.g. "image" with {"url": …, "aeskey": …}, "mixed"
        with {"msg_item": […]}, "voice" with {"content": transcription} (the body carries payload as is)."""
        user = self.community.aliases.get(sender_id, sender_id)
        if topic is not None:
            chat_id = self._topic_chat.get(topic)
            if chat_id is None:
                raise ValueError(f"no simulated WeCom chat for group {topic!r}")
        message_id = message_id or f"{self._prefix}-{next(self._ids)}"
        if chat_id is not None and not mention_bot:
            log.info("group message without @bot: WeCom does not deliver it to the AI bot")
            return message_id
        body: dict[str, Any] = {
            "msgid": message_id, "aibotid": self.community.bot_id, "chattype": "group" if chat_id else "single",
            "from": {"userid": user}, "msgtype": msgtype, "create_time": int(self._clock.now().timestamp()),
        }
        if chat_id is not None:
            body["chatid"] = chat_id
            if msgtype == "text" and not text.startswith("@" + self.community.bot_name):
                text = f"@{self.community.bot_name} {text}"
        if msgtype == "text":
            body["text"] = {"content": text}
        else:
            body[msgtype] = payload or {}
        frame = {"cmd": "aibot_msg_callback", "headers": {"req_id": uuid.uuid4().hex}, "body": body}
        self._open_req_ids[frame["headers"]["req_id"]] = body
        if self._active is None:
            self._pending.append(frame)
        else:
            await self._push(self._active, frame)
        return message_id

    # ---- what the bot sent ---------------------------------------------------------

    async def wait_sent(self, n: int, timeout: float = 10.0) -> list[SentRecord]:
        """Wait until the bot has sent at least `n` messages in all; return everything sent so far."""
        async with self._sent_changed:
            await asyncio.wait_for(self._sent_changed.wait_for(lambda: len(self.sent) >= n), timeout)
            return list(self.sent)

    def subscribe(self) -> asyncio.Queue[SentRecord]:
        queue: asyncio.Queue[SentRecord] = asyncio.Queue()
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[SentRecord]) -> None:
        self._subscribers.discard(queue)

    # ---- fault injection -----------------------------------------------------------

    def fail_sends(self, n: int) -> None:
        """The next `n` replies or proactive sends are refused with errcode -1 (system busy)."""
        self._failing_sends = n

    def answer_pings(self, answer: bool) -> None:
        """While False the server keeps the socket open but ignores heartbeats (a hung server)."""
        self._answer_pings = answer

    # ---- protocol ------------------------------------------------------------------

    async def _serve(self, ws: ServerConnection) -> None:
        self.connections += 1
        authed = False
        try:
            async for raw in ws:
                try:
                    frame = json.loads(raw)
                except json.JSONDecodeError:
                    continue
                cmd = frame.get("cmd", "")
                req_id = (frame.get("headers") or {}).get("req_id", "")
                body = frame.get("body") or {}
                if cmd == "aibot_subscribe":
                    authed = await self._subscribe(ws, req_id, body)
                elif not authed:
                    await ws.close(4001, "not subscribed")
                elif cmd == "ping":
                    if self._answer_pings:
                        await self._ack(ws, req_id, 0)
                elif cmd == "aibot_respond_msg":
                    await self._respond(ws, req_id, body)
                elif cmd == "aibot_send_msg":
                    await self._send_msg(ws, req_id, body)
                elif cmd.startswith("aibot_upload_media_"):
                    await self._upload(ws, req_id, cmd, body)
                else:
                    await self._ack(ws, req_id, 40008, f"unsupported cmd {cmd}")
        except ConnectionClosed:
            pass
        finally:
            if self._active is ws:
                self._active = None

    async def _subscribe(self, ws: ServerConnection, req_id: str, body: dict[str, Any]) -> bool:
        self.auth_attempts += 1
        if body.get("bot_id") != self.community.bot_id or body.get("secret") != self.secret:
            await self._ack(ws, req_id, AUTH_FAILED, "invalid bot_id or secret")
            return False
        old, self._active = self._active, ws
        if old is not None and old is not ws:   # one connection per bot: the newer one wins
            event = {"cmd": "aibot_event_callback", "headers": {"req_id": uuid.uuid4().hex},
                     "body": {"msgtype": "event", "aibotid": self.community.bot_id,
                              "event": {"eventtype": "disconnected_event"}}}
            with contextlib.suppress(ConnectionClosed):
                await old.send(json.dumps(event, ensure_ascii=False))
                await old.close(1000, "replaced by a new connection")
        await self._ack(ws, req_id, 0)
        async with self._authed:
            self._authed.notify_all()
        pending, self._pending = self._pending, []
        for frame in pending:
            await self._push(ws, frame)
        return True

    async def _respond(self, ws: ServerConnection, req_id: str, body: dict[str, Any]) -> None:
        asked = self._open_req_ids.get(req_id)
        if asked is None:
            await self._ack(ws, req_id, INVALID_REQ_ID, "invalid req_id")
            return
        if await self._refused(ws, req_id):
            return
        msgtype = body.get("msgtype")
        if msgtype == "stream":
            stream = body.get("stream") or {}
            await self._ack(ws, req_id, 0)
            if stream.get("finish"):
                self.answered.append(asked["msgid"])
                self._record(asked, stream.get("content", ""))
            return
        if msgtype in ("markdown", "text"):
            await self._ack(ws, req_id, 0)
            self.answered.append(asked["msgid"])
            self._record(asked, (body.get(msgtype) or {}).get("content", ""))
            return
        await self._ack(ws, req_id, 40008, f"unsupported msgtype {msgtype}")

    async def _send_msg(self, ws: ServerConnection, req_id: str, body: dict[str, Any]) -> None:
        chat = body.get("chatid", "")
        if chat in self.community.chats:
            target = {"chattype": "group", "chatid": chat}
        elif chat in self.community.users:
            target = {"chattype": "single", "from": {"userid": chat}}
        else:
            await self._ack(ws, req_id, UNKNOWN_CHAT, f"chatid {chat} not found")
            return
        if await self._refused(ws, req_id):
            return
        if body.get("msgtype") == "image":      # a picture uploaded before (temporary media)
            data = self._media.get(str((body.get("image") or {}).get("media_id", "")))
            if data is None:
                await self._ack(ws, req_id, 40007, "invalid media_id")
                return
            await self._ack(ws, req_id, 0)
            self._record(target, "", image=data)
            return
        if body.get("msgtype") != "markdown":
            await self._ack(ws, req_id, 40008, "only markdown and image are simulated")
            return
        await self._ack(ws, req_id, 0)
        self._record(target, (body.get("markdown") or {}).get("content", ""))

    async def _upload(self, ws: ServerConnection, req_id: str, cmd: str, body: dict[str, Any]) -> None:
        """Temporary media upload in three steps (init → chunks → finish), as the SDK's upload_media does."""
        if cmd == "aibot_upload_media_init":
            upload_id = f"up-{next(self._ids)}"
            self._uploads[upload_id] = {"type": body.get("type"), "chunks": {}, "total": int(body.get("total_chunks", 1))}
            await self._ack_body(ws, req_id, {"upload_id": upload_id})
        elif cmd == "aibot_upload_media_chunk":
            upload = self._uploads.get(str(body.get("upload_id")))
            if upload is None:
                await self._ack(ws, req_id, 40007, "unknown upload_id")
                return
            upload["chunks"][int(body.get("chunk_index", 0))] = base64.b64decode(body.get("base64_data") or "")
            await self._ack(ws, req_id, 0)
        elif cmd == "aibot_upload_media_finish":
            upload = self._uploads.pop(str(body.get("upload_id")), None)
            if upload is None or len(upload["chunks"]) != upload["total"]:
                await self._ack(ws, req_id, 40007, "upload incomplete")
                return
            media_id = f"media-{next(self._ids)}"
            self._media[media_id] = b"".join(upload["chunks"][i] for i in sorted(upload["chunks"]))
            await self._ack_body(ws, req_id, {"media_id": media_id, "type": upload["type"], "created_at": "0"})
        else:
            await self._ack(ws, req_id, 40008, f"unsupported cmd {cmd}")

    @staticmethod
    async def _ack_body(ws: ServerConnection, req_id: str, body: dict[str, Any]) -> None:
        with contextlib.suppress(ConnectionClosed):
            await ws.send(json.dumps({"headers": {"req_id": req_id}, "errcode": 0, "errmsg": "ok", "body": body}))

    async def _refused(self, ws: ServerConnection, req_id: str) -> bool:
        if self._failing_sends <= 0:
            return False
        self._failing_sends -= 1
        await self._ack(ws, req_id, BUSY, "system busy")
        return True

    def _record(self, where: dict[str, Any], content: str, *, image: bytes = b"") -> None:
        if where.get("chattype") == "group":
            kind, chat = ChatKind.GROUP, self.community.chats.get(where["chatid"], where["chatid"])
        else:
            kind, chat = ChatKind.PRIVATE, where["from"]["userid"]
        record = SentRecord(chat_kind=kind, chat_id=chat, text=content, mention_ids=tuple(_MENTION.findall(content)),
                            at=self._clock.now(), message_id=f"{self._prefix}-out-{next(self._ids)}",
                            conversation_id=where.get("chatid") or chat, image=image)
        self.sent.append(record)
        for queue in self._subscribers:
            queue.put_nowait(record)
        asyncio.get_running_loop().create_task(self._notify_sent())

    async def _notify_sent(self) -> None:
        async with self._sent_changed:
            self._sent_changed.notify_all()

    @staticmethod
    async def _ack(ws: ServerConnection, req_id: str, errcode: int, errmsg: str = "ok") -> None:
        with contextlib.suppress(ConnectionClosed):
            await ws.send(json.dumps({"headers": {"req_id": req_id}, "errcode": errcode, "errmsg": errmsg}))

    async def _push(self, ws: ServerConnection, frame: dict[str, Any]) -> None:
        try:
            await ws.send(json.dumps(frame, ensure_ascii=False))
        except ConnectionClosed:
            self._pending.append(frame)
