"""The 24-hour needs inbox (诉求工作台): login, the live list of open needs with their clocks, a need's
page with its timeline and actions, 未诉先办 suggestions, charts, exports and the view audit log.
Mounted by bot/web/app.py (`setup_routes(app)`, after `app[CORE]` is set); the JSON API is bot/web/api.py.
Each page is a module-level handler that reads the core from `request.app[CORE]`, gathers plain values
and renders a template under templates/ (Jinja2, every value escaped); read-only pages use the read
session (`core.reads()`), and only the view audit log is written, in its own short transaction.

Live updates: one poller per process reads the needs changed since the last poll (every operation
sets `updated_at`) every `Notifier.interval` seconds and fans them out to the open pages over
Server-Sent Events; a page then re-fetches its list. The web's own actions poke the poller so that
their effect shows at once. Simple, correct on SQLite and PostgreSQL, and one query per interval
whatever the number of open pages.

Pages are plain HTML from templates, one small stylesheet and one small vanilla script under /static/ —
no CDN, no inline script (the app's CSP forbids it). The poller is a background task owned by the app's
`cleanup_ctx`; open streams are ended at `on_shutdown`, so a graceful shutdown does not wait on them."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from kernel.identity import Role
from bot import export as E
from bot.web import auth as A
from bot.web import pages
from bot.web import api
from bot.web import photos as W
from bot.web.filters import STATUS_CHOICES, parse_filters
from bot.web.inbox_charts import charts_view
from bot.web.keys import CORE, CSRF_SECRET
from bot.web.live import NOTIFIER, Notifier
from bot.web.pages import fragment, render
from bot.web import inbox_ops as O
from texts import inbox as X
from notices import needs as tell
from models import access
from models import duty as D
from models import inbox as M
from models import needs as N
from models.db import transaction

log = logging.getLogger("gridbot.inbox")

T0 = web.RequestKey("inbox_t0", float)   # when the request reached the inbox (Server-Timing)




# ---------------------------------------------------------------- rendering

def message_page(request: web.Request, actor: A.WebActor | None, title: str, message: str, status: int) -> web.Response:
    return pages.message(request, actor, title, message, status)


def forbidden(request: web.Request, actor: A.WebActor, message: str) -> web.Response:
    return message_page(request, actor, X.FORBIDDEN_TITLE, message, 403)


def csrf_refused(request: web.Request, actor: A.WebActor | None) -> web.Response:
    return message_page(request, actor, X.FORBIDDEN_TITLE, X.CSRF_REFUSED, 403)


def _elapsed(request: web.Request) -> float | None:
    t0 = request.get(T0)
    return time.perf_counter() - t0 if t0 is not None else None


PageHandler = Callable[[web.Request, A.WebActor], Awaitable[web.StreamResponse]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def guard(roles: frozenset[str] = A.ALL_ROLES) -> Callable[[PageHandler], Handler]:
    """Login and role check (bot/web/auth.py) for a staff page, timed from here for Server-Timing."""
    inner = A.page(roles, forbidden=forbidden)

    def wrap(handler: PageHandler) -> Handler:
        wrapped = inner(handler)

        @functools.wraps(handler)
        async def timed(request: web.Request) -> web.StreamResponse:
            request[T0] = time.perf_counter()
            return await wrapped(request)
        return timed
    return wrap


STAFF = frozenset({M.WebRole.ADMIN, M.WebRole.WORKER})


def _local(value: datetime | None, config: Any) -> str:
    return value.astimezone(config.timezone).strftime("%Y-%m-%d %H:%M") if value is not None else ""


# ---------------------------------------------------------------- filters

def _filter_query(f: M.Filters) -> str:
    params: dict[str, str] = {}
    if f.grid is not None:
        params["grid"] = str(f.grid)
    if f.category:
        params["category"] = f.category
    if f.status != "open":
        params["status"] = f.status
    if f.urgent:
        params["urgent"] = "1"
    if f.overdue:
        params["overdue"] = "1"
    if f.department:
        params["department"] = f.department
    if f.date_from:
        params["from"] = f.date_from.isoformat()
    if f.date_to:
        params["to"] = f.date_to.isoformat()
    if f.q:
        params["q"] = f.q
    return urlencode(params)


def filter_bar(f: M.Filters, actor: A.WebActor, config: Any) -> dict[str, Any]:
    """The values of the filter bar macro: which selects this role sees, and what is chosen."""
    sees_grids = actor.role in (M.WebRole.ADMIN, M.WebRole.VIEWER)
    return {"active": _filter_query(f) != "",
            "grids": [(str(g.number), f"网格{g.number}") for g in config.grids] if sees_grids else None,
            "grid": str(f.grid or ""), "categories": list(N.CATEGORY_NAMES.items()), "category": f.category,
            "statuses": STATUS_CHOICES, "status": f.status,
            "departments": ([(d.name, d.name) for d in config.departments]
                            if actor.role != M.WebRole.DEPARTMENT else None),
            "department": f.department, "date_from": f.date_from or "", "date_to": f.date_to or "",
            "urgent": f.urgent, "overdue": f.overdue, "q": f.q or ""}


# ---------------------------------------------------------------- the list

def _clock(cv: Any) -> dict[str, Any] | None:
    if not cv.label:
        return None
    return {"label": cv.label, "colour": cv.colour, "due_ms": int(cv.due.timestamp() * 1000) if cv.due else None,
            "amber": cv.amber_s, "kind": X.CLOCK_KINDS.get(cv.kind or "", "")}


def need_row(r: Any, now: datetime, config: Any, actor: A.WebActor,
             photos: list[W.PhotoLink] | None = None) -> dict[str, Any]:
    """One card of the list, as _need_card.html shows it."""
    cv = O.clock_view(r, now, config)
    text = O.shown_text(r.text or "", actor).replace("\n", " ")
    if len(text) > 90:
        text = text[:89] + "…"
    is_open = r.status in O.OPEN
    tags = []
    if r.urgent:
        tags.append(("urgent", X.URGENT_TAG))
    if is_open and (r.overdue or cv.colour == "red"):
        tags.append(("overdue", X.OVERDUE_TAG))
    if r.source == N.Source.TREE_HOLE:
        tags.append(("th", "树洞"))
    if r.source in X.INTAKE_SOURCES:
        tags.append(("taken", X.INTAKE_SOURCES[r.source]))
    return {"code": r.code, "cls": "need" + (" is-urgent" if r.urgent and is_open else "") + f" c-{cv.colour}",
            "tags": tags, "clock": _clock(cv), "category": N.CATEGORY_NAMES.get(r.category, "其他"),
            "place": O.place(r.building, r.grid), "status": O.status_name(r.status, r.department),
            "holder": r.department or r.assignee_name or "", "when": tell.fmt_time(r.created_at, now, config),
            "text": text, "photos": photos or []}


_CARDS: OrderedDict[str, Markup] = OrderedDict()   # a card's values (repr) → its HTML, least recent first
_CARDS_KEPT = 4096


def card_html(env: jinja2.Environment, card: dict[str, Any]) -> Markup:
    """A card's HTML, rendered once per distinct content: the list is re-fetched on every change and
    most of its 200 cards read exactly as a moment ago, and rendering them was the page's largest cost.
    The key is everything the card shows (masked text included), so a reused card is the same HTML."""
    key = repr(card)
    html = _CARDS.get(key)
    if html is None:
        html = _CARDS[key] = Markup(env.get_template("_need_card.html").render(r=card))
        if len(_CARDS) > _CARDS_KEPT:
            _CARDS.popitem(last=False)
    else:
        _CARDS.move_to_end(key)
    return html


def need_list(request: web.Request, page: M.Page, now: datetime, config: Any, actor: A.WebActor) -> dict[str, Any]:
    """The values of _need_list.html (the list on the page and in /inbox/rows)."""
    env = aiohttp_jinja2.get_env(request.app)
    more = page.total - len(page.rows)
    return {"rows": [card_html(env, need_row(r, now, config, actor, page.photos.get(r.id))) for r in page.rows],
            "empty": X.EMPTY, "more": X.MORE.format(n=more) if more > 0 else ""}


def summary_html(page: M.Page) -> str:
    return str(escape(X.SUMMARY.format(total=page.total, urgent=page.urgent, overdue=page.overdue)))


async def _load_list(core: Any, actor: A.WebActor, f: M.Filters) -> tuple[M.Page, int]:
    now = core.clock.now()
    async with core.reads() as session:
        page = await M.inbox_page(session, actor.scope, f, now, core.config.timezone,
                                  limit=core.config.inbox.list_limit)
        sugs = await M.open_suggestion_count(session, actor.scope) if actor.sees_suggestions else 0
        page.photos = await W.photos_by_need(session, [r.id for r in page.rows])
    return page, sugs


# ---------------------------------------------------------------- the need page

def need_actions(need: N.Need, actor: A.WebActor, config: Any, roster: D.Roster,
                 people: dict[str, str] | None = None) -> dict[str, Any] | None:
    """Which action forms this person gets on this need (None: none at all); `roster`: the duty roster
    in force, so that a grid's AB岗 named on the admin page gets the buttons the operation allows;
    `people`: whom an admin may 派单 to (models/duty.staff_choices)."""
    if not actor.can_act or actor.person is None or need.status == N.Status.MERGED:
        return None
    person = actor.person
    if not N.may_handle(config, need, person, roster):
        return None
    st = need.status
    working = st in (N.Status.DISPATCHED, N.Status.ACCEPTED, N.Status.IN_PROGRESS)
    acts = {"accept": ("签收" if person.department else "接单") if st == N.Status.DISPATCHED else "",
            "working": working,
            "transfer": need.is_open and person.role != Role.DEPARTMENT,
            "departments": [(d.name, d.name) for d in config.departments],
            "give_back": working and not (person.role == Role.ADMIN and need.department is None),
            "reopen": (st in (N.Status.RESOLVED, N.Status.VISITING, N.Status.CLOSED)
                       and getattr(N, "reopen", None) is not None and person.role != Role.DEPARTMENT),
            # 派单 / 督办 by hand: an admin, on an open need (督办: one somebody else holds)
            "assign": [(i, n) for i, n in (people or {}).items()
                       if need.is_open and person.role == Role.ADMIN],
            "urge": (need.is_open and person.role == Role.ADMIN
                     and (need.department is not None or need.assignee != person.id))}
    shown = (acts["accept"] or working or acts["transfer"] or acts["give_back"] or acts["reopen"]
             or acts["assign"] or acts["urge"])
    return acts if shown else None


def need_view(need: N.Need, events: list[N.NeedEvent], followers: list[N.Need], parent: N.Need | None,
              actor: A.WebActor, core: Any, photos: list[W.PhotoLink] | None = None) -> dict[str, Any]:
    """The values of need.html's head, merges, rating, photos and timeline."""
    config, now = core.config, core.clock.now()
    cv = O.clock_view(need, now, config)
    tags = []
    if need.urgent:
        tags.append(("urgent", X.URGENT_TAG))
    if need.is_open and (need.overdue or cv.colour == "red"):
        tags.append(("overdue", X.OVERDUE_TAG))
    source = O.requester_label(need, actor)
    if need.source != N.Source.TREE_HOLE:
        where = {"group": f"在{need.chat}" if need.chat else "群聊", "private": "私聊", "suggestion":
                 f"未诉先办,在{need.chat or ''}", **X.INTAKE_SOURCES}.get(need.source, "")
        source = f"{source}({where})" if where else source
    place = O.place(need.building, need.grid) + (f" · 网格{need.grid}" if need.building is not None and need.grid else "")
    info = [("类别", need.category_name), ("位置", place), ("诉求人", source),
            ("联系电话", O.shown_text(need.caller_phone or "", actor)),
            ("承办", need.department or need.assignee_name or ""),
            ("受理", _local(need.created_at, config)),
            ("响应时限", _local(need.response_due_at, config)),
            ("办结时限", _local(need.resolve_due_at, config) if need.urgent else ""),
            ("签收", _local(need.acknowledged_at, config)),
            ("最新回复", O.shown_text(need.last_reply or "", actor)),
            ("办理结果", O.shown_text(need.resolution or "", actor)),
            ("办结", _local(need.resolved_at, config)), ("关闭", _local(need.closed_at, config))]
    rating = None
    if need.satisfaction:
        sat = N.SATISFACTION_NAMES.get(N.Satisfaction(need.satisfaction), need.satisfaction)
        solved = {True: "已解决", False: "未解决", None: ""}[need.solved]
        rating = [("评价", sat), ("问题", solved), ("居民意见", O.shown_text(need.rating_note or "", actor)),
                  ("评价时间", _local(need.rated_at, config))]
    return {"code": need.code, "updated_ms": int(need.updated_at.timestamp() * 1000), "tags": tags,
            "photos": photos or [],
            "clock": _clock(cv), "status": O.status_name(need.status, need.department),
            "text": O.shown_text(need.text, actor), "info": info,
            "parent": parent.code if parent is not None else None,
            "followers": [{"code": f.code, "requester": O.requester_label(f, actor),
                           "text": O.shown_text(f.text, actor), "status": O.status_name(f.status, f.department)}
                          for f in followers],
            "rating": rating, "visiting": need.status == N.Status.VISITING}


