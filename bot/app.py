"""Assembling the service: database, directory, router, scheduler, outbox sender, channel, web.

`Core` is everything but the transport, so the simulator, tests, the benchmark and the real service
build the same thing. `Service` adds a channel, the sender loop, APScheduler and the web server."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.channels.base import Channel
from bot.faults import OperatorError, database_fault, parse_db_url, user
from kernel.clock import Clock, SystemClock
from kernel.config import Config
from kernel.identity import Directory
from kernel.message import IncomingMessage
from kernel.text.knowledge import KnowledgeCache
from models import conversation
from models import knowledge as faq
from bot.router import Dispatcher
from bot.sender import OutboxSender
from handlers.registry import all_routers
from models.db import make_engine, make_sessionmaker, migrate, read_sessionmaker, sqlite_url, transaction
from models.outbox import Outbox, OutboxMessage
from models.people import all_bindings, bindings_version, record_accounts
from notices.delivery import reroutable, undelivered_alert
from scheduler.jobs import all_jobs
from scheduler.leader import leadership_for
from scheduler.ticker import Ticker
from texts import ops as T

log = logging.getLogger("gridbot")


def default_db_url(config: Config) -> str:
    """Without --db or storage.url: a SQLite file in the data directory beside the config file."""
    try:
        config.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OperatorError(T.DATA_DIR, path=config.data_dir, error=exc.strerror or exc, user=user()) from exc
    return sqlite_url(config.data_dir / "gridbot.db")


def resolve_db_url(config: Config, db_url: str | None) -> str:
    """--db, else GRIDBOT_DATABASE_URL (keeps a password out of the config file), else [storage] url, else the
    data directory's SQLite file; refused if not SQLite/PostgreSQL. A bare file path means a SQLite file."""
    url = db_url or os.environ.get("GRIDBOT_DATABASE_URL", "").strip() or config.storage_url or default_db_url(config)
    if "://" not in url:
        url = sqlite_url(Path(url).expanduser().resolve())
    parse_db_url(url)
    return url


async def migrate_database(url: str) -> None:
    """Bring the schema up to date; a fault the operator can fix becomes its paragraph."""
    parse_db_url(url)
    try:
        await migrate(url)
    except Exception as exc:
        fault = database_fault(exc, url)
        if fault is None:
            raise
        raise fault from exc


def instance_name(account: str) -> str:
    """Stable across restarts of one deployment (so it resumes its own outbox claims at once);
    distinct per host. Set GRIDBOT_INSTANCE when running several processes on one host."""
    return os.environ.get("GRIDBOT_INSTANCE") or f"{socket.gethostname()}:{account}"


REFRESH_SECONDS = 5.0    # how soon a process sees an FAQ edit or a 绑定 made through another process
SIGHTINGS_BATCH_S = 0.5  # who-wrote-to-which-account rows are written together, at most this often


