"""Booking clocks, run every tick: reminders, no-show release, unapproved bookings, waitlist offers,
and the nightly 人气指数.

Every message goes out under a key derived from the booking (booking-reminder:B101 …), claimed in
the same transaction as the status change, so a second tick, a restart or a second instance never
sends it twice. Order matters within a tick: a no-show released here is offered to the waitlist in
the same tick."""

from __future__ import annotations

from datetime import time, timedelta

from models import booking as ops
from models import booking_stats as stats
from models import conversation
from notices import booking as notices
from scheduler.ticker import Job, TickContext

POPULARITY_AFTER = time(0, 5)     # local time after which yesterday's index is computed


async def reminders(tc: TickContext) -> None:
    for b in await ops.due_reminders(tc.session, tc.now, tc.config):
        await notices.reminder(tc.out, tc.config, tc.now, b)


async def no_shows(tc: TickContext) -> None:
    for b in await ops.release_no_shows(tc.session, tc.now, tc.config):
        await notices.no_show(tc.out, tc.config, tc.now, b)


async def unapproved(tc: TickContext) -> None:
    for b in await ops.expire_pending(tc.session, tc.now):
        await notices.pending_expired(tc.out, tc.config, tc.now, b)


async def waitlist(tc: TickContext) -> None:
    s = tc.config.booking
    for b in await ops.expire_offers(tc.session, tc.now):
        await conversation.forget(tc.session, b.scope, b.person_id, ["booking_offer"])
        await notices.offer_expired(tc.out, tc.config, b)
    for b in await ops.make_offers(tc.session, tc.now, tc.config):
        await conversation.ask(tc.session, scope=b.scope, person_id=b.person_id, kind="booking_offer",
                               data={"code": b.code}, now=tc.now, ttl=timedelta(minutes=s.offer_minutes))
        await notices.offer(tc.out, tc.config, tc.now, b)


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

