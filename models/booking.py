"""Function-room booking (功能室预约): rooms, bookings, blocks, the waitlist, and the operations on them.

The rooms themselves are configured (kernel.config.RoomConfig); the `booking_rooms` table mirrors them so
that a booking has a row to point at and — the point of it — a row to lock: every operation that
checks for a free slot and then writes takes `SELECT … FOR UPDATE` on the room row first (PostgreSQL),
so two concurrent requests for one slot are serialised and the second sees the first. On SQLite every
transaction is BEGIN IMMEDIATE already. `sync_rooms` writes the mirror; it is idempotent, and the
operations call it lazily when a room row is missing, so it need not run at start (it may).

Booking codes are B101, B102 … from one counter row (no gaps: the counter rolls back with the booking).

Statuses:
    pending    waits for staff approval (会议室, 多功能厅); holds the slot meanwhile
    confirmed  booked
    offered    a released slot held for the next person on the waitlist until they answer (10 min)
    checked_in 签到 done
    cancelled  by the resident, by staff, or by a block (封闭)
    rejected   refused by staff
    no_show    not checked in within the grace period: released
    expired    a pending booking nobody approved before it began, or an offer nobody took

All datetimes are aware UTC in and out; local time (config.timezone) only for calendar rules.
Stats (utilisation, 人气指数) are in models.booking_stats; the rules in models.booking_rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.config import Config, RoomConfig
from models.base import Base
from models.booking_rules import (
    Held,
    Interval,
    Request,
    Violation,
    check_static,
    conflicts,
    is_open_day,
    max_concurrent,
    needs_approval,
    open_window,
    week_bounds,
    weekly_quota,
)
from models.conversation import PRIVATE_SCOPE
from models.lifecycle import Lifecycle, LifecycleEvent
from models.counters import next_value
from models.sql import insert_ignore


class Status(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    OFFERED = "offered"
    CHECKED_IN = "checked_in"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    NO_SHOW = "no_show"
    EXPIRED = "expired"


HOLDING = (Status.PENDING, Status.CONFIRMED, Status.OFFERED, Status.CHECKED_IN)   # occupy the slot
QUOTA_COUNTED = (*HOLDING, Status.NO_SHOW)       # a no-show still used up the resident's week
USED = (Status.CONFIRMED, Status.CHECKED_IN)     # counted as booked time in utilisation


class BookingError(Exception):
    """A domain refusal with a code (see texts/booking.py) and the figures to word it."""

    def __init__(self, code: str, /, **detail: Any) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


# ------------------------------------------------------------------ tables

class Room(Base):
    __tablename__ = "booking_rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    capacity: Mapped[int]
    per_seat: Mapped[bool]
    needs_approval: Mapped[bool]
    active: Mapped[bool] = mapped_column(default=True)


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        Index("ix_bookings_room_start", "room_id", "start_at"),
        Index("ix_bookings_person_start", "person_id", "start_at"),
        Index("ix_bookings_status_start", "status", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("booking_rooms.id"))
    room_name: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[str] = mapped_column(String(64))
    person_name: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(128))       # where they booked: a group topic or 私聊
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    party_size: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(200), default="")
    requires_checkin: Mapped[bool] = mapped_column(default=True)
    series: Mapped[str | None] = mapped_column(String(16))   # first code of a recurring series
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    checked_in_at: Mapped[datetime | None]
    checked_in_by: Mapped[str | None] = mapped_column(String(64))
    reminded_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None]

    @property
    def minutes(self) -> int:
        return int((self.end_at - self.start_at).total_seconds() // 60)

    @property
    def in_group(self) -> bool:
        return self.scope != PRIVATE_SCOPE


class Block(Base):
    """A room closed for a while (维修, 活动占用): no bookings inside it."""

    __tablename__ = "booking_blocks"
    __table_args__ = (Index("ix_booking_blocks_room_start", "room_id", "start_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("booking_rooms.id"))
    room_name: Mapped[str] = mapped_column(String(64))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class WaitStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    BOOKED = "booked"
    PASSED = "passed"        # offered, not taken: the next one gets it
    LAPSED = "lapsed"        # the wanted time went by
    CANCELLED = "cancelled"


class WaitlistEntry(Base):
    __tablename__ = "booking_waitlist"
    __table_args__ = (Index("ix_booking_waitlist_status_room", "status", "room_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("booking_rooms.id"))
    room_name: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[str] = mapped_column(String(64))
    person_name: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(128))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    party_size: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(16), default=WaitStatus.WAITING)
    booking_code: Mapped[str | None] = mapped_column(String(16))   # the offered booking
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


# ------------------------------------------------------------------ lifecycles: the legal moves

_ACTIVE = {Status.PENDING: Status.CANCELLED, Status.CONFIRMED: Status.CANCELLED, Status.OFFERED: Status.CANCELLED,
           Status.CHECKED_IN: Status.CANCELLED}

BOOKING = Lifecycle("booking", {
    "book": {None: Status.CONFIRMED},
    "request": {None: Status.PENDING},              # a room that needs approval
    "offer": {None: Status.OFFERED},                # a freed slot held for the next on the waitlist
    "approve": {Status.PENDING: Status.CONFIRMED},
    "reject": {Status.PENDING: Status.REJECTED, Status.CONFIRMED: Status.REJECTED},
    "reschedule": {Status.PENDING: Status.PENDING, Status.CONFIRMED: Status.CONFIRMED},
    "resubmit": {Status.CONFIRMED: Status.PENDING},  # a new time that needs a new approval
    "check_in": {Status.CONFIRMED: Status.CHECKED_IN},
    "cancel": _ACTIVE,
    "close": _ACTIVE,                               # cancelled by a block (封闭)
    "accept": {Status.OFFERED: Status.CONFIRMED},
    "accept_pending": {Status.OFFERED: Status.PENDING},
    "decline": {Status.OFFERED: Status.EXPIRED},
    "expire": {Status.OFFERED: Status.EXPIRED, Status.PENDING: Status.EXPIRED},
    "no_show": {Status.CONFIRMED: Status.NO_SHOW},
}, refuse=lambda b, action: BookingError("not_active", code=getattr(b, "code", ""), status=b.status))

WAITLIST = Lifecycle("waitlist", {
    "join": {None: WaitStatus.WAITING},
    "offer": {WaitStatus.WAITING: WaitStatus.OFFERED},
    "book": {WaitStatus.OFFERED: WaitStatus.BOOKED},
    "pass": {WaitStatus.OFFERED: WaitStatus.PASSED},
    "lapse": {WaitStatus.WAITING: WaitStatus.LAPSED},
    "cancel": {WaitStatus.WAITING: WaitStatus.CANCELLED, WaitStatus.OFFERED: WaitStatus.CANCELLED},
}, refuse=lambda w, action: BookingError("not_active", code="", status=w.status))


class Counter(Base):
    __tablename__ = "booking_counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int]


class Popularity(Base):
    """人气指数 per period: (period, period_start, key) → value; see models.booking_stats."""

    __tablename__ = "booking_popularity"

    period: Mapped[str] = mapped_column(String(8), primary_key=True)       # day | week | month | year
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)         # "centre" or a room name
    value: Mapped[float] = mapped_column(Float)
    bookings: Mapped[int]
    checkins: Mapped[int]
    attendance: Mapped[int]
    computed_at: Mapped[datetime]


class JobClaim(Base):
    """Once-only claims of the booking jobs that are not a message (e.g. the daily index)."""

    __tablename__ = "booking_job_claims"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    at: Mapped[datetime]


# ------------------------------------------------------------------ rooms

ROOM_SUFFIX = re.compile(r"(?:室|房|厅|坊|空间|馆)$")


@dataclass(frozen=True)
class RoomMatch:
    rooms: tuple[RoomConfig, ...]     # one: found; several: ask which; none: unknown
    words: tuple[str, ...] = ()       # the words in the text that named them
    fuzzy: bool = False               # found by similarity, not by name

    @property
    def room(self) -> RoomConfig | None:
        return self.rooms[0] if len(self.rooms) == 1 else None


@lru_cache(maxsize=8)
def _room_keys(rooms: tuple[RoomConfig, ...]) -> tuple[tuple[str, RoomConfig], ...]:
    """Names, aliases and their stems (钢琴房 → 钢琴, 乒乓室 → 乒乓), longest first."""
    keys: dict[str, set[str]] = {}
    for r in rooms:
        for word in (r.name, *r.aliases):
            keys.setdefault(word, set()).add(r.name)
            stem = ROOM_SUFFIX.sub("", word)
            if len(stem) >= 2 and stem != word:
                keys.setdefault(stem, set()).add(r.name)
    by_name = {r.name: r for r in rooms}
    pairs = [(k, by_name[n]) for k, names in keys.items() for n in sorted(names)]
    return tuple(sorted(pairs, key=lambda p: -len(p[0])))


def room_words(config: Config) -> list[str]:
    """Every word that names a room (for blanking them out before reading the time)."""
    return [k for k, _ in _room_keys(config.rooms)]


@lru_cache(maxsize=8)
def _room_regex(rooms: tuple[RoomConfig, ...]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(k) for k, _ in _room_keys(rooms)))


def mentions_room(config: Config, text: str) -> bool:
    """Cheap test for matchers: does the text name a room (name, alias or stem)?"""
    return bool(config.rooms) and _room_regex(config.rooms).search(text) is not None


_ROOMISH = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]{1,5}?(?:室|房|厅|坊|馆|池|场|空间)")


def find_rooms(config: Config, text: str) -> RoomMatch:
    """Which room(s) a text names: exact names/aliases/stems first, then a similar-looking word
    ending in 室/房/厅 (钢琴室 → 钢琴房, 瑜珈室 → 瑜伽室). Several rooms named → all of them."""
    keys = _room_keys(config.rooms)
    found: list[RoomConfig] = []
    words: list[str] = []
    taken = [False] * len(text)
    for key, room in keys:
        for m in re.finditer(re.escape(key), text):
            if any(taken[m.start():m.end()]):
                # A shorter key inside an already matched longer one (自习 inside 自习室), unless the
                # same longer word names several rooms; then each is a candidate.
                if key not in words:
                    continue
            for i in range(m.start(), m.end()):
                taken[i] = True
            if room not in found:
                found.append(room)
            if key not in words:
                words.append(key)
    if found:
        return RoomMatch(tuple(found), tuple(words))
    return _fuzzy_room(config, text)


def _fuzzy_room(config: Config, text: str) -> RoomMatch:
    from rapidfuzz import fuzz

    best: dict[str, float] = {}
    best_word = ""
    best_score = 0.0
    for m in _ROOMISH.finditer(text):
        token = m.group()
        # Try the token and its tails (预约钢琴室 → 钢琴室): the room word is at the end.
        for i in range(len(token) - 1):
            word = token[i:]
            for key, room in _room_keys(config.rooms):
                if len(key) < 3:
                    continue
                score = fuzz.ratio(word, key)
                if score >= 66 and score >= best.get(room.name, 0):
                    best[room.name] = score
                if score > best_score:
                    best_score, best_word = score, word
    if not best:
        return RoomMatch(())
    top = max(best.values())
    rooms = tuple(r for r in config.rooms if best.get(r.name) == top)
    return RoomMatch(rooms, (best_word,), fuzzy=True)


def room_config(config: Config, name: str) -> RoomConfig | None:
    return next((r for r in config.rooms if r.name == name), None)


async def sync_rooms(session: AsyncSession, config: Config) -> int:
    """Mirror the configured rooms into `booking_rooms` (idempotent). Returns rows written.

    Rooms that left the config stay (old bookings point at them) but are marked inactive."""
    rows = {r.name: r for r in (await session.scalars(select(Room))).all()}
    written = 0
    for rc in config.rooms:
        values = {"capacity": rc.capacity, "per_seat": rc.per_seat, "needs_approval": rc.needs_approval,
                  "active": True}
        row = rows.get(rc.name)
        if row is None:
            written += await insert_ignore(session, Room.__table__, {"name": rc.name, **values})
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            written += 1
    names = {r.name for r in config.rooms}
    for name, row in rows.items():
        if name not in names and row.active:
            row.active = False
            written += 1
    await session.flush()
    return written


async def _room_row(session: AsyncSession, config: Config, name: str, *, lock: bool) -> Room:
    stmt = select(Room).where(Room.name == name)
    if lock:
        stmt = stmt.with_for_update()
    row = await session.scalar(stmt)
    if row is None:
        await sync_rooms(session, config)
        row = await session.scalar(stmt)
    if row is None:
        raise BookingError("unknown_room", name=name)
    return row


def _room_of(config: Config, name: str) -> RoomConfig:
    rc = room_config(config, name)
    if rc is None:
        raise BookingError("unknown_room", name=name)
    return rc


# ------------------------------------------------------------------ loading what the rules need

async def _held(session: AsyncSession, room_id: int, start: datetime, end: datetime) -> list[Held]:
    rows = (await session.execute(
        select(Booking.id, Booking.code, Booking.start_at, Booking.end_at, Booking.party_size)
        .where(Booking.room_id == room_id, Booking.status.in_(HOLDING),
               Booking.start_at < end, Booking.end_at > start)
    )).all()
    return [Held(*r) for r in rows]


async def _blocks(session: AsyncSession, room_id: int, start: datetime, end: datetime) -> list[Interval]:
    rows = (await session.execute(
        select(Block.start_at, Block.end_at, Block.reason)
        .where(Block.room_id == room_id, Block.start_at < end, Block.end_at > start)
    )).all()
    return [Interval(*r) for r in rows]


async def _person_week(session: AsyncSession, config: Config, room_id: int, person_id: str,
                       moment: datetime) -> list[Any]:
    """The person's bookings of the room that count for the quota, in the week of `moment` (a resend of
    the same request is among them too: PENDING and CONFIRMED count)."""
    week_start, week_end = week_bounds(moment, config.timezone)
    return list((await session.execute(
        select(Booking.id, Booking.code, Booking.start_at, Booking.end_at, Booking.party_size, Booking.status)
        .where(Booking.room_id == room_id, Booking.person_id == person_id, Booking.status.in_(QUOTA_COUNTED),
               Booking.start_at >= week_start, Booking.start_at < week_end)
    )).all())


async def _validate(session: AsyncSession, now: datetime, config: Config, req: Request, room_id: int,
                    *, quota: bool = True, week: list[Any] | None = None) -> Violation | None:
    """Every rule in order; the caller holds the room lock. `week`: _person_week, if the caller has it."""
    static = check_static(req, now, config.timezone)
    if static:
        return static[0]
    if quota:
        if week is None:
            week = await _person_week(session, config, room_id, req.person_id, req.start)
        used = sum(int((b.end_at - b.start_at).total_seconds() // 60) for b in week if b.id != req.exclude_id)
        if (v := weekly_quota(req, used)) is not None:
            return v
    pad = timedelta(minutes=req.room.buffer_minutes)
    held = await _held(session, room_id, req.start - pad, req.end + pad)
    blocks = await _blocks(session, room_id, req.start, req.end)
    return conflicts(req, held, blocks)


SUGGESTABLE = {"conflict", "seats_full", "blocked", "outside_hours", "closed_weekday", "closed_date"}


async def suggest_slots(session: AsyncSession, now: datetime, config: Config, req: Request, *, limit: int = 3,
                        days: int = 3, room_id: int | None = None) -> list[tuple[datetime, datetime]]:
    """Free slots of the same length near the asked time: that day first (nearest first), then the
    next days. Checked against every static rule and the loaded bookings and blocks."""
    tz = config.timezone
    room = req.room
    length = req.end - req.start
    first_day = max(req.start.astimezone(tz).date(), now.astimezone(tz).date())
    lo = datetime.combine(first_day, time(0), tzinfo=tz)
    hi = lo + timedelta(days=days + 1)
    if room_id is None:
        room_id = (await _room_row(session, config, room.name, lock=False)).id
    pad = timedelta(minutes=room.buffer_minutes)
    held = await _held(session, room_id, lo - pad, hi + pad)
    blocks = await _blocks(session, room_id, lo, hi)
    wanted = req.start.astimezone(tz)
    found: list[tuple[datetime, datetime]] = []
    for offset in range(days + 1):
        day = first_day + timedelta(days=offset)
        if not is_open_day(room, day):
            continue
        opens, closes = open_window(room, day, tz)
        # Start on the hour or half hour, from opening time.
        t = opens if opens.minute in (0, 30) else opens + timedelta(minutes=30 - opens.minute % 30)
        day_slots: list[tuple[datetime, datetime]] = []
        while t + length <= closes:
            cand = Request(room, req.person_id, t, t + length, req.party_size, req.is_staff, req.exclude_id)
            if (t != wanted and not check_static(cand, now, tz) and conflicts(cand, held, blocks) is None):
                day_slots.append((t, t + length))
            t += timedelta(minutes=30)
        target = wanted.replace(year=day.year, month=day.month, day=day.day)
        day_slots.sort(key=lambda s: (abs((s[0] - target).total_seconds()), s[0]))
        found += day_slots[: limit - len(found)]
        if len(found) >= limit:
            break
    return found


# ------------------------------------------------------------------ codes

async def _next_code(session: AsyncSession) -> str:
    value = await next_value(session, Counter.__table__, "name", "value", "booking", start=100)
    return f"B{value}"


def normalise_code(code: str) -> str:
    return code.strip().upper()


async def get_booking(session: AsyncSession, code: str, *, lock: bool = False) -> Booking:
    stmt = select(Booking).where(Booking.code == normalise_code(code))
    if lock:
        stmt = stmt.with_for_update()
    row = await session.scalar(stmt)
    if row is None:
        raise BookingError("unknown_code", code=normalise_code(code))
    return row


async def booking_trail(session: AsyncSession, code: str) -> tuple[Booking, list[LifecycleEvent]]:
    """The audit trail of a booking, oldest first — who booked, approved, moved, cancelled it, and
    when — together with the waitlist entry it was offered from, if any. Raises unknown_code."""
    b = await get_booking(session, code)
    events = await BOOKING.history(session, b.id)
    entry = await session.scalar(select(WaitlistEntry).where(WaitlistEntry.booking_code == b.code))
    if entry is not None:
        events += await WAITLIST.history(session, entry.id)
    return b, sorted(events, key=lambda e: (e.at, e.id))


def _span(start: datetime, end: datetime, tz: Any) -> str:
    """"11-24 15:00–16:00", for the audit note of a time change."""
    a, b = start.astimezone(tz), end.astimezone(tz)
    return f"{a:%m-%d %H:%M}–{b:%H:%M}" if a.date() == b.date() else f"{a:%m-%d %H:%M}–{b:%m-%d %H:%M}"


# ------------------------------------------------------------------ booking

async def create_booking(session: AsyncSession, now: datetime, config: Config, *, room: str, person_id: str,
                         person_name: str, start: datetime, end: datetime, party_size: int = 1,
                         is_staff: bool = False, scope: str = PRIVATE_SCOPE, purpose: str = "",
                         created_by: str | None = None, series: str | None = None,
                         status: Status | None = None, quota: bool = True,
                         suggest: bool = True, by_name: str | None = None, note: str | None = None) -> Booking:
    """Book a room, or raise BookingError(code, …) naming the first rule it breaks.

    A conflict-like refusal carries `suggestions`: the nearest free slots of the same length."""
    rc = _room_of(config, room)
    row = await _room_row(session, config, rc.name, lock=True)   # serialises check-then-insert
    resend = series is None and status is None and 1 <= party_size <= rc.capacity
    # One read for both the resend check and the weekly quota.
    week = await _person_week(session, config, row.id, person_id, start) if resend or quota else None
    if resend and week is not None:
        # The same request sent twice (a resend, a double tap) is the booking they already have. (An
        # absurd party size is left to the seat rule.)
        same = next((b for b in week if b.start_at == start and b.end_at == end and b.party_size == party_size
                     and b.status in (Status.PENDING, Status.CONFIRMED)), None)
        if same is not None:
            raise BookingError("same_booking", code=same.code)
    req = Request(rc, person_id, start, end, party_size, is_staff)
    violation = await _validate(session, now, config, req, row.id, quota=quota, week=week)
    if violation is not None:
        detail = dict(violation.detail)
        if suggest and violation.code in SUGGESTABLE:
            detail["suggestions"] = await suggest_slots(session, now, config, req, room_id=row.id)
        raise BookingError(violation.code, **detail)
    if status is None:
        status = Status.PENDING if needs_approval(rc, is_staff) else Status.CONFIRMED
    s = config.booking
    booking = Booking(
        code=await _next_code(session), room_id=row.id, room_name=rc.name, person_id=person_id,
        person_name=person_name, scope=scope, start_at=start, end_at=end, party_size=party_size,
        status=status, purpose=purpose[:200], requires_checkin=not is_staff, series=series,
        created_by=created_by or person_id, created_at=now, updated_at=now,
        confirmed_at=now if status == Status.CONFIRMED else None,
        # Booked inside the reminder window: the booking reply is the reminder.
        reminded_at=now if start - now <= timedelta(minutes=s.reminder_minutes) else None,
    )
    session.add(booking)
    await session.flush()
    action = {Status.CONFIRMED: "book", Status.PENDING: "request", Status.OFFERED: "offer"}[Status(status)]
    by = None if action == "offer" else created_by or person_id      # an offer is the bot's doing
    BOOKING.begin(session, now, booking, action, actor_id=by,
                  actor_name=by_name or (person_name if by == person_id else None), note=note)
    return booking


def _owner_or_staff(b: Booking, by_id: str, is_staff: bool) -> None:
    if b.person_id != by_id and not is_staff:
        raise BookingError("not_yours", code=b.code)


async def cancel_booking(session: AsyncSession, now: datetime, code: str, *, by_id: str, is_staff: bool = False,
                         reason: str = "", by_name: str | None = None) -> Booking:
    b = await get_booking(session, code, lock=True)
    _owner_or_staff(b, by_id, is_staff)
    if b.status not in HOLDING:
        raise BookingError("not_active", code=b.code, status=b.status)
    if b.end_at <= now:
        raise BookingError("already_over", code=b.code)
    BOOKING.move(session, now, b, "cancel", actor_id=by_id, actor_name=by_name, note=reason or None)
    b.reason = reason or None
    b.decided_by = by_id
    b.updated_at = now
    # The slot is free now: the waitlist job offers it to the next person (models.booking.make_offers).
    await _pass_on_offer(session, now, b)
    return b


async def change_booking(session: AsyncSession, now: datetime, config: Config, code: str, start: datetime,
                         end: datetime, *, by_id: str, is_staff: bool = False, by_name: str | None = None) -> Booking:
    """Move a booking to another time (same room, same party), re-checking every rule."""
    b = await get_booking(session, code)
    _owner_or_staff(b, by_id, is_staff)
    if b.status not in (Status.PENDING, Status.CONFIRMED):
        raise BookingError("not_active", code=b.code, status=b.status)
    rc = _room_of(config, b.room_name)
    row = await _room_row(session, config, rc.name, lock=True)
    await session.refresh(b, with_for_update=True)
    booker_is_staff = (is_staff and b.person_id == by_id) or not b.requires_checkin
    req = Request(rc, b.person_id, start, end, b.party_size, booker_is_staff, exclude_id=b.id)
    violation = await _validate(session, now, config, req, row.id)
    if violation is not None:
        detail = dict(violation.detail)
        if violation.code in SUGGESTABLE:
            detail["suggestions"] = await suggest_slots(session, now, config, req, room_id=row.id)
        raise BookingError(violation.code, **detail)
    tz = config.timezone
    moved = f"{_span(b.start_at, b.end_at, tz)} → {_span(start, end, tz)}"
    b.start_at, b.end_at, b.updated_at = start, end, now
    again = b.status == Status.CONFIRMED and needs_approval(rc, booker_is_staff)   # a new time, a new approval
    BOOKING.move(session, now, b, "resubmit" if again else "reschedule", actor_id=by_id, actor_name=by_name,
                 note=moved)
    if again:
        b.confirmed_at = None
    b.reminded_at = now if start - now <= timedelta(minutes=config.booking.reminder_minutes) else None
    return b


async def check_in(session: AsyncSession, now: datetime, config: Config, code: str, *, by_id: str,
                   is_staff: bool = False, by_name: str | None = None) -> Booking:
    b = await get_booking(session, code, lock=True)
    _owner_or_staff(b, by_id, is_staff)
    if b.status == Status.CHECKED_IN:
        raise BookingError("already_checked_in", code=b.code)
    if b.status == Status.PENDING:
        raise BookingError("still_pending", code=b.code)
    if b.status != Status.CONFIRMED:
        raise BookingError("not_active", code=b.code, status=b.status)
    opens = b.start_at - timedelta(minutes=config.booking.checkin_opens_minutes)
    if now < opens:
        raise BookingError("checkin_too_early", code=b.code, opens=opens)
    if now >= b.end_at:
        raise BookingError("already_over", code=b.code)
    BOOKING.move(session, now, b, "check_in", actor_id=by_id, actor_name=by_name)
    b.checked_in_at, b.checked_in_by, b.updated_at = now, by_id, now
    return b


async def checkin_candidate(session: AsyncSession, now: datetime, config: Config, person_id: str) -> Booking | None:
    """For a bare "签到": this person's confirmed booking whose check-in window is open now."""
    opens = timedelta(minutes=config.booking.checkin_opens_minutes)
    return await session.scalar(
        select(Booking).where(Booking.person_id == person_id, Booking.status == Status.CONFIRMED,
                              Booking.start_at <= now + opens, Booking.end_at > now)
        .order_by(Booking.start_at).limit(1))


