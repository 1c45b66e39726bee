"""The 24-hour needs inbox (诉求工作台): login, the live list of open needs with their clocks, a need's
page with its timeline and actions, 未诉先办 suggestions, charts, exports and the view audit log.
Mounted by bot/web/app.py (`setup_routes(app, get_core)`); the JSON API is bot/web/api.py.

Live updates: one poller per process reads the needs changed since the last poll (every operation
sets `updated_at`) every `Notifier.interval` seconds and fans them out to the open pages over
Server-Sent Events; a page then re-fetches its list. The web's own actions poke the poller so that
their effect shows at once. Simple, correct on SQLite and PostgreSQL, and one query per interval
whatever the number of open pages.

Pages are plain HTML rendered here (every value escaped), one small stylesheet and one small vanilla
script under /static/ — no CDN, no inline script (the app's CSP forbids it)."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from kernel.identity import Role
from bot import export as E
from bot.web import auth as A
from bot.web import api
from bot.web import photos as W
from bot.web.filters import STATUS_CHOICES, parse_filters
from bot.web.keys import CSRF_SECRET
from bot.web.pages import render
from bot.web import inbox_ops as O
from texts import inbox as X
from notices import needs as tell
from models import access
from models import inbox as M
from models import needs as N
from models.db import transaction

log = logging.getLogger("gridbot.inbox")

LOOKBACK = timedelta(seconds=10)
T0 = web.RequestKey("inbox_t0", float)   # when the request reached the inbox (Server-Timing)


def esc(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


# ---------------------------------------------------------------- live feed

class Notifier:
    """Polls the needs (and suggestions) tables and fans changes out to subscriber queues."""

    def __init__(self, get_core: Callable[[], Any], interval: float = 2.0) -> None:
        self.get_core = get_core
        self.interval = interval
        self.subscribers: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self.owners: dict[asyncio.Queue[dict[str, Any] | None], tuple[int, str, str]] = {}  # user, via, token hash
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self.polls = 0

    async def subscribe(self, owner: tuple[int, str, str] | None = None) -> asyncio.Queue[dict[str, Any] | None]:
        """A queue of every change committed from now on. The first subscriber starts the poller, which
        takes its starting point before this returns: a page that re-reads its list once the stream
        is open (inbox.js does) misses nothing in between."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(maxsize=1000)
        self.subscribers.add(queue)
        if owner is not None:
            self.owners[queue] = owner
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            started = asyncio.get_running_loop().create_future()
            self._task = asyncio.create_task(self._run(started), name="inbox-notifier")
            await asyncio.wait([started, self._task], return_when=asyncio.FIRST_COMPLETED)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any] | None]) -> None:
        self.subscribers.discard(queue)
        self.owners.pop(queue, None)

    def end_streams(self, user_id: int, token_hash: str) -> None:
        """A logout: the streams of that session and of the user's API tokens end now (streams of other
        processes notice at their next keep-alive, when they re-check their session)."""
        for queue, (uid, via, hashed) in list(self.owners.items()):
            if hashed == token_hash or (uid == user_id and via == "token"):
                while queue.full():
                    queue.get_nowait()
                queue.put_nowait({"type": "ended"})

    def poke(self) -> None:
        """Poll now (after a web action) rather than at the next interval."""
        self._wake.set()

    def _publish(self, event: dict[str, Any] | None) -> None:
        for queue in list(self.subscribers):
            with contextlib.suppress(asyncio.QueueFull):    # a stalled page misses events; it re-syncs on reload
                queue.put_nowait(event)

    async def close(self) -> None:
        self._publish(None)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def _run(self, started: asyncio.Future[None]) -> None:
        core = self.get_core()
        since: datetime | None = None
        max_id = max_sug = 0
        seen: set[tuple[int, datetime, str]] = set()
        sug_since: datetime | None = None
        seen_sugs: set[tuple[int, str]] = set()
        while self.subscribers:
            try:
                async with core.sessions() as session:
                    if since is None:
                        since, max_id, max_sug = await M.latest_update(session)
                        since = since or datetime(1970, 1, 1, tzinfo=timezone.utc)
                        sug_since = core.clock.now()
                        seen = {(r.id, r.updated_at, r.status) for r in await M.changed_needs(session, since - LOOKBACK)}
                    else:
                        # Look back a little: a transaction that took its `now` earlier may commit later.
                        rows = await M.changed_needs(session, since - LOOKBACK)
                        sugs = await M.new_suggestions(session, max_sug, sug_since)
                        polled_at = core.clock.now()
                        events = []
                        for r in rows:
                            key = (r.id, r.updated_at, r.status)
                            if key in seen:
                                continue
                            seen.add(key)
                            events.append({"type": "need", "code": r.code, "urgent": bool(r.urgent),
                                           "new": r.id > max_id, "status": r.status, "grid": r.grid,
                                           "department": r.department, "assignee": r.assignee,
                                           "updated": int(r.updated_at.timestamp() * 1000)})
                        if rows:
                            since = max(since, max(r.updated_at for r in rows))
                            max_id = max(max_id, max(r.id for r in rows))
                            seen = {k for k in seen if k[1] >= since - LOOKBACK}
                        for s in sugs:
                            if (s.id, s.status) not in seen_sugs:
                                events.append({"type": "suggestion", "id": s.id, "urgent": bool(s.urgent),
                                               "new": s.id > max_sug, "grid": s.grid})
                        max_sug = max([max_sug, *(s.id for s in sugs)])
                        seen_sugs = {(s.id, s.status) for s in sugs}     # the next poll returns no others
                        sug_since = polled_at - LOOKBACK
                        for event in events:
                            self._publish(event)
                self.polls += 1
            except Exception:   # the database may be restarting: keep the pages, try again
                log.exception("inbox live feed: poll failed")
            if not started.done():
                started.set_result(None)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
        self._task = None


