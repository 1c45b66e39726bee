"""Persistent dedup of incoming messages: one effect per (account, message id).

Only a digest of the message id is kept: the gateway's id names the message and so its sender, and a
树洞 message must not be traceable from our tables. A redelivery has the same digest."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import String, delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.sql import insert_ignore


class ProcessedMessage(Base):
    __tablename__ = "processed_messages"

    account: Mapped[str] = mapped_column(String(64), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    handled_by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)


async def claim_message(session: AsyncSession, account: str, message_id: str, handled_by: str, at: datetime) -> bool:
    """True the first time this message is seen; False for a redelivery (do nothing then)."""
    return await insert_ignore(session, ProcessedMessage.__table__,
                               {"account": account, "message_id": message_digest(account, message_id),
                                "handled_by": handled_by, "at": at}) == 1


def message_digest(account: str, message_id: str) -> str:
    return hashlib.sha256(f"{account}\x00{message_id}".encode()).hexdigest()


async def forget_before(session: AsyncSession, before: datetime) -> int:
    """Gateways redeliver within minutes, not weeks: old dedup rows can go."""
    result = await session.execute(delete(ProcessedMessage).where(ProcessedMessage.at < before))
    return result.rowcount or 0


async def unclaim_message(session: AsyncSession, account: str, message_id: str) -> None:
    """Undo claim_message in the same transaction (the router: the message was not its business after all)."""
    await session.execute(delete(ProcessedMessage).where(ProcessedMessage.account == account,
                                                         ProcessedMessage.message_id == message_digest(account, message_id)))