async def approve(session: AsyncSession, now: datetime, config: Config, code: str, *, by_id: str,
                  by_name: str | None = None) -> Booking:
    b = await get_booking(session, code, lock=True)
    if b.status != Status.PENDING:
        raise BookingError("not_pending", code=b.code, status=b.status)
    if b.end_at <= now:
        raise BookingError("already_over", code=b.code)
    BOOKING.move(session, now, b, "approve", actor_id=by_id, actor_name=by_name)
    b.decided_by, b.confirmed_at, b.updated_at = by_id, now, now
    if b.start_at - now <= timedelta(minutes=config.booking.reminder_minutes):
        b.reminded_at = now
    return b


async def reject(session: AsyncSession, now: datetime, code: str, *, by_id: str, reason: str,
                 by_name: str | None = None) -> Booking:
    b = await get_booking(session, code, lock=True)
    if b.status not in (Status.PENDING, Status.CONFIRMED):
        raise BookingError("not_pending", code=b.code, status=b.status)
    BOOKING.move(session, now, b, "reject", actor_id=by_id, actor_name=by_name, note=reason or None)
    b.decided_by, b.reason, b.updated_at = by_id, reason or None, now
    return b


async def my_bookings(session: AsyncSession, now: datetime, person_id: str, *, limit: int = 20) -> list[Booking]:
    """This person's bookings that are still ahead or running (pending, confirmed, offered, checked in)."""
    return list((await session.scalars(
        select(Booking).where(Booking.person_id == person_id, Booking.status.in_(HOLDING), Booking.end_at > now)
        .order_by(Booking.start_at).limit(limit))).all())


