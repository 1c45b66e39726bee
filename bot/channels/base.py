"""What a channel (wechaty, gateway simulator, scripted simulator, sandbox) must offer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from kernel.message import IncomingMessage, OutgoingMessage

MessageHandler = Callable[[IncomingMessage], Awaitable[None]]


class ChannelError(Exception):
    """A send failed in a way worth retrying later (gateway down, timeout)."""


class PermanentChannelError(ChannelError):
    """A send can never succeed (unknown group or contact): do not retry."""


class Channel(Protocol):
    name: str

    async def start(self, on_message: MessageHandler) -> None:
        """Connect and begin delivering incoming messages to `on_message`. Returns once connected."""

    async def stop(self) -> None: ...

    async def send(self, out: OutgoingMessage) -> None:
        """Deliver one message; return only when the far side reported success.

        Raise ChannelError (retry later) or PermanentChannelError (give up)."""

    def is_ready(self) -> bool: ...
