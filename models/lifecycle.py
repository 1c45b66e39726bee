"""The lifecycle pattern every record with a status shares (bookings, waitlist entries, signups; needs
keep their own `need_events` table but the same shape): one table of legal moves, action →
{from status: to status}, and an event row for every move — who, when, from → to, why.

Only `Lifecycle.move` changes a status, so the table is the whole truth: the web asks
`legal_actions(status)` for the buttons it may show, and staff read `history()` as the audit trail
("who cancelled my booking, and when?").

    BOOKING = Lifecycle("booking", {"cancel": {"confirmed": "cancelled", "pending": "cancelled"}, …},
                        refuse=lambda row, action: BookingError("illegal", …))
    BOOKING.move(session, now, booking, "cancel", actor_id=person_id, actor_name=name, note=reason)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Index, String, Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

Transitions = Mapping[str, Mapping[str | None, str]]


class Stateful(Protocol):
    id: Any
    status: Any


class LifecycleEvent(Base):
    """One move of one record: the audit trail of bookings, waitlist entries and signups."""

    __tablename__ = "lifecycle_events"
    __table_args__ = (Index("ix_lifecycle_events_subject", "subject", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(16))         # booking | waitlist | signup
    subject_id: Mapped[int]
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(64))    # contact id; None: the bot (a job, a rule)
    actor_name: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class Lifecycle:
    subject: str
    transitions: Transitions
    refuse: Callable[[Stateful, str], Exception]   # the capability's own error for an illegal move

    def target(self, status: str | None, action: str) -> str | None:
        """Where `action` leads from `status`, or None when it is not a legal move."""
        return self.transitions.get(action, {}).get(status)

    def legal_actions(self, status: str | None) -> list[str]:
        return [action for action, table in self.transitions.items() if status in table]

    def move(self, session: AsyncSession, now: datetime, row: Stateful, action: str, *,
             actor_id: str | None = None, actor_name: str | None = None, note: str | None = None) -> LifecycleEvent:
        """Apply one legal move and write its event row; anything else raises the capability's error.
        The row must have its id (flush a new row first)."""
        current = str(row.status) if row.status is not None else None
        to = self.target(current, action)
        if to is None:
            raise self.refuse(row, action)
        event = self._record(session, now, row, action, current, to, actor_id, actor_name, note)
        row.status = to
        return event

    def begin(self, session: AsyncSession, now: datetime, row: Stateful, action: str, *,
              actor_id: str | None = None, actor_name: str | None = None, note: str | None = None) -> LifecycleEvent:
        """The first event of a new row, flushed with the status `action` gives it from nothing
        (its status column may not be empty): the trail starts with who created it, and how."""
        to = self.target(None, action)
        if to is None or str(row.status) != to:
            raise ValueError(f"{self.subject}: {action!r} does not create a row in status {row.status!r}")
        return self._record(session, now, row, action, None, to, actor_id, actor_name, note)

    def _record(self, session: AsyncSession, now: datetime, row: Stateful, action: str, current: str | None,
                to: str, actor_id: str | None, actor_name: str | None, note: str | None) -> LifecycleEvent:
        if row.id is None:
            raise ValueError(f"{self.subject} has no id yet: flush it before its first move")
        event = LifecycleEvent(subject=self.subject, subject_id=row.id, at=now,
                               actor=actor_id[:64] if actor_id else None,
                               actor_name=actor_name[:64] if actor_name else None,
                               action=action, from_status=current, to_status=to, note=note)
        session.add(event)
        return event

    async def last_move_id(self, session: AsyncSession, subject_id: int) -> int:
        """The id of the row's newest event (0 if none): a notice about "what just happened" keys its
        delivery by it, so one move is told once however often it is reported."""
        await session.flush()
        return int(await session.scalar(
            select(func.max(LifecycleEvent.id)).where(LifecycleEvent.subject == self.subject,
                                                      LifecycleEvent.subject_id == subject_id)) or 0)

    async def history(self, session: AsyncSession, subject_id: int) -> list[LifecycleEvent]:
        return list((await session.scalars(
            select(LifecycleEvent).where(LifecycleEvent.subject == self.subject,
                                         LifecycleEvent.subject_id == subject_id)
            .order_by(LifecycleEvent.id))).all())
