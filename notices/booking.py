"""Bookings: a domain change (approved, rejected, cancelled by staff, closed by a block, a reminder,
a no-show release, a waitlist offer) turned into messages through the one Outbox API — the same for
chat handlers, scheduled jobs and web actions.

The owner is told in the group they booked in (with an @), else privately. Each message has an
explicit delivery key: the clocks key by booking and what happened (booking-reminder:B101); a move
made by a person keys by the booking's newest audit row, so one move is told once."""

from __future__ import annotations

from datetime import datetime

from kernel.config import Config
from kernel.text.timeparse import TimeReading, describe
from models import booking as ops
from models.booking import Booking
from models.outbox import Outbox, Priority
from texts import booking as T


def when(config: Config, now: datetime, start: datetime, end: datetime | None) -> str:
    return describe(TimeReading(start=start, end=end), now, config.timezone)


def party(config: Config, b: Booking) -> str:
    """",3个座位" for a per-seat room, ",3人" for a party, nothing for one person."""
    rc = ops.room_config(config, b.room_name)
    if rc is not None and rc.per_seat:
        return T.PARTY_SEATS.format(n=b.party_size)
    return T.PARTY_PEOPLE.format(n=b.party_size) if b.party_size > 1 else ""


async def tell_owner(out: Outbox, b: Booking, text: str, *, key: str,
                     priority: Priority = Priority.REPLY) -> bool:
    """Privately, or in the group they booked in with an @. False when the key was told already."""
    if b.in_group:
        return await out.group(b.scope, text, key=key, mentions=(b.person_id,), priority=priority)
    return await out.private(b.person_id, text, key=key, priority=priority)


async def _move_key(out: Outbox, b: Booking, what: str) -> str:
    return f"booking-{what}:{b.code}:{await ops.BOOKING.last_move_id(out.session, b.id)}"


def code_error(config: Config, now: datetime, exc: ops.BookingError) -> str:
    """A refusal about one booking code (approve, reject, cancel, check in …) in the words staff and
    residents read in chat and on the staff web alike."""
    d = exc.detail
    code = d.get("code", "")
    if exc.code == "unknown_code":
        return T.UNKNOWN_CODE.format(code=code)
    if exc.code == "not_yours":
        return T.NOT_YOURS.format(code=code)
    if exc.code == "not_active":
        return T.NOT_ACTIVE.format(code=code, status=T.STATUS.get(d.get("status", ""), d.get("status", "")))
    if exc.code == "already_over":
        return T.ALREADY_OVER.format(code=code)
    if exc.code == "already_checked_in":
        return T.ALREADY_CHECKED_IN.format(code=code)
    if exc.code == "still_pending":
        return T.STILL_PENDING.format(code=code)
    if exc.code == "checkin_too_early":
        return T.CHECKIN_TOO_EARLY.format(code=code, opens=when(config, now, d["opens"], None))
    if exc.code == "not_pending":
        return T.NOT_PENDING.format(code=code, status=T.STATUS.get(d.get("status", ""), d.get("status", "")))
    if exc.code == "offer_gone":
        return T.OFFER_GONE
    if exc.code == "unknown_room":
        return T.UNKNOWN_ROOM.format(word=d.get("name", ""), rooms="、".join(r.name for r in config.rooms))
    if exc.code == "in_past":
        return T.RULES["in_past"].format(when="这个时间")
    if exc.code == "end_before_start":
        return T.RULES["end_before_start"].format(when="")
    return T.NOT_ACTIVE.format(code=code, status=exc.code)


# ------------------------------------------------------------------ moves made by people

async def approval_wanted(out: Outbox, config: Config, now: datetime, b: Booking) -> None:
    """A booking (or a new time) that needs approval: the staff group hears of it."""
    purpose = T.PURPOSE.format(purpose=b.purpose) if b.purpose else ""
    await out.group(config.staff_group, T.STAFF_APPROVAL.format(
        code=b.code, room=b.room_name, when=when(config, now, b.start_at, b.end_at), party=party(config, b),
        name=b.person_name, purpose=purpose), key=await _move_key(out, b, "approval"))


async def approved(out: Outbox, config: Config, now: datetime, b: Booking) -> None:
    await tell_owner(out, b, T.APPROVED_NOTICE.format(room=b.room_name, when=when(config, now, b.start_at, b.end_at),
                                                      code=b.code, grace=config.booking.checkin_grace_minutes),
                     key=await _move_key(out, b, "approved"))


async def rejected(out: Outbox, config: Config, now: datetime, b: Booking) -> None:
    reason = T.REASON.format(reason=b.reason) if b.reason else ""
    await tell_owner(out, b, T.REJECTED_NOTICE.format(room=b.room_name, when=when(config, now, b.start_at, b.end_at),
                                                      code=b.code, reason=reason),
                     key=await _move_key(out, b, "rejected"))


async def cancelled_by_staff(out: Outbox, config: Config, now: datetime, b: Booking) -> None:
    reason = T.REASON.format(reason=b.reason) if b.reason else ""
    await tell_owner(out, b, T.CANCELLED_BY_STAFF.format(code=b.code, room=b.room_name,
                                                         when=when(config, now, b.start_at, b.end_at), reason=reason),
                     key=await _move_key(out, b, "cancelled"))


async def closed(out: Outbox, config: Config, now: datetime, result: ops.BlockResult) -> None:
    """A block (封闭) cancelled these bookings: each owner hears why."""
    block = result.block
    span = when(config, now, block.start_at, block.end_at)
    for b in result.cancelled:
        await tell_owner(out, b, T.BLOCK_NOTICE.format(room=block.room_name, when=span, reason=block.reason,
                                                       code=b.code, booked=when(config, now, b.start_at, b.end_at)),
                         key=await _move_key(out, b, "closed"))


# ------------------------------------------------------------------ the clocks (scheduler)

async def reminder(out: Outbox, config: Config, now: datetime, b: Booking) -> None:
    await tell_owner(out, b, T.REMINDER.format(room=b.room_name, when=when(config, now, b.start_at, b.end_at),
                                               code=b.code, grace=config.booking.checkin_grace_minutes),
                     key=f"booking-reminder:{b.code}", priority=Priority.NOTICE)


async def no_show(out: Outbox, config: Config, now: datetime, b: Booking) -> None:
    await tell_owner(out, b, T.NO_SHOW.format(room=b.room_name, when=when(config, now, b.start_at, b.end_at),
                                              code=b.code, grace=config.booking.checkin_grace_minutes),
                     key=f"booking-noshow:{b.code}", priority=Priority.NOTICE)


async def pending_expired(out: Outbox, config: Config, now: datetime, b: Booking) -> None:
    await tell_owner(out, b, T.PENDING_EXPIRED.format(room=b.room_name, when=when(config, now, b.start_at, b.end_at),
                                                      code=b.code),
                     key=f"booking-pending-expired:{b.code}", priority=Priority.NOTICE)


async def offer_expired(out: Outbox, config: Config, b: Booking) -> None:
    await tell_owner(out, b, T.OFFER_EXPIRED.format(code=b.code, minutes=config.booking.offer_minutes),
                     key=f"booking-offer-expired:{b.code}", priority=Priority.NOTICE)


async def offer(out: Outbox, config: Config, now: datetime, b: Booking) -> None:
    await tell_owner(out, b, T.OFFER.format(room=b.room_name, when=when(config, now, b.start_at, b.end_at),
                                            party=party(config, b), minutes=config.booking.offer_minutes,
                                            code=b.code),
                     key=f"booking-offer:{b.code}", priority=Priority.NOTICE)