async def pending_approvals(session: AsyncSession, now: datetime) -> list[Booking]:
    return list((await session.scalars(
        select(Booking).where(Booking.status == Status.PENDING, Booking.end_at > now)
        .order_by(Booking.start_at))).all())


async def day_bookings(session: AsyncSession, config: Config, day: date) -> dict[str, list[Booking]]:
    """A local day's bookings that hold or held a room (今日预约), by room in config order."""
    tz = config.timezone
    lo = datetime.combine(day, time(0), tzinfo=tz)
    rows = (await session.scalars(
        select(Booking).where(Booking.start_at < lo + timedelta(days=1), Booking.end_at > lo,
                              Booking.status.in_((*HOLDING, Status.NO_SHOW)))
        .order_by(Booking.start_at))).all()
    out: dict[str, list[Booking]] = {r.name: [] for r in config.rooms}
    for b in rows:
        out.setdefault(b.room_name, []).append(b)
    return out


async def list_bookings(session: AsyncSession, *, start: datetime | None = None, end: datetime | None = None,
                        room: str | None = None, person_id: str | None = None,
                        statuses: tuple[str, ...] | None = None, limit: int = 500) -> list[Booking]:
    """Bookings overlapping [start, end), filtered (the web inbox's table and calendar)."""
    stmt = select(Booking)
    if start is not None:
        stmt = stmt.where(Booking.end_at > start)
    if end is not None:
        stmt = stmt.where(Booking.start_at < end)
    if room is not None:
        stmt = stmt.where(Booking.room_name == room)
    if person_id is not None:
        stmt = stmt.where(Booking.person_id == person_id)
    if statuses is not None:
        stmt = stmt.where(Booking.status.in_(statuses))
    return list((await session.scalars(stmt.order_by(Booking.start_at, Booking.id).limit(limit))).all())


