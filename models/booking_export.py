"""The rows of the bookings export (CONTRACTS §4: code, room, person, start, end, party_size, status),
in start order; the date filter reads the booking's start, the grid filter the group it was made in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.config import Config
from models.booking import Booking
from models.conversation import PRIVATE_SCOPE
from models.export_filter import ExportFilter, in_grid, within
from models.needs import name_of
from texts import booking as TB
from texts import exports as X


@dataclass(frozen=True)
class BookingRow:
    # CONTRACTS §4 (exact keys)
    code: str
    room: str
    person: str                    # contact id
    start: datetime                # aware, in the config's time zone
    end: datetime
    party_size: int
    status: str
    # the printed table
    person_name: str
    status_name: str
    group: str                     # where it was booked: a group topic or 私聊
    purpose: str | None
    created_at: datetime
    checked_in_at: datetime | None
    decided_by: str | None         # contact id of whoever approved or rejected it
    decided_by_name: str | None
    reason: str | None


async def booking_rows(session: AsyncSession, config: Config, *, filters: ExportFilter = ExportFilter()) -> list[BookingRow]:
    tz = config.timezone
    q = select(Booking).where(*within(Booking.start_at, filters, tz), *in_grid(Booking.scope, filters, config))
    if filters.status:
        q = q.where(Booking.status == filters.status)
    rows = (await session.scalars(q.order_by(Booking.start_at, Booking.id))).all()
    return [BookingRow(
        code=b.code, room=b.room_name, person=b.person_id, start=b.start_at.astimezone(tz),
        end=b.end_at.astimezone(tz), party_size=b.party_size, status=b.status,
        person_name=b.person_name, status_name=TB.STATUS.get(b.status, b.status),
        group=X.PRIVATE_CHAT if b.scope == PRIVATE_SCOPE else b.scope, purpose=b.purpose or None,
        created_at=b.created_at.astimezone(tz),
        checked_in_at=b.checked_in_at.astimezone(tz) if b.checked_in_at else None,
        decided_by=b.decided_by, decided_by_name=name_of(config, b.decided_by) or b.decided_by, reason=b.reason,
    ) for b in rows]
