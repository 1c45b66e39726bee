"""Per (chat, person) conversation state with expiry: what the bot is waiting for from whom.

E.g. after "请为本次服务打分: 1 满意 / 2 基本满意 / 3 不满意" a bare "1" from that person is a rating."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

PRIVATE_SCOPE = "私聊"


class Conversation(Base):
    __tablename__ = "conversations"

    scope: Mapped[str] = mapped_column(String(128), primary_key=True)   # group topic, or 私聊
    person_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))                        # what is awaited, e.g. "rate_need"
    data: Mapped[dict[str, Any]]
    expires_at: Mapped[datetime] = mapped_column(index=True)


async def get_state(session: AsyncSession, scope: str, person_id: str, now: datetime) -> Conversation | None:
    row = await session.get(Conversation, (scope, person_id))
    if row is None or row.expires_at <= now:
        return None
    return row


async def set_state(session: AsyncSession, scope: str, person_id: str, kind: str, data: dict[str, Any],
                    now: datetime, ttl: timedelta = timedelta(minutes=30)) -> None:
    row = await session.get(Conversation, (scope, person_id))
    if row is None:
        session.add(Conversation(scope=scope, person_id=person_id, kind=kind, data=data, expires_at=now + ttl))
    else:
        row.kind, row.data, row.expires_at = kind, data, now + ttl


async def clear_state(session: AsyncSession, scope: str, person_id: str) -> None:
    await session.execute(delete(Conversation).where(Conversation.scope == scope, Conversation.person_id == person_id))


async def find_states(session: AsyncSession, kind: str, now: datetime) -> list[Conversation]:
    return list((await session.scalars(
        select(Conversation).where(Conversation.kind == kind, Conversation.expires_at > now))).all())


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(delete(Conversation).where(Conversation.expires_at <= now))
    return result.rowcount or 0
