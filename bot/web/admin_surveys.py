"""/inbox/surveys: the survey builder (服务直通车问卷) for staff.

A draft keeps the survey in the shape of the TOML file (models.surveys.SurveyDraft.data). Every POST of
the editor saves the whole form into it and then does what its button says (add or delete a question,
preview, publish), so the page works as plain forms on a phone, no script needed. Checking and publishing
call the TOML loader's own validator and load_survey (models.surveys.draft_spec / publish_draft): a
survey built here is stored and pushed exactly like one loaded with `gridbot survey load`, and its TOML
can be downloaded for version control.

Roles: admins and grid workers may draft, preview and export (workers know what their grid needs);
only admins publish and close, because publishing posts to the residents' groups."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.web import auth as A
from bot.web import pages
from bot.web.keys import CORE
from bot.web.pages import render
from kernel.recurrence import next_fire
from models import inbox as M
from models import pushes as P
from models import surveys as S
from models.db import transaction
from texts import survey_builder as X
from texts import surveys as TS

STAFF = frozenset({M.WebRole.ADMIN, M.WebRole.WORKER})
MAX_QUESTIONS = 50
MAX_ID = 2 ** 31 - 2          # a draft number beyond any integer column is simply not found
CHOICE_KINDS = ("single", "multi")
RULE_KINDS = ("single", "multi", "rating")
_LOOSE_RULE = re.compile(r"^\s*(?:(?:if|如果)\s*)?(?:q?(\d+)\s*)?(==|=|!=|in|has|contains|包含|<=|>=|<|>)\s*(.*?)\s*"
                         r"(?:then goto|goto|跳到|跳至)\s*(q?\d+|end|结束)\s*$", re.I)


# --------------------------------------------------------------------------- form ⇄ draft data

def _num(text: str) -> int | str:
    """Digits become an int; anything else stays text, so the validator names it."""
    text = text.strip()
    return int(text) if text.isdigit() else text


def _local_input(value: Any) -> str:
    """A stored time ("2026-12-10 10:00") as a datetime-local input value."""
    return str(value or "").strip().replace(" ", "T")[:16]


def _rules_of(data: dict[str, Any]) -> dict[int, list[dict[str, str]]]:
    """Skip rules per question number, from each question's `skip` and the file's top-level `logic`."""
    out: dict[int, list[dict[str, str]]] = {}
    found: list[tuple[int, str]] = []
    for i, q in enumerate(data.get("questions") or [], 1):
        skips = q.get("skip", []) if isinstance(q, dict) else []
        found += [(i, str(s)) for s in ([skips] if isinstance(skips, str) else skips)]
    found += [(0, str(s)) for s in data.get("logic", []) or []]
    for own, text in found:
        m = _LOOSE_RULE.match(text)
        if m is None:
            out.setdefault(own or 1, []).append({"op": "==", "values": text, "goto": "end"})
            continue
        source = int(m.group(1)) if m.group(1) else own
        op = {"=": "==", "contains": "has", "包含": "has"}.get(m.group(2).lower(), m.group(2).lower())
        target = m.group(4).lower()
        goto = "end" if target in ("end", "结束") else target.lstrip("q")
        out.setdefault(source or 1, []).append({"op": op, "values": m.group(3), "goto": goto})
    return out


def form_questions(form: Any) -> list[dict[str, Any]]:
    """The editor's questions as posted: [{type, text, options, required, rules: [{op, values, goto}]}]."""
    try:
        count = min(int(form.get("qcount", "0")), MAX_QUESTIONS)
    except ValueError:
        count = 0
    out = []
    for i in range(1, count + 1):
        kind = form.get(f"q{i}_type", "single")
        options = [line.strip() for line in form.get(f"q{i}_options", "").splitlines() if line.strip()]
        rules = []
        rows = str(form.get(f"q{i}_rules", "0"))
        for k in range(1, min(int(rows), 20) + 1 if rows.isdigit() else 1):
            values = form.get(f"q{i}_r{k}_values", "").strip()
            if values:                  # an empty row is the spare one (or a rule cleared to delete it)
                rules.append({"op": form.get(f"q{i}_r{k}_op", "=="), "values": values,
                              "goto": form.get(f"q{i}_r{k}_goto", "end")})
        out.append({"type": kind, "text": form.get(f"q{i}_text", "").strip(), "options": options,
                    "required": f"q{i}_required" in form, "rules": rules})
    return out