def timeline(need: N.Need, events: list[N.NeedEvent], actor: A.WebActor, config: Any) -> list[dict[str, Any]]:
    rows = []
    for e in events:
        d = O.event_dict(e, actor, need)
        arrow = ""
        if e.from_status and e.from_status != e.to_status:
            arrow = f"{O.status_name(e.from_status, None)} → {O.status_name(e.to_status, None)}"
        rows.append({"at": _local(e.at, config), "action": d["action_name"], "actor": d["actor_name"] or "",
                     "arrow": arrow, "note": d["note"]})
    return rows


# ---------------------------------------------------------------- login / logout

def login_page(request: web.Request, *, error: str = "", status: int = 200, nonce: str | None = None,
               username: str = "") -> web.Response:
    core = request.app[CORE]
    fresh = nonce is None
    nonce = nonce or A.new_nonce()
    response = render(request, None, "login.html", title=X.LOGIN_TITLE, page="login", status=status, error=error,
                      token=A.login_token(request.app[CSRF_SECRET], nonce), username=username,
                      next_url=quote(A.safe_next(request.query.get("next")), safe="/"))
    if fresh:
        response.set_cookie(A.PRE_COOKIE, nonce, httponly=True, samesite="Lax", path="/inbox/login",
                            secure=A.secure_cookies(request, core.config), max_age=3600)
    return response


