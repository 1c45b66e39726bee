"""功能室预约 on the staff web (/inbox/bookings): bookings waiting for approval with approve / reject (a
reason is required), the day's bookings per room, and one booking's trail.

The work is models/booking.py's `approve` and `reject`, and the resident is told through
notices/booking.py — the same operations and words as the chat commands 通过 B101 / 拒绝 B101 原因
(handlers/booking.py); refusals are worded by notices/booking.code_error for both. Each action is one
transaction together with its outbox rows. Everyone logged in may read (a read-only viewer sees names
masked); admins and grid workers approve and reject."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.web import auth as A
from bot.web import pages
from bot.web.keys import CORE
from bot.web.pages import render
from models import booking as bk
from models import inbox as M
from models.db import transaction
from notices import booking as notices
from scheduler.ticker import TickContext
from texts import booking as TB
from texts import events as TE
from texts import inbox as X
from texts import staff_events as S
from texts import trail as TR

ACTING = frozenset({M.WebRole.ADMIN, M.WebRole.WORKER})   # who approves and rejects
STATUS_CODES = {"unknown_code": 404, "not_pending": 409, "already_over": 409}


def may_act(actor: A.WebActor) -> bool:
    return actor.can_act and actor.person is not None and actor.role in ACTING


def _name(actor: A.WebActor, name: str) -> str:
    return TE.mask_name(name) if actor.masked else name


def _row(actor: A.WebActor, config: Any, now: datetime, b: bk.Booking) -> dict[str, Any]:
    tz = config.timezone
    return {"code": b.code, "room": b.room_name, "when": notices.when(config, now, b.start_at, b.end_at),
            "span": f"{b.start_at.astimezone(tz):%H:%M}–{b.end_at.astimezone(tz):%H:%M}",
            "name": _name(actor, b.person_name), "party": b.party_size, "purpose": b.purpose or "",
            "status": TB.STATUS.get(b.status, b.status), "pending": b.status == bk.Status.PENDING,
            "asked": b.created_at.astimezone(tz).strftime("%m-%d %H:%M")}


def _day(raw: str | None, today: date) -> date | None:
    if not raw:
        return today
    try:
        day = date.fromisoformat(raw.strip()[:10])
    except ValueError:
        return None
    return day if 2000 <= day.year <= 2100 else None      # the day before 0001-01-01 does not exist


def message(request: web.Request, actor: A.WebActor | None, title: str, text: str, status: int) -> web.Response:
    return pages.message(request, actor, title, text, status, title=f"{title} · {X.APP_TITLE}", tab="bookings",
                         back="/inbox/bookings", back_label=S.BACK_BOOKINGS)


def forbidden(request: web.Request, actor: A.WebActor, text: str) -> web.StreamResponse:
    return message(request, actor, X.FORBIDDEN_TITLE, text, 403)


guard = A.page(A.ALL_ROLES, forbidden=forbidden)


async def done_flash(request: web.Request, session: Any, config: Any, now: datetime) -> str:
    """After an approval or rejection (a redirect): what was done, read back from the booking."""
    done, code = request.query.get("done"), request.query.get("code") or ""
    if done not in ("approved", "rejected") or not code:
        return ""
    try:
        b = await bk.get_booking(session, code[:16])
    except bk.BookingError:
        return ""
    words = S.APPROVED if done == "approved" else S.REJECTED
    return words.format(code=b.code, room=b.room_name, when=notices.when(config, now, b.start_at, b.end_at),
                        name=b.person_name)


async def list_page(request: web.Request, actor: A.WebActor, *, error: str = "", error_code: str = "",
                    reason: str = "", status: int = 200) -> web.Response:
    core = request.app[CORE]
    config, now = core.config, core.clock.now()
    today = now.astimezone(config.timezone).date()
    day = _day(request.query.get("day"), today)
    if day is None:
        error, status, day = S.DAY_BAD, 400, today
    async with core.reads() as session:
        pending = [_row(actor, config, now, b) for b in await bk.pending_approvals(session, now)]
        rooms = [(room, [_row(actor, config, now, b) for b in rows])
                 for room, rows in (await bk.day_bookings(session, config, day)).items()]
        flash = await done_flash(request, session, config, now)
    label = S.DAY_LABEL.format(month=day.month, day=day.day, weekday=TE.WEEKDAYS[day.weekday()])
    return render(request, actor, "bookings.html", title=f"{S.BOOKINGS_TITLE} · {X.APP_TITLE}", page="bookings",
                  tab="bookings", status=status, S=S, pending=pending, rooms=rooms, day=day.isoformat(),
                  day_label=label, prev_day=(day - timedelta(days=1)).isoformat(),
                  next_day=(day + timedelta(days=1)).isoformat(), any_booking=any(rows for _, rows in rooms),
                  can_act=may_act(actor), flash=flash, error=error, error_code=error_code, reason=reason,
                  back=request.path_qs)


async def detail_page(request: web.Request, actor: A.WebActor, code: str, *, error: str = "",
                      reason: str = "", status: int = 200) -> web.Response:
    core = request.app[CORE]
    config, now, tz = core.config, core.clock.now(), core.config.timezone
    async with core.reads() as session:
        try:
            b, events = await bk.booking_trail(session, code[:16])
        except bk.BookingError:
            return message(request, actor, S.BOOKINGS_TITLE, S.NOT_FOUND_BOOKING.format(code=code[:16]), 404)
        flash = await done_flash(request, session, config, now)
    trail = []
    for e in events:
        waitlist = e.subject == bk.WAITLIST.subject
        labels = TB.TRAIL_WAITLIST_ACTIONS if waitlist else TB.TRAIL_ACTIONS
        by = e.actor_name or e.actor or TR.BOT
        if e.actor == b.person_id and e.actor_name:
            by = _name(actor, e.actor_name)
        trail.append({"at": e.at.astimezone(tz).strftime("%m-%d %H:%M"), "by": by,
                      "action": (TB.TRAIL_WAITLIST + " " if waitlist else "") + labels.get(e.action, e.action),
                      "note": e.note or ""})
    row = _row(actor, config, now, b)
    info = [(S.BOOKING_INFO[k], v) for k, v in (
        ("room", b.room_name), ("when", row["when"]), ("name", row["name"]), ("party", f"{b.party_size}人"),
        ("status", row["status"]), ("purpose", b.purpose or ""), ("reason", b.reason or "")) if v]
    return render(request, actor, "bookings_detail.html", title=f"{b.code} · {S.BOOKINGS_TITLE}", page="booking",
                  tab="bookings", status=status, S=S, b=row, info=info, trail=trail,
                  can_act=may_act(actor) and row["pending"], flash=flash, error=error, reason=reason,
                  back=request.path)


@guard
async def bookings_get(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    return await list_page(request, actor)


@guard
async def booking_get(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    return await detail_page(request, actor, request.match_info["code"])


@guard
async def booking_action(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    code, action = request.match_info["code"][:16], request.match_info["action"]
    form = await request.post()
    if not A.csrf_ok(request, actor, form):
        return message(request, actor, X.FORBIDDEN_TITLE, X.CSRF_REFUSED, 403)
    if not may_act(actor):
        return message(request, actor, X.FORBIDDEN_TITLE, S.BOOKING_READ_ONLY, 403)
    core = request.app[CORE]
    config, now = core.config, core.clock.now()
    person = actor.person
    assert person is not None
    from_detail = form.get("from") == "detail"
    reason = str(form.get("reason") or "").strip()[:200]

    async def again(words: str, status: int) -> web.Response:
        if from_detail:
            return await detail_page(request, actor, code, error=words, reason=reason, status=status)
        return await list_page(request, actor, error=words, error_code=code, reason=reason, status=status)

    if action == "reject" and not reason:
        return await again(S.REJECT_REASON_NEEDED, 400)
    try:
        async with transaction(core.sessions) as session:
            out = TickContext(session, now, config, core.directory, config.bot_id).out
            if action == "approve":
                b = await bk.approve(session, now, config, code, by_id=person.id, by_name=person.name)
                await notices.approved(out, config, now, b)
            else:
                b = await bk.reject(session, now, code, by_id=person.id, reason=reason, by_name=person.name)
                await notices.rejected(out, config, now, b)
            done_code = b.code
    except bk.BookingError as exc:
        return await again(notices.code_error(config, now, exc), STATUS_CODES.get(exc.code, 400))
    core.wake_sender()
    done = "approved" if action == "approve" else "rejected"
    target = f"/inbox/bookings/{quote(done_code)}" if from_detail else "/inbox/bookings"
    raise web.HTTPSeeOther(f"{target}?done={done}&code={quote(done_code)}")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/inbox/bookings", bookings_get)
    app.router.add_get("/inbox/bookings/{code}", booking_get)
    app.router.add_post("/inbox/bookings/{code}/{action:approve|reject}", booking_action)
