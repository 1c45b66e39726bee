"""账号与值班 (admin only): web accounts — list, add (password generated and shown once), reset a
password, disable/enable — and each grid's duty hours and AB岗 backup. The operations are
models/staff.py (also `gridbot user`) and models/duty.py (read by the urgent alerts and 督办 through
`duty.roster`), so a change counts from the next message, without a restart."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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


async def change(request: web.Request, actor: A.WebActor, op: Callable[..., Awaitable[Any]],
                 after: Callable[[Any, dict[str, str]], Awaitable[web.StreamResponse]], *,
                 keep_form: bool = False) -> web.StreamResponse:
    """One admin change: the CSRF check, `op(session, now, config, form)` in a transaction, a refusal shown
    beside the form (with what was typed when `keep_form`), else `after(result, form)`."""
    form = await checked_form(request, actor)
    if form is None:
        return message(request, actor, X.FORBIDDEN_TITLE, X.CSRF_REFUSED, 403)
    core = request.app[CORE]
    try:
        async with transaction(core.sessions) as session:
            result = await op(session, core.clock.now(), core.config, form)
    except (StaffError, M.InboxError) as exc:
        return await show(request, actor, error=error_text(exc), form=form if keep_form else None, status=400)
    return await after(result, form)


@guard
async def add_user(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    directory = request.app[CORE].directory

    async def op(session: Any, now: Any, config: Any, form: dict[str, str]) -> tuple[Any, str]:
        return await S.add_account(session, now, config, directory, username=form.get("username", ""),
                                   role=form.get("role", ""), ref=form.get("ref"), name=form.get("name"),
                                   actor=actor.username)

    async def after(result: tuple[Any, str], _form: dict[str, str]) -> web.StreamResponse:
        user, password = result
        # The password is in this response only: never in a URL, a log or the database.
        return await show(request, actor, flash=T.ADDED.format(username=user.username), secret=password)
    return await change(request, actor, op, after, keep_form=True)


@guard
async def reset_password(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    username = request.match_info["username"]

    async def op(session: Any, now: Any, _config: Any, _form: dict[str, str]) -> str:
        return await S.reset_password(session, now, username, actor=actor.username)

    async def after(password: str, _form: dict[str, str]) -> web.StreamResponse:
        return await show(request, actor, flash=T.RESET.format(username=username), secret=password)
    return await change(request, actor, op, after)


@guard
async def set_active(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    username = request.match_info["username"]

    async def op(session: Any, now: Any, _config: Any, form: dict[str, str]) -> tuple[bool, Any]:
        active = form.get("active") == "1"
        await S.set_account_active(session, now, username, active, actor=actor.username)
        return active, await M.get_user(session, username)

    async def after(result: tuple[bool, Any], _form: dict[str, str]) -> web.StreamResponse:
        active, user = result
        if not active and user is not None:
            request.app[NOTIFIER].end_user(user.id)     # their open live lists stop now, not at the next check
        raise done("enabled" if active else "disabled", user=username)
    return await change(request, actor, op, after)


@guard
async def set_duty(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    raw = request.match_info["grid"]
    grid = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else 0

    async def op(session: Any, now: Any, config: Any, form: dict[str, str]) -> None:
        g = config.grid_by_number(grid)
        if g is None:
            raise StaffError("no_grid", grid=raw[:6])
        hours = D.parse_duty(form.get("duty"))
        await D.set_backup(session, now, config, grid, form.get("backup"), actor=actor.username)
        await D.set_duty(session, now, config, g.worker, hours, actor=actor.username)

    async def after(_result: None, _form: dict[str, str]) -> web.StreamResponse:
        raise done("duty", grid=str(grid))
    return await change(request, actor, op, after)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/inbox/admin/staff", staff_page)
    app.router.add_post("/inbox/admin/staff/users", add_user)
    app.router.add_post("/inbox/admin/staff/users/{username}/password", reset_password)
    app.router.add_post("/inbox/admin/staff/users/{username}/active", set_active)
    app.router.add_post("/inbox/admin/staff/duty/{grid}", set_duty)