NOTIFIER = web.AppKey("inbox_notifier", Notifier)


# ---------------------------------------------------------------- rendering

def message_page(request: web.Request, actor: A.WebActor | None, title: str, message: str, status: int) -> web.Response:
    body = f'<div class="card msg"><h1>{esc(title)}</h1><p>{esc(message)}</p><p><a href="/inbox">返回诉求列表</a></p></div>'
    return render(request, actor, title=title, body=body, page="message", status=status)


def _elapsed(request: web.Request) -> float | None:
    t0 = request.get(T0)
    return time.perf_counter() - t0 if t0 is not None else None


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


def _options(choices: list[tuple[str, str]], selected: str | None, blank: str | None = None) -> str:
    out = [f'<option value="">{esc(blank)}</option>'] if blank is not None else []
    for value, label in choices:
        sel = " selected" if value == (selected or "") else ""
        out.append(f'<option value="{esc(value)}"{sel}>{esc(label)}</option>')
    return "".join(out)


def filters_form(f: M.Filters, actor: A.WebActor, config: Any) -> str:
    parts = []
    if actor.role in (M.WebRole.ADMIN, M.WebRole.VIEWER):
        grids = [(str(g.number), f"网格{g.number}") for g in config.grids]
        parts.append(f'<label>网格<select name="grid">{_options(grids, str(f.grid or ""), "全部")}</select></label>')
    parts.append(f'<label>类别<select name="category">'
                 f'{_options(list(N.CATEGORY_NAMES.items()), f.category, "全部")}</select></label>')
    parts.append(f'<label>状态<select name="status">{_options(STATUS_CHOICES, f.status)}</select></label>')
    if actor.role != M.WebRole.DEPARTMENT:
        depts = [(d.name, d.name) for d in config.departments]
        parts.append(f'<label>科室<select name="department">{_options(depts, f.department, "全部")}</select></label>')
    parts.append(f'<label>从<input type="date" name="from" value="{esc(f.date_from or "")}"></label>')
    parts.append(f'<label>到<input type="date" name="to" value="{esc(f.date_to or "")}"></label>')
    parts.append(f'<label class="chk"><input type="checkbox" name="urgent" value="1"{" checked" if f.urgent else ""}>紧急</label>')
    parts.append(f'<label class="chk"><input type="checkbox" name="overdue" value="1"{" checked" if f.overdue else ""}>超时</label>')
    parts.append(f'<label class="grow">搜索<input type="search" name="q" value="{esc(f.q or "")}" '
                 f'placeholder="编号或关键词"></label>')
    active = _filter_query(f) != ""
    return (f'<details class="filters"{" open" if active else ""}><summary>筛选{" (已筛选)" if active else ""}</summary>'
            f'<form method="get" action="/inbox" class="filter-form">{"".join(parts)}'
            f'<div class="buttons"><button type="submit">筛选</button> <a href="/inbox">重置</a></div></form></details>')


