"""A local wechaty puppet-service gateway that simulates a WeChat community.

The unmodified `wechaty-puppet-service` client connects to it over plaintext gRPC on
127.0.0.1 exactly as it connects to a real gateway, so the production `WechatyChannel`
can be exercised end to end in tests and in the demo sandbox: residents "type" with
`inject()`, what the bot sends shows up in `sent`, and faults can be injected
(`drop_stream`, `set_unresponsive`, `fail_sends`, `rename` a group, `npm_errors`: "not found" answered
as the official npm gateway does).

Wire details that matter (measured against the client):
- the token travels as the HTTP/2 `:authority` of every call (the client overwrites
  the channel's authority with it); other tokens get UNAUTHENTICATED;
- message types use the TypeScript wechaty-puppet numbering (text = 7, image = 6,
  emoticon = 5), which the client maps to its own enum;
- event payloads are JSON strings with camelCase keys (`contactId`, `messageId`);
- like real gateways, a message the bot sends is echoed back as a message event.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import logging
import uuid
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import grpclib.const
import grpclib.server
from grpclib.const import Cardinality, Status
from grpclib.exceptions import GRPCError
from grpclib.protocol import H2Protocol
from wechaty_grpc.wechaty import puppet as pb

from kernel.clock import Clock, SystemClock
from kernel.message import ChatKind, MessageKind

log = logging.getLogger("gridbot.gateway_sim")

# TypeScript wechaty-puppet MessageType numbering, as gateways put it on the wire.
TS_MESSAGE_TYPE: dict[MessageKind, int] = {
    MessageKind.TEXT: 7,
    MessageKind.IMAGE: 6,
    MessageKind.STICKER: 5,  # Emoticon
    MessageKind.VOICE: 2,  # Audio
    MessageKind.FILE: 1,  # Attachment
    MessageKind.OTHER: 1,  # Attachment
}

# What WeChat puts between "@name" and the rest of the line.
MENTION_SEPARATOR = "\u2005"

_PENDING_EVENTS_MAX = 1000

Member = tuple[str, str]  # (contact_id, display name)


@dataclass(frozen=True, slots=True)
class SimCommunity:
    """Who is in the simulated WeChat account's world.

    `groups` are (room_id, topic, members); members and `contacts` are
    (contact_id, name). Everyone who talks privately to the bot must be in `contacts`
    or in some group.
    """

    bot_id: str
    bot_name: str
    groups: list[tuple[str, str, list[Member]]] = field(default_factory=list)
    contacts: list[Member] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SentRecord:
    """One text message the bot sent through the gateway."""

    chat_kind: ChatKind
    chat_id: str  # group topic, or contact id for a private chat
    text: str
    mention_ids: tuple[str, ...]
    at: datetime
    message_id: str
    conversation_id: str  # room id or contact id as the bot addressed it
    image: bytes = b""    # a file the bot sent (MessageSendFile): its bytes; text is then ""


@dataclass(slots=True)
class _Room:
    room_id: str
    topic: str
    member_ids: list[str]


@dataclass(eq=False, slots=True)
class _EventStream:
    queue: asyncio.Queue[pb.EventResponse | None] = field(default_factory=asyncio.Queue)


_Rpc = Callable[[grpclib.server.Stream[Any, Any]], Awaitable[None]]


class _PuppetServicer:
    """The grpclib service: maps wechaty.Puppet RPC paths to the simulator's methods."""

    def __init__(self, sim: GatewaySimulator) -> None:
        self._sim = sim

    def __mapping__(self) -> dict[str, grpclib.const.Handler]:
        sim = self._sim
        unary: list[tuple[str, _Rpc, type[Any], type[Any]]] = [
            ("Start", sim._rpc_start, pb.StartRequest, pb.StartResponse),
            ("Stop", sim._rpc_stop, pb.StopRequest, pb.StopResponse),
            ("Logout", sim._rpc_logout, pb.LogoutRequest, pb.LogoutResponse),
            ("Ding", sim._rpc_ding, pb.DingRequest, pb.DingResponse),
            ("Version", sim._rpc_version, pb.VersionRequest, pb.VersionResponse),
            ("DirtyPayload", sim._rpc_dirty_payload, pb.DirtyPayloadRequest, pb.DirtyPayloadResponse),
            ("ContactList", sim._rpc_contact_list, pb.ContactListRequest, pb.ContactListResponse),
            ("ContactPayload", sim._rpc_contact_payload, pb.ContactPayloadRequest, pb.ContactPayloadResponse),
            ("RoomList", sim._rpc_room_list, pb.RoomListRequest, pb.RoomListResponse),
            ("RoomPayload", sim._rpc_room_payload, pb.RoomPayloadRequest, pb.RoomPayloadResponse),
            ("RoomMemberList", sim._rpc_room_member_list, pb.RoomMemberListRequest, pb.RoomMemberListResponse),
            ("RoomMemberPayload", sim._rpc_room_member_payload, pb.RoomMemberPayloadRequest,
             pb.RoomMemberPayloadResponse),
            ("MessagePayload", sim._rpc_message_payload, pb.MessagePayloadRequest, pb.MessagePayloadResponse),
            ("MessageSendText", sim._rpc_message_send_text, pb.MessageSendTextRequest,
             pb.MessageSendTextResponse),
            ("MessageImage", sim._rpc_message_image, pb.MessageImageRequest, pb.MessageImageResponse),
            ("MessageFile", sim._rpc_message_file, pb.MessageFileRequest, pb.MessageFileResponse),
            ("MessageSendFile", sim._rpc_message_send_file, pb.MessageSendFileRequest,
             pb.MessageSendFileResponse),
        ]
        mapping = {
            f"/wechaty.Puppet/{name}": grpclib.const.Handler(func, Cardinality.UNARY_UNARY, req, rep)
            for name, func, req, rep in unary
        }
        mapping["/wechaty.Puppet/Event"] = grpclib.const.Handler(
            sim._rpc_event, Cardinality.UNARY_STREAM, pb.EventRequest, pb.EventResponse
        )
        return mapping