async def login_get(request: web.Request) -> web.StreamResponse:
    actor = await A.load_actor(request, request.app[CORE])
    if actor is not None:
        raise web.HTTPFound(A.safe_next(request.query.get("next")))
    return login_page(request)


async def login_post(request: web.Request) -> web.StreamResponse:
    core = request.app[CORE]
    form = await request.post()
    nonce = request.cookies.get(A.PRE_COOKIE, "")
    expected = A.login_token(request.app[CSRF_SECRET], nonce) if nonce else ""
    if not nonce or not hmac.compare_digest(str(form.get("_csrf") or ""), expected):
        return message_page(request, None, X.FORBIDDEN_TITLE, X.CSRF_REFUSED, 403)
    done = await A.log_in(request, core, str(form.get("username") or ""), str(form.get("password") or ""),
                          via="page")
    if done.token is None:
        error = {"throttled": X.LOGIN_THROTTLED.format(minutes=done.wait), "failed": X.LOGIN_FAILED,
                 "bad_account": X.LOGIN_BAD_ACCOUNT}[done.error]
        return login_page(request, error=error, status=429 if done.error == "throttled" else 401, nonce=nonce,
                          username=done.username)
    response = web.HTTPSeeOther(A.safe_next(request.query.get("next")))
    A.set_session_cookie(response, request, core, done.token)
    response.del_cookie(A.PRE_COOKIE, path="/inbox/login")
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    core = request.app[CORE]
    actor = await A.load_actor(request, core)
    form = await request.post()
    if actor is not None:
        if not A.csrf_ok(request, actor, form):
            return csrf_refused(request, actor)
        token = request.cookies.get(A.COOKIE) if actor.via == "cookie" else A.bearer(request)
        async with transaction(core.sessions) as session:
            user_id = await M.log_out(session, token)
        if user_id is not None:
            request.app[NOTIFIER].end_streams(user_id, M.token_hash(token or ""))
    response = web.HTTPSeeOther("/inbox/login")
    response.del_cookie(A.COOKIE, path="/")
    raise response