# ------------------------------------------------------------------ recurring (staff)

@dataclass
class SeriesResult:
    created: list[Booking] = field(default_factory=list)
    skipped: list[tuple[datetime, datetime, BookingError]] = field(default_factory=list)


async def create_series(session: AsyncSession, now: datetime, config: Config, *, room: str, person_id: str,
                        person_name: str, start: datetime, end: datetime, weeks: int | None = None,
                        party_size: int = 1, scope: str = PRIVATE_SCOPE, purpose: str = "") -> SeriesResult:
    """Staff: the same slot every week for `weeks` weeks; each week that breaks a rule is skipped and
    reported, the others are booked (confirmed, no check-in needed)."""
    weeks = weeks or config.booking.recurring_weeks
    result = SeriesResult()
    series: str | None = None
    tz = config.timezone
    for i in range(weeks):
        # Same local wall-clock time every week, whatever a DST change would do.
        s = (start.astimezone(tz) + timedelta(weeks=i)).replace(tzinfo=None).replace(tzinfo=tz)
        e = (end.astimezone(tz) + timedelta(weeks=i)).replace(tzinfo=None).replace(tzinfo=tz)
        try:
            async with session.begin_nested():
                b = await create_booking(session, now, config, room=room, person_id=person_id,
                                         person_name=person_name, start=s, end=e, party_size=party_size,
                                         is_staff=True, scope=scope, purpose=purpose, series=series,
                                         suggest=False)
        except BookingError as exc:
            result.skipped.append((s, e, exc))
            continue
        if series is None:
            series = b.code
            b.series = series
        result.created.append(b)
    return result