class _RejectingMapping(dict[str, grpclib.const.Handler]):
    """Answers every known path with UNAUTHENTICATED (same cardinality and types)."""

    def __init__(self, real: Mapping[str, grpclib.const.Handler]) -> None:
        super().__init__()
        self._real = real

    def get(self, key: str, default: Any = None) -> Any:
        handler = self._real.get(key)
        if handler is None:
            return default
        return grpclib.const.Handler(_reject, handler.cardinality, handler.request_type, handler.reply_type)


async def _reject(stream: grpclib.server.Stream[Any, Any]) -> None:
    raise GRPCError(Status.UNAUTHENTICATED, "invalid gateway token")


class _TokenHandler(grpclib.server.Handler):
    """grpclib hides pseudo-headers from handlers; the token is the `:authority`, so check it here."""

    def __init__(self, *args: Any, token: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._token = token
        self._rejecting = _RejectingMapping(self.mapping)

    def accept(self, stream: Any, headers: Any, release_stream: Callable[[], Any]) -> None:
        authority = next((value for name, value in headers if name == ":authority"), None)
        if authority == self._token:
            super().accept(stream, headers, release_stream)
            return
        log.warning("rejecting a call with a wrong gateway token")
        self.__gc_step__()
        self._tasks[stream] = self.loop.create_task(grpclib.server.request_handler(
            self._rejecting, stream, headers, self.codec, self.status_details_codec,
            self.dispatch, release_stream,
        ))


class _TokenServer(grpclib.server.Server):
    def __init__(self, handlers: list[Any], *, token: str) -> None:
        super().__init__(handlers)
        self._token = token
        self._protocols: weakref.WeakSet[H2Protocol] = weakref.WeakSet()

    def _protocol_factory(self) -> H2Protocol:
        self.__gc_step__()
        handler = _TokenHandler(
            self._mapping, self._codec, self._status_details_codec, self.__dispatch__, token=self._token,
        )
        self._handlers.add(handler)
        protocol = H2Protocol(handler, self._config, self._h2_config)
        self._protocols.add(protocol)
        return protocol

    def drop_connections(self) -> None:
        """Close every client connection, as a dying gateway process does.

        (`Server.close()` only stops listening; accepted connections would stay open.)
        """
        for protocol in list(self._protocols):
            processor = getattr(protocol, "processor", None)
            if processor is not None:
                processor.close("gateway stopped")


class GatewaySimulator:
    """A puppet-service gateway for one simulated WeChat account (see module doc)."""

    def __init__(
        self,
        community: SimCommunity,
        *,
        token: str | None = None,
        clock: Clock | None = None,
        echo_sent: bool = True,
        logged_in: bool = True,
        npm_errors: bool = False,
    ) -> None:
        """`logged_in=False`: the account needs a QR scan first (see `confirm_scan`). `npm_errors`: answer
        "not found" as the official npm gateway does — gRPC UNKNOWN with "no payload found" — not NOT_FOUND."""
        self.community = community
        self.token = token or f"gridbot-sim-{uuid.uuid4().hex[:12]}"
        self._clock: Clock = clock or SystemClock()
        self._echo_sent = echo_sent
        self._npm_errors = npm_errors
        self._names: dict[str, str] = {community.bot_id: community.bot_name}
        self._rooms: dict[str, _Room] = {}
        self._topics: dict[str, str] = {}
        for room_id, topic, members in community.groups:
            self._rooms[room_id] = _Room(room_id, topic, [community.bot_id])
            self._topics[topic] = room_id
            for contact_id, name in members:
                self.add_contact(contact_id, name, topic=topic)
        for contact_id, name in community.contacts:
            self.add_contact(contact_id, name)

        self.sent: list[SentRecord] = []
        self._messages: dict[str, pb.MessagePayloadResponse] = {}
        self._files: dict[str, tuple[str, bytes]] = {}   # message id → (file name, bytes) of injected media
        # A per-simulator prefix keeps ids unique across simulators in one process.
        self._id_prefix = f"sim{uuid.uuid4().hex[:6]}"
        self._ids = itertools.count(1)
        self._streams: set[_EventStream] = set()
        self._pending: list[pb.EventResponse] = []
        self._started = False  # between Start and Stop
        self._account_logged_in = logged_in  # the WeChat session itself
        self.qrcode = f"https://login.weixin.qq.com/l/{uuid.uuid4().hex[:10]}"
        self._responsive = asyncio.Event()
        self._responsive.set()
        self._failing_sends = 0
        self._sent_payloads_hidden = False
        self._sent_changed = asyncio.Condition()
        self._subscribers: set[asyncio.Queue[SentRecord]] = set()
        self._server: _TokenServer | None = None
        self._host = "127.0.0.1"
        self._port: int | None = None
        self.calls: dict[str, int] = {}  # RPC name -> times called (diagnostics, tests)

    # ---- lifecycle -----------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on host:port (0 = any free port); return the bound port.

        A stopped simulator can be started again (on its old port, to play a gateway restart).
        """
        if self._server is not None:
            raise RuntimeError("gateway simulator already started")
        server = _TokenServer([_PuppetServicer(self)], token=self.token)
        await server.start(host, port)
        listening = cast(asyncio.Server, server._server)
        self._port = int(listening.sockets[0].getsockname()[1])
        self._host = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
        self._server = server
        log.info("gateway simulator listening on %s:%d", host, self._port)
        return self._port

    async def stop(self) -> None:
        """Stop like a gateway process dying: stop listening, cut every connection."""
        server, self._server = self._server, None
        if server is None:
            return
        self._responsive.set()  # let hung calls finish so close() is quick
        self._started = False  # a restarted gateway starts its puppet afresh
        server.close()
        server.drop_connections()
        await server.wait_closed()
        log.info("gateway simulator stopped")

    @property
    def endpoint(self) -> str:
        """`host:port` for WECHATY_PUPPET_SERVICE_ENDPOINT."""
        if self._port is None:
            raise RuntimeError("gateway simulator not started")
        return f"{self._host}:{self._port}"

    @property
    def connected_streams(self) -> int:
        return len(self._streams)

    # ---- the community -------------------------------------------------------------

    def add_contact(self, contact_id: str, name: str, *, topic: str | None = None) -> None:
        """Register a person (and, with `topic`, make them a member of that group)."""
        self._names[contact_id] = name
        if topic is not None:
            room = self._room_by_topic(topic)
            if contact_id not in room.member_ids:
                room.member_ids.append(contact_id)

    def _room_by_topic(self, topic: str) -> _Room:
        room_id = self._topics.get(topic)
        if room_id is None:
            raise ValueError(f"no simulated group with topic {topic!r}")
        return self._rooms[room_id]

    def rename(self, topic: str, new_topic: str, *, changer_id: str | None = None) -> None:
        """Someone renames a group: the gateway answers RoomPayload with the new topic and emits room-topic."""
        room = self._room_by_topic(topic)
        del self._topics[topic]
        room.topic = new_topic
        self._topics[new_topic] = room.room_id
        self._emit(pb.EventType.EVENT_TYPE_ROOM_TOPIC, {
            "roomId": room.room_id, "newTopic": new_topic, "oldTopic": topic,
            "changerId": changer_id or self.community.bot_id, "timestamp": self._timestamp_ms()})

    # ---- residents talk ------------------------------------------------------------

    async def inject(
        self,
        sender_id: str,
        text: str,
        *,
        topic: str | None = None,
        mention_bot: bool = False,
        kind: MessageKind = MessageKind.TEXT,
        message_id: str | None = None,
        data: bytes | None = None,
        name: str = "photo.jpg",
    ) -> str:
        """A resident sends a message to a group (by topic) or privately to the bot.

        `mention_bot` puts the bot's id in the payload's mention ids and, unless the text
        already starts with "@<bot name>", prefixes "@<bot name>" + U+2005 as WeChat does.
        Re-using a `message_id` re-delivers that message event (as flaky gateways do).
        `data`: an image's (or file's) bytes, which the client then fetches with MessageImage / MessageFile.
        Returns the message id.
        """
        if message_id is not None and message_id in self._messages:
            self._emit(pb.EventType.EVENT_TYPE_MESSAGE, {"messageId": message_id})
            return message_id
        if sender_id not in self._names:
            raise ValueError(f"unknown simulated contact {sender_id!r}")
        room_id = ""
        if topic is not None:
            room = self._room_by_topic(topic)
            if sender_id not in room.member_ids:
                raise ValueError(f"{sender_id!r} is not a member of {topic!r}")
            room_id = room.room_id
        mention_ids: list[str] = []
        if kind is MessageKind.TEXT:
            if mention_bot:
                mention_ids = [self.community.bot_id]
                if not text.startswith(f"@{self.community.bot_name}"):
                    text = f"@{self.community.bot_name}{MENTION_SEPARATOR}{text}"
        else:
            text = _media_text(kind)
        message_id = message_id or self._next_id()
        if data is not None:
            self._files[message_id] = (name, data)
        self._messages[message_id] = pb.MessagePayloadResponse(
            id=message_id,
            text=text,
            timestamp=self._timestamp_ms(),
            type=TS_MESSAGE_TYPE[kind],
            from_id=sender_id,
            room_id=room_id,
            to_id="" if room_id else self.community.bot_id,
            mention_ids=mention_ids,
        )
        self._emit(pb.EventType.EVENT_TYPE_MESSAGE, {"messageId": message_id})
        return message_id

    # ---- what the bot sent ---------------------------------------------------------

    async def wait_sent(self, n: int, timeout: float = 5.0) -> list[SentRecord]:
        """Wait until the bot has sent at least `n` messages in total; return all sent so far."""
        async with self._sent_changed:
            await asyncio.wait_for(self._sent_changed.wait_for(lambda: len(self.sent) >= n), timeout)
            return list(self.sent)

    def subscribe(self) -> asyncio.Queue[SentRecord]:
        """A queue receiving every message the bot sends from now on (for live views)."""
        queue: asyncio.Queue[SentRecord] = asyncio.Queue()
        self._subscribers.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[SentRecord]) -> None:
        self._subscribers.discard(queue)

    # ---- fault injection -----------------------------------------------------------

    def drop_stream(self) -> None:
        """End every open event stream normally, as a dying gateway does."""
        log.info("dropping %d event stream(s)", len(self._streams))
        for stream in list(self._streams):
            stream.queue.put_nowait(None)

    def set_unresponsive(self, unresponsive: bool) -> None:
        """While set, every call (Ding too) and the event stream hang until released."""
        log.info("gateway simulator %s", "unresponsive" if unresponsive else "responsive again")
        if unresponsive:
            self._responsive.clear()
        else:
            self._responsive.set()

    def fail_sends(self, n: int) -> None:
        """The next `n` MessageSendText calls fail with UNAVAILABLE."""
        self._failing_sends = n

    def hide_sent_payloads(self, hidden: bool = True) -> None:
        """While set, MessagePayload of messages the bot sent answers NOT_FOUND.

        wechaty reloads every message it sends; this is that reload failing after the
        text itself went out.
        """
        self._sent_payloads_hidden = hidden

    async def confirm_scan(self) -> None:
        """The operator scanned the QR code: the account logs in."""
        if self._account_logged_in:
            return
        self._account_logged_in = True
        if self._started:
            self._broadcast(self._scan_event(4))  # Confirmed
            self._broadcast(self._login_event())

    # ---- internals -----------------------------------------------------------------

    def _not_found(self, what: str) -> GRPCError:
        if self._npm_errors:
            return GRPCError(Status.UNKNOWN, f"no payload found: {what}")
        return GRPCError(Status.NOT_FOUND, what)

    def _next_id(self) -> str:
        return f"{self._id_prefix}-{next(self._ids)}"

    def _timestamp_ms(self) -> int:
        return int(self._clock.now().timestamp() * 1000)

    def _emit(self, event_type: pb.EventType, payload: dict[str, Any]) -> None:
        event = pb.EventResponse(type=event_type, payload=json.dumps(payload))
        if not self._streams:
            # Hold events while no client is attached, so a reconnecting bot still gets them.
            if len(self._pending) < _PENDING_EVENTS_MAX:
                self._pending.append(event)
            return
        for stream in self._streams:
            stream.queue.put_nowait(event)

    def _broadcast(self, event: pb.EventResponse) -> None:
        """To open streams only: presence events are re-sent to each new stream anyway."""
        for attached in self._streams:
            attached.queue.put_nowait(event)

    def _login_event(self) -> pb.EventResponse:
        return pb.EventResponse(
            type=pb.EventType.EVENT_TYPE_LOGIN,
            payload=json.dumps({"contactId": self.community.bot_id}),
        )

    def _scan_event(self, status: int) -> pb.EventResponse:
        payload: dict[str, Any] = {"status": status}
        if status == 2:  # Waiting
            payload["qrcode"] = self.qrcode
        return pb.EventResponse(type=pb.EventType.EVENT_TYPE_SCAN, payload=json.dumps(payload))

    def _presence_events(self) -> list[pb.EventResponse]:
        """What a client learns on attaching: logged in, or waiting for a QR scan."""
        if not self._started:
            return []
        return [self._login_event() if self._account_logged_in else self._scan_event(2)]

    async def _enter(self, name: str, stream: grpclib.server.Stream[Any, Any]) -> Any:
        """Common RPC prologue: read the request, count the call, hang while unresponsive."""
        request = await stream.recv_message()
        self.calls[name] = self.calls.get(name, 0) + 1
        await self._responsive.wait()
        return request

    async def _rpc_start(self, stream: grpclib.server.Stream[Any, Any]) -> None:
        await self._enter("Start", stream)
        if not self._started:
            self._started = True
            for event in self._presence_events():
                self._broadcast(event)
        await stream.send_message(pb.StartResponse())

    async def _rpc_stop(self, stream: grpclib.server.Stream[Any, Any]) -> None:
        await self._enter("Stop", stream)
        self._started = False
        await stream.send_message(pb.StopResponse())

    async def _rpc_logout(self, stream: grpclib.server.Stream[Any, Any]) -> None:
        await self._enter("Logout", stream)
        await stream.send_message(pb.LogoutResponse())

    async def _rpc_version(self, stream: grpclib.server.Stream[Any, Any]) -> None:
        await self._enter("Version", stream)
        await stream.send_message(pb.VersionResponse(version="gridbot-gateway-sim"))

    async def _rpc_dirty_payload(self, stream: grpclib.server.Stream[Any, Any]) -> None:
        await self._enter("DirtyPayload", stream)
        await stream.send_message(pb.DirtyPayloadResponse())

    async def _rpc_ding(self, stream: grpclib.server.Stream[Any, Any]) -> None:
        request = await self._enter("Ding", stream)
        await stream.send_message(pb.DingResponse())
        self._broadcast(pb.EventResponse(
            type=pb.EventType.EVENT_TYPE_DONG, payload=json.dumps({"data": request.data}),
        ))

    async def _rpc_event(self, stream: grpclib.server.Stream[Any, Any]) -> None:
        await self._enter("Event", stream)
        attached = _EventStream()
        for event in self._presence_events():
            attached.queue.put_nowait(event)
        for event in self._pending:
            attached.queue.put_nowait(event)
        self._pending.clear()
        self._streams.add(attached)
        log.info("event stream attached (%d open)", len(self._streams))
        try:
            while True:
                event = await attached.queue.get()
                if event is None:
                    return
                await self._responsive.wait()
                await stream.send_message(event)
        finally:
            self._streams.discard(attached)
            log.info("event stream closed (%d open)", len(self._streams))

    async def _rpc_contact_list(self, stream: grpclib.server.Stream[Any, Any]) -> None:
        await self._enter("ContactList", stream)
        await stream.send_message(pb.ContactListResponse(ids=list(self._names)))

    async def _rpc_contact_payload(self, stream: grpclib.server.Stream[Any, Any]) -> None:
        request = await self._enter("ContactPayload", stream)
        name = self._names.get(request.id)
        if name is None:
            raise self._not_found(f"contact {request.id} not found")
        await stream.send_message(pb.ContactPayloadResponse(
            id=request.id, name=name, type=pb.ContactType.CONTACT_TYPE_PERSONAL, friend=True,
        ))

    async def _rpc_room_list(self, stream: grpclib.server.Stream[Any, Any]) -> None:
        await self._enter("RoomList", stream)
        await stream.send_message(pb.RoomListResponse(ids=list(self._rooms)))

    async def _rpc_room_payload(self, stream: grpclib.server.Stream[Any, Any]) -> None:
        request = await self._enter("RoomPayload", stream)
        room = self._room(request.id)
        await stream.send_message(pb.RoomPayloadResponse(
            id=room.room_id, topic=room.topic, owner_id=self.community.bot_id,
            admin_ids=[self.community.bot_id], member_ids=list(room.member_ids),
        ))

    async def _rpc_room_member_list(self, stream: grpclib.server.Stream[Any, Any]) -> None:
        request = await self._enter("RoomMemberList", stream)
        await stream.send_message(pb.RoomMemberListResponse(member_ids=list(self._room(request.id).member_ids)))

    async def _rpc_room_member_payload(self, stream: grpclib.server.Stream[Any, Any]) -> None:
        request = await self._enter("RoomMemberPayload", stream)
        room = self._room(request.id)
        if request.member_id not in room.member_ids:
            raise self._not_found(f"{request.member_id} is not in room {request.id}")
        await stream.send_message(pb.RoomMemberPayloadResponse(
            id=request.member_id, name=self._names[request.member_id],
        ))

    async def _rpc_message_payload(self, stream: grpclib.server.Stream[Any, Any]) -> None:
        request = await self._enter("MessagePayload", stream)
        payload = self._messages.get(request.id)
        if payload is not None and self._sent_payloads_hidden and payload.from_id == self.community.bot_id:
            payload = None
        if payload is None:
            raise self._not_found(f"message {request.id} not found")
        await stream.send_message(payload)

    async def _rpc_message_send_text(self, stream: grpclib.server.Stream[Any, Any]) -> None:
        request = await self._enter("MessageSendText", stream)
        if self._failing_sends > 0:
            self._failing_sends -= 1
            raise GRPCError(Status.UNAVAILABLE, "simulated send failure")
        conversation_id: str = request.conversation_id
        mention_ids = tuple(request.mentonal_ids)  # sic: the proto field is misspelt
        if conversation_id in self._rooms:
            chat_kind, chat_id = ChatKind.GROUP, self._rooms[conversation_id].topic
            room_id, to_id = conversation_id, ""
        elif conversation_id in self._names and conversation_id != self.community.bot_id:
            chat_kind, chat_id = ChatKind.PRIVATE, conversation_id
            room_id, to_id = "", conversation_id
        else:
            raise self._not_found(f"conversation {conversation_id} not found")
        message_id = self._next_id()
        timestamp = self._timestamp_ms()
        self._messages[message_id] = pb.MessagePayloadResponse(
            id=message_id, text=request.text, timestamp=timestamp, type=TS_MESSAGE_TYPE[MessageKind.TEXT],
            from_id=self.community.bot_id, room_id=room_id, to_id=to_id, mention_ids=list(mention_ids),
        )
        record = SentRecord(
            chat_kind=chat_kind, chat_id=chat_id, text=request.text, mention_ids=mention_ids,
            at=self._clock.now(), message_id=message_id, conversation_id=conversation_id,
        )
        await stream.send_message(pb.MessageSendTextResponse(id=message_id))
        async with self._sent_changed:
            self.sent.append(record)
            self._sent_changed.notify_all()
        for queue in self._subscribers:
            queue.put_nowait(record)
        if self._echo_sent:
            self._emit(pb.EventType.EVENT_TYPE_MESSAGE, {"messageId": message_id})

    def _file_box(self, message_id: str) -> str:
        found = self._files.get(message_id)
        if found is None:
            raise self._not_found(f"no file for message {message_id}")
        name, data = found
        return json.dumps({"boxType": 1, "name": name, "base64": base64.b64encode(data).decode()})

    async def _rpc_message_image(self, stream: grpclib.server.Stream[Any, Any]) -> None:
        request = await self._enter("MessageImage", stream)
        await stream.send_message(pb.MessageImageResponse(filebox=self._file_box(request.id)))

    async def _rpc_message_file(self, stream: grpclib.server.Stream[Any, Any]) -> None:
        request = await self._enter("MessageFile", stream)
        await stream.send_message(pb.MessageFileResponse(filebox=self._file_box(request.id)))

    async def _rpc_message_send_file(self, stream: grpclib.server.Stream[Any, Any]) -> None:
        """The bot sends a picture: recorded in `sent` with its bytes (image) and an empty text."""
        request = await self._enter("MessageSendFile", stream)
        if self._failing_sends > 0:
            self._failing_sends -= 1
            raise GRPCError(Status.UNAVAILABLE, "simulated send failure")
        conversation_id: str = request.conversation_id
        if conversation_id in self._rooms:
            chat_kind, chat_id = ChatKind.GROUP, self._rooms[conversation_id].topic
        elif conversation_id in self._names and conversation_id != self.community.bot_id:
            chat_kind, chat_id = ChatKind.PRIVATE, conversation_id
        else:
            raise self._not_found(f"conversation {conversation_id} not found")
        box = json.loads(request.filebox)
        data = base64.b64decode(box.get("base64") or b"")
        message_id = self._next_id()
        is_room = chat_kind is ChatKind.GROUP
        self._messages[message_id] = pb.MessagePayloadResponse(   # wechaty reloads what it sent
            id=message_id, text="", timestamp=self._timestamp_ms(), type=TS_MESSAGE_TYPE[MessageKind.IMAGE],
            from_id=self.community.bot_id, room_id=conversation_id if is_room else "",
            to_id="" if is_room else conversation_id, mention_ids=[])
        record = SentRecord(chat_kind=chat_kind, chat_id=chat_id, text="", mention_ids=(), at=self._clock.now(),
                            message_id=message_id, conversation_id=conversation_id, image=data)
        await stream.send_message(pb.MessageSendFileResponse(id=message_id))
        async with self._sent_changed:
            self.sent.append(record)
            self._sent_changed.notify_all()
        for queue in self._subscribers:
            queue.put_nowait(record)

    def _room(self, room_id: str) -> _Room:
        room = self._rooms.get(room_id)
        if room is None:
            raise self._not_found(f"room {room_id} not found")
        return room


def _media_text(kind: MessageKind) -> str:
    """Roughly what gateways put in `text` for media: XML, never something to read as chat."""
    if kind is MessageKind.IMAGE:
        return '<msg><img length="10240" md5="0f0f" cdnthumburl="sim" /></msg>'
    if kind is MessageKind.VOICE:
        return '<msg><voicemsg voicelength="3000" length="4000" /></msg>'
    if kind is MessageKind.STICKER:
        return '<msg><emoji md5="0f0f" cdnurl="http://emoji.qpic.cn/sim" /></msg>'
    return '<msg><appmsg><title>file.pdf</title><type>6</type></appmsg></msg>'
