"""The outbox: every message the bot sends is first a row here, written in the same transaction as the
change that caused it. The sender delivers rows; a row is marked sent only after the channel reports
success, so nothing the resident was told is lost, and a delivered row is never sent again."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import Index, String, Text, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.config import Config
from kernel.message import ChatKind, OutgoingMessage
from kernel.privacy import mask_for_group, public_numbers
from models.base import Base
from models.people import last_accounts
from models.sql import insert_ignore


# A row to a 树洞 sender: its key is random (never the incoming message id) and the row is deleted once
# delivered or given up, so no table keeps the sender's chat id next to the anonymous need.
ANONYMOUS = "anon:"


def anonymous_key() -> str:
    return ANONYMOUS + secrets.token_hex(12)


class Priority(IntEnum):
    URGENT = 0   # urgent-need alerts and acknowledgements, escalations: nothing may delay them
    REPLY = 1    # a resident is waiting for this
    NOTICE = 5   # scheduled pushes, rosters, digests


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"   # gave up (permanent error or too many attempts); kept for the operator


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "priority", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    account: Mapped[str] = mapped_column(String(64))
    chat_kind: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    mentions: Mapped[list[Any]]
    reply_to: Mapped[str | None] = mapped_column(String(128))   # the incoming message id this answers
    priority: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    image: Mapped[str | None] = mapped_column(String(300))   # a photo file sent with the text (models/photos.py)

    def to_outgoing(self) -> OutgoingMessage:
        return OutgoingMessage(self.key, ChatKind(self.chat_kind), self.chat_id, self.text, tuple(self.mentions),
                               self.reply_to, self.image)


async def enqueue(session: AsyncSession, *, key: str, account: str, chat_kind: ChatKind, chat_id: str, text: str,
                  now: datetime, mentions: tuple[str, ...] = (), priority: Priority = Priority.REPLY,
                  not_before: datetime | None = None, reply_to: str | None = None, image: str | None = None) -> bool:
    """Queue one message. Returns False if a row with this key exists already (a push claimed twice)."""
    return await insert_ignore(session, OutboxMessage.__table__, _row(
        key=key, account=account, chat_kind=chat_kind, chat_id=chat_id, text=text, now=now, mentions=mentions,
        priority=priority, not_before=not_before, reply_to=reply_to, image=image)) == 1


def _row(*, key: str, account: str, chat_kind: ChatKind, chat_id: str, text: str, now: datetime,
         mentions: tuple[str, ...], priority: Priority, not_before: datetime | None,
         reply_to: str | None, image: str | None = None) -> dict[str, Any]:
    return {"key": key, "account": account, "chat_kind": str(chat_kind), "chat_id": chat_id, "text": text,
            "mentions": list(mentions), "reply_to": reply_to, "image": image, "priority": int(priority),
            "status": str(OutboxStatus.PENDING), "created_at": now, "next_attempt_at": not_before or now,
            "attempts": 0}


async def claim_due(session: AsyncSession, *, account: str | tuple[str, ...], worker: str, now: datetime, limit: int,
                    lease: timedelta = timedelta(seconds=120)) -> list[OutboxMessage]:
    """Take up to `limit` due rows of this account (a tuple: of these accounts — a simulation speaks for
    all) for this sender, replies first. A lease (not a lock) marks them ours, so a second instance skips
    them and a crashed instance's rows come back after the lease."""
    # Our own earlier claims count as free: after a restart (same instance name) we resume at once.
    free = or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now,
               OutboxMessage.claimed_by == worker)
    ids = (await session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.account.in_(account) if isinstance(account, tuple) else OutboxMessage.account == account,
               OutboxMessage.status == OutboxStatus.PENDING,
               OutboxMessage.next_attempt_at <= now, free)
        .order_by(OutboxMessage.priority, OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )).all()
    if not ids:
        return []
    # The WHERE repeats the "free" test so that of two racing instances only one wins each row.
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(ids), free)
        .values(claimed_by=worker, claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    rows = (await session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == worker)
        .order_by(OutboxMessage.priority, OutboxMessage.next_attempt_at, OutboxMessage.id)
    )).all()
    return list(rows)


