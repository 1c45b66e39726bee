"""Who is who beyond the config: contacts bound to a staff role by a one-time invite code, and (with several
accounts) which account each person last wrote to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Boolean, Index, String, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.privacy import CODE_CHARS, random_code
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


class BindAttempt(Base):
    """A failed 绑定 (kept a day, for the throttle): who tried, when, and whether it was refused unread."""

    __tablename__ = "bind_attempts"
    __table_args__ = (Index("ix_bind_attempts_contact_at", "contact_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(index=True)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)   # refused by the throttle, code not tried


_INVITE_TOKEN = re.compile(r"(?<![A-Za-z0-9])[%s]{6}(?![A-Za-z0-9])" % CODE_CHARS)


async def create_invite(session: AsyncSession, *, role: str, ref: str | None, name: str, created_by: str,
                        now: datetime, ttl: timedelta = timedelta(days=2)) -> str:
    code = random_code(6)
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


# ---------------------------------------------------------------- leaked invites

def invite_tokens(text: str) -> list[str]:
    """Words of a message that could be an invite code (cheap; no database)."""
    return list(dict.fromkeys(t.upper() for t in _INVITE_TOKEN.findall(text or "")))


async def revoke_leaked(session: AsyncSession, tokens: list[str], now: datetime) -> list[Invite]:
    """Invite codes seen in a group are public: every live one among `tokens` expires now."""
    if not tokens:
        return []
    live = list((await session.scalars(select(Invite).where(
        Invite.code.in_(tokens), Invite.used_by.is_(None), Invite.expires_at > now).with_for_update())).all())
    for invite in live:
        invite.expires_at = now
    return live


# ---------------------------------------------------------------- 绑定 throttle

@dataclass(frozen=True)
class BindLimits:
    person_failures: int = 5            # per person within person_window → locked (sliding while they keep trying)
    person_window: timedelta = timedelta(minutes=30)
    global_failures: int = 30           # everyone together within global_window → binding paused
    global_window: timedelta = timedelta(minutes=10)


LIMITS = BindLimits()


@dataclass(frozen=True)
class Gate:
    open: bool                  # the code may be tried
    why: str = ""               # "person" | "global" when closed
    tell: bool = False          # closed: the first refusal in this window gets a polite answer, later ones silence


async def bind_gate(session: AsyncSession, contact_id: str, now: datetime, limits: BindLimits = LIMITS) -> Gate:
    """May this person try an invite code now? A refused try is recorded too: the lock slides while
    someone keeps guessing, and only their first refused try in the window is answered."""
    await session.execute(delete(BindAttempt).where(BindAttempt.at < now - timedelta(days=1)))
    mine = select(func.count()).select_from(BindAttempt).where(
        BindAttempt.contact_id == contact_id[:64], BindAttempt.at > now - limits.person_window)
    person = int(await session.scalar(mine) or 0)
    everyone = int(await session.scalar(select(func.count()).select_from(BindAttempt).where(
        BindAttempt.blocked.is_(False), BindAttempt.at > now - limits.global_window)) or 0)
    why = "person" if person >= limits.person_failures else "global" if everyone >= limits.global_failures else ""
    if not why:
        return Gate(True)
    refused_before = int(await session.scalar(mine.where(BindAttempt.blocked.is_(True))) or 0)
    session.add(BindAttempt(contact_id=contact_id[:64], at=now, blocked=True))
    return Gate(False, why, tell=refused_before == 0)


async def bind_failed(session: AsyncSession, contact_id: str, now: datetime, limits: BindLimits = LIMITS) -> bool:
    """Record a wrong code; True when this failure just closed binding for everyone (tell the admin)."""
    session.add(BindAttempt(contact_id=contact_id[:64], at=now, blocked=False))
    await session.flush()
    everyone = int(await session.scalar(select(func.count()).select_from(BindAttempt).where(
        BindAttempt.blocked.is_(False), BindAttempt.at > now - limits.global_window)) or 0)
    return everyone == limits.global_failures


# ---------------------------------------------------------------- several accounts

class ContactAccount(Base):
    """With several accounts (kernel/config.AccountConfig): the account a person last wrote to, privately or
    in a group. A private message to them goes through it, an account that knows them."""

    __tablename__ = "contact_accounts"

    contact_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime]


async def record_accounts(session: AsyncSession, seen: dict[str, tuple[str, datetime]]) -> None:
    """contact → (account, when) in one statement; a newer sighting already stored (by another process) wins."""
    if not seen:
        return
    rows = [{"contact_id": c[:64], "account": a, "seen_at": at} for c, (a, at) in seen.items()]
    table = ContactAccount.__table__
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.contact_id],
        set_={"account": stmt.excluded.account, "seen_at": stmt.excluded.seen_at},
        where=table.c.seen_at <= stmt.excluded.seen_at)
    await session.execute(stmt)


async def last_accounts(session: AsyncSession, contacts: list[str]) -> dict[str, str]:
    """contact → the account they last wrote to, for those recorded."""
    if not contacts:
        return {}
    rows = await session.execute(select(ContactAccount.contact_id, ContactAccount.account)
                                 .where(ContactAccount.contact_id.in_(contacts)))
    return {c: a for c, a in rows.all()}


async def bindings_version(session: AsyncSession) -> tuple[int, datetime | None]:
    """Changes whenever a binding is added or redone (redeem_invite sets bound_at): a cheap staleness check."""
    count, newest = (await session.execute(select(func.count(), func.max(RoleBinding.bound_at)))).one()
    return int(count), newest
