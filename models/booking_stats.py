"""Room statistics: utilisation (忙闲不均) and the popularity index (人气指数).

Utilisation
    For a room and a date range, per clock hour and per weekday:

        utilisation = booked time ÷ (open time − blocked time)

    Open time comes from the room's hours, closed weekdays and closed dates; blocked time (封闭) is
    taken out of the denominator, because nobody could have booked it. Booked time counts bookings
    that held the room (confirmed or checked in); a no-show was released and is not counted, nor
    are cancelled, rejected or expired bookings. For a per-seat room (自习室) booked time is weighted
    by the share of seats taken: 5 of 20 seats for an hour is 0.25 of that hour. Values are 0–1, or
    None for an hour the room is never open.

人气指数 (after Taizhou's 日人气/周人气/月人气/年人气 monitoring)
    For a period P (a local day; the Monday–Sunday week; the calendar month; the calendar year),
    counted from the period's first day up to the day computed, and for each room r:

        B_r = people booked       Σ party_size of bookings starting in P that were granted
                                  (confirmed, checked in or no-show)
        C_r = people who came     Σ party_size of bookings checked in
        A_r = event attendance    Σ party_size of event signups checked in (签到), for events starting
                                  in P and held in room r (the room their booking holds, else the room
                                  their place names); cancelled events count nothing

        raw_r   = 0.4·B_r + 0.4·C_r + 0.2·A_r

        room index    (key = room name) = 100 · raw_r ÷ max over the centre's rooms of raw
                      — the busiest room of the period scores 100, an unused room 0;
        centre index  (key = "centre")  = Σ_r raw_r ÷ days counted in P
                      — average daily 人气, so a day, a week, a month and a year compare on one scale,
                        and so do centres of different communities.

    A daily scheduler job (scheduler.booking_jobs) computes the four periods that contain the day
    just ended and stores them in booking_popularity (period, period_start, key → value, with the
    B/C/A counts beside it); `popularity()` reads them, `compute_popularity()` recomputes on demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.config import Config
from models.booking import USED, Block, Booking, Popularity, Status, _subtract
from models.booking_rules import is_open_day, open_window
from models.events import Event, EventStatus, Signup, room_of_place

# ------------------------------------------------------------------ utilisation


@dataclass
class Utilisation:
    first: date
    last: date
    rooms: list[str]
    by_hour: dict[str, list[float | None]]       # room → 24 values (local clock hour)
    by_weekday: dict[str, list[float | None]]    # room → 7 values (0 = Monday)
    by_room: dict[str, float | None]             # room → the whole range
    open_minutes: dict[str, float]
    booked_minutes: dict[str, float]

    def matrix(self) -> list[list[float | None]]:
        """Rows = rooms (in `rooms` order), columns = hours 0–23: the heat map."""
        return [self.by_hour[r] for r in self.rooms]


def _ratio(booked: float, open_: float) -> float | None:
    return round(booked / open_, 4) if open_ > 0 else None


def _split_hours(a: datetime, b: datetime):  # type: ignore[no-untyped-def]
    """(local hour, minutes) pieces of [a, b); a and b are local aware datetimes on one day or so."""
    t = a
    while t < b:
        nxt = min(b, t.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
        yield t.hour, (nxt - t).total_seconds() / 60
        t = nxt


async def utilisation(session: AsyncSession, config: Config, first: date, last: date,
                      rooms: list[str] | None = None) -> Utilisation:
    """Room × hour and room × weekday utilisation for the local dates first…last (inclusive)."""
    tz = config.timezone
    lo = datetime.combine(first, time(0), tzinfo=tz)
    hi = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    chosen = [r for r in config.rooms if rooms is None or r.name in rooms]
    names = [r.name for r in chosen]
    bookings = (await session.execute(
        select(Booking.room_name, Booking.start_at, Booking.end_at, Booking.party_size)
        .where(Booking.room_name.in_(names), Booking.status.in_(USED), Booking.start_at < hi, Booking.end_at > lo)
    )).all()
    blocks = (await session.execute(
        select(Block.room_name, Block.start_at, Block.end_at)
        .where(Block.room_name.in_(names), Block.start_at < hi, Block.end_at > lo))).all()
    out = Utilisation(first, last, names, {}, {}, {}, {}, {})
    for rc in chosen:
        open_h, booked_h = [0.0] * 24, [0.0] * 24
        open_wd, booked_wd = [0.0] * 7, [0.0] * 7
        mine = [b for b in bookings if b.room_name == rc.name]
        busy = [(b.start_at, b.end_at) for b in blocks if b.room_name == rc.name]
        d = first
        while d <= last:
            if is_open_day(rc, d):
                available = _subtract(open_window(rc, d, tz), busy)
                for a0, a1 in available:
                    for hour, minutes in _split_hours(a0.astimezone(tz), a1.astimezone(tz)):
                        open_h[hour] += minutes
                        open_wd[d.weekday()] += minutes
                    for b in mine:
                        s, e = max(a0, b.start_at), min(a1, b.end_at)
                        if s >= e:
                            continue
                        weight = min(1.0, b.party_size / rc.capacity) if rc.per_seat else 1.0
                        for hour, minutes in _split_hours(s.astimezone(tz), e.astimezone(tz)):
                            booked_h[hour] += minutes * weight
                            booked_wd[d.weekday()] += minutes * weight
            d += timedelta(days=1)
        out.by_hour[rc.name] = [_ratio(b, o) for b, o in zip(booked_h, open_h)]
        out.by_weekday[rc.name] = [_ratio(b, o) for b, o in zip(booked_wd, open_wd)]
        out.open_minutes[rc.name] = sum(open_h)
        out.booked_minutes[rc.name] = round(sum(booked_h), 2)
        out.by_room[rc.name] = _ratio(sum(booked_h), sum(open_h))
    return out


# ------------------------------------------------------------------ 人气指数

W_BOOKED, W_CHECKED_IN, W_ATTENDED = 0.4, 0.4, 0.2
PERIODS = ("day", "week", "month", "year")
GRANTED = (Status.CONFIRMED, Status.CHECKED_IN, Status.NO_SHOW)

def period_start(period: str, day: date) -> date:
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    if period == "year":
        return day.replace(month=1, day=1)
    raise ValueError(f"unknown period {period!r}")


@dataclass(frozen=True)
class PopularityRow:
    period: str
    period_start: date
    key: str           # "centre" or a room name
    value: float
    bookings: int
    checkins: int
    attendance: int


async def _attendance(session: AsyncSession, config: Config, lo: datetime, hi: datetime) -> dict[str, int]:
    """Room → people checked in at events starting in [lo, hi). The room is the one the event's booking
    holds (publish books it), else the configured room its place names; events elsewhere count nowhere."""
    rows = (await session.execute(
        select(Event.place, Booking.room_name, func.sum(Signup.party_size))
        .join(Signup, Signup.event_id == Event.id)
        .outerjoin(Booking, Booking.code == Event.room_booking)
        .where(Event.starts_at >= lo, Event.starts_at < hi, Event.status != EventStatus.CANCELLED,
               Signup.checked_in_at.is_not(None))
        .group_by(Event.id, Event.place, Booking.room_name))).all()
    total: dict[str, int] = {}
    for place, booked_room, n in rows:
        room = booked_room or room_of_place(place, config)
        if room is not None:
            total[room] = total.get(room, 0) + int(n or 0)
    return total


async def compute_popularity(session: AsyncSession, config: Config, day: date, now: datetime
                             ) -> list[PopularityRow]:
    """Compute and store the day/week/month/year indices of the periods containing `day`, counted up
    to `day` inclusive. Idempotent: the stored rows of those periods are replaced."""
    tz = config.timezone
    rows: list[PopularityRow] = []
    for period in PERIODS:
        ps = period_start(period, day)
        lo = datetime.combine(ps, time(0), tzinfo=tz)
        hi = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        counts = (await session.execute(
            select(Booking.room_name, Booking.status, func.sum(Booking.party_size))
            .where(Booking.start_at >= lo, Booking.start_at < hi, Booking.status.in_(GRANTED))
            .group_by(Booking.room_name, Booking.status))).all()
        attended = await _attendance(session, config, lo, hi)
        booked: dict[str, int] = {}
        came: dict[str, int] = {}
        for room, status, n in counts:
            booked[room] = booked.get(room, 0) + int(n or 0)
            if status == Status.CHECKED_IN:
                came[room] = came.get(room, 0) + int(n or 0)
        names = [r.name for r in config.rooms]
        raw = {r: W_BOOKED * booked.get(r, 0) + W_CHECKED_IN * came.get(r, 0) + W_ATTENDED * attended.get(r, 0)
               for r in names}
        top = max(raw.values(), default=0.0)
        days = (day - ps).days + 1
        period_rows = [PopularityRow(period, ps, "centre", round(sum(raw.values()) / days, 3),
                                     sum(booked.get(r, 0) for r in names), sum(came.get(r, 0) for r in names),
                                     sum(attended.get(r, 0) for r in names))]
        period_rows += [PopularityRow(period, ps, r, round(100 * raw[r] / top, 1) if top else 0.0,
                                      booked.get(r, 0), came.get(r, 0), attended.get(r, 0)) for r in names]
        await session.execute(delete(Popularity).where(Popularity.period == period,
                                                       Popularity.period_start == ps))
        session.add_all(Popularity(period=p.period, period_start=p.period_start, key=p.key, value=p.value,
                                   bookings=p.bookings, checkins=p.checkins, attendance=p.attendance,
                                   computed_at=now) for p in period_rows)
        rows += period_rows
    await session.flush()
    return rows


async def popularity(session: AsyncSession, period: str, on: date) -> list[PopularityRow]:
    """The stored index of the period (day/week/month/year) containing `on`: the centre first, then
    rooms from the most popular. Empty until the daily job (or compute_popularity) has run."""
    ps = period_start(period, on)
    rows = (await session.scalars(
        select(Popularity).where(Popularity.period == period, Popularity.period_start == ps))).all()
    out = [PopularityRow(r.period, r.period_start, r.key, r.value, r.bookings, r.checkins, r.attendance)
           for r in rows]
    return sorted(out, key=lambda r: (r.key != "centre", -r.value, r.key))