async def mark_sent(session: AsyncSession, row_ids: int | list[int], now: datetime) -> None:
    """Delivered: one row, or the several a sender has sent since it last wrote (one UPDATE). A row that
    went to a 树洞 sender is deleted instead: nothing may keep the link once it is delivered."""
    ids = [row_ids] if isinstance(row_ids, int) else row_ids
    if not ids:
        return
    await session.execute(delete(OutboxMessage).where(
        OutboxMessage.id.in_(ids), OutboxMessage.key.startswith(ANONYMOUS, autoescape=True)
    ).execution_options(synchronize_session=False))
    await session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(
        status=OutboxStatus.SENT, sent_at=now, claimed_by=None, claimed_until=None, last_error=None,
        attempts=OutboxMessage.attempts + 1).execution_options(synchronize_session=False))


async def mark_failed(session: AsyncSession, row_id: int, now: datetime, error: str, *, retry_at: datetime | None) -> None:
    """A failed attempt: retry at `retry_at`, or give up for good when it is None."""
    values: dict[str, Any] = {"attempts": OutboxMessage.attempts + 1, "last_error": error[:500],
                              "claimed_by": None, "claimed_until": None}
    if retry_at is None:
        if await _forget_anonymous(session, row_id):
            return
        values["status"] = OutboxStatus.FAILED
    else:
        values["next_attempt_at"] = retry_at
    await session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values))


async def _forget_anonymous(session: AsyncSession, row_id: int) -> bool:
    """Delete the row if it went to a 树洞 sender (see ANONYMOUS); True if it did."""
    result = await session.execute(delete(OutboxMessage).where(
        OutboxMessage.id == row_id, OutboxMessage.key.startswith(ANONYMOUS, autoescape=True)))
    return bool(result.rowcount)


async def release_claims(session: AsyncSession, worker: str) -> None:
    """On shutdown: hand back rows this sender claimed but did not send."""
    await session.execute(update(OutboxMessage).where(
        OutboxMessage.claimed_by == worker, OutboxMessage.status == OutboxStatus.PENDING
    ).values(claimed_by=None, claimed_until=None))


