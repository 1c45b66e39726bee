"""Needs (诉求) in chat: intake (@小助手 / 报修 / 求助 … / 私聊 / 树洞), passive discovery (未诉先办),
the worker and department commands, 查, 待办, 统计 and ratings (回访).

The domain rules live in models/needs.py; this module parses, and words the messages. The
`announce_*` functions turn an operation's result into messages through an `Out` — a Context here, a
TickContext in the scheduler and the web inbox — so every caller tells the same people the same thing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.config import Config
from kernel.identity import DEPARTMENT_STAFF, STAFF, Person, Role
from kernel.text import speech_acts
from kernel.text.classify import Understanding, classify
from kernel.text.knowledge import knowledge_base
from kernel.workhours import on_duty
from texts import needs as T
from texts import speech as TS
from handlers.base import PASS, Context, Router, Stage, View, command_matcher
from models import conversation
from models import needs as N
from models.conversation import PRIVATE_SCOPE
from models.outbox import Priority

router = Router("needs")

STAFF_OR_DEPT = STAFF | DEPARTMENT_STAFF
RATE_STATE = "rate_need"


# ---------------------------------------------------------------- output adapters

class Out(Protocol):
    session: AsyncSession
    now: datetime

    async def private(self, contact_id: str, text: str, *, key: str, priority: Priority = Priority.REPLY) -> None: ...

    async def group(self, topic: str, text: str, *, key: str, mentions: tuple[str, ...] = (),
                    priority: Priority = Priority.REPLY) -> None: ...


class CtxOut:
    """Messages from a chat message's transaction (keys come from the message id)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx, self.session, self.now = ctx, ctx.session, ctx.now

    async def private(self, contact_id: str, text: str, *, key: str, priority: Priority = Priority.REPLY) -> None:
        await self.ctx.send_private(contact_id, text, priority)

    async def group(self, topic: str, text: str, *, key: str, mentions: tuple[str, ...] = (),
                    priority: Priority = Priority.REPLY) -> None:
        await self.ctx.send_group(topic, N.mask_phones(text), mentions, priority)


class TickOut:
    """Messages from a scheduled job or a web action (a TickContext): exactly once per key."""

    def __init__(self, tc: Any) -> None:
        self.tc, self.session, self.now = tc, tc.session, tc.now

    async def private(self, contact_id: str, text: str, *, key: str, priority: Priority = Priority.REPLY) -> None:
        await self.tc.send_private(contact_id, text, key=key, priority=priority)

    async def group(self, topic: str, text: str, *, key: str, mentions: tuple[str, ...] = (),
                    priority: Priority = Priority.REPLY) -> None:
        await self.tc.send_group(topic, N.mask_phones(text), key=key, mentions=mentions, priority=priority)


REPLY_LIMIT = 560          # a chat reply stays readable on a phone screen


