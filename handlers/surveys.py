"""Surveys and scheduled pushes in chat (服务直通车).

Residents: 「问卷 S1」/「填问卷」 privately walks through the questions one at a time (answers by number:
"1", "1 3", "1,3", "13"; 「跳过」「返回」「退出」); 「投票 2」 answers a single-question poll right in the
group. Staff: 定时通知 / 推送列表 / 暂停推送 / 恢复推送 / 立即推送 / 取消推送 / 问卷列表 / 问卷结果 / 结束问卷.
The rules (one answer per person or household, skip logic, windows) are in models/surveys.py."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from kernel.calendar_cn import DayRule, calendar_for
from kernel.identity import STAFF, Role
from kernel.text.normalize import clip
from texts import surveys as T
from handlers.base import PASS, Context, Router, Stage, View, command_matcher
from models import pushes as P
from models import surveys as S
from models.conversation import PRIVATE_SCOPE
from notices.surveys import results_message

router = Router("surveys")

STATE_KIND = "survey"
ORIGIN_KIND = "survey_origin"
_QUIT = {"退出", "取消", "不填了", "结束", "算了", "退出问卷"}
_SKIP = {"跳过", "略过", "不知道", "跳过这题", "下一题"}
_BACK = {"返回", "上一题", "回上一题", "后退"}


# --------------------------------------------------------------------------- answer parsing (chat)

_CIRCLED = {chr(0x2460 + i): str(i + 1) for i in range(20)}
_STRIP_WORDS = re.compile(r"^(?:我选|选择|选|第)|(?:个|项|号|分|星|选项)$")
_SEP = re.compile(r"[\s,，、;；/和及与+]+")


def _num(token: str) -> int | None:
    from kernel.text.numbers import cn_to_int

    token = _STRIP_WORDS.sub("", token)
    token = _STRIP_WORDS.sub("", token)
    if not token:
        return None
    try:
        return cn_to_int(token)
    except ValueError:
        return None


def parse_choices(text: str, options: list[str]) -> list[int] | None:
    """"1" "1 3" "1,3" "1、3" "13" "①③" "一和三" "选2" or an option's own words → option numbers."""
    t = "".join(_CIRCLED.get(ch, ch) for ch in text.strip())
    if not t:
        return None
    for i, opt in enumerate(options, 1):           # the option's words themselves
        if t == opt or (len(t) >= 2 and t in opt and sum(t in o for o in options) == 1):
            return [i]
    tokens = [x for x in _SEP.split(t) if x]
    nums: list[int] = []
    for tok in tokens:
        if tok.isdigit() and len(tok) > 1 and len(options) < 10 and int(tok) > len(options):
            nums += [int(c) for c in tok]          # "13" with 3 options means 1 and 3
            continue
        n = _num(tok)
        if n is None:
            return None
        nums.append(n)
    return nums or None


def parse_rating(text: str) -> int | None:
    t = text.strip()
    if t and set(t) <= {"★", "⭐", "☆"}:
        return t.count("★") + t.count("⭐")
    if t in ("满分", "非常满意"):
        return 5
    return _num(t.replace("分", "").replace("星", ""))


def parse_answer(q: Any, text: str) -> tuple[Any, str | None]:
    """(value, error wording) for one chat reply to a question."""
    if q.kind in (S.QuestionKind.SINGLE, S.QuestionKind.MULTI):
        value = parse_choices(text, list(q.options))
        if value is None:
            return None, T.INVALID["choice"]
    elif q.kind == S.QuestionKind.RATING:
        value = parse_rating(text)
        if value is None:
            return None, T.INVALID["rating"]
    else:
        value = text.strip()
        if not value:
            return None, T.INVALID["empty"]
    try:
        return S.check_value(q, value), None
    except S.SurveyError as exc:
        return None, invalid_text(exc)


def invalid_text(exc: S.SurveyError) -> str:
    why = exc.details.get("why", "choice")
    return T.INVALID.get(why, T.INVALID["choice"]).format(**exc.details)


def error_text(exc: S.SurveyError, *, household: bool = False, when: str = "") -> str:
    if exc.code == "invalid_answer":
        return invalid_text(exc)
    template = T.ERRORS.get(exc.code, T.ERRORS["not_found"])
    return template.format(per=T.per_word(household), when=when, **{"code": "", "count": 0, **exc.details})


