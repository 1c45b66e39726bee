"""The H5 survey page: GET /s/{code} renders a plain mobile form, POST /s/{code} saves the answer through
models.surveys.submit_response — the same operation as the chat walk-through.

No CDN, no JS: HTML with a little inline CSS (templates/h5_base.html); skip logic is written next to
the question and applied again by the server (answers off the path are dropped). Who answers: a personal link (?t=…, given in
the private chat) counts for that person; the group link (?g=N) asks for a name and building/room, one
answer per household. CSRF: a random nonce in a SameSite=Lax cookie, and in the form a hidden field
signed with the survey's secret over that nonce and the time it was issued — a cross-site POST has
neither the cookie nor a valid signature.

Pages: templates/h5_form.html and h5_message.html on their own layout h5_base.html (residents, not staff).
Mounted by bot/web/app.py: `setup_routes(app)`, reading the core from `app[CORE]`.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.web import pages
from bot.web.auth import secure_cookies
from bot.web.keys import CORE
from bot.web.throttle import RateLimit
from texts import surveys as T
from models import surveys as S
from models.db import transaction

COOKIE = "gb_s"
FIELD_MAX = {"name": 20, "building": 16, "room": 16}   # as the form's maxlength; the columns are wider
POSTS_PER_WINDOW, POST_WINDOW = 20, timedelta(minutes=10)   # answers from one address (a family, a 4G NAT)
_H = T.H5
POSTS = web.AppKey("survey_posts", RateLimit)     # answers per address, for this app


def _message(request: web.Request, title: str, text: str, status: int = 200) -> web.Response:
    return aiohttp_jinja2.render_template("h5_message.html", request, {"title": title, "message": text},
                                          status=status)


def _skip_note(q: Any) -> str:
    notes = []
    for r in q.rules:
        vals = "、".join(str(v) for v in r["values"])
        target = "结束问卷" if r["goto"] == 0 else f"请直接跳到第{r['goto']}题"
        cond = {"==": f"选{vals}", "in": f"选{vals}", "has": f"选了{vals}", "!=": f"没选{vals}",
                "<=": f"打分≤{vals}", ">=": f"打分≥{vals}", "<": f"打分<{vals}", ">": f"打分>{vals}"}[r["op"]]
        notes.append(f"若{cond},{target}")
    return ";".join(notes)


def form_view(view: S.SurveyView, *, csrf: str, token: str | None, grid: str | None, person: str | None,
              values: dict[str, Any] | None = None, errors: list[str] | None = None,
              bad_questions: set[int] | None = None) -> dict[str, Any]:
    """The values of h5_form.html: who is asked for a name and a household, and each question with
    what was chosen (a form shown again after an error keeps the answers)."""
    s = view.survey
    values = values or {}
    bad_questions = bad_questions or set()
    questions = []
    for q in view.questions:
        name = f"q{q.number}"
        chosen = values.get(name)
        chosen_list = [str(c) for c in (chosen if isinstance(chosen, list) else [chosen] if chosen else [])]
        hint = {"multi": _H["multi_hint"], "rating": _H["rating_hint"]}.get(q.kind, "")
        if not q.required:
            hint += _H["skip_hint"]
        choice = q.kind in (S.QuestionKind.SINGLE, S.QuestionKind.MULTI)
        questions.append({
            "name": name, "number": q.number, "text": q.text, "hint": hint, "bad": q.number in bad_questions,
            "input": "checkbox" if q.kind == S.QuestionKind.MULTI else "radio",
            "choices": [(str(i), opt) for i, opt in enumerate(q.options, 1)] if choice else [],
            "ratings": ([str(i) for i in range(1, S.RATING_MAX + 1)] if q.kind == S.QuestionKind.RATING else []),
            "chosen": chosen_list, "text_value": str(chosen or ""), "skip": _skip_note(q)})
    return {"title": s.title, "intro": s.intro, "code": s.code, "csrf": csrf, "token": token, "grid": grid,
            "person": person, "h": _H, "errors": errors or [], "values": values,
            "note": _H["household_note"] if s.one_per == "household" else _H["person_note"],
            "ask_household": not person or s.one_per == "household",
            "ask_name": not person and not s.anonymous, "questions": questions, "text_max": S.TEXT_MAX}


def _form(request: web.Request, context: dict[str, Any], status: int = 200) -> web.Response:
    return aiohttp_jinja2.render_template("h5_form.html", request, context, status=status)


async def load(core: Any, code: str) -> S.SurveyView | None:
    async with core.reads() as session:
        try:
            return await S.get_view(session, code)
        except S.SurveyError:
            return None


def closed_page(request: web.Request, view: S.SurveyView) -> web.Response | None:
    status = view.survey.status
    if status == S.SurveyStatus.OPEN:
        return None
    key = "not_open" if status == S.SurveyStatus.DRAFT else "closed"
    return _message(request, view.survey.title, _H[key].format(title=view.survey.title))


def with_cookie(request: web.Request, resp: web.Response, nonce: str, fresh: bool) -> web.Response:
    if fresh:
        resp.set_cookie(COOKIE, nonce, httponly=True, samesite="Lax", path="/s/", max_age=6 * 3600,
                        secure=secure_cookies(request, request.app[CORE].config))
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Frame-Options"] = "DENY"
    return resp


async def get_form(request: web.Request) -> web.Response:
    core = request.app[CORE]
    view = await load(core, request.match_info["code"])
    if view is None:
        return _message(request, "问卷", _H["not_found"], 404)
    if (page := closed_page(request, view)) is not None:
        return page
    survey = view.survey
    token = request.query.get("t")
    person = S.person_from_token(survey, token)
    if person is not None:
        async with core.reads() as session:
            if survey.one_per != "household" and await S.has_answered(session, survey, S.Respondent(person_id=person)):
                return _message(request, survey.title, _H["already"].format(per=T.per_word(False)))
    grid = request.query.get("g") if (request.query.get("g") or "").isdigit() else None
    nonce = request.cookies.get(COOKIE) or ""
    fresh = len(nonce) < 16
    if fresh:
        nonce = secrets.token_urlsafe(18)
    csrf = S.form_token(survey, nonce, int(core.clock.now().timestamp()))
    page = _form(request, form_view(view, csrf=csrf, token=token if person else None, grid=grid, person=person))
    return with_cookie(request, page, nonce, fresh)


async def post_form(request: web.Request) -> web.Response:
    core = request.app[CORE]
    config = core.config
    now = core.clock.now()
    view = await load(core, request.match_info["code"])
    if view is None:
        return _message(request, "问卷", _H["not_found"], 404)
    if (page := closed_page(request, view)) is not None:
        return page
    survey = view.survey
    if not request.app[POSTS].hit(request.remote or "?", now):
        return _message(request, survey.title, _H["too_many"], 429)
    form = await request.post()
    too_long = [k for k, most in FIELD_MAX.items() if len(str(form.get(k, ""))) > most]
    if too_long:
        return _message(request, survey.title, _H["too_long"].format(
            field=_H[too_long[0]], most=FIELD_MAX[too_long[0]]), 400)
    nonce = request.cookies.get(COOKIE)
    if not S.check_form_token(survey, nonce, str(form.get("csrf", "")), now):
        return _message(request, survey.title, _H["bad_form"], 403)
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
        return _form(request, form_view(view, csrf=csrf, token=token if person else None,
                                        grid=str(grid.number) if grid else None, person=person, values=values,
                                        errors=errors, bad_questions=bad), status)

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
            return _message(request, survey.title, _H["already"].format(per=T.per_word(
                survey.one_per == "household" or person is None)), 409)
        key = {"not_open": "not_open", "closed": "closed"}.get(exc.code, "closed")
        return _message(request, survey.title, _H[key].format(title=survey.title), 409)
    return _message(request, _H["thanks_title"], _H["thanks"].format(title=survey.title))


def setup_routes(app: web.Application) -> None:
    """Mount GET/POST /s/{code}; the core is `app[CORE]`. The pages' templates are set up if the app
    has none yet (a bare app, as in the tests)."""
    pages.setup(app)
    app[POSTS] = RateLimit(POSTS_PER_WINDOW, POST_WINDOW)
    app.router.add_get("/s/{code}", get_form)
    app.router.add_post("/s/{code}", post_form)
