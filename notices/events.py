"""Events: a domain change (a place came free, an offer lapsed, the event changed or was cancelled,
a reminder is due) turned into messages through the one Outbox API — the same for chat handlers,
scheduled jobs and web actions.

Every message carries an explicit delivery key derived from the change it reports (the signup and its
sequence, the event's audit row, the reminder's start time) plus the recipient, so the same change
reported twice — a retried tick, a second instance — is delivered once.

People are told in the group where they signed up, with an @ (one message per group for a shared
notice), or privately when they signed up in private chat."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from models import events as ev
from models.events import Event, Signup
from models.outbox import Outbox, Priority
from texts import events as T


@dataclass(frozen=True)
class Delivery:
    """One message to send: to a group (with @s) or privately."""

    group: bool
    to: str
    text: str
    mentions: tuple[str, ...] = ()


def plan_deliveries(rows: Sequence[Signup], text: str | Callable[[Signup], str], *, per_person: bool,
                    skip_groups: Sequence[str] = ()) -> list[Delivery]:
    """Tell people about their signups: in the group where they signed up, with an @ (one message per
    group unless `per_person`), or privately when they signed up in private chat."""
    out: list[Delivery] = []
    by_group: dict[str, list[str]] = {}
    for s in rows:
        body = text(s) if callable(text) else text
        if s.group_topic:
            if per_person:
                out.append(Delivery(True, s.group_topic, body, (s.notify_id,)))
            elif s.group_topic not in skip_groups:
                ids = by_group.setdefault(s.group_topic, [])
                if s.notify_id not in ids:
                    ids.append(s.notify_id)
        else:
            out.append(Delivery(False, s.notify_id, body))
    if not per_person:
        assert not callable(text)
        out += [Delivery(True, topic, text, tuple(ids)) for topic, ids in by_group.items()]
    # One private message per person, however many of their signups it concerns.
    seen: set[tuple[bool, str, str]] = set()
    unique = []
    for d in out:
        k = (d.group, d.to, d.text)
        if d.group or k not in seen:
            seen.add(k)
            unique.append(d)
    return unique


async def deliver(out: Outbox, deliveries: Sequence[Delivery], key: str,
                  priority: Priority = Priority.NOTICE) -> None:
    """Queue each delivery under `key` plus its recipient."""
    for d in deliveries:
        k = f"{key}:{'g' if d.group else 'p'}:{d.to}"
        if d.group:
            await out.group(d.to, d.text, key=k, mentions=d.mentions, priority=priority)
        else:
            await out.private(d.to, d.text, key=k, priority=priority)


async def promoted(out: Outbox, event: Event, rows: Sequence[Signup], tz: ZoneInfo) -> None:
    """Moved up from the waiting list (confirmed, or offered until confirm_hours pass)."""
    for s in rows:
        # A signup moves up once per sign-up (its seq) and status: confirmed, or offered.
        await deliver(out, plan_deliveries([s], T.promoted(event, s, tz), per_person=True),
                      f"event-promoted:{s.id}:{s.seq}:{s.status}", Priority.REPLY)


async def lapses(out: Outbox, lapse: ev.OfferLapse, tz: ZoneInfo) -> None:
    """Offers not confirmed in time, and whoever moved up into the places they freed."""
    for s in lapse.expired:
        await deliver(out, plan_deliveries([s], T.offer_lapsed(lapse.event, s), per_person=True),
                      f"event-lapsed:{s.id}:{s.seq}", Priority.REPLY)
    await promoted(out, lapse.event, lapse.promoted, tz)


async def _to_everyone(out: Outbox, event: Event, text: str, key: str) -> int:
    """The people signed up, and every group the notice went to: one message per group (with @s of
    the people who signed up there), privately to those who signed up in private chat."""
    rows = await ev.signups(out.session, event.id)
    posted = [eg.topic for eg in await ev.event_groups(out.session, event.id) if eg.notice_posted_at is not None]
    by_group: dict[str, list[str]] = {t: [] for t in posted}
    for s in rows:
        if s.group_topic in by_group and s.notify_id not in by_group[s.group_topic]:
            by_group[s.group_topic].append(s.notify_id)
    deliveries = [Delivery(True, t, text, tuple(ids)) for t, ids in by_group.items()]
    deliveries += plan_deliveries(rows, text, per_person=False, skip_groups=posted)
    await deliver(out, deliveries, key, Priority.REPLY)
    return len(rows)


async def changed(out: Outbox, res: ev.UpdateResult, tz: ZoneInfo) -> int:
    """An edit: notable changes (time, place, deadline, fee) go to the groups too, others only to the
    people signed up. Returns how many signups were told."""
    assert res.change is not None
    key = f"event-change:{res.event.code}:{res.change.id}"
    text = T.change_notice(res.event, res.changed, tz)
    promoted_ids = {s.id for s in res.promoted}
    if res.notable:
        told = await _to_everyone(out, res.event, text, key)
    else:
        others = [s for s in res.participants if s.id not in promoted_ids]
        await deliver(out, plan_deliveries(others, text, per_person=False), key, Priority.REPLY)
        told = len(others)
    await promoted(out, res.event, res.promoted, tz)
    return told


async def cancelled(out: Outbox, event: Event, tz: ZoneInfo) -> int:
    """The event is off: everyone signed up and every group that saw the notice."""
    return await _to_everyone(out, event, T.event_cancelled_notice(event, tz), f"event-cancelled:{event.code}")


async def reminder(out: Outbox, event: Event, rows: Sequence[Signup], text: str, which: str) -> None:
    """A reminder ("day" before, "hour" before) to the confirmed people, once per start time."""
    await deliver(out, plan_deliveries(rows, text, per_person=False),
                  f"event-remind:{event.code}:{which}:{int(event.starts_at.timestamp())}")