# ------------------------------------------------------------------ blocks (staff)

@dataclass
class BlockResult:
    block: Block
    cancelled: list[Booking]


async def block_room(session: AsyncSession, now: datetime, config: Config, *, room: str, start: datetime,
                     end: datetime, reason: str, by_id: str, by_name: str | None = None) -> BlockResult:
    """Close a room for [start, end): bookings inside are cancelled (the caller tells their owners)."""
    rc = _room_of(config, room)
    if end <= start:
        raise BookingError("end_before_start")
    if end <= now:
        raise BookingError("in_past")
    row = await _room_row(session, config, rc.name, lock=True)
    block = Block(room_id=row.id, room_name=rc.name, start_at=start, end_at=end, reason=reason[:200],
                  created_by=by_id, created_at=now)
    session.add(block)
    hit = (await session.scalars(
        select(Booking).where(Booking.room_id == row.id, Booking.status.in_(HOLDING),
                              Booking.start_at < end, Booking.end_at > start, Booking.end_at > now)
        .order_by(Booking.start_at))).all()
    for b in hit:
        BOOKING.move(session, now, b, "close", actor_id=by_id, actor_name=by_name, note=reason or None)
        b.reason, b.decided_by, b.updated_at = f"封闭: {reason}".strip(), by_id, now
    # Waiting entries inside the block can never be served.
    waiting = (await session.scalars(
        select(WaitlistEntry).where(WaitlistEntry.room_id == row.id,
                                    WaitlistEntry.status.in_((WaitStatus.WAITING, WaitStatus.OFFERED)),
                                    WaitlistEntry.start_at < end, WaitlistEntry.end_at > start))).all()
    for w in waiting:
        WAITLIST.move(session, now, w, "cancel", actor_id=by_id, actor_name=by_name, note=f"封闭: {reason}".strip())
        w.updated_at = now
    await session.flush()
    return BlockResult(block, list(hit))


