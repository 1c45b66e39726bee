"""The H5 survey page: GET /s/{code} renders a plain mobile form, POST /s/{code} saves the answer through
models.surveys.submit_response — the same operation as the chat walk-through.

No CDN, no JS: HTML with a little inline CSS; skip logic is written next to the question and applied
again by the server (answers off the path are dropped). Who answers: a personal link (?t=…, given in
the private chat) counts for that person; the group link (?g=N) asks for a name and building/room, one
answer per household. CSRF: a random nonce in a SameSite=Lax cookie, and in the form a hidden field
signed with the survey's secret over that nonce and the time it was issued — a cross-site POST has
neither the cookie nor a valid signature.

Mounting (bot/web, the lead's server):  from bot.web.survey_h5 import setup_routes; setup_routes(app, get_core)
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.web.auth import secure_cookies
from bot.web.throttle import RateLimit
from texts import surveys as T
from models import surveys as S
from models.db import transaction

COOKIE = "gb_s"
FIELD_MAX = {"name": 20, "building": 16, "room": 16}   # as the form's maxlength; the columns are wider
POSTS_PER_WINDOW, POST_WINDOW = 20, timedelta(minutes=10)   # answers from one address (a family, a 4G NAT)
_H = T.H5

CSS = """
*{box-sizing:border-box}body{margin:0;font:16px/1.6 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;
background:#f4f5f7;color:#222}main{max-width:640px;margin:0 auto;padding:12px}
h1{font-size:20px;margin:8px 0 4px}.intro{color:#555;white-space:pre-line}.note{color:#888;font-size:14px}
.card{background:#fff;border-radius:10px;padding:14px;margin:12px 0;box-shadow:0 1px 2px rgba(0,0,0,.06)}
.q{font-weight:600;margin-bottom:6px}.hint{color:#888;font-weight:400;font-size:14px}
label.opt{display:block;padding:9px 8px;margin:4px 0;border:1px solid #e3e5e8;border-radius:8px}
label.opt input{margin-right:8px;transform:scale(1.2)}.rating label.opt{display:inline-block;min-width:52px;
text-align:center;margin-right:4px}textarea,input[type=text]{width:100%;font-size:16px;padding:9px;
border:1px solid #d0d3d8;border-radius:8px}.row{display:flex;gap:8px}.row>div{flex:1}
.skip{color:#b26a00;font-size:13px}.err{background:#fff1f0;border:1px solid #ffccc7;color:#a8071a;
border-radius:8px;padding:10px;margin:12px 0}.qerr{border:1px solid #ff7875}
button{width:100%;font-size:18px;padding:12px;border:0;border-radius:10px;background:#c8161d;color:#fff}
.done{text-align:center;padding:40px 12px}
"""


def _page(title: str, body: str) -> str:
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head>"
            f"<body><main>{body}</main></body></html>")


def _message(title: str, text: str, status: int = 200) -> web.Response:
    body = f'<div class="card done"><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></div>'
    return web.Response(text=_page(title, body), content_type="text/html", charset="utf-8", status=status)


def _skip_note(view: S.SurveyView, q: Any) -> str:
    notes = []
    for r in q.rules:
        vals = "、".join(str(v) for v in r["values"])
        target = "结束问卷" if r["goto"] == 0 else f"请直接跳到第{r['goto']}题"
        cond = {"==": f"选{vals}", "in": f"选{vals}", "has": f"选了{vals}", "!=": f"没选{vals}",
                "<=": f"打分≤{vals}", ">=": f"打分≥{vals}", "<": f"打分<{vals}", ">": f"打分>{vals}"}[r["op"]]
        notes.append(f"若{cond},{target}")
    return f'<div class="skip">{html.escape(";".join(notes))}</div>' if notes else ""


def render_form(view: S.SurveyView, *, csrf: str, token: str | None, grid: str | None, person: str | None,
                values: dict[str, Any] | None = None, errors: list[str] | None = None,
                bad_questions: set[int] | None = None) -> str:
    s = view.survey
    values = values or {}
    bad_questions = bad_questions or set()
    esc = html.escape
    parts = [f"<h1>{esc(s.title)}</h1>"]
    if s.intro:
        parts.append(f'<p class="intro">{esc(s.intro)}</p>')
    parts.append(f'<p class="note">{_H["household_note"] if s.one_per == "household" else _H["person_note"]}</p>')
    if errors:
        items = "".join(f"<li>{esc(e)}</li>" for e in errors)
        parts.append(f'<div class="err" role="alert">{_H["fix"]}<ul>{items}</ul></div>')
    parts.append(f'<form method="post" action="/s/{esc(s.code)}" accept-charset="utf-8">')
    parts.append(f'<input type="hidden" name="csrf" value="{esc(csrf)}">')
    if token:
        parts.append(f'<input type="hidden" name="t" value="{esc(token)}">')
    if grid:
        parts.append(f'<input type="hidden" name="g" value="{esc(grid)}">')
    if person:
        parts.append(f'<p class="note">{_H["personal"]}</p>')
    if not person or s.one_per == "household":
        who = []
        if not person and not s.anonymous:
            who.append(f'<div><label>{_H["name"]}<input type="text" name="name" maxlength="20" '
                       f'value="{esc(str(values.get("name", "")))}"></label></div>')
        who.append(f'<div class="row"><div><label>{_H["building"]}<input type="text" name="building" '
                   f'maxlength="16" placeholder="{_H["building_ph"]}" '
                   f'value="{esc(str(values.get("building", "")))}"></label></div>'
                   f'<div><label>{_H["room"]}<input type="text" name="room" maxlength="16" '
                   f'placeholder="{_H["room_ph"]}" value="{esc(str(values.get("room", "")))}"></label></div></div>')
        parts.append(f'<div class="card">{"".join(who)}</div>')
    for q in view.questions:
        name = f"q{q.number}"
        chosen = values.get(name)
        chosen_list = [str(c) for c in (chosen if isinstance(chosen, list) else [chosen] if chosen else [])]
        hint = {"multi": _H["multi_hint"], "rating": _H["rating_hint"]}.get(q.kind, "")
        if not q.required:
            hint += _H["skip_hint"]
        cls = "card qerr" if q.number in bad_questions else "card"
        body = [f'<div class="{cls}" id="{name}"><div class="q">{q.number}. {esc(q.text)} '
                f'<span class="hint">{hint}</span></div>']
        if q.kind in (S.QuestionKind.SINGLE, S.QuestionKind.MULTI):
            kind = "checkbox" if q.kind == S.QuestionKind.MULTI else "radio"
            for i, opt in enumerate(q.options, 1):
                checked = " checked" if str(i) in chosen_list else ""
                body.append(f'<label class="opt"><input type="{kind}" name="{name}" value="{i}"{checked}>'
                            f"{esc(opt)}</label>")
        elif q.kind == S.QuestionKind.RATING:
            body.append('<div class="rating">')
            for i in range(1, S.RATING_MAX + 1):
                checked = " checked" if str(i) in chosen_list else ""
                body.append(f'<label class="opt"><input type="radio" name="{name}" value="{i}"{checked}>{i}分</label>')
            body.append("</div>")
        else:
            body.append(f'<textarea name="{name}" rows="3" maxlength="{S.TEXT_MAX}">'
                        f"{esc(str(chosen or ''))}</textarea>")
        body.append(_skip_note(view, q))
        body.append("</div>")
        parts.append("".join(body))
    parts.append(f'<button type="submit">{_H["submit"]}</button></form>')
    return _page(s.title, "".join(parts))


def setup_routes(app: web.Application, get_core: Callable[[], Any]) -> None:
    """Mount GET/POST /s/{code}. `get_core()` returns the running bot.app.Core."""
    posts = RateLimit(POSTS_PER_WINDOW, POST_WINDOW)

    async def load(code: str) -> S.SurveyView | None:
        core = get_core()
        async with core.sessions() as session:
            try:
                return await S.get_view(session, code)
            except S.SurveyError:
                return None

    def closed_page(view: S.SurveyView) -> web.Response | None:
        status = view.survey.status
        if status == S.SurveyStatus.OPEN:
            return None
        key = "not_open" if status == S.SurveyStatus.DRAFT else "closed"
        return _message(view.survey.title, _H[key].format(title=view.survey.title))

    def with_cookie(request: web.Request, resp: web.Response, nonce: str, fresh: bool) -> web.Response:
        if fresh:
            resp.set_cookie(COOKIE, nonce, httponly=True, samesite="Lax", path="/s/", max_age=6 * 3600,
                            secure=secure_cookies(request, get_core().config))
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["X-Frame-Options"] = "DENY"
        return resp

    async def get_form(request: web.Request) -> web.Response:
        core = get_core()
        view = await load(request.match_info["code"])
        if view is None:
            return _message("问卷", _H["not_found"], 404)
        if (page := closed_page(view)) is not None:
            return page
        survey = view.survey
        token = request.query.get("t")
        person = S.person_from_token(survey, token)
        if person is not None:
            async with core.sessions() as session:
                if survey.one_per != "household" and await S.has_answered(session, survey, S.Respondent(person_id=person)):
                    return _message(survey.title, _H["already"].format(per=T.per_word(False)))
        grid = request.query.get("g") if (request.query.get("g") or "").isdigit() else None
        nonce = request.cookies.get(COOKIE) or ""
        fresh = len(nonce) < 16
        if fresh:
            nonce = secrets.token_urlsafe(18)
        csrf = S.form_token(survey, nonce, int(core.clock.now().timestamp()))
        page = render_form(view, csrf=csrf, token=token if person else None, grid=grid, person=person)
        return with_cookie(request, web.Response(text=page, content_type="text/html", charset="utf-8"), nonce, fresh)

    async def post_form(request: web.Request) -> web.Response:
        core = get_core()
        config = core.config
        now = core.clock.now()
        view = await load(request.match_info["code"])
        if view is None:
            return _message("问卷", _H["not_found"], 404)
        if (page := closed_page(view)) is not None:
            return page
        survey = view.survey
        if not posts.hit(request.remote or "?", now):
            return _message(survey.title, _H["too_many"], 429)
        form = await request.post()
        too_long = [k for k, most in FIELD_MAX.items() if len(str(form.get(k, ""))) > most]
        if too_long:
            return _message(survey.title, _H["too_long"].format(
                field=_H[too_long[0]], most=FIELD_MAX[too_long[0]]), 400)
        nonce = request.cookies.get(COOKIE)
        if not S.check_form_token(survey, nonce, str(form.get("csrf", "")), now):
            return _message(survey.title, _H["bad_form"], 403)
        token = str(form.get("t", "")) or None
        person = S.person_from_token(survey, token)
        grid_s = str(form.get("g", ""))
        grid = config.grid_by_number(int(grid_s)) if grid_s.isdigit() else None
        values: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in ("name", "building", "room")}
        answers: dict[int, Any] = {}
        for q in view.questions:
            key = f"q{q.number}"
            if q.kind == S.QuestionKind.MULTI:
                got = [str(v) for v in form.getall(key, [])]
                values[key] = got
                answers[q.number] = got or None
            else:
                got1 = str(form.get(key, "")).strip()
                values[key] = got1
                answers[q.number] = got1 or None
        errors: list[str] = []
        bad: set[int] = set()
        building = room = None
        if not person or survey.one_per == "household":
            if not person and not survey.anonymous and not values["name"]:
                errors.append(_H["need_name"])
            found = S.parse_household_fields(values["building"], values["room"])
            if found is None:
                errors.append(_H["need_household"])
            elif not S.known_building(config, found[0]):
                errors.append(_H["unknown_household"].format(building=found[0]))
            else:
                building, room = found
        respondent = S.Respondent(person_id=person, name=values["name"] or None, building=building, room=room,
                                  group=grid.group if grid else None)

        def again(status: int = 400) -> web.Response:
            csrf = S.form_token(survey, nonce or "", int(now.timestamp()))
            page = render_form(view, csrf=csrf, token=token if person else None,
                               grid=str(grid.number) if grid else None, person=person, values=values,
                               errors=errors, bad_questions=bad)
            return web.Response(text=page, content_type="text/html", charset="utf-8", status=status)

        if errors:
            return again()
        try:
            async with transaction(core.sessions) as session:
                result = await S.submit_response(session, now, config, survey.code, respondent, answers, channel="h5")
                if result.demands:
                    await S.suggest_needs(session, now, config, survey, respondent, result.demands)
        except S.SurveyError as exc:
            if exc.code == "invalid_answer":
                n = int(exc.details.get("question", 0))
                q = view.question(n)
                why = T.INVALID.get(str(exc.details.get("why")), T.INVALID["choice"]).format(**exc.details)
                if exc.details.get("why") == "required":
                    why = "请作答"
                errors.append(_H["question_error"].format(question=n, why=why))
                if q is not None:
                    bad.add(n)
                return again()
            if exc.code in ("need_household", "unknown_household"):
                errors.append(_H[exc.code].format(**exc.details))
                return again()
            if exc.code == "already_answered":
                return _message(survey.title, _H["already"].format(per=T.per_word(
                    survey.one_per == "household" or person is None)), 409)
            key = {"not_open": "not_open", "closed": "closed"}.get(exc.code, "closed")
            return _message(survey.title, _H[key].format(title=survey.title), 409)
        return _message(_H["thanks_title"], _H["thanks"].format(title=survey.title))

    app.router.add_get("/s/{code}", get_form)
    app.router.add_post("/s/{code}", post_form)
