"""Engines and sessions: SQLite (default, a file in the data dir) or PostgreSQL (asyncpg), and migrations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.util import await_only

from models import sqlite_driver

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def normalise_url(url: str) -> str:
    """Accept the URLs operators paste (postgres://, postgresql://, sqlite:///) and pick async drivers."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url[len("postgresql://"):]
    if url.startswith("sqlite:///"):
        url = "sqlite+aiosqlite:///" + url[len("sqlite:///"):]
    return url


WRITE_LOCK_WAIT_S = 30.0   # a writer waiting longer than this gets "database is locked" (a stuck transaction)


def make_engine(url: str, *, pool_size: int = 5) -> AsyncEngine:
    url = normalise_url(url)
    # hide_parameters: an error message must not carry need texts or a 树洞 sender's id into the log.
    if url.startswith("sqlite"):
        # The aiosqlite dialect with a DBAPI adapter that runs sqlite3 on the event loop (models/sqlite_driver.py).
        engine = create_async_engine(url, module=sqlite_driver.Dbapi(), hide_parameters=True)
        _sqlite_setup(engine)
    else:
        engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                                     hide_parameters=True)
    _count_writes(engine)
    return engine


_WRITES = "gridbot_writes"
_READS = ("SELECT", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "select")


def _count_writes(engine: AsyncEngine) -> None:
    """Count statements that may change rows, per connection: the router asks whether a message that
    turned out not to be its business wrote anything besides its dedup row (bot/router.py)."""
    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        if not statement.lstrip().startswith(_READS):
            conn.info[_WRITES] = conn.info.get(_WRITES, 0) + 1


async def write_counter(session: AsyncSession) -> Callable[[], int]:
    """How many row-changing statements the session's connection has run so far (compare two calls).
    Taken once per transaction: reading it is then a dict lookup, not an await per message."""
    conn = (await session.connection()).sync_connection
    info = conn.info if conn is not None else {}
    return lambda: info.get(_WRITES, 0)


async def flush_if_dirty(session: AsyncSession) -> None:
    """session.flush(), without the trip into SQLAlchemy's greenlet when there is nothing to write."""
    sync = session.sync_session
    if sync.new or sync.deleted or sync.identity_map.check_modified():
        await session.flush()


class WriteQueue:
    """How many transactions wait for the SQLite write lock right now (tests, health)."""

    waiting: int = 0
    owner: object = None     # the asyncio task whose transaction holds the lock


_WRITE_QUEUES: WeakKeyDictionary[Engine, WriteQueue] = WeakKeyDictionary()


def write_queue(engine: AsyncEngine) -> WriteQueue:
    """The engine's writer queue; PostgreSQL engines have none to speak of (always 0)."""
    return _WRITE_QUEUES.get(engine.sync_engine) or WriteQueue()


_READ_ONLY = "gridbot_read_only"   # execution option set by read_sessionmaker's engine
_HOLDS_LOCK = "gridbot_write_lock"  # connection info key: this connection holds the Python write lock