# --------------------------------------------------------------------------- matchers

def _private_any(view: View) -> bool | None:
    return True if view.is_private and view.text else None


# --------------------------------------------------------------------------- staff: pushes

def _push_id(ctx: Context, args: str, cmd: str) -> int | None:
    return P.parse_push_id(args.split()[0]) if args.split() else None


async def _push_error(ctx: Context, exc: P.PushError) -> None:
    status = T.FINISHED_WORD.get(str(exc.details.get("status", "")), "结束")
    await ctx.reply(T.PUSH_ERRORS.get(exc.code, exc.code).format(**{**exc.details, "status": status}))


def _next_text(ctx: Context, sched: P.PushSchedule) -> str:
    if sched.next_slot is None:
        return "无"
    tz = ctx.config.timezone
    due, why = calendar_for(ctx.config).next_allowed(sched.next_slot, tz, ctx.config.quiet_hours, sched.day_rule) \
        if not sched.urgent else (sched.next_slot, None)
    text = T.when_text(due, tz, ctx.now)
    if why:
        text += f"(原定 {T.when_text(sched.next_slot, tz)},{why}顺延)"
    return text


@router.command("推送列表", "定时推送", "推送清单", "定时通知列表", stage=Stage.STAFF_COMMAND, roles=STAFF,
                private=True)   # lists the staff group's notices too: never read out in a resident group
async def list_pushes(ctx: Context, _args: str) -> None:
    # upcoming ones, and those finished in the last 3 days (their ID is still useful: 立即推送 to re-post)
    schedules = [s for s in await P.list_schedules(ctx.session, include_finished=True)
                 if s.status in (P.ScheduleStatus.ACTIVE, P.ScheduleStatus.PAUSED)
                 or ctx.now - s.updated_at < timedelta(days=3)]
    if not schedules:
        await ctx.reply(T.LIST_EMPTY)
        return
    tz = ctx.config.timezone
    lines = [T.LIST_HEAD.format(n=len(schedules))]
    for s in schedules[:30]:
        kind = T.KIND_LABEL.get(s.kind, s.kind)
        what = f"{s.survey_code} {s.title}" if s.kind == P.PushKind.SURVEY else s.title
        if s.kind == P.PushKind.NOTICE and s.text:
            what = f"「{T._short(s.text, 24)}」"
        flags = (" 紧急" if s.urgent else "") + T.STATUS_LABEL.get(s.status, "")
        lines.append(f"{s.code} {kind} {what} · {s.label} · 下次 {_next_text(ctx, s)} · {T.groups_label(s.groups)}{flags}")
    if len(schedules) > 30:
        lines.append(f"…另有 {len(schedules) - 30} 项")
    waiting = [r for r in await P.pending_runs(ctx.session) if r.due_at > ctx.now and r.reason]
    for r in waiting[:5]:
        lines.append(T.LIST_PENDING.format(code=f"P{r.schedule_id}", title=r.schedule.title,
                                           slot=T.when_text(r.slot, tz), due=T.when_text(r.due_at, tz), why=r.reason))
    await ctx.reply("\n".join(lines))


async def _with_push(ctx: Context, args: str, cmd: str) -> int | None:
    push_id = _push_id(ctx, args, cmd)
    if push_id is None:
        await ctx.reply(T.PUSH_ID_USAGE.format(cmd=cmd))
    return push_id


@router.command("暂停推送", stage=Stage.STAFF_COMMAND, roles=STAFF)
async def pause_push(ctx: Context, args: str) -> None:
    if (push_id := await _with_push(ctx, args, "暂停推送")) is None:
        return
    try:
        sched = await P.pause(ctx.session, ctx.now, push_id)
    except P.PushError as exc:
        await _push_error(ctx, exc)
        return
    await ctx.reply(T.PAUSED.format(code=sched.code, title=sched.title))