# ---------------------------------------------------------------- the list

def row_html(r: Any, now: datetime, config: Any, actor: A.WebActor, photos: list[W.PhotoLink] | None = None) -> str:
    cv = O.clock_view(r, now, config)
    text = O.shown_text(r.text or "", actor).replace("\n", " ")
    if len(text) > 90:
        text = text[:89] + "…"
    is_open = r.status in O.OPEN
    tags = []
    if r.urgent:
        tags.append(f'<span class="tag urgent">{X.URGENT_TAG}</span>')
    if is_open and (r.overdue or cv.colour == "red"):
        tags.append(f'<span class="tag overdue">{X.OVERDUE_TAG}</span>')
    if r.source == N.Source.TREE_HOLE:
        tags.append('<span class="tag th">树洞</span>')
    if r.source in X.INTAKE_SOURCES:
        tags.append(f'<span class="tag taken">{esc(X.INTAKE_SOURCES[r.source])}</span>')
    clock = ""
    if cv.label:
        due = f' data-due="{int(cv.due.timestamp() * 1000)}" data-amber="{cv.amber_s}" data-kind="{esc(X.CLOCK_KINDS.get(cv.kind or "", ""))}"' if cv.due else ""
        clock = f'<span class="clock c-{cv.colour}"{due}>{esc(cv.label)}</span>'
    holder = r.department or r.assignee_name or ""
    cls = "need" + (" is-urgent" if r.urgent and is_open else "") + f" c-{cv.colour}"
    return (f'<a class="{cls}" href="/inbox/needs/{esc(r.code)}" data-code="{esc(r.code)}">'
            f'<span class="l1"><span class="code">{esc(r.code)}</span>{"".join(tags)}{clock}</span>'
            f'<span class="l2"><span class="cat">{esc(N.CATEGORY_NAMES.get(r.category, "其他"))}</span> · '
            f'<span class="place">{esc(O.place(r.building, r.grid))}</span> · '
            f'<span class="status">{esc(O.status_name(r.status, r.department))}</span>'
            f'{" · <span class=holder>" + esc(holder) + "</span>" if holder else ""}'
            f'<span class="when">{esc(tell.fmt_time(r.created_at, now, config))}</span></span>'
            f'<span class="text">{esc(text)}</span>{W.card_html(photos)}</a>')


def list_html(page: M.Page, now: datetime, config: Any, actor: A.WebActor) -> str:
    if not page.rows:
        return f'<p class="empty">{esc(X.EMPTY)}</p>'
    parts = [row_html(r, now, config, actor, page.photos.get(r.id)) for r in page.rows]
    if page.total > len(page.rows):
        parts.append(f'<p class="more">{esc(X.MORE.format(n=page.total - len(page.rows)))}</p>')
    return "".join(parts)


def summary_html(page: M.Page) -> str:
    return esc(X.SUMMARY.format(total=page.total, urgent=page.urgent, overdue=page.overdue))


async def _load_list(core: Any, actor: A.WebActor, f: M.Filters) -> tuple[M.Page, int]:
    now = core.clock.now()
    async with core.sessions() as session:
        page = await M.inbox_page(session, actor.scope, f, now, core.config.timezone,
                                  limit=core.config.inbox.list_limit)
        sugs = await M.open_suggestion_count(session, actor.scope) if actor.sees_suggestions else 0
        page.photos = await W.photos_by_need(session, [r.id for r in page.rows])
    return page, sugs


# ---------------------------------------------------------------- the need page

def _dl(items: list[tuple[str, str]]) -> str:
    return "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in items if v)


def _textarea(name: str, label: str, value: str = "", placeholder: str = "", required: bool = True) -> str:
    return (f'<label>{esc(label)}<textarea name="{name}" rows="2" maxlength="2000" placeholder="{esc(placeholder)}"'
            f'{" required" if required else ""}>{esc(value)}</textarea></label>')


def _action_form(code: str, action: str, csrf: str, inner: str, button: str, cls: str = "") -> str:
    return (f'<form method="post" action="/inbox/needs/{esc(code)}/{action}" class="act {cls}" data-action="{action}">'
            f'<input type="hidden" name="_csrf" value="{esc(csrf)}">{inner}'
            f'<button type="submit"{" class=primary" if cls == "primary" else ""}>{esc(button)}</button></form>')