async def list_blocks(session: AsyncSession, now: datetime, *, room: str | None = None) -> list[Block]:
    """Blocks not over yet."""
    stmt = select(Block).where(Block.end_at > now)
    if room is not None:
        stmt = stmt.where(Block.room_name == room)
    return list((await session.scalars(stmt.order_by(Block.start_at))).all())


async def remove_block(session: AsyncSession, block_id: int) -> Block:
    """Reopen a blocked room (bookings cancelled by the block stay cancelled; their owners were told)."""
    block = await session.get(Block, block_id)
    if block is None:
        raise BookingError("unknown_block", id=block_id)
    await session.delete(block)
    return block


# ------------------------------------------------------------------ availability

@dataclass(frozen=True)
class Availability:
    room: RoomConfig
    start: datetime
    end: datetime
    free: bool                                      # the whole [start, end) can be booked by one party
    free_seats: int                                 # per-seat rooms: seats free for the whole span
    free_spans: tuple[tuple[datetime, datetime], ...]   # bookable stretches inside [start, end)
    closed: bool = False                            # closed that day, or the span is outside hours
    blocked_reason: str | None = None


async def availability(session: AsyncSession, now: datetime, config: Config, room: str, start: datetime,
                       end: datetime) -> Availability:
    """What is free in a room between start and end (clipped to opening hours and to now)."""
    rc = _room_of(config, room)
    tz = config.timezone
    day = start.astimezone(tz).date()
    opens, closes = open_window(rc, day, tz)
    lo = max(start, opens, _ceil_to(now, 5))
    hi = min(end, closes)
    if not is_open_day(rc, day) or lo >= hi:
        return Availability(rc, start, end, False, 0, (), closed=True)
    row = await _room_row(session, config, rc.name, lock=False)
    pad = timedelta(minutes=rc.buffer_minutes)
    held = await _held(session, row.id, lo - pad, hi + pad)
    blocks = await _blocks(session, row.id, lo, hi)
    # Busy stretches: bookings widened by the buffer (whole rooms) or full seat counts (per seat).
    busy: list[tuple[datetime, datetime]] = [(b.start, b.end) for b in blocks]
    if rc.per_seat:
        busy += _full_stretches(held, rc.capacity, lo, hi)
        used = max_concurrent(held, lo, hi)
        free_seats = max(0, rc.capacity - used)
    else:
        busy += [(h.start - pad, h.end + pad) for h in held]
        free_seats = 0
    spans = tuple(s for s in _subtract((lo, hi), busy) if s[1] - s[0] >= timedelta(minutes=rc.min_minutes))
    whole = bool(spans) and spans[0] == (lo, hi)
    if rc.per_seat:
        free = free_seats > 0 and whole
    else:
        free = whole
        free_seats = rc.capacity if free else 0
    reason = next((b.reason for b in blocks), None)
    return Availability(rc, lo, hi, free, free_seats, spans, blocked_reason=reason)