@router.command("恢复推送", stage=Stage.STAFF_COMMAND, roles=STAFF)
async def resume_push(ctx: Context, args: str) -> None:
    if (push_id := await _with_push(ctx, args, "恢复推送")) is None:
        return
    try:
        sched = await P.resume(ctx.session, ctx.now, push_id, ctx.config.timezone)
    except P.PushError as exc:
        await _push_error(ctx, exc)
        return
    await ctx.reply(T.RESUMED.format(code=sched.code, title=sched.title, next=_next_text(ctx, sched)))


@router.command("取消推送", "删除推送", stage=Stage.STAFF_COMMAND, roles=STAFF)
async def cancel_push(ctx: Context, args: str) -> None:
    if (push_id := await _with_push(ctx, args, "取消推送")) is None:
        return
    try:
        sched = await P.cancel(ctx.session, ctx.now, push_id)
    except P.PushError as exc:
        await _push_error(ctx, exc)
        return
    await ctx.reply(T.CANCELLED.format(code=sched.code, title=sched.title))


@router.command("立即推送", "马上推送", stage=Stage.STAFF_COMMAND, roles=STAFF)
async def push_now(ctx: Context, args: str) -> None:
    if (push_id := await _with_push(ctx, args, "立即推送")) is None:
        return
    urgent = "紧急" in args
    try:
        run = await P.send_now(ctx.session, ctx.now, push_id, urgent=urgent)
    except P.PushError as exc:
        await _push_error(ctx, exc)
        return
    sched = run.schedule if run.schedule is not None else await P.get_schedule(ctx.session, push_id)
    if not run.urgent:
        tz = ctx.config.timezone
        due, why = calendar_for(ctx.config).next_allowed(ctx.now, tz, ctx.config.quiet_hours, sched.day_rule)
        if due > ctx.now:
            await ctx.reply(T.SEND_NOW_DEFERRED.format(why=why, code=sched.code, when=T.when_text(due, tz, ctx.now)))
            return
    await ctx.reply(T.SEND_NOW.format(code=sched.code, title=sched.title, groups=T.groups_label(sched.groups)))


# --------------------------------------------------------------------------- staff: 定时通知

_GROUP_RE = re.compile(r"(?:^|\s)群\s*[::]?\s*(\S+)")


def _answer_timeout(ctx: Context) -> timedelta:
    """How long a survey answered in chat waits for the next answer ([surveys] answer_timeout_minutes)."""
    return timedelta(minutes=ctx.config.surveys.answer_timeout_minutes)


def _split_recurrence(text: str) -> tuple[P.When, str] | None:
    tokens = text.split()
    for k in (3, 2, 1):
        if len(tokens) < k:
            continue
        try:
            when = P.parse_recurrence(" ".join(tokens[:k]))
        except P.WhenError:
            when = None
        if when is not None:
            return when, " ".join(tokens[k:])
    m = re.match(r"^(每[^\s]{1,12}?\d{1,2}[:点]\d{0,2}分?|每[^\s]{1,12}?\d{1,2}点半?)(.*)$", text)
    if m:
        try:
            when = P.parse_recurrence(m.group(1))
        except P.WhenError:
            when = None
        if when is not None:
            return when, m.group(2).strip()
    return None


def parse_notice(text: str, ctx_now: Any, tz: Any) -> dict[str, Any]:
    """定时通知 <时间> [群 <网格1,网格2|全部>] [紧急] [节假日照发] <内容> → parts, or {"error": …}."""
    from kernel.text.timeparse import parse_point

    flags = {"urgent": False, "any_day": False}
    for word, flag in (("紧急", "urgent"), ("节假日照发", "any_day"), ("节假日也发", "any_day")):
        if re.search(rf"(?:^|\s){word}(?:\s|$)", text):
            flags[flag] = True
            text = re.sub(rf"(?:^|\s){word}(?=\s|$)", " ", text).strip()
    groups_spec: str | None = None
    m = _GROUP_RE.search(text)
    if m:
        head, groups_spec, content = text[:m.start()].strip(), m.group(1), text[m.end():].strip()
    else:
        head, content = text, ""
    head_and_content = head if m else text
    when: P.When | None = None
    rec = _split_recurrence(head_and_content)
    if rec is not None:
        when, rest = rec
        if not m:
            content = rest
        elif rest:
            return {"error": "time", "text": head}
    else:
        reading = parse_point(head_and_content, ctx_now, tz)
        if not reading.ok or reading.vague or not head_and_content.startswith(reading.matched):
            return {"error": "time", "text": head_and_content.split()[0] if head_and_content.split() else ""}
        rest = head_and_content[len(reading.matched):].strip()
        if m and rest:
            return {"error": "time", "text": head}
        if not m:
            content = rest
        start = reading.start
        assert start is not None
        when = P.When(T.when_text(start, tz), once_at=start.astimezone(tz))
    content = re.sub(r"^(?:内容\s*[::]?\s*)", "", content).strip()
    return {"when": when, "groups": groups_spec, "content": content, **flags}