class Sightings:
    """With several accounts: which account each person last wrote to (models/people.ContactAccount),
    collected from the messages this process receives and written in one statement per batch, off the
    message's own transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._seen: dict[str, tuple[str, datetime]] = {}
        self._due = asyncio.Event()

    def note(self, msg: IncomingMessage) -> None:
        self._seen[msg.sender_id] = (msg.account, msg.at)
        self._due.set()

    async def flush(self) -> None:
        seen, self._seen = self._seen, {}
        self._due.clear()
        if seen:
            async with transaction(self.sessions) as session:
                await record_accounts(session, seen)

    async def run(self) -> None:
        while True:
            await self._due.wait()
            await asyncio.sleep(SIGHTINGS_BATCH_S)
            try:
                await self.flush()
            except Exception:   # a lost batch only means a later private notice may take the primary account
                log.exception("could not record which account people wrote to")


@dataclass
class Core:
    config: Config
    clock: Clock
    db_url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]   # transactions that may write (queue for SQLite's write lock)
    reads: async_sessionmaker[AsyncSession]      # read-only: never wait for or block a writer (models/db.py)
    directory: Directory
    dispatcher: Dispatcher
    ticker: Ticker
    knowledge: KnowledgeCache
    sender: OutboxSender | None = None
    warming: asyncio.Future[None] | None = None   # jieba's dictionary loading (open_core)
    sightings: Sightings | None = None            # several accounts: who wrote to which (else None)
    _bindings: tuple[int, datetime | None] | None = field(default=None, repr=False)

    def accepts(self, msg: IncomingMessage) -> bool:
        """With several accounts, this process answers only its own account's groups (every account in a
        group receives its messages) and never the other accounts; each person's account is noted."""
        config = self.config
        if not config.several_accounts:
            return True
        if config.account(msg.sender_id) is not None:
            return False
        if not msg.is_private and config.account_of_group(msg.group_topic or "") != config.bot_id:
            return False
        if self.sightings is not None:
            self.sightings.note(msg)
        return True

    async def text_ready(self) -> None:
        """Wait until text understanding is loaded (open_core starts it and does not wait)."""
        if self.warming is not None:
            await asyncio.shield(self.warming)

    def wake_sender(self) -> None:
        if self.sender is not None:
            self.sender.wake()

    async def reload_directory(self) -> None:
        async with self.reads() as session:
            self._bindings = await bindings_version(session)
            self.directory.reload(await all_bindings(session))

    async def reload_knowledge(self) -> None:
        """Rebuild the bot's FAQ index from the database if it changed (models/knowledge.py)."""
        async with self.reads() as session:
            version = await faq.version(session)
            if version != self.knowledge.version:
                self.knowledge.install(await faq.faq_settings(session, self.config), version)

    async def refresh(self) -> None:
        """Catch up with changes another process made (its web page's FAQ edit, a 绑定 it answered): two
        cheap version reads; a rebuild only when something changed."""
        await self.reload_knowledge()
        async with self.reads() as session:
            changed = await bindings_version(session) != self._bindings
        if changed:
            await self.reload_directory()

    async def keep_fresh(self, every: float = REFRESH_SECONDS) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.refresh()
            except Exception:
                log.exception("could not check the FAQ and role bindings for changes")

    def lead_scheduler(self) -> None:
        """Tick only while holding the scheduler's lock (PostgreSQL; scheduler/leader.py): with several
        processes on one database, one of them runs the jobs."""
        self.ticker.leader = leadership_for(self.db_url, instance_name(self.config.bot_id))

    def attach_channel(self, channel: Channel, instance: str | None = None, *,
                       every_account: bool = False) -> OutboxSender:
        """The sender of this process's account; `every_account`: of all of them at once (a simulation,
        where one channel plays every account)."""
        account = tuple(a.id for a in self.config.accounts) if every_account else self.config.bot_id
        self.sender = OutboxSender(self.sessions, channel, self.clock, self.config.sender,
                                   account, instance or instance_name(self.config.bot_id))
        self.sender.on_given_up = self.reroute_given_up
        return self.sender

    async def reroute_given_up(self, rows: list[OutboxMessage]) -> None:
        """An urgent alert the channel could not deliver goes to the other admins (notices/delivery.py)."""
        rows = [r for r in rows if reroutable(r, self.directory)]
        if not rows:
            return
        async with transaction(self.sessions) as session:
            out = Outbox(session, account=self.config.bot_id, now=self.clock.now(), origin=None, config=self.config)
            for row in rows:
                await undelivered_alert(out, self.config, self.directory, row)
        self.wake_sender()

    async def close(self) -> None:
        await self.dispatcher.close()
        if self.sightings is not None:
            await self.sightings.flush()
        if self.ticker.leader is not None:
            await self.ticker.leader.release()
        await self.engine.dispose()
        if self.warming is not None and not self.warming.done():
            await asyncio.gather(self.warming, return_exceptions=True)   # its thread must not outlive the loop


async def open_core(config: Config, db_url: str | None = None, clock: Clock | None = None, *,
                    run_migrations: bool = True, warm_up: bool = True) -> Core:
    url = resolve_db_url(config, db_url)
    # jieba's dictionary (≈ 1 s) loads in a thread while the database migrates and the service starts
    # (cold start, issue 16); a message that needs it before it is ready waits for it once.
    warming = asyncio.ensure_future(asyncio.to_thread(_warm_up_text)) if warm_up else None
    if run_migrations:
        try:
            await migrate_database(url)
        except BaseException:
            if warming is not None:
                await asyncio.gather(warming, return_exceptions=True)
            raise
    clock = clock or SystemClock()
    engine = make_engine(url)
    if config.several_accounts:     # other processes ask questions too: the open-question index may lag
        conversation.shared_database(engine)
    sessions = make_sessionmaker(engine)
    directory = Directory(config)
    knowledge = KnowledgeCache(config.knowledge)
    core_ref: list[Core] = []
    dispatcher = Dispatcher(config, sessions, clock, directory, all_routers(),
                            on_committed=lambda: core_ref[0].wake_sender(), knowledge=knowledge)
    ticker = Ticker(sessions, clock, config, directory, all_jobs(), on_queued=lambda: core_ref[0].wake_sender())
    core = Core(config, clock, url, engine, sessions, read_sessionmaker(engine), directory, dispatcher, ticker,
                knowledge, warming=warming, sightings=Sightings(sessions) if config.several_accounts else None)
    core_ref.append(core)
    try:
        await core.reload_directory()
        await core.reload_knowledge()
    except Exception as exc:
        await engine.dispose()
        if warming is not None:
            await asyncio.gather(warming, return_exceptions=True)
        fault = database_fault(exc, url)
        if fault is None:
            raise
        raise fault from exc
    return core


def _warm_up_text() -> None:
    """Load jieba's dictionary before the first message, not during it (≈ 0.8 s)."""
    try:
        from kernel.text.jieba_setup import warm_up
    except ImportError:  # text understanding not installed in this build
        return
    warm_up()


def data_path(config: Config, *parts: str) -> Path:
    path = config.data_dir.joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
