"""What a channel (wechaty, gateway simulator, scripted simulator, sandbox) must offer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

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


T = TypeVar("T")


async def connect_within(connect: Callable[[], Awaitable[T]], refused: type[Exception], *, start_timeout: float,
                            backoff_initial: float, backoff_max: float, log: logging.Logger, what: str) -> T:
    """The first connection of a channel: retry with doubling backoff until `start_timeout`, then one
    ChannelError naming `what`; a refused credential (`refused`) is raised at once (retrying cannot help)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + start_timeout
    delay = backoff_initial
    while True:
        try:
            return await connect()
        except refused:
            raise
        except ChannelError as exc:
            if loop.time() + delay >= deadline:
                raise ChannelError(f"could not connect to {what} within {start_timeout:g}s: {exc}") from exc
            log.warning("connect to %s failed: %s; retrying in %.1fs", what, exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, backoff_max)


class InOrderDelivery:
    """Received messages handed to the router one at a time, in arrival order, never concurrently — the
    router's group commit and the dedup record rely on it. Started with the channel, closed with it."""

    def __init__(self, on_message: MessageHandler, log: logging.Logger, name: str) -> None:
        self._queue: asyncio.Queue[IncomingMessage] = asyncio.Queue()
        self._handler = on_message
        self._log = log
        self._task: asyncio.Task[None] | None = asyncio.create_task(self._loop(), name=name)

    def put(self, incoming: IncomingMessage) -> None:
        self._queue.put_nowait(incoming)

    async def drain(self, timeout: float) -> None:
        """Wait (at most `timeout` s) until everything received has been handed over."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._queue.join(), timeout)

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            incoming = await self._queue.get()
            try:
                await self._handler(incoming)
            except Exception:
                self._log.exception("message handler failed on %s", incoming.id)
            finally:
                self._queue.task_done()
