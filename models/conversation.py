"""Pending questions: what the bot is waiting for from whom, in which chat, about what.

One row per (chat scope, person, kind) with an expiry, so several questions of different capabilities
can be open at once ("选哪个时段" from booking and "请打分" from needs) and none overwrites another.
The router loads a person's open questions once per message (newest first); a follow-up route declares
which kinds it answers, and the newest question that the answer fits wins (`handlers/base.py`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

PRIVATE_SCOPE = "私聊"
DEFAULT_TTL = timedelta(minutes=30)


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


async def ask(session: AsyncSession, *, scope: str, person_id: str, kind: str, data: dict[str, Any],
              now: datetime, ttl: timedelta = DEFAULT_TTL, replaces: Iterable[str] = ()) -> Question:
    """Open (or re-open) a question. `replaces`: other kinds of the same dialogue it supersedes."""
    kinds = {kind, *replaces}
    await session.execute(delete(Question).where(Question.scope == scope, Question.person_id == person_id,
                                                 Question.kind.in_(kinds)))
    row = Question(scope=scope, person_id=person_id, kind=kind, data=data, asked_at=now, expires_at=now + ttl)
    session.add(row)
    await session.flush()
    return row


async def awaiting(session: AsyncSession, scope: str, person_id: str, now: datetime) -> tuple[Question, ...]:
    """The person's open questions in this chat, newest first."""
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