# ---------------------------------------------------------------- the list, live

@guard()
async def inbox(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    core = request.app[CORE]
    f = parse_filters(request.query, actor, core.config)
    page, sugs = await _load_list(core, actor, f)
    flash = ""
    away, away_code = request.query.get("away"), N.normalize_code(request.query.get("code") or "")
    if away in X.DONE_AWAY_WHAT and away_code:
        flash = X.DONE_AWAY.format(code=away_code, what=X.DONE_AWAY_WHAT[away])
    response = render(request, actor, "inbox.html", title=f"{X.APP_TITLE} · {core.config.community}", page="inbox",
                      tab="inbox", suggestions=sugs, flash_ok=flash,
                      filters=filter_bar(f, actor, core.config), summary=Markup(summary_html(page)),
                      live_hint=X.LIVE_HINT, sound_on=X.SOUND_ON, query=_filter_query(f),
                      **need_list(request, page, core.clock.now(), core.config, actor))
    return _timed(request, response)


def _timed(request: web.Request, response: web.Response) -> web.Response:
    """Server-Timing with the rendering included (the list's cards are a good part of the time)."""
    elapsed = _elapsed(request)
    if elapsed is not None:
        response.headers["Server-Timing"] = f"app;dur={elapsed * 1000:.1f}"
    return response


@guard()
async def rows(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    core = request.app[CORE]
    f = parse_filters(request.query, actor, core.config)
    page, sugs = await _load_list(core, actor, f)
    cards = need_list(request, page, core.clock.now(), core.config, actor)
    data = {"html": fragment(request, "_need_list.html", **cards),
            "summary": summary_html(page), "total": page.total, "urgent": page.urgent, "overdue": page.overdue,
            "suggestions": sugs, "codes": [r.code for r in page.rows]}
    return _timed(request, web.json_response(data, headers={"Cache-Control": "no-store"}))


STREAM_RECHECK_S = 15.0     # a live stream re-reads its session at least this often, busy or idle


@guard()
async def events(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    """Server-Sent Events: {"type": "need"|"suggestion", …} for what this user may see."""
    core = request.app[CORE]
    notifier = request.app[NOTIFIER]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})
    token, _kind = A.request_token(request)
    queue = await notifier.subscribe((actor.user_id, actor.via, M.token_hash(token or "")))
    loop = asyncio.get_running_loop()
    checked = loop.time()
    try:
        await response.prepare(request)
        await response.write(b"retry: 3000\n: connected\n\n")
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), timeout=15)
            except TimeoutError:
                event = {"type": "check"}     # logged out elsewhere, revoked, expired?
            if event is None:
                break
            if event["type"] not in ("check", "ended") and loop.time() - checked >= STREAM_RECHECK_S:
                checked = loop.time()         # a busy stream re-checks too: a disabled account hears no more
                if await A.session_expiry(request, core) is None:
                    event = {"type": "ended"}
            if event["type"] in ("check", "ended"):
                checked = loop.time()
                if event["type"] == "ended" or await A.session_expiry(request, core) is None:
                    await response.write(b"event: expired\ndata: {}\n\n")
                    break
                await response.write(b": keep-alive\n\n")
                continue
            if event["type"] == "need":
                visible = actor.scope.sees(grid=event["grid"], department=event["department"],
                                           assignee=event["assignee"])
                public = {k: event[k] for k in ("code", "urgent", "new", "status", "updated")}
            else:
                visible = actor.sees_suggestions and actor.scope.sees_suggestion(event["grid"])
                public = {k: event[k] for k in ("id", "urgent", "new")}
            if visible:
                payload = json.dumps(public, ensure_ascii=False)
                await response.write(f"event: {event['type']}\ndata: {payload}\n\n".encode())
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        notifier.unsubscribe(queue)
    return response


