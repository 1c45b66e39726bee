"""The JSON API of the inbox (/api/…), described at /api/openapi.json.

Auth: `Authorization: Bearer <token>` (POST /api/token with username and password, or
`python -m bot.web.auth token USERNAME`), or the inbox's session cookie — then a POST must carry the
session's CSRF token in `X-CSRF-Token`. Roles and masking are the inbox's: a worker sees their grid, a
department what was handed to it, a viewer reads with personal data masked and cannot act.
Actions call the same operations as the pages and the chat commands (bot/web/inbox_ops.py)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.web import auth as A
from bot.web import inbox_ops as O
from bot.web.filters import parse_filters
from bot.web.keys import CORE
from bot.web.live import NOTIFIER
from texts import inbox as X
from models import access
from models import duty as D
from models import inbox as M
from models import needs as N
from models.db import transaction

STAFF = frozenset({M.WebRole.ADMIN, M.WebRole.WORKER})


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def guard(roles: frozenset[str] = A.ALL_ROLES):  # type: ignore[no-untyped-def]
    return A.page(roles, api=True)


async def body_of(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = await request.json()
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}


async def token(request: web.Request) -> web.StreamResponse:
    """POST /api/token {username, password} → a short-lived bearer token ([web] api_token_hours).
    No cookie is set. The login page's throttle counts these tries too."""
    data = await body_of(request)
    done = await A.log_in(request, request.app[CORE], str(data.get("username") or ""), str(data.get("password") or ""),
                          via="api")
    if done.error == "throttled":
        return _error(429, "throttled", X.LOGIN_THROTTLED.format(minutes=done.wait))
    if done.error == "failed":
        return _error(401, "unauthorized", X.LOGIN_FAILED)
    if done.error == "bad_account":
        return _error(403, "bad_account", X.LOGIN_BAD_ACCOUNT)
    assert done.expires_at is not None
    return web.json_response({"token": done.token, "expires_at": done.expires_at.isoformat(), "role": done.role})