@router.command("定时通知", "定时推送通知", "预约通知", stage=Stage.STAFF_COMMAND, roles=STAFF)
async def schedule_notice(ctx: Context, args: str) -> None:
    if not args:
        await ctx.reply(T.NOTICE_USAGE)
        return
    tz = ctx.config.timezone
    try:
        parts = parse_notice(args, ctx.now, tz)
    except P.WhenError:
        parts = {"error": "time", "text": args.split()[0]}
    if parts.get("error"):
        await ctx.reply(T.NOTICE_NO_TIME.format(text=clip(parts["text"], 40)))
        return
    if not parts["content"]:
        await ctx.reply(T.NOTICE_NO_TEXT)
        return
    try:
        groups = S.resolve_groups(ctx.config, parts["groups"]) if parts["groups"] else []
    except ValueError as exc:
        await ctx.reply(T.NOTICE_BAD_GROUP.format(name=str(exc)))
        return
    when: P.When = parts["when"]
    day_rule = DayRule.ANY if parts["any_day"] else DayRule.SKIP_HOLIDAYS
    try:
        sched = await P.create_schedule(ctx.session, ctx.now, tz, kind=P.PushKind.NOTICE, title=parts["content"][:30],
                                        text=parts["content"], when=when, created_by=ctx.sender.id, groups=groups,
                                        day_rule=day_rule, urgent=parts["urgent"])
    except P.PushError as exc:
        if exc.code == "in_past":
            await ctx.reply(T.NOTICE_IN_PAST.format(when=when.label))
        else:
            await _push_error(ctx, exc)
        return
    moved = ""
    if not sched.urgent and sched.next_slot is not None:
        due, why = calendar_for(ctx.config).next_allowed(sched.next_slot, tz, ctx.config.quiet_hours, sched.day_rule)
        if why:
            moved = T.MOVED_NOTE.format(why=f"在{why}" if why == "免打扰时段" else f"是{why}", when=T.when_text(due, tz, ctx.now))
    await ctx.reply(T.NOTICE_CREATED.format(code=sched.code, label=when.label,
                                            next=T.when_text(sched.next_slot, tz, ctx.now),
                                            groups=T.groups_label(groups), text=clip(parts["content"], 120), moved=moved))


# --------------------------------------------------------------------------- staff: surveys

@router.command("问卷列表", "问卷清单", stage=Stage.STAFF_COMMAND, roles=STAFF)
async def list_surveys(ctx: Context, _args: str) -> None:
    surveys = await S.list_surveys(ctx.session)
    if not surveys:
        await ctx.reply(T.SURVEY_LIST_EMPTY)
        return
    lines = []
    for s in surveys[-20:]:
        counts = await S.group_counts(ctx.session, s)
        status = T.STATUS_WORD.get(s.status, s.status)
        rnd = f" 第{s.round}期" if s.round > 1 else ""
        lines.append(f"{s.code} {s.title} · {status}{rnd} · 已回收 {sum(counts.values())} 份")
    await ctx.reply("\n".join(lines))


_RESULTS = command_matcher("问卷结果", "问卷统计")
# The code first, as staff type it: "S1问卷结果", "s1 结果", "问卷S1结果怎么样"
_RESULTS_CODE_FIRST = re.compile(r"^(?:问卷)?\s*([Ss]\s*\d+)\s*(?:问卷|的)?\s*(?:结果|统计)(?:怎么样|如何|呢)?[\s??。]*$")


def _results_matcher(view: View) -> str | None:
    rest = _RESULTS(view)
    if rest is None and view.sender.role != Role.RESIDENT and (m := _RESULTS_CODE_FIRST.match(view.text)):
        rest = m.group(1).replace(" ", "")
    return rest