# ---------------------------------------------------------------- a need

async def need_response(request: web.Request, actor: A.WebActor, code: str, *, flash: str = "",
                        error: str = "", status: int = 200, form: dict[str, str] | None = None) -> web.StreamResponse:
    core = request.app[CORE]
    now = core.clock.now()
    async with core.reads() as session:
        try:
            need = await N.get_need(session, code)
        except N.NeedError:
            need = None
        if need is None or not access.may_see(actor.scope, need):
            return message_page(request, actor, X.NOT_FOUND_TITLE, O.unseen(code).message, 404)
        events_ = await N.events_of(session, need)
        followers = await N.followers_of(session, need)
        ids = [need.id, *(f.id for f in followers)]     # a merged need's photos show on its parent
        shots = await W.photos_by_need(session, ids)
        photos = [p for i in ids for p in shots.get(i, [])]
        parent = None
        if need.merged_into:
            with contextlib.suppress(N.NeedError):
                parent = await N.get_need(session, need.merged_into)
        roster = await D.roster(session, core.config)
        people = await D.staff_choices(session, core.config) if actor.role == "admin" else {}
    async with transaction(core.sessions) as session:       # who looked at whose need: a short write
        await M.log_view(session, now, user_id=actor.user_id, username=actor.username, role=actor.role,
                         action="view", need_code=need.code, ip=request.remote)
    if not flash and request.query.get("done"):
        flash = O.done_message(request.query["done"], need, now, core.config)
    return render(request, actor, "need.html", title=f"{need.code} · {X.APP_TITLE}", page="need", tab="inbox",
                  status=status, timing=_elapsed(request), flash_ok=flash, error=error, form=form or {},
                  n=need_view(need, events_, followers, parent, actor, core, photos),
                  acts=need_actions(need, actor, core.config, roster, people), csrf=actor.csrf,
                  timeline=timeline(need, events_, actor, core.config),
                  updated_text=X.NEED_UPDATED, refresh_text=X.REFRESH)


