"""Transport-neutral messages: what every channel produces and consumes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class MessageKind(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    STICKER = "sticker"
    VOICE = "voice"      # a voice note the channel could not transcribe (a transcribed one arrives as TEXT)
    FILE = "file"        # any other attachment (a PDF, a video): not read, answered politely
    OTHER = "other"


class ChatKind(StrEnum):
    GROUP = "group"
    PRIVATE = "private"


@dataclass(frozen=True, slots=True)
class Media:
    """An attachment as the channel delivered it (already decrypted): the bytes, bounded by the channel
    to what it may download, and what the channel says it is. `kind` is "image", "voice" or "file"."""

    kind: str
    data: bytes = b""
    mime: str = ""
    name: str = ""
    transcript: str = ""          # voice: the channel's transcription, when it gives one

    def __repr__(self) -> str:    # never dump megabytes into a log line
        return f"Media({self.kind}, {len(self.data)} bytes, {self.mime or '?'})"


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One message as the router sees it, whatever channel it came from."""

    id: str                      # the channel's message id (dedup key together with `account`)
    account: str                 # the bot account that received it (config bot.contact_id)
    channel: str                 # "wechaty", "script", "sandbox", "bench"…
    sender_id: str               # WeChat contact id of the author
    sender_name: str             # display name as the channel reports it
    text: str
    at: datetime                 # timezone-aware
    group_id: str | None = None  # channel room id; None for a private chat
    group_topic: str | None = None
    mentions_bot: bool = False
    kind: MessageKind = MessageKind.TEXT
    media: tuple[Media, ...] = ()    # an image / voice / file message's attachment; a mixed message's pictures
    heard: bool = False              # the text is the channel's transcription of a voice note

    @property
    def is_private(self) -> bool:
        return self.group_id is None and self.group_topic is None


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One row of the outbox, handed to a channel to deliver.

    `chat_id` is the group topic for a group (topics are unique per config) or the
    contact id for a private chat. `key` is the outbox delivery key: unique per row. `reply_to` is set
    on a direct answer to a message; pushes, alerts and notices to others have none.
    """

    key: str
    chat_kind: ChatKind
    chat_id: str
    text: str
    mentions: tuple[str, ...] = field(default_factory=tuple)
    reply_to: str | None = None   # the IncomingMessage.id this answers (channels that reply in-thread use it)
    image: str | None = None      # a photo to send with (before) the text: its file path (models/photos.py)
