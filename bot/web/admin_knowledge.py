"""知识库 (admin only): list, add, edit and delete the FAQ entries the bot answers residents from, and
try a question against them. Entries are models/knowledge.py (the config's [[knowledge.faq]] until the
first change here); after each change the bot's KnowledgeBase is rebuilt (Core.reload_knowledge), so the
next message is answered from the new FAQ without a restart. Matching stays in kernel/text/knowledge.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.web import auth as A
from bot.web.admin_staff import checked_form, error_text, guard, message
from bot.web.keys import CORE
from bot.web.pages import render
from models import knowledge as K
from models.admin_log import StaffError, changes
from models.db import transaction
from texts import admin as T
from texts import inbox as X

FLASHES = {"added": T.FAQ_ADDED, "edited": T.FAQ_EDITED, "deleted": T.FAQ_DELETED, "imported": T.FAQ_IMPORTED}


async def show(request: web.Request, actor: A.WebActor, *, flash: str = "", error: str = "",
               form: dict[str, str] | None = None, editing: str = "", status: int = 200) -> web.Response:
    core = request.app[CORE]
    async with core.reads() as session:
        items = await K.faq_items(session, core.config)
        from_db = await K.seeded(session)
        log = await changes(session, prefix="faq", limit=20)
    tried = (request.query.get("q") or "").strip()[:200]
    answer = core.knowledge.base.answer(tried) if tried else None
    tz = core.config.timezone
    return render(request, actor, "admin_knowledge.html", title=f"{T.FAQ_TITLE} · {X.APP_TITLE}",
                  page="admin-faq", tab="admin-faq", status=status, T=T, items=items, from_db=from_db,
                  changes=log, flash=flash, error=error, form=form or {}, editing=editing, tried=tried,
                  answer=answer, local=lambda d: f"{d.astimezone(tz):%m-%d %H:%M}")


async def change(request: web.Request, actor: A.WebActor, op: Callable[..., Any], done: str,
                 editing: str = "") -> web.StreamResponse:
    form = await checked_form(request, actor)
    if form is None:
        return message(request, actor, X.FORBIDDEN_TITLE, X.CSRF_REFUSED, 403)
    core = request.app[CORE]
    try:
        async with transaction(core.sessions) as session:
            result = await op(session, core.clock.now(), core.config, form)
    except StaffError as exc:
        return await show(request, actor, error=error_text(exc), form=form, editing=editing, status=400)
    await core.reload_knowledge()          # the bot answers from the new FAQ from the next message on
    n = f"&n={result}" if isinstance(result, int) else ""
    raise web.HTTPSeeOther(f"/inbox/admin/faq?done={done}{n}")


@guard
async def faq_page(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    key = request.query.get("done", "")
    n = request.query.get("n", "0")
    flash = FLASHES[key].format(n=n if n.isdigit() else "0") if key in FLASHES else ""
    return await show(request, actor, flash=flash)


@guard
async def add(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    async def op(session: Any, now: Any, config: Any, form: dict[str, str]) -> None:
        await K.add_faq(session, now, config, form.get("questions", ""), form.get("answer", ""),
                        actor=actor.username)
    return await change(request, actor, op, "added", editing="new")


@guard
async def edit(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    ref = request.match_info["ref"]

    async def op(session: Any, now: Any, config: Any, form: dict[str, str]) -> None:
        await K.edit_faq(session, now, config, ref, form.get("questions", ""), form.get("answer", ""),
                         actor=actor.username)
    return await change(request, actor, op, "edited", editing=ref)


@guard
async def delete(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    ref = request.match_info["ref"]

    async def op(session: Any, now: Any, config: Any, form: dict[str, str]) -> None:
        await K.delete_faq(session, now, config, ref, actor=actor.username)
    return await change(request, actor, op, "deleted")


@guard
async def import_config(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    async def op(session: Any, now: Any, config: Any, form: dict[str, str]) -> int:
        return await K.import_config(session, now, config, actor=actor.username)
    return await change(request, actor, op, "imported")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/inbox/admin/faq", faq_page)
    app.router.add_post("/inbox/admin/faq", add)
    app.router.add_post("/inbox/admin/faq/import", import_config)
    app.router.add_post("/inbox/admin/faq/{ref}/edit", edit)
    app.router.add_post("/inbox/admin/faq/{ref}/delete", delete)
