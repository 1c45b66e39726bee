"""The rows of the signups export: every signup with its event, for staff (full names — the masked
roster is only what groups see). Keys per CONTRACTS §4: event, title, person, party_size, status,
position. The date filter reads the event's start; status and grid filters keep the roster numbers
the whole event has (a filtered list still says who is 3rd)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.config import Config
from models.events import Event, Signup, SignupStatus
from models.export_filter import ExportFilter, within
from texts import exports as X


@dataclass(frozen=True)
class SignupRow:
    # CONTRACTS §4 (exact keys)
    event: str                     # the event code, E101
    title: str
    person: str                    # the name as written
    party_size: int
    status: str
    position: int | None           # roster number for places held, queue position on the waiting list
    # the printed table
    status_name: str
    starts_at: datetime
    place: str
    group: str                     # where they signed up: a group topic or 私聊
    contact_id: str | None
    added_by: str
    source: str
    source_name: str
    signed_up_at: datetime
    checked_in: bool
    checked_in_at: datetime | None
    no_show: bool
    event_status: str
    event_status_name: str


_BUCKET = {SignupStatus.CONFIRMED: 0, SignupStatus.OFFERED: 0, SignupStatus.WAITING: 1}


async def signup_rows(session: AsyncSession, config: Config, *, filters: ExportFilter = ExportFilter()) -> list[SignupRow]:
    tz = config.timezone
    q = (select(Signup, Event).join(Event, Event.id == Signup.event_id)
         .where(*within(Event.starts_at, filters, tz)).order_by(Event.id, Signup.seq, Signup.id))
    found = (await session.execute(q)).all()
    grid = config.grid_by_number(filters.grid) if filters.grid is not None else None
    out: list[SignupRow] = []
    counters: dict[tuple[int, int], int] = {}
    for s, e in sorted(found, key=lambda r: (r[1].id, _BUCKET.get(SignupStatus(r[0].status), 2), r[0].seq)):
        bucket = _BUCKET.get(SignupStatus(s.status))
        position = None
        if bucket is not None:
            counters[(e.id, bucket)] = counters.get((e.id, bucket), 0) + 1
            position = counters[(e.id, bucket)]
        if filters.status and s.status != filters.status:
            continue
        if filters.grid is not None and (grid is None or s.group_topic != grid.group):
            continue
        out.append(SignupRow(
            event=e.code, title=e.title, person=s.name, party_size=s.party_size, status=s.status, position=position,
            status_name=X.SIGNUP_STATUS.get(s.status, s.status), starts_at=e.starts_at.astimezone(tz), place=e.place,
            group=s.group_topic or X.PRIVATE_CHAT, contact_id=s.contact_id, added_by=s.added_by,
            source=s.source, source_name=X.SIGNUP_SOURCES.get(s.source, s.source),
            signed_up_at=s.created_at.astimezone(tz), checked_in=s.checked_in_at is not None,
            checked_in_at=s.checked_in_at.astimezone(tz) if s.checked_in_at else None, no_show=bool(s.no_show),
            event_status=e.status, event_status_name=X.EVENT_STATUS.get(e.status, e.status),
        ))
    return out