# private: the answers (free text included) are residents' words — never read out in a resident group
@router.route(Stage.STAFF_COMMAND, _results_matcher, roles=STAFF, private=True)
async def survey_results(ctx: Context, args: str) -> None:
    code = S.normalize_code(args.split()[0]) if args.split() else None
    if code is None:
        await ctx.reply("请写上问卷编号,例如「问卷结果 S1」。")
        return
    try:
        view = await S.get_view(ctx.session, code)
    except S.SurveyError as exc:
        await ctx.reply(error_text(exc))
        return
    if view.survey.round == 0:
        await ctx.reply(T.SURVEY_RESULTS_NONE.format(code=code))
        return
    res = await S.results(ctx.session, ctx.config, code)
    sched = await S.schedule_of(ctx.session, view.survey)
    await ctx.reply(results_message(res, recurring=bool(sched and sched.cron),
                                    final=view.survey.status != S.SurveyStatus.OPEN, tz=ctx.config.timezone))


@router.command("结束问卷", "关闭问卷", stage=Stage.STAFF_COMMAND, roles=STAFF)
async def close_survey(ctx: Context, args: str) -> None:
    code = S.normalize_code(args.split()[0]) if args.split() else None
    if code is None:
        await ctx.reply("请写上问卷编号,例如「结束问卷 S1」。")
        return
    try:
        view = await S.get_view(ctx.session, code, lock=True)
    except S.SurveyError as exc:
        await ctx.reply(error_text(exc))
        return
    if view.survey.status != S.SurveyStatus.OPEN:
        await ctx.reply(T.SURVEY_NOT_OPEN_STAFF.format(code=code, status=T.STATUS_WORD.get(view.survey.status,
                                                                                           view.survey.status)))
        return
    await S.close_survey(ctx.session, ctx.now, view.survey)
    await ctx.reply(T.SURVEY_CLOSED_BY_STAFF.format(code=code))


# --------------------------------------------------------------------------- residents: start a survey

async def _not_open_when(ctx: Context, survey: S.Survey) -> str:
    sched = await S.schedule_of(ctx.session, survey)
    if sched is None or sched.next_slot is None:
        return ""
    return f"(预计 {T.when_text(sched.next_slot, ctx.config.timezone, ctx.now)} 发布)"


async def _pick_survey(ctx: Context, args: str) -> S.SurveyView | None:
    """The survey a resident means (a code, or the only open one); replies and returns None otherwise."""
    code = S.normalize_code(args.split()[0]) if args.split() else None
    if code is None:
        group = None if ctx.view.is_private else ctx.view.scope
        open_ = await S.open_surveys_for(ctx.session, ctx.config, group)
        if not open_:
            await ctx.reply(T.NO_OPEN_SURVEY)
            return None
        if len(open_) > 1:
            await ctx.reply(T.WHICH_SURVEY.format(items="\n".join(f"问卷 {s.code} {s.title}" for s in open_)))
            return None
        code = open_[0].code
    try:
        view = await S.get_view(ctx.session, code)
    except S.SurveyError as exc:
        await ctx.reply(error_text(exc))
        return None
    if view.survey.status != S.SurveyStatus.OPEN:
        code_ = "not_open" if view.survey.status == S.SurveyStatus.DRAFT else (
            "cancelled" if view.survey.status == S.SurveyStatus.CANCELLED else "closed")
        await ctx.reply(error_text(S.SurveyError(code_, code=view.code), when=await _not_open_when(ctx, view.survey)))
        return None
    return view


