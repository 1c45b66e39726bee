"""Booking clocks, run every tick: reminders, no-show release, unapproved bookings, waitlist offers,
and the nightly 人气指数.

Every message goes out under a key derived from the booking (booking-reminder:B101 …), claimed in
the same transaction as the status change, so a second tick, a restart or a second instance never
sends it twice. Order matters within a tick: a no-show released here is offered to the waitlist in
the same tick."""

from __future__ import annotations

from datetime import time, timedelta

from kernel.text.timeparse import TimeReading, describe
from texts import booking as T
from models import booking as ops
from models import booking_stats as stats
from models import conversation
from models.booking import Booking
from scheduler.ticker import Job, TickContext

POPULARITY_AFTER = time(0, 5)     # local time after which yesterday's index is computed


def _when(tc: TickContext, b: Booking) -> str:
    return describe(TimeReading(start=b.start_at, end=b.end_at), tc.now, tc.config.timezone)


def _party(tc: TickContext, b: Booking) -> str:
    rc = ops.room_config(tc.config, b.room_name)
    if rc is not None and rc.per_seat:
        return T.PARTY_SEATS.format(n=b.party_size)
    return T.PARTY_PEOPLE.format(n=b.party_size) if b.party_size > 1 else ""


async def _tell(tc: TickContext, b: Booking, text: str, key: str) -> bool:
    """Privately, or in the group they booked in with an @."""
    if b.in_group:
        return await tc.send_group(b.scope, text, key=key, mentions=(b.person_id,))
    return await tc.send_private(b.person_id, text, key=key)


async def reminders(tc: TickContext) -> None:
    s = tc.config.booking
    for b in await ops.due_reminders(tc.session, tc.now, tc.config):
        await _tell(tc, b, T.REMINDER.format(room=b.room_name, when=_when(tc, b), code=b.code,
                                             grace=s.checkin_grace_minutes), key=f"booking-reminder:{b.code}")


async def no_shows(tc: TickContext) -> None:
    s = tc.config.booking
    for b in await ops.release_no_shows(tc.session, tc.now, tc.config):
        await _tell(tc, b, T.NO_SHOW.format(room=b.room_name, when=_when(tc, b), code=b.code,
                                            grace=s.checkin_grace_minutes), key=f"booking-noshow:{b.code}")


async def unapproved(tc: TickContext) -> None:
    for b in await ops.expire_pending(tc.session, tc.now):
        await _tell(tc, b, T.PENDING_EXPIRED.format(room=b.room_name, when=_when(tc, b), code=b.code),
                    key=f"booking-pending-expired:{b.code}")


async def waitlist(tc: TickContext) -> None:
    s = tc.config.booking
    for b in await ops.expire_offers(tc.session, tc.now):
        await conversation.forget(tc.session, b.scope, b.person_id, ["booking_offer"])
        await _tell(tc, b, T.OFFER_EXPIRED.format(code=b.code, minutes=s.offer_minutes),
                    key=f"booking-offer-expired:{b.code}")
    for b in await ops.make_offers(tc.session, tc.now, tc.config):
        await conversation.ask(tc.session, scope=b.scope, person_id=b.person_id, kind="booking_offer",
                               data={"code": b.code}, now=tc.now, ttl=timedelta(minutes=s.offer_minutes))
        await _tell(tc, b, T.OFFER.format(room=b.room_name, when=_when(tc, b), party=_party(tc, b),
                                          minutes=s.offer_minutes, code=b.code), key=f"booking-offer:{b.code}")


async def daily_popularity(tc: TickContext) -> None:
    tz = tc.config.timezone
    local = tc.now.astimezone(tz)
    if local.time() < POPULARITY_AFTER:
        return
    day = local.date() - timedelta(days=1)
    key = f"popularity:{day.isoformat()}"
    if await tc.session.get(ops.JobClaim, key) is not None or not await ops.claim_once(tc.session, key, tc.now):
        return
    # Rooms may have changed in the config since yesterday: keep the mirror current once a day too.
    await ops.sync_rooms(tc.session, tc.config)
    await stats.compute_popularity(tc.session, tc.config, day, tc.now)


async def clocks(tc: TickContext) -> None:
    """The per-minute clocks in one transaction (each is a couple of indexed queries when idle)."""
    await reminders(tc)
    await no_shows(tc)
    await unapproved(tc)
    await waitlist(tc)


def jobs() -> list[tuple[str, Job]]:
    return [
        ("booking.clocks", clocks),
        ("booking.popularity", daily_popularity),
    ]