async def rooms_free(session: AsyncSession, now: datetime, config: Config, start: datetime, end: datetime,
                     *, is_staff: bool = False) -> list[Availability]:
    """Availability of every room a person may book, for one span (今晚还有哪些房间空)."""
    out = []
    for rc in config.rooms:
        if rc.who == "staff" and not is_staff:
            continue
        out.append(await availability(session, now, config, rc.name, start, end))
    return out


def _full_stretches(held: list[Held], capacity: int, lo: datetime, hi: datetime) -> list[tuple[datetime, datetime]]:
    points = sorted({lo, hi, *(max(lo, h.start) for h in held), *(min(hi, h.end) for h in held)})
    out = []
    for a, b in zip(points, points[1:]):
        if a >= b:
            continue
        used = sum(h.party_size for h in held if h.start <= a and h.end >= b)
        if used >= capacity:
            out.append((a, b))
    return out


def _subtract(span: tuple[datetime, datetime], busy: list[tuple[datetime, datetime]]
              ) -> list[tuple[datetime, datetime]]:
    free = [span]
    for b0, b1 in sorted(busy):
        nxt = []
        for f0, f1 in free:
            if b1 <= f0 or b0 >= f1:
                nxt.append((f0, f1))
                continue
            if f0 < b0:
                nxt.append((f0, b0))
            if b1 < f1:
                nxt.append((b1, f1))
        free = nxt
    return free


def _ceil_to(t: datetime, minutes: int) -> datetime:
    t = t.replace(second=0, microsecond=0) + (timedelta(minutes=1) if t.second or t.microsecond else timedelta())
    extra = (-t.minute) % minutes
    return t + timedelta(minutes=extra)


# ------------------------------------------------------------------ waitlist

async def join_waitlist(session: AsyncSession, now: datetime, config: Config, *, room: str, person_id: str,
                        person_name: str, start: datetime, end: datetime, party_size: int = 1,
                        scope: str = PRIVATE_SCOPE) -> tuple[WaitlistEntry, int]:
    """Queue for a taken slot. Returns the entry and its place among those waiting for overlapping time."""
    rc = _room_of(config, room)
    if end <= now:
        raise BookingError("in_past")
    row = await _room_row(session, config, rc.name, lock=True)
    existing = await session.scalar(
        select(WaitlistEntry).where(WaitlistEntry.room_id == row.id, WaitlistEntry.person_id == person_id,
                                    WaitlistEntry.status == WaitStatus.WAITING,
                                    WaitlistEntry.start_at < end, WaitlistEntry.end_at > start))
    if existing is not None:
        raise BookingError("already_waiting", start=existing.start_at, end=existing.end_at)
    entry = WaitlistEntry(room_id=row.id, room_name=rc.name, person_id=person_id, person_name=person_name,
                          scope=scope, start_at=start, end_at=end, party_size=party_size,
                          status=WaitStatus.WAITING, created_at=now, updated_at=now)
    session.add(entry)
    await session.flush()
    WAITLIST.begin(session, now, entry, "join", actor_id=person_id, actor_name=person_name)
    ahead = len((await session.scalars(
        select(WaitlistEntry.id).where(WaitlistEntry.room_id == row.id, WaitlistEntry.status == WaitStatus.WAITING,
                                       WaitlistEntry.start_at < end, WaitlistEntry.end_at > start,
                                       WaitlistEntry.id < entry.id))).all())
    return entry, ahead + 1


async def make_offers(session: AsyncSession, now: datetime, config: Config) -> list[Booking]:
    """Offer freed slots to waiting people, first come first served per room: an `offered` booking
    holds the slot for `offer_minutes` until they answer. Returns the new offers (to be announced)."""
    s = config.booking
    waiting = (await session.scalars(
        select(WaitlistEntry).where(WaitlistEntry.status == WaitStatus.WAITING)
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id))).all()
    offers: list[Booking] = []
    start_floor = _ceil_to(now, 5)
    for w in waiting:
        rc = room_config(config, w.room_name)
        if rc is not None:
            # Room first, then the entry: the same lock order as block_room and join_waitlist, and a
            # second instance running this job at the same moment finds the entry already offered.
            await _room_row(session, config, rc.name, lock=True)
            await session.refresh(w, with_for_update=True)
            if w.status != WaitStatus.WAITING:
                continue
        begin = max(w.start_at, start_floor)
        if rc is None or w.end_at - begin < timedelta(minutes=rc.min_minutes):
            WAITLIST.move(session, now, w, "lapse")
            w.updated_at = now
            continue
        try:
            async with session.begin_nested():
                b = await create_booking(session, now, config, room=rc.name, person_id=w.person_id,
                                         person_name=w.person_name, start=begin, end=w.end_at,
                                         party_size=w.party_size, scope=w.scope, status=Status.OFFERED,
                                         suggest=False)
        except BookingError:
            continue      # still taken (or now over quota): stays in the queue
        b.offer_expires_at = now + timedelta(minutes=s.offer_minutes)
        WAITLIST.move(session, now, w, "offer", note=b.code)
        w.booking_code, w.updated_at = b.code, now
        offers.append(b)
    return offers


