"""Staff pages beside the inbox: 来电来访 (a need taken by phone or at the counter) and the 月报.
Mounted by bot/web/app.py after the inbox (it reuses the inbox's layout, guard and live feed); the
matching JSON endpoints are in bot/web/api.py. The work itself is bot/web/inbox_ops.take_need and
models/monthly_report.py, shared with the API and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace as dataclass_replace
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.export import monthly as XM
from bot.web import auth as A
from bot.web import inbox_ops as O
from bot.web.inbox import NOTIFIER, _options, esc, message_page
from bot.web.pages import render
from models import inbox as M
from models import monthly_report as MR
from models import needs as N
from models.db import transaction
from texts import inbox as X

STAFF = frozenset({M.WebRole.ADMIN, M.WebRole.WORKER})


def intake_form(actor: A.WebActor, fields: dict[str, str], error: str = "", flash: str = "") -> str:
    f = {k: esc(v) for k, v in fields.items()}
    source = fields.get("source") or "phone"
    radios = "".join(
        f'<label class="inline"><input type="radio" name="source" value="{k}"{" checked" if k == source else ""}>'
        f'{esc(v)}</label>' for k, v in X.INTAKE_SOURCES.items())
    cats = _options(list(N.CATEGORY_NAMES.items()), fields.get("category"), blank="自动识别")
    urgent = " checked" if O.flag(fields.get("urgent")) else ""
    err = f'<div class="flash err" role="alert">{esc(error)}</div>' if error else ""
    ok = f'<div class="flash ok" role="status">{flash}</div>' if flash else ""
    return (f'<section class="card"><h1>{esc(X.INTAKE_TITLE)}</h1>{ok}{err}'
            f'<p class="muted">{esc(X.INTAKE_HINT)}</p>'
            f'<form method="post" action="/inbox/intake" class="intake-form">'
            f'<input type="hidden" name="_csrf" value="{esc(actor.csrf)}">'
            f'<fieldset><legend>渠道</legend>{radios}</fieldset>'
            f'<label>诉求内容<textarea name="text" rows="4" required maxlength="{O.INTAKE_TEXT_LIMIT}">'
            f'{f.get("text", "")}</textarea></label>'
            f'<label>类别<select name="category">{cats}</select></label>'
            f'<label>楼栋<input name="building" inputmode="numeric" value="{f.get("building", "")}" placeholder="如 7"></label>'
            f'<label>房号<input name="room" maxlength="32" value="{f.get("room", "")}" placeholder="如 2单元602"></label>'
            f'<label>来电人/来访人<input name="caller_name" maxlength="32" value="{f.get("caller_name", "")}"></label>'
            f'<label>联系电话<input name="caller_phone" type="tel" maxlength="20" value="{f.get("caller_phone", "")}"></label>'
            f'<label class="inline"><input type="checkbox" name="urgent" value="1"{urgent}>紧急(漏水、停电、老人摔倒等)</label>'
            f'<button type="submit" class="primary">登记并派单</button></form></section>')


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f'<td class="num">{value:g}</td>'
    if isinstance(value, int):
        return f'<td class="num">{value}</td>'
    return f"<td>{esc(value)}</td>"


def _table(columns: Any, rows: list[Any], empty: str = X.CHART_EMPTY) -> str:
    if not rows:
        return f'<p class="empty">{esc(empty)}</p>'
    head = "".join(f"<th>{esc(c.title)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_cell(MR.as_cells(r).get(c.key)) for c in columns) + "</tr>" for r in rows)
    return f'<div class="scroll"><table class="grid"><tr>{head}</tr>{body}</table></div>'


def report_body(report: MR.MonthlyReport, actor: A.WebActor) -> str:
    month = f"{report.month:%Y-%m}"
    download = ("" if actor.role == M.WebRole.VIEWER else
                f'<a href="/inbox/report.xlsx?month={month}" download>下载 xlsx</a>')
    overdue = [dataclass_replace(r, created_at=r.created_at.strftime("%Y-%m-%d %H:%M")) for r in report.overdue]
    more = f'<p class="muted">{esc(X.REPORT_OVERDUE_MORE.format(n=report.overdue_more))}</p>' if report.overdue_more else ""
    sections = [
        ("三率 · 按网格", _table(XM.RATES, [*report.by_grid, report.total] if report.total.received else [])),
        ("三率 · 按类别", _table(XM.RATES, [*report.by_category, report.total] if report.total.received else [])),
        (f"超时诉求 {len(report.overdue) + report.overdue_more} 件", _table(XM.OVERDUE, overdue, "本月没有超时诉求。") + more),
        ("热词", _table(XM.HOT, report.hot_words)),
        ("功能室使用率", _table(XM.ROOMS, report.rooms)),
        ("人气指数", _table(XM.POPULARITY, report.popularity, X.REPORT_NO_POPULARITY)),
    ]
    title = X.REPORT_TITLE.format(month=report.label)
    return (f'<div class="report"><section class="card"><h1>{esc(title)}</h1>'
            f'<form method="get" action="/inbox/report" class="report-bar no-print">'
            f'<label>月份 <input type="month" name="month" value="{month}"></label><button>查看</button>'
            f'<button type="button" data-print>打印</button>{download}</form>'
            f'<p class="muted">{esc(X.REPORT_HINT.format(scope=report.scope_name))}</p></section>'
            + "".join(f'<section class="card"><h2>{esc(h)}</h2>{t}</section>' for h, t in sections) + "</div>")


def setup_routes(app: web.Application, get_core: Callable[[], Any]) -> None:
    def forbidden(request: web.Request, actor: A.WebActor, message: str) -> web.StreamResponse:
        return message_page(request, actor, X.FORBIDDEN_TITLE, message, 403)

    def guard(roles: frozenset[str]):  # type: ignore[no-untyped-def]
        return A.page(get_core, roles, forbidden=forbidden)

    def page(request: web.Request, actor: A.WebActor, body: str, status: int = 200) -> web.Response:
        return render(request, actor, title=f"{X.INTAKE_TITLE} · {X.APP_TITLE}", body=body, page="intake",
                      tab="intake", status=status)

    @guard(STAFF)
    async def intake_get(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
        flash = ""
        code = N.normalize_code(request.query.get("done") or "")
        parent = N.normalize_code(request.query.get("merged") or "")
        if code:
            words = (X.INTAKE_DONE_MERGED.format(code=code, parent=parent) if parent
                     else X.INTAKE_DONE_PAGE.format(code=code))
            flash = esc(words) + f' · <a href="/inbox/needs/{esc(quote(parent or code))}">查看</a>'
        return page(request, actor, intake_form(actor, {}, flash=flash))

    @guard(STAFF)
    async def intake_post(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
        form = await request.post()
        if not A.csrf_ok(request, actor, form):
            return message_page(request, actor, X.FORBIDDEN_TITLE, X.CSRF_REFUSED, 403)
        fields = {k: str(v) for k, v in form.items() if isinstance(v, str) and k != "_csrf"}
        try:
            intake = await O.take_need(get_core(), actor, fields)
        except O.Refused as exc:
            return page(request, actor, intake_form(actor, fields, error=exc.message), status=exc.status)
        request.app[NOTIFIER].poke()
        merged = f"&merged={quote(intake.parent.code)}" if intake.parent is not None else ""
        raise web.HTTPSeeOther(f"/inbox/intake?done={quote(intake.need.code)}{merged}")

    async def load_report(request: web.Request, actor: A.WebActor) -> MR.MonthlyReport | web.Response:
        core = get_core()
        raw = request.query.get("month")
        try:
            month = MR.parse_month(raw) if raw else MR.previous_month(core.clock.now(), core.config)
        except MR.MonthError as exc:
            return message_page(request, actor, X.REPORT_TAB, str(exc), 400)
        async with core.sessions() as session:
            return await MR.monthly_report(session, core.config, month, core.clock.now(), scope=actor.scope)

    @guard(A.ALL_ROLES)
    async def report_page(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
        report = await load_report(request, actor)
        if isinstance(report, web.Response):
            return report
        return render(request, actor, title=f"{X.REPORT_TITLE.format(month=report.label)} · {X.APP_TITLE}",
                      body=report_body(report, actor), page="report", tab="report")

    @guard(A.STAFF_ROLES)
    async def report_xlsx(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
        report = await load_report(request, actor)
        if isinstance(report, web.Response):
            return report
        core = get_core()
        async with transaction(core.sessions) as session:
            await M.log_view(session, core.clock.now(), user_id=actor.user_id, username=actor.username,
                             role=actor.role, action="export", need_code=None,
                             detail=f"monthly {report.month:%Y-%m}", ip=request.remote)
        return web.Response(body=XM.report_xlsx(report, core.config), headers={
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Cache-Control": "no-store", "Content-Disposition": f'attachment; filename="{XM.filename(report)}"'})

    app.router.add_get("/inbox/report", report_page)
    app.router.add_get("/inbox/report.xlsx", report_xlsx)
    app.router.add_get("/inbox/intake", intake_get)
    app.router.add_post("/inbox/intake", intake_post)
