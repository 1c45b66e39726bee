"""The inbox's live feed: one poller per process reads the needs (and suggestions) changed since the last
poll (every operation sets `updated_at`) every `Notifier.interval` seconds and fans them out to the open
pages over Server-Sent Events; a page then re-fetches its list. The web's own actions (pages and the JSON
API) poke the poller so that their effect shows at once. One query per interval whatever the number of
open pages, correct on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from models import inbox as M

log = logging.getLogger("gridbot.inbox")
LOOKBACK = timedelta(seconds=10)


class Notifier:
    """Polls the needs (and suggestions) tables and fans changes out to subscriber queues."""

    def __init__(self, core: Any, interval: float = 2.0) -> None:
        self.core = core
        self.interval = interval
        self.subscribers: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self.owners: dict[asyncio.Queue[dict[str, Any] | None], tuple[int, str, str]] = {}  # user, via, token hash
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.polls = 0

    async def subscribe(self, owner: tuple[int, str, str] | None = None) -> asyncio.Queue[dict[str, Any] | None]:
        """A queue of every change committed from now on. The first subscriber starts the poller, which
        takes its starting point before this returns: a page that re-reads its list once the stream
        is open (inbox.js does) misses nothing in between."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=1000)
        self.subscribers.add(queue)
        if owner is not None:
            self.owners[queue] = owner
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            started = asyncio.get_running_loop().create_future()
            self._task = asyncio.create_task(self._run(started), name="inbox-notifier")
            await asyncio.wait([started, self._task], return_when=asyncio.FIRST_COMPLETED)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        self.subscribers.discard(queue)
        self.owners.pop(queue, None)

    def end_streams(self, user_id: int, token_hash: str) -> None:
        """A logout: the streams of that session and of the user's API tokens end now (streams of other
        processes notice at their next keep-alive, when they re-check their session)."""
        for queue, (uid, via, hashed) in list(self.owners.items()):
            if hashed == token_hash or (uid == user_id and via == "token"):
                while queue.full():
                    queue.get_nowait()
                queue.put_nowait({"type": "ended"})

    def end_user(self, user_id: int) -> None:
        """An account disabled: every stream of that user (pages and API tokens alike) ends now."""
        for queue, (uid, _via, _hashed) in list(self.owners.items()):
            if uid == user_id:
                while queue.full():
                    queue.get_nowait()
                queue.put_nowait({"type": "ended"})

    def poke(self) -> None:
        """Poll now (after a web action) rather than at the next interval."""
        self._wake.set()

    def _publish(self, event: dict[str, Any] | None) -> None:
        for queue in list(self.subscribers):
            with contextlib.suppress(asyncio.QueueFull):    # a stalled page misses events; it re-syncs on reload
                queue.put_nowait(event)

    def end_all(self) -> None:
        """Every open stream ends (the server is going down); the poller stops with the last of them."""
        self._publish(None)

    async def close(self) -> None:
        self._publish(None)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def _run(self, started: asyncio.Future[None]) -> None:
        core = self.core
        since: datetime | None = None
        max_id = max_sug = 0
        seen: set[tuple[int, datetime, str]] = set()
        sug_since: datetime | None = None
        seen_sugs: set[tuple[int, str]] = set()
        while self.subscribers:
            try:
                async with core.reads() as session:
                    if since is None:
                        since, max_id, max_sug = await M.latest_update(session)
                        since = since or datetime(1970, 1, 1, tzinfo=timezone.utc)
                        sug_since = core.clock.now()
                        seen = {(r.id, r.updated_at, r.status) for r in await M.changed_needs(session, since - LOOKBACK)}
                    else:
                        # Look back a little: a transaction that took its `now` earlier may commit later.
                        rows = await M.changed_needs(session, since - LOOKBACK)
                        sugs = await M.new_suggestions(session, max_sug, sug_since)
                        polled_at = core.clock.now()
                        events = []
                        for r in rows:
                            key = (r.id, r.updated_at, r.status)
                            if key in seen:
                                continue
                            seen.add(key)
                            events.append({"type": "need", "code": r.code, "urgent": bool(r.urgent),
                                           "new": r.id > max_id, "status": r.status, "grid": r.grid,
                                           "department": r.department, "assignee": r.assignee,
                                           "updated": int(r.updated_at.timestamp() * 1000)})
                        if rows:
                            since = max(since, max(r.updated_at for r in rows))
                            max_id = max(max_id, max(r.id for r in rows))
                            seen = {k for k in seen if k[1] >= since - LOOKBACK}
                        for s in sugs:
                            if (s.id, s.status) not in seen_sugs:
                                events.append({"type": "suggestion", "id": s.id, "urgent": bool(s.urgent),
                                               "new": s.id > max_sug, "grid": s.grid})
                        max_sug = max([max_sug, *(s.id for s in sugs)])
                        seen_sugs = {(s.id, s.status) for s in sugs}     # the next poll returns no others
                        sug_since = polled_at - LOOKBACK
                        for event in events:
                            self._publish(event)
                self.polls += 1
            except Exception:   # the database may be restarting: keep the pages, try again
                log.exception("inbox live feed: poll failed")
            if not started.done():
                started.set_result(None)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
        self._task = None


NOTIFIER = web.AppKey("inbox_notifier", Notifier)