def fit(text: str, limit: int = REPLY_LIMIT) -> str:
    """Cut an over-long reply at a line break (a 待办 list of 50, a 1,000-character need text)."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 2)
    return (text[:cut] if cut > limit // 2 else text[:limit - 2]) + "\n…"


async def say(ctx: Context, text: str) -> None:
    """Reply in the chat the message came from; phone numbers masked in groups; never a wall of text."""
    await ctx.reply(fit(text if ctx.msg.is_private else N.mask_phones(text)))


# ---------------------------------------------------------------- wording helpers

def fmt_time(when: datetime | None, now: datetime, config: Config) -> str:
    if when is None:
        return ""
    local, today = when.astimezone(config.timezone), now.astimezone(config.timezone).date()
    if local.date() == today:
        return f"{local:%H:%M}"
    if local.date() == today + timedelta(days=1):
        return f"明天{local:%H:%M}"
    return f"{local.month}月{local.day}日{local:%H:%M}"


def fmt_minutes(minutes: float) -> str:
    m = max(0, int(round(minutes)))
    if m < 60:
        return f"{m}分钟"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}小时{m}分" if m else f"{h}小时"
    d, h = divmod(h, 24)
    return f"{d}天{h}小时" if h else f"{d}天"


def place(need: N.Need) -> str:
    if need.building is not None:
        return f"{need.building}栋"
    if need.grid is not None:
        return f"网格{need.grid}"
    return "未注明位置"


def source_of(need: N.Need) -> str:
    if need.tree_hole:
        return T.SOURCE_TREE_HOLE
    name = need.requester_name or need.requester or ""
    if need.source == N.Source.SUGGESTION:
        return T.SOURCE_SUGGESTION.format(name=name, chat=need.chat or "")
    if need.chat:
        return T.SOURCE_GROUP.format(name=name, chat=need.chat)
    return T.SOURCE_PRIVATE.format(name=name)


def _common(need: N.Need, now: datetime, config: Config, *, group: bool = False, limit: int = 300) -> dict[str, Any]:
    text = _short(N.mask_phones(need.text) if group else need.text, limit)
    return {"code": need.code, "category": need.category_name, "place": place(need), "text": text,
            "urgent": T.URGENT_TAG if need.urgent else "", "worker": need.assignee_name or "社区工作人员",
            "due": fmt_time(need.due_at, now, config), "source": source_of(need),
            "handle_due": fmt_time(need.resolve_due_at, now, config), "status": need.status_name,
            "bot": config.bot_name}


def error_text(exc: N.NeedError, action: str | None = None) -> str:
    data = {k: _short(v, 40) if isinstance(v, str) else v for k, v in exc.data.items()}
    data.setdefault("example", T.EXAMPLE_CODE)
    data.setdefault("code", "")
    verb = T.ACTION_VERBS.get(str(data.get("action") or action or ""), "这样操作")
    data["verb"] = verb
    if "status" in data and data["status"] in N.STATUS_NAMES:
        data["status"] = N.STATUS_NAMES[N.Status(data["status"])]
    if "departments" in data and isinstance(data["departments"], list):
        data["departments"] = "、".join(data["departments"])
    key = exc.code
    if key == "not_allowed" and action in ("return", "transfer"):
        key = f"not_allowed_{action}"
    text = T.ERRORS.get(key, T.ERRORS["not_allowed"]).format(**data)
    if exc.code == "illegal":
        hint = T.ILLEGAL_HINTS.get(str(exc.data.get("status")))
        if hint:
            text += hint
    return text


# ---------------------------------------------------------------- announcing results (shared with web/scheduler)

def _key(need: N.Need, what: str, now: datetime, who: str = "") -> str:
    return f"need:{need.code}:{what}:{int(now.timestamp())}:{who}"


async def announce_intake(out: Out, config: Config, intake: N.Intake) -> None:
    """Tell the holder about a new need; for an urgent one also the staff group (and the AB岗 backup
    when the worker is off duty). The resident's acknowledgement is the caller's (it answers in chat)."""
    need, now = intake.need, out.now
    if intake.parent is not None:
        return
    c = _common(need, now, config)
    targets = N.urgent_alert_targets(config, need, now) if need.urgent else (
        [N.Target("private", need.assignee, need.assignee_name or "", "worker")] if need.assignee else [])
    prio = Priority.URGENT if need.urgent else Priority.REPLY
    for t in targets:
        if t.role == "worker":
            await out.private(t.id, T.DISPATCH_NOTICE.format(**c), key=_key(need, "dispatch", now, t.id), priority=prio)
        elif t.role == "backup":
            await out.private(t.id, T.URGENT_BACKUP_ALERT.format(**c), key=_key(need, "backup", now, t.id), priority=prio)
        else:
            await out.group(t.id, T.URGENT_STAFF_ALERT.format(**_common(need, now, config, group=True)),
                            key=_key(need, "alert", now, t.id), priority=prio)


def ack_text(config: Config, intake: N.Intake, now: datetime) -> str:
    need = intake.need
    if intake.parent is not None:
        return T.ACK_MERGED.format(parent=intake.parent.code)
    c = _common(need, now, config)
    if need.tree_hole:
        return T.ACK_TREE_HOLE.format(**c) + (T.ACK_TREE_HOLE_URGENT if need.urgent else "")
    if need.urgent:
        return T.ACK_URGENT.format(**c)
    return (T.ACK if need.assignee_name else T.ACK_NO_WORKER).format(**c)


async def _to_resident(out: Out, config: Config, needs: list[N.Need], text_for: Any, what: str,
                       priority: Priority = Priority.REPLY) -> None:
    """One message per group (all its residents @-mentioned) and one per private requester."""
    by_chat: dict[str, list[N.Need]] = {}
    for n in needs:
        if n.requester is None:
            continue
        if n.chat:
            by_chat.setdefault(n.chat, []).append(n)
        else:
            await out.private(n.requester, text_for(n), key=_key(n, what, out.now, n.requester), priority=priority)
    for chat, group in by_chat.items():
        mentions = tuple(dict.fromkeys(n.requester for n in group if n.requester))
        await out.group(chat, text_for(group[0]), key=_key(group[0], what, out.now, chat), mentions=mentions,
                        priority=priority)


async def _ask_rating(out: Out, config: Config, need: N.Need) -> None:
    if need.requester is None:
        return
    await conversation.ask(out.session, scope=need.chat or PRIVATE_SCOPE, person_id=need.requester, kind=RATE_STATE,
                           data={"code": need.code}, now=out.now,
                           ttl=timedelta(hours=config.needs.rating_hours))


async def announce_change(out: Out, config: Config, change: N.Change) -> None:
    """Messages that follow an operation, to everyone but the actor (the caller confirms to them)."""
    need, now = change.need, out.now
    c = _common(need, now, config)
    if change.action == N.Action.REPLY:
        reply = need.last_reply or ""
        who = change.actor.name if change.actor else c["worker"]
        await _to_resident(out, config, [need, *change.followers],
                           lambda n: T.REPLY_TO_RESIDENT.format(code=need.code, worker=who, text=reply), "reply")
    elif change.action == N.Action.TRANSFER:
        dept = change.extra["department"]
        note = change.extra.get("note")
        await out.private(dept.contact_id, T.TRANSFER_TO_DEPARTMENT.format(
            **c, actor=change.actor.name if change.actor else "", note=f",说明: {note}" if note else ""),
            key=_key(need, "transfer", now, dept.contact_id), priority=Priority.URGENT if need.urgent else Priority.REPLY)
    elif change.action == N.Action.RETURN:
        if need.assignee:
            await out.private(need.assignee, T.RETURN_TO_HOLDER.format(
                **c, actor=change.actor.name if change.actor else "", reason=change.extra.get("reason", "")),
                key=_key(need, "return", now, need.assignee))
    elif change.action == N.Action.RESOLVE:
        note = need.resolution or ""
        # Merged residents get the same words (the code they were told is the parent's).
        await _to_resident(out, config, [need, *change.followers],
                           lambda n: T.RESOLVED_TO_RESIDENT.format(code=need.code, note=note), "resolve")
        for n in (need, *change.followers):
            await _ask_rating(out, config, n)
    elif change.action == N.Action.REOPEN:
        target = change.extra.get("reopened") or need
        if target.assignee:
            tc = _common(target, now, config)
            resident = change.actor is None or change.actor.role == Role.RESIDENT
            words = change.extra.get("words") or need.rating_note or T.NO_WORDS
            template = T.REOPENED_TO_HOLDER if resident else T.REOPENED_BY_STAFF
            await out.private(target.assignee, template.format(
                **tc, words=words, actor=change.actor.name if change.actor else ""),
                key=_key(target, "reopen", now, target.assignee),
                priority=Priority.URGENT if target.urgent else Priority.REPLY)


async def announce_escalation(out: Out, config: Config, esc: N.Escalation) -> None:
    """督办 messages, one per target, under keys that make each level exactly-once."""
    need = esc.need
    holder = need.department or need.assignee_name or "无"
    for t in esc.targets:
        ask = {"backup": T.ASK_BACKUP, "holder": T.ASK_HOLDER, "department": T.ASK_DEPARTMENT,
               "admin": T.ASK_ADMIN_HANDLE if esc.clock == "handle" else T.ASK_ADMIN,
               }.get(t.role, T.ASK_STAFF_GROUP).format(code=need.code)
        group = t.kind == "group"
        cc = _common(need, out.now, config, group=group)
        if esc.clock == "handle":
            text = T.ESCALATE_HANDLE.format(**cc, level=esc.level, holder=holder, ask=ask,
                                            minutes=int(config.needs.handle_minutes_urgent))
        else:
            late = (T.LATE_BY.format(over=fmt_minutes(esc.minutes_over)) if esc.minutes_over >= 1
                    else T.LATE_AT_LIMIT)
            text = T.ESCALATE_RESPOND.format(**cc, level=esc.level, holder=holder, ask=ask, late=late,
                                             what=T.WHAT_DEPT if esc.clock == "dept_ack" else T.WHAT_RESPOND)
        key = f"need-clock:{need.code}:{esc.clock}:{esc.clock_no}:{esc.level}:{t.id}"
        prio = Priority.URGENT if need.urgent else Priority.REPLY
        if group:
            await out.group(t.id, text, key=key, priority=prio)
        else:
            await out.private(t.id, text, key=key, priority=prio)


# ---------------------------------------------------------------- intake routes

_STRONG_WORDS = ("#诉求", "#求助", "#报修", "求助", "报修", "投诉")
_WEAK_WORDS = ("反映", "建议")
_INTAKE_RE = re.compile(r"^(%s)[\s::,,。!!]*(.*)$" % "|".join(map(re.escape, _STRONG_WORDS + _WEAK_WORDS)), re.S)


@dataclass(frozen=True)
class IntakeArgs:
    text: str
    u: Understanding


def _obvious_word(view: View) -> IntakeArgs | None:
    """报修/求助/投诉/#诉求 … at the start: a need (in a group without @ too). 反映/建议 only when the
    rest reads as a demand ("建议大家早点休息" is chatter)."""
    m = _INTAKE_RE.match(view.text)
    if m is None:
        return None
    word, rest = m.group(1), m.group(2).strip()
    if not rest:
        return IntakeArgs("", view.understanding) if (view.addressed and word in _STRONG_WORDS) else None
    u = classify(rest)
    if u.intent != "demand":
        if word in _WEAK_WORDS:
            return None
        category = "repair" if word.endswith("报修") else None
        u = Understanding("demand", u.category or category or view.understanding.category or "other", u.urgent,
                          u.building)
    return IntakeArgs(rest, u)


def _is_rating_words(text: str) -> bool:
    """"基本满意,就是来得有点慢" is feedback, never a new need (when nothing waits for a rating)."""
    m = _RATING_RE.match(text)
    return m is not None and m.group("word") is not None


def _addressed_demand(view: View) -> IntakeArgs | None:
    if len(view.text) < 3 or _is_rating_words(view.text):
        return None
    u = view.understanding
    return IntakeArgs(view.text, u) if u.intent == "demand" else None


def _passive(view: View) -> IntakeArgs | None:
    """未诉先办: group talk not addressed to the bot. Off ⇒ nothing is even classified."""
    g = view.grid
    if g is None or not g.passive_discovery or view.is_private or view.sender.role != Role.RESIDENT:
        return None
    if len(view.text) < 5 or _is_rating_words(view.text):
        return None
    u = view.understanding
    if u.intent != "demand" or speech_acts.is_progress_question(view.text) or \
            knowledge_base(view.config.knowledge).answer(view.text) is not None:
        return None          # "报修的有人管吗", "医保怎么交": questions, not problems to pick up
    return IntakeArgs(view.text, u)


async def _intake(ctx: Context, args: IntakeArgs, source: N.Source) -> None:
    if not args.text:
        await say(ctx, T.INTAKE_TOO_SHORT)
        return
    u = args.u
    private = ctx.msg.is_private
    intake = await N.create_need(
        ctx.session, ctx.now, ctx.config, text=args.text, category=u.category, urgent=u.urgent,
        building=u.building, source=source,
        requester=None if source == N.Source.TREE_HOLE else ctx.sender.id,
        requester_name=None if source == N.Source.TREE_HOLE else ctx.sender.name,
        chat=None if private else ctx.msg.group_topic, chat_grid=ctx.grid.number if ctx.grid else None)
    await say(ctx, ack_text(ctx.config, intake, ctx.now))
    await announce_intake(CtxOut(ctx), ctx.config, intake)


@router.route(Stage.RESIDENT_COMMAND, command_matcher("树洞"))
async def tree_hole(ctx: Context, rest: str) -> None:
    if not ctx.msg.is_private:
        # Not stored: the point of a tree hole is that nobody can tell who said it.
        await ctx.reply(T.TREE_HOLE_IN_GROUP.format(bot=ctx.config.bot_name))
        return
    if len(rest.strip()) < 2:
        await ctx.reply(T.TREE_HOLE_USAGE)
        return
    u = classify(rest)
    await _intake(ctx, IntakeArgs(rest.strip(), Understanding("demand", u.category if u.intent == "demand" else
                                                              (u.category or "other"), u.urgent, u.building)),
                  N.Source.TREE_HOLE)


@router.route(Stage.RESIDENT_COMMAND, _obvious_word)
async def intake_by_word(ctx: Context, args: IntakeArgs) -> None:
    await _intake(ctx, args, N.Source.PRIVATE if ctx.msg.is_private else N.Source.GROUP)


@router.route(Stage.INTENT, _addressed_demand)
async def intake_addressed(ctx: Context, args: IntakeArgs) -> None:
    await _intake(ctx, args, N.Source.PRIVATE if ctx.msg.is_private else N.Source.GROUP)


@router.route(Stage.PASSIVE, _passive)
async def passive_discovery(ctx: Context, args: IntakeArgs) -> None:
    """Silent in the group. An urgent one still reaches the grid worker privately: lives first."""
    u = args.u
    await N.record_suggestion(ctx.session, ctx.now, grid=ctx.grid.number if ctx.grid else None,
                              chat=ctx.msg.group_topic or "", sender_id=ctx.sender.id, sender_name=ctx.sender.name,
                              text=args.text, category=u.category, urgent=u.urgent, building=u.building)
    if u.urgent and ctx.grid is not None:
        grid = ctx.config.grid_of_building(u.building) or ctx.grid
        text = T.PASSIVE_URGENT_ALERT.format(chat=ctx.msg.group_topic, name=ctx.sender.name, text=args.text)
        await ctx.send_private(grid.worker, text, Priority.URGENT)
        worker = next((w for w in ctx.config.workers if w.id == grid.worker), None)
        if worker is not None and grid.backup and not on_duty(worker.duty, ctx.now, ctx.config.timezone):
            await ctx.send_private(grid.backup, text, Priority.URGENT)


# ---------------------------------------------------------------- staff commands

def _staff_matcher(*words: str):  # type: ignore[no-untyped-def]
    """A command word; without a code it only counts from staff, or when the bot is addressed —
    a resident chatting "回复一下大家" in a group must not get a refusal."""
    base = command_matcher(*words)

    def match(view: View) -> str | None:
        rest = base(view)
        if rest is None:
            return None
        if N.normalize_code(rest) is None and view.sender.role == Role.RESIDENT and not view.addressed:
            return None
        return rest
    return match


def _split_code(rest: str) -> tuple[str | None, str]:
    m = N.CODE_RE.search(rest)
    if m is None:
        return None, rest.strip()
    after = rest[m.end():].strip(" ::,,")
    return f"D{m.group(1)}-{m.group(2)}", after


async def _run(ctx: Context, word: str, rest: str, action: str, op: Any) -> None:
    code, after = _split_code(rest)
    if code is None:
        await say(ctx, T.USAGE[word].format(example=T.EXAMPLE_CODE))
        return
    try:
        await op(code, after)
    except N.NeedError as exc:
        await say(ctx, error_text(exc, action))


@router.route(Stage.STAFF_COMMAND, _staff_matcher("接单"), roles=STAFF)
async def accept_need(ctx: Context, rest: str) -> None:
    async def op(code: str, _after: str) -> None:
        change = await N.accept(ctx.session, ctx.now, ctx.config, code, ctx.sender)
        c = _common(change.need, ctx.now, ctx.config, group=not ctx.msg.is_private, limit=120)
        text = T.ACCEPTED.format(**c)
        if change.need.urgent and change.need.resolve_due_at:
            late = change.need.resolve_due_at <= ctx.now
            text += (T.ACCEPTED_URGENT_LATE if late else T.ACCEPTED_URGENT).format(**c)
        await say(ctx, text)
        await announce_change(CtxOut(ctx), ctx.config, change)
    await _run(ctx, "接单", rest, "accept", op)


@router.route(Stage.STAFF_COMMAND, _staff_matcher("签收"), roles=STAFF_OR_DEPT)
async def sign_need(ctx: Context, rest: str) -> None:
    async def op(code: str, _after: str) -> None:
        change = await N.accept(ctx.session, ctx.now, ctx.config, code, ctx.sender)
        c = _common(change.need, ctx.now, ctx.config, group=not ctx.msg.is_private, limit=120)
        await say(ctx, (T.SIGNED if ctx.sender.role == Role.DEPARTMENT else T.ACCEPTED).format(**c))
    await _run(ctx, "签收", rest, "accept", op)


@router.route(Stage.STAFF_COMMAND, _staff_matcher("回复"), roles=STAFF_OR_DEPT)
async def reply_need(ctx: Context, rest: str) -> None:
    async def op(code: str, after: str) -> None:
        if not after:
            await say(ctx, T.ERRORS["no_text"].format(code=code))
            return
        change = await N.reply(ctx.session, ctx.now, ctx.config, code, ctx.sender, after)
        need = change.need
        await say(ctx, T.REPLIED_TREE_HOLE.format(code=need.code) if need.tree_hole
                  else T.REPLIED.format(code=need.code))
        await announce_change(CtxOut(ctx), ctx.config, change)
    await _run(ctx, "回复", rest, "reply", op)


@router.route(Stage.STAFF_COMMAND, _staff_matcher("转派", "转交"), roles=STAFF_OR_DEPT)
async def transfer_need(ctx: Context, rest: str) -> None:
    async def op(code: str, after: str) -> None:
        depts = [d.name for d in ctx.config.departments]
        if not after:
            await say(ctx, T.TRANSFER_NEEDS_DEPARTMENT.format(code=code, departments="、".join(depts)))
            return
        name, _, note = after.partition(" ")
        if ctx.config.department(name) is None:     # "城管科占道经营" without a space
            for d in ctx.config.departments:
                if after.startswith(d.name):
                    name, note = d.name, after[len(d.name):]
                    break
        change = await N.transfer(ctx.session, ctx.now, ctx.config, code, ctx.sender, name,
                                  note.strip(" ::,,") or None)
        await say(ctx, T.TRANSFERRED.format(department=change.need.department, code=change.need.code,
                                            due=fmt_time(change.need.due_at, ctx.now, ctx.config)))
        await announce_change(CtxOut(ctx), ctx.config, change)
    await _run(ctx, "转派", rest, "transfer", op)


@router.route(Stage.STAFF_COMMAND, _staff_matcher("退单", "退回"), roles=STAFF_OR_DEPT)
async def return_need(ctx: Context, rest: str) -> None:
    async def op(code: str, after: str) -> None:
        change = await N.hand_back(ctx.session, ctx.now, ctx.config, code, ctx.sender, after)
        await say(ctx, T.RETURNED.format(code=change.need.code, holder=change.need.assignee_name or "社区"))
        await announce_change(CtxOut(ctx), ctx.config, change)
    await _run(ctx, "退单", rest, "return", op)


@router.route(Stage.STAFF_COMMAND, _staff_matcher("办结"), roles=STAFF_OR_DEPT)
async def resolve_need(ctx: Context, rest: str) -> None:
    async def op(code: str, after: str) -> None:
        change = await N.resolve(ctx.session, ctx.now, ctx.config, code, ctx.sender, after)
        need = change.need
        if need.tree_hole:
            await say(ctx, T.RESOLVED_NO_VISIT.format(code=need.code, why=T.RESOLVED_TREE_HOLE_WHY))
        else:
            await say(ctx, T.RESOLVED.format(code=need.code))
        await announce_change(CtxOut(ctx), ctx.config, change)
    await _run(ctx, "办结", rest, "resolve", op)


def _todo_matcher(view: View) -> str | None:
    if view.sender.role == Role.RESIDENT and not view.addressed:
        return None
    return command_matcher("待办", "我的待办", "待办事项", bare=True)(view)


@router.route(Stage.STAFF_COMMAND, _todo_matcher, roles=STAFF_OR_DEPT, private=True)
async def todo(ctx: Context, _rest: str) -> None:
    rows = await N.todo_for(ctx.session, ctx.sender)
    if not rows:
        await say(ctx, T.TODO_EMPTY)
        return
    text = T.TODO_HEAD.format(n=len(rows))
    shown = 0
    for i, need in enumerate(rows, 1):
        c = _common(need, ctx.now, ctx.config, group=not ctx.msg.is_private, limit=30)
        item = T.TODO_ITEM.format(i=i, **c, clock=_clock(need, ctx.now, ctx.config))
        if len(text) + len(item) > REPLY_LIMIT - 40:
            break
        text += item
        shown += 1
    if shown < len(rows):
        text += T.TODO_MORE.format(n=len(rows) - shown)
    await say(ctx, text)


def _short(text: str, limit: int = 40) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _clock(need: N.Need, now: datetime, config: Config) -> str:
    if need.due_at is not None:
        if need.due_at <= now:
            return T.CLOCK_OVER.format(over=fmt_minutes((now - need.due_at).total_seconds() / 60))
        return T.CLOCK_LEFT.format(due=fmt_time(need.due_at, now, config),
                                   left=fmt_minutes((need.due_at - now).total_seconds() / 60))
    if need.resolve_due_at is not None:
        if need.resolve_due_at <= now:
            return T.CLOCK_OVER.format(over=fmt_minutes((now - need.resolve_due_at).total_seconds() / 60))
        return T.CLOCK_HANDLE.format(due=fmt_time(need.resolve_due_at, now, config))
    return ""


def _pct(x: float | None) -> str:
    return T.RATE_NONE if x is None else f"{x * 100:.0f}%"


def _stats_matcher(view: View) -> str | None:
    if view.sender.role == Role.RESIDENT and not view.addressed:
        return None
    rest = command_matcher("统计")(view)
    if rest is None:
        return None
    return rest if rest in ("", "今天", "本周", "本月", "这周", "这个月", "昨天", "上周", "上月", "上个月") else None


@router.route(Stage.STAFF_COMMAND, _stats_matcher, roles=STAFF)
async def stats(ctx: Context, rest: str) -> None:
    start, end, label = N.period_bounds(rest or "今天", ctx.now, ctx.config)
    grid = ctx.sender.grid if ctx.sender.role == Role.WORKER else None
    rates = await N.three_rates(ctx.session, start, end, grid=grid)
    scope = T.STATS_SCOPE_GRID.format(grid=grid) if grid is not None else T.STATS_SCOPE_ALL
    text = T.STATS.format(label=label, scope=scope, received=rates.received, urgent=rates.urgent,
                          resolved=rates.resolved, open=rates.open, overdue=rates.overdue,
                          response=_pct(rates.response_rate), resolution=_pct(rates.resolution_rate),
                          satisfaction=_pct(rates.satisfaction_rate), rated=rates.rated)
    if grid is None and rates.received:
        text += T.STATS_BY_GRID_HEAD
        for g, r in sorted((await N.rates_by(ctx.session, start, end, "grid")).items(),
                           key=lambda kv: (kv[0] is None, kv[0] or 0)):
            text += T.STATS_BY_GRID.format(grid=f"网格{g}" if g is not None else "未分网格", received=r.received,
                                           response=_pct(r.response_rate), resolution=_pct(r.resolution_rate),
                                           satisfaction=_pct(r.satisfaction_rate))
    await say(ctx, text)


# ---------------------------------------------------------------- 查 (anyone with a code)

def _query_matcher(view: View) -> str | None:
    rest = command_matcher("查", "查询", "查看", "进度")(view)
    if rest is None:
        return None
    if N.normalize_code(rest) is not None:
        return rest
    # "查一下明天天气" is not ours; a bare 查 only from staff or when the bot is addressed
    return rest if rest == "" and (view.addressed or view.sender.role != Role.RESIDENT) else None


@router.route(Stage.RESIDENT_COMMAND, _query_matcher)
async def query(ctx: Context, rest: str) -> None:
    code = N.normalize_code(rest)
    if code is None:
        await say(ctx, T.USAGE["查"].format(example=T.EXAMPLE_CODE))
        return
    try:
        view = await N.status_for(ctx.session, code, ctx.sender)
    except N.NeedError as exc:
        await say(ctx, error_text(exc, "query"))
        return
    if ctx.sender.role in (Role.WORKER, Role.ADMIN, Role.DEPARTMENT):
        await say(ctx, await _staff_status(ctx, view.need))
    else:
        await say(ctx, _resident_status(ctx, view))


def _resident_status(ctx: Context, view: N.StatusView) -> str:
    need, shown = view.need, view.shown
    text = T.STATUS_RESIDENT.format(code=need.code, category=need.category_name, status=shown.status_name)
    if shown is not need:
        text += T.STATUS_MERGED.format(parent=shown.code)
    if shown.status in N.OPEN_STATUSES and (shown.department or shown.assignee_name):
        text += T.STATUS_HOLDER.format(holder=shown.department or shown.assignee_name)
    if shown.last_reply:
        text += T.STATUS_LAST_REPLY.format(at=fmt_time(shown.last_reply_at, ctx.now, ctx.config),
                                           reply=_short(shown.last_reply, 200))
    if shown.resolution and shown.status in N.DONE_STATUSES:
        text += T.STATUS_RESOLUTION.format(resolution=_short(shown.resolution, 200))
    if need.satisfaction:
        text += T.STATUS_SATISFACTION.format(satisfaction=N.SATISFACTION_NAMES[N.Satisfaction(need.satisfaction)])
    elif need.tree_hole and need.status == N.Status.RESOLVED:
        text += T.STATUS_TREE_HOLE_RATE.format(code=need.code)
    return text


async def _staff_status(ctx: Context, need: N.Need) -> str:
    c = _common(need, ctx.now, ctx.config, group=not ctx.msg.is_private, limit=150)
    due = ""
    if need.due_at is not None or need.resolve_due_at is not None:
        due = T.STATUS_STAFF_DUE.format(due=_clock(need, ctx.now, ctx.config).strip())
    text = T.STATUS_STAFF.format(**{**c, "due": due}, holder=need.department or need.assignee_name or "无",
                                 overdue=T.OVERDUE_TAG if need.overdue else "",
                                 created=fmt_time(need.created_at, ctx.now, ctx.config))
    if need.merged_into:
        text += "\n" + T.STATUS_MERGED.format(parent=need.merged_into)
    if need.last_reply:
        text += T.STATUS_LAST_REPLY.format(at=fmt_time(need.last_reply_at, ctx.now, ctx.config),
                                           reply=_short(need.last_reply, 80))
    if need.resolution:
        text += T.STATUS_RESOLUTION.format(resolution=_short(need.resolution, 80))
    events = await N.events_of(ctx.session, need)
    if events:
        text += T.STATUS_STAFF_HISTORY
        for e in events[-6:]:
            who = f" {e.actor_name}" if e.actor_name else ""
            note = f": {_short(e.note, 30)}" if e.note else ""
            text += T.STATUS_STAFF_EVENT.format(at=fmt_time(e.at, ctx.now, ctx.config),
                                                action=T.ACTION_NAMES.get(e.action, e.action), who=who, note=note)
    return text


# ---------------------------------------------------------------- ratings (回访)

_RATING_WORDS = {
    "非常满意": 1, "很满意": 1, "十分满意": 1, "满意": 1, "比较满意": 2, "基本满意": 2, "还算满意": 2, "一般": 2,
    "不太满意": 3, "不满意": 3, "很不满意": 3, "非常不满意": 3,
}
_RATING_RE = re.compile(
    r"^(?:(?P<digit>[123])(?![0-9])|(?P<word>%s))(?P<rest>.*)$"
    % "|".join(map(re.escape, sorted(_RATING_WORDS, key=len, reverse=True))), re.S)


@dataclass(frozen=True)
class RatingArgs:
    score: int              # 1–3; 0: words that answer without rating ("好的"), the bot asks again
    comment: str
    code: str | None
    by_digit: bool
    loose: bool = False     # read from free words ("挺好的谢谢"): only an answer to an open question


_LOOSE_MAX = 40             # longer than this, free words are a new message, not a reply to "请您评价"


def _rating_matcher(view: View) -> RatingArgs | None:
    strict = _strict_rating(view)
    if strict is not None:
        return strict
    # "满意满意 辛苦小李了🙏", "还行吧 基本满意", "不太满意 还是漏", "挺好的谢谢": a rating only when the bot
    # has just asked this resident (the `rating` route; `rating_unasked` passes on them).
    if len(view.text) > _LOOSE_MAX or N.normalize_code(view.text) is not None:
        return None
    score = getattr(view.understanding, "rating", None) if view.addressed else None
    score = score if score in (1, 2, 3) else speech_acts.rating_in_words(view.text)
    if score is None:
        return RatingArgs(0, "", None, False, loose=True) if view.addressed and speech_acts.is_bare_ack(view.text) \
            else None
    return RatingArgs(score, view.text.strip(), None, False, loose=True)


def _strict_rating(view: View) -> RatingArgs | None:
    m = _RATING_RE.match(view.text)
    if m is None:
        return None
    rest = m.group("rest")
    code = N.normalize_code(rest)
    if code is not None:
        rest = N.CODE_RE.sub(" ", rest)
    comment = rest.strip(" ,,。.!!、::;;~")
    if m.group("digit"):
        # "1" / "3 还是没修好" — a bare digit is only a rating when the bot has just asked (checked later)
        if rest and not re.match(r"^[\s,,。.!!、::]", rest):
            return None
        return RatingArgs(int(m.group("digit")), comment, code, True)
    if rest and code is None and not re.match(r"^[\s,,。.!!、::;;~]", rest):
        return None          # "满意度调查…", "不满意的地方…" are not a rating
    if m.group("word") == "一般" and not (view.addressed or code):
        return None
    return RatingArgs(_RATING_WORDS[m.group("word")], comment, code, False)


@router.answer(RATE_STATE, match=_rating_matcher, label=T.QUESTION_RATING)
async def rating(ctx: Context, args: RatingArgs) -> Any:
    """The answer to "请为本次服务打分": a digit or words, about the need the bot asked about."""
    assert ctx.question is not None
    code = args.code or ctx.question.data.get("code")
    if args.loose:
        if args.score == 0:
            await say(ctx, TS.RATE_AGAIN.format(code=code))
            return None
        if await _another_problem(ctx, args, code):
            return PASS
    return await _rate(ctx, args, code)


async def _another_problem(ctx: Context, args: RatingArgs, code: str | None) -> bool:
    """"5栋电梯又坏了" while 3栋's light waits for a rating is a new need, not a verdict on the light."""
    u = ctx.view.understanding
    if args.score != 3 or u.intent != "demand" or u.building is None or code is None:
        return False
    try:
        need = await N.get_need(ctx.session, code)
    except N.NeedError:
        return False
    return need.building is not None and u.building != need.building