@router.command("问卷", "填问卷", "填写问卷", "参加问卷", "做问卷")
async def start_survey(ctx: Context, args: str) -> None:
    view = await _pick_survey(ctx, args)
    if view is None:
        return
    survey = view.survey
    base = S.base_url(ctx.config)
    if not ctx.view.is_private:
        # In a group: how to answer, with this group's link; remember the group for the private chat.
        grid = ctx.grid
        link = S.survey_link(base, survey.code, grid=grid.number if grid else None)
        await ctx.ask(ORIGIN_KIND, {"code": survey.code, "group": ctx.view.scope}, ttl=timedelta(days=1),
                      scope=PRIVATE_SCOPE)
        await ctx.reply(T.GROUP_START.format(bot=ctx.config.bot_name, code=survey.code, link=link))
        return
    household = survey.one_per == "household"
    if not household and await S.has_answered(ctx.session, survey, S.Respondent(person_id=ctx.sender.id)):
        await ctx.reply(error_text(S.SurveyError("already_answered"), household=False))
        return
    origin = await ctx.pending(ORIGIN_KIND)
    group = origin.data.get("group") if origin is not None and origin.data.get("code") == survey.code else None
    state: dict[str, Any] = {"code": survey.code, "round": survey.round, "stage": "household" if household else "q",
                             "q": 1, "answers": {}, "stack": [], "group": group}
    link = S.survey_link(base, survey.code, token=S.person_token(survey, ctx.sender.id))
    intro = T.survey_start(title=survey.title, intro=survey.intro, questions=len(view.questions),
                           household=household, link=link)
    await ctx.ask(STATE_KIND, state, ttl=_answer_timeout(ctx), replaces=[ORIGIN_KIND])
    if household:
        await ctx.reply(intro)
    else:
        await ctx.reply(intro + "\n\n" + _prompt(view, 1))


def _prompt(view: S.SurveyView, number: int) -> str:
    q = view.question(number)
    assert q is not None
    return T.question_prompt(number=number, total=len(view.questions), kind=q.kind, text=q.text,
                             options=list(q.options), required=q.required)


# --------------------------------------------------------------------------- residents: the walk-through

@router.answer(STATE_KIND, match=_private_any, label=T.QUESTION_SURVEY)
async def survey_answer(ctx: Context, _args: object) -> object:
    state = ctx.question
    assert state is not None
    data = dict(state.data)
    text = ctx.text.strip()
    code = data["code"]
    if text in _QUIT:
        await ctx.answered()
        await ctx.reply(T.QUIT.format(code=code))
        return None
    try:
        view = await S.get_view(ctx.session, code)
    except S.SurveyError:
        await ctx.answered()
        return PASS
    survey = view.survey
    if survey.status != S.SurveyStatus.OPEN or survey.round != data["round"]:
        await ctx.answered()
        await ctx.reply(error_text(S.SurveyError("closed", code=code)))
        return None

    if data["stage"] == "household":
        found = S.parse_household(text)
        if found is None:
            await ctx.reply(T.ASK_HOUSEHOLD)
            return None
        building, room = found
        respondent = S.Respondent(person_id=ctx.sender.id, building=building, room=room)
        if await S.has_answered(ctx.session, survey, respondent):
            await ctx.answered()
            await ctx.reply(error_text(S.SurveyError("already_answered"), household=True))
            return None
        data.update(stage="q", q=1, building=building, room=room)
        await ctx.ask(STATE_KIND, data, ttl=_answer_timeout(ctx))
        await ctx.reply(T.HOUSEHOLD_OK.format(building=building, room=room) + "\n\n" + _prompt(view, 1))
        return None

    number = int(data["q"])
    q = view.question(number)
    if q is None:
        await ctx.answered()
        return PASS
    answers: dict[str, Any] = dict(data["answers"])
    stack: list[int] = list(data["stack"])
    if text in _BACK:
        if not stack:
            await ctx.reply(T.BACK_AT_START + "\n" + _prompt(view, number))
            return None
        data["q"] = stack.pop()
        data["stack"] = stack
        await ctx.ask(STATE_KIND, data, ttl=_answer_timeout(ctx))
        await ctx.reply(_prompt(view, data["q"]))
        return None
    if text in _SKIP:
        if q.required:
            await ctx.reply(T.CANNOT_SKIP + "\n" + _prompt(view, number))
            return None
        value = None
    else:
        value, problem = parse_answer(q, text)
        if problem:
            await ctx.reply(f"{problem}(第{number}题)")
            return None
    answers[str(number)] = value
    stack.append(number)
    nxt = view.next_number(number, value)
    if nxt is not None:
        data.update(q=nxt, answers=answers, stack=stack)
        await ctx.ask(STATE_KIND, data, ttl=_answer_timeout(ctx))
        await ctx.reply(_prompt(view, nxt))
        return None
    await ctx.answered()
    respondent = S.Respondent(person_id=ctx.sender.id, name=ctx.sender.name, building=data.get("building"),
                              room=data.get("room"), group=data.get("group"))
    # only the answers on the final path count (a 返回 may have changed the route)
    typed = {int(k): v for k, v in answers.items()}
    await _submit(ctx, view, respondent, typed, channel="chat")
    return None


