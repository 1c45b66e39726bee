"""Staff pages beside the inbox: 来电来访 (a need taken by phone or at the counter) and the 月报.
Mounted by bot/web/app.py after the inbox (it reuses the inbox's guard, message page and live feed);
the pages are templates/intake.html and templates/report.html. The matching JSON endpoints are in
bot/web/api.py. The work itself is bot/web/inbox_ops.take_need and models/monthly_report.py, shared
with the API and the CLI."""

from __future__ import annotations

from dataclasses import replace as dataclass_replace
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.export import monthly as XM
from bot.web import auth as A
from bot.web import inbox_ops as O
from bot.web.inbox import NOTIFIER, guard, message_page
from bot.web.keys import CORE
from bot.web.pages import render
from models import inbox as M
from models import monthly_report as MR
from models import needs as N
from models.db import transaction
from texts import inbox as X

STAFF = frozenset({M.WebRole.ADMIN, M.WebRole.WORKER})


def intake_page(request: web.Request, actor: A.WebActor, fields: dict[str, str], *, error: str = "",
                done_text: str = "", done_code: str = "", status: int = 200) -> web.Response:
    return render(request, actor, "intake.html", title=f"{X.INTAKE_TITLE} · {X.APP_TITLE}", page="intake",
                  tab="intake", status=status, heading=X.INTAKE_TITLE, hint=X.INTAKE_HINT, csrf=actor.csrf,
                  fields=fields, error=error, done_text=done_text, done_code=done_code,
                  sources=list(X.INTAKE_SOURCES.items()), source=fields.get("source") or "phone",
                  categories=list(N.CATEGORY_NAMES.items()), text_limit=O.INTAKE_TEXT_LIMIT,
                  urgent=O.flag(fields.get("urgent")))


def _cell(value: Any) -> tuple[str, bool]:
    """A report cell's text, and whether it is a number (right-aligned)."""
    if isinstance(value, float):
        return f"{value:g}", True
    if isinstance(value, int):
        return str(value), True
    return ("" if value is None else str(value)), False


def _table(columns: Any, rows: list[Any], empty: str = X.CHART_EMPTY) -> dict[str, Any]:
    return {"columns": [c.title for c in columns], "empty": empty,
            "rows": [[_cell(MR.as_cells(r).get(c.key)) for c in columns] for r in rows]}


def report_view(report: MR.MonthlyReport, actor: A.WebActor) -> dict[str, Any]:
    """The values of report.html."""
    overdue = [dataclass_replace(r, created_at=r.created_at.strftime("%Y-%m-%d %H:%M")) for r in report.overdue]
    more = X.REPORT_OVERDUE_MORE.format(n=report.overdue_more) if report.overdue_more else ""
    sections = [
        {"title": "三率 · 按网格", "table": _table(XM.RATES, [*report.by_grid, report.total] if report.total.received else [])},
        {"title": "三率 · 按类别", "table": _table(XM.RATES, [*report.by_category, report.total] if report.total.received else [])},
        {"title": f"超时诉求 {len(report.overdue) + report.overdue_more} 件",
         "table": _table(XM.OVERDUE, overdue, "本月没有超时诉求。"), "more": more},
        {"title": "热词", "table": _table(XM.HOT, report.hot_words)},
        {"title": "功能室使用率", "table": _table(XM.ROOMS, report.rooms)},
        {"title": "人气指数", "table": _table(XM.POPULARITY, report.popularity, X.REPORT_NO_POPULARITY)},
    ]
    sections = [{"more": "", **section} for section in sections]
    return {"heading": X.REPORT_TITLE.format(month=report.label), "month": f"{report.month:%Y-%m}",
            "download": actor.role != M.WebRole.VIEWER, "hint": X.REPORT_HINT.format(scope=report.scope_name),
            "sections": sections}


@guard(STAFF)
async def intake_get(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    code = N.normalize_code(request.query.get("done") or "")
    parent = N.normalize_code(request.query.get("merged") or "")
    if not code:
        return intake_page(request, actor, {})
    words = X.INTAKE_DONE_MERGED.format(code=code, parent=parent) if parent else X.INTAKE_DONE_PAGE.format(code=code)
    return intake_page(request, actor, {}, done_text=words, done_code=quote(parent or code))


@guard(STAFF)
async def intake_post(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    form = await request.post()
    if not A.csrf_ok(request, actor, form):
        return message_page(request, actor, X.FORBIDDEN_TITLE, X.CSRF_REFUSED, 403)
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "_csrf"}
    try:
        intake = await O.take_need(request.app[CORE], actor, fields)
    except O.Refused as exc:
        return intake_page(request, actor, fields, error=exc.message, status=exc.status)
    request.app[NOTIFIER].poke()
    merged = f"&merged={quote(intake.parent.code)}" if intake.parent is not None else ""
    raise web.HTTPSeeOther(f"/inbox/intake?done={quote(intake.need.code)}{merged}")


async def load_report(request: web.Request, actor: A.WebActor) -> MR.MonthlyReport | web.Response:
    core = request.app[CORE]
    raw = request.query.get("month")
    try:
        month = MR.parse_month(raw) if raw else MR.previous_month(core.clock.now(), core.config)
    except MR.MonthError as exc:
        return message_page(request, actor, X.REPORT_TAB, str(exc), 400)
    async with core.reads() as session:
        return await MR.monthly_report(session, core.config, month, core.clock.now(), scope=actor.scope)


@guard(A.ALL_ROLES)
async def report_page(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    report = await load_report(request, actor)
    if isinstance(report, web.Response):
        return report
    return render(request, actor, "report.html", title=f"{X.REPORT_TITLE.format(month=report.label)} · {X.APP_TITLE}",
                  page="report", tab="report", **report_view(report, actor))


@guard(A.STAFF_ROLES)
async def report_xlsx(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    report = await load_report(request, actor)
    if isinstance(report, web.Response):
        return report
    core = request.app[CORE]
    async with transaction(core.sessions) as session:
        await M.log_view(session, core.clock.now(), user_id=actor.user_id, username=actor.username,
                         role=actor.role, action="export", need_code=None,
                         detail=f"monthly {report.month:%Y-%m}", ip=request.remote)
    return web.Response(body=XM.report_xlsx(report, core.config), headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Cache-Control": "no-store", "Content-Disposition": f'attachment; filename="{XM.filename(report)}"'})


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/inbox/report", report_page)
    app.router.add_get("/inbox/report.xlsx", report_xlsx)
    app.router.add_get("/inbox/intake", intake_get)
    app.router.add_post("/inbox/intake", intake_post)