async def expire_offers(session: AsyncSession, now: datetime) -> list[Booking]:
    """Offers nobody took in time: released, so the next person in the queue can be offered."""
    rows = (await session.scalars(
        select(Booking).where(Booking.status == Status.OFFERED, Booking.offer_expires_at <= now)
        .with_for_update(skip_locked=True))).all()
    for b in rows:
        BOOKING.move(session, now, b, "expire", note="候补未确认")
        b.updated_at, b.reason = now, "候补未确认"
        await _pass_on_offer(session, now, b)
    return list(rows)


async def _pass_on_offer(session: AsyncSession, now: datetime, b: Booking) -> None:
    entry = await session.scalar(select(WaitlistEntry).where(WaitlistEntry.booking_code == b.code))
    if entry is not None and entry.status == WaitStatus.OFFERED:
        WAITLIST.move(session, now, entry, "pass", note=b.code)
        entry.updated_at = now


async def accept_offer(session: AsyncSession, now: datetime, config: Config, code: str, *, person_id: str) -> Booking:
    b = await get_booking(session, code, lock=True)
    if b.person_id != person_id:
        raise BookingError("not_yours", code=b.code)
    if b.status != Status.OFFERED or (b.offer_expires_at is not None and b.offer_expires_at <= now):
        raise BookingError("offer_gone", code=b.code)
    rc = _room_of(config, b.room_name)
    approval = needs_approval(rc, False)
    BOOKING.move(session, now, b, "accept_pending" if approval else "accept", actor_id=person_id,
                 actor_name=b.person_name)
    b.confirmed_at = None if approval else now
    b.offer_expires_at, b.updated_at = None, now
    if b.start_at - now <= timedelta(minutes=config.booking.reminder_minutes):
        b.reminded_at = now
    entry = await session.scalar(select(WaitlistEntry).where(WaitlistEntry.booking_code == b.code))
    if entry is not None and entry.status == WaitStatus.OFFERED:
        WAITLIST.move(session, now, entry, "book", actor_id=person_id, actor_name=b.person_name, note=b.code)
        entry.updated_at = now
    return b


async def decline_offer(session: AsyncSession, now: datetime, code: str, *, person_id: str) -> Booking:
    b = await get_booking(session, code, lock=True)
    if b.person_id != person_id:
        raise BookingError("not_yours", code=b.code)
    if b.status != Status.OFFERED:
        raise BookingError("offer_gone", code=b.code)
    BOOKING.move(session, now, b, "decline", actor_id=person_id, actor_name=b.person_name, note="候补放弃")
    b.updated_at, b.reason = now, "候补放弃"
    await _pass_on_offer(session, now, b)
    return b


# ------------------------------------------------------------------ clocks (scheduler)

async def due_reminders(session: AsyncSession, now: datetime, config: Config) -> list[Booking]:
    """Confirmed bookings starting within the reminder lead time that were not reminded yet; they are
    marked reminded here, in the same transaction as the caller's keyed outbox rows."""
    lead = timedelta(minutes=config.booking.reminder_minutes)
    rows = (await session.scalars(
        select(Booking).where(Booking.status == Status.CONFIRMED, Booking.reminded_at.is_(None),
                              Booking.start_at <= now + lead, Booking.start_at > now)
        .order_by(Booking.start_at).with_for_update(skip_locked=True))).all()
    for b in rows:
        b.reminded_at = now
    return list(rows)


async def release_no_shows(session: AsyncSession, now: datetime, config: Config) -> list[Booking]:
    """Confirmed bookings not checked in within the grace period after their start (or after the
    moment they were confirmed, for a slot taken while already running): released as no_show."""
    grace = timedelta(minutes=config.booking.checkin_grace_minutes)
    rows = (await session.scalars(
        select(Booking).where(Booking.status == Status.CONFIRMED, Booking.requires_checkin.is_(True),
                              Booking.start_at <= now - grace)
        .with_for_update(skip_locked=True))).all()
    released = []
    for b in rows:
        since = max(b.start_at, b.confirmed_at or b.start_at)
        if now < since + grace:
            continue
        BOOKING.move(session, now, b, "no_show", note="超时未签到,自动释放")
        b.updated_at, b.reason = now, "超时未签到,自动释放"
        released.append(b)
    return released


async def expire_pending(session: AsyncSession, now: datetime) -> list[Booking]:
    """Pending bookings nobody approved before they began."""
    rows = (await session.scalars(
        select(Booking).where(Booking.status == Status.PENDING, Booking.start_at <= now)
        .with_for_update(skip_locked=True))).all()
    for b in rows:
        BOOKING.move(session, now, b, "expire", note="开始前未审批")
        b.updated_at, b.reason = now, "开始前未审批"
    return list(rows)


async def claim_once(session: AsyncSession, key: str, now: datetime) -> bool:
    """True for the first caller with this key (the daily index runs once, whatever the instances)."""
    return await insert_ignore(session, JobClaim.__table__, {"key": key, "at": now}) == 1