def actions_html(need: N.Need, actor: A.WebActor, config: Any, form: dict[str, str]) -> str:
    if not actor.can_act or actor.person is None or need.status == N.Status.MERGED:
        return ""
    person = actor.person
    if not N.may_handle(config, need, person):
        return ""
    code, csrf, st = need.code, actor.csrf, need.status
    working = st in (N.Status.DISPATCHED, N.Status.ACCEPTED, N.Status.IN_PROGRESS)
    out = []
    if st == N.Status.DISPATCHED:
        out.append(_action_form(code, "accept", csrf, "", "签收" if person.department else "接单", "primary"))
    if working:
        out.append(_action_form(code, "reply", csrf, _textarea("text", "回复居民", form.get("text", ""),
                                                                "例如: 已联系物业,20分钟内到场"), "发送回复"))
        out.append(_action_form(code, "resolve", csrf, _textarea("note", "办结说明", form.get("note", ""),
                                                                  "例如: 已疏通,路面已冲洗"), "办结"))
    if need.is_open and person.role != Role.DEPARTMENT:
        depts = [(d.name, d.name) for d in config.departments]
        inner = (f'<label>转派科室<select name="department" required>{_options(depts, form.get("department"), "请选择")}'
                 f'</select></label>' + _textarea("note", "说明(可选)", "", "", required=False))
        out.append(_action_form(code, "transfer", csrf, inner, "转派"))
    if working and not (person.role == Role.ADMIN and need.department is None):
        out.append(_action_form(code, "return", csrf, _textarea("reason", "退单原因", form.get("reason", ""),
                                                                 "例如: 不属于本科室职责"), "退单"))
    if st in (N.Status.RESOLVED, N.Status.VISITING, N.Status.CLOSED) and getattr(N, "reopen", None) is not None \
            and person.role != Role.DEPARTMENT:
        out.append(_action_form(code, "reopen", csrf, _textarea("reason", "重新打开原因", form.get("reason", "")),
                                "重新打开"))
    return f'<section class="card actions"><h2>办理</h2>{"".join(out)}</section>' if out else ""