class Outbox:
    """The one way to tell people, for chat handlers, scheduled jobs and web actions alike: every
    message becomes an outbox row in the caller's transaction.

    `key` is the delivery key. A notice derives it from the domain change it reports (e.g. the need's
    event row id and the recipient), so the same change reported twice — a retried tick, a second
    instance — is delivered once. Without a key, the row is keyed by `origin` (the incoming message,
    the web request) plus a sequence number; a scheduled job has no origin and must give keys.
    Group messages never carry a phone or ID number in clear, whoever wrote them.

    The account of each row: `account` (the one that received the message being answered, or this
    process's) — unless the config has several accounts ([[bot.accounts]]); then the account follows the
    chat: a group's owner; for a private message, `account` when it answers the message or goes to its
    `sender`, else the account the person last wrote to (models/people.ContactAccount), else the primary."""

    def __init__(self, session: AsyncSession, *, account: str, now: datetime, origin: str | None,
                 config: Config | None = None, sender: str | None = None) -> None:
        self.session = session
        self.account = account
        self.routes = config if config is not None and config.several_accounts else None
        # the community's own hotlines ([knowledge] phones) are for everyone: a group reads them in clear
        self.public = public_numbers(tuple(config.knowledge.phones.values())) if config is not None else frozenset()
        self.sender = sender
        self._known: dict[str, str] = {}     # contact → account last written to (looked up once per unit)
        self.now = now
        self.origin = origin
        self.sent: list[str] = []     # texts queued by this unit of work (tests, the router's outcome)
        self.queued = 0
        self._seq = 0
        # The router's reply budget (bot/flood.py): (chat kind, chat id, priority) → True to hold the row back.
        self.withhold: Callable[[ChatKind, str, int], bool] | None = None
        # … and its urgent budget: a sender over it has their URGENT rows written as this priority instead, so
        # one resident's sixty "着火了" cannot queue ahead of someone else's real alert (still sent, in turn).
        self.urgent_floor: Priority | None = None
        self.urgent_written = 0
        # defer: rows keyed by origin+sequence (unique by construction, so the insert cannot be refused)
        # are kept and written together by flush(), one multi-row INSERT per message instead of one per
        # reply. The router sets it and flushes before its transaction ends; a row with an explicit key is
        # a claim whose answer the caller needs, so it flushes the kept rows first (order is kept) and
        # goes in at once — unless it is `fresh`: keyed by something written in this very transaction (a
        # new need's first notices), which nobody can have claimed, so it waits with the others.
        self.defer = False
        self._kept: list[dict[str, Any]] = []

    async def flush(self) -> None:
        """Write the rows kept by `defer` (one statement)."""
        rows, self._kept = self._kept, []
        if rows:
            await insert_ignore(self.session, OutboxMessage.__table__, rows)

    def _key(self, key: str | None) -> str:
        if key is not None:
            return key
        if self.origin is None:
            raise ValueError("a scheduled message needs an explicit delivery key")
        self._seq += 1
        return f"{self.origin}:{self._seq}"

    async def account_for(self, chat_kind: ChatKind, chat_id: str, reply_to: str | None = None) -> str:
        """The account a row to this chat goes through (see the class's note)."""
        routes = self.routes
        if routes is None or reply_to is not None:
            return self.account
        if chat_kind == ChatKind.GROUP:
            return routes.account_of_group(chat_id)
        if chat_id == self.sender:
            return self.account
        if chat_id not in self._known:
            found = await last_accounts(self.session, [chat_id])
            self._known[chat_id] = found.get(chat_id, routes.primary_account)
        return self._known[chat_id]

    async def _put(self, chat_kind: ChatKind, chat_id: str, text: str, *, key: str | None,
                   mentions: tuple[str, ...], priority: Priority, reply_to: str | None,
                   not_before: datetime | None, image: str | None = None, fresh: bool = False) -> bool:
        if self.urgent_floor is not None and priority < self.urgent_floor:
            priority = self.urgent_floor
        if self.withhold is not None and self.withhold(chat_kind, chat_id, priority):
            return True   # held back by the reply budget: as far as the handler knows, it was said
        if priority <= Priority.URGENT:
            self.urgent_written += 1
        account = await self.account_for(chat_kind, chat_id, reply_to)
        row = _row(key=self._key(key), account=account, chat_kind=chat_kind, chat_id=chat_id, text=text,
                   now=self.now, mentions=mentions, priority=priority, not_before=not_before, reply_to=reply_to,
                   image=image)
        if self.defer and (key is None or fresh):
            self._kept.append(row)
            ok = True
        else:
            await self.flush()
            ok = await insert_ignore(self.session, OutboxMessage.__table__, row) == 1
        if ok:
            self.sent.append(text)
            self.queued += 1
        return ok

    async def group(self, topic: str, text: str, *, key: str | None = None, mentions: tuple[str, ...] = (),
                    priority: Priority = Priority.REPLY, reply_to: str | None = None,
                    not_before: datetime | None = None, fresh: bool = False) -> bool:
        """Queue a message to a group (by topic). False when the key was delivered already."""
        return await self._put(ChatKind.GROUP, topic, mask_for_group(text, self.public), key=key, mentions=mentions,
                               priority=priority, reply_to=reply_to, not_before=not_before, fresh=fresh)

    async def private(self, contact_id: str, text: str, *, key: str | None = None,
                      priority: Priority = Priority.REPLY, reply_to: str | None = None,
                      not_before: datetime | None = None, image: str | None = None, fresh: bool = False) -> bool:
        """Queue a private message to one person (with a photo file: `image`, sent before the text).
        False when the key was delivered already."""
        return await self._put(ChatKind.PRIVATE, contact_id, text, key=key, mentions=(), priority=priority,
                               reply_to=reply_to, not_before=not_before, image=image, fresh=fresh)

    async def groups(self, items: list[tuple[str, str, str]], *, priority: Priority = Priority.NOTICE) -> int:
        """Queue many (topic, text, key) group messages at once — a push to a district's ~2,000 groups:
        one INSERT … ON CONFLICT DO NOTHING per 500 rows, the same claim per key as one by one, ~10×
        less CPU. Returns how many keys were newly claimed."""
        own = self.routes.account_of_group if self.routes is not None else lambda _topic: self.account
        rows = [_row(key=key, account=own(topic), chat_kind=ChatKind.GROUP, chat_id=topic,
                     text=mask_for_group(text, self.public), now=self.now, mentions=(), priority=priority, not_before=None,
                     reply_to=None) for topic, text, key in items]
        await self.flush()
        queued = 0
        for i in range(0, len(rows), 500):
            queued += await insert_ignore(self.session, OutboxMessage.__table__, rows[i:i + 500])
        self.queued += queued
        return queued