def _sqlite_setup(engine: AsyncEngine) -> None:
    """SQLite has one write lock per file. Writers queue for it here, in Python, first come first served
    (an asyncio.Lock is FIFO), instead of polling SQLite's busy handler — which wakes in growing steps
    and lets a newcomer overtake a writer that has waited seconds (issue 16: reply p50 4 s at 300 msg/s).
    Read-only sessions (read_sessionmaker) begin DEFERRED and never take either lock: in WAL mode they
    read a snapshot while a writer works."""
    sync_engine = engine.sync_engine
    lock = asyncio.Lock()
    queue = _WRITE_QUEUES[sync_engine] = WriteQueue()

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        # FACTS.md: without a busy wait concurrent writers lose rows to "database is locked". In this process
        # writers queue in Python (below); against other processes sqlite_driver retries a busy database
        # without blocking the loop, so SQLite's own busy_timeout stays 0.
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        # auto_vacuum first: it only takes effect on a file that has no table yet (a new database), so
        # the maintenance job can give free pages back (PRAGMA incremental_vacuum). A file created
        # before keeps auto_vacuum=NONE — the pragma is then a no-op — until an offline `VACUUM` rewrites
        # it (README, "Operations"); until then the file does not shrink, freed pages are reused.
        # Only on an empty file: on one with tables the pragma waits for the write lock (a read session
        # opened during a long write would then wait too — tests/test_write_lock.py).
        cur.execute("PRAGMA page_count")
        if cur.fetchone()[0] == 0:
            cur.execute("PRAGMA auto_vacuum=INCREMENTAL")
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        driver = conn.connection.dbapi_connection
        driver.threaded = False
        read_only = conn.get_execution_options().get(_READ_ONLY)
        if read_only:
            # query_only: a write through a read session fails at once and loudly, instead of upgrading a
            # stale snapshot to a write and failing under load with "database is locked".
            _query_only(conn, True)
            conn.exec_driver_sql("BEGIN")
            # A read may be long (an inbox page over 100k needs): its statements go to a worker thread.
            # Writes are short and queue for the lock anyway: they run on the loop (sqlite_driver.py).
            driver.threaded = read_only != "short"
            return
        if not conn.info.get(_HOLDS_LOCK):
            me = asyncio.current_task()
            if lock.locked() and queue.owner is me:
                # Waiting would never end: this task's other transaction holds the lock until we return.
                raise OperationalError("BEGIN IMMEDIATE", None, Exception(
                    "database is locked (a second write transaction in the task that holds the write lock)"))
            # We run inside SQLAlchemy's greenlet: await_only hands the wait to the event loop.
            queue.waiting += 1
            try:
                await_only(asyncio.wait_for(lock.acquire(), WRITE_LOCK_WAIT_S))
            except TimeoutError as exc:
                raise OperationalError("BEGIN IMMEDIATE", None, Exception(
                    f"database is locked (waited {WRITE_LOCK_WAIT_S:.0f} s for the write lock)")) from exc
            finally:
                queue.waiting -= 1
            conn.info[_HOLDS_LOCK] = True
            queue.owner = me
        try:
            _query_only(conn, False)
            # BEGIN IMMEDIATE takes SQLite's write lock up front, so check-then-insert (a free slot, a free
            # place) is serialised across processes too: the SQLite half of "no double booking".
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(conn.info)
            raise

    def _query_only(conn, on: bool) -> None:  # type: ignore[no-untyped-def]
        if conn.info.get("gridbot_query_only", False) != on:   # pooled connections serve both kinds
            conn.exec_driver_sql(f"PRAGMA query_only={'ON' if on else 'OFF'}")
            conn.info["gridbot_query_only"] = on

    def _release(info) -> None:  # type: ignore[no-untyped-def]
        if info.pop(_HOLDS_LOCK, False):
            queue.owner = None
            lock.release()

    # The transaction ends: hand the lock to the next writer. The commit/rollback events fire just before
    # SQLite's own; the next writer's BEGIN IMMEDIATE meets SQLite's busy handler for that instant only.
    event.listen(sync_engine, "commit", lambda conn: _release(conn.info))
    event.listen(sync_engine, "rollback", lambda conn: _release(conn.info))
    # A connection returned or thrown away with its transaction unfinished must not keep the lock.
    event.listen(sync_engine.pool, "checkin", lambda _dbapi, record: _release(record.info))
    event.listen(sync_engine.pool, "invalidate", lambda _dbapi, record, _exc: _release(record.info))


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that may write: on SQLite each transaction queues for the write lock (above)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def read_sessionmaker(engine: AsyncEngine, *, short: bool = False) -> async_sessionmaker[AsyncSession]:
    """Sessions that only read (page and API GETs, health, counts): on SQLite a DEFERRED transaction that
    never waits for a writer and never makes one wait; a write through it fails at once ("attempt to
    write a readonly database"). Their statements run in a worker thread, as a page's may be long;
    `short`: a few indexed lookups (the router's), run on the loop like writes. On PostgreSQL an
    ordinary session."""
    if engine.dialect.name != "sqlite":
        return async_sessionmaker(engine, expire_on_commit=False)
    options = {_READ_ONLY: "short" if short else True}
    return async_sessionmaker(engine.execution_options(**options), expire_on_commit=False)


@asynccontextmanager
async def transaction(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit on success, roll back on any exception."""
    async with sessions() as session, session.begin():
        yield session


def _alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def _upgrade_sync(url: str) -> None:
    from alembic import command

    command.upgrade(_alembic_config(url), "head")


async def migrate(url: str) -> None:
    """Bring the schema to the newest migration (the service does this on every start)."""
    # Alembic's async env runs its own event loop; keep it off ours.
    await asyncio.to_thread(_upgrade_sync, url)