@guard()
async def need_page(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    return await need_response(request, actor, request.match_info["code"])


@guard()
async def need_action(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    core = request.app[CORE]
    form = await request.post()
    if not A.csrf_ok(request, actor, form):
        return csrf_refused(request, actor)
    code, action = request.match_info["code"], request.match_info["action"]
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "_csrf"}
    try:
        done = await O.perform(core, actor, code, action, fields)
    except O.Refused as exc:
        if exc.code == "not_found":
            return message_page(request, actor, X.NOT_FOUND_TITLE, exc.message, 404)
        if exc.code in ("read_only", "forbidden", "unknown_action"):
            return message_page(request, actor, X.FORBIDDEN_TITLE, exc.message, exc.status)
        return await need_response(request, actor, code, error=exc.message, status=exc.status, form=fields)
    except N.NeedError as exc:
        if exc.code == "not_found":
            return message_page(request, actor, X.NOT_FOUND_TITLE, O.unseen(code).message, 404)
        return await need_response(request, actor, code, error=O.error_message(exc, action),
                                   status=O.http_status(exc), form=fields)
    request.app[NOTIFIER].poke()
    if not access.may_see(actor.scope, done.need):          # e.g. a department handed it back: it is no longer theirs
        raise web.HTTPSeeOther(f"/inbox?away={action}&code={quote(done.need.code)}")
    raise web.HTTPSeeOther(f"/inbox/needs/{quote(done.need.code)}?done={done.key}")


# ---------------------------------------------------------------- suggestions (未诉先办)

async def suggestion_list(request: web.Request, actor: A.WebActor) -> dict[str, Any]:
    """The values of _suggestion_list.html (on the page and in /inbox/suggestions/rows)."""
    core = request.app[CORE]
    grid = actor.scope.grid if actor.role == M.WebRole.WORKER else None
    items: list[Any] = []
    if not (actor.role == M.WebRole.WORKER and grid is None):
        async with core.reads() as session:
            items = await N.list_suggestions(session, grid=grid, limit=200)
    now, config = core.clock.now(), core.config
    return {"items": [{"id": s.id, "urgent": bool(s.urgent), "sender": s.sender_name, "chat": s.chat,
                       "place": O.place(s.building, s.grid), "when": tell.fmt_time(s.created_at, now, config),
                       "text": s.text, "category": s.category} for s in items],
            "empty": X.NO_SUGGESTIONS, "urgent_tag": X.URGENT_TAG, "csrf": actor.csrf,
            "categories": list(N.CATEGORY_NAMES.items())}


@guard(STAFF)
async def suggestions(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    flash = ""
    if request.query.get("done") == "dismiss":
        flash = X.DONE["dismiss"]
    elif request.query.get("done") == "confirm" and N.normalize_code(request.query.get("code", "")):
        flash = X.DONE["confirm"].format(code=N.normalize_code(request.query["code"]))
    return render(request, actor, "suggestions.html", title=f"未诉先办 · {X.APP_TITLE}", page="suggestions",
                  tab="suggestions", flash_ok=flash, hint=X.SUGGESTION_HINT,
                  **await suggestion_list(request, actor))


@guard(STAFF)
async def suggestion_rows(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    html = fragment(request, "_suggestion_list.html", **await suggestion_list(request, actor))
    return web.json_response({"html": html}, headers={"Cache-Control": "no-store"})


@guard(STAFF)
async def suggestion_action(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    core = request.app[CORE]
    form = await request.post()
    if not A.csrf_ok(request, actor, form):
        return csrf_refused(request, actor)
    try:
        sid = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    try:
        if request.match_info["action"] == "confirm":
            intake = await O.confirm_suggestion(core, actor, sid, str(form.get("category") or "") or None)
            request.app[NOTIFIER].poke()
            raise web.HTTPSeeOther(f"/inbox/suggestions?done=confirm&code={quote(intake.need.code)}")
        await O.dismiss_suggestion(core, actor, sid, str(form.get("note") or ""))
    except O.Refused as exc:
        return message_page(request, actor, X.FORBIDDEN_TITLE, exc.message, exc.status)
    except N.NeedError as exc:
        return message_page(request, actor, X.NOT_FOUND_TITLE, O.error_message(exc, None), O.http_status(exc))
    request.app[NOTIFIER].poke()
    raise web.HTTPSeeOther("/inbox/suggestions?done=dismiss")


# ---------------------------------------------------------------- charts, exports, audit

@guard()
async def charts_page(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    return render(request, actor, "charts.html", title=f"图表 · {X.APP_TITLE}", page="charts", tab="charts",
                  timing=_elapsed(request), **await charts_view(request.app[CORE], actor, request.query))


@guard(STAFF)
async def exports_page(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    kinds = [{"name": k.name, "title": k.sheet_title,
              "formats": ["xlsx", "csv", "json"] + (["open311"] if k.open311 else [])}
             for k in E.KINDS.values() if actor.role == M.WebRole.ADMIN or k.scoped]
    return render(request, actor, "exports.html", title=f"{X.EXPORT_TITLE} · {X.APP_TITLE}", page="exports",
                  tab="exports", heading=X.EXPORT_TITLE, hint=X.EXPORT_HINT, kinds=kinds, none_text=X.EXPORT_NONE,
                  worker_note=X.EXPORT_WORKER_NOTE if actor.role == M.WebRole.WORKER else "")


@guard(STAFF)
async def export_file(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    core = request.app[CORE]
    kind_name, fmt = request.match_info["kind"], request.match_info["fmt"]
    if fmt not in E.FORMATS:
        raise web.HTTPNotFound()
    if actor.role != M.WebRole.ADMIN and kind_name != "needs":
        return message_page(request, actor, X.FORBIDDEN_TITLE, X.EXPORT_FORBIDDEN, 403)
    now = core.clock.now()
    q = request.query
    try:
        filters = E.parse_filter(core.config, kind_name, date_from=q.get("from"), date_to=q.get("to"),
                                 grid=q.get("grid"), status=q.get("status"), category=q.get("category"))
        done = await E.export(core.reads, core.config, kind_name, fmt, now=now, filters=filters,
                              audience=E.audience_for(actor.role, actor.scope))
    except E.ExportError as exc:   # an unknown kind, or a filter that names nothing
        return message_page(request, actor, X.NOT_FOUND_TITLE, str(exc), 400 if kind_name in E.KINDS else 404)
    async with transaction(core.sessions) as session:
        await M.log_view(session, now, user_id=actor.user_id, username=actor.username, role=actor.role,
                         action="export", need_code=None, detail=f"{kind_name}.{fmt} ({done.rows})",
                         ip=request.remote)
    return web.Response(body=done.data, headers={
        "Content-Type": done.content_type, "Cache-Control": "no-store",
        "Content-Disposition": f"attachment; filename=\"{done.ascii_filename}\"; "
                               f"filename*=UTF-8''{quote(done.filename)}"})


@guard(frozenset({M.WebRole.ADMIN}))
async def audit(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    core = request.app[CORE]
    code = N.normalize_code(request.query.get("code", "")) if request.query.get("code") else None
    user = (request.query.get("user") or "").strip()[:64] or None
    async with core.reads() as session:
        views = await M.views(session, need_code=code, username=user, limit=300)
    return render(request, actor, "audit.html", title=f"查看记录 · {X.APP_TITLE}", page="audit", tab="audit",
                  code=code or "", user=user or "",
                  rows=[{"at": _local(v.at, core.config), "username": v.username, "role": v.role, "action": v.action,
                         "need_code": v.need_code, "detail": v.detail, "ip": v.ip} for v in views])


# ---------------------------------------------------------------- mounting

async def _notifier_ctx(app: web.Application) -> AsyncIterator[None]:
    """The live feed's poller belongs to the app: it starts with the first open page and is stopped
    (awaited) here when the app is cleaned up."""
    yield
    await app[NOTIFIER].close()


async def _end_streams(app: web.Application) -> None:
    """Open pages' streams end as the server starts shutting down, so that it does not wait on them."""
    app[NOTIFIER].end_all()


def setup_routes(app: web.Application) -> None:
    """Mount the inbox pages and the JSON API. `app[CORE]` must be set."""
    app[NOTIFIER] = Notifier(app[CORE])
    app.cleanup_ctx.append(_notifier_ctx)
    app.on_shutdown.append(_end_streams)
    app.router.add_get("/inbox/login", login_get)
    app.router.add_post("/inbox/login", login_post)
    app.router.add_post("/inbox/logout", logout)
    app.router.add_get("/inbox", inbox)
    app.router.add_get("/inbox/", inbox)
    app.router.add_get("/inbox/rows", rows)
    app.router.add_get("/inbox/events", events)
    app.router.add_get("/inbox/needs/{code}", need_page)
    app.router.add_post("/inbox/needs/{code}/{action}", need_action)
    app.router.add_get("/inbox/suggestions", suggestions)
    app.router.add_get("/inbox/suggestions/rows", suggestion_rows)
    app.router.add_post("/inbox/suggestions/{id}/{action:confirm|dismiss}", suggestion_action)
    app.router.add_get("/inbox/charts", charts_page)
    app.router.add_get("/inbox/exports", exports_page)
    app.router.add_get("/inbox/export/{kind}.{fmt}", export_file)
    app.router.add_get("/inbox/audit", audit)
    api.setup_routes(app)