def delete_question(questions: list[dict[str, Any]], number: int) -> None:
    """Remove question `number`; jumps to later questions follow them, a jump to it goes to its successor."""
    del questions[number - 1]
    n = len(questions)
    for q in questions:
        kept = []
        for r in q["rules"]:
            if r["goto"].isdigit():
                g = int(r["goto"])
                g = g - 1 if g > number else g
                r = {**r, "goto": "end" if g > n else str(g)}
            kept.append(r)
        q["rules"] = kept


def questions_data(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for i, q in enumerate(questions, 1):
        item: dict[str, Any] = {"type": q["type"], "text": q["text"]}
        if q["type"] in CHOICE_KINDS or q["type"] not in S.KIND_ALIASES:
            item["options"] = q["options"]
        item["required"] = q["required"]
        skips = [f"if q{i} {r['op']} {r['values']} goto {'end' if r['goto'] == 'end' else 'q' + r['goto']}"
                 for r in q["rules"]]
        if skips:
            item["skip"] = skips
        out.append(item)
    return out


def form_data(form: Any, base: dict[str, Any], questions: list[dict[str, Any]]) -> dict[str, Any]:
    """The draft data from the posted editor, keeping keys of the file the form does not show (grace…)."""
    data = {k: v for k, v in base.items() if k not in ("logic",)}
    data["title"] = form.get("title", "").strip()
    data["intro"] = form.get("intro", "").strip()
    data["anonymous"] = "anonymous" in form
    data["one_per"] = form.get("one_per", "person")
    data["groups"] = [g for g in form.getall("groups", []) if isinstance(g, str)]
    sched = {k: v for k, v in (base.get("schedule") or {}).items()
             if k not in ("at", "cron", "skip_holidays", "workdays_only", "urgent")}
    mode = form.get("sched_mode", "now")
    if mode == "at":
        sched["at"] = form.get("sched_at", "").strip().replace("T", " ")
    elif mode == "cron":
        sched["cron"] = form.get("sched_cron", "").strip()
    sched["skip_holidays"] = "skip_holidays" in form
    if "workdays_only" in form:
        sched["workdays_only"] = True
    if "urgent" in form:
        sched["urgent"] = True
    data["schedule"] = sched
    close = {k: v for k, v in (base.get("close") or {}).items()
             if k not in ("at", "after", "after_days", "after_hours", "after_answers")}
    if days := form.get("close_days", "").strip():
        close["after_days"] = _num(days)
    if at := form.get("close_at", "").strip():
        close["at"] = at.replace("T", " ")
    if answers := form.get("close_answers", "").strip():
        close["after_answers"] = _num(answers)
    data["close"] = close
    remind = {key: form.get(f"remind_{key}", "").strip() for key in ("below", "times", "every_hours")}
    if any(remind.values()):
        kept = {k: v for k, v in (base.get("reminders") or {}).items() if k == "first_after_hours"}
        data["reminders"] = {**{k: _num(v) for k, v in remind.items() if v}, **kept}
    else:
        data.pop("reminders", None)
    data["questions"] = questions_data(questions)
    return data


def editor_view(data: dict[str, Any], config: Any) -> dict[str, Any]:
    """What the editor template shows for draft data."""
    rules = _rules_of(data)
    questions = []
    for i, q in enumerate(data.get("questions") or [], 1):
        q = q if isinstance(q, dict) else {}
        kind = str(S.KIND_ALIASES.get(str(q.get("type", q.get("kind", "single"))).lower(), "single"))
        options = q.get("options", [])
        questions.append({"n": i, "type": kind, "text": str(q.get("text", "")),
                          "options": "\n".join(map(str, options)) if isinstance(options, list) else str(options),
                          "required": bool(q.get("required", kind != "text")), "rules": rules.get(i, [])})
    try:
        chosen = S.resolve_groups(config, data.get("groups", []))
    except ValueError:
        chosen = []
    sched = data.get("schedule") or {}
    close = data.get("close") or {}
    remind = data.get("reminders") or {}
    return {
        "title": str(data.get("title", "")), "intro": str(data.get("intro", "")),
        "anonymous": bool(data.get("anonymous")), "one_per": data.get("one_per", "person"),
        "groups": [(g.group, f"网格{g.number}", g.group in chosen) for g in config.grids],
        "mode": "cron" if "cron" in sched else "at" if "at" in sched else "now",
        "sched_at": _local_input(sched.get("at")), "sched_cron": str(sched.get("cron", "")),
        "skip_holidays": bool(sched.get("skip_holidays", True)), "workdays_only": bool(sched.get("workdays_only")),
        "urgent": bool(sched.get("urgent")),
        "close_days": str(close.get("after_days", "")), "close_at": _local_input(close.get("at")),
        "close_answers": str(close.get("after_answers", "")),
        "remind_below": str(remind.get("below", "")), "remind_times": str(remind.get("times", "")),
        "remind_every_hours": str(remind.get("every_hours", "")),
        "questions": questions,
    }


def problems_by_field(exc: S.SurveyDefinitionError) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, message in exc.fields:
        out.setdefault(key, []).append(X.short_problem(key, message))
    return out


def describe_rule(rule: S.Rule, q: S.QuestionSpec) -> str:
    names = [q.options[v - 1] if q.kind != S.QuestionKind.RATING and v <= len(q.options) else f"{v}分"
             for v in rule.values]
    target = "结束问卷" if rule.goto == 0 else f"跳到第{rule.goto}题"
    return f"{X.OP_NAMES.get(rule.op, rule.op)} {'、'.join(names)} → {target}"


# --------------------------------------------------------------------------- pages

def message(request: web.Request, actor: A.WebActor, text: str, status: int) -> web.Response:
    return pages.message(request, actor, X.TITLE, text, status, page="surveys", tab="surveys",
                         back="/inbox/surveys", back_label="返回问卷列表", alert=True)


def forbidden(request: web.Request, actor: A.WebActor, text: str) -> web.StreamResponse:
    return message(request, actor, text, 403)



def guard(roles: frozenset[str]):  # type: ignore[no-untyped-def]
    return A.page(roles, forbidden=forbidden)


def is_admin(actor: A.WebActor) -> bool:
    return actor.role == M.WebRole.ADMIN


async def checked_form(request: web.Request, actor: A.WebActor) -> Any:
    form = await request.post()
    if not A.csrf_ok(request, actor, form):
        raise web.HTTPForbidden(text=X.CSRF_REFUSED)
    return form


def editor(request: web.Request, actor: A.WebActor, draft: S.SurveyDraft, *, status: int = 200,
           problems: dict[str, list[str]] | None = None, flash: str = "", error: str = "") -> web.Response:
    core = request.app[CORE]
    problems = problems or {}
    summary = [(X.field_name(k), m) for k, ms in problems.items() for m in ms]
    return render(request, actor, "surveys_edit.html", title=f"{X.EDIT_TITLE} · {X.TITLE}", page="surveys",
                  tab="surveys", status=status, draft=draft, f=editor_view(draft.data, core.config),
                  problems=problems, summary=summary, flash=flash, error=error, admin=is_admin(actor),
                  X=X, kinds=X.KIND_NAMES, ops=X.OP_NAMES, rule_kinds=RULE_KINDS)


async def load_draft(request: web.Request, draft_id: int) -> S.SurveyDraft | None:
    if draft_id > MAX_ID:
        return None
    async with request.app[CORE].reads() as session:
        try:
            return await S.get_draft(session, draft_id)
        except S.SurveyError:
            return None


@guard(STAFF)
async def list_page(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    core = request.app[CORE]
    tz = core.config.timezone
    rows = []
    async with core.reads() as session:
        totals = await S.response_totals(session)
        for s in reversed(await S.list_surveys(session)):
            sched = await S.schedule_of(session, s)
            counts = await S.group_counts(session, s)
            rows.append({"code": s.code, "title": s.title, "status": X.STATUS_NAMES.get(s.status, s.status),
                         "open": s.status in (S.SurveyStatus.DRAFT, S.SurveyStatus.OPEN),
                         "round": s.round, "answers": sum(counts.values()), "total": totals.get(s.id, 0),
                         "groups": TS.groups_label(s.groups),
                         "schedule": sched.label if sched else "", "push": sched.code if sched else "",
                         "next": TS.when_text(sched.next_slot, tz) if sched and sched.next_slot else ""})
        drafts = [{"id": d.id, "title": str(d.data.get("title") or "(未命名)"), "code": d.survey_code,
                   "by": d.created_by, "at": TS.when_text(d.updated_at, tz),
                   "questions": len(d.data.get("questions") or [])}
                  for d in await S.list_drafts(session)]
    q = request.query
    flash = ""
    if code := S.normalize_code(q.get("published", "")):
        row = next((r for r in rows if r["code"] == code), None)
        if row is not None:
            flash = X.PUBLISHED.format(code=code, title=row["title"], push=row["push"], label=row["schedule"],
                                       first=row["next"] or "—")
    elif code := S.normalize_code(q.get("closed", "")):
        flash = X.CLOSED.format(code=code)
    elif code := S.normalize_code(q.get("cancelled", "")):
        flash = X.CANCELLED.format(code=code)
    elif "deleted" in q:
        flash = X.DELETED
    return render(request, actor, "surveys.html", title=X.TITLE, page="surveys", tab="surveys",
                  surveys=rows, drafts=drafts, flash=flash, admin=is_admin(actor), X=X)


@guard(STAFF)
async def new_draft(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    await checked_form(request, actor)
    core = request.app[CORE]
    async with transaction(core.sessions) as session:
        draft = await S.save_draft(session, core.clock.now(), S.new_draft_data(), by=actor.username)
        draft_id = draft.id
    raise web.HTTPSeeOther(f"/inbox/surveys/drafts/{draft_id}")


@guard(STAFF)
async def edit_page(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    draft = await load_draft(request, int(request.match_info["id"]))
    if draft is None:
        return message(request, actor, X.NOT_FOUND, 404)
    return editor(request, actor, draft, flash=X.SAVED if "saved" in request.query else "")


@guard(STAFF)
async def edit_post(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    form = await checked_form(request, actor)
    core = request.app[CORE]
    now = core.clock.now()
    draft_id = min(int(request.match_info["id"]), MAX_ID + 1)
    action = str(form.get("action", "save"))
    async with transaction(core.sessions) as session:
        try:
            draft = await S.get_draft(session, draft_id)
        except S.SurveyError:
            return message(request, actor, X.NOT_FOUND, 404)
        questions = form_questions(form)
        error = ""
        if action == "add_question":
            if len(questions) >= MAX_QUESTIONS:
                error = X.TOO_MANY_QUESTIONS.format(n=MAX_QUESTIONS)
            else:
                kind = str(form.get("new_type", "single"))
                questions.append({"type": kind, "text": "", "options": [], "required": kind != "text",
                                  "rules": []})
        elif action.startswith("delete_") and action[7:].isdigit():
            if len(questions) <= 1:
                error = X.NEED_QUESTION
            elif 1 <= int(action[7:]) <= len(questions):
                delete_question(questions, int(action[7:]))
        draft = await S.save_draft(session, now, form_data(form, dict(draft.data), questions), by=actor.username,
                                   draft_id=draft_id)
        data = dict(draft.data)
    if action == "preview":
        raise web.HTTPSeeOther(f"/inbox/surveys/drafts/{draft_id}/preview")
    if action != "publish":
        if error:
            return editor(request, actor, draft, status=400, error=error)
        if action == "save":
            problems = {}
            try:
                S.draft_spec(data, core.config, now)
            except S.SurveyDefinitionError as exc:
                problems = problems_by_field(exc)
            return editor(request, actor, draft, problems=problems, flash=X.SAVED,
                          error=X.INVALID.format(n=sum(map(len, problems.values()))) if problems else "")
        anchor = f"#q{len(data['questions'])}" if action == "add_question" else ""
        raise web.HTTPSeeOther(f"/inbox/surveys/drafts/{draft_id}?saved=1{anchor}")
    return await publish(request, actor, draft)


async def publish(request: web.Request, actor: A.WebActor, draft: S.SurveyDraft) -> web.StreamResponse:
    """Publish the stored draft, as `gridbot survey load` would load its TOML."""
    if not is_admin(actor):
        return editor(request, actor, draft, status=403, error=X.ADMIN_ONLY)
    core = request.app[CORE]
    now = core.clock.now()
    try:
        async with transaction(core.sessions) as session:
            survey, _sched = await S.publish_draft(session, now, core.config, draft.id, by=actor.username)
            code = survey.code
    except S.SurveyDefinitionError as exc:
        problems = problems_by_field(exc)
        return editor(request, actor, draft, status=400, problems=problems,
                      error=X.INVALID.format(n=sum(map(len, problems.values()))))
    except S.SurveyError as exc:
        text = X.HAS_ANSWERS.format(**{"code": "", "count": 0, **exc.details}) if exc.code == "has_answers" \
            else X.NOT_FOUND
        return editor(request, actor, draft, status=409, error=text)
    except P.PushError:
        return editor(request, actor, draft, status=400, problems={"schedule": [X.NEVER_FIRES]},
                      error=X.INVALID.format(n=1))
    raise web.HTTPSeeOther(f"/inbox/surveys?published={quote(code)}")


@guard(STAFF)
async def publish_post(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    await checked_form(request, actor)
    draft = await load_draft(request, int(request.match_info["id"]))
    if draft is None:
        return message(request, actor, X.NOT_FOUND, 404)
    return await publish(request, actor, draft)


@guard(STAFF)
async def preview_page(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    core = request.app[CORE]
    draft = await load_draft(request, int(request.match_info["id"]))
    if draft is None:
        return message(request, actor, X.NOT_FOUND, 404)
    now = core.clock.now()
    tz = core.config.timezone
    data = dict(draft.data)
    if draft.survey_code:
        data["code"] = draft.survey_code
    try:
        spec = S.draft_spec(data, core.config, now)
    except S.SurveyDefinitionError as exc:
        problems = problems_by_field(exc)
        return editor(request, actor, draft, status=400, problems=problems,
                      error=X.INVALID.format(n=sum(map(len, problems.values()))))
    code = spec.code or "S?"
    first = next_fire(spec.when.cron, tz, now) if spec.when.cron else spec.when.once_at
    poll = spec.questions[0] if len(spec.questions) == 1 and spec.questions[0].kind in CHOICE_KINDS else None
    invitation = TS.invitation(code=code, title=spec.title, intro=spec.intro, questions=len(spec.questions),
                               poll_question=poll.text if poll else None,
                               poll_options=list(poll.options) if poll else None,
                               link=S.survey_link(S.base_url(core.config), code), bot=core.config.bot_name,
                               household=spec.one_per == "household", closes=None,
                               multi=bool(poll and poll.kind == S.QuestionKind.MULTI))
    questions = [{"n": q.number, "kind": X.KIND_NAMES.get(str(q.kind), str(q.kind)), "text": q.text,
                  "options": list(q.options), "required": q.required,
                  "rules": [describe_rule(r, q) for r in q.rules]} for q in spec.questions]
    close = ([f"{spec.close_after_minutes // 1440}天后截止" if spec.close_after_minutes and
              spec.close_after_minutes % 1440 == 0 else
              f"{spec.close_after_minutes}分钟后截止" if spec.close_after_minutes else ""] +
             ([f"{TS.when_text(spec.close_at, tz)} 截止"] if spec.close_at else []) +
             ([f"回收 {spec.max_answers} 份后截止"] if spec.max_answers else []))
    return render(request, actor, "surveys_preview.html", title=f"{X.PREVIEW_TITLE} · {X.TITLE}",
                  page="surveys", tab="surveys", draft=draft, spec=spec, questions=questions,
                  invitation=invitation, groups=TS.groups_label(spec.groups), when=spec.when.label,
                  first=TS.when_text(first, tz, now) if first else "", close="、".join(c for c in close if c),
                  one_per=X.ONE_PER_NAMES.get(spec.one_per, spec.one_per), admin=is_admin(actor), X=X)


def toml_response(text: str, name: str) -> web.Response:
    return web.Response(text=text, content_type="application/toml", charset="utf-8", headers={
        "Cache-Control": "no-store", "Content-Disposition": f'attachment; filename="{name}"'})


@guard(STAFF)
async def draft_toml(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    draft = await load_draft(request, int(request.match_info["id"]))
    if draft is None:
        return message(request, actor, X.NOT_FOUND, 404)
    data = {**draft.data, **({"code": draft.survey_code} if draft.survey_code else {})}
    return toml_response(S.survey_toml(data), f"survey-draft-{draft.id}.toml")


@guard(STAFF)
async def survey_toml(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    async with request.app[CORE].reads() as session:
        try:
            view = await S.get_view(session, request.match_info["code"])
        except S.SurveyError:
            return message(request, actor, X.NOT_FOUND, 404)
    return toml_response(S.survey_toml(S.survey_data(view.survey)), f"survey-{view.code}.toml")


@guard(STAFF)
async def delete_draft(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    await checked_form(request, actor)
    core = request.app[CORE]
    async with transaction(core.sessions) as session:
        try:
            await S.delete_draft(session, min(int(request.match_info["id"]), MAX_ID + 1))
        except S.SurveyError:
            return message(request, actor, X.NOT_FOUND, 404)
    raise web.HTTPSeeOther("/inbox/surveys?deleted=1")


@guard(STAFF)
async def edit_survey(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    await checked_form(request, actor)
    core = request.app[CORE]
    try:
        async with transaction(core.sessions) as session:
            draft = await S.edit_survey(session, core.clock.now(), request.match_info["code"], by=actor.username)
            draft_id = draft.id
    except S.SurveyError as exc:
        if exc.code == "has_answers":
            return message(request, actor, X.HAS_ANSWERS.format(**exc.details), 409)
        return message(request, actor, X.NOT_FOUND, 404)
    raise web.HTTPSeeOther(f"/inbox/surveys/drafts/{draft_id}")


@guard(frozenset({M.WebRole.ADMIN}))
async def close_survey(request: web.Request, actor: A.WebActor) -> web.StreamResponse:
    await checked_form(request, actor)
    core = request.app[CORE]
    code = request.match_info["code"]
    try:
        async with transaction(core.sessions) as session:
            outcome = await S.close_by_staff(session, core.clock.now(), code)
    except S.SurveyError as exc:
        text = X.ALREADY_CLOSED.format(code=code) if exc.code == "closed" else X.NOT_FOUND
        return message(request, actor, text, 409 if exc.code == "closed" else 404)
    raise web.HTTPSeeOther(f"/inbox/surveys?{outcome}={quote(code)}")


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/inbox/surveys", list_page)
    app.router.add_post("/inbox/surveys/new", new_draft)
    app.router.add_get(r"/inbox/surveys/drafts/{id:\d+}", edit_page)
    app.router.add_post(r"/inbox/surveys/drafts/{id:\d+}", edit_post)
    app.router.add_get(r"/inbox/surveys/drafts/{id:\d+}/preview", preview_page)
    app.router.add_post(r"/inbox/surveys/drafts/{id:\d+}/publish", publish_post)
    app.router.add_get(r"/inbox/surveys/drafts/{id:\d+}.toml", draft_toml)
    app.router.add_post(r"/inbox/surveys/drafts/{id:\d+}/delete", delete_draft)
    app.router.add_get(r"/inbox/surveys/{code:S\d{1,4}}.toml", survey_toml)
    app.router.add_post(r"/inbox/surveys/{code:S\d{1,4}}/edit", edit_survey)
    app.router.add_post(r"/inbox/surveys/{code:S\d{1,4}}/close", close_survey)