@guard()
async def needs_list(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    """`?offset=N`: pages in the inbox's order (urgent, overdue, nearest clock). `?after=CURSOR` (empty
    for the first page): pages newest first, each found through the primary key however deep, and
    stable while needs arrive; the response's `next` is the cursor of the following page (null at the
    end), and the counts come with the first page only."""
    core = request.app[CORE]
    f = parse_filters(request.query, actor, core.config)
    keyset = "after" in request.query
    try:
        limit = max(1, min(500, int(request.query.get("limit", 100))))
        offset = max(0, int(request.query.get("offset", 0)))
        after = request.query.get("after", "").strip()
        before_id = int(after) if after else None
    except ValueError:
        return _error(400, "bad_request", "limit/offset/after 须为整数")
    now = core.clock.now()
    async with core.reads() as session:
        if keyset:
            page = await M.inbox_keyset_page(session, actor.scope, f, now, core.config.timezone, limit=limit,
                                             before_id=before_id, counts=before_id is None)
        else:
            page = await M.inbox_page(session, actor.scope, f, now, core.config.timezone, limit=limit,
                                      offset=offset)
    body: dict[str, Any] = {"total": page.total, "urgent": page.urgent, "overdue": page.overdue, "limit": limit}
    if keyset:
        if before_id is not None:
            body.update(total=None, urgent=None, overdue=None)
        body["after"] = after
        body["next"] = str(page.rows[-1].id) if len(page.rows) == limit else None
    else:
        body["offset"] = offset
    body["needs"] = [O.need_dict(r, now, core.config, actor) for r in page.rows]
    return web.json_response(body)


@guard()
async def need_detail(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    core = request.app[CORE]
    now = core.clock.now()
    async with transaction(core.sessions) as session:
        code = request.match_info["code"]
        try:
            need = await N.get_need(session, code)
        except N.NeedError:
            need = None
        if need is None or not access.may_see(actor.scope, need):
            return _error(404, "not_found", O.unseen(code).message)
        events = await N.events_of(session, need)
        followers = await N.followers_of(session, need)
        roster = await D.roster(session, core.config)
        await M.log_view(session, now, user_id=actor.user_id, username=actor.username, role=actor.role,
                         action="api", need_code=need.code, ip=request.remote)
    data = O.need_dict(need, now, core.config, actor, full=True)
    data["events"] = [O.event_dict(e, actor, need) for e in events]
    data["merged"] = [O.need_dict(f, now, core.config, actor) for f in followers]
    data["may_act"] = bool(actor.can_act and actor.person is not None
                           and N.may_handle(core.config, need, actor.person, roster))
    return web.json_response(data)


@guard()
async def need_action(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    core = request.app[CORE]
    if not A.csrf_ok(request, actor):
        return _error(403, "csrf", X.CSRF_REFUSED)
    data = await body_of(request)
    action = str(data.get("action") or request.match_info.get("action") or "")
    code = request.match_info["code"]
    try:
        done = await O.perform(core, actor, code, action, data)
    except O.Refused as exc:
        return _error(exc.status, exc.code, exc.message)
    except N.NeedError as exc:
        if exc.code == "not_found":
            return _error(404, "not_found", O.unseen(code).message)
        return _error(O.http_status(exc), exc.code, O.error_message(exc, action))
    request.app[NOTIFIER].poke()
    now = core.clock.now()
    return web.json_response({"ok": True, "message": O.done_message(done.key, done.need, now, core.config),
                              "need": O.need_dict(done.need, now, core.config, actor)})


@guard(STAFF)
async def intake(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    """来电来访: register a need taken by phone or at the counter (bot/web/inbox_ops.take_need)."""
    core = request.app[CORE]
    if not A.csrf_ok(request, actor):
        return _error(403, "csrf", X.CSRF_REFUSED)
    data = await body_of(request)
    try:
        taken = await O.take_need(core, actor, data)
    except O.Refused as exc:
        return _error(exc.status, exc.code, exc.message)
    request.app[NOTIFIER].poke()
    now = core.clock.now()
    return web.json_response({"ok": True, "message": O.intake_message(taken),
                              "need": O.need_dict(taken.need, now, core.config, actor)}, status=201)


@guard(STAFF)
async def suggestions_list(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    core = request.app[CORE]
    status = request.query.get("status", "open")
    async with core.reads() as session:
        grid = actor.scope.grid if actor.role == M.WebRole.WORKER else None
        items = await N.list_suggestions(session, status=None if status == "all" else status, grid=grid)
    if actor.role == M.WebRole.WORKER and grid is None:
        items = []
    return web.json_response({"suggestions": [
        {"id": s.id, "created_at": O.iso(s.created_at), "grid": s.grid, "chat": s.chat, "sender_name": s.sender_name,
         "text": s.text, "category": s.category, "urgent": bool(s.urgent), "building": s.building,
         "status": s.status, "need_code": s.need_code} for s in items]})


@guard(STAFF)
async def suggestion_action(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    core = request.app[CORE]
    if not A.csrf_ok(request, actor):
        return _error(403, "csrf", X.CSRF_REFUSED)
    data = await body_of(request)
    try:
        sid = int(request.match_info["id"])
    except ValueError:
        return _error(404, "not_found", X.SUGGESTION_NOT_FOUND)
    try:
        if request.match_info["action"] == "confirm":
            intake = await O.confirm_suggestion(core, actor, sid, str(data.get("category") or "") or None)
            result = {"ok": True, "code": intake.need.code, "merged_into": intake.need.merged_into}
        else:
            await O.dismiss_suggestion(core, actor, sid, str(data.get("note") or ""))
            result = {"ok": True}
    except O.Refused as exc:
        return _error(exc.status, exc.code, exc.message)
    except N.NeedError as exc:
        return _error(O.http_status(exc), exc.code, O.error_message(exc, None))
    request.app[NOTIFIER].poke()
    return web.json_response(result)


@guard()
async def stats(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    core = request.app[CORE]
    start, end, label = N.period_bounds(request.query.get("period"), core.clock.now(), core.config)
    grid = actor.scope.grid if actor.role == M.WebRole.WORKER else None
    async with core.reads() as session:
        rates = await N.three_rates(session, start, end, where=actor.scope.clause())
    return web.json_response({"period": label, "start": start.isoformat(), "end": end.isoformat(),
                              "grid": grid, **rates.as_dict()})


async def openapi(request: web.Request) -> web.StreamResponse:
    return web.json_response(openapi_spec(request.app[CORE].config.community))


def setup_routes(app: web.Application) -> None:
    """Mount the API (the inbox's setup_routes calls this; `app[NOTIFIER]` must be set)."""
    app.router.add_post("/api/token", token)
    app.router.add_get("/api/needs", needs_list)
    app.router.add_get("/api/needs/{code}", need_detail)
    app.router.add_post("/api/needs/{code}/actions", need_action)
    app.router.add_post("/api/needs/{code}/{action:accept|reply|transfer|return|resolve|reopen|assign|urge}", need_action)
    app.router.add_post("/api/intake", intake)
    app.router.add_get("/api/suggestions", suggestions_list)
    app.router.add_post("/api/suggestions/{id}/{action:confirm|dismiss}", suggestion_action)
    app.router.add_get("/api/stats", stats)
    app.router.add_get("/api/openapi.json", openapi)


# ---------------------------------------------------------------- OpenAPI 3.1

def openapi_spec(community: str) -> dict[str, Any]:
    error = {"$ref": "#/components/schemas/Error"}
    need = {"$ref": "#/components/schemas/Need"}

    def resp(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
        return {"description": description, "content": {"application/json": {"schema": schema}}}

    errors = {"401": resp(error, "未登录 / no or expired credentials"),
              "403": resp(error, "无权 / not allowed (role, scope, CSRF)")}
    code_param = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"},
                  "example": "D20261123-0001"}
    filters = [{"name": n, "in": "query", "required": False, "schema": s, "description": d} for n, s, d in (
        ("status", {"type": "string", "default": "open"}, "open | done | all | received | dispatched | accepted | "
                                                          "in_progress | resolved | visiting | closed | merged"),
        ("grid", {"type": "integer"}, "网格号"), ("category", {"type": "string"}, "repair, environment, …"),
        ("urgent", {"type": "string", "enum": ["1"]}, "只看紧急"), ("overdue", {"type": "string", "enum": ["1"]}, "只看超时"),
        ("department", {"type": "string"}, "科室名"), ("from", {"type": "string", "format": "date"}, "受理日期起"),
        ("to", {"type": "string", "format": "date"}, "受理日期止"), ("q", {"type": "string"}, "编号或关键词"),
        ("limit", {"type": "integer", "default": 100, "maximum": 500}, ""), ("offset", {"type": "integer", "default": 0}, "pages in the inbox order"),
        ("after", {"type": "string"}, "cursor paging, newest first: empty for the first page, then the previous "
                                      "page's `next`; stable while needs arrive, fast at any depth"))]
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{community} 诉求工作台 API", "version": "1.0",
                 "description": "Needs (诉求) of the 24-hour inbox. Bearer token from POST /api/token, or the inbox "
                                "session cookie plus X-CSRF-Token on POST. Lists are sorted as in the inbox: "
                                "urgent, then overdue, then the nearest clock."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "cookie": {"type": "apiKey", "in": "cookie", "name": A.COOKIE}},
            "schemas": {
                "Error": {"type": "object", "required": ["error", "message"],
                          "properties": {"error": {"type": "string"}, "message": {"type": "string"}}},
                "Clock": {"type": "object", "properties": {
                    "kind": {"type": ["string", "null"], "enum": ["respond", "dept_ack", "handle", None]},
                    "due": {"type": ["string", "null"], "format": "date-time"},
                    "seconds_left": {"type": ["number", "null"]},
                    "colour": {"type": "string", "enum": ["green", "amber", "red", "none"]},
                    "label": {"type": "string"}}},
                "Need": {"type": "object", "required": ["code", "status", "category", "urgent", "text"], "properties": {
                    "code": {"type": "string"}, "status": {"type": "string"}, "status_name": {"type": "string"},
                    "category": {"type": "string"}, "category_name": {"type": "string"}, "urgent": {"type": "boolean"},
                    "building": {"type": ["integer", "null"]}, "grid": {"type": ["integer", "null"]},
                    "text": {"type": "string", "description": "phones masked for viewers"},
                    "source": {"type": "string", "enum": [str(s) for s in N.Source]},
                    "source_name": {"type": "string", "description": "群聊, 私聊, 树洞, 未诉先办, 来电, 来访"},
                    "requester_name": {"type": ["string", "null"], "description": "null for a 树洞 need; masked for viewers"},
                    "assignee": {"type": ["string", "null"]}, "assignee_name": {"type": ["string", "null"]},
                    "department": {"type": ["string", "null"]},
                    "created_at": {"type": "string", "format": "date-time"},
                    "updated_at": {"type": "string", "format": "date-time"},
                    "due_at": {"type": ["string", "null"], "format": "date-time"},
                    "resolve_due_at": {"type": ["string", "null"], "format": "date-time"},
                    "overdue": {"type": "boolean"}, "clock": {"$ref": "#/components/schemas/Clock"},
                    "satisfaction": {"type": ["string", "null"]}, "merged_into": {"type": ["string", "null"]}}},
                "Action": {"type": "object", "required": ["action"], "properties": {
                    "action": {"type": "string", "enum": list(O.ACTIONS)},
                    "text": {"type": "string", "description": "reply: words for the resident"},
                    "department": {"type": "string", "description": "transfer: 城管科, 民政科, …"},
                    "note": {"type": "string",
                             "description": "resolve: 办结说明 (required); transfer / assign / urge: optional"},
                    "to": {"type": "string", "description": "assign (派单, admins): the contact id of a worker or admin"},
                    "reason": {"type": "string", "description": "return / reopen: required"}}},
            }},
        "security": [{"bearer": []}, {"cookie": []}],
        "paths": {
            "/api/token": {"post": {
                "summary": "登录,换取 API 令牌 (默认12小时,退出登录即失效)", "security": [],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["username", "password"],
                    "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}}}},
                "responses": {"200": resp({"type": "object", "properties": {
                    "token": {"type": "string"}, "expires_at": {"type": "string", "format": "date-time"},
                    "role": {"type": "string"}}}), "401": resp(error), "429": resp(error)}}},
            "/api/needs": {"get": {
                "summary": "诉求列表 (本人可见范围)", "parameters": filters,
                "responses": {"200": resp({"type": "object", "properties": {
                    "total": {"type": "integer"}, "urgent": {"type": "integer"}, "overdue": {"type": "integer"},
                    "needs": {"type": "array", "items": need}}}), **errors}}},
            "/api/needs/{code}": {"get": {
                "summary": "诉求详情、办理记录、合并诉求 (每次查看记入审计)", "parameters": [code_param],
                "responses": {"200": resp({"allOf": [need, {"type": "object", "properties": {
                    "events": {"type": "array", "items": {"type": "object"}},
                    "merged": {"type": "array", "items": need}, "may_act": {"type": "boolean"}}}]}),
                    "404": resp(error), **errors}}},
            "/api/needs/{code}/actions": {"post": {
                "summary": "办理: 接单/签收 accept, 回复 reply, 转派 transfer, 退单 return, 办结 resolve, 重新打开 reopen",
                "parameters": [code_param],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Action"}}}},
                "responses": {"200": resp({"type": "object", "properties": {
                    "ok": {"type": "boolean"}, "message": {"type": "string"}, "need": need}}),
                    "400": resp(error), "404": resp(error), "409": resp(error, "状态不允许 / illegal in this state"),
                    **errors}}},
            "/api/intake": {"post": {
                "summary": "来电来访登记: 与群聊诉求同样受理、派单、通知 (网格员、社区管理员)",
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["text"], "properties": {
                        "text": {"type": "string", "maxLength": O.INTAKE_TEXT_LIMIT},
                        "source": {"type": "string", "enum": ["phone", "counter"], "default": "phone"},
                        "category": {"type": "string", "description": "空: 自动识别"},
                        "building": {"type": "integer"}, "room": {"type": "string"},
                        "caller_name": {"type": "string"}, "caller_phone": {"type": "string"},
                        "urgent": {"type": "boolean"}}}}}},
                "responses": {"201": resp({"type": "object", "properties": {
                    "ok": {"type": "boolean"}, "message": {"type": "string"}, "need": need}}),
                    "400": resp(error, "填写有误 (message 为中文说明)"), **errors}}},
            "/api/suggestions": {"get": {
                "summary": "未诉先办线索", "parameters": [{"name": "status", "in": "query", "schema": {
                    "type": "string", "default": "open", "enum": ["open", "confirmed", "dismissed", "all"]}}],
                "responses": {"200": resp({"type": "object"}), **errors}}},
            "/api/suggestions/{id}/{action}": {"post": {
                "summary": "确认为诉求 (confirm) 或忽略 (dismiss)",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                               {"name": "action", "in": "path", "required": True,
                                "schema": {"type": "string", "enum": ["confirm", "dismiss"]}}],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {
                    "category": {"type": "string"}, "note": {"type": "string"}}}}}},
                "responses": {"200": resp({"type": "object"}), "404": resp(error), "409": resp(error), **errors}}},
            "/api/stats": {"get": {
                "summary": "三率 (响应率/解决率/满意率)",
                "parameters": [{"name": "period", "in": "query", "schema": {
                    "type": "string", "enum": ["今天", "昨天", "本周", "上周", "本月", "上月"]}}],
                "responses": {"200": resp({"type": "object"}), **errors}}},
        },
    }
