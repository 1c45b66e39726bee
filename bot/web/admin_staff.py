"""账号与值班 (admin only): web accounts — list, add (password generated and shown once), reset a
password, disable/enable — and each grid's duty hours and AB岗 backup. The operations are
models/staff.py (also `gridbot user`) and models/duty.py (read by the urgent alerts and 督办 through
`duty.roster`), so a change counts from the next message, without a restart."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.web import auth as A
from bot.web import pages
from bot.web.keys import CORE
from bot.web.live import NOTIFIER
from bot.web.pages import ADMIN, render
from models import duty as D
from models import inbox as M
from models import staff as S
from models.admin_log import StaffError, changes
from models.db import transaction
from texts import admin as T
from texts import inbox as X

FLASHES = {"disabled": T.DISABLED, "enabled": T.ENABLED, "duty": T.DUTY_SAVED}


def error_text(exc: Exception) -> str:
    if isinstance(exc, StaffError):
        return T.ERRORS.get(exc.code, exc.code).format(**exc.data)
    if isinstance(exc, M.InboxError):
        return X.USER_ERRORS.get(exc.code, exc.code).format(**exc.data)
    raise exc


def message(request: web.Request, actor: Any, title: str, text: str, status: int) -> web.Response:
    return pages.message(request, actor, title, text, status, title=f"{title} · {X.APP_TITLE}",
                         page="admin-message", back_label="返回工作台")


def ref_choices(config: Any) -> list[tuple[str, list[tuple[str, str]]]]:
    """What an account can be bound to, grouped for the form's <select>."""
    grids = [(str(g.number), f"网格{g.number}(网页账号自己的身份)") for g in config.grids]
    workers = [(w.id, f"{w.name}·网格{w.grid}" if w.grid else w.name) for w in config.workers]
    return [("网格员本人(与聊天中同一人)", workers), ("网格", grids),
            ("科室", [(d.name, d.name) for d in config.departments]),
            ("管理员本人", [(a.id, a.name) for a in config.admins])]


def forbidden(request: web.Request, actor: A.WebActor, text: str) -> web.StreamResponse:
    return message(request, actor, X.FORBIDDEN_TITLE, text, 403)


guard = A.page(ADMIN, forbidden=forbidden)


async def show(request: web.Request, actor: A.WebActor, *, flash: str = "", secret: str = "", error: str = "",
               form: dict[str, str] | None = None, status: int = 200) -> web.Response:
    core = request.app[CORE]
    now = core.clock.now()
    async with core.reads() as session:
        accounts = await S.account_rows(session)
        duty = await D.duty_table(session, core.config, now)
        staff = await D.staff_choices(session, core.config)
        log = await changes(session, limit=30)
    tz = core.config.timezone
    return render(request, actor, "admin_staff.html", title=f"{T.STAFF_TITLE} · {X.APP_TITLE}", page="admin-staff",
                  tab="admin-staff", status=status, T=T, accounts=accounts, duty=duty, staff=staff,
                  changes=log, roles=[(r.value, M.ROLE_NAMES[r]) for r in M.WebRole],
                  ref_groups=ref_choices(core.config), flash=flash, secret=secret, error=error,
                  form=form or {}, local=lambda d: f"{d.astimezone(tz):%m-%d %H:%M}")


async def checked_form(request: web.Request, actor: A.WebActor) -> dict[str, str] | None:
    form = await request.post()
    if not A.csrf_ok(request, actor, form):
        return None
    return {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "_csrf"}


def done(key: str, **params: str) -> web.HTTPSeeOther:
    extra = "".join(f"&{k}={quote(v)}" for k, v in params.items())
    return web.HTTPSeeOther(f"/inbox/admin/staff?done={key}{extra}")


@guard
async def staff_page(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    key = request.query.get("done", "")
    flash = FLASHES[key].format(username=request.query.get("user", ""), grid=request.query.get("grid", "")) \
        if key in FLASHES else ""
    return await show(request, actor, flash=flash)


@guard
async def add_user(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    form = await checked_form(request, actor)
    if form is None:
        return message(request, actor, X.FORBIDDEN_TITLE, X.CSRF_REFUSED, 403)
    core = request.app[CORE]
    try:
        async with transaction(core.sessions) as session:
            user, password = await S.add_account(
                session, core.clock.now(), core.config, core.directory, username=form.get("username", ""),
                role=form.get("role", ""), ref=form.get("ref"), name=form.get("name"), actor=actor.username)
    except (StaffError, M.InboxError) as exc:
        return await show(request, actor, error=error_text(exc), form=form, status=400)
    # The password is in this response only: never in a URL, a log or the database.
    return await show(request, actor, flash=T.ADDED.format(username=user.username), secret=password)


@guard
async def reset_password(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    form = await checked_form(request, actor)
    if form is None:
        return message(request, actor, X.FORBIDDEN_TITLE, X.CSRF_REFUSED, 403)
    core = request.app[CORE]
    username = request.match_info["username"]
    try:
        async with transaction(core.sessions) as session:
            password = await S.reset_password(session, core.clock.now(), username, actor=actor.username)
    except (StaffError, M.InboxError) as exc:
        return await show(request, actor, error=error_text(exc), status=400)
    return await show(request, actor, flash=T.RESET.format(username=username), secret=password)


@guard
async def set_active(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    form = await checked_form(request, actor)
    if form is None:
        return message(request, actor, X.FORBIDDEN_TITLE, X.CSRF_REFUSED, 403)
    core = request.app[CORE]
    username, active = request.match_info["username"], form.get("active") == "1"
    try:
        async with transaction(core.sessions) as session:
            await S.set_account_active(session, core.clock.now(), username, active, actor=actor.username)
            user = await M.get_user(session, username)
    except (StaffError, M.InboxError) as exc:
        return await show(request, actor, error=error_text(exc), status=400)
    if not active and user is not None:
        request.app[NOTIFIER].end_user(user.id)     # their open live lists stop now, not at the next check
    raise done("enabled" if active else "disabled", user=username)


@guard
async def set_duty(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    form = await checked_form(request, actor)
    if form is None:
        return message(request, actor, X.FORBIDDEN_TITLE, X.CSRF_REFUSED, 403)
    core = request.app[CORE]
    raw = request.match_info["grid"]
    grid = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else 0
    g = core.config.grid_by_number(grid)
    now = core.clock.now()
    try:
        if g is None:
            raise StaffError("no_grid", grid=raw[:6])
        hours = D.parse_duty(form.get("duty"))
        async with transaction(core.sessions) as session:
            await D.set_backup(session, now, core.config, grid, form.get("backup"), actor=actor.username)
            await D.set_duty(session, now, core.config, g.worker, hours, actor=actor.username)
    except StaffError as exc:
        return await show(request, actor, error=error_text(exc), status=400)
    raise done("duty", grid=str(grid))


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/inbox/admin/staff", staff_page)
    app.router.add_post("/inbox/admin/staff/users", add_user)
    app.router.add_post("/inbox/admin/staff/users/{username}/password", reset_password)
    app.router.add_post("/inbox/admin/staff/users/{username}/active", set_active)
    app.router.add_post("/inbox/admin/staff/duty/{grid}", set_duty)
