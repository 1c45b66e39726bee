"""Booking rules, one validator per rule (LibreBooking's ReservationValidation style).

Each validator looks at one `Request` and returns a `Violation` (a code plus the figures a reply
needs) or None. The static rules need nothing but the request, the room's config and the time; the
two data rules (weekly quota, conflicts) are given the rows they need, already loaded under the room
lock by models.booking, so every rule stays a pure function that tests can call directly.

Violation codes (texts/booking.py words each one):
    in_past, end_before_start, staff_only, too_short, too_long, outside_hours, closed_weekday,
    closed_date, too_far_ahead, over_capacity, over_quota, conflict, seats_full, blocked
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kernel.config import RoomConfig


@dataclass(frozen=True)
class Request:
    """What someone asks for. `start`/`end` are aware datetimes (any zone)."""

    room: RoomConfig
    person_id: str
    start: datetime
    end: datetime
    party_size: int = 1
    is_staff: bool = False
    exclude_id: int | None = None     # the booking being moved (it does not conflict with itself)

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True)
class Violation:
    code: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Held:
    """A booking that holds (part of) a room: what the conflict rule needs to know about it."""

    id: int
    code: str
    start: datetime
    end: datetime
    party_size: int


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime
    reason: str = ""


StaticRule = Callable[[Request, datetime, ZoneInfo], Violation | None]


# ------------------------------------------------------------------ static rules

def in_past(req: Request, now: datetime, tz: ZoneInfo) -> Violation | None:
    # To the minute: "预约今天下午3点" typed at 15:00:40 is still fine.
    if req.start < now.replace(second=0, microsecond=0):
        return Violation("in_past")
    return None


def end_before_start(req: Request, now: datetime, tz: ZoneInfo) -> Violation | None:
    return Violation("end_before_start") if req.end <= req.start else None


def who_may_book(req: Request, now: datetime, tz: ZoneInfo) -> Violation | None:
    if req.room.who == "staff" and not req.is_staff:
        return Violation("staff_only")
    return None


def length(req: Request, now: datetime, tz: ZoneInfo) -> Violation | None:
    if req.minutes < req.room.min_minutes:
        return Violation("too_short", {"min": req.room.min_minutes})
    if req.minutes > req.room.max_minutes:
        return Violation("too_long", {"max": req.room.max_minutes})
    return None


def opening_hours(req: Request, now: datetime, tz: ZoneInfo) -> Violation | None:
    start, end = req.start.astimezone(tz), req.end.astimezone(tz)
    day_open, day_close = open_window(req.room, start.date(), tz)
    if start < day_open or end > day_close:
        return Violation("outside_hours", {"hours": str(req.room.hours)})
    return None


def closed_day(req: Request, now: datetime, tz: ZoneInfo) -> Violation | None:
    day = req.start.astimezone(tz).date()
    if day.isoformat() in req.room.closed_dates:
        return Violation("closed_date", {"day": day})
    if day.weekday() in req.room.closed_weekdays:
        return Violation("closed_weekday", {"day": day, "weekday": day.weekday()})
    return None


def advance_window(req: Request, now: datetime, tz: ZoneInfo) -> Violation | None:
    # Staff plan weeks ahead (recurring classes); residents book at most advance_days ahead.
    if req.is_staff:
        return None
    last = now.astimezone(tz).date() + timedelta(days=req.room.advance_days)
    if req.start.astimezone(tz).date() > last:
        return Violation("too_far_ahead", {"days": req.room.advance_days, "last": last})
    return None


def capacity(req: Request, now: datetime, tz: ZoneInfo) -> Violation | None:
    if req.party_size < 1:
        return Violation("bad_party", {"capacity": req.room.capacity})
    if req.party_size > req.room.capacity:
        return Violation("over_capacity", {"capacity": req.room.capacity, "per_seat": req.room.per_seat})
    return None


# Order = the order a resident should hear about problems: the first that applies is the reply.
STATIC_RULES: tuple[StaticRule, ...] = (
    end_before_start, in_past, who_may_book, capacity, closed_day, opening_hours, length, advance_window,
)


def check_static(req: Request, now: datetime, tz: ZoneInfo, rules: Iterable[StaticRule] = STATIC_RULES
                 ) -> list[Violation]:
    return [v for rule in rules if (v := rule(req, now, tz)) is not None]


# ------------------------------------------------------------------ data rules

def weekly_quota(req: Request, used_minutes: int) -> Violation | None:
    """`used_minutes`: this person's booked minutes in this room in the request's calendar week."""
    quota = req.room.weekly_quota_hours
    if quota is None or req.is_staff:
        return None
    limit = int(quota * 60)
    if used_minutes + req.minutes > limit:
        return Violation("over_quota", {"quota_hours": quota, "used_minutes": used_minutes,
                                        "left_minutes": max(0, limit - used_minutes)})
    return None


def conflicts(req: Request, held: Sequence[Held], blocks: Sequence[Interval]) -> Violation | None:
    """Blocks, then other bookings: the buffer for a whole room, the seat count for a per-seat room."""
    for b in blocks:
        if b.start < req.end and req.start < b.end:
            return Violation("blocked", {"reason": b.reason, "start": b.start, "end": b.end})
    others = [h for h in held if h.id != req.exclude_id]
    if req.room.per_seat:
        overlapping = [h for h in others if h.start < req.end and req.start < h.end]
        used = max_concurrent(overlapping, req.start, req.end)
        if used + req.party_size > req.room.capacity:
            return Violation("seats_full", {"free": max(0, req.room.capacity - used),
                                            "capacity": req.room.capacity})
        return None
    buffer = timedelta(minutes=req.room.buffer_minutes)
    for h in others:
        if h.start < req.end + buffer and req.start < h.end + buffer:
            overlap = h.start < req.end and req.start < h.end
            return Violation("conflict", {"code": h.code, "start": h.start, "end": h.end, "overlap": overlap,
                                          "buffer": req.room.buffer_minutes})
    return None


def max_concurrent(held: Iterable[Held], start: datetime, end: datetime) -> int:
    """The most seats taken at any one moment of [start, end) (a sweep over the interval ends)."""
    events: list[tuple[datetime, int]] = []
    for h in held:
        s, e = max(h.start, start), min(h.end, end)
        if s < e:
            events.append((s, h.party_size))
            events.append((e, -h.party_size))
    # Ends sort before starts at the same instant: 14:00–15:00 and 15:00–16:00 never overlap.
    events.sort(key=lambda x: (x[0], x[1]))
    peak = cur = 0
    for _, delta in events:
        cur += delta
        peak = max(peak, cur)
    return peak


def needs_approval(room: RoomConfig, is_staff: bool) -> bool:
    """Rooms marked needs_approval go to staff first; bookings staff make themselves do not."""
    return room.needs_approval and not is_staff


# ------------------------------------------------------------------ calendar helpers

def open_window(room: RoomConfig, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The room's opening hours on `day` as aware local datetimes (23:59 in the config means 24:00)."""
    start = datetime.combine(day, room.hours.start, tzinfo=tz)
    if room.hours.end == time(23, 59):
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    else:
        end = datetime.combine(day, room.hours.end, tzinfo=tz)
    return start, end


def is_open_day(room: RoomConfig, day: date) -> bool:
    return day.weekday() not in room.closed_weekdays and day.isoformat() not in room.closed_dates


def week_bounds(moment: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 (local) around `moment`: the quota week."""
    d = moment.astimezone(tz).date()
    monday = d - timedelta(days=d.weekday())
    start = datetime.combine(monday, time(0), tzinfo=tz)
    return start, start + timedelta(days=7)