@router.route(Stage.FOLLOW_UP, _rating_matcher)
async def rating_unasked(ctx: Context, args: RatingArgs) -> Any:
    """Rating words with no open question: "满意 D20261123-0001", or "满意" for the need this resident
    was last asked about. A bare digit, or free words, are only a rating when the bot has just asked."""
    if args.loose or (args.by_digit and args.code is None):
        return PASS
    code = args.code
    if code is None:
        need = await N.latest_awaiting_rating(ctx.session, ctx.sender.id, ctx.msg.group_topic) or \
            await N.latest_awaiting_rating(ctx.session, ctx.sender.id)
        code = need.code if need else None
    if code is None:
        return PASS           # "满意了吧" in a group: not ours
    return await _rate(ctx, args, code)


async def _rate(ctx: Context, args: RatingArgs, code: str) -> Any:
    try:
        change = await N.rate(ctx.session, ctx.now, ctx.config, code, args.score, ctx.sender, args.comment)
    except N.NeedError as exc:
        await ctx.answered(RATE_STATE)
        if args.by_digit and args.code is None and exc.code in ("illegal", "not_requester"):
            return PASS
        await say(ctx, error_text(exc, "rate"))
        return None
    await ctx.answered(RATE_STATE)
    need = change.need
    if change.action == N.Action.REOPEN:
        target = change.extra.get("reopened") or need
        await say(ctx, T.RATED_DISSATISFIED.format(code=need.code, worker=target.assignee_name or "工作人员"))
        await announce_change(CtxOut(ctx), ctx.config, change)
    else:
        await say(ctx, T.RATED.format(code=need.code, bot=ctx.config.bot_name,
                                      satisfaction=N.SATISFACTION_NAMES[N.Satisfaction(need.satisfaction)]))
    return None


def staff_person(config: Config, contact_id: str, name: str, role: Role) -> Person:
    """For callers outside chat (web inbox): the Person an operation is done by."""
    grid = next((w.grid for w in config.workers if w.id == contact_id), None)
    dept = next((d.name for d in config.departments if d.contact_id == contact_id), None)
    return Person(contact_id, name, role, grid, dept)
