"""Scheduled work for events: notices, lapsed waiting-list offers, rosters, reminders, attendance.

Each job reads what is due from the tables at `tc.now` and sends through the outbox under a key derived
from what it does (e.g. "event-roster:E101:网格3一家亲:2946") — a second tick, a restart or a second
instance cannot send it twice. Rows are locked (FOR UPDATE) before they are marked done."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta

from kernel.config import Config
from models import events as ev
from models.outbox import Priority
from models.events import Signup, SignupStatus
from notices import events as notices
from scheduler.ticker import Job, TickContext
from texts import events as T


def in_quiet_hours(now: datetime, config: Config) -> bool:
    local = now.astimezone(config.timezone).time()
    q = config.quiet_hours
    if q.start <= q.end:
        return q.start <= local < q.end
    return local >= q.start or local < q.end


async def post_notices(tc: TickContext) -> None:
    """The notice of a new event, once per group, outside quiet hours."""
    if in_quiet_hours(tc.now, tc.config):
        return
    tz = tc.config.timezone
    left_cache: dict[int, int] = {}
    for event, eg in await ev.due_notices(tc.session, tc.now):
        if event.id not in left_cache:
            left_cache[event.id] = await ev.places_left(tc.session, event)
        text = T.notice(event, tz, left_cache[event.id], changed=eg.notice_version > 0)
        await tc.out.group(eg.topic, text, key=f"event-notice:{event.code}:{eg.topic}:{eg.notice_version}",
                           priority=Priority.NOTICE)
        eg.notice_due = False
        eg.notice_version += 1
        eg.notice_posted_at = eg.notice_posted_at or tc.now
        eg.last_post_at = tc.now


async def lapse_offers(tc: TickContext) -> None:
    """pretix-style: a place offered from the waiting list and not confirmed in time passes on."""
    for lapse in await ev.expire_offers(tc.session, tc.now):
        await notices.lapses(tc.out, lapse, tc.config.timezone)


async def post_rosters(tc: TickContext) -> None:
    """A masked 接龙-style roster per group when signups changed, at most every roster_minutes."""
    if in_quiet_hours(tc.now, tc.config):
        return
    settings = tc.config.events
    tz = tc.config.timezone
    window = ev.roster_window(tc.now, settings)
    for event in await ev.events_with_roster_due(tc.session, tc.now, settings):
        rows = await ev.signups(tc.session, event.id)
        holders = [s for s in rows if s.holds_places]
        waiting = [s for s in rows if s.status == SignupStatus.WAITING]
        left = await ev.places_left(tc.session, event)
        text = T.roster(event, holders, waiting, tz, left)
        for eg in await ev.event_groups(tc.session, event.id):
            if eg.notice_posted_at is None:
                continue   # the notice itself is still to come and will show the numbers
            await tc.out.group(eg.topic, text, key=f"event-roster:{event.code}:{eg.topic}:{window}",
                               priority=Priority.NOTICE)
            eg.last_post_at = tc.now
        event.roster_at = tc.now
        event.roster_dirty_since = None


def _reminder_targets(rows: Sequence[Signup], before: datetime | None = None) -> list[Signup]:
    return [s for s in rows if s.status == SignupStatus.CONFIRMED and (before is None or s.created_at < before)]


async def send_reminders(tc: TickContext) -> None:
    """The day before (at remind_day_before, local) and remind_before_minutes before the start."""
    settings = tc.config.events
    tz = tc.config.timezone
    before = timedelta(minutes=settings.remind_before_minutes)
    for event in await ev.events_starting_between(tc.session, tc.now, tc.now + timedelta(days=2)):
        day_at = _day_reminder_at(event, settings.remind_day_before, tz)
        hour_at = event.starts_at - before
        day_due = event.day_reminded_at is None and tc.now >= day_at
        hour_due = event.hour_reminded_at is None and tc.now >= hour_at
        if not (day_due or hour_due):
            continue          # the common case: look, do not lock
        event = await ev.get_event(tc.session, event.id, lock=True)
        if event is None:
            continue
        if event.day_reminded_at is None and tc.now >= day_at:
            event.day_reminded_at = tc.now
            if tc.now < hour_at:
                # Only people who signed up before the reminder time: a signup at 20:00 needs no "tomorrow!".
                rows = _reminder_targets(await ev.signups(tc.session, event.id), day_at)
                await notices.reminder(tc.out, event, rows, T.reminder_day_before(event, tz), "day")
        if event.hour_reminded_at is None and tc.now >= hour_at:
            event.hour_reminded_at = tc.now
            rows = _reminder_targets(await ev.signups(tc.session, event.id))
            await notices.reminder(tc.out, event, rows,
                                   T.reminder_hour_before(event, tz, settings.remind_before_minutes), "hour")


def _day_reminder_at(event, at: time, tz) -> datetime:  # type: ignore[no-untyped-def]
    local_day = event.starts_at.astimezone(tz).date() - timedelta(days=1)
    return datetime.combine(local_day, at, tz)


async def close_attendance(tc: TickContext) -> None:
    """After the event: no-shows are counted (when check-in was used); the publisher gets the numbers."""
    settings = tc.config.events
    for event, missed in await ev.close_attendance(tc.session, tc.now, settings):
        holders = await ev.signups(tc.session, event.id, ev.HOLDING)
        came = [s for s in holders if s.checked_in_at is not None]
        if not came:
            continue
        await tc.out.private(event.created_by, T.attendance_summary(event, holders, came, missed),
                             key=f"event-attendance:{event.code}", priority=Priority.NOTICE)


def jobs() -> list[tuple[str, Job]]:
    return [("events.notices", post_notices), ("events.offers", lapse_offers), ("events.rosters", post_rosters),
            ("events.reminders", send_reminders), ("events.attendance", close_attendance)]

