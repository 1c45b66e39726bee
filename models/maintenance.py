"""Bounded growth (issue 16): delivered outbox rows and stale 未诉先办 suggestions are pruned, and on
SQLite the freed pages go back to the file system.

What is kept, and why:
- outbox rows still pending (the sender's work) are never touched;
- a delivered or given-up *reply* (keyed by the incoming message, `msg:…`; a 树洞's own rows are deleted
  on delivery already) goes after `outbox_keep_days`: nothing reads it once sent — the dedup of incoming
  messages is its own table (forgotten after 7 days) and the audit trails are the lifecycle tables;
- a row with a notice's own key (`booking-reminder:B…`, an escalation's event id, a push) is that
  notice's "sent once" claim, so it is kept `outbox_keyed_keep_days` (0: for ever), far longer than any
  job looks back;
- confirmed suggestions stay (the need they became names them as its source); open and dismissed ones
  go after `suggestion_keep_days` (hot words and the monthly report look at recent months only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.settings import MaintenanceSettings
from models.needs import Suggestion, SuggestionStatus
from models.outbox import OutboxMessage, OutboxStatus

REPLY_PREFIX = "msg:"     # Outbox keys of replies: origin "msg:<account>:<message id>" + ":<n>"
DONE = (OutboxStatus.SENT, OutboxStatus.FAILED)


@dataclass
class Pruned:
    outbox: int = 0
    suggestions: int = 0
    more: bool = False    # a batch was full: run again soon


async def prune_outbox(session: AsyncSession, now: datetime, settings: MaintenanceSettings) -> tuple[int, bool]:
    """Delete delivered/given-up outbox rows past their keep time (at most `batch` of each kind)."""
    deleted, more = 0, False
    reply = OutboxMessage.key.startswith(REPLY_PREFIX, autoescape=True)
    kinds = [(reply, settings.outbox_keep_days)]
    if settings.outbox_keyed_keep_days:
        kinds.append((~reply, settings.outbox_keyed_keep_days))
    for which, days in kinds:
        ids = select(OutboxMessage.id).where(
            OutboxMessage.status.in_([str(s) for s in DONE]), OutboxMessage.created_at < now - timedelta(days=days),
            which).limit(settings.batch)
        n = (await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids.scalar_subquery()))
                                   .execution_options(synchronize_session=False))).rowcount or 0
        deleted += n
        more = more or n >= settings.batch
    return deleted, more


async def prune_suggestions(session: AsyncSession, now: datetime, settings: MaintenanceSettings) -> tuple[int, bool]:
    """Delete open and dismissed suggestions older than `suggestion_keep_days` (confirmed ones stay)."""
    ids = select(Suggestion.id).where(
        Suggestion.status.in_([str(SuggestionStatus.OPEN), str(SuggestionStatus.DISMISSED)]),
        Suggestion.created_at < now - timedelta(days=settings.suggestion_keep_days)).limit(settings.batch)
    n = (await session.execute(delete(Suggestion).where(Suggestion.id.in_(ids.scalar_subquery()))
                               .execution_options(synchronize_session=False))).rowcount or 0
    return n, n >= settings.batch


async def prune(session: AsyncSession, now: datetime, settings: MaintenanceSettings) -> Pruned:
    outbox, more_o = await prune_outbox(session, now, settings)
    suggestions, more_s = await prune_suggestions(session, now, settings)
    return Pruned(outbox, suggestions, more_o or more_s)


async def incremental_vacuum(session: AsyncSession, pages: int) -> int | None:
    """SQLite: give up to `pages` free pages back to the file system; how many were free before (None: not
    SQLite, or the file was created without auto_vacuum=INCREMENTAL — see models/db.py)."""
    if pages <= 0 or session.get_bind().dialect.name != "sqlite":
        return None
    if (await session.scalar(text("PRAGMA auto_vacuum"))) != 2:    # 2 = INCREMENTAL
        return None
    free = int(await session.scalar(text("PRAGMA freelist_count")) or 0)
    # Python's sqlite3 steps a statement once, and each step of this pragma frees one page (it returns a
    # column-less row per page, which no fetch steps through): one execution per page, bounded by `pages`.
    step = text("PRAGMA incremental_vacuum(1)")
    for _ in range(min(free, pages)):
        await session.execute(step)
    return free
