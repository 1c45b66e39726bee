"""A channel that records what the bot sends, stamped with (simulated) time: `gridbot simulate` and tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.channels.base import MessageHandler
from kernel.clock import Clock
from kernel.message import ChatKind, OutgoingMessage


@dataclass(frozen=True)
class Delivered:
    at: str
    to: str
    text: str
    mentions: tuple[str, ...]

    def as_json(self) -> str:
        return json.dumps({"at": self.at, "to": self.to, "text": self.text, "mentions": list(self.mentions)},
                          ensure_ascii=False)


class ScriptChannel:
    name = "script"

    def __init__(self, clock: Clock, tz: ZoneInfo, out: TextIO | None = None,
                 on_send: Callable[[Delivered], None] | None = None) -> None:
        self.clock = clock
        self.tz = tz
        self.out = out
        self.on_send = on_send
        self.delivered: list[Delivered] = []

    async def start(self, on_message: MessageHandler) -> None:
        pass

    async def stop(self) -> None:
        pass

    def is_ready(self) -> bool:
        return True

    async def send(self, out: OutgoingMessage) -> None:
        to = out.chat_id if out.chat_kind == ChatKind.GROUP else f"私聊:{out.chat_id}"
        text = f"[图片] {out.text}" if out.image else out.text     # a photo goes first, then its words
        item = Delivered(self.clock.now().astimezone(self.tz).isoformat(), to, text, out.mentions)
        self.delivered.append(item)
        if self.out is not None:
            self.out.write(item.as_json() + "\n")
            self.out.flush()
        if self.on_send:
            self.on_send(item)
