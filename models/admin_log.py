"""The admin changes log: who changed which staff setting (duty, AB岗, accounts, FAQ), when, from what
to what — the audit trail of the admin pages and `gridbot user`, like need_events for needs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class StaffError(Exception):
    """A refused duty/account change; `code` picks the sentence (texts/admin.py)."""

    def __init__(self, code: str, /, **data: Any) -> None:
        super().__init__(code, data)
        self.code = code
        self.data = data


class AdminChange(Base):
    """Who changed which staff setting, when, from what to what (duty, backup, accounts, FAQ)."""

    __tablename__ = "admin_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64))          # web username, or "cli"
    action: Mapped[str] = mapped_column(String(16))         # backup | duty | user_add | user_passwd | user_disable …
    subject: Mapped[str] = mapped_column(String(64))        # grid number, contact id, username, FAQ id
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)


def log_change(session: AsyncSession, now: datetime, actor: str, action: str, subject: str,
               old: str | None, new: str | None) -> None:
    session.add(AdminChange(at=now, actor=actor[:64], action=action, subject=subject[:64], old=old, new=new))


async def changes(session: AsyncSession, *, prefix: str | None = None, limit: int = 50) -> list[AdminChange]:
    """The newest changes first (`prefix`: only actions starting with it, e.g. "faq")."""
    q = select(AdminChange)
    if prefix:
        q = q.where(AdminChange.action.startswith(prefix))
    return list((await session.scalars(q.order_by(AdminChange.id.desc()).limit(limit))).all())
