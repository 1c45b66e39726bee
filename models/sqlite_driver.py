"""SQLite for the async engine without a thread hop per call (issue 16).

SQLAlchemy's aiosqlite dialect sends every DBAPI call (cursor, execute, fetchall, close: 3–4 per
statement) to aiosqlite's thread and back, ≈ 60 µs of CPU each on these machines, while the statement
itself takes a few µs. This DBAPI adapter (given to the aiosqlite dialect as its `module`) makes one
await per statement, and the sqlite3 call runs right there on the event loop — except on connections marked
`threaded` (read-only sessions: an inbox page over 100k needs, an export), whose calls go to a worker
thread, one hop per statement (sqlite3 releases the GIL while it works).

Running on the loop means it must never wait on the loop:
- SQLite's busy handler would sleep inside the call, so connections have busy_timeout 0 and a busy
  database (another process — a backup, the sqlite3 shell, a CLI command — holding the write lock) is
  retried here with `asyncio.sleep` in between, up to BUSY_WAIT_S; in-process writers never meet it,
  they queue for the write lock in Python (models/db.py).
- a batch of inline statements gives the loop a turn at least every YIELD_S, so a long group commit does
  not hold up the web pages, the sender or incoming messages.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.util.concurrency import await_only, in_greenlet

BUSY_WAIT_S = 5.0      # as the busy_timeout the threaded driver had: then "database is locked"
YIELD_S = 0.005        # the longest stretch of inline statements before the loop gets a turn
_BUSY = 5              # SQLITE_BUSY (extended codes share the low byte)
_RETRY_FIRST_S, _RETRY_MAX_S = 0.001, 0.05

_threads = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sqlite")
_local = threading.local()   # per event loop thread: when the inline run without a loop turn began


def _loop_had_a_turn() -> None:
    _local.since = None


async def _maybe_yield() -> None:
    since = getattr(_local, "since", None)
    now = time.perf_counter()
    if since is None:
        _local.since = now
        asyncio.get_running_loop().call_soon(_loop_had_a_turn)
    elif now - since > YIELD_S:
        await asyncio.sleep(0)


def _retryable(exc: sqlite3.OperationalError, conn: sqlite3.Connection, operation: str) -> bool:
    """A busy error is retried where nothing was done yet: outside a transaction (BEGIN IMMEDIATE, the
    connect pragmas), at COMMIT, and for a read; a write inside a transaction that meets a busy database
    is a real conflict (SQLite's own busy handler would not wait there either)."""
    if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) != _BUSY:
        return False
    if not conn.in_transaction:
        return True
    head = operation.lstrip()[:6].upper()
    return head in ("COMMIT", "SELECT")


class Cursor:
    """A buffered cursor: the statement runs and its rows are fetched in one call."""

    __slots__ = ("_conn", "description", "rowcount", "lastrowid", "arraysize", "_rows")
    server_side = False

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1
        self._rows: deque[Any] = deque()

    def _run(self, operation: str, parameters: Any, many: bool) -> None:
        cur = self._conn._raw.cursor()
        try:
            if many:
                cur.executemany(operation, parameters)
            elif parameters is None:
                cur.execute(operation)
            else:
                cur.execute(operation, parameters)
            if cur.description:
                self.description = cur.description
                self._rows = deque(cur.fetchall())
                self.rowcount = self.lastrowid = -1
            else:
                self.description = None
                self.rowcount = cur.rowcount
                self.lastrowid = cur.lastrowid
        finally:
            cur.close()

    def execute(self, operation: str, parameters: Any = None) -> None:
        self._conn._call(operation, self._run, operation, parameters, False)

    def executemany(self, operation: str, seq_of_parameters: Any) -> None:
        self._conn._call(operation, self._run, operation, seq_of_parameters, True)

    def setinputsizes(self, *inputsizes: Any) -> None:
        pass

    async def _async_soft_close(self) -> None:   # the async result's hook: rows are already in memory
        return

    def close(self) -> None:
        self._rows.clear()

    def __iter__(self) -> Any:
        while self._rows:
            yield self._rows.popleft()

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._rows
        return [rows.popleft() for _ in range(min(size or self.arraysize, len(rows)))]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows


class Connection:
    """The DBAPI connection SQLAlchemy sees; `threaded` is set per transaction by models/db.py."""

    def __init__(self, dbapi: Dbapi, raw: sqlite3.Connection) -> None:
        self.dbapi = dbapi
        self._raw = raw
        self._connection = raw      # what the dialect's get_driver_connection hands out
        self.threaded = False
        # One call at a time, even when a cancelled task left its statement running in a worker thread:
        # the next call (a rollback, say) waits for it — cut short by interrupt() — instead of racing it.
        self._lock = threading.Lock()

    def _locked(self, fn: Callable[..., Any], *args: Any) -> Any:
        with self._lock:
            return fn(*args)

    def _call(self, operation: str, fn: Callable[..., Any], *args: Any, ending: bool = False) -> Any:
        if not in_greenlet():       # pool clean-up outside an async call (a finaliser): plain and inline
            return self._locked(fn, *args)
        return await_only(self._acall(operation, fn, args, ending or not self.threaded, ending))

    async def _acall(self, operation: str, fn: Callable[..., Any], args: tuple[Any, ...], inline: bool,
                     ending: bool) -> Any:
        delay, deadline = _RETRY_FIRST_S, 0.0
        while True:
            try:
                if inline:
                    if not ending:      # a turn for the loop, but not between the lock's hand-over and COMMIT
                        await _maybe_yield()
                    return self._locked(fn, *args)
                try:
                    return await asyncio.get_running_loop().run_in_executor(_threads, self._locked, fn, *args)
                except asyncio.CancelledError:
                    self._raw.interrupt()
                    raise
            except sqlite3.OperationalError as exc:
                if not _retryable(exc, self._raw, operation):
                    raise
                now = time.monotonic()
                deadline = deadline or now + BUSY_WAIT_S
                if now >= deadline:
                    raise
                await asyncio.sleep(delay)
                delay = min(_RETRY_MAX_S, delay * 2)

    @property
    def isolation_level(self) -> str | None:
        return self._raw.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._raw.isolation_level = value

    def create_function(self, *args: Any, **kw: Any) -> None:
        self._raw.create_function(*args, **kw)

    def cursor(self, server_side: bool = False) -> Cursor:
        return Cursor(self)    # server-side cursors are buffered too: rows come in one call

    def execute(self, *args: Any) -> Any:
        return self._call(str(args[0]), self._raw.execute, *args)

    # Ending a transaction is quick whatever it did (WAL): inline even on a threaded connection.
    def commit(self) -> None:
        self._call("COMMIT", self._raw.commit, ending=True)

    def rollback(self) -> None:
        self._call("ROLLBACK", self._raw.rollback, ending=True)

    def close(self) -> None:
        self._locked(self._raw.close)

    def terminate(self) -> None:
        self._raw.interrupt()
        self._locked(self._raw.close)


class Dbapi:
    """The module-like DBAPI object the dialect is given."""

    paramstyle = "qmark"
    has_stop = True

    def __init__(self) -> None:
        self.sqlite = sqlite3
        for name in ("DatabaseError", "Error", "IntegrityError", "NotSupportedError", "OperationalError",
                     "ProgrammingError", "sqlite_version", "sqlite_version_info", "PARSE_COLNAMES",
                     "PARSE_DECLTYPES", "Binary"):
            setattr(self, name, getattr(sqlite3, name))

    def connect(self, *args: Any, **kw: Any) -> Connection:
        kw.pop("async_fallback", None)
        kw.pop("async_creator_fn", None)
        kw["timeout"] = 0          # busy: retried by Connection._acall, never slept on inside SQLite
        kw["check_same_thread"] = False   # threaded calls come from a pool thread, one at a time
        return Connection(self, sqlite3.connect(*args, **kw))

