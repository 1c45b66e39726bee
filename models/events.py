"""Events and signups (活动报名): tables and the operations on them.

Shape borrowed from pretix: a quota (capacity, counted in people — a signup of 3 takes 3 places)
that also counts places offered to someone moved up from the waiting list; a waiting list served in
order, first signup that fits; optionally a time-limited offer ("确认 E101" within N hours) that passes
on when it lapses; per-signup limits; check-in. And from WeChat 接龙: a signup is identified by
(event, normalised name), so a list re-posted by every participant never counts anyone twice.

Every operation that counts places locks the event row first (SELECT … FOR UPDATE on PostgreSQL;
SQLite transactions are BEGIN IMMEDIATE already), so concurrent signups for the last places cannot
overbook. Operations take (session, now, …), never commit, and raise EventError with a code that the
chat handlers and the web inbox turn into words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kernel.identity import Person, Role
from kernel.settings import EventSettings
from models import booking as bk
from models.base import Base
from models.lifecycle import Lifecycle, LifecycleEvent

CODE_OFFSET = 100          # E101 is event id 1: codes are "E" + a sequence from 101
CODE_RE = re.compile(r"(?<![A-Za-z0-9])[Ee](\d{3,7})(?![0-9])")


class EventStatus(StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"


class SignupStatus(StrEnum):
    CONFIRMED = "confirmed"   # holds places
    OFFERED = "offered"       # moved up from the waiting list, holds places until offered_until
    WAITING = "waiting"       # on the waiting list, in `seq` order
    CANCELLED = "cancelled"   # withdrawn by the resident (or whoever added them)
    REMOVED = "removed"       # taken off by staff
    EXPIRED = "expired"       # an offer that was not confirmed in time


HOLDING = (SignupStatus.CONFIRMED, SignupStatus.OFFERED)
ACTIVE = (SignupStatus.CONFIRMED, SignupStatus.OFFERED, SignupStatus.WAITING)
_GONE = (None, SignupStatus.CANCELLED, SignupStatus.REMOVED, SignupStatus.EXPIRED)   # may sign up (again)

EVENT = Lifecycle("event", {
    "publish": {None: EventStatus.OPEN},
    "edit": {EventStatus.OPEN: EventStatus.OPEN},        # time, place, capacity … (the note says which)
    "cancel": {EventStatus.OPEN: EventStatus.CANCELLED},
}, refuse=lambda event, action: EventError("cancelled", event=event))

SIGNUP = Lifecycle("signup", {
    "join": {s: SignupStatus.CONFIRMED for s in _GONE},
    "wait": {s: SignupStatus.WAITING for s in _GONE},
    "promote": {SignupStatus.WAITING: SignupStatus.CONFIRMED},     # a place came free
    "offer": {SignupStatus.WAITING: SignupStatus.OFFERED},         # … held until confirm_hours pass
    "confirm": {SignupStatus.OFFERED: SignupStatus.CONFIRMED},
    "lapse": {SignupStatus.OFFERED: SignupStatus.EXPIRED},
    "cancel": {s: SignupStatus.CANCELLED for s in ACTIVE},
    "remove": {s: SignupStatus.REMOVED for s in ACTIVE},           # taken off by staff
    "admit": {SignupStatus.WAITING: SignupStatus.CONFIRMED, SignupStatus.OFFERED: SignupStatus.CONFIRMED},
}, refuse=lambda row, action: EventError("no_signup"))


class EventError(Exception):
    """A domain refusal. `code` says which; `info` carries what the words need (limit, deadline…)."""

    def __init__(self, code: str, **info: Any) -> None:
        super().__init__(code)
        self.code = code
        self.info = info


# ------------------------------------------------------------------ tables

class Event(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_status_start", "status", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(60))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]                              # when the staff gave an end ("14:30-16:30")
    place: Mapped[str] = mapped_column(String(80))
    room_booking: Mapped[str | None] = mapped_column(String(16))  # booking code when the place is a function room
    capacity: Mapped[int]
    per_signup_limit: Mapped[int | None]
    deadline: Mapped[datetime | None]
    fee_text: Mapped[str | None] = mapped_column(String(40))     # "免费", "29.9元"; None: not said
    fee_cents: Mapped[int] = mapped_column(default=0)             # > 0: a 低偿 class
    note: Mapped[str | None] = mapped_column(String(200))         # 备注: age group etc.
    confirm_hours: Mapped[int | None]                             # offers from the waiting list last this long
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.OPEN)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    next_seq: Mapped[int] = mapped_column(default=1)              # signup order, assigned under the row lock
    changed_at: Mapped[datetime | None]                           # last change of the signups
    roster_dirty_since: Mapped[datetime | None]                   # first change not yet in a roster
    roster_at: Mapped[datetime | None]                            # last roster posted
    day_reminded_at: Mapped[datetime | None]
    hour_reminded_at: Mapped[datetime | None]
    attendance_closed_at: Mapped[datetime | None]

    @property
    def code(self) -> str:
        return f"E{self.id + CODE_OFFSET}"

    def touch(self, now: datetime) -> None:
        """The signups changed: a roster becomes due once the current roster window has closed."""
        self.changed_at = now
        if self.roster_dirty_since is None:
            self.roster_dirty_since = now

    @property
    def is_low_fee(self) -> bool:
        return self.fee_cents > 0


class EventGroup(Base):
    """A group an event is announced in. `notice_due` means the notice (or a changed notice) waits for
    the scheduler, which posts it outside quiet hours under an exactly-once key."""

    __tablename__ = "event_groups"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), primary_key=True)
    topic: Mapped[str] = mapped_column(String(128), primary_key=True, index=True)
    notice_due: Mapped[bool] = mapped_column(default=True)
    notice_version: Mapped[int] = mapped_column(default=0)       # how many notices were posted
    notice_posted_at: Mapped[datetime | None]
    last_post_at: Mapped[datetime | None]                         # notice or roster: what "+1" refers to


class Signup(Base):
    __tablename__ = "event_signups"
    __table_args__ = (
        UniqueConstraint("event_id", "person_key"),
        Index("ix_event_signups_event_status_seq", "event_id", "status", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    person_key: Mapped[str] = mapped_column(String(100))          # normalised name (+ ~contact for namesakes)
    name: Mapped[str] = mapped_column(String(64))                 # as written: staff exports show it in full
    contact_id: Mapped[str | None] = mapped_column(String(64), index=True)   # None: named by someone else
    added_by: Mapped[str] = mapped_column(String(64))
    group_topic: Mapped[str | None] = mapped_column(String(128))  # where they signed up (None: private chat)
    party_size: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int]                                              # signup order: roster and waiting list
    source: Mapped[str] = mapped_column(String(16))               # command | plus_one | jielong | name | staff
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    offered_until: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    no_show: Mapped[bool] = mapped_column(default=False)

    @property
    def holds_places(self) -> bool:
        return self.status in HOLDING

    @property
    def notify_id(self) -> str:
        """Whom to @ about this signup: the person, or whoever wrote their name down."""
        return self.contact_id or self.added_by


# ------------------------------------------------------------------ small pure helpers

_KEEP = ("L", "N")


def person_key(name: str) -> str:
    """The identity of a signup inside one event: "王芳", "王 芳", "王芳 " and "王芳~" are one person."""
    text = unicodedata.normalize("NFKC", name).lower()
    key = "".join(ch for ch in text if unicodedata.category(ch)[0] in _KEEP)
    return (key or text.strip())[:90]


def parse_code(text: str) -> int | None:
    """"E101" / "e101" → event id 1."""
    m = CODE_RE.search(text)
    if not m:
        return None
    n = int(m.group(1)) - CODE_OFFSET
    return n if n > 0 else None


def title_score(words: str, title: str) -> float:
    """How well what someone typed names an event title (0–100)."""
    from rapidfuzz import fuzz

    a, b = person_key(words), person_key(title)
    if not a or not b:
        return 0.0
    if a in b or b in a:
        return 100.0 if min(len(a), len(b)) >= 2 else 0.0
    score = fuzz.ratio(a, b)
    if min(len(a), len(b)) >= 2:
        score = max(score, fuzz.partial_ratio(a, b))
    return float(score)


MATCH_THRESHOLD = 70.0


def rank_events(words: str, events: Sequence[Event]) -> list[Event]:
    """The events `words` names: one when it is clear, several when it is ambiguous, none at all."""
    scored = sorted(((title_score(words, e.title), e) for e in events), key=lambda p: -p[0])
    scored = [(s, e) for s, e in scored if s >= MATCH_THRESHOLD]
    if not scored:
        return []
    best = scored[0][0]
    return [e for s, e in scored if s >= best - 5]


# Characters that say nothing about which event ("…会", "…活动", "…课", days, numbers, verbs of signing up).
_GENERIC_CHARS = frozenset("会活动课班讲座赛日节的期场次社区周月号年新大小第一二三四五六七八九十两我你他们看去来要想报名参加了吧吗呢啊个人家上下午晚点")


def near_events(words: str, events: Sequence[Event], limit: int = 4) -> list[Event]:
    """Events whose title shares a telling character with `words` ("看电影" → 观影会): candidates to offer,
    never to sign up for without asking. Most shared characters first."""
    said = {ch for ch in person_key(words) if "\u4e00" <= ch <= "\u9fff" and ch not in _GENERIC_CHARS}
    if not said:
        return []
    scored = [(len(said & set(person_key(e.title))), e) for e in events]
    scored = [(n, e) for n, e in scored if n > 0]
    scored.sort(key=lambda p: (-p[0], p[1].starts_at, p[1].id))
    return [e for _n, e in scored[:limit]]


# ------------------------------------------------------------------ reading

async def get_event(session: AsyncSession, event_id: int, *, lock: bool = False) -> Event | None:
    stmt = select(Event).where(Event.id == event_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.scalars(stmt)).first()


async def event_by_code(session: AsyncSession, code: str, *, lock: bool = False) -> Event | None:
    event_id = parse_code(code)
    return await get_event(session, event_id, lock=lock) if event_id else None


async def event_groups(session: AsyncSession, event_id: int) -> list[EventGroup]:
    return list((await session.scalars(
        select(EventGroup).where(EventGroup.event_id == event_id).order_by(EventGroup.topic))).all())


async def open_events(session: AsyncSession, now: datetime, *, group: str | None = None,
                      limit: int = 30) -> list[Event]:
    """Events not cancelled and not started yet, soonest first; those announced in `group` if given."""
    stmt = select(Event).where(Event.status == EventStatus.OPEN, Event.starts_at > now)
    if group is not None:
        stmt = stmt.join(EventGroup, EventGroup.event_id == Event.id).where(EventGroup.topic == group)
    return list((await session.scalars(stmt.order_by(Event.starts_at, Event.id).limit(limit))).all())


async def find_events(session: AsyncSession, now: datetime, words: str, *, group: str | None = None,
                      load: Callable[[str | None], Awaitable[list[Event]]] | None = None) -> list[Event]:
    """Open events named by `words` (a code, or fuzzy title words): the group's events first,
    then any open event (a resident may have heard of it elsewhere). `load(group)`: the open events
    (the group's 30, or all 200), if the caller keeps them."""
    event_id = parse_code(words)
    if event_id is not None:
        event = await get_event(session, event_id)
        return [event] if event else []
    if load is None:
        async def load(g: str | None) -> list[Event]:
            return await open_events(session, now, group=g, limit=30 if g is not None else 200)
    if group is not None:
        found = rank_events(words, await load(group))
        if found:
            return found
    return rank_events(words, await load(None))


async def recent_event_in_group(session: AsyncSession, now: datetime, group: str,
                                within: timedelta) -> Event | None:
    """The open event most recently announced (notice or roster) in this group: what "+1" means."""
    stmt = (select(Event).join(EventGroup, EventGroup.event_id == Event.id)
            .where(EventGroup.topic == group, EventGroup.last_post_at.is_not(None),
                   EventGroup.last_post_at >= now - within,
                   Event.status == EventStatus.OPEN, Event.starts_at > now)
            .order_by(EventGroup.last_post_at.desc(), Event.id.desc()).limit(1))
    return (await session.scalars(stmt)).first()


async def taken_places(session: AsyncSession, event_id: int) -> int:
    return int(await session.scalar(
        select(func.coalesce(func.sum(Signup.party_size), 0))
        .where(Signup.event_id == event_id, Signup.status.in_(list(HOLDING)))) or 0)


async def places_left(session: AsyncSession, event: Event) -> int:
    return max(0, event.capacity - await taken_places(session, event.id))


@dataclass(frozen=True)
class Places:
    """An event's signups at a glance: places held (confirmed or offered) and the waiting list."""

    taken: int = 0
    waiting_groups: int = 0
    waiting_people: int = 0


async def places_by_event(session: AsyncSession, event_ids: Sequence[int]) -> dict[int, Places]:
    """Places taken and the waiting list of many events in one query (the staff web's event list)."""
    if not event_ids:
        return {}
    rows = (await session.execute(
        select(Signup.event_id, Signup.status, func.count(), func.coalesce(func.sum(Signup.party_size), 0))
        .where(Signup.event_id.in_(list(event_ids)), Signup.status.in_(list(ACTIVE)))
        .group_by(Signup.event_id, Signup.status))).all()
    out: dict[int, Places] = {}
    for event_id, status, groups, people in rows:
        p = out.get(event_id, Places())
        if status == SignupStatus.WAITING:
            p = Places(p.taken, p.waiting_groups + int(groups), p.waiting_people + int(people))
        else:
            p = Places(p.taken + int(people), p.waiting_groups, p.waiting_people)
        out[event_id] = p
    return out


async def signups(session: AsyncSession, event_id: int, statuses: Sequence[str] = ACTIVE) -> list[Signup]:
    return list((await session.scalars(
        select(Signup).where(Signup.event_id == event_id, Signup.status.in_(list(statuses)))
        .order_by(Signup.seq, Signup.id))).all())


async def waiting_position(session: AsyncSession, signup: Signup) -> int | None:
    if signup.status != SignupStatus.WAITING:
        return None
    ahead = await session.scalar(select(func.count()).select_from(Signup).where(
        Signup.event_id == signup.event_id, Signup.status == SignupStatus.WAITING, Signup.seq < signup.seq))
    return int(ahead or 0) + 1


async def find_signup(session: AsyncSession, event_id: int, *, contact_id: str | None = None,
                      name: str | None = None, active_only: bool = True) -> Signup | None:
    """By contact first (what they typed as their name may differ from the roster), then by name."""
    statuses = list(ACTIVE) if active_only else [s.value for s in SignupStatus]
    if contact_id is not None:
        row = (await session.scalars(select(Signup).where(
            Signup.event_id == event_id, Signup.contact_id == contact_id, Signup.status.in_(statuses))
            .order_by(Signup.seq))).first()
        if row is not None:
            return row
    if name:
        key = person_key(name)
        return (await session.scalars(select(Signup).where(
            Signup.event_id == event_id, Signup.status.in_(statuses),
            (Signup.person_key == key) | Signup.person_key.startswith(key + "~"))
            .order_by(Signup.seq))).first()
    return None


@dataclass
class MySignup:
    event: Event
    signup: Signup
    position: int | None


MINE_SHOWN_AFTER_START = timedelta(hours=3)    # "我的报名" still shows an event this long after it began


async def my_signups(session: AsyncSession, now: datetime, contact_id: str) -> list[MySignup]:
    """A person's active signups for events not yet over (soonest first)."""
    rows = (await session.execute(
        select(Signup, Event).join(Event, Event.id == Signup.event_id)
        .where(Signup.contact_id == contact_id, Signup.status.in_(list(ACTIVE)),
               Event.status == EventStatus.OPEN, Event.starts_at > now - MINE_SHOWN_AFTER_START)
        .order_by(Event.starts_at, Event.id))).all()
    return [MySignup(e, s, await waiting_position(session, s)) for s, e in rows]


# ------------------------------------------------------------------ publishing and editing

@dataclass
class EventSpec:
    """What staff give when publishing; also the fields `update_event` may change."""

    title: str
    starts_at: datetime
    place: str
    capacity: int
    ends_at: datetime | None = None
    deadline: datetime | None = None
    fee_text: str | None = None
    fee_cents: int = 0
    per_signup_limit: int | None = None
    note: str | None = None
    confirm_hours: int | None = None


MAX_FEE_CENTS = 1_000_000    # 10,000元: a 低偿 class costs tens of yuan; more is a typo (and overflows columns)


def _validate(now: datetime, spec: EventSpec, settings: EventSettings, *, check_past: bool = True) -> None:
    if not spec.title.strip():
        raise EventError("no_title")
    if not spec.place.strip():
        raise EventError("no_place")
    if spec.capacity < 1 or spec.capacity > 10000:
        raise EventError("bad_capacity", capacity=spec.capacity)
    if check_past and spec.starts_at <= now:
        raise EventError("in_past", starts_at=spec.starts_at)
    if spec.starts_at > now + timedelta(days=400):
        raise EventError("too_far", starts_at=spec.starts_at)
    if spec.deadline is not None:
        if spec.deadline > spec.starts_at:
            raise EventError("deadline_after_start", deadline=spec.deadline, starts_at=spec.starts_at)
        if check_past and spec.deadline <= now:
            raise EventError("deadline_past", deadline=spec.deadline)
    if spec.per_signup_limit is not None and not 1 <= spec.per_signup_limit <= max(settings.max_party, 1):
        raise EventError("bad_limit", limit=spec.per_signup_limit, max=settings.max_party)
    if not 0 <= spec.fee_cents <= MAX_FEE_CENTS:
        raise EventError("bad_fee", max=MAX_FEE_CENTS // 100)
    if spec.confirm_hours is not None and not 0 <= spec.confirm_hours <= 72:
        raise EventError("bad_confirm_hours", hours=spec.confirm_hours)


async def publish_event(session: AsyncSession, now: datetime, spec: EventSpec, *, created_by: str,
                        groups: Sequence[str], settings: EventSettings | None = None,
                        by_name: str | None = None) -> Event:
    """Create an event; its notices wait for the scheduler (one per group, exactly once)."""
    settings = settings or EventSettings()
    _validate(now, spec, settings)
    topics = list(dict.fromkeys(g for g in groups if g))
    if not topics:
        raise EventError("no_groups")
    confirm = spec.confirm_hours if spec.confirm_hours is not None else (settings.confirm_hours or None)
    if spec.ends_at is not None and spec.ends_at <= spec.starts_at:
        raise EventError("end_before_start")
    event = Event(title=spec.title.strip()[:60], starts_at=spec.starts_at, ends_at=spec.ends_at,
                  place=spec.place.strip()[:80],
                  capacity=spec.capacity, per_signup_limit=spec.per_signup_limit, deadline=spec.deadline,
                  fee_text=spec.fee_text, fee_cents=spec.fee_cents, note=spec.note, confirm_hours=confirm or None,
                  status=EventStatus.OPEN, created_by=created_by, created_at=now, updated_at=now, next_seq=1)
    session.add(event)
    await session.flush()
    EVENT.begin(session, now, event, "publish", actor_id=created_by, actor_name=by_name)
    for topic in topics:
        session.add(EventGroup(event_id=event.id, topic=topic, notice_due=True, notice_version=0))
    await session.flush()
    return event


@dataclass
class Published:
    event: Event
    room: RoomOutcome | None         # the function room booked for it, when the place is one


async def duplicate_of(session: AsyncSession, spec: EventSpec) -> Event | None:
    """An open event with the same title, start and place: publishing `spec` again is most likely a
    message sent twice or a page submitted twice, not a second event."""
    return (await session.scalars(select(Event).where(
        Event.status == EventStatus.OPEN, Event.starts_at == spec.starts_at,
        Event.title == spec.title.strip()[:60], Event.place == spec.place.strip()[:80])
        .order_by(Event.id).limit(1))).first()


def default_groups(person: Person | None, config: Any) -> list[str]:
    """Where an event is announced unless the publisher says: a worker's grid group; an admin's (or a
    web account without a grid) every grid."""
    if person is not None and person.role == Role.WORKER and person.grid is not None:
        grid = config.grid_by_number(person.grid)
        if grid is not None:
            return [grid.group]
    return [g.group for g in config.grids]


async def publish(session: AsyncSession, now: datetime, config: Any, spec: EventSpec, *, by_id: str,
                  by_name: str | None, groups: Sequence[str], room: str | None = None,
                  allow_duplicate: bool = False, said_in: str | None = None) -> Published:
    """Publish an event and book the function room it is held in (the booking rules decide; a
    refusal is an outcome to tell the publisher, never a failed publish). The same title, time and
    place as an open event is refused (EventError "duplicate") unless the publisher confirmed it.
    `said_in`: the group the command was typed in — the summary posted there is what residents answer
    "+1" to, before the notice itself goes out."""
    settings = config.events
    if not allow_duplicate:
        existing = await duplicate_of(session, spec)
        if existing is not None:
            raise EventError("duplicate", event=existing)
    event = await publish_event(session, now, spec, created_by=by_id, groups=groups, settings=settings,
                                by_name=by_name)
    if said_in is not None:
        for eg in await event_groups(session, event.id):
            if eg.topic == said_in:
                eg.last_post_at = now
    outcome = await reserve_room(session, now, config, event, room, by_id=by_id, by_name=by_name,
                                 settings=settings) if room else None
    return Published(event, outcome)


@dataclass
class RoomFollow:
    """What an event change did to its function-room booking."""

    released: str | None = None              # the booking code freed (the place changed)
    reserved: RoomOutcome | None = None      # a room booked at the new place
    moved: RoomOutcome | None = None         # the booking moved to the new time


@dataclass
class UpdateResult:
    event: Event
    changed: list[str]                          # field names: starts_at, place, capacity, deadline…
    participants: list[Signup]
    promoted: list[Signup] = field(default_factory=list)
    change: LifecycleEvent | None = None        # the audit row of this change (its id keys the notices)
    room: RoomFollow = field(default_factory=RoomFollow)

    @property
    def notable(self) -> bool:
        """Changes the whole group should hear about, not only the people signed up."""
        return bool({"starts_at", "place", "deadline", "fee"} & set(self.changed))


async def update_event(session: AsyncSession, now: datetime, event_id: int, *, by: str, config: Any,
                       by_name: str | None = None, settings: EventSettings | None = None,
                       **changes: Any) -> UpdateResult:
    """Change time, place, capacity, deadline, fee, limit, note or confirm hours. A larger capacity
    moves people up from the waiting list; a capacity below the places already taken is refused
    (nobody confirmed is bumped). The function-room booking follows the new place or time."""
    settings = settings or EventSettings()
    event = await _lock_open(session, now, event_id, allow_started=False)
    allowed = {"title", "starts_at", "ends_at", "place", "capacity", "deadline", "fee_text", "fee_cents",
               "per_signup_limit", "note", "confirm_hours"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"unknown fields {unknown}")
    spec = EventSpec(title=event.title, starts_at=event.starts_at, ends_at=event.ends_at, place=event.place,
                     capacity=event.capacity, deadline=event.deadline, fee_text=event.fee_text, fee_cents=event.fee_cents,
                     per_signup_limit=event.per_signup_limit, note=event.note, confirm_hours=event.confirm_hours)
    for k, v in changes.items():
        setattr(spec, k, v)
    if "starts_at" in changes and "ends_at" not in changes and event.ends_at is not None:
        spec.ends_at = spec.starts_at + (event.ends_at - event.starts_at)   # moving keeps the length
    if "starts_at" in changes and spec.starts_at <= now:
        raise EventError("in_past", starts_at=spec.starts_at)
    if "deadline" in changes and spec.deadline is not None and spec.deadline <= now:
        raise EventError("deadline_past", deadline=spec.deadline)
    _validate(now, spec, settings, check_past=False)
    taken = await taken_places(session, event.id)
    if spec.capacity < taken:
        raise EventError("capacity_below_taken", taken=taken, capacity=spec.capacity)
    changed: list[str] = []
    for k in allowed:
        old, new = getattr(event, k), getattr(spec, k)
        if old != new:
            setattr(event, k, new)
            if k != "ends_at":
                changed.append("fee" if k in ("fee_text", "fee_cents") else k)
    changed = list(dict.fromkeys(changed))
    if not changed:
        raise EventError("no_change")
    event.updated_at = now
    if "starts_at" in changed:   # reminders belong to the new time
        event.day_reminded_at = event.hour_reminded_at = None
    change = EVENT.move(session, now, event, "edit", actor_id=by, actor_name=by_name, note=",".join(changed))
    promoted = await _promote(session, now, event) if "capacity" in changed else []
    if promoted or "capacity" in changed:
        event.touch(now)
    room = await follow_room(session, now, config, event, changed, by_id=by, by_name=by_name)
    await session.flush()
    return UpdateResult(event, changed, await signups(session, event.id), promoted, change, room)


async def follow_room(session: AsyncSession, now: datetime, config: Any, event: Event, changed: Sequence[str], *,
                      by_id: str, by_name: str | None) -> RoomFollow:
    """Keep the function-room booking in step with the event's place and time."""
    result = RoomFollow()
    if "place" in changed:
        result.released = await release_room(session, now, event, by_id=by_id, by_name=by_name)
        room = room_of_place(event.place, config)
        if room:
            result.reserved = await reserve_room(session, now, config, event, room, by_id=by_id, by_name=by_name,
                                                 settings=config.events)
    elif "starts_at" in changed:
        result.moved = await move_room(session, now, config, event, by_id=by_id, by_name=by_name,
                                       settings=config.events)
    return result


def room_of_place(place: str, config: Any) -> str | None:
    """The configured function room an event's place names (多功能厅, an alias), if any."""
    for r in config.rooms:
        if any(n and n in place for n in (r.name, *r.aliases)):
            return r.name
    return None


@dataclass
class Cancelled:
    event: Event
    people: list[Signup]              # everyone signed up or waiting, to be told
    released: str | None              # the function-room booking freed


async def cancel_event(session: AsyncSession, now: datetime, event_id: int, *, by: str,
                       reason: str, by_name: str | None = None) -> Cancelled:
    """Cancel, and free the function room booked for it — whoever cancels (chat, web, CLI)."""
    event = await get_event(session, event_id, lock=True)
    if event is None:
        raise EventError("not_found")
    if event.status == EventStatus.CANCELLED:
        raise EventError("cancelled", event=event)
    people = await signups(session, event.id)
    EVENT.move(session, now, event, "cancel", actor_id=by, actor_name=by_name, note=(reason or "").strip()[:200] or None)
    event.cancel_reason = (reason or "").strip()[:200] or None
    event.updated_at = now
    for eg in await event_groups(session, event.id):
        eg.notice_due = False
    released = await release_room(session, now, event, by_id=by, by_name=by_name)
    return Cancelled(event, people, released)


# ------------------------------------------------------------------ audit trail

@dataclass(frozen=True)
class TrailLine:
    event: LifecycleEvent
    name: str | None          # the signup's name; None for a move of the event itself


async def event_trail(session: AsyncSession, event_id: int, *, name: str | None = None) -> list[TrailLine]:
    """Who did what, and when, oldest first: the event's own moves (published, cancelled) and every
    move of its signups — or, with `name`, only that person's signup moves."""
    ids = select(Signup.id).where(Signup.event_id == event_id)
    if name is not None:
        ids = ids.where(Signup.person_key == person_key(name))
    signup_moves = select(LifecycleEvent, Signup.name).join(Signup, Signup.id == LifecycleEvent.subject_id).where(
        LifecycleEvent.subject == SIGNUP.subject, LifecycleEvent.subject_id.in_(ids))
    lines = [TrailLine(e, n) for e, n in (await session.execute(signup_moves)).all()]
    if name is None:
        lines += [TrailLine(e, None) for e in await EVENT.history(session, event_id)]
    return sorted(lines, key=lambda line: (line.event.at, line.event.id))


# ------------------------------------------------------------------ signing up

@dataclass
class SignupResult:
    event: Event
    signup: Signup
    already: bool = False                  # they were in already; nothing changed
    position: int | None = None            # waiting-list position
    places_left: int = 0
    promoted: list[Signup] = field(default_factory=list)   # others moved up by this change

    @property
    def status(self) -> str:
        return self.signup.status


async def _lock_open(session: AsyncSession, now: datetime, event_id: int, *, allow_started: bool = False) -> Event:
    event = await get_event(session, event_id, lock=True)
    if event is None:
        raise EventError("not_found")
    if event.status == EventStatus.CANCELLED:
        raise EventError("cancelled", event=event)
    if not allow_started and now >= event.starts_at:
        raise EventError("started", event=event)
    return event


def _check_party(event: Event, party_size: int, settings: EventSettings) -> None:
    if event.per_signup_limit is not None and party_size > event.per_signup_limit and party_size >= 1:
        raise EventError("over_limit", event=event, limit=event.per_signup_limit, party=party_size)
    if party_size < 1 or party_size > settings.max_party:
        raise EventError("party_range", event=event, max=event.per_signup_limit or settings.max_party,
                         party=party_size)


async def no_show_count(session: AsyncSession, now: datetime, *, contact_id: str | None, name: str | None,
                        days: int | None = None) -> int:
    conds = []
    if contact_id:
        conds.append(Signup.contact_id == contact_id)
    if name:
        conds.append(Signup.person_key == person_key(name))
    if not conds:
        return 0
    stmt = (select(func.count()).select_from(Signup).join(Event, Event.id == Signup.event_id)
            .where(Signup.no_show.is_(True), conds[0] if len(conds) == 1 else (conds[0] | conds[1])))
    if days is not None:
        stmt = stmt.where(Event.starts_at >= now - timedelta(days=days))
    return int(await session.scalar(stmt) or 0)


async def _promote(session: AsyncSession, now: datetime, event: Event) -> list[Signup]:
    """Fill free places from the waiting list, in order, each time with the first signup that fits.
    With confirm_hours the place is offered (held) until the offer lapses. The event is locked."""
    if event.status != EventStatus.OPEN or now >= event.starts_at:
        return []
    free = event.capacity - await taken_places(session, event.id)
    promoted: list[Signup] = []
    if free <= 0:
        return promoted
    for s in await signups(session, event.id, (SignupStatus.WAITING,)):
        if s.party_size > free:
            continue
        if event.confirm_hours:
            SIGNUP.move(session, now, s, "offer")
            s.offered_until = min(now + timedelta(hours=event.confirm_hours), event.starts_at)
        else:
            SIGNUP.move(session, now, s, "promote")
        s.updated_at = now
        free -= s.party_size
        promoted.append(s)
        if free <= 0:
            break
    if promoted:
        event.touch(now)
        await session.flush()
    return promoted


async def sign_up(session: AsyncSession, now: datetime, event_id: int, *, name: str, contact_id: str | None,
                  party_size: int, group: str | None, added_by: str, source: str = "command",
                  staff: bool = False, settings: EventSettings | None = None,
                  by_name: str | None = None) -> SignupResult:
    """Sign someone up: confirmed while places last (a party takes party_size places), else on the
    waiting list. Someone already in is told so (nothing changes). Staff may add after the deadline."""
    settings = settings or EventSettings()
    event = await _lock_open(session, now, event_id)
    if event.deadline is not None and now > event.deadline and not staff:
        raise EventError("deadline", event=event, deadline=event.deadline)
    _check_party(event, party_size, settings)

    key = person_key(name)
    row = await find_signup(session, event.id, contact_id=contact_id, active_only=True) if contact_id else None
    if row is None:
        candidate = (await session.scalars(select(Signup).where(
            Signup.event_id == event.id, Signup.person_key == key))).first()
        if candidate is not None and contact_id and candidate.contact_id not in (None, contact_id):
            key = f"{key}~{contact_id}"[:100]             # a namesake: a different person
            candidate = (await session.scalars(select(Signup).where(
                Signup.event_id == event.id, Signup.person_key == key))).first()
        row = candidate
    if row is not None and row.status in ACTIVE:
        if contact_id and row.contact_id is None:
            row.contact_id = contact_id                    # their name was on a list; now we know them
        return SignupResult(event, row, already=True, position=await waiting_position(session, row),
                            places_left=await places_left(session, event))

    if settings.no_show_block and event.is_low_fee and not staff:
        missed = await no_show_count(session, now, contact_id=contact_id, name=None if contact_id else name,
                                     days=settings.no_show_block_days)
        if missed >= settings.no_show_block:
            raise EventError("blocked", event=event, missed=missed, days=settings.no_show_block_days)

    promoted = await _promote(session, now, event)        # a stale free place goes to the waiting first
    free = event.capacity - await taken_places(session, event.id)
    status = SignupStatus.CONFIRMED if party_size <= free else SignupStatus.WAITING
    action = "join" if status == SignupStatus.CONFIRMED else "wait"
    note = f"{party_size}人"
    seq = event.next_seq
    event.next_seq = seq + 1
    event.touch(now)
    if row is None:
        row = Signup(event_id=event.id, person_key=key, name=name.strip()[:64] or key, contact_id=contact_id,
                     added_by=added_by, group_topic=group, party_size=party_size, status=status, seq=seq,
                     source=source, created_at=now, updated_at=now)
        session.add(row)
        await session.flush()
        SIGNUP.begin(session, now, row, action, actor_id=added_by, actor_name=by_name, note=note)
    else:                                                  # signing up again after cancelling
        SIGNUP.move(session, now, row, action, actor_id=added_by, actor_name=by_name, note=note)
        row.name, row.contact_id, row.added_by = name.strip()[:64] or row.name, contact_id or row.contact_id, added_by
        row.group_topic, row.party_size, row.seq = group, party_size, seq
        row.source, row.updated_at, row.offered_until, row.checked_in_at = source, now, None, None
    await session.flush()
    return SignupResult(event, row, position=await waiting_position(session, row),
                        places_left=await places_left(session, event), promoted=promoted)


async def change_party(session: AsyncSession, now: datetime, event_id: int, signup_id: int, party_size: int, *,
                       staff: bool = False, settings: EventSettings | None = None) -> SignupResult:
    """改成N人: fewer people free places (the waiting list moves up); more need free places now
    (a waiting signup just changes its size)."""
    settings = settings or EventSettings()
    event = await _lock_open(session, now, event_id)
    if event.deadline is not None and now > event.deadline and not staff:
        raise EventError("deadline", event=event, deadline=event.deadline)
    _check_party(event, party_size, settings)
    row = await session.get(Signup, signup_id, populate_existing=True)
    if row is None or row.event_id != event.id or row.status not in ACTIVE:
        raise EventError("no_signup", event=event)
    if row.party_size == party_size:
        return SignupResult(event, row, already=True, position=await waiting_position(session, row),
                            places_left=await places_left(session, event))
    if row.holds_places and party_size > row.party_size:
        free = event.capacity - await taken_places(session, event.id)
        if party_size - row.party_size > free:
            raise EventError("not_enough_places", event=event, free=free, party=row.party_size)
    row.party_size = party_size
    row.updated_at = now
    event.touch(now)
    await session.flush()
    promoted = await _promote(session, now, event)
    return SignupResult(event, row, position=await waiting_position(session, row),
                        places_left=await places_left(session, event), promoted=promoted)


@dataclass
class CancelResult:
    event: Event
    signup: Signup
    promoted: list[Signup]
    places_left: int


async def cancel_signup(session: AsyncSession, now: datetime, event_id: int, signup_id: int, *, by: str,
                        by_name: str | None = None, staff: bool = False) -> CancelResult:
    """Withdraw a signup (staff: remove it). The places go to the waiting list at once. Allowed to the
    person, to whoever wrote their name down, to staff, and to someone whose name was written down by
    another (`by_name` matches a signup nobody has claimed yet)."""
    event = await get_event(session, event_id, lock=True)
    if event is None:
        raise EventError("not_found")
    row = await session.get(Signup, signup_id, populate_existing=True)
    if row is None or row.event_id != event.id or row.status not in ACTIVE:
        raise EventError("no_signup", event=event)
    named_me = row.contact_id is None and by_name is not None and person_key(by_name) == row.person_key.split("~")[0]
    if not staff and by not in (row.contact_id, row.added_by) and not named_me:
        raise EventError("not_yours", event=event)
    removed = staff and by not in (row.contact_id, row.added_by) and not named_me
    SIGNUP.move(session, now, row, "remove" if removed else "cancel", actor_id=by, actor_name=by_name)
    row.updated_at = now
    row.offered_until = None
    event.touch(now)
    await session.flush()
    promoted = await _promote(session, now, event)
    return CancelResult(event, row, promoted, await places_left(session, event))


async def confirm_offer(session: AsyncSession, now: datetime, event_id: int, contact_id: str) -> Signup:
    event = await _lock_open(session, now, event_id)
    row = await find_signup(session, event.id, contact_id=contact_id)
    if row is None:
        lapsed = await find_signup(session, event.id, contact_id=contact_id, active_only=False)
        if lapsed is not None and lapsed.status == SignupStatus.EXPIRED:
            raise EventError("offer_lapsed", event=event)
        raise EventError("no_signup", event=event)
    if row.status == SignupStatus.CONFIRMED:
        raise EventError("already_confirmed", event=event, signup=row)
    if row.status != SignupStatus.OFFERED:
        raise EventError("no_offer", event=event, signup=row, position=await waiting_position(session, row))
    SIGNUP.move(session, now, row, "confirm", actor_id=contact_id, actor_name=row.name)
    row.offered_until = None
    row.updated_at = now
    return row


@dataclass
class OfferLapse:
    event: Event
    expired: list[Signup]
    promoted: list[Signup]


async def expire_offers(session: AsyncSession, now: datetime) -> list[OfferLapse]:
    """Offers not confirmed in time pass to the next in line (pretix waiting-list vouchers)."""
    event_ids = (await session.scalars(select(Signup.event_id).where(
        Signup.status == SignupStatus.OFFERED, Signup.offered_until <= now).distinct())).all()
    lapses: list[OfferLapse] = []
    for event_id in event_ids:
        event = await get_event(session, event_id, lock=True)
        if event is None:
            continue
        expired = list((await session.scalars(select(Signup).where(
            Signup.event_id == event_id, Signup.status == SignupStatus.OFFERED, Signup.offered_until <= now)
            .execution_options(populate_existing=True))).all())
        if not expired:
            continue   # another instance got there first
        for s in expired:
            SIGNUP.move(session, now, s, "lapse", note="未在时限内确认")
            s.updated_at = now
        event.touch(now)
        await session.flush()
        lapses.append(OfferLapse(event, expired, await _promote(session, now, event)))
    return lapses


# ------------------------------------------------------------------ 接龙 lists

@dataclass
class ListEntry:
    name: str
    party_size: int | None       # None: not said (1)


@dataclass
class JielongImport:
    event: Event
    added: list[SignupResult] = field(default_factory=list)
    refused: list[tuple[ListEntry, EventError]] = field(default_factory=list)
    known: int = 0                                   # lines already on record (re-posts)
    poster_already: Signup | None = None              # the poster's line when they were signed up already
    changed: list[SignupResult] = field(default_factory=list)   # the poster's own lines with a new party size


async def import_jielong(session: AsyncSession, now: datetime, event_id: int, entries: Sequence[ListEntry], *,
                         poster_id: str, poster_name: str, group: str | None, staff: bool = False,
                         settings: EventSettings | None = None) -> JielongImport:
    """Add the lines of a pasted 接龙 list that are new. Every line already on record — including
    people who have since cancelled, whose line lives on in everyone's re-posts — is skipped.
    The poster's own line (their name, or else the one line they added at the end) is theirs."""
    settings = settings or EventSettings()
    event = await _lock_open(session, now, event_id)
    result = JielongImport(event)
    rows = (await session.scalars(select(Signup).where(Signup.event_id == event.id).order_by(Signup.id))).all()
    existing = {s.person_key.split("~")[0] for s in rows}
    # A line the poster owns (their own, or one they wrote for someone) edited in the re-post: "钱奶奶 2人" → "3人".
    editable = {s.person_key.split("~")[0]: s for s in rows
                if s.status in ACTIVE and poster_id in (s.contact_id, s.added_by)}
    seen: set[str] = set()
    new: list[ListEntry] = []
    edits: list[tuple[Signup, int]] = []
    for entry in entries:
        key = person_key(entry.name)
        if not key or key in seen:
            continue
        seen.add(key)
        if key in existing:
            result.known += 1
            own_row = editable.get(key)
            if own_row is not None and entry.party_size is not None and entry.party_size != own_row.party_size:
                edits.append((own_row, entry.party_size))
        else:
            new.append(entry)
    for row, size in edits:
        try:
            result.changed.append(await change_party(session, now, event.id, row.id, size, staff=staff,
                                                     settings=settings))
        except EventError as exc:
            if exc.code in ("deadline", "started", "cancelled", "not_found"):
                raise
            result.refused.append((ListEntry(row.name, size), exc))
    if not new:
        return result

    poster_key = person_key(poster_name)
    mine = await find_signup(session, event.id, contact_id=poster_id)
    own = next((e for e in new if person_key(e.name) == poster_key), None)
    if own is not None and mine is not None:
        # Their own name, but they are in already (under another key): not a second place.
        result.poster_already = mine
        new = [e for e in new if e is not own]
        own = None
    elif own is None and mine is None and len(new) == 1 and person_key(entries[-1].name) == person_key(new[0].name):
        own = new[0]      # the one line they added at the end, under a nickname: theirs
    # (Already in and one new line under another name: someone they are signing up.)
    for entry in new:
        try:
            res = await sign_up(session, now, event.id, name=entry.name, contact_id=poster_id if entry is own else None,
                                party_size=1 if entry.party_size is None else entry.party_size, group=group,
                                added_by=poster_id, by_name=poster_name, source="jielong",
                                staff=staff, settings=settings)
        except EventError as exc:
            if exc.code in ("deadline", "started", "cancelled", "not_found"):
                raise
            result.refused.append((entry, exc))
            continue
        result.added.append(res)
    return result


# ------------------------------------------------------------------ check-in and attendance

@dataclass
class CheckInResult:
    event: Event
    checked: list[Signup] = field(default_factory=list)
    again: list[Signup] = field(default_factory=list)      # checked in before
    unknown: list[str] = field(default_factory=list)       # names not on the list


def checkin_window(event: Event, settings: EventSettings) -> tuple[datetime, datetime]:
    return (event.starts_at - timedelta(minutes=settings.checkin_before_minutes),
            event.starts_at + timedelta(hours=settings.attendance_hours))


async def check_in(session: AsyncSession, now: datetime, event_id: int, *, contact_id: str | None = None,
                   names: Sequence[str] = (), staff: bool = False,
                   settings: EventSettings | None = None, by_name: str | None = None) -> CheckInResult:
    """签到: a resident for themselves (in the check-in window), or staff for names on the list."""
    settings = settings or EventSettings()
    event = await get_event(session, event_id, lock=True)
    if event is None:
        raise EventError("not_found")
    if event.status == EventStatus.CANCELLED:
        raise EventError("cancelled", event=event)
    opens, closes = checkin_window(event, settings)
    if now < opens and not staff:
        raise EventError("checkin_not_open", event=event, opens=opens)
    if now > closes and not staff:
        raise EventError("checkin_closed", event=event)
    result = CheckInResult(event)
    targets: list[Signup | None] = []
    if names:
        for name in names:
            row = await find_signup(session, event.id, name=name)
            if row is None:
                holders = await signups(session, event.id, HOLDING)
                matches = [s for s in holders if title_score(name, s.name) >= 90]
                row = matches[0] if len(matches) == 1 else None
            if row is None:
                result.unknown.append(name)
            targets.append(row)
    else:
        row = await find_signup(session, event.id, contact_id=contact_id)
        if row is None:
            raise EventError("no_signup", event=event)
        targets.append(row)
    for row in targets:
        if row is None:
            continue
        if row.status == SignupStatus.WAITING and not staff:
            raise EventError("waiting_checkin", event=event, position=await waiting_position(session, row))
        if row.checked_in_at is not None:
            result.again.append(row)
            continue
        if row.status in (SignupStatus.WAITING, SignupStatus.OFFERED):
            # Staff let them in: they came, so they have the place.
            SIGNUP.move(session, now, row, "admit", actor_id=contact_id, actor_name=by_name)
        row.checked_in_at = now
        row.no_show = False
        row.updated_at = now
        result.checked.append(row)
    return result


async def close_attendance(session: AsyncSession, now: datetime,
                           settings: EventSettings | None = None) -> list[tuple[Event, list[Signup]]]:
    """After start + attendance_hours: confirmed people who did not check in are no-shows — but only
    for events where check-in was used at all (else nobody would be told apart from a no-show)."""
    settings = settings or EventSettings()
    due = (await session.scalars(select(Event.id).where(
        Event.status == EventStatus.OPEN, Event.attendance_closed_at.is_(None),
        Event.starts_at <= now - timedelta(hours=settings.attendance_hours)))).all()
    closed: list[tuple[Event, list[Signup]]] = []
    for event_id in due:
        event = await get_event(session, event_id, lock=True)
        if event is None or event.attendance_closed_at is not None:
            continue
        event.attendance_closed_at = now
        holders = await signups(session, event.id, HOLDING)
        used = any(s.checked_in_at is not None for s in holders)
        missed = [s for s in holders if s.checked_in_at is None] if used else []
        for s in missed:
            s.no_show = True
        closed.append((event, missed))
    return closed


@dataclass
class NoShowRecord:
    name: str
    contact_id: str | None
    events: list[Event]


async def no_show_records(session: AsyncSession, *, name: str | None = None, limit: int = 20) -> list[NoShowRecord]:
    """爽约 counts for staff: one person (by name) or everyone with any, most first."""
    stmt = (select(Signup, Event).join(Event, Event.id == Signup.event_id).where(Signup.no_show.is_(True))
            .order_by(Event.starts_at.desc()))
    if name:
        key = person_key(name)
        stmt = stmt.where((Signup.person_key == key) | Signup.person_key.startswith(key + "~"))
    by_person: dict[str, NoShowRecord] = {}
    for s, e in (await session.execute(stmt)).all():
        ident = s.contact_id or s.person_key
        rec = by_person.setdefault(ident, NoShowRecord(s.name, s.contact_id, []))
        rec.events.append(e)
    return sorted(by_person.values(), key=lambda r: -len(r.events))[:limit]


# ------------------------------------------------------------------ for the scheduler

async def due_notices(session: AsyncSession, now: datetime, limit: int = 200) -> list[tuple[Event, EventGroup]]:
    stmt = (select(EventGroup).join(Event, Event.id == EventGroup.event_id)
            .where(EventGroup.notice_due.is_(True), Event.status == EventStatus.OPEN, Event.starts_at > now)
            .order_by(EventGroup.event_id, EventGroup.topic).limit(limit))
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True, of=EventGroup)
    rows = list((await session.scalars(stmt)).all())
    events = {e.id: e for e in (await session.scalars(
        select(Event).where(Event.id.in_({r.event_id for r in rows})))).all()} if rows else {}
    return [(events[r.event_id], r) for r in rows]


def roster_window(t: datetime, settings: EventSettings) -> int:
    """Rosters go out at most once per window of roster_minutes (aligned to the clock)."""
    return int(t.timestamp() // (max(settings.roster_minutes, 1) * 60))


async def events_with_roster_due(session: AsyncSession, now: datetime, settings: EventSettings) -> list[Event]:
    """Events with signup changes from a roster window that has closed: changes within one window are
    batched into one roster, posted at the start of the next window."""
    stmt = (select(Event.id, Event.roster_dirty_since).where(
        Event.status == EventStatus.OPEN, Event.starts_at > now, Event.roster_dirty_since.is_not(None))
        .order_by(Event.id))
    current = roster_window(now, settings)
    due = [i for i, since in (await session.execute(stmt)).all() if roster_window(since, settings) < current]
    locked = []
    for event_id in due:   # re-read under the lock: another instance may have posted it meanwhile
        e = await get_event(session, event_id, lock=True)
        if e is not None and e.roster_dirty_since is not None and roster_window(e.roster_dirty_since, settings) < current:
            locked.append(e)
    return locked


async def events_starting_between(session: AsyncSession, start: datetime, end: datetime) -> list[Event]:
    return list((await session.scalars(select(Event).where(
        Event.status == EventStatus.OPEN, Event.starts_at > start, Event.starts_at <= end)
        .order_by(Event.starts_at))).all())


# ------------------------------------------------------------------ the function room (models.booking)

@dataclass
class RoomOutcome:
    room: str
    code: str | None = None          # the booking made (or moved)
    error: str | None = None         # a BookingError code
    suggestions: list[tuple[datetime, datetime]] = field(default_factory=list)
    pending: bool = False            # booked, waiting for approval


def event_end(event: Event, settings: EventSettings) -> datetime:
    return event.ends_at or event.starts_at + timedelta(minutes=settings.room_minutes)


async def reserve_room(session: AsyncSession, now: datetime, config: Any, event: Event, room: str, *, by_id: str,
                       by_name: str, settings: EventSettings | None = None) -> RoomOutcome:
    """Book the function room the event is held in, as staff (no quota, no approval), through the
    booking capability's own operation so its rules and conflicts apply. Never fails the publish:
    a refusal comes back as an outcome to tell the publisher."""
    settings = settings or EventSettings()
    rc = bk.room_config(config, room)
    if rc is None:
        return RoomOutcome(room, error="unknown_room")
    end = event_end(event, settings)
    minutes = (end - event.starts_at).total_seconds() / 60
    if minutes < rc.min_minutes:
        end = event.starts_at + timedelta(minutes=rc.min_minutes)
    elif minutes > rc.max_minutes:
        end = event.starts_at + timedelta(minutes=rc.max_minutes)
    try:
        async with session.begin_nested():
            b = await bk.create_booking(session, now, config, room=rc.name, person_id=by_id, person_name=by_name,
                                        start=event.starts_at, end=end, party_size=min(event.capacity, rc.capacity),
                                        is_staff=True, purpose=f"活动 {event.code} {event.title}", quota=False)
    except bk.BookingError as exc:
        return RoomOutcome(rc.name, error=exc.code, suggestions=list(exc.detail.get("suggestions", [])))
    event.room_booking = b.code
    return RoomOutcome(rc.name, code=b.code, pending=b.status == bk.Status.PENDING)


async def release_room(session: AsyncSession, now: datetime, event: Event, *, by_id: str,
                       by_name: str | None = None) -> str | None:
    """The event is cancelled or moved elsewhere: free its room booking. Returns the code released."""
    if not event.room_booking:
        return None
    code = event.room_booking
    try:
        async with session.begin_nested():
            await bk.cancel_booking(session, now, code, by_id=by_id, is_staff=True, by_name=by_name,
                                    reason=f"活动 {event.code} 取消或改地点")
    except bk.BookingError:
        pass    # already cancelled or over: nothing to free
    event.room_booking = None
    return code


async def move_room(session: AsyncSession, now: datetime, config: Any, event: Event, *, by_id: str,
                    by_name: str | None = None, settings: EventSettings | None = None) -> RoomOutcome | None:
    """The event's time changed: move its room booking along (the booking rules decide)."""
    if not event.room_booking:
        return None
    settings = settings or EventSettings()
    try:
        async with session.begin_nested():
            b = await bk.change_booking(session, now, config, event.room_booking, event.starts_at,
                                        event_end(event, settings), by_id=by_id, is_staff=True, by_name=by_name)
    except bk.BookingError as exc:
        return RoomOutcome(event.place, code=event.room_booking, error=exc.code,
                           suggestions=list(exc.detail.get("suggestions", [])))
    return RoomOutcome(b.room_name, code=b.code, pending=b.status == bk.Status.PENDING)
