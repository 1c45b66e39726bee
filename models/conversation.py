"""Pending questions: what the bot is waiting for from whom, in which chat, about what.

One row per (chat scope, person, kind) with an expiry, so several questions of different capabilities
can be open at once ("选哪个时段" from booking and "请打分" from needs) and none overwrites another.
The router loads a person's open questions once per message (newest first); a follow-up route declares
which kinds it answers, and the newest question that the answer fits wins (`handlers/base.py`).

Most people have no open question, and chatter like "👍" or "谢谢" could only be an answer to one: an
in-process index (`OpenIndex`, one per database) of who may have one answers "nobody asked this person
anything" without a query. It is a superset of the open questions: every `ask` in this process adds to it
at once (before its commit: a rolled-back question only costs a query later), entries leave only when they
expire, and it is re-read from the database every `INDEX_REFRESH` (clock time). A database that other
processes write too (several accounts, one process each: `shared_database`) is always asked instead: their
questions would be seen only at the next re-read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Index, String, UniqueConstraint, delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

PRIVATE_SCOPE = "私聊"
DEFAULT_TTL = timedelta(minutes=30)
INDEX_REFRESH = timedelta(seconds=5)   # how stale the index may be about other processes' questions


class Question(Base):
    __tablename__ = "pending_questions"
    __table_args__ = (UniqueConstraint("scope", "person_id", "kind"),
                      Index("ix_pending_questions_kind", "kind", "expires_at"))

    # Asking order: a question asked again is a new row, so the highest id is the newest question.
    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(128))      # group topic, or 私聊
    person_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))        # what is awaited, e.g. "need.rating"
    data: Mapped[dict[str, Any]]
    asked_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class OpenIndex:
    """Who may have an open question in which chat: (scope, person) → the latest expiry seen."""

    def __init__(self, trusted: bool = True) -> None:
        self.until: dict[tuple[str, str], datetime] = {}
        self.read_at: datetime | None = None     # last re-read from the database (clock time)
        self.trusted = trusted                   # False: other processes ask questions too; always query

    def note(self, scope: str, person_id: str, expires_at: datetime) -> None:
        key = (scope, person_id)
        if key not in self.until or self.until[key] < expires_at:
            self.until[key] = expires_at

    def stale(self, now: datetime) -> bool:
        # Both ways: callers' clocks differ a little (a batch's `now` is taken when it starts), and a
        # simulated clock may be set back.
        return self.read_at is None or abs(now - self.read_at) >= INDEX_REFRESH

    def may_have(self, scope: str, person_id: str, now: datetime) -> bool:
        if not self.trusted:
            return True
        until = self.until.get((scope, person_id))
        if until is None:
            return False
        if until <= now:
            del self.until[(scope, person_id)]
            return False
        return True

    async def refresh(self, session: AsyncSession, now: datetime) -> None:
        """Add what the database holds (a union: a question asked meanwhile and not yet committed stays);
        drop what has expired."""
        rows = (await session.execute(
            select(Question.scope, Question.person_id, func.max(Question.expires_at))
            .where(Question.expires_at > now).group_by(Question.scope, Question.person_id))).all()
        self.until = {k: v for k, v in self.until.items() if v > now}
        for scope, person_id, expires_at in rows:
            self.note(scope, person_id, expires_at)
        self.read_at = now


# Keyed by the engine's connection pool, which read-only and write sessions of one database share.
_INDEXES: WeakKeyDictionary[Any, OpenIndex] = WeakKeyDictionary()


def shared_database(engine: AsyncEngine) -> None:
    """Other processes write this database's questions too: never answer "none" from memory."""
    _INDEXES[engine.sync_engine.pool] = OpenIndex(trusted=False)


def open_index(session: AsyncSession) -> OpenIndex:
    bind = session.get_bind(Question)
    pool = getattr(bind, "engine", bind).pool
    index = _INDEXES.get(pool)
    if index is None:
        index = _INDEXES[pool] = OpenIndex()
    return index


async def ask(session: AsyncSession, *, scope: str, person_id: str, kind: str, data: dict[str, Any],
              now: datetime, ttl: timedelta = DEFAULT_TTL, replaces: Iterable[str] = ()) -> Question:
    """Open (or re-open) a question. `replaces`: other kinds of the same dialogue it supersedes."""
    kinds = {kind, *replaces}
    await session.execute(delete(Question).where(Question.scope == scope, Question.person_id == person_id,
                                                 Question.kind.in_(kinds)))
    row = Question(scope=scope, person_id=person_id, kind=kind, data=data, asked_at=now, expires_at=now + ttl)
    session.add(row)
    await session.flush()
    open_index(session).note(scope, person_id, row.expires_at)
    return row


async def awaiting(session: AsyncSession, scope: str, person_id: str, now: datetime) -> tuple[Question, ...]:
    """The person's open questions in this chat, newest first."""
    index = open_index(session)
    if index.trusted and index.stale(now):
        await index.refresh(session, now)
    if not index.may_have(scope, person_id, now):
        return ()
    return tuple((await session.scalars(
        select(Question).where(Question.scope == scope, Question.person_id == person_id, Question.expires_at > now)
        .order_by(Question.id.desc()))).all())


async def forget(session: AsyncSession, scope: str, person_id: str, kinds: Iterable[str]) -> None:
    await session.execute(delete(Question).where(Question.scope == scope, Question.person_id == person_id,
                                                 Question.kind.in_(set(kinds))))


async def of_kind(session: AsyncSession, kind: str, now: datetime) -> list[Question]:
    """Every open question of one kind, whoever was asked (e.g. 接龙 lists waiting for their event)."""
    return list((await session.scalars(
        select(Question).where(Question.kind == kind, Question.expires_at > now).order_by(Question.id))).all())


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(Question).where(Question.expires_at <= now))
    return result.rowcount or 0