def need_body(need: N.Need, events: list[N.NeedEvent], followers: list[N.Need], parent: N.Need | None,
              actor: A.WebActor, core: Any, *, flash: str = "", error: str = "", form: dict[str, str] | None = None,
              photos: list[W.PhotoLink] | None = None) -> str:
    config, now = core.config, core.clock.now()
    cv = O.clock_view(need, now, config)
    tags = []
    if need.urgent:
        tags.append(f'<span class="tag urgent">{X.URGENT_TAG}</span>')
    if need.is_open and (need.overdue or cv.colour == "red"):
        tags.append(f'<span class="tag overdue">{X.OVERDUE_TAG}</span>')
    clock = ""
    if cv.label:
        due = f' data-due="{int(cv.due.timestamp() * 1000)}" data-amber="{cv.amber_s}" data-kind="{esc(X.CLOCK_KINDS.get(cv.kind or "", ""))}"' if cv.due else ""
        clock = f'<span class="clock c-{cv.colour}"{due}>{esc(cv.label)}</span>'
    parts = [f'<div id="updated" class="banner" hidden>{esc(X.NEED_UPDATED)} <a href="/inbox/needs/{esc(need.code)}">{esc(X.REFRESH)}</a></div>']
    if flash:
        parts.append(f'<div class="flash ok">{esc(flash)}</div>')
    if error:
        parts.append(f'<div class="flash err" role="alert">{esc(error)}</div>')
    parts.append(f'<section class="card head" data-code="{esc(need.code)}" '
                 f'data-updated="{int(need.updated_at.timestamp() * 1000)}"><h1>{esc(need.code)} {"".join(tags)}</h1>'
                 f'<p class="st"><b>{esc(O.status_name(need.status, need.department))}</b> {clock}</p>'
                 f'<p class="need-text">{esc(O.shown_text(need.text, actor))}</p>')
    source = O.requester_label(need, actor)
    if need.source != N.Source.TREE_HOLE:
        where = {"group": f"在{need.chat}" if need.chat else "群聊", "private": "私聊", "suggestion":
                 f"未诉先办,在{need.chat or ''}", **X.INTAKE_SOURCES}.get(need.source, "")
        source = f"{source}({where})" if where else source
    info = [("类别", esc(need.category_name)), ("位置", esc(O.place(need.building, need.grid)) +
                                                 (f" · 网格{need.grid}" if need.building is not None and need.grid else "")),
            ("诉求人", esc(source)), ("联系电话", esc(O.shown_text(need.caller_phone or "", actor))), ("承办", esc(need.department or need.assignee_name or "")),
            ("受理", esc(_local(need.created_at, config))),
            ("响应时限", esc(_local(need.response_due_at, config))),
            ("办结时限", esc(_local(need.resolve_due_at, config)) if need.urgent else ""),
            ("签收", esc(_local(need.acknowledged_at, config))),
            ("最新回复", esc(O.shown_text(need.last_reply or "", actor))),
            ("办理结果", esc(O.shown_text(need.resolution or "", actor))),
            ("办结", esc(_local(need.resolved_at, config))), ("关闭", esc(_local(need.closed_at, config)))]
    parts.append(f'<dl class="info">{_dl(info)}</dl></section>')
    parts.append(W.gallery_html(photos))
    if parent is not None:
        parts.append(f'<section class="card"><h2>合并</h2><p>本诉求已与 <a href="/inbox/needs/{esc(parent.code)}">'
                     f'{esc(parent.code)}</a> 合并办理,请在主诉求上操作。</p></section>')
    if followers:
        items = "".join(f'<li><a href="/inbox/needs/{esc(f.code)}">{esc(f.code)}</a> {esc(O.requester_label(f, actor))}: '
                        f'{esc(O.shown_text(f.text, actor))} <span class="muted">{esc(O.status_name(f.status, f.department))}</span></li>'
                        for f in followers)
        parts.append(f'<section class="card"><h2>合并的同类诉求({len(followers)})</h2><ul class="merged">{items}</ul></section>')
    if need.satisfaction:
        sat = N.SATISFACTION_NAMES.get(N.Satisfaction(need.satisfaction), need.satisfaction)
        solved = {True: "已解决", False: "未解决", None: ""}[need.solved]
        rating = [("评价", esc(sat)), ("问题", esc(solved)), ("居民意见", esc(O.shown_text(need.rating_note or "", actor))),
                  ("评价时间", esc(_local(need.rated_at, config)))]
        parts.append(f'<section class="card"><h2>回访评价</h2><dl class="info">{_dl(rating)}</dl></section>')
    elif need.status == N.Status.VISITING:
        parts.append('<section class="card"><h2>回访评价</h2><p class="muted">已请居民评价,等待回复。</p></section>')
    parts.append(actions_html(need, actor, config, form or {}))
    rows = []
    for e in events:
        d = O.event_dict(e, actor, need)
        arrow = ""
        if e.from_status and e.from_status != e.to_status:
            arrow = f'{esc(O.status_name(e.from_status, None))} → {esc(O.status_name(e.to_status, None))}'
        rows.append(f'<li><time>{esc(_local(e.at, config))}</time> <b>{esc(d["action_name"])}</b> '
                    f'{esc(d["actor_name"] or "")} <span class="muted">{arrow}</span>'
                    f'{"<div class=note>" + esc(d["note"]) + "</div>" if d["note"] else ""}</li>')
    parts.append(f'<section class="card"><h2>办理记录</h2><ol class="timeline">{"".join(rows)}</ol></section>')
    return "".join(parts)


def _local(value: datetime | None, config: Any) -> str:
    return value.astimezone(config.timezone).strftime("%Y-%m-%d %H:%M") if value is not None else ""


# ---------------------------------------------------------------- routes

