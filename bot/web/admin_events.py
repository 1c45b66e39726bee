"""活动 on the staff web (/inbox/activities): upcoming events with places taken and left, publish, edit,
cancel, an event's roster and its trail.

The work is models/events.py's `publish`, `update_event` and `cancel_event` (they book, move and free
the function room), and residents are told through notices/events.py — the same operations and the
same words as the chat commands 发布活动 / 改活动 / 取消活动 (handlers/events.py). Each action is one
transaction together with its outbox rows.

The list lives at /inbox/activities because /inbox/events is the inbox's live feed (Server-Sent Events).
Everyone logged in may read (a read-only viewer sees names masked); admins and grid workers act."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.web import auth as A
from bot.web import pages
from bot.web.keys import CORE
from bot.web.pages import render
from kernel.text.numbers import read_count, read_yuan
from models import booking as bk
from models import events as ev
from models import inbox as M
from models.db import transaction
from models.events import EventError, EventSpec
from notices import events as notices
from scheduler.ticker import TickContext
from texts import booking as TB
from texts import events as T
from texts import inbox as X
from texts import staff_events as S
from texts import trail as TR

ACTING = frozenset({M.WebRole.ADMIN, M.WebRole.WORKER})   # who publishes, edits and cancels
FIELDS = ("title", "starts_at", "ends_at", "place", "capacity", "per_signup_limit", "deadline", "fee", "note")


def may_act(actor: A.WebActor) -> bool:
    return actor.can_act and actor.person is not None and actor.role in ACTING


def masked_name(actor: A.WebActor, name: str | None) -> str:
    return T.mask_name(name) if name and actor.masked else (name or "")


class Bad(Exception):
    """A form value the page cannot use, or a refusal of the model: answered on the form, in Chinese."""

    def __init__(self, message: str, status: int = 400, *, duplicate: bool = False) -> None:
        super().__init__(message)
        self.message, self.status, self.duplicate = message, status, duplicate


def worded(exc: EventError, tz: Any) -> Bad:
    """A model refusal in the chat's words, worded inside the transaction (the event it names is still
    readable there; the transaction then rolls back)."""
    if exc.code == "duplicate":
        same = exc.info["event"]
        return Bad(S.DUPLICATE_WARNING.format(label=T.event_label(same), when=_local(same.starts_at, tz),
                                              place=same.place), 409, duplicate=True)
    if exc.code == "started":
        return Bad(T.EDIT_STARTED, 409)
    return Bad(T.refusal(exc.code, exc.info, tz), 409 if exc.code == "cancelled" else 400)


# ---------------------------------------------------------------- reading the form

@dataclass
class EventForm:
    spec: EventSpec
    groups: list[str]


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return str(value).strip() if isinstance(value, str) else ""


def _moment(value: str, tz: Any) -> datetime:
    """"2026-11-28T14:00" (a datetime-local input) or "2026-11-28 14:00", local time."""
    text = value.replace("T", " ").strip()
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            moment = datetime.strptime(text, fmt).replace(tzinfo=tz)
        except ValueError:
            continue
        if not 2000 <= moment.year <= 2100:      # year 1 or 9999 would overflow in time arithmetic
            raise ValueError(value)
        return moment
    raise ValueError(value)


def _number(value: str, message: str) -> int | None:
    if not value:
        return None
    try:
        return read_count(value)
    except (ValueError, OverflowError):
        raise Bad(message) from None


def _fee(value: str) -> tuple[str | None, int]:
    text = value.replace(" ", "")
    if not text:
        return None, 0
    if text == "免费":
        return "免费", 0
    try:
        cents = read_yuan(text)
    except ValueError:
        raise Bad(S.FEE_BAD) from None
    amount = text.rstrip("元块钱").rstrip("块")
    return f"{amount}元", cents      # a negative or absurd fee is refused by the model, as in chat


def read_form(form: Any, config: Any, *, publishing: bool) -> EventForm:
    tz = config.timezone
    title, place = _text(form, "title"), _text(form, "place")
    if not title:
        raise Bad(S.TITLE_NEEDED)
    if len(title) > 60:
        raise Bad(S.TITLE_TOO_LONG)
    if not place:
        raise Bad(S.PLACE_NEEDED)
    if len(place) > 80:
        raise Bad(S.PLACE_TOO_LONG)
    raw_start = _text(form, "starts_at")
    if not raw_start:
        raise Bad(S.START_NEEDED)
    try:
        starts_at = _moment(raw_start, tz)
    except ValueError:
        raise Bad(S.START_BAD) from None
    ends_at = None
    raw_end = _text(form, "ends_at")
    if raw_end:
        try:
            clock = time.fromisoformat(raw_end) if ":" in raw_end and len(raw_end) <= 8 else None
            ends_at = (datetime.combine(starts_at.date(), clock, tzinfo=tz) if clock is not None
                       else _moment(raw_end, tz))
        except ValueError:
            raise Bad(S.END_BAD) from None
        if ends_at <= starts_at:
            raise Bad(S.END_BEFORE_START)
    capacity = _number(_text(form, "capacity"), S.CAPACITY_BAD)
    if capacity is None:
        raise Bad(S.CAPACITY_BAD)
    limit = _number(_text(form, "per_signup_limit"), S.LIMIT_BAD)
    deadline = None
    raw_deadline = _text(form, "deadline")
    if raw_deadline:
        try:
            deadline = _moment(raw_deadline, tz)
        except ValueError:
            raise Bad(S.DEADLINE_BAD) from None
    fee_text, fee_cents = _fee(_text(form, "fee"))
    note = _text(form, "note") or None
    if note is not None and len(note) > 200:
        raise Bad(S.NOTE_TOO_LONG)
    groups: list[str] = []
    if publishing:
        known = {g.group for g in config.grids}
        for topic in form.getall("groups", []) if hasattr(form, "getall") else []:
            topic = str(topic).strip()
            if not topic:
                continue
            if topic not in known:
                raise Bad(S.GROUP_UNKNOWN.format(name=topic[:40]))
            groups.append(topic)
        if not groups:
            raise Bad(S.GROUPS_NEEDED)
    spec = EventSpec(title=title, starts_at=starts_at, ends_at=ends_at, place=place, capacity=capacity,
                     deadline=deadline, fee_text=fee_text, fee_cents=fee_cents, per_signup_limit=limit, note=note)
    return EventForm(spec, list(dict.fromkeys(groups)))


def changes_of(event: ev.Event, spec: EventSpec) -> dict[str, Any]:
    """The fields the edit form changed (an unchanged past deadline must not be refused as new)."""
    out: dict[str, Any] = {}
    for name in ("title", "starts_at", "ends_at", "place", "capacity", "deadline", "fee_text", "fee_cents",
                 "per_signup_limit", "note"):
        if getattr(spec, name) != getattr(event, name):
            out[name] = getattr(spec, name)
    if "fee_text" in out or "fee_cents" in out:     # the fee is one thing to the model and to residents
        out["fee_text"], out["fee_cents"] = spec.fee_text, spec.fee_cents
    return out


def form_values(event: ev.Event, tz: Any) -> dict[str, str]:
    """The edit form, filled in with the event as it is."""
    def local(value: datetime | None, fmt: str = "%Y-%m-%dT%H:%M") -> str:
        return value.astimezone(tz).strftime(fmt) if value is not None else ""
    return {"title": event.title, "starts_at": local(event.starts_at), "ends_at": local(event.ends_at, "%H:%M"),
            "place": event.place, "capacity": str(event.capacity),
            "per_signup_limit": str(event.per_signup_limit or ""), "deadline": local(event.deadline),
            "fee": event.fee_text or "", "note": event.note or ""}


def posted_values(form: Any) -> dict[str, str]:
    return {k: _text(form, k)[:400] for k in FIELDS}


# ---------------------------------------------------------------- what the pages show

def _local(value: datetime | None, tz: Any) -> str:
    return T.when(value, tz) if value is not None else ""


async def _event_rows(session: Any, now: datetime, tz: Any) -> list[dict[str, Any]]:
    events = await ev.open_events(session, now, limit=200)
    places = await ev.places_by_event(session, [e.id for e in events])
    rows = []
    for e in events:
        p = places.get(e.id, ev.Places())
        rows.append({"code": e.code, "title": e.title, "when": _local(e.starts_at, tz), "place": e.place,
                     "capacity": e.capacity, "taken": p.taken, "left": max(0, e.capacity - p.taken),
                     "waiting": p.waiting_groups, "waiting_people": p.waiting_people, "room_booking": e.room_booking})
    return rows


async def _detail(session: Any, actor: A.WebActor, config: Any, now: datetime, event: ev.Event) -> dict[str, Any]:
    tz = config.timezone
    rows = await ev.signups(session, event.id)
    taken = sum(s.party_size for s in rows if s.holds_places)
    roster, waiting_n = [], 0
    for s in rows:
        if s.status == ev.SignupStatus.WAITING:
            waiting_n += 1
        status = (S.WAITING_AT.format(n=waiting_n) if s.status == ev.SignupStatus.WAITING
                  else S.SIGNUP_STATUS.get(s.status, s.status))
        roster.append({"seq": len(roster) + 1, "name": masked_name(actor, s.name), "party": s.party_size,
                       "status": status, "where": s.group_topic or S.PRIVATE_CHAT,
                       "checked_in": s.checked_in_at is not None})
    trail = []
    for line in await ev.event_trail(session, event.id):
        e = line.event
        note = T.field_names(e.note.split(",")) if e.action == "edit" and e.note else (e.note or "")
        actor_name = e.actor_name or e.actor or TR.BOT
        if actor.masked and e.actor and e.actor_name and line.name is not None:
            actor_name = T.mask_name(actor_name)        # a resident who signed up, seen by a viewer
        trail.append({"at": e.at.astimezone(tz).strftime("%m-%d %H:%M"), "who": masked_name(actor, line.name),
                      "by": actor_name, "action": T.TRAIL_ACTIONS.get(e.action, e.action), "note": note})
    room = None
    if event.room_booking:
        try:
            b = await bk.get_booking(session, event.room_booking)
            room = {"code": b.code, "room": b.room_name, "status": TB.STATUS.get(b.status, b.status)}
        except bk.BookingError:
            room = None
    groups = [g.topic for g in await ev.event_groups(session, event.id)]
    open_ = event.status == ev.EventStatus.OPEN
    started = now >= event.starts_at
    end = f" – {event.ends_at.astimezone(tz):%H:%M}" if event.ends_at else ""
    fee = T.fee_line(event)
    info = [(S.INFO["when"], _local(event.starts_at, tz) + end), (S.INFO["place"], event.place),
            (S.INFO["capacity"], S.CAPACITY_LINE.format(capacity=event.capacity, taken=taken,
                                                        left=max(0, event.capacity - taken))),
            (S.INFO["waiting"], S.WAITING_GROUPS.format(n=waiting_n) if waiting_n else S.NONE)]
    info += [(S.INFO[k], v) for k, v in (
        ("deadline", _local(event.deadline, tz)), ("fee", fee.split(": ", 1)[-1] if fee else ""),
        ("limit", f"{event.per_signup_limit}人" if event.per_signup_limit else ""), ("note", event.note or ""),
        ("groups", "、".join(groups)), ("cancel_reason", event.cancel_reason or "")) if v]
    return {"event": event, "info": info, "room": room, "roster": roster, "trail": trail,
            "is_open": open_, "started": started, "editable": open_ and not started and may_act(actor),
            "cancellable": open_ and may_act(actor), "masked": actor.masked}


# ---------------------------------------------------------------- routes

def message(request: web.Request, actor: A.WebActor | None, title: str, text: str, status: int) -> web.Response:
    return pages.message(request, actor, title, text, status, title=f"{title} · {X.APP_TITLE}", tab="events",
                         back="/inbox/activities", back_label=S.BACK_EVENTS)


def forbidden(request: web.Request, actor: A.WebActor, text: str) -> web.StreamResponse:
    return message(request, actor, X.FORBIDDEN_TITLE, text, 403)


guard = A.page(A.ALL_ROLES, forbidden=forbidden)


async def list_page(request: web.Request, actor: A.WebActor, *, values: dict[str, str] | None = None,
                    groups: list[str] | None = None, error: str = "", duplicate: str = "",
                    status: int = 200) -> web.Response:
    core = request.app[CORE]
    config, now = core.config, core.clock.now()
    async with core.reads() as session:
        rows = await _event_rows(session, now, config.timezone)
    chosen = groups if groups is not None else ev.default_groups(actor.person, config)
    return render(request, actor, "events.html", title=f"{S.EVENTS_TITLE} · {X.APP_TITLE}", page="events",
                  tab="events", status=status, rows=rows, can_act=may_act(actor), values=values or {},
                  group_choices=[g.group for g in config.grids], chosen=chosen, error=error,
                  duplicate=duplicate, rooms=[r.name for r in config.rooms], S=S)


@guard
async def events_get(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    return await list_page(request, actor)


@guard
async def publish_post(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    form = await request.post()
    if not A.csrf_ok(request, actor, form):
        return message(request, actor, X.FORBIDDEN_TITLE, X.CSRF_REFUSED, 403)
    if not may_act(actor):
        return message(request, actor, X.FORBIDDEN_TITLE, S.READ_ONLY, 403)
    core = request.app[CORE]
    config, now, tz = core.config, core.clock.now(), core.config.timezone
    values = posted_values(form)
    chosen = [str(g) for g in form.getall("groups", [])]
    try:
        parsed = read_form(form, config, publishing=True)
    except Bad as exc:
        return await list_page(request, actor, values=values, groups=chosen, error=exc.message, status=exc.status)
    person = actor.person
    assert person is not None
    try:
        async with transaction(core.sessions) as session:
            try:
                published = await ev.publish(session, now, config, parsed.spec, by_id=person.id,
                                             by_name=person.name, groups=parsed.groups,
                                             room=ev.room_of_place(parsed.spec.place, config),
                                             allow_duplicate=_text(form, "confirm_duplicate") == "1")
            except EventError as exc:
                raise worded(exc, tz) from None
            code = published.event.code
            room = published.room
    except Bad as exc:
        if exc.duplicate:
            return await list_page(request, actor, values=values, groups=chosen, duplicate=exc.message,
                                   status=exc.status)
        return await list_page(request, actor, values=values, groups=chosen, error=exc.message, status=exc.status)
    core.wake_sender()
    room_error = f"&room_error={quote(room.error)}" if room is not None and room.error else ""
    raise web.HTTPSeeOther(f"/inbox/activities/{code}?done=published{room_error}")


async def detail_page(request: web.Request, actor: A.WebActor, code: str, *, flash: list[str] | None = None,
                      error: str = "", values: dict[str, str] | None = None, status: int = 200) -> web.Response:
    core = request.app[CORE]
    config, now, tz = core.config, core.clock.now(), core.config.timezone
    async with core.reads() as session:
        event = await ev.event_by_code(session, code)
        if event is None:
            return message(request, actor, S.EVENTS_TITLE, S.NOT_FOUND_EVENT.format(code=code[:20]), 404)
        view = await _detail(session, actor, config, now, event)
    notes = list(flash or [])
    if request.method == "GET" and request.query.get("done") == "published":
        notes.append(S.PUBLISHED.format(title=event.title, code=event.code))
        place_room = ev.room_of_place(event.place, config)
        if view["room"] is not None:
            notes.append(T.room_note(ev.RoomOutcome(view["room"]["room"], code=view["room"]["code"],
                                                    pending=view["room"]["status"] == TB.STATUS["pending"]), tz))
        elif place_room is not None:
            notes.append(T.room_note(ev.RoomOutcome(place_room, error=request.query.get("room_error")
                                                    or "unavailable"), tz))
    return render(request, actor, "events_detail.html", title=f"{event.title} · {S.EVENTS_TITLE}", page="event",
                  tab="events", status=status, flash=notes, error=error,
                  values=values or form_values(event, tz), S=S, rooms=[r.name for r in config.rooms], **view)


@guard
async def event_get(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    return await detail_page(request, actor, request.match_info["code"])


@guard
async def event_action(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    code, action = request.match_info["code"], request.match_info["action"]
    form = await request.post()
    if not A.csrf_ok(request, actor, form):
        return message(request, actor, X.FORBIDDEN_TITLE, X.CSRF_REFUSED, 403)
    if not may_act(actor):
        return message(request, actor, X.FORBIDDEN_TITLE, S.READ_ONLY, 403)
    core = request.app[CORE]
    config, now, tz = core.config, core.clock.now(), core.config.timezone
    person = actor.person
    assert person is not None
    values = posted_values(form) if action == "edit" else None
    try:
        async with transaction(core.sessions) as session:
            event = await ev.event_by_code(session, code)
            if event is None:
                raise Bad(S.NOT_FOUND_EVENT.format(code=code[:20]), 404)
            if action == "edit":
                parsed = read_form(form, config, publishing=False)
                try:
                    res = await ev.update_event(session, now, event.id, by=person.id, by_name=person.name,
                                                config=config, settings=config.events,
                                                **changes_of(event, parsed.spec))
                except EventError as exc:
                    raise worded(exc, tz) from None
                out = TickContext(session, now, config, core.directory, config.bot_id).out
                told = await notices.changed(out, res, tz)
                label, fields = T.event_label(res.event), T.field_names(res.changed)
                done = [(S.EDITED if told else S.EDITED_NOBODY).format(label=label, fields=fields, told=told)]
                if res.promoted:
                    done.append(S.PROMOTED.format(n=len(res.promoted)))
                done += T.room_follow_notes(res.room, tz)
            else:
                reason = _text(form, "reason")
                if len(reason) > 200:
                    raise Bad(S.REASON_TOO_LONG)
                try:
                    cancelled = await ev.cancel_event(session, now, event.id, by=person.id,
                                                      by_name=person.name, reason=reason)
                except EventError as exc:
                    raise worded(exc, tz) from None
                out = TickContext(session, now, config, core.directory, config.bot_id).out
                told = await notices.cancelled(out, cancelled.event, tz)
                done = [S.CANCELLED.format(label=T.event_label(cancelled.event), told=told)]
                if cancelled.released:
                    done.append(S.ROOM_RELEASED.format(code=cancelled.released))
    except Bad as exc:
        if exc.status == 404:
            return message(request, actor, S.EVENTS_TITLE, exc.message, 404)
        return await detail_page(request, actor, code, error=exc.message, values=values, status=exc.status)
    core.wake_sender()
    return await detail_page(request, actor, code, flash=done)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/inbox/activities", events_get)
    app.router.add_post("/inbox/activities", publish_post)
    app.router.add_get("/inbox/activities/{code}", event_get)
    app.router.add_post("/inbox/activities/{code}/{action:edit|cancel}", event_action)
