"""One login throttle for the inbox page and the API: failed tries per user name and per client address.

- The name is normalised (strip, NFKC, casefold): " wang", "WANG" and full-width "ｗａｎｇ" are one key.
- Atomic: a try is counted *before* the password is checked (there is no await between the check and the
  count), so 40 parallel tries check at most `limit` passwords; a success takes its try back.
- Bounded memory that cannot be flushed: at most `capacity` keys (least recently used evicted first) and a
  global ceiling of failed tries per window. Every try touches two keys, so while fewer than `capacity / 2`
  tries are counted, no key with a try in the window is ever evicted; past the ceiling every login waits.
  A spray of random names therefore locks the door instead of wiping the guessed user's count.
In memory: a restart forgets, which is fine for slowing a guesser down."""

from __future__ import annotations

import unicodedata
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta


def normal_name(username: str) -> str:
    return unicodedata.normalize("NFKC", username.strip()).casefold()


@dataclass
class Ticket:
    """One login try: `wait` minutes to wait (0: it was counted and may go ahead)."""

    wait: int
    keys: tuple[str, ...] = ()
    at: datetime | None = None


@dataclass
class Throttle:
    window: timedelta = timedelta(minutes=15)
    per_user: int = 5            # a user's typos
    per_address: int = 30        # a whole office behind one NAT must not be locked out by one person
    ceiling: int = 1000          # tries per window across all keys
    capacity: int = 4096         # keys kept; >= 2 * ceiling, see the module comment
    _tries: OrderedDict[str, deque[datetime]] = field(default_factory=OrderedDict)
    _all: deque[datetime] = field(default_factory=deque)

    def __post_init__(self) -> None:
        if self.capacity < 2 * self.ceiling:
            raise ValueError("capacity must hold two keys per try under the ceiling")

    def _recent(self, queue: deque[datetime], now: datetime) -> deque[datetime]:
        while queue and now - queue[0] >= self.window:
            queue.popleft()
        return queue

    def _wait(self, queue: deque[datetime], limit: int, now: datetime) -> int:
        if len(self._recent(queue, now)) < limit:
            return 0
        return int((self.window - (now - queue[0])).total_seconds() // 60) + 1

    def begin(self, username: str, address: str | None, now: datetime) -> Ticket:
        """Count a try for this name and address, or say how long to wait."""
        keys = (f"u:{normal_name(username)}", f"ip:{address or '?'}")
        limits = (self.per_user, self.per_address)
        wait = self._wait(self._all, self.ceiling, now)
        for key, limit in zip(keys, limits):
            if key in self._tries:
                wait = max(wait, self._wait(self._tries[key], limit, now))
        if wait:
            return Ticket(wait)
        for key in keys:
            self._tries.setdefault(key, deque()).append(now)
            self._tries.move_to_end(key)
        self._all.append(now)
        while len(self._tries) > self.capacity:
            self._tries.popitem(last=False)
        return Ticket(0, keys, now)

    def succeeded(self, ticket: Ticket) -> None:
        """The password was right: forget the name's failures and give this try back to the address."""
        if not ticket.keys:
            return
        user, address = ticket.keys
        self._tries.pop(user, None)
        for queue in (self._tries.get(address), self._all):
            if queue is not None and ticket.at in queue:
                queue.remove(ticket.at)

    def __len__(self) -> int:
        return len(self._tries)


@dataclass
class RateLimit:
    """At most `limit` hits per key in `window` (the H5 survey's posts per client address). Keys are
    kept least-recently-used first and at most `capacity` of them."""

    limit: int
    window: timedelta
    capacity: int = 4096
    _hits: OrderedDict[str, deque[datetime]] = field(default_factory=OrderedDict)

    def hit(self, key: str, now: datetime) -> bool:
        """Count a hit; False when over the limit (the hit is not counted then)."""
        queue = self._hits.setdefault(key, deque())
        self._hits.move_to_end(key)
        while queue and now - queue[0] >= self.window:
            queue.popleft()
        if len(queue) >= self.limit:
            return False
        queue.append(now)
        while len(self._hits) > self.capacity:
            self._hits.popitem(last=False)
        return True