def setup_routes(app: web.Application, get_core: Callable[[], Any]) -> None:
    notifier = Notifier(get_core)
    app[NOTIFIER] = notifier

    async def _close(_app: web.Application) -> None:
        await notifier.close()

    app.on_shutdown.append(_close)

    def forbidden(request: web.Request, actor: A.WebActor, message: str) -> web.StreamResponse:
        return message_page(request, actor, X.FORBIDDEN_TITLE, message, 403)

    def guard(roles: frozenset[str] = A.ALL_ROLES):  # type: ignore[no-untyped-def]
        inner = A.page(get_core, roles, forbidden=forbidden)

        def wrap(handler):  # type: ignore[no-untyped-def]
            wrapped = inner(handler)

            async def timed(request: web.Request) -> web.StreamResponse:
                request[T0] = time.perf_counter()
                return await wrapped(request)
            return timed
        return wrap

    def csrf_refused(request: web.Request, actor: A.WebActor | None) -> web.Response:
        return message_page(request, actor, X.FORBIDDEN_TITLE, X.CSRF_REFUSED, 403)

    # ---- login / logout

    def login_page(request: web.Request, *, error: str = "", status: int = 200, nonce: str | None = None,
                   username: str = "") -> web.Response:
        core = get_core()
        fresh = nonce is None
        nonce = nonce or A.new_nonce()
        token = A.login_token(request.app[CSRF_SECRET], nonce)
        nxt = A.safe_next(request.query.get("next"))
        err = f'<div class="flash err" role="alert">{esc(error)}</div>' if error else ""
        body = (f'<div class="card login"><h1>{esc(core.config.community)} · 诉求工作台</h1>{err}'
                f'<form method="post" action="/inbox/login?next={esc(quote(nxt, safe="/"))}">'
                f'<input type="hidden" name="_csrf" value="{esc(token)}">'
                f'<label>用户名<input name="username" autocomplete="username" required value="{esc(username)}" '
                f'autocapitalize="none"></label>'
                f'<label>密码<input name="password" type="password" autocomplete="current-password" required></label>'
                f'<button type="submit" class="primary">登录</button></form></div>')
        response = render(request, None, title=X.LOGIN_TITLE, body=body, page="login", status=status)
        if fresh:
            response.set_cookie(A.PRE_COOKIE, nonce, httponly=True, samesite="Lax", path="/inbox/login",
                                secure=A.secure_cookies(request, core.config), max_age=3600)
        return response

    async def login_get(request: web.Request) -> web.StreamResponse:
        actor = await A.load_actor(request, get_core())
        if actor is not None:
            raise web.HTTPFound(A.safe_next(request.query.get("next")))
        return login_page(request)

    async def login_post(request: web.Request) -> web.StreamResponse:
        core = get_core()
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
        core = get_core()
        actor = await A.load_actor(request, core)
        form = await request.post()
        if actor is not None:
            if not A.csrf_ok(request, actor, form):
                return csrf_refused(request, actor)
            token = request.cookies.get(A.COOKIE) if actor.via == "cookie" else A.bearer(request)
            async with transaction(core.sessions) as session:
                user_id = await M.log_out(session, token)
            if user_id is not None:
                notifier.end_streams(user_id, M.token_hash(token or ""))
        response = web.HTTPSeeOther("/inbox/login")
        response.del_cookie(A.COOKIE, path="/")
        raise response

    # ---- the list

    @guard()
    async def inbox(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
        core = get_core()
        f = parse_filters(request.query, actor, core.config)
        page, sugs = await _load_list(core, actor, f)
        now = core.clock.now()
        qs = _filter_query(f)
        flash = ""
        away, away_code = request.query.get("away"), N.normalize_code(request.query.get("code") or "")
        if away in X.DONE_AWAY_WHAT and away_code:
            flash = f'<div class="flash ok">{esc(X.DONE_AWAY.format(code=away_code, what=X.DONE_AWAY_WHAT[away]))}</div>'
        body = (flash + filters_form(f, actor, core.config)
                + f'<div class="summary"><span id="summary">{summary_html(page)}</span>'
                  f'<span class="live" id="live" title="{esc(X.LIVE_HINT)}">● 实时</span>'
                  f'<button type="button" id="sound" class="link">{esc(X.SOUND_ON)}</button></div>'
                + f'<div id="list" class="list" data-src="/inbox/rows{"?" + esc(qs) if qs else ""}">'
                  f'{list_html(page, now, core.config, actor)}</div>')
        return render(request, actor, title=f"{X.APP_TITLE} · {core.config.community}", body=body, page="inbox",
                      tab="inbox", suggestions=sugs, timing=_elapsed(request))

    @guard()
    async def rows(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
        core = get_core()
        f = parse_filters(request.query, actor, core.config)
        page, sugs = await _load_list(core, actor, f)
        data = {"html": list_html(page, core.clock.now(), core.config, actor), "summary": summary_html(page),
                "total": page.total, "urgent": page.urgent, "overdue": page.overdue, "suggestions": sugs,
                "codes": [r.code for r in page.rows]}
        response = web.json_response(data, headers={"Cache-Control": "no-store"})
        elapsed = _elapsed(request)
        if elapsed is not None:
            response.headers["Server-Timing"] = f"app;dur={elapsed * 1000:.1f}"
        return response

    @guard()
    async def events(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
        """Server-Sent Events: {"type": "need"|"suggestion", …} for what this user may see."""
        core = get_core()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                               "X-Accel-Buffering": "no"})
        token, _kind = A.request_token(request)
        queue = await notifier.subscribe((actor.user_id, actor.via, M.token_hash(token or "")))
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
                if event["type"] in ("check", "ended"):
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

    # ---- a need

    async def need_response(request: web.Request, actor: A.WebActor, code: str, *, flash: str = "",
                            error: str = "", status: int = 200, form: dict[str, str] | None = None) -> web.StreamResponse:
        core = get_core()
        now = core.clock.now()
        async with transaction(core.sessions) as session:
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
            await M.log_view(session, now, user_id=actor.user_id, username=actor.username, role=actor.role,
                             action="view", need_code=need.code, ip=request.remote)
        if not flash and request.query.get("done"):
            flash = O.done_message(request.query["done"], need, now, core.config)
        body = need_body(need, events_, followers, parent, actor, core, flash=flash, error=error, form=form,
                         photos=photos)
        return render(request, actor, title=f"{need.code} · {X.APP_TITLE}", body=body, page="need", tab="inbox",
                      status=status, timing=_elapsed(request))

    @guard()
    async def need_page(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
        return await need_response(request, actor, request.match_info["code"])

    @guard()
    async def need_action(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
        core = get_core()
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
        notifier.poke()
        if not access.may_see(actor.scope, done.need):          # e.g. a department handed it back: it is no longer theirs
            raise web.HTTPSeeOther(f"/inbox?away={action}&code={quote(done.need.code)}")
        raise web.HTTPSeeOther(f"/inbox/needs/{quote(done.need.code)}?done={done.key}")

    # ---- suggestions (未诉先办)

    async def _suggestion_list(actor: A.WebActor) -> str:
        core = get_core()
        async with core.sessions() as session:
            grid = actor.scope.grid if actor.role == M.WebRole.WORKER else None
            items = await N.list_suggestions(session, grid=grid, limit=200)
        if actor.role == M.WebRole.WORKER and grid is None:
            items = []
        if not items:
            return f'<p class="empty">{esc(X.NO_SUGGESTIONS)}</p>'
        now, config = core.clock.now(), core.config
        out = []
        for s in items:
            cats = _options(list(N.CATEGORY_NAMES.items()), s.category)
            urgent = f'<span class="tag urgent">{X.URGENT_TAG}</span>' if s.urgent else ""
            out.append(
                f'<div class="card sug{" is-urgent" if s.urgent else ""}" data-id="{s.id}">'
                f'<div class="l2">{urgent}<b>{esc(s.sender_name)}</b> 在 {esc(s.chat)} · '
                f'{esc(O.place(s.building, s.grid))} · <span class="when">{esc(tell.fmt_time(s.created_at, now, config))}</span></div>'
                f'<p class="need-text">{esc(s.text)}</p><div class="sug-actions">'
                f'<form method="post" action="/inbox/suggestions/{s.id}/confirm" class="act inline">'
                f'<input type="hidden" name="_csrf" value="{esc(actor.csrf)}">'
                f'<select name="category" aria-label="类别">{cats}</select><button class="primary">确认为诉求</button></form>'
                f'<form method="post" action="/inbox/suggestions/{s.id}/dismiss" class="act inline">'
                f'<input type="hidden" name="_csrf" value="{esc(actor.csrf)}"><button>忽略</button></form></div></div>')
        return "".join(out)

    @guard(frozenset({M.WebRole.ADMIN, M.WebRole.WORKER}))
    async def suggestions(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
        core = get_core()
        flash = ""
        if request.query.get("done") == "dismiss":
            flash = X.DONE["dismiss"]
        elif request.query.get("done") == "confirm" and N.normalize_code(request.query.get("code", "")):
            flash = X.DONE["confirm"].format(code=N.normalize_code(request.query["code"]))
        body = ((f'<div class="flash ok">{esc(flash)}</div>' if flash else "")
                + f'<p class="muted">{esc(X.SUGGESTION_HINT)}</p>'
                + f'<div id="sugs" data-src="/inbox/suggestions/rows">{await _suggestion_list(actor)}</div>')
        return render(request, actor, title=f"未诉先办 · {X.APP_TITLE}", body=body, page="suggestions",
                      tab="suggestions")

    @guard(frozenset({M.WebRole.ADMIN, M.WebRole.WORKER}))
    async def suggestion_rows(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
        return web.json_response({"html": await _suggestion_list(actor)}, headers={"Cache-Control": "no-store"})

    @guard(frozenset({M.WebRole.ADMIN, M.WebRole.WORKER}))
    async def suggestion_action(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
        core = get_core()
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
                notifier.poke()
                raise web.HTTPSeeOther(f"/inbox/suggestions?done=confirm&code={quote(intake.need.code)}")
            await O.dismiss_suggestion(core, actor, sid, str(form.get("note") or ""))
        except O.Refused as exc:
            return message_page(request, actor, X.FORBIDDEN_TITLE, exc.message, exc.status)
        except N.NeedError as exc:
            return message_page(request, actor, X.NOT_FOUND_TITLE, O.error_message(exc, None), O.http_status(exc))
        notifier.poke()
        raise web.HTTPSeeOther("/inbox/suggestions?done=dismiss")

    # ---- charts, exports, audit

    @guard()
    async def charts_page(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
        from bot.web.inbox_charts import charts_body

        core = get_core()
        body = await charts_body(core, actor, request.query)
        return render(request, actor, title=f"图表 · {X.APP_TITLE}", body=body, page="charts", tab="charts",
                      timing=_elapsed(request))

    @guard(frozenset({M.WebRole.ADMIN, M.WebRole.WORKER}))
    async def exports_page(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
        core = get_core()
        kinds = [k for k in E.KINDS.values() if actor.role == M.WebRole.ADMIN or k.scoped]
        items = []
        for k in kinds:
            fmts = ["xlsx", "csv", "json"] + (["open311"] if k.open311 else [])
            links = " · ".join(f'<a href="/inbox/export/{esc(k.name)}.{f}" download>{f}</a>' for f in fmts)
            items.append(f"<li><b>{esc(k.sheet_title)}</b> ({esc(k.name)}): {links}</li>")
        note = f'<p class="muted">{esc(X.EXPORT_WORKER_NOTE)}</p>' if actor.role == M.WebRole.WORKER else ""
        body = (f'<section class="card"><h1>{esc(X.EXPORT_TITLE)}</h1><p class="muted">{esc(X.EXPORT_HINT)}</p>{note}'
                + (f'<ul class="exports">{"".join(items)}</ul>' if items else f"<p>{esc(X.EXPORT_NONE)}</p>")
                + "</section>")
        return render(request, actor, title=f"{X.EXPORT_TITLE} · {X.APP_TITLE}", body=body, page="exports", tab="exports")

    @guard(frozenset({M.WebRole.ADMIN, M.WebRole.WORKER}))
    async def export_file(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
        core = get_core()
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
            done = await E.export(core.sessions, core.config, kind_name, fmt, now=now, filters=filters,
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
        core = get_core()
        code = N.normalize_code(request.query.get("code", "")) if request.query.get("code") else None
        user = (request.query.get("user") or "").strip()[:64] or None
        async with core.sessions() as session:
            rows_ = await M.views(session, need_code=code, username=user, limit=300)
        items = "".join(
            f"<tr><td>{esc(_local(v.at, core.config))}</td><td>{esc(v.username)}</td><td>{esc(v.role)}</td>"
            f"<td>{esc(v.action)}</td><td>{esc(v.need_code or '')}</td><td>{esc(v.detail or '')}</td>"
            f"<td>{esc(v.ip or '')}</td></tr>" for v in rows_)
        body = (f'<section class="card"><h1>查看记录</h1><form method="get" class="filter-form">'
                f'<label>诉求编号<input name="code" value="{esc(code or "")}"></label>'
                f'<label>用户<input name="user" value="{esc(user or "")}"></label><button>查询</button></form>'
                f'<div class="scroll"><table class="grid"><tr><th>时间</th><th>用户</th><th>角色</th><th>操作</th>'
                f'<th>诉求</th><th>说明</th><th>地址</th></tr>{items}</table></div></section>')
        return render(request, actor, title=f"查看记录 · {X.APP_TITLE}", body=body, page="audit", tab="audit")

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
    api.setup_routes(app, get_core, notifier)