async def _submit(ctx: Context, view: S.SurveyView, respondent: S.Respondent, answers: dict[int, Any], *,
                  channel: str, reply: str | None = None) -> bool:
    survey = view.survey
    try:
        result = await S.submit_response(ctx.session, ctx.now, ctx.config, survey.code, respondent, answers,
                                         channel=channel)
    except S.SurveyError as exc:
        await ctx.reply(error_text(exc, household=survey.one_per == "household"))
        return False
    words = reply or T.SUBMITTED.format(title=survey.title)
    if result.demands:
        await S.suggest_needs(ctx.session, ctx.now, ctx.config, survey, respondent, result.demands)
        words += "\n" + T.SUBMITTED_DEMAND.format(text=T._short(result.demands[0][2], 30))
    await ctx.reply(words)
    return True


# --------------------------------------------------------------------------- residents: 投票 in the group

@router.command("投票", "我投", bare=True)
async def vote(ctx: Context, args: str) -> None:
    parts = args.split()
    code = S.normalize_code(parts[0]) if parts else None
    if code is not None:
        parts = parts[1:]
    group = None if ctx.view.is_private else ctx.view.scope
    if code is None:
        polls = []
        for s in await S.open_surveys_for(ctx.session, ctx.config, group):
            v = await S.get_view(ctx.session, s.code)
            if v.is_poll:
                polls.append(v)
        if not polls:
            # a poll that closed lately: say so, rather than "no poll" (people vote late)
            recent = [s for s in await S.list_surveys(ctx.session, statuses=(S.SurveyStatus.CLOSED,))
                      if (group is None or group in S.targets(ctx.config, s.groups)) and s.closes_at is not None
                      and ctx.now - s.closes_at < timedelta(days=3)]
            if recent:
                await ctx.reply(error_text(S.SurveyError("closed", code=recent[-1].code)))
            else:
                await ctx.reply(T.NO_POLL_HERE)
            return
        if len(polls) > 1:
            await ctx.reply(T.POLL_WHICH.format(code=polls[0].code))
            return
        view = polls[0]
    else:
        try:
            view = await S.get_view(ctx.session, code)
        except S.SurveyError as exc:
            await ctx.reply(error_text(exc))
            return
    survey = view.survey
    base = S.base_url(ctx.config)
    grid = ctx.grid
    link = S.survey_link(base, survey.code, grid=grid.number if grid else None)
    if survey.status != S.SurveyStatus.OPEN:
        await ctx.reply(error_text(S.SurveyError("not_open" if survey.status == S.SurveyStatus.DRAFT else "closed",
                                                 code=survey.code)))
        return
    if not view.is_poll:
        await ctx.reply(T.POLL_NOT_POLL.format(title=survey.title, n=len(view.questions), bot=ctx.config.bot_name,
                                               code=survey.code, link=link))
        return
    q = view.questions[0]
    rest = " ".join(parts)
    household = S.parse_household(rest) if survey.one_per == "household" else None
    if household is not None:
        rest = S._ROOM_RE.sub(" ", rest).strip()
    multi = q.kind == S.QuestionKind.MULTI
    if not rest:
        await ctx.reply(T.POLL_USAGE.format(multi=",多选如「投票 1 3」" if multi else ""))
        return
    value, problem = parse_answer(q, rest)
    if problem:
        await ctx.reply(problem)
        return
    respondent = S.Respondent(person_id=ctx.sender.id, name=ctx.sender.name, group=group,
                              building=household[0] if household else None, room=household[1] if household else None)
    chosen = "、".join(f"{n}. {q.options[n - 1]}" for n in value)
    await _submit(ctx, view, respondent, {1: value}, channel="group" if group else "chat",
                  reply=T.VOTED.format(choice=chosen))
