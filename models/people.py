"""Who is who beyond the config: contacts bound to a staff role by a one-time invite code."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class RoleBinding(Base):
    __tablename__ = "role_bindings"

    contact_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))          # worker | admin | department
    ref: Mapped[str | None] = mapped_column(String(64))     # grid number (worker) or department name
    name: Mapped[str] = mapped_column(String(64))
    bound_at: Mapped[datetime]


class Invite(Base):
    __tablename__ = "invites"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    used_by: Mapped[str | None] = mapped_column(String(64))


async def create_invite(session: AsyncSession, *, role: str, ref: str | None, name: str, created_by: str,
                        now: datetime, ttl: timedelta = timedelta(days=2)) -> str:
    # No B/D/E/P/S: codes starting with those letters read like booking/need/event/push/survey codes.
    code = "".join(secrets.choice("ACFGHJKLMNQRTUVWXYZ23456789") for _ in range(6))
    session.add(Invite(code=code, role=role, ref=ref, name=name, created_by=created_by, expires_at=now + ttl))
    return code


async def redeem_invite(session: AsyncSession, code: str, contact_id: str, now: datetime) -> RoleBinding | None:
    invite = await session.get(Invite, code.upper(), with_for_update=True)
    if invite is None or invite.used_by is not None or invite.expires_at <= now:
        return None
    invite.used_by = contact_id
    binding = await session.get(RoleBinding, contact_id)
    if binding is None:
        binding = RoleBinding(contact_id=contact_id, role=invite.role, ref=invite.ref, name=invite.name, bound_at=now)
        session.add(binding)
    else:
        binding.role, binding.ref, binding.name, binding.bound_at = invite.role, invite.ref, invite.name, now
    return binding


async def all_bindings(session: AsyncSession) -> list[RoleBinding]:
    return list((await session.scalars(select(RoleBinding))).all())
